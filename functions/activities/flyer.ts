import { apiRoute } from '../../shared/http/api.js';
import { activityOr404, flyerAnswer } from '../../shared/activities/routes.js';

/** GET /api/staff/activities/{activityId}/flyer: the flyer PDF of an activity. */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event }) => flyerAnswer(await activityOr404(event.pathParameters?.activityId ?? '')));
