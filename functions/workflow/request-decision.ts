import * as z from 'zod/mini';
import { workflowTask } from '../../shared/http/task.js';
import { openReferralApproval, recordDecisionRequest } from '../../shared/data/approvals.js';
import { sendPendingNotifications } from '../../shared/notifications/sender.js';
import { correlate, logger } from '../../shared/observability.js';

const input = z.object({
  taskToken: z.string(),
  referralId: z.string(),
  personId: z.string(),
  phase: z.enum(['initial', 'reminded', 'escalated', 'waitlist']),
});

/**
 * "Attendre la décision": stores the workflow's task token under an opaque approval id (the staff inbox lists it)
 * and, for a new approval, e-mails staff a link to the confirmation page. The token itself is never logged nor shown.
 */
export const handler = workflowTask(input, async ({ taskToken, referralId, personId, phase }) => {
  correlate({ personId, referralId });
  const { approval, referral, created } = await openReferralApproval({ referralId, taskToken, phase });
  correlate({ approvalId: approval.approvalId });
  if (created && phase !== 'waitlist') {
    const cause = await recordDecisionRequest({ referral, approval, appBaseUrl: process.env.APP_BASE_URL ?? '' });
    if (cause) await sendPendingNotifications(personId, cause);
  }
  logger.info('decision requested', { phase, created });
  return { approvalId: approval.approvalId };
});
