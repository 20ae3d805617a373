import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomInt, randomUUID } from 'node:crypto';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { useLocalMessaging, type LocalMessaging } from '../support/messaging.js';
import { keys } from '../../shared/keys.js';
import { outboxPuts, type OutboxMessage } from '../../shared/data/outbox.js';
import { dispatchDueNotifications, sendPendingNotifications } from '../../shared/notifications/sender.js';

/** The local cloud's SES and SMS, reached over HTTP by the real SDK clients: they count what the provider received. */
let messaging: LocalMessaging;

beforeAll(async () => {
  messaging = await useLocalMessaging({ SMS_WINDOW: 'off' });
});
afterAll(async () => messaging?.stop());

const NOON = new Date('2026-11-26T11:00:00Z');

async function writeCause(to: { email: string; phone: string }, at: Date) {
  const personId = randomUUID();
  const cause = `test#${randomUUID()}`;
  await messaging.doc.send(
    new TransactWriteCommand({
      TransactItems: outboxPuts(
        messaging.table,
        personId,
        cause,
        [
          { kind: 'test', role: 'young', channel: 'email', to: to.email, subject: 'Objet', body: 'Bonjour' },
          { kind: 'test', role: 'young', channel: 'sms', to: to.phone, body: 'CoopConnexion : bonjour' },
        ],
        at.toISOString(),
      ),
    }),
  );
  const read = async (channel: 'email' | 'sms') =>
    (await messaging.doc.send(new GetCommand({ TableName: messaging.table, Key: keys.notification(personId, `${cause}#young#${channel}`), ConsistentRead: true }))).Item as OutboxMessage;
  return { personId, cause, read };
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

describe('the dispatcher and immediate sends racing over 100 due messages', () => {
  it('get each message to the provider exactly once', async () => {
    const recipients = Array.from({ length: 50 }, (_, i) => ({ email: `course${i}.${randomUUID()}@example.org`, phone: `+3375${String(randomInt(10_000_000)).padStart(7, '0')}` }));
    const causes = await Promise.all(recipients.map((to) => writeCause(to, new Date(NOON.getTime() - 60_000))));

    // Each cause's step and its retry, and three dispatchers at once (a schedule fired twice, and a manual run), in random order.
    const steps = causes.flatMap(({ personId, cause }) => [0, 1].map(() => async () => ({ by: 'step', ...(await sendPendingNotifications(personId, cause, NOON)) })));
    const dispatchers = [0, 1, 2].map(() => async () => ({ by: 'dispatcher', ...(await dispatchDueNotifications(NOON, { pageSize: 20 })) }));
    const settled = await Promise.allSettled(shuffle([...steps, ...dispatchers]).map((run) => run()));
    expect(settled.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []))).toEqual([]);
    const results = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    // Under load the local services may drop a connection (the SDK's TimeoutError): such a message waits for its
    // backoff, and later dispatcher runs send it, still once.
    for (let hour = 1; hour <= 3; hour++) results.push({ by: 'later dispatcher', ...(await dispatchDueNotifications(new Date(NOON.getTime() + hour * 3600_000))) });

    expect(results.reduce((sum, r) => sum + r.sent, 0)).toBe(100);
    // Both kinds of sender got some: the race took place.
    expect(results.filter((r) => r.by === 'step').reduce((sum, r) => sum + r.sent, 0)).toBeGreaterThan(0);
    expect(results.filter((r) => r.by === 'dispatcher').reduce((sum, r) => sum + r.sent + r.retryLater, 0)).toBeGreaterThan(0);
    const emails = await messaging.ses.listEmails();
    const texts = messaging.sms.list();
    for (const to of recipients) {
      expect(emails.filter((m) => m.to.includes(to.email))).toHaveLength(1);
      expect(texts.filter((m) => m.destination === to.phone)).toHaveLength(1);
    }
    for (const { read } of causes) {
      for (const channel of ['email', 'sms'] as const) {
        const message = await read(channel);
        expect(message).toMatchObject({ status: 'sent', providerMessageId: expect.any(String) });
        expect(message).not.toHaveProperty('leaseId');
        expect(message).not.toHaveProperty('gsi3pk');
      }
    }
    // Nothing is left due: a later run sends nothing more.
    expect(await dispatchDueNotifications(new Date(NOON.getTime() + 24 * 3600_000))).toMatchObject({ sent: 0, retryLater: 0 });
    expect((await messaging.ses.listEmails()).length).toBe(emails.length);
  });
});

describe('a number the SMS service refuses', () => {
  it('fails the SMS at once (no retry), and the e-mail of the same cause still goes', async () => {
    const email = `refus.${randomUUID()}@example.org`;
    // A number outside the E.164 form: the local service answers ValidationException, as AWS does for a country our sender id does not cover.
    const phone = `06${String(randomInt(100_000_000)).padStart(8, '0')}`;
    const { personId, cause, read } = await writeCause({ email, phone }, NOON);
    expect(await sendPendingNotifications(personId, cause, NOON)).toEqual({ sent: 1, alreadySent: 0, deferred: 0, failed: 1, retryLater: 0 });
    expect(await read('sms')).toMatchObject({ status: 'failed', statusReason: 'provider-rejected', lastError: 'ValidationException', attempts: 1, gsi3pk: 'OUTBOX#FAILED' });
    expect(await read('email')).toMatchObject({ status: 'sent' });
    await dispatchDueNotifications(new Date(NOON.getTime() + 3600_000));
    expect(messaging.sms.list().filter((m) => m.destination === phone)).toHaveLength(0);
    expect((await messaging.ses.listEmails()).filter((m) => m.to.includes(email))).toHaveLength(1);
  });
});
