import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { apiClient, eventually, startTestCloud } from '../support/cloud.js';
import { adultSubmission } from '../support/fixtures.js';
import { loadStageConfig } from '../../infra/config.js';
import type { ParcoursLocalCloud as LocalCloud } from '../../infra/local-app/profile.js';
import { decide } from '../../shared/data/approvals.js';
import { referralDecisions } from '../../shared/data/referral-decisions.js';
import { staffCamille } from '../support/fixtures.js';
import { referralIdFor } from '../../shared/data/referrals.js';

// The `test` stage shortens the referral deadlines to seconds; the workflow and functions are the deployed ones.
const timings = loadStageConfig('test').referral;
let cloud: LocalCloud;

beforeAll(async () => {
  // Step Functions behind the fault layer, at 0 until a test turns it on.
  cloud = await startTestCloud({ stage: 'test', inMemory: true, faults: { stepfunctions: 0, kinds: ['error'] } });
  // The test itself writes a decision the way the decision handler does, to play a handler that died before SendTaskSuccess.
  Object.assign(process.env, { TABLE_NAME: cloud.tableName, AWS_ENDPOINT_URL_DYNAMODB: cloud.urls.dynamodb, AWS_ACCESS_KEY_ID: cloud.accessKeyId });
}, 180_000);
afterAll(async () => cloud?.stop());

describe('a referral nobody decides on', () => {
  it('reminds staff, escalates, then expires and tells the prescriber', async () => {
    const sarah = apiClient(cloud, 'sarah.benali');
    const camille = apiClient(cloud, 'camille.martin');
    const submitted = await sarah('POST', '/api/referrals', adultSubmission(), { 'idempotency-key': randomUUID() });
    expect(submitted.status).toBe(201);
    const { referralId, reference } = submitted.body;
    const mails = async () => (await cloud.ses.listEmails()).filter((m) => m.text?.includes(reference));

    const limit = (timings.expireAfterSeconds + 15) * 1000;
    await eventually(async () => (await mails()).some((m) => m.subject.startsWith('Relance')), limit, 'reminder');
    const inbox = await camille('GET', '/api/staff/inbox');
    expect(inbox.body.items.find((i: { referralId: string }) => i.referralId === referralId)).toMatchObject({ phase: 'reminded', phaseLabel: 'Relancée' });
    await eventually(async () => (await mails()).some((m) => m.subject.startsWith('URGENT')), limit, 'escalation');
    await eventually(async () => (await mails()).some((m) => m.subject.startsWith('Orientation expirée') && m.to.includes('sarah.benali@example.org')), limit, 'expiry');

    const referral = await sarah('GET', `/api/referrals/${referralId}`);
    expect(referral.body.status).toBe('expired');
    const timeline = await camille('GET', `/api/people/${(await camille('GET', `/api/referrals/${referralId}`)).body.personId}/timeline`);
    expect(timeline.body.events.map((e: { type: string }) => e.type)).toEqual(['referral-submitted', 'referral-remind', 'referral-escalate', 'referral-expire']);
    expect((await camille('GET', '/api/staff/inbox')).body.items.some((i: { referralId: string }) => i.referralId === referralId)).toBe(false);
    // One message of each kind: the deadline steps did not repeat.
    const subjects = (await mails()).map((m) => m.subject.split(' ')[0]);
    expect(subjects.filter((s) => s === 'Relance')).toHaveLength(1);
    expect(subjects.filter((s) => s === 'URGENT')).toHaveLength(1);
  }, 120_000);

  it('delivers, at the next deadline, a decision recorded while its hand-over to the workflow was lost', async () => {
    const sarah = apiClient(cloud, 'sarah.benali');
    const camille = apiClient(cloud, 'camille.martin');
    const submission = adultSubmission();
    const submitted = await sarah('POST', '/api/referrals', submission, { 'idempotency-key': randomUUID() });
    const item = await eventually(async () => (await camille('GET', '/api/staff/inbox')).body.items.find((i: { referralId: string }) => i.referralId === submitted.body.referralId), 10_000, 'inbox item');
    // Recorded in the table, never handed to the workflow (no SendTaskSuccess).
    await decide(referralDecisions, { approvalId: item.approvalId, decision: { outcome: 'accepted' }, actor: staffCamille });

    const executionArn = `arn:aws:states:eu-west-3:000000000000:execution:${cloud.app.stateMachines[0].name}:${submitted.body.referralId}`;
    expect(await cloud.engine.waitForStatus(executionArn, { timeoutMs: (timings.remindAfterSeconds + 20) * 1000, until: (s) => s !== 'RUNNING' })).toBe('SUCCEEDED');
    const description = await cloud.engine.describeExecution({ executionArn });
    expect(JSON.parse(description.output!).decision.outcome).toBe('accepted');
    const toYoung = (await cloud.ses.listEmails()).filter((m) => m.to.includes(submission.youngPerson.email));
    expect(toYoung.map((m) => m.subject)).toContain('Bienvenue à CoopConnexion !');
    // No reminder was sent for a decided referral, and it is not back in the inbox.
    expect((await cloud.ses.listEmails()).some((m) => m.subject.startsWith('Relance') && m.text?.includes(submitted.body.reference))).toBe(false);
    expect((await camille('GET', '/api/staff/inbox')).body.items.some((i: { referralId: string }) => i.referralId === submitted.body.referralId)).toBe(false);
  }, 60_000);
});

describe('what the reconciler repairs', () => {
  const reconcilerSchedule = () => cloud.app.schedules.find((s) => s.logicalId.startsWith('ReconcilerSchedule'))!.logicalId;
  const executionArnOf = (referralId: string) => `arn:aws:states:eu-west-3:000000000000:execution:${cloud.app.stateMachines[0].name}:${referralId}`;

  it('starts the workflow of a referral whose StartExecution failed and whose client did not retry', async () => {
    const sarah = apiClient(cloud, 'sarah.benali');
    const camille = apiClient(cloud, 'camille.martin');
    cloud.faults.set({ stepfunctions: 1, kinds: ['error'] });
    const key = randomUUID();
    let submitted;
    try {
      submitted = await sarah('POST', '/api/referrals', adultSubmission(), { 'idempotency-key': key });
    } finally {
      cloud.faults.set({ stepfunctions: 0 });
    }
    expect(submitted.status).toBeGreaterThanOrEqual(500);
    // Recorded (its id derives from the key), but every StartExecution failed and the client did not retry: only the
    // reconciler can start its workflow. (Whether the minute's schedule or the run below does it depends on the
    // machine's speed: the check is that it is done.)
    const orphan = { referralId: referralIdFor('ml-lens', key) };
    expect((await camille('GET', `/api/referrals/${orphan.referralId}`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2_500)); // the test stage's grace
    await cloud.scheduler.fireNow(reconcilerSchedule());
    await eventually(
      async () => (await camille('GET', '/api/staff/inbox?limit=100')).body.items.some((i: { referralId: string }) => i.referralId === orphan!.referralId),
      15_000,
      'the repaired referral in the inbox',
    );
  }, 60_000);

  it('notifies a decision made on a workflow that no longer runs', async () => {
    const sarah = apiClient(cloud, 'sarah.benali');
    const camille = apiClient(cloud, 'camille.martin');
    const submission = adultSubmission();
    const submitted = await sarah('POST', '/api/referrals', submission, { 'idempotency-key': randomUUID() });
    const item = await eventually(
      async () => (await camille('GET', '/api/staff/inbox?limit=100')).body.items.find((i: { referralId: string }) => i.referralId === submitted.body.referralId),
      10_000,
      'inbox item',
    );
    // An operator stopped the execution; staff decide all the same, and the answer does not depend on it.
    await cloud.engine.stopExecution({ executionArn: executionArnOf(submitted.body.referralId) });
    const decided = await camille('POST', `/api/approvals/${item.approvalId}/decision`, { outcome: 'accepted' });
    expect(decided.status).toBe(200);
    await new Promise((r) => setTimeout(r, 2_500));
    await cloud.scheduler.fireNow(reconcilerSchedule());
    const welcome = async () => (await cloud.ses.listEmails()).filter((m) => m.to.includes(submission.youngPerson.email) && m.subject === 'Bienvenue à CoopConnexion !');
    await eventually(async () => (await welcome()).length === 1, 15_000, 'the decision e-mail');
    // A second run finds nothing left to do: still one message.
    await cloud.scheduler.fireNow(reconcilerSchedule());
    expect(await welcome()).toHaveLength(1);
  }, 60_000);
});
