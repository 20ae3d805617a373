import type { Actor } from '../domain/actor.js';
import { daysBetween } from '../domain/time.js';
import { documentsReminderDrafts, documentsRequestDrafts } from '../domain/document-messages.js';
import { DOCUMENT_TYPE_INFO, requiredDocuments, type DocumentType } from '../domain/documents.js';
import type { DeadlineStep } from '../domain/waiting-steps.js';
import { settleWaitingStep, type SettleResult, type TransactItem, type WaitingStepHandler, type WaitingStepWrites } from './approvals.js';
import { readDocuments } from './documents.js';
import { onboardingStepDone, onboardingStepSubject, type OnboardingStepSubject } from './onboarding.js';
import { outboxPuts } from './outbox.js';
import { timelinePut } from './people.js';
import { getReferralRecord, type ReferralRecord } from './referrals.js';

export interface DocumentsStepSubject extends OnboardingStepSubject {
  referral: ReferralRecord;
  /** Required documents not accepted yet (missing, rejected or under review), in the checklist's order. */
  notAccepted: DocumentType[];
  /** Required documents nothing was sent for yet, or rejected and not sent again: what the young person must do. */
  toSend: DocumentType[];
}

export const DOCUMENTS_COMPLETE = 'complete';
export type DocumentsDecision = { outcome: typeof DOCUMENTS_COMPLETE };

const SYSTEM: Actor = { kind: 'system', name: 'Délais automatiques' };

/**
 * The documents step: the young person sends their checklist from their space; it is `complete` when staff accept
 * the last required document (`reviewDocument` settles it). Opening it asks for the documents, reminders at 3 and
 * 7 days list what is still to send, and at 14 days it expires: the workflow opens the staff's review.
 */
export const documentsStep: WaitingStepHandler<DocumentsStepSubject, DocumentsDecision> = {
  kind: 'documents',
  audience: 'young-person',

  async loadSubject(referralId) {
    const [subject, referral, documents] = await Promise.all([onboardingStepSubject(referralId, 'documents'), getReferralRecord(referralId), readDocuments(referralId)]);
    if (!subject || !referral) return undefined;
    const required = requiredDocuments(referral.programme, referral.youngPerson.birthDate, referral.programmeStartDate);
    return {
      ...subject,
      referral,
      notAccepted: required.filter((d) => documents.get(d)?.status !== 'accepted'),
      toSend: required.filter((d) => {
        const status = documents.get(d)?.status;
        return status === undefined || status === 'missing' || status === 'rejected';
      }),
    };
  },

  // Complete only once every required document is accepted: the outcome is the checklist's, not anyone's choice.
  allowedOutcomes: (subject) => (subject.waitsIn('initial') && subject.notAccepted.length === 0 ? [DOCUMENTS_COMPLETE] : []),
  outcomeLabel: (outcome) => (outcome === DOCUMENTS_COMPLETE ? 'Pièces validées' : outcome),

  onOpen({ table, subject, approval, now }) {
    const iso = now.toISOString();
    const cause = `documents-request#${subject.referralId}#${approval.approvalId}`;
    // A wait reopened after the staff's review asks again for what is still to send only.
    const drafts = subject.toSend.length ? documentsRequestDrafts(subject.referral, subject.toSend) : [];
    return {
      cause: drafts.length ? cause : undefined,
      items: [
        ...timelinePut(table, subject.personId, {
          at: iso,
          eventId: cause,
          type: 'documents-requested',
          label: `Pièces justificatives demandées : ${subject.toSend.map((d) => DOCUMENT_TYPE_INFO[d].label).join(', ') || 'toutes envoyées, en vérification'}`,
          actor: { kind: 'system', name: 'Parcours automatique' },
          referralId: subject.referralId,
        }),
        ...outboxPuts(table, subject.personId, cause, drafts, iso, { referralId: subject.referralId }),
      ],
    };
  },

  onDeadline({ table, subject, approval, now }, step: DeadlineStep) {
    const iso = now.toISOString();
    const cause = `documents-${step}#${subject.referralId}#${approval.approvalId}`;
    if (step === 'expire') {
      const label = `Pièces toujours manquantes après ${daysBetween(new Date(subject.since), now)} jours : le dossier passe en revue par l'équipe`;
      return {
        expires: true,
        label,
        items: timelinePut(table, subject.personId, { at: iso, eventId: cause, type: 'documents-expired', label, actor: SYSTEM, referralId: subject.referralId }),
      };
    }
    // Both reminders (3 and 7 days) go to the young person, listing what is still to send; nothing when all was sent.
    const drafts = subject.toSend.length ? documentsReminderDrafts(subject.referral, subject.toSend, Math.max(0, daysBetween(new Date(subject.since), now))) : [];
    const label = drafts.length ? `Relance : pièces à envoyer (${subject.toSend.map((d) => DOCUMENT_TYPE_INFO[d].label).join(', ')})` : 'Relance sans objet : toutes les pièces sont envoyées';
    return {
      expires: false,
      label,
      cause: drafts.length ? cause : undefined,
      items: [
        ...timelinePut(table, subject.personId, { at: iso, eventId: cause, type: `documents-${step}`, label, actor: SYSTEM, referralId: subject.referralId }),
        ...outboxPuts(table, subject.personId, cause, drafts, iso, { referralId: subject.referralId }),
      ],
    };
  },

  onDecision({ table, subject, approval, now }, decision, actor: Actor): WaitingStepWrites {
    const iso = now.toISOString();
    const items: TransactItem[] = [
      onboardingStepDone(table, subject.referralId, 'documents', decision.outcome, iso),
      ...timelinePut(table, subject.personId, {
        at: iso,
        eventId: `documents-complete#${approval.approvalId}`,
        type: 'documents-complete',
        label: 'Pièces justificatives complètes : toutes validées',
        actor,
        referralId: subject.referralId,
      }),
    ];
    return { items };
  },
};

/**
 * Settles the documents step `complete` once every required document is accepted (`reviewDocument` says so): its
 * wait is decided if open, or the outcome is recorded for the wait to take when it opens. Safe to repeat (a retried
 * review repairs a settle lost after the review's commit). Undefined while a document is still not accepted.
 * The caller hands a `decided` outcome to the workflow (`handOverSettled`).
 */
export async function settleDocumentsStep(input: { referralId: string; actor: Actor; appBaseUrl?: string; now?: Date }): Promise<SettleResult | undefined> {
  const subject = await documentsStep.loadSubject(input.referralId);
  if (!subject || subject.notAccepted.length > 0) return undefined;
  return await settleWaitingStep(documentsStep, { subjectId: input.referralId, decision: { outcome: DOCUMENTS_COMPLETE }, actor: input.actor, appBaseUrl: input.appBaseUrl, now: input.now });
}
