import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { mockClient } from 'aws-sdk-client-mock';
import { SFNClient, SendTaskSuccessCommand, StartExecutionCommand, TaskTimedOut } from '@aws-sdk/client-sfn';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { useFreshAppTable } from '../support/dynamodb.js';
import { apiEvent, lambdaContext } from '../support/events.js';
import { adultSubmission, prescriberLens, prescriberLievin, staffCamille } from '../support/fixtures.js';
import { handler as submit } from '../../functions/referrals/submit.js';
import { handler as getReferral } from '../../functions/referrals/get.js';
import { handler as listDuplicates } from '../../functions/staff/duplicates.js';
import { handler as decideDuplicate } from '../../functions/staff/decide-duplicate.js';
import { handler as decide } from '../../functions/approvals/decide.js';
import { handler as inbox } from '../../functions/staff/inbox.js';
import { openApproval as openWaitingStep } from '../../shared/data/approvals.js';
import { referralDecisions } from '../../shared/data/referral-decisions.js';
import type { ApiResult } from '../../shared/http/api.js';

const sfn = mockClient(SFNClient);
let doc: DynamoDBDocumentClient;
let table: string;

beforeAll(async () => {
  ({ doc, tableName: table } = await useFreshAppTable({ REFERRAL_STATE_MACHINE_ARN: 'arn:aws:states:eu-west-3:000000000000:stateMachine:Referral' }));
});

beforeEach(() => {
  sfn.reset();
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec', startDate: new Date() });
  sfn.on(SendTaskSuccessCommand).resolves({});
});

const ctx = lambdaContext();
const call = async (h: (e: never, c: never) => Promise<ApiResult>, event: unknown) => {
  const result = await h(event as never, ctx as never);
  return { status: result.statusCode, body: JSON.parse(String(result.body)) };
};
const itemCount = async () => (await doc.send(new ScanCommand({ TableName: table, Select: 'COUNT' }))).Count ?? 0;

const submitEvent = (body: unknown, extra: { rawBody?: string; headers?: Record<string, string>; actor?: typeof prescriberLens | typeof staffCamille } = {}) =>
  apiEvent({ routeKey: 'POST /api/referrals', actor: 'actor' in extra ? extra.actor : prescriberLens, body, rawBody: extra.rawBody, headers: { 'idempotency-key': randomUUID(), ...extra.headers } });

describe('POST /api/referrals', () => {
  it('records a referral, starts its workflow named after it, and answers 201', async () => {
    const res = await call(submit, submitEvent(adultSubmission()));
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ referralId: expect.any(String), reference: expect.stringMatching(/^ORI-/), status: 'pending', eligibility: { eligible: true, explanation: expect.any(Array) } });
    const start = sfn.commandCalls(StartExecutionCommand)[0].args[0].input;
    expect(start.name).toBe(res.body.referralId);
    expect(JSON.parse(start.input!)).toEqual({ referralId: res.body.referralId, personId: expect.any(String) });
  });

  it('answers alike whether the young person was known or not: nothing says so to the prescriber', async () => {
    const body = adultSubmission();
    const first = await call(submit, submitEvent(body));
    const again = await call(submit, submitEvent({ ...body, projectIdea: `${body.projectIdea}, encore` }, { actor: prescriberLievin }));
    expect(Object.keys(again.body).sort()).toEqual(Object.keys(first.body).sort());
    expect(again.body).toMatchObject({ status: first.body.status, eligibility: first.body.eligibility });
    expect(JSON.stringify(again.body)).not.toMatch(/person|duplicate|linked|known/i);
  });

  it('answers a retried request with the same referral (200)', async () => {
    const key = randomUUID();
    const body = adultSubmission();
    const first = await call(submit, submitEvent(body, { headers: { 'idempotency-key': key } }));
    const again = await call(submit, submitEvent(body, { headers: { 'idempotency-key': key } }));
    expect(again.status).toBe(200);
    expect(again.body.referralId).toBe(first.body.referralId);
  });

  describe('refuses bad input with a French message and writes nothing', () => {
    const tooBig = { ...adultSubmission(), notes: 'x'.repeat(70 * 1024) };
    it.each([
      ['malformed JSON', { rawBody: '{"programme": "cjs",' }, 400, "n'est pas un JSON valide"],
      ['an empty body', { rawBody: '' }, 400, 'vide'],
      ['a JSON array', { rawBody: '[1,2]' }, 400, 'erreurs'],
      ['a body over 64 KB', { rawBody: JSON.stringify(tooBig) }, 413, 'trop volumineuse'],
      ['another media type', { headers: { 'content-type': 'text/plain' } }, 415, 'JSON'],
      ['no idempotency key', { headers: { 'idempotency-key': '' } }, 400, 'Idempotency-Key'],
      ['no identity', { actor: undefined }, 401, 'connecté'],
      ['a staff member', { actor: staffCamille }, 403, 'prescripteurs'],
    ])('%s', async (_label, extra, status, message) => {
      const before = await itemCount();
      const res = await call(submit, submitEvent(adultSubmission(), extra as never));
      expect(res.status).toBe(status);
      expect(res.body.message).toContain(message);
      expect(await itemCount()).toBe(before);
      expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    });

    it('an event without any headers (a 400 naming the Idempotency-Key, not a 500)', async () => {
      const before = await itemCount();
      const res = await call(submit, { ...submitEvent(adultSubmission()), headers: undefined });
      expect(res).toMatchObject({ status: 400, body: { errors: [{ field: 'Idempotency-Key' }] } });
      expect(await itemCount()).toBe(before);
    });

    it('wrong types and unknown fields, field by field', async () => {
      const before = await itemCount();
      const body = { ...adultSubmission(), programme: 42, surprise: true, youngPerson: { ...adultSubmission().youngPerson, qpv: 'oui', phone: '01 23 45 67 89' } };
      const res = await call(submit, submitEvent(body));
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual(
        expect.arrayContaining([
          { field: 'programme', message: 'Programme inconnu.' },
          { field: 'surprise', message: 'Champ inconnu : « surprise ».' },
          { field: 'youngPerson.qpv', message: 'Répondez par oui ou par non.' },
          { field: 'youngPerson.phone', message: expect.stringContaining('mobile français invalide') },
        ]),
      );
      expect(await itemCount()).toBe(before);
    });
  });
});

describe('GET /api/referrals/{referralId}', () => {
  it("answers 404 for another organisation's referral", async () => {
    const created = await call(submit, submitEvent(adultSubmission()));
    const res = await call(getReferral, apiEvent({ routeKey: 'GET /api/referrals/{referralId}', actor: prescriberLievin, pathParameters: { referralId: created.body.referralId } }));
    expect(res.status).toBe(404);
    expect(res.body.message).toBe('Orientation introuvable.');
    const own = await call(getReferral, apiEvent({ routeKey: 'GET /api/referrals/{referralId}', actor: prescriberLens, pathParameters: { referralId: created.body.referralId } }));
    expect(own.status).toBe(200);
  });

  it("shows a prescriber nothing of the person behind their referral, and staff how it was matched", async () => {
    const body = adultSubmission();
    await call(submit, submitEvent(body, { actor: prescriberLievin }));
    const created = await call(submit, submitEvent({ ...body, projectIdea: `${body.projectIdea} (2)` }));
    const read = (actor: typeof prescriberLens | typeof staffCamille) =>
      call(getReferral, apiEvent({ routeKey: 'GET /api/referrals/{referralId}', actor, pathParameters: { referralId: created.body.referralId } }));
    const forPrescriber = await read(prescriberLens);
    expect(forPrescriber.body).not.toHaveProperty('personId');
    expect(forPrescriber.body).not.toHaveProperty('duplicate');
    expect(JSON.stringify(forPrescriber.body)).not.toContain(prescriberLievin.organisationName);
    const forStaff = await read(staffCamille);
    expect(forStaff.body).toMatchObject({ personId: expect.any(String), duplicate: { linked: true, previousReferrals: 1, matchedByLabels: ['même nom, date de naissance et e-mail', 'même nom, date de naissance et mobile'] } });
  });
});

describe('POST /api/staff/duplicates/{duplicateId}/decision', () => {
  const decideEvent = (duplicateId: string, body: unknown, actor: typeof staffCamille | typeof prescriberLens = staffCamille) =>
    apiEvent({ routeKey: 'POST /api/staff/duplicates/{duplicateId}/decision', actor, body, pathParameters: { duplicateId } });

  it('settles a flag raised by a shared e-mail, and lists it no more', async () => {
    const first = adultSubmission();
    await call(submit, submitEvent(first));
    await call(submit, submitEvent(adultSubmission({ email: first.youngPerson.email })));
    const listed = await call(listDuplicates, apiEvent({ routeKey: 'GET /api/staff/duplicates', actor: staffCamille }));
    const item = listed.body.items.find((i: { knownPerson: { email?: string } }) => i.knownPerson.email === first.youngPerson.email);
    expect(item).toMatchObject({ matchedByLabels: ['même e-mail'], newPerson: { email: first.youngPerson.email }, referral: { organisationName: prescriberLens.organisationName } });
    const decided = await call(decideDuplicate, decideEvent(item.duplicateId, { decision: 'different-people' }));
    expect(decided).toEqual({ status: 200, body: { duplicateId: item.duplicateId, status: 'different-people', statusLabel: expect.any(String), alreadyDecided: false } });
    expect((await call(decideDuplicate, decideEvent(item.duplicateId, { decision: 'different-people' }))).body.alreadyDecided).toBe(true);
    expect((await call(decideDuplicate, decideEvent(item.duplicateId, { decision: 'same-person' }))).status).toBe(409);
    const after = await call(listDuplicates, apiEvent({ routeKey: 'GET /api/staff/duplicates', actor: staffCamille }));
    expect(after.body.items.some((i: { duplicateId: string }) => i.duplicateId === item.duplicateId)).toBe(false);
  });

  it.each([
    ['an id that is not a pair', 'abc', { decision: 'same-person' }, staffCamille, 404],
    ['an unknown answer', `${randomUUID()}_${randomUUID()}`, { decision: 'peut-être' }, staffCamille, 400],
    ['an unknown field', `${randomUUID()}_${randomUUID()}`, { decision: 'same-person', merge: true }, staffCamille, 400],
    ['a pair never flagged', `${randomUUID()}_${randomUUID()}`, { decision: 'same-person' }, staffCamille, 404],
    ['a prescriber', `${randomUUID()}_${randomUUID()}`, { decision: 'same-person' }, prescriberLens, 403],
  ])('refuses %s, writing nothing', async (_label, duplicateId, body, actor, status) => {
    const before = await itemCount();
    expect((await call(decideDuplicate, decideEvent(duplicateId, body, actor))).status).toBe(status);
    expect(await itemCount()).toBe(before);
  });
});

describe('POST /api/approvals/{approvalId}/decision', () => {
  async function openApproval() {
    const created = await call(submit, submitEvent(adultSubmission()));
    const opened = await openWaitingStep(referralDecisions, { subjectId: created.body.referralId, taskToken: 'secret-token', phase: 'initial', appBaseUrl: '' });
    if (opened.state !== 'waiting') throw new Error('expected an open approval');
    return opened.approval.approvalId;
  }
  const decisionEvent = (approvalId: string, body: unknown, actor: typeof staffCamille | typeof prescriberLens = staffCamille) =>
    apiEvent({ routeKey: 'POST /api/approvals/{approvalId}/decision', actor, body, pathParameters: { approvalId } });

  it('hands the decision to the workflow once, and refuses a second one with 409', async () => {
    const approvalId = await openApproval();
    const first = await call(decide, decisionEvent(approvalId, { outcome: 'accepted' }));
    expect(first).toMatchObject({ status: 200, body: { status: 'accepted', statusLabel: 'Acceptée, accueil à démarrer' } });
    const sent = sfn.commandCalls(SendTaskSuccessCommand)[0].args[0].input;
    expect(sent.taskToken).toBe('secret-token');
    expect(JSON.parse(sent.output!)).toMatchObject({ outcome: 'accepted', approvalId });
    const second = await call(decide, decisionEvent(approvalId, { outcome: 'refused', reasonCode: 'other' }));
    expect(second.status).toBe(409);
    expect(second.body.message).toContain('déjà été décidée');
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(1);
  });

  it('answers 200 when the callback timed out at the same moment: the decision is recorded for the workflow', async () => {
    const approvalId = await openApproval();
    sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));
    const res = await call(decide, decisionEvent(approvalId, { outcome: 'refused', reasonCode: 'territory' }));
    expect(res).toMatchObject({ status: 200, body: { status: 'refused' } });
    const again = await call(decide, decisionEvent(approvalId, { outcome: 'accepted' }));
    expect(again.status).toBe(409);
  });

  it('answers 200 once the decision is committed, even when waking the workflow fails: the reconciler hands it over', async () => {
    const approvalId = await openApproval();
    sfn.on(SendTaskSuccessCommand).rejects(Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } }));
    const res = await call(decide, decisionEvent(approvalId, { outcome: 'accepted' }));
    expect(res).toMatchObject({ status: 200, body: { status: 'accepted' } });
    // The same request again (the client did not see the answer) gets the same answer; another decision is refused.
    const again = await call(decide, decisionEvent(approvalId, { outcome: 'accepted' }));
    expect(again).toMatchObject({ status: 200, body: { status: 'accepted' } });
    const other = await call(decide, decisionEvent(approvalId, { outcome: 'refused', reasonCode: 'other' }));
    expect(other.status).toBe(409);
  });

  it('requires a reason for a refusal, and is for staff only', async () => {
    const approvalId = await openApproval();
    const noReason = await call(decide, decisionEvent(approvalId, { outcome: 'refused' }));
    expect(noReason).toMatchObject({ status: 400, body: { errors: [{ field: 'reasonCode', message: 'Choisissez le motif du refus.' }] } });
    const byPrescriber = await call(decide, decisionEvent(approvalId, { outcome: 'accepted' }, prescriberLens));
    expect(byPrescriber.status).toBe(403);
    const unknown = await call(decide, decisionEvent('nope', { outcome: 'accepted' }));
    expect(unknown.status).toBe(404);
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });
});

describe('GET /api/staff/inbox', () => {
  it('lists open approvals with the referral and its age, for staff only', async () => {
    const approvalId = await (async () => {
      const created = await call(submit, submitEvent(adultSubmission()));
      const opened = await openWaitingStep(referralDecisions, { subjectId: created.body.referralId, taskToken: 't', phase: 'initial', appBaseUrl: '' });
      if (opened.state !== 'waiting') throw new Error('expected an open approval');
      return opened.approval.approvalId;
    })();
    const res = await call(inbox, apiEvent({ routeKey: 'GET /api/staff/inbox', actor: staffCamille }));
    const item = res.body.items.find((i: { approvalId: string }) => i.approvalId === approvalId);
    expect(item).toMatchObject({ ageDays: 0, ageLabel: "aujourd'hui", phase: 'initial', prescriber: { organisationName: 'Mission locale de Lens' } });
    expect(item.eligibility.explanation.length).toBeGreaterThan(0);
    expect((await call(inbox, apiEvent({ routeKey: 'GET /api/staff/inbox', actor: prescriberLens }))).status).toBe(403);
  });
});
