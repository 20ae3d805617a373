import { apiRoute, json, readJsonBody } from '../../shared/http/api.js';
import { createActivity, getActivity, updateLaunchFile } from '../../shared/data/activities.js';
import { listServiceKinds } from '../../shared/data/service-kinds.js';
import { ACTIVITY_RULES_BY_PROGRAMME, contributionRatesFromEnv, isMinorFor, launchFileSchema, personalActivityId } from '../../shared/domain/activities.js';
import { checkLaunchFileInput } from '../../shared/domain/activity-input.js';
import { ConflictError } from '../../shared/domain/errors.js';
import { parisDate } from '../../shared/domain/time.js';
import { parseOrThrow } from '../../shared/domain/validation.js';
import { logger } from '../../shared/observability.js';
import { activityView } from '../../shared/activity-views.js';

/**
 * PUT /api/me/activity (the young person's personal link): creates or updates their personal launch file, while it
 * is a draft (409 otherwise). The CJS has no personal activity: its cohort launches a collective one.
 */
export const handler = apiRoute({ link: 'young-person' }, async ({ event, link, actor }) => {
  const file = parseOrThrow(launchFileSchema, readJsonBody(event), 'Le dossier de lancement contient des erreurs.');
  const { referral } = link;
  const rules = ACTIVITY_RULES_BY_PROGRAMME[referral.programme];
  if (!rules.personalActivity) throw new ConflictError('La CJS lance une activité collective avec sa cohorte : pas de dossier personnel.');
  const catalogue = await listServiceKinds();
  const minor = rules.servicesOpenToMinorsOnly || isMinorFor(referral.youngPerson.birthDate, file.startDate, parisDate());
  checkLaunchFileInput({ file, programme: referral.programme, catalogue, rates: contributionRatesFromEnv(), minorsOnly: minor });
  const activityId = personalActivityId(link.referralId);
  let created = false;
  let found = await getActivity(activityId);
  if (!found) {
    const result = await createActivity({ shape: 'personal', referralId: link.referralId, file, actor });
    created = result.created;
    found = result.activity;
  }
  // Created by another request meanwhile, or existing: this file replaces the draft's.
  if (!created) found = await updateLaunchFile({ activityId, file, actor });
  logger.info(created ? 'launch file created' : 'launch file updated', { activityId });
  return json(created ? 201 : 200, activityView(found, catalogue, { kind: 'member', referralId: link.referralId }));
});
