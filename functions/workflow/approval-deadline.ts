import * as z from 'zod/mini';
import { workflowTask } from '../../shared/http/task.js';
import { recordDeadline } from '../../shared/data/approvals.js';
import { waitingStepHandler } from '../../shared/data/waiting-steps.js';
import { DEADLINE_STEPS, WAITING_STEP_KINDS } from '../../shared/domain/waiting-steps.js';
import { sendPendingNotifications } from '../../shared/notifications/sender.js';
import { correlate, logger } from '../../shared/observability.js';

const input = z.object({
  kind: z.enum(WAITING_STEP_KINDS),
  subjectId: z.string(),
  referralId: z.string(),
  personId: z.string(),
  step: z.enum(DEADLINE_STEPS),
  /** The step's last deadline, from the workflow's own timings: what the escalation counts down to. */
  expireAfterSeconds: z.number(),
});

/**
 * A deadline of a waiting step ("Relancer l'équipe", "Escalader", "Expirer la demande", "Rappeler la liste
 * d'attente"). `decided: true` when staff decided first: the workflow then takes that decision.
 */
export const handler = workflowTask(input, async (event) => {
  correlate({ personId: event.personId, referralId: event.referralId });
  const result = await recordDeadline(waitingStepHandler(event.kind), {
    subjectId: event.subjectId,
    step: event.step,
    timings: { expireAfterSeconds: event.expireAfterSeconds },
    appBaseUrl: process.env.APP_BASE_URL ?? '',
  });
  if (result.state === 'decided') {
    logger.info('deadline reached after a decision: the workflow takes the decision', { step: event.step });
    return { step: event.step, decided: true, expired: false };
  }
  const sent = result.cause ? await sendPendingNotifications(result.personId, result.cause) : undefined;
  logger.info('deadline recorded', { step: event.step, expired: result.expired, ...sent });
  return { step: event.step, decided: false, expired: result.expired };
});
