import { apiRoute, json } from '../../shared/http/api.js';
import { getActivity } from '../../shared/data/activities.js';
import { getCohort } from '../../shared/data/cohorts.js';
import { NotFoundError } from '../../shared/domain/errors.js';
import { cohortView } from '../../shared/views.js';

/** GET /api/staff/cohorts/{cohortId}: the cohort page (seats, members and their committee roles, its collective activity's status). */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event }) => {
  const found = await getCohort(event.pathParameters?.cohortId ?? '');
  if (!found) throw new NotFoundError('Cohorte introuvable.');
  const activity = await getActivity(found.cohort.activityId);
  return json(200, cohortView(found.cohort, found.members, activity?.activity));
});
