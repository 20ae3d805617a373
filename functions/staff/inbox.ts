import { apiRoute, json } from '../../shared/http/api.js';
import { getReferralsByIds } from '../../shared/data/referrals.js';
import { listOpenApprovals } from '../../shared/data/approvals.js';
import { inboxItem } from '../../shared/views.js';

/** GET /api/staff/inbox: the decisions waiting for staff, oldest referral first, with their age. */
export const handler = apiRoute({ roles: ['staff'] }, async () => {
  const approvals = await listOpenApprovals();
  const referrals = await getReferralsByIds(approvals.map((a) => a.referralId));
  const now = new Date();
  const items = approvals.flatMap((approval) => {
    const referral = referrals.get(approval.referralId);
    return referral ? [inboxItem(approval, referral, now)] : [];
  });
  return json(200, { items });
});
