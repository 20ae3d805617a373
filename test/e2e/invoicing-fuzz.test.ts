import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startTestCloud, useCloudTable } from '../support/cloud.js';
import { apiFuzzer, type FuzzRoute, type FuzzWorld } from '../support/api-fuzz.js';
import { activeActivityWithMembers, monthStart } from '../support/activities.js';
import { draftFor, individual, line } from '../support/invoicing.js';
import { recordPersonalValues } from '../support/personal-data.js';
import type { ParcoursLocalCloud as LocalCloud } from '../../infra/local-app/profile.js';
import { openApproval } from '../../shared/data/approvals.js';
import { invoicingBatches } from '../../shared/data/invoicing-batches.js';
import { claimInvoicingRun, recordRunProgress } from '../../shared/data/invoicing-runs.js';
import { createCustomer } from '../../shared/data/invoicing/customers.js';
import { createDeclaration } from '../../shared/data/invoicing/declarations.js';
import { draftMonthInvoices } from '../../shared/data/invoicing/invoices.js';
import { issueNumbers } from '../../shared/data/invoicing/numbering.js';
import { cancelInvoice } from '../../shared/data/invoicing/credit-notes.js';
import { recordPayment } from '../../shared/data/invoicing/payments.js';
import { parisDate } from '../../shared/domain/time.js';
import { MEMBER_INVOICING_ROUTES } from '../../functions/invoicing/member-routes.js';
import { STAFF_INVOICING_ROUTES } from '../../shared/invoicing/staff-routes.js';

/*
 * Property-based fuzzing (test/support/api-fuzz.ts) of the monthly invoicing's HTTP API: every route of the members' space (personal link) and
 * of the staff console (JWT), and the decision route staff validate the month's batch with (`held`). Each request is a
 * valid one with one or two of its parts mutated (now and then all of them): path parameters (`..`, `%00`, very long ids, impossible months), query strings (unknown
 * parameters, forged cursors), headers (content type, Idempotency-Key, the wrong role), bodies (wrong JSON types,
 * missing and extra fields, 100 KB strings, deep nesting, non-JSON, invalid UTF-8, lone surrogates, 1e308, -0,
 * fractional cents, negative quantities, 2026-02-30, 2026-13). Sent two ways:
 *   - through the local gateway, as bytes on the wire;
 *   - straight to the route's function with an event the gateway would not make (a base64 flag on a body that is
 *     none, path parameters holding a slash or a NUL).
 * Every answer is under 500; a refusal is JSON with a French message (or one of the gateway's own English answers,
 * which API Gateway words whatever the app); no answer shows a stack, an internal name or "undefined"; a refusal
 * writes nothing (the table read whole before and after).
 *
 * The suite sends 500 requests (about 15 s, 25 s with the local cloud started). To hunt: NUM_RUNS=5000 npx vitest run test/e2e/invoicing-fuzz.test.ts
 * (each property that many requests; every problem is collected and printed with the answers counted by route and
 * status, instead of stopping at the first); FUZZ_SEED=<n> replays a run; FUZZ_LOG=<file> writes one line per request.
 * Found this way: a forged cursor with an empty key value, a 500 (shared/data/client.ts decodeCursor).
 */

const TODAY = parisDate();
const MONTH = TODAY.slice(0, 7);
/** A month of its own for the staff's issued invoice and the batch awaiting validation (no other test's). */
const STAFF_MONTH = '2020-01';
const BATCH_MONTH = '2031-03';

/** What beforeAll seeds: a member's activity with a customer and a declaration, invoices, a batch to validate. */
const world: FuzzWorld = {
  activityId: '',
  token: '',
  otherToken: '',
  memberReferralId: '',
  customerId: '',
  declarationId: '',
  invoicedMonth: '',
  issuedInvoiceId: '',
  cancelledInvoiceId: '',
  draftInvoiceId: '',
  approvalId: '',
};

// ---------------------------------------------------------------------------------------------------------------
// The routes, each with a valid request to mutate.

const customerBody = () => ({
  kind: 'business',
  name: 'Boulangerie Dupont SARL',
  email: 'compta@boulangerie-dupont.example',
  address: { line1: '12 place de la République', postalCode: '62300', city: 'Lens' },
  siren: '732829320',
});
const declarationBody = () => ({
  customerId: world.customerId,
  serviceDate: TODAY,
  lines: [{ priceLineId: 'L1', quantityHundredths: 150 }, { description: 'Taille de haie', unit: 'forfait', quantityHundredths: 100, unitPriceCents: 4000, vatRateBps: 2000 }],
});
const activity = () => ({ activityId: world.activityId });
const month = () => ({ activityId: world.activityId, month: MONTH });
const declaration = () => ({ ...month(), declarationId: world.declarationId });

const ROUTES: Record<string, FuzzRoute> = {
  'GET /api/me/activities/{activityId}/customers': { side: 'member', params: activity },
  'POST /api/me/activities/{activityId}/customers': { side: 'member', params: activity, body: customerBody, idempotent: true },
  'PUT /api/me/activities/{activityId}/customers/{customerId}': { side: 'member', params: () => ({ ...activity(), customerId: world.customerId }), body: () => ({ ...customerBody(), version: 99 }) },
  'GET /api/me/activities/{activityId}/months/{month}/declarations': { side: 'member', params: month },
  'POST /api/me/activities/{activityId}/months/{month}/declarations': { side: 'member', params: month, body: declarationBody, idempotent: true },
  'PUT /api/me/activities/{activityId}/months/{month}/declarations/{declarationId}': { side: 'member', params: declaration, body: () => ({ ...declarationBody(), version: 99 }) },
  'DELETE /api/me/activities/{activityId}/months/{month}/declarations/{declarationId}': { side: 'member', params: declaration, query: () => ({ version: '99' }) },
  'GET /api/me/activities/{activityId}/months/{month}/invoices': { side: 'member', params: month },
  'GET /api/me/activities/{activityId}/invoices/{invoiceId}/pdf': { side: 'member', params: () => ({ ...activity(), invoiceId: world.issuedInvoiceId }) },
  'GET /api/me/activities/{activityId}/months/{month}/statement': { side: 'member', params: month },
  'GET /api/me/activities/{activityId}/months/{month}/statement/pdf': { side: 'member', params: month },

  'GET /api/staff/invoicing/months': { side: 'staff', params: () => ({}) },
  // The current month: always refused (a month runs once it is over), so that no mutation starts a run.
  'POST /api/staff/invoicing/runs': { side: 'staff', params: () => ({}), body: () => ({ month: MONTH }) },
  'GET /api/staff/invoicing/months/{month}': { side: 'staff', params: () => ({ month: STAFF_MONTH }), query: () => ({ limit: '10' }) },
  'GET /api/staff/invoicing/unpaid': { side: 'staff', params: () => ({}), query: () => ({ late: 'true', limit: '10' }) },
  'GET /api/staff/invoices/{invoiceId}': { side: 'staff', params: () => ({ invoiceId: world.issuedInvoiceId }) },
  'GET /api/staff/invoices/{invoiceId}/pdf': { side: 'staff', params: () => ({ invoiceId: world.issuedInvoiceId }) },
  // More than is due: a 422 unless a mutation makes it a payment the invoice can take.
  'POST /api/staff/invoices/{invoiceId}/payments': { side: 'staff', params: () => ({ invoiceId: world.issuedInvoiceId }), body: () => ({ amountCents: 20_000, date: '2020-02-10', means: 'cheque' }), idempotent: true },
  // More than the customer paid (50 €) before the cancellation: a 422 unless a mutation makes it a refund it can take.
  'POST /api/staff/invoices/{invoiceId}/refunds': {
    side: 'staff',
    params: () => ({ invoiceId: world.cancelledInvoiceId }),
    body: () => ({ amountCents: 20_000, date: '2020-03-10', means: 'virement', note: 'Virement n° 4471' }),
    idempotent: true,
  },
  // A draft: a 409 once the body is read, unless a mutation names the issued invoice.
  'POST /api/staff/invoices/{invoiceId}/cancellation': { side: 'staff', params: () => ({ invoiceId: world.draftInvoiceId }), body: () => ({ reason: 'Facturé au mauvais client.' }) },
  'POST /api/staff/invoices/{invoiceId}/release': { side: 'staff', params: () => ({ invoiceId: world.draftInvoiceId }) },
  'POST /api/staff/invoices/{invoiceId}/resend': { side: 'staff', params: () => ({ invoiceId: world.draftInvoiceId }), body: () => ({ email: individual().email }), idempotent: true },
  'GET /api/staff/activities/{activityId}/customers': { side: 'staff', params: activity },
  'POST /api/staff/activities/{activityId}/customers': { side: 'staff', params: activity, body: customerBody, idempotent: true },
  'PUT /api/staff/activities/{activityId}/customers/{customerId}': { side: 'staff', params: () => ({ ...activity(), customerId: world.customerId }), body: () => ({ ...customerBody(), version: 99 }) },
  'GET /api/staff/activities/{activityId}/months/{month}/declarations': { side: 'staff', params: month },
  'POST /api/staff/activities/{activityId}/months/{month}/declarations': { side: 'staff', params: month, body: () => ({ ...declarationBody(), memberReferralId: world.memberReferralId }), idempotent: true },
  'PUT /api/staff/activities/{activityId}/months/{month}/declarations/{declarationId}': { side: 'staff', params: declaration, body: () => ({ ...declarationBody(), version: 99 }) },
  'DELETE /api/staff/activities/{activityId}/months/{month}/declarations/{declarationId}': { side: 'staff', params: declaration, query: () => ({ version: '99' }) },
  // The month's batch: holding the draft of another month is refused, unless a mutation drops `held`.
  'POST /api/approvals/{approvalId}/decision': { side: 'staff', params: () => ({ approvalId: world.approvalId }), body: () => ({ outcome: 'approve', held: [{ invoiceId: world.draftInvoiceId, reason: 'Le client conteste la date.' }] }) },
};

const fuzz = apiFuzzer({ routes: ROUTES, world, cursorPartitions: [`INVOICES#${STAFF_MONTH}#00`] });
let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startTestCloud({ inMemory: true, functionConcurrency: 1 });
  // No schedule fires on its own here: what a scheduled function writes would pass for written by a refusal.
  await cloud.scheduler.stop();
  useCloudTable(cloud);
  fuzz.attach(cloud);
  const mine = await activeActivityWithMembers(cloud.documentClient, cloud.tableName);
  const other = await activeActivityWithMembers(cloud.documentClient, cloud.tableName);
  const { customer } = await createCustomer({ activityId: mine.activityId, customerId: randomUUID(), fields: individual() });
  const { declaration } = await createDeclaration({
    activityId: mine.activityId,
    declarationId: randomUUID(),
    fields: { customerId: customer.customerId, serviceDate: TODAY, lines: [line({ vatRateBps: 2000 })] },
    declaredBy: { referralId: mine.members[0]!.referral.referralId, name: 'Léa' },
  });
  // Last month invoiced already (its lock taken): declarations of it are refused.
  const invoicedMonth = monthStart(-1).slice(0, 7);
  await draftMonthInvoices({ activityId: mine.activityId, month: invoicedMonth, drafts: [] });
  // An issued invoice of 100 € on the member's activity, a draft of another customer that stays one, and a third
  // customer's invoice paid 50 € then cancelled by a credit note of 1 March (refunds, decision 54).
  const { customer: second } = await createCustomer({ activityId: mine.activityId, customerId: randomUUID(), fields: individual('Paul Durand') });
  const { customer: third } = await createCustomer({ activityId: mine.activityId, customerId: randomUUID(), fields: individual('Inès Morel') });
  const { invoices } = await draftMonthInvoices({
    activityId: mine.activityId,
    month: STAFF_MONTH,
    drafts: [
      draftFor(customer, [line({ quantityHundredths: 100, unitPriceCents: 10_000 })]),
      draftFor(second, [line({ quantityHundredths: 100, unitPriceCents: 5_000 })]),
      draftFor(third, [line({ quantityHundredths: 100, unitPriceCents: 8_000 })]),
    ],
  });
  const [issued, draft, cancelled] = [customer, second, third].map((c) => invoices.find((i) => i.customer.customerId === c.customerId)!) as [(typeof invoices)[number], (typeof invoices)[number], (typeof invoices)[number]];
  await issueNumbers({ batchKey: 'fuzz-staff', invoiceIds: [issued.invoiceId, cancelled.invoiceId], issueDate: '2020-02-01', dueDate: '2020-03-02' });
  await recordPayment({ invoiceId: cancelled.invoiceId, paymentId: randomUUID(), amountCents: 5_000, date: '2020-02-10', means: 'cheque', by: { id: 'fuzz-staff', name: 'Camille Martin' } });
  await cancelInvoice({ invoiceId: cancelled.invoiceId, issueDate: '2020-03-01', reason: 'Facturé au mauvais client.', by: { id: 'fuzz-staff', name: 'Camille Martin' } });
  // A month's batch waiting for staff's validation (its task token names no execution: a decision is not handed over).
  await claimInvoicingRun({ month: BATCH_MONTH, trigger: 'staff' });
  await recordRunProgress(BATCH_MONTH, { status: 'awaiting-validation' });
  const opened = await openApproval(invoicingBatches, { subjectId: BATCH_MONTH, phase: 'initial', taskToken: 'fuzz-token', appBaseUrl: '' });
  if (opened.state !== 'waiting') throw new Error('the batch should wait for its validation');
  Object.assign(world, {
    activityId: mine.activityId,
    token: mine.members[0]!.token,
    otherToken: other.members[0]!.token,
    memberReferralId: mine.members[0]!.referral.referralId,
    customerId: customer.customerId,
    declarationId: declaration.declarationId,
    invoicedMonth,
    issuedInvoiceId: issued.invoiceId,
    cancelledInvoiceId: cancelled.invoiceId,
    draftInvoiceId: draft.invoiceId,
    approvalId: opened.approval.approvalId,
  });
  recordPersonalValues([
    ...[...mine.members, ...other.members].flatMap((m): Array<['name' | 'e-mail' | 'link token', string]> => [['name', m.referral.youngPerson.lastName], ['e-mail', m.referral.youngPerson.email], ['link token', m.token]]),
    ['name', individual().name],
    ['name', 'Inès Morel'],
    ['e-mail', individual().email],
  ]);
  await fuzz.ready();
}, 180_000);

afterAll(async () => {
  fuzz.report();
  await cloud?.stop();
});

describe('fuzzing the invoicing API', () => {
  it('covers every invoicing route of the template', () => {
    const template = cloud.app.routes.map((r) => r.routeKey);
    expect([...MEMBER_INVOICING_ROUTES, ...STAFF_INVOICING_ROUTES, 'POST /api/approvals/{approvalId}/decision'].sort()).toEqual([...fuzz.routeKeys].sort());
    for (const key of fuzz.routeKeys) expect(template, key).toContain(key);
  });

  it('answers mutated requests through the gateway with a clear 4xx at worst, and writes nothing on a refusal', () => fuzz.gateway(300), 600_000);

  it('answers events the gateway would not make (a base64 flag, a slash or a NUL in a path parameter, no headers) the same', () => fuzz.direct(200), 600_000);
});
