import { randomBytes } from 'node:crypto';
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { db, queryIndexPartition, tableName } from './client.js';
import { INDEX, keys } from '../keys.js';
import type { Staff } from '../domain/actor.js';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import { REFERRAL_STATUS_LABELS, allowedOutcomes, type Decision, type DecisionOutcome, type PathStatus, type ReferralStatus } from '../domain/referral.js';
import { refusalReason } from '../domain/refusal-reasons.js';
import { OUTCOME_LABELS, render } from '../domain/messages/catalogue.js';
import { decisionDrafts, templateVars } from '../domain/referral-messages.js';
import { outboxPuts, type OutboxDraft } from './outbox.js';
import { timelinePut } from './people.js';
import { getReferralRecord, type ReferralRecord } from './referrals.js';
import { isConditionFailure } from './transactions.js';

export interface ApprovalRecord {
  approvalId: string;
  kind: 'referral-decision';
  referralId: string;
  personId: string;
  phase: 'initial' | 'reminded' | 'escalated' | 'waitlist';
  status: 'open' | 'used';
  taskToken: string;
  createdAt: string;
  referralCreatedAt: string;
  decidedAt?: string;
  decidedBy?: { id: string; name: string };
  outcome?: DecisionOutcome;
}

/**
 * Opens (or refreshes) the approval through which staff decide on a referral, storing the workflow's task token under an opaque id.
 * A waiting phase after a timeout keeps the same approval with the new token; after a waitlist decision a new approval is opened.
 */
export async function openReferralApproval(input: {
  referralId: string;
  taskToken: string;
  phase: ApprovalRecord['phase'];
  now?: Date;
}): Promise<{ approval: ApprovalRecord; referral: ReferralRecord; created: boolean }> {
  const now = (input.now ?? new Date()).toISOString();
  const referral = await getReferralRecord(input.referralId);
  if (!referral) throw new NotFoundError(`referral ${input.referralId} not found`);
  const current = referral.currentApprovalId ? await getApprovalRecord(referral.currentApprovalId) : undefined;
  if (current && current.status === 'open') {
    await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.approval(current.approvalId),
        UpdateExpression: 'SET taskToken = :token, phase = :phase, updatedAt = :now',
        ConditionExpression: '#status = :open',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':token': input.taskToken, ':phase': input.phase, ':now': now, ':open': 'open' },
      }),
    );
    return { approval: { ...current, taskToken: input.taskToken, phase: input.phase }, referral, created: false };
  }
  const approvalId = randomBytes(18).toString('base64url');
  const approval: ApprovalRecord = {
    approvalId,
    kind: 'referral-decision',
    referralId: referral.referralId,
    personId: referral.personId,
    phase: input.phase,
    status: 'open',
    taskToken: input.taskToken,
    createdAt: now,
    referralCreatedAt: referral.createdAt,
  };
  const table = tableName();
  await db().send(
    new TransactWriteCommand({
      TransactItems: [
        {
          Put: {
            TableName: table,
            Item: { ...keys.approval(approvalId), ...keys.inboxEntry(referral.createdAt, approvalId), type: 'approval', ...approval },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Update: {
            TableName: table,
            Key: keys.referral(referral.referralId),
            UpdateExpression: 'SET currentApprovalId = :id, updatedAt = :now',
            ConditionExpression: current ? 'currentApprovalId = :previous' : 'attribute_not_exists(currentApprovalId)',
            ExpressionAttributeValues: { ':id': approvalId, ':now': now, ...(current ? { ':previous': current.approvalId } : {}) },
          },
        },
      ],
    }),
  );
  return { approval, referral: { ...referral, currentApprovalId: approvalId }, created: true };
}

export async function getApprovalRecord(approvalId: string): Promise<ApprovalRecord | undefined> {
  const result = await db().send(new GetCommand({ TableName: tableName(), Key: keys.approval(approvalId), ConsistentRead: true }));
  return result.Item as ApprovalRecord | undefined;
}

export async function listOpenApprovals(limit = 200): Promise<ApprovalRecord[]> {
  return (await queryIndexPartition(INDEX.inbox, keys.inboxPartition(), { limit })) as unknown as ApprovalRecord[];
}

export interface DecisionResult {
  referral: ReferralRecord;
  taskToken: string;
  /** What the workflow receives: no personal data, only what drives its next step. */
  workflowOutput: { outcome: DecisionOutcome; approvalId: string; cause: string };
}

/**
 * Applies a staff decision through an approval: single use (the approval goes from open to used in the same
 * transaction as the referral's new status, the timeline event and the outbox messages), so a second decision
 * on the same approval is refused whatever the timing.
 */
export async function decideReferral(input: { approvalId: string; decision: Decision; staff: Staff; now?: Date }): Promise<DecisionResult> {
  const now = (input.now ?? new Date()).toISOString();
  const approval = await getApprovalRecord(input.approvalId);
  if (!approval) throw new NotFoundError('Demande de décision introuvable : le lien est peut-être erroné.');
  if (approval.status !== 'open') throw alreadyDecided(approval);
  const referral = await getReferralRecord(approval.referralId);
  if (!referral) throw new NotFoundError('Orientation introuvable.');
  const { outcome, reasonCode } = input.decision;
  if (!allowedOutcomes(referral.status).includes(outcome)) {
    throw new ConflictError(`Cette orientation est « ${REFERRAL_STATUS_LABELS[referral.status]} » : la décision « ${OUTCOME_LABELS[outcome]} » n'est plus possible.`);
  }
  const nextStatus: ReferralStatus = outcome;
  const pathStatus: PathStatus = outcome === 'accepted' ? 'onboarding-to-start' : outcome === 'refused' ? 'not-admitted' : 'waitlisted';
  const { cause } = workflowDecision(referral.referralId, { outcome, approvalId: approval.approvalId });
  const decidedBy = { id: input.staff.id, name: input.staff.name };
  const decided = { ...referral, status: nextStatus, updatedAt: now };
  const reason = reasonCode ? refusalReason(reasonCode) : undefined;
  const table = tableName();
  try {
    await db().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: table,
              Key: keys.approval(approval.approvalId),
              UpdateExpression: 'SET #status = :used, decidedAt = :now, decidedBy = :by, outcome = :outcome REMOVE gsi1pk, gsi1sk',
              ConditionExpression: '#status = :open',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':used': 'used', ':open': 'open', ':now': now, ':by': decidedBy, ':outcome': outcome },
            },
          },
          {
            Update: {
              TableName: table,
              Key: keys.referral(referral.referralId),
              UpdateExpression: 'SET #status = :next, updatedAt = :now, decisions = list_append(decisions, :decision)',
              ConditionExpression: '#status = :current',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':next': nextStatus,
                ':current': referral.status,
                ':now': now,
                ':decision': [{ outcome, reasonCode, decidedAt: now, decidedBy, approvalId: approval.approvalId }],
              },
            },
          },
          {
            Update: {
              TableName: table,
              Key: keys.person(referral.personId),
              UpdateExpression: 'SET pathStatus = :status, updatedAt = :now',
              ExpressionAttributeValues: { ':status': pathStatus, ':now': now },
            },
          },
          ...timelinePut(table, referral.personId, {
            at: now,
            eventId: `referral-decided#${approval.approvalId}`,
            type: `referral-${outcome}`,
            label: `Décision : orientation ${OUTCOME_LABELS[outcome]}`,
            actor: input.staff,
            referralId: referral.referralId,
            reason: reason?.label,
          }),
          ...outboxPuts(table, referral.personId, cause, decisionDrafts(decided, input.decision), now, { referralId: referral.referralId }),
        ],
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) {
      const latest = await getApprovalRecord(approval.approvalId);
      if (latest && latest.status !== 'open') throw alreadyDecided(latest);
      throw new ConflictError("L'orientation a changé pendant votre décision : rechargez la page.");
    }
    throw error;
  }
  return {
    referral: { ...decided, decisions: [...referral.decisions, { outcome, reasonCode, decidedAt: now, decidedBy, approvalId: approval.approvalId }] },
    taskToken: approval.taskToken,
    workflowOutput: workflowDecision(referral.referralId, { outcome, approvalId: approval.approvalId }),
  };
}

export type WorkflowDecision = DecisionResult['workflowOutput'];

/** What the referral workflow receives of a decision; the cause names the outbox messages the decision wrote. */
function workflowDecision(referralId: string, decision: { outcome: DecisionOutcome; approvalId: string }): WorkflowDecision {
  return { outcome: decision.outcome, approvalId: decision.approvalId, cause: `referral-decided#${referralId}#${decision.approvalId}` };
}

function alreadyDecided(approval: ApprovalRecord): ConflictError {
  const when = approval.decidedAt
    ? new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'long', timeStyle: 'short' }).format(new Date(approval.decidedAt))
    : undefined;
  const who = approval.decidedBy?.name;
  return new ConflictError(
    `Cette demande a déjà été décidée${when ? ` le ${when}` : ''}${who ? ` par ${who}` : ''}${approval.outcome ? ` (${OUTCOME_LABELS[approval.outcome]})` : ''}. Aucune nouvelle décision n'a été enregistrée.`,
  );
}

export type DeadlineStep = 'remind' | 'escalate' | 'expire' | 'waitlist-review';

export interface DeadlineOutcome {
  /** The outbox cause to send, when the step was recorded (now or by an earlier attempt). */
  recorded: { cause: string; personId: string } | null;
  /** A decision staff recorded while the callback timed out: the workflow takes it instead of waiting again. */
  decision?: WorkflowDecision;
}

/**
 * Records a deadline reached by a pending referral: a reminder or an escalation to staff, a waitlist review,
 * or the expiry (the referral closes and the prescriber is told). Each step is written once per approval
 * (a conditional marker), together with its outbox messages. A decision made meanwhile wins over the deadline.
 */
export async function recordReferralDeadline(input: {
  referralId: string;
  step: DeadlineStep;
  appBaseUrl: string;
  expireAfterSeconds: number;
  now?: Date;
}): Promise<DeadlineOutcome> {
  const nowDate = input.now ?? new Date();
  const now = nowDate.toISOString();
  const referral = await getReferralRecord(input.referralId);
  if (!referral) throw new NotFoundError(`referral ${input.referralId} not found`);
  const approvalId = referral.currentApprovalId;
  if (!approvalId) return { recorded: null };
  const marker = input.step === 'waitlist-review' ? `waitlistReview_${now.slice(0, 10)}` : `${input.step}At`;
  const cause = `referral-${input.step}#${referral.referralId}#${approvalId}${input.step === 'waitlist-review' ? `#${now.slice(0, 10)}` : ''}`;
  const waitingStatus: ReferralStatus = input.step === 'waitlist-review' ? 'waitlisted' : 'pending';
  if (referral.status !== waitingStatus) {
    // An expiry retried after its write only has its messages left to send.
    if (input.step === 'expire' && referral.status === 'expired') return { recorded: { cause, personId: referral.personId } };
    const last = referral.decisions.at(-1);
    return { recorded: null, decision: last ? workflowDecision(referral.referralId, last) : undefined };
  }
  const ageDays = Math.floor((nowDate.getTime() - Date.parse(referral.createdAt)) / 86_400_000);
  const vars = { ...templateVars(referral), decisionUrl: `${input.appBaseUrl.replace(/\/$/, '')}/equipe/decisions/${approvalId}`, ageDays };
  const staffEmail = process.env.STAFF_EMAIL;
  const drafts: OutboxDraft[] = [];
  let label: string;
  const table = tableName();
  const extra: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> = [];
  if (input.step === 'remind') {
    label = `Relance de l'équipe : pas de décision après ${ageDays} jours`;
    if (staffEmail) drafts.push({ kind: 'referral-reminder', role: 'staff', channel: 'email', to: staffEmail, ...render('referral-reminder', 'staff', 'email', vars) });
  } else if (input.step === 'escalate') {
    label = `Escalade : pas de décision après ${ageDays} jours`;
    const expiresInDays = Math.max(0, Math.ceil((Date.parse(referral.createdAt) + input.expireAfterSeconds * 1000 - nowDate.getTime()) / 86_400_000));
    if (staffEmail) drafts.push({ kind: 'referral-escalation', role: 'staff', channel: 'email', to: staffEmail, ...render('referral-escalation', 'staff', 'email', { ...vars, expiresInDays }) });
  } else if (input.step === 'waitlist-review') {
    label = "Rappel : orientation sur liste d'attente à réexaminer";
    if (staffEmail) drafts.push({ kind: 'referral-waitlist-review', role: 'staff', channel: 'email', to: staffEmail, ...render('referral-waitlist-review', 'staff', 'email', vars) });
  } else {
    label = `Orientation expirée sans décision après ${ageDays} jours`;
    if (referral.prescriber.email) {
      drafts.push({ kind: 'referral-expired', role: 'prescriber', channel: 'email', to: referral.prescriber.email, ...render('referral-expired', 'prescriber', 'email', vars) });
    }
    extra.push(
      {
        Update: {
          TableName: table,
          Key: keys.referral(referral.referralId),
          UpdateExpression: 'SET #status = :expired, updatedAt = :now',
          ConditionExpression: '#status = :current',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':expired': 'expired', ':current': referral.status, ':now': now },
        },
      },
      {
        Update: {
          TableName: table,
          Key: keys.person(referral.personId),
          UpdateExpression: 'SET pathStatus = :status, updatedAt = :now',
          ExpressionAttributeValues: { ':status': 'not-admitted' satisfies PathStatus, ':now': now },
        },
      },
    );
  }
  try {
    await db().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: table,
              Key: keys.approval(approvalId),
              UpdateExpression:
                input.step === 'expire'
                  ? 'SET #marker = :now, #status = :used, outcome = :expired REMOVE gsi1pk, gsi1sk'
                  : 'SET #marker = :now',
              ConditionExpression: 'attribute_not_exists(#marker) AND #status = :open',
              ExpressionAttributeNames: { '#marker': marker, '#status': 'status' },
              ExpressionAttributeValues: { ':now': now, ':open': 'open', ...(input.step === 'expire' ? { ':used': 'used', ':expired': 'expired' } : {}) },
            },
          },
          ...extra,
          ...timelinePut(table, referral.personId, {
            at: now,
            eventId: cause,
            type: `referral-${input.step}`,
            label,
            actor: { kind: 'system', name: 'Délais automatiques' },
            referralId: referral.referralId,
          }),
          ...outboxPuts(table, referral.personId, cause, drafts, now, { referralId: referral.referralId }),
        ],
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    // Already recorded by an earlier attempt of this step: only the sending may remain.
  }
  return { recorded: { cause, personId: referral.personId } };
}

/** Outbox cause of the new-referral message to staff, sent once per approval. */
export async function recordDecisionRequest(input: { referral: ReferralRecord; approval: ApprovalRecord; appBaseUrl: string; now?: Date }): Promise<string | null> {
  const staffEmail = process.env.STAFF_EMAIL;
  if (!staffEmail) return null;
  const cause = `referral-decision-request#${input.referral.referralId}#${input.approval.approvalId}`;
  const now = (input.now ?? new Date()).toISOString();
  const decisionUrl = `${input.appBaseUrl.replace(/\/$/, '')}/equipe/decisions/${input.approval.approvalId}`;
  try {
    await db().send(
      new TransactWriteCommand({
        TransactItems: outboxPuts(tableName(), input.referral.personId, cause, [
          {
            kind: 'referral-decision-request',
            role: 'staff',
            channel: 'email',
            to: staffEmail,
            ...render('referral-decision-request', 'staff', 'email', { ...templateVars(input.referral), decisionUrl, eligible: input.referral.eligibility.eligible }),
          },
        ], now, { referralId: input.referral.referralId }),
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
  return cause;
}
