import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { useLocalMessaging, type LocalMessaging } from '../support/messaging.js';
import { keys } from '../../shared/keys.js';
import { outboxPuts, type OutboxDraft } from '../../shared/data/outbox.js';
import { sendPendingNotifications } from '../../shared/notifications/sender.js';

/** Midday in Paris: inside the SMS window. */
const NOON = new Date('2026-11-26T11:00:00Z');
/** The next answers of the local providers: true = throttled. */
const script: boolean[] = [];
let messaging: LocalMessaging;

beforeAll(async () => {
  // A provider call is throttled when the script says so; with an empty script, never.
  messaging = await useLocalMessaging({ SMS_WINDOW: '8-20' }, { faults: { rate: 0.5, random: () => (script.shift() ? 0 : 1) } });
});
afterAll(async () => messaging?.stop());

async function outbox(drafts: OutboxDraft[]) {
  const personId = randomUUID();
  const cause = `test#${randomUUID()}`;
  await messaging.doc.send(new TransactWriteCommand({ TransactItems: outboxPuts(messaging.table, personId, cause, drafts, NOON.toISOString()) }));
  const read = async (channel: string) =>
    (await messaging.doc.send(new GetCommand({ TableName: messaging.table, Key: keys.notification(personId, `${cause}#young#${channel}`), ConsistentRead: true }))).Item!;
  return { send: (at = NOON) => sendPendingNotifications(personId, cause, at), read };
}

describe('a provider that throttles', () => {
  it('gets the same message again from the SDK, with backoff, and the outbox records how many calls it took', async () => {
    const phone = '+33712345678';
    const { send, read } = await outbox([
      { kind: 'test', role: 'young', channel: 'sms', to: phone, body: 'CoopConnexion : test' },
      { kind: 'test', role: 'young', channel: 'email', to: 'zoe@example.org', subject: 'Test', body: 'Bonjour' },
    ]);
    script.push(true, false, true, true, false); // in key order: the e-mail throttled once, then the SMS twice
    expect(await send()).toMatchObject({ sent: 2 });
    expect(await read('email')).toMatchObject({ status: 'sent', attempts: 1, providerAttempts: 2 });
    expect(await read('sms')).toMatchObject({ status: 'sent', attempts: 1, providerAttempts: 3 });
    expect(messaging.sms.list().filter((m) => m.destination === phone)).toHaveLength(1);
  });

  it('leaves the message pending, with the error, when every call of a step is throttled: the next attempt after the backoff sends it once', async () => {
    const phone = '+33712345679';
    const { send, read } = await outbox([{ kind: 'test', role: 'young', channel: 'sms', to: phone, body: 'CoopConnexion : test' }]);
    script.push(true, true, true); // the SDK's standard mode makes 3 calls
    expect(await send()).toMatchObject({ sent: 0, retryLater: 1 });
    expect(await read('sms')).toMatchObject({ status: 'pending', attempts: 1, lastError: 'ThrottlingException', nextAttemptAt: new Date(NOON.getTime() + 30_000).toISOString() });
    expect(messaging.sms.list().filter((m) => m.destination === phone)).toHaveLength(0);
    expect(await send(new Date(NOON.getTime() + 30_000))).toMatchObject({ sent: 1 });
    expect(await read('sms')).toMatchObject({ status: 'sent', attempts: 2, providerAttempts: 1 });
    expect(messaging.sms.list().filter((m) => m.destination === phone)).toHaveLength(1);
  });
});
