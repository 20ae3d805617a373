import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { PinpointSMSVoiceV2Client, SendTextMessageCommand } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { db, tableName } from '../data/client.js';
import { INDEX, keys, type MessageProvider } from '../keys.js';
import { logger, metrics } from '../observability.js';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { OutboxMessage } from '../data/outbox.js';
import { nextSmsWindow, smsAllowedAt, smsWindowFromEnv } from './quiet-hours.js';
import { isMandatory, type MessageKind } from '../domain/messages/catalogue.js';
import { isOptedOut, optedOut } from './opt-outs.js';
import { writeFallback } from './fallback.js';

let ses: SESv2Client | undefined;
let sms: PinpointSMSVoiceV2Client | undefined;

/** What a provider answered: its message id, and how many calls the SDK made (it retries throttling and 5xx with backoff). */
interface Delivery {
  providerMessageId: string;
  providerAttempts: number;
}

/** Sends one message through its provider. */
async function deliver(message: OutboxMessage): Promise<Delivery> {
  if (message.channel === 'email') {
    ses ??= new SESv2Client({});
    const result = await ses.send(
      new SendEmailCommand({
        FromEmailAddress: process.env.EMAIL_FROM,
        Destination: { ToAddresses: [message.to] },
        ConfigurationSetName: process.env.SES_CONFIGURATION_SET || undefined,
        Content: { Simple: { Subject: { Data: message.subject ?? '', Charset: 'UTF-8' }, Body: { Text: { Data: message.body, Charset: 'UTF-8' } } } },
        EmailTags: [{ Name: 'kind', Value: message.kind.replace(/[^A-Za-z0-9_-]/g, '-') }],
      }),
    );
    return { providerMessageId: result.MessageId ?? '', providerAttempts: result.$metadata?.attempts ?? 1 };
  }
  sms ??= new PinpointSMSVoiceV2Client({});
  const result = await sms.send(
    new SendTextMessageCommand({
      DestinationPhoneNumber: message.to,
      MessageBody: message.body,
      MessageType: 'TRANSACTIONAL',
      OriginationIdentity: process.env.SMS_SENDER_ID || undefined,
      ConfigurationSetName: process.env.SMS_CONFIGURATION_SET || undefined,
      Context: { kind: message.kind },
    }),
  );
  return { providerMessageId: result.MessageId ?? '', providerAttempts: result.$metadata?.attempts ?? 1 };
}

/**
 * Sends the pending messages of one cause for one person, and records each provider answer.
 * A message is marked sent with a conditional write, so a retried step does not send it again;
 * a provider failure is recorded and rethrown so the workflow's Retry applies.
 * An SMS during quiet hours (20:00-08:00 Europe/Paris) is held back until the morning; the dispatcher sends it.
 */
export async function sendPendingNotifications(
  personId: string,
  cause: string,
  now: Date = new Date(),
): Promise<{ sent: number; alreadySent: number; deferred: number }> {
  const prefix = keys.notificationsPrefix(personId);
  const result = await db().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
      ExpressionAttributeValues: { ':pk': prefix.pk, ':sk': `${prefix.skPrefix}${cause}#` },
      ConsistentRead: true,
    }),
  );
  const messages = (result.Items ?? []) as OutboxMessage[];
  const smsWindow = smsWindowFromEnv();
  let deferred = 0;
  const due: OutboxMessage[] = [];
  for (const message of messages.filter((m) => m.status === 'pending')) {
    if (message.notBefore && message.notBefore > now.toISOString()) deferred += 1;
    else if (message.channel === 'sms' && smsWindow && !smsAllowedAt(now, smsWindow)) {
      await defer(personId, message, nextSmsWindow(now, smsWindow));
      deferred += 1;
    } else due.push(message);
  }
  const sent = await sendAll(personId, due, now);
  return { sent, alreadySent: messages.filter((m) => m.status !== 'pending').length, deferred };
}

/** Reminders and escalations that a workflow schedules on purpose may repeat within 24 h; nothing else does. */
const REPEATABLE_KINDS = new Set(['referral-reminder', 'referral-escalation', 'referral-waitlist-review', 'referral-decision-request']);
const RATE_WINDOW_MS = 24 * 3600 * 1000;
/** Cause prefix of the messages sent again to a corrected contact. */
export const RESEND_PREFIX = 'resend#';

/**
 * Claims the 24-hour slot of this kind of message for this recipient and person. The claim is conditional,
 * so two messages racing get one slot; the same message retried keeps its own slot.
 */
async function claimRateSlot(personId: string, message: OutboxMessage, now: Date): Promise<boolean> {
  // A re-send after staff fixed a contact is a person's explicit action, not a repeat.
  if (REPEATABLE_KINDS.has(message.kind) || message.cause.startsWith(RESEND_PREFIX)) return true;
  try {
    await db().send(
      new PutCommand({
        TableName: tableName(),
        Item: {
          ...keys.messageRateLimit(personId, message.kind, message.channel, message.to),
          type: 'message-rate-limit',
          notificationId: message.notificationId,
          until: new Date(now.getTime() + RATE_WINDOW_MS).toISOString(),
          expiresAt: Math.floor((now.getTime() + RATE_WINDOW_MS) / 1000) + 3600,
        },
        ConditionExpression: 'attribute_not_exists(pk) OR #until <= :now OR notificationId = :id',
        ExpressionAttributeNames: { '#until': 'until' },
        ExpressionAttributeValues: { ':now': now.toISOString(), ':id': message.notificationId },
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}

async function suppress(personId: string, message: OutboxMessage, now: Date): Promise<void> {
  await db().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.notification(personId, message.notificationId),
      UpdateExpression: 'SET #status = :suppressed, statusAt = :now, statusReason = :reason REMOVE notBefore, gsi3pk, gsi3sk',
      ConditionExpression: '#status = :pending',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':suppressed': 'suppressed', ':pending': 'pending', ':now': now.toISOString(), ':reason': 'rate-limit-24h' },
    }),
  );
  logger.info('notification suppressed: same message within 24 h', { notificationId: message.notificationId });
}

/** Sends messages one by one; every failure is recorded on its message, and the first is rethrown once all were tried. */
async function sendAll(personId: string, messages: OutboxMessage[], now: Date = new Date()): Promise<number> {
  let sent = 0;
  let failure: unknown;
  const blocked = messages.length > 0 ? await optedOut(messages.map((m) => ({ channel: m.channel, address: m.to }))) : new Set<string>();
  for (const message of messages) {
    try {
      // Mandatory messages still go by e-mail to an address that complained; nothing goes by SMS to a number that said STOP.
      if (isOptedOut(blocked, message.channel, message.to) && !(message.channel === 'email' && isMandatory(message.kind as MessageKind, message.role))) {
        await skipOptedOut(personId, message, now);
        continue;
      }
      if (!(await claimRateSlot(personId, message, now))) {
        await suppress(personId, message, now);
        continue;
      }
      await markSent(personId, message, await deliver(message));
      sent += 1;
      metrics.addMetric(`notification_sent_${message.channel}`, MetricUnit.Count, 1);
    } catch (error) {
      failure ??= error;
      logger.warn('notification not sent', { notificationId: message.notificationId, channel: message.channel, error: (error as Error).name });
      await db().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: keys.notification(personId, message.notificationId),
          UpdateExpression: 'SET attempts = attempts + :one, lastError = :error',
          ExpressionAttributeValues: { ':one': 1, ':error': (error as Error).name },
        }),
      );
    }
  }
  if (failure) throw failure;
  return sent;
}

/**
 * Marks a message not sent because its address opted out. A mandatory SMS then goes by e-mail,
 * unless the same cause already wrote an e-mail to that recipient.
 */
async function skipOptedOut(personId: string, message: OutboxMessage, now: Date): Promise<void> {
  try {
    await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.notification(personId, message.notificationId),
        UpdateExpression: 'SET #status = :optedOut, statusAt = :now REMOVE notBefore, gsi3pk, gsi3sk',
        ConditionExpression: '#status = :pending',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':optedOut': 'opted-out', ':pending': 'pending', ':now': now.toISOString() },
      }),
    );
  } catch (error) {
    if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    return; // another attempt got there first
  }
  logger.info('notification not sent: address opted out', { notificationId: message.notificationId, channel: message.channel });
  metrics.addMetric(`notification_opted_out_${message.channel}`, MetricUnit.Count, 1);
  if (message.channel !== 'sms' || !isMandatory(message.kind as MessageKind, message.role)) return;
  const sibling = await db().send(
    new GetCommand({ TableName: tableName(), Key: keys.notification(personId, `${message.cause}#${message.role}#email`), ConsistentRead: true }),
  );
  if (sibling.Item) return;
  const fallback = await writeFallback(personId, message, 'opted-out', now);
  if (fallback) await sendPendingNotifications(personId, fallback.cause, now);
}

async function defer(personId: string, message: OutboxMessage, until: Date): Promise<void> {
  const notBefore = until.toISOString();
  await db().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.notification(personId, message.notificationId),
      UpdateExpression: 'SET notBefore = :notBefore, gsi3pk = :pk, gsi3sk = :sk',
      ConditionExpression: '#status = :pending',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':notBefore': notBefore, ':pending': 'pending', ...prefixed(keys.deferredEntry(notBefore, personId, message.notificationId)) },
    }),
  );
  logger.info('notification held back for quiet hours', { notificationId: message.notificationId, notBefore });
}

const prefixed = (entry: { gsi3pk: string; gsi3sk: string }) => ({ ':pk': entry.gsi3pk, ':sk': entry.gsi3sk });

/**
 * Sends the held-back messages whose time has come, and the messages written as due that nobody sent yet
 * (run by a schedule every few minutes).
 * @example await dispatchDeferredNotifications(new Date('2026-11-27T07:00:00Z')) // 08:00 in Paris
 */
export async function dispatchDeferredNotifications(now: Date = new Date()): Promise<{ sent: number; failed: number }> {
  const result = await db().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: INDEX.deferredMessages,
      KeyConditionExpression: 'gsi3pk = :pk AND gsi3sk <= :until',
      ExpressionAttributeValues: { ':pk': keys.deferredPartition(), ':until': `${now.toISOString()}~` },
      Limit: 200,
    }),
  );
  let sent = 0;
  let failed = 0;
  const smsWindow = smsWindowFromEnv();
  for (const item of (result.Items ?? []) as Array<OutboxMessage & { personId: string }>) {
    if (item.status !== 'pending') continue;
    try {
      // Messages listed as due when written (fallbacks, re-sends) may come up at night: an SMS then waits for the morning.
      if (item.channel === 'sms' && smsWindow && !smsAllowedAt(now, smsWindow)) {
        await defer(item.personId, item, nextSmsWindow(now, smsWindow));
        continue;
      }
      sent += await sendAll(item.personId, [item], now);
    } catch {
      failed += 1;
    }
  }
  return { sent, failed };
}

/** Days a provider id stays resolvable: SMS receipts come within 72 h, complaints can take weeks. */
const PROVIDER_LOOKUP_DAYS = 90;

/**
 * Marks the message sent and records the provider's id → outbox item lookup in one transaction, so a delivery
 * event never finds a sent message it cannot trace, nor a lookup to a message still pending.
 */
async function markSent(personId: string, message: OutboxMessage, { providerMessageId, providerAttempts }: Delivery): Promise<void> {
  const now = new Date();
  const provider: MessageProvider = message.channel === 'email' ? 'ses' : 'sms';
  const markItem = {
    Update: {
      TableName: tableName(),
      Key: keys.notification(personId, message.notificationId),
      UpdateExpression:
        'SET #status = :sent, sentAt = :now, providerMessageId = :id, attempts = attempts + :one, providerAttempts = :providerAttempts REMOVE lastError, notBefore, gsi3pk, gsi3sk',
      ConditionExpression: '#status = :pending',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':sent': 'sent', ':pending': 'pending', ':now': now.toISOString(), ':id': providerMessageId, ':one': 1, ':providerAttempts': providerAttempts },
    },
  };
  const lookupItem = {
    Put: {
      TableName: tableName(),
      Item: {
        ...keys.providerMessage(provider, providerMessageId),
        type: 'provider-message',
        provider,
        providerMessageId,
        personId,
        notificationId: message.notificationId,
        expiresAt: Math.floor(now.getTime() / 1000) + PROVIDER_LOOKUP_DAYS * 24 * 60 * 60,
      },
    },
  };
  // A provider that answered without an id leaves nothing to look up.
  await db().send(new TransactWriteCommand({ TransactItems: providerMessageId ? [markItem, lookupItem] : [markItem] }));
}
