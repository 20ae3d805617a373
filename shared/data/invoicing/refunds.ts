import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError, InvalidInputError, NotFoundError, UnprocessableError } from '../../domain/errors.js';
import { leftToRefund, type InvoiceEvent, type InvoiceRecord, type PaymentMeans, type RefundRecord } from '../../domain/invoicing/records.js';
import { MAX_REFUND_NOTE, PAYMENT_MEANS } from '../../domain/invoicing/staff-input.js';
import { formatEuros } from '../../domain/money.js';
import { formatFrenchDate, isIsoDate } from '../../domain/time.js';
import { keys } from '../../keys.js';
import { db, queryPrefix, tableName } from '../client.js';
import { isConditionFailure } from '../transactions.js';
import { getInvoice } from './invoices.js';
import { jitter, recordOf, transact, type ByWhom } from './items.js';

/*
 * Refunds of a cancelled invoice's payments (decision 54): the customer had paid some or all of an invoice that a
 * credit note then cancelled, and the cooperative gives the money back. Recorded as payments are (payments.ts): one
 * transaction writes the refund and the invoice's `refundedCents`, conditional on the total it read, so that
 * concurrent refunds never give back more than was paid; idempotent by the id its Idempotency-Key gives.
 */

const MAX_ATTEMPTS = 50;

async function getRefund(invoiceId: string, refundId: string): Promise<RefundRecord | undefined> {
  const result = await db().send(new GetCommand({ TableName: tableName(), Key: keys.invoiceRefund(invoiceId, refundId), ConsistentRead: true }));
  return result.Item ? recordOf<RefundRecord>(result.Item) : undefined;
}

/** The refunds of an invoice, by id. */
export async function listRefunds(invoiceId: string): Promise<RefundRecord[]> {
  const prefix = keys.invoiceRefundsPrefix(invoiceId);
  return (await queryPrefix(prefix.pk, prefix.skPrefix, { consistentRead: true })).map((i) => recordOf<RefundRecord>(i));
}

/** A note as kept: trimmed, and none when empty. */
const noteOf = (note: string | undefined) => (note?.trim() ? note.trim() : undefined);

/** The same refund asked for again (a replay of its Idempotency-Key), or another one under the same key. */
const sameRefund = (existing: RefundRecord, input: { amountCents: number; date: string; means: PaymentMeans; note?: string }) =>
  existing.amountCents === input.amountCents && existing.date === input.date && existing.means === input.means && (existing.note ?? '') === (noteOf(input.note) ?? '');

/**
 * Records money given back to the customer of a cancelled invoice: at most what they paid less what was already
 * refunded, checked by a condition on the invoice's `refundedCents` (and `paidCents`) in the same transaction as the
 * refund's item, which carries the payments' index entries (by activity for the statements, by month for the accounting
 * export). Dated from the credit note's issue date (the day the customer became owed it). Idempotent by `refundId`
 * (from the Idempotency-Key): a repeat returns the refund recorded (`created: false`); the same id for another refund is
 * a 409. Every refusal writes nothing.
 */
export async function recordRefund(input: {
  invoiceId: string;
  refundId: string;
  amountCents: number;
  date: string;
  means: PaymentMeans;
  note?: string;
  by: ByWhom;
  now?: Date;
}): Promise<{ refund: RefundRecord; invoice: InvoiceRecord; created: boolean }> {
  if (!Number.isSafeInteger(input.amountCents) || input.amountCents <= 0) {
    throw new InvalidInputError('Le montant du remboursement est invalide.', [{ field: 'amountCents', message: 'Un montant positif, en centimes entiers.' }]);
  }
  if (!isIsoDate(input.date)) throw new InvalidInputError('La date du remboursement est invalide.', [{ field: 'date', message: 'Date invalide (AAAA-MM-JJ).' }]);
  if (!(PAYMENT_MEANS as readonly PaymentMeans[]).includes(input.means)) throw new InvalidInputError('Le moyen de remboursement est inconnu.', [{ field: 'means', message: `Un de : ${PAYMENT_MEANS.join(', ')}.` }]);
  const note = noteOf(input.note);
  if (note !== undefined && note.length > MAX_REFUND_NOTE) throw new InvalidInputError('La note est trop longue.', [{ field: 'note', message: `${MAX_REFUND_NOTE} caractères au maximum.` }]);
  const now = (input.now ?? new Date()).toISOString();
  const table = tableName();
  let creditNote: InvoiceRecord | undefined;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const [invoice, existing] = await Promise.all([getInvoice(input.invoiceId), getRefund(input.invoiceId, input.refundId)]);
    if (!invoice) throw new NotFoundError('Facture introuvable.');
    if (existing) {
      if (!sameRefund(existing, input)) throw new ConflictError("Cette clé d'idempotence a déjà servi pour un autre remboursement.");
      return { refund: existing, invoice, created: false };
    }
    if (invoice.kind !== 'invoice') throw new ConflictError("Un avoir ne se rembourse pas : enregistrez le remboursement sur la facture qu'il annule.");
    if (invoice.status !== 'cancelled' || !invoice.cancelledBy) {
      throw new ConflictError("Seule une facture annulée par un avoir se rembourse : sur une facture en cours, ce que le client a payé vient en déduction de ce qu'il doit.");
    }
    // The credit note is what makes the customer owed the money back: issued, it never changes.
    creditNote ??= await getInvoice(invoice.cancelledBy);
    if (!creditNote?.number || !creditNote.issueDate) throw new ConflictError("L'avoir qui annule cette facture n'est pas encore émis : rechargez la page dans une minute.");
    if (input.date < creditNote.issueDate) {
      throw new InvalidInputError("La date du remboursement précède l'annulation.", [
        { field: 'date', message: `Le ${formatFrenchDate(creditNote.issueDate)} au plus tôt : le jour de l'avoir n° ${creditNote.number}.` },
      ]);
    }
    const refunded = invoice.refundedCents ?? 0;
    const left = leftToRefund(invoice);
    if (left <= 0) {
      throw new ConflictError(
        invoice.paidCents === 0
          ? "Le client n'a rien payé sur cette facture : il n'y a rien à lui rembourser."
          : `Cette facture est déjà remboursée en entier (${formatEuros(refunded)}).`,
      );
    }
    if (input.amountCents > left) {
      // Well-formed, but more than the customer paid and was not given back yet: a 422, nothing written.
      throw new UnprocessableError(`Le montant dépasse ce qui reste à rembourser (${formatEuros(left)}).`, [{ field: 'amountCents', message: `Au plus ${formatEuros(left)} : ce qui reste à rembourser.` }]);
    }
    const refund: RefundRecord = {
      invoiceId: input.invoiceId,
      activityId: invoice.activityId,
      refundId: input.refundId,
      invoiceNumber: invoice.number!,
      creditNoteNumber: creditNote.number,
      amountCents: input.amountCents,
      date: input.date,
      means: input.means,
      ...(note !== undefined ? { note } : {}),
      recordedBy: input.by,
      recordedAt: now,
    };
    const total = refunded + input.amountCents;
    const event: InvoiceEvent = { at: now, event: 'refund', by: input.by, detail: `${input.amountCents}` };
    try {
      await transact([
        {
          Update: {
            TableName: table,
            Key: keys.invoice(input.invoiceId),
            UpdateExpression: 'SET refundedCents = :refunded, history = list_append(history, :event), updatedAt = :now',
            // The totals as read: another refund meanwhile (or, before decision 54's first one, none) makes this one read again.
            ConditionExpression: `#status = :cancelled AND paidCents = :paid AND ${refunded === 0 ? '(attribute_not_exists(refundedCents) OR refundedCents = :read)' : 'refundedCents = :read'}`,
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':refunded': total, ':read': refunded, ':paid': invoice.paidCents, ':cancelled': 'cancelled', ':event': [event], ':now': now },
          },
        },
        {
          Put: {
            TableName: table,
            // The payments' index entries, on the refund's item: by activity (statements) and by month (the export).
            Item: {
              ...keys.invoiceRefund(input.invoiceId, input.refundId),
              ...keys.activityPaymentEntry(invoice.activityId, input.date, input.invoiceId, input.refundId),
              ...keys.monthPaymentEntry(invoice.activityId, input.date, input.invoiceId, input.refundId),
              type: 'invoice-refund',
              ...refund,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ]);
      return { refund, invoice: { ...invoice, refundedCents: total, history: [...invoice.history, event], updatedAt: now }, created: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      await jitter(attempt);
    }
  }
  throw new ConflictError('Trop de remboursements simultanés sur cette facture : recommencez.');
}
