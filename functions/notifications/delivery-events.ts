import { setTimeout as sleep } from 'node:timers/promises';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod/mini';
import { eventConsumer } from '../../shared/http/task.js';
import { correlate, logger, metrics } from '../../shared/observability.js';
import {
  recordDelivery,
  sesReport,
  smsReport,
  UnknownProviderMessageError,
  type DeliveryOutcome,
  type DeliveryReport,
  type SmsEvent,
} from '../../shared/notifications/tracking.js';
import { afterDeliveryReport } from '../../shared/notifications/contacts.js';

const timestamp = z.optional(z.string());
const sesEvent = z.object({
  source: z.literal('aws.ses'),
  'detail-type': z.string(),
  time: z.string(),
  detail: z.object({
    mail: z.object({ messageId: z.string(), tags: z.optional(z.record(z.string(), z.optional(z.array(z.string())))) }),
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
 * Waits before looking an unknown provider id up again: the report may come before the send is recorded.
 * 6.5 s in all, within the function's timeout; retrying by throwing would count as a function error and page.
 */
const UNKNOWN_ID_WAITS_MS = [500, 1_000, 2_000, 3_000];

/** Records the report, or returns undefined when no sent message has its provider id, even after the waits. */
async function recordWhenKnown(report: DeliveryReport): Promise<DeliveryOutcome | undefined> {
  for (const wait of [...UNKNOWN_ID_WAITS_MS, undefined]) {
    try {
      return await recordDelivery(report);
    } catch (error) {
      if (!(error instanceof UnknownProviderMessageError)) throw error;
      if (wait === undefined) return undefined;
      await sleep(wait);
    }
  }
  return undefined;
}

/**
 * Delivery reports from SES (EventBridge rule) and End User Messaging SMS (SNS topic of its configuration set):
 * each sets the status of the message it concerns. A hard bounce or a failed SMS then lists the contact to fix
 * and sends the other channel; a complaint opts the address out of e-mail.
 * An unknown message id (a send that crashed before it was recorded, and was sent again under another id) is
 * looked up again for a few seconds, then counted as `delivery_report_unknown_message` and dropped: it is not
 * a function error, so it neither pages anyone nor fills the dead-letter queue.
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
  let dropped = 0;
  for (const report of reports) {
    const outcome = await recordWhenKnown(report);
    if (!outcome) {
      dropped += 1;
      metrics.addMetric('delivery_report_unknown_message', MetricUnit.Count, 1);
      logger.warn('delivery report dropped: no sent message has its provider id', { provider: report.provider, status: report.status });
      continue;
    }
    correlate({ personId: outcome.personId });
    logger.info('delivery report', { provider: report.provider, notificationId: outcome.notificationId, status: report.status, reason: report.reason, result: outcome.result });
    // Also when unchanged: a report seen again after a crash halfway finishes what the first one started.
    await afterDeliveryReport(report, outcome.personId, outcome.notificationId);
  }
  return { recorded: reports.length - dropped, dropped };
});
