import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tableSnapshot, useFreshAppTable } from '../support/dynamodb.js';
import { issueOneInvoice } from '../support/invoicing.js';
import { cancelInvoice } from '../../shared/data/invoicing/credit-notes.js';
import { getInvoice } from '../../shared/data/invoicing/invoices.js';
import { activitiesWithPaymentsIn, listActivityMoney, listActivityPayments, listMonthMoney, listMonthPayments, recordPayment } from '../../shared/data/invoicing/payments.js';
import { listRefunds, recordRefund } from '../../shared/data/invoicing/refunds.js';
import { ConflictError, InvalidInputError, NotFoundError, UnprocessableError } from '../../shared/domain/errors.js';
import { leftToRefund, type PaymentMeans } from '../../shared/domain/invoicing/records.js';

/*
 * Refunds of a cancelled invoice's payments on DynamoDB Local (decision 54): at most what the customer paid less what
 * went back already, under concurrency too; idempotent by the refund's id; every refusal leaves the table as it was.
 */

let doc: DynamoDBDocumentClient;
let table: string;

beforeAll(async () => {
  ({ doc, tableName: table } = await useFreshAppTable());
});

const staff = { id: 'staff-camille', name: 'Camille' };

const snapshot = () => tableSnapshot(doc, table);

/**
 * An invoice of `grossCents` issued on the 1st of February of `year` (for January), paid `paid` (each a payment on the
 * 10th of February), then cancelled by a credit note issued on the 1st of March. Each test takes a year of its own: the
 * numbering is chronological within a year.
 */
async function cancelledAfterPayments(year: number, grossCents: number, paid: number[], activityId?: string) {
  const { invoiceId, activityId: activity } = await issueOneInvoice(doc, table, { grossCents, month: `${year}-01`, issueDate: `${year}-02-01`, dueDate: `${year}-03-03`, activityId });
  for (const amountCents of paid) await recordPayment({ invoiceId, paymentId: `p-${randomUUID()}`, amountCents, date: `${year}-02-10`, means: 'virement', by: staff });
  const { creditNote } = await cancelInvoice({ invoiceId, issueDate: `${year}-03-01`, reason: 'Facturé au mauvais client', by: staff });
  return { invoiceId, activityId: activity, creditNote };
}

const refund = (invoiceId: string, amountCents: number, date: string, options: { refundId?: string; means?: PaymentMeans; note?: string } = {}) =>
  recordRefund({ invoiceId, refundId: options.refundId ?? `r-${randomUUID()}`, amountCents, date, means: options.means ?? 'virement', ...(options.note !== undefined ? { note: options.note } : {}), by: staff });

describe('refunds of a cancelled invoice', () => {
  it('records a partial refund then the rest, keeps the total on the invoice and in its history, and stops there', async () => {
    const { invoiceId, activityId, creditNote } = await cancelledAfterPayments(2041, 10_000, [4_000, 6_000]);
    const first = await refund(invoiceId, 2_500, '2041-03-01', { means: 'cheque', note: ' Chèque n° 0012345 ' });
    expect(first.created).toBe(true);
    expect(first.refund).toMatchObject({ invoiceId, activityId, amountCents: 2_500, date: '2041-03-01', means: 'cheque', note: 'Chèque n° 0012345', invoiceNumber: '2041-000001', creditNoteNumber: creditNote.number, recordedBy: staff });
    expect(first.invoice).toMatchObject({ status: 'cancelled', paidCents: 10_000, refundedCents: 2_500 });
    expect(leftToRefund(first.invoice)).toBe(7_500);

    const rest = await refund(invoiceId, 7_500, '2041-03-15');
    expect(rest.invoice.refundedCents).toBe(10_000);
    const stored = (await getInvoice(invoiceId))!;
    expect(stored).toMatchObject({ status: 'cancelled', paidCents: 10_000, refundedCents: 10_000 });
    expect(leftToRefund(stored)).toBe(0);
    expect(stored.history.filter((e) => e.event === 'refund').map((e) => [e.detail, e.by?.name])).toEqual([['2500', 'Camille'], ['7500', 'Camille']]);
    expect((await listRefunds(invoiceId)).map((r) => r.amountCents).sort((a, b) => a - b)).toEqual([2_500, 7_500]);

    // All given back: one more cent is a 409, and nothing is written.
    const before = await snapshot();
    await expect(refund(invoiceId, 1, '2041-03-16')).rejects.toThrow(new ConflictError('Cette facture est déjà remboursée en entier (100,00\u00a0€).'));
    expect(await snapshot()).toEqual(before);
  });

  it('puts each refund in the month it was given, beside the payments, and a month with only a refund lists its activity', async () => {
    const { invoiceId, activityId } = await cancelledAfterPayments(2042, 8_000, [8_000]);
    await refund(invoiceId, 3_000, '2042-03-20');
    await refund(invoiceId, 5_000, '2042-04-02');
    // February: the payment; March and April: a refund each, and no payment.
    expect((await listActivityMoney(activityId, '2042-02')).payments.map((p) => p.amountCents)).toEqual([8_000]);
    expect(await listActivityMoney(activityId, '2042-03')).toEqual({ payments: [], refunds: [expect.objectContaining({ amountCents: 3_000, date: '2042-03-20' })] });
    expect((await listMonthMoney('2042-04')).refunds.map((r) => [r.invoiceId, r.amountCents])).toEqual([[invoiceId, 5_000]]);
    // The payments' readers of before still read payments only.
    expect(await listActivityPayments(activityId, '2042-03')).toEqual([]);
    expect(await listMonthPayments('2042-04')).toEqual([]);
    // April gets a statement for this activity, whose only money that month went back to a customer.
    expect(await activitiesWithPaymentsIn('2042-04')).toContain(activityId);
  });

  it('refuses more than is left to refund, bad amounts, dates and means, and another use of a key, writing nothing', async () => {
    const { invoiceId, creditNote } = await cancelledAfterPayments(2043, 10_000, [6_000]);
    const key = `r-${randomUUID()}`;
    await refund(invoiceId, 1_000, '2043-03-02', { refundId: key });
    const before = await snapshot();
    const over = refund(invoiceId, 5_001, '2043-03-02');
    await expect(over).rejects.toBeInstanceOf(UnprocessableError);
    await expect(over).rejects.toMatchObject({ errors: [{ field: 'amountCents', message: 'Au plus 50,00\u00a0€ : ce qui reste à rembourser.' }] });
    await expect(refund(invoiceId, 0, '2043-03-02')).rejects.toBeInstanceOf(InvalidInputError);
    await expect(refund(invoiceId, 10.5, '2043-03-02')).rejects.toBeInstanceOf(InvalidInputError);
    await expect(refund(invoiceId, -100, '2043-03-02')).rejects.toBeInstanceOf(InvalidInputError);
    await expect(refund(invoiceId, 100, '2043-02-30')).rejects.toMatchObject({ errors: [{ field: 'date' }] });
    // Before the credit note: the customer was not owed anything back yet.
    const early = refund(invoiceId, 100, '2043-02-28');
    await expect(early).rejects.toBeInstanceOf(InvalidInputError);
    await expect(early).rejects.toMatchObject({ errors: [{ field: 'date', message: `Le 01/03/2043 au plus tôt : le jour de l'avoir n° ${creditNote.number}.` }] });
    await expect(refund(invoiceId, 100, '2043-03-02', { means: 'bitcoin' as PaymentMeans })).rejects.toMatchObject({ errors: [{ field: 'means' }] });
    await expect(refund(invoiceId, 100, '2043-03-02', { note: 'n'.repeat(501) })).rejects.toMatchObject({ errors: [{ field: 'note' }] });
    // The same key for another refund (amount, date, means or note): a 409.
    for (const other of [{ amount: 1_001 }, { date: '2043-03-03' }, { means: 'cheque' as const }, { note: 'Virement du 2 mars' }]) {
      await expect(refund(invoiceId, other.amount ?? 1_000, other.date ?? '2043-03-02', { refundId: key, means: other.means, note: other.note }), JSON.stringify(other)).rejects.toBeInstanceOf(ConflictError);
    }
    await expect(refund('inv-unknown', 100, '2043-03-02')).rejects.toBeInstanceOf(NotFoundError);
    expect(await snapshot()).toEqual(before);
    expect((await getInvoice(invoiceId))!.refundedCents).toBe(1_000);
  });

  it('refuses an invoice not cancelled, a credit note and a cancelled invoice nobody paid (409), writing nothing', async () => {
    const { invoiceId: issued } = await issueOneInvoice(doc, table, { grossCents: 5_000, month: '2044-01', issueDate: '2044-02-01', dueDate: '2044-03-03' });
    await recordPayment({ invoiceId: issued, paymentId: `p-${randomUUID()}`, amountCents: 5_000, date: '2044-02-10', means: 'virement', by: staff });
    const { invoiceId: unpaid, creditNote } = await cancelledAfterPayments(2044, 3_000, []);
    const before = await snapshot();
    await expect(refund(issued, 1_000, '2044-03-02')).rejects.toThrow(/Seule une facture annulée par un avoir se rembourse/);
    await expect(refund(creditNote.invoiceId, 1_000, '2044-03-02')).rejects.toThrow(/Un avoir ne se rembourse pas/);
    await expect(refund(unpaid, 1_000, '2044-03-02')).rejects.toThrow(new ConflictError("Le client n'a rien payé sur cette facture : il n'y a rien à lui rembourser."));
    expect(await snapshot()).toEqual(before);
  });

  it('is idempotent by refund id: a replay answers the refund recorded and writes nothing more', async () => {
    const { invoiceId } = await cancelledAfterPayments(2045, 5_000, [5_000]);
    const first = await refund(invoiceId, 2_000, '2045-03-05', { refundId: 'r-key-1', note: 'Virement 12' });
    const before = await snapshot();
    // A retry of the same request (its note as typed, spaces around it).
    const again = await refund(invoiceId, 2_000, '2045-03-05', { refundId: 'r-key-1', note: 'Virement 12 ' });
    expect(again).toMatchObject({ created: false, refund: first.refund });
    expect(await snapshot()).toEqual(before);
    // Replays at once, as a double tap and a retried request do: one refund.
    const replays = await Promise.all(Array.from({ length: 5 }, () => refund(invoiceId, 1_000, '2045-03-06', { refundId: 'r-key-2' })));
    expect(replays.filter((r) => r.created)).toHaveLength(1);
    expect((await getInvoice(invoiceId))!.refundedCents).toBe(3_000);
    expect(await listRefunds(invoiceId)).toHaveLength(2);
  });

  it('never lets concurrent refunds give back more than was paid', async () => {
    const { invoiceId } = await cancelledAfterPayments(2046, 10_000, [10_000]);
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => refund(invoiceId, 3_000, '2046-03-02')));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    expect(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof UnprocessableError)).toBe(true);
    expect((await getInvoice(invoiceId))!.refundedCents).toBe(9_000);
    expect((await listRefunds(invoiceId)).reduce((s, r) => s + r.amountCents, 0)).toBe(9_000);
    expect((await listMonthMoney('2046-03')).refunds.reduce((s, r) => s + r.amountCents, 0)).toBe(9_000);
  });
});
