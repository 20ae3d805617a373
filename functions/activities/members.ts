import { apiRoute, json, readJsonBody } from '../../shared/http/api.js';
import { addMember } from '../../shared/data/activities.js';
import { listServiceKinds } from '../../shared/data/service-kinds.js';
import { memberSchema } from '../../shared/domain/activities.js';
import { parseOrThrow } from '../../shared/domain/validation.js';
import { activityOr404 } from '../../shared/activities/routes.js';
import { activityView } from '../../shared/activity-views.js';

/**
 * POST /api/staff/activities/{activityId}/members `{ referralId, committeeRole? }`: a young person joins a collective
 * activity; 422 without a countersigned contract, or for a minor when its services are closed to minors. A member
 * already there is answered as is (200).
 */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event, actor }) => {
  const input = parseOrThrow(memberSchema, readJsonBody(event), 'Le membre contient des erreurs.');
  const { activity } = await activityOr404(event.pathParameters?.activityId ?? '');
  const catalogue = await listServiceKinds();
  const { added } = await addMember({ activityId: activity.activityId, referralId: input.referralId, committeeRole: input.committeeRole, actor, catalogue });
  return json(added ? 201 : 200, activityView(await activityOr404(activity.activityId), catalogue, { kind: 'staff' }));
});
