import { apiRoute } from '../../shared/http/api.js';
import { flyerAnswer, memberActivityOr404 } from '../../shared/activities/routes.js';

/** GET /api/me/activities/{activityId}/flyer (the young person's personal link): the flyer PDF of one of their activities. */
export const handler = apiRoute({ link: 'young-person' }, async ({ event, link }) => flyerAnswer(await memberActivityOr404(event.pathParameters?.activityId ?? '', link.referralId)));
