import { apiRoute, json, readJsonBody } from '../../shared/http/api.js';
import { setPriceVersion } from '../../shared/data/activities.js';
import { listServiceKinds } from '../../shared/data/service-kinds.js';
import { priceVersionSchema } from '../../shared/domain/activities.js';
import { InvalidInputError } from '../../shared/domain/errors.js';
import { parseOrThrow } from '../../shared/domain/validation.js';
import { activityOr404 } from '../../shared/activities/routes.js';
import { activityView } from '../../shared/activity-views.js';

/**
 * POST /api/staff/activities/{activityId}/prices: a new version of the prices `{ effectiveFrom, lines }`. A draft's
 * one version is replaced; an active or paused activity gains a version, effective today at the earliest. The same
 * version sent again (a retried request) is answered as is.
 */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event, actor }) => {
  const input = parseOrThrow(priceVersionSchema, readJsonBody(event), 'La grille de prix contient des erreurs.');
  const { activity, prices } = await activityOr404(event.pathParameters?.activityId ?? '');
  const unknown = input.lines.flatMap((line, i) => (activity.serviceKinds.includes(line.serviceKind) ? [] : [{ field: `lines.${i}.serviceKind`, message: "Ce service n'est pas un service de l'activité." }]));
  if (unknown.length > 0) throw new InvalidInputError('La grille de prix contient des erreurs.', unknown);
  const latest = prices.at(-1);
  const sameAsLatest = latest?.effectiveFrom === input.effectiveFrom && JSON.stringify(latest.lines.map(({ lineId: _id, ...line }) => line)) === JSON.stringify(input.lines.map(({ lineId: _id, ...line }) => line));
  if (!sameAsLatest || activity.status === 'draft') await setPriceVersion({ activityId: activity.activityId, effectiveFrom: input.effectiveFrom, lines: input.lines, actor });
  const [found, catalogue] = await Promise.all([activityOr404(activity.activityId), listServiceKinds()]);
  return json(sameAsLatest ? 200 : 201, activityView(found, catalogue, { kind: 'staff' }));
});
