import { apiRoute, json, readJsonBody } from '../../shared/http/api.js';
import { idempotencyKeyOf } from '../../shared/domain/idempotency.js';
import { referralSubmissionSchema } from '../../shared/domain/referral.js';
import { parseOrThrow } from '../../shared/domain/validation.js';
import { submitReferral } from '../../shared/data/referrals.js';
import { startReferralWorkflow } from '../../shared/workflows.js';
import { correlate, logger, metrics } from '../../shared/observability.js';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Prescriber } from '../../shared/domain/actor.js';
import { referralSubmissionAnswer } from '../../shared/views.js';

/** POST /api/referrals: a prescriber refers a young person. */
export const handler = apiRoute({ roles: ['prescriber'] }, async ({ event, actor }) => {
  const idempotencyKey = idempotencyKeyOf(event.headers);
  const submission = parseOrThrow(referralSubmissionSchema, readJsonBody(event));
  const { referral, created } = await submitReferral({ prescriber: actor as Prescriber, submission, idempotencyKey });
  correlate({ personId: referral.personId, referralId: referral.referralId });
  await startReferralWorkflow({ referralId: referral.referralId, personId: referral.personId });
  if (created) metrics.addMetric(referral.duplicate.linked ? 'referralOfKnownPerson' : 'referralOfNewPerson', MetricUnit.Count, 1);
  logger.info(created ? 'referral recorded' : 'referral replayed', { linked: referral.duplicate.linked, eligible: referral.eligibility.eligible });
  // The same shape whether the young person was known or not, and whoever referred them before: nothing to probe.
  return json(created ? 201 : 200, referralSubmissionAnswer(referral));
});
