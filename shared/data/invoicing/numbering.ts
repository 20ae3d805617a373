import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { MAX_NUMBERING_CHUNK } from '../../../infra/config.js';
import { ConflictError } from '../../domain/errors.js';
import { MAX_SEQUENCE, formatInvoiceNumber, numberingYear } from '../../domain/invoicing/numbers.js';
import type { InvoiceEvent, InvoiceRecord, NumberBlock } from '../../domain/invoicing/records.js';
import { isIsoDate } from '../../domain/time.js';
import { keys } from '../../keys.js';
import type { TransactItem } from '../approvals.js';
import { batchGetAll, db, queryAll, queryPrefix, tableName } from '../client.js';
import { setAndRemove } from '../update-expression.js';
import { isConditionFailure } from '../transactions.js';
import { getInvoices, invoiceItem } from './invoices.js';
import { MAX_TRANSACTION_ITEMS, inParallel, jitter, recordOf, transact } from './items.js';

/**
 * Gapless numbering (one sequence per year, credit notes included, decision 37). A batch of invoices is numbered chunk
 * by chunk, each chunk in ONE transaction: the year's counter raised by the chunk's size (conditional on the value
 * read and on the issue date not going back), the block that binds those numbers to the ordered invoice ids, the
 * chunk's reservation (conditional on its absence: a concurrent attempt of the same batch cannot take it twice), and
 * each invoice issued with its number (conditional on being the draft read, not numbered, not bound to another
 * batch). All or nothing: the counter never moves without its block and its invoices numbered, so the blocks tile
 * 1..n and a crash leaves no hole to fill; a retry of the batch finds its reservations and goes on after them.
 * A chunk is at most MAX_TRANSACTION_ITEMS - 3 invoices; each invoice is written once.
 *
 * Blocks written before decision 37 (no `applied`) were reserved first and applied after, their invoices claimed by
 * the batch (`numberingKey`) in between: a retry of such a batch applies them first (`applyNumberBlock`).
 */

/** Invoices a chunk numbers at most: its transaction holds them with the counter, the block and the reservation. */
export const MAX_BLOCK_IDS = Math.min(MAX_NUMBERING_CHUNK, MAX_TRANSACTION_ITEMS - 3);
const MAX_BLOCK_ID_BYTES = 120_000;
/** Concurrent validations contend for one counter: each failed attempt re-reads it after a jittered pause. */
const MAX_RESERVE_ATTEMPTS = 200;
const BATCH_KEY = /^[A-Za-z0-9_.:-]{1,200}$/;
/** Transactions of 100 in flight when a block of before decision 37 is applied. */
const IN_FLIGHT = 4;

/** A claim that some invoices refused: already numbered, held, claimed by another batch, or missing. */
export class NumberingRefusedError extends ConflictError {
  constructor(readonly invoiceIds: string[]) {
    super(`${invoiceIds.length} facture(s) ne peuvent pas être numérotées : déjà émises, en attente ou introuvables.`);
    this.name = 'NumberingRefusedError';
  }
}

/** A block that does not match its invoices: the sequence's invariant is broken and nothing more is written. */
export class NumberingInvariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NumberingInvariantError';
  }
}

/** The ids in chunks of at most `maxIds` and about 120 KB, in order. */
export function numberingChunks(invoiceIds: readonly string[], maxIds: number = MAX_BLOCK_IDS): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const id of invoiceIds) {
    if (current.length >= maxIds || (current.length > 0 && bytes + id.length > MAX_BLOCK_ID_BYTES)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(id);
    bytes += id.length;
  }
  if (current.length) chunks.push(current);
  return chunks;
}

/** The blocks the batch's chunks reserved so far, by chunk; those in `known` are not read again. */
async function reservedBlocks(batchKey: string, known: readonly NumberBlock[] = []): Promise<NumberBlock[]> {
  const prefix = keys.numberReservationsPrefix(batchKey);
  const reservations = await queryPrefix(prefix.pk, prefix.skPrefix, { consistentRead: true });
  const have = new Set(known.map((b) => b.chunk));
  const unread = reservations.filter((r) => !have.has(Number(r.chunk)));
  const read = (await batchGetAll(unread.map((r) => keys.numberBlock(String(r.year), Number(r.first))), { consistentRead: true })).map((i) => recordOf<NumberBlock>(i));
  if (read.length !== unread.length) throw new NumberingInvariantError(`Batch ${batchKey}: a reservation without its block`);
  return [...known, ...read].sort((a, b) => a.chunk - b.chunk);
}

export interface NumberingOutcome {
  /** Every block of the batch, those of earlier attempts included, by chunk. */
  blocks: NumberBlock[];
  /** Invoices of the list not numbered yet (with `maxChunks`: call again). */
  remaining: number;
}

/**
 * Numbers the invoices of a batch in the order given: ids not yet bound by one of the batch's blocks are numbered
 * chunk by chunk, one transaction each (a block of before decision 37 is applied again first). With `maxChunks`,
 * stops after that many new chunks (a workflow's resumable loop calls again while `remaining` > 0).
 * `issueDate` gives the year's sequence and must not go back in time; `dueDate` (invoices) puts them in the unpaid index.
 * A 409 `NumberingRefusedError` when some ids cannot be numbered (nothing is numbered in that chunk).
 * @example await issueNumbers({ batchKey: 'invoicing-2027-01', invoiceIds, issueDate: '2027-02-01', dueDate: '2027-03-03' })
 */
export async function issueNumbers(input: { batchKey: string; invoiceIds: readonly string[]; issueDate: string; dueDate?: string; maxIds?: number; maxChunks?: number; now?: Date }): Promise<NumberingOutcome> {
  checkBatch(input);
  const now = (input.now ?? new Date()).toISOString();
  const maxIds = Math.min(input.maxIds ?? MAX_BLOCK_IDS, MAX_BLOCK_IDS);
  let blocks = await batchBlocks(input.batchKey, [], now);
  let made = 0;
  // The next chunk's invoices, read while this chunk's transaction runs, and the counter as this chunk leaves it: a
  // read gone stale meanwhile (another validation, an invoice held) fails its condition and is read again.
  let ahead: { ids: string[]; invoices: Promise<ChunkRead> } | undefined;
  let counter: Counter | undefined;
  for (;;) {
    const rest = unbound(input.invoiceIds, blocks);
    if (rest.length === 0 || (input.maxChunks !== undefined && made >= input.maxChunks)) return { blocks, remaining: rest.length };
    const [ids, next] = numberingChunks(rest, maxIds);
    const read = ahead && sameIds(ahead.ids, ids!) ? ahead.invoices : undefined;
    const more = next && (input.maxChunks === undefined || made + 1 < input.maxChunks);
    ahead = more ? { ids: next, invoices: readChunk(input.batchKey, next) } : undefined;
    const block = await numberChunk(input.batchKey, blocks.length, ids!, input, now, { invoices: read, counter });
    counter = block ? { next: block.first + block.count, lastIssueDate: block.issueDate } : undefined;
    if (block) {
      blocks = [...blocks, block];
      made += 1;
    } else {
      // A concurrent attempt of the same batch took this chunk first: its block is read, and the loop goes on.
      const before = blocks.length;
      blocks = await batchBlocks(input.batchKey, blocks, now);
      if (blocks.length === before) throw new NumberingInvariantError(`Batch ${input.batchKey}: invoices numbered by the batch outside its blocks`);
    }
  }
}

/** The batch's blocks (`known` not read again), a block of before decision 37 applied again (idempotent). */
async function batchBlocks(batchKey: string, known: readonly NumberBlock[], now: string): Promise<NumberBlock[]> {
  const blocks = await reservedBlocks(batchKey, known);
  const have = new Set(known.map((b) => b.chunk));
  for (const block of blocks) if (!block.applied && !have.has(block.chunk)) await applyNumberBlock(block, now);
  return blocks;
}

function checkBatch(input: { batchKey: string; invoiceIds: readonly string[]; issueDate: string; dueDate?: string }): void {
  if (!BATCH_KEY.test(input.batchKey)) throw new Error(`Invalid numbering batch key: ${input.batchKey}`);
  // An id twice in a block would bind two numbers to one invoice: one of them would stay a hole.
  if (new Set(input.invoiceIds).size !== input.invoiceIds.length) throw new Error('An invoice appears twice in the numbering batch');
  if (!isIsoDate(input.issueDate) || (input.dueDate !== undefined && !isIsoDate(input.dueDate))) throw new Error('Invalid issue or due date');
}

const unbound = (invoiceIds: readonly string[], blocks: NumberBlock[]) => {
  const bound = new Set(blocks.flatMap((b) => b.invoiceIds));
  return invoiceIds.filter((id) => !bound.has(id));
};

/** A draft this batch may number: not held, not numbered, not bound to another batch (a claim of before decision 37). */
const numberable = (invoice: InvoiceRecord | undefined, batchKey: string): invoice is InvoiceRecord =>
  invoice !== undefined && invoice.status === 'draft' && invoice.number === undefined && (invoice.numberingKey === undefined || invoice.numberingKey === batchKey);

interface Counter {
  next: number;
  lastIssueDate?: string;
}

/** A chunk's invoices as read (`readChunk`): never a rejected promise, so that one read ahead and not awaited is no unhandled rejection. */
type ChunkRead = { invoices: Map<string, InvoiceRecord> | undefined } | { error: unknown };

/**
 * Reads a chunk's invoices: undefined when a concurrent attempt of the batch numbered some (its block is to be read),
 * a NumberingRefusedError when some cannot be numbered (held, gone, another batch's).
 */
async function readChunk(batchKey: string, ids: readonly string[]): Promise<ChunkRead> {
  let found: Map<string, InvoiceRecord>;
  try {
    found = new Map((await getInvoices(ids)).map((i) => [i.invoiceId, i]));
  } catch (error) {
    return { error };
  }
  if (ids.some((id) => found.get(id)?.number !== undefined && found.get(id)?.numberingKey === batchKey)) return { invoices: undefined };
  const refused = ids.filter((id) => !numberable(found.get(id), batchKey));
  return refused.length ? { error: new NumberingRefusedError(refused) } : { invoices: found };
}

const chunkInvoices = (read: ChunkRead): Map<string, InvoiceRecord> | undefined => {
  if ('error' in read) throw read.error;
  return read.invoices;
};

const sameIds = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((id, i) => id === b[i]);

/**
 * Numbers one chunk: its invoices read, then ONE transaction raises the issue date's year's counter by the chunk's
 * size (conditional on the value read), puts the block and the chunk's reservation (conditional on their absence) and
 * issues each invoice (conditional on being the draft read). Undefined when a concurrent attempt of the same batch
 * reserved the chunk or numbered some of its invoices meanwhile; NumberingRefusedError when some invoices cannot be
 * numbered (nothing written).
 */
async function numberChunk(
  batchKey: string,
  chunk: number,
  invoiceIds: string[],
  dates: { issueDate: string; dueDate?: string },
  now: string,
  known: { invoices?: Promise<ChunkRead>; counter?: Counter } = {},
): Promise<NumberBlock | undefined> {
  const table = tableName();
  const year = numberingYear(dates.issueDate);
  const readCounter = async (): Promise<Counter | undefined> => {
    const item = (await db().send(new GetCommand({ TableName: table, Key: keys.invoiceCounter(year), ConsistentRead: true }))).Item;
    return item ? { next: item.next as number, lastIssueDate: item.lastIssueDate as string | undefined } : undefined;
  };
  const readInvoices = async (ids: readonly string[]) => chunkInvoices(await readChunk(batchKey, ids));
  const [invoices, read] = await Promise.all([(known.invoices ?? readChunk(batchKey, invoiceIds)).then(chunkInvoices), known.counter ?? readCounter()]);
  if (!invoices) return undefined;
  let counter = read;
  for (let attempt = 0; attempt < MAX_RESERVE_ATTEMPTS; attempt++) {
    if (counter?.lastIssueDate !== undefined && counter.lastIssueDate > dates.issueDate) {
      throw new ConflictError(`Des factures ont déjà été émises le ${counter.lastIssueDate} : la numérotation suit l'ordre chronologique.`);
    }
    const first = counter?.next ?? 1;
    if (first + invoiceIds.length - 1 > MAX_SEQUENCE) throw new NumberingInvariantError(`The ${year} sequence is full`);
    const block: NumberBlock = { year, first, count: invoiceIds.length, invoiceIds, batchKey, chunk, issueDate: dates.issueDate, ...(dates.dueDate ? { dueDate: dates.dueDate } : {}), reservedAt: now, applied: true };
    try {
      await transact([
        {
          Update: {
            TableName: table,
            Key: keys.invoiceCounter(year),
            UpdateExpression: 'SET #type = :type, #next = :after, lastIssueDate = :date',
            ConditionExpression: `${counter ? '#next = :first' : 'attribute_not_exists(pk)'} AND (attribute_not_exists(lastIssueDate) OR lastIssueDate <= :date)`,
            ExpressionAttributeNames: { '#type': 'type', '#next': 'next' },
            ExpressionAttributeValues: { ':type': 'invoice-counter', ':after': first + block.count, ':date': dates.issueDate, ...(counter ? { ':first': first } : {}) },
            // The counter another validation left: the next attempt starts from it without reading it again.
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
        { Put: { TableName: table, Item: { ...keys.numberBlock(year, first), type: 'number-block', ...block }, ConditionExpression: 'attribute_not_exists(pk)' } },
        {
          Put: {
            TableName: table,
            Item: { ...keys.numberReservation(batchKey, chunk), type: 'number-reservation', batchKey, chunk, year, first },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        ...invoiceIds.map((id, i) => issuedUpdate(table, invoices.get(id)!, formatInvoiceNumber(year, first + i), block, now)),
      ]);
      return block;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const reasons = error.CancellationReasons ?? [];
      if (reasons[2]?.Code === 'ConditionalCheckFailed') return undefined;
      // An invoice changed since it was read (held, redrafted, numbered): read again; refused if it can no longer be numbered.
      const changed = invoiceIds.filter((_, i) => reasons[3 + i]?.Code === 'ConditionalCheckFailed');
      if (changed.length) {
        const again = await readInvoices(changed);
        if (!again) return undefined;
        for (const [id, invoice] of again) invoices.set(id, invoice);
      }
      // Errors are not unmarshalled by the document client: the item comes as attribute values.
      const seen = reasons[0]?.Code === 'ConditionalCheckFailed' ? (reasons[0].Item as Record<string, { N?: string; S?: string }> | undefined) : undefined;
      await jitter(attempt);
      if (seen?.next?.N) counter = { next: Number(seen.next.N), lastIssueDate: seen.lastIssueDate?.S };
      else if (!changed.length) counter = await readCounter();
    }
  }
  throw new Error(`Invoice counter ${year}: no reservation after ${MAX_RESERVE_ATTEMPTS} attempts`);
}

/**
 * The invoice as issued by the block: an update of what differs from the draft read (status, number, dates, batch,
 * history, the unpaid index entry), conditional on the stored item being that draft still and not numbered.
 */
function issuedUpdate(table: string, invoice: InvoiceRecord, number: string, block: NumberBlock, now: string): TransactItem {
  const before = invoiceItem(invoice);
  const after = invoiceItem(issuedRecord(invoice, number, block, now));
  const changed = Object.fromEntries(Object.entries(after).filter(([name, value]) => JSON.stringify(value) !== JSON.stringify(before[name])));
  const update = setAndRemove(changed, Object.keys(before).filter((k) => !(k in after)), 'a');
  return {
    Update: {
      TableName: table,
      Key: keys.invoice(invoice.invoiceId),
      UpdateExpression: update.UpdateExpression,
      ConditionExpression: '#updatedAt = :read AND #status = :draft AND attribute_not_exists(#number) AND (attribute_not_exists(#numberingKey) OR #numberingKey = :batch)',
      ExpressionAttributeNames: { ...update.ExpressionAttributeNames, '#status': 'status', '#number': 'number', '#numberingKey': 'numberingKey', '#updatedAt': 'updatedAt' },
      ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':draft': 'draft', ':batch': block.batchKey, ':read': invoice.updatedAt },
    },
  };
}

/** What an invoice becomes when the block numbers it. */
function issuedRecord(invoice: InvoiceRecord, number: string, block: NumberBlock, now: string): InvoiceRecord {
  const event: InvoiceEvent = { at: now, event: 'issued', detail: number };
  return {
    ...invoice,
    status: 'issued',
    number,
    numberingKey: block.batchKey,
    issueDate: block.issueDate,
    ...(block.dueDate && invoice.kind === 'invoice' ? { dueDate: block.dueDate } : {}),
    history: [...invoice.history, event],
    updatedAt: now,
  };
}

/**
 * Gives the numbers of a block of before decision 37 (reserved first, applied after) to its invoices (status issued,
 * number, dates, history), those already numbered left as they are: replaying a block changes nothing. Every invoice
 * of such a block was claimed by its batch before the block existed, so none can have gone elsewhere; if one has,
 * NumberingInvariantError, and nothing of that group is written.
 */
export async function applyNumberBlock(block: NumberBlock, now: string = new Date().toISOString()): Promise<void> {
  const table = tableName();
  const numberOf = new Map(block.invoiceIds.map((id, i) => [id, formatInvoiceNumber(block.year, block.first + i)]));
  const groups: string[][] = [];
  for (let i = 0; i < block.invoiceIds.length; i += MAX_TRANSACTION_ITEMS) groups.push(block.invoiceIds.slice(i, i + MAX_TRANSACTION_ITEMS));
  await inParallel(groups, IN_FLIGHT, async (group) => {
    for (let attempt = 0; ; attempt++) {
      const invoices = await getInvoices(group);
      const pending: InvoiceRecord[] = [];
      for (const id of group) {
        const invoice = invoices.find((i) => i.invoiceId === id);
        if (invoice?.number === numberOf.get(id)) continue;
        if (!invoice || invoice.number !== undefined || invoice.numberingKey !== block.batchKey) {
          throw new NumberingInvariantError(`Block ${block.year}-${block.first}: invoice ${id} is ${invoice ? `claimed by ${invoice.numberingKey ?? 'none'}, number ${invoice.number ?? 'none'}` : 'missing'}`);
        }
        pending.push(invoice);
      }
      if (pending.length === 0) return;
      try {
        await transact(pending.map((invoice) => issuedPut(table, invoice, numberOf.get(invoice.invoiceId)!, block, now)));
        return;
      } catch (error) {
        // Another attempt applying the same block at once: read again, what it applied is left as is.
        if (!isConditionFailure(error) || attempt >= 5) throw error;
        await jitter(attempt);
      }
    }
  });
}

/** The invoice as issued, put over the claimed draft (conditional on it being that draft still). */
function issuedPut(table: string, invoice: InvoiceRecord, number: string, block: NumberBlock, now: string): TransactItem {
  return {
    Put: {
      TableName: table,
      Item: invoiceItem(issuedRecord(invoice, number, block, now)),
      ConditionExpression: 'numberingKey = :batch AND attribute_not_exists(#number) AND updatedAt = :read',
      ExpressionAttributeNames: { '#number': 'number' },
      ExpressionAttributeValues: { ':batch': block.batchKey, ':read': invoice.updatedAt },
    },
  };
}

/** The year's blocks, in the order of their numbers. */
export async function readNumberBlocks(year: string): Promise<NumberBlock[]> {
  const prefix = keys.numberBlocksPrefix(year);
  return (await queryPrefix(prefix.pk, prefix.skPrefix, { consistentRead: true })).map((i) => recordOf<NumberBlock>(i));
}

/**
 * The invoices and credit notes issued in `month` (YYYY-MM), whatever month they bill, in the order of their numbers:
 * the accounting journal is by issue date. Read from the numbering, without a scan or an index: a block binds its ids
 * to ONE issue date, credit notes take their numbers in the same yearly sequence, and a year's blocks are one range of
 * one partition (filtered on the month, so the other blocks' ids are not sent back). Then the documents in consistent
 * batch reads. Ids of a block reserved but not applied yet (a numbering under way) carry no number: left out.
 */
export async function listInvoicesIssuedIn(month: string): Promise<InvoiceRecord[]> {
  const prefix = keys.numberBlocksPrefix(numberingYear(month));
  const items = await queryAll({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
    FilterExpression: 'begins_with(issueDate, :month)',
    ExpressionAttributeValues: { ':pk': prefix.pk, ':sk': prefix.skPrefix, ':month': `${month}-` },
    ConsistentRead: true,
  });
  const blocks = items.map((i) => recordOf<NumberBlock>(i));
  const invoices = await getInvoices(blocks.flatMap((b) => b.invoiceIds));
  return invoices.filter((i) => i.number !== undefined && i.issueDate?.startsWith(`${month}-`)).sort((a, b) => a.number!.localeCompare(b.number!));
}

export interface ContinuityReport {
  year: string;
  blocks: number;
  /** Numbers given: 1..numbers. */
  numbers: number;
  /** Empty when the sequence is continuous and unique (and, with `invoices`, every invoice carries its number). */
  problems: string[];
}

/**
 * Proves the year's sequence: the blocks tile 1..n without gap or overlap, the counter stands at n + 1, no invoice is
 * in two blocks; with `invoices`, each invoice of a block carries the number the block gave it (read back).
 */
export async function checkNumberContinuity(year: string, options: { invoices?: boolean } = {}): Promise<ContinuityReport> {
  const [blocks, counter] = await Promise.all([readNumberBlocks(year), db().send(new GetCommand({ TableName: tableName(), Key: keys.invoiceCounter(year), ConsistentRead: true }))]);
  const problems: string[] = [];
  const seen = new Set<string>();
  let expected = 1;
  for (const block of blocks) {
    if (block.first !== expected) problems.push(`${block.first > expected ? 'gap' : 'overlap'}: block ${block.first} where ${expected} was expected`);
    if (block.invoiceIds.length !== block.count) problems.push(`block ${block.first}: ${block.invoiceIds.length} ids for ${block.count} numbers`);
    for (const id of block.invoiceIds) {
      if (seen.has(id)) problems.push(`invoice ${id} numbered twice`);
      seen.add(id);
    }
    expected = block.first + block.count;
  }
  const next = (counter.Item?.next as number | undefined) ?? 1;
  if (next !== expected) problems.push(`counter at ${next} where ${expected} was expected`);
  if (options.invoices) {
    const want = new Map(blocks.flatMap((b) => b.invoiceIds.map((id, i) => [id, formatInvoiceNumber(year, b.first + i)] as const)));
    const found = new Map((await getInvoices([...want.keys()])).map((i) => [i.invoiceId, i]));
    for (const [id, number] of want) {
      const invoice = found.get(id);
      if (invoice?.number !== number) problems.push(`invoice ${id}: ${invoice ? `number ${invoice.number ?? 'none'}` : 'missing'}, ${number} expected`);
    }
  }
  return { year, blocks: blocks.length, numbers: expected - 1, problems };
}
