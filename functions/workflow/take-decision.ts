import * as z from 'zod/mini';
import { workflowTask } from '../../shared/http/task.js';
import { takeDecision } from '../../shared/data/approvals.js';
import { incidentSubjectId } from '../../shared/data/incidents.js';
import { waitingStepHandler } from '../../shared/data/waiting-steps.js';
import { WAITING_STEP_KINDS } from '../../shared/domain/waiting-steps.js';
import { sendPendingNotifications } from '../../shared/notifications/sender.js';
import { correlate, logger } from '../../shared/observability.js';

const input = z.object({
  kind: z.enum(WAITING_STEP_KINDS),
  /** The subject; for an incident, the execution and the failed step name it instead. */
  subjectId: z.optional(z.string()),
  executionArn: z.optional(z.string()),
  step: z.optional(z.string()),
  referralId: z.string(),
  personId: z.string(),
});

/**
 * "Notifier la décision" and every step after a wait: the workflow takes the decision from the table (however
 * it learnt of it), which ends the hand-over, and sends the messages the decision wrote. Returns what the
 * workflow's next Choice reads.
 */
export const handler = workflowTask(input, async (event) => {
  correlate({ personId: event.personId, referralId: event.referralId });
  const subjectId = event.kind === 'incident' && event.executionArn && event.step ? incidentSubjectId(event.executionArn, event.step) : event.subjectId;
  if (!subjectId) throw new Error('subjectId is required for this kind');
  const { decision, personId } = await takeDecision(waitingStepHandler(event.kind), subjectId);
  correlate({ approvalId: decision.approvalId });
  const sent = decision.cause ? await sendPendingNotifications(personId, decision.cause) : undefined;
  logger.info('decision taken by the workflow', { kind: event.kind, outcome: decision.outcome, ...sent });
  return { outcome: decision.outcome, approvalId: decision.approvalId };
});
