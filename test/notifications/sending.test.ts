import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { mockClient } from 'aws-sdk-client-mock';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { PinpointSMSVoiceV2Client, SendTextMessageCommand } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { GetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { useFreshAppTable } from '../support/dynamodb.js';
import { outboxPuts, type OutboxDraft } from '../../shared/data/outbox.js';
import { dispatchDueNotifications, sendPendingNotifications } from '../../shared/notifications/sender.js';
import { keys } from '../../shared/keys.js';
import { invocationTime } from '../../shared/invocation.js';
import type { Context } from 'aws-lambda';

const ses = mockClient(SESv2Client);
const sms = mockClient(PinpointSMSVoiceV2Client);
let doc: DynamoDBDocumentClient;
let table: string;

beforeAll(async () => {
  ({ doc, tableName: table } = await useFreshAppTable());
});
beforeEach(() => {
  ses.reset();
  sms.reset();
  ses.on(SendEmailCommand).callsFake(async () => ({ MessageId: `ses-${randomUUID()}` }));
  sms.on(SendTextMessageCommand).callsFake(async () => ({ MessageId: `sms-${randomUUID()}` }));
});

const drafts: OutboxDraft[] = [
  { kind: 'referral-received', role: 'young', channel: 'email', to: 'jeune@example.org', subject: 'Votre orientation', body: 'Bonjour' },
  { kind: 'referral-received', role: 'young', channel: 'sms', to: '+33612345678', body: 'Bonjour' },
];

/** Writes the outbox of one cause the way a state change does; a second write of the same cause is refused by its condition. */
async function record(personId: string, cause: string): Promise<boolean> {
  try {
    await doc.send(new TransactWriteCommand({ TransactItems: outboxPuts(table, personId, cause, drafts, new Date().toISOString()) }));
    return true;
  } catch (error) {
    if (error instanceof TransactionCanceledException) return false;
    throw error;
  }
}

const message = async (personId: string, notificationId: string) =>
  (await doc.send(new GetCommand({ TableName: table, Key: keys.notification(personId, notificationId), ConsistentRead: true }))).Item!;

describe('a notification is sent at most once per cause', () => {
  it('sends exactly one e-mail and one SMS when the step that records and sends them runs 3 times', async () => {
    const personId = randomUUID();
    const cause = `referral-received#${randomUUID()}`;
    const noon = new Date('2026-11-26T11:00:00Z');
    const recorded: boolean[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      recorded.push(await record(personId, cause));
      await sendPendingNotifications(personId, cause, noon);
    }
    expect(recorded).toEqual([true, false, false]);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1);
    expect(sms.commandCalls(SendTextMessageCommand)).toHaveLength(1);
    expect((await message(personId, `${cause}#young#sms`)).status).toBe('sent');
  });

  it('keeps a message pending with its error and its next attempt when the provider fails, and sends it once its time comes', async () => {
    const personId = randomUUID();
    const cause = `referral-received#${randomUUID()}`;
    await record(personId, cause);
    ses
      .on(SendEmailCommand)
      .rejectsOnce(Object.assign(new Error('throttled'), { name: 'TooManyRequestsException' }))
      .resolves({ MessageId: `ses-${randomUUID()}` });
    // The step goes on: the failure is the outbox's to retry.
    expect(await sendPendingNotifications(personId, cause, new Date('2026-11-26T11:00:00Z'))).toEqual({ sent: 1, alreadySent: 0, deferred: 0, failed: 0, retryLater: 1 });
    expect(await message(personId, `${cause}#young#email`)).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastError: 'TooManyRequestsException',
      nextAttemptAt: '2026-11-26T11:00:30.000Z',
      gsi3pk: 'OUTBOX#DUE',
    });
    expect((await message(personId, `${cause}#young#sms`)).status).toBe('sent');
    // A retried step before the backoff ends leaves it alone.
    expect(await sendPendingNotifications(personId, cause, new Date('2026-11-26T11:00:05Z'))).toMatchObject({ sent: 0, retryLater: 1 });
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1);
    await sendPendingNotifications(personId, cause, new Date('2026-11-26T11:00:30Z'));
    expect(await message(personId, `${cause}#young#email`)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(sms.commandCalls(SendTextMessageCommand)).toHaveLength(1);
  });
});

describe('a sending step near its timeout', () => {
  it('claims no message with under 4 s left, so Lambda never cuts a send from its record; the dispatcher sends them once', async () => {
    const personId = randomUUID();
    const cause = `referral-received#${randomUUID()}`;
    await record(personId, cause);
    const clock = invocationTime();
    let left = 3_500;
    clock.before({ context: { getRemainingTimeInMillis: () => left } as unknown as Context });
    process.env.SMS_WINDOW = 'off';
    try {
      expect(await sendPendingNotifications(personId, cause)).toMatchObject({ sent: 0, retryLater: 2 });
      expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
      // Untouched: no attempt counted, no lease, still due from its write.
      const untouched = await message(personId, `${cause}#young#email`);
      expect(untouched).toMatchObject({ status: 'pending', gsi3pk: 'OUTBOX#DUE' });
      expect(untouched.leaseId).toBeUndefined();
      expect(untouched.attempts ?? 0).toBe(0);
      left = 9_000;
      await dispatchDueNotifications(new Date(Date.now() + 1_000));
    } finally {
      clock.after();
      delete process.env.SMS_WINDOW;
    }
    for (const channel of ['email', 'sms']) expect(await message(personId, `${cause}#young#${channel}`)).toMatchObject({ status: 'sent', attempts: 1 });
  });
});

describe('SMS quiet hours: none between 20:00 and 08:00 Europe/Paris', () => {
  it('sends the e-mail at once, holds the SMS until 08:00, and the dispatcher sends it then, once', async () => {
    const personId = randomUUID();
    const cause = `referral-received#${randomUUID()}`;
    await record(personId, cause);
    // 21:30 in Paris on a winter evening.
    const result = await sendPendingNotifications(personId, cause, new Date('2026-11-26T20:30:00Z'));
    expect(result).toMatchObject({ sent: 1, deferred: 1 });
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1);
    expect(sms.commandCalls(SendTextMessageCommand)).toHaveLength(0);
    // 08:00 in Paris is 07:00Z in winter.
    expect(await message(personId, `${cause}#young#sms`)).toMatchObject({ status: 'pending', notBefore: '2026-11-27T07:00:00.000Z' });

    // A retried step during the night still holds it back.
    await sendPendingNotifications(personId, cause, new Date('2026-11-26T23:00:00Z'));
    await dispatchDueNotifications(new Date('2026-11-27T06:59:00Z'));
    expect(sms.commandCalls(SendTextMessageCommand)).toHaveLength(0);

    expect(await dispatchDueNotifications(new Date('2026-11-27T07:00:30Z'))).toMatchObject({ sent: 1 });
    expect(sms.commandCalls(SendTextMessageCommand)).toHaveLength(1);
    const sent = await message(personId, `${cause}#young#sms`);
    expect(sent.status).toBe('sent');
    expect(sent.gsi3pk).toBeUndefined();
    await dispatchDueNotifications(new Date('2026-11-27T07:05:00Z'));
    expect(sms.commandCalls(SendTextMessageCommand)).toHaveLength(1);
  });

  it('holds a summer-evening SMS until 08:00 summer time (06:00Z)', async () => {
    const personId = randomUUID();
    const cause = `referral-received#${randomUUID()}`;
    await record(personId, cause);
    await sendPendingNotifications(personId, cause, new Date('2026-07-10T18:00:00Z'));
    expect((await message(personId, `${cause}#young#sms`)).notBefore).toBe('2026-07-11T06:00:00.000Z');
  });
});

describe('no more than one message of the same kind per person per 24 h', () => {
  const noon = new Date('2026-11-26T11:00:00Z');
  const drafted = (kind: string, to = 'jeune@example.org'): OutboxDraft[] => [{ kind, role: 'young', channel: 'email', to, subject: 'Objet', body: 'Texte' }];
  const recordKind = async (personId: string, cause: string, d: OutboxDraft[]) =>
    doc.send(new TransactWriteCommand({ TransactItems: outboxPuts(table, personId, cause, d, noon.toISOString()) }));

  it('suppresses a second acknowledgement to the same young person within 24 h, and sends it again after', async () => {
    const personId = randomUUID();
    const [first, second, third] = [randomUUID(), randomUUID(), randomUUID()].map((id) => `referral-received#${id}`);
    for (const cause of [first, second, third]) await recordKind(personId, cause, drafted('referral-received'));
    await sendPendingNotifications(personId, first, noon);
    await sendPendingNotifications(personId, second, new Date(noon.getTime() + 23 * 3600_000));
    expect(await message(personId, `${second}#young#email`)).toMatchObject({ status: 'suppressed', statusReason: 'rate-limit-24h' });
    await sendPendingNotifications(personId, third, new Date(noon.getTime() + 25 * 3600_000));
    expect((await message(personId, `${third}#young#email`)).status).toBe('sent');
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(2);
  });

  it('lets different kinds, different recipients and explicit reminders through', async () => {
    const personId = randomUUID();
    const causes = Array.from({ length: 4 }, () => `c#${randomUUID()}`);
    await recordKind(personId, causes[0], drafted('referral-received'));
    await recordKind(personId, causes[1], drafted('referral-accepted'));
    await recordKind(personId, causes[2], drafted('referral-received', 'autre@example.org'));
    for (const cause of causes.slice(0, 3)) await sendPendingNotifications(personId, cause, noon);
    const reminders = [`r#${randomUUID()}`, `r#${randomUUID()}`];
    for (const cause of reminders) {
      await doc.send(new TransactWriteCommand({ TransactItems: outboxPuts(table, personId, cause, [{ kind: 'referral-reminder', role: 'staff', channel: 'email', to: 'equipe@example.org', subject: 'Relance', body: 'x' }], noon.toISOString()) }));
      await sendPendingNotifications(personId, cause, noon);
    }
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(5);
  });

  it('sends every held invoice its own notice: two invoices held the same day are two messages, not a repeat', async () => {
    const personId = randomUUID();
    const causes = [`invoice-held#inv-${randomUUID()}`, `invoice-held#inv-${randomUUID()}`];
    for (const cause of causes) {
      await recordKind(personId, cause, drafted('invoice-held'));
      await sendPendingNotifications(personId, cause, noon);
    }
    for (const cause of causes) expect((await message(personId, `${cause}#young#email`)).status).toBe('sent');
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(2);
  });

  it('keeps its slot for the same message when its step is retried', async () => {
    const personId = randomUUID();
    const cause = `referral-received#${randomUUID()}`;
    await recordKind(personId, cause, drafted('referral-received'));
    ses.on(SendEmailCommand).rejectsOnce(Object.assign(new Error('boom'), { name: 'InternalFailure' })).resolves({ MessageId: 'ses-1' });
    expect(await sendPendingNotifications(personId, cause, noon)).toMatchObject({ retryLater: 1 });
    await sendPendingNotifications(personId, cause, new Date(noon.getTime() + 30_000));
    expect((await message(personId, `${cause}#young#email`)).status).toBe('sent');
  });
});

describe('quiet hours are configuration', () => {
  it('sends an SMS at night when SMS_WINDOW is "off"', async () => {
    const personId = randomUUID();
    const cause = `referral-received#${randomUUID()}`;
    await record(personId, cause);
    process.env.SMS_WINDOW = 'off';
    try {
      expect(await sendPendingNotifications(personId, cause, new Date('2026-11-26T23:30:00Z'))).toMatchObject({ sent: 2, deferred: 0 });
    } finally {
      delete process.env.SMS_WINDOW;
    }
  });
});
