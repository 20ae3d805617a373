import { apiRoute, json } from '../../shared/http/api.js';
import { getReferralFor } from '../../shared/data/referrals.js';
import { referralDetail } from '../../shared/views.js';
import { correlate } from '../../shared/observability.js';

/** GET /api/referrals/{referralId}: one referral, for its prescriber organisation or staff. */
export const handler = apiRoute({ roles: ['prescriber', 'staff'] }, async ({ event, actor }) => {
  const referral = await getReferralFor(actor, event.pathParameters?.referralId ?? '');
  correlate({ personId: referral.personId, referralId: referral.referralId });
  return json(200, referralDetail(referral));
});
