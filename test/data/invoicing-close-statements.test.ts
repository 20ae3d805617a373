import { describe, expect, it } from 'vitest';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { useMessagingAndDocuments } from '../support/messaging.js';
import { benchInvoicingItems } from '../../bench/invoicing-seed.js';
import { batchWriteAll } from '../../bench/local-table.js';
import { claimInvoicingRun, getInvoicingRun } from '../../shared/data/invoicing-runs.js';
import { listMonthInvoices } from '../../shared/data/invoicing/invoices.js';
import { getStatement, statementCause } from '../../shared/data/invoicing/statements.js';
import { applyHolds, deliveryBatch, draftBatch, finishDrafting, finishRun, numberMonth, prepareDelivery, prepareRun } from '../../shared/invoicing/run-steps.js';
import { keys } from '../../shared/keys.js';

/*
 * A month's run whose delivery batch was SIGKILLed after it claimed a member's statement e-mail and before its mark
 * (`npm run kill-hunt`, decision 57: the month closed `done` while statement e-mails waited 87-128 s for their lease to
 * end and the dispatcher). The close comes back while a statement e-mail of the month is pending, as it does for an
 * invoice's (decision 53), and sends it once its lease has ended; an execution started before keeps its close. A
 * collective activity of three members (the kill hunt's world, bench/invoicing-seed.ts), two customers, step by step
 * on DynamoDB Local, the local S3 and SES.
 */

const messaging = useMessagingAndDocuments();

/** A month run up to its delivery, one member's statement e-mail then left as a killed batch leaves it. */
async function deliveredThenKilled(month: string, i: number) {
  const { doc, table, ses } = messaging();
  const items = benchInvoicingItems(table, i, month, 4, { collective: { programme: 'jeunes-majeurs', members: 3 }, customers: 2 });
  await batchWriteAll(doc, table, items);
  const activityId = `ca-bench-${String(i).padStart(6, '0')}`;
  await claimInvoicingRun({ month, trigger: 'staff' });
  await prepareRun(month, 'staff');
  await finishDrafting(month, [await draftBatch(month, [{ activityId }])]);
  await applyHolds(month);
  for (let remaining = 1; remaining > 0; ) ({ remaining } = await numberMonth(month));
  await prepareDelivery(month);
  const issued = (await listMonthInvoices(month)).filter((inv) => inv.kind === 'invoice' && inv.status === 'issued' && inv.activityId === activityId);
  expect(issued).toHaveLength(2);
  await deliveryBatch(month, [{ activityId }]);

  // The statement: one record, a copy per member in the order they joined, the result split evenly among them.
  const record = (await getStatement(activityId, month))!;
  const shares = record.statement.contribution.shares!;
  expect(record.members.map((m) => m.referralId)).toEqual([0, 1, 2].map((k) => `bench-${String(i).padStart(6, '0')}-${k}`));
  expect(shares.reduce((sum, s) => sum + s.cents, 0)).toBe(record.statement.contribution.resultCents);
  expect(record.members.map((m) => m.leftCents)).toEqual(shares.map((s) => s.cents));

  // The second member's e-mail as a batch killed after its claim and before its mark leaves it: pending, attempt 1,
  // its lease held for two minutes by a sender that no longer runs, due again (in the due index) at the lease's end.
  const member = record.members[1]!;
  const referral = items.find((item) => item.type === 'referral' && item.referralId === member.referralId) as { youngPerson: { email: string } };
  const notificationId = `${statementCause(activityId, month)}#young#email`;
  const key = keys.notification(member.personId, notificationId);
  const lease = async (until: string, extra: Record<string, unknown> = {}) => {
    const entry = keys.dueMessageEntry(until, member.personId, notificationId);
    await doc.send(
      new UpdateCommand({
        TableName: table,
        Key: key,
        UpdateExpression: `SET #status = :pending, leaseUntil = :until, nextAttemptAt = :until, gsi3pk = :duePk, gsi3sk = :dueSk${Object.keys(extra).map((k) => `, ${k} = :${k}`).join('')} REMOVE sentAt, providerMessageId, sentAttachments`,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':pending': 'pending', ':until': until, ':duePk': entry.gsi3pk, ':dueSk': entry.gsi3sk, ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [`:${k}`, v])) },
      }),
    );
  };
  await lease(new Date(Date.now() + 120_000).toISOString(), { leaseId: 'killed-sender', attempts: 1 });
  const mails = async () => (await ses.listEmails()).filter((m) => m.to.includes(referral.youngPerson.email));
  expect(await mails()).toHaveLength(1);
  return { doc, table, key, lease, mails };
}

describe('closing a month whose delivery was killed while it sent the statements', () => {
  it('waits while a statement e-mail is claimed by a dead sender, then sends it and closes', async () => {
    const month = '2032-03';
    const { doc, table, key, lease, mails } = await deliveredThenKilled(month, 901);

    // The close under the live lease: nothing sent again, the month not closed, the e-mail pending.
    expect(await finishRun(month, { waitForMails: true, waitForStatementMails: true })).toEqual({ issued: 2, sent: 2, held: 0, statements: 1, pending: 1, statementMailsPending: 1 });
    expect((await getInvoicingRun(month))!.status).toBe('sending');
    expect(await mails()).toHaveLength(1);

    // The lease over (as two minutes later): the close takes the e-mail, sends it (a second copy: at least once,
    // decision 6) and closes the month.
    await lease(new Date(Date.now() - 1_000).toISOString());
    expect(await finishRun(month, { waitForMails: true, waitForStatementMails: true })).toEqual({ issued: 2, sent: 2, held: 0, statements: 1, pending: 0, statementMailsPending: 0 });
    expect(await getInvoicingRun(month)).toMatchObject({ status: 'done', counts: { issued: 2, sent: 2, statements: 1 } });
    expect(await mails()).toHaveLength(2);
    expect((await doc.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item).toMatchObject({ status: 'sent', attempts: 2 });
  }, 90_000);

  it('closes at once for an execution started before (its close waits for invoice e-mails only, or for none)', async () => {
    const month = '2032-05';
    const { mails } = await deliveredThenKilled(month, 902);
    // Decision 53's definition: the month closes with the statement e-mail left to the dispatcher, as it did.
    expect(await finishRun(month, { waitForMails: true })).toMatchObject({ issued: 2, sent: 2, held: 0, pending: 0 });
    expect((await getInvoicingRun(month))!.status).toBe('done');
    expect(await mails()).toHaveLength(1);
    // The definition before it: the same.
    expect(await finishRun(month)).toMatchObject({ issued: 2, sent: 2, pending: 0 });
  }, 90_000);
});
