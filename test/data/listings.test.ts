import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { useFreshAppTable } from '../support/dynamodb.js';
import { walkPages } from '../support/paging.js';
import { adultSubmission, prescriberLens, prescriberLievin, staffCamille } from '../support/fixtures.js';
import { encodeCursor, queryIndexPage } from '../../shared/data/client.js';
import { listReferralsFor, submitReferral } from '../../shared/data/referrals.js';
import { listMonthInvoicesPage } from '../../shared/data/invoicing/invoices.js';
import { listOpenPossibleDuplicates, possibleDuplicatePut } from '../../shared/data/possible-duplicates.js';
import { listContactIssues, listUndeliveredMessages } from '../../shared/notifications/contacts.js';
import { listOptOuts, recordOptOut, removeOptOut } from '../../shared/notifications/opt-outs.js';
import { INDEX, keys } from '../../shared/keys.js';

/*
 * Every listing pages with a cursor instead of stopping at a fixed count: each is walked here over more than one
 * page, and must give every item once, in its order (newest first, or oldest first for the "doublons possibles").
 */

let doc: DynamoDBDocumentClient;
let table: string;

beforeAll(async () => {
  ({ doc, tableName: table } = await useFreshAppTable({ STAFF_EMAIL: 'equipe@coopconnexion.local' }));
});

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
const descending = (a: string, b: string) => b.localeCompare(a);

describe('the referrals list', () => {
  it('gives a prescriber every referral of their organisation and staff every referral, newest first, page after page', async () => {
    const lens: string[] = [];
    const lievin: string[] = [];
    for (let i = 0; i < 5; i++) {
      lens.push((await submitReferral({ prescriber: prescriberLens, submission: adultSubmission(), idempotencyKey: randomUUID() })).referral.referralId);
      if (i < 2) lievin.push((await submitReferral({ prescriber: prescriberLievin, submission: adultSubmission(), idempotencyKey: randomUUID() })).referral.referralId);
    }

    const ofLens = await walkPages((cursor) => listReferralsFor(prescriberLens, { limit: 2, cursor }));
    expect(ofLens.sizes).toEqual([2, 2, 1]);
    expect(ofLens.items.map((r) => r.referralId).sort()).toEqual([...lens].sort());
    const lensOrder = ofLens.items.map((r) => `${r.createdAt}#${r.referralId}`);
    expect(lensOrder).toEqual([...lensOrder].sort(descending));

    const all = await walkPages((cursor) => listReferralsFor(staffCamille, { limit: 3, cursor }));
    expect(all.sizes).toEqual([3, 3, 1]);
    expect(all.items.map((r) => r.referralId).sort()).toEqual([...lens, ...lievin].sort());
    const allOrder = all.items.map((r) => `${r.createdAt}#${r.referralId}`);
    expect(allOrder).toEqual([...allOrder].sort(descending));
    // The default page holds them all here (50); a page of exactly the items left has no cursor to an empty one.
    expect(await listReferralsFor(staffCamille)).toEqual({ items: all.items });
    expect(await listReferralsFor(prescriberLens, { limit: 5 })).toEqual({ items: ofLens.items });
  });

  it("refuses another organisation's cursor, another list's, and a forged one, as a 400 naming the cursor", async () => {
    await submitReferral({ prescriber: prescriberLievin, submission: adultSubmission(), idempotencyKey: randomUUID() });
    const lievinCursor = (await listReferralsFor(prescriberLievin, { limit: 1 })).cursor;
    const staffCursor = (await listReferralsFor(staffCamille, { limit: 1 })).cursor;
    expect(lievinCursor).toBeDefined();
    expect(staffCursor).toBeDefined();
    const refused = { statusCode: 400, errors: [{ field: 'cursor', message: 'Curseur inconnu ou modifié.' }] };
    // Another organisation's place in its own list says nothing of it to Lens: refused like any bad cursor.
    await expect(listReferralsFor(prescriberLens, { cursor: lievinCursor })).rejects.toMatchObject(refused);
    await expect(listReferralsFor(prescriberLens, { cursor: staffCursor })).rejects.toMatchObject(refused);
    await expect(listReferralsFor(staffCamille, { cursor: lievinCursor })).rejects.toMatchObject(refused);
    const forged = encodeCursor({ pk: 'REFERRAL#x', sk: 'REFERRAL', gsi3pk: 'REFERRALS', gsi3sk: 1 });
    await expect(listReferralsFor(staffCamille, { cursor: forged })).rejects.toMatchObject(refused);
    await expect(listReferralsFor(staffCamille, { cursor: 'not+base64/url' })).rejects.toMatchObject(refused);
  });

  it('refuses a cursor of the right names and partition whose other values are empty, which DynamoDB would refuse as a start key', async () => {
    const refused = { statusCode: 400, errors: [{ field: 'cursor', message: 'Curseur inconnu ou modifié.' }] };
    await expect(listReferralsFor(staffCamille, { cursor: encodeCursor({ pk: '', sk: '', gsi3pk: 'REFERRALS', gsi3sk: '' }) })).rejects.toMatchObject(refused);
    // The month's invoices (the staff console's month page): the shard, then such a key.
    const month = '2020-01';
    const forged = `00.${encodeCursor({ pk: 'x', sk: '', gsi3pk: keys.monthInvoicesPartition(month, '00'), gsi3sk: ' ' })}`;
    await expect(listMonthInvoicesPage({ month, cursor: forged })).rejects.toMatchObject(refused);
  });
});

describe('the possible duplicates', () => {
  it('lists the open ones oldest first, page after page', async () => {
    const created = Array.from({ length: 5 }, (_, i) => ({ personId: randomUUID(), candidatePersonId: randomUUID(), referralId: randomUUID(), createdAt: minutesAgo(10 - i) }));
    for (const flag of created) {
      await doc.send(new TransactWriteCommand({ TransactItems: [possibleDuplicatePut(table, { ...flag, matchedBy: ['EMAIL'] })] }));
    }
    const walked = await walkPages((cursor) => listOpenPossibleDuplicates({ limit: 2, cursor }));
    expect(walked.sizes).toEqual([2, 2, 1]);
    expect(walked.items.map((f) => f.personId)).toEqual(created.map((f) => f.personId));
  });
});

describe('the staff messages view', () => {
  it('lists the contacts to fix by most recent failure, page after page, with a cursor error naming its parameter', async () => {
    const issues = Array.from({ length: 5 }, (_, i) => ({ personId: randomUUID(), issueId: `young.email.${i}`, lastFailedAt: minutesAgo(i) }));
    for (const issue of issues) {
      const item = { ...issue, role: 'young', channel: 'email', address: `x${issue.issueId}@example.org`, status: 'open', notificationIds: ['n'], firstFailedAt: issue.lastFailedAt };
      await doc.send(new PutCommand({ TableName: table, Item: { ...keys.contactIssue(issue.personId, issue.issueId), ...keys.contactIssueEntry(issue.lastFailedAt, issue.personId, issue.issueId), type: 'contact-issue', ...item } }));
    }
    const walked = await walkPages((cursor) => listContactIssues({ limit: 2, cursor, cursorField: 'toFixCursor' }));
    expect(walked.sizes).toEqual([2, 2, 1]);
    expect(walked.items.map((i) => i.personId)).toEqual(issues.map((i) => i.personId));
    // A cursor of the opt-outs (same index, another partition) is not one of the contacts to fix.
    await recordOptOut({ channel: 'sms', address: '+33700000001', reason: 'stop', at: minutesAgo(100) });
    await recordOptOut({ channel: 'sms', address: '+33700000002', reason: 'stop', at: minutesAgo(101) });
    const optOutsCursor = (await listOptOuts({ limit: 1 })).cursor;
    await expect(listContactIssues({ cursor: optOutsCursor, cursorField: 'toFixCursor' })).rejects.toMatchObject({ statusCode: 400, errors: [{ field: 'toFixCursor' }] });
  });

  it('lists the opt-outs newest first, page after page', async () => {
    const addresses = Array.from({ length: 5 }, (_, i) => ({ address: `+3378${String(i).padStart(7, '0')}`, at: minutesAgo(20 + i) }));
    for (const { address, at } of addresses) await recordOptOut({ channel: 'sms', address, reason: 'stop', at });
    const walked = await walkPages((cursor) => listOptOuts({ limit: 2, cursor }));
    expect(walked.sizes).toEqual([2, 2, 2, 1]);
    const listed = walked.items.map((o) => o.address);
    expect(listed.filter((a) => a.startsWith('+3378'))).toEqual(addresses.map((a) => a.address));
    expect(walked.items.map((o) => o.at)).toEqual(walked.items.map((o) => o.at).sort(descending));
  });

  it('names no address in the opt-outs cursor, and goes on after an opt-out lifted between two pages', async () => {
    const addresses = Array.from({ length: 4 }, (_, i) => ({ address: `lea.${randomUUID()}@example.org`, at: minutesAgo(200 + i) }));
    // Two at the same instant on the same channel: the cursor still tells them apart.
    addresses.push({ address: `lea.${randomUUID()}@example.org`, at: addresses[3]!.at });
    for (const { address, at } of addresses) await recordOptOut({ channel: 'email', address, reason: 'complaint', at });
    const ours = (items: Array<{ address: string }>) => items.map((o) => o.address).filter((a) => addresses.some((x) => x.address === a));

    const walked = await walkPages(async (cursor) => {
      const page = await listOptOuts({ limit: 1, cursor });
      const decoded = page.cursor ? Buffer.from(page.cursor, 'base64url').toString('utf8') : '';
      for (const { address } of addresses) expect(decoded).not.toContain(address.split('@')[0]);
      expect(decoded).not.toMatch(/OPTOUT|@|\+33/);
      return page;
    });
    const listed = ours(walked.items);
    expect(listed.slice(0, 3)).toEqual(addresses.slice(0, 3).map((a) => a.address));
    expect(listed.slice(3).sort()).toEqual(addresses.slice(3).map((a) => a.address).sort());

    // The page's last opt-out is lifted (START) before the next page is asked for: the list goes on from its time.
    let first = await listOptOuts({ limit: 1 });
    while (!addresses.some((a) => a.address === first.items[0]?.address)) first = await listOptOuts({ limit: 1, cursor: first.cursor });
    expect(first.items[0]!.address).toBe(addresses[0]!.address);
    await removeOptOut('email', addresses[0]!.address);
    const rest = await walkPages((cursor) => listOptOuts({ limit: 2, cursor: cursor ?? first.cursor }));
    // Not from the top again: nothing newer than the lifted one comes back.
    expect(rest.items.slice(0, 2).map((o) => o.address)).toEqual([addresses[1]!.address, addresses[2]!.address]);
    expect(ours(rest.items)).toHaveLength(4);
  });

  it('lists the messages not delivered since a time, newest first, page after page, and ends a cursor that left the range', async () => {
    const personId = randomUUID();
    // Five within the last hour, one two days ago: out of a one-day range.
    const failed = [...Array.from({ length: 5 }, (_, i) => minutesAgo(i + 1)), minutesAgo(48 * 60)].map((statusAt, i) => ({ notificationId: `n${i}`, statusAt }));
    for (const { notificationId, statusAt } of failed) {
      const item = { personId, notificationId, status: 'bounced', statusAt, kind: 'referral-received', role: 'young', channel: 'email', to: 'x@example.org', attempts: 1 };
      await doc.send(new PutCommand({ TableName: table, Item: { ...keys.notification(personId, notificationId), ...keys.failedMessageEntry(statusAt, personId, notificationId), type: 'notification', ...item } }));
    }
    const since = new Date(Date.now() - 24 * 3600_000);
    const walked = await walkPages((cursor) => listUndeliveredMessages(since, { limit: 2, cursor }));
    expect(walked.sizes).toEqual([2, 2, 1]);
    expect(walked.items.map((m) => m.notificationId)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
    // Over the whole range, the old one comes last.
    expect((await walkPages((cursor) => listUndeliveredMessages(new Date(Date.now() - 72 * 3600_000), { limit: 4, cursor }))).items.map((m) => m.notificationId)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4', 'n5']);

    // A cursor at an item that has since left the range (the 30-day window moved on): the list ends there, no error.
    const oldKey = { ...keys.notification(personId, 'n5'), ...keys.failedMessageEntry(failed[5]!.statusAt, personId, 'n5') };
    expect(await listUndeliveredMessages(since, { cursor: encodeCursor(oldKey) })).toEqual({ items: [] });
    // Oldest first, the same cursor goes on with the whole range.
    const oldestFirst = await queryIndexPage(INDEX.failedMessages, keys.failedMessagesPartition(), { from: since.toISOString(), cursor: encodeCursor(oldKey) });
    expect(oldestFirst.items.map((m) => m.notificationId)).toEqual(['n4', 'n3', 'n2', 'n1', 'n0']);
  });
});
