import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { randomUUID } from 'node:crypto';
import { mockClient } from 'aws-sdk-client-mock';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { GetCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { countItemsOfType, useFreshAppTable } from '../support/dynamodb.js';
import { apiEvent, lambdaContext } from '../support/events.js';
import { staffCamille } from '../support/fixtures.js';
import { outboxPuts, outboxPutsOfCauses, type OutboxDraft, type OutboxMessage } from '../../shared/data/outbox.js';
import { dispatchDueNotifications, sendPendingNotifications } from '../../shared/notifications/sender.js';
import { listUndeliveredMessages } from '../../shared/notifications/contacts.js';
import { keys } from '../../shared/keys.js';
import { db } from '../../shared/data/client.js';
import { metrics } from '../../shared/observability.js';
import { handler as staffMessages } from '../../functions/staff/messages.js';

/** A per-test stand-in for SES: each address answers as the test says (an error name to throw, or a send). */
const ses = mockClient(SESv2Client);
const failing = new Map<string, () => string | undefined>();
let doc: DynamoDBDocumentClient;
let table: string;

beforeEach(async () => {
  // A table per test: the dispatcher reads every due message of the table.
  ({ doc, tableName: table } = await useFreshAppTable({ SMS_WINDOW: 'off' }));
  failing.clear();
  ses.reset();
  ses.on(SendEmailCommand).callsFake(async (input: { Destination: { ToAddresses: string[] } }) => {
    const errorName = failing.get(input.Destination.ToAddresses[0])?.();
    if (errorName) throw Object.assign(new Error('provider error (test)'), { name: errorName });
    return { MessageId: `ses-${randomUUID()}` };
  });
});
afterEach(() => vi.restoreAllMocks());

const sesCallsTo = (address: string) => ses.commandCalls(SendEmailCommand).filter((call) => call.args[0].input.Destination?.ToAddresses?.[0] === address).length;
const email = (kind: string, to: string): OutboxDraft => ({ kind, role: 'young', channel: 'email', to, subject: 'Objet', body: 'Texte' });

/** Writes one cause's messages as its state change does, at `at`. */
async function write(drafts: OutboxDraft[], at: Date, personId = randomUUID()) {
  const cause = `test#${randomUUID()}`;
  await doc.send(new TransactWriteCommand({ TransactItems: outboxPuts(table, personId, cause, drafts, at.toISOString()) }));
  const read = async (channel = 'email') =>
    (await doc.send(new GetCommand({ TableName: table, Key: keys.notification(personId, `${cause}#young#${channel}`), ConsistentRead: true }))).Item as OutboxMessage & Record<string, unknown>;
  return { personId, cause, read, send: (now: Date) => sendPendingNotifications(personId, cause, now) };
}

const NOON = new Date('2026-11-26T11:00:00Z');
const plus = (date: Date, seconds: number) => new Date(date.getTime() + seconds * 1000);

describe('a message the provider fails', () => {
  it('is due in the index from its write, retried after 30, 60, 120 s, and sent by the dispatcher once the provider answers', async () => {
    const to = `lea.${randomUUID()}@example.org`;
    let errors = 3;
    failing.set(to, () => (errors-- > 0 ? 'TooManyRequestsException' : undefined));
    const message = await write([email('test', to)], NOON);
    expect(await message.read()).toMatchObject({ status: 'pending', attempts: 0, gsi3pk: 'OUTBOX#DUE', gsi3sk: `${NOON.toISOString()}#${message.personId}#${message.cause}#young#email` });

    // The step's immediate send fails: the step goes on, the message waits in the index for its next attempt.
    expect(await message.send(NOON)).toEqual({ sent: 0, alreadySent: 0, deferred: 0, failed: 0, retryLater: 1 });
    const delays: number[] = [];
    let now = NOON;
    for (let attempt = 1; attempt <= 3; attempt++) {
      const item = await message.read();
      expect(item).toMatchObject({ status: 'pending', attempts: attempt, lastError: 'TooManyRequestsException', gsi3pk: 'OUTBOX#DUE' });
      expect(item.leaseId).toBeUndefined();
      delays.push((Date.parse(item.nextAttemptAt!) - now.getTime()) / 1000);
      // Not before its time: a dispatcher a second early leaves it alone.
      expect(await dispatchDueNotifications(plus(new Date(item.nextAttemptAt!), -1))).toMatchObject({ sent: 0, retryLater: 0 });
      now = new Date(item.nextAttemptAt!);
      await dispatchDueNotifications(now);
    }
    expect(delays).toEqual([30, 60, 120]);
    expect(await message.read()).toMatchObject({ status: 'sent', attempts: 4, providerMessageId: expect.stringMatching(/^ses-/) });
    expect((await message.read()).gsi3pk).toBeUndefined();
    expect(sesCallsTo(to)).toBe(4);
    expect(await dispatchDueNotifications(plus(now, 3600))).toMatchObject({ sent: 0 });
    expect(sesCallsTo(to)).toBe(4);
  });

  it('ends failed after 8 attempts, in the failed-messages index, listed for staff with the count, and is never tried again', async () => {
    const addMetric = vi.spyOn(metrics, 'addMetric');
    const to = `noe.${randomUUID()}@example.org`;
    failing.set(to, () => 'InternalFailure');
    const start = new Date();
    const message = await write([email('test', to)], start);
    await message.send(start);
    for (let attempt = 2; attempt <= 8; attempt++) await dispatchDueNotifications(new Date((await message.read()).nextAttemptAt!));
    const failed = await message.read();
    expect(failed).toMatchObject({ status: 'failed', statusReason: 'attempts-exhausted', lastError: 'InternalFailure', attempts: 8, gsi3pk: 'OUTBOX#FAILED' });
    expect(failed.gsi3sk).toBe(`${failed.statusAt}#${message.personId}#${failed.notificationId}`);
    expect(failed.nextAttemptAt).toBeUndefined();
    // Backoff doubled from 30 s: 30 + 60 + ... + 1920 s after the first attempt.
    expect((Date.parse(failed.statusAt!) - start.getTime()) / 1000).toBe(30 * (2 ** 7 - 1));
    expect(sesCallsTo(to)).toBe(8);
    expect(addMetric.mock.calls.filter(([name]) => name === 'notification_failed')).toHaveLength(1);

    await dispatchDueNotifications(plus(new Date(failed.statusAt!), 24 * 3600));
    expect(await message.send(plus(new Date(failed.statusAt!), 24 * 3600))).toMatchObject({ sent: 0, alreadySent: 1 });
    expect(sesCallsTo(to)).toBe(8);

    expect((await listUndeliveredMessages(start)).items.map((m) => m.notificationId)).toEqual([failed.notificationId]);
    const response = await staffMessages(apiEvent({ routeKey: 'GET /api/staff/messages', actor: staffCamille }) as never, lambdaContext() as never);
    const listed = JSON.parse(String(response.body)).failed;
    expect(listed).toEqual([
      expect.objectContaining({
        notificationId: failed.notificationId,
        status: 'failed',
        statusLabel: "Échec d'envoi après 8 tentatives",
        statusReasonLabel: 'Fournisseur indisponible ou en erreur à chaque tentative',
      }),
    ]);
  });

  it('fails at once, without a retry, when the provider refuses the request itself', async () => {
    const to = `tom.${randomUUID()}@example.org`;
    failing.set(to, () => 'BadRequestException');
    const message = await write([email('test', to)], NOON);
    expect(await message.send(NOON)).toMatchObject({ sent: 0, failed: 1, retryLater: 0 });
    expect(await message.read()).toMatchObject({ status: 'failed', statusReason: 'provider-rejected', lastError: 'BadRequestException', attempts: 1, gsi3pk: 'OUTBOX#FAILED' });
    await dispatchDueNotifications(plus(NOON, 3600));
    expect(sesCallsTo(to)).toBe(1);
  });
});

describe('messages of several causes written together', () => {
  it('file an address that receives links once: their one transaction goes through, with every message', async () => {
    const [personId, referralId] = [randomUUID(), randomUUID()];
    const to = `lina.${randomUUID()}@example.org`;
    const linked = (kind: string): OutboxDraft => ({ ...email(kind, to), body: 'Votre espace : {{lien-personnel}}', personalLink: 'young-person' });
    const [confirmed, reminder] = [`session-confirmed#${randomUUID()}`, `session-reminder#${randomUUID()}`];
    const items = outboxPutsOfCauses(
      table,
      personId,
      [
        { cause: confirmed, drafts: [linked('session-confirmed')], options: { referralId } },
        { cause: reminder, drafts: [linked('session-reminder')], options: { referralId, notBefore: plus(NOON, 86_400).toISOString() } },
      ],
      NOON.toISOString(),
    );
    await doc.send(new TransactWriteCommand({ TransactItems: items }));
    for (const cause of [confirmed, reminder]) {
      const message = await doc.send(new GetCommand({ TableName: table, Key: keys.notification(personId, `${cause}#young#email`), ConsistentRead: true }));
      expect(message.Item).toMatchObject({ status: 'pending', personalLink: 'young-person', referralId });
    }
    // The table is this test's own: its one address filed for links.
    expect(await countItemsOfType(doc, table, 'link-contact', { attribute: 'referralId', equals: referralId })).toBe(1);
  });
});

describe('the dispatcher', () => {
  it('goes past pages full of failing messages to the ones behind them, and counts those due for more than 15 minutes', async () => {
    const addMetric = vi.spyOn(metrics, 'addMetric');
    const longAgo = plus(NOON, -20 * 60);
    const broken = Array.from({ length: 25 }, () => `panne.${randomUUID()}@example.org`);
    for (const to of broken) {
      failing.set(to, () => 'InternalFailure');
      await write([email('test', to)], longAgo);
    }
    // Due after the failing ones: behind two and a half pages of 10.
    const healthy = Array.from({ length: 5 }, () => `ok.${randomUUID()}@example.org`);
    const written = await Promise.all(healthy.map((to) => write([email('test', to)], plus(NOON, -60))));

    const result = await dispatchDueNotifications(NOON, { pageSize: 10 });
    expect(result).toMatchObject({ sent: 5, retryLater: 25, failed: 0, errors: 0, overdue: 25, complete: true });
    for (const message of written) expect((await message.read()).status).toBe('sent');
    for (const to of [...broken, ...healthy]) expect(sesCallsTo(to)).toBe(1);
    expect(addMetric).toHaveBeenCalledWith('notification_overdue', 'Count', 25);
  });

  it('stops reading pages when the invocation runs out of time, and the next run goes on from the oldest', async () => {
    const messages = await Promise.all(Array.from({ length: 12 }, (_, i) => write([email('test', `n${i}.${randomUUID()}@example.org`)], plus(NOON, -600 + i))));
    let pagesLeft = 1;
    const first = await dispatchDueNotifications(NOON, { pageSize: 5, timeLeftMs: () => (pagesLeft-- > 0 ? 60_000 : 5_000) });
    expect(first).toMatchObject({ sent: 5, complete: false });
    const sentFirst = await Promise.all(messages.map(async (m) => (await m.read()).status === 'sent'));
    expect(sentFirst).toEqual(messages.map((_, i) => i < 5));
    expect(await dispatchDueNotifications(NOON, { pageSize: 5 })).toMatchObject({ sent: 7, complete: true });
  });
});

describe('the 24-hour limit', () => {
  it('never holds back a mandatory message; a second non-mandatory one still waits a day', async () => {
    const personId = randomUUID();
    const to = `ines.${randomUUID()}@example.org`;
    const decisions = [await write([email('referral-accepted', to)], NOON, personId), await write([email('referral-accepted', to)], NOON, personId)];
    const acks = [await write([email('referral-received', to)], NOON, personId), await write([email('referral-received', to)], NOON, personId)];
    for (const message of [...decisions, ...acks]) await message.send(plus(NOON, 3600));
    expect(await Promise.all(decisions.map(async (m) => (await m.read()).status))).toEqual(['sent', 'sent']);
    expect(await Promise.all(acks.map(async (m) => (await m.read()).status))).toEqual(['sent', 'suppressed']);
    expect(sesCallsTo(to)).toBe(3);
  });
});

describe('a lease', () => {
  it('held by a sender that died stops every other sender until it expires; the message then goes once, and the dead holder can write nothing', async () => {
    const to = `sam.${randomUUID()}@example.org`;
    // The first provider call never answers: its sender is frozen, as if killed, holding the lease.
    let answerFrozenCall!: (error: Error) => void;
    ses.on(SendEmailCommand).callsFakeOnce(() => new Promise((_resolve, reject) => (answerFrozenCall = reject))).callsFake(async () => ({ MessageId: `ses-${randomUUID()}` }));
    const message = await write([email('test', to)], NOON);
    const frozen = message.send(NOON);
    await vi.waitFor(() => expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1));
    const held = await message.read();
    expect(held).toMatchObject({ status: 'pending', attempts: 1, leaseUntil: plus(NOON, 120).toISOString(), nextAttemptAt: plus(NOON, 120).toISOString() });

    // A retried step, then the dispatcher, while the lease holds: nothing goes.
    expect(await message.send(plus(NOON, 10))).toMatchObject({ sent: 0, retryLater: 1 });
    expect(await dispatchDueNotifications(plus(NOON, 119))).toMatchObject({ sent: 0 });
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1);

    // Once it expires, the dispatcher claims the message and sends it.
    expect(await dispatchDueNotifications(plus(NOON, 120))).toMatchObject({ sent: 1 });
    expect(await message.read()).toMatchObject({ status: 'sent', attempts: 2 });
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(2);

    // The frozen sender wakes up with an error: its lease is gone, so it changes nothing.
    answerFrozenCall(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));
    await frozen;
    expect(await message.read()).toMatchObject({ status: 'sent', attempts: 2 });
    await dispatchDueNotifications(plus(NOON, 3600));
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(2);
  });

  it('claimed by a write whose answer was lost (a 500 after it, retried by the SDK) is still its sender\'s: the message goes at once, once', async () => {
    const to = `noa.${randomUUID()}@example.org`;
    const client = db();
    const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
    let lose = true;
    vi.spyOn(client, 'send').mockImplementation((async (command: unknown) => {
      if (lose && command instanceof UpdateCommand && command.input.UpdateExpression?.startsWith('SET leaseId')) {
        lose = false;
        // DynamoDB applies the claim and answers 500; the SDK's retry then meets the lease it has just taken.
        await send(command);
        return await send(command);
      }
      return await send(command);
    }) as never);
    const message = await write([email('test', to)], NOON);
    expect(await message.send(NOON)).toMatchObject({ sent: 1, retryLater: 0 });
    expect(lose).toBe(false);
    expect(await message.read()).toMatchObject({ status: 'sent', attempts: 1 });
    expect(sesCallsTo(to)).toBe(1);
  });

  it('is not given up when marking the message sent fails past the SDK\'s retries: the provider has it, so the mark is tried again, and it never goes twice', async () => {
    const to = `ines.${randomUUID()}@example.org`;
    const client = db();
    const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
    let failures = 2;
    vi.spyOn(client, 'send').mockImplementation((async (command: unknown) => {
      const marksSent = command instanceof TransactWriteCommand && command.input.TransactItems?.[0]?.Update?.UpdateExpression?.includes('sentAt');
      if (marksSent && failures-- > 0) throw Object.assign(new Error('Internal server error (test)'), { name: 'InternalServerError', $fault: 'server' });
      return await send(command);
    }) as never);
    const message = await write([email('test', to)], NOON);
    expect(await message.send(NOON)).toMatchObject({ sent: 1 });
    expect(failures).toBe(-1);
    expect(await message.read()).toMatchObject({ status: 'sent', attempts: 1 });
    // Long after the lease: nothing left for the dispatcher.
    expect(await dispatchDueNotifications(plus(NOON, 3600))).toMatchObject({ sent: 0 });
    expect(sesCallsTo(to)).toBe(1);
  });
});
