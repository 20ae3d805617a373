import { PROGRAMME_RULES } from './domain/programmes.js';
import { REFERRAL_STATUS_LABELS } from './domain/referral.js';
import { REFUSAL_REASONS, refusalReason } from './domain/refusal-reasons.js';
import { ageLabel, daysBetween } from './domain/time.js';
import { WAITING_PHASE_LABELS, WAITING_STEP_KIND_LABELS } from './domain/waiting-steps.js';
import type { ApprovalRecord } from './data/approvals.js';
import type { ReferralRecord } from './data/referrals.js';

/** What the API shows of a referral in lists. */
export function referralSummary(referral: ReferralRecord) {
  const last = referral.decisions.at(-1);
  return {
    referralId: referral.referralId,
    reference: referral.reference,
    createdAt: referral.createdAt,
    programme: referral.programme,
    programmeLabel: PROGRAMME_RULES[referral.programme].label,
    youngPerson: { firstName: referral.youngPerson.firstName, lastName: referral.youngPerson.lastName },
    organisationName: referral.organisationName,
    status: referral.status,
    statusLabel: REFERRAL_STATUS_LABELS[referral.status],
    decidedAt: last?.decidedAt,
    reasonLabel: last?.reasonCode ? refusalReason(last.reasonCode)?.label : undefined,
  };
}

/** The full referral, for its prescriber organisation and for staff. */
export function referralDetail(referral: ReferralRecord) {
  return {
    ...referralSummary(referral),
    personId: referral.personId,
    programmeStartDate: referral.programmeStartDate,
    youngPerson: referral.youngPerson,
    guardian: referral.guardian,
    projectIdea: referral.projectIdea,
    notes: referral.notes,
    prescriber: { organisationName: referral.organisationName, name: referral.prescriber.name },
    eligibility: { eligible: referral.eligibility.eligible, explanation: referral.eligibility.explanation, ageAtStart: referral.eligibility.ageAtStart },
    duplicate: referral.duplicate,
    decisions: referral.decisions.map((d) => ({
      outcome: d.outcome,
      decidedAt: d.decidedAt,
      decidedBy: d.decidedBy.name,
      reasonLabel: d.reasonCode ? refusalReason(d.reasonCode)?.label : undefined,
    })),
  };
}

export const PHASE_LABELS = WAITING_PHASE_LABELS;

/**
 * One waiting step in the staff inbox, whatever its kind: its age in Paris days since the subject started
 * waiting, and what staff need to open it; a referral's step also shows the young person and the prescriber.
 */
export function inboxItem(approval: ApprovalRecord, referral: ReferralRecord | undefined, now = new Date()) {
  const since = new Date(approval.since);
  return {
    approvalId: approval.approvalId,
    kind: approval.kind,
    kindLabel: WAITING_STEP_KIND_LABELS[approval.kind],
    phase: approval.phase,
    phaseLabel: WAITING_PHASE_LABELS[approval.phase],
    since: approval.since,
    ageDays: Math.max(0, daysBetween(since, now)),
    ageLabel: ageLabel(since, now),
    referralId: approval.referralId,
    personId: approval.personId,
    ...(approval.incident ? { incident: { step: approval.incident.step, explanation: approval.incident.explanation } } : {}),
    ...(referral
      ? {
          reference: referral.reference,
          createdAt: referral.createdAt,
          programme: referral.programme,
          programmeLabel: PROGRAMME_RULES[referral.programme].label,
          youngPerson: {
            firstName: referral.youngPerson.firstName,
            lastName: referral.youngPerson.lastName,
            birthDate: referral.youngPerson.birthDate,
            town: referral.youngPerson.town,
            qpv: referral.youngPerson.qpv,
          },
          prescriber: { organisationName: referral.organisationName, name: referral.prescriber.name },
          eligibility: { eligible: referral.eligibility.eligible, explanation: referral.eligibility.explanation },
          duplicate: { linked: referral.duplicate.linked, previousReferrals: referral.duplicate.previousReferrals },
        }
      : {}),
  };
}

export const refusalReasonsView = () => REFUSAL_REASONS.map((r) => ({ code: r.code, label: r.label, shownToYoungPerson: r.shownToYoungPerson }));
