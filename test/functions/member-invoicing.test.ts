import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { useFreshAppTable } from '../support/dynamodb.js';
import { apiEvent, lambdaContext } from '../support/events.js';
import { activeActivityWithMembers, monthStart } from '../support/activities.js';
import { startDocumentsS3, type DocumentsS3 } from '../support/documents-s3.js';
import { BAD_LINES, business, draftFor, individual } from '../support/invoicing.js';
import { getActivity } from '../../shared/data/activities.js';
import { createCustomer } from '../../shared/data/invoicing/customers.js';
import { getDeclaration } from '../../shared/data/invoicing/declarations.js';
import { draftMonthInvoices, invoiceItem } from '../../shared/data/invoicing/invoices.js';
import { invoicePdfKey, type InvoiceRecord } from '../../shared/domain/invoicing/records.js';
import { parisDate } from '../../shared/domain/time.js';
import type { ApiResult } from '../../shared/http/api.js';
import { putObject, readObject } from '../../shared/storage/objects.js';
import { pdfText } from '../support/pdf-text.js';
import { keys } from '../../shared/keys.js';
import { statementPdfKey, type StatementRecord } from '../../shared/domain/invoicing/statement.js';
import { handler } from '../../functions/invoicing/member-api.js';
import { MEMBER_INVOICING_ROUTES } from '../../functions/invoicing/member-routes.js';

/*
 * The members' invoicing routes (functions/invoicing/member-api.ts) against DynamoDB Local: customers, the month's
 * declarations under the month's lock, invoices and their PDF, each for the members of the activity only.
 */

let doc: DynamoDBDocumentClient;
let table: string;
let s3: DocumentsS3;
const ctx = lambdaContext();
const TODAY = parisDate();
const MONTH = TODAY.slice(0, 7);
const LAST_MONTH = monthStart(-1).slice(0, 7);

beforeAll(async () => {
  ({ doc, tableName: table } = await useFreshAppTable({ APP_BASE_URL: 'http://app' }));
  s3 = await startDocumentsS3();
}, 60_000);
afterAll(async () => s3?.stop());

async function call(routeKey: (typeof MEMBER_INVOICING_ROUTES)[number], options: { token: string; path: Record<string, string>; body?: unknown; headers?: Record<string, string>; query?: Record<string, string> }) {
  const event = apiEvent({ routeKey, body: options.body, pathParameters: options.path, headers: { 'x-parcours-link': options.token, ...options.headers } });
  if (options.query) event.queryStringParameters = options.query;
  const result = (await handler(event, ctx)) as ApiResult & { body: string };
  return { status: result.statusCode, raw: result, body: result.isBase64Encoded ? undefined : JSON.parse(result.body) };
}

const itemCount = async () => (await doc.send(new ScanCommand({ TableName: table, Select: 'COUNT', ConsistentRead: true }))).Count;
const fields = (body: { errors?: Array<{ field: string }> }) => (body.errors ?? []).map((e) => e.field).sort();
const tonte = (quantityHundredths = 200) => ({ priceLineId: 'L1', quantityHundredths });

describe("the members' invoicing routes", () => {
  it('declares every route it serves to the stack, and answers 404 for another', async () => {
    expect(MEMBER_INVOICING_ROUTES.length).toBe(11);
    const result = (await handler(apiEvent({ routeKey: 'GET /api/me/activities/{activityId}/statements' }), ctx)) as ApiResult;
    expect(result.statusCode).toBe(404);
  });

  it('creates a customer once per Idempotency-Key, refuses the key with another body and a SIREN whose key fails, and updates by version', async () => {
    const { activityId, members } = await activeActivityWithMembers(doc, table);
    const { token } = members[0]!;
    const path = { activityId };
    const key = randomUUID();
    const created = await call('POST /api/me/activities/{activityId}/customers', { token, path, body: business(), headers: { 'idempotency-key': key } });
    expect(created).toMatchObject({ status: 201, body: { kind: 'business', siren: '732829320', version: 1, kindLabel: 'Entreprise' } });
    expect(created.body.payloadHash).toBeUndefined();
    const retried = await call('POST /api/me/activities/{activityId}/customers', { token, path, body: business(), headers: { 'idempotency-key': key } });
    expect(retried).toMatchObject({ status: 200, body: { customerId: created.body.customerId } });

    const before = await itemCount();
    const reused = await call('POST /api/me/activities/{activityId}/customers', { token, path, body: individual(), headers: { 'idempotency-key': key } });
    expect(reused.status).toBe(409);
    const badSiren = await call('POST /api/me/activities/{activityId}/customers', { token, path, body: { ...business(), siren: '732829321', vatNumber: undefined }, headers: { 'idempotency-key': randomUUID() } });
    expect(badSiren.status).toBe(400);
    expect(fields(badSiren.body)).toEqual(['siren']);
    expect(await itemCount()).toBe(before);

    const customerPath = { activityId, customerId: created.body.customerId };
    const updated = await call('PUT /api/me/activities/{activityId}/customers/{customerId}', { token, path: customerPath, body: { ...business(), name: 'Boulangerie Dupont', version: 1 } });
    expect(updated).toMatchObject({ status: 200, body: { name: 'Boulangerie Dupont', version: 2 } });
    const stale = await call('PUT /api/me/activities/{activityId}/customers/{customerId}', { token, path: customerPath, body: { ...business(), version: 1 } });
    expect(stale.status).toBe(409);
    expect(stale.body.message).toMatch(/modifié entre-temps/);
    const list = await call('GET /api/me/activities/{activityId}/customers', { token, path });
    expect(list.body.customers.map((c: { name: string }) => c.name)).toEqual(['Boulangerie Dupont']);
  });

  it("opens an activity to its members only: another young person's link answers 404, as an activity that does not exist", async () => {
    const mine = await activeActivityWithMembers(doc, table);
    const other = await activeActivityWithMembers(doc, table);
    const before = await itemCount();
    for (const activityId of [other.activityId, `pa-${randomUUID()}`]) {
      const answer = await call('POST /api/me/activities/{activityId}/customers', { token: mine.members[0]!.token, path: { activityId }, body: individual(), headers: { 'idempotency-key': randomUUID() } });
      expect(answer).toMatchObject({ status: 404, body: { message: 'Activité introuvable.' } });
      expect((await call('GET /api/me/activities/{activityId}/months/{month}/declarations', { token: mine.members[0]!.token, path: { activityId, month: MONTH } })).status).toBe(404);
    }
    expect((await call('GET /api/me/activities/{activityId}/customers', { token: 'A'.repeat(43), path: { activityId: mine.activityId } })).status).toBe(401);
    expect(await itemCount()).toBe(before);
  });

  it("declares from the price list in force, records who declared in a collective activity, corrects and deletes by version", async () => {
    const { activityId, members } = await activeActivityWithMembers(doc, table, 'collective');
    const [first, second] = members;
    const { customer } = await createCustomer({ activityId, customerId: randomUUID(), fields: individual() });
    const path = { activityId, month: MONTH };
    const key = randomUUID();
    const body = { customerId: customer.customerId, serviceDate: TODAY, lines: [tonte(150)] };
    const created = await call('POST /api/me/activities/{activityId}/months/{month}/declarations', { token: second!.token, path, body, headers: { 'idempotency-key': key } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      customerName: individual().name,
      lines: [{ description: 'Tonte', unitPriceCents: 1500, quantityHundredths: 150, netCents: 2250, vatRateBps: null }],
      totals: { netCents: 2250, vatCents: 0, grossCents: 2250 },
      status: 'open',
      canChange: true,
      version: 1,
    });
    const declarer = (await getActivity(activityId))!.members.find((m) => m.referralId === second!.referral.referralId)!;
    expect(created.body.declaredBy).toBe(declarer.name);
    expect((await getDeclaration(activityId, MONTH, created.body.declarationId))!.declaredBy).toEqual({ referralId: declarer.referralId, name: declarer.name });
    expect((await call('POST /api/me/activities/{activityId}/months/{month}/declarations', { token: second!.token, path, body, headers: { 'idempotency-key': key } })).status).toBe(200);
    expect((await call('POST /api/me/activities/{activityId}/months/{month}/declarations', { token: second!.token, path, body: { ...body, lines: [tonte(300)] }, headers: { 'idempotency-key': key } })).status).toBe(409);

    // Any member reads and corrects it.
    const month = await call('GET /api/me/activities/{activityId}/months/{month}/declarations', { token: first!.token, path });
    expect(month.body).toMatchObject({ status: 'open', vatMode: 'franchise', customers: [{ customerId: customer.customerId }], declarations: [{ declarationId: created.body.declarationId }] });
    expect(month.body.priceVersions[0].lines[0]).toMatchObject({ lineId: 'L1', unitPriceCents: 1500 });
    const declarationPath = { ...path, declarationId: created.body.declarationId };
    const corrected = await call('PUT /api/me/activities/{activityId}/months/{month}/declarations/{declarationId}', { token: first!.token, path: declarationPath, body: { ...body, lines: [tonte(100), { description: 'Taille de haie', quantityHundredths: 100, unit: 'forfait', unitPriceCents: 4000 }], version: 1 } });
    expect(corrected).toMatchObject({ status: 200, body: { version: 2, totals: { netCents: 5500 } } });
    expect((await call('DELETE /api/me/activities/{activityId}/months/{month}/declarations/{declarationId}', { token: first!.token, path: declarationPath, query: { version: '1' } })).status).toBe(409);
    expect((await call('DELETE /api/me/activities/{activityId}/months/{month}/declarations/{declarationId}', { token: first!.token, path: declarationPath })).status).toBe(400);
    expect((await call('DELETE /api/me/activities/{activityId}/months/{month}/declarations/{declarationId}', { token: first!.token, path: declarationPath, query: { version: '2' } })).status).toBe(200);
    expect((await call('GET /api/me/activities/{activityId}/months/{month}/declarations', { token: first!.token, path })).body.declarations).toEqual([]);
  });

  it("refuses another activity's customer, bad cents, an unknown VAT rate and a month already invoiced, writing nothing", async () => {
    const { activityId, members } = await activeActivityWithMembers(doc, table);
    const other = await activeActivityWithMembers(doc, table);
    const { token } = members[0]!;
    const [{ customer }, { customer: theirs }] = await Promise.all([
      createCustomer({ activityId, customerId: randomUUID(), fields: individual() }),
      createCustomer({ activityId: other.activityId, customerId: randomUUID(), fields: individual('Paul Durand') }),
    ]);
    await draftMonthInvoices({ activityId, month: LAST_MONTH, drafts: [] });
    const post = (month: string, body: unknown) => call('POST /api/me/activities/{activityId}/months/{month}/declarations', { token, path: { activityId, month }, body, headers: { 'idempotency-key': randomUUID() } });
    const before = await itemCount();

    const theirCustomer = await post(MONTH, { customerId: theirs.customerId, serviceDate: TODAY, lines: [tonte()] });
    expect(theirCustomer.status).toBe(400);
    expect(fields(theirCustomer.body)).toEqual(['customerId']);
    const badCents = await post(MONTH, {
      customerId: customer.customerId,
      serviceDate: TODAY,
      lines: BAD_LINES,
    });
    expect(badCents.status).toBe(400);
    expect(fields(badCents.body)).toEqual(['lines.0.unitPriceCents', 'lines.1.unitPriceCents', 'lines.2.vatRateBps']);
    const invoiced = await post(LAST_MONTH, { customerId: customer.customerId, serviceDate: `${LAST_MONTH}-15`, lines: [tonte()] });
    expect(invoiced.status).toBe(409);
    expect(invoiced.body.message).toMatch(/déjà en facturation/);
    expect((await call('GET /api/me/activities/{activityId}/months/{month}/declarations', { token, path: { activityId, month: LAST_MONTH } })).body.status).toBe('invoiced');
    const badMonth = await post('2027-13', { customerId: customer.customerId, serviceDate: TODAY, lines: [tonte()] });
    expect(badMonth.status).toBe(400);
    expect(await itemCount()).toBe(before);
  });

  it("lists the month's invoices with paid and left, and streams an issued one's PDF", async () => {
    const { activityId, members } = await activeActivityWithMembers(doc, table);
    const { token } = members[0]!;
    const { customer } = await createCustomer({ activityId, customerId: randomUUID(), fields: business() });
    const [draft] = (await draftMonthInvoices({ activityId, month: LAST_MONTH, drafts: [draftFor(customer)] })).invoices;
    const path = { activityId, month: LAST_MONTH };
    const listed = await call('GET /api/me/activities/{activityId}/months/{month}/invoices', { token, path });
    expect(listed.body.invoices).toEqual([expect.objectContaining({ invoiceId: draft!.invoiceId, status: 'draft', statusLabel: 'En préparation', customerName: customer.name, hasPdf: false, leftCents: 0 })]);
    expect((await call('GET /api/me/activities/{activityId}/invoices/{invoiceId}/pdf', { token, path: { activityId, invoiceId: draft!.invoiceId } })).status).toBe(404);

    // Issued as the numbering leaves it, paid in part, its PDF stored at issue.
    const issued: InvoiceRecord = { ...draft!, status: 'issued', number: `${LAST_MONTH.slice(0, 4)}-000042`, issueDate: TODAY, dueDate: TODAY, paidCents: 1000, numberingKey: 'batch-1' };
    await doc.send(new PutCommand({ TableName: table, Item: invoiceItem(issued) }));
    const pdfPath = { activityId, invoiceId: issued.invoiceId };
    expect((await call('GET /api/me/activities/{activityId}/invoices/{invoiceId}/pdf', { token, path: pdfPath })).body.message).toMatch(/en préparation/);
    // On AWS the members' function may not list the bucket: S3 then answers a missing key with AccessDenied, not
    // NoSuchKey (the local S3 answers NoSuchKey). The member is told the same, not a 500.
    const s3 = mockClient(S3Client);
    try {
      s3.on(GetObjectCommand).rejectsOnce(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
      expect(await call('GET /api/me/activities/{activityId}/invoices/{invoiceId}/pdf', { token, path: pdfPath })).toMatchObject({ status: 404, body: { message: expect.stringMatching(/en préparation/) } });
    } finally {
      s3.restore();
    }
    await putObject(invoicePdfKey({ invoiceId: issued.invoiceId, number: issued.number! }), Buffer.from('%PDF-1.7 facture'), 'application/pdf');
    const pdf = await call('GET /api/me/activities/{activityId}/invoices/{invoiceId}/pdf', { token, path: pdfPath });
    expect(pdf.status).toBe(200);
    expect(pdf.raw.headers).toMatchObject({ 'content-type': 'application/pdf', 'content-disposition': `attachment; filename="facture-${issued.number}.pdf"` });
    expect(Buffer.from(String(pdf.raw.body), 'base64').toString()).toBe('%PDF-1.7 facture');
    const again = await call('GET /api/me/activities/{activityId}/months/{month}/invoices', { token, path });
    expect(again.body.invoices[0]).toMatchObject({ status: 'issued', number: issued.number, paidCents: 1000, leftCents: issued.totals.grossCents - 1000, hasPdf: true });

    // Another member's activity does not open this invoice, even by its id.
    const other = await activeActivityWithMembers(doc, table);
    expect((await call('GET /api/me/activities/{activityId}/invoices/{invoiceId}/pdf', { token: other.members[0]!.token, path: { activityId: other.activityId, invoiceId: issued.invoiceId } })).status).toBe(404);
  });

  it("answers a member's monthly statement issued with its PDF (before decision 35), and that PDF; 404 before and for another member", async () => {
    const { activityId, members } = await activeActivityWithMembers(doc, table, 'collective');
    const [first, second] = members;
    const path = { activityId, month: LAST_MONTH };
    expect((await call('GET /api/me/activities/{activityId}/months/{month}/statement', { token: first!.token, path })).status).toBe(404);
    const copy = (referralId: string, leftCents: number) => ({ personId: 'p', referralId, name: 'Membre', leftCents, pdfKey: `statements/${LAST_MONTH}/${activityId}/${referralId}-0123456789abcdef.pdf`, sha256: '0'.repeat(64) });
    const record: StatementRecord = {
      activityId,
      month: LAST_MONTH,
      statement: {
        month: LAST_MONTH,
        activity: { activityId, name: 'Jardins', tradeName: 'Jardins', shape: 'collective' },
        documents: [],
        payments: [],
        invoicedNetCents: 10_000,
        creditedNetCents: 0,
        revenueExclVatCents: 10_000,
        vatCents: 0,
        paymentsReceivedCents: 4_000,
        contribution: { revenueExclVatCents: 10_000, rateBps: 1000, contributionCents: 1_000, resultCents: 9_000, shares: [] },
        leftCents: 9_000,
      },
      members: [copy(first!.referral.referralId, 4_500)],
      issuedAt: new Date().toISOString(),
    };
    await doc.send(new PutCommand({ TableName: table, Item: { ...keys.statement(activityId, LAST_MONTH), type: 'statement', ...record } }));
    const answer = await call('GET /api/me/activities/{activityId}/months/{month}/statement', { token: first!.token, path });
    expect(answer).toMatchObject({ status: 200, body: { revenueExclVatCents: 10_000, contributionCents: 1_000, resultCents: 9_000, leftCents: 4_500, collective: true } });
    // A member without a copy (joined later) is answered as before the statement.
    expect((await call('GET /api/me/activities/{activityId}/months/{month}/statement', { token: second!.token, path })).status).toBe(404);
    expect((await call('GET /api/me/activities/{activityId}/months/{month}/statement/pdf', { token: first!.token, path })).status).toBe(404);
    await putObject(record.members[0]!.pdfKey!, Buffer.from('%PDF-1.7 releve'), 'application/pdf');
    const pdf = await call('GET /api/me/activities/{activityId}/months/{month}/statement/pdf', { token: first!.token, path });
    expect(pdf.raw.headers).toMatchObject({ 'content-disposition': `attachment; filename="releve-${LAST_MONTH}.pdf"` });
    expect(Buffer.from(String(pdf.raw.body), 'base64').toString()).toBe('%PDF-1.7 releve');
  });

  it("renders a member's statement PDF from the record when first opened, serves the stored one after, and refuses another's", async () => {
    const { activityId, members } = await activeActivityWithMembers(doc, table, 'collective');
    const [first, second] = members;
    const month = monthStart(-2).slice(0, 7);
    const path = { activityId, month };
    const name = (m: typeof first) => `${m!.referral.youngPerson.firstName} ${m!.referral.youngPerson.lastName}`;
    const copy = (m: typeof first, leftCents: number) => ({ personId: m!.referral.personId, referralId: m!.referral.referralId, name: name(m), leftCents });
    const record: StatementRecord = {
      activityId,
      month,
      statement: {
        month,
        activity: { activityId, name: 'Jardins partagés', tradeName: 'Les Mains Vertes', shape: 'collective' },
        documents: [{ invoiceId: 'i1', number: '2031-000007', kind: 'invoice', issueDate: `${month}-28`, customerName: 'Boulangerie Dupont', netCents: 12_345, vatCents: 2_469, grossCents: 14_814 }],
        payments: [],
        invoicedNetCents: 12_345,
        creditedNetCents: 0,
        revenueExclVatCents: 12_345,
        vatCents: 2_469,
        paymentsReceivedCents: 0,
        contribution: { revenueExclVatCents: 12_345, rateBps: 1000, contributionCents: 1_235, resultCents: 11_110, shares: [{ memberId: first!.referral.referralId, cents: 5_555 }, { memberId: second!.referral.referralId, cents: 5_555 }] },
        leftCents: 11_110,
      },
      members: [copy(first, 5_555), copy(second, 5_555)],
      issuedAt: '2031-04-01T08:00:00.000Z',
      cooperativeName: 'Coopérative des Collines',
    };
    await doc.send(new PutCommand({ TableName: table, Item: { ...keys.statement(activityId, month), type: 'statement', ...record } }));
    const key = statementPdfKey(month, activityId, first!.referral.referralId);
    expect(await readObject(key)).toBeUndefined();

    const opened = await call('GET /api/me/activities/{activityId}/months/{month}/statement/pdf', { token: first!.token, path });
    expect(opened).toMatchObject({ status: 200, raw: { headers: { 'content-type': 'application/pdf', 'content-disposition': `attachment; filename="releve-${month}.pdf"` } } });
    const bytes = Buffer.from(String(opened.raw.body), 'base64');
    expect(Buffer.from((await readObject(key))!).equals(bytes)).toBe(true);
    const text = await pdfText(bytes);
    for (const expected of ['RELEVÉ MENSUEL', 'Les Mains Vertes', 'Coopérative des Collines', `Pour : ${name(first)}`, 'Édité le 01/04/2031', 'Boulangerie Dupont', '123,45', '148,14', '12,35', '111,10', '55,55', `${name(first)} (vous)`]) {
      expect(text).toContain(expected);
    }
    // Opened again: the stored file, whatever it holds (nothing rendered).
    await putObject(key, Buffer.from('%PDF-1.7 déjà là'), 'application/pdf');
    const again = await call('GET /api/me/activities/{activityId}/months/{month}/statement/pdf', { token: first!.token, path });
    expect(Buffer.from(String(again.raw.body), 'base64').toString()).toBe('%PDF-1.7 déjà là');
    // The other member gets their own copy, under their own key.
    const theirs = await call('GET /api/me/activities/{activityId}/months/{month}/statement/pdf', { token: second!.token, path });
    expect(await pdfText(Buffer.from(String(theirs.raw.body), 'base64'))).toContain(`${name(second)} (vous)`);
    expect(await readObject(statementPdfKey(month, activityId, second!.referral.referralId))).toBeDefined();

    // Another young person's link: 404, as an activity that does not exist, and nothing rendered for them.
    const stranger = await activeActivityWithMembers(doc, table);
    const refused = await call('GET /api/me/activities/{activityId}/months/{month}/statement/pdf', { token: stranger.members[0]!.token, path });
    expect(refused.status).toBe(404);
    expect(await readObject(statementPdfKey(month, activityId, stranger.members[0]!.referral.referralId))).toBeUndefined();
    // The record is as issued.
    expect((await doc.send(new GetCommand({ TableName: table, Key: keys.statement(activityId, month), ConsistentRead: true }))).Item).toMatchObject(record);
  });
});
