import { apiRoute, json } from '../../shared/http/api.js';
import { contractView } from '../../shared/data/contracts.js';
import { getOnboarding } from '../../shared/data/onboarding.js';
import { NotFoundError } from '../../shared/domain/errors.js';
import { correlate } from '../../shared/observability.js';

/** GET /api/staff/onboarding/{referralId}/contract: the onboarding's contract for staff, with a short-lived download (the final PDF once countersigned). */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event }) => {
  const onboarding = await getOnboarding(event.pathParameters?.referralId ?? '');
  if (!onboarding) throw new NotFoundError('Accueil introuvable.');
  correlate({ personId: onboarding.personId, referralId: onboarding.referralId });
  return json(200, { referralId: onboarding.referralId, ...(await contractView(onboarding.referralId)) });
});
