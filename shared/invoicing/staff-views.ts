import { leftToRefund, type InvoiceEvent, type InvoiceRecord, type PaymentMeans, type PaymentRecord, type RefundRecord } from '../domain/invoicing/records.js';
import { invoiceHistory, type InvoicingRunRecord, type InvoicingRunStatus } from '../domain/invoicing/run.js';
import { formatBps, priceUnitLabel } from '../domain/activities.js';
import { formatSiren } from '../domain/invoicing/customers.js';
import { chaseDates } from '../domain/invoicing/terms.js';
import { formatEuros } from '../domain/money.js';
import { formatParisDateTime } from '../domain/time.js';
import type { OutboxMessage } from '../data/outbox.js';
import { checkResend } from '../domain/invoicing/resend-check.js';
import { failureLabel } from '../domain/messages/failure-labels.js';

/*
 * What the staff's invoicing routes answer (functions/invoicing/staff-api.ts), read by the pages through
 * browser/lib/views.ts. Amounts in integer cents; the labels are French.
 */

export const PAYMENT_MEANS_LABELS: Record<PaymentMeans, string> = {
  virement: 'virement',
  cheque: 'chèque',
  especes: 'espèces',
  carte: 'carte bancaire',
  prelevement: 'prélèvement',
};

export const INVOICE_STATUS_LABELS: Record<InvoiceRecord['status'], string> = { draft: 'Brouillon', held: 'En attente', issued: 'Émise', cancelled: 'Annulée' };

/** What is still to pay on an invoice (none on a draft, a credit note or a cancelled invoice). */
export const leftToPay = (invoice: InvoiceRecord): number => (invoice.kind === 'invoice' && invoice.status === 'issued' ? invoice.totals.grossCents - invoice.paidCents : 0);

/** Late on `today`: issued, not fully paid, 45 days or more after its due date. */
export const isLateOn = (invoice: InvoiceRecord, today: string): boolean => leftToPay(invoice) > 0 && invoice.dueDate !== undefined && chaseDates(invoice.dueDate).late <= today;

/** Whole days from its due date to `today` while something is left to pay after it (Paris calendar dates); else null. */
export function daysLateOn(invoice: InvoiceRecord, today: string): number | null {
  if (leftToPay(invoice) <= 0 || invoice.dueDate === undefined || invoice.dueDate >= today) return null;
  return Math.round((Date.parse(today) - Date.parse(invoice.dueDate)) / 86_400_000);
}

/** An invoice's status as staff read it: an issued invoice says whether it is paid, in full or in part. */
function statusLabel(invoice: InvoiceRecord): string {
  if (invoice.kind === 'credit-note') return invoice.status === 'issued' ? 'Avoir émis' : 'Avoir en préparation';
  if (invoice.status === 'issued' && invoice.paidCents > 0) return invoice.paidCents >= invoice.totals.grossCents ? 'Payée' : 'Émise, payée en partie';
  // Cancelled after the customer paid: they are owed it back until it is refunded.
  if (invoice.status === 'cancelled' && invoice.paidCents > 0) return leftToRefund(invoice) > 0 ? 'Annulée, à rembourser' : 'Annulée, remboursée';
  return INVOICE_STATUS_LABELS[invoice.status];
}

/** An invoice or credit note in a list. */
export function invoiceListItem(invoice: InvoiceRecord, today: string) {
  return {
    invoiceId: invoice.invoiceId,
    kind: invoice.kind,
    number: invoice.number ?? null,
    status: invoice.status,
    statusLabel: statusLabel(invoice),
    activityId: invoice.activityId,
    month: invoice.month,
    customer: { name: invoice.customer.name, kind: invoice.customer.kind },
    issueDate: invoice.issueDate ?? null,
    dueDate: invoice.dueDate ?? null,
    netCents: invoice.totals.netCents,
    vatCents: invoice.totals.vatCents,
    grossCents: invoice.totals.grossCents,
    /** Issued under the VAT franchise (article 293 B du CGI): no VAT at all, its amounts are neither HT nor TTC. */
    franchise: invoice.totals.perRate.every((group) => group.vatRateBps === null),
    paidCents: invoice.paidCents,
    leftCents: leftToPay(invoice),
    /** A cancelled invoice: what went back to the customer of what they paid, and what is still owed back to them. */
    refundedCents: invoice.refundedCents ?? 0,
    leftToRefundCents: leftToRefund(invoice),
    late: isLateOn(invoice, today),
    /** Days past its due date with something left to pay (the late list's "Retard"); null when none is. */
    daysLate: daysLateOn(invoice, today),
    holdReason: invoice.holdReason ?? null,
  };
}

function eventLabel(event: InvoiceEvent): string {
  const at = formatParisDateTime(event.at);
  switch (event.event) {
    case 'drafted':
      return 'Brouillon préparé';
    case 'redrafted':
      return 'Brouillon refait à partir des déclarations';
    case 'held':
      return event.detail === 'reopened' ? 'Mise en attente : mois rouvert pour corriger les déclarations' : 'Mise en attente';
    case 'released':
      return 'Remise dans le lot à valider';
    case 'issued':
      return `Émise sous le numéro ${event.detail ?? ''}`.trim();
    case 'sent':
      return `Envoyée le ${at}`;
    case 'payment':
      return `Paiement enregistré : ${formatEuros(Number(event.detail ?? 0))}`;
    case 'refund':
      return `Remboursement enregistré : ${formatEuros(Number(event.detail ?? 0))} rendus au client`;
    case 'cancelled':
      return 'Annulée par un avoir';
    case 'late':
      return 'En retard : impayée 45 jours après l’échéance';
    case 'undelivered':
      return `E-mail au client non remis à ${event.detail ?? 'son adresse'} : adresse à corriger`;
    case 'complained':
      return `Le client a signalé un e-mail comme indésirable (${event.detail ?? 'son adresse'}) : seuls les e-mails obligatoires lui parviennent encore (factures, relances)`;
    case 'resent':
      return `Facture renvoyée à ${event.detail ?? 'l’adresse du client'}`;
    default:
      // The chase's reminders, whatever their stage's name.
      return /remind/.test(event.event) ? 'Relance envoyée au client' : event.event;
  }
}

const MAIL_STATUS_LABELS: Record<OutboxMessage['status'], string> = {
  pending: 'En cours d’envoi',
  sent: 'Envoyé',
  delivered: 'Remis',
  bounced: 'Rejeté (adresse invalide)',
  complained: 'Signalé comme indésirable',
  failed: 'Non remis',
  suppressed: 'Non envoyé',
  'opted-out': 'Non envoyé (désinscription)',
  cancelled: 'Annulé',
};

/** What the invoice's page reads of its e-mails to the customer: the last one, and whether staff may send it again. */
export interface InvoiceMailing {
  /** The invoice's e-mails to its customer, oldest first (shared/invoicing/resend.ts, `invoiceMails`). */
  mails: OutboxMessage[];
  /** The customer's e-mail as it is now (their form), where a re-send goes. */
  customerEmail: string;
}

/**
 * The e-mail side of an invoice: where and how its last e-mail to the customer went, where a re-send would go, and
 * whether staff may send it again ("Renvoyer la facture"), else why; `fixAddress` when the address must be corrected
 * first, on the customer's form (`customerHref`).
 */
export function invoiceMailView(invoice: InvoiceRecord, { mails, customerEmail }: InvoiceMailing) {
  const check = checkResend(invoice, mails, customerEmail);
  const last = check.last;
  return {
    last: last
      ? {
          to: last.to,
          kind: last.kind,
          status: last.status,
          statusLabel: MAIL_STATUS_LABELS[last.status] ?? last.status,
          reasonLabel: last.status === 'bounced' || last.status === 'failed' ? (failureLabel(last.statusReason) ?? null) : null,
          at: last.statusAt ?? last.sentAt ?? last.createdAt,
        }
      : null,
    customerEmail,
    canResend: check.refusal === undefined,
    resendRefusal: check.refusal ?? null,
    fixAddress: check.fixAddress === true,
    customerHref: `/equipe/activites/${encodeURIComponent(invoice.activityId)}/facturation?client=${encodeURIComponent(invoice.customer.customerId)}&facture=${encodeURIComponent(invoice.invoiceId)}`,
  };
}

/** What the invoice's page reads of a cancelled invoice's refunds: those recorded, and its credit note (its issue date). */
export interface InvoiceRefunding {
  refunds?: RefundRecord[];
  creditNote?: Pick<InvoiceRecord, 'number' | 'issueDate'>;
}

/**
 * One invoice or credit note with its lines, totals per rate, history, payments and refunds, and its e-mails to the
 * customer.
 */
export function invoiceDetail(invoice: InvoiceRecord, payments: PaymentRecord[], today: string, mailing?: InvoiceMailing, refunding: InvoiceRefunding = {}) {
  const refunds = refunding.refunds ?? [];
  // Refunds are dated from the credit note's issue date; none before it is issued (a cancellation under way).
  const refundFrom = refunding.creditNote?.number !== undefined ? refunding.creditNote.issueDate : undefined;
  return {
    ...invoiceListItem(invoice, today),
    customer: {
      name: invoice.customer.name,
      kind: invoice.customer.kind,
      email: invoice.customer.email,
      address: invoice.customer.address,
      siren: invoice.customer.siren ?? null,
      sirenLabel: invoice.customer.siren ? formatSiren(invoice.customer.siren) : null,
    },
    lines: invoice.lines.map((line) => ({
      description: line.description,
      serviceDate: line.serviceDate,
      quantityHundredths: line.quantityHundredths,
      unit: line.unit,
      unitLabel: priceUnitLabel(line.unit),
      unitPriceCents: line.unitPriceCents,
      vatRate: line.vatRateBps === null ? null : formatBps(line.vatRateBps),
      netCents: line.netCents,
    })),
    perRate: invoice.totals.perRate.map((group) => ({ vatRate: group.vatRateBps === null ? null : formatBps(group.vatRateBps), baseCents: group.baseCents, vatCents: group.vatCents })),
    // `sent` read from the e-mail's mark (decision 42): the invoice's own events, and when its e-mail went.
    history: invoiceHistory(invoice, mailing?.mails ?? []).map((event) => ({ at: event.at, event: event.event, label: eventLabel(event), by: event.by?.name ?? null, reason: event.event === 'cancelled' || event.event === 'held' ? (event.detail === 'reopened' ? null : (event.detail ?? invoice.holdReason ?? null)) : null })),
    payments: payments
      .slice()
      .sort((a, b) => a.date.localeCompare(b.date) || a.recordedAt.localeCompare(b.recordedAt))
      .map((p) => ({ paymentId: p.paymentId, amountCents: p.amountCents, date: p.date, means: p.means, meansLabel: PAYMENT_MEANS_LABELS[p.means], recordedBy: p.recordedBy.name, recordedAt: p.recordedAt })),
    /** Money given back to the customer after the cancellation (decision 54), in the order it went. */
    refunds: refunds
      .slice()
      .sort((a, b) => a.date.localeCompare(b.date) || a.recordedAt.localeCompare(b.recordedAt))
      .map((r) => ({ refundId: r.refundId, amountCents: r.amountCents, date: r.date, means: r.means, meansLabel: PAYMENT_MEANS_LABELS[r.means], note: r.note ?? null, recordedBy: r.recordedBy.name, recordedAt: r.recordedAt })),
    /** The credit note's issue date: a refund is dated from it (a cancelled invoice whose credit note is issued). */
    refundFrom: refundFrom ?? null,
    cancels: invoice.cancels ?? null,
    cancelledBy: invoice.cancelledBy ?? null,
    /** What staff may do with it now. */
    canPay: leftToPay(invoice) > 0,
    canRefund: leftToRefund(invoice) > 0 && refundFrom !== undefined,
    canCancel: invoice.kind === 'invoice' && invoice.status === 'issued',
    canRelease: invoice.status === 'held',
    hasPdf: invoice.number !== undefined,
    mail: mailing && invoice.number !== undefined ? invoiceMailView(invoice, mailing) : null,
  };
}

export const RUN_STATUS_LABELS: Record<InvoicingRunStatus, string> = {
  drafting: 'Brouillons en préparation',
  'awaiting-validation': 'Lot à valider',
  numbering: 'Numérotation en cours',
  sending: 'Envoi des factures et des relevés',
  statements: 'Envoi des relevés',
  done: 'Terminée',
};

/** A month's run as the console shows it: where it stands, its counts, the validation it waits for. */
export function runView(run: InvoicingRunRecord) {
  return {
    month: run.month,
    status: run.status,
    statusLabel: RUN_STATUS_LABELS[run.status],
    trigger: run.trigger,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt ?? null,
    counts: run.counts,
    approvalId: run.approvalId ?? null,
  };
}
