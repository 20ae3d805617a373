import type { Actor } from '../domain/actor.js';
import { countersignRequestDrafts, countersignedDrafts } from '../domain/contract-step-messages.js';
import type { CountersignDecision } from '../domain/onboarding.js';
import { decisionUrlOf } from '../domain/referral-messages.js';
import { daysBetween } from '../domain/time.js';
import type { DeadlineStep } from '../domain/waiting-steps.js';
import type { WaitingStepHandler, WaitingStepWrites } from './approvals.js';
import type { ContractStepSubject } from './contract-acceptances.js';
import { contractCountersignUpdate, getCurrentContract } from './contract-records.js';
import { contactsOf } from './guardian-consents.js';
import { onboardingStepDone, onboardingStepSubject } from './onboarding.js';
import { outboxPuts } from './outbox.js';
import { timelinePut } from './people.js';
import { getReferralRecord } from './referrals.js';
import { ConflictError } from '../domain/errors.js';

const staffEmail = () => process.env.STAFF_EMAIL;

/**
 * Staff countersign the contract the young person accepted (`contract-countersign`, audience staff, through the
 * generic decision route). The countersignature (who, when) is stored on the contract's version; the final PDF,
 * which prints it with the acceptance record, is rendered from that record (`finalizeContract`).
 */
export const contractCountersigns: WaitingStepHandler<ContractStepSubject, CountersignDecision> = {
  kind: 'contract-countersign',
  audience: 'staff',

  async loadSubject(referralId) {
    const [subject, referral, contract] = await Promise.all([onboardingStepSubject(referralId, 'contract-countersign'), getReferralRecord(referralId), getCurrentContract(referralId)]);
    if (!subject || !referral) return undefined;
    return { ...subject, referral, contract };
  },

  allowedOutcomes: (subject) => (subject.contract?.status === 'accepted' ? ['countersigned'] : []),
  outcomeLabel: (outcome) => (outcome === 'countersigned' ? 'Contrat contresigné' : outcome),

  onOpen({ table, subject, approval, now, appBaseUrl }) {
    const iso = now.toISOString();
    const cause = `contract-countersign-request#${subject.referralId}#${approval.approvalId}`;
    const drafts = countersignRequestDrafts(contactsOf(subject.referral), staffEmail(), decisionUrlOf(appBaseUrl, approval.approvalId));
    return { cause: drafts.length ? cause : undefined, items: outboxPuts(table, subject.personId, cause, drafts, iso, { referralId: subject.referralId }) };
  },

  onDeadline({ table, subject, approval, now, appBaseUrl }, step: DeadlineStep) {
    const iso = now.toISOString();
    const ageDays = Math.max(0, daysBetween(new Date(subject.since), now));
    const cause = `contract-countersign-${step}#${subject.referralId}#${approval.approvalId}`;
    const label = step === 'remind' ? `Relance de l'équipe : contrat à contresigner depuis ${ageDays} jours` : `Escalade : contrat à contresigner depuis ${ageDays} jours`;
    return {
      // A countersignature does not expire: the young person accepted, the cooperative owes its signature.
      expires: false,
      label,
      cause,
      items: [
        ...timelinePut(table, subject.personId, { at: iso, eventId: cause, type: `contract-countersign-${step}`, label, actor: { kind: 'system', name: 'Délais automatiques' }, referralId: subject.referralId }),
        ...outboxPuts(table, subject.personId, cause, countersignRequestDrafts(contactsOf(subject.referral), staffEmail(), decisionUrlOf(appBaseUrl, approval.approvalId), ageDays), iso, {
          referralId: subject.referralId,
        }),
      ],
    };
  },

  onDecision({ table, subject, approval, now }, _decision, actor: Actor): WaitingStepWrites {
    const iso = now.toISOString();
    const contract = subject.contract;
    if (!contract || contract.status !== 'accepted') throw new ConflictError("Ce contrat n'est pas accepté par le jeune : il ne peut pas être contresigné.");
    if (actor.kind !== 'staff') throw new ConflictError("Seule l'équipe contresigne un contrat.");
    const cause = `contract-countersigned#${subject.referralId}#${approval.approvalId}`;
    return {
      cause,
      items: [
        contractCountersignUpdate(table, contract, { at: iso, staffId: actor.id, staffName: actor.name }),
        onboardingStepDone(table, subject.referralId, 'contract-countersign', 'countersigned', iso, { contractVersion: contract.version }),
        ...timelinePut(table, subject.personId, {
          at: iso,
          eventId: cause,
          type: 'contract-countersigned',
          label: `Contrat contresigné par ${actor.name} (version ${contract.version})`,
          actor,
          referralId: subject.referralId,
        }),
        ...outboxPuts(table, subject.personId, cause, countersignedDrafts(contactsOf(subject.referral), subject.onboarding.minor), iso, { referralId: subject.referralId }),
      ],
    };
  },
};
