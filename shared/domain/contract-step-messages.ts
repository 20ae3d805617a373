import type { OutboxDraft } from '../data/outbox.js';
import { CONTRACT_TYPES } from './contracts.js';
import type { GuardianConsentOutcome } from './guardian-consent.js';
import { render } from './messages/catalogue.js';
import { LINK_PLACEHOLDERS } from './personal-links.js';
import { PROGRAMME_RULES, type Programme } from './programmes.js';

/**
 * Who hears what about the guardian's consent and the contract: the drafts each event of those steps writes to the
 * outbox, from the referral's contact details. Links to the young person's and the guardian's pages are the
 * senders' placeholders; staff get the app's pages.
 */
export interface OnboardingContacts {
  reference: string;
  programme: Programme;
  youngPerson: { firstName: string; lastName: string; email: string; phone: string };
  guardian?: { firstName: string; lastName: string; email: string; phone: string };
}

const varsOf = (c: OnboardingContacts) => ({
  youngFirstName: c.youngPerson.firstName,
  youngLastName: c.youngPerson.lastName,
  programmeLabel: PROGRAMME_RULES[c.programme].label,
  reference: c.reference,
});
const guardianName = (c: OnboardingContacts) => (c.guardian ? `${c.guardian.firstName} ${c.guardian.lastName}` : '');
const young = LINK_PLACEHOLDERS['young-person'];
const guardian = LINK_PLACEHOLDERS.guardian;

/** The staff's onboarding board: where a message about a young person's onboarding leads. */
export const onboardingBoardUrl = (appBaseUrl: string) => `${appBaseUrl.replace(/\/$/, '')}/equipe/accueil`;

/** The guardian is asked for their consent (and reminded), by e-mail and SMS, with their personal link. */
export function consentRequestDrafts(c: OnboardingContacts, reminder: boolean): OutboxDraft[] {
  if (!c.guardian) return [];
  const kind = reminder ? 'guardian-consent-reminder' : 'guardian-consent-request';
  const vars = { ...varsOf(c), guardianName: guardianName(c), personalLink: guardian };
  return [
    { kind, role: 'guardian', channel: 'email', to: c.guardian.email, personalLink: 'guardian', ...render(kind, 'guardian', 'email', vars) },
    { kind, role: 'guardian', channel: 'sms', to: c.guardian.phone, personalLink: 'guardian', body: render(kind, 'guardian', 'sms', vars).body },
  ];
}

export function consentEscalationDrafts(c: OnboardingContacts, staffEmail: string | undefined, appBaseUrl: string, ageDays: number): OutboxDraft[] {
  if (!staffEmail) return [];
  const vars = { ...varsOf(c), staffUrl: onboardingBoardUrl(appBaseUrl), ageDays };
  return [{ kind: 'guardian-consent-escalation', role: 'staff', channel: 'email', to: staffEmail, ...render('guardian-consent-escalation', 'staff', 'email', vars) }];
}

/** The guardian's answer reaches the young person and staff (a refusal ends the path). */
export function consentAnswerDrafts(c: OnboardingContacts, outcome: GuardianConsentOutcome, staffEmail: string | undefined, appBaseUrl: string, comment?: string): OutboxDraft[] {
  const kind = outcome === 'consented' ? 'guardian-consent-given' : 'guardian-consent-refused';
  const vars = { ...varsOf(c), personalLink: young, staffUrl: onboardingBoardUrl(appBaseUrl), comment };
  const link = outcome === 'consented' ? ({ personalLink: 'young-person' } as const) : {};
  const drafts: OutboxDraft[] = [
    { kind, role: 'young', channel: 'email', to: c.youngPerson.email, ...link, ...render(kind, 'young', 'email', vars) },
    { kind, role: 'young', channel: 'sms', to: c.youngPerson.phone, ...link, body: render(kind, 'young', 'sms', vars).body },
  ];
  if (staffEmail) drafts.push({ kind, role: 'staff', channel: 'email', to: staffEmail, ...render(kind, 'staff', 'email', vars) });
  return drafts;
}

/** The contract is ready to read and accept (and the reminders), with the young person's personal link. */
export function contractReadyDrafts(c: OnboardingContacts, reminder: boolean): OutboxDraft[] {
  const vars = { ...varsOf(c), personalLink: young, contractTitle: CONTRACT_TYPES[c.programme].title };
  const kind = reminder ? 'contract-acceptance-reminder' : 'contract-ready';
  return [
    { kind, role: 'young', channel: 'email', to: c.youngPerson.email, personalLink: 'young-person', ...render(kind, 'young', 'email', vars) },
    { kind, role: 'young', channel: 'sms', to: c.youngPerson.phone, personalLink: 'young-person', body: render(kind, 'young', 'sms', vars).body },
  ];
}

export function contractAcceptanceEscalationDrafts(c: OnboardingContacts, staffEmail: string | undefined, appBaseUrl: string, ageDays: number): OutboxDraft[] {
  if (!staffEmail) return [];
  const vars = { ...varsOf(c), staffUrl: onboardingBoardUrl(appBaseUrl), ageDays };
  return [{ kind: 'contract-acceptance-reminder', role: 'staff', channel: 'email', to: staffEmail, ...render('contract-acceptance-reminder', 'staff', 'email', vars) }];
}

/** Staff are asked to countersign (and reminded), on the decision page of the waiting step. */
export function countersignRequestDrafts(c: OnboardingContacts, staffEmail: string | undefined, decisionUrl: string, ageDays?: number): OutboxDraft[] {
  if (!staffEmail) return [];
  if (ageDays === undefined) {
    return [{ kind: 'contract-countersign-request', role: 'staff', channel: 'email', to: staffEmail, ...render('contract-countersign-request', 'staff', 'email', { ...varsOf(c), staffUrl: decisionUrl }) }];
  }
  const vars = { ...varsOf(c), staffUrl: decisionUrl, ageDays };
  return [{ kind: 'contract-countersign-reminder', role: 'staff', channel: 'email', to: staffEmail, ...render('contract-countersign-reminder', 'staff', 'email', vars) }];
}

/** The signed contract: the young person, and for a minor the guardian, can download it from their page. */
export function countersignedDrafts(c: OnboardingContacts, minor: boolean): OutboxDraft[] {
  const vars = { ...varsOf(c), personalLink: young };
  const drafts: OutboxDraft[] = [
    { kind: 'contract-countersigned', role: 'young', channel: 'email', to: c.youngPerson.email, personalLink: 'young-person', ...render('contract-countersigned', 'young', 'email', vars) },
    { kind: 'contract-countersigned', role: 'young', channel: 'sms', to: c.youngPerson.phone, personalLink: 'young-person', body: render('contract-countersigned', 'young', 'sms', vars).body },
  ];
  if (minor && c.guardian) {
    drafts.push({
      kind: 'contract-countersigned',
      role: 'guardian',
      channel: 'email',
      to: c.guardian.email,
      personalLink: 'guardian',
      ...render('contract-countersigned', 'guardian', 'email', { ...vars, guardianName: guardianName(c), personalLink: guardian }),
    });
  }
  return drafts;
}
