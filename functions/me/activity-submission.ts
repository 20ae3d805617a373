import { apiRoute, json } from '../../shared/http/api.js';
import { listServiceKinds } from '../../shared/data/service-kinds.js';
import { personalActivityId } from '../../shared/domain/activities.js';
import { logger } from '../../shared/observability.js';
import { activityOr404, memberActivityOr404, submitLaunchFile } from '../../shared/activities/routes.js';
import { activityView } from '../../shared/activity-views.js';

/**
 * POST /api/me/activity/submission (the young person's personal link): sends their personal launch file to the team
 * for approval. 422 with the launch problems, field by field; a repeat answers the same.
 */
export const handler = apiRoute({ link: 'young-person' }, async ({ link, actor }) => {
  const activityId = personalActivityId(link.referralId);
  await memberActivityOr404(activityId, link.referralId);
  const { changed } = await submitLaunchFile(activityId, actor);
  logger.info(changed ? 'launch file submitted' : 'launch file submission repeated', { activityId });
  const [found, catalogue] = await Promise.all([activityOr404(activityId), listServiceKinds()]);
  return json(200, activityView(found, catalogue, { kind: 'member', referralId: link.referralId }));
});
