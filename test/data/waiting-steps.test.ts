import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { useFreshAppTable } from '../support/dynamodb.js';
import { adultSubmission, prescriberLens, staffCamille } from '../support/fixtures.js';
import {
  decide,
  getApprovalRecord,
  listOpenApprovals,
  listPendingHandovers,
  openApproval,
  recordDeadline,
  takeDecision,
  type Interleave,
} from '../../shared/data/approvals.js';
import { recordIncidentSubject, incidents } from '../../shared/data/incidents.js';
import { referralDecisions } from '../../shared/data/referral-decisions.js';
import { getReferralRecord, submitReferral } from '../../shared/data/referrals.js';
import { getTimeline } from '../../shared/data/timeline.js';
import type { Decision } from '../../shared/domain/referral.js';
import type { DeadlineStep, WaitingPhase } from '../../shared/domain/waiting-steps.js';
import { keys } from '../../shared/keys.js';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

let doc: DynamoDBDocumentClient;
let table: string;

beforeAll(async () => {
  ({ doc, tableName: table } = await useFreshAppTable({ STAFF_EMAIL: 'equipe@coopconnexion.local' }));
});

async function outboxOf(personId: string) {
  const r = await doc.send(
    new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)', ExpressionAttributeValues: { ':pk': keys.person(personId).pk, ':sk': 'NOTIFICATION#' } }),
  );
  return r.Items ?? [];
}

const open = (referralId: string, phase: WaitingPhase = 'initial', interleave?: Interleave) =>
  openApproval(referralDecisions, { subjectId: referralId, phase, taskToken: `token-${randomUUID()}`, executionArn: `arn:exec:${referralId}`, appBaseUrl: 'http://app', interleave });
const decideOn = (approvalId: string, decision: Decision) => decide(referralDecisions, { approvalId, decision, actor: staffCamille });
const deadline = (referralId: string, step: DeadlineStep, interleave?: Interleave) =>
  recordDeadline(referralDecisions, { subjectId: referralId, step, timings: { expireAfterSeconds: 30 * 86_400 }, appBaseUrl: 'http://app', interleave });

async function pendingWithApproval() {
  const { referral } = await submitReferral({ prescriber: prescriberLens, submission: adultSubmission(), idempotencyKey: randomUUID() });
  const opened = await open(referral.referralId);
  if (opened.state !== 'waiting') throw new Error('expected an open approval');
  return { referral, approval: opened.approval };
}

/** A waitlisted referral whose workflow took the waitlist decision and waits for a place. */
async function waitlistedWithApproval() {
  const { referral, approval } = await pendingWithApproval();
  await decideOn(approval.approvalId, { outcome: 'waitlisted' });
  await takeDecision(referralDecisions, referral.referralId);
  const opened = await open(referral.referralId, 'waitlist');
  if (opened.state !== 'waiting') throw new Error('expected an open approval');
  return { referral, approval: opened.approval };
}

describe('a decision goes through a single-use approval', () => {
  it('lists the open approval in the inbox, then lists it as a hand-over due until the workflow takes it', async () => {
    const { referral, approval } = await pendingWithApproval();
    expect((await listOpenApprovals({ limit: 100 })).items.some((a) => a.approvalId === approval.approvalId)).toBe(true);
    const result = await decideOn(approval.approvalId, { outcome: 'accepted' });
    expect(result.workflowDecision).toEqual({ outcome: 'accepted', approvalId: approval.approvalId, cause: expect.stringContaining(referral.referralId) });
    expect((await listOpenApprovals({ limit: 100 })).items.some((a) => a.approvalId === approval.approvalId)).toBe(false);
    const due = await listPendingHandovers(new Date(Date.now() + 1000).toISOString(), { limit: 100 });
    expect(due.items.some((a) => a.approvalId === approval.approvalId)).toBe(true);
    const taken = await takeDecision(referralDecisions, referral.referralId);
    expect(taken.decision).toEqual(result.workflowDecision);
    expect((await getApprovalRecord(approval.approvalId))?.handover).toBe('done');
    expect((await listPendingHandovers(new Date(Date.now() + 1000).toISOString(), { limit: 100 })).items.some((a) => a.approvalId === approval.approvalId)).toBe(false);
    const { pathStatus, events } = await getTimeline(referral.personId);
    expect(pathStatus).toBe('onboarding-to-start');
    expect(events.map((e) => e.type)).toEqual(['referral-submitted', 'referral-accepted']);
  });

  it('refuses a second decision with a message saying when and by whom', async () => {
    const { approval } = await pendingWithApproval();
    await decideOn(approval.approvalId, { outcome: 'refused', reasonCode: 'territory', messageToYoungPerson: 'Désolés' });
    await expect(decideOn(approval.approvalId, { outcome: 'accepted' })).rejects.toThrow(/déjà été décidée .* par Camille Martin \(refusée\)/);
  });

  it('answers a repeated request of the same decision by the same person with the same result (a retried commit)', async () => {
    const { referral, approval } = await pendingWithApproval();
    const first = await decideOn(approval.approvalId, { outcome: 'accepted' });
    const again = await decideOn(approval.approvalId, { outcome: 'accepted' });
    expect(again.workflowDecision).toEqual(first.workflowDecision);
    expect((await outboxOf(referral.personId)).filter((m) => String(m.cause).startsWith('referral-decided'))).toHaveLength(3);
    await expect(decide(referralDecisions, { approvalId: approval.approvalId, decision: { outcome: 'accepted' }, actor: { ...staffCamille, id: 'sub-other', name: 'Autre' } })).rejects.toMatchObject({ statusCode: 409 });
  });

  it('says an expired approval expired, never "undefined"', async () => {
    const { referral, approval } = await pendingWithApproval();
    await deadline(referral.referralId, 'expire');
    const error = await decideOn(approval.approvalId, { outcome: 'accepted' }).catch((e: Error) => e);
    expect(error).toMatchObject({ statusCode: 409 });
    expect((error as Error).message).toMatch(/a expiré le .* sans décision/);
    expect((error as Error).message).not.toContain('undefined');
  });

  it('lets exactly one of two concurrent decisions win, and writes its messages once', async () => {
    const { referral, approval } = await pendingWithApproval();
    const results = await Promise.allSettled([
      decideOn(approval.approvalId, { outcome: 'accepted' }),
      decideOn(approval.approvalId, { outcome: 'refused', reasonCode: 'other' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({ statusCode: 409 });
    expect((await outboxOf(referral.personId)).filter((m) => String(m.cause).startsWith('referral-decided'))).toHaveLength(3);
  });

  it('keeps one approval across reminder phases, and opens a new one for the waiting list', async () => {
    const { referral, approval } = await pendingWithApproval();
    const refreshed = await open(referral.referralId, 'reminded');
    expect(refreshed).toMatchObject({ state: 'waiting', created: false, approval: { approvalId: approval.approvalId, phase: 'reminded' } });
    const { approval: place } = await waitlistedWithApproval();
    expect(place.approvalId).not.toBe(approval.approvalId);
    await expect(decideOn(place.approvalId, { outcome: 'waitlisted' })).rejects.toMatchObject({ statusCode: 409 });
    await decideOn(place.approvalId, { outcome: 'accepted' });
  });

  it('tells a wait that begins after the decision to take it, instead of opening an approval that never closes', async () => {
    const { referral, approval } = await pendingWithApproval();
    await decideOn(approval.approvalId, { outcome: 'refused', reasonCode: 'other' });
    expect(await open(referral.referralId, 'reminded')).toEqual({ state: 'decided', approvalId: approval.approvalId });
    expect((await listOpenApprovals({ limit: 100 })).items.filter((a) => a.referralId === referral.referralId)).toEqual([]);
  });
});

describe('a decision interleaved at every point of a deadline step: one of them wins, and only the winner is notified', () => {
  type Point = 'before' | 'after-read' | 'before-write' | 'after';
  const POINTS: Point[] = ['before', 'after-read', 'before-write', 'after'];
  const STEPS: DeadlineStep[] = ['remind', 'escalate', 'expire', 'waitlist-review'];

  for (const step of STEPS) {
    for (const point of POINTS) {
      it(`${step}, decision ${point}`, async () => {
        const { referral, approval } = step === 'waitlist-review' ? await waitlistedWithApproval() : await pendingWithApproval();
        const outcome: Decision = { outcome: 'accepted' };
        let decisionError: unknown;
        const decideNow = async () => {
          await decideOn(approval.approvalId, outcome).catch((error: unknown) => {
            decisionError = error;
          });
        };
        if (point === 'before') await decideNow();
        const interleave: Interleave = async (at) => {
          if (at === point) await decideNow();
        };
        const result = await deadline(referral.referralId, step, interleave);
        if (point === 'after') await decideNow();

        const final = await getReferralRecord(referral.referralId);
        const outbox = await outboxOf(referral.personId);
        const decisionMessages = outbox.filter((m) => String(m.cause).startsWith(`referral-decided#${referral.referralId}#${approval.approvalId}`));
        const expiryMessages = outbox.filter((m) => m.kind === 'referral-expired');
        const { events } = await getTimeline(referral.personId);

        if (point !== 'after') {
          // Staff decided before the deadline's write: the decision wins, the deadline writes nothing.
          expect(result).toEqual({ state: 'decided', approvalId: approval.approvalId });
          expect(final?.status).toBe('accepted');
          expect(events.some((e) => e.type === `referral-${step}`)).toBe(false);
          expect(decisionMessages).toHaveLength(3);
          expect(expiryMessages).toHaveLength(0);
          expect((await takeDecision(referralDecisions, referral.referralId)).decision.outcome).toBe('accepted');
        } else if (step === 'expire') {
          // The expiry was written first: the decision is refused, the prescriber hears of the expiry only.
          expect(result).toMatchObject({ state: 'recorded', expired: true });
          expect(decisionError).toMatchObject({ statusCode: 409 });
          expect(final?.status).toBe('expired');
          expect(decisionMessages).toHaveLength(0);
          expect(expiryMessages).toHaveLength(1);
        } else {
          // The reminder went first; the decision follows and the next wait takes it instead of waiting again.
          expect(result).toMatchObject({ state: 'recorded', expired: false });
          expect(decisionError).toBeUndefined();
          expect(events.filter((e) => e.type === `referral-${step}`)).toHaveLength(1);
          const next = await open(referral.referralId, step === 'waitlist-review' ? 'waitlist' : step === 'remind' ? 'reminded' : 'escalated');
          expect(next).toEqual({ state: 'decided', approvalId: approval.approvalId });
          expect(decisionMessages).toHaveLength(3);
        }
        // Never both, never an approval left open for a decided referral.
        expect(final?.status === 'expired' && decisionMessages.length > 0).toBe(false);
        const stillOpen = (await listOpenApprovals({ limit: 100 })).items.filter((a) => a.referralId === referral.referralId);
        expect(stillOpen).toEqual([]);
      });
    }
  }

  it('a decision between the read and the token refresh of the next wait is taken, not waited for', async () => {
    const { referral, approval } = await pendingWithApproval();
    await deadline(referral.referralId, 'remind');
    let decided = false;
    const result = await open(referral.referralId, 'reminded', async (at) => {
      if (at !== 'after-read' || decided) return;
      decided = true;
      await decideOn(approval.approvalId, { outcome: 'refused', reasonCode: 'other' });
    });
    expect(result).toEqual({ state: 'decided', approvalId: approval.approvalId });
  });

  it('records each deadline once when its step is retried', async () => {
    const { referral } = await pendingWithApproval();
    await deadline(referral.referralId, 'remind');
    await deadline(referral.referralId, 'remind');
    await deadline(referral.referralId, 'escalate');
    await deadline(referral.referralId, 'expire');
    const again = await deadline(referral.referralId, 'expire');
    expect(again).toMatchObject({ state: 'recorded', expired: true });
    const { events, pathStatus } = await getTimeline(referral.personId);
    expect(events.map((e) => e.type)).toEqual(['referral-submitted', 'referral-remind', 'referral-escalate', 'referral-expire']);
    expect(pathStatus).toBe('not-admitted');
    const outbox = await outboxOf(referral.personId);
    expect(outbox.filter((m) => m.role === 'staff').map((m) => m.kind).sort()).toEqual(['referral-decision-request', 'referral-escalation', 'referral-reminder']);
  });
});

describe('a step that failed waits "à traiter"', () => {
  it('opens one incident per execution and step, listed in the inbox with a French explanation, and reopens after a retry', async () => {
    const { referral } = await pendingWithApproval();
    const subject = { executionArn: `arn:exec:${referral.referralId}`, step: 'Accuser réception', error: 'ProvisionedThroughputExceededException', referralId: referral.referralId, personId: referral.personId };
    const subjectId = await recordIncidentSubject(subject);
    expect(await recordIncidentSubject(subject)).toBe(subjectId);
    const first = await openApproval(incidents, { subjectId, phase: 'incident', taskToken: 't1', appBaseUrl: '' });
    if (first.state !== 'waiting') throw new Error('expected an incident');
    expect(first.approval.incident?.explanation).toMatch(/Accuser réception.*base de données était saturée/);
    const listed = await listOpenApprovals({ kind: 'incident', limit: 100 });
    expect(listed.items.map((a) => a.approvalId)).toContain(first.approval.approvalId);
    expect(listed.items.every((a) => a.kind === 'incident')).toBe(true);

    await decide(incidents, { approvalId: first.approval.approvalId, decision: { outcome: 'retry' }, actor: staffCamille });
    expect((await takeDecision(incidents, subjectId)).decision.outcome).toBe('retry');
    const second = await openApproval(incidents, { subjectId, phase: 'incident', taskToken: 't2', appBaseUrl: '' });
    expect(second).toMatchObject({ state: 'waiting', created: true });
  });
});

describe('closing a path from its incident', () => {
  it('closes the referral and its open approval, and takes it off the reconciler\'s list', async () => {
    const { referral, approval } = await pendingWithApproval();
    const subjectId = await recordIncidentSubject({ executionArn: `arn:exec:${referral.referralId}`, step: "Relancer l'équipe", error: 'States.TaskFailed', referralId: referral.referralId, personId: referral.personId });
    const opened = await openApproval(incidents, { subjectId, phase: 'incident', taskToken: 't', appBaseUrl: '' });
    if (opened.state !== 'waiting') throw new Error('expected an incident');
    await decide(incidents, { approvalId: opened.approval.approvalId, decision: { outcome: 'close', comment: 'Le jeune a déménagé.' }, actor: staffCamille });
    expect((await getReferralRecord(referral.referralId))?.status).toBe('closed');
    expect((await getApprovalRecord(approval.approvalId))?.status).toBe('closed');
    expect((await listOpenApprovals({ limit: 100 })).items.filter((a) => a.referralId === referral.referralId)).toEqual([]);
    const { pathStatus, events } = await getTimeline(referral.personId);
    expect(pathStatus).toBe('not-admitted');
    expect(events.map((e) => e.type)).toContain('path-incident-close');
    const error = await decideOn(approval.approvalId, { outcome: 'accepted' }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/a été close/);
  });
});

describe('the inbox pages with a cursor, and filters by kind and programme', () => {
  it('walks every open approval exactly once, page by page', async () => {
    await Promise.all(Array.from({ length: 7 }, () => pendingWithApproval()));
    const all = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listOpenApprovals({ kind: 'referral-decision', programme: 'accompagnement', limit: 3, cursor });
      for (const a of page.items) {
        expect(all.has(a.approvalId)).toBe(false);
        all.add(a.approvalId);
        expect(a.programme).toBe('accompagnement');
      }
      cursor = page.cursor;
      pages += 1;
    } while (cursor);
    expect(all.size).toBeGreaterThanOrEqual(7);
    expect(pages).toBeGreaterThan(2);
  });

  it('refuses a cursor it did not make', async () => {
    await expect(listOpenApprovals({ cursor: 'bm90LWEtY3Vyc29y' })).rejects.toMatchObject({ statusCode: 400 });
  });
});
