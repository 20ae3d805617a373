import { apiRoute, json } from '../../shared/http/api.js';
import { NotFoundError } from '../../shared/domain/errors.js';
import { allowedOutcomes } from '../../shared/domain/referral.js';
import { getApprovalRecord } from '../../shared/data/approvals.js';
import { getReferralRecord } from '../../shared/data/referrals.js';
import { referralDetail, refusalReasonsView, PHASE_LABELS } from '../../shared/views.js';
import { correlate } from '../../shared/observability.js';

/** GET /api/approvals/{approvalId}: what the confirmation page shows before staff decide. Reading never decides. */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event }) => {
  const approval = await getApprovalRecord(event.pathParameters?.approvalId ?? '');
  if (!approval) throw new NotFoundError('Demande de décision introuvable : le lien est peut-être erroné.');
  const referral = await getReferralRecord(approval.referralId);
  if (!referral) throw new NotFoundError('Orientation introuvable.');
  correlate({ personId: referral.personId, referralId: referral.referralId, approvalId: approval.approvalId });
  return json(200, {
    approvalId: approval.approvalId,
    status: approval.status,
    phase: approval.phase,
    phaseLabel: PHASE_LABELS[approval.phase],
    decidedAt: approval.decidedAt,
    decidedBy: approval.decidedBy?.name,
    referral: referralDetail(referral),
    allowedOutcomes: approval.status === 'open' ? allowedOutcomes(referral.status) : [],
    refusalReasons: refusalReasonsView(),
  });
});
