import type { OutboxDraft } from '../data/outbox.js';
import { render } from './messages/catalogue.js';
import { PROGRAMME_RULES, type Programme } from './programmes.js';
import type { Decision, ReferralSubmission } from './referral.js';
import type { DeadlineStep } from './waiting-steps.js';
import { refusalReason } from './refusal-reasons.js';

/** What the referral's messages say and to whom they go: the referral's own contact details. */
export interface ReferralForMessages {
  reference: string;
  programme: Programme;
  organisationName: string;
  prescriber: { email?: string };
  youngPerson: ReferralSubmission['youngPerson'];
  guardian?: ReferralSubmission['guardian'];
}

/** The variables every referral message fills in. */

export function templateVars(referral: ReferralForMessages) {
  return {
    youngFirstName: referral.youngPerson.firstName,
    youngLastName: referral.youngPerson.lastName,
    programmeLabel: PROGRAMME_RULES[referral.programme].label,
    reference: referral.reference,
    prescriberOrganisation: referral.organisationName,
  };
}

export function acknowledgementDrafts(referral: ReferralForMessages): OutboxDraft[] {
  const vars = templateVars(referral);
  const drafts: OutboxDraft[] = [];
  if (referral.prescriber.email) {
    drafts.push({ kind: 'referral-received', role: 'prescriber', channel: 'email', to: referral.prescriber.email, ...render('referral-received', 'prescriber', 'email', vars) });
  }
  drafts.push({ kind: 'referral-received', role: 'young', channel: 'email', to: referral.youngPerson.email, ...render('referral-received', 'young', 'email', vars) });
  drafts.push({ kind: 'referral-received', role: 'young', channel: 'sms', to: referral.youngPerson.phone, body: render('referral-received', 'young', 'sms', vars).body });
  if (referral.guardian) {
    drafts.push({
      kind: 'referral-received',
      role: 'guardian',
      channel: 'email',
      to: referral.guardian.email,
      ...render('referral-received', 'guardian', 'email', { ...vars, guardianName: `${referral.guardian.firstName} ${referral.guardian.lastName}` }),
    });
  }
  return drafts;
}

export function decisionDrafts(referral: ReferralForMessages, decision: Decision): OutboxDraft[] {
  const vars = templateVars(referral);
  const reason = decision.reasonCode ? refusalReason(decision.reasonCode) : undefined;
  const kind = `referral-${decision.outcome}` as const;
  const drafts: OutboxDraft[] = [];
  if (referral.prescriber.email) {
    drafts.push({
      kind,
      role: 'prescriber',
      channel: 'email',
      to: referral.prescriber.email,
      ...render(kind, 'prescriber', 'email', { ...vars, reasonLabel: reason?.label, message: decision.messageToPrescriber }),
    });
  }
  const reasonForYoung = reason?.shownToYoungPerson ? reason.label : undefined;
  drafts.push({
    kind,
    role: 'young',
    channel: 'email',
    to: referral.youngPerson.email,
    ...render(kind, 'young', 'email', { ...vars, reasonLabel: reasonForYoung, message: decision.messageToYoungPerson }),
  });
  drafts.push({
    kind,
    role: 'young',
    channel: 'sms',
    to: referral.youngPerson.phone,
    body: render(kind, 'young', 'sms', vars).body,
  });
  // A guardian is given for a minor: they hear of the decision, with the reason only when the young person may read it.
  if (referral.guardian) {
    drafts.push({
      kind,
      role: 'guardian',
      channel: 'email',
      to: referral.guardian.email,
      ...render(kind, 'guardian', 'email', { ...vars, reasonLabel: reasonForYoung, guardianName: `${referral.guardian.firstName} ${referral.guardian.lastName}` }),
    });
  }
  return drafts;
}

/** Where staff open a waiting step: the confirmation page (deciding needs a POST from it, never a GET). */
export function decisionUrlOf(appBaseUrl: string, approvalId: string): string {
  return `${appBaseUrl.replace(/\/$/, '')}/equipe/decisions/${approvalId}`;
}

/** The e-mail telling staff a new referral waits for their decision. */
export function decisionRequestDrafts(referral: ReferralForMessages & { eligibility: { eligible: boolean } }, staffEmail: string | undefined, decisionUrl: string): OutboxDraft[] {
  if (!staffEmail) return [];
  return [
    {
      kind: 'referral-decision-request',
      role: 'staff',
      channel: 'email',
      to: staffEmail,
      ...render('referral-decision-request', 'staff', 'email', { ...templateVars(referral), decisionUrl, eligible: referral.eligibility.eligible }),
    },
  ];
}

/**
 * What a missed deadline of a referral says, on the timeline and by e-mail: staff are reminded, then warned
 * how long is left, a waitlisted referral comes back to them, and at expiry the prescriber gets an answer.
 */
export function deadlineMessages(
  step: DeadlineStep,
  referral: ReferralForMessages,
  context: { staffEmail: string | undefined; decisionUrl: string; ageDays: number; expiresInDays: number },
): { label: string; drafts: OutboxDraft[] } {
  const vars = { ...templateVars(referral), decisionUrl: context.decisionUrl, ageDays: context.ageDays };
  const staff = context.staffEmail;
  switch (step) {
    case 'remind':
      return {
        label: `Relance de l'équipe : pas de décision après ${context.ageDays} jours`,
        drafts: staff ? [{ kind: 'referral-reminder', role: 'staff', channel: 'email', to: staff, ...render('referral-reminder', 'staff', 'email', vars) }] : [],
      };
    case 'escalate':
      return {
        label: `Escalade : pas de décision après ${context.ageDays} jours`,
        drafts: staff
          ? [{ kind: 'referral-escalation', role: 'staff', channel: 'email', to: staff, ...render('referral-escalation', 'staff', 'email', { ...vars, expiresInDays: context.expiresInDays }) }]
          : [],
      };
    case 'waitlist-review':
      return {
        label: "Rappel : orientation sur liste d'attente à réexaminer",
        drafts: staff ? [{ kind: 'referral-waitlist-review', role: 'staff', channel: 'email', to: staff, ...render('referral-waitlist-review', 'staff', 'email', vars) }] : [],
      };
    case 'expire':
      return {
        label: `Orientation expirée sans décision après ${context.ageDays} jours`,
        drafts: referral.prescriber.email
          ? [{ kind: 'referral-expired', role: 'prescriber', channel: 'email', to: referral.prescriber.email, ...render('referral-expired', 'prescriber', 'email', vars) }]
          : [],
      };
  }
}
