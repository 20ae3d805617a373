import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError, NotFoundError } from '../../domain/errors.js';
import { invoiceIdFor, type ChaseStage, type InvoiceDraft, type InvoiceEvent, type InvoiceRecord, type MonthLockRecord, type MonthLockStatus } from '../../domain/invoicing/records.js';
import { ACTIVE_ACTIVITY_SHARDS, activeActivityShard, INDEX, keys } from '../../keys.js';
import { laterChaseSteps } from '../../domain/invoicing/terms.js';
import type { TransactItem } from '../approvals.js';
import { batchGetAll, db, queryAll, queryIndexShards, shardedIndexPage, tableName, type Page } from '../client.js';
import { isConditionFailure, isConditionalCheckFailed } from '../transactions.js';
import { MAX_TRANSACTION_ITEMS, recordOf, transact, type ByWhom } from './items.js';

/** The shards of the month's invoices and of the unpaid ones: the active activities' (an activity's invoices sit in its shard). */
export const INVOICE_SHARDS: readonly string[] = Array.from({ length: ACTIVE_ACTIVITY_SHARDS }, (_, i) => String(i).padStart(2, '0'));

const NOT_FOUND = 'Facture introuvable.';
const CHANGED = 'La facture a été modifiée entre-temps : rechargez la page et recommencez.';

/** True while an invoice is neither numbered nor bound to a number: it may be held, released, redrafted. */
export const isUnbound = (invoice: Pick<InvoiceRecord, 'status' | 'numberingKey'>) => (invoice.status === 'draft' || invoice.status === 'held') && !invoice.numberingKey;

/** The stored item of an invoice with the index entries its state calls for. */
export function invoiceItem(invoice: InvoiceRecord): Record<string, unknown> {
  const unpaid = invoice.kind === 'invoice' && invoice.status === 'issued' && invoice.dueDate !== undefined && invoice.paidCents < invoice.totals.grossCents;
  const unpaidEntry = invoice.chase?.includes('late') ? keys.lateInvoiceEntry : keys.unpaidInvoiceEntry;
  return {
    ...keys.invoice(invoice.invoiceId),
    ...keys.monthInvoiceEntry(invoice.month, invoice.activityId, invoice.invoiceId),
    ...keys.activityInvoiceEntry(invoice.activityId, invoice.month, invoice.invoiceId),
    ...(unpaid ? unpaidEntry(invoice.activityId, invoice.dueDate!, invoice.invoiceId) : {}),
    type: 'invoice',
    ...invoice,
  };
}

export async function getInvoice(invoiceId: string): Promise<InvoiceRecord | undefined> {
  const result = await db().send(new GetCommand({ TableName: tableName(), Key: keys.invoice(invoiceId), ConsistentRead: true }));
  return result.Item ? recordOf<InvoiceRecord>(result.Item) : undefined;
}

export async function requireInvoice(invoiceId: string): Promise<InvoiceRecord> {
  const invoice = await getInvoice(invoiceId);
  if (!invoice) throw new NotFoundError(NOT_FOUND);
  return invoice;
}

/** Invoices by id (consistent reads), in no particular order; ids not found are left out. */
export async function getInvoices(invoiceIds: readonly string[]): Promise<InvoiceRecord[]> {
  return (await batchGetAll(invoiceIds.map((id) => keys.invoice(id)), { consistentRead: true })).map((i) => recordOf<InvoiceRecord>(i));
}

/** The invoices and credit notes of an activity, by month (one month with `month`). */
export async function listActivityInvoices(activityId: string, month?: string): Promise<InvoiceRecord[]> {
  const items = await queryAll({
    IndexName: INDEX.activityInvoices,
    KeyConditionExpression: month ? 'gsi2pk = :pk AND begins_with(gsi2sk, :month)' : 'gsi2pk = :pk',
    ExpressionAttributeValues: { ':pk': keys.activityInvoicesPartition(activityId), ...(month ? { ':month': `${month}#` } : {}) },
  });
  return items.map((i) => recordOf<InvoiceRecord>(i));
}

/** One shard of a month's invoices, by activity (the run's Distributed Map gives each iteration one). */
export async function listMonthInvoicesOfShard(month: string, shard: string, onPage?: (items: number) => void): Promise<InvoiceRecord[]> {
  const items = await queryAll({ IndexName: INDEX.monthInvoices, KeyConditionExpression: 'gsi3pk = :pk', ExpressionAttributeValues: { ':pk': keys.monthInvoicesPartition(month, shard) } }, onPage);
  return items.map((i) => recordOf<InvoiceRecord>(i));
}

/** Every invoice of a month across activities: the shards read in parallel, never a scan. */
export async function listMonthInvoices(month: string): Promise<InvoiceRecord[]> {
  return (await Promise.all(INVOICE_SHARDS.map((shard) => listMonthInvoicesOfShard(month, shard)))).flat();
}

/** What the run's steps count and list of a month's invoices: `listMonthInvoices` without lines, customer and history. */
export type InvoiceSummary = Pick<InvoiceRecord, 'invoiceId' | 'kind' | 'activityId' | 'status' | 'numberingKey' | 'number'>;

/** `listMonthInvoices` projected on `InvoiceSummary`: a tenth of the bytes to read back at every step of the run. */
export async function listMonthInvoiceSummaries(month: string): Promise<InvoiceSummary[]> {
  const partitions = INVOICE_SHARDS.map((shard) => keys.monthInvoicesPartition(month, shard));
  return (await queryIndexShards(INDEX.monthInvoices, partitions, ['invoiceId', 'kind', 'activityId', 'status', 'numberingKey', 'number'])) as unknown as InvoiceSummary[];
}

/**
 * How many of a month's invoices are drafts or held (not credit notes, not numbered ones): the shards counted in
 * parallel, DynamoDB filtering and counting (`Select: COUNT`), so no item comes back to be parsed.
 */
export async function countMonthDrafts(month: string): Promise<number> {
  let count = 0;
  await Promise.all(
    INVOICE_SHARDS.map((shard) =>
      queryAll(
        {
          IndexName: INDEX.monthInvoices,
          KeyConditionExpression: 'gsi3pk = :pk',
          FilterExpression: '#kind = :invoice AND #status IN (:draft, :held)',
          ExpressionAttributeNames: { '#kind': 'kind', '#status': 'status' },
          ExpressionAttributeValues: { ':pk': keys.monthInvoicesPartition(month, shard), ':invoice': 'invoice', ':draft': 'draft', ':held': 'held' },
          Select: 'COUNT',
        },
        (pageCount) => (count += pageCount),
      ),
    ),
  );
  return count;
}

/** One page of a month's invoices and credit notes, shard after shard (the staff's month page); the cursor is opaque. */
export async function listMonthInvoicesPage(input: { month: string; cursor?: string; limit?: number }): Promise<Page<InvoiceRecord>> {
  const page = await shardedIndexPage(INDEX.monthInvoices, INVOICE_SHARDS, (shard) => keys.monthInvoicesPartition(input.month, shard), { cursor: input.cursor, limit: input.limit });
  return { items: page.items.map((i) => recordOf<InvoiceRecord>(i)), ...(page.cursor ? { cursor: page.cursor } : {}) };
}

/**
 * What drafting read of an activity's month before reading its declarations (`readMonthLocks`): the drafts made from
 * them are written only while the month's count of changes is still the one read (decision 36). `exists: false`: no
 * item (no declaration written through the app, never drafted).
 */
export interface SeenLock {
  exists: boolean;
  changes?: number;
  status?: MonthLockStatus;
  lockedAt?: string;
}

/**
 * The months of a drafting batch's activities as they are now, in the order given: one consistent BatchGet per 100
 * (about 0.1 ms of DynamoDB Local's JVM an item), read before the declarations.
 */
export async function readMonthLocks(activityIds: readonly string[], month: string): Promise<SeenLock[]> {
  const found = new Map((await batchGetAll(activityIds.map((id) => keys.invoicingMonth(id, month)), { consistentRead: true })).map((item) => [String(item.pk), item]));
  return activityIds.map((id): SeenLock => {
    const item = found.get(keys.invoicingMonth(id, month).pk) as Partial<MonthLockRecord> | undefined;
    return item ? { exists: true, changes: item.changes, status: item.status, lockedAt: item.lockedAt } : { exists: false };
  });
}

/** The month changed (a declaration written, a reopening) since drafting read it: its drafts may miss what changed. */
export class MonthChangedError extends ConflictError {
  constructor() {
    super('Les déclarations du mois ont changé pendant sa préparation : recommencez.');
  }
}

type Condition = { expression: string; names: Record<string, string>; values: Record<string, unknown> };

/** The month's count of changes is still the one read (none yet: drafting does not count, and an old lock has none). */
const unchangedSince = (lock: SeenLock): Condition =>
  lock.changes === undefined
    ? { expression: 'attribute_not_exists(#changes)', names: { '#changes': 'changes' }, values: {} }
    : { expression: '#changes = :seen', names: { '#changes': 'changes' }, values: { ':seen': lock.changes } };

/** The month locked (`drafted`), under `condition`. It leaves `changes` alone: a drafting's later chunks and its retries still find the count it read. */
const lockUpdate = (table: string, activityId: string, month: string, now: string, condition: Condition): TransactItem => ({
  Update: {
    ConditionExpression: condition.expression,
    TableName: table,
    Key: keys.invoicingMonth(activityId, month),
    UpdateExpression: 'SET #type = :type, activityId = :activity, #month = :month, #status = :drafted, lockedAt = if_not_exists(lockedAt, :now), updatedAt = :now',
    ExpressionAttributeNames: { '#type': 'type', '#month': 'month', '#status': 'status', ...condition.names },
    ExpressionAttributeValues: { ':type': 'invoicing-month', ':activity': activityId, ':month': month, ':drafted': 'drafted', ':now': now, ...condition.values },
  },
});

/** A transaction refused by its item `index`'s condition (the month's lock is each drafting transaction's first). */
const refusedAt = (error: unknown, index: number) => isConditionFailure(error) && error.CancellationReasons?.[index]?.Code === 'ConditionalCheckFailed';

/** Items in transactions of at most 100, each one also locking the month, on the count of changes read (the lock comes with every write of drafts). */
async function writeWithLock(table: string, activityId: string, month: string, now: string, items: TransactItem[], lock: SeenLock): Promise<void> {
  const per = MAX_TRANSACTION_ITEMS - 1;
  const condition = unchangedSince(lock);
  if (items.length === 0) {
    await transact([lockUpdate(table, activityId, month, now, condition)]);
    return;
  }
  for (let i = 0; i < items.length; i += per) await transact([lockUpdate(table, activityId, month, now, condition), ...items.slice(i, i + per)]);
}

export interface DraftOutcome {
  /** The drafts written, in the order given. */
  invoices: InvoiceRecord[];
  /** Invoices of the month already numbered: kept as they are (an issued invoice is never replaced). */
  kept: string[];
  /** Drafts of the month for customers that no longer have declarations: deleted. */
  removed: string[];
}

/**
 * Drafts an activity's month: one invoice per customer (ids `inv-<activityId>-<month>-<customerId>`), the month
 * locked in the same transactions so that no declaration changes between drafting and issuing. Idempotent: drafting
 * again replaces the drafts not yet numbered, keeps held ones held (unless the month was reopened since), deletes
 * drafts no longer wanted and keeps numbered invoices untouched. The caller computed each draft's lines and totals
 * from the declarations it read after `lock` (`readMonthLocks`; read here without it): a `MonthChangedError` when a
 * declaration was written (or the month reopened) since, and nothing is written.
 */
export async function draftMonthInvoices(input: { activityId: string; month: string; drafts: InvoiceDraft[]; lock?: SeenLock; now?: Date }): Promise<DraftOutcome> {
  const now = (input.now ?? new Date()).toISOString();
  const table = tableName();
  const { activityId, month } = input;
  const lock = input.lock ?? (await readMonthLocks([activityId], month))[0]!;
  const fresh = freshDrafts(activityId, month, input.drafts, now);
  // The first drafting of a month (never locked, nothing to replace): one transaction, no read.
  const firstTime = lock.lockedAt ? [] : firstDrafting(table, activityId, month, fresh, now, lock);
  if (firstTime.length > 0 && firstTime.length <= MAX_TRANSACTION_ITEMS) {
    try {
      await transact(firstTime);
      return { invoices: fresh, kept: [], removed: [] };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      if (refusedAt(error, 0)) throw new MonthChangedError();
    }
  }
  return redraft(table, activityId, month, fresh, now, lock);
}

/** What `draftManyMonthInvoices` did of an activity's month: drafted, or `changed` since its lock was read (nothing written: read it again and redo). */
export type DraftResult = DraftOutcome | 'changed';

/**
 * `draftMonthInvoices` for many activities' months at once (the run's drafting batch), each with the lock read before
 * its declarations. The first drafting of each month goes in shared transactions of up to 100 items, an activity's
 * lock and drafts always in the same one: each activity stays all-or-nothing, and a batch of 100 activities costs a
 * few requests instead of 100. An activity whose lock refused (its month changed since it was read) comes back
 * `changed`; the others of a refused transaction (a month already drafted by an earlier attempt) are done again
 * activity by activity, through `draftMonthInvoices`, which redrafts what it finds. Results in the order given.
 */
export async function draftManyMonthInvoices(inputs: ReadonlyArray<{ activityId: string; month: string; drafts: InvoiceDraft[]; lock: SeenLock }>, now: Date = new Date()): Promise<DraftResult[]> {
  const at = now.toISOString();
  const table = tableName();
  const results: Array<DraftResult | undefined> = new Array(inputs.length);
  type Group = { indexes: number[]; locksAt: number[]; items: TransactItem[] };
  const groups: Group[] = [];
  let group: Group | undefined;
  inputs.forEach((input, index) => {
    // Drafted before (an earlier attempt, a reopened month): redrafted on its own, below.
    if (input.lock.lockedAt) return;
    const fresh = freshDrafts(input.activityId, input.month, input.drafts, at);
    const items = firstDrafting(table, input.activityId, input.month, fresh, at, input.lock);
    // Too many drafts for one transaction: on its own (draftMonthInvoices redrafts in several).
    if (items.length > MAX_TRANSACTION_ITEMS) return;
    if (!group || group.items.length + items.length > MAX_TRANSACTION_ITEMS) groups.push((group = { indexes: [], locksAt: [], items: [] }));
    group.indexes.push(index);
    group.locksAt.push(group.items.length);
    group.items.push(...items);
    results[index] = { invoices: fresh, kept: [], removed: [] };
  });
  await Promise.all(
    groups.map(async ({ indexes, locksAt, items }) => {
      try {
        await transact(items);
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        indexes.forEach((index, k) => (results[index] = refusedAt(error, locksAt[k]!) ? 'changed' : undefined));
      }
    }),
  );
  for (const [index, input] of inputs.entries()) {
    if (results[index]) continue;
    try {
      results[index] = await draftMonthInvoices({ ...input, now });
    } catch (error) {
      if (!(error instanceof MonthChangedError)) throw error;
      results[index] = 'changed';
    }
  }
  return results as DraftResult[];
}

/** The month's invoices as the drafts make them: one per customer, ids derived from activity, month and customer. */
function freshDrafts(activityId: string, month: string, drafts: readonly InvoiceDraft[], now: string): InvoiceRecord[] {
  const fresh = drafts.map(
    (draft): InvoiceRecord => ({
      invoiceId: invoiceIdFor(activityId, month, draft.customer.customerId),
      kind: 'invoice',
      activityId,
      month,
      customer: draft.customer,
      lines: draft.lines,
      totals: draft.totals,
      declarationIds: draft.declarationIds,
      status: 'draft',
      paidCents: 0,
      history: [{ at: now, event: 'drafted' }],
      createdAt: now,
      updatedAt: now,
    }),
  );
  if (new Set(fresh.map((f) => f.invoiceId)).size !== fresh.length) throw new Error('One draft per customer and month');
  return fresh;
}

/** The writes of a month's first drafting: the lock taken (never taken before, no change since `lock` was read) and each draft new. */
function firstDrafting(table: string, activityId: string, month: string, fresh: readonly InvoiceRecord[], now: string, lock: SeenLock): TransactItem[] {
  const unchanged = unchangedSince(lock);
  return [
    lockUpdate(table, activityId, month, now, { ...unchanged, expression: `${unchanged.expression} AND attribute_not_exists(lockedAt)` }),
    ...fresh.map((invoice): TransactItem => ({ Put: { TableName: table, Item: invoiceItem(invoice), ConditionExpression: 'attribute_not_exists(pk)' } })),
  ];
}

async function redraft(table: string, activityId: string, month: string, fresh: InvoiceRecord[], now: string, lock: SeenLock): Promise<DraftOutcome> {
  const indexed = await listActivityInvoices(activityId, month);
  const current = new Map((await getInvoices([...new Set([...fresh.map((f) => f.invoiceId), ...indexed.filter((i) => i.kind === 'invoice').map((i) => i.invoiceId)])])).map((i) => [i.invoiceId, i]));
  const wanted = new Set(fresh.map((f) => f.invoiceId));
  // After a reopening, a new round: held invoices come back as drafts for the next validation.
  const keepHolds = lock.status === 'drafted';
  const sameAsRead = (invoice: InvoiceRecord) => ({
    ConditionExpression: 'updatedAt = :read AND attribute_not_exists(numberingKey)',
    ExpressionAttributeValues: { ':read': invoice.updatedAt },
  });
  const outcome: DraftOutcome = { invoices: [], kept: [], removed: [] };
  const items: TransactItem[] = [];
  for (const draft of fresh) {
    const existing = current.get(draft.invoiceId);
    if (existing && !isUnbound(existing)) {
      outcome.kept.push(draft.invoiceId);
      continue;
    }
    const invoice: InvoiceRecord = existing
      ? {
          ...draft,
          ...(keepHolds && existing.status === 'held' ? { status: 'held', holdReason: existing.holdReason } : {}),
          history: [...existing.history, { at: now, event: 'redrafted' }],
          createdAt: existing.createdAt,
        }
      : draft;
    items.push({ Put: { TableName: table, Item: invoiceItem(invoice), ...(existing ? sameAsRead(existing) : { ConditionExpression: 'attribute_not_exists(pk)' }) } });
    outcome.invoices.push(invoice);
  }
  for (const existing of current.values()) {
    if (wanted.has(existing.invoiceId) || !isUnbound(existing)) continue;
    items.push({ Delete: { TableName: table, Key: keys.invoice(existing.invoiceId), ...sameAsRead(existing) } });
    outcome.removed.push(existing.invoiceId);
  }
  try {
    await writeWithLock(table, activityId, month, now, items, lock);
  } catch (error) {
    if (refusedAt(error, 0)) throw new MonthChangedError();
    if (isConditionFailure(error)) throw new ConflictError(CHANGED);
    throw error;
  }
  return outcome;
}

type InvoiceChange = { set?: string; names?: Record<string, string>; values?: Record<string, unknown>; remove?: string; condition: string; event: InvoiceEvent };

/** The update of an invoice that appends `change.event` to its history and sets fields, under a condition. */
const invoiceUpdate = (invoiceId: string, change: InvoiceChange) => ({
  TableName: tableName(),
  Key: keys.invoice(invoiceId),
  UpdateExpression: `SET ${change.set ? `${change.set}, ` : ''}history = list_append(history, :event), updatedAt = :now${change.remove ? ` REMOVE ${change.remove}` : ''}`,
  ConditionExpression: `attribute_exists(pk) AND ${change.condition}`,
  ExpressionAttributeNames: { '#status': 'status', ...change.names },
  ExpressionAttributeValues: { ':event': [change.event], ':now': change.event.at, ...change.values },
});

/** Appends to an invoice's history and sets fields, under a condition; a 404 or 409 (`refused`) when it fails. */
async function changeInvoice(invoiceId: string, change: InvoiceChange, refused: string): Promise<InvoiceRecord> {
  try {
    const result = await db().send(new UpdateCommand({ ...invoiceUpdate(invoiceId, change), ReturnValues: 'ALL_NEW' }));
    return recordOf<InvoiceRecord>(result.Attributes!);
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
    await requireInvoice(invoiceId);
    throw new ConflictError(refused);
  }
}

/** Staff hold a draft at validation, with a reason that goes back to the members: it is not numbered with the batch. */
export function holdInvoice(input: { invoiceId: string; reason: string; by: ByWhom; now?: Date }): Promise<InvoiceRecord> {
  const at = (input.now ?? new Date()).toISOString();
  return changeInvoice(
    input.invoiceId,
    { set: '#status = :held, holdReason = :reason', values: { ':held': 'held', ':draft': 'draft', ':reason': input.reason }, condition: '#status IN (:draft, :held) AND attribute_not_exists(numberingKey)', event: { at, event: 'held', by: input.by } },
    'Seule une facture en brouillon peut être mise en attente.',
  );
}

/** Staff release a held invoice: a draft again, to be numbered with the next validation. */
export function releaseInvoice(input: { invoiceId: string; by: ByWhom; now?: Date }): Promise<InvoiceRecord> {
  const at = (input.now ?? new Date()).toISOString();
  return changeInvoice(
    input.invoiceId,
    { set: '#status = :draft', values: { ':held': 'held', ':draft': 'draft' }, remove: 'holdReason', condition: '#status = :held AND attribute_not_exists(numberingKey)', event: { at, event: 'released', by: input.by } },
    "Cette facture n'est pas en attente.",
  );
}

/**
 * Reopens an activity's month after a hold, so that members can correct their declarations: the month's lock goes
 * back to `open` and every invoice of the month not yet numbered is held (redrafting the month makes them drafts
 * again). Declarations of customers whose invoice is numbered stay frozen (shared/data/invoicing/declarations.ts).
 */
export async function reopenMonth(input: { activityId: string; month: string; reason: string; by: ByWhom; now?: Date }): Promise<void> {
  const at = (input.now ?? new Date()).toISOString();
  const table = tableName();
  const { activityId, month } = input;
  const unbound = (await getInvoices((await listActivityInvoices(activityId, month)).filter((i) => i.kind === 'invoice').map((i) => i.invoiceId))).filter(isUnbound);
  const event: InvoiceEvent = { at, event: 'held', by: input.by, detail: 'reopened' };
  const holds = unbound.map(
    (invoice): TransactItem => ({
      Update: {
        TableName: table,
        Key: keys.invoice(invoice.invoiceId),
        UpdateExpression: 'SET #status = :held, holdReason = :reason, history = list_append(history, :event), updatedAt = :now',
        ConditionExpression: 'updatedAt = :read AND attribute_not_exists(numberingKey)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':held': 'held', ':reason': input.reason, ':event': [event], ':now': at, ':read': invoice.updatedAt },
      },
    }),
  );
  // Counted as a change (decision 36): a drafting that read the month still locked does not lock it again unseen.
  const reopen = (): TransactItem => ({
    Update: {
      TableName: table,
      Key: keys.invoicingMonth(activityId, month),
      UpdateExpression: 'SET #status = :open, updatedAt = :now, #changes = if_not_exists(#changes, :zero) + :one',
      ConditionExpression: 'attribute_exists(lockedAt)',
      ExpressionAttributeNames: { '#status': 'status', '#changes': 'changes' },
      ExpressionAttributeValues: { ':open': 'open', ':now': at, ':zero': 0, ':one': 1 },
    },
  });
  try {
    const per = MAX_TRANSACTION_ITEMS - 1;
    for (let i = 0; i === 0 || i < holds.length; i += per) await transact([reopen(), ...holds.slice(i, i + per)]);
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    if (error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') throw new NotFoundError("Ce mois n'est pas en facturation.");
    throw new ConflictError(CHANGED);
  }
}

/**
 * Adds an event to an invoice's history, whatever its state. With `once`, an event already recorded under that
 * marker (a message's report: `undelivered`, `complained`) is not added again: a retried call records it once, and
 * the answer is `undefined`. (The earlier version set `updatedAt` a second time and left `#status` unused: DynamoDB
 * refused every call with a ValidationException.)
 */
export async function appendInvoiceEvent(invoiceId: string, event: InvoiceEvent, options: { once?: string } = {}): Promise<InvoiceRecord | undefined> {
  // `#status` is named on every change (changeInvoice): an update must use every name it is given.
  if (!options.once) return changeInvoice(invoiceId, { condition: 'attribute_exists(#status)', event }, NOT_FOUND);
  try {
    return await changeInvoice(invoiceId, onceChange(event, options.once), NOT_FOUND);
  } catch (error) {
    if (error instanceof ConflictError) return undefined;
    throw error;
  }
}

const onceChange = (event: InvoiceEvent, once: string): InvoiceChange => ({
  set: 'eventMarkers = list_append(if_not_exists(eventMarkers, :none), :marker)',
  values: { ':none': [], ':marker': [once], ':once': once },
  condition: 'attribute_exists(#status) AND NOT contains(eventMarkers, :once)',
  event,
});

/**
 * `appendInvoiceEvent(invoiceId, event, { once })` as an item of a transaction, for an issued invoice only: its
 * condition fails when the invoice is not there, is cancelled, or has the event already (the re-send of its e-mail).
 */
export const issuedInvoiceEventOnceItem = (invoiceId: string, event: InvoiceEvent, once: string): TransactItem => {
  const change = onceChange(event, once);
  return { Update: invoiceUpdate(invoiceId, { ...change, values: { ...change.values, ':issued': 'issued' }, condition: `#status = :issued AND ${change.condition}` }) };
};

/**
 * Records a stage of the chase of an unpaid invoice once, with `items` (the reminder's outbox messages) in the same
 * transaction: `true` when this call recorded it (the reminder is then in the outbox), `false` when it or a later
 * stage was already recorded (a first reminder never comes after the second), or the invoice is no longer an unpaid
 * issued one (paid in full, cancelled). The `late` stage also moves the invoice from the unpaid index to the late
 * list (`listLateInvoices`), where it stays until paid in full or cancelled.
 */
export async function recordChaseStage(input: { invoice: Pick<InvoiceRecord, 'invoiceId' | 'activityId'>; stage: ChaseStage; items?: TransactItem[]; now?: Date }): Promise<boolean> {
  const at = (input.now ?? new Date()).toISOString();
  const { invoiceId, activityId } = input.invoice;
  const stages = [input.stage, ...laterChaseSteps(input.stage)];
  const notTaken = stages.map((_, i) => `NOT contains(chase, :stage${i})`).join(' AND ');
  const late = input.stage === 'late';
  const update: TransactItem = {
    Update: {
      TableName: tableName(),
      Key: keys.invoice(invoiceId),
      UpdateExpression: `SET chase = list_append(if_not_exists(chase, :none), :stage), history = list_append(history, :event), updatedAt = :now${late ? ', lateSince = :now, gsi1pk = :latePk' : ''}`,
      ConditionExpression: `#status = :issued AND paidCents < totals.grossCents AND ${notTaken}${late ? ' AND attribute_exists(gsi1pk)' : ''}`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':none': [],
        ':stage': [input.stage],
        ...Object.fromEntries(stages.map((stage, i) => [`:stage${i}`, stage])),
        ':issued': 'issued',
        ':event': [{ at, event: input.stage }],
        ':now': at,
        ...(late ? { ':latePk': keys.lateInvoicesPartition(activeActivityShard(activityId)) } : {}),
      },
    },
  };
  try {
    await transact([update, ...(input.items ?? [])]);
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Every shard of an index partition of invoices up to a due date, read in parallel, oldest due first. */
async function invoicesDueBy(partition: (shard: string) => string, dueOnOrBefore: string): Promise<InvoiceRecord[]> {
  const perShard = await Promise.all(
    INVOICE_SHARDS.map((shard) =>
      queryAll({
        IndexName: INDEX.unpaidInvoices,
        KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk < :after',
        ExpressionAttributeValues: { ':pk': partition(shard), ':after': `${dueOnOrBefore}#\uffff` },
      }),
    ),
  );
  return perShard
    .flat()
    .map((i) => recordOf<InvoiceRecord>(i))
    .sort((a, b) => a.dueDate!.localeCompare(b.dueDate!) || a.invoiceId.localeCompare(b.invoiceId));
}

/**
 * Issued invoices not fully paid and not flagged late yet whose due date is on or before `dueOnOrBefore`, oldest due
 * first: those the daily chase reminds (due + 7, + 30) and flags late (due + 45). The shards are read in parallel.
 */
export function listUnpaidInvoices(input: { dueOnOrBefore: string }): Promise<InvoiceRecord[]> {
  return invoicesDueBy(keys.unpaidInvoicesPartition, input.dueOnOrBefore);
}

/**
 * The invoices flagged late (unpaid 45 days after their due date, `lateSince` set by the chase) and still not paid in
 * full nor cancelled, oldest due first: the staff console's list. What is left to pay is `totals.grossCents - paidCents`.
 */
export function listLateInvoices(): Promise<InvoiceRecord[]> {
  return invoicesDueBy(keys.lateInvoicesPartition, '9999-12-31');
}
