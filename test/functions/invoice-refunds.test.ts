import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tableSnapshot, useFreshAppTable } from '../support/dynamodb.js';
import { apiEvent, lambdaContext } from '../support/events.js';
import { prescriberLens, staffCamille } from '../support/fixtures.js';
import { issueOneInvoice } from '../support/invoicing.js';
import { cancelInvoice } from '../../shared/data/invoicing/credit-notes.js';
import { recordPayment } from '../../shared/data/invoicing/payments.js';
import type { Actor } from '../../shared/domain/actor.js';
import { addDays, parisDate } from '../../shared/domain/time.js';
import { FEC_COLUMNS } from '../../shared/domain/invoicing/fec.js';
import type { ApiResult } from '../../shared/http/api.js';
import { handler } from '../../functions/invoicing/staff-api.js';

/*
 * "Enregistrer un remboursement" on the staff's invoicing API (POST /api/staff/invoices/{invoiceId}/refunds, decision
 * 54): as a payment is recorded (an Idempotency-Key, a replay 200, another use of the key 409), for a cancelled
 * invoice the customer had paid, at most what is left to refund; every refusal in French, field by field, writing
 * nothing (the table read whole before and after); staff only.
 */

let doc: DynamoDBDocumentClient;
let table: string;

beforeAll(async () => {
  ({ doc, tableName: table } = await useFreshAppTable());
});

const ctx = lambdaContext();
const REFUND = 'POST /api/staff/invoices/{invoiceId}/refunds';
const staff = { id: staffCamille.id, name: staffCamille.name };

async function call(routeKey: string, options: { invoiceId: string; body?: unknown; key?: string | null; actor?: Actor | null }) {
  const headers: Record<string, string> = options.key === null ? {} : { 'idempotency-key': options.key ?? randomUUID() };
  const event = apiEvent({ routeKey, body: options.body, actor: options.actor === null ? undefined : (options.actor ?? staffCamille), pathParameters: { invoiceId: options.invoiceId }, headers });
  const result: ApiResult = await handler(event as never, ctx as never);
  return { status: result.statusCode, body: result.body ? JSON.parse(String(result.body)) : undefined };
}
const refund = (invoiceId: string, body: unknown, key?: string | null, actor?: Actor | null) => call(REFUND, { invoiceId, body, key, actor });

const snapshot = () => tableSnapshot(doc, table);

/** An invoice of `year` (issued 1 February) paid `paid` on 10 February, cancelled by a credit note of 1 March. */
async function cancelledAfterPayment(year: number, grossCents: number, paid: number) {
  const { invoiceId } = await issueOneInvoice(doc, table, { grossCents, month: `${year}-01`, issueDate: `${year}-02-01`, dueDate: `${year}-03-03` });
  if (paid > 0) await recordPayment({ invoiceId, paymentId: `p-${randomUUID()}`, amountCents: paid, date: `${year}-02-10`, means: 'cheque', by: staff });
  const { creditNote } = await cancelInvoice({ invoiceId, issueDate: `${year}-03-01`, reason: 'Facturé au mauvais client.', by: staff });
  return { invoiceId, creditNote };
}

describe('staff invoicing API: refunds of a cancelled invoice', () => {
  it('offers the refund on a cancelled invoice that was paid, records it once per key, and says when all is given back', async () => {
    const { invoiceId, creditNote } = await cancelledAfterPayment(2011, 10_000, 6_000);
    const shown = await call('GET /api/staff/invoices/{invoiceId}', { invoiceId });
    expect(shown.body).toMatchObject({ statusLabel: 'Annulée, à rembourser', paidCents: 6_000, refundedCents: 0, leftToRefundCents: 6_000, canRefund: true, canPay: false, refundFrom: '2011-03-01', refunds: [] });

    const key = randomUUID();
    const first = await refund(invoiceId, { amountCents: 2_000, date: '2011-03-04', means: 'virement', note: 'Virement n° 4471' }, key);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ refundedCents: 2_000, leftToRefundCents: 4_000, canRefund: true, statusLabel: 'Annulée, à rembourser' });
    expect(first.body.refunds).toEqual([expect.objectContaining({ amountCents: 2_000, date: '2011-03-04', meansLabel: 'virement', note: 'Virement n° 4471', recordedBy: 'Camille Martin' })]);
    expect(first.body.history.at(-1)).toMatchObject({ event: 'refund', label: 'Remboursement enregistré : 20,00\u00a0€ rendus au client', by: 'Camille Martin' });

    // The same request again (a double tap, a retry): the same refund, nothing written.
    const before = await snapshot();
    const again = await refund(invoiceId, { amountCents: 2_000, date: '2011-03-04', means: 'virement', note: 'Virement n° 4471' }, key);
    expect(again.status).toBe(200);
    expect(again.body.refunds).toHaveLength(1);
    // The same key for another refund: a 409 in French.
    const reused = await refund(invoiceId, { amountCents: 2_500, date: '2011-03-04', means: 'virement' }, key);
    expect(reused.status).toBe(409);
    expect(reused.body.message).toBe("Cette clé d'idempotence a déjà servi pour un autre remboursement.");
    expect(await snapshot()).toEqual(before);

    const rest = await refund(invoiceId, { amountCents: 4_000, date: '2011-03-05', means: 'cheque' });
    expect(rest.status).toBe(201);
    expect(rest.body).toMatchObject({ refundedCents: 6_000, leftToRefundCents: 0, canRefund: false, statusLabel: 'Annulée, remboursée' });
    expect(rest.body.refunds.map((r: { amountCents: number; note: string | null }) => [r.amountCents, r.note])).toEqual([[2_000, 'Virement n° 4471'], [4_000, null]]);
    expect(creditNote.number).toBe('2011-000002');
  });

  it('refuses bad amounts, dates, means and fields field by field (400), more than is left (422), writing nothing', async () => {
    const { invoiceId } = await cancelledAfterPayment(2012, 10_000, 5_000);
    await refund(invoiceId, { amountCents: 1_000, date: '2012-03-02', means: 'virement' });
    const before = await snapshot();
    const cases: Array<[unknown, string[]]> = [
      [{ amountCents: -100, date: '2012-03-02', means: 'virement' }, ['amountCents']],
      [{ amountCents: 0, date: '2012-03-02', means: 'virement' }, ['amountCents']],
      [{ amountCents: 10.5, date: '2012-03-02', means: 'virement' }, ['amountCents']],
      [{ amountCents: '12,50', date: '2012-02-30', means: 'bitcoin' }, ['amountCents', 'date', 'means']],
      [{ amountCents: 100, date: addDays(parisDate(), 1), means: 'carte' }, ['date']],
      // Before the credit note: nothing was owed back yet.
      [{ amountCents: 100, date: '2012-02-28', means: 'carte' }, ['date']],
      [{ amountCents: 100, date: '2012-03-02', means: 'carte', note: 'n'.repeat(501) }, ['note']],
      [{ amountCents: 100, date: '2012-03-02', means: 'carte', reason: 'x' }, ['reason']],
      [{}, ['amountCents', 'date', 'means']],
    ];
    for (const [body, fields] of cases) {
      const answer = await refund(invoiceId, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.message, JSON.stringify(body)).toMatch(/rembours|erreurs|date/i);
      expect(answer.body.errors.map((e: { field: string }) => e.field).sort(), JSON.stringify(body)).toEqual(fields.sort());
    }
    const early = await refund(invoiceId, { amountCents: 100, date: '2012-02-28', means: 'carte' });
    expect(early.body.errors).toEqual([{ field: 'date', message: "Le 01/03/2012 au plus tôt : le jour de l'avoir n° 2012-000002." }]);
    const noKey = await refund(invoiceId, { amountCents: 100, date: '2012-03-02', means: 'carte' }, null);
    expect(noKey.status).toBe(400);
    expect(noKey.body.errors).toEqual([{ field: 'Idempotency-Key', message: expect.any(String) }]);
    const over = await refund(invoiceId, { amountCents: 4_001, date: '2012-03-02', means: 'virement' });
    expect(over.status).toBe(422);
    expect(over.body).toEqual({ message: 'Le montant dépasse ce qui reste à rembourser (40,00\u00a0€).', errors: [{ field: 'amountCents', message: 'Au plus 40,00\u00a0€ : ce qui reste à rembourser.' }] });
    expect(await snapshot()).toEqual(before);
  });

  it('refuses an invoice not cancelled, one nobody paid and an unknown one, and every role but staff, writing nothing', async () => {
    const { invoiceId: issued } = await issueOneInvoice(doc, table, { grossCents: 5_000, month: '2013-01', issueDate: '2013-02-01', dueDate: '2013-03-03' });
    await recordPayment({ invoiceId: issued, paymentId: `p-${randomUUID()}`, amountCents: 1_000, date: '2013-02-10', means: 'virement', by: staff });
    const { invoiceId: unpaid } = await cancelledAfterPayment(2013, 3_000, 0);
    const { invoiceId: paid } = await cancelledAfterPayment(2014, 3_000, 3_000);
    const body = { amountCents: 100, date: '2014-03-02', means: 'especes' };
    const before = await snapshot();
    const notCancelled = await refund(issued, { ...body, date: '2013-03-02' });
    expect(notCancelled.status).toBe(409);
    expect(notCancelled.body.message).toMatch(/^Seule une facture annulée par un avoir se rembourse/);
    // Nothing paid: the page offers no refund, and the API refuses one.
    expect((await call('GET /api/staff/invoices/{invoiceId}', { invoiceId: unpaid })).body).toMatchObject({ statusLabel: 'Annulée', canRefund: false, leftToRefundCents: 0 });
    expect((await refund(unpaid, { ...body, date: '2013-03-02' })).status).toBe(409);
    expect((await refund(`inv-${randomUUID()}`, body)).status).toBe(404);
    // Not staff: a prescriber is forbidden, no token is unauthenticated.
    const prescriber = await refund(paid, body, undefined, prescriberLens);
    expect(prescriber.status).toBe(403);
    expect(prescriber.body.message).toMatch(/accès|équipe/);
    expect((await refund(paid, body, undefined, null)).status).toBe(401);
    expect(await snapshot()).toEqual(before);
  });

  it("journals a refund in the month it was given: a month with a payment, a cancellation and a refund balances, the customer's account back to zero", async () => {
    // Issued on 2 May for May, paid in full on the 10th, cancelled by a credit note on the 20th; 40 € given back on the
    // 25th, the other 60 € on 3 June.
    const { invoiceId } = await issueOneInvoice(doc, table, { grossCents: 10_000, month: '2016-05', issueDate: '2016-05-02', dueDate: '2016-06-01' });
    await recordPayment({ invoiceId, paymentId: `p-${randomUUID()}`, amountCents: 10_000, date: '2016-05-10', means: 'virement', by: staff });
    await cancelInvoice({ invoiceId, issueDate: '2016-05-20', reason: 'Facturé au mauvais client.', by: staff });
    expect((await refund(invoiceId, { amountCents: 4_000, date: '2016-05-25', means: 'cheque' })).status).toBe(201);
    expect((await refund(invoiceId, { amountCents: 6_000, date: '2016-06-03', means: 'virement' })).status).toBe(201);
    const journal = async (month: string) => {
      const event = apiEvent({ routeKey: 'GET /api/staff/invoicing/months/{month}', actor: staffCamille, pathParameters: { month } });
      event.queryStringParameters = { format: 'csv' };
      const result: ApiResult = await handler(event as never, ctx as never);
      expect(result.statusCode).toBe(200);
      return String(result.body).trimEnd().split('\r\n').slice(1).map((row) => Object.fromEntries(row.split(';').map((value, i) => [FEC_COLUMNS[i], value])) as Record<string, string>);
    };
    const cents = (value: string) => Number(value.replace(',', ''));
    const balance = (rows: Array<Record<string, string>>) => rows.reduce((s, r) => s + cents(r.Debit!) - cents(r.Credit!), 0);

    const may = await journal('2016-05');
    for (const entry of new Set(may.map((r) => r.EcritureNum))) expect(balance(may.filter((r) => r.EcritureNum === entry)), entry).toBe(0);
    expect(may.reduce((s, r) => s + cents(r.Debit!), 0)).toBe(may.reduce((s, r) => s + cents(r.Credit!), 0));
    expect(may.filter((r) => r.JournalCode === 'VT' && r.CompteNum === '411000').map((r) => [r.PieceRef, r.Debit, r.Credit])).toEqual([
      ['2016-000001', '100,00', '0,00'],
      ['2016-000002', '0,00', '100,00'],
    ]);
    expect(may.filter((r) => r.JournalCode === 'BQ').map((r) => [r.EcritureDate, r.PieceRef, r.CompteNum, r.Debit, r.Credit])).toEqual([
      ['20160510', '2016-000001', '512000', '100,00', '0,00'],
      ['20160510', '2016-000001', '411000', '0,00', '100,00'],
      ['20160525', '2016-000002', '512000', '0,00', '40,00'],
      ['20160525', '2016-000002', '411000', '40,00', '0,00'],
    ]);
    // At the end of May the customer is still owed 60 € (a credit balance); June's refund brings their account to zero.
    expect(balance(may.filter((r) => r.CompteNum === '411000'))).toBe(-6_000);
    const june = await journal('2016-06');
    expect(june.map((r) => [r.JournalCode, r.EcritureDate, r.PieceRef, r.CompteNum, r.Debit, r.Credit])).toEqual([
      ['BQ', '20160603', '2016-000002', '512000', '0,00', '60,00'],
      ['BQ', '20160603', '2016-000002', '411000', '60,00', '0,00'],
    ]);
    expect(balance([...may, ...june].filter((r) => r.CompteNum === '411000'))).toBe(0);
  });
});
