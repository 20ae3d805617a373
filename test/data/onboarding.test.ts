import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { useFreshAppTable } from '../support/dynamodb.js';
import { adultSubmission, minorSubmission, prescriberLens, staffCamille } from '../support/fixtures.js';
import {
  decide,
  getApprovalRecord,
  listOpenApprovals,
  openApproval,
  recordDeadline,
  settleWaitingStep,
  takeDecision,
  type WaitingStepHandler,
  type WaitingStepWrites,
} from '../../shared/data/approvals.js';
import {
  createOnboarding,
  finishOnboarding,
  listActiveOnboardings,
  loadStep,
  loadSteps,
  onboardingStepDone,
  onboardingStepSubject,
  prepareReview,
  type OnboardingStepSubject,
} from '../../shared/data/onboarding.js';
import { onboardingReviews } from '../../shared/data/onboarding-review.js';
import { referralDecisions } from '../../shared/data/referral-decisions.js';
import { getReferralRecord, submitReferral } from '../../shared/data/referrals.js';
import { getTimeline } from '../../shared/data/timeline.js';
import { MissingWaitingStepHandler, registeredWaitingStepKinds, waitingStepHandler } from '../../shared/data/waiting-steps.js';
import type { Actor } from '../../shared/domain/actor.js';
import type { ReferralSubmission } from '../../shared/domain/referral.js';
import { WAITING_STEP_AUDIENCE, type WaitingPhase } from '../../shared/domain/waiting-steps.js';

beforeAll(async () => {
  await useFreshAppTable({ STAFF_EMAIL: 'equipe@coopconnexion.local' });
});

/**
 * A kind of the young person's, as the kind helpers write theirs: its subject is the onboarding step, its
 * decision completes the step. The real `documents` handler comes from the documents helper.
 */
const documentsLike: WaitingStepHandler<OnboardingStepSubject, { outcome: 'complete' }> = {
  kind: 'documents',
  audience: 'young-person',
  loadSubject: (referralId) => onboardingStepSubject(referralId, 'documents'),
  allowedOutcomes: (subject) => (subject.waitsIn('initial') ? ['complete'] : []),
  outcomeLabel: () => 'Dossier complet',
  onOpen: () => ({ items: [] }),
  onDeadline: (_context, step) => ({ expires: step === 'expire', label: step, items: [] }),
  onDecision({ table, subject, now }, decision): WaitingStepWrites {
    return { items: [onboardingStepDone(table, subject.referralId, 'documents', decision.outcome, now.toISOString())], cause: `documents-complete#${subject.referralId}` };
  },
};

async function acceptedReferral(submission: ReferralSubmission = adultSubmission()) {
  const { referral } = await submitReferral({ prescriber: prescriberLens, submission, idempotencyKey: randomUUID() });
  const opened = await openApproval(referralDecisions, { subjectId: referral.referralId, phase: 'initial', taskToken: 't', appBaseUrl: 'http://app' });
  if (opened.state !== 'waiting') throw new Error('expected an open approval');
  await decide(referralDecisions, { approvalId: opened.approval.approvalId, decision: { outcome: 'accepted' }, actor: staffCamille });
  await takeDecision(referralDecisions, referral.referralId);
  return (await getReferralRecord(referral.referralId))!;
}

async function onboarded(submission?: ReferralSubmission) {
  const referral = await acceptedReferral(submission);
  await createOnboarding({ referral });
  return referral;
}

const youngPerson = (personId: string): Actor => ({ kind: 'young-person', id: personId, name: 'Léa Martin' });
const openWait = (referralId: string, phase: WaitingPhase = 'initial', handler: WaitingStepHandler<OnboardingStepSubject, never> = documentsLike as never) =>
  openApproval(handler, { subjectId: referralId, phase, taskToken: `token-${randomUUID()}`, executionArn: `arn:exec:onboarding-${referralId}`, appBaseUrl: 'http://app' });

describe('the onboarding record and its steps', () => {
  it('is created once per accepted referral, with the consent skipped for an adult, and the path moves to "onboarding"', async () => {
    const referral = await acceptedReferral();
    const first = await createOnboarding({ referral });
    const again = await createOnboarding({ referral });
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ onboarding: first.onboarding, created: false });
    expect(first.onboarding).toMatchObject({ status: 'active', minor: false, currentStep: 'information-session', programme: 'accompagnement' });
    const steps = await loadSteps(referral.referralId);
    expect(steps.map((s) => [s.step, s.status])).toEqual([
      ['information-session', 'todo'],
      ['diagnosis', 'todo'],
      ['documents', 'todo'],
      ['guardian-consent', 'skipped'],
      ['contract-acceptance', 'todo'],
      ['contract-countersign', 'todo'],
      ['review', 'todo'],
    ]);
    const timeline = await getTimeline(referral.personId);
    expect(timeline.pathStatus).toBe('onboarding');
    expect(timeline.events.filter((e) => e.type === 'onboarding-started')).toHaveLength(1);
  });

  it('asks the guardian for a minor at the programme start', async () => {
    const referral = await onboarded(minorSubmission());
    expect((await loadStep(referral.referralId, 'guardian-consent'))?.status).toBe('todo');
  });

  it('refuses to start the onboarding of a referral that is not accepted', async () => {
    const { referral } = await submitReferral({ prescriber: prescriberLens, submission: adultSubmission(), idempotencyKey: randomUUID() });
    await expect(createOnboarding({ referral })).rejects.toMatchObject({ statusCode: 409 });
  });

  it('lists the onboardings under way on the board, by programme, until they end', async () => {
    const referral = await onboarded(adultSubmission({}, 'jeunes-majeurs'));
    const listed = async (programme?: 'jeunes-majeurs' | 'cjs') => (await listActiveOnboardings({ programme, limit: 100 })).items.some((o) => o.referralId === referral.referralId);
    expect(await listed()).toBe(true);
    expect(await listed('jeunes-majeurs')).toBe(true);
    expect(await listed('cjs')).toBe(false);
    const ready = await finishOnboarding({ referralId: referral.referralId, to: 'ready' });
    expect(ready.changed).toBe(true);
    expect((await finishOnboarding({ referralId: referral.referralId, to: 'ready' })).changed).toBe(false);
    await expect(finishOnboarding({ referralId: referral.referralId, to: 'ended', reason: 'other' })).rejects.toMatchObject({ statusCode: 409 });
    expect(await listed()).toBe(false);
    expect((await getTimeline(referral.personId)).pathStatus).toBe('launch-ready');
  });
});

describe('a step settled by whoever completes it, before or during its wait', () => {
  it('settles before the wait opens: the wait then finds the decision and the workflow takes it without waiting', async () => {
    const referral = await onboarded();
    const settled = await settleWaitingStep(documentsLike, { subjectId: referral.referralId, decision: { outcome: 'complete' }, actor: youngPerson(referral.personId) });
    expect(settled.state).toBe('recorded');
    expect(await loadStep(referral.referralId, 'documents')).toMatchObject({ status: 'done', outcome: 'complete' });
    const opened = await openWait(referral.referralId);
    expect(opened).toEqual({ state: 'decided', approvalId: settled.approval.approvalId });
    const approval = await getApprovalRecord(settled.approval.approvalId);
    expect(approval).toMatchObject({ status: 'decided', handover: 'pending', decidedBy: { id: referral.personId, kind: 'young-person' }, executionArn: `arn:exec:onboarding-${referral.referralId}` });
    expect((await loadStep(referral.referralId, 'documents'))?.currentApprovalId).toBe(settled.approval.approvalId);
    // A retried wait answers the same.
    expect(await openWait(referral.referralId)).toEqual(opened);
    const taken = await takeDecision(documentsLike, referral.referralId);
    expect(taken.decision).toEqual({ outcome: 'complete', approvalId: settled.approval.approvalId, cause: `documents-complete#${referral.referralId}` });
    expect((await getApprovalRecord(settled.approval.approvalId))?.handover).toBe('done');
  });

  it('settles an open wait like a decision, and keeps the young person\'s steps out of the staff inbox', async () => {
    const referral = await onboarded();
    const opened = await openWait(referral.referralId);
    if (opened.state !== 'waiting') throw new Error('expected a wait');
    expect(await loadStep(referral.referralId, 'documents')).toMatchObject({ status: 'waiting', currentApprovalId: opened.approval.approvalId });
    expect((await listOpenApprovals({ limit: 100 })).items.some((a) => a.referralId === referral.referralId)).toBe(false);
    const settled = await settleWaitingStep(documentsLike, { subjectId: referral.referralId, decision: { outcome: 'complete' }, actor: youngPerson(referral.personId) });
    expect(settled).toMatchObject({ state: 'decided', approval: { approvalId: opened.approval.approvalId, status: 'decided', taskToken: opened.approval.taskToken } });
    expect((await takeDecision(documentsLike, referral.referralId)).decision.approvalId).toBe(opened.approval.approvalId);
  });

  it('answers a repeated settle of the same outcome as the first, before and after the wait, and writes nothing twice', async () => {
    const referral = await onboarded();
    const actor = youngPerson(referral.personId);
    const first = await settleWaitingStep(documentsLike, { subjectId: referral.referralId, decision: { outcome: 'complete' }, actor });
    const again = await settleWaitingStep(documentsLike, { subjectId: referral.referralId, decision: { outcome: 'complete' }, actor });
    expect(again.approval.approvalId).toBe(first.approval.approvalId);
    expect(again.workflowDecision).toEqual(first.workflowDecision);
    await openWait(referral.referralId);
    await takeDecision(documentsLike, referral.referralId);
    const late = await settleWaitingStep(documentsLike, { subjectId: referral.referralId, decision: { outcome: 'complete' }, actor });
    expect(late.approval.approvalId).toBe(first.approval.approvalId);
  });

  it('lets a settle racing with the opening of its wait land once: the wait takes it', async () => {
    const referral = await onboarded();
    const opened = await openApproval(documentsLike, {
      subjectId: referral.referralId,
      phase: 'initial',
      taskToken: 'token-race',
      appBaseUrl: 'http://app',
      interleave: async (point) => {
        if (point === 'before-write') await settleWaitingStep(documentsLike, { subjectId: referral.referralId, decision: { outcome: 'complete' }, actor: youngPerson(referral.personId) });
      },
    });
    expect(opened.state).toBe('decided');
    const approval = await getApprovalRecord(opened.state === 'decided' ? opened.approvalId : '');
    expect(approval).toMatchObject({ status: 'decided', settledBeforeWait: true, taskToken: 'token-race' });
  });

  it('refuses a settle once the onboarding ended', async () => {
    const referral = await onboarded();
    await finishOnboarding({ referralId: referral.referralId, to: 'ended', reason: 'withdrawn' });
    await expect(settleWaitingStep(documentsLike, { subjectId: referral.referralId, decision: { outcome: 'complete' }, actor: youngPerson(referral.personId) })).rejects.toMatchObject({ statusCode: 409 });
    expect((await getTimeline(referral.personId)).pathStatus).toBe('onboarding-ended');
  });
});

describe('the staff review of a stuck step', () => {
  async function stuckAtDocuments() {
    const referral = await onboarded();
    const opened = await openWait(referral.referralId);
    if (opened.state !== 'waiting') throw new Error('expected a wait');
    // Documents still missing at the last deadline: the wait expires and the file goes to staff.
    await recordDeadline(documentsLike, { subjectId: referral.referralId, step: 'expire', timings: { expireAfterSeconds: 14 * 86_400 }, appBaseUrl: 'http://app' });
    await prepareReview(referral.referralId, 'documents');
    await prepareReview(referral.referralId, 'documents');
    const review = await openWait(referral.referralId, 'initial', onboardingReviews as never);
    if (review.state !== 'waiting') throw new Error('expected a review');
    return { referral, documents: opened.approval, review: review.approval };
  }

  it('is listed in the staff inbox, and "continue" puts the stuck step back to waiting under a new approval', async () => {
    const { referral, documents, review } = await stuckAtDocuments();
    expect((await listOpenApprovals({ kind: 'onboarding-review', limit: 100 })).items.find((a) => a.approvalId === review.approvalId)).toMatchObject({ onboardingStep: 'documents' });
    await decide(onboardingReviews, { approvalId: review.approvalId, decision: { outcome: 'continue' }, actor: staffCamille });
    expect((await takeDecision(onboardingReviews, referral.referralId)).decision.outcome).toBe('continue');
    expect(await loadStep(referral.referralId, 'review')).toMatchObject({ status: 'done', outcome: 'continue' });
    const resumed = await openWait(referral.referralId, 'resumed');
    if (resumed.state !== 'waiting') throw new Error('expected the step to wait again');
    expect(resumed.created).toBe(true);
    expect(resumed.approval.approvalId).not.toBe(documents.approvalId);
    expect(await loadStep(referral.referralId, 'documents')).toMatchObject({ status: 'waiting', currentApprovalId: resumed.approval.approvalId });
    const events = (await getTimeline(referral.personId)).events.map((e) => e.type);
    expect(events).toEqual(expect.arrayContaining(['onboarding-review-requested', 'onboarding-review-continue']));
  });

  it('takes the end reason with the decision', async () => {
    const { referral, review } = await stuckAtDocuments();
    await decide(onboardingReviews, { approvalId: review.approvalId, decision: { outcome: 'end', reasonCode: 'documents-missing', comment: 'Plus de nouvelles.' }, actor: staffCamille });
    expect(await loadStep(referral.referralId, 'review')).toMatchObject({ status: 'done', outcome: 'end', reasonCode: 'documents-missing', comment: 'Plus de nouvelles.' });
  });
});

describe('the registry of kinds', () => {
  it('gives each registered handler the audience of its kind, and names a kind without a handler clearly', () => {
    for (const kind of registeredWaitingStepKinds()) {
      expect(waitingStepHandler(kind)).toMatchObject({ kind, audience: WAITING_STEP_AUDIENCE[kind] });
    }
    const missing = (Object.keys(WAITING_STEP_AUDIENCE) as Array<keyof typeof WAITING_STEP_AUDIENCE>).find((k) => !registeredWaitingStepKinds().includes(k));
    if (missing) expect(() => waitingStepHandler(missing)).toThrow(MissingWaitingStepHandler);
  });
});
