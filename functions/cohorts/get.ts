import { apiRoute, json } from '../../shared/http/api.js';
import { getActivity } from '../../shared/data/activities.js';
import { getCohort, listCohortCandidates } from '../../shared/data/cohorts.js';
import { NotFoundError } from '../../shared/domain/errors.js';
import { cohortView } from '../../shared/views.js';

/**
 * GET /api/staff/cohorts/{cohortId}: the cohort page (seats, members and their committee roles, its collective
 * activity's status) and, while young people may still be placed in it, the launch-ready CJS young people not placed
 * in any cohort (`candidates`, ready the longest first; `moreCandidates` when there are more than the page shows).
 */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event }) => {
  const found = await getCohort(event.pathParameters?.cohortId ?? '');
  if (!found) throw new NotFoundError('Cohorte introuvable.');
  const activity = (await getActivity(found.cohort.activityId))?.activity;
  const placing = activity?.status === 'draft' && found.cohort.seatsTaken < found.cohort.capacity;
  return json(200, cohortView(found.cohort, found.members, activity, placing ? await listCohortCandidates() : undefined));
});
