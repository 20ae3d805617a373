import { apiRoute, json, readJsonBody } from '../../shared/http/api.js';
import { changeStatus } from '../../shared/data/activities.js';
import { listServiceKinds } from '../../shared/data/service-kinds.js';
import { statusChangeSchema } from '../../shared/domain/activities.js';
import { parseOrThrow } from '../../shared/domain/validation.js';
import { activityOr404 } from '../../shared/activities/routes.js';
import { activityView } from '../../shared/activity-views.js';

/** POST /api/staff/activities/{activityId}/status `{ status: paused | active | closed, reason }`: staff pause, resume or close a launched activity. */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event, actor }) => {
  const input = parseOrThrow(statusChangeSchema, readJsonBody(event), 'Le changement de statut contient des erreurs.');
  const { activity } = await activityOr404(event.pathParameters?.activityId ?? '');
  await changeStatus({ activityId: activity.activityId, to: input.status, reason: input.reason, actor });
  const [found, catalogue] = await Promise.all([activityOr404(activity.activityId), listServiceKinds()]);
  return json(200, activityView(found, catalogue, { kind: 'staff' }));
});
