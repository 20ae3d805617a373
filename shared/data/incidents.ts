import { createHash } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { db, tableName } from './client.js';
import { keys } from '../keys.js';
import type { Actor } from '../domain/actor.js';
import { ConflictError } from '../domain/errors.js';
import type { Programme } from '../domain/programmes.js';
import { INCIDENT_OUTCOME_LABELS, incidentExplanation, type IncidentDecision, type IncidentOutcome } from '../domain/waiting-steps.js';
import { getApprovalRecord, type ApprovalRecord, type TransactItem, type WaitingStepHandler, type WaitingStepWrites, type WaitingSubject } from './approvals.js';
import { personReferralStatusUpdate, timelinePut } from './people.js';
import { getReferralRecord, type ReferralRecord } from './referrals.js';
import { isConditionalCheckFailed } from './transactions.js';

/** A step of one execution that failed after its retries: what staff are asked to retry or close. */
interface IncidentSubjectItem {
  subjectId: string;
  referralId: string;
  personId: string;
  programme?: Programme;
  step: string;
  error: string;
  createdAt: string;
  currentApprovalId?: string;
}

export interface IncidentSubject extends WaitingSubject {
  incident: IncidentSubjectItem;
  /** The referral of the path, and its approval still open if any: closing the path closes them. */
  referral?: ReferralRecord;
  openApproval?: ApprovalRecord;
}

/** One incident subject per execution and step: a step failing again after a retry reopens the same subject. */
export function incidentSubjectId(executionArn: string, step: string): string {
  return createHash('sha256').update(`${executionArn}\n${step}`).digest('base64url').slice(0, 32);
}

/**
 * Records (once) what failed, before its waiting step opens: the step in the workflow's words and the error
 * class. The error's message is never stored: it may quote personal data.
 */
export async function recordIncidentSubject(input: {
  executionArn: string;
  step: string;
  error: string;
  referralId: string;
  personId: string;
  programme?: Programme;
  now?: Date;
}): Promise<string> {
  const subjectId = incidentSubjectId(input.executionArn, input.step);
  const item: IncidentSubjectItem & Record<string, unknown> = {
    ...keys.incidentSubject(subjectId),
    type: 'incident-subject',
    subjectId,
    referralId: input.referralId,
    personId: input.personId,
    ...(input.programme ? { programme: input.programme } : {}),
    step: input.step.slice(0, 80),
    error: input.error.slice(0, 120),
    createdAt: (input.now ?? new Date()).toISOString(),
  };
  try {
    await db().send(new PutCommand({ TableName: tableName(), Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
  }
  return subjectId;
}

/** A path step that failed: staff relaunch it once the cause is fixed, or close the path. */
export const incidents: WaitingStepHandler<IncidentSubject, IncidentDecision> = {
  kind: 'incident',
  audience: 'staff',

  async loadSubject(subjectId) {
    const result = await db().send(new GetCommand({ TableName: tableName(), Key: keys.incidentSubject(subjectId), ConsistentRead: true }));
    const incident = result.Item as IncidentSubjectItem | undefined;
    if (!incident) return undefined;
    const referral = await getReferralRecord(incident.referralId);
    const current = referral?.currentApprovalId ? await getApprovalRecord(referral.currentApprovalId) : undefined;
    return {
      incident,
      referral,
      openApproval: current?.status === 'open' ? current : undefined,
      personId: incident.personId,
      referralId: incident.referralId,
      programme: incident.programme,
      since: incident.createdAt,
      currentApprovalId: incident.currentApprovalId,
      // A step that fails again after a retry asks staff again.
      waitsIn: () => true,
      key: keys.incidentSubject(subjectId),
      stillWaiting: { expression: 'attribute_exists(#subjectId)', names: { '#subjectId': 'subjectId' }, values: {} },
    };
  },

  allowedOutcomes: () => ['retry', 'close'],
  outcomeLabel: (outcome) => INCIDENT_OUTCOME_LABELS[outcome as IncidentOutcome] ?? outcome,

  onOpen({ table, subject, approval, now }) {
    const explanation = incidentExplanation(subject.incident.step, subject.incident.error);
    const iso = now.toISOString();
    return {
      fields: { incident: { step: subject.incident.step, error: subject.incident.error, explanation } },
      items: timelinePut(table, subject.personId, {
        at: iso,
        eventId: `incident#${approval.approvalId}`,
        type: 'path-incident',
        label: `À traiter : l'étape « ${subject.incident.step} » n'a pas abouti`,
        actor: { kind: 'system', name: 'Parcours automatique' },
        referralId: subject.referralId,
      }),
    };
  },

  onDeadline() {
    throw new ConflictError('an incident has no deadline');
  },

  onDecision({ table, subject, approval, now }, decision, staff: Actor): WaitingStepWrites {
    const iso = now.toISOString();
    const label =
      decision.outcome === 'retry'
        ? `Étape « ${subject.incident.step} » relancée par l'équipe`
        : `Parcours clôturé par l'équipe après l'échec de l'étape « ${subject.incident.step} »`;
    const items: TransactItem[] = timelinePut(table, subject.personId, {
      at: iso,
      eventId: `incident-decided#${approval.approvalId}`,
      type: `path-incident-${decision.outcome}`,
      label,
      actor: staff,
      referralId: subject.referralId,
      reason: decision.comment,
    });
    const referral = subject.referral;
    if (decision.outcome === 'close' && referral && (referral.status === 'pending' || referral.status === 'waitlisted')) {
      // The path ends here: the referral is closed (it leaves the reconciler's list), and so is its open approval.
      items.push(
        {
          Update: {
            TableName: table,
            Key: keys.referral(referral.referralId),
            UpdateExpression: 'SET #status = :closed, updatedAt = :now REMOVE gsi1pk, gsi1sk',
            ConditionExpression: '#status = :current',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':closed': 'closed', ':current': referral.status, ':now': iso },
          },
        },
        personReferralStatusUpdate(table, referral.personId, referral.referralId, 'closed', iso),
      );
      if (subject.openApproval) {
        items.push({
          Update: {
            TableName: table,
            Key: keys.approval(subject.openApproval.approvalId),
            UpdateExpression: 'SET #status = :closed, closedAt = :now, updatedAt = :now REMOVE gsi1pk, gsi1sk',
            ConditionExpression: '#status = :open',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':closed': 'closed', ':open': 'open', ':now': iso },
          },
        });
      }
    }
    return { items };
  },
};
