import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { randomUUID } from 'node:crypto';
import { mockClient } from 'aws-sdk-client-mock';
import { SFNClient, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { apiEvent } from '../support/events.js';
import { inDays } from '../support/activities.js';
import { callHandler as call, handlerTestbed, onboardingParty } from '../support/handlers.js';
import { adultSubmission, prescriberLens, staffCamille } from '../support/fixtures.js';
import { recordPersonalValues } from '../support/personal-data.js';
import { handler as createSession } from '../../functions/sessions/create.js';
import { handler as listSessions } from '../../functions/sessions/list.js';
import { handler as getSession } from '../../functions/sessions/get.js';
import { handler as attendance } from '../../functions/sessions/attendance.js';
import { handler as diagnosis } from '../../functions/onboarding/diagnosis.js';
import { handler as readDiagnosis } from '../../functions/onboarding/get-diagnosis.js';
import { getApprovalRecord, listOpenApprovals, openApproval } from '../../shared/data/approvals.js';
import { getDiagnosis, diagnoses } from '../../shared/data/diagnoses.js';
import { loadStep } from '../../shared/data/onboarding.js';
import { submitReferral } from '../../shared/data/referrals.js';
import { chooseSession } from '../../shared/data/sessions.js';
import { keys } from '../../shared/keys.js';
import { logger } from '../../shared/observability.js';

const sfn = mockClient(SFNClient);
const bed = handlerTestbed();
const onboarding = () => onboardingParty(bed);

beforeAll(() => {
  sfn.on(SendTaskSuccessCommand).resolves({});
});
afterEach(() => vi.restoreAllMocks());
/** POST /api/staff/sessions as a page sends it: a fresh Idempotency-Key unless one is given. */
const create = (body: unknown, options: { actor?: typeof staffCamille | typeof prescriberLens; key?: string } = {}) =>
  call(createSession, apiEvent({ routeKey: 'POST /api/staff/sessions', actor: options.actor ?? staffCamille, body, headers: { 'idempotency-key': options.key ?? randomUUID() } }));

describe('staff session routes', () => {
  it('create a session in Paris time, list it, and show it with the people holding a seat', async () => {
    const created = await create({ date: inDays(5), time: '14:30', place: 'Lens', capacity: 3, programmes: ['accompagnement'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ date: inDays(5), time: '14:30', seatsLeft: 3, programmes: [{ programme: 'accompagnement' }] });
    const listed = await call(listSessions, { ...apiEvent({ routeKey: 'GET /api/staff/sessions', actor: staffCamille }), queryStringParameters: { from: inDays(4) } });
    expect(listed.body.items.map((s: { sessionId: string }) => s.sessionId)).toContain(created.body.sessionId);
    const party = await onboarding();
    await chooseSession({ party, sessionId: created.body.sessionId, actor: { kind: 'young-person', id: party.personId, name: 'Inès' } });
    const shown = await call(getSession, apiEvent({ routeKey: 'GET /api/staff/sessions/{sessionId}', actor: staffCamille, pathParameters: { sessionId: created.body.sessionId } }));
    expect(shown.body).toMatchObject({ session: { seatsTaken: 1, seatsLeft: 2 }, attendees: [{ referralId: party.referralId, attendanceLabel: 'À noter' }], startedAt: false });
  });

  it('refuse a session in the past and a prescriber, field by field and in French', async () => {
    const past = await create({ date: inDays(-1), time: '10:00', place: 'Lens', capacity: 3, programmes: ['cjs'] });
    expect(past).toMatchObject({ status: 400, body: { errors: [{ field: 'date', message: 'La réunion doit avoir lieu dans le futur.' }] } });
    const prescriber = await create({}, { actor: prescriberLens });
    expect(prescriber.status).toBe(403);
  });

  it('create one session per Idempotency-Key: a retry answers the same one, another content with that key is refused in French', async () => {
    const key = randomUUID();
    const body = { date: inDays(9), time: '16:00', place: `Salle ${key}`, capacity: 6, programmes: ['cjs', 'accompagnement'] };
    const first = await create(body, { key });
    expect(first.status).toBe(201);
    // The answer was lost: the page sends the same request again, twice at once.
    const retries = await Promise.all([create(body, { key }), create({ ...body, programmes: ['accompagnement', 'cjs'] }, { key })]);
    expect(retries.map((r) => [r.status, r.body.sessionId])).toEqual([
      [200, first.body.sessionId],
      [200, first.body.sessionId],
    ]);
    const other = await create({ ...body, capacity: 7 }, { key });
    expect(other).toEqual({ status: 409, body: { message: "Cette clé d'idempotence (Idempotency-Key) a déjà servi pour une autre réunion. Rechargez la page pour en créer une nouvelle." } });
    // Stored once, as first created.
    const listed = await call(listSessions, { ...apiEvent({ routeKey: 'GET /api/staff/sessions', actor: staffCamille }), queryStringParameters: { from: inDays(8), limit: '100' } });
    expect(listed.body.items.filter((s: { place: string }) => s.place === body.place)).toMatchObject([{ sessionId: first.body.sessionId, capacity: 6 }]);
    // The key belongs to the one who sent it: another staff member's same key is another session.
    const colleague = await create(body, { key, actor: { ...staffCamille, id: 'karim.haddad', name: 'Karim Haddad' } });
    expect(colleague.status).toBe(201);
    expect(colleague.body.sessionId).not.toBe(first.body.sessionId);
    // Without the header: refused, field by field.
    const missing = await call(createSession, apiEvent({ routeKey: 'POST /api/staff/sessions', actor: staffCamille, body }));
    expect(missing).toMatchObject({ status: 400, body: { errors: [{ field: 'Idempotency-Key' }] } });
    // An event without any headers (none the gateway makes, but a direct invocation may): the same 400, not a 500.
    const noHeaders = await call(createSession, { ...apiEvent({ routeKey: 'POST /api/staff/sessions', actor: staffCamille, body }), headers: undefined });
    expect(noHeaders).toMatchObject({ status: 400, body: { errors: [{ field: 'Idempotency-Key' }] } });
  });
});

describe('attendance on an open information-session wait', () => {
  it('present decides the open approval and hands the decision to the waiting workflow', async () => {
    const party = await onboarding();
    const { informationSessions } = await import('../../shared/data/information-sessions.js');
    const opened = await openApproval(informationSessions, { subjectId: party.referralId, phase: 'initial', taskToken: `token-${randomUUID()}`, appBaseUrl: 'http://app' });
    expect(opened.state).toBe('waiting');
    const approvalId = opened.state === 'waiting' ? opened.approval.approvalId : '';
    // A young person's step: not in the staff inbox.
    expect((await listOpenApprovals({ kind: 'information-session' })).items).toEqual([]);
    const s = await create({ date: inDays(3), time: '09:00', place: 'Lens', capacity: 3, programmes: ['accompagnement'] });
    await chooseSession({ party, sessionId: s.body.sessionId, actor: { kind: 'young-person', id: party.personId, name: 'Inès' } });
    // The session took place.
    await bed.doc.send(new UpdateCommand({ TableName: bed.tableName, Key: keys.session(s.body.sessionId), UpdateExpression: 'SET startsAt = :past', ExpressionAttributeValues: { ':past': new Date(Date.now() - 3_600_000).toISOString() } }));
    sfn.resetHistory();
    const recorded = await call(attendance, apiEvent({ routeKey: 'POST /api/staff/sessions/{sessionId}/attendance', actor: staffCamille, pathParameters: { sessionId: s.body.sessionId }, body: { referralId: party.referralId, attendance: 'present' } }));
    expect(recorded).toMatchObject({ status: 200, body: { settled: 'attended', bookingStatus: 'attended', attendee: { attendance: 'present' } } });
    expect(await getApprovalRecord(approvalId)).toMatchObject({ status: 'decided', outcome: 'attended', decidedBy: { name: staffCamille.name } });
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(1);
    expect(await loadStep(party.referralId, 'information-session')).toMatchObject({ status: 'done', outcome: 'attended' });
  });
});

describe('the diagnosis interview', () => {
  it('appears in the staff inbox, is scheduled then recorded, settles the step, and its free text reaches no log', async () => {
    const party = await onboarding();
    const opened = await openApproval(diagnoses, { subjectId: party.referralId, phase: 'initial', taskToken: `token-${randomUUID()}`, appBaseUrl: 'http://app' });
    const approvalId = opened.state === 'waiting' ? opened.approval.approvalId : '';
    expect((await listOpenApprovals({ kind: 'diagnosis' })).items.map((a) => a.approvalId)).toContain(approvalId);

    // Every line the app logs goes through its logger: what each call is given is what a log line can hold.
    const lines: string[] = [];
    for (const level of ['debug', 'info', 'warn', 'error'] as const) {
      const original = logger[level].bind(logger);
      vi.spyOn(logger, level).mockImplementation((...args: Parameters<typeof logger.info>) => {
        lines.push(JSON.stringify(args, (_key, value: unknown) => (value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value)));
        (original as (...a: unknown[]) => void)(...args);
      });
    }

    const path = { referralId: party.referralId };
    const read = () => call(readDiagnosis, apiEvent({ routeKey: 'GET /api/staff/onboarding/{referralId}/diagnosis', actor: staffCamille, pathParameters: path }));
    expect(await read()).toMatchObject({ status: 200, body: { referralId: party.referralId, status: 'to-schedule', statusLabel: 'À planifier' } });
    const scheduled = await call(diagnosis, apiEvent({ routeKey: 'PUT /api/staff/onboarding/{referralId}/diagnosis', actor: staffCamille, pathParameters: path, body: { action: 'schedule', date: inDays(2), time: '10:30', mode: 'phone' } }));
    expect(scheduled).toMatchObject({ status: 200, body: { status: 'scheduled', modeLabel: 'Par téléphone' } });
    const secret = { goals: `Ouvrir un atelier de couture ${randomUUID()}`, skills: `Retouches et patrons ${randomUUID()}`, needs: `Garde d'enfant le mercredi ${randomUUID()}`, notes: `Dettes auprès du bailleur ${randomUUID()}` };
    recordPersonalValues(Object.values(secret).map((value) => ['free text', value]));
    const body = { action: 'record', ...secret };
    const recorded = await call(diagnosis, apiEvent({ routeKey: 'PUT /api/staff/onboarding/{referralId}/diagnosis', actor: staffCamille, pathParameters: path, body }));
    expect(recorded).toMatchObject({ status: 200, body: { status: 'recorded', record: secret } });
    // Read back: the schedule kept, and what was said.
    expect(await read()).toMatchObject({ status: 200, body: { status: 'recorded', statusLabel: 'Enregistré', scheduledLabel: expect.any(String), mode: 'phone', scheduledBy: staffCamille.name, record: secret, recordedBy: staffCamille.name } });
    // The same record again is answered alike; another one is refused, and a text over its limit too.
    expect((await call(diagnosis, apiEvent({ routeKey: 'PUT /api/staff/onboarding/{referralId}/diagnosis', actor: staffCamille, pathParameters: path, body }))).status).toBe(200);
    const other = await call(diagnosis, apiEvent({ routeKey: 'PUT /api/staff/onboarding/{referralId}/diagnosis', actor: staffCamille, pathParameters: path, body: { ...body, goals: `${secret.goals} (bis)` } }));
    expect(other.status).toBe(409);
    const long = await call(diagnosis, apiEvent({ routeKey: 'PUT /api/staff/onboarding/{referralId}/diagnosis', actor: staffCamille, pathParameters: path, body: { ...body, notes: `${secret.notes} ${'x'.repeat(4000)}` } }));
    expect(long).toMatchObject({ status: 400, body: { errors: [{ field: 'notes' }] } });

    expect(lines.join('')).toContain('diagnosis interview updated');
    expect(lines.join('')).toContain('diagnosis interview read');
    for (const value of Object.values(secret)) expect(lines.join(''), 'free text of the interview in a log line').not.toContain(value);
    expect(await getApprovalRecord(approvalId)).toMatchObject({ status: 'decided', outcome: 'recorded' });
    expect(await loadStep(party.referralId, 'diagnosis')).toMatchObject({ status: 'done', outcome: 'recorded' });
    expect((await getDiagnosis(party.referralId))!.record).toEqual(secret);
  });

  it('is not found, in French, for a referral without onboarding; prescribers cannot read it', async () => {
    const { referral } = await submitReferral({ prescriber: prescriberLens, submission: adultSubmission(), idempotencyKey: randomUUID() });
    for (const referralId of [referral.referralId, randomUUID()]) {
      const answer = await call(readDiagnosis, apiEvent({ routeKey: 'GET /api/staff/onboarding/{referralId}/diagnosis', actor: staffCamille, pathParameters: { referralId } }));
      expect(answer).toEqual({ status: 404, body: { message: 'Accueil introuvable pour cette personne.' } });
    }
    const party = await onboarding();
    const prescriber = await call(readDiagnosis, apiEvent({ routeKey: 'GET /api/staff/onboarding/{referralId}/diagnosis', actor: prescriberLens, pathParameters: { referralId: party.referralId } }));
    expect(prescriber.status).toBe(403);
  });
});
