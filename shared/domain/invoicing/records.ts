/**
 * What the monthly invoicing stores (shared/data/invoicing/): customers and declarations in the activity's
 * partition, invoices and credit notes in their own, the numbering's blocks. Money in integer cents, rates in basis
 * points (`null`: no VAT), quantities in hundredths, dates YYYY-MM-DD and months YYYY-MM in Europe/Paris.
 */

import type { CustomerKind, PostalAddress } from './customers.js';
import type { ChaseStep } from './terms.js';

export type { CustomerKind, PostalAddress };

/** A customer of one activity, reused from month to month. */
export interface CustomerRecord {
  activityId: string;
  customerId: string;
  kind: CustomerKind;
  name: string;
  address: PostalAddress;
  email: string;
  /** Businesses: 9 digits, Luhn-checked by shared/domain/invoicing/customers.ts before it is stored. */
  siren?: string;
  vatNumber?: string;
  /** The hash of the request that created it under an Idempotency-Key: the same key with another content is refused. */
  payloadHash?: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** What a customer is made of, as a form sends it. */
export type CustomerFields = Pick<CustomerRecord, 'kind' | 'name' | 'address' | 'email' | 'siren' | 'vatNumber'>;

/** One line of a declaration: from the price list in force on the service date (`priceLineId`), or a free price. */
export interface DeclarationLine {
  description: string;
  /** 150 = 1,5. */
  quantityHundredths: number;
  unit: string;
  /** Excluding VAT. */
  unitPriceCents: number;
  /** 2000 = 20 %; `null`: no VAT (franchise). */
  vatRateBps: number | null;
  priceLineId?: string;
}

/**
 * Who declared: a member of the activity (their referral) or staff (their id), and the name shown. Staff declare on
 * a member's behalf: `forMember` is that member (the one member of a personal activity, the one chosen in a collective).
 */
export type DeclaredBy = { referralId: string; name: string } | { staffId: string; name: string; forMember?: { referralId: string; name: string } };

/** Who declared as a page shows it: "Léa Martin", or "Camille Martin (équipe) pour Léa Martin". */
export function declaredByLabel(declaredBy: DeclaredBy): string {
  if (!('staffId' in declaredBy)) return declaredBy.name;
  return `${declaredBy.name} (équipe)${declaredBy.forMember ? ` pour ${declaredBy.forMember.name}` : ''}`;
}

export type DeclarationStatus = 'open' | 'invoiced';

/** Services delivered to one customer on one day, declared during the month. */
export interface DeclarationRecord {
  activityId: string;
  declarationId: string;
  /** The service date's month: the month it is invoiced with. */
  month: string;
  customerId: string;
  serviceDate: string;
  lines: DeclarationLine[];
  declaredBy: DeclaredBy;
  /** `invoiced` while its month is locked for invoicing (read from the month's lock): it can no longer be corrected. */
  status: DeclarationStatus;
  /** The hash of the request that created it under an Idempotency-Key: the same key with another content is refused. */
  payloadHash?: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** What a declaration is made of, as a form sends it. */
export type DeclarationFields = Pick<DeclarationRecord, 'customerId' | 'serviceDate' | 'lines'>;

/**
 * An activity's month for invoicing. `drafted`: drafting has begun, declarations are frozen until the month is
 * issued (no declaration slips in between drafting and numbering); `open`: staff reopened it after a hold, so that
 * members can correct their declarations before a new draft. No item, or an item without a status (only `changes`):
 * the month was never drafted.
 */
export type MonthLockStatus = 'open' | 'drafted';

export interface MonthLockRecord {
  activityId: string;
  month: string;
  status: MonthLockStatus;
  lockedAt: string;
  updatedAt: string;
  /**
   * How many times the month changed for drafting: each write of one of its declarations, each reopening (decision
   * 36). Drafting reads it before the declarations and writes only if it is still the same.
   */
  changes?: number;
}

/** A line as invoiced: the declaration's line, where it comes from, and its amount excluding VAT. */
export interface InvoiceLine extends DeclarationLine {
  declarationId: string;
  serviceDate: string;
  netCents: number;
}

/** One VAT group of an invoice (EN 16931 BG-23): the base and the VAT on it. `null` rate: no VAT (franchise). */
export interface VatGroup {
  vatRateBps: number | null;
  baseCents: number;
  vatCents: number;
}

export interface InvoiceTotals {
  netCents: number;
  vatCents: number;
  grossCents: number;
  perRate: VatGroup[];
}

export type InvoiceKind = 'invoice' | 'credit-note';

/**
 * `draft` until numbered, `held` by staff at validation (with a reason for the members), `issued` once numbered
 * (immutable from then on), `cancelled` by a credit note.
 */
export type InvoiceStatus = 'draft' | 'held' | 'issued' | 'cancelled';

/** Stages of the chase of an unpaid invoice: reminders at due + 7 and + 30 days, late at + 45 (terms.ts). */
export type ChaseStage = ChaseStep;

/**
 * What happens to an invoice, its e-mails to the customer included: `undelivered` (an e-mail to the customer bounced),
 * `complained` (the customer reported one as spam), `resent` (staff sent it again to the customer's corrected address).
 */
export type InvoiceEventKind = 'drafted' | 'redrafted' | 'held' | 'released' | 'issued' | 'cancelled' | 'payment' | 'refund' | 'sent' | 'undelivered' | 'complained' | 'resent' | ChaseStage;

/**
 * One line of an invoice's history: no personal data beyond the actor's name, except the customer's e-mail address in
 * `detail` of the e-mail events (`undelivered`, `complained`, `resent`), which staff need to tell one address from
 * another; the invoice holds the customer's address already, and logs never see it.
 */
export interface InvoiceEvent {
  at: string;
  event: InvoiceEventKind;
  by?: { id: string; name: string };
  detail?: string;
}

/** An invoice or a credit note. */
export interface InvoiceRecord {
  invoiceId: string;
  kind: InvoiceKind;
  activityId: string;
  /** Invoices: the month of the services. Credit notes: the month of their issue. */
  month: string;
  /** The customer as they were when drafted. */
  customer: Omit<CustomerRecord, 'version' | 'createdAt' | 'updatedAt'>;
  lines: InvoiceLine[];
  totals: InvoiceTotals;
  declarationIds: string[];
  status: InvoiceStatus;
  holdReason?: string;
  /** `YYYY-NNNNNN`, given at issue (shared/domain/invoicing/numbers.ts). */
  number?: string;
  issueDate?: string;
  /** Invoices only. */
  dueDate?: string;
  /** The credit note: the invoice it cancels. */
  cancels?: { invoiceId: string; number: string; issueDate: string };
  /** The cancelled invoice: its credit note. */
  cancelledBy?: string;
  /** The numbering batch that claimed this invoice: from then on it can be neither held nor redrafted, nor claimed by another batch. */
  numberingKey?: string;
  paidCents: number;
  /**
   * A cancelled invoice: what was given back to the customer of what they had paid (refunds, decision 54), never above
   * `paidCents`. Absent until the first refund.
   */
  refundedCents?: number;
  /** The stages of the chase already done (a first reminder skipped by a catch-up is not among them). */
  chase?: ChaseStage[];
  /** When staff's late flag was set (the `late` stage): the invoice is then on the late list until paid or cancelled. */
  lateSince?: string;
  history: InvoiceEvent[];
  createdAt: string;
  updatedAt: string;
}

/** What the drafting is given for one invoice: the caller computed lines and totals (shared/domain/invoicing/amounts.ts). */
export type InvoiceDraft = Pick<InvoiceRecord, 'customer' | 'lines' | 'totals' | 'declarationIds'>;

export type PaymentMeans = 'virement' | 'cheque' | 'especes' | 'carte' | 'prelevement';

/** Each means of payment as a person reads it (statements, pages). */
export const PAYMENT_MEANS_LABELS: Record<PaymentMeans, string> = { virement: 'virement', cheque: 'chèque', especes: 'espèces', carte: 'carte bancaire', prelevement: 'prélèvement' };

export interface PaymentRecord {
  invoiceId: string;
  /** The invoice's activity (its statements, the month's payments across activities). */
  activityId: string;
  /** From the request's Idempotency-Key: a replayed request finds the same payment. */
  paymentId: string;
  amountCents: number;
  /** The day the money was received. */
  date: string;
  means: PaymentMeans;
  recordedBy: { id: string; name: string };
  recordedAt: string;
}

/**
 * Money given back to the customer of a cancelled invoice, out of what they had paid (decision 54): in the invoice's
 * partition beside its payments, and in the same activity and month indexes as the payments (the statements and the
 * accounting export read both in one query), told apart by the item's `type` (`invoice-refund`).
 */
export interface RefundRecord {
  invoiceId: string;
  activityId: string;
  /** From the request's Idempotency-Key: a replayed request finds the same refund. */
  refundId: string;
  /** The cancelled invoice's number and its credit note's (the piece the refund settles), as the export and statements print them. */
  invoiceNumber: string;
  creditNoteNumber: string;
  amountCents: number;
  /** The day the money went back to the customer (Paris), not before the credit note's issue date. */
  date: string;
  means: PaymentMeans;
  /** Staff's own words (a cheque number, a transfer reference): shown on the invoice's page only, never logged. */
  note?: string;
  recordedBy: { id: string; name: string };
  recordedAt: string;
}

/**
 * What is still owed back to the customer of a cancelled invoice: what they paid less what was refunded (decision 54;
 * 0 on any other invoice or credit note).
 */
export const leftToRefund = (invoice: Pick<InvoiceRecord, 'kind' | 'status' | 'paidCents' | 'refundedCents'>): number =>
  invoice.kind === 'invoice' && invoice.status === 'cancelled' ? invoice.paidCents - (invoice.refundedCents ?? 0) : 0;

/**
 * Numbers bound to invoices, in order: `first` goes to `invoiceIds[0]`, `first + 1` to the next. Written in the
 * same transaction as the year's counter, so the blocks of a year tile 1..n.
 */
export interface NumberBlock {
  year: string;
  first: number;
  count: number;
  invoiceIds: string[];
  /** The numbering batch, and which of its chunks reserved the block: a retry of the batch finds it instead of taking new numbers. */
  batchKey: string;
  chunk: number;
  issueDate: string;
  dueDate?: string;
  reservedAt: string;
  /** Its invoices were issued in the block's own transaction (decision 37); a block without it is applied after. */
  applied?: boolean;
}

/** One invoice per customer per activity per month: drafting it again finds the same one. */
export const invoiceIdFor = (activityId: string, month: string, customerId: string) => `inv-${activityId}-${month}-${customerId}`;

/** An invoice has at most one credit note. */
export const creditNoteIdFor = (invoiceId: string) => `cn-${invoiceId}`;

/**
 * Where the PDF of a numbered invoice or credit note is kept in the documents bucket, under the mail attachments'
 * `invoices/` prefix: written once when it is issued, e-mailed from there, and read from there by the members' space.
 * @example invoicePdfKey({ invoiceId: 'inv-a-2027-03-c', number: '2027-000123' }) // 'invoices/2027/inv-a-2027-03-c.pdf'
 */
export const invoicePdfKey = (invoice: { invoiceId: string; number: string }) => `invoices/${invoice.number.slice(0, 4)}/${invoice.invoiceId}.pdf`;

/**
 * The outbox files a customer's messages about an invoice (the invoice's e-mail, its reminders) under the invoice's id
 * in place of a person's: customers are not people of the path, and one invoice's messages are then read together.
 * The one owner of every such message (docs/architecture.md says why).
 */
export const invoiceOutboxOwner = (invoiceId: string) => invoiceId;
