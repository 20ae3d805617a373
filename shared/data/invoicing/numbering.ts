import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { MAX_NUMBERING_CHUNK } from '../../../infra/config.js';
import { ConflictError } from '../../domain/errors.js';
import { MAX_SEQUENCE, formatInvoiceNumber, numberingYear } from '../../domain/invoicing/numbers.js';
import type { InvoiceEvent, InvoiceRecord, NumberBlock } from '../../domain/invoicing/records.js';
import { isIsoDate } from '../../domain/time.js';
import { keys } from '../../keys.js';
import type { TransactItem } from '../approvals.js';
import { batchGetAll, db, queryAll, queryPrefix, tableName } from '../client.js';
import { isConditionFailure } from '../transactions.js';
import { getInvoices, invoiceItem } from './invoices.js';
import { MAX_TRANSACTION_ITEMS, inParallel, jitter, recordOf, transact } from './items.js';

/**
 * Gapless numbering (one sequence per year, credit notes included). A batch of invoices is numbered chunk by chunk:
 *  1. claim: each invoice of the chunk is marked with the batch key (only a draft not claimed by another batch), so
 *     that it can no longer be held, redrafted or numbered twice;
 *  2. reserve: ONE transaction raises the year's counter by the chunk's size (conditional on the value read), puts
 *     the block that binds those numbers to the ordered invoice ids, and puts the chunk's reservation (conditional on
 *     its absence). The counter never moves without its block, so the blocks tile 1..n;
 *  3. apply: the invoices get their numbers from the block (status issued, issue and due dates). Replayable: a retry
 *     of the batch first re-applies the blocks its chunks reserved, so a crash after 2 leaves no hole.
 */

/** Ids a block holds at most: about 100 bytes each, a block item stays near 100 KB, far below DynamoDB's 400 KB. */
export const MAX_BLOCK_IDS = MAX_NUMBERING_CHUNK;
const MAX_BLOCK_ID_BYTES = 120_000;
/** Concurrent validations contend for one counter: each failed attempt re-reads it after a jittered pause. */
const MAX_RESERVE_ATTEMPTS = 200;
const BATCH_KEY = /^[A-Za-z0-9_.:-]{1,200}$/;
/**
 * Transactions of 100 in flight for a claim or an application: on DynamoDB Local a transaction of 100 updates costs
 * about what 10 single updates do, so claims and applications go 100 to a transaction.
 */
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
async function reservedBlocks(batchKey: string, known: Map<number, NumberBlock> = new Map()): Promise<NumberBlock[]> {
  const prefix = keys.numberReservationsPrefix(batchKey);
  const reservations = await queryPrefix(prefix.pk, prefix.skPrefix, { consistentRead: true });
  const unread = reservations.filter((r) => !known.has(Number(r.chunk)));
  const read = (await batchGetAll(unread.map((r) => keys.numberBlock(String(r.year), Number(r.first))), { consistentRead: true })).map((i) => recordOf<NumberBlock>(i));
  if (read.length !== unread.length) throw new NumberingInvariantError(`Batch ${batchKey}: a reservation without its block`);
  return [...known.values(), ...read].sort((a, b) => a.chunk - b.chunk);
}

export interface NumberingOutcome {
  /** Every block of the batch, those of earlier attempts included, by chunk. */
  blocks: NumberBlock[];
  /** Invoices of the list not numbered yet (with `maxChunks`: call again). */
  remaining: number;
}

/**
 * Numbers the invoices of a batch in the order given: ids not yet bound by one of the batch's blocks are claimed,
 * reserved and applied chunk by chunk; the blocks of earlier attempts are applied again first (idempotent). With
 * `maxChunks`, stops after that many new chunks (a workflow's resumable loop calls again while `remaining` > 0).
 * `issueDate` gives the year's sequence and must not go back in time; `dueDate` (invoices) puts them in the unpaid index.
 * A 409 `NumberingRefusedError` when some ids cannot be claimed (nothing is numbered in that chunk).
 * @example await issueNumbers({ batchKey: 'invoicing-2027-01', invoiceIds, issueDate: '2027-02-01', dueDate: '2027-03-03' })
 */
export async function issueNumbers(input: { batchKey: string; invoiceIds: readonly string[]; issueDate: string; dueDate?: string; maxIds?: number; maxChunks?: number; now?: Date }): Promise<NumberingOutcome> {
  checkBatch(input);
  const now = (input.now ?? new Date()).toISOString();
  let made = 0;
  // Blocks applied by this call: those of earlier attempts are applied once, first.
  const applied = new Map<number, NumberBlock>();
  for (;;) {
    const blocks = await reservedBlocks(input.batchKey, applied);
    for (const block of blocks.filter((b) => !applied.has(b.chunk))) {
      await applyNumberBlock(block, now);
      applied.set(block.chunk, block);
    }
    const rest = unbound(input.invoiceIds, blocks);
    if (rest.length === 0 || (input.maxChunks !== undefined && made >= input.maxChunks)) return { blocks, remaining: rest.length };
    // A concurrent attempt of the same batch may take this chunk first: the loop then reads its block and goes on.
    const block = await reserveChunk(input.batchKey, blocks.length, numberingChunks(rest, input.maxIds)[0]!, input, now);
    if (block) {
      await applyNumberBlock(block, now);
      applied.set(block.chunk, block);
      made += 1;
    }
  }
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

/**
 * Steps 1 and 2 alone for the batch's next chunk (its ids not bound yet, at most `maxIds`): claimed and reserved,
 * not applied. `issueNumbers` applies what this reserved; tests use it to stop where a crash would.
 */
export async function reserveNextChunk(input: { batchKey: string; invoiceIds: readonly string[]; issueDate: string; dueDate?: string; maxIds?: number; now?: Date }): Promise<NumberBlock | undefined> {
  checkBatch(input);
  const blocks = await reservedBlocks(input.batchKey);
  const rest = unbound(input.invoiceIds, blocks);
  if (rest.length === 0) return undefined;
  return reserveChunk(input.batchKey, blocks.length, numberingChunks(rest, input.maxIds)[0]!, input, (input.now ?? new Date()).toISOString());
}

async function reserveChunk(batchKey: string, chunk: number, invoiceIds: string[], dates: { issueDate: string; dueDate?: string }, now: string): Promise<NumberBlock | undefined> {
  await claimForNumbering(batchKey, invoiceIds, now);
  return reserveNumberBlock({ batchKey, chunk, invoiceIds, issueDate: dates.issueDate, dueDate: dates.dueDate, now });
}

/** Marks each invoice as claimed by the batch: a draft not claimed by another one, or already claimed by this one. */
async function claimForNumbering(batchKey: string, invoiceIds: string[], now: string): Promise<void> {
  const table = tableName();
  const groups: string[][] = [];
  for (let i = 0; i < invoiceIds.length; i += MAX_TRANSACTION_ITEMS) groups.push(invoiceIds.slice(i, i + MAX_TRANSACTION_ITEMS));
  const refused: string[] = [];
  await inParallel(groups, IN_FLIGHT, async (group) => {
    const items = group.map(
      (invoiceId): TransactItem => ({
        Update: {
          TableName: table,
          Key: keys.invoice(invoiceId),
          UpdateExpression: 'SET numberingKey = :batch, updatedAt = :now',
          ConditionExpression: '(attribute_exists(pk) AND attribute_not_exists(numberingKey) AND #status = :draft) OR numberingKey = :batch',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':batch': batchKey, ':draft': 'draft', ':now': now },
        },
      }),
    );
    for (let attempt = 0; ; attempt++) {
      try {
        await transact(items);
        return;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const failed = group.filter((_, i) => error.CancellationReasons?.[i]?.Code === 'ConditionalCheckFailed');
        if (failed.length) {
          refused.push(...failed);
          return;
        }
        if (attempt >= 5) throw error;
        await jitter(attempt);
      }
    }
  });
  if (refused.length) throw new NumberingRefusedError(refused);
}

interface Counter {
  next: number;
  lastIssueDate?: string;
}

/**
 * Reserves the next numbers of the issue date's year for the chunk, in one transaction with its block and its
 * reservation. Undefined when the chunk was reserved meanwhile (a concurrent attempt of the same batch).
 */
async function reserveNumberBlock(input: { batchKey: string; chunk: number; invoiceIds: string[]; issueDate: string; dueDate?: string; now: string }): Promise<NumberBlock | undefined> {
  const table = tableName();
  const year = numberingYear(input.issueDate);
  const readCounter = async (): Promise<Counter | undefined> => {
    const item = (await db().send(new GetCommand({ TableName: table, Key: keys.invoiceCounter(year), ConsistentRead: true }))).Item;
    return item ? { next: item.next as number, lastIssueDate: item.lastIssueDate as string | undefined } : undefined;
  };
  let counter = await readCounter();
  for (let attempt = 0; attempt < MAX_RESERVE_ATTEMPTS; attempt++) {
    if (counter?.lastIssueDate !== undefined && counter.lastIssueDate > input.issueDate) {
      throw new ConflictError(`Des factures ont déjà été émises le ${counter.lastIssueDate} : la numérotation suit l'ordre chronologique.`);
    }
    const first = counter?.next ?? 1;
    if (first + input.invoiceIds.length - 1 > MAX_SEQUENCE) throw new NumberingInvariantError(`The ${year} sequence is full`);
    const block: NumberBlock = { year, first, count: input.invoiceIds.length, invoiceIds: input.invoiceIds, batchKey: input.batchKey, chunk: input.chunk, issueDate: input.issueDate, ...(input.dueDate ? { dueDate: input.dueDate } : {}), reservedAt: input.now };
    try {
      await transact([
        {
          Update: {
            TableName: table,
            Key: keys.invoiceCounter(year),
            UpdateExpression: 'SET #type = :type, #next = :after, lastIssueDate = :date',
            ConditionExpression: `${counter ? '#next = :first' : 'attribute_not_exists(pk)'} AND (attribute_not_exists(lastIssueDate) OR lastIssueDate <= :date)`,
            ExpressionAttributeNames: { '#type': 'type', '#next': 'next' },
            ExpressionAttributeValues: { ':type': 'invoice-counter', ':after': first + block.count, ':date': input.issueDate, ...(counter ? { ':first': first } : {}) },
            // The counter another validation left: the next attempt starts from it without reading it again.
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
        { Put: { TableName: table, Item: { ...keys.numberBlock(year, first), type: 'number-block', ...block }, ConditionExpression: 'attribute_not_exists(pk)' } },
        {
          Put: {
            TableName: table,
            Item: { ...keys.numberReservation(input.batchKey, input.chunk), type: 'number-reservation', batchKey: input.batchKey, chunk: input.chunk, year, first },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ]);
      return block;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const [onCounter, , onReservation] = error.CancellationReasons ?? [];
      if (onReservation?.Code === 'ConditionalCheckFailed') return undefined;
      // Errors are not unmarshalled by the document client: the item comes as attribute values.
      const seen = onCounter?.Code === 'ConditionalCheckFailed' ? (onCounter.Item as Record<string, { N?: string; S?: string }> | undefined) : undefined;
      await jitter(attempt);
      counter = seen?.next?.N ? { next: Number(seen.next.N), lastIssueDate: seen.lastIssueDate?.S } : await readCounter();
    }
  }
  throw new Error(`Invoice counter ${year}: no reservation after ${MAX_RESERVE_ATTEMPTS} attempts`);
}

/**
 * Gives the block's numbers to its invoices (status issued, number, dates, history), those already numbered left as
 * they are: replaying a block changes nothing. Every invoice of a block was claimed by its batch before the block
 * existed, so none can have gone elsewhere; if one has, NumberingInvariantError, and nothing of that group is written.
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
  const event: InvoiceEvent = { at: now, event: 'issued', detail: number };
  const issued: InvoiceRecord = {
    ...invoice,
    status: 'issued',
    number,
    issueDate: block.issueDate,
    ...(block.dueDate && invoice.kind === 'invoice' ? { dueDate: block.dueDate } : {}),
    history: [...invoice.history, event],
    updatedAt: now,
  };
  return {
    Put: {
      TableName: table,
      Item: invoiceItem(issued),
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
