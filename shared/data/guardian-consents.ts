import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Actor } from '../domain/actor.js';
import { contractPeriod } from '../domain/contracts.js';
import { consentAnswerDrafts, consentEscalationDrafts, consentRequestDrafts, type OnboardingContacts } from '../domain/contract-step-messages.js';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import {
  GUARDIAN_CONSENT_OUTCOMES,
  GUARDIAN_CONSENT_OUTCOME_LABELS,
  consentText,
  type GuardianConsentAnswer,
  type GuardianConsentOutcome,
  type GuardianConsentView,
} from '../domain/guardian-consent.js';
import { PROGRAMME_RULES } from '../domain/programmes.js';
import { daysBetween, parisDate } from '../domain/time.js';
import type { DeadlineStep } from '../domain/waiting-steps.js';
import { keys } from '../keys.js';
import { settleWaitingStep, type SettleResult, type WaitingStepHandler, type WaitingStepWrites } from './approvals.js';
import { db, tableName } from './client.js';
import { onboardingStepDone, onboardingStepSubject, type OnboardingStepSubject } from './onboarding.js';
import { outboxPuts } from './outbox.js';
import { timelinePut } from './people.js';
import { getReferralRecord, type ReferralRecord } from './referrals.js';

/**
 * The guardian's consent (a minor's onboarding): the `guardian-consent` waiting step, decided by the guardian on
 * their page. Its answer is kept in `CONSENT`: who (the name and relationship they typed), when, the outcome, the
 * SHA-256 of the exact text they read, the image rights choice and their comment. A refusal ends the path (the
 * workflow's next step); the young person and staff are told.
 */
export interface GuardianConsentRecord {
  referralId: string;
  personId: string;
  outcome: GuardianConsentOutcome;
  at: string;
  signerName: string;
  relationship: string;
  textSha256: string;
  imageRights?: boolean;
  comment?: string;
  approvalId: string;
}

export async function getGuardianConsent(referralId: string): Promise<GuardianConsentRecord | undefined> {
  const result = await db().send(new GetCommand({ TableName: tableName(), Key: keys.onboardingConsent(referralId), ConsistentRead: true }));
  return result.Item as GuardianConsentRecord | undefined;
}

export interface ConsentSubject extends OnboardingStepSubject {
  referral: ReferralRecord;
}

/** The consent step's contacts: the referral's (messages use the contact details of the referral they are about). */
export function contactsOf(referral: ReferralRecord): OnboardingContacts {
  return { reference: referral.reference, programme: referral.programme, youngPerson: referral.youngPerson, guardian: referral.guardian };
}

/** The text the guardian of this referral reads today: the programme's dates as the contract will print them. */
export function consentTextOf(referral: ReferralRecord, now: Date = new Date()) {
  const period = contractPeriod(referral.programme, referral.programmeStartDate, parisDate(now));
  return { period, text: consentText({ youngFirstName: referral.youngPerson.firstName, programme: referral.programme, ...period }) };
}

const staffEmail = () => process.env.STAFF_EMAIL;

export const guardianConsents: WaitingStepHandler<ConsentSubject, GuardianConsentAnswer> = {
  kind: 'guardian-consent',
  audience: 'guardian',

  async loadSubject(referralId) {
    const [subject, referral] = await Promise.all([onboardingStepSubject(referralId, 'guardian-consent'), getReferralRecord(referralId)]);
    if (!subject || !referral) return undefined;
    return { ...subject, referral };
  },

  allowedOutcomes: (subject) => (subject.onboarding.minor ? GUARDIAN_CONSENT_OUTCOMES : []),
  outcomeLabel: (outcome) => GUARDIAN_CONSENT_OUTCOME_LABELS[outcome as GuardianConsentOutcome] ?? outcome,

  onOpen({ table, subject, approval, now }): WaitingStepWrites {
    const iso = now.toISOString();
    const cause = `guardian-consent-request#${subject.referralId}#${approval.approvalId}`;
    const drafts = consentRequestDrafts(contactsOf(subject.referral), false);
    return {
      cause: drafts.length ? cause : undefined,
      items: [
        ...timelinePut(table, subject.personId, {
          at: iso,
          eventId: cause,
          type: 'guardian-consent-requested',
          label: 'Accord du représentant légal demandé (e-mail et SMS avec son lien personnel)',
          actor: { kind: 'system', name: 'Parcours automatique' },
          referralId: subject.referralId,
        }),
        ...outboxPuts(table, subject.personId, cause, drafts, iso, { referralId: subject.referralId }),
      ],
    };
  },

  onDeadline({ table, subject, approval, now, appBaseUrl }, step: DeadlineStep) {
    const iso = now.toISOString();
    const contacts = contactsOf(subject.referral);
    const ageDays = Math.max(0, daysBetween(new Date(subject.since), now));
    const cause = `guardian-consent-${step}#${subject.referralId}#${approval.approvalId}`;
    // The guardian is reminded; past the escalation, staff are asked to call; the expiry hands the file to staff.
    const drafts = step === 'remind' ? consentRequestDrafts(contacts, true) : consentEscalationDrafts(contacts, staffEmail(), appBaseUrl, ageDays);
    const label =
      step === 'remind'
        ? `Relance du représentant légal : pas de réponse après ${ageDays} jours`
        : step === 'expire'
          ? `Accord du représentant légal sans réponse après ${ageDays} jours : dossier confié à l'équipe`
          : `Escalade : représentant légal sans réponse après ${ageDays} jours`;
    return {
      expires: step === 'expire',
      label,
      cause,
      items: [
        ...timelinePut(table, subject.personId, { at: iso, eventId: cause, type: `guardian-consent-${step}`, label, actor: { kind: 'system', name: 'Délais automatiques' }, referralId: subject.referralId }),
        ...outboxPuts(table, subject.personId, cause, drafts, iso, { referralId: subject.referralId }),
      ],
    };
  },

  onDecision({ table, subject, approval, now, appBaseUrl }, decision, actor: Actor): WaitingStepWrites {
    const iso = now.toISOString();
    const record: GuardianConsentRecord = {
      referralId: subject.referralId,
      personId: subject.personId,
      outcome: decision.outcome,
      at: iso,
      signerName: decision.signerName,
      relationship: decision.relationship,
      textSha256: decision.textSha256,
      ...(decision.imageRights !== undefined ? { imageRights: decision.imageRights } : {}),
      ...(decision.comment ? { comment: decision.comment } : {}),
      approvalId: approval.approvalId,
    };
    const cause = `guardian-consent-${decision.outcome}#${subject.referralId}#${approval.approvalId}`;
    const label =
      decision.outcome === 'consented'
        ? `Accord du représentant légal donné (droit à l'image ${decision.imageRights ? 'accordé' : 'refusé'})`
        : 'Accord du représentant légal refusé : parcours arrêté';
    return {
      cause,
      items: [
        { Put: { TableName: table, Item: { ...keys.onboardingConsent(subject.referralId), type: 'guardian-consent', ...record }, ConditionExpression: 'attribute_not_exists(pk)' } },
        onboardingStepDone(table, subject.referralId, 'guardian-consent', decision.outcome, iso),
        ...timelinePut(table, subject.personId, { at: iso, eventId: cause, type: `guardian-consent-${decision.outcome}`, label, actor, referralId: subject.referralId }),
        ...outboxPuts(table, subject.personId, cause, consentAnswerDrafts(contactsOf(subject.referral), decision.outcome, staffEmail(), appBaseUrl, decision.comment), iso, {
          referralId: subject.referralId,
        }),
      ],
    };
  },
};

/** The guardian's page: what they are asked, and their answer once given. `personId` is the young person's, from the link. */
export async function guardianConsentView(input: { referralId: string; personId: string; now?: Date }): Promise<GuardianConsentView> {
  const subject = await guardianConsents.loadSubject(input.referralId);
  const guardian = subject?.referral.guardian;
  if (!subject || subject.personId !== input.personId || !subject.onboarding.minor || !guardian) throw new NotFoundError('Aucun accord ne vous est demandé pour ce dossier.');
  const { referral } = subject;
  const consent = await getGuardianConsent(input.referralId);
  const { period, text } = consentTextOf(referral, input.now);
  const status: GuardianConsentView['status'] = consent ? consent.outcome : subject.item.status === 'waiting' ? 'waiting' : 'not-yet';
  return {
    youngFirstName: referral.youngPerson.firstName,
    programme: referral.programme,
    programmeLabel: PROGRAMME_RULES[referral.programme].label,
    ...period,
    guardian: { firstName: guardian.firstName, lastName: guardian.lastName, relationship: guardian.relationship },
    sections: text.sections,
    imageRights: text.imageRights,
    textSha256: text.sha256,
    status,
    statusLabel: consent
      ? GUARDIAN_CONSENT_OUTCOME_LABELS[consent.outcome]
      : status === 'waiting'
        ? 'Votre réponse est attendue.'
        : "L'équipe vous demandera votre accord après la réunion d'information et les documents.",
    ...(consent
      ? { answer: { at: consent.at, outcome: consent.outcome, signerName: consent.signerName, relationship: consent.relationship, ...(consent.imageRights !== undefined ? { imageRights: consent.imageRights } : {}) } }
      : {}),
  };
}

/**
 * Records the guardian's answer from their page (`personId` and `referralId` come from their link): the text they
 * read must be today's (409 otherwise), and a second answer is refused unless it repeats the first.
 */
export async function recordGuardianConsent(input: { referralId: string; personId: string; answer: GuardianConsentAnswer; appBaseUrl?: string; now?: Date }): Promise<SettleResult> {
  const subject = await guardianConsents.loadSubject(input.referralId);
  if (!subject || subject.personId !== input.personId || !subject.onboarding.minor) throw new NotFoundError('Aucun accord ne vous est demandé pour ce dossier.');
  const existing = await getGuardianConsent(input.referralId);
  if (existing && existing.outcome !== input.answer.outcome) {
    throw new ConflictError(`Votre réponse est déjà enregistrée (${GUARDIAN_CONSENT_OUTCOME_LABELS[existing.outcome].toLowerCase()}) : pour la changer, contactez l'équipe CoopConnexion.`);
  }
  if (!existing && consentTextOf(subject.referral, input.now).text.sha256 !== input.answer.textSha256) {
    throw new ConflictError('Le texte de l’accord a changé depuis votre lecture : rechargez la page et relisez-le avant de répondre.');
  }
  const actor: Actor = { kind: 'guardian', id: `guardian:${input.referralId}`, name: input.answer.signerName };
  return settleWaitingStep(guardianConsents, { subjectId: input.referralId, decision: input.answer, actor, appBaseUrl: input.appBaseUrl, now: input.now });
}
