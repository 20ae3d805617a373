import { priceUnitLabel, type PriceListVersion } from './domain/activities.js';
import { invoiceTotals, type VatMode } from './domain/invoicing/amounts.js';
import { CUSTOMER_KIND_LABELS, formatSiren } from './domain/invoicing/customers.js';
import { declaredByLabel, type CustomerRecord, type DeclarationRecord, type InvoiceRecord, type InvoiceStatus, type MonthLockRecord } from './domain/invoicing/records.js';
import { monthLabel, type StatementMemberCopy, type StatementRecord } from './domain/invoicing/statement.js';

/*
 * What the API answers about an activity's customers, declarations and invoices, to its members (their space) and
 * staff. Personal data of customers is shown to those who invoice them; the ids of who declared are not.
 */

export function customerView(customer: CustomerRecord) {
  const { customerId, kind, name, address, email, siren, vatNumber, version, updatedAt } = customer;
  return { customerId, kind, kindLabel: CUSTOMER_KIND_LABELS[kind], name, address, email, ...(siren ? { siren, sirenLabel: formatSiren(siren) } : {}), ...(vatNumber ? { vatNumber } : {}), version, updatedAt };
}


/** A declaration with its lines' amounts and totals computed as the invoice will (shared/domain/invoicing/amounts.ts). */
export function declarationView(declaration: DeclarationRecord, customerNames: ReadonlyMap<string, string>, vatMode: VatMode) {
  const totals = invoiceTotals(declaration.lines, vatMode);
  return {
    declarationId: declaration.declarationId,
    month: declaration.month,
    customerId: declaration.customerId,
    customerName: customerNames.get(declaration.customerId) ?? 'Client supprimé',
    serviceDate: declaration.serviceDate,
    lines: declaration.lines.map((line, i) => ({ ...line, unitLabel: priceUnitLabel(line.unit), netCents: totals.lines[i].netCents })),
    totals: { netCents: totals.netCents, vatCents: totals.vatCents, grossCents: totals.grossCents },
    declaredBy: declaredByLabel(declaration.declaredBy),
    status: declaration.status,
    /** Corrected or deleted until its month is invoiced. */
    canChange: declaration.status === 'open',
    version: declaration.version,
    updatedAt: declaration.updatedAt,
  };
}

/**
 * An activity's month as the declaration form reads it: whether it still takes declarations, the cooperative's VAT
 * mode, the price versions (the form prefills the lines in force on the date typed), the customers and declarations.
 */
export function monthDeclarationsView(input: {
  activity: { activityId: string; name: string; tradeName: string; startDate: string };
  month: string;
  lock: MonthLockRecord | undefined;
  declarations: readonly DeclarationRecord[];
  customers: readonly CustomerRecord[];
  prices: readonly PriceListVersion[];
  vatMode: VatMode;
  today: string;
}) {
  const names = new Map(input.customers.map((c) => [c.customerId, c.name]));
  const invoiced = input.lock?.status === 'drafted';
  return {
    activityId: input.activity.activityId,
    activityName: input.activity.name,
    tradeName: input.activity.tradeName,
    startDate: input.activity.startDate,
    month: input.month,
    monthLabel: monthLabel(input.month),
    /** `invoiced`: the month's invoices are being made, its declarations can no longer change. */
    status: invoiced ? ('invoiced' as const) : ('open' as const),
    vatMode: input.vatMode,
    today: input.today,
    priceVersions: input.prices.map((v) => ({ version: v.version, effectiveFrom: v.effectiveFrom, lines: v.lines.map((l) => ({ ...l, unitLabel: priceUnitLabel(l.unit) })) })),
    customers: input.customers.map((c) => ({ customerId: c.customerId, name: c.name, kindLabel: CUSTOMER_KIND_LABELS[c.kind] })),
    declarations: [...input.declarations].sort((a, b) => a.serviceDate.localeCompare(b.serviceDate) || a.createdAt.localeCompare(b.createdAt)).map((d) => declarationView(d, names, input.vatMode)),
  };
}

export const INVOICE_STATUS_LABELS: Record<InvoiceStatus, string> = { draft: 'En préparation', held: 'En attente', issued: 'Émise', cancelled: 'Annulée' };

/** An invoice or credit note as its activity's members read it: what it says, what is paid and left, and whether its PDF can be read. */
export function memberInvoiceView(invoice: InvoiceRecord) {
  const numbered = invoice.number !== undefined && (invoice.status === 'issued' || invoice.status === 'cancelled');
  const due = invoice.kind === 'invoice' && invoice.status === 'issued' ? invoice.totals.grossCents : 0;
  return {
    invoiceId: invoice.invoiceId,
    kind: invoice.kind,
    kindLabel: invoice.kind === 'credit-note' ? 'Avoir' : 'Facture',
    month: invoice.month,
    status: invoice.status,
    statusLabel: INVOICE_STATUS_LABELS[invoice.status],
    ...(invoice.status === 'held' && invoice.holdReason ? { holdReason: invoice.holdReason } : {}),
    ...(invoice.number ? { number: invoice.number } : {}),
    ...(invoice.issueDate ? { issueDate: invoice.issueDate } : {}),
    ...(invoice.dueDate ? { dueDate: invoice.dueDate } : {}),
    ...(invoice.cancels ? { cancels: invoice.cancels.number } : {}),
    customerName: invoice.customer.name,
    totals: { netCents: invoice.totals.netCents, vatCents: invoice.totals.vatCents, grossCents: invoice.totals.grossCents },
    paidCents: invoice.paidCents,
    /** What the customer still owes on an issued invoice (0 otherwise). */
    leftCents: Math.max(0, due - invoice.paidCents),
    hasPdf: numbered,
  };
}

/** A member's monthly statement: the activity's figures, the contribution, and what is left for them. */
export function memberStatementView(record: StatementRecord, copy: StatementMemberCopy) {
  const { statement } = record;
  return {
    activityId: record.activityId,
    month: record.month,
    monthLabel: monthLabel(record.month),
    revenueExclVatCents: statement.revenueExclVatCents,
    vatCents: statement.vatCents,
    paymentsReceivedCents: statement.paymentsReceivedCents,
    /** Given back to customers in the month (decision 54; 0 on a statement issued before). */
    refundedCents: statement.refundedCents ?? 0,
    contributionRateBps: statement.contribution.rateBps,
    contributionCents: statement.contribution.contributionCents,
    /** The result of the activity (a collective one's, before it is shared). */
    resultCents: statement.contribution.resultCents,
    leftCents: copy.leftCents,
    collective: statement.activity.shape === 'collective',
    documents: statement.documents.map((d) => ({ kind: d.kind, number: d.number, grossCents: d.grossCents })),
    issuedAt: record.issuedAt,
  };
}
