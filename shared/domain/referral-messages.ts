import type { OutboxDraft } from '../data/outbox.js';
import { render } from './messages/catalogue.js';
import { PROGRAMME_RULES, type Programme } from './programmes.js';
import type { Decision, ReferralSubmission } from './referral.js';
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
