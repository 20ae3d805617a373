import { apiRoute, json } from '../../shared/http/api.js';
import { listServiceKinds } from '../../shared/data/service-kinds.js';
import { logger } from '../../shared/observability.js';
import { activityOr404, submitLaunchFile } from '../../shared/activities/routes.js';
import { activityView } from '../../shared/activity-views.js';

/** POST /api/staff/activities/{activityId}/submission: staff submit a launch file for approval (422 with its problems; a repeat answers the same). */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event, actor }) => {
  const { activity } = await activityOr404(event.pathParameters?.activityId ?? '');
  const { changed } = await submitLaunchFile(activity.activityId, actor);
  logger.info(changed ? 'launch file submitted' : 'launch file submission repeated', { activityId: activity.activityId });
  const [found, catalogue] = await Promise.all([activityOr404(activity.activityId), listServiceKinds()]);
  return json(200, activityView(found, catalogue, { kind: 'staff' }));
});
