import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { useFreshAppTable } from '../support/dynamodb.js';
import { draftFor, individual } from '../support/invoicing.js';
import { draftMonthInvoices, getInvoice, getInvoices, holdInvoice, releaseInvoice } from '../../shared/data/invoicing/invoices.js';
import { NumberingRefusedError, checkNumberContinuity, issueNumbers, listInvoicesIssuedIn, readNumberBlocks, reserveNextChunk } from '../../shared/data/invoicing/numbering.js';
import { cancelInvoice } from '../../shared/data/invoicing/credit-notes.js';
import { ConflictError } from '../../shared/domain/errors.js';
import { formatInvoiceNumber } from '../../shared/domain/invoicing/numbers.js';
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
    // 20 contenders for one counter: each failed attempt is a transaction, slow on a busy DynamoDB Local.
  }, 90_000);

  it('leaves no hole and no double number when a validation dies between reservation and application', async () => {
    const crashed = await draftedActivity(12);
    const other = await draftedActivity(5);
    const reserved = await reserveNextChunk({ batchKey: 'crashed-batch', invoiceIds: crashed, issueDate: '2032-02-01', dueDate: '2032-03-03' });
    expect(reserved).toMatchObject({ year: '2032', first: 1, count: 12 });
    // The process died here: the numbers are bound, the invoices not numbered yet.
    expect((await getInvoices(crashed)).every((i) => i.status === 'draft' && i.number === undefined && i.numberingKey === 'crashed-batch')).toBe(true);
    expect((await checkNumberContinuity('2032', { invoices: true })).problems).toHaveLength(12);
    // Claimed by the crashed batch: neither held nor numbered by another one meanwhile.
    await expect(holdInvoice({ invoiceId: crashed[0]!, reason: 'Vérifier', by: staff })).rejects.toBeInstanceOf(ConflictError);
    await expect(issueNumbers({ batchKey: 'thief', invoiceIds: [crashed[1]!], issueDate: '2032-02-01' })).rejects.toBeInstanceOf(NumberingRefusedError);

    await issueNumbers({ batchKey: 'other-batch', invoiceIds: other, issueDate: '2032-02-01', dueDate: '2032-03-03' });
    const retry = await issueNumbers({ batchKey: 'crashed-batch', invoiceIds: crashed, issueDate: '2032-02-01', dueDate: '2032-03-03' });
    expect(retry).toMatchObject({ remaining: 0, blocks: [expect.objectContaining({ first: 1, count: 12 })] });
    // A second retry changes nothing.
    await issueNumbers({ batchKey: 'crashed-batch', invoiceIds: crashed, issueDate: '2032-02-01', dueDate: '2032-03-03' });

    expect(await checkNumberContinuity('2032', { invoices: true })).toEqual({ year: '2032', blocks: 2, numbers: 17, problems: [] });
    expect((await getInvoices(crashed)).map((i) => i.number).sort()).toEqual(Array.from({ length: 12 }, (_, i) => formatInvoiceNumber('2032', i + 1)));
    expect((await getInvoice(crashed[0]!))!.history.filter((e) => e.event === 'issued')).toHaveLength(1);
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
    // A validation that died after its reservation: its numbers are bound, the invoices not numbered yet.
    const crashed = await draftedActivity(2, '2038-03');
    await reserveNextChunk({ batchKey: 'issued-crashed', invoiceIds: crashed, issueDate: '2038-03-31' });
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
