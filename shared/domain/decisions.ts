import type * as z from 'zod/mini';
import { REFERRAL_STATUS_LABELS, decisionSchema, type ReferralStatus } from './referral.js';
import { ONBOARDING_REVIEW_OUTCOME_LABELS, countersignDecisionSchema, onboardingReviewDecisionSchema, type OnboardingReviewOutcome } from './onboarding.js';
import { LAUNCH_OUTCOME_LABELS, launchDecisionSchema, type LaunchOutcome } from './activity-launch.js';
import { BATCH_OUTCOME_LABELS, batchDecisionSchema, type BatchOutcome } from './invoicing/run.js';
import { INCIDENT_OUTCOME_LABELS, incidentDecisionSchema, type IncidentOutcome, type WaitingStepKind } from './waiting-steps.js';

/**
 * What staff may send to decide on each kind of waiting step through the generic decision route. The kinds
 * decided elsewhere (by the young person, the guardian, or a staff page of their own) have none.
 */
export const DECISION_SCHEMAS: Partial<Record<WaitingStepKind, z.ZodMiniType<{ outcome: string }>>> = {
  'referral-decision': decisionSchema,
  incident: incidentDecisionSchema,
  'onboarding-review': onboardingReviewDecisionSchema,
  'contract-countersign': countersignDecisionSchema,
  'activity-launch': launchDecisionSchema,
  'invoicing-batch': batchDecisionSchema,
};

/** The status staff read after deciding: the referral's new status, or what happens to the step. */
export function statusLabelAfter(kind: WaitingStepKind, outcome: string): string {
  if (kind === 'incident') return INCIDENT_OUTCOME_LABELS[outcome as IncidentOutcome] ?? outcome;
  if (kind === 'onboarding-review') return ONBOARDING_REVIEW_OUTCOME_LABELS[outcome as OnboardingReviewOutcome] ?? outcome;
  if (kind === 'contract-countersign') return 'Contrat contresigné';
  if (kind === 'invoicing-batch') return BATCH_OUTCOME_LABELS[outcome as BatchOutcome] ?? outcome;
  if (kind === 'activity-launch') return LAUNCH_OUTCOME_LABELS[outcome as LaunchOutcome] ?? outcome;
  return REFERRAL_STATUS_LABELS[outcome as ReferralStatus] ?? outcome;
}
