import * as z from 'zod/mini';
import { workflowTask } from '../../shared/http/task.js';
import { recordReferralDeadline } from '../../shared/data/approvals.js';
import { sendPendingNotifications } from '../../shared/notifications/sender.js';
import { correlate, logger } from '../../shared/observability.js';

const input = z.object({
  referralId: z.string(),
  personId: z.string(),
  step: z.enum(['remind', 'escalate', 'expire', 'waitlist-review']),
});

const DEFAULT_EXPIRY_SECONDS = 30 * 86_400;

/** "Relancer l'équipe", "Escalader", "Expirer la demande", "Rappeler la liste d'attente": a deadline of a pending referral. */
export const handler = workflowTask(input, async ({ referralId, personId, step }) => {
  correlate({ personId, referralId });
  const { recorded, decision } = await recordReferralDeadline({
    referralId,
    step,
    appBaseUrl: process.env.APP_BASE_URL ?? '',
    expireAfterSeconds: Number(process.env.REFERRAL_EXPIRE_AFTER_SECONDS) || DEFAULT_EXPIRY_SECONDS,
  });
  if (decision) {
    logger.info('deadline reached after a decision: the workflow takes the decision', { step, outcome: decision.outcome });
    return { step, recorded: false, decision };
  }
  if (!recorded) return { step, recorded: false };
  const sent = await sendPendingNotifications(recorded.personId, recorded.cause);
  logger.info('deadline recorded', { step, ...sent });
  return { step, recorded: true };
});
