import * as z from 'zod/mini';
import { workflowTask } from '../../shared/http/task.js';
import { sendPendingNotifications } from '../../shared/notifications/sender.js';
import { correlate } from '../../shared/observability.js';

const input = z.object({ referralId: z.string(), personId: z.string(), cause: z.enum(['referral-received']) });

/** "Accuser réception": sends the acknowledgements the submission put in the outbox. */
export const handler = workflowTask(input, async ({ referralId, personId, cause }) => {
  correlate({ personId, referralId });
  return await sendPendingNotifications(personId, `${cause}#${referralId}`);
});
