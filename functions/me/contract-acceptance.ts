import { apiRoute, json, readJsonBody } from '../../shared/http/api.js';
import { acceptContract } from '../../shared/data/contract-acceptances.js';
import { contractAcceptanceSchema } from '../../shared/domain/contracts.js';
import { parseOrThrow } from '../../shared/domain/validation.js';
import { logger } from '../../shared/observability.js';
import { handOverSettled } from '../../shared/workflows.js';

/**
 * POST /api/me/contract/acceptance (the young person's personal link) `{ sha256 }`: accepts the contract whose PDF has
 * that SHA-256; another hash (the contract changed since it was read) is a 409. The time and the hash are stored.
 */
export const handler = apiRoute({ link: 'young-person' }, async ({ event, link }) => {
  const { sha256 } = parseOrThrow(contractAcceptanceSchema, readJsonBody(event), "L'acceptation contient des erreurs.");
  const settled = await handOverSettled(await acceptContract({ referralId: link.referralId, personId: link.personId, sha256, appBaseUrl: process.env.APP_BASE_URL ?? '' }));
  logger.info('contract accepted', { handedOver: settled.handedOver });
  return json(200, { status: 'accepted', sha256, acceptedAt: settled.approval.decidedAt });
});
