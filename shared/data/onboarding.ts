import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { db, queryIndexPage, queryPrefix, tableName, type Page } from './client.js';
import { INDEX, keys } from '../keys.js';
import type { Actor } from '../domain/actor.js';
import { ConflictError } from '../domain/errors.js';
import {
  ONBOARDING_STEPS,
  ONBOARDING_STEP_LABELS,
  initialStepStatus,
  isMinorAtStart,
  type OnboardingEndReason,
  type OnboardingStatus,
  type OnboardingStep,
  type OnboardingStepStatus,
} from '../domain/onboarding.js';
import type { Programme } from '../domain/programmes.js';
import type { OnboardingPathStatus } from '../domain/referral.js';
import type { TransactItem, WaitingSubject } from './approvals.js';
import { timelinePut } from './people.js';
import type { ReferralRecord } from './referrals.js';
import { isConditionFailure } from './transactions.js';

/** The onboarding of one accepted referral (`referralId` is its id). */
export interface OnboardingRecord {
  referralId: string;
  personId: string;
  programme: Programme;
  programmeStartDate: string;
  /** A minor when the programme starts: the guardian's consent is a step. */
  minor: boolean;
  status: OnboardingStatus;
  startedAt: string;
  updatedAt: string;
  /** The step the path waits on now (the board shows it and its age). */
  currentStep: OnboardingStep;
  readyAt?: string;
  endedAt?: string;
  endedReason?: OnboardingEndReason;
}

/** One step of an onboarding: the subject of that step's waiting step. */
export interface OnboardingStepItem {
  referralId: string;
  personId: string;
  programme: Programme;
  step: OnboardingStep;
  status: OnboardingStepStatus;
  /** Since when the step waits (while `waiting`), or when the item was written. */
  since: string;
  updatedAt: string;
  doneAt?: string;
  outcome?: string;
  currentApprovalId?: string;
  /** The review only: the step that got stuck, where `continue` goes back to. */
  stuckStep?: OnboardingStep;
  /** The review only: the staff's reason and comment when they end the path. */
  reasonCode?: OnboardingEndReason;
  comment?: string;
}

/** The onboarding's identity and its items, keyed like every record: one partition per accepted referral. */
const recordItem = (record: OnboardingRecord) => ({
  ...keys.onboarding(record.referralId),
  ...(record.status === 'active' ? keys.onboardingBoardEntry(record.startedAt, record.referralId) : {}),
  type: 'onboarding',
  ...record,
});

/**
 * The transaction item that records an onboarding's path status on the person's link to its referral: the
 * person's path status derives from it (shared/domain/path-status.ts), beside the referral's own status.
 */
export function onboardingPathStatusUpdate(table: string, personId: string, referralId: string, status: OnboardingPathStatus, now: string): TransactItem {
  return {
    Update: {
      TableName: table,
      Key: keys.personReferralLink(personId, referralId),
      UpdateExpression: 'SET onboardingStatus = :status, updatedAt = :now',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':status': status, ':now': now },
    },
  };
}

/**
 * Opens the onboarding of an accepted referral: the record, one item per step (the guardian's consent `skipped`
 * for an adult), the person's path status `onboarding` and the timeline event, with `extraItems` (the welcome
 * messages) in the same transaction. Idempotent: a repeat finds the record and writes nothing.
 */
export async function createOnboarding(input: {
  referral: ReferralRecord;
  actor?: Actor;
  now?: Date;
  extraItems?: (record: OnboardingRecord) => TransactItem[];
}): Promise<{ onboarding: OnboardingRecord; created: boolean }> {
  const { referral } = input;
  const existing = await getOnboarding(referral.referralId);
  if (existing) return { onboarding: existing, created: false };
  if (referral.status !== 'accepted') throw new ConflictError(`onboarding of a ${referral.status} referral`);
  const now = (input.now ?? new Date()).toISOString();
  const minor = isMinorAtStart(referral.youngPerson.birthDate, referral.programmeStartDate);
  const record: OnboardingRecord = {
    referralId: referral.referralId,
    personId: referral.personId,
    programme: referral.programme,
    programmeStartDate: referral.programmeStartDate,
    minor,
    status: 'active',
    startedAt: now,
    updatedAt: now,
    currentStep: 'information-session',
  };
  const table = tableName();
  const steps = ONBOARDING_STEPS.map((step): OnboardingStepItem => ({
    referralId: referral.referralId,
    personId: referral.personId,
    programme: referral.programme,
    step,
    status: initialStepStatus(step, referral.programme, minor),
    since: now,
    updatedAt: now,
  }));
  try {
    await db().send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: table, Item: recordItem(record), ConditionExpression: 'attribute_not_exists(pk)' } },
          ...steps.map((item) => ({ Put: { TableName: table, Item: { ...keys.onboardingStep(item.referralId, item.step), type: 'onboarding-step', ...item } } })),
          {
            // The referral leaves the reconciler's "onboarding awaited" list, and must still be accepted.
            Update: {
              TableName: table,
              Key: keys.referral(referral.referralId),
              UpdateExpression: 'SET updatedAt = :now REMOVE gsi1pk, gsi1sk',
              ConditionExpression: '#status = :accepted',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':now': now, ':accepted': 'accepted' },
            },
          },
          onboardingPathStatusUpdate(table, referral.personId, referral.referralId, 'onboarding', now),
          ...timelinePut(table, referral.personId, {
            at: now,
            eventId: `onboarding-started#${referral.referralId}`,
            type: 'onboarding-started',
            label: minor ? "Accueil démarré (mineur : accord du représentant légal requis)" : 'Accueil démarré',
            actor: input.actor ?? { kind: 'system', name: 'Parcours automatique' },
            referralId: referral.referralId,
          }),
          ...(input.extraItems?.(record) ?? []),
        ],
      }),
    );
    return { onboarding: record, created: true };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const raced = await getOnboarding(referral.referralId);
    if (raced) return { onboarding: raced, created: false };
    throw error;
  }
}

export async function getOnboarding(referralId: string): Promise<OnboardingRecord | undefined> {
  if (!referralId || referralId.length > 64) return undefined;
  const result = await db().send(new GetCommand({ TableName: tableName(), Key: keys.onboarding(referralId), ConsistentRead: true }));
  return result.Item as OnboardingRecord | undefined;
}

/** One step item of an onboarding. */
export async function loadStep(referralId: string, step: OnboardingStep): Promise<OnboardingStepItem | undefined> {
  if (!referralId || referralId.length > 64) return undefined;
  const result = await db().send(new GetCommand({ TableName: tableName(), Key: keys.onboardingStep(referralId, step), ConsistentRead: true }));
  return result.Item as OnboardingStepItem | undefined;
}

/** Every step item of an onboarding, in the order of ONBOARDING_STEPS. */
export async function loadSteps(referralId: string): Promise<OnboardingStepItem[]> {
  const prefix = keys.onboardingStepsPrefix(referralId);
  const items = (await queryPrefix(prefix.pk, prefix.skPrefix, { consistentRead: true })) as unknown as OnboardingStepItem[];
  return items.sort((a, b) => ONBOARDING_STEPS.indexOf(a.step) - ONBOARDING_STEPS.indexOf(b.step));
}

/** What every onboarding kind's `loadSubject` answers: the record, the step item, and how the generic code moves it. */
export interface OnboardingStepSubject extends WaitingSubject {
  onboarding: OnboardingRecord;
  item: OnboardingStepItem;
}

/**
 * The waiting-step subject of one step (use it in a kind's `loadSubject`). The step waits while the onboarding is
 * active and the step is neither done nor skipped; opening its wait marks it `waiting` (since now) and makes it the
 * onboarding's current step. Its `since` is when it began to wait, so the board and the inbox age it from there.
 */
export async function onboardingStepSubject(referralId: string, step: OnboardingStep, now: Date = new Date()): Promise<OnboardingStepSubject | undefined> {
  const [onboarding, item] = await Promise.all([getOnboarding(referralId), loadStep(referralId, step)]);
  if (!onboarding || !item) return undefined;
  const since = item.status === 'waiting' ? item.since : now.toISOString();
  const table = tableName();
  return {
    onboarding,
    item,
    personId: onboarding.personId,
    referralId,
    programme: onboarding.programme,
    since,
    currentApprovalId: item.currentApprovalId,
    waitsIn: () => onboarding.status === 'active' && (item.status === 'todo' || item.status === 'waiting'),
    key: keys.onboardingStep(referralId, step),
    stillWaiting: { expression: '#stepStatus IN (:stepTodo, :stepWaiting)', names: { '#stepStatus': 'status' }, values: { ':stepTodo': 'todo', ':stepWaiting': 'waiting' } },
    opening: {
      set: '#stepStatus = :stepWaiting, #stepSince = :stepSince',
      names: { '#stepSince': 'since' },
      values: { ':stepSince': since },
      items: [
        {
          Update: {
            TableName: table,
            Key: keys.onboarding(referralId),
            UpdateExpression: 'SET currentStep = :step, updatedAt = :now',
            ConditionExpression: '#status = :active',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':step': step, ':now': now.toISOString(), ':active': 'active' },
          },
        },
        // Every step that begins to wait shows on the timeline (the review writes its own, with the stuck step).
        ...(step === 'review'
          ? []
          : timelinePut(table, onboarding.personId, {
              at: now.toISOString(),
              eventId: `onboarding-step#${step}#${since}`,
              type: 'onboarding-step-waiting',
              label: `Accueil : étape « ${ONBOARDING_STEP_LABELS[step]} » en cours`,
              actor: { kind: 'system', name: 'Parcours automatique' },
              referralId,
            })),
      ],
    },
  };
}

/**
 * The transaction item that completes a step with its outcome, only while it still waits (so a decision and
 * anything else that would complete it never both land). Kinds put it in their `onDecision` writes.
 * `fields` are stored on the step too (the review's reason and comment).
 */
export function onboardingStepDone(table: string, referralId: string, step: OnboardingStep, outcome: string, now: string, fields: Record<string, unknown> = {}): TransactItem {
  const names = Object.fromEntries(Object.keys(fields).map((name, i) => [`#f${i}`, name]));
  const values = Object.fromEntries(Object.values(fields).map((value, i) => [`:f${i}`, value]));
  const extra = Object.keys(names).map((placeholder, i) => `, ${placeholder} = :f${i}`).join('');
  return {
    Update: {
      TableName: table,
      Key: keys.onboardingStep(referralId, step),
      UpdateExpression: `SET #status = :done, outcome = :outcome, doneAt = :now, updatedAt = :now${extra}`,
      ConditionExpression: '#status IN (:todo, :waiting)',
      ExpressionAttributeNames: { '#status': 'status', ...names },
      ExpressionAttributeValues: { ':done': 'done', ':outcome': outcome, ':now': now, ':todo': 'todo', ':waiting': 'waiting', ...values },
    },
  };
}

/** The transaction item that puts a stuck step back to waiting (staff chose to go on): its next wait opens a new approval. */
export function onboardingStepReopen(table: string, referralId: string, step: OnboardingStep, now: string): TransactItem {
  return {
    Update: {
      TableName: table,
      Key: keys.onboardingStep(referralId, step),
      UpdateExpression: 'SET #status = :waiting, #since = :now, updatedAt = :now REMOVE outcome, doneAt',
      ConditionExpression: '#status IN (:waiting, :done)',
      ExpressionAttributeNames: { '#status': 'status', '#since': 'since' },
      ExpressionAttributeValues: { ':waiting': 'waiting', ':done': 'done', ':now': now },
    },
  };
}

/**
 * Readies the review of a stuck step before its wait opens: which step it is about, and a fresh review (the
 * previous review's outcome cleared). Idempotent for the same step; refused while another review waits.
 */
export async function prepareReview(referralId: string, stuckStep: OnboardingStep, now: Date = new Date()): Promise<void> {
  try {
    await db().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: tableName(),
              Key: keys.onboardingStep(referralId, 'review'),
              UpdateExpression: 'SET #status = :todo, stuckStep = :stuck, #since = :now, updatedAt = :now REMOVE outcome, doneAt, reasonCode, #comment',
              ConditionExpression: 'attribute_exists(pk) AND (#status <> :waiting)',
              ExpressionAttributeNames: { '#status': 'status', '#since': 'since', '#comment': 'comment' },
              ExpressionAttributeValues: { ':todo': 'todo', ':stuck': stuckStep, ':now': now.toISOString(), ':waiting': 'waiting' },
            },
          },
        ],
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const review = await loadStep(referralId, 'review');
    if (review?.status === 'waiting' && review.stuckStep === stuckStep) return; // a retried step: the review already waits
    throw new ConflictError(`onboarding ${ONBOARDING_STEP_LABELS.review}: another review is under way`);
  }
}

/**
 * Ends the onboarding (`ready` for the activity launch, or `ended`): the record leaves the board and the person's
 * path status follows, with `extraItems` (messages, timeline) in the same transaction. Idempotent: a repeat of
 * the same end writes nothing and answers `changed: false`; another end is refused.
 */
export async function finishOnboarding(input: {
  referralId: string;
  to: 'ready' | 'ended';
  reason?: OnboardingEndReason;
  now?: Date;
  extraItems?: (record: OnboardingRecord) => TransactItem[];
}): Promise<{ onboarding: OnboardingRecord; changed: boolean }> {
  const onboarding = await getOnboarding(input.referralId);
  if (!onboarding) throw new ConflictError('onboarding not found');
  if (onboarding.status === input.to) return { onboarding, changed: false };
  if (onboarding.status !== 'active') throw new ConflictError(`onboarding already ${onboarding.status}`);
  const now = (input.now ?? new Date()).toISOString();
  const table = tableName();
  const finished: OnboardingRecord = {
    ...onboarding,
    status: input.to,
    updatedAt: now,
    ...(input.to === 'ready' ? { readyAt: now } : { endedAt: now, ...(input.reason ? { endedReason: input.reason } : {}) }),
  };
  // A CJS path ready for its launch waits to be placed in a cohort: its record moves from the board to the candidates.
  const candidate = input.to === 'ready' && onboarding.programme === 'cjs' ? keys.cohortCandidateEntry(now, input.referralId) : undefined;
  try {
    await db().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: table,
              Key: keys.onboarding(input.referralId),
              UpdateExpression: `SET #status = :to, updatedAt = :now, ${input.to === 'ready' ? 'readyAt = :now' : `endedAt = :now${input.reason ? ', endedReason = :reason' : ''}`}${candidate ? ', gsi1pk = :gsi1pk, gsi1sk = :gsi1sk' : ' REMOVE gsi1pk, gsi1sk'}`,
              ConditionExpression: '#status = :active',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':to': input.to,
                ':now': now,
                ':active': 'active',
                ...(input.to === 'ended' && input.reason ? { ':reason': input.reason } : {}),
                ...(candidate ? { ':gsi1pk': candidate.gsi1pk, ':gsi1sk': candidate.gsi1sk } : {}),
              },
            },
          },
          onboardingPathStatusUpdate(table, onboarding.personId, input.referralId, input.to === 'ready' ? 'launch-ready' : 'onboarding-ended', now),
          ...(input.extraItems?.(finished) ?? []),
        ],
      }),
    );
    return { onboarding: finished, changed: true };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const latest = await getOnboarding(input.referralId);
    if (latest?.status === input.to) return { onboarding: latest, changed: false };
    throw error;
  }
}

/** Accepted referrals whose onboarding has not opened, accepted before `before` (the reconciler's list). */
export async function listAwaitedOnboardings(before: string, options: { limit?: number; cursor?: string } = {}): Promise<Page<ReferralRecord>> {
  const page = await queryIndexPage(INDEX.awaitedOnboardings, keys.awaitedOnboardingPartition(), { ...options, below: before });
  return { items: page.items as unknown as ReferralRecord[], cursor: page.cursor };
}

export interface BoardFilter {
  programme?: Programme;
}

/** The onboardings under way, oldest first, one page at a time (the staff's board). */
export async function listActiveOnboardings(options: BoardFilter & { limit?: number; cursor?: string; cursorField?: string } = {}): Promise<Page<OnboardingRecord>> {
  const page = await queryIndexPage(INDEX.onboardingBoard, keys.onboardingBoardPartition(), {
    limit: options.limit,
    cursor: options.cursor,
    cursorField: options.cursorField,
    filter: options.programme ? { expression: 'programme = :programme', values: { ':programme': options.programme } } : undefined,
  });
  return { items: page.items as unknown as OnboardingRecord[], cursor: page.cursor };
}
