import type { CooperativeSettings } from '../../infra/config.js';
import type { InvoiceRecord } from '../domain/invoicing/records.js';
import { tradeNameOf, type ActivityRecord, type PriceUnit } from '../domain/activities.js';
import { invoiceTotals, type InvoiceTotals, type VatMode } from '../domain/invoicing/amounts.js';
import type { CustomerDetails, PostalAddress } from '../domain/invoicing/customers.js';
import { dueDate as dueDateOf } from '../domain/invoicing/terms.js';

/**
 * The invoice or credit note as its renderers take it (the PDF, the Factur-X XML): everything already decided and
 * computed, so both print the same figures. A stored invoice or credit note becomes one by `documentOfRecord`, the
 * only mapping of a record (the run, the staff's download); `buildInvoiceDocument` builds one from the cooperative's
 * settings, the activity and the customer (tests, benchmarks); a credit note repeats the cancelled invoice's lines
 * (positive amounts, type 381).
 */

export type InvoiceKind = 'invoice' | 'credit-note';

/** UN/ECE Recommendation 20 code of each price unit (EN 16931 BT-130). */
export const UNIT_CODES: Record<PriceUnit, string> = { heure: 'HUR', forfait: 'LS', unite: 'C62', m2: 'MTK', km: 'KMT', jour: 'DAY' };

/**
 * A line's unit code (BT-130): its unit's, or "one" (C62) for a unit the price lists no longer have, which a stored
 * invoice keeps as it was drafted; its name is on the PDF's line (decision 56).
 */
export const unitCode = (unit: string): string => UNIT_CODES[unit as PriceUnit] ?? 'C62';

export interface InvoiceSeller {
  /** The cooperative, the legal seller. */
  name: string;
  legalForm: string;
  rcs: string;
  siren: string;
  vatNumber?: string;
  address: PostalAddress;
  email: string;
  phone: string;
  bank: { iban: string; bic: string };
  /** The activity's trade name ("enseigne", BT-28) and its name. */
  tradeName: string;
  activityName: string;
}

export type InvoiceBuyer = CustomerDetails;

/** A line as declared: what was delivered, when, how much, at which price and rate. */
export interface InvoiceLineInput {
  description: string;
  /** YYYY-MM-DD: the day the service was delivered. */
  serviceDate: string;
  quantityHundredths: number;
  /** A price unit (`PRICE_UNITS`), or one a stored invoice kept after the lists stopped offering it. */
  unit: string;
  /** Excluding VAT. */
  unitPriceCents: number;
  /** Null under the franchise. */
  vatRateBps: number | null;
}

/** A line as invoiced: its net amount rounded (amounts.ts). */
export interface InvoiceDocumentLine extends InvoiceLineInput {
  netCents: number;
}

export interface InvoiceDocument {
  kind: InvoiceKind;
  /** `2027-000123`. */
  number: string;
  issueDate: string;
  /** Invoices only: issue date + the payment terms. */
  dueDate?: string;
  paymentTermsDays: number;
  /** First and last service dates of the lines (the billing period, BG-14). */
  servicePeriod: { start: string; end: string };
  seller: InvoiceSeller;
  buyer: InvoiceBuyer;
  lines: InvoiceDocumentLine[];
  totals: InvoiceTotals;
  vatMode: VatMode;
  /** Credit notes only: the invoice it cancels (BT-25, BT-26). */
  cancels?: { number: string; issueDate: string };
}

export interface BuildInvoiceInput {
  number: string;
  issueDate: string;
  cooperative: CooperativeSettings;
  activity: { name: string; tradeName: string };
  customer: CustomerDetails;
  lines: readonly InvoiceLineInput[];
}

/** The cooperative and the activity as the seller of an invoice: the activity's trade name, its name when it has none. */
export function sellerOf(cooperative: CooperativeSettings, activity: Pick<ActivityRecord, 'name' | 'tradeName'>): InvoiceSeller {
  const seller: InvoiceSeller = {
    name: cooperative.name,
    legalForm: cooperative.legalForm,
    rcs: cooperative.rcs,
    siren: cooperative.siren,
    address: cooperative.postalAddress,
    email: cooperative.email,
    phone: cooperative.phone,
    bank: cooperative.bank,
    tradeName: tradeNameOf(activity),
    activityName: activity.name,
  };
  if (cooperative.vatNumber) seller.vatNumber = cooperative.vatNumber;
  return seller;
}

/** An invoice: the lines in service-date order, their totals, the due date from the cooperative's terms. */
export function buildInvoiceDocument(input: BuildInvoiceInput): InvoiceDocument {
  if (input.lines.length === 0) throw new RangeError('an invoice needs at least one line');
  const { vatMode, paymentTermsDays } = input.cooperative;
  const ordered = [...input.lines].sort((a, b) => a.serviceDate.localeCompare(b.serviceDate));
  const totals = invoiceTotals(ordered, vatMode);
  const lines = ordered.map((line, index) => ({ ...line, vatRateBps: vatMode === 'franchise' ? null : line.vatRateBps, netCents: totals.lines[index].netCents }));
  return {
    kind: 'invoice',
    number: input.number,
    issueDate: input.issueDate,
    dueDate: dueDateOf(input.issueDate, paymentTermsDays),
    paymentTermsDays,
    servicePeriod: { start: lines[0].serviceDate, end: lines[lines.length - 1].serviceDate },
    seller: sellerOf(input.cooperative, input.activity),
    buyer: input.customer,
    lines,
    totals,
    vatMode,
  };
}

/** The credit note that cancels an invoice in full: the same parties, lines and totals, its own number and date. */
export function creditNoteOf(invoice: InvoiceDocument, number: string, issueDate: string): InvoiceDocument {
  if (invoice.kind !== 'invoice') throw new RangeError('only an invoice can be cancelled by a credit note');
  const { dueDate: _due, ...rest } = invoice;
  return { ...rest, kind: 'credit-note', number, issueDate, cancels: { number: invoice.number, issueDate: invoice.issueDate } };
}

/** "facture-2027-000123.pdf", "avoir-2027-000124.pdf". */
export function documentFileName(doc: Pick<InvoiceDocument, 'kind' | 'number'>, extension = 'pdf'): string {
  return `${doc.kind === 'credit-note' ? 'avoir' : 'facture'}-${doc.number}.${extension}`;
}

/**
 * The totals of a stored invoice by the renderers' rules (EN 16931 categories per rate), computed again from its
 * lines: they must equal the stored ones. A record whose lines carry no VAT rate was drafted under the franchise.
 */
export function recordTotals(record: Pick<InvoiceRecord, 'invoiceId' | 'lines' | 'totals'>): { vatMode: VatMode; totals: InvoiceTotals } {
  const vatMode: VatMode = record.lines.every((line) => line.vatRateBps === null) ? 'franchise' : 'vat';
  const totals = invoiceTotals(record.lines, vatMode);
  if (totals.grossCents !== record.totals.grossCents) throw new RangeError(`invoice ${record.invoiceId}: totals differ from the stored ones`);
  return { vatMode, totals };
}

/**
 * The document of an invoice or credit note as stored (numbered): its lines and customer as they were drafted, its
 * number and dates, the totals computed again by the same rules (they must equal the stored ones). A record whose
 * lines carry no VAT rate was drafted under the franchise. The ONE mapping of a stored invoice to its document: the
 * run's PDF (run-steps.ts `sendInvoices`), the staff's download and anything else rendering a stored invoice call
 * it, so the due date (the stored one) and the seller's trade name (`tradeNameOf`) cannot differ between them.
 * Pure and cheap (no read): the run calls it once per invoice with the activities of a batch read at once.
 */
export function documentOfRecord(record: InvoiceRecord, cooperative: CooperativeSettings, activity: Pick<ActivityRecord, 'name' | 'tradeName'>): InvoiceDocument {
  if (!record.number || !record.issueDate) throw new RangeError(`invoice ${record.invoiceId} is not numbered`);
  const { vatMode, totals } = recordTotals(record);
  const dates = record.lines.map((line) => line.serviceDate).sort();
  const { customer } = record;
  return {
    kind: record.kind,
    number: record.number,
    issueDate: record.issueDate,
    // Set at numbering (issue date + the cooperative's terms); the same rule for a record numbered without one.
    ...(record.kind === 'invoice' ? { dueDate: record.dueDate ?? dueDateOf(record.issueDate, cooperative.paymentTermsDays) } : {}),
    paymentTermsDays: cooperative.paymentTermsDays,
    servicePeriod: { start: dates[0]!, end: dates[dates.length - 1]! },
    seller: sellerOf(cooperative, activity),
    buyer: { kind: customer.kind, name: customer.name, address: customer.address, email: customer.email, ...(customer.siren ? { siren: customer.siren } : {}), ...(customer.vatNumber ? { vatNumber: customer.vatNumber } : {}) },
    lines: record.lines.map((line, index) => ({
      description: line.description,
      serviceDate: line.serviceDate,
      quantityHundredths: line.quantityHundredths,
      unit: line.unit,
      unitPriceCents: line.unitPriceCents,
      vatRateBps: vatMode === 'franchise' ? null : line.vatRateBps,
      netCents: totals.lines[index]!.netCents,
    })),
    totals,
    vatMode,
    ...(record.cancels ? { cancels: { number: record.cancels.number, issueDate: record.cancels.issueDate } } : {}),
  };
}
