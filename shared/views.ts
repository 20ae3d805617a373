import { PROGRAMME_RULES } from './domain/programmes.js';
import { REFERRAL_STATUS_LABELS } from './domain/referral.js';
import { REFUSAL_REASONS, refusalReason } from './domain/refusal-reasons.js';
import { ageLabel, daysBetween } from './domain/time.js';
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

export const PHASE_LABELS: Record<ApprovalRecord['phase'], string> = {
  initial: 'Nouvelle',
  reminded: 'Relancée',
  escalated: 'Escaladée',
  waitlist: "Liste d'attente",
};

export function inboxItem(approval: ApprovalRecord, referral: ReferralRecord, now = new Date()) {
  const created = new Date(referral.createdAt);
  return {
    approvalId: approval.approvalId,
    referralId: referral.referralId,
    reference: referral.reference,
    personId: referral.personId,
    createdAt: referral.createdAt,
    ageDays: Math.max(0, daysBetween(created, now)),
    ageLabel: ageLabel(created, now),
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
    phase: approval.phase,
    phaseLabel: PHASE_LABELS[approval.phase],
  };
}

export const refusalReasonsView = () => REFUSAL_REASONS.map((r) => ({ code: r.code, label: r.label, shownToYoungPerson: r.shownToYoungPerson }));
