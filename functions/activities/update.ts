import { apiRoute, json, readJsonBody } from '../../shared/http/api.js';
import { updateLaunchFile } from '../../shared/data/activities.js';
import { listServiceKinds } from '../../shared/data/service-kinds.js';
import { ACTIVITY_RULES_BY_PROGRAMME, contributionRatesFromEnv, isMinorFor, staffLaunchFileSchema } from '../../shared/domain/activities.js';
import { checkLaunchFileInput } from '../../shared/domain/activity-input.js';
import { parisDate } from '../../shared/domain/time.js';
import { parseOrThrow } from '../../shared/domain/validation.js';
import { activityOr404 } from '../../shared/activities/routes.js';
import { activityView } from '../../shared/activity-views.js';

/** PUT /api/staff/activities/{activityId}: staff edit a draft launch file with the young people (and may set the contribution rate). */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event, actor }) => {
  const file = parseOrThrow(staffLaunchFileSchema, readJsonBody(event), 'Le dossier de lancement contient des erreurs.');
  const { activity, members } = await activityOr404(event.pathParameters?.activityId ?? '');
  const catalogue = await listServiceKinds();
  const today = parisDate();
  const minorsOnly = ACTIVITY_RULES_BY_PROGRAMME[activity.programme].servicesOpenToMinorsOnly || members.some((m) => isMinorFor(m.birthDate, file.startDate, today));
  checkLaunchFileInput({ file, programme: activity.programme, catalogue, rates: contributionRatesFromEnv(), minorsOnly });
  const found = await updateLaunchFile({ activityId: activity.activityId, file, actor });
  return json(200, activityView(found, catalogue, { kind: 'staff' }));
});
