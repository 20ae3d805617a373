import * as z from 'zod/mini';
import { workflowTask } from '../../shared/http/task.js';
import { dispatchDueNotifications } from '../../shared/notifications/sender.js';
import { logger } from '../../shared/observability.js';

/** Whatever the schedule sends: the function only needs the time, which it reads itself. */
const scheduledEvent = z.unknown();

/**
 * Every few minutes: sends the outbox messages that are due (first attempts nobody made, retries, SMS held back
 * for the night), as many as the invocation has time for; the next run goes on from the oldest left.
 */
export const handler = workflowTask(scheduledEvent, async (_event, context) => {
  const result = await dispatchDueNotifications(new Date(), { timeLeftMs: () => context.getRemainingTimeInMillis() });
  if (result.sent || result.failed || result.errors || result.overdue || !result.complete) logger.info('due messages dispatched', { ...result });
  return result;
});
