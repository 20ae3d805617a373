import { getActivityRecords } from '../data/activities.js';
import { tableName } from '../data/client.js';
import { getCustomers } from '../data/invoicing/customers.js';
import { listUnpaidInvoices, recordChaseStage } from '../data/invoicing/invoices.js';
import { inParallel } from '../data/invoicing/items.js';
import { outboxPuts, type OutboxDraft } from '../data/outbox.js';
import { tradeNameOf, type ActivityRecord } from '../domain/activities.js';
import { invoiceOutboxOwner, invoicePdfKey, type InvoiceRecord } from '../domain/invoicing/records.js';
import { CHASE_OFFSET_DAYS, dueChaseSteps, isReminderStep, type ChaseStep, type ReminderStep } from '../domain/invoicing/terms.js';
import { render } from '../domain/messages/catalogue.js';
import { addDays, parisDate } from '../domain/time.js';
import { timeLeftMs } from '../invocation.js';
import { sendPendingNotifications } from '../notifications/sender.js';
import { logger } from '../observability.js';
import { documentFileName } from './document.js';

/**
 * The daily chase of unpaid invoices (decision 30): reminders to the customer at due + 7 and + 30 days, the late flag
 * for staff at + 45. Each stage is recorded once on the invoice (`recordChaseStage`, conditional) in the same
 * transaction as its reminder's outbox message, so a retried or concurrent run neither records nor sends it twice;
 * the reminder is then sent at once (the dispatcher sends what a cut-short run left).
 */

/** Invoices chased at once. */
const CONCURRENCY = 8;
/** Stop taking new invoices with this much time left: what is left is taken by the next run, still due. */
const SAFETY_MS = 10_000;

export interface ChaseReport {
  /** Today in Paris, the day the stages are due on. */
  today: string;
  /** Unpaid invoices read (not flagged late yet, due at least 7 days ago). */
  invoices: number;
  reminders: number;
  late: number;
  /** Stages due that another run recorded first, or that a payment or a cancellation made moot. */
  alreadyTaken: number;
  /** Reminders sent by this run (the others go with the dispatcher). */
  sent: number;
  failed: number;
  /** False when the run stopped for lack of time: the next run takes what is left. */
  complete: boolean;
}

/** The outbox cause of a reminder: one per invoice and stage. */
export const reminderCause = (invoiceId: string, stage: ReminderStep) => `invoice-${stage}#${invoiceId}`;

/**
 * The reminder of one stage to the invoice's customer, the invoice's PDF attached again, for what is left to pay: to
 * `to`, the customer's e-mail as it is now (corrected since the invoice went, perhaps), else the invoice's copy.
 */
export function reminderDraft(invoice: InvoiceRecord, stage: ReminderStep, activity: Pick<ActivityRecord, 'name' | 'tradeName'>, to: string = invoice.customer.email): OutboxDraft {
  const kind = `invoice-${stage}` as const;
  const number = invoice.number!;
  const text = render(kind, 'customer', 'email', {
    customerName: invoice.customer.name,
    activityName: tradeNameOf(activity),
    invoiceNumber: number,
    issueDate: invoice.issueDate!,
    dueDate: invoice.dueDate!,
    grossCents: invoice.totals.grossCents,
    paidCents: invoice.paidCents,
    outstandingCents: invoice.totals.grossCents - invoice.paidCents,
    business: invoice.customer.kind === 'business',
  });
  return {
    kind,
    role: 'customer',
    channel: 'email',
    to,
    ...text,
    attachments: [{ key: invoicePdfKey({ invoiceId: invoice.invoiceId, number }), fileName: documentFileName({ kind: 'invoice', number }), contentType: 'application/pdf' }],
  };
}

/** Takes one stage of one invoice: `true` when this call recorded it (and queued its reminder). */
async function takeStage(invoice: InvoiceRecord, stage: ChaseStep, activity: ActivityRecord, to: string, now: Date): Promise<boolean> {
  const items = isReminderStep(stage)
    ? outboxPuts(tableName(), invoiceOutboxOwner(invoice.invoiceId), reminderCause(invoice.invoiceId, stage), [reminderDraft(invoice, stage, activity, to)], now.toISOString())
    : [];
  return recordChaseStage({ invoice, stage, items, now });
}

/**
 * Chases every unpaid invoice due at least 7 days before `now`'s Paris day: takes the stages due (`dueChaseSteps`:
 * after days without a run, only the latest reminder), records each once with its reminder, and sends the reminders.
 */
export async function chaseUnpaidInvoices(now: Date = new Date()): Promise<ChaseReport> {
  const today = parisDate(now);
  const invoices = await listUnpaidInvoices({ dueOnOrBefore: addDays(today, -CHASE_OFFSET_DAYS['first-reminder']) });
  const [activities, customers] = await Promise.all([
    getActivityRecords(invoices.map((i) => i.activityId)),
    // A reminder goes to the customer's e-mail as it is now: staff may have corrected one that bounced.
    getCustomers(invoices.map((i) => ({ activityId: i.activityId, customerId: i.customer.customerId }))),
  ]);
  const emailOf = new Map(customers.map((c) => [`${c.activityId}\u0000${c.customerId}`, c.email]));
  const report: ChaseReport = { today, invoices: invoices.length, reminders: 0, late: 0, alreadyTaken: 0, sent: 0, failed: 0, complete: true };
  await inParallel(invoices, CONCURRENCY, async (invoice) => {
    if (timeLeftMs() < SAFETY_MS) {
      report.complete = false;
      return;
    }
    try {
      const activity = activities.get(invoice.activityId);
      if (!activity) throw new Error('activity of the invoice not found');
      const steps = dueChaseSteps(invoice.dueDate!, today, invoice.totals.grossCents - invoice.paidCents, invoice.chase ?? []);
      for (const stage of steps) {
        const to = emailOf.get(`${invoice.activityId}\u0000${invoice.customer.customerId}`) ?? invoice.customer.email;
        if (!(await takeStage(invoice, stage, activity, to, now))) {
          report.alreadyTaken += 1;
          continue;
        }
        if (!isReminderStep(stage)) {
          report.late += 1;
          logger.info('invoice flagged late', { invoiceId: invoice.invoiceId, activityId: invoice.activityId });
          continue;
        }
        report.reminders += 1;
        const counts = await sendPendingNotifications(invoiceOutboxOwner(invoice.invoiceId), reminderCause(invoice.invoiceId, stage), now);
        report.sent += counts.sent;
      }
    } catch (error) {
      report.failed += 1;
      logger.warn('chase of an invoice failed', { invoiceId: invoice.invoiceId, error: (error as Error).name });
    }
  });
  return report;
}
