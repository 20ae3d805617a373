import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError, InvalidInputError, NotFoundError, UnprocessableError } from '../../domain/errors.js';
import type { InvoiceEvent, InvoiceRecord, PaymentMeans, PaymentRecord, RefundRecord } from '../../domain/invoicing/records.js';
import { PAYMENT_MEANS } from '../../domain/invoicing/staff-input.js';
import { formatEuros } from '../../domain/money.js';
import { formatFrenchDate, isIsoDate } from '../../domain/time.js';
import { INDEX, keys } from '../../keys.js';
import { db, queryAll, queryPrefix, tableName } from '../client.js';
import { isConditionFailure } from '../transactions.js';
import { getInvoice, INVOICE_SHARDS } from './invoices.js';
import { jitter, recordOf, transact, type ByWhom } from './items.js';

const MAX_ATTEMPTS = 50;

async function getPayment(invoiceId: string, paymentId: string): Promise<PaymentRecord | undefined> {
  const result = await db().send(new GetCommand({ TableName: tableName(), Key: keys.invoicePayment(invoiceId, paymentId), ConsistentRead: true }));
  return result.Item ? recordOf<PaymentRecord>(result.Item) : undefined;
}

/** The payments of an invoice, by id. */
export async function listPayments(invoiceId: string): Promise<PaymentRecord[]> {
  const prefix = keys.invoicePaymentsPrefix(invoiceId);
  return (await queryPrefix(prefix.pk, prefix.skPrefix, { consistentRead: true })).map((i) => recordOf<PaymentRecord>(i));
}

/**
 * A month's money of one activity or of all: the payments received and the refunds given back (decision 54). Both sit
 * in the payments' index partitions, told apart by their item's `type`: one query reads them together.
 */
export interface MonthMoney {
  payments: PaymentRecord[];
  refunds: RefundRecord[];
}

/** Index items split by their type: a refund's (`invoice-refund`), or a payment's. */
function moneyOf(items: readonly Record<string, unknown>[]): MonthMoney {
  const money: MonthMoney = { payments: [], refunds: [] };
  for (const item of items) {
    if (item.type === 'invoice-refund') money.refunds.push(recordOf<RefundRecord>(item));
    else money.payments.push(recordOf<PaymentRecord>(item));
  }
  return money;
}

/**
 * The payments received and the refunds given back during a month (by their date, `YYYY-MM`) for any invoice of an
 * activity, whatever the month of the invoice: what its monthly statement shows. By date, then invoice.
 */
export async function listActivityMoney(activityId: string, month: string): Promise<MonthMoney> {
  const items = await queryAll({
    IndexName: INDEX.activityPayments,
    KeyConditionExpression: 'gsi2pk = :pk AND begins_with(gsi2sk, :month)',
    ExpressionAttributeValues: { ':pk': keys.activityPaymentsPartition(activityId), ':month': `${month}-` },
  });
  return moneyOf(items);
}

/** The payments received during a month for any invoice of an activity (`listActivityMoney` without the refunds). */
export async function listActivityPayments(activityId: string, month: string): Promise<PaymentRecord[]> {
  return (await listActivityMoney(activityId, month)).payments;
}

/** One shard of the payments and refunds of a month (by their date), by date. */
async function listMonthMoneyOfShard(month: string, shard: string): Promise<Record<string, unknown>[]> {
  return queryAll({ IndexName: INDEX.monthPayments, KeyConditionExpression: 'gsi3pk = :pk', ExpressionAttributeValues: { ':pk': keys.monthPaymentsPartition(month, shard) } });
}

/**
 * Every payment received and every refund given back during a month (its date, `YYYY-MM`), for invoices of any
 * activity and any month: what the month's accounting export journals (money is entered on the day it moved). The
 * shards are read in parallel, never a scan. Each list by date, then invoice and id.
 */
export async function listMonthMoney(month: string): Promise<MonthMoney> {
  const { payments, refunds } = moneyOf((await Promise.all(INVOICE_SHARDS.map((shard) => listMonthMoneyOfShard(month, shard)))).flat());
  return {
    payments: payments.sort((a, b) => `${a.date}#${a.invoiceId}#${a.paymentId}`.localeCompare(`${b.date}#${b.invoiceId}#${b.paymentId}`)),
    refunds: refunds.sort((a, b) => `${a.date}#${a.invoiceId}#${a.refundId}`.localeCompare(`${b.date}#${b.invoiceId}#${b.refundId}`)),
  };
}

/** Every payment received during a month (`listMonthMoney` without the refunds). By date, then invoice and payment. */
export async function listMonthPayments(month: string): Promise<PaymentRecord[]> {
  return (await listMonthMoney(month)).payments;
}

/**
 * The activities that received a payment or gave a refund during a month (of an invoice of that month or an earlier
 * one), sorted: the monthly run issues a statement for each of them, as for those invoiced in the month, so that a month
 * with money moved but no invoice still gets its statement.
 */
export async function activitiesWithPaymentsIn(month: string): Promise<string[]> {
  const { payments, refunds } = await listMonthMoney(month);
  return [...new Set([...payments, ...refunds].map((p) => p.activityId))].sort();
}

/**
 * Records a payment, full or partial, of an issued invoice: at most what is still due, checked by a condition on the
 * invoice's paid total in the same transaction (concurrent payments never exceed the total: each retries on the
 * total it did not expect). The invoice leaves the unpaid index once paid in full. Idempotent by `paymentId` (from
 * the Idempotency-Key): a repeat returns the payment recorded (`created: false`); the same id for another payment is a 409.
 */
export async function recordPayment(input: { invoiceId: string; paymentId: string; amountCents: number; date: string; means: PaymentMeans; by: ByWhom; now?: Date }): Promise<{ payment: PaymentRecord; invoice: InvoiceRecord; created: boolean }> {
  if (!Number.isSafeInteger(input.amountCents) || input.amountCents <= 0) {
    throw new InvalidInputError('Le montant du paiement est invalide.', [{ field: 'amountCents', message: 'Un montant positif, en centimes entiers.' }]);
  }
  if (!isIsoDate(input.date)) throw new InvalidInputError('La date du paiement est invalide.', [{ field: 'date', message: 'Date invalide (AAAA-MM-JJ).' }]);
  if (!(PAYMENT_MEANS as readonly PaymentMeans[]).includes(input.means)) throw new InvalidInputError('Le moyen de paiement est inconnu.', [{ field: 'means', message: `Un de : ${PAYMENT_MEANS.join(', ')}.` }]);
  const now = (input.now ?? new Date()).toISOString();
  const table = tableName();
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const [invoice, existing] = await Promise.all([getInvoice(input.invoiceId), getPayment(input.invoiceId, input.paymentId)]);
    if (!invoice) throw new NotFoundError('Facture introuvable.');
    if (existing) {
      if (existing.amountCents !== input.amountCents || existing.date !== input.date || existing.means !== input.means) {
        throw new ConflictError("Cette clé d'idempotence a déjà servi pour un autre paiement.");
      }
      return { payment: existing, invoice, created: false };
    }
    if (invoice.kind !== 'invoice' || invoice.status !== 'issued') throw new ConflictError('Seule une facture émise, non annulée, reçoit des paiements.');
    // Money for a month's services is received from that month on (an advance at the earliest): a date before it is a
    // typing slip, and would put the payment in a month's journal already closed.
    const earliest = `${invoice.month}-01`;
    if (input.date < earliest) {
      throw new InvalidInputError('La date du paiement précède le mois facturé.', [{ field: 'date', message: `Le ${formatFrenchDate(earliest)} au plus tôt : le premier jour du mois facturé.` }]);
    }
    const due = invoice.totals.grossCents - invoice.paidCents;
    if (input.amountCents > due) {
      // Well-formed, but more than this invoice can take: a 422, nothing written.
      throw new UnprocessableError(`Le montant dépasse le reste à payer (${formatEuros(due)}).`, [{ field: 'amountCents', message: `Au plus ${formatEuros(due)} : le reste à payer.` }]);
    }
    const payment: PaymentRecord = { invoiceId: input.invoiceId, activityId: invoice.activityId, paymentId: input.paymentId, amountCents: input.amountCents, date: input.date, means: input.means, recordedBy: input.by, recordedAt: now };
    const paid = invoice.paidCents + input.amountCents;
    const event: InvoiceEvent = { at: now, event: 'payment', by: input.by, detail: `${input.amountCents}` };
    try {
      await transact([
        {
          Update: {
            TableName: table,
            Key: keys.invoice(input.invoiceId),
            UpdateExpression: `SET paidCents = :paid, history = list_append(history, :event), updatedAt = :now${paid === invoice.totals.grossCents ? ' REMOVE gsi1pk, gsi1sk' : ''}`,
            ConditionExpression: '#status = :issued AND paidCents = :read',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':paid': paid, ':read': invoice.paidCents, ':issued': 'issued', ':event': [event], ':now': now },
          },
        },
        {
          Put: {
            TableName: table,
            // Its index entries are on the item, so written with it: by activity (statements) and by month (the export).
            Item: {
              ...keys.invoicePayment(input.invoiceId, input.paymentId),
              ...keys.activityPaymentEntry(invoice.activityId, input.date, input.invoiceId, input.paymentId),
              ...keys.monthPaymentEntry(invoice.activityId, input.date, input.invoiceId, input.paymentId),
              type: 'invoice-payment',
              ...payment,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ]);
      return { payment, invoice: { ...invoice, paidCents: paid, history: [...invoice.history, event], updatedAt: now }, created: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      await jitter(attempt);
    }
  }
  throw new ConflictError('Trop de paiements simultanés sur cette facture : recommencez.');
}
