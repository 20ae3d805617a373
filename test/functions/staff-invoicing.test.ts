import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { mockClient } from 'aws-sdk-client-mock';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { countItemsOfType, useFreshAppTable } from '../support/dynamodb.js';
import { apiEvent, lambdaContext } from '../support/events.js';
import { prescriberLens, staffCamille } from '../support/fixtures.js';
import { BAD_LINES, business, draftFor, individual, line, seedActivity } from '../support/invoicing.js';
import { activeActivityWithMembers, monthStart } from '../support/activities.js';
import { getActivity } from '../../shared/data/activities.js';
import { getInvoicingRun } from '../../shared/data/invoicing-runs.js';
import { getDeclaration } from '../../shared/data/invoicing/declarations.js';
import { pdfText } from '../support/pdf-text.js';
import { createCustomer } from '../../shared/data/invoicing/customers.js';
import { cancelInvoice } from '../../shared/data/invoicing/credit-notes.js';
import { draftMonthInvoices, holdInvoice, recordChaseStage } from '../../shared/data/invoicing/invoices.js';
import { issueNumbers } from '../../shared/data/invoicing/numbering.js';
import type { Actor } from '../../shared/domain/actor.js';
import { FEC_COLUMNS } from '../../shared/domain/invoicing/fec.js';
import type { CustomerFields } from '../../shared/domain/invoicing/records.js';
import { addDays, parisDate } from '../../shared/domain/time.js';
import { addToMonth } from '../../shared/domain/invoicing/run.js';
import type { ApiResult } from '../../shared/http/api.js';
import { keys } from '../../shared/keys.js';
import { handler } from '../../functions/invoicing/staff-api.js';

let doc: DynamoDBDocumentClient;
let table: string;

const sfn = mockClient(SFNClient);

beforeAll(async () => {
  ({ doc, tableName: table } = await useFreshAppTable({ INVOICING_STATE_MACHINE_ARN: 'arn:aws:states:eu-west-3:000000000000:stateMachine:invoicing' }));
  sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => ({ executionArn: `arn:exec:${input.name}`, startDate: new Date() }));
});

const ctx = lambdaContext();
interface Call {
  actor?: Actor | null;
  body?: unknown;
  path?: Record<string, string>;
  headers?: Record<string, string>;
  query?: Record<string, string>;
}
async function call(routeKey: string, options: Call = {}) {
  const event = apiEvent({ routeKey, body: options.body, actor: options.actor === null ? undefined : (options.actor ?? staffCamille), pathParameters: options.path, headers: options.headers });
  if (options.query) event.queryStringParameters = options.query;
  const result: ApiResult = await handler(event as never, ctx as never);
  const text = result.isBase64Encoded || !String(result.headers?.['content-type']).includes('json') ? '' : String(result.body);
  return { status: result.statusCode, headers: result.headers ?? {}, raw: result, body: text ? JSON.parse(text) : undefined };
}

/**
 * An issued invoice of a fresh activity for `grossCents` (no VAT), issued on `issueDate`. Issue dates go forward within
 * a year (the sequence is chronological): each test uses a year of its own.
 */
async function issued(grossCents: number, issueDate: string, options: { customer?: CustomerFields; month?: string } = {}) {
  const activityId = await seedActivity(doc, table);
  await doc.send(new PutCommand({ TableName: table, Item: { ...keys.activity(activityId), type: 'activity', activityId, status: 'active', name: 'Jardins de Zoé', tradeName: 'Les Jardins de Zoé' } }));
  const customer = (await createCustomer({ activityId, customerId: `c-${randomUUID()}`, fields: options.customer ?? individual() })).customer;
  const month = options.month ?? issueDate.slice(0, 7);
  const { invoices } = await draftMonthInvoices({ activityId, month, drafts: [draftFor(customer, [line({ quantityHundredths: 100, unitPriceCents: grossCents })])] });
  const invoiceId = invoices[0]!.invoiceId;
  await issueNumbers({ batchKey: `t-${randomUUID()}`, invoiceIds: [invoiceId], issueDate, dueDate: addDays(issueDate, 30) });
  return { invoiceId, activityId, month };
}

const PAY = 'POST /api/staff/invoices/{invoiceId}/payments';
const pay = (invoiceId: string, body: unknown, key = randomUUID(), actor?: Actor) =>
  call(PAY, { path: { invoiceId }, body, headers: { 'idempotency-key': key }, actor });

describe('staff invoicing API: payments', () => {
  it('records a partial then a full payment, idempotently, and shows what is left', async () => {
    const { invoiceId } = await issued(10_000, '2021-02-01');
    const key = randomUUID();
    const first = await pay(invoiceId, { amountCents: 4_000, date: '2021-02-10', means: 'cheque' }, key);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ invoiceId, paidCents: 4_000, leftCents: 6_000, canPay: true, statusLabel: 'Émise, payée en partie' });
    expect(first.body.payments).toEqual([expect.objectContaining({ amountCents: 4_000, meansLabel: 'chèque', recordedBy: 'Camille Martin' })]);
    // The same request again (a double click, a retry): the same payment, nothing more.
    const again = await pay(invoiceId, { amountCents: 4_000, date: '2021-02-10', means: 'cheque' }, key);
    expect(again.status).toBe(200);
    expect(again.body.paidCents).toBe(4_000);
    // The same key for another payment: a 409.
    expect((await pay(invoiceId, { amountCents: 5_000, date: '2021-02-10', means: 'cheque' }, key)).status).toBe(409);
    const rest = await pay(invoiceId, { amountCents: 6_000, date: '2021-02-11', means: 'virement' });
    expect(rest.body).toMatchObject({ paidCents: 10_000, leftCents: 0, canPay: false, statusLabel: 'Payée' });
    expect(rest.body.history.filter((e: { event: string }) => e.event === 'payment').map((e: { label: string }) => e.label)).toEqual([
      'Paiement enregistré : 40,00\u00a0€',
      'Paiement enregistré : 60,00\u00a0€',
    ]);
  });

  it('refuses a payment above what is left with a 422 naming the amount, and writes nothing', async () => {
    const { invoiceId } = await issued(10_000, '2021-03-01');
    await pay(invoiceId, { amountCents: 7_000, date: '2021-03-02', means: 'especes' });
    const before = await countItemsOfType(doc, table, 'invoice-payment');
    const refused = await pay(invoiceId, { amountCents: 3_001, date: '2021-03-02', means: 'especes' });
    expect(refused.status).toBe(422);
    expect(refused.body.message).toBe('Le montant dépasse le reste à payer (30,00\u00a0€).');
    expect(refused.body.errors).toEqual([{ field: 'amountCents', message: 'Au plus 30,00\u00a0€ : le reste à payer.' }]);
    expect(await countItemsOfType(doc, table, 'invoice-payment')).toBe(before);
  });

  it('refuses negative, fractional or textual cents, a future date and an unknown means, field by field', async () => {
    const { invoiceId } = await issued(10_000, '2021-04-01');
    const cases: Array<[unknown, string[]]> = [
      [{ amountCents: -100, date: '2021-04-02', means: 'virement' }, ['amountCents']],
      [{ amountCents: 10.5, date: '2021-04-02', means: 'virement' }, ['amountCents']],
      [{ amountCents: '12,50', date: '2021-04-31', means: 'bitcoin' }, ['amountCents', 'date', 'means']],
      [{ amountCents: 100, date: addDays(parisDate(), 1), means: 'carte' }, ['date']],
      [{ amountCents: 100, date: '2021-04-02', means: 'carte', note: 'x' }, ['note']],
    ];
    for (const [body, fields] of cases) {
      const answer = await pay(invoiceId, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(fields.sort());
    }
    expect((await call(PAY, { path: { invoiceId }, body: { amountCents: 100, date: '2021-04-02', means: 'carte' } })).body.errors).toEqual([{ field: 'Idempotency-Key', message: expect.any(String) }]);
    expect(await countItemsOfType(doc, table, 'invoice-payment', { attribute: 'invoiceId', equals: invoiceId })).toBe(0);
  });

  it('refuses a payment on a draft or a held invoice (409), and any role but staff', async () => {
    const activityId = await seedActivity(doc, table);
    const customer = (await createCustomer({ activityId, customerId: `c-${randomUUID()}`, fields: individual() })).customer;
    const { invoices } = await draftMonthInvoices({ activityId, month: '2021-05', drafts: [draftFor(customer)] });
    const invoiceId = invoices[0]!.invoiceId;
    expect((await pay(invoiceId, { amountCents: 100, date: '2021-05-02', means: 'carte' })).status).toBe(409);
    await holdInvoice({ invoiceId, reason: 'Le client conteste les heures.', by: { id: 'sub-camille', name: 'Camille Martin' } });
    expect((await pay(invoiceId, { amountCents: 100, date: '2021-05-02', means: 'carte' })).status).toBe(409);
    expect((await pay(invoiceId, { amountCents: 100, date: '2021-05-02', means: 'carte' }, randomUUID(), prescriberLens)).status).toBe(403);
    expect((await call(PAY, { actor: null, path: { invoiceId }, body: {} })).status).toBe(401);
    expect((await pay(`inv-${randomUUID()}`, { amountCents: 100, date: '2021-05-02', means: 'carte' })).status).toBe(404);
  });
});

describe('staff invoicing API: an invoice, its PDF, its cancellation', () => {
  it('shows an invoice with its lines, totals, history and what is left; its PDF; a draft has none', async () => {
    const { invoiceId } = await issued(12_345, '2022-02-01', { customer: business() });
    const detail = await call('GET /api/staff/invoices/{invoiceId}', { path: { invoiceId } });
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ invoiceId, kind: 'invoice', number: '2022-000001', status: 'issued', statusLabel: 'Émise', grossCents: 12_345, leftCents: 12_345, canCancel: true, hasPdf: true });
    expect(detail.body.customer).toMatchObject({ kind: 'business', siren: '732829320' });
    expect(detail.body.lines).toEqual([expect.objectContaining({ description: 'Tonte de pelouse', netCents: 12_345, vatRate: null })]);
    expect(detail.body.history.map((e: { label: string }) => e.label)).toEqual(['Brouillon préparé', 'Émise sous le numéro 2022-000001']);
    const pdf = await call('GET /api/staff/invoices/{invoiceId}/pdf', { path: { invoiceId } });
    expect(pdf.status).toBe(200);
    expect(pdf.headers).toMatchObject({ 'content-type': 'application/pdf', 'content-disposition': 'attachment; filename="facture-2022-000001.pdf"' });
    const text = await pdfText(Buffer.from(String(pdf.raw.body), 'base64'));
    expect(text).toContain('2022-000001');
    expect(text).toContain('Les Jardins de Zoé');
    expect(text).toContain('123,45');
  });

  it('answers a draft without a PDF (409) and an unknown invoice with a 404', async () => {
    const activityId = await seedActivity(doc, table);
    const customer = (await createCustomer({ activityId, customerId: `c-${randomUUID()}`, fields: individual() })).customer;
    const { invoices } = await draftMonthInvoices({ activityId, month: '2022-05', drafts: [draftFor(customer)] });
    expect((await call('GET /api/staff/invoices/{invoiceId}/pdf', { path: { invoiceId: invoices[0]!.invoiceId } })).status).toBe(409);
    expect((await call('POST /api/staff/invoices/{invoiceId}/cancellation', { path: { invoiceId: invoices[0]!.invoiceId }, body: { reason: 'Une erreur de saisie.' } })).status).toBe(409);
    expect((await call('GET /api/staff/invoices/{invoiceId}', { path: { invoiceId: `inv-${randomUUID()}` } })).status).toBe(404);
  });
});

describe('staff invoicing API: months, lists, export', () => {
  it("pages a month's invoices with an opaque cursor, drafts and held ones with their reason", async () => {
    const month = '2023-01';
    const created: string[] = [];
    for (let i = 0; i < 5; i++) {
      const activityId = await seedActivity(doc, table);
      const customer = (await createCustomer({ activityId, customerId: `c-${randomUUID()}`, fields: individual() })).customer;
      created.push((await draftMonthInvoices({ activityId, month, drafts: [draftFor(customer)] })).invoices[0]!.invoiceId);
    }
    await holdInvoice({ invoiceId: created[0]!, reason: 'Heures à vérifier avec le membre.', by: { id: 'sub-camille', name: 'Camille Martin' } });
    const seen: Array<{ invoiceId: string; status: string; holdReason: string | null }> = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await call('GET /api/staff/invoicing/months/{month}', { path: { month }, query: { limit: '2', ...(cursor ? { cursor } : {}) } });
      expect(page.status).toBe(200);
      expect(page.body).toMatchObject({ month, label: 'janvier 2023', run: null });
      seen.push(...page.body.items);
      cursor = page.body.cursor;
      pages += 1;
    } while (cursor && pages < 20);
    expect(seen.map((i) => i.invoiceId).sort()).toEqual([...created].sort());
    expect(seen.find((i) => i.invoiceId === created[0])).toMatchObject({ status: 'held', holdReason: 'Heures à vérifier avec le membre.' });
    expect(seen.filter((i) => i.status === 'draft')).toHaveLength(4);
    const forged = await call('GET /api/staff/invoicing/months/{month}', { path: { month }, query: { cursor: 'eyJwayI6IngifQ' } });
    expect(forged.status).toBe(400);
    expect((await call('GET /api/staff/invoicing/months/{month}', { path: { month: '2023-13' } })).status).toBe(404);
    // Outside the system's months (January 2000 to the current one): a 404 that says which, not an empty month.
    for (const outside of ['0000-01', '1999-12', '9999-12', addToMonth(parisDate().slice(0, 7), 1)]) {
      const answer = await call('GET /api/staff/invoicing/months/{month}', { path: { month: outside } });
      expect(answer.status).toBe(404);
      expect(answer.body.message).toMatch(/^Mois introuvable : de janvier 2000 à /);
    }
    expect((await call('GET /api/staff/invoicing/months/{month}', { path: { month: parisDate().slice(0, 7) } })).status).toBe(200);
  });

  it('lists the unpaid invoices and, among them, those the chase flagged late', async () => {
    const late = await issued(3_000, '2020-01-10');
    const notLate = await issued(2_000, '2020-02-10');
    expect(await recordChaseStage({ invoice: late, stage: 'late' })).toBe(true);
    const unpaid = await call('GET /api/staff/invoicing/unpaid', { query: { limit: '100' } });
    expect(unpaid.status).toBe(200);
    const unpaidIds = unpaid.body.items.map((i: { invoiceId: string }) => i.invoiceId);
    expect(unpaidIds).toEqual(expect.arrayContaining([late.invoiceId, notLate.invoiceId]));
    const lateList = await call('GET /api/staff/invoicing/unpaid', { query: { late: 'true' } });
    const lateIds = lateList.body.items.map((i: { invoiceId: string }) => i.invoiceId);
    expect(lateIds).toContain(late.invoiceId);
    expect(lateIds).not.toContain(notLate.invoiceId);
    expect(lateList.body.items.find((i: { invoiceId: string }) => i.invoiceId === late.invoiceId)).toMatchObject({ late: true, leftCents: 3_000 });
    // Paid in full, it leaves both lists.
    await pay(late.invoiceId, { amountCents: 3_000, date: '2020-03-01', means: 'virement' });
    expect((await call('GET /api/staff/invoicing/unpaid', { query: { late: 'true' } })).body.items.map((i: { invoiceId: string }) => i.invoiceId)).not.toContain(late.invoiceId);
    expect((await call('GET /api/staff/invoicing/unpaid', { query: { limit: '100' } })).body.items.map((i: { invoiceId: string }) => i.invoiceId)).not.toContain(late.invoiceId);
    expect((await call('GET /api/staff/invoicing/unpaid', { query: { late: 'true', cursor: 'abc' } })).status).toBe(400);
  });

  it("exports a month's journal as a CSV: the invoices issued and the payments received in it, every entry balanced", async () => {
    const month = '2019-01';
    const a = await issued(10_000, '2019-01-20', { month });
    const b = await issued(2_500, '2019-01-25', { month });
    await pay(a.invoiceId, { amountCents: 4_000, date: '2019-01-28', means: 'virement' });
    const exported = await call('GET /api/staff/invoicing/months/{month}', { path: { month }, query: { format: 'csv' } });
    expect(exported.status).toBe(200);
    expect(exported.headers).toMatchObject({ 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="journal-2019-01.csv"' });
    const [header, ...rows] = String(exported.raw.body).trimEnd().split('\r\n');
    expect(header).toBe(FEC_COLUMNS.join(';'));
    const cells = rows.map((row) => Object.fromEntries(row.split(';').map((value, i) => [FEC_COLUMNS[i], value])));
    expect(new Set(cells.map((c) => c.PieceRef))).toEqual(new Set(['2019-000001', '2019-000002']));
    expect(cells.filter((c) => c.JournalCode === 'BQ').map((c) => [c.CompteNum, c.Debit, c.Credit])).toEqual([
      ['512000', '40,00', '0,00'],
      ['411000', '0,00', '40,00'],
    ]);
    const cents = (value: string) => Number(value.replace(',', ''));
    for (const entry of new Set(cells.map((c) => c.EcritureNum))) {
      const lines = cells.filter((c) => c.EcritureNum === entry);
      expect(lines.reduce((s, c) => s + cents(c.Debit!), 0), entry).toBe(lines.reduce((s, c) => s + cents(c.Credit!), 0));
    }
    expect(b.month).toBe(month);
  });

  it("journals a payment in the month it was received: December's export has a December payment of a November invoice, November's does not", async () => {
    const november = await issued(8_000, '2016-11-30', { month: '2016-11' });
    await pay(november.invoiceId, { amountCents: 3_000, date: '2016-11-30', means: 'cheque' });
    await pay(november.invoiceId, { amountCents: 5_000, date: '2016-12-02', means: 'virement' });
    const bank = async (month: string) => {
      const exported = await call('GET /api/staff/invoicing/months/{month}', { path: { month }, query: { format: 'csv' } });
      expect(exported.status).toBe(200);
      const rows = String(exported.raw.body).trimEnd().split('\r\n').slice(1).map((row) => Object.fromEntries(row.split(';').map((value, i) => [FEC_COLUMNS[i], value])));
      return {
        sales: rows.filter((c) => c.JournalCode === 'VT' && c.CompteNum === '411000').map((c) => c.PieceRef),
        payments: rows.filter((c) => c.JournalCode === 'BQ' && c.CompteNum === '512000').map((c) => [c.EcritureDate, c.PieceRef, c.Debit]),
      };
    };
    // The invoice is November's; its payments go to the months they were received in.
    expect(await bank('2016-11')).toEqual({ sales: ['2016-000001'], payments: [['20161130', '2016-000001', '30,00']] });
    expect(await bank('2016-12')).toEqual({ sales: [], payments: [['20161202', '2016-000001', '50,00']] });
  });

  it("journals pieces by issue date: October's invoices issued on 1 November are November's, their December credit note December's", async () => {
    // Two invoices for October's services, numbered in one batch on 1 November (one block, one issue date); one of
    // September's, issued on 1 October.
    const drafted = async (grossCents: number, month: string) => {
      const activityId = await seedActivity(doc, table);
      const customer = (await createCustomer({ activityId, customerId: `c-${randomUUID()}`, fields: individual() })).customer;
      const { invoices } = await draftMonthInvoices({ activityId, month, drafts: [draftFor(customer, [line({ quantityHundredths: 100, unitPriceCents: grossCents })])] });
      return invoices[0]!.invoiceId;
    };
    const september = await drafted(1_500, '2015-09');
    await issueNumbers({ batchKey: `t-${randomUUID()}`, invoiceIds: [september], issueDate: '2015-10-01', dueDate: '2015-10-31' });
    const [paid, cancelled] = [await drafted(7_000, '2015-10'), await drafted(2_000, '2015-10')];
    await issueNumbers({ batchKey: `t-${randomUUID()}`, invoiceIds: [paid!, cancelled!], issueDate: '2015-11-01', dueDate: '2015-12-01' });
    expect((await pay(paid!, { amountCents: 7_000, date: '2015-11-20', means: 'virement' })).status).toBe(201);
    await cancelInvoice({ invoiceId: cancelled!, issueDate: '2015-12-10', reason: 'Erreur de client', by: { id: staffCamille.id, name: staffCamille.name } });
    const journal = async (month: string) => {
      const exported = await call('GET /api/staff/invoicing/months/{month}', { path: { month }, query: { format: 'csv' } });
      expect(exported.status).toBe(200);
      expect(exported.headers['content-disposition']).toBe(`attachment; filename="journal-${month}.csv"`);
      const rows = String(exported.raw.body).trimEnd().split('\r\n').slice(1).map((row) => Object.fromEntries(row.split(';').map((value, i) => [FEC_COLUMNS[i], value])));
      return {
        sales: rows.filter((c) => c.JournalCode === 'VT' && c.CompteNum === '411000').map((c) => [c.EcritureDate, c.PieceRef, c.Debit, c.Credit]),
        payments: rows.filter((c) => c.JournalCode === 'BQ' && c.CompteNum === '512000').map((c) => [c.EcritureDate, c.PieceRef, c.Debit]),
      };
    };
    // Numbers: 000001 September's (1 October), 000002 and 000003 October's (1 November), 000004 the credit note.
    expect(await journal('2015-10')).toEqual({ sales: [['20151001', '2015-000001', '15,00', '0,00']], payments: [] });
    expect(await journal('2015-11')).toEqual({
      sales: [
        ['20151101', '2015-000002', '70,00', '0,00'],
        ['20151101', '2015-000003', '20,00', '0,00'],
      ],
      payments: [['20151120', '2015-000002', '70,00']],
    });
    expect(await journal('2015-12')).toEqual({ sales: [['20151210', '2015-000004', '0,00', '20,00']], payments: [] });
    expect(await journal('2015-09')).toEqual({ sales: [], payments: [] });
  });

  it("starts a past month's run once (201, then a 409 in French); never the current or a future month", async () => {
    const month = '2018-06';
    const started = await call('POST /api/staff/invoicing/runs', { body: { month } });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ month, label: 'juin 2018', run: { month, status: 'drafting', trigger: 'staff' } });
    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name)).toContain(`invoicing-${month}`);
    const again = await call('POST /api/staff/invoicing/runs', { body: { month } });
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/^La facturation de juin 2018 a déjà été lancée le .* : elle ne se lance qu’une fois\.$/);
    for (const bad of [parisDate().slice(0, 7), '2999-01']) {
      const refused = await call('POST /api/staff/invoicing/runs', { body: { month: bad } });
      expect(refused.status).toBe(400);
      expect(refused.body.errors).toEqual([{ field: 'month', message: 'Un mois passé, au format AAAA-MM.' }]);
    }
    expect((await call('POST /api/staff/invoicing/runs', { body: { month: '2018-13' } })).body.errors.map((e: { field: string }) => e.field)).toEqual(['month']);
    // Before January 2000: a typing mistake, refused with the month field's message, nothing started.
    const executions = sfn.commandCalls(StartExecutionCommand).length;
    for (const old of ['0001-01', '1999-12']) {
      const refused = await call('POST /api/staff/invoicing/runs', { body: { month: old } });
      expect(refused.status).toBe(400);
      expect(refused.body.message).toMatch(/^Ce mois est trop ancien : la facturation se lance pour un mois de janvier 2000 à /);
      expect(refused.body.errors).toEqual([{ field: 'month', message: 'Un mois depuis janvier 2000, au format AAAA-MM.' }]);
    }
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(executions);
    expect(await getInvoicingRun('0001-01')).toBeUndefined();
    expect((await call('POST /api/staff/invoicing/runs', { body: { month: '2000-01' } })).status).toBe(201);
    const months = await call('GET /api/staff/invoicing/months');
    expect(months.body.items.find((m: { month: string }) => m.month === month)).toMatchObject({ label: 'juin 2018', run: { status: 'drafting' } });
  });

  it('issues a held invoice on its own only: another one is a 409', async () => {
    const { invoiceId } = await issued(1_000, '2017-03-01');
    const refused = await call('POST /api/staff/invoices/{invoiceId}/release', { path: { invoiceId } });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toBe('Cette facture est déjà émise sous le numéro 2017-000001.');
  });

  it('lists the last twelve months with their run', async () => {
    const months = await call('GET /api/staff/invoicing/months');
    expect(months.status).toBe(200);
    expect(months.body.items.length).toBeGreaterThanOrEqual(12);
    expect(months.body.items[0]).toMatchObject({ run: null });
    expect(months.body.items[0].month < parisDate().slice(0, 7)).toBe(true);
    expect((await call('GET /api/staff/invoicing/months', { actor: prescriberLens })).status).toBe(403);
  });
});

describe('staff invoicing API: customers and declarations on behalf of members', () => {
  const TODAY = parisDate();
  const MONTH = TODAY.slice(0, 7);
  const LAST_MONTH = monthStart(-1).slice(0, 7);
  const CUSTOMERS = 'POST /api/staff/activities/{activityId}/customers';
  const DECLARE = 'POST /api/staff/activities/{activityId}/months/{month}/declarations';
  const tonte = (quantityHundredths = 200) => ({ priceLineId: 'L1', quantityHundredths });
  const fieldsOf = (body: { errors?: Array<{ field: string }> }) => (body.errors ?? []).map((e) => e.field).sort();
  const allItems = () => countItemsOfType(doc, table, 'declaration').then(async (d) => [d, await countItemsOfType(doc, table, 'invoicing-customer')]);

  it('creates a customer once per Idempotency-Key by the members\' rules, refuses a bad SIREN, edits by version; staff only', async () => {
    const { activityId } = await activeActivityWithMembers(doc, table);
    const path = { activityId };
    const key = randomUUID();
    const created = await call(CUSTOMERS, { path, body: business(), headers: { 'idempotency-key': key } });
    expect(created).toMatchObject({ status: 201, body: { kind: 'business', siren: '732829320', version: 1 } });
    expect((await call(CUSTOMERS, { path, body: business(), headers: { 'idempotency-key': key } })).status).toBe(200);
    const before = await allItems();
    expect((await call(CUSTOMERS, { path, body: individual(), headers: { 'idempotency-key': key } })).status).toBe(409);
    const badSiren = await call(CUSTOMERS, { path, body: { ...business(), siren: '732829321', vatNumber: undefined }, headers: { 'idempotency-key': randomUUID() } });
    expect(badSiren.status).toBe(400);
    expect(fieldsOf(badSiren.body)).toEqual(['siren']);
    expect((await call(CUSTOMERS, { path, body: individual() })).body.errors).toEqual([{ field: 'Idempotency-Key', message: expect.any(String) }]);
    expect((await call(CUSTOMERS, { path, body: individual(), headers: { 'idempotency-key': randomUUID() }, actor: prescriberLens })).status).toBe(403);
    expect((await call(CUSTOMERS, { path: { activityId: `pa-${randomUUID()}` }, body: individual(), headers: { 'idempotency-key': randomUUID() } })).status).toBe(404);
    expect(await allItems()).toEqual(before);

    const customerPath = { activityId, customerId: created.body.customerId };
    const updated = await call('PUT /api/staff/activities/{activityId}/customers/{customerId}', { path: customerPath, body: { ...business(), name: 'Boulangerie Dupont', version: 1 } });
    expect(updated).toMatchObject({ status: 200, body: { name: 'Boulangerie Dupont', version: 2 } });
    const stale = await call('PUT /api/staff/activities/{activityId}/customers/{customerId}', { path: customerPath, body: { ...business(), version: 1 } });
    expect(stale.status).toBe(409);
    expect(stale.body.message).toMatch(/modifié entre-temps/);
    const list = await call('GET /api/staff/activities/{activityId}/customers', { path });
    expect(list.body.customers.map((c: { name: string }) => c.name)).toEqual(['Boulangerie Dupont']);
  });

  it("declares for a personal activity's member, recorded with the staff member as who declared; corrects and deletes by version", async () => {
    const { activityId, members } = await activeActivityWithMembers(doc, table);
    const customerId = (await createCustomer({ activityId, customerId: randomUUID(), fields: individual() })).customer.customerId;
    const path = { activityId, month: MONTH };
    const key = randomUUID();
    const body = { customerId, serviceDate: TODAY, lines: [tonte(150)] };
    const created = await call(DECLARE, { path, body, headers: { 'idempotency-key': key } });
    expect(created.status).toBe(201);
    const member = (await getActivity(activityId))!.members[0]!;
    expect(member.referralId).toBe(members[0]!.referral.referralId);
    expect(created.body).toMatchObject({ customerId, totals: { netCents: 2250 }, status: 'open', canChange: true, version: 1, declaredBy: `Camille Martin (équipe) pour ${member.name}` });
    expect((await getDeclaration(activityId, MONTH, created.body.declarationId))!.declaredBy).toEqual({ staffId: 'sub-camille', name: 'Camille Martin', forMember: { referralId: member.referralId, name: member.name } });
    expect((await call(DECLARE, { path, body, headers: { 'idempotency-key': key } })).status).toBe(200);
    expect((await call(DECLARE, { path, body: { ...body, lines: [tonte(300)] }, headers: { 'idempotency-key': key } })).status).toBe(409);

    const month = await call('GET /api/staff/activities/{activityId}/months/{month}/declarations', { path });
    expect(month.body).toMatchObject({ status: 'open', shape: 'personal', members: [{ referralId: member.referralId, name: member.name }], declarations: [{ declarationId: created.body.declarationId }] });
    const declarationPath = { ...path, declarationId: created.body.declarationId };
    const corrected = await call('PUT /api/staff/activities/{activityId}/months/{month}/declarations/{declarationId}', { path: declarationPath, body: { ...body, lines: [tonte(100)], version: 1 } });
    expect(corrected).toMatchObject({ status: 200, body: { version: 2, totals: { netCents: 1500 } } });
    const stale = await call('PUT /api/staff/activities/{activityId}/months/{month}/declarations/{declarationId}', { path: declarationPath, body: { ...body, version: 1 } });
    expect(stale.status).toBe(409);
    const DELETE = 'DELETE /api/staff/activities/{activityId}/months/{month}/declarations/{declarationId}';
    expect((await call(DELETE, { path: declarationPath, query: { version: '1' } })).status).toBe(409);
    expect((await call(DELETE, { path: declarationPath, query: { version: '2' } })).status).toBe(200);
    expect((await call('GET /api/staff/activities/{activityId}/months/{month}/declarations', { path })).body.declarations).toEqual([]);
  });

  it('declares for the chosen member of a collective activity, and refuses none or a stranger by the field', async () => {
    const { activityId, members } = await activeActivityWithMembers(doc, table, 'collective');
    const other = await activeActivityWithMembers(doc, table);
    const customerId = (await createCustomer({ activityId, customerId: randomUUID(), fields: individual() })).customer.customerId;
    const path = { activityId, month: MONTH };
    const body = { customerId, serviceDate: TODAY, lines: [tonte()] };
    const before = await allItems();
    for (const memberReferralId of [undefined, other.members[0]!.referral.referralId]) {
      const refused = await call(DECLARE, { path, body: { ...body, memberReferralId }, headers: { 'idempotency-key': randomUUID() } });
      expect(refused.status).toBe(400);
      expect(fieldsOf(refused.body)).toEqual(['memberReferralId']);
    }
    expect(await allItems()).toEqual(before);
    const second = members[1]!.referral.referralId;
    const created = await call(DECLARE, { path, body: { ...body, memberReferralId: second }, headers: { 'idempotency-key': randomUUID() } });
    expect(created.status).toBe(201);
    const name = (await getActivity(activityId))!.members.find((m) => m.referralId === second)!.name;
    expect((await getDeclaration(activityId, MONTH, created.body.declarationId))!.declaredBy).toEqual({ staffId: 'sub-camille', name: 'Camille Martin', forMember: { referralId: second, name } });
  });

  it("refuses a month already invoiced (409 in French), another activity's customer, bad cents and an unknown VAT rate, writing nothing", async () => {
    const { activityId } = await activeActivityWithMembers(doc, table);
    const other = await activeActivityWithMembers(doc, table);
    const [{ customer }, { customer: theirs }] = await Promise.all([
      createCustomer({ activityId, customerId: randomUUID(), fields: individual() }),
      createCustomer({ activityId: other.activityId, customerId: randomUUID(), fields: individual('Paul Durand') }),
    ]);
    await draftMonthInvoices({ activityId, month: LAST_MONTH, drafts: [] });
    const post = (month: string, body: unknown) => call(DECLARE, { path: { activityId, month }, body, headers: { 'idempotency-key': randomUUID() } });
    const before = await allItems();
    const invoiced = await post(LAST_MONTH, { customerId: customer.customerId, serviceDate: `${LAST_MONTH}-15`, lines: [tonte()] });
    expect(invoiced.status).toBe(409);
    expect(invoiced.body.message).toBe(`Le mois ${LAST_MONTH} est déjà en facturation : ses déclarations ne peuvent plus être modifiées.`);
    expect((await call('GET /api/staff/activities/{activityId}/months/{month}/declarations', { path: { activityId, month: LAST_MONTH } })).body.status).toBe('invoiced');
    expect(fieldsOf((await post(MONTH, { customerId: theirs.customerId, serviceDate: TODAY, lines: [tonte()] })).body)).toEqual(['customerId']);
    const badCents = await post(MONTH, {
      customerId: customer.customerId,
      serviceDate: TODAY,
      lines: BAD_LINES,
    });
    expect(badCents.status).toBe(400);
    expect(fieldsOf(badCents.body)).toEqual(['lines.0.unitPriceCents', 'lines.1.unitPriceCents', 'lines.2.vatRateBps']);
    expect((await post('2027-13', { customerId: customer.customerId, serviceDate: TODAY, lines: [tonte()] })).status).toBe(400);
    expect(await allItems()).toEqual(before);
  });
});
