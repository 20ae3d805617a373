import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { useMessagingAndDocuments } from '../support/messaging.js';
import { individual, line, seedActiveActivity } from '../support/invoicing.js';
import { createCustomer } from '../../shared/data/invoicing/customers.js';
import { byKeyOrder, createDeclaration, listBatchDeclarations, listDeclarations, updateDeclaration } from '../../shared/data/invoicing/declarations.js';
import { getInvoice, holdInvoice, listActivityInvoices } from '../../shared/data/invoicing/invoices.js';
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
