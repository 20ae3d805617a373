import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { countItemsOfType, useFreshAppTable } from '../support/dynamodb.js';
import { business, draftFor, individual, issueOneInvoice, line, seedActivity } from '../support/invoicing.js';
import { createCustomer, getCustomer, listCustomers, requireCustomer, updateCustomer } from '../../shared/data/invoicing/customers.js';
import { createDeclaration, deleteDeclaration, getMonthLock, listDeclarations, updateDeclaration } from '../../shared/data/invoicing/declarations.js';
import {
  draftManyMonthInvoices,
  draftMonthInvoices,
  getInvoice,
  readMonthLocks,
  holdInvoice,
  listActivityInvoices,
  listMonthInvoices,
  listMonthInvoiceSummaries,
  listUnpaidInvoices,
  recordChaseStage,
  releaseInvoice,
  reopenMonth,
} from '../../shared/data/invoicing/invoices.js';
import { issueNumbers } from '../../shared/data/invoicing/numbering.js';
import { listPayments, recordPayment } from '../../shared/data/invoicing/payments.js';
import { ConflictError, InvalidInputError, NotFoundError, UnprocessableError } from '../../shared/domain/errors.js';
import type { CustomerRecord, DeclarationRecord } from '../../shared/domain/invoicing/records.js';

let doc: DynamoDBDocumentClient;
let table: string;

beforeAll(async () => {
  ({ doc, tableName: table } = await useFreshAppTable());
});

const staff = { id: 'staff-camille', name: 'Camille' };
const member = { referralId: 'r-lea', name: 'Léa' };

async function customerOf(activityId: string, fields = individual()): Promise<CustomerRecord> {
  return (await createCustomer({ activityId, customerId: `c-${randomUUID()}`, fields })).customer;
}

const declare = (activityId: string, customerId: string, serviceDate = '2030-01-15', lines = [line()]) =>
  createDeclaration({ activityId, declarationId: `d-${randomUUID()}`, fields: { customerId, serviceDate, lines }, declaredBy: member });

/** Drafts an activity's month from its declarations, one invoice per customer. */
async function draftFromDeclarations(activityId: string, month: string) {
  const declarations = await listDeclarations(activityId, month);
  const byCustomer = new Map<string, DeclarationRecord[]>();
  for (const d of declarations) byCustomer.set(d.customerId, [...(byCustomer.get(d.customerId) ?? []), d]);
  const drafts = await Promise.all([...byCustomer].map(async ([customerId, own]) => draftFor(await requireCustomer(activityId, customerId), own.flatMap((d) => d.lines), own[0]!.declarationId)));
  return draftMonthInvoices({ activityId, month, drafts });
}

describe('customers belong to one activity and are reused month to month', () => {
  it('creates a customer once per id, updates it on the version read, and lists them', async () => {
    const activityId = await seedActivity(doc, table);
    const first = await createCustomer({ activityId, customerId: 'c-dupont', fields: business() });
    expect(first).toMatchObject({ created: true, customer: { activityId, customerId: 'c-dupont', kind: 'business', siren: '732829320', version: 1 } });
    const again = await createCustomer({ activityId, customerId: 'c-dupont', fields: individual('Autre') });
    expect(again).toEqual({ created: false, customer: first.customer });

    const updated = await updateCustomer({ activityId, customerId: 'c-dupont', expectedVersion: 1, fields: { ...individual('Jeanne Dupont') } });
    expect(updated).toMatchObject({ kind: 'individual', name: 'Jeanne Dupont', version: 2 });
    expect(updated.siren).toBeUndefined();
    await expect(updateCustomer({ activityId, customerId: 'c-dupont', expectedVersion: 1, fields: business() })).rejects.toBeInstanceOf(ConflictError);
    expect(await listCustomers(activityId)).toEqual([updated]);
  });

  it("does not find another activity's customer, nor creates one for an unknown activity", async () => {
    const [mine, theirs] = [await seedActivity(doc, table), await seedActivity(doc, table)];
    const customer = await customerOf(theirs);
    expect(await getCustomer(mine, customer.customerId)).toBeUndefined();
    await expect(requireCustomer(mine, customer.customerId)).rejects.toBeInstanceOf(NotFoundError);
    await expect(updateCustomer({ activityId: mine, customerId: customer.customerId, expectedVersion: 1, fields: individual() })).rejects.toBeInstanceOf(NotFoundError);
    await expect(declare(mine, customer.customerId)).rejects.toBeInstanceOf(NotFoundError);
    expect(await listDeclarations(mine, '2030-01')).toEqual([]);
    await expect(createCustomer({ activityId: 'pa-unknown', customerId: 'c-1', fields: individual() })).rejects.toBeInstanceOf(NotFoundError);
    expect(await listCustomers('pa-unknown')).toEqual([]);
  });
});

describe('declarations can be corrected until their month is invoiced', () => {
  it('creates, corrects and deletes a declaration of an open month, on the version read', async () => {
    const activityId = await seedActivity(doc, table);
    const customer = await customerOf(activityId);
    const { declaration, created } = await declare(activityId, customer.customerId, '2030-01-20');
    expect(created).toBe(true);
    expect(declaration).toMatchObject({ month: '2030-01', status: 'open', version: 1, declaredBy: member });
    const corrected = await updateDeclaration({ activityId, month: '2030-01', declarationId: declaration.declarationId, expectedVersion: 1, fields: { customerId: customer.customerId, serviceDate: '2030-01-21', lines: [line({ quantityHundredths: 150 })] } });
    expect(corrected).toMatchObject({ serviceDate: '2030-01-21', version: 2, lines: [expect.objectContaining({ quantityHundredths: 150 })] });
    await expect(deleteDeclaration({ activityId, month: '2030-01', declarationId: declaration.declarationId, expectedVersion: 1 })).rejects.toBeInstanceOf(ConflictError);
    await expect(updateDeclaration({ activityId, month: '2030-01', declarationId: declaration.declarationId, expectedVersion: 2, fields: { customerId: customer.customerId, serviceDate: '2030-02-01', lines: [line()] } })).rejects.toBeInstanceOf(InvalidInputError);
    await deleteDeclaration({ activityId, month: '2030-01', declarationId: declaration.declarationId, expectedVersion: 2 });
    expect(await listDeclarations(activityId, '2030-01')).toEqual([]);
  });

  it('refuses bad amounts and unknown VAT rates, and writes nothing', async () => {
    const activityId = await seedActivity(doc, table);
    const customer = await customerOf(activityId);
    for (const bad of [line({ unitPriceCents: -100 }), line({ unitPriceCents: 12.5 }), line({ quantityHundredths: 0 }), line({ quantityHundredths: 1.5 }), line({ vatRateBps: 1900 })]) {
      await expect(declare(activityId, customer.customerId, '2030-01-15', [bad])).rejects.toBeInstanceOf(InvalidInputError);
    }
    await expect(declare(activityId, customer.customerId, '2030-02-30')).rejects.toBeInstanceOf(InvalidInputError);
    expect(await listDeclarations(activityId, '2030-01')).toEqual([]);
  });

  it('refuses any change once drafting locked the month, and lets them in again after a reopening, except for what is issued', async () => {
    const activityId = await seedActivity(doc, table);
    const [jeanne, paul] = [await customerOf(activityId), await customerOf(activityId, individual('Paul Leroy'))];
    const { declaration } = await declare(activityId, jeanne.customerId);
    await declare(activityId, paul.customerId);
    const drafted = await draftFromDeclarations(activityId, '2030-01');
    expect(drafted.invoices).toHaveLength(2);
    expect(await getMonthLock(activityId, '2030-01')).toMatchObject({ status: 'drafted' });
    expect((await listDeclarations(activityId, '2030-01')).map((d) => d.status)).toEqual(['invoiced', 'invoiced']);

    const locked = { activityId, month: '2030-01', declarationId: declaration.declarationId, expectedVersion: 1 };
    await expect(declare(activityId, jeanne.customerId, '2030-01-28')).rejects.toBeInstanceOf(ConflictError);
    await expect(updateDeclaration({ ...locked, fields: { customerId: jeanne.customerId, serviceDate: '2030-01-16', lines: [line()] } })).rejects.toBeInstanceOf(ConflictError);
    await expect(deleteDeclaration(locked)).rejects.toBeInstanceOf(ConflictError);
    expect(await listDeclarations(activityId, '2030-01')).toHaveLength(2);
    // Another month is not locked.
    expect((await declare(activityId, jeanne.customerId, '2030-02-03')).created).toBe(true);

    const jeanneInvoice = drafted.invoices.find((i) => i.customer.customerId === jeanne.customerId)!;
    await issueNumbers({ batchKey: `issue-${activityId}`, invoiceIds: [jeanneInvoice.invoiceId], issueDate: '2030-02-01', dueDate: '2030-03-03' });
    await reopenMonth({ activityId, month: '2030-01', reason: 'Quantités à corriger', by: staff });
    expect(await getMonthLock(activityId, '2030-01')).toMatchObject({ status: 'open' });
    const paulInvoice = drafted.invoices.find((i) => i.customer.customerId === paul.customerId)!;
    expect(await getInvoice(paulInvoice.invoiceId)).toMatchObject({ status: 'held', holdReason: 'Quantités à corriger' });
    // Paul's services can be corrected; Jeanne's are on an issued invoice.
    expect((await declare(activityId, paul.customerId, '2030-01-29')).created).toBe(true);
    await expect(deleteDeclaration(locked)).rejects.toBeInstanceOf(ConflictError);
    await expect(declare(activityId, jeanne.customerId, '2030-01-29')).rejects.toBeInstanceOf(ConflictError);

    const redrafted = await draftFromDeclarations(activityId, '2030-01');
    expect(redrafted.kept).toEqual([jeanneInvoice.invoiceId]);
    expect(redrafted.invoices.map((i) => [i.invoiceId, i.status, i.lines.length])).toEqual([[paulInvoice.invoiceId, 'draft', 2]]);
    expect(await getInvoice(jeanneInvoice.invoiceId)).toMatchObject({ status: 'issued', number: expect.stringMatching(/^2030-\d{6}$/) });
  });
});

describe('drafts of a month', () => {
  it('are drafted for many activities in shared transactions, each activity all or nothing, and a month drafted before is redrafted on its own', async () => {
    const month = '2029-07';
    const activities = await Promise.all(Array.from({ length: 4 }, () => seedActivity(doc, table)));
    const customers = await Promise.all(activities.map((activityId) => customerOf(activityId)));
    // The second activity's month was drafted before (an earlier attempt), and one of its drafts held since.
    const earlier = await draftMonthInvoices({ activityId: activities[1]!, month, drafts: [draftFor(customers[1]!)] });
    await holdInvoice({ invoiceId: earlier.invoices[0]!.invoiceId, reason: 'Prix à vérifier', by: staff });

    const inputs = async () => {
      const locks = await readMonthLocks(activities, month);
      return activities.map((activityId, i) => ({ activityId, month, lock: locks[i]!, drafts: i === 3 ? [] : [draftFor(customers[i]!, [line({ quantityHundredths: 200 })])] }));
    };
    const drafted = async () => (await draftManyMonthInvoices(await inputs())).map((result) => (result === 'changed' ? expect.fail('no month changed') : result));
    const outcomes = await drafted();
    expect(outcomes.map((o) => o.invoices.map((i) => i.invoiceId))).toEqual([
      [`inv-${activities[0]}-${month}-${customers[0]!.customerId}`],
      [`inv-${activities[1]}-${month}-${customers[1]!.customerId}`],
      [`inv-${activities[2]}-${month}-${customers[2]!.customerId}`],
      [],
    ]);
    for (const [i, activityId] of activities.entries()) {
      expect(await getMonthLock(activityId, month)).toMatchObject({ status: 'drafted' });
      expect((await listActivityInvoices(activityId, month)).map((invoice) => invoice.totals.grossCents)).toEqual(i === 3 ? [] : [3000]);
    }
    // Redrafted through the month drafted before: its hold kept, its history says so.
    expect((await getInvoice(earlier.invoices[0]!.invoiceId))!.history.map((e) => e.event)).toEqual(['drafted', 'held', 'redrafted']);
    expect((await getInvoice(outcomes[0]!.invoices[0]!.invoiceId))!.history.map((e) => e.event)).toEqual(['drafted']);

    // Again (a retried batch): every month is redrafted, nothing is written twice.
    const again = await drafted();
    expect(again.map((o) => o.invoices.length)).toEqual([1, 1, 1, 0]);
    expect((await getInvoice(outcomes[0]!.invoices[0]!.invoiceId))!.history.map((e) => e.event)).toEqual(['drafted', 'redrafted']);
    expect((await listMonthInvoices(month)).length).toBe(3);
  });

  it('are replaced by drafting again, keep a hold, lose customers without services, and are listed across the shards', async () => {
    const activityId = await seedActivity(doc, table);
    const [a, b] = [await customerOf(activityId), await customerOf(activityId)];
    const first = await draftMonthInvoices({ activityId, month: '2029-11', drafts: [draftFor(a), draftFor(b)] });
    const [invoiceA, invoiceB] = first.invoices;
    expect(invoiceA).toMatchObject({ invoiceId: `inv-${activityId}-2029-11-${a.customerId}`, status: 'draft', paidCents: 0, kind: 'invoice' });
    await holdInvoice({ invoiceId: invoiceA!.invoiceId, reason: 'Prix à vérifier', by: staff });

    const again = await draftMonthInvoices({ activityId, month: '2029-11', drafts: [draftFor(a, [line({ quantityHundredths: 300 })])] });
    expect(again.removed).toEqual([invoiceB!.invoiceId]);
    expect(await getInvoice(invoiceB!.invoiceId)).toBeUndefined();
    const kept = await getInvoice(invoiceA!.invoiceId);
    expect(kept).toMatchObject({ status: 'held', holdReason: 'Prix à vérifier', totals: { grossCents: 4500 } });
    expect(kept!.history.map((e) => e.event)).toEqual(['drafted', 'held', 'redrafted']);

    await releaseInvoice({ invoiceId: invoiceA!.invoiceId, by: staff });
    await expect(releaseInvoice({ invoiceId: invoiceA!.invoiceId, by: staff })).rejects.toBeInstanceOf(ConflictError);
    await expect(holdInvoice({ invoiceId: 'inv-unknown', reason: 'x', by: staff })).rejects.toBeInstanceOf(NotFoundError);
    expect((await listMonthInvoices('2029-11')).map((i) => i.invoiceId)).toEqual([invoiceA!.invoiceId]);
    expect(await listMonthInvoiceSummaries('2029-11')).toEqual([{ invoiceId: invoiceA!.invoiceId, kind: 'invoice', activityId, status: 'draft' }]);
    expect((await listActivityInvoices(activityId)).map((i) => i.status)).toEqual(['draft']);
  });
});

describe('payments', () => {
  const issuedInvoice = async (grossCents: number, dueDate = '2029-03-03') => (await issueOneInvoice(doc, table, { grossCents, dueDate })).invoiceId;
  const pay = (invoiceId: string, amountCents: number, paymentId = `p-${randomUUID()}`) => recordPayment({ invoiceId, paymentId, amountCents, date: '2029-02-10', means: 'virement', by: staff });

  it('refuses a payment above what is due, and writes nothing', async () => {
    const invoiceId = await issuedInvoice(10_000);
    await pay(invoiceId, 4_000);
    const before = await countItemsOfType(doc, table, 'invoice-payment');
    await expect(pay(invoiceId, 6_001)).rejects.toBeInstanceOf(UnprocessableError);
    await expect(pay(invoiceId, 0)).rejects.toBeInstanceOf(InvalidInputError);
    await expect(pay(invoiceId, 10.5)).rejects.toBeInstanceOf(InvalidInputError);
    expect(await countItemsOfType(doc, table, 'invoice-payment')).toBe(before);
    expect((await getInvoice(invoiceId))!.paidCents).toBe(4_000);
  });

  it('never lets concurrent payments exceed the total, and takes the paid invoice out of the unpaid list', async () => {
    const invoiceId = await issuedInvoice(10_000, '2029-03-04');
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => pay(invoiceId, 3_000)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    expect(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof UnprocessableError)).toBe(true);
    expect((await getInvoice(invoiceId))!.paidCents).toBe(9_000);
    expect((await listPayments(invoiceId)).reduce((s, p) => s + p.amountCents, 0)).toBe(9_000);

    expect((await listUnpaidInvoices({ dueOnOrBefore: '2029-03-04' })).map((i) => i.invoiceId)).toContain(invoiceId);
    expect((await listUnpaidInvoices({ dueOnOrBefore: '2029-03-03' })).map((i) => i.invoiceId)).not.toContain(invoiceId);
    const invoice = (await getInvoice(invoiceId))!;
    expect(await recordChaseStage({ invoice, stage: 'first-reminder' })).toBe(true);
    expect(await recordChaseStage({ invoice, stage: 'first-reminder' })).toBe(false);

    await pay(invoiceId, 1_000, 'p-last');
    expect((await listUnpaidInvoices({ dueOnOrBefore: '2029-12-31' })).map((i) => i.invoiceId)).not.toContain(invoiceId);
    expect(await recordChaseStage({ invoice, stage: 'second-reminder' })).toBe(false);
  });

  it('is idempotent by payment id: a replay returns the payment, another amount with the same id is a 409', async () => {
    const invoiceId = await issuedInvoice(5_000);
    const first = await pay(invoiceId, 2_000, 'p-key-1');
    expect(first.created).toBe(true);
    expect(await pay(invoiceId, 2_000, 'p-key-1')).toMatchObject({ created: false, payment: first.payment });
    await expect(pay(invoiceId, 2_500, 'p-key-1')).rejects.toBeInstanceOf(ConflictError);
    expect((await getInvoice(invoiceId))!.paidCents).toBe(2_000);
    await expect(pay('inv-unknown', 100)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses a payment dated before the month the invoice bills, and writes nothing', async () => {
    const invoiceId = await issuedInvoice(5_000);
    const before = await countItemsOfType(doc, table, 'invoice-payment');
    const early = recordPayment({ invoiceId, paymentId: `p-${randomUUID()}`, amountCents: 1_000, date: '2028-12-31', means: 'cheque', by: staff });
    await expect(early).rejects.toBeInstanceOf(InvalidInputError);
    await expect(early).rejects.toMatchObject({ errors: [{ field: 'date', message: expect.stringContaining('01/01/2029') }] });
    expect(await countItemsOfType(doc, table, 'invoice-payment')).toBe(before);
    // From the first day of the month billed (an advance for its services).
    expect((await recordPayment({ invoiceId, paymentId: `p-${randomUUID()}`, amountCents: 1_000, date: '2029-01-01', means: 'cheque', by: staff })).created).toBe(true);
    expect((await getInvoice(invoiceId))!.paidCents).toBe(1_000);
  });

  it('refuses a payment on a draft', async () => {
    const activityId = await seedActivity(doc, table);
    const { invoices } = await draftMonthInvoices({ activityId, month: '2029-01', drafts: [draftFor(await customerOf(activityId))] });
    await expect(pay(invoices[0]!.invoiceId, 100)).rejects.toBeInstanceOf(ConflictError);
  });
});
