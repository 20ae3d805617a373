import { setTimeout as sleep } from 'node:timers/promises';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod/mini';
import { eventConsumer } from '../../shared/http/task.js';
import { logger, metrics } from '../../shared/observability.js';
import {
  recordDeliveries,
  sesReport,
  smsReport,
  UNKNOWN_REPORT_RECEIVES,
  UnknownProviderMessageError,
  type DeliveryOutcome,
  type DeliveryReport,
  type SmsEvent,
} from '../../shared/notifications/tracking.js';
import { afterDeliveryReport } from '../../shared/notifications/contacts.js';
import { inParallel } from '../../shared/data/invoicing/items.js';

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
const sqsEvent = z.object({
  Records: z.array(
    z.object({ eventSource: z.literal('aws:sqs'), messageId: z.string(), body: z.string(), attributes: z.object({ ApproximateReceiveCount: z.string() }) }),
  ),
});
const smsEvent = z.object({ eventType: z.string(), eventTimestamp: z.number(), messageId: z.string(), messageStatus: z.string() });
const input = z.union([sqsEvent, sesEvent, snsEvent]);

/**
 * Before an unknown provider id is handed back to the queue, it is looked up once more after this wait: the report
 * may come a moment before the send is recorded, and a redelivery waits for the queue's visibility timeout.
 */
const UNKNOWN_ID_WAIT_MS = 1_000;
/** How many reports' follow-ups (`afterDeliveryReport`) run at once. */
const FOLLOW_UP_CONCURRENCY = 4;

/** One message of the queue (or the one event of a direct invocation), with the reports it gives. */
interface Received {
  /** The SQS message id, for `batchItemFailures`; none for a direct invocation. */
  messageId?: string;
  /** How many times the queue delivered it (1 for a direct invocation, which no queue delivers again). */
  receiveCount: number;
  reports: DeliveryReport[];
  /** Why it must come again: its handling failed, or its provider id is unknown for now. */
  retry?: string;
}

class UnreadableEventError extends Error {
  override readonly name = 'UnreadableEventError';
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** The reports of an SMS event: none for an intermediate status, nor for an event without the expected fields. */
function smsReports(message: unknown): DeliveryReport[] {
  const parsed = smsEvent.safeParse(message);
  if (!parsed.success) {
    logger.warn('SMS event without the expected fields ignored');
    return [];
  }
  const report = smsReport(parsed.data satisfies SmsEvent);
  return report ? [report] : [];
}

/**
 * The reports of one queue message: an SES event as the EventBridge rule sends it, or an SMS event as the SNS topic
 * sends it (raw, or in SNS's envelope). Throws UnreadableEventError for anything else: such a message comes back
 * until the queue moves it to the dead letters, where someone reads it.
 */
function reportsOfBody(body: string): DeliveryReport[] {
  let value: unknown;
  try {
    value = JSON.parse(body);
    if (isObject(value) && value.Type === 'Notification' && typeof value.Message === 'string') value = JSON.parse(value.Message);
  } catch {
    throw new UnreadableEventError('the message is not JSON');
  }
  if (isObject(value) && value.source === 'aws.ses') {
    const parsed = sesEvent.safeParse(value);
    if (!parsed.success) throw new UnreadableEventError(`SES event without ${parsed.error.issues.map((issue) => issue.path.join('.')).join(', ')}`);
    const report = sesReport(parsed.data);
    return report ? [report] : [];
  }
  if (isObject(value) && 'eventType' in value) return smsReports(value);
  throw new UnreadableEventError('neither an SES nor an SMS event');
}

/** The messages of the invocation: the queue's batch, or the one event EventBridge or SNS invoked the function with. */
function received(event: z.infer<typeof input>): Received[] {
  if ('source' in event) {
    const report = sesReport(event);
    return [{ receiveCount: 1, reports: report ? [report] : [] }];
  }
  const records = event.Records;
  if (records.every((record) => 'Sns' in record)) {
    return [{ receiveCount: 1, reports: records.flatMap((record) => smsReports(JSON.parse(record.Sns.Message))) }];
  }
  return records.map((record) => {
    const { messageId, body, attributes } = record as z.infer<typeof sqsEvent>['Records'][number];
    const receiveCount = Number(attributes.ApproximateReceiveCount);
    try {
      return { messageId, receiveCount, reports: reportsOfBody(body) };
    } catch (error) {
      // The message's id only: its body names the recipient.
      logger.error('delivery event not understood', { messageId, reason: (error as Error).message });
      return { messageId, receiveCount, reports: [], retry: 'unreadable' };
    }
  });
}

/**
 * Delivery reports from SES (EventBridge rule) and End User Messaging SMS (SNS topic of its configuration set), through
 * one SQS queue that hands them over in batches (decision 33): each sets the status of the message it concerns, the
 * batch's writes together. A hard bounce or a failed SMS then lists the contact to fix and sends the other channel; a
 * complaint opts the address out of e-mail.
 * Only the queue messages that failed come back (`batchItemFailures`); the others are done, and a message seen again
 * changes nothing. An unknown message id (the report came before the send was recorded, or a send crashed before it
 * was recorded and went again under another id) is looked up again a second later, then handed back to the queue,
 * until its UNKNOWN_REPORT_RECEIVES-th delivery, where it is counted as `delivery_report_unknown_message` and dropped:
 * it is not a failure, so it neither pages anyone nor fills the dead-letter queue.
 * Also takes the events EventBridge and SNS invoked it with directly before the queue (deployment), each alone.
 */
export const handler = eventConsumer(input, async (event) => {
  const messages = received(event);
  const reports = messages.flatMap((message, m) => message.reports.map((report) => ({ report, m })));
  const outcomes = await recordDeliveries(reports.map(({ report }) => report));
  const unknown = outcomes.flatMap((outcome, i) => (outcome.status === 'rejected' && outcome.reason instanceof UnknownProviderMessageError ? [i] : []));
  if (unknown.length) {
    await sleep(UNKNOWN_ID_WAIT_MS);
    const again = await recordDeliveries(unknown.map((i) => reports[i]!.report));
    unknown.forEach((i, k) => (outcomes[i] = again[k]!));
  }

  let dropped = 0;
  const followUps: Array<{ report: DeliveryReport; outcome: DeliveryOutcome; m: number }> = [];
  outcomes.forEach((outcome, i) => {
    const { report, m } = reports[i]!;
    const message = messages[m]!;
    if (outcome.status === 'fulfilled') {
      followUps.push({ report, outcome: outcome.value, m });
      return;
    }
    if (!(outcome.reason instanceof UnknownProviderMessageError)) {
      logger.error('delivery report not recorded', { provider: report.provider, status: report.status, error: (outcome.reason as Error).name });
      message.retry ??= (outcome.reason as Error).name;
      return;
    }
    if (message.messageId && message.receiveCount < UNKNOWN_REPORT_RECEIVES) {
      message.retry ??= 'unknown provider id';
      return;
    }
    dropped += 1;
    metrics.addMetric('delivery_report_unknown_message', MetricUnit.Count, 1);
    logger.warn('delivery report dropped: no sent message has its provider id', { provider: report.provider, status: report.status });
  });

  await inParallel(followUps, FOLLOW_UP_CONCURRENCY, async ({ report, outcome, m }) => {
    // One line per report that calls for more than its status (deliveries are counted in the batch's line); the
    // person in the line, not in the logger's keys, which the batch's other reports would carry.
    if (report.status !== 'delivered') {
      logger.info('delivery report', { provider: report.provider, personId: outcome.personId, notificationId: outcome.notificationId, status: report.status, reason: report.reason, result: outcome.result });
    }
    try {
      // Also when unchanged: a report seen again after a crash halfway finishes what the first one started.
      await afterDeliveryReport(report, outcome.personId, outcome.notificationId);
    } catch (error) {
      logger.error('delivery report not followed up', { notificationId: outcome.notificationId, status: report.status, error: (error as Error).name });
      messages[m]!.retry ??= (error as Error).name;
    }
  });

  const failed = messages.filter((message) => message.retry);
  const summary = { reports: reports.length, recorded: followUps.length, dropped, retried: failed.length };
  if (messages.some((message) => message.messageId)) {
    logger.info('delivery reports', { messages: messages.length, ...summary });
    return { batchItemFailures: failed.map((message) => ({ itemIdentifier: message.messageId! })) };
  }
  // A direct invocation: the source retries the whole event on an error.
  if (failed.length) throw new Error(`delivery report not recorded: ${failed[0]!.retry}`);
  return { recorded: followUps.length, dropped };
});
