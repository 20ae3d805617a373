import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { useMessagingAndDocuments } from '../support/messaging.js';
import { launchReadyReferral } from '../support/activities.js';
import { individual, line, seedActiveActivity } from '../support/invoicing.js';
import { allActiveActivities, changeStatus, getActivity } from '../../shared/data/activities.js';
import { claimInvoicingRun } from '../../shared/data/invoicing-runs.js';
import { createCustomer } from '../../shared/data/invoicing/customers.js';
import { createDeclaration } from '../../shared/data/invoicing/declarations.js';
import { listActivityInvoices, listMonthInvoices } from '../../shared/data/invoicing/invoices.js';
import { getStatement } from '../../shared/data/invoicing/statements.js';
import { ConflictError } from '../../shared/domain/errors.js';
import type { CustomerFields } from '../../shared/domain/invoicing/records.js';
import { createDeclarationFromRequest } from '../../shared/invoicing/recording.js';
import {
  applyHolds,
  draftBatch,
  finishDrafting,
  finishRun,
  numberMonth,
  prepareRun,
  prepareSending,
  prepareStatements,
  runListKey,
  sendInvoices,
  statementsBatch,
  type DraftTarget,
} from '../../shared/invoicing/run-steps.js';
import { keys } from '../../shared/keys.js';
import { readObject } from '../../shared/storage/objects.js';

/*
 * Pausing or closing an activity mid-month (decision 32): what its members declared before is invoiced by that month's
 * run, with the month's statement, and the activity then leaves the invoicing's index; the next month's run does not
 * list it again, and nothing is invoiced twice. Step by step on DynamoDB Local, the local S3 and SES, as
 * test/data/invoicing-run.test.ts runs a month.
 */

const messaging = useMessagingAndDocuments();
const staff = { kind: 'staff' as const, id: 'staff-camille', name: 'Camille Martin' };

async function customer(activityId: string, fields: CustomerFields) {
  return (await createCustomer({ activityId, customerId: `c-${randomUUID().slice(0, 8)}`, fields: { ...fields, email: `client.${randomUUID()}@example.org` } })).customer;
}
const declare = async (activityId: string, customerId: string, serviceDate: string) =>
  (await createDeclaration({ activityId, declarationId: `d-${randomUUID()}`, fields: { customerId, serviceDate, lines: [line()] }, declaredBy: { referralId: 'r-x', name: 'Léa' } })).declaration.declarationId;

const indexed = async () => new Set((await allActiveActivities()).map((a) => a.activityId));
/** The run's list for the drafting map, or its items of the given activities only (the table holds the other tests' too). */
const listed = async (month: string, only?: string) =>
  (JSON.parse(Buffer.from((await readObject(runListKey(month, 'activities')))!).toString('utf8')) as DraftTarget[]).filter((t) => only === undefined || t.activityId === only);
const mailsTo = async (to: string) => (await messaging().ses.listEmails()).filter((m) => m.to.includes(to));

/** A month's run after its drafting, as the workflow goes on once staff validated the batch (nothing held). */
async function issueAndClose(month: string) {
  await applyHolds(month);
  let remaining = 1;
  while (remaining > 0) ({ remaining } = await numberMonth(month));
  const sending = await prepareSending(month);
  const issued = (await listMonthInvoices(month)).filter((i) => i.status === 'issued').map((i) => i.invoiceId);
  expect(issued).toHaveLength(sending.invoices);
  await sendInvoices(issued);
  await prepareStatements(month);
  const statements = JSON.parse(Buffer.from((await readObject(runListKey(month, 'statements')))!).toString('utf8')) as Array<{ activityId: string }>;
  await statementsBatch(month, statements);
  return finishRun(month);
}

describe('an activity paused or closed mid-month', () => {
  it('has its month invoiced by the run, with its statement, then leaves the index; the next run does not see it', async () => {
    const { doc, table } = messaging();
    const MONTH = '2031-05';
    const NEXT = '2031-06';
    const holder = await launchReadyReferral(doc, table);
    const closed = await seedActiveActivity(doc, table, { name: 'Jardins fermés', members: [{ personId: holder.personId, referralId: holder.referralId, name: 'Inès' }] });
    const paused = await seedActiveActivity(doc, table, { name: 'Couture en pause' });
    const active = await seedActiveActivity(doc, table, { name: 'Atelier actif' });
    const [jeanne, lucie, marc] = [await customer(closed, individual()), await customer(paused, individual('Lucie Leroy')), await customer(active, individual('Marc Petit'))];
    const closedDeclarations = [await declare(closed, jeanne.customerId, '2031-05-04'), await declare(closed, jeanne.customerId, '2031-05-12')];
    const pausedDeclaration = await declare(paused, lucie.customerId, '2031-05-06');
    await declare(active, marc.customerId, '2031-05-21');

    // Closed on the 15th and paused on the 20th: still in the index, marked with their last month.
    await changeStatus({ activityId: closed, to: 'closed', reason: 'La titulaire a trouvé un emploi.', actor: staff, now: new Date('2031-05-15T09:00:00Z') });
    await changeStatus({ activityId: paused, to: 'paused', reason: 'Congé maternité.', actor: staff, now: new Date('2031-05-20T09:00:00Z') });
    expect((await getActivity(closed))!.activity).toMatchObject({ status: 'closed', invoiceThrough: MONTH });
    expect((await getActivity(paused))!.activity).toMatchObject({ status: 'paused', invoiceThrough: MONTH, pauses: [{ from: '2031-05-20' }] });
    for (const id of [closed, paused, active]) expect((await indexed()).has(id)).toBe(true);
    // Nothing more is declared once closed or paused (the rule was already so).
    const refused = createDeclarationFromRequest({
      found: (await getActivity(closed))!,
      month: MONTH,
      idempotencyKey: randomUUID(),
      body: { customerId: jeanne.customerId, serviceDate: '2031-05-16', lines: [{ description: 'Tonte', quantityHundredths: 100, unit: 'heure', unitPriceCents: 1500 }] },
      declaredBy: { referralId: holder.referralId, name: 'Inès' },
      now: new Date('2031-05-16T09:00:00Z'),
    });
    await expect(refused).rejects.toBeInstanceOf(ConflictError);

    // The month's run lists all three, the paused and closed ones with their last month.
    await claimInvoicingRun({ month: MONTH, trigger: 'staff' });
    expect((await prepareRun(MONTH, 'staff')).activities).toBe(3);
    const targets = await listed(MONTH);
    expect(targets).toEqual(expect.arrayContaining([{ activityId: closed, invoiceThrough: MONTH }, { activityId: paused, invoiceThrough: MONTH }, { activityId: active }]));

    // Drafted, then off the index; a retried batch drafts the same invoices and has nothing left to take off.
    expect(await draftBatch(MONTH, targets)).toEqual({ activities: 3, invoices: 3, left: 2 });
    expect(await draftBatch(MONTH, targets)).toEqual({ activities: 3, invoices: 3 });
    const now = await indexed();
    expect([now.has(closed), now.has(paused), now.has(active)]).toEqual([false, false, true]);
    const closedItem = (await doc.send(new GetCommand({ TableName: table, Key: keys.activity(closed), ConsistentRead: true }))).Item!;
    expect(closedItem).toMatchObject({ status: 'closed', gsi2pk: 'ACTIVITIES#closed' });
    expect(closedItem.gsi3pk).toBeUndefined();
    expect(closedItem.invoiceThrough).toBeUndefined();

    expect(await finishDrafting(MONTH, [{ activities: 3, invoices: 3 }])).toEqual({ invoices: 3, failedActivities: 0 });
    expect(await issueAndClose(MONTH)).toEqual({ issued: 3, sent: 3, held: 0, statements: 3, pending: 0 });

    // Every service declared before the closing or the pause is on an issued invoice, e-mailed once.
    const [closedInvoices, pausedInvoices] = [await listActivityInvoices(closed), await listActivityInvoices(paused)];
    expect(closedInvoices.map((i) => [i.month, i.status])).toEqual([[MONTH, 'issued']]);
    expect(closedInvoices[0]!.declarationIds.sort()).toEqual([...closedDeclarations].sort());
    expect(pausedInvoices.map((i) => [i.month, i.status, i.declarationIds])).toEqual([[MONTH, 'issued', [pausedDeclaration]]]);
    expect(await mailsTo(jeanne.email)).toHaveLength(1);
    expect(await mailsTo(lucie.email)).toHaveLength(1);
    // The month of the closing has its statement, as any month: the member gets it.
    expect((await getStatement(closed, MONTH))?.statement.revenueExclVatCents).toBe(closedInvoices[0]!.totals.netCents);
    expect(await getStatement(paused, MONTH)).toBeDefined();
    expect((await mailsTo(holder.youngPerson.email)).filter((m) => m.subject.startsWith('Votre relevé'))).toHaveLength(1);

    // The next month's run lists the active activity only: the others cost it nothing.
    await claimInvoicingRun({ month: NEXT, trigger: 'schedule' });
    expect((await prepareRun(NEXT, 'schedule')).activities).toBe(1);
    expect(await listed(NEXT)).toEqual([{ activityId: active }]);
    expect(await draftBatch(NEXT, await listed(NEXT))).toEqual({ activities: 1, invoices: 0 });
    expect(await finishDrafting(NEXT, [{ activities: 1, invoices: 0 }])).toEqual({ invoices: 0, failedActivities: 0 });
    expect(await issueAndClose(NEXT)).toEqual({ issued: 0, sent: 0, held: 0, statements: 1, pending: 0 });
    expect(await getStatement(closed, NEXT)).toBeUndefined();
    expect((await listActivityInvoices(closed)).map((i) => i.month)).toEqual([MONTH]);
    expect((await listActivityInvoices(paused)).map((i) => i.month)).toEqual([MONTH]);
    expect(await mailsTo(jeanne.email)).toHaveLength(1);
  }, 120_000);

  it('stays in the index while a run of an earlier month has not listed it yet, and leaves with a later run', async () => {
    const { doc, table } = messaging();
    const activityId = await seedActiveActivity(doc, table, { name: 'Jardins d’hiver' });
    const client = await customer(activityId, individual('Paul Durand'));
    const january = await declare(activityId, client.customerId, '2032-01-27');
    // Closed on 1 February, before January's run: its last month is February.
    await changeStatus({ activityId, to: 'closed', reason: 'Fin du parcours.', actor: staff, now: new Date('2032-02-01T04:00:00Z') });
    expect((await getActivity(activityId))!.activity.invoiceThrough).toBe('2032-02');

    // January's run is claimed but its start was lost (still `drafting`, nothing listed) while February's runs.
    await claimInvoicingRun({ month: '2032-01', trigger: 'schedule' });
    await claimInvoicingRun({ month: '2032-02', trigger: 'staff' });
    await prepareRun('2032-02', 'staff');
    expect(await listed('2032-02', activityId)).toEqual([{ activityId, invoiceThrough: '2032-02' }]);
    expect(await draftBatch('2032-02', await listed('2032-02', activityId))).toEqual({ activities: 1, invoices: 0 });
    expect((await indexed()).has(activityId)).toBe(true);
    await finishDrafting('2032-02', [{ activities: 1, invoices: 0 }]);

    // January's run, started again, still finds it: January's service is invoiced.
    await prepareRun('2032-01', 'schedule');
    expect(await listed('2032-01', activityId)).toEqual([{ activityId }]);
    expect(await draftBatch('2032-01', await listed('2032-01', activityId))).toEqual({ activities: 1, invoices: 1 });
    await finishDrafting('2032-01', [{ activities: 1, invoices: 1 }]);
    expect(await issueAndClose('2032-01')).toMatchObject({ issued: 1, sent: 1 });
    expect((await listActivityInvoices(activityId)).map((i) => [i.month, i.status, i.declarationIds])).toEqual([['2032-01', 'issued', [january]]]);

    // March's run lists it with its last month passed, drafts nothing and takes it off.
    await claimInvoicingRun({ month: '2032-03', trigger: 'schedule' });
    await prepareRun('2032-03', 'schedule');
    expect(await listed('2032-03', activityId)).toEqual([{ activityId, invoiceThrough: '2032-02' }]);
    expect(await draftBatch('2032-03', await listed('2032-03', activityId))).toEqual({ activities: 1, invoices: 0, left: 1 });
    await finishDrafting('2032-03', [{ activities: 1, invoices: 0 }]);
    expect((await indexed()).has(activityId)).toBe(false);
    expect((await listActivityInvoices(activityId)).map((i) => i.month)).toEqual(['2032-01']);
  }, 120_000);

  it('resumed before its run, is drafted as an active one and stays in the index', async () => {
    const { doc, table } = messaging();
    const activityId = await seedActiveActivity(doc, table, { name: 'Reprise rapide' });
    await changeStatus({ activityId, to: 'paused', reason: 'Vacances.', actor: staff, now: new Date('2033-04-10T09:00:00Z') });
    await changeStatus({ activityId, to: 'active', reason: 'Retour.', actor: staff, now: new Date('2033-04-20T09:00:00Z') });
    expect((await getActivity(activityId))!.activity).toMatchObject({ status: 'active', pauses: [{ from: '2033-04-10', until: '2033-04-20' }] });
    expect((await getActivity(activityId))!.activity.invoiceThrough).toBeUndefined();
    await claimInvoicingRun({ month: '2033-04', trigger: 'staff' });
    await prepareRun('2033-04', 'staff');
    expect(await listed('2033-04', activityId)).toEqual([{ activityId }]);

    // A batch holding a mark read earlier (paused in April) while the activity was paused again since (May): the mark
    // no longer holds, so it stays in the index for May's run.
    await changeStatus({ activityId, to: 'paused', reason: 'Vacances.', actor: staff, now: new Date('2033-05-02T09:00:00Z') });
    expect(await draftBatch('2033-04', [{ activityId, invoiceThrough: '2033-04' }])).toEqual({ activities: 1, invoices: 0 });
    expect((await getActivity(activityId))!.activity.invoiceThrough).toBe('2033-05');
    expect((await indexed()).has(activityId)).toBe(true);
  }, 60_000);
});
