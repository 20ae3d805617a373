import * as z from 'zod/mini';
import { workflowTask } from '../../shared/http/task.js';
import { RUN_TRIGGERS } from '../../shared/domain/invoicing/run.js';
import { applyHolds, deliveryBatch, draftBatch, finishDrafting, finishRun, numberMonth, prepareDelivery, prepareRun, prepareSending, prepareStatements, sendInvoices, statementsBatch } from '../../shared/invoicing/run-steps.js';
import { logger } from '../../shared/observability.js';

const input = z.discriminatedUnion('action', [
  z.object({ action: z.literal('prepare'), month: z.string(), trigger: z.enum(RUN_TRIGGERS) }),
  // A batch of the drafting map (ItemBatcher): the month in BatchInput, the activities in Items (a paused or closed one
  // with its last month to invoice, after which it leaves the index).
  z.object({ action: z.literal('draft'), BatchInput: z.object({ month: z.string() }), Items: z.array(z.object({ activityId: z.string(), invoiceThrough: z.optional(z.string()) })) }),
  z.object({ action: z.literal('drafted'), month: z.string(), results: z.array(z.record(z.string(), z.unknown())) }),
  z.object({ action: z.literal('holds'), month: z.string() }),
  z.object({ action: z.literal('number'), month: z.string() }),
  z.object({ action: z.literal('prepare-delivery'), month: z.string() }),
  // A batch of the delivery map (decision 45): the month in BatchInput, the activities in Items, each with its invoices
  // to send and what the list knows of its month.
  z.object({
    action: z.literal('deliver'),
    BatchInput: z.object({ month: z.string() }),
    Items: z.array(z.object({ activityId: z.string(), send: z.optional(z.array(z.string())), invoiceIds: z.optional(z.array(z.string())), paid: z.optional(z.boolean()) })),
  }),
  // The three actions below serve the executions started before decision 45 (a sending map, then a statements map):
  // an execution keeps the definition it started with, on AWS as in the local engine.
  z.object({ action: z.literal('prepare-sending'), month: z.string() }),
  // A batch of the sending map: the issued invoices in Items.
  z.object({ action: z.literal('send'), Items: z.array(z.object({ invoiceId: z.string() })) }),
  z.object({ action: z.literal('prepare-statements'), month: z.string() }),
  // A batch of the statements map: the month in BatchInput, the activities in Items (with what the list knows of their month, if it does).
  z.object({
    action: z.literal('statements'),
    BatchInput: z.object({ month: z.string() }),
    Items: z.array(z.object({ activityId: z.string(), invoiceIds: z.optional(z.array(z.string())), paid: z.optional(z.boolean()) })),
  }),
  // `waitForMails`: the definition that comes back while invoice e-mails are pending (decision 53), and
  // `waitForStatementMails` while statement e-mails are (decision 57); an execution started before has neither, or the first.
  z.object({ action: z.literal('finish'), month: z.string(), waitForMails: z.optional(z.boolean()), waitForStatementMails: z.optional(z.boolean()) }),
]);

/**
 * Every step of the monthly invoicing run (workflows/monthly-invoicing.ts), by `action`: one function for the whole
 * run. Each step is idempotent (shared/invoicing/run-steps.ts); logs hold the month and counts only.
 */
export const handler = workflowTask(input, async (event) => {
  const result = await (async () => {
    switch (event.action) {
      case 'prepare':
        return prepareRun(event.month, event.trigger);
      case 'draft':
        return draftBatch(event.BatchInput.month, event.Items);
      case 'drafted':
        return finishDrafting(event.month, event.results as never);
      case 'holds':
        return applyHolds(event.month);
      case 'number':
        return numberMonth(event.month);
      case 'prepare-delivery':
        return prepareDelivery(event.month);
      case 'deliver':
        return deliveryBatch(event.BatchInput.month, event.Items);
      case 'prepare-sending':
        return prepareSending(event.month);
      case 'send':
        return sendInvoices(event.Items.map((i) => i.invoiceId));
      case 'prepare-statements':
        return prepareStatements(event.month);
      case 'statements':
        return statementsBatch(event.BatchInput.month, event.Items);
      case 'finish':
        return finishRun(event.month, { waitForMails: event.waitForMails === true, waitForStatementMails: event.waitForStatementMails === true });
    }
  })();
  logger.info('invoicing run step', { action: event.action, ...('month' in event ? { month: event.month } : {}), ...result });
  return result;
});
