import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { useLocalMessaging, type LocalMessaging } from '../support/messaging.js';
import { keys } from '../../shared/keys.js';
import { outboxPuts, withDeliveries } from '../../shared/data/outbox.js';
import { db } from '../../shared/data/client.js';
import { sendPendingNotifications, writeAndSendNotifications } from '../../shared/notifications/sender.js';
import { outboxTags, recordDeliveries, recordDelivery, sesReport, smsReport, UnknownProviderMessageError, SMS_TRACKED_EVENT_TYPES, type DeliveryReport } from '../../shared/notifications/tracking.js';
import { handler as deliveryEvents } from '../../functions/notifications/delivery-events.js';
import { lambdaContext } from '../support/events.js';
import { contactIssueId } from '../../shared/notifications/contacts.js';

let doc: DynamoDBDocumentClient;
let table: string;
/** Midday in Paris: inside the SMS window, whatever the hour the test runs at. */
const NOON = new Date('2026-11-26T11:00:00Z');
let messaging: LocalMessaging;

beforeAll(async () => {
  messaging = await useLocalMessaging();
  ({ doc, table } = messaging);
});
afterAll(async () => messaging?.stop());

/** The items of a person's partition. */
async function partition(personId: string) {
  return (await doc.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `PERSON#${personId}` }, ConsistentRead: true }))).Items ?? [];
}
/** A message as its readers show it: its delivery receipts applied (decision 42). */
async function shown(personId: string, notificationId: string) {
  return withDeliveries(await partition(personId)).find((item) => item.type === 'notification' && item.notificationId === notificationId)!;
}
/** The message's item as stored, and its delivery receipts. */
async function stored(personId: string, notificationId: string) {
  const items = await partition(personId);
  return { message: items.find((item) => item.type === 'notification' && item.notificationId === notificationId)!, receipts: items.filter((item) => item.type === 'delivery-receipt') };
}

/** A message of the outbox, sent, with its provider lookup: what the sender leaves behind. */
async function sentMessage(provider: 'ses' | 'sms' = 'ses') {
  const personId = randomUUID();
  const notificationId = `test#${randomUUID()}#young#${provider === 'ses' ? 'email' : 'sms'}`;
  const providerMessageId = randomUUID();
  await doc.send(new PutCommand({ TableName: table, Item: { ...keys.notification(personId, notificationId), type: 'notification', notificationId, status: 'sent', providerMessageId } }));
  await doc.send(new PutCommand({ TableName: table, Item: { ...keys.providerMessage(provider, providerMessageId), personId, notificationId } }));
  const read = () => shown(personId, notificationId);
  const report = (status: DeliveryReport['status'], at = new Date().toISOString(), reason?: string): DeliveryReport => ({ provider, providerMessageId, status, at, reason });
  return { read, report, provider, personId, notificationId, providerMessageId };
}

describe('recordDelivery', () => {
  it('moves a sent message to delivered, with the time, by a receipt beside it: the same report again puts the same receipt', async () => {
    const { read, report, personId, notificationId, providerMessageId } = await sentMessage();
    const delivered = report('delivered', '2026-03-02T10:00:00.000Z');
    expect((await recordDelivery(delivered)).result).toBe('updated');
    expect(await read()).toMatchObject({ status: 'delivered', statusAt: '2026-03-02T10:00:00.000Z' });
    expect((await recordDelivery(delivered)).result).toBe('updated');
    expect(await read()).toMatchObject({ status: 'delivered', statusAt: '2026-03-02T10:00:00.000Z' });
    // Nothing written on the message; one receipt, keyed by the copy it reports on (decision 42).
    const { message, receipts } = await stored(personId, notificationId);
    expect(message).toMatchObject({ status: 'sent' });
    expect(message).not.toHaveProperty('statusAt');
    expect(receipts).toEqual([{ ...keys.deliveryReceipt(personId, notificationId, providerMessageId), type: 'delivery-receipt', personId, notificationId, providerMessageId, at: '2026-03-02T10:00:00.000Z' }]);
  });

  it('lets a bounce or a complaint override a delivery, and never a late delivery override a bounce', async () => {
    const bounced = await sentMessage();
    await recordDelivery(bounced.report('delivered'));
    expect((await recordDelivery(bounced.report('bounced', '2026-03-02T10:01:00.000Z', 'Permanent/General'))).result).toBe('updated');
    await recordDelivery(bounced.report('delivered'));
    expect(await bounced.read()).toMatchObject({ status: 'bounced', statusReason: 'Permanent/General', statusAt: '2026-03-02T10:01:00.000Z' });
    // A delivery reported after the bounce does not undo it either.
    const late = await sentMessage();
    await recordDelivery(late.report('bounced', '2026-03-02T10:01:00.000Z', 'Permanent/General'));
    await recordDelivery(late.report('delivered', '2026-03-02T10:02:00.000Z'));
    expect(await late.read()).toMatchObject({ status: 'bounced', statusAt: '2026-03-02T10:01:00.000Z' });

    const complained = await sentMessage();
    await recordDelivery(complained.report('delivered'));
    await recordDelivery(complained.report('complained', undefined, 'abuse'));
    expect(await complained.read()).toMatchObject({ status: 'complained', statusReason: 'abuse' });
  });

  it('keeps the first final failure: a bounce, then a complaint or a failure, stays a bounce', async () => {
    const { read, report } = await sentMessage();
    await recordDelivery(report('bounced', undefined, 'Permanent/General'));
    expect((await recordDelivery(report('complained'))).result).toBe('unchanged');
    expect((await recordDelivery(report('failed', undefined, 'Transient/MailboxFull'))).result).toBe('unchanged');
    expect(await read()).toMatchObject({ status: 'bounced', statusReason: 'Permanent/General' });
  });

  it('records an SMS failure with the provider status as reason', async () => {
    const { read, report } = await sentMessage('sms');
    await recordDelivery(report('failed', undefined, 'UNREACHABLE'));
    expect(await read()).toMatchObject({ status: 'failed', statusReason: 'UNREACHABLE' });
  });

  it('throws for a message id it cannot trace, so the caller may look again', async () => {
    await expect(recordDelivery({ provider: 'ses', providerMessageId: randomUUID(), status: 'delivered', at: new Date().toISOString() })).rejects.toBeInstanceOf(UnknownProviderMessageError);
  });
});

/** An SES delivery event without tags (its message is found through the provider lookup). */
const delivered = (messageId: string) => ({
  source: 'aws.ses',
  'detail-type': 'Email Delivered',
  time: new Date().toISOString(),
  detail: { mail: { messageId }, delivery: { timestamp: new Date().toISOString() } },
});

describe('DeliveryEvents, invoked directly by EventBridge (before the queue)', () => {

  it('records a report whose send is recorded while it waits, without failing', async () => {
    const personId = randomUUID();
    const notificationId = `test#${randomUUID()}#young#email`;
    const providerMessageId = randomUUID();
    await doc.send(new PutCommand({ TableName: table, Item: { ...keys.notification(personId, notificationId), type: 'notification', notificationId, status: 'sent', providerMessageId } }));
    // The sender records its lookup a moment after the provider answered.
    const recordLater = new Promise((resolve) => setTimeout(resolve, 700)).then(() =>
      doc.send(new PutCommand({ TableName: table, Item: { ...keys.providerMessage('ses', providerMessageId), personId, notificationId } })),
    );
    await expect(deliveryEvents(delivered(providerMessageId), lambdaContext())).resolves.toEqual({ recorded: 1, dropped: 0 });
    await recordLater;
    expect(await shown(personId, notificationId)).toMatchObject({ status: 'delivered' });
  });

  it('finds the message through the tags the sender gave the e-mail, with no lookup, also when the event comes before the send is recorded (its receipt applies once the mark names its copy)', async () => {
    const personId = randomUUID();
    const notificationId = `test#${randomUUID()}#young#email`;
    const providerMessageId = randomUUID();
    const tagged = { ...delivered(providerMessageId), detail: { ...delivered(providerMessageId).detail, mail: { messageId: providerMessageId, tags: Object.fromEntries(outboxTags(personId, notificationId).map((t) => [t.Name, [t.Value]])) } } };
    const item = { ...keys.notification(personId, notificationId), type: 'notification', notificationId };
    await doc.send(new PutCommand({ TableName: table, Item: { ...item, status: 'pending' } }));
    // Marked sent (no provider lookup written) a moment after the event arrived.
    const markLater = new Promise((resolve) => setTimeout(resolve, 700)).then(() => doc.send(new PutCommand({ TableName: table, Item: { ...item, status: 'sent', providerMessageId } })));
    await expect(deliveryEvents(tagged, lambdaContext())).resolves.toEqual({ recorded: 1, dropped: 0 });
    await markLater;
    expect(await shown(personId, notificationId)).toMatchObject({ status: 'delivered' });
    expect((await doc.send(new GetCommand({ TableName: table, Key: keys.providerMessage('ses', providerMessageId) }))).Item).toBeUndefined();

    // A report about another copy of the message (sent again under another id after a crash) changes nothing: a
    // bounce is unknown, a delivery's receipt names that copy and no reader applies it.
    const other = { provider: 'ses' as const, providerMessageId: randomUUID(), outbox: { personId, notificationId }, status: 'bounced' as const, at: new Date().toISOString() };
    await expect(recordDelivery(other)).rejects.toBeInstanceOf(UnknownProviderMessageError);
    expect(await shown(personId, notificationId)).toMatchObject({ status: 'delivered' });
    const again = randomUUID();
    await doc.send(new PutCommand({ TableName: table, Item: { ...item, status: 'sent', providerMessageId: again } }));
    expect(await shown(personId, notificationId)).toMatchObject({ status: 'sent' });
    await recordDelivery({ ...other, providerMessageId: again, status: 'delivered' });
    expect(await shown(personId, notificationId)).toMatchObject({ status: 'delivered' });
  });

  it('drops a report for a message id nobody recorded instead of failing, when invoked directly (no queue to hand it back to)', async () => {
    const started = Date.now();
    await expect(deliveryEvents(delivered(randomUUID()), lambdaContext())).resolves.toEqual({ recorded: 0, dropped: 1 });
    // It looked the id up again first: the send may have been recorded a moment late.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
  });
});

/** An SQS record of the delivery queue, as Lambda's event source mapping hands it over. */
const sqsRecord = (body: unknown, receiveCount = 1) => ({
  messageId: randomUUID(),
  receiptHandle: randomUUID(),
  body: typeof body === 'string' ? body : JSON.stringify(body),
  attributes: { ApproximateReceiveCount: String(receiveCount), SentTimestamp: String(Date.now()), SenderId: 'AIDAEVENTS', ApproximateFirstReceiveTimestamp: String(Date.now()) },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:eu-west-3:000000000000:delivery-events',
  awsRegion: 'eu-west-3',
});
/** An SES event as the rule puts it on the queue, its tags naming the outbox item. */
const sesEvent = (detailType: string, providerMessageId: string, outbox: { personId: string; notificationId: string }, detail: Record<string, unknown> = {}) => ({
  version: '0',
  id: randomUUID(),
  source: 'aws.ses',
  'detail-type': detailType,
  time: '2026-03-02T10:00:00Z',
  detail: { mail: { messageId: providerMessageId, tags: Object.fromEntries(outboxTags(outbox.personId, outbox.notificationId).map((t) => [t.Name, [t.Value]])), destination: ['ines@example.org'] }, ...detail },
});
const smsEvent = (providerMessageId: string, messageStatus: string) => ({ eventType: `TEXT_${messageStatus}`, eventTimestamp: Date.parse('2026-03-02T10:00:00Z'), messageId: providerMessageId, messageStatus, destinationPhoneNumber: '+33612345678' });

describe('DeliveryEvents, from the delivery queue', () => {
  it('records a batch of SES and SMS reports together, and hands back only the messages that failed: one it cannot read, one whose id is unknown yet', async () => {
    const email = await sentMessage('ses');
    const sms = await sentMessage('sms');
    const enveloped = await sentMessage('sms');
    const emailOutbox = { personId: email.personId, notificationId: email.notificationId };
    const unreadable = sqsRecord('{"source":"aws.ses","detail-type":"Email Delivered"}');
    const notJson = sqsRecord('pas du JSON');
    const unknown = sqsRecord(delivered(randomUUID()));
    const intermediate = sqsRecord(smsEvent(randomUUID(), 'QUEUED'));
    const records = [
      sqsRecord(sesEvent('Email Delivered', email.providerMessageId, emailOutbox, { delivery: { timestamp: '2026-03-02T10:00:01.000Z' } })),
      unreadable,
      sqsRecord(smsEvent(sms.providerMessageId, 'UNREACHABLE')),
      unknown,
      // SNS's envelope, when the subscription does not deliver the raw message.
      sqsRecord({ Type: 'Notification', MessageId: randomUUID(), Message: JSON.stringify(smsEvent(enveloped.providerMessageId, 'DELIVERED')) }),
      notJson,
      intermediate,
    ];
    const started = Date.now();
    const answer = await deliveryEvents({ Records: records }, lambdaContext());
    expect(answer).toEqual({ batchItemFailures: [unreadable, unknown, notJson].map((r) => ({ itemIdentifier: r.messageId })) });
    // The unknown id was looked up again once, a second later, before it went back to the queue.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(await email.read()).toMatchObject({ status: 'delivered', statusAt: '2026-03-02T10:00:01.000Z' });
    expect(await sms.read()).toMatchObject({ status: 'failed', statusReason: 'UNREACHABLE' });
    expect(await enveloped.read()).toMatchObject({ status: 'delivered' });

    // Delivered again (the queue's redelivery, or SES's own duplicate): nothing changes, nothing fails.
    expect(await deliveryEvents({ Records: [records[0]!, records[2]!, records[4]!] }, lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(await sms.read()).toMatchObject({ status: 'failed', statusReason: 'UNREACHABLE' });
  });

  it('drops a report whose id is still unknown at its third delivery, without failing it, so it never reaches the dead letters', async () => {
    const third = sqsRecord(delivered(randomUUID()), 3);
    const second = sqsRecord(delivered(randomUUID()), 2);
    expect(await deliveryEvents({ Records: [third, second] }, lambdaContext())).toEqual({ batchItemFailures: [{ itemIdentifier: second.messageId }] });
  });

  it("follows up each report of the batch: a hard bounce opens the contact to fix, whatever the batch's other reports", async () => {
    const personId = randomUUID();
    const cause = `ack#${randomUUID()}`;
    const to = `ines.${randomUUID()}@example.org`;
    for (const put of outboxPuts(table, personId, cause, [{ kind: 'referral-received', role: 'young', channel: 'email', to, subject: 'Sujet', body: 'Bonjour' }], NOON.toISOString())) await doc.send(new PutCommand(put.Put));
    await sendPendingNotifications(personId, cause, NOON);
    const notificationId = `${cause}#young#email`;
    const { providerMessageId } = (await doc.send(new GetCommand({ TableName: table, Key: keys.notification(personId, notificationId) }))).Item!;
    const others = await Promise.all(Array.from({ length: 5 }, () => sentMessage('ses')));
    const bounce = sesEvent('Email Bounced', providerMessageId, { personId, notificationId }, { bounce: { bounceType: 'Permanent', bounceSubType: 'General' } });
    const records = [...others.map((o) => sqsRecord(sesEvent('Email Delivered', o.providerMessageId, o))), sqsRecord(bounce)];
    expect(await deliveryEvents({ Records: records }, lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(await shown(personId, notificationId)).toMatchObject({ status: 'bounced', statusReason: 'Permanent/General' });
    const issue = (await doc.send(new GetCommand({ TableName: table, Key: keys.contactIssue(personId, contactIssueId('young', 'email', to)) }))).Item;
    expect(issue).toMatchObject({ status: 'open', notificationIds: [notificationId] });
    for (const other of others) expect(await other.read()).toMatchObject({ status: 'delivered' });
  });
});

describe('recordDeliveries', () => {
  it('writes a batch together and settles each report as recordDelivery does: deliveries by BatchWrite, the rest in transactions (updated, unchanged, unknown); a message reported twice in order', async () => {
    const messages = await Promise.all(Array.from({ length: 150 }, (_, i) => sentMessage(i % 3 === 0 ? 'sms' : 'ses')));
    const tagged = (m: (typeof messages)[number], report: DeliveryReport): DeliveryReport => (m.provider === 'ses' ? { ...report, outbox: { personId: m.personId, notificationId: m.notificationId } } : report);
    // Already delivered before the batch: its receipt put again, alike.
    await recordDelivery(messages[1]!.report('delivered'));
    const otherCopy = { ...messages[2]!.report('delivered'), providerMessageId: randomUUID(), outbox: { personId: messages[2]!.personId, notificationId: messages[2]!.notificationId } };
    const reports: DeliveryReport[] = [
      ...messages.map((m) => tagged(m, m.report('delivered', '2026-03-02T10:00:00.000Z'))),
      // A bounce after the delivery of the same message, in the same batch.
      tagged(messages[4]!, messages[4]!.report('bounced', '2026-03-02T10:05:00.000Z', 'Permanent/General')),
      otherCopy,
      { provider: 'sms', providerMessageId: randomUUID(), status: 'delivered', at: new Date().toISOString() },
    ];
    const requests: string[] = [];
    const name = `count-${randomUUID()}`;
    db().middlewareStack.add(
      (next, context) => async (args) => {
        requests.push(String(context.commandName).replace(/Command$/, ''));
        return next(args);
      },
      { step: 'initialize', name },
    );
    let results: Awaited<ReturnType<typeof recordDeliveries>>;
    try {
      results = await recordDeliveries(reports);
    } finally {
      db().middlewareStack.remove(name);
    }
    expect(results).toHaveLength(reports.length);
    const value = (i: number) => (results[i]!.status === 'fulfilled' ? results[i]!.value.result : (results[i]! as PromiseRejectedResult).reason);
    expect(value(0)).toBe('updated');
    expect(value(1)).toBe('updated');
    expect(value(149)).toBe('updated');
    expect(value(150)).toBe('updated');
    // A delivery of another copy: a receipt no reader applies. An SMS id without its lookup: unknown.
    expect(value(151)).toBe('updated');
    expect(value(152)).toBeInstanceOf(UnknownProviderMessageError);
    expect(results.slice(0, 150).every((r) => r.status === 'fulfilled')).toBe(true);
    expect(results[0]).toMatchObject({ value: { personId: messages[0]!.personId, notificationId: messages[0]!.notificationId } });
    // The lookups in one read; the 151 receipts in 7 BatchWrites of 25; the bounce alone in its transaction.
    expect(requests.filter((r) => r === 'BatchWriteItem')).toHaveLength(Math.ceil(151 / 25));
    expect(requests.filter((r) => r === 'TransactWriteItems' || r === 'UpdateItem' || r === 'PutItem')).toHaveLength(1);
    expect(await messages[4]!.read()).toMatchObject({ status: 'bounced', statusAt: '2026-03-02T10:05:00.000Z', gsi3pk: expect.any(String) });
    expect(await messages[149]!.read()).toMatchObject({ status: 'delivered', statusAt: '2026-03-02T10:00:00.000Z' });
    expect(await messages[2]!.read()).toMatchObject({ status: 'delivered' });
    expect((await stored(messages[2]!.personId, messages[2]!.notificationId)).receipts).toHaveLength(2);

    // The same batch again: the same receipts (none more), the bounce unchanged and standing, the unknown still unknown.
    const again = await recordDeliveries(reports);
    expect(again.slice(0, 152).map((r) => (r.status === 'fulfilled' ? r.value.result : 'rejected'))).toEqual([...new Array(150).fill('updated'), 'unchanged', 'updated']);
    expect(await messages[4]!.read()).toMatchObject({ status: 'bounced' });
    expect((await stored(messages[149]!.personId, messages[149]!.notificationId)).receipts).toHaveLength(1);
  });
});

describe('sendPendingNotifications', () => {
  it("records an SMS's provider id lookup in the write that marks it sent (an e-mail's events name it by their tags), and sends a message once", async () => {
    const personId = randomUUID();
    const cause = `test-cause#${randomUUID()}`;
    const puts = outboxPuts(table, personId, cause, [
      { kind: 'test', role: 'young', channel: 'email', to: 'ines@example.org', subject: 'Sujet', body: 'Bonjour' },
      { kind: 'test', role: 'young', channel: 'sms', to: '+33612345678', body: 'Bonjour' },
    ], new Date().toISOString());
    for (const put of puts) await doc.send(new PutCommand(put.Put));
    expect(await sendPendingNotifications(personId, cause, NOON)).toEqual({ sent: 2, alreadySent: 0, deferred: 0, failed: 0, retryLater: 0 });
    for (const channel of ['email', 'sms'] as const) {
      const message = (await doc.send(new GetCommand({ TableName: table, Key: keys.notification(personId, `${cause}#young#${channel}`) }))).Item!;
      expect(message).toMatchObject({ status: 'sent', providerMessageId: expect.any(String) });
      const lookup = (await doc.send(new GetCommand({ TableName: table, Key: keys.providerMessage(channel === 'email' ? 'ses' : 'sms', message.providerMessageId) }))).Item;
      if (channel === 'email') {
        // SES puts the e-mail's tags (its outbox key) on its events: no lookup to write.
        expect(lookup).toBeUndefined();
        continue;
      }
      expect(lookup).toMatchObject({ personId, notificationId: message.notificationId, expiresAt: expect.any(Number) });
      expect(JSON.stringify(lookup)).not.toContain('+33612345678');
    }
    // A delivered message is not pending: a retried step leaves it alone.
    const notificationId = `${cause}#young#email`;
    await recordDelivery({ provider: 'ses', providerMessageId: (await doc.send(new GetCommand({ TableName: table, Key: keys.notification(personId, notificationId) }))).Item!.providerMessageId, outbox: { personId, notificationId }, status: 'delivered', at: new Date().toISOString() });
    expect(await sendPendingNotifications(personId, cause, NOON)).toEqual({ sent: 0, alreadySent: 2, deferred: 0, failed: 0, retryLater: 0 });
  });
});

describe('writeAndSendNotifications', () => {
  it('writes many causes in shared transactions and sends each message once, a cause written before as it stands, an opted-out address skipped', async () => {
    const personId = randomUUID();
    const run = randomUUID();
    const draft = (to: string) => ({ kind: 'test', role: 'young' as const, channel: 'email' as const, to, subject: 'Sujet', body: 'Bonjour' });
    const write = (i: number, to = `client-${i}-${run}@example.org`) => ({ personId, cause: `batch#${run}#${i}`, items: outboxPuts(table, personId, `batch#${run}#${i}`, [draft(to)], new Date().toISOString()) });
    // Cause 1 was written and sent by an earlier attempt; cause 2 goes to an address that complained.
    for (const put of write(1).items) await doc.send(new PutCommand(put.Put));
    expect((await sendPendingNotifications(personId, write(1).cause, NOON)).sent).toBe(1);
    const complained = `plainte-${run}@example.org`;
    await doc.send(new PutCommand({ TableName: table, Item: { ...keys.optOut('email', complained), type: 'opt-out', channel: 'email', address: complained, reason: 'complaint', at: NOON.toISOString() } }));
    const before = (await messaging.ses.listEmails()).length;

    const writes = [write(0), write(1), write(2, complained), ...Array.from({ length: 60 }, (_, k) => write(3 + k))];
    const counts = await writeAndSendNotifications(writes, 4, NOON);
    expect(counts[0]).toEqual({ sent: 1, alreadySent: 0, deferred: 0, failed: 0, retryLater: 0 });
    expect(counts[1]).toEqual({ sent: 0, alreadySent: 1, deferred: 0, failed: 0, retryLater: 0 });
    expect(counts[2]!.sent).toBe(0);
    expect(counts.slice(3).every((c) => c.sent === 1)).toBe(true);
    expect((await messaging.ses.listEmails()).length - before).toBe(61);
    const status = async (i: number) => (await doc.send(new GetCommand({ TableName: table, Key: keys.notification(personId, `batch#${run}#${i}#young#email`) }))).Item!.status;
    expect(await status(2)).toBe('opted-out');

    // Again (a retried batch): everything is there, nothing goes twice.
    const again = await writeAndSendNotifications(writes, 4, NOON);
    expect(again.reduce((sum, c) => sum + c.sent, 0)).toBe(0);
    expect((await messaging.ses.listEmails()).length - before).toBe(61);
  });
});

describe('provider events to reports', () => {
  const ses = (detailType: string, detail: Record<string, unknown> = {}) => ({ 'detail-type': detailType, time: '2026-03-02T10:00:00Z', detail: { mail: { messageId: 'm-1' }, ...detail } });

  it('reads SES deliveries, bounces (permanent or not), complaints, rejections, and ignores the rest', () => {
    expect(sesReport(ses('Email Delivered', { delivery: { timestamp: '2026-03-02T10:00:01.000Z' } }))).toEqual({ provider: 'ses', providerMessageId: 'm-1', status: 'delivered', at: '2026-03-02T10:00:01.000Z' });
    expect(sesReport(ses('Email Bounced', { bounce: { bounceType: 'Permanent', bounceSubType: 'NoEmail' } }))).toMatchObject({ status: 'bounced', reason: 'Permanent/NoEmail', at: '2026-03-02T10:00:00Z' });
    expect(sesReport(ses('Email Bounced', { bounce: { bounceType: 'Transient', bounceSubType: 'MailboxFull' } }))).toMatchObject({ status: 'failed', reason: 'Transient/MailboxFull' });
    expect(sesReport(ses('Email Complaint Received', { complaint: { complaintFeedbackType: 'abuse' } }))).toMatchObject({ status: 'complained', reason: 'abuse' });
    expect(sesReport(ses('Email Rejected'))).toMatchObject({ status: 'failed', reason: 'Rejected' });
    expect(sesReport(ses('Email Delivery Delayed'))).toBeUndefined();
    expect(sesReport(ses('Email Sent'))).toBeUndefined();
    // The outbox item named by the e-mail's tags (SES gives each tag as a list), key parts with '#' included.
    const tags = Object.fromEntries(outboxTags('customer-a1-c2', 'invoice-issued#inv-1#customer#email').map((t) => [t.Name, [t.Value]]));
    expect(tags['outbox-message']![0]).toMatch(/^[A-Za-z0-9_-]{1,256}$/);
    expect(sesReport({ ...ses('Email Delivered'), detail: { mail: { messageId: 'm-1', tags: { ...tags, kind: ['invoice-issued'] } } } })).toMatchObject({ providerMessageId: 'm-1', outbox: { personId: 'customer-a1-c2', notificationId: 'invoice-issued#inv-1#customer#email' } });
  });

  it('reads SMS receipts: DELIVERED, every tracked failure, and ignores intermediate ones', () => {
    const sms = (messageStatus: string, eventType = `TEXT_${messageStatus}`) => smsReport({ eventType, eventTimestamp: Date.parse('2026-03-02T10:00:00Z'), messageId: 's-1', messageStatus });
    expect(sms('DELIVERED')).toEqual({ provider: 'sms', providerMessageId: 's-1', status: 'delivered', at: '2026-03-02T10:00:00.000Z' });
    for (const eventType of SMS_TRACKED_EVENT_TYPES.filter((t) => t !== 'TEXT_DELIVERED')) {
      expect(sms(eventType.replace('TEXT_', '')), eventType).toMatchObject({ status: 'failed', reason: eventType.replace('TEXT_', '') });
    }
    expect(sms('SUCCESSFUL')).toBeUndefined();
    expect(sms('QUEUED')).toBeUndefined();
    expect(sms('DELIVERED', 'VOICE_COMPLETED')).toBeUndefined();
  });
});
