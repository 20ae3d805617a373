import type { OutboxDraft } from '../data/outbox.js';
import { render } from './messages/catalogue.js';
import { LINK_PLACEHOLDERS, placeholdersIn } from './personal-links.js';
import { PROGRAMME_RULES } from './programmes.js';
import type { ReferralForMessages } from './referral-messages.js';
import { DIAGNOSIS_MODE_LABELS, changeDeadlineOf, sessionDateLabel, type DiagnosisMode } from './sessions.js';

/**
 * Replaced by the young person's personal link when the message is sent (links are issued then, one per message,
 * and never stored in clear): a message in the outbox holds no token.
 */
const YOUNG_PERSON_LINK = LINK_PLACEHOLDERS['young-person'];

/** A young person's message that carries their link declares it, so that the sender issues one when it sends. */
const young = (draft: OutboxDraft): OutboxDraft => (placeholdersIn(`${draft.subject ?? ''}\n${draft.body}`).length ? { ...draft, personalLink: 'young-person' } : draft);

/** The session a message is about. */
export interface SessionForMessages {
  startsAt: string;
  place: string;
}

const baseVars = (referral: ReferralForMessages) => ({
  youngFirstName: referral.youngPerson.firstName,
  programmeLabel: PROGRAMME_RULES[referral.programme].label,
  reference: referral.reference,
});
const guardianName = (guardian: NonNullable<ReferralForMessages['guardian']>) => `${guardian.firstName} ${guardian.lastName}`;

/** Young person by e-mail and SMS (with their link), the guardian of a minor by e-mail: an invitation to choose a session. */
export function invitationDrafts(referral: ReferralForMessages, kind: 'session-invitation' | 'session-reinvitation'): OutboxDraft[] {
  const vars = { ...baseVars(referral), linkUrl: YOUNG_PERSON_LINK };
  const drafts: OutboxDraft[] = [
    young({ kind, role: 'young', channel: 'email', to: referral.youngPerson.email, ...render(kind, 'young', 'email', vars) }),
    young({ kind, role: 'young', channel: 'sms', to: referral.youngPerson.phone, body: render(kind, 'young', 'sms', vars).body }),
  ];
  if (referral.guardian) {
    drafts.push({ kind, role: 'guardian', channel: 'email', to: referral.guardian.email, ...render(kind, 'guardian', 'email', { ...baseVars(referral), guardianName: guardianName(referral.guardian) }) });
  }
  return drafts;
}

/**
 * A session chosen (`session-confirmed`, sent at once) or coming (`session-reminder`, scheduled): the young person by
 * e-mail and SMS, the guardian of a minor by e-mail, and by SMS too for the reminder.
 */
export function bookedDrafts(referral: ReferralForMessages, session: SessionForMessages, kind: 'session-confirmed' | 'session-reminder'): OutboxDraft[] {
  const vars = { ...baseVars(referral), linkUrl: YOUNG_PERSON_LINK, sessionDate: sessionDateLabel(session.startsAt), place: session.place, changeUntil: sessionDateLabel(changeDeadlineOf(session.startsAt)) };
  const drafts: OutboxDraft[] = [
    young({ kind, role: 'young', channel: 'email', to: referral.youngPerson.email, ...render(kind, 'young', 'email', vars) }),
    young({ kind, role: 'young', channel: 'sms', to: referral.youngPerson.phone, body: render(kind, 'young', 'sms', vars).body }),
  ];
  if (referral.guardian) {
    const withGuardian = { ...vars, guardianName: guardianName(referral.guardian) };
    drafts.push({ kind, role: 'guardian', channel: 'email', to: referral.guardian.email, ...render(kind, 'guardian', 'email', withGuardian) });
    if (kind === 'session-reminder') drafts.push({ kind, role: 'guardian', channel: 'sms', to: referral.guardian.phone, body: render(kind, 'guardian', 'sms', withGuardian).body });
  }
  return drafts;
}

/** The diagnosis interview scheduled: when and where (or by phone), to the young person and a minor's guardian. */
export function diagnosisScheduledDrafts(referral: ReferralForMessages, interview: { scheduledAt: string; mode: DiagnosisMode; place?: string }): OutboxDraft[] {
  const kind = 'diagnosis-scheduled';
  const where = interview.mode === 'phone' ? DIAGNOSIS_MODE_LABELS.phone.toLowerCase() : `lieu : ${interview.place ?? ''}`;
  const vars = { ...baseVars(referral), interviewDate: sessionDateLabel(interview.scheduledAt), where };
  const drafts: OutboxDraft[] = [
    young({ kind, role: 'young', channel: 'email', to: referral.youngPerson.email, ...render(kind, 'young', 'email', vars) }),
    young({ kind, role: 'young', channel: 'sms', to: referral.youngPerson.phone, body: render(kind, 'young', 'sms', vars).body }),
  ];
  if (referral.guardian) {
    drafts.push({ kind, role: 'guardian', channel: 'email', to: referral.guardian.email, ...render(kind, 'guardian', 'email', { ...vars, guardianName: guardianName(referral.guardian) }) });
  }
  return drafts;
}
