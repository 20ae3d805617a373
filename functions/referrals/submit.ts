import { apiRoute, json, readJsonBody } from '../../shared/http/api.js';
import { InvalidInputError } from '../../shared/domain/errors.js';
import { referralSubmissionSchema } from '../../shared/domain/referral.js';
import { parseOrThrow } from '../../shared/domain/validation.js';
import { submitReferral } from '../../shared/data/referrals.js';
import { startReferralWorkflow } from '../../shared/workflows.js';
import { correlate, logger, metrics } from '../../shared/observability.js';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Prescriber } from '../../shared/domain/actor.js';
import { referralSubmissionAnswer } from '../../shared/views.js';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{8,128}$/;

/** POST /api/referrals: a prescriber refers a young person. */
export const handler = apiRoute({ roles: ['prescriber'] }, async ({ event, actor }) => {
  const idempotencyKey = event.headers['idempotency-key'];
  if (!idempotencyKey || !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new InvalidInputError("L'en-tête Idempotency-Key est obligatoire (8 à 128 caractères : lettres, chiffres, - ou _).", [
      { field: 'Idempotency-Key', message: 'En-tête manquant ou invalide.' },
    ]);
  }
  const submission = parseOrThrow(referralSubmissionSchema, readJsonBody(event));
  const { referral, created } = await submitReferral({ prescriber: actor as Prescriber, submission, idempotencyKey });
  correlate({ personId: referral.personId, referralId: referral.referralId });
  await startReferralWorkflow({ referralId: referral.referralId, personId: referral.personId });
  if (created) metrics.addMetric(referral.duplicate.linked ? 'referralOfKnownPerson' : 'referralOfNewPerson', MetricUnit.Count, 1);
  logger.info(created ? 'referral recorded' : 'referral replayed', { linked: referral.duplicate.linked, eligible: referral.eligibility.eligible });
  // The same shape whether the young person was known or not, and whoever referred them before: nothing to probe.
  return json(created ? 201 : 200, referralSubmissionAnswer(referral));
});
