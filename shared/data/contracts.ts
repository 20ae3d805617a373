import { createHash } from 'node:crypto';
import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { renderContractPdf } from '../contracts/pdf.js';
import {
  CONTRACT_STATUS_LABELS,
  CONTRACT_TYPES,
  contractBlockers,
  contractFileName,
  contractPeriod,
  type ContractData,
  type ContractStatus,
} from '../domain/contracts.js';
import { NotFoundError } from '../domain/errors.js';
import type { GuardianConsentOutcome } from '../domain/guardian-consent.js';
import { PROGRAMME_RULES } from '../domain/programmes.js';
import { parisDate } from '../domain/time.js';
import { keys } from '../keys.js';
import * as objects from '../storage/objects.js';
import type { TransactItem } from './approvals.js';
import { db, tableName } from './client.js';
import { getCurrentContract, type ContractRecord } from './contract-records.js';
import { getChecklist } from './documents.js';
import { getGuardianConsent, type GuardianConsentRecord } from './guardian-consents.js';
import { getOnboarding, type OnboardingRecord } from './onboarding.js';
import { timelinePut } from './people.js';
import { getReferralRecord, type ReferralRecord } from './referrals.js';
import { isConditionFailure, isConditionalCheckFailed } from './transactions.js';

/**
 * The contract of an onboarding: each version prepared from the stored data, its PDF kept in the documents bucket
 * with its SHA-256 recorded (shared/data/contract-records.ts), and the final PDF rendered after the countersignature,
 * which prints the acceptance record and the countersignature.
 */

/** What the contracts need of the bucket: the storage module in the functions, a stand-in in unit tests. */
export type ContractStorage = Pick<typeof objects, 'putObject' | 'presignDownload'>;
export const contractStorage: ContractStorage = objects;

/** The object key of a contract's PDF; its hash is in it, so two racing preparations never overwrite the recorded one. */
export function contractObjectKey(referralId: string, version: number, sha256: string, final: boolean): string {
  return `contracts/${referralId}/v${version}${final ? '-final' : ''}-${sha256.slice(0, 16)}.pdf`;
}

/** What a contract is made from: the onboarding, its referral, the checklist, and for a minor the guardian's answer. */
export interface ContractSource {
  onboarding: OnboardingRecord;
  referral: ReferralRecord;
  consent?: GuardianConsentRecord;
  /** Why no contract can be prepared yet (empty: it can). */
  blockers: string[];
}

export async function loadContractSource(referralId: string): Promise<ContractSource> {
  const [onboarding, referral] = await Promise.all([getOnboarding(referralId), getReferralRecord(referralId)]);
  if (!onboarding || !referral) throw new NotFoundError('Accueil introuvable.');
  const [checklist, consent] = await Promise.all([getChecklist(referralId), onboarding.minor ? getGuardianConsent(referralId) : undefined]);
  const blockers = contractBlockers({
    minor: onboarding.minor,
    required: checklist.required,
    accepted: checklist.required.filter((docType) => !checklist.missing.includes(docType)),
    consent: consent?.outcome as GuardianConsentOutcome | undefined,
  });
  return { onboarding, referral, consent, blockers };
}

/** The parts of the stored data a contract prints, but the day it is made. */
function sourceOf(source: ContractSource) {
  const { referral, onboarding, consent } = source;
  const young = referral.youngPerson;
  return {
    programme: referral.programme,
    programmeStartDate: referral.programmeStartDate,
    youngPerson: { firstName: young.firstName, lastName: young.lastName, birthDate: young.birthDate, address: young.address, postalCode: young.postalCode, town: young.town },
    guardian: onboarding.minor && referral.guardian ? { firstName: referral.guardian.firstName, lastName: referral.guardian.lastName, relationship: referral.guardian.relationship } : undefined,
    consent:
      onboarding.minor && consent?.outcome === 'consented'
        ? { at: consent.at, signerName: consent.signerName, relationship: consent.relationship, imageRights: consent.imageRights === true }
        : undefined,
  };
}

/** Thrown by the workflow's step when a contract cannot be prepared yet: the step fails and staff see why. */
export class ContractNotReadyError extends Error {
  constructor(readonly blockers: string[]) {
    super('contract prerequisites not met');
    this.name = 'ContractNotReady';
  }
}

/**
 * "Préparer le contrat": renders the contract from the stored data, keeps the PDF in the bucket and records the
 * version with its SHA-256. Refused (ContractNotReadyError) unless every required document is accepted and, for a
 * minor, the guardian consented. Idempotent: a contract already made from the same data is answered as it is (a
 * retried step), and so is one the young person has accepted; a prepared one whose data changed is superseded by
 * a new version.
 */
export async function prepareContract(input: { referralId: string; now?: Date; storage?: ContractStorage }): Promise<{ contract: ContractRecord; created: boolean }> {
  const now = input.now ?? new Date();
  const storage = input.storage ?? contractStorage;
  const source = await loadContractSource(input.referralId);
  if (source.blockers.length) throw new ContractNotReadyError(source.blockers);
  const fromSource = sourceOf(source);
  const sourceHash = createHash('sha256').update(JSON.stringify(fromSource)).digest('hex');
  const current = await getCurrentContract(input.referralId);
  if (current && (current.sourceHash === sourceHash || current.status === 'accepted' || current.status === 'countersigned')) return { contract: current, created: false };

  const { referral } = source;
  const version = (current?.version ?? 0) + 1;
  const iso = now.toISOString();
  const data: ContractData = {
    referralId: referral.referralId,
    reference: referral.reference,
    version,
    programme: fromSource.programme,
    youngPerson: fromSource.youngPerson,
    ...(fromSource.guardian ? { guardian: fromSource.guardian } : {}),
    ...(fromSource.consent ? { consent: fromSource.consent } : {}),
    ...contractPeriod(referral.programme, referral.programmeStartDate, parisDate(now)),
    generatedAt: iso,
  };
  const pdf = await renderContractPdf(data);
  const key = contractObjectKey(referral.referralId, version, pdf.sha256, false);
  await storage.putObject(key, pdf.bytes, 'application/pdf');
  const contract: ContractRecord = {
    referralId: referral.referralId,
    personId: referral.personId,
    programme: referral.programme,
    version,
    status: 'prepared',
    key,
    sha256: pdf.sha256,
    size: pdf.bytes.byteLength,
    sourceHash,
    data,
    createdAt: iso,
    updatedAt: iso,
  };
  const table = tableName();
  try {
    await db().send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: table, Item: { ...keys.onboardingContract(referral.referralId, version), type: 'contract', ...contract }, ConditionExpression: 'attribute_not_exists(pk)' } },
          ...(current ? [supersede(table, current, iso)] : []),
          ...timelinePut(table, referral.personId, {
            at: iso,
            eventId: `contract-prepared#${referral.referralId}#${version}`,
            type: 'contract-prepared',
            label: `Contrat préparé (version ${version}) : ${CONTRACT_TYPES[referral.programme].title}, du ${data.startDate} au ${data.endDate}`,
            actor: { kind: 'system', name: 'Parcours automatique' },
            referralId: referral.referralId,
          }),
        ],
      }),
    );
    return { contract, created: true };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    // A concurrent attempt recorded this version first (its PDF under its own hash): answer with it.
    const raced = await getCurrentContract(input.referralId);
    if (raced && raced.version >= version) return { contract: raced, created: false };
    throw error;
  }
}

function supersede(table: string, contract: ContractRecord, now: string): TransactItem {
  return {
    Update: {
      TableName: table,
      Key: keys.onboardingContract(contract.referralId, contract.version),
      UpdateExpression: 'SET #status = :superseded, updatedAt = :now',
      ConditionExpression: '#status = :prepared',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':superseded': 'superseded', ':prepared': 'prepared', ':now': now },
    },
  };
}

/**
 * The final PDF of a countersigned contract: the same contract with the acceptance record (time, SHA-256) and the
 * countersignature (staff name, time), rendered from the stored record, so every attempt makes the same bytes, and
 * kept in the bucket. Idempotent; a contract not countersigned yet is answered as it is.
 */
export async function finalizeContract(input: { referralId: string; storage?: ContractStorage; now?: Date }): Promise<ContractRecord | undefined> {
  const contract = await getCurrentContract(input.referralId);
  if (!contract || contract.status !== 'countersigned' || contract.final || !contract.acceptance || !contract.countersignature) return contract;
  const storage = input.storage ?? contractStorage;
  const pdf = await renderContractPdf(contract.data, {
    acceptance: { at: contract.acceptance.at, sha256: contract.acceptance.sha256 },
    countersignature: { at: contract.countersignature.at, staffName: contract.countersignature.staffName },
  });
  const key = contractObjectKey(contract.referralId, contract.version, pdf.sha256, true);
  await storage.putObject(key, pdf.bytes, 'application/pdf');
  const final = { key, sha256: pdf.sha256, size: pdf.bytes.byteLength, at: (input.now ?? new Date()).toISOString() };
  try {
    await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.onboardingContract(contract.referralId, contract.version),
        UpdateExpression: 'SET #final = :final, updatedAt = :now',
        ConditionExpression: '#status = :countersigned AND attribute_not_exists(#final)',
        ExpressionAttributeNames: { '#status': 'status', '#final': 'final' },
        ExpressionAttributeValues: { ':final': final, ':now': final.at, ':countersigned': 'countersigned' },
      }),
    );
    return { ...contract, final };
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
    return getCurrentContract(input.referralId);
  }
}

/** What the young person, the guardian and staff see of a contract, with a short-lived download of the PDF that applies. */
export interface ContractView {
  status: ContractStatus | 'not-ready';
  statusLabel: string;
  version?: number;
  title?: string;
  programmeLabel?: string;
  startDate?: string;
  endDate?: string;
  /** The SHA-256 of the PDF to accept (send it back to accept); after the countersignature, the final PDF's. */
  sha256?: string;
  /** Presigned, valid a few minutes: the final PDF once countersigned, the one to read before. */
  downloadUrl?: string;
  fileName?: string;
  final?: boolean;
  acceptance?: { at: string; sha256: string };
  countersignature?: { at: string; staffName: string };
}

const NOT_READY_LABEL = "Votre contrat sera préparé dès que vos documents seront validés (et, pour un mineur, l'accord du représentant légal donné).";

/**
 * The view of the onboarding's current contract. A countersigned contract whose final PDF is not kept yet gets it
 * now: whoever asks first, the same bytes are stored.
 */
export async function contractView(referralId: string, options: { storage?: ContractStorage; now?: Date } = {}): Promise<ContractView> {
  const storage = options.storage ?? contractStorage;
  let contract = await getCurrentContract(referralId);
  if (contract?.status === 'countersigned' && !contract.final) contract = await finalizeContract({ referralId, storage, now: options.now });
  if (!contract) return { status: 'not-ready', statusLabel: NOT_READY_LABEL };
  const final = contract.status === 'countersigned' && contract.final ? contract.final : undefined;
  const fileName = contractFileName(contract.data, Boolean(final));
  return {
    status: contract.status,
    statusLabel: CONTRACT_STATUS_LABELS[contract.status],
    version: contract.version,
    title: CONTRACT_TYPES[contract.programme].title,
    programmeLabel: PROGRAMME_RULES[contract.programme].label,
    startDate: contract.data.startDate,
    endDate: contract.data.endDate,
    sha256: final?.sha256 ?? contract.sha256,
    downloadUrl: contract.status === 'superseded' ? undefined : await storage.presignDownload(final?.key ?? contract.key, fileName, { expiresInSeconds: 300 }),
    fileName,
    final: Boolean(final),
    ...(contract.acceptance ? { acceptance: { at: contract.acceptance.at, sha256: contract.acceptance.sha256 } } : {}),
    ...(contract.countersignature ? { countersignature: { at: contract.countersignature.at, staffName: contract.countersignature.staffName } } : {}),
  };
}
