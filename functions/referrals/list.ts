import { apiRoute, json } from '../../shared/http/api.js';
import { listReferralsFor } from '../../shared/data/referrals.js';
import { referralSummary } from '../../shared/views.js';

/** GET /api/referrals: a prescriber sees their organisation's referrals; staff see all of them. */
export const handler = apiRoute({ roles: ['prescriber', 'staff'] }, async ({ actor }) => {
  const referrals = await listReferralsFor(actor);
  return json(200, { items: referrals.map(referralSummary) });
});
