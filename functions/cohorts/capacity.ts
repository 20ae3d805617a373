import { apiRoute, json, readJsonBody } from '../../shared/http/api.js';
import { changeCohortCapacity } from '../../shared/data/cohorts.js';
import { cohortCapacitySchema } from '../../shared/domain/activities.js';
import { parseOrThrow } from '../../shared/domain/validation.js';
import { logger } from '../../shared/observability.js';
import { cohortSummary } from '../../shared/views.js';

/** PUT /api/staff/cohorts/{cohortId} { capacity }: a new number of seats (at most 20), never below the seats taken (409). */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event }) => {
  const cohortId = event.pathParameters?.cohortId ?? '';
  const { capacity } = parseOrThrow(cohortCapacitySchema, readJsonBody(event), 'La capacité est invalide.');
  const cohort = await changeCohortCapacity({ cohortId, capacity });
  logger.info('cohort capacity set', { cohortId, capacity });
  return json(200, cohortSummary(cohort));
});
