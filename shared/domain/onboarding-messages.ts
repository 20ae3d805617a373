import type { OutboxDraft } from '../data/outbox.js';
import { render, type OnboardingVars } from './messages/catalogue.js';
import { ONBOARDING_END_REASONS, type OnboardingEndReason } from './onboarding.js';
import { PROGRAMME_RULES } from './programmes.js';
import type { ReferralForMessages } from './referral-messages.js';

/** The outbox cause of an onboarding's messages: one per event and referral, so a retried step writes them once. */
export const onboardingCause = (event: 'welcome' | 'ready' | 'ended', referralId: string) => `onboarding-${event}#${referralId}`;

function varsOf(referral: ReferralForMessages): OnboardingVars {
  return { youngFirstName: referral.youngPerson.firstName, programmeLabel: PROGRAMME_RULES[referral.programme].label, reference: referral.reference };
}

/**
 * The messages of an onboarding event: the young person by e-mail and SMS, and, for a minor, the guardian given
 * on the referral by e-mail (an adult's guardian, if the prescriber gave one, is not written to).
 */
export function onboardingDrafts(event: 'welcome' | 'ready' | 'ended', referral: ReferralForMessages, options: { minor: boolean; reason?: OnboardingEndReason }): OutboxDraft[] {
  const vars = varsOf(referral);
  const reasonLabel = ONBOARDING_END_REASONS[options.reason ?? 'other'];
  const kind = `onboarding-${event}` as const;
  const youngEmail = event === 'ended' ? render('onboarding-ended', 'young', 'email', { ...vars, reasonLabel }) : render(kind as 'onboarding-welcome' | 'onboarding-ready', 'young', 'email', vars);
  const drafts: OutboxDraft[] = [
    { kind, role: 'young', channel: 'email', to: referral.youngPerson.email, ...youngEmail },
    { kind, role: 'young', channel: 'sms', to: referral.youngPerson.phone, body: render(kind, 'young', 'sms', vars).body },
  ];
  if (options.minor && referral.guardian) {
    const guardianVars = { ...vars, guardianName: `${referral.guardian.firstName} ${referral.guardian.lastName}`, reasonLabel };
    drafts.push({ kind, role: 'guardian', channel: 'email', to: referral.guardian.email, ...render(kind, 'guardian', 'email', guardianVars) });
  }
  return drafts;
}
