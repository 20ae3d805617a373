import * as z from 'zod/mini';
import { workflowTask } from '../../shared/http/task.js';
import { sendPendingNotifications } from '../../shared/notifications/sender.js';
import { correlate } from '../../shared/observability.js';

const input = z.object({
  referralId: z.string(),
  personId: z.string(),
  decision: z.object({ outcome: z.enum(['accepted', 'refused', 'waitlisted']), approvalId: z.string(), cause: z.string() }),
});

/** "Notifier la décision": sends the messages the decision put in the outbox. */
export const handler = workflowTask(input, async ({ referralId, personId, decision }) => {
  correlate({ personId, referralId, approvalId: decision.approvalId });
  return await sendPendingNotifications(personId, decision.cause);
});
