import * as z from 'zod/mini';
import { workflowTask } from '../../shared/http/task.js';
import { finalizeContract, prepareContract } from '../../shared/data/contracts.js';
import { correlate, logger } from '../../shared/observability.js';

const input = z.object({
  referralId: z.string(),
  personId: z.string(),
  /** After the countersignature: keep the final PDF (acceptance record and countersignature printed). */
  final: z.optional(z.boolean()),
});

/**
 * "Préparer le contrat" (onboarding): renders the contract from the stored data, keeps the PDF and records its
 * SHA-256. It fails (ContractNotReady, then "à traiter") unless every required document is accepted and, for a
 * minor, the guardian consented. With `final`, "Garder le contrat signé". Both are idempotent.
 */
export const handler = workflowTask(input, async ({ referralId, personId, final }) => {
  correlate({ personId, referralId });
  if (final) {
    const contract = await finalizeContract({ referralId });
    logger.info('contract finalized', { version: contract?.version, status: contract?.status });
    return { version: contract?.version ?? 0, status: contract?.status ?? 'missing', finalSha256: contract?.final?.sha256 };
  }
  const { contract, created } = await prepareContract({ referralId });
  logger.info('contract prepared', { version: contract.version, created });
  return { version: contract.version, sha256: contract.sha256, created };
});
