import type * as z from 'zod/mini';
import { REFERRAL_STATUS_LABELS, decisionSchema, type ReferralStatus } from './referral.js';
import { INCIDENT_OUTCOME_LABELS, incidentDecisionSchema, type IncidentOutcome, type WaitingStepKind } from './waiting-steps.js';

/** What staff may send to decide on each kind of waiting step. */
export const DECISION_SCHEMAS: Record<WaitingStepKind, z.ZodMiniType<{ outcome: string }>> = {
  'referral-decision': decisionSchema,
  incident: incidentDecisionSchema,
};

/** The status staff read after deciding: the referral's new status, or what happens to the failed step. */
export function statusLabelAfter(kind: WaitingStepKind, outcome: string): string {
  if (kind === 'incident') return INCIDENT_OUTCOME_LABELS[outcome as IncidentOutcome] ?? outcome;
  return REFERRAL_STATUS_LABELS[outcome as ReferralStatus] ?? outcome;
}
