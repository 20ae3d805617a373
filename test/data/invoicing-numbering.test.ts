import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { useFreshAppTable } from '../support/dynamodb.js';
import { draftFor, individual } from '../support/invoicing.js';
import { draftMonthInvoices, getInvoice, getInvoices, holdInvoice, releaseInvoice } from '../../shared/data/invoicing/invoices.js';
import { NumberingRefusedError, checkNumberContinuity, issueNumbers, listInvoicesIssuedIn, readNumberBlocks } from '../../shared/data/invoicing/numbering.js';
import { cancelInvoice } from '../../shared/data/invoicing/credit-notes.js';
import { ConflictError } from '../../shared/domain/errors.js';
import { formatInvoiceNumber } from '../../shared/domain/invoicing/numbers.js';
import type { NumberBlock } from '../../shared/domain/invoicing/records.js';
import { keys } from '../../shared/keys.js';

let doc: DynamoDBDocumentClient;
let table: string;

beforeAll(async () => {
  ({ doc, tableName: table } = await useFreshAppTable());
});

const staff = { id: 'staff-camille', name: 'Camille' };

/** An activity with `count` customers and the month's drafts, one per customer: their invoice ids. */
async function draftedActivity(count: number, month = '2031-01'): Promise<string[]> {
  const activityId = `pa-${randomUUID()}`;
  const customers = Array.from({ length: count }, () => ({ activityId, customerId: `c-${randomUUID()}`, ...individual() }));
  const outcome = await draftMonthInvoices({ activityId, month, drafts: customers.map((customer) => draftFor(customer)) });
  return outcome.invoices.map((i) => i.invoiceId);
}

const counterNext = async (year: string) => (await doc.send(new GetCommand({ TableName: table, Key: keys.invoiceCounter(year), ConsistentRead: true }))).Item?.next as number | undefined;

describe('numbers at validation: one continuous sequence per year, no gap, no duplicate', () => {
  it('gives 20 concurrent validations of 25 invoices each the numbers 1 to 500', async () => {
    const batches = await Promise.all(Array.from({ length: 20 }, () => draftedActivity(25)));
    await Promise.all(batches.map((ids, i) => issueNumbers({ batchKey: `validation-2031-01-${i}`, invoiceIds: ids, issueDate: '2031-02-01', dueDate: '2031-03-03' })));

    const report = await checkNumberContinuity('2031', { invoices: true });
    expect(report).toEqual({ year: '2031', blocks: 20, numbers: 500, problems: [] });
    const invoices = await getInvoices(batches.flat());
    expect(invoices.every((i) => i.status === 'issued' && i.issueDate === '2031-02-01' && i.dueDate === '2031-03-03')).toBe(true);
    const numbers = invoices.map((i) => i.number!).sort();
    expect(numbers).toEqual(Array.from({ length: 500 }, (_, i) => formatInvoiceNumber('2031', i + 1)));
    // Within a validation, the numbers follow the order given.
    for (const ids of batches) {
      const own = ids.map((id) => invoices.find((i) => i.invoiceId === id)!.number!);
      expect([...own].sort()).toEqual(own);
    }
    expect(await counterNext('2031')).toBe(501);
    // 20 contenders for one counter: each failed attempt is a transaction with its 25 invoices' conditions (decision
    // 37), slow on a busy DynamoDB Local (77 s seen at a load average of 29).
  }, 150_000);

  it('numbers each chunk in one transaction: a validation that dies after a chunk leaves it whole, and its retry goes on after it', async () => {
    const crashed = await draftedActivity(12);
    const other = await draftedActivity(5);
    // The process died after its first chunk (a step killed mid-way): those numbers are given, the rest still drafts.
    const first = await issueNumbers({ batchKey: 'crashed-batch', invoiceIds: crashed, issueDate: '2032-02-01', dueDate: '2032-03-03', maxIds: 5, maxChunks: 1 });
    expect(first).toMatchObject({ remaining: 7, blocks: [expect.objectContaining({ first: 1, count: 5, applied: true })] });
    const atCrash = await getInvoices(crashed);
    expect(atCrash.filter((i) => i.status === 'issued').map((i) => i.invoiceId).sort()).toEqual(crashed.slice(0, 5).sort());
    expect(atCrash.filter((i) => i.status === 'draft').every((i) => i.numberingKey === undefined && i.number === undefined)).toBe(true);
    expect(await checkNumberContinuity('2032', { invoices: true })).toEqual({ year: '2032', blocks: 1, numbers: 5, problems: [] });
    // Numbered, an invoice belongs to no other batch; a draft not numbered yet may still be held.
    await expect(issueNumbers({ batchKey: 'thief', invoiceIds: [crashed[1]!], issueDate: '2032-02-01' })).rejects.toBeInstanceOf(NumberingRefusedError);
    await expect(holdInvoice({ invoiceId: crashed[0]!, reason: 'Vérifier', by: staff })).rejects.toBeInstanceOf(ConflictError);

    await issueNumbers({ batchKey: 'other-batch', invoiceIds: other, issueDate: '2032-02-01', dueDate: '2032-03-03' });
    const retry = await issueNumbers({ batchKey: 'crashed-batch', invoiceIds: crashed, issueDate: '2032-02-01', dueDate: '2032-03-03', maxIds: 5 });
    expect(retry).toMatchObject({ remaining: 0 });
    expect(retry.blocks.map((b) => [b.chunk, b.first, b.count])).toEqual([[0, 1, 5], [1, 11, 5], [2, 16, 2]]);
    // A second retry changes nothing.
    await issueNumbers({ batchKey: 'crashed-batch', invoiceIds: crashed, issueDate: '2032-02-01', dueDate: '2032-03-03' });

    expect(await checkNumberContinuity('2032', { invoices: true })).toEqual({ year: '2032', blocks: 4, numbers: 17, problems: [] });
    const numbered = await getInvoices(crashed);
    expect(numbered.every((i) => i.status === 'issued' && i.numberingKey === 'crashed-batch' && i.dueDate === '2032-03-03')).toBe(true);
    expect(numbered.every((i) => i.history.filter((e) => e.event === 'issued').length === 1)).toBe(true);
  });

  it('never numbers part of a chunk: an invoice held while its chunk is numbered is either numbered with it or leaves the whole chunk unnumbered', async () => {
    for (let round = 0; round < 4; round++) {
      const year = String(2050 + round);
      const ids = await draftedActivity(40);
      const target = ids[20 + round]!;
      const [numbering, holding] = await Promise.allSettled([
        issueNumbers({ batchKey: `race-${round}`, invoiceIds: ids, issueDate: `${year}-02-01`, maxIds: 10 }),
        (async () => {
          await new Promise((r) => setTimeout(r, round * 15));
          return holdInvoice({ invoiceId: target, reason: 'Vérifier', by: staff });
        })(),
      ]);
      // Exactly one of them won the invoice.
      expect((numbering.status === 'fulfilled' ? 1 : 0) + (holding.status === 'fulfilled' ? 1 : 0), `round ${round}`).toBe(1);
      const invoices = await getInvoices(ids);
      const report = await checkNumberContinuity(year, { invoices: true });
      expect(report.problems, `round ${round}`).toEqual([]);
      if (numbering.status === 'fulfilled') {
        expect(invoices.every((i) => i.status === 'issued')).toBe(true);
        expect(report.numbers).toBe(40);
      } else {
        expect(numbering.reason).toBeInstanceOf(NumberingRefusedError);
        expect((await getInvoice(target))!.status).toBe('held');
        // What was numbered is exactly the blocks: no invoice carries a number the counter does not account for.
        expect(invoices.filter((i) => i.status === 'issued')).toHaveLength(report.numbers);
        expect(invoices.filter((i) => i.status === 'draft').every((i) => i.numberingKey === undefined)).toBe(true);
      }
    }
  }, 60_000);

  it('gives two concurrent attempts of the same batch each chunk once', async () => {
    const ids = await draftedActivity(20);
    const attempts = await Promise.all([0, 1, 2].map(() => issueNumbers({ batchKey: 'twice-at-once', invoiceIds: ids, issueDate: '2040-02-01', maxIds: 3 })));
    for (const outcome of attempts) expect(outcome.remaining).toBe(0);
    const blocks = await readNumberBlocks('2040');
    expect(blocks.map((b) => b.chunk)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(blocks.flatMap((b) => b.invoiceIds)).toEqual(ids);
    expect(await checkNumberContinuity('2040', { invoices: true })).toEqual({ year: '2040', blocks: 7, numbers: 20, problems: [] });
    expect((await getInvoices(ids)).every((i) => i.history.filter((e) => e.event === 'issued').length === 1)).toBe(true);
  });

  it('finishes a block reserved before decision 37 and never applied: its claimed invoices get its numbers, none taken by another batch', async () => {
    const claimed = await draftedActivity(4);
    const rest = await draftedActivity(2);
    const now = new Date().toISOString();
    // What the earlier code left when it died between reservation and application: the invoices claimed by the
    // batch, the counter raised, the block (without `applied`) and the chunk's reservation.
    for (const id of claimed) {
      await doc.send(new UpdateCommand({ TableName: table, Key: keys.invoice(id), UpdateExpression: 'SET numberingKey = :batch, updatedAt = :now', ExpressionAttributeValues: { ':batch': 'legacy-batch', ':now': now } }));
    }
    const block: NumberBlock = { year: '2041', first: 1, count: 4, invoiceIds: claimed, batchKey: 'legacy-batch', chunk: 0, issueDate: '2041-02-01', dueDate: '2041-03-03', reservedAt: now };
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: table, Item: { ...keys.invoiceCounter('2041'), type: 'invoice-counter', next: 5, lastIssueDate: '2041-02-01' } } },
          { Put: { TableName: table, Item: { ...keys.numberBlock('2041', 1), type: 'number-block', ...block } } },
          { Put: { TableName: table, Item: { ...keys.numberReservation('legacy-batch', 0), type: 'number-reservation', batchKey: 'legacy-batch', chunk: 0, year: '2041', first: 1 } } },
        ],
      }),
    );
    expect((await checkNumberContinuity('2041', { invoices: true })).problems).toHaveLength(4);
    await expect(issueNumbers({ batchKey: 'thief', invoiceIds: [claimed[1]!], issueDate: '2041-02-01' })).rejects.toBeInstanceOf(NumberingRefusedError);
    await expect(holdInvoice({ invoiceId: claimed[2]!, reason: 'Vérifier', by: staff })).rejects.toBeInstanceOf(ConflictError);

    const retry = await issueNumbers({ batchKey: 'legacy-batch', invoiceIds: [...claimed, ...rest], issueDate: '2041-02-01', dueDate: '2041-03-03' });
    expect(retry.blocks.map((b) => [b.chunk, b.first, b.count, b.applied ?? false])).toEqual([[0, 1, 4, false], [1, 5, 2, true]]);
    expect(await checkNumberContinuity('2041', { invoices: true })).toEqual({ year: '2041', blocks: 2, numbers: 6, problems: [] });
    expect((await getInvoices(claimed)).map((i) => i.number).sort()).toEqual(['2041-000001', '2041-000002', '2041-000003', '2041-000004']);
  });

  it('sees a broken sequence: a counter ahead of its blocks, an invoice without the number its block gave', async () => {
    const ids = await draftedActivity(3);
    await issueNumbers({ batchKey: 'checked', invoiceIds: ids, issueDate: '2042-02-01' });
    expect((await checkNumberContinuity('2042', { invoices: true })).problems).toEqual([]);
    await doc.send(new UpdateCommand({ TableName: table, Key: keys.invoiceCounter('2042'), UpdateExpression: 'SET #next = :n', ExpressionAttributeNames: { '#next': 'next' }, ExpressionAttributeValues: { ':n': 5 } }));
    await doc.send(new UpdateCommand({ TableName: table, Key: keys.invoice(ids[1]!), UpdateExpression: 'REMOVE #number', ExpressionAttributeNames: { '#number': 'number' } }));
    const report = await checkNumberContinuity('2042', { invoices: true });
    expect(report.problems).toEqual(['counter at 5 where 4 was expected', `invoice ${ids[1]}: number none, 2042-000002 expected`]);
  });

  it('numbers a batch chunk by chunk, resumable: each call goes on where the last stopped', async () => {
    const ids = await draftedActivity(7);
    expect(await issueNumbers({ batchKey: 'resumable', invoiceIds: ids, issueDate: '2033-02-01', maxIds: 3, maxChunks: 1 })).toMatchObject({ remaining: 4 });
    expect(await issueNumbers({ batchKey: 'resumable', invoiceIds: ids, issueDate: '2033-02-01', maxIds: 3, maxChunks: 1 })).toMatchObject({ remaining: 1 });
    const done = await issueNumbers({ batchKey: 'resumable', invoiceIds: ids, issueDate: '2033-02-01', maxIds: 3 });
    expect(done.remaining).toBe(0);
    expect(done.blocks.map((b) => [b.chunk, b.first, b.count])).toEqual([[0, 1, 3], [1, 4, 3], [2, 7, 1]]);
    expect((await readNumberBlocks('2033')).map((b) => b.first)).toEqual([1, 4, 7]);
    expect((await checkNumberContinuity('2033', { invoices: true })).problems).toEqual([]);
  });

  it('refuses a held invoice and takes no number for its chunk; released, it is numbered next', async () => {
    const ids = await draftedActivity(3);
    await holdInvoice({ invoiceId: ids[1]!, reason: 'Le client conteste la quantité.', by: staff });
    const refused = issueNumbers({ batchKey: 'with-held', invoiceIds: ids, issueDate: '2034-02-01' });
    await expect(refused).rejects.toBeInstanceOf(NumberingRefusedError);
    await expect(refused).rejects.toMatchObject({ statusCode: 409, invoiceIds: [ids[1]] });
    await expect(issueNumbers({ batchKey: 'twice', invoiceIds: [ids[0]!, ids[0]!], issueDate: '2034-02-01' })).rejects.toThrow('appears twice');
    expect(await counterNext('2034')).toBeUndefined();

    await issueNumbers({ batchKey: 'without-held', invoiceIds: [ids[0]!, ids[2]!], issueDate: '2034-02-01' });
    await releaseInvoice({ invoiceId: ids[1]!, by: staff });
    await issueNumbers({ batchKey: `release-${ids[1]}`, invoiceIds: [ids[1]!], issueDate: '2034-02-02' });
    expect((await getInvoice(ids[1]!))!.number).toBe('2034-000003');
    expect((await checkNumberContinuity('2034', { invoices: true })).problems).toEqual([]);
  });

  it('keeps the sequence chronological: no issue date before one already numbered', async () => {
    const [late, early] = [await draftedActivity(1), await draftedActivity(1)];
    await issueNumbers({ batchKey: 'late', invoiceIds: late, issueDate: '2035-03-01' });
    await expect(issueNumbers({ batchKey: 'early', invoiceIds: early, issueDate: '2035-02-01' })).rejects.toBeInstanceOf(ConflictError);
    expect(await counterNext('2035')).toBe(2);
  });
});

describe('a credit note cancels an issued invoice, once, with the next number', () => {
  it('takes the next number of the sequence and refers to the invoice; a second cancel is a 409', async () => {
    const ids = await draftedActivity(2);
    await issueNumbers({ batchKey: 'cn-year', invoiceIds: ids, issueDate: '2036-02-01', dueDate: '2036-03-03' });
    const { invoice, creditNote } = await cancelInvoice({ invoiceId: ids[0]!, issueDate: '2036-02-10', reason: 'Erreur de client', by: staff });
    expect(invoice).toMatchObject({ status: 'cancelled', cancelledBy: `cn-${ids[0]}`, number: '2036-000001' });
    expect(creditNote).toMatchObject({
      invoiceId: `cn-${ids[0]}`,
      kind: 'credit-note',
      status: 'issued',
      number: '2036-000003',
      issueDate: '2036-02-10',
      month: '2036-02',
      cancels: { invoiceId: ids[0], number: '2036-000001', issueDate: '2036-02-01' },
      totals: (await getInvoice(ids[0]!))!.totals,
    });
    expect(creditNote.dueDate).toBeUndefined();

    const again = cancelInvoice({ invoiceId: ids[0]!, issueDate: '2036-02-11', reason: 'Encore', by: staff });
    await expect(again).rejects.toBeInstanceOf(ConflictError);
    await expect(again).rejects.toThrow("déjà annulée par l'avoir 2036-000003");
    await expect(cancelInvoice({ invoiceId: creditNote.invoiceId, issueDate: '2036-02-11', reason: 'Non', by: staff })).rejects.toBeInstanceOf(ConflictError);
    expect(await checkNumberContinuity('2036', { invoices: true })).toEqual({ year: '2036', blocks: 2, numbers: 3, problems: [] });
  });

  it('refuses to cancel a draft, which has no number to cancel', async () => {
    const [id] = await draftedActivity(1);
    await expect(cancelInvoice({ invoiceId: id!, issueDate: '2037-02-10', reason: 'Erreur', by: staff })).rejects.toBeInstanceOf(ConflictError);
    expect(await getInvoice(`cn-${id}`)).toBeUndefined();
  });
});

describe('the pieces issued in a month, read from the numbering', () => {
  it('lists the invoices and credit notes dated in the month, every chunk of a batch, none reserved but not applied', async () => {
    const january = await draftedActivity(2, '2038-01');
    await issueNumbers({ batchKey: 'issued-2038-01', invoiceIds: january, issueDate: '2038-01-31', dueDate: '2038-03-02' });
    // February's run, numbered in three chunks (three blocks of the same date), issued on 1 March.
    const february = await draftedActivity(5, '2038-02');
    await issueNumbers({ batchKey: 'issued-2038-02', invoiceIds: february, issueDate: '2038-03-01', dueDate: '2038-03-31', maxIds: 2 });
    const { creditNote } = await cancelInvoice({ invoiceId: january[0]!, issueDate: '2038-03-15', reason: 'Erreur de client', by: staff });
    // A block of before decision 37 reserved but never applied: its numbers are bound, the invoices not numbered.
    const crashed = await draftedActivity(2, '2038-03');
    const now = new Date().toISOString();
    const block: NumberBlock = { year: '2038', first: 9, count: 2, invoiceIds: crashed, batchKey: 'issued-crashed', chunk: 0, issueDate: '2038-03-31', reservedAt: now };
    await doc.send(new PutCommand({ TableName: table, Item: { ...keys.numberBlock('2038', 9), type: 'number-block', ...block } }));
    // The same month of another year.
    const other = await draftedActivity(1, '2039-02');
    await issueNumbers({ batchKey: 'issued-2039-03', invoiceIds: other, issueDate: '2039-03-01' });

    const march = await listInvoicesIssuedIn('2038-03');
    expect(march.map((i) => i.number)).toEqual(['2038-000003', '2038-000004', '2038-000005', '2038-000006', '2038-000007', '2038-000008']);
    expect(march.map((i) => i.invoiceId)).toEqual([...february, creditNote.invoiceId]);
    expect(march.at(-1)).toMatchObject({ kind: 'credit-note', issueDate: '2038-03-15' });
    expect((await listInvoicesIssuedIn('2038-01')).map((i) => i.invoiceId)).toEqual(january);
    expect(await listInvoicesIssuedIn('2038-02')).toEqual([]);
  });
});
