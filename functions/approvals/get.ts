import { apiRoute, json } from '../../shared/http/api.js';
import { NotFoundError } from '../../shared/domain/errors.js';
import { getApprovalRecord } from '../../shared/data/approvals.js';
import { getReferralRecord } from '../../shared/data/referrals.js';
import { waitingStepHandler } from '../../shared/data/waiting-steps.js';
import { approvalView } from '../../shared/views.js';
import { correlate } from '../../shared/observability.js';

/** GET /api/approvals/{approvalId}: what the confirmation page shows before staff decide. Reading never decides. */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event }) => {
  const approval = await getApprovalRecord(event.pathParameters?.approvalId ?? '');
  if (!approval) throw new NotFoundError('Demande introuvable : le lien est peut-être erroné.');
  const handler = waitingStepHandler(approval.kind);
  // A subject-only approval (a month's invoicing batch) has no referral.
  const [subject, referral] = await Promise.all([handler.loadSubject(approval.subjectId), approval.referralId ? getReferralRecord(approval.referralId) : undefined]);
  if (!subject || (approval.referralId && !referral)) throw new NotFoundError('Le dossier de cette demande est introuvable.');
  correlate({ personId: approval.personId, referralId: approval.referralId, approvalId: approval.approvalId });
  return json(200, approvalView(approval, referral, approval.status === 'open' ? handler.allowedOutcomes(subject) : []));
});
