import * as z from 'zod/mini';
import { workflowTask } from '../../shared/http/task.js';
import { dispatchDeferredNotifications } from '../../shared/notifications/sender.js';
import { logger } from '../../shared/observability.js';

/** Whatever the schedule sends: the function only needs the time, which it reads itself. */
const scheduledEvent = z.unknown();

/** Every few minutes: sends the messages held back for SMS quiet hours whose time has come. */
export const handler = workflowTask(scheduledEvent, async () => {
  const result = await dispatchDeferredNotifications(new Date());
  if (result.sent || result.failed) logger.info('held-back messages dispatched', result);
  return result;
});
