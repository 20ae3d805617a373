import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { useMessagingAndDocuments } from '../support/messaging.js';
import { individual, line, seedActiveActivity } from '../support/invoicing.js';
import { createCustomer, getCustomers } from '../../shared/data/invoicing/customers.js';
import { byKeyOrder, createDeclaration, deleteDeclaration, listBatchDeclarations, listDeclarations, updateDeclaration } from '../../shared/data/invoicing/declarations.js';
import { draftManyMonthInvoices, draftMonthInvoices, getInvoice, holdInvoice, listActivityInvoices, MonthChangedError, readMonthLocks, reopenMonth } from '../../shared/data/invoicing/invoices.js';
import { cooperativeFromEnv } from '../../shared/domain/activities.js';
import { monthDrafts } from '../../shared/domain/invoicing/run.js';
import { claimInvoicingRun } from '../../shared/data/invoicing-runs.js';
import { ConflictError } from '../../shared/domain/errors.js';
import { invoiceIdFor } from '../../shared/domain/invoicing/records.js';
import { draftBatch, finishDrafting, prepareRun, runListKey, type DraftTarget } from '../../shared/invoicing/run-steps.js';
import { readObject } from '../../shared/storage/objects.js';

/*
 * A drafting batch reads its activities' declarations with one query of the month's partition, over the range of their
 * ids (decision 36): each activity is drafted from its own declarations only, whatever else the range holds.
 */

const messaging = useMessagingAndDocuments();

async function activityWithDeclarations(activityId: string, month: string, quantities: number[]) {
  const { doc, table } = messaging();
  await seedActiveActivity(doc, table, { activityId });
  const customer = (await createCustomer({ activityId, customerId: `c-${randomUUID().slice(0, 8)}`, fields: individual() })).customer;
  const declarationIds: string[] = [];
  for (const [n, quantityHundredths] of quantities.entries()) {
    const declarationId = `d-${n}-${randomUUID().slice(0, 8)}`;
    await createDeclaration({ activityId, declarationId, fields: { customerId: customer.customerId, serviceDate: `${month}-1${n}`, lines: [line({ quantityHundredths })] }, declaredBy: { referralId: 'r-x', name: 'Léa' } });
    declarationIds.push(declarationId);
  }
  return { activityId, customerId: customer.customerId, declarationIds };
}

describe('a drafting batch', () => {
  it('drafts each activity from its own declarations: not those of an activity between them in key order, nor of one whose id extends its own', async () => {
    const month = '2034-05';
    const prefix = `pa-drafting-${randomUUID().slice(0, 8)}`;
    // In key order: -1, -10, -2. The batch is -1 and -2; -10 sits between them and its id extends -1's.
    const one = await activityWithDeclarations(`${prefix}-1`, month, [100, 200]);
    const ten = await activityWithDeclarations(`${prefix}-10`, month, [300, 400, 500]);
    const two = await activityWithDeclarations(`${prefix}-2`, month, [600]);

    expect((await listDeclarations(one.activityId, month)).map((d) => d.declarationId).sort()).toEqual([...one.declarationIds].sort());
    expect((await listBatchDeclarations([two.activityId, one.activityId], month)).map((list) => list.map((d) => d.declarationId).sort())).toEqual([[...two.declarationIds].sort(), [...one.declarationIds].sort()]);

    // A declaration corrected before the drafting is invoiced as corrected.
    await updateDeclaration({ activityId: one.activityId, month, declarationId: one.declarationIds[1]!, expectedVersion: 1, fields: { customerId: one.customerId, serviceDate: `${month}-11`, lines: [line({ quantityHundredths: 250 })] } });

    const batch: DraftTarget[] = [{ activityId: two.activityId }, { activityId: one.activityId }];
    expect(await draftBatch(month, batch)).toEqual({ activities: 2, invoices: 2 });
    const invoiceOf = async (a: { activityId: string; customerId: string }) => (await getInvoice(invoiceIdFor(a.activityId, month, a.customerId)))!;
    const [first, second] = [await invoiceOf(one), await invoiceOf(two)];
    expect([...first.declarationIds].sort()).toEqual([...one.declarationIds].sort());
    expect(first.lines.map((l) => l.quantityHundredths)).toEqual([100, 250]);
    expect(second.declarationIds).toEqual(two.declarationIds);
    expect(second.lines.map((l) => l.quantityHundredths)).toEqual([600]);
    // The activity between them is not drafted, nor its month locked: its members may still declare.
    expect(await listActivityInvoices(ten.activityId, month)).toEqual([]);
    await createDeclaration({ activityId: ten.activityId, declarationId: `d-late-${randomUUID().slice(0, 8)}`, fields: { customerId: ten.customerId, serviceDate: `${month}-20`, lines: [line()] }, declaredBy: { referralId: 'r-x', name: 'Léa' } });
    // The drafted ones are locked.
    await expect(
      createDeclaration({ activityId: one.activityId, declarationId: `d-late-${randomUUID().slice(0, 8)}`, fields: { customerId: one.customerId, serviceDate: `${month}-20`, lines: [line()] }, declaredBy: { referralId: 'r-x', name: 'Léa' } }),
    ).rejects.toBeInstanceOf(ConflictError);

    // A retried batch finds the same invoices.
    expect(await draftBatch(month, batch)).toEqual({ activities: 2, invoices: 2 });
    expect((await invoiceOf(one)).declarationIds).toEqual(first.declarationIds);
    expect((await invoiceOf(two)).declarationIds).toEqual(second.declarationIds);

    // Its own batch drafts the one between, with its four declarations.
    expect(await draftBatch(month, [ten.activityId])).toEqual({ activities: 1, invoices: 1 });
    expect((await invoiceOf(ten)).declarationIds).toHaveLength(4);

    // The count for the validation: the month's drafts, a held one included.
    await holdInvoice({ invoiceId: first.invoiceId, reason: 'Vérifier les heures', by: { id: 'staff', name: 'Camille' } });
    await claimInvoicingRun({ month, trigger: 'staff' });
    expect(await finishDrafting(month, [{ activities: 2, invoices: 2 }, { activities: 1, invoices: 1 }])).toEqual({ invoices: 3, failedActivities: 0 });
  });

  it("is a range of the run's list, which is in the order of DynamoDB's keys (not the locale's)", async () => {
    const { doc, table } = messaging();
    const month = '2034-06';
    // The locale puts 'a' before 'Z'; DynamoDB's keys (UTF-8 bytes) put 'Z' first.
    const upper = await seedActiveActivity(doc, table, { activityId: `pa-Z${randomUUID().slice(0, 8)}` });
    const lower = await seedActiveActivity(doc, table, { activityId: `pa-a${randomUUID().slice(0, 8)}` });
    await prepareRun(month, 'staff');
    const listed = JSON.parse(Buffer.from((await readObject(runListKey(month, 'activities')))!).toString('utf8')) as DraftTarget[];
    const ids = listed.map((t) => t.activityId);
    expect(ids).toEqual([...ids].sort(byKeyOrder));
    expect(ids.indexOf(upper)).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf(upper)).toBeLessThan(ids.indexOf(lower));
  });
});

describe('a declaration written while its month is being drafted', () => {
  const declaredBy = { referralId: 'r-x', name: 'Léa' };
  const invoiceOf = async (a: { activityId: string; customerId: string }, month: string) => getInvoice(invoiceIdFor(a.activityId, month, a.customerId));

  it("is invoiced as written, never accepted and left out: created, corrected or deleted between the batch's read and its lock", async () => {
    const month = '2034-07';
    const prefix = `pa-race-${randomUUID().slice(0, 8)}`;
    const created = await activityWithDeclarations(`${prefix}-1`, month, [100]);
    const corrected = await activityWithDeclarations(`${prefix}-2`, month, [200, 300]);
    const deleted = await activityWithDeclarations(`${prefix}-3`, month, [400, 500]);
    const untouched = await activityWithDeclarations(`${prefix}-4`, month, [600]);
    // No declaration (no month item at all) when the batch reads: its first one comes in between.
    const first = await activityWithDeclarations(`${prefix}-5`, month, []);
    const lateId = `d-late-${randomUUID().slice(0, 8)}`;
    const firstId = `d-first-${randomUUID().slice(0, 8)}`;
    let slipped = 0;
    const slipIn = async () => {
      if (slipped++ > 0) return;
      // Each write is accepted: its month is not locked yet.
      expect((await createDeclaration({ activityId: created.activityId, declarationId: lateId, fields: { customerId: created.customerId, serviceDate: `${month}-25`, lines: [line({ quantityHundredths: 700 })] }, declaredBy })).created).toBe(true);
      await updateDeclaration({ activityId: corrected.activityId, month, declarationId: corrected.declarationIds[1]!, expectedVersion: 1, fields: { customerId: corrected.customerId, serviceDate: `${month}-11`, lines: [line({ quantityHundredths: 350 })] } });
      await deleteDeclaration({ activityId: deleted.activityId, month, declarationId: deleted.declarationIds[0]!, expectedVersion: 1 });
      expect((await createDeclaration({ activityId: first.activityId, declarationId: firstId, fields: { customerId: first.customerId, serviceDate: `${month}-02`, lines: [line({ quantityHundredths: 800 })] }, declaredBy })).created).toBe(true);
    };

    const batch = [created, corrected, deleted, untouched, first].map((a) => a.activityId);
    expect(await draftBatch(month, batch, { afterRead: slipIn })).toEqual({ activities: 5, invoices: 5 });
    expect(slipped).toBeGreaterThan(1);
    const quantities = async (a: { activityId: string; customerId: string }) => (await invoiceOf(a, month))!.lines.map((l) => [l.declarationId, l.quantityHundredths]);
    expect(await quantities(created)).toEqual([
      [created.declarationIds[0], 100],
      [lateId, 700],
    ]);
    expect(await quantities(corrected)).toEqual([
      [corrected.declarationIds[0], 200],
      [corrected.declarationIds[1], 350],
    ]);
    expect(await quantities(deleted)).toEqual([[deleted.declarationIds[1], 500]]);
    expect(await quantities(untouched)).toEqual([[untouched.declarationIds[0], 600]]);
    expect(await quantities(first)).toEqual([[firstId, 800]]);
    // Every month is locked now, with what it invoiced.
    for (const a of [created, corrected, deleted, untouched, first]) expect((await listDeclarations(a.activityId, month)).every((d) => d.status === 'invoiced')).toBe(true);
  });

  it("makes the data layer's drafting refuse drafts made from an older read, and write nothing: the lock read first, the declarations, then the drafts", async () => {
    const month = '2034-10';
    const prefix = `pa-race-${randomUUID().slice(0, 8)}`;
    const [declared, silent, empty] = [await activityWithDeclarations(`${prefix}-1`, month, [100]), await activityWithDeclarations(`${prefix}-2`, month, [200]), await activityWithDeclarations(`${prefix}-3`, month, [])];
    const ids = [declared.activityId, silent.activityId, empty.activityId];
    // The two steps of a drafting batch, by hand: what it reads, then what it writes.
    const drafts = async () => {
      const locks = await readMonthLocks(ids, month);
      const declarations = await listBatchDeclarations(ids, month);
      const customers = await getCustomers(declarations.flat());
      return ids.map((activityId, i) => ({ activityId, month, lock: locks[i]!, drafts: monthDrafts(declarations[i]!, customers.filter((c) => c.activityId === activityId), cooperativeFromEnv().vatMode).drafts }));
    };
    const read = await drafts();
    expect(read.map((input) => input.lock.exists)).toEqual([true, true, false]);
    // Written after the read: one more service, and a first one where there was none (no month item when read).
    await createDeclaration({ activityId: declared.activityId, declarationId: `d-late-${randomUUID().slice(0, 8)}`, fields: { customerId: declared.customerId, serviceDate: `${month}-21`, lines: [line()] }, declaredBy });
    await createDeclaration({ activityId: empty.activityId, declarationId: `d-first-${randomUUID().slice(0, 8)}`, fields: { customerId: empty.customerId, serviceDate: `${month}-22`, lines: [line()] }, declaredBy });
    const results = await draftManyMonthInvoices(read);
    expect(results[0]).toBe('changed');
    expect(results[1]).toMatchObject({ invoices: [{ invoiceId: invoiceIdFor(silent.activityId, month, silent.customerId) }] });
    expect(results[2]).toBe('changed');
    // Nothing written for the changed ones: no invoice, the month open (its members may still declare).
    for (const a of [declared, empty]) {
      expect(await listActivityInvoices(a.activityId, month)).toEqual([]);
      expect((await listDeclarations(a.activityId, month)).map((d) => d.status)).toEqual(a === declared ? ['open', 'open'] : ['open']);
    }
    // A fresh read drafts them with everything; the one already drafted is redrafted the same.
    const again = await draftManyMonthInvoices(await drafts());
    expect(again.map((r) => (r === 'changed' ? r : r.invoices.map((i) => i.declarationIds.length)))).toEqual([[2], [1], [1]]);

    // A month drafted before (reopened here) takes the redrafting path: the same refusal.
    await reopenMonth({ activityId: declared.activityId, month, reason: 'Heures à corriger', by: { id: 'staff', name: 'Camille' } });
    const [stale] = await drafts();
    await createDeclaration({ activityId: declared.activityId, declarationId: `d-reopened-${randomUUID().slice(0, 8)}`, fields: { customerId: declared.customerId, serviceDate: `${month}-23`, lines: [line()] }, declaredBy });
    await expect(draftMonthInvoices(stale!)).rejects.toBeInstanceOf(MonthChangedError);
    expect((await listDeclarations(declared.activityId, month)).every((d) => d.status === 'open')).toBe(true);
    expect(await draftMonthInvoices((await drafts())[0]!)).toMatchObject({ invoices: [{ declarationIds: expect.arrayContaining([expect.stringMatching(/^d-reopened-/)]) }] });
  });

  it('is invoiced as corrected in a reopened month too, its hold lifted by the new round', async () => {
    const month = '2034-08';
    const a = await activityWithDeclarations(`pa-race-${randomUUID().slice(0, 8)}`, month, [100]);
    expect(await draftBatch(month, [a.activityId])).toEqual({ activities: 1, invoices: 1 });
    await reopenMonth({ activityId: a.activityId, month, reason: 'Heures à corriger', by: { id: 'staff', name: 'Camille' } });
    let slipped = 0;
    const correct = async () => {
      if (slipped++ > 0) return;
      await updateDeclaration({ activityId: a.activityId, month, declarationId: a.declarationIds[0]!, expectedVersion: 1, fields: { customerId: a.customerId, serviceDate: `${month}-10`, lines: [line({ quantityHundredths: 150 })] } });
    };
    expect(await draftBatch(month, [a.activityId], { afterRead: correct })).toEqual({ activities: 1, invoices: 1 });
    const invoice = (await invoiceOf(a, month))!;
    expect(invoice.lines.map((l) => l.quantityHundredths)).toEqual([150]);
    expect(invoice.status).toBe('draft');
    expect((await listDeclarations(a.activityId, month)).map((d) => [d.version, d.status])).toEqual([[2, 'invoiced']]);
  });

  it('that never stops changing fails the batch, and leaves the month open: nothing accepted is lost', async () => {
    const month = '2034-09';
    const a = await activityWithDeclarations(`pa-race-${randomUUID().slice(0, 8)}`, month, [100]);
    const written: string[] = [];
    const declareAgain = async () => {
      const declarationId = `d-again-${written.length}-${randomUUID().slice(0, 8)}`;
      await createDeclaration({ activityId: a.activityId, declarationId, fields: { customerId: a.customerId, serviceDate: `${month}-20`, lines: [line()] }, declaredBy });
      written.push(declarationId);
    };
    await expect(draftBatch(month, [a.activityId], { afterRead: declareAgain })).rejects.toBeInstanceOf(ConflictError);
    expect(await listActivityInvoices(a.activityId, month)).toEqual([]);
    expect((await listDeclarations(a.activityId, month)).map((d) => d.status)).toEqual(Array(1 + written.length).fill('open'));
    // The batch again, undisturbed: every declaration invoiced.
    expect(await draftBatch(month, [a.activityId])).toEqual({ activities: 1, invoices: 1 });
    expect([...(await invoiceOf(a, month))!.declarationIds].sort()).toEqual([...a.declarationIds, ...written].sort());
  });
});
