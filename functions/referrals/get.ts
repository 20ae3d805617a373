import { apiRoute, json } from '../../shared/http/api.js';
import { getReferralFor } from '../../shared/data/referrals.js';
import { prescriberReferralDetail, referralDetail } from '../../shared/views.js';
import { correlate } from '../../shared/observability.js';

/** GET /api/referrals/{referralId}: one referral, for its prescriber organisation or staff. */
export const handler = apiRoute({ roles: ['prescriber', 'staff'] }, async ({ event, actor }) => {
  const referral = await getReferralFor(actor, event.pathParameters?.referralId ?? '');
  correlate({ personId: referral.personId, referralId: referral.referralId });
  // A prescriber's view says nothing of the person behind the referral (known before, other organisations).
  return json(200, actor.kind === 'staff' ? referralDetail(referral) : prescriberReferralDetail(referral));
});
