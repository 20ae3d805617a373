import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { batchGetAll, batchPutAll, db, tableName } from '../data/client.js';
import { inParallel, MAX_TRANSACTION_ITEMS } from '../data/invoicing/items.js';
import { isConditionFailure, isConditionalCheckFailed } from '../data/transactions.js';
import { logger } from '../observability.js';
import { keys, type MessageProvider } from '../keys.js';
import type { DeliveryReceipt, NotificationStatus } from '../data/outbox.js';

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

/** Raised when no sent message has this provider id (yet): DeliveryEvents looks again (through its queue), then drops the report. */
export class UnknownProviderMessageError extends Error {
  constructor(provider: MessageProvider) {
    super(`No sent message has this ${provider} message id`);
    this.name = 'UnknownProviderMessageError';
  }
}

/**
 * Deliveries of a report's message by the delivery queue before the queue moves it to the dead letters (its redrive
 * policy, infra/constructs/messaging.ts): a report that fails this often pages someone.
 */
export const DELIVERY_QUEUE_MAX_RECEIVES = 5;

/**
 * The delivery at which a report whose provider id is still unknown is dropped (DeliveryEvents) rather than handed
 * back: below DELIVERY_QUEUE_MAX_RECEIVES, so that it never reaches the dead letters. Each earlier delivery waited
 * for the queue's visibility timeout.
 */
export const UNKNOWN_REPORT_RECEIVES = 3;

/**
 * The statuses a report may replace. Events arrive out of order and more than once: a delivery only
 * moves a message on from `sent`; a bounce, complaint or failure also overrides `delivered` (a bounce
 * or a complaint can follow a delivery) but never another of its kind, so the first final word stays.
 * Since decision 42 a delivery is a receipt beside the message (`deliveryReceipt`), which readers apply by the same
 * rule (`withDeliveries`); `delivered` stays here for the messages delivered before.
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
  if (report.status === 'delivered') {
    await db().send(new PutCommand({ TableName: tableName(), Item: deliveryReceipt(report, personId, notificationId) }));
    return { result: 'updated', personId, notificationId };
  }
  try {
    await db().send(new UpdateCommand(deliveryUpdate(report, personId, notificationId)));
    return { result: 'updated', personId, notificationId };
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
  }
  // Found through the tags, the message may not be recorded as sent yet (the event came first), or be recorded under
  // another id: as with the lookup, its id is then unknown for now. (Through the lookup, both are settled already.)
  if (report.outbox) {
    const { Item } = await db().send(new GetCommand({ TableName: tableName(), Key: keys.notification(personId, notificationId), ConsistentRead: true }));
    if (Item?.providerMessageId !== report.providerMessageId) throw new UnknownProviderMessageError(report.provider);
  }
  return { result: 'unchanged', personId, notificationId };
}

/**
 * A delivery's receipt, beside the message it reports on (decision 42): its key names the copy (the provider's id), so
 * a report seen again puts the same item, and a report about another copy (a message sent again after a crash) is one
 * that no reader applies. No condition: it changes nothing written, and a delivery reported before the send was
 * recorded is applied once the mark names that copy, instead of being looked for again.
 */
function deliveryReceipt(report: DeliveryReport, personId: string, notificationId: string): Record<string, unknown> {
  const receipt: DeliveryReceipt = { type: 'delivery-receipt', personId, notificationId, providerMessageId: report.providerMessageId, at: report.at };
  return { ...keys.deliveryReceipt(personId, notificationId, report.providerMessageId), ...receipt };
}

/** The conditional update a report makes to its outbox item (alone, or in a transaction of many). */
function deliveryUpdate(report: DeliveryReport, personId: string, notificationId: string) {
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
  return {
    TableName: tableName(),
    Key: keys.notification(personId, notificationId),
    UpdateExpression: `SET #status = :status, statusAt = :at${report.reason ? ', statusReason = :reason' : ''}${undelivered ? ', gsi3pk = :failedPk, gsi3sk = :failedSk' : ''}`,
    // The report is about the copy of the message that went under this id (a message sent again after a crash has another).
    ConditionExpression: `#status IN (${replaces.map((_s, i) => `:from${i}`).join(', ')}) AND providerMessageId = :id`,
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: values,
  };
}

/** Transactions of a batch before the reports left go one by one: each cancelled round settles at least the reports whose condition failed. */
const TRANSACTION_ROUNDS = 3;
/** Reports written one by one at once, when a batch comes to that. */
const ALONE_CONCURRENCY = 8;

/**
 * `recordDelivery` for a batch of reports (DeliveryEvents' queue hands up to 100 at once), each settled on its own,
 * in the reports' order. Deliveries, the common case, are receipts put by BatchWrite (decision 42: about a third of a
 * transaction's item on DynamoDB Local). The others make the same conditional updates, many to a transaction: one request where each report made one
 * (decision 33). A transaction is all or nothing, and some of its conditions fail in the normal course (a report seen
 * again, a late delivery after a bounce): a cancelled one is settled from its reasons, without reading anything again.
 * A report whose condition failed is unchanged, or unknown when found through the tags and the item holds another id
 * (DynamoDB returns the item); the others were not written and go in the next round. A message's second report in the
 * batch waits for the next round too (a transaction touches an item once). What is left after a few rounds, and the
 * reports of a transaction that failed otherwise, go one by one through `recordDelivery`, a message's in order.
 */
export async function recordDeliveries(reports: readonly DeliveryReport[]): Promise<Array<PromiseSettledResult<DeliveryOutcome>>> {
  const results = new Array<PromiseSettledResult<DeliveryOutcome>>(reports.length);
  const settle = (i: number, result: DeliveryOutcome['result'], { personId, notificationId }: OutboxItem) =>
    (results[i] = { status: 'fulfilled', value: { result, personId, notificationId } });
  const targets = await outboxItemsOf(reports);
  const itemKey = (i: number) => JSON.stringify(targets[i]);
  let pending: number[] = [];
  targets.forEach((target, i) => (target instanceof Error ? (results[i] = { status: 'rejected', reason: target }) : pending.push(i)));
  const alone: number[] = [];

  // Deliveries, nearly every report: their receipts by BatchWrite, a few requests for the batch, no condition to fail.
  const delivered = pending.filter((i) => reports[i]!.status === 'delivered');
  if (delivered.length > 0) {
    pending = pending.filter((i) => reports[i]!.status !== 'delivered');
    try {
      await batchPutAll(delivered.map((i) => deliveryReceipt(reports[i]!, (targets[i] as OutboxItem).personId, (targets[i] as OutboxItem).notificationId)));
      for (const i of delivered) settle(i, 'updated', targets[i] as OutboxItem);
    } catch (error) {
      logger.info('delivery receipts not written together: each written on its own', { reports: delivered.length, error: (error as Error).name });
      alone.push(...delivered);
    }
  }

  for (let round = 0; round < TRANSACTION_ROUNDS && pending.length > 1; round++) {
    const now: number[] = [];
    const later: number[] = [];
    const seen = new Set<string>();
    for (const i of pending) {
      (seen.has(itemKey(i)) ? later : now).push(i);
      seen.add(itemKey(i));
    }
    if (now.length < 2) break;
    const groups: number[][] = [];
    for (let start = 0; start < now.length; start += MAX_TRANSACTION_ITEMS) groups.push(now.slice(start, start + MAX_TRANSACTION_ITEMS));
    const retry = await Promise.all(
      groups.map(async (group): Promise<number[]> => {
        const items = group.map((i) => targets[i] as OutboxItem);
        try {
          await db().send(
            new TransactWriteCommand({
              TransactItems: group.map((i, k) => ({ Update: { ...deliveryUpdate(reports[i]!, items[k]!.personId, items[k]!.notificationId), ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } })),
            }),
          );
          group.forEach((i, k) => settle(i, 'updated', items[k]!));
          return [];
        } catch (error) {
          if (!isConditionFailure(error)) {
            logger.info('delivery reports not written together: each written on its own', { reports: group.length, error: (error as Error).name });
            alone.push(...group);
            return [];
          }
          const reasons = error.CancellationReasons ?? [];
          return group.filter((i, k) => {
            const reason = reasons[k];
            if (reason?.Code !== 'ConditionalCheckFailed') return true;
            // Found through the tags: a message not recorded as sent yet, or recorded under another id, has this id unknown for now.
            const known = !reports[i]!.outbox || providerIdOf(reason.Item) === reports[i]!.providerMessageId;
            if (known) settle(i, 'unchanged', items[k]!);
            else results[i] = { status: 'rejected', reason: new UnknownProviderMessageError(reports[i]!.provider) };
            return false;
          });
        }
      }),
    );
    pending = [...retry.flat(), ...later].sort((a, b) => a - b);
  }

  // The rest one by one; a message's reports in the batch's order.
  const byItem = new Map<string, number[]>();
  for (const i of [...pending, ...alone].sort((a, b) => a - b)) byItem.set(itemKey(i), [...(byItem.get(itemKey(i)) ?? []), i]);
  await inParallel([...byItem.values()], ALONE_CONCURRENCY, async (indexes) => {
    for (const i of indexes) {
      try {
        results[i] = { status: 'fulfilled', value: await recordDelivery(reports[i]!) };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
    }
  });
  return results;
}

type OutboxItem = { personId: string; notificationId: string };

/**
 * The outbox item of each report: named by its tags, or read from the provider lookups, all in one consistent batch
 * read. An error for a report whose lookup is missing (UnknownProviderMessageError) or could not be read.
 */
async function outboxItemsOf(reports: readonly DeliveryReport[]): Promise<Array<OutboxItem | Error>> {
  const untagged = reports.filter((report) => !report.outbox);
  const found = new Map<string, OutboxItem>();
  let readError: Error | undefined;
  if (untagged.length) {
    try {
      const lookups = await batchGetAll(untagged.map((report) => keys.providerMessage(report.provider, report.providerMessageId)), { consistentRead: true });
      for (const lookup of lookups) found.set(`${String(lookup.pk)}\u0000${String(lookup.sk)}`, { personId: String(lookup.personId), notificationId: String(lookup.notificationId) });
    } catch (error) {
      readError = error as Error;
    }
  }
  return reports.map((report) => {
    if (report.outbox) return report.outbox;
    if (readError) return readError;
    const key = keys.providerMessage(report.provider, report.providerMessageId);
    return found.get(`${key.pk}\u0000${key.sk}`) ?? new UnknownProviderMessageError(report.provider);
  });
}

/** The provider id of the item a cancelled transaction returns (as DynamoDB's attribute value, or plain). */
function providerIdOf(item: Record<string, unknown> | undefined): unknown {
  const value = item?.providerMessageId;
  return value && typeof value === 'object' && 'S' in value ? (value as { S: unknown }).S : value;
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
