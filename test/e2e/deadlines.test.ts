import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { apiClient, eventually, startTestCloud } from '../support/cloud.js';
import { adultSubmission } from '../support/fixtures.js';
import { loadStageConfig } from '../../infra/config.js';
import type { ParcoursLocalCloud as LocalCloud } from '../../infra/local-app/profile.js';
import { decide } from '../../shared/data/approvals.js';
import { referralDecisions } from '../../shared/data/referral-decisions.js';
import { staffCamille } from '../support/fixtures.js';

// The `test` stage shortens the referral deadlines to seconds; the workflow and functions are the deployed ones.
const timings = loadStageConfig('test').referral;
let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startTestCloud({ stage: 'test', inMemory: true });
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
    await decide(referralDecisions, { approvalId: item.approvalId, decision: { outcome: 'accepted' }, staff: staffCamille });

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
