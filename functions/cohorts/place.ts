import { apiRoute, json, readJsonBody } from '../../shared/http/api.js';
import { placeInCohort } from '../../shared/data/cohorts.js';
import type { Staff } from '../../shared/domain/actor.js';
import { cohortMemberSchema } from '../../shared/domain/activities.js';
import { parseOrThrow } from '../../shared/domain/validation.js';
import { sendPendingNotifications } from '../../shared/notifications/sender.js';
import { correlate, logger } from '../../shared/observability.js';
import { cohortSummary } from '../../shared/views.js';

/**
 * POST /api/staff/cohorts/{cohortId}/members { referralId }: places a launch-ready CJS young person in the cohort
 * and its collective activity (422 otherwise; 409 when full or already in another cohort). Placing the same person
 * again answers 200 and changes nothing, so the route needs no Idempotency-Key. The young person and a minor's
 * guardian are told at once.
 */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event, actor }) => {
  const cohortId = event.pathParameters?.cohortId ?? '';
  const { referralId } = parseOrThrow(cohortMemberSchema, readJsonBody(event), 'La demande contient des erreurs.');
  correlate({ referralId });
  const result = await placeInCohort({ cohortId, referralId, staff: actor as Staff });
  // The dispatcher sends them otherwise.
  if (result.cause) await sendPendingNotifications(result.member.personId, result.cause);
  logger.info(result.changed ? 'placed in cohort' : 'placement replayed', { cohortId, seatsTaken: result.cohort.seatsTaken });
  return json(result.changed ? 201 : 200, { cohort: cohortSummary(result.cohort), member: { referralId, personId: result.member.personId, name: result.member.name } });
});
