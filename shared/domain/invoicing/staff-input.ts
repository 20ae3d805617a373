import * as z from 'zod/mini';
import { cents, isoDate } from '../activities.js';
import { choice, optionalText, text } from '../validation.js';
import type { PaymentMeans } from './records.js';

/** What staff send to the invoicing routes (functions/invoicing/staff-api.ts); messages in French, field by field. */

export const PAYMENT_MEANS = ['virement', 'cheque', 'especes', 'carte', 'prelevement'] as const satisfies readonly PaymentMeans[];

/** The most a single payment may be: far above any invoice of an activity, far below what a safe integer holds. */
export const MAX_PAYMENT_CENTS = 10_000_000;

/** `POST /api/staff/invoices/{invoiceId}/payments`: a payment received, full or partial. */
export const paymentSchema = z.strictObject(
  {
    amountCents: cents({ min: 1, max: MAX_PAYMENT_CENTS, label: 'Montant' }),
    date: isoDate('Date du paiement'),
    means: choice(PAYMENT_MEANS, 'Moyen de paiement inconnu : virement, chèque, espèces, carte ou prélèvement.'),
  },
  'Le contenu doit être un objet JSON.',
);

/** The longest note staff may keep on a refund (a cheque number, a transfer reference). */
export const MAX_REFUND_NOTE = 500;

/**
 * `POST /api/staff/invoices/{invoiceId}/refunds`: money given back to the customer of a cancelled invoice (decision 54),
 * with the means of payments and an optional note.
 */
export const refundSchema = z.strictObject(
  {
    amountCents: cents({ min: 1, max: MAX_PAYMENT_CENTS, label: 'Montant' }),
    date: isoDate('Date du remboursement'),
    means: choice(PAYMENT_MEANS, 'Moyen de remboursement inconnu : virement, chèque, espèces, carte ou prélèvement.'),
    note: optionalText(MAX_REFUND_NOTE),
  },
  'Le contenu doit être un objet JSON.',
);

/** `POST /api/staff/invoices/{invoiceId}/cancellation`: why the invoice is cancelled (kept on its history and its credit note). */
export const cancellationSchema = z.strictObject({ reason: text({ min: 5, max: 500 }) }, 'Le contenu doit être un objet JSON.');

/** `POST /api/staff/invoicing/runs`: the month to invoice, YYYY-MM. */
export const startRunSchema = z.strictObject(
  { month: text({ max: 7 }).check(z.regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'Un mois au format AAAA-MM.')) },
  'Le contenu doit être un objet JSON.',
);

/**
 * `POST /api/staff/invoices/{invoiceId}/resend`: the address the page showed staff, which must still be the customer's
 * (the invoice goes to the customer's e-mail as it is now, never to an address typed here).
 */
export const resendSchema = z.strictObject({ email: text({ min: 3, max: 254 }) }, 'Le contenu doit être un objet JSON.');
