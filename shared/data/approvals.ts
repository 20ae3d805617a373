import { createHash } from 'node:crypto';
import { GetCommand, TransactWriteCommand, UpdateCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { db, queryIndexPage, tableName, type Page } from './client.js';
import { INDEX, keys } from '../keys.js';
import type { Actor } from '../domain/actor.js';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import type { Programme } from '../domain/programmes.js';
import {
  noLongerOpenMessage,
  type DeadlineStep,
  type HandoverStatus,
  type WaitingPhase,
  type WaitingStepAudience,
  type WaitingStepKind,
  type WaitingStepStatus,
} from '../domain/waiting-steps.js';
import { isConditionFailure, isConditionalCheckFailed } from './transactions.js';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** What a waiting workflow receives of a decision: no personal data, only what drives its next step. */
export interface WorkflowDecision {
  outcome: string;
  approvalId: string;
  /** The outbox cause of the messages the decision wrote, sent by the workflow's next step. */
  cause?: string;
}

/**
 * One waiting step: who may act (the kind's audience), on what, since when, until which phase,
 * and, once decided, the decision and whether its workflow has it. The task token is stored here under an
 * opaque id; it is never logged nor shown.
 */
export interface ApprovalRecord {
  approvalId: string;
  kind: WaitingStepKind;
  /** What the step is about, as its kind names it (a referral id for a referral decision). */
  subjectId: string;
  /**
   * The referral the path belongs to (shown and linked in the inbox), and its person. Both empty for a subject-only
   * approval, whose subject is not a person's (a month's invoicing batch): the inbox names the subject instead.
   */
  referralId: string;
  personId: string;
  programme?: Programme;
  phase: WaitingPhase;
  status: WaitingStepStatus;
  taskToken: string;
  /** The execution waiting on this step: the reconciler checks it is still running. */
  executionArn?: string;
  createdAt: string;
  /** Since when the subject waits: the inbox orders and ages by it. */
  since: string;
  updatedAt?: string;
  decidedAt?: string;
  decidedBy?: { id: string; name: string; kind?: Actor['kind'] };
  outcome?: string;
  closedAt?: string;
  handover?: HandoverStatus;
  workflowDecision?: WorkflowDecision;
  /** Decided by `settleWaitingStep` before its wait opened: the wait, when it opens, takes the decision at once. */
  settledBeforeWait?: boolean;
  /** For an activity's launch: the activity the inbox names. */
  activity?: { activityId: string; name: string; shape: 'personal' | 'collective' };
  /** For a month's invoicing batch (a subject-only approval: no person, no referral): the run the inbox names. */
  invoicingRun?: { month: string; invoices: number; activities: number };
  /** For an incident: the step that failed, the error class and what staff read about it. */
  incident?: { step: string; error: string; explanation: string };
  /** Each deadline step, once recorded (remindAt, escalateAt, waitlistReview_YYYY-MM-DD...). */
  [marker: `${string}At` | `waitlistReview_${string}`]: unknown;
}

/** What a kind says about its subject when a step opens, passes a deadline or is decided. */
export interface WaitingSubject {
  personId: string;
  referralId: string;
  programme?: Programme;
  since: string;
  currentApprovalId?: string;
  /** Whether the subject still waits for a decision of this kind in this phase. */
  waitsIn(phase: WaitingPhase): boolean;
  /** The item that points at the current approval. */
  key: Record<string, string>;
  /** The condition under which the subject still waits (for the transactions that depend on it). */
  stillWaiting: { expression: string; names: Record<string, string>; values: Record<string, unknown> };
  /**
   * What else changes when a new approval opens: assignments added to the subject's own update (`set`, e.g.
   * `#stepStatus = :waiting`), and other items. A kind's `onOpen` cannot write the subject item itself (one
   * transaction touches an item once), so the subject says it here.
   */
  opening?: { set: string; names?: Record<string, string>; values: Record<string, unknown>; items?: TransactItem[] };
}

export interface WaitingStepContext<S extends WaitingSubject> {
  table: string;
  subject: S;
  approval: ApprovalRecord;
  now: Date;
  appBaseUrl: string;
}

/** Writes (besides the approval's own) and the outbox cause to send, for one event of a waiting step. */
export interface WaitingStepWrites {
  items: TransactItem[];
  cause?: string;
}

/**
 * A kind of waiting step: its subject, its outcomes and what each event writes. The generic code below does
 * the rest (single use, races, hand-over), so a new stage declares a handler and nothing else.
 */
export interface WaitingStepHandler<S extends WaitingSubject = WaitingSubject, D extends { outcome: string } = { outcome: string }> {
  kind: WaitingStepKind;
  /** Who acts: only `staff` approvals are listed in the staff inbox; the others are found through their subject. */
  audience: WaitingStepAudience;
  loadSubject(subjectId: string): Promise<S | undefined>;
  /** The outcomes that may be recorded now. */
  allowedOutcomes(subject: S): readonly string[];
  outcomeLabel(outcome: string): string;
  /** `fields` are stored on the new approval (what the inbox shows of this kind). */
  onOpen(context: WaitingStepContext<S>): WaitingStepWrites & { fields?: Partial<ApprovalRecord> };
  onDeadline(context: WaitingStepContext<S>, step: DeadlineStep, timings: DeadlineTimings): WaitingStepWrites & { expires: boolean; label: string };
  onDecision(context: WaitingStepContext<S>, decision: D, actor: Actor): WaitingStepWrites;
  /**
   * Rules that need reads before a decision is recorded (a launch approved only while its launch checks pass):
   * throws the 4xx the person reads, and nothing is written. Runs before every attempt to record the decision.
   */
  checkDecision?(subject: S, decision: D, now: Date): Promise<void>;
}

export interface DeadlineTimings {
  /** The last deadline of the step, from `since`: the escalation says how long is left. */
  expireAfterSeconds: number;
}

export async function getApprovalRecord(approvalId: string): Promise<ApprovalRecord | undefined> {
  if (!approvalId || approvalId.length > 64) return undefined;
  const result = await db().send(new GetCommand({ TableName: tableName(), Key: keys.approval(approvalId), ConsistentRead: true }));
  return result.Item as ApprovalRecord | undefined;
}

export interface InboxFilter {
  kind?: WaitingStepKind;
  programme?: Programme;
}

/** The open waiting steps of every kind, oldest subject first, one page at a time. */
export async function listOpenApprovals(options: InboxFilter & { limit?: number; cursor?: string } = {}): Promise<Page<ApprovalRecord>> {
  const conditions: string[] = [];
  const values: Record<string, unknown> = {};
  const names: Record<string, string> = {};
  if (options.kind) {
    conditions.push('#kind = :kind');
    names['#kind'] = 'kind';
    values[':kind'] = options.kind;
  }
  if (options.programme) {
    conditions.push('programme = :programme');
    values[':programme'] = options.programme;
  }
  const page = await queryIndexPage(INDEX.inbox, keys.inboxPartition(), {
    limit: options.limit,
    cursor: options.cursor,
    filter: conditions.length ? { expression: conditions.join(' AND '), names: Object.keys(names).length ? names : undefined, values } : undefined,
  });
  return { items: page.items as unknown as ApprovalRecord[], cursor: page.cursor };
}

/** Decisions committed and not yet taken by their workflow, decided before `before`. */
export async function listPendingHandovers(before: string, options: { limit?: number; cursor?: string } = {}): Promise<Page<ApprovalRecord>> {
  const page = await queryIndexPage(INDEX.handovers, keys.handoverPartition(), {
    ...options,
    filter: { expression: 'decidedAt < :before', values: { ':before': before } },
  });
  return { items: page.items as unknown as ApprovalRecord[], cursor: page.cursor };
}

export type OpenResult =
  | { state: 'waiting'; approval: ApprovalRecord; created: boolean; cause?: string }
  /** A decision was recorded before this wait began: the workflow takes it at once. */
  | { state: 'decided'; approvalId: string };

/** Points at which a test can interleave a concurrent action, deterministically. */
export type Interleave = (point: 'after-read' | 'before-write') => Promise<void>;

const MAX_OPEN_ATTEMPTS = 4;

/**
 * The id of the approval that follows `previousApprovalId` on a subject (the first one when none). A wait that
 * opens it and a decision recorded before the wait (`settleWaitingStep`) both create that one item, each only if
 * absent, so of the two racing writes exactly one lands and the other reads it back.
 */
export function nextApprovalId(kind: WaitingStepKind, subjectId: string, previousApprovalId?: string): string {
  return createHash('sha256').update(`${kind}\n${subjectId}\n${previousApprovalId ?? ''}`).digest('base64url').slice(0, 24);
}

/**
 * Opens the waiting step of a subject for a workflow's wait, or refreshes it with the wait's new task token
 * (a wait after a reminder keeps the same approval). A decision made before the wait began is not waited
 * for: the answer says so and the workflow takes it. A new approval is only opened while the subject still
 * waits (a condition of the same transaction), so a decision racing with it never leaves an approval open.
 */
export async function openApproval<S extends WaitingSubject>(
  handler: WaitingStepHandler<S>,
  input: { subjectId: string; phase: WaitingPhase; taskToken: string; executionArn?: string; appBaseUrl: string; now?: Date; interleave?: Interleave },
): Promise<OpenResult> {
  const now = input.now ?? new Date();
  const iso = now.toISOString();
  for (let attempt = 0; attempt < MAX_OPEN_ATTEMPTS; attempt++) {
    const subject = await handler.loadSubject(input.subjectId);
    if (!subject) throw new NotFoundError(`${handler.kind} subject not found`);
    const current = subject.currentApprovalId ? await getApprovalRecord(subject.currentApprovalId) : undefined;
    await input.interleave?.('after-read');
    if (current?.status === 'open') {
      try {
        await db().send(
          new UpdateCommand({
            TableName: tableName(),
            Key: keys.approval(current.approvalId),
            UpdateExpression: 'SET taskToken = :token, phase = :phase, executionArn = :execution, updatedAt = :now',
            ConditionExpression: '#status = :open',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':token': input.taskToken, ':phase': input.phase, ':execution': input.executionArn ?? current.executionArn ?? '', ':now': iso, ':open': 'open' },
          }),
        );
        return { state: 'waiting', approval: { ...current, taskToken: input.taskToken, phase: input.phase }, created: false };
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
        continue; // decided meanwhile: read again
      }
    }
    if (current?.status === 'decided' && current.handover === 'pending') return { state: 'decided', approvalId: current.approvalId };
    const approvalId = nextApprovalId(handler.kind, input.subjectId, current?.approvalId);
    const next = await getApprovalRecord(approvalId);
    if (next?.status === 'decided') {
      // Decided before this wait (settleWaitingStep): the subject now points at it, and the workflow takes it.
      if (await takeSettledDecision(subject, next, current, input, iso)) return { state: 'decided', approvalId };
      continue;
    }
    if (next) continue; // opened by a concurrent wait: read again
    if (!subject.waitsIn(input.phase)) {
      // Decided (or expired) through an approval this wait no longer points at: the workflow takes that outcome.
      if (current) return { state: 'decided', approvalId: current.approvalId };
      throw new ConflictError(`${handler.kind}: the subject no longer waits and has no approval`);
    }
    const approval: ApprovalRecord = {
      approvalId,
      kind: handler.kind,
      subjectId: input.subjectId,
      referralId: subject.referralId,
      personId: subject.personId,
      ...(subject.programme ? { programme: subject.programme } : {}),
      phase: input.phase,
      status: 'open',
      taskToken: input.taskToken,
      ...(input.executionArn ? { executionArn: input.executionArn } : {}),
      createdAt: iso,
      since: subject.since,
    };
    const table = tableName();
    const writes = handler.onOpen({ table, subject, approval, now, appBaseUrl: input.appBaseUrl });
    Object.assign(approval, writes.fields);
    const pointer = current ? 'currentApprovalId = :previous' : 'attribute_not_exists(currentApprovalId)';
    const opening = subject.opening;
    await input.interleave?.('before-write');
    try {
      await db().send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: table,
                // Only the staff's own steps are listed in their inbox.
                Item: { ...keys.approval(approval.approvalId), ...(handler.audience === 'staff' ? keys.inboxEntry(approval.since, approval.approvalId) : {}), type: 'approval', ...approval },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Update: {
                TableName: table,
                Key: subject.key,
                // The subject leaves the reconciler's "workflow awaited" list: its workflow is here.
                UpdateExpression: `SET currentApprovalId = :id, updatedAt = :now${opening ? `, ${opening.set}` : ''} REMOVE gsi1pk, gsi1sk`,
                ConditionExpression: `${pointer} AND ${subject.stillWaiting.expression}`,
                ExpressionAttributeNames: { ...subject.stillWaiting.names, ...opening?.names },
                ExpressionAttributeValues: {
                  ':id': approval.approvalId,
                  ':now': iso,
                  ...(current ? { ':previous': current.approvalId } : {}),
                  ...subject.stillWaiting.values,
                  ...opening?.values,
                },
              },
            },
            ...(opening?.items ?? []),
            ...writes.items,
          ],
        }),
      );
      return { state: 'waiting', approval, created: true, cause: writes.cause };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // Another wait opened it, or a decision landed: read again.
    }
  }
  throw new ConflictError(`${handler.kind}: the waiting step did not settle`);
}

/**
 * A decision recorded before its wait becomes the subject's current approval, listed as a hand-over due with the
 * wait's token (the reconciler's safety net, as for any decision). False when something moved meanwhile.
 */
async function takeSettledDecision(
  subject: WaitingSubject,
  settled: ApprovalRecord,
  current: ApprovalRecord | undefined,
  input: { phase: WaitingPhase; taskToken: string; executionArn?: string },
  iso: string,
): Promise<boolean> {
  const table = tableName();
  const handoverEntry = keys.handoverEntry(settled.decidedAt ?? iso, settled.approvalId);
  try {
    await db().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: table,
              Key: keys.approval(settled.approvalId),
              UpdateExpression: 'SET taskToken = :token, phase = :phase, executionArn = :execution, updatedAt = :now, gsi1pk = :hpk, gsi1sk = :hsk',
              ConditionExpression: '#status = :decided AND handover = :pending',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':token': input.taskToken,
                ':phase': input.phase,
                ':execution': input.executionArn ?? '',
                ':now': iso,
                ':decided': 'decided',
                ':pending': 'pending',
                ':hpk': handoverEntry.gsi1pk,
                ':hsk': handoverEntry.gsi1sk,
              },
            },
          },
          {
            Update: {
              TableName: table,
              Key: subject.key,
              UpdateExpression: 'SET currentApprovalId = :id, updatedAt = :now REMOVE gsi1pk, gsi1sk',
              ConditionExpression: current ? 'currentApprovalId = :previous' : 'attribute_not_exists(currentApprovalId)',
              ExpressionAttributeValues: { ':id': settled.approvalId, ':now': iso, ...(current ? { ':previous': current.approvalId } : {}) },
            },
          },
        ],
      }),
    );
    return true;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    return false;
  }
}

export type DeadlineResult =
  /** The deadline is recorded (now or by an earlier attempt): its messages go under `cause`. */
  | { state: 'recorded'; expired: boolean; cause?: string; personId: string }
  /** Staff decided first: the workflow takes the decision instead of waiting again. */
  | { state: 'decided'; approvalId: string };

/**
 * Records a deadline of an open waiting step: a reminder, an escalation, a waiting list's review, or the expiry.
 * Each is written once per approval (a conditional marker) with its messages; a decision made at any moment
 * before the write wins, and the answer then carries it. An expiry and a decision never both happen.
 */
export async function recordDeadline<S extends WaitingSubject>(
  handler: WaitingStepHandler<S>,
  input: { subjectId: string; step: DeadlineStep; timings: DeadlineTimings; appBaseUrl: string; now?: Date; interleave?: Interleave },
): Promise<DeadlineResult> {
  const now = input.now ?? new Date();
  const iso = now.toISOString();
  const subject = await handler.loadSubject(input.subjectId);
  if (!subject) throw new NotFoundError(`${handler.kind} subject not found`);
  const approvalId = subject.currentApprovalId;
  if (!approvalId) throw new ConflictError(`${handler.kind}: a deadline without an approval`);
  const approval = await getApprovalRecord(approvalId);
  if (!approval) throw new NotFoundError(`approval of ${handler.kind} not found`);
  await input.interleave?.('after-read');
  const marker = input.step === 'waitlist-review' ? `waitlistReview_${iso.slice(0, 10)}` : `${input.step}At`;
  const settled = (latest: ApprovalRecord): DeadlineResult | undefined => {
    if (latest.status === 'decided') return { state: 'decided', approvalId: latest.approvalId };
    if (latest.status === 'expired' || latest[marker as `${string}At`] !== undefined) {
      const writes = handler.onDeadline({ table: tableName(), subject, approval: latest, now, appBaseUrl: input.appBaseUrl }, input.step, input.timings);
      return { state: 'recorded', expired: latest.status === 'expired', cause: writes.cause, personId: latest.personId };
    }
    return undefined;
  };
  const already = settled(approval);
  if (already) return already;
  if (approval.status !== 'open') throw new ConflictError(`${handler.kind}: deadline on a ${approval.status} approval`);

  const table = tableName();
  const writes = handler.onDeadline({ table, subject, approval, now, appBaseUrl: input.appBaseUrl }, input.step, input.timings);
  const closing = writes.expires;
  await input.interleave?.('before-write');
  try {
    await db().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: table,
              Key: keys.approval(approvalId),
              UpdateExpression: closing
                ? 'SET #marker = :now, #status = :expired, closedAt = :now, updatedAt = :now REMOVE gsi1pk, gsi1sk'
                : 'SET #marker = :now, updatedAt = :now',
              ConditionExpression: 'attribute_not_exists(#marker) AND #status = :open',
              ExpressionAttributeNames: { '#marker': marker, '#status': 'status' },
              ExpressionAttributeValues: { ':now': iso, ':open': 'open', ...(closing ? { ':expired': 'expired' } : {}) },
            },
          },
          ...writes.items,
        ],
      }),
    );
    return { state: 'recorded', expired: closing, cause: writes.cause, personId: approval.personId };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    // Which condition failed tells nothing by itself: read again. A decision wins; a marker means an earlier attempt wrote it.
    const latest = await getApprovalRecord(approvalId);
    const outcome = latest && settled(latest);
    if (outcome) return outcome;
    throw error;
  }
}

export interface DecisionResult {
  approval: ApprovalRecord;
  workflowDecision: WorkflowDecision;
}

/** Who decided, as the approval keeps it (an automatic decision has no person behind it). */
function decidedByOf(actor: Actor): NonNullable<ApprovalRecord['decidedBy']> {
  if (actor.kind === 'system') return { id: 'system', name: actor.name ?? 'Système', kind: 'system' };
  return { id: actor.id, name: actor.name, kind: actor.kind };
}

/**
 * Applies a decision to an open waiting step: single use (the approval goes from open to decided in the
 * same transaction as what the decision changes, its timeline event and its messages), and listed as a
 * hand-over due to its workflow. Waking the workflow is a separate, retried step (`handOver`).
 */
export async function decide<S extends WaitingSubject, D extends { outcome: string }>(
  handler: WaitingStepHandler<S, D>,
  input: { approvalId: string; decision: D; actor: Actor; appBaseUrl?: string; now?: Date; read?: ApprovalRecord },
): Promise<DecisionResult> {
  const now = input.now ?? new Date();
  const iso = now.toISOString();
  // A caller that has just read the approval (consistently) passes it: the transaction's condition still guards it.
  const approval = input.read?.approvalId === input.approvalId ? input.read : await getApprovalRecord(input.approvalId);
  if (!approval || approval.kind !== handler.kind) throw new NotFoundError('Demande introuvable : le lien est peut-être erroné.');
  const replayed = sameDecision(approval, input);
  if (replayed) return replayed;
  if (approval.status !== 'open') throw noLongerOpen(handler, approval);
  const subject = await handler.loadSubject(approval.subjectId);
  if (!subject) throw new NotFoundError('Le dossier de cette demande est introuvable.');
  if (!handler.allowedOutcomes(subject).includes(input.decision.outcome)) {
    throw new ConflictError(`La décision « ${handler.outcomeLabel(input.decision.outcome)} » n'est plus possible pour ce dossier : rechargez la page.`);
  }
  await handler.checkDecision?.(subject, input.decision, now);
  const table = tableName();
  const writes = handler.onDecision({ table, subject, approval, now, appBaseUrl: input.appBaseUrl ?? '' }, input.decision, input.actor);
  const workflowDecision: WorkflowDecision = { outcome: input.decision.outcome, approvalId: approval.approvalId, ...(writes.cause ? { cause: writes.cause } : {}) };
  const decidedBy = decidedByOf(input.actor);
  try {
    await db().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: table,
              Key: keys.approval(approval.approvalId),
              UpdateExpression:
                'SET #status = :decided, decidedAt = :now, decidedBy = :by, outcome = :outcome, handover = :pending, workflowDecision = :wd, updatedAt = :now, gsi1pk = :hpk, gsi1sk = :hsk',
              ConditionExpression: '#status = :open',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':decided': 'decided',
                ':open': 'open',
                ':now': iso,
                ':by': decidedBy,
                ':outcome': input.decision.outcome,
                ':pending': 'pending',
                ':wd': workflowDecision,
                ':hpk': keys.handoverEntry(iso, approval.approvalId).gsi1pk,
                ':hsk': keys.handoverEntry(iso, approval.approvalId).gsi1sk,
              },
            },
          },
          ...writes.items,
        ],
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const latest = await getApprovalRecord(approval.approvalId);
    const replayed = latest && sameDecision(latest, input);
    if (replayed) return replayed;
    if (latest && latest.status !== 'open') throw noLongerOpen(handler, latest);
    throw new ConflictError('Le dossier a changé pendant votre décision : rechargez la page.');
  }
  return {
    approval: { ...approval, status: 'decided', decidedAt: iso, decidedBy, outcome: input.decision.outcome, handover: 'pending', workflowDecision },
    workflowDecision,
  };
}

/** The same person's same decision, already committed (a retried request, a double click): the same answer. */
function sameDecision(approval: ApprovalRecord, input: { decision: { outcome: string }; actor: Actor }): DecisionResult | undefined {
  if (approval.status !== 'decided' || approval.decidedBy?.id !== decidedByOf(input.actor).id || approval.outcome !== input.decision.outcome || !approval.workflowDecision) return undefined;
  return { approval, workflowDecision: approval.workflowDecision };
}

export type SettleResult =
  /** The step's wait was open: it is decided now; the caller hands the decision over (`handOverSettled`). */
  | { state: 'decided'; approval: ApprovalRecord; workflowDecision: WorkflowDecision }
  /** The step's wait is not open (yet): the outcome is recorded, and the wait takes it as soon as it opens. */
  | { state: 'recorded'; approval: ApprovalRecord; workflowDecision: WorkflowDecision };

const MAX_SETTLE_ATTEMPTS = 4;

/**
 * Records the outcome of a waiting step whoever makes it and whenever it comes: a young person or a guardian on
 * their page, staff on a page of their own, the system completing a step. With the subject's wait open, it is
 * the same as `decide`. Before the wait opens (the young person sent the last document while the workflow still
 * waits for the session), the decided approval is written at once, with what the decision changes, under the id
 * the wait would open (`nextApprovalId`): the wait then finds it and the workflow takes it without waiting. A
 * repeat of the same outcome answers as the first time; another outcome on a settled step is refused.
 */
export async function settleWaitingStep<S extends WaitingSubject, D extends { outcome: string }>(
  handler: WaitingStepHandler<S, D>,
  input: { subjectId: string; decision: D; actor: Actor; appBaseUrl?: string; now?: Date },
): Promise<SettleResult> {
  const now = input.now ?? new Date();
  const iso = now.toISOString();
  for (let attempt = 0; attempt < MAX_SETTLE_ATTEMPTS; attempt++) {
    const subject = await handler.loadSubject(input.subjectId);
    if (!subject) throw new NotFoundError('Le dossier de cette étape est introuvable.');
    const current = subject.currentApprovalId ? await getApprovalRecord(subject.currentApprovalId) : undefined;
    if (current?.status === 'open') {
      return { state: 'decided', ...(await decide(handler, { approvalId: current.approvalId, decision: input.decision, actor: input.actor, appBaseUrl: input.appBaseUrl, now, read: current })) };
    }
    const allowed = handler.allowedOutcomes(subject).includes(input.decision.outcome);
    const approvalId = nextApprovalId(handler.kind, input.subjectId, current?.approvalId);
    const next = await getApprovalRecord(approvalId);
    if (next?.status === 'open') continue; // a wait opened it meanwhile: decide it
    if (next) {
      if (next.outcome === input.decision.outcome && next.workflowDecision) return { state: 'recorded', approval: next, workflowDecision: next.workflowDecision };
      throw noLongerOpen(handler, next);
    }
    if (!allowed) {
      // Decided through its wait already (a repeat after the workflow took it), or no longer possible.
      if (current?.status === 'decided' && current.outcome === input.decision.outcome && current.workflowDecision) {
        return { state: 'decided', approval: current, workflowDecision: current.workflowDecision };
      }
      throw new ConflictError(`« ${handler.outcomeLabel(input.decision.outcome)} » n'est plus possible pour cette étape : rechargez la page.`);
    }
    await handler.checkDecision?.(subject, input.decision, now);
    const decidedBy = decidedByOf(input.actor);
    const approval: ApprovalRecord = {
      approvalId,
      kind: handler.kind,
      subjectId: input.subjectId,
      referralId: subject.referralId,
      personId: subject.personId,
      ...(subject.programme ? { programme: subject.programme } : {}),
      phase: 'initial',
      status: 'decided',
      taskToken: '',
      createdAt: iso,
      since: subject.since,
      decidedAt: iso,
      decidedBy,
      outcome: input.decision.outcome,
      handover: 'pending',
      settledBeforeWait: true,
    };
    const table = tableName();
    const writes = handler.onDecision({ table, subject, approval, now, appBaseUrl: input.appBaseUrl ?? '' }, input.decision, input.actor);
    approval.workflowDecision = { outcome: input.decision.outcome, approvalId, ...(writes.cause ? { cause: writes.cause } : {}) };
    try {
      await db().send(
        new TransactWriteCommand({
          TransactItems: [
            // Not in any list yet: the wait that opens it lists it as a hand-over due (there is no token before).
            { Put: { TableName: table, Item: { ...keys.approval(approvalId), type: 'approval', ...approval }, ConditionExpression: 'attribute_not_exists(pk)' } },
            ...writes.items,
          ],
        }),
      );
      return { state: 'recorded', approval, workflowDecision: approval.workflowDecision };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // A wait opened, or another decision landed: read again.
    }
  }
  throw new ConflictError("L'étape a changé pendant l'enregistrement : rechargez la page.");
}

function noLongerOpen(handler: { outcomeLabel(outcome: string): string }, approval: ApprovalRecord): ConflictError {
  return new ConflictError(noLongerOpenMessage({ ...approval, outcomeLabel: approval.outcome ? handler.outcomeLabel(approval.outcome) : undefined }));
}

/**
 * The workflow has taken the decision (its step after the wait runs): the hand-over is done and leaves the
 * reconciler's list. Safe to repeat.
 */
export async function completeHandover(approvalId: string, now = new Date()): Promise<void> {
  try {
    await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.approval(approvalId),
        UpdateExpression: 'SET handover = :done, handedOverAt = :now REMOVE gsi1pk, gsi1sk',
        ConditionExpression: 'handover = :pending',
        ExpressionAttributeValues: { ':done': 'done', ':pending': 'pending', ':now': now.toISOString() },
      }),
    );
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
  }
}

/**
 * The decision the workflow takes after a wait: the subject's current approval once decided. The workflow
 * reads it from the table whichever way it learnt of it (the callback, a deadline step, an early decision).
 */
export async function takeDecision<S extends WaitingSubject>(handler: WaitingStepHandler<S>, subjectId: string): Promise<{ decision: WorkflowDecision; personId: string }> {
  const subject = await handler.loadSubject(subjectId);
  if (!subject?.currentApprovalId) throw new NotFoundError(`${handler.kind} subject has no approval`);
  const approval = await getApprovalRecord(subject.currentApprovalId);
  if (!approval?.workflowDecision || approval.status !== 'decided') throw new ConflictError(`${handler.kind}: no decision to take`);
  await completeHandover(approval.approvalId);
  return { decision: approval.workflowDecision, personId: approval.personId };
}
