import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { useFreshAppTable } from '../support/dynamodb.js';
import { adultSubmission, prescriberLens, prescriberLievin, staffCamille } from '../support/fixtures.js';
import { decideReferral, listOpenApprovals, openReferralApproval, recordReferralDeadline } from '../../shared/data/approvals.js';
import { getReferralFor, listReferralsFor, submitReferral } from '../../shared/data/referrals.js';
import { getTimeline } from '../../shared/data/timeline.js';
import { keys } from '../../shared/keys.js';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

let doc: DynamoDBDocumentClient;
let table: string;

beforeAll(async () => {
  ({ doc, tableName: table } = await useFreshAppTable({ STAFF_EMAIL: 'equipe@coopconnexion.local' }));
});

async function countByType(type: string): Promise<number> {
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(new ScanCommand({ TableName: table, FilterExpression: '#t = :t', ExpressionAttributeNames: { '#t': 'type' }, ExpressionAttributeValues: { ':t': type }, ExclusiveStartKey: start }));
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return count;
}

async function outboxOf(personId: string) {
  const r = await doc.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)', ExpressionAttributeValues: { ':pk': keys.person(personId).pk, ':sk': 'NOTIFICATION#' } }));
  return r.Items ?? [];
}

describe('a submission is recorded once per idempotency key', () => {
  it('creates the referral, the person and the acknowledgements in one write', async () => {
    const submission = adultSubmission();
    const { referral, created } = await submitReferral({ prescriber: prescriberLens, submission, idempotencyKey: randomUUID() });
    expect(created).toBe(true);
    expect(referral.status).toBe('pending');
    expect(referral.duplicate.linked).toBe(false);
    const outbox = await outboxOf(referral.personId);
    expect(outbox.map((m) => `${m.role}:${m.channel}`).sort()).toEqual(['prescriber:email', 'young:email', 'young:sms']);
    expect(outbox.every((m) => m.status === 'pending')).toBe(true);
    expect(outbox.find((m) => m.channel === 'sms')!.body).not.toMatch(/[éèàç]/);
  });

  it('answers a replay with the same referral and writes nothing more', async () => {
    const submission = adultSubmission();
    const key = randomUUID();
    const first = await submitReferral({ prescriber: prescriberLens, submission, idempotencyKey: key });
    const before = await countByType('referral');
    const again = await submitReferral({ prescriber: prescriberLens, submission, idempotencyKey: key });
    expect(again.created).toBe(false);
    expect(again.referral.referralId).toBe(first.referral.referralId);
    expect(await countByType('referral')).toBe(before);
  });

  it('refuses the same key with a different content', async () => {
    const key = randomUUID();
    await submitReferral({ prescriber: prescriberLens, submission: adultSubmission(), idempotencyKey: key });
    await expect(submitReferral({ prescriber: prescriberLens, submission: adultSubmission(), idempotencyKey: key })).rejects.toMatchObject({ statusCode: 409 });
  });

  it('keeps concurrent replays of one key to one referral', async () => {
    const submission = adultSubmission();
    const key = randomUUID();
    const results = await Promise.all(Array.from({ length: 8 }, () => submitReferral({ prescriber: prescriberLens, submission, idempotencyKey: key })));
    expect(new Set(results.map((r) => r.referral.referralId)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });
});

describe('a prescriber sees only their organisation', () => {
  it('lists and reads their own referrals, and another organisation’s is "not found"', async () => {
    const { referral } = await submitReferral({ prescriber: prescriberLievin, submission: adultSubmission(), idempotencyKey: randomUUID() });
    const lens = await listReferralsFor(prescriberLens);
    expect(lens.every((r) => r.organisationId === 'ml-lens')).toBe(true);
    expect(lens.some((r) => r.referralId === referral.referralId)).toBe(false);
    const lievin = await listReferralsFor(prescriberLievin);
    expect(lievin.some((r) => r.referralId === referral.referralId)).toBe(true);
    await expect(getReferralFor(prescriberLens, referral.referralId)).rejects.toMatchObject({ statusCode: 404 });
    await expect(getReferralFor(staffCamille, referral.referralId)).resolves.toMatchObject({ referralId: referral.referralId });
  });
});

describe('a decision goes through a single-use approval', () => {
  async function pendingWithApproval() {
    const { referral } = await submitReferral({ prescriber: prescriberLens, submission: adultSubmission(), idempotencyKey: randomUUID() });
    const { approval } = await openReferralApproval({ referralId: referral.referralId, taskToken: `token-${randomUUID()}`, phase: 'initial' });
    return { referral, approval };
  }

  it('lists the open approval in the inbox, then removes it when decided', async () => {
    const { referral, approval } = await pendingWithApproval();
    expect((await listOpenApprovals()).some((a) => a.approvalId === approval.approvalId)).toBe(true);
    const result = await decideReferral({ approvalId: approval.approvalId, decision: { outcome: 'accepted' }, staff: staffCamille });
    expect(result.taskToken).toBe(approval.taskToken);
    expect(result.workflowOutput).toEqual({ outcome: 'accepted', approvalId: approval.approvalId, cause: expect.stringContaining(referral.referralId) });
    expect((await listOpenApprovals()).some((a) => a.approvalId === approval.approvalId)).toBe(false);
    const { pathStatus, events } = await getTimeline(referral.personId);
    expect(pathStatus).toBe('onboarding-to-start');
    expect(events.map((e) => e.type)).toEqual(['referral-submitted', 'referral-accepted']);
    expect(events[1].actor).toEqual({ kind: 'staff', name: 'Camille Martin' });
  });

  it('refuses a second decision with a message saying when and by whom', async () => {
    const { approval } = await pendingWithApproval();
    await decideReferral({ approvalId: approval.approvalId, decision: { outcome: 'refused', reasonCode: 'territory', messageToYoungPerson: 'Désolés' }, staff: staffCamille });
    await expect(decideReferral({ approvalId: approval.approvalId, decision: { outcome: 'accepted' }, staff: staffCamille })).rejects.toThrow(/déjà été décidée .* par Camille Martin \(refusée\)/);
  });

  it('lets exactly one of two concurrent decisions win', async () => {
    const { referral, approval } = await pendingWithApproval();
    const results = await Promise.allSettled([
      decideReferral({ approvalId: approval.approvalId, decision: { outcome: 'accepted' }, staff: staffCamille }),
      decideReferral({ approvalId: approval.approvalId, decision: { outcome: 'refused', reasonCode: 'other' }, staff: staffCamille }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({ statusCode: 409 });
    const outbox = await outboxOf(referral.personId);
    expect(outbox.filter((m) => String(m.cause).startsWith('referral-decided'))).toHaveLength(3);
  });

  it('shows the refusal reason to the young person only when the list says so', async () => {
    const { referral, approval } = await pendingWithApproval();
    await decideReferral({ approvalId: approval.approvalId, decision: { outcome: 'refused', reasonCode: 'no-contact', messageToPrescriber: 'Trois appels sans réponse.' }, staff: staffCamille });
    const outbox = await outboxOf(referral.personId);
    const toYoung = outbox.find((m) => m.role === 'young' && m.channel === 'email' && String(m.cause).startsWith('referral-decided'))!;
    const toPrescriber = outbox.find((m) => m.role === 'prescriber' && String(m.cause).startsWith('referral-decided'))!;
    expect(toYoung.body).not.toContain('injoignable');
    expect(toPrescriber.body).toContain('Jeune injoignable');
    expect(toPrescriber.body).toContain('Trois appels sans réponse.');
  });

  it('opens a new approval after a waitlist decision, and keeps the approval across reminder phases', async () => {
    const { referral, approval } = await pendingWithApproval();
    const refreshed = await openReferralApproval({ referralId: referral.referralId, taskToken: 'token-2', phase: 'reminded' });
    expect(refreshed.created).toBe(false);
    expect(refreshed.approval.approvalId).toBe(approval.approvalId);
    await decideReferral({ approvalId: approval.approvalId, decision: { outcome: 'waitlisted' }, staff: staffCamille });
    const next = await openReferralApproval({ referralId: referral.referralId, taskToken: 'token-3', phase: 'waitlist' });
    expect(next.created).toBe(true);
    expect(next.approval.approvalId).not.toBe(approval.approvalId);
    await expect(decideReferral({ approvalId: next.approval.approvalId, decision: { outcome: 'waitlisted' }, staff: staffCamille })).rejects.toMatchObject({ statusCode: 409 });
    await decideReferral({ approvalId: next.approval.approvalId, decision: { outcome: 'accepted' }, staff: staffCamille });
  });
});

describe('deadlines of a pending referral', () => {
  it('records reminder and escalation once each, then expiry closes the referral', async () => {
    const { referral } = await submitReferral({ prescriber: prescriberLens, submission: adultSubmission(), idempotencyKey: randomUUID() });
    await openReferralApproval({ referralId: referral.referralId, taskToken: 't', phase: 'initial' });
    const args = { referralId: referral.referralId, appBaseUrl: 'http://app', expireAfterSeconds: 30 * 86400 };
    const remind = await recordReferralDeadline({ ...args, step: 'remind' });
    await recordReferralDeadline({ ...args, step: 'remind' });
    await recordReferralDeadline({ ...args, step: 'escalate' });
    await recordReferralDeadline({ ...args, step: 'expire' });
    expect(remind.recorded?.cause).toContain('referral-remind');
    const { events, pathStatus, referrals } = await getTimeline(referral.personId);
    expect(events.map((e) => e.type)).toEqual(['referral-submitted', 'referral-remind', 'referral-escalate', 'referral-expire']);
    expect(referrals[0].status).toBe('expired');
    expect(pathStatus).toBe('not-admitted');
    const outbox = await outboxOf(referral.personId);
    expect(outbox.filter((m) => m.role === 'staff').map((m) => m.kind).sort()).toEqual(['referral-escalation', 'referral-reminder']);
    expect(outbox.some((m) => m.kind === 'referral-expired' && m.role === 'prescriber')).toBe(true);
  });

  it('hands over a decision recorded while the callback timed out, instead of recording the deadline', async () => {
    const { referral } = await submitReferral({ prescriber: prescriberLens, submission: adultSubmission(), idempotencyKey: randomUUID() });
    const { approval } = await openReferralApproval({ referralId: referral.referralId, taskToken: 't', phase: 'initial' });
    const decided = await decideReferral({ approvalId: approval.approvalId, decision: { outcome: 'accepted' }, staff: staffCamille });
    const outcome = await recordReferralDeadline({ referralId: referral.referralId, step: 'expire', appBaseUrl: 'x', expireAfterSeconds: 1 });
    expect(outcome).toEqual({ recorded: null, decision: decided.workflowOutput });
    expect((await getTimeline(referral.personId)).referrals[0].status).toBe('accepted');
  });

  it('hands over the final decision of a waitlisted referral at its review, and nothing while it still waits', async () => {
    const { referral } = await submitReferral({ prescriber: prescriberLens, submission: adultSubmission(), idempotencyKey: randomUUID() });
    const { approval } = await openReferralApproval({ referralId: referral.referralId, taskToken: 't1', phase: 'initial' });
    await decideReferral({ approvalId: approval.approvalId, decision: { outcome: 'waitlisted' }, staff: staffCamille });
    const next = await openReferralApproval({ referralId: referral.referralId, taskToken: 't2', phase: 'waitlist' });
    const args = { referralId: referral.referralId, appBaseUrl: 'x', expireAfterSeconds: 1, step: 'waitlist-review' as const };
    expect((await recordReferralDeadline(args)).decision).toBeUndefined();
    const final = await decideReferral({ approvalId: next.approval.approvalId, decision: { outcome: 'refused', reasonCode: 'programme-full' }, staff: staffCamille });
    expect((await recordReferralDeadline(args)).decision).toEqual(final.workflowOutput);
  });
});
