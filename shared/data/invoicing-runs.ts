import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  emptyRunCounts,
  invoicingExecutionName,
  RUN_STATUSES,
  type InvoicingRunCounts,
  type InvoicingRunRecord,
  type InvoicingRunStatus,
  type InvoicingRunTrigger,
} from '../domain/invoicing/run.js';
import { keys } from '../keys.js';
import { db, queryPrefix, tableName } from './client.js';
import { recordOf } from './invoicing/items.js';
import { isConditionalCheckFailed } from './transactions.js';

/**
 * The monthly invoicing runs' ledger: one item per month (`INVOICING_RUN#<YYYY-MM>`), all in one partition. A month
 * is claimed by a conditional put, so that it is run once whoever asks (the schedule, its catch-up, staff).
 */

export async function getInvoicingRun(month: string): Promise<InvoicingRunRecord | undefined> {
  const result = await db().send(new GetCommand({ TableName: tableName(), Key: keys.invoicingRun(month), ConsistentRead: true }));
  return result.Item ? recordOf<InvoicingRunRecord>(result.Item) : undefined;
}

/** Every month's run, newest month first (one query of the ledger's partition, consistent). */
export async function listInvoicingRuns(options: { limit?: number } = {}): Promise<InvoicingRunRecord[]> {
  const { pk, skPrefix } = keys.invoicingRunsPrefix();
  const items = await queryPrefix(pk, skPrefix, { consistentRead: true, newestFirst: true, limit: options.limit });
  return items.map((i) => recordOf<InvoicingRunRecord>(i));
}

/**
 * Claims a month for its run: `claimed` when this call wrote the ledger item, otherwise the run that holds the month
 * (a month claimed is never run again).
 */
export async function claimInvoicingRun(input: { month: string; trigger: InvoicingRunTrigger; now?: Date }): Promise<{ run: InvoicingRunRecord; claimed: boolean }> {
  const at = (input.now ?? new Date()).toISOString();
  const run: InvoicingRunRecord = {
    month: input.month,
    status: 'drafting',
    trigger: input.trigger,
    startedAt: at,
    executionName: invoicingExecutionName(input.month),
    counts: emptyRunCounts(),
    updatedAt: at,
  };
  try {
    await db().send(
      new PutCommand({ TableName: tableName(), Item: { ...keys.invoicingRun(input.month), type: 'invoicing-run', ...run }, ConditionExpression: 'attribute_not_exists(pk)' }),
    );
    return { run, claimed: true };
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
    const existing = await getInvoicingRun(input.month);
    if (!existing) throw error;
    return { run: existing, claimed: false };
  }
}

/**
 * Records a run's progress: its status (never backwards: a retried step of an earlier stage leaves a later status as
 * it is), counts (each one set to the value given: the steps count what they find, so a retry sets the same) and the
 * approval of its validation. Returns the run as stored.
 */
export async function recordRunProgress(
  month: string,
  progress: { status?: InvoicingRunStatus; counts?: Partial<InvoicingRunCounts>; approvalId?: string; issueDate?: string; now?: Date },
): Promise<InvoicingRunRecord> {
  const at = (progress.now ?? new Date()).toISOString();
  const sets = ['updatedAt = :now'];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = { ':now': at };
  let condition = 'attribute_exists(pk)';
  if (progress.status) {
    // A status moves forward only: the earlier statuses are the ones it may replace.
    const earlier = RUN_STATUSES.slice(0, RUN_STATUSES.indexOf(progress.status) + 1);
    sets.push('#status = :status');
    names['#status'] = 'status';
    values[':status'] = progress.status;
    condition += ` AND #status IN (${earlier.map((_, i) => `:s${i}`).join(', ')})`;
    earlier.forEach((s, i) => (values[`:s${i}`] = s));
    if (progress.status === 'awaiting-validation') sets.push('draftedAt = if_not_exists(draftedAt, :now)');
    if (progress.status === 'done') sets.push('finishedAt = if_not_exists(finishedAt, :now)');
  }
  for (const [name, value] of Object.entries(progress.counts ?? {})) {
    sets.push(`counts.#c_${name} = :c_${name}`);
    names[`#c_${name}`] = name;
    values[`:c_${name}`] = value;
  }
  // The month's issue date is set once: a numbering step retried after midnight keeps the first one.
  if (progress.issueDate) {
    sets.push('issueDate = if_not_exists(issueDate, :issueDate)');
    values[':issueDate'] = progress.issueDate;
  }
  if (progress.approvalId) {
    sets.push('approvalId = :approval');
    values[':approval'] = progress.approvalId;
  }
  try {
    const result = await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.invoicingRun(month),
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: condition,
        ExpressionAttributeNames: Object.keys(names).length > 0 ? names : undefined,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return recordOf<InvoicingRunRecord>(result.Attributes!);
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
    const run = await getInvoicingRun(month);
    if (!run) throw new Error(`no invoicing run for ${month}`);
    // Already further on: the status stays; the rest is recorded without it.
    return recordRunProgress(month, { ...progress, status: undefined });
  }
}
