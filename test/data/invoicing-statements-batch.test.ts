import { describe, expect, it, vi } from 'vitest';
import { createHash, randomUUID } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { BatchWriteCommand, GetCommand, PutCommand, ScanCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { useMessagingAndDocuments } from '../support/messaging.js';
import { launchReadyReferral } from '../support/activities.js';
import { adultSubmission, launchFile, staffCamille } from '../support/fixtures.js';
import { issueOneInvoice } from '../support/invoicing.js';
import { freshAppTable } from '../support/dynamodb.js';
import { activityMemberPuts, createActivity, memberOf } from '../../shared/data/activities.js';
import { db } from '../../shared/data/client.js';
import { claimInvoicingRun } from '../../shared/data/invoicing-runs.js';
import { recordPayment } from '../../shared/data/invoicing/payments.js';
import { issueManyMonthlyStatements, issueMonthlyStatements, listStatementsOfPerson, type StatementTarget } from '../../shared/data/invoicing/statements.js';
import { findLinkRecipients, linkContactPut } from '../../shared/data/personal-links.js';
import type { ReferralRecord } from '../../shared/data/referrals.js';
import { invocationTime } from '../../shared/invocation.js';
import { prepareStatements, runListKey, statementsBatch } from '../../shared/invoicing/run-steps.js';
import { putObject, readObject } from '../../shared/storage/objects.js';

/** DynamoDB Local, the local SES and the local S3, by the real clients (as test/data/invoicing-statements.test.ts). */
const local = useMessagingAndDocuments();

const MONTH = '2031-10';
const NOW = new Date('2031-11-01T08:00:00Z');
const staff = { id: 'staff-camille', name: 'Camille' };

async function personalActivity(name: string): Promise<{ activityId: string; referral: ReferralRecord }> {
  const referral = await launchReadyReferral(local().doc, local().table, adultSubmission());
  const { activity } = await createActivity({ shape: 'personal', referralId: referral.referralId, file: launchFile('2031-01-01', { name, tradeName: name }), actor: staffCamille });
  return { activityId: activity.activity.activityId, referral };
}

/** Every item of a table (a consistent scan, page by page). */
async function allItems(doc: DynamoDBDocumentClient, table: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** What the statements wrote, as comparable across two tables: the send's own traces (ids, times) left out. */
async function statementItems(doc: DynamoDBDocumentClient, table: string) {
  const items = (await allItems(doc, table)).filter((item) => ['statement', 'person-statement', 'notification'].includes(String(item.type)));
  return items
    // A link kept on its message is issued per send: whether it is there, not its hash.
    .map(({ sentAt: _s, providerMessageId: _p, link, ...item }): Record<string, unknown> => ({ ...item, ...(link ? { link: 'kept' } : {}) }))
    .sort((a, b) => `${String(a.pk)}|${String(a.sk)}`.localeCompare(`${String(b.pk)}|${String(b.sk)}`));
}

/** The e-mails sent since `before`, as comparable: to whom, what (each personal link's token, issued per send, left out), and the files' hashes. */
async function mailsSince(before: number) {
  return (await local().ses.listEmails())
    .slice(before)
    .map((mail) => ({
      to: mail.to,
      subject: mail.subject,
      text: mail.text?.replace(/#[A-Za-z0-9_.-]+/g, '#<lien>'),
      files: mail.attachments.map((f) => [f.fileName, f.contentType, createHash('sha256').update(f.content).digest('hex')]),
    }))
    .sort((a, b) => `${a.to.join()}|${a.subject}`.localeCompare(`${b.to.join()}|${b.subject}`));
}

/** The DynamoDB requests `fn` makes through the app's client, by command. */
async function counted<T>(fn: () => Promise<T>): Promise<{ result: T; requests: Record<string, number>; total: number }> {
  const requests: Record<string, number> = {};
  const name = `count-${randomUUID()}`;
  db().middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName).replace(/Command$/, '');
      requests[command] = (requests[command] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name },
  );
  try {
    const result = await fn();
    return { result, requests, total: Object.values(requests).reduce((a, b) => a + b, 0) };
  } finally {
    db().middlewareStack.remove(name);
  }
}

/** The items of the transactions `fn` writes through the app's client: a Put's item, an Update's key. */
async function transactionItems<T>(fn: () => Promise<T>): Promise<{ result: T; items: Array<Record<string, unknown>> }> {
  const items: Array<Record<string, unknown>> = [];
  const name = `transactions-${randomUUID()}`;
  db().middlewareStack.add(
    (next, context) => async (args) => {
      // Past the document client's marshalling: DynamoDB's own attribute values.
      if (context.commandName === 'TransactWriteItemsCommand') {
        const input = args.input as { TransactItems?: Array<{ Put?: { Item: Record<string, AttributeValue> }; Update?: { Key: Record<string, AttributeValue> } }> };
        for (const item of input.TransactItems ?? []) items.push(item.Put ? unmarshall(item.Put.Item) : { ...unmarshall(item.Update!.Key), update: true });
      }
      return next(args);
    },
    { step: 'serialize', name },
  );
  try {
    return { result: await fn(), items };
  } finally {
    db().middlewareStack.remove(name);
  }
}

/** Runs `fn` as inside an invocation about to time out: the sender leaves what it wrote pending (no time to send). */
async function outOfTime<T>(fn: () => Promise<T>): Promise<T> {
  const timing = invocationTime();
  timing.before({ context: { getRemainingTimeInMillis: () => 1_000 } as Context });
  try {
    return await fn();
  } finally {
    timing.after();
  }
}

describe('a batch of monthly statements', () => {
  it('writes and sends what the statements one by one do, from the run list, and a repeat writes and sends nothing', async () => {
    const { doc } = local();
    const table = local().table;
    // A personal activity; a collective one of three members; a personal one not in the run's list, paid this month
    // for September's invoice; one issued already whose e-mail is still pending; one without invoice.
    const single = await personalActivity('Jardins de Lens');
    const { activity } = await createActivity({ shape: 'collective', programme: 'jeunes-majeurs', file: launchFile('2031-01-01', { name: 'Collectif du Louvre', tradeName: 'Louvre Services' }), actor: staffCamille });
    const collectiveId = activity.activity.activityId;
    for (const [i, firstName] of ['Aïcha', 'Bruno', 'Chloé'].entries()) {
      const referral = await launchReadyReferral(doc, table, adultSubmission({ firstName }, 'jeunes-majeurs'));
      const member = memberOf(activity.activity, referral, 'member', `2031-01-0${i + 1}T10:00:00.000Z`);
      await doc.send(new TransactWriteCommand({ TransactItems: activityMemberPuts(table, activity.activity, member) }));
    }
    const paidOnly = await personalActivity('Couture Leroy');
    const pending = await personalActivity('Vélos du Nord');
    const idle = await personalActivity('Atelier Calme');
    const september = await issueOneInvoice(doc, table, { activityId: paidOnly.activityId, grossCents: 30_000, month: '2031-09', issueDate: '2031-09-30', dueDate: '2031-10-30' });
    await recordPayment({ invoiceId: september.invoiceId, paymentId: `p-${randomUUID()}`, amountCents: 12_500, date: `${MONTH}-10`, means: 'virement', by: staff });
    const invoiceOf = new Map<string, string>();
    for (const [activityId, grossCents] of [[single.activityId, 20_000], [collectiveId, 100_001], [pending.activityId, 7_500]] as const) {
      invoiceOf.set(activityId, (await issueOneInvoice(doc, table, { activityId, grossCents, month: MONTH, issueDate: '2031-10-31', dueDate: '2031-11-30' })).invoiceId);
    }
    const early = await outOfTime(() => issueMonthlyStatements({ activityId: pending.activityId, month: MONTH, now: NOW }));
    expect(early).toMatchObject({ created: true, sent: 0 });

    // The same data in a second table: the statements one by one in the first, as the run's batch in the second.
    const second = await freshAppTable();
    const items = await allItems(doc, table);
    for (let i = 0; i < items.length; i += 25) {
      await second.doc.send(new BatchWriteCommand({ RequestItems: { [second.tableName]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }));
    }
    const ids = [single.activityId, collectiveId, paidOnly.activityId, pending.activityId, idle.activityId].sort();

    let mails = (await local().ses.listEmails()).length;
    const oneByOne = [];
    for (const activityId of ids) oneByOne.push(await issueMonthlyStatements({ activityId, month: MONTH, now: NOW }));
    const oneByOneMails = await mailsSince(mails);
    // Each member of the four new statements, and the one left pending: seven e-mails.
    expect(oneByOneMails).toHaveLength(7);
    expect(oneByOne.map((r) => [r.created, r.sent])).toEqual(ids.map((id) => (id === pending.activityId ? [false, 1] : [true, id === collectiveId ? 3 : 1])));

    const first = process.env.TABLE_NAME!;
    process.env.TABLE_NAME = second.tableName;
    try {
      // The run's list: the active activities listed at its start, and the one paid this month, each with what the month holds.
      await claimInvoicingRun({ month: MONTH, trigger: 'staff', now: NOW });
      await putObject(runListKey(MONTH, 'activities'), JSON.stringify(ids.filter((id) => id !== paidOnly.activityId).map((activityId) => ({ activityId }))), 'application/json');
      const list = await prepareStatements(MONTH);
      const targets = JSON.parse(Buffer.from((await readObject(list.key))!).toString('utf8')) as StatementTarget[];
      expect(targets).toEqual(ids.map((activityId) => ({ activityId, invoiceIds: invoiceOf.has(activityId) ? [invoiceOf.get(activityId)] : [], paid: activityId === paidOnly.activityId })));

      mails = (await local().ses.listEmails()).length;
      const batch = await counted(() => issueManyMonthlyStatements({ month: MONTH, activities: targets, now: NOW }));
      expect(await mailsSince(mails)).toEqual(oneByOneMails);
      expect(batch.result).toEqual(oneByOne);
      expect(await statementItems(second.doc, second.tableName)).toEqual(await statementItems(doc, table));
      // Reads: a batch read of the statements, one of the activities with their holders, one of the invoices, one of
      // the referrals, one of the members' addresses filed for new links, one of the opt-outs of the new e-mails; a
      // query of the collective's members, of the paid one's payments, and the pending one's messages (and their
      // opt-outs, as the sender reads them one by one). Then the four units in one transaction, the new e-mails' claim
      // in one and their marks in a few, and the pending one's claim and mark.
      expect(batch.requests).toMatchObject({ BatchGetItem: 7, Query: 3 });
      expect(batch.requests.GetItem).toBeUndefined();
      expect(batch.total - 7 - 3).toBeLessThanOrEqual(1 + 2 * 7);

      // Again (a retried batch, through the run's step): nothing written, nothing sent.
      const before = await allItems(second.doc, second.tableName);
      mails = (await local().ses.listEmails()).length;
      expect(await statementsBatch(MONTH, targets)).toEqual({ activities: 5, sent: 0 });
      expect(await allItems(second.doc, second.tableName)).toEqual(before);
      expect(await mailsSince(mails)).toEqual([]);
    } finally {
      process.env.TABLE_NAME = first;
    }
  });

  it('writes the record and the e-mail with its link per statement, files an address for new links only once, and nothing on the person', async () => {
    const { doc, table } = local();
    const activities: Array<Awaited<ReturnType<typeof personalActivity>>> = [];
    for (let i = 0; i < 4; i++) activities.push(await personalActivity(`Adresse ${i}`));
    // The first two got a personal link before (their launch's e-mail): their addresses are filed already.
    const before = '2031-12-01T09:00:00.000Z';
    const filing = ({ referral }: { referral: ReferralRecord }, now: string) =>
      linkContactPut(table, { personId: referral.personId, referralId: referral.referralId, audience: 'young-person', contact: { channel: 'email', address: referral.youngPerson.email }, now }).Put.Item;
    for (const activity of activities.slice(0, 2)) await doc.send(new PutCommand({ TableName: table, Item: filing(activity, before) }));

    const { result, items } = await transactionItems(() => issueManyMonthlyStatements({ month: '2032-01', activities: activities.map(({ activityId }) => ({ activityId, invoiceIds: [], paid: false })), now: new Date('2032-02-01T08:00:00Z') }));
    expect(result.every((r) => r.created && r.sent === 1)).toBe(true);
    const written = (type: string) => items.filter((item) => item.type === type);
    // Per statement: the record and the e-mail written claimed, its personal link kept on it (decision 42: no item of
    // its own); then the e-mail's mark.
    expect(written('statement')).toHaveLength(4);
    expect(written('notification')).toHaveLength(4);
    expect(written('notification').every((message) => typeof (message.link as { hash?: unknown } | undefined)?.hash === 'string')).toBe(true);
    expect(written('personal-link')).toHaveLength(0);
    expect(items.filter((item) => item.update)).toHaveLength(4);
    // The addresses filed only for the two not filed yet; nothing on the person (their space reads the records).
    expect(written('link-contact').map((item) => item.referralId).sort()).toEqual(activities.slice(2).map((a) => a.referral.referralId).sort());
    expect(items).toHaveLength(4 * 3 + 2);
    for (const activity of activities) {
      const stored = (await doc.send(new GetCommand({ TableName: table, Key: { pk: filing(activity, before).pk, sk: filing(activity, before).sk }, ConsistentRead: true }))).Item;
      expect(stored?.updatedAt).toBe(activities.indexOf(activity) < 2 ? before : '2032-02-01T08:00:00.000Z');
      // Each member may ask for a new link to that address once their statement's has expired.
      const recipients = await findLinkRecipients({ channel: 'email', address: activity.referral.youngPerson.email });
      expect(recipients.map((r) => r.referral.referralId)).toEqual([activity.referral.referralId]);
      expect((await listStatementsOfPerson(activity.referral.personId)).map((s) => [s.activityId, s.month])).toEqual([[activity.activityId, '2032-01']]);
    }
  });

  it('costs a few requests for a batch of single-member activities, besides a claim and a mark per e-mail', async () => {
    const { doc, table } = local();
    const targets: StatementTarget[] = [];
    for (let i = 0; i < 20; i++) {
      const { activityId } = await personalActivity(`Activité ${i}`);
      const { invoiceId } = await issueOneInvoice(doc, table, { activityId, grossCents: 10_000 + i, month: '2031-12', issueDate: '2031-12-31', dueDate: '2032-01-30' });
      targets.push({ activityId, invoiceIds: [invoiceId], paid: false });
    }
    const s3 = vi.spyOn(S3Client.prototype, 'send');
    const { result, requests, total } = await counted(() => issueManyMonthlyStatements({ month: '2031-12', activities: targets, now: new Date('2032-01-01T08:00:00Z') }));
    // No PDF: none rendered, stored nor read (decision 35). The e-mails carry their figures and a link.
    expect(s3.mock.calls.map(([command]) => command.constructor.name)).toEqual([]);
    s3.mockRestore();
    expect(result.every((r) => r.created && r.sent === 1)).toBe(true);
    // No read per activity: no query, no single-item read. The old path made about 9 requests per activity.
    expect(requests.Query ?? 0).toBe(0);
    expect(requests.GetItem ?? 0).toBe(0);
    // Batch reads of the statements, the activities and holders, the invoices, the referrals, the addresses filed for
    // new links and the opt-outs, one transaction for the 20 units (each with its e-mail written claimed and its
    // personal link: no write per link); then the e-mails' marks in a few transactions (none alone).
    expect(requests.BatchGetItem).toBeLessThanOrEqual(6);
    expect(requests.UpdateItem ?? 0).toBe(0);
    expect(total).toBeLessThan(6 + 20);
  });
});
