import { apiRoute, json, readJsonBody } from '../../shared/http/api.js';
import { idempotencyKeyOf } from '../../shared/domain/idempotency.js';
import { createActivityWithKey } from '../../shared/data/activities.js';
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
 * activity of a launch-ready referral (its id derives from the referral's; 409 if it exists already); `collective`:
 * a Jeunes Majeurs activity that members join. A retried request finds what the first one created (200) instead of
 * making another; the same key with another content is refused (409), writing nothing.
 */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event, actor }) => {
  const idempotencyKey = idempotencyKeyOf(event.headers);
  const input = parseOrThrow(createActivitySchema, readJsonBody(event), 'Le dossier de lancement contient des erreurs.');
  const [catalogue, rates] = [await listServiceKinds(), contributionRatesFromEnv()];
  if (input.shape === 'personal') {
    const referral = await getReferralRecord(input.referralId);
    if (!referral) throw new NotFoundError('Parcours introuvable.');
    const minorsOnly = ACTIVITY_RULES_BY_PROGRAMME[referral.programme].servicesOpenToMinorsOnly || isMinorFor(referral.youngPerson.birthDate, input.startDate, parisDate());
    checkLaunchFileInput({ file: input, programme: referral.programme, catalogue, rates, minorsOnly });
  } else {
    checkLaunchFileInput({ file: input, programme: input.programme, catalogue, rates, minorsOnly: false });
  }
  const holder = input.shape === 'personal' ? { shape: input.shape, referralId: input.referralId } : { shape: input.shape, programme: input.programme };
  const result = await createActivityWithKey({ ...holder, idempotencyKey, payload: input, file: input, actor, rates });
  logger.info(result.created ? 'activity created' : 'activity creation replayed', { activityId: result.activity.activity.activityId, shape: input.shape });
  return json(result.created ? 201 : 200, activityView(result.activity, catalogue, { kind: 'staff' }));
});
