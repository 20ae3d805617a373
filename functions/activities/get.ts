import { apiRoute, json } from '../../shared/http/api.js';
import { listServiceKinds } from '../../shared/data/service-kinds.js';
import { activityOr404 } from '../../shared/activities/routes.js';
import { activityView } from '../../shared/activity-views.js';

/** GET /api/staff/activities/{activityId}: the activity page for staff (members, prices and their versions, goal, status, history). */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event }) => {
  const [found, catalogue] = await Promise.all([activityOr404(event.pathParameters?.activityId ?? ''), listServiceKinds()]);
  return json(200, activityView(found, catalogue, { kind: 'staff' }));
});
