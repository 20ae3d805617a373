import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { PinpointSMSVoiceV2Client, SendTextMessageCommand } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { db, tableName } from '../data/client.js';
import { keys, type MessageProvider } from '../keys.js';
import { logger, metrics } from '../observability.js';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { OutboxMessage } from './outbox.js';

let ses: SESv2Client | undefined;
let sms: PinpointSMSVoiceV2Client | undefined;

/** Sends one message through its provider and returns the provider's message id. */
async function deliver(message: OutboxMessage): Promise<string> {
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
    return result.MessageId ?? '';
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
  return result.MessageId ?? '';
}

/**
 * Sends the pending messages of one cause for one person, and records each provider answer.
 * A message is marked sent with a conditional write, so a retried step does not send it again;
 * a provider failure is recorded and rethrown so the workflow's Retry applies.
 */
export async function sendPendingNotifications(personId: string, cause: string): Promise<{ sent: number; alreadySent: number }> {
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
  let sent = 0;
  let failure: unknown;
  for (const message of messages.filter((m) => m.status === 'pending')) {
    try {
      const providerMessageId = await deliver(message);
      await markSent(personId, message, providerMessageId);
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
  return { sent, alreadySent: messages.filter((m) => m.status !== 'pending').length };
}

/** Days a provider id stays resolvable: SMS receipts come within 72 h, complaints can take weeks. */
const PROVIDER_LOOKUP_DAYS = 90;

/**
 * Marks the message sent and records the provider's id → outbox item lookup in one transaction, so a delivery
 * event never finds a sent message it cannot trace, nor a lookup to a message still pending.
 */
async function markSent(personId: string, message: OutboxMessage, providerMessageId: string): Promise<void> {
  const now = new Date();
  const provider: MessageProvider = message.channel === 'email' ? 'ses' : 'sms';
  const markItem = {
    Update: {
      TableName: tableName(),
      Key: keys.notification(personId, message.notificationId),
      UpdateExpression: 'SET #status = :sent, sentAt = :now, providerMessageId = :id, attempts = attempts + :one REMOVE lastError',
      ConditionExpression: '#status = :pending',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':sent': 'sent', ':pending': 'pending', ':now': now.toISOString(), ':id': providerMessageId, ':one': 1 },
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
