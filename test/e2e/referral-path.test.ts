import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { apiClient, eventually, startTestCloud } from '../support/cloud.js';
import { adultSubmission } from '../support/fixtures.js';
import type { ParcoursLocalCloud as LocalCloud } from '../../infra/local-app/profile.js';

let cloud: LocalCloud;
let sarah: ReturnType<typeof apiClient>;
let thomas: ReturnType<typeof apiClient>;
let camille: ReturnType<typeof apiClient>;
let anonymous: ReturnType<typeof apiClient>;

beforeAll(async () => {
  cloud = await startTestCloud({ inMemory: true });
  sarah = apiClient(cloud, 'sarah.benali');
  thomas = apiClient(cloud, 'thomas.leroy');
  camille = apiClient(cloud, 'camille.martin');
  anonymous = apiClient(cloud);
});
afterAll(async () => cloud?.stop());

/** Items only a submission or a decision writes (workflows of earlier tests keep writing approvals and messages meanwhile). */
const tableItems = async () =>
  (
    await cloud.documentClient.send(
      new ScanCommand({
        TableName: cloud.tableName,
        Select: 'COUNT',
        FilterExpression: '#t IN (:referral, :person, :claim, :event)',
        ExpressionAttributeNames: { '#t': 'type' },
        ExpressionAttributeValues: { ':referral': 'referral', ':person': 'person', ':claim': 'person-claim', ':event': 'timeline-event' },
      }),
    )
  ).Count ?? 0;
const emailsTo = async (address: string) => (await cloud.ses.listEmails()).filter((m) => m.to.includes(address));
const smsTo = (phone: string) => cloud.sms.list().filter((m) => m.destination === phone);

describe('the referral path, end to end over HTTP on the local cloud', () => {
  it('goes from the form to an accepted referral, with every message sent once', async () => {
    const submission = adultSubmission();
    const submitted = await sarah('POST', '/api/referrals', submission, { 'idempotency-key': randomUUID() });
    expect(submitted.status).toBe(201);
    const { referralId } = submitted.body;

    // Acknowledgements: the prescriber and the young person by e-mail, the young person by SMS.
    await eventually(async () => (await emailsTo(submission.youngPerson.email)).length === 1, 15_000, 'acknowledgement e-mail');
    expect((await emailsTo('sarah.benali@example.org')).some((m) => m.subject.includes('Orientation reçue'))).toBe(true);
    await eventually(async () => smsTo(submission.youngPerson.phone).length === 1, 15_000, 'acknowledgement SMS');

    // Staff see it in their inbox, and are e-mailed a link to the confirmation page.
    const item = await eventually(async () => (await camille('GET', '/api/staff/inbox')).body.items.find((i: { referralId: string }) => i.referralId === referralId), 15_000, 'inbox item');
    expect(item).toMatchObject({ ageLabel: "aujourd'hui", phase: 'initial', eligibility: { eligible: true } });
    const staffMail = await eventually(async () => (await cloud.ses.listEmails()).find((m) => m.subject.startsWith('Nouvelle orientation') && m.text?.includes(item.approvalId)));
    expect(staffMail.text).toContain(`/equipe/decisions/${item.approvalId}`);

    // Reading the approval decides nothing; the POST does, once.
    const approval = await camille('GET', `/api/approvals/${item.approvalId}`);
    expect(approval.body).toMatchObject({ status: 'open', allowedOutcomes: ['accepted', 'refused', 'waitlisted'] });
    const decided = await camille('POST', `/api/approvals/${item.approvalId}/decision`, { outcome: 'accepted', messageToYoungPerson: 'Bienvenue !' });
    expect(decided).toMatchObject({ status: 200, body: { status: 'accepted' } });
    const again = await camille('POST', `/api/approvals/${item.approvalId}/decision`, { outcome: 'refused', reasonCode: 'other' });
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/déjà été décidée .* par Camille Martin/);

    const execution = `arn:aws:states:eu-west-3:000000000000:execution:${cloud.app.stateMachines[0].name}:${referralId}`;
    expect(await cloud.engine.waitForStatus(execution, { timeoutMs: 15_000, until: (s) => s !== 'RUNNING' })).toBe('SUCCEEDED');
    // The decision, then the onboarding's welcome (its own workflow, started by "Démarrer l'accueil") and the
    // invitation to choose an information session (its first wait).
    const subjects = async () => (await emailsTo(submission.youngPerson.email)).map((m) => m.subject);
    await eventually(async () => (await subjects()).length === 4, 15_000, 'decision, welcome and invitation e-mails');
    expect((await subjects()).sort()).toEqual(
      ['Bienvenue à CoopConnexion !', 'Votre accueil à CoopConnexion commence', 'Votre orientation vers CoopConnexion', "Choisissez votre réunion d'information"].sort(),
    );
    await eventually(async () => smsTo(submission.youngPerson.phone).length === 4, 15_000, 'decision, welcome and invitation SMS');

    // The prescriber sees the outcome; staff see the whole timeline with who did what.
    const mine = await sarah('GET', `/api/referrals/${referralId}`);
    expect(mine.body).toMatchObject({ status: 'accepted', statusLabel: 'Acceptée, accueil à démarrer' });
    expect(mine.body).not.toHaveProperty('personId');
    const { personId } = (await camille('GET', `/api/referrals/${referralId}`)).body;
    const timeline = await camille('GET', `/api/people/${personId}/timeline`);
    expect(timeline.body.person.pathStatusLabel).toBe('Accueil en cours');
    expect(timeline.body.events.slice(0, 3).map((e: { type: string; actor: { name: string } }) => `${e.type}:${e.actor.name}`)).toEqual([
      'referral-submitted:Sarah Benali',
      'referral-accepted:Camille Martin',
      'onboarding-started:Parcours automatique',
    ]);
    // Every message reached its recipient: the providers' delivery events follow the sends.
    await eventually(
      async () => (await camille('GET', `/api/people/${personId}/timeline`)).body.notifications.every((n: { status: string }) => n.status === 'delivered'),
      15_000,
      'delivery events',
    );

    // The functions logged the path by its ids, and nothing that names or reaches the person.
    const logs = readFileSync(cloud.functionLogFile, 'utf8');
    expect(logs).toContain(referralId);
    for (const personal of [submission.youngPerson.email, submission.youngPerson.phone, submission.youngPerson.lastName, submission.youngPerson.firstName, 'sarah.benali@example.org', 'Bienvenue !']) {
      expect(logs, 'personal data in a log line').not.toContain(personal);
    }
  }, 60_000);

  it('goes on to the staff when the SMS provider refuses the number for good (an overseas mobile): the SMS is failed and shown, the path is not', async () => {
    // La Réunion: the form accepts it, the sender id registered for France does not reach it.
    const submission = adultSubmission({ phone: '+262692123456' });
    const submitted = await sarah('POST', '/api/referrals', submission, { 'idempotency-key': randomUUID() });
    expect(submitted.status).toBe(201);
    const item = await eventually(
      async () => (await camille('GET', '/api/staff/inbox?limit=100')).body.items.find((i: { referralId: string }) => i.referralId === submitted.body.referralId),
      20_000,
      'inbox item',
    );
    expect(item.kind).toBe('referral-decision');
    await eventually(async () => (await emailsTo(submission.youngPerson.email)).length === 1, 15_000, 'acknowledgement e-mail');
    expect(smsTo(submission.youngPerson.phone)).toHaveLength(0);
    const timeline = await camille('GET', `/api/people/${item.personId}/timeline`);
    const sms = timeline.body.notifications.find((n: { channel: string; kind: string }) => n.channel === 'sms' && n.kind === 'referral-received');
    expect(sms).toMatchObject({ status: 'failed', statusReason: 'provider-rejected' });
  }, 60_000);

  it('shows a prescriber only the referrals of their own organisation', async () => {
    const submitted = await thomas('POST', '/api/referrals', adultSubmission(), { 'idempotency-key': randomUUID() });
    expect(submitted.status).toBe(201);
    const sarahList = await sarah('GET', '/api/referrals');
    expect(sarahList.body.items.some((r: { referralId: string }) => r.referralId === submitted.body.referralId)).toBe(false);
    expect(sarahList.body.items.every((r: { organisationName: string }) => r.organisationName === 'Mission locale de Lens')).toBe(true);
    expect((await thomas('GET', '/api/referrals')).body.items.some((r: { referralId: string }) => r.referralId === submitted.body.referralId)).toBe(true);
  });
});

describe('the schedules of the template', () => {
  it('runs the dispatcher of held-back messages every 5 minutes, and can fire it now', async () => {
    const [dispatch] = cloud.scheduler.upcoming();
    expect(dispatch.logicalId).toMatch(/^DispatchDeferredMessagesSchedule/);
    // The next fire is never in the past: at most a moment ago when an occurrence is due but not fired yet.
    const next = Date.parse(dispatch.next!);
    expect(next - Date.now()).toBeGreaterThan(-2_000);
    expect(next - Date.now()).toBeLessThanOrEqual(5 * 60_000);
    await cloud.scheduler.fireNow(dispatch.logicalId);
  });
});

describe('bad input on every endpoint gets a 4xx a person understands, and no write', () => {
  const routes: Array<[string, string, unknown?]> = [
    ['POST', '/api/referrals', {}],
    ['GET', '/api/referrals'],
    ['GET', '/api/referrals/x'],
    ['GET', '/api/staff/inbox'],
    ['GET', '/api/approvals/x'],
    ['POST', '/api/approvals/x/decision', { outcome: 'accepted' }],
    ['GET', '/api/people/x/timeline'],
    ['GET', '/api/staff/messages'],
    ['POST', '/api/people/x/contact-issues/young.email.0123456789abcdef/fix', { value: 'a@example.org' }],
  ];

  it.each(routes)('%s %s without a token is 401', async (method, path, body) => {
    const before = await tableItems();
    const res = await anonymous(method, path, body, { 'idempotency-key': randomUUID() });
    expect(res.status).toBe(401);
    expect(res.body.message).toBe('Unauthorized');
    expect(await tableItems()).toBe(before);
  });

  it('rejects a forged token', async () => {
    const res = await fetch(new URL('/api/referrals', cloud.urls.app), { headers: { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' } });
    expect(res.status).toBe(401);
  });

  it.each([
    ['malformed JSON', '{"programme":', 400, "n'est pas un JSON valide"],
    ['wrong types', JSON.stringify({ ...adultSubmission(), programme: 3, consent: { dataProcessing: 'yes' } }), 400, 'erreurs'],
    ['unknown fields', JSON.stringify({ ...adultSubmission(), admin: true }), 400, 'erreurs'],
    ['a body over 64 KB', JSON.stringify({ ...adultSubmission(), notes: 'é'.repeat(40_000) }), 413, 'trop volumineuse'],
  ])('POST /api/referrals with %s', async (_label, raw, status, message) => {
    const before = await tableItems();
    const res = await sarah('POST', '/api/referrals', raw, { 'idempotency-key': randomUUID() });
    expect(res.status).toBe(status);
    expect(res.body.message).toContain(message);
    expect(await tableItems()).toBe(before);
  });

  it('names each wrong field in French', async () => {
    const res = await sarah('POST', '/api/referrals', { ...adultSubmission(), programme: 3, admin: true }, { 'idempotency-key': randomUUID() });
    expect(res.body.errors).toEqual(expect.arrayContaining([{ field: 'programme', message: 'Programme inconnu.' }, { field: 'admin', message: 'Champ inconnu : « admin ».' }]));
  });

  it('refuses a prescriber on staff routes and staff on the referral form (403)', async () => {
    const before = await tableItems();
    for (const [method, path, body] of routes.filter(([, p]) => p.startsWith('/api/staff') || p.startsWith('/api/approvals') || p.startsWith('/api/people'))) {
      const res = await sarah(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.message).toContain("réservée à l'équipe");
    }
    const byStaff = await camille('POST', '/api/referrals', adultSubmission(), { 'idempotency-key': randomUUID() });
    expect(byStaff.status).toBe(403);
    expect(await tableItems()).toBe(before);
  });

  it("answers 404 for another organisation's referral, as for a missing one", async () => {
    const submitted = await sarah('POST', '/api/referrals', adultSubmission(), { 'idempotency-key': randomUUID() });
    const other = await thomas('GET', `/api/referrals/${submitted.body.referralId}`);
    const missing = await thomas('GET', `/api/referrals/${randomUUID()}`);
    expect(other.status).toBe(404);
    expect(other.body).toEqual(missing.body);
  });

  it('answers an unknown approval with 404 and a wrong decision body field by field', async () => {
    const unknown = await camille('POST', `/api/approvals/${randomUUID()}/decision`, { outcome: 'accepted' });
    expect(unknown.status).toBe(404);
    const submitted = await sarah('POST', '/api/referrals', adultSubmission(), { 'idempotency-key': randomUUID() });
    const item = await eventually(
      async () => (await camille('GET', '/api/staff/inbox?kind=referral-decision&limit=100')).body.items.find((i: { referralId: string }) => i.referralId === submitted.body.referralId),
      20_000,
      'inbox item',
    );
    const wrong = await camille('POST', `/api/approvals/${item.approvalId}/decision`, { outcome: 'peut-être', extra: 1 });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['extra', 'outcome']);
  });
});
