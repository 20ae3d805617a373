import { apiRoute, json } from '../../shared/http/api.js';
import { removeFromCohort } from '../../shared/data/cohorts.js';
import type { Staff } from '../../shared/domain/actor.js';
import { correlate, logger } from '../../shared/observability.js';
import { cohortSummary } from '../../shared/views.js';

/**
 * DELETE /api/staff/cohorts/{cohortId}/members/{referralId}: takes a young person out of the cohort and its
 * collective activity while that is a draft (409 after), freeing the seat. Someone not in it: 200, nothing changes.
 */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event, actor }) => {
  const cohortId = event.pathParameters?.cohortId ?? '';
  const referralId = event.pathParameters?.referralId ?? '';
  correlate({ referralId });
  const { cohort, changed } = await removeFromCohort({ cohortId, referralId, staff: actor as Staff });
  logger.info('removed from cohort', { cohortId, changed });
  return json(200, { cohort: cohortSummary(cohort), removed: changed });
});
