import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { PinpointSMSVoiceV2Client, SendTextMessageCommand } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { db, tableName } from '../data/client.js';
import { keys } from '../keys.js';
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
  for (const message of messages.filter((m) => m.status !== 'sent')) {
    try {
      const providerMessageId = await deliver(message);
      await db().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: keys.notification(personId, message.notificationId),
          UpdateExpression: 'SET #status = :sent, sentAt = :now, providerMessageId = :id, attempts = attempts + :one REMOVE lastError',
          ConditionExpression: '#status <> :sent',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':sent': 'sent', ':now': new Date().toISOString(), ':id': providerMessageId, ':one': 1 },
        }),
      );
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
  return { sent, alreadySent: messages.filter((m) => m.status === "sent").length };
}
