import { apiRoute, json, readJsonBody } from '../../shared/http/api.js';
import { recordGuardianConsent } from '../../shared/data/guardian-consents.js';
import { GUARDIAN_CONSENT_OUTCOME_LABELS, guardianConsentSchema } from '../../shared/domain/guardian-consent.js';
import { parseOrThrow } from '../../shared/domain/validation.js';
import { logger } from '../../shared/observability.js';
import { handOverSettled } from '../../shared/workflows.js';

/**
 * POST /api/guardian/consent (the guardian's personal link) `{ outcome, textSha256, signerName, relationship,
 * imageRights?, comment? }`: the guardian consents or refuses. The answer is recorded first (the waiting workflow
 * takes it from the table whatever happens next), then handed to the workflow when its wait is open.
 */
export const handler = apiRoute({ link: 'guardian' }, async ({ event, link }) => {
  const answer = parseOrThrow(guardianConsentSchema, readJsonBody(event), 'Votre réponse contient des erreurs.');
  const settled = await handOverSettled(await recordGuardianConsent({ referralId: link.referralId, personId: link.personId, answer, appBaseUrl: process.env.APP_BASE_URL ?? '' }));
  logger.info('guardian consent recorded', { outcome: answer.outcome, handedOver: settled.handedOver });
  return json(200, { outcome: answer.outcome, statusLabel: GUARDIAN_CONSENT_OUTCOME_LABELS[answer.outcome], at: settled.approval.decidedAt });
});
