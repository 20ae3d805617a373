import type { Actor } from '../domain/actor.js';
import { contractAcceptanceEscalationDrafts, contractReadyDrafts } from '../domain/contract-step-messages.js';
import { NotFoundError } from '../domain/errors.js';
import { daysBetween } from '../domain/time.js';
import type { DeadlineStep } from '../domain/waiting-steps.js';
import { settleWaitingStep, type SettleResult, type WaitingStepHandler, type WaitingStepWrites } from './approvals.js';
import { contractAcceptanceUpdate, contractToAccept, getCurrentContract, type ContractRecord } from './contract-records.js';
import { contactsOf } from './guardian-consents.js';
import { onboardingStepDone, onboardingStepSubject, type OnboardingStepSubject } from './onboarding.js';
import { outboxPuts } from './outbox.js';
import { timelinePut } from './people.js';
import { getReferralRecord, type ReferralRecord } from './referrals.js';

export interface ContractStepSubject extends OnboardingStepSubject {
  referral: ReferralRecord;
  contract?: ContractRecord;
}

/** What the young person sends: they accept the PDF whose SHA-256 they read. */
export interface ContractAcceptanceDecision {
  outcome: 'accepted';
  sha256: string;
}

const staffEmail = () => process.env.STAFF_EMAIL;

/**
 * The young person accepts the contract in their space (`contract-acceptance`, audience young person): the time
 * and the SHA-256 of the exact PDF are stored on the contract's version, only if that hash is the current one.
 */
export const contractAcceptances: WaitingStepHandler<ContractStepSubject, ContractAcceptanceDecision> = {
  kind: 'contract-acceptance',
  audience: 'young-person',

  async loadSubject(referralId) {
    const [subject, referral, contract] = await Promise.all([onboardingStepSubject(referralId, 'contract-acceptance'), getReferralRecord(referralId), getCurrentContract(referralId)]);
    if (!subject || !referral) return undefined;
    return { ...subject, referral, contract };
  },

  allowedOutcomes: (subject) => (subject.contract?.status === 'prepared' ? ['accepted'] : []),
  outcomeLabel: (outcome) => (outcome === 'accepted' ? 'Contrat accepté' : outcome),

  onOpen({ table, subject, approval, now }): WaitingStepWrites {
    const iso = now.toISOString();
    const cause = `contract-ready#${subject.referralId}#${approval.approvalId}`;
    return { cause, items: outboxPuts(table, subject.personId, cause, contractReadyDrafts(contactsOf(subject.referral), false), iso, { referralId: subject.referralId }) };
  },

  onDeadline({ table, subject, approval, now, appBaseUrl }, step: DeadlineStep) {
    const iso = now.toISOString();
    const contacts = contactsOf(subject.referral);
    const ageDays = Math.max(0, daysBetween(new Date(subject.since), now));
    const cause = `contract-acceptance-${step}#${subject.referralId}#${approval.approvalId}`;
    const drafts = step === 'remind' ? contractReadyDrafts(contacts, true) : contractAcceptanceEscalationDrafts(contacts, staffEmail(), appBaseUrl, ageDays);
    const label =
      step === 'remind'
        ? `Relance : contrat non accepté après ${ageDays} jours`
        : step === 'expire'
          ? `Contrat non accepté après ${ageDays} jours : dossier confié à l'équipe`
          : `Escalade : contrat non accepté après ${ageDays} jours`;
    return {
      expires: step === 'expire',
      label,
      cause,
      items: [
        ...timelinePut(table, subject.personId, { at: iso, eventId: cause, type: `contract-acceptance-${step}`, label, actor: { kind: 'system', name: 'Délais automatiques' }, referralId: subject.referralId }),
        ...outboxPuts(table, subject.personId, cause, drafts, iso, { referralId: subject.referralId }),
      ],
    };
  },

  onDecision({ table, subject, approval, now }, decision, actor: Actor): WaitingStepWrites {
    const iso = now.toISOString();
    const contract = contractToAccept(subject.contract, decision.sha256);
    return {
      items: [
        contractAcceptanceUpdate(table, contract, { at: iso, sha256: decision.sha256, personId: subject.personId }),
        onboardingStepDone(table, subject.referralId, 'contract-acceptance', 'accepted', iso, { contractVersion: contract.version, contractSha256: decision.sha256 }),
        ...timelinePut(table, subject.personId, {
          at: iso,
          eventId: `contract-accepted#${subject.referralId}#${approval.approvalId}`,
          type: 'contract-accepted',
          label: `Contrat accepté en ligne (version ${contract.version}, SHA-256 ${decision.sha256.slice(0, 12)}…)`,
          actor,
          referralId: subject.referralId,
        }),
      ],
    };
  },
};

/**
 * The young person accepts the contract from their space (`personId` and `referralId` come from their link): the
 * hash must be the current contract's (409 "le contrat a changé" otherwise); a repeat answers as the first time.
 */
export async function acceptContract(input: { referralId: string; personId: string; sha256: string; appBaseUrl?: string; now?: Date }): Promise<SettleResult> {
  const subject = await contractAcceptances.loadSubject(input.referralId);
  if (!subject || subject.personId !== input.personId) throw new NotFoundError('Dossier introuvable.');
  contractToAccept(subject.contract, input.sha256);
  const young = subject.referral.youngPerson;
  return settleWaitingStep(contractAcceptances, {
    subjectId: input.referralId,
    decision: { outcome: 'accepted', sha256: input.sha256 },
    actor: { kind: 'young-person', id: input.personId, name: `${young.firstName} ${young.lastName}` },
    appBaseUrl: input.appBaseUrl,
    now: input.now,
  });
}
