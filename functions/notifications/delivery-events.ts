import * as z from 'zod/mini';
import { eventConsumer } from '../../shared/http/task.js';
import { correlate, logger } from '../../shared/observability.js';
import { recordDelivery, sesReport, smsReport, type DeliveryReport, type SmsEvent } from '../../shared/notifications/tracking.js';
import { afterDeliveryReport } from '../../shared/notifications/contacts.js';

const timestamp = z.optional(z.string());
const sesEvent = z.object({
  source: z.literal('aws.ses'),
  'detail-type': z.string(),
  time: z.string(),
  detail: z.object({
    mail: z.object({ messageId: z.string() }),
    delivery: z.optional(z.object({ timestamp })),
    bounce: z.optional(z.object({ bounceType: z.string(), bounceSubType: z.optional(z.string()), timestamp })),
    complaint: z.optional(z.object({ complaintFeedbackType: z.optional(z.string()), timestamp })),
  }),
});
const snsEvent = z.object({
  Records: z.array(z.object({ EventSource: z.literal('aws:sns'), Sns: z.object({ Message: z.string() }) })),
});
const smsEvent = z.object({ eventType: z.string(), eventTimestamp: z.number(), messageId: z.string(), messageStatus: z.string() });
const input = z.union([sesEvent, snsEvent]);

/**
 * Delivery reports from SES (EventBridge rule) and End User Messaging SMS (SNS topic of its configuration set):
 * each sets the status of the message it concerns. A hard bounce or a failed SMS then lists the contact to fix
 * and sends the other channel; a complaint opts the address out of e-mail.
 * An unknown message id throws, so the source retries it.
 */
export const handler = eventConsumer(input, async (event) => {
  const reports: DeliveryReport[] = [];
  if ('source' in event) {
    const report = sesReport(event);
    if (report) reports.push(report);
  } else {
    for (const record of event.Records) {
      const parsed = smsEvent.safeParse(JSON.parse(record.Sns.Message));
      if (!parsed.success) {
        logger.warn('SMS event without the expected fields ignored');
        continue;
      }
      const report = smsReport(parsed.data satisfies SmsEvent);
      if (report) reports.push(report);
    }
  }
  for (const report of reports) {
    const outcome = await recordDelivery(report);
    correlate({ personId: outcome.personId });
    logger.info('delivery report', { provider: report.provider, notificationId: outcome.notificationId, status: report.status, reason: report.reason, result: outcome.result });
    // Also when unchanged: a report seen again after a crash halfway finishes what the first one started.
    await afterDeliveryReport(report, outcome.personId, outcome.notificationId);
  }
  return { recorded: reports.length };
});
