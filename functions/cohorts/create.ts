import { apiRoute, json, readJsonBody } from '../../shared/http/api.js';
import { idempotencyKeyOf } from '../../shared/domain/idempotency.js';
import { createCohort } from '../../shared/data/cohorts.js';
import type { Staff } from '../../shared/domain/actor.js';
import { cohortCreateSchema } from '../../shared/domain/activities.js';
import { parseOrThrow } from '../../shared/domain/validation.js';
import { logger } from '../../shared/observability.js';
import { cohortSummary } from '../../shared/views.js';

/**
 * POST /api/staff/cohorts (Idempotency-Key): staff create a CJS cohort (summer dates, towns, 15 seats unless said,
 * 20 at most) and, with it, its collective activity as a draft. A replay answers the same cohort with a 200.
 */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event, actor }) => {
  const idempotencyKey = idempotencyKeyOf(event.headers);
  const input = parseOrThrow(cohortCreateSchema, readJsonBody(event), 'La cohorte contient des erreurs.');
  const { cohort, created } = await createCohort({ input, staff: actor as Staff, idempotencyKey });
  logger.info(created ? 'cohort created' : 'cohort replayed', { cohortId: cohort.cohortId, capacity: cohort.capacity });
  return json(created ? 201 : 200, cohortSummary(cohort));
});
