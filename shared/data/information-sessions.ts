import type { Actor } from '../domain/actor.js';
import { invitationDrafts } from '../domain/session-messages.js';
import type { DeadlineStep } from '../domain/waiting-steps.js';
import { keys } from '../keys.js';
import type { TransactItem, WaitingStepHandler, WaitingStepWrites } from './approvals.js';
import { onboardingStepDone, onboardingStepSubject, type OnboardingStepSubject } from './onboarding.js';
import { outboxPuts } from './outbox.js';
import { timelinePut } from './people.js';
import { getReferralRecord, type ReferralRecord } from './referrals.js';
import { getBooking, type BookingRecord } from './sessions.js';

export const INFORMATION_SESSION_OUTCOMES = ['attended', 'no-show'] as const;
export type InformationSessionOutcome = (typeof INFORMATION_SESSION_OUTCOMES)[number];
export const INFORMATION_SESSION_OUTCOME_LABELS: Record<InformationSessionOutcome, string> = {
  attended: "Réunion d'information suivie",
  'no-show': "Deux absences à la réunion d'information",
};

export interface InformationSessionSubject extends OnboardingStepSubject {
  referral: ReferralRecord;
  booking?: BookingRecord;
}

const system: Actor = { kind: 'system', name: 'Parcours automatique' };

/**
 * The information session: the young person picks a session in their space (shared/data/sessions.ts), staff record
 * whether they came. Present settles the step (`attended`); the second absence without an excuse settles it as a
 * `no-show`, and the workflow opens the staff's review. A wait that opens invites the young person to choose; one
 * that opens again after the review (`resumed`) gives them a fresh start: booking cleared, absences forgotten.
 */
export const informationSessions: WaitingStepHandler<InformationSessionSubject, { outcome: InformationSessionOutcome }> = {
  kind: 'information-session',
  audience: 'young-person',

  async loadSubject(referralId) {
    const [subject, referral, booking] = await Promise.all([onboardingStepSubject(referralId, 'information-session'), getReferralRecord(referralId), getBooking(referralId)]);
    if (!subject || !referral) return undefined;
    return { ...subject, referral, booking };
  },

  allowedOutcomes: (subject) => (subject.waitsIn('initial') ? INFORMATION_SESSION_OUTCOMES : []),
  outcomeLabel: (outcome) => INFORMATION_SESSION_OUTCOME_LABELS[outcome as InformationSessionOutcome] ?? outcome,

  onOpen({ table, subject, approval, now }) {
    const iso = now.toISOString();
    const resumed = approval.phase === 'resumed';
    const kind = resumed ? 'session-reinvitation' : 'session-invitation';
    const cause = `${kind}#${subject.referralId}#${approval.approvalId}`;
    const items: TransactItem[] = [
      ...outboxPuts(table, subject.personId, cause, invitationDrafts(subject.referral, kind), iso, { referralId: subject.referralId }),
      ...timelinePut(table, subject.personId, {
        at: iso,
        eventId: cause,
        type: kind,
        label: resumed ? "Nouvelle invitation à choisir une réunion d'information (après revue)" : "Invitation à choisir une réunion d'information",
        actor: system,
        referralId: subject.referralId,
      }),
    ];
    if (resumed && subject.booking) {
      items.push({
        Update: {
          TableName: table,
          Key: keys.sessionBooking(subject.referralId),
          UpdateExpression: 'SET #status = :toChoose, noShows = :zero, version = version + :one, updatedAt = :now REMOVE sessionId, startsAt, reminderIds, reminderAt',
          ConditionExpression: 'version = :version',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':toChoose': 'to-choose', ':zero': 0, ':one': 1, ':now': iso, ':version': subject.booking.version },
        },
      });
    }
    return { items, cause };
  },

  onDeadline({ table, subject, approval, now }, step: DeadlineStep) {
    const iso = now.toISOString();
    // Still no session chosen: the invitation goes again; a seat held waits for the session's day.
    const toChoose = (subject.booking?.status ?? 'to-choose') === 'to-choose';
    const cause = `session-invitation-${step}#${subject.referralId}#${approval.approvalId}`;
    const label = toChoose ? "Réunion d'information pas encore choisie : invitation renvoyée" : "Réunion d'information choisie, en attente de la séance";
    return {
      expires: false,
      label,
      ...(toChoose && step === 'remind' ? { cause } : {}),
      items: [
        ...timelinePut(table, subject.personId, { at: iso, eventId: cause, type: `session-${step}`, label, actor: { kind: 'system', name: 'Délais automatiques' }, referralId: subject.referralId }),
        ...(toChoose && step === 'remind' ? outboxPuts(table, subject.personId, cause, invitationDrafts(subject.referral, 'session-invitation'), iso, { referralId: subject.referralId }) : []),
      ],
    };
  },

  onDecision({ table, subject, now }, decision): WaitingStepWrites {
    // The attendance's own transaction wrote the timeline and the booking: the step is done.
    return { items: [onboardingStepDone(table, subject.referralId, 'information-session', decision.outcome, now.toISOString())] };
  },
};
