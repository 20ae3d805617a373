import type { Actor } from '../domain/actor.js';
import {
  ONBOARDING_END_REASONS,
  ONBOARDING_REVIEW_OUTCOME_LABELS,
  ONBOARDING_STEP_LABELS,
  type OnboardingReviewDecision,
  type OnboardingReviewOutcome,
} from '../domain/onboarding.js';
import type { DeadlineStep } from '../domain/waiting-steps.js';
import type { TransactItem, WaitingStepHandler, WaitingStepWrites } from './approvals.js';
import { onboardingStepDone, onboardingStepReopen, onboardingStepSubject, type OnboardingStepSubject } from './onboarding.js';
import { timelinePut } from './people.js';

const stuckLabel = (subject: OnboardingStepSubject) => (subject.item.stuckStep ? ONBOARDING_STEP_LABELS[subject.item.stuckStep] : 'une étape');

/**
 * Staff review a stuck onboarding step (a second absence at the information session, documents still missing
 * after 14 days): go on (the stuck step waits again, under a new approval), or end the path with a reason.
 * The workflow does the rest: back to the stuck step's wait, or the end of the onboarding with its messages.
 */
export const onboardingReviews: WaitingStepHandler<OnboardingStepSubject, OnboardingReviewDecision> = {
  kind: 'onboarding-review',
  audience: 'staff',

  loadSubject: (referralId) => onboardingStepSubject(referralId, 'review'),

  allowedOutcomes: (subject) => (subject.waitsIn('initial') && subject.item.stuckStep ? ['continue', 'end'] : []),
  outcomeLabel: (outcome) => ONBOARDING_REVIEW_OUTCOME_LABELS[outcome as OnboardingReviewOutcome] ?? outcome,

  onOpen({ table, subject, approval, now }) {
    return {
      fields: { onboardingStep: subject.item.stuckStep },
      items: timelinePut(table, subject.personId, {
        at: now.toISOString(),
        eventId: `onboarding-review#${approval.approvalId}`,
        type: 'onboarding-review-requested',
        label: `Accueil bloqué à l'étape « ${stuckLabel(subject)} » : revue demandée à l'équipe`,
        actor: { kind: 'system', name: 'Parcours automatique' },
        referralId: subject.referralId,
      }),
    };
  },

  onDeadline({ table, subject, approval, now }, step: DeadlineStep) {
    const label = step === 'remind' ? "Revue de l'accueil en attente : relance de l'équipe" : "Revue de l'accueil en attente : escalade";
    return {
      // Nobody ends a young person's path by default: the review waits for staff, reminded and escalated.
      expires: false,
      label,
      items: timelinePut(table, subject.personId, {
        at: now.toISOString(),
        eventId: `onboarding-review-${step}#${approval.approvalId}`,
        type: `onboarding-review-${step}`,
        label,
        actor: { kind: 'system', name: 'Délais automatiques' },
        referralId: subject.referralId,
      }),
    };
  },

  onDecision({ table, subject, approval, now }, decision, actor: Actor): WaitingStepWrites {
    const iso = now.toISOString();
    const items: TransactItem[] = [
      onboardingStepDone(table, subject.referralId, 'review', decision.outcome, iso, {
        ...(decision.reasonCode ? { reasonCode: decision.reasonCode } : {}),
        ...(decision.comment ? { comment: decision.comment } : {}),
      }),
    ];
    // Going on: the stuck step waits again (its next wait opens a new approval).
    if (decision.outcome === 'continue' && subject.item.stuckStep) items.push(onboardingStepReopen(table, subject.referralId, subject.item.stuckStep, iso));
    items.push(
      ...timelinePut(table, subject.personId, {
        at: iso,
        eventId: `onboarding-review-decided#${approval.approvalId}`,
        type: `onboarding-review-${decision.outcome}`,
        label:
          decision.outcome === 'continue'
            ? `Accueil poursuivi après revue : l'étape « ${stuckLabel(subject)} » reprend`
            : `Parcours arrêté par l'équipe pendant l'accueil (${ONBOARDING_END_REASONS[decision.reasonCode ?? 'other']})`,
        actor,
        referralId: subject.referralId,
        reason: decision.comment,
      }),
    );
    return { items };
  },
};
