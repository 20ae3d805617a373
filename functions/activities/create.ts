import { apiRoute, json, readJsonBody } from '../../shared/http/api.js';
import { idFromIdempotencyKey, idempotencyKeyOf } from '../../shared/domain/idempotency.js';
import { createActivity } from '../../shared/data/activities.js';
import { getReferralRecord } from '../../shared/data/referrals.js';
import { listServiceKinds } from '../../shared/data/service-kinds.js';
import { ACTIVITY_RULES_BY_PROGRAMME, contributionRatesFromEnv, createActivitySchema, isMinorFor } from '../../shared/domain/activities.js';
import { checkLaunchFileInput } from '../../shared/domain/activity-input.js';
import { NotFoundError } from '../../shared/domain/errors.js';
import { parisDate } from '../../shared/domain/time.js';
import { parseOrThrow } from '../../shared/domain/validation.js';
import { logger } from '../../shared/observability.js';
import { activityView } from '../../shared/activity-views.js';

/**
 * POST /api/staff/activities (Idempotency-Key): staff prepare a launch file with a young person. `personal`: the one
 * activity of a launch-ready referral (its id derives from the referral's); `collective`: a Jeunes Majeurs activity
 * that members join, its id derived from the key, so a retried request finds it (200) instead of making another.
 */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event, actor }) => {
  const idempotencyKey = idempotencyKeyOf(event.headers ?? {});
  const input = parseOrThrow(createActivitySchema, readJsonBody(event), 'Le dossier de lancement contient des erreurs.');
  const [catalogue, rates] = [await listServiceKinds(), contributionRatesFromEnv()];
  let result: Awaited<ReturnType<typeof createActivity>>;
  if (input.shape === 'personal') {
    const referral = await getReferralRecord(input.referralId);
    if (!referral) throw new NotFoundError('Parcours introuvable.');
    const minorsOnly = ACTIVITY_RULES_BY_PROGRAMME[referral.programme].servicesOpenToMinorsOnly || isMinorFor(referral.youngPerson.birthDate, input.startDate, parisDate());
    checkLaunchFileInput({ file: input, programme: referral.programme, catalogue, rates, minorsOnly });
    result = await createActivity({ shape: 'personal', referralId: input.referralId, file: input, actor, rates });
  } else {
    checkLaunchFileInput({ file: input, programme: input.programme, catalogue, rates, minorsOnly: false });
    const activityId = `ca-${idFromIdempotencyKey(`collective-activity\n${actor.kind === 'system' ? 'system' : actor.id}`, idempotencyKey)}`;
    result = await createActivity({ shape: 'collective', programme: input.programme, activityId, file: input, actor, rates });
  }
  logger.info(result.created ? 'activity created' : 'activity creation replayed', { activityId: result.activity.activity.activityId, shape: input.shape });
  return json(result.created ? 201 : 200, activityView(result.activity, catalogue, { kind: 'staff' }));
});
