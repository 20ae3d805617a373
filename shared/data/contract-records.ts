import type { ContractData, ContractStatus } from '../domain/contracts.js';
import { ConflictError } from '../domain/errors.js';
import type { Programme } from '../domain/programmes.js';
import { keys } from '../keys.js';
import type { TransactItem } from './approvals.js';
import { queryPrefix } from './client.js';

/**
 * The versions of an onboarding's contract as the table keeps them (`CONTRACT#<n>` in the onboarding's partition),
 * and the writes of its acceptance and countersignature. No PDF and no bucket here: the waiting-step handlers,
 * bundled into every generic waiting-step function, only need this (shared/data/contracts.ts renders and stores).
 */
export interface ContractRecord {
  referralId: string;
  personId: string;
  programme: Programme;
  version: number;
  status: ContractStatus;
  /** The PDF to read and accept. */
  key: string;
  sha256: string;
  size: number;
  /** The stored data the contract was made from (without the day it was made): the same source is the same contract. */
  sourceHash: string;
  /** Everything the PDF says: the final PDF is rendered again from it, byte for byte the same contract. */
  data: ContractData;
  createdAt: string;
  updatedAt: string;
  acceptance?: { at: string; sha256: string; personId: string };
  countersignature?: { at: string; staffId: string; staffName: string };
  /** The PDF signed by both parties, once rendered after the countersignature. */
  final?: { key: string; sha256: string; size: number; at: string };
}

/** The latest version of the onboarding's contract (read consistently), if any. */
export async function getCurrentContract(referralId: string): Promise<ContractRecord | undefined> {
  const prefix = keys.onboardingContractsPrefix(referralId);
  const [latest] = await queryPrefix(prefix.pk, prefix.skPrefix, { consistentRead: true, newestFirst: true, limit: 1 });
  return latest as unknown as ContractRecord | undefined;
}

/** The transaction item that records the young person's acceptance of the exact PDF (its hash), only while it is the one to accept. */
export function contractAcceptanceUpdate(table: string, contract: ContractRecord, acceptance: NonNullable<ContractRecord['acceptance']>): TransactItem {
  return {
    Update: {
      TableName: table,
      Key: keys.onboardingContract(contract.referralId, contract.version),
      UpdateExpression: 'SET #status = :accepted, acceptance = :acceptance, updatedAt = :now',
      ConditionExpression: '#status = :prepared AND sha256 = :sha256',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':accepted': 'accepted', ':prepared': 'prepared', ':acceptance': acceptance, ':sha256': acceptance.sha256, ':now': acceptance.at },
    },
  };
}

/** The transaction item that records the countersignature of an accepted contract. */
export function contractCountersignUpdate(table: string, contract: ContractRecord, countersignature: NonNullable<ContractRecord['countersignature']>): TransactItem {
  return {
    Update: {
      TableName: table,
      Key: keys.onboardingContract(contract.referralId, contract.version),
      UpdateExpression: 'SET #status = :countersigned, countersignature = :countersignature, updatedAt = :now',
      ConditionExpression: '#status = :accepted',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':countersigned': 'countersigned', ':accepted': 'accepted', ':countersignature': countersignature, ':now': countersignature.at },
    },
  };
}

/** The contract the young person is to accept, or why their acceptance cannot be recorded (409 with a French message). */
export function contractToAccept(contract: ContractRecord | undefined, sha256: string): ContractRecord {
  if (!contract) throw new ConflictError("Aucun contrat n'est prêt à être accepté pour le moment.");
  if (contract.acceptance && contract.acceptance.sha256 === sha256) return contract;
  if (contract.status !== 'prepared') throw new ConflictError('Ce contrat a déjà été accepté.');
  if (contract.sha256 !== sha256) throw new ConflictError('Le contrat a changé depuis votre lecture : rechargez la page et relisez-le avant de l’accepter.');
  return contract;
}
