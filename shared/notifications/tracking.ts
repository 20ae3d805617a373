import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { db, tableName } from '../data/client.js';
import { keys, type MessageProvider } from '../keys.js';
import type { NotificationStatus } from '../data/outbox.js';

/** The statuses a provider's delivery report can give a sent message. */
export type DeliveryStatus = Extract<NotificationStatus, 'delivered' | 'bounced' | 'complained' | 'failed'>;

export interface DeliveryReport {
  provider: MessageProvider;
  providerMessageId: string;
  /** The outbox item the message came from, when the event says it (an e-mail's tags): no lookup then. */
  outbox?: { personId: string; notificationId: string };
  status: DeliveryStatus;
  /** When the provider saw it happen (ISO 8601). */
  at: string;
  /** A provider code (bounce type, SMS status), never an address or a text. */
  reason?: string;
}

export type DeliveryOutcome = { result: 'updated' | 'unchanged'; personId: string; notificationId: string };

/** Raised when no sent message has this provider id (yet): DeliveryEvents looks again a few times, then drops the report. */
export class UnknownProviderMessageError extends Error {
  constructor(provider: MessageProvider) {
    super(`No sent message has this ${provider} message id`);
    this.name = 'UnknownProviderMessageError';
  }
}

/**
 * The statuses a report may replace. Events arrive out of order and more than once: a delivery only
 * moves a message on from `sent`; a bounce, complaint or failure also overrides `delivered` (a bounce
 * or a complaint can follow a delivery) but never another of its kind, so the first final word stays.
 */
const REPLACES: Record<DeliveryStatus, NotificationStatus[]> = {
  delivered: ['sent'],
  bounced: ['sent', 'delivered'],
  complained: ['sent', 'delivered'],
  failed: ['sent', 'delivered'],
};

/**
 * Applies a provider's delivery report to the outbox item its message id leads to, with a conditional
 * write: a report seen twice, or one that would undo a later one, changes nothing.
 */
export async function recordDelivery(report: DeliveryReport): Promise<DeliveryOutcome> {
  const { personId, notificationId } = report.outbox ?? (await lookUp(report));
  const replaces = REPLACES[report.status];
  const values: Record<string, unknown> = { ':status': report.status, ':at': report.at, ':id': report.providerMessageId };
  replaces.forEach((status, i) => (values[`:from${i}`] = status));
  if (report.reason) values[':reason'] = report.reason;
  // Messages that did not arrive are listed for staff (30-day view), by the time of the report.
  const undelivered = report.status === 'bounced' || report.status === 'failed';
  if (undelivered) {
    const entry = keys.failedMessageEntry(report.at, personId, notificationId);
    values[':failedPk'] = entry.gsi3pk;
    values[':failedSk'] = entry.gsi3sk;
  }
  try {
    await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.notification(personId, notificationId),
        UpdateExpression: `SET #status = :status, statusAt = :at${report.reason ? ', statusReason = :reason' : ''}${undelivered ? ', gsi3pk = :failedPk, gsi3sk = :failedSk' : ''}`,
        // The report is about the copy of the message that went under this id (a message sent again after a crash has another).
        ConditionExpression: `#status IN (${replaces.map((_s, i) => `:from${i}`).join(', ')}) AND providerMessageId = :id`,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: values,
      }),
    );
    return { result: 'updated', personId, notificationId };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException')) throw error;
  }
  // Found through the tags, the message may not be recorded as sent yet (the event came first), or be recorded under
  // another id: as with the lookup, its id is then unknown for now. (Through the lookup, both are settled already.)
  if (report.outbox) {
    const { Item } = await db().send(new GetCommand({ TableName: tableName(), Key: keys.notification(personId, notificationId), ConsistentRead: true }));
    if (Item?.providerMessageId !== report.providerMessageId) throw new UnknownProviderMessageError(report.provider);
  }
  return { result: 'unchanged', personId, notificationId };
}

/** The outbox item of a provider's message id, from the lookup written with the mark `sent`. */
async function lookUp(report: DeliveryReport): Promise<{ personId: string; notificationId: string }> {
  const lookup = await db().send(new GetCommand({ TableName: tableName(), Key: keys.providerMessage(report.provider, report.providerMessageId), ConsistentRead: true }));
  if (!lookup.Item) throw new UnknownProviderMessageError(report.provider);
  return { personId: String(lookup.Item.personId), notificationId: String(lookup.Item.notificationId) };
}

/** SES message tags allow letters, digits, `_` and `-` only (256 at most): the key's parts go in base64url. */
const OUTBOX_TAGS = { person: 'outbox-person', message: 'outbox-message' } as const;

/** The tags an e-mail carries so that its delivery events name its outbox item. */
export const outboxTags = (personId: string, notificationId: string) => [
  { Name: OUTBOX_TAGS.person, Value: Buffer.from(personId).toString('base64url') },
  { Name: OUTBOX_TAGS.message, Value: Buffer.from(notificationId).toString('base64url') },
];

/** The outbox item an SES event's tags name (`mail.tags`, each a list), if they do. */
function outboxOfTags(tags: Record<string, string[] | undefined> | undefined): DeliveryReport['outbox'] {
  const person = tags?.[OUTBOX_TAGS.person]?.[0];
  const message = tags?.[OUTBOX_TAGS.message]?.[0];
  if (!person || !message) return undefined;
  return { personId: Buffer.from(person, 'base64url').toString('utf8'), notificationId: Buffer.from(message, 'base64url').toString('utf8') };
}

/** What the function reads of an SES event on EventBridge (the rest names the recipient and is not kept). */
export interface SesEvent {
  'detail-type': string;
  time: string;
  detail: {
    mail: { messageId: string; tags?: Record<string, string[] | undefined> };
    delivery?: { timestamp?: string };
    bounce?: { bounceType: string; bounceSubType?: string; timestamp?: string };
    complaint?: { complaintFeedbackType?: string; timestamp?: string };
  };
}

/** The report an SES event gives, or undefined for events that say nothing final (sent, delayed, opened...). */
export function sesReport(event: SesEvent): DeliveryReport | undefined {
  const { detail } = event;
  const outbox = outboxOfTags(detail.mail.tags);
  const base = { provider: 'ses' as const, providerMessageId: detail.mail.messageId, ...(outbox ? { outbox } : {}) };
  switch (event['detail-type']) {
    case 'Email Delivered':
      return { ...base, status: 'delivered', at: detail.delivery?.timestamp ?? event.time };
    case 'Email Bounced': {
      const bounce = detail.bounce;
      const reason = [bounce?.bounceType ?? 'Undetermined', bounce?.bounceSubType].filter(Boolean).join('/');
      // Only a permanent bounce says the address is wrong; a transient one (mailbox full...) is a failed delivery.
      return { ...base, status: bounce?.bounceType === 'Permanent' ? 'bounced' : 'failed', at: bounce?.timestamp ?? event.time, reason };
    }
    case 'Email Complaint Received':
      return { ...base, status: 'complained', at: detail.complaint?.timestamp ?? event.time, reason: detail.complaint?.complaintFeedbackType };
    case 'Email Rejected':
      return { ...base, status: 'failed', at: event.time, reason: 'Rejected' };
    case 'Email Rendering Failed':
      return { ...base, status: 'failed', at: event.time, reason: 'RenderingFailure' };
    default:
      return undefined;
  }
}

/** The SES event types the delivery rule routes, in EventBridge's detail-type names. */
export const SES_TRACKED_DETAIL_TYPES = ['Email Delivered', 'Email Bounced', 'Email Complaint Received', 'Email Rejected', 'Email Rendering Failed'];

/** What the function reads of an End User Messaging SMS event (the body of the SNS message). */
export interface SmsEvent {
  eventType: string;
  eventTimestamp: number;
  messageId: string;
  messageStatus: string;
}

/** Final SMS statuses that mean the message did not reach the phone. */
const SMS_FAILURES = new Set(['INVALID', 'INVALID_MESSAGE', 'UNREACHABLE', 'CARRIER_UNREACHABLE', 'BLOCKED', 'CARRIER_BLOCKED', 'SPAM', 'UNKNOWN', 'TTL_EXPIRED']);

/** The SMS event types the configuration set publishes: the delivery receipt and every final failure. */
export const SMS_TRACKED_EVENT_TYPES = ['TEXT_DELIVERED', ...[...SMS_FAILURES].map((status) => `TEXT_${status}`)];

/** The report an SMS event gives, or undefined for intermediate ones (queued, accepted by the carrier). */
export function smsReport(event: SmsEvent): DeliveryReport | undefined {
  if (!event.eventType.startsWith('TEXT_')) return undefined;
  const base = { provider: 'sms' as const, providerMessageId: event.messageId, at: new Date(event.eventTimestamp).toISOString() };
  if (event.messageStatus === 'DELIVERED') return { ...base, status: 'delivered' };
  if (SMS_FAILURES.has(event.messageStatus)) return { ...base, status: 'failed', reason: event.messageStatus };
  return undefined;
}
