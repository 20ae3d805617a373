import type { Actor } from '../domain/actor.js';
import { OUTCOME_LABELS } from '../domain/messages/catalogue.js';
import { allowedOutcomes, type Decision, type ReferralStatus } from '../domain/referral.js';
import { deadlineMessages, decisionDrafts, decisionRequestDrafts, decisionUrlOf } from '../domain/referral-messages.js';
import { refusalReason } from '../domain/refusal-reasons.js';
import { daysBetween } from '../domain/time.js';
import type { DeadlineStep, WaitingPhase } from '../domain/waiting-steps.js';
import { keys } from '../keys.js';
import type { DeadlineTimings, TransactItem, WaitingStepHandler, WaitingStepWrites, WaitingSubject } from './approvals.js';
import { outboxPuts } from './outbox.js';
import { personReferralStatusUpdate, timelinePut } from './people.js';
import { getReferralRecord, type ReferralRecord } from './referrals.js';

export interface ReferralSubject extends WaitingSubject {
  referral: ReferralRecord;
}

/** The status a referral has while it waits in a phase: pending for the first decision, waitlisted for a place. */
const waitingStatusOf = (phase: WaitingPhase): ReferralStatus => (phase === 'waitlist' ? 'waitlisted' : 'pending');

/** The referral moves from the status it was read in, or the transaction fails: a decision and an expiry never both land. */
function referralTransition(table: string, referral: ReferralRecord, next: ReferralStatus, now: string, extra?: { decision: unknown }): TransactItem {
  // Accepted: listed until its onboarding opens, so the reconciler starts an onboarding whose start was lost.
  const awaited = next === 'accepted' ? keys.awaitedOnboardingEntry(now, referral.referralId) : undefined;
  return {
    Update: {
      TableName: table,
      Key: keys.referral(referral.referralId),
      UpdateExpression: `SET #status = :next, updatedAt = :now${extra ? ', decisions = list_append(decisions, :decision)' : ''}${awaited ? ', gsi1pk = :apk, gsi1sk = :ask' : ''}`,
      ConditionExpression: '#status = :current',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':next': next,
        ':current': referral.status,
        ':now': now,
        ...(extra ? { ':decision': [extra.decision] } : {}),
        ...(awaited ? { ':apk': awaited.gsi1pk, ':ask': awaited.gsi1sk } : {}),
      },
    },
  };
}

/**
 * Staff decide on a referral: accept, refuse (with a reason) or put on the waiting list; reminders, escalation
 * and expiry while nobody decides; a waitlisted referral comes back for review until it is accepted or refused.
 */
export const referralDecisions: WaitingStepHandler<ReferralSubject, Decision> = {
  kind: 'referral-decision',
  audience: 'staff',

  async loadSubject(referralId) {
    const referral = await getReferralRecord(referralId);
    if (!referral) return undefined;
    return {
      referral,
      personId: referral.personId,
      referralId: referral.referralId,
      programme: referral.programme,
      since: referral.createdAt,
      currentApprovalId: referral.currentApprovalId,
      waitsIn: (phase) => referral.status === waitingStatusOf(phase),
      key: keys.referral(referral.referralId),
      stillWaiting: { expression: '#referralStatus = :readStatus', names: { '#referralStatus': 'status' }, values: { ':readStatus': referral.status } },
    };
  },

  allowedOutcomes: (subject) => allowedOutcomes(subject.referral.status),
  outcomeLabel: (outcome) => OUTCOME_LABELS[outcome as keyof typeof OUTCOME_LABELS] ?? outcome,

  onOpen({ table, subject, approval, appBaseUrl, now }): WaitingStepWrites {
    // A waitlisted referral is not new to staff: its reviews come by the waiting list's deadline.
    if (approval.phase === 'waitlist') return { items: [] };
    const drafts = decisionRequestDrafts(subject.referral, process.env.STAFF_EMAIL, decisionUrlOf(appBaseUrl, approval.approvalId));
    const cause = `referral-decision-request#${subject.referralId}#${approval.approvalId}`;
    return { items: outboxPuts(table, subject.personId, cause, drafts, now.toISOString(), { referralId: subject.referralId }), cause: drafts.length ? cause : undefined };
  },

  onDeadline({ table, subject, approval, now, appBaseUrl }, step: DeadlineStep, timings: DeadlineTimings) {
    const iso = now.toISOString();
    const referral = subject.referral;
    const created = new Date(referral.createdAt);
    const expiresAt = new Date(created.getTime() + timings.expireAfterSeconds * 1000);
    const { label, drafts } = deadlineMessages(step, referral, {
      staffEmail: process.env.STAFF_EMAIL,
      decisionUrl: decisionUrlOf(appBaseUrl, approval.approvalId),
      ageDays: Math.max(0, daysBetween(created, now)),
      expiresInDays: Math.max(0, daysBetween(now, expiresAt)),
    });
    const cause = `referral-${step}#${referral.referralId}#${approval.approvalId}${step === 'waitlist-review' ? `#${iso.slice(0, 10)}` : ''}`;
    const expires = step === 'expire';
    return {
      expires,
      label,
      cause,
      items: [
        ...(expires && referral.status === 'pending' ? [referralTransition(table, referral, 'expired', iso), personReferralStatusUpdate(table, referral.personId, referral.referralId, 'expired', iso)] : []),
        ...timelinePut(table, referral.personId, { at: iso, eventId: cause, type: `referral-${step}`, label, actor: { kind: 'system', name: 'Délais automatiques' }, referralId: referral.referralId }),
        ...outboxPuts(table, referral.personId, cause, drafts, iso, { referralId: referral.referralId }),
      ],
    };
  },

  onDecision({ table, subject, approval, now }, decision, staff: Actor): WaitingStepWrites {
    const iso = now.toISOString();
    const referral = subject.referral;
    const { outcome, reasonCode } = decision;
    const decidedBy = staff.kind === 'system' ? { id: 'system', name: staff.name ?? 'Système' } : { id: staff.id, name: staff.name };
    const cause = `referral-decided#${referral.referralId}#${approval.approvalId}`;
    const reason = reasonCode ? refusalReason(reasonCode) : undefined;
    return {
      cause,
      items: [
        referralTransition(table, referral, outcome, iso, { decision: { outcome, reasonCode, decidedAt: iso, decidedBy, approvalId: approval.approvalId } }),
        personReferralStatusUpdate(table, referral.personId, referral.referralId, outcome, iso),
        ...timelinePut(table, referral.personId, {
          at: iso,
          eventId: `referral-decided#${approval.approvalId}`,
          type: `referral-${outcome}`,
          label: `Décision : orientation ${OUTCOME_LABELS[outcome]}`,
          actor: staff,
          referralId: referral.referralId,
          reason: reason?.label,
        }),
        ...outboxPuts(table, referral.personId, cause, decisionDrafts(referral, decision), iso, { referralId: referral.referralId }),
      ],
    };
  },
};
