import { setTimeout as sleep } from 'node:timers/promises';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { apiRoute, json, readJsonBody } from '../../shared/http/api.js';
import { contactAddress, linkResendSchema, personalLinkSettingsFromEnv } from '../../shared/domain/personal-links.js';
import { parseOrThrow } from '../../shared/domain/validation.js';
import { RESEND_ANSWER, resendPersonalLinks } from '../../shared/notifications/link-resend.js';
import { logger, metrics } from '../../shared/observability.js';

/**
 * POST /api/links/resend { contact } (public: the "nouveau lien" page): sends a fresh personal link to the address,
 * if an open onboarding has it. Always the same 202 answer, and never sooner than the stage's `resendAnswerMs`
 * after the request came, so that neither the words nor the time tell whether the address is known.
 * Rate limited per address and overall (429, alike for known and unknown addresses). The address is never logged.
 */
export const handler = apiRoute({ public: true }, async ({ event }) => {
  const started = Date.now();
  const { contact } = parseOrThrow(linkResendSchema, readJsonBody(event), 'Vérifiez votre adresse e-mail ou votre numéro de mobile.');
  // The schema accepted it: it is an address.
  await resendPersonalLinks(contactAddress(contact)!);
  const left = started + personalLinkSettingsFromEnv().resendAnswerMs - Date.now();
  if (left > 0) await sleep(left);
  else {
    // The answer took longer than the floor: its time may tell a known address from an unknown one.
    logger.warn('link re-send answered past its floor', { overMs: -left });
    metrics.addMetric('link_resend_over_floor', MetricUnit.Count, 1);
  }
  return json(202, { message: RESEND_ANSWER });
});
