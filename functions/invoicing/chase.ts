import * as z from 'zod/mini';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { eventConsumer } from '../../shared/http/task.js';
import { chaseUnpaidInvoices } from '../../shared/invoicing/chase.js';
import { logger, metrics } from '../../shared/observability.js';

/**
 * Every morning at 09:00 Europe/Paris (EventBridge Scheduler, and the local cloud's scheduler): reminds the customers
 * of unpaid invoices at due + 7 and + 30 days and flags them late at + 45 (shared/invoicing/chase.ts, decision 30).
 * Whatever the schedule sends is ignored: the day is read from the clock. Each stage is recorded once, so a retry
 * takes only what is left.
 */
export const handler = eventConsumer(z.unknown(), async () => {
  const report = await chaseUnpaidInvoices(new Date());
  for (const name of ['reminders', 'late', 'failed'] as const) if (report[name]) metrics.addMetric(`chase_${name}`, MetricUnit.Count, report[name]);
  logger.info('unpaid invoices chased', { ...report });
  // An error makes the invocation retried (twice, then the dead-letter queue and its alarm): the retry takes what is left.
  if (report.failed || !report.complete) throw new Error(report.failed ? `${report.failed} invoices could not be chased` : 'the chase ran out of time');
  return report;
});
