import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { PinpointSMSVoiceV2Client, SendTextMessageCommand } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { db, queryPrefix, tableName } from '../data/client.js';
import { INDEX, keys, type MessageProvider } from '../keys.js';
import { logger, metrics } from '../observability.js';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { OutboxMessage, ValidWhile } from '../data/outbox.js';
import { nextSmsWindow, smsAllowedAt, smsWindowFromEnv } from './quiet-hours.js';
import { isMandatory, type MessageKind } from '../domain/messages/catalogue.js';
import { isOptedOut, optedOut } from './opt-outs.js';
import { outboxTags } from './tracking.js';
import { writeFallback } from './fallback.js';
import { fillPersonalLink, issueMessageLink, withLinkUrl } from '../data/personal-links.js';
import { isPermanentProviderError, outboxRetryFromEnv, retryDelaySeconds, type OutboxRetry, type SendFailureReason } from './retry-policy.js';
import { timeLeftMs } from '../invocation.js';
import { AttachmentFailure, readAttachments } from './attachments.js';
import type { SentAttachment } from '../domain/messages/attachments.js';
import { MAX_TRANSACTION_ITEMS } from '../data/invoicing/items.js';
import type { TransactItem } from '../data/approvals.js';
import { isConditionalCheckFailed } from '../data/transactions.js';

let ses: SESv2Client | undefined;
let sms: PinpointSMSVoiceV2Client | undefined;

/** What a provider answered: its message id, and how many calls the SDK made (it retries throttling and 5xx with backoff). */
interface Delivery {
  providerMessageId: string;
  providerAttempts: number;
  /** The files the e-mail carried, as read from S3 just before the call (or as their caller had just stored them). */
  sentAttachments?: SentAttachment[];
}

/**
 * Sends one message through its provider. An e-mail carries its outbox item's key in its tags. Its files are read from the documents bucket first
 * (those whose bytes the caller handed in, `known`, are not), and go as SES v2 attachments (base64 in the MIME
 * message SES builds; `RawContent` is base64 in the JSON request, which the SDK does).
 */
async function deliver(personId: string, message: OutboxMessage, known?: ReadonlyMap<string, Uint8Array>): Promise<Delivery> {
  if (message.channel === 'email') {
    const subject = message.subject ?? '';
    const files = message.attachments?.length ? await readAttachments(message.attachments, Buffer.byteLength(subject) + Buffer.byteLength(message.body), known) : [];
    // The middleware stack resolved once per command rather than at every call (one SendEmail per e-mail of a run).
    ses ??= new SESv2Client({ cacheMiddleware: true });
    const result = await ses.send(
      new SendEmailCommand({
        FromEmailAddress: process.env.EMAIL_FROM,
        Destination: { ToAddresses: [message.to] },
        ConfigurationSetName: process.env.SES_CONFIGURATION_SET || undefined,
        Content: {
          Simple: {
            Subject: { Data: subject, Charset: 'UTF-8' },
            Body: { Text: { Data: message.body, Charset: 'UTF-8' } },
            ...(files.length > 0
              ? {
                  Attachments: files.map((file) => ({
                    FileName: file.fileName,
                    ContentType: file.contentType,
                    ContentDisposition: 'ATTACHMENT' as const,
                    // SES's default is 7-bit, which a PDF's binary bytes are not.
                    ContentTransferEncoding: 'BASE64' as const,
                    RawContent: file.bytes,
                  })),
                }
              : {}),
          },
        },
        // The outbox item's key rides with the message: SES puts the tags on its delivery events (outboxTags).
        EmailTags: [{ Name: 'kind', Value: message.kind.replace(/[^A-Za-z0-9_-]/g, '-') }, ...outboxTags(personId, message.notificationId)],
      }),
    );
    return {
      providerMessageId: result.MessageId ?? '',
      providerAttempts: result.$metadata?.attempts ?? 1,
      ...(files.length > 0 ? { sentAttachments: files.map(({ bytes: _bytes, ...sent }) => sent) } : {}),
    };
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

/** What became of the messages of one cause in one call. */
export interface SendCounts {
  /** Accepted by the provider in this call. */
  sent: number;
  /** Already final (sent, suppressed, opted out, failed) before this call. */
  alreadySent: number;
  /** Held back for SMS quiet hours. */
  deferred: number;
  /** Given up in this call: refused by the provider, or out of attempts. */
  failed: number;
  /** Left for a later attempt: one failed and waits its backoff, or another sender holds it now. */
  retryLater: number;
}

/** What one attempt at a message came to; `skipped` is a message suppressed, opted out or cancelled. */
type Outcome = 'sent' | 'deferred' | 'failed' | 'retryLater' | 'skipped';

const errorName = (error: unknown) => (error instanceof Error ? error.name : 'Error');
const cancellationCodes = (error: unknown) => ((error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? []).map((r) => r.Code);
/**
 * DynamoDB refuses a write that meets a transaction on the same item, and cancels a transaction that meets another
 * write: here, the holder marking a message sent while another sender's claim on it fails its condition.
 */
const isTransactionConflict = (error: unknown) =>
  errorName(error) === 'TransactionConflictException' || (errorName(error) === 'TransactionCanceledException' && cancellationCodes(error).includes('TransactionConflict'));

/**
 * Sends the pending messages of one cause for one person, and records each outcome on its message.
 * A provider's failure does not throw: it is recorded (attempt, backoff, next time in the due index) and the
 * dispatcher tries again, so the workflow step that calls this goes on. A failure of our own storage throws,
 * once every message was tried, so the step's Retry applies.
 * An SMS during quiet hours (20:00-08:00 Europe/Paris) is held back until the morning; the dispatcher sends it.
 */
export async function sendPendingNotifications(personId: string, cause: string, now: Date = new Date()): Promise<SendCounts> {
  const prefix = keys.notificationsPrefix(personId);
  const messages = (await queryPrefix(prefix.pk, `${prefix.skPrefix}${cause}#`, { consistentRead: true })) as unknown as OutboxMessage[];
  const counts: SendCounts = { sent: 0, alreadySent: messages.filter((m) => m.status !== 'pending').length, deferred: 0, failed: 0, retryLater: 0 };
  let failure: unknown;
  for (const message of messages.filter((m) => m.status === 'pending')) {
    try {
      const outcome = await sendOne(personId, message, now);
      if (outcome !== 'skipped') counts[outcome] += 1;
    } catch (error) {
      failure ??= error;
    }
  }
  if (failure) throw failure;
  return counts;
}

/**
 * The messages of one cause, as `outboxPuts` writes them (with any other items of theirs): one unit, written whole or
 * not at all. Each message names its person: a unit may hold several (an activity's members).
 */
export interface OutboxWrite {
  cause: string;
  items: TransactItem[];
  /**
   * Bytes of files the caller has just stored, by object key (the PDF it rendered and wrote): its e-mails written by
   * this call carry them as they are instead of reading them back from S3. Only bytes known to be the stored ones.
   */
  attachmentBytes?: ReadonlyMap<string, Uint8Array>;
}

/** The retries of a unit's own transaction that met another write on the same item (not a refusal). */
const UNIT_CONFLICT_RETRIES = 4;

/**
 * Writes one unit in its own transaction. A transaction cancelled by a conflict with another write (not by its
 * conditions) is tried again: taken for a refusal, its messages would be left unwritten and unsent.
 */
async function writeUnit(items: TransactItem[]): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await db().send(new TransactWriteCommand({ TransactItems: items }));
      return;
    } catch (error) {
      const codes = cancellationCodes(error);
      const conflictOnly = codes.includes('TransactionConflict') && !codes.includes('ConditionalCheckFailed');
      if (!(isTransactionConflict(error) && conflictOnly) || attempt >= UNIT_CONFLICT_RETRIES) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt + Math.random() * 20));
    }
  }
}

/**
 * An outbox message's Put as written by `writeAndSendNotifications`: an e-mail due now, with enough of the invocation
 * left to send it, is written already claimed by this call (attempt 1, its lease, next attempt at the lease's end in
 * the due index), as `claim` would leave it a moment later. If this sender dies, the dispatcher takes it once the
 * lease ends, as it would a claimed message. An SMS (quiet hours) or a message held for later is written as given.
 */
function writtenClaimed(item: TransactItem, now: Date, leases: Map<string, Lease>): TransactItem {
  const message = item.Put?.Item as (OutboxMessage & { personId: string } & Record<string, unknown>) | undefined;
  if (!message || message.type !== 'notification' || message.channel !== 'email' || message.status !== 'pending' || message.attempts !== 0) return item;
  if (message.notBefore || !isDue(message, now.toISOString()) || timeLeftMs() < SEND_TIME_MARGIN_MS) return item;
  const leaseId = randomUUID();
  const until = leaseEnd(now, outboxRetryFromEnv());
  const claimed = { ...message, attempts: 1, leaseId, leaseUntil: until, nextAttemptAt: until, ...keys.dueMessageEntry(until, message.personId, message.notificationId) };
  leases.set(leaseKey(message.personId, message.notificationId), { leaseId, message: claimed });
  return { Put: { ...item.Put!, Item: claimed } };
}

const leaseKey = (personId: string, notificationId: string) => `${personId}\u0000${notificationId}`;

/**
 * A unit's items with the personal links of its e-mails written claimed (`writtenClaimed`), each kept on its message
 * (`issueMessageLink`, decision 42): the message's own write stores it, and the send that follows fills the link in
 * without a write of its own (`links`, by person and id). The lease holds the message as written, link included.
 */
function withIssuedLinks(items: TransactItem[], leases: Map<string, Lease>, links: Map<string, string>, now: Date): TransactItem[] {
  return items.map((item) => {
    const message = item.Put?.Item as (OutboxMessage & { personId: string }) | undefined;
    const key = message && leaseKey(message.personId, message.notificationId);
    const lease = key === undefined ? undefined : leases.get(key);
    if (!message?.personalLink || lease?.message !== message) return item;
    const issued = issueMessageLink(message.personId, message, now);
    if (!issued) return item;
    const withLink = { ...message, link: issued.link };
    leases.set(key!, { ...lease, message: withLink });
    links.set(key!, issued.url);
    return { Put: { ...item.Put!, Item: withLink } };
  });
}

/**
 * Writes the outbox messages of many causes and sends them (the invoicing run's e-mails, a batch at a time). The
 * writes go in shared transactions of up to 100 items, a cause's items always in the same one: a transaction refused
 * (a cause written by an earlier attempt) is done again cause by cause. A cause written by this call is sent as
 * written, without reading it back (the claim's condition still checks it is pending and due); one already there is
 * sent as `sendPendingNotifications` does, for each person of its messages. The opt-outs of the recipients are read
 * at once, the messages written by this call are claimed and marked sent in shared transactions too (`FreshSends`),
 * their personal links are kept on the messages written (`withIssuedLinks`), and their files go with the bytes the
 * caller handed in (`attachmentBytes`). `onRefused` hears of each cause this
 * call did not write, with the refusal. Counts per cause, in order.
 */
export async function writeAndSendNotifications(
  writes: readonly OutboxWrite[],
  concurrency: number,
  now: Date = new Date(),
  onRefused?: (index: number, error: unknown) => void,
): Promise<SendCounts[]> {
  // E-mails due now are written already claimed by this call: the claim costs no write of its own.
  const claimedAt = performance.now();
  const preclaimed = new Map<string, Lease>();
  // Their personal links too, on the messages themselves: a link costs no write of its own either.
  const links = new Map<string, string>();
  const prepared = writes.map((write) => ({ ...write, items: withIssuedLinks(write.items.map((item) => writtenClaimed(item, now, preclaimed)), preclaimed, links, now) }));
  const written = new Array<boolean>(writes.length).fill(true);
  const groups = transactionGroups(prepared.map((write) => write.items));
  await Promise.all(
    groups.map(async (group) => {
      try {
        await db().send(new TransactWriteCommand({ TransactItems: group.flatMap((i) => prepared[i]!.items) }));
      } catch (error) {
        if (errorName(error) !== 'TransactionCanceledException') throw error;
        for (const i of group) {
          try {
            await writeUnit(prepared[i]!.items);
          } catch (again) {
            if (errorName(again) !== 'TransactionCanceledException') throw again;
            written[i] = false;
            onRefused?.(i, again);
          }
        }
      }
    }),
  );
  const messagesOf = (write: OutboxWrite) => write.items.map((item) => item.Put?.Item).filter((item): item is OutboxMessage & { personId: string } & Record<string, unknown> => item?.type === 'notification');
  const fresh = prepared.map((write, i) => (written[i] ? messagesOf(write) : []));
  const optOuts = await optedOut(fresh.flat().map((m) => ({ channel: m.channel, address: m.to })));
  const sends = new FreshSends(
    writes.flatMap((write, i) => fresh[i]!.map((message) => ({ personId: message.personId, message, files: write.attachmentBytes }))),
    now,
    concurrency,
    optOuts,
    { leases: preclaimed, claimedAt, links },
  );
  let next = 0;
  const counts = new Array<SendCounts>(writes.length);
  let failure: unknown;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, writes.length) }, async () => {
      while (next < writes.length) {
        const i = next++;
        const { cause } = writes[i]!;
        const own: SendCounts = (counts[i] = { sent: 0, alreadySent: 0, deferred: 0, failed: 0, retryLater: 0 });
        try {
          if (!written[i]) {
            for (const personId of new Set(messagesOf(writes[i]!).map((m) => m.personId))) {
              try {
                const pending = await sendPendingNotifications(personId, cause, now);
                for (const key of Object.keys(own) as Array<keyof SendCounts>) own[key] += pending[key];
              } catch (error) {
                failure ??= error;
              }
            }
            continue;
          }
          for (const message of fresh[i]!) {
            try {
              const outcome = await sends.send(message.personId, message);
              if (outcome !== 'skipped') own[outcome] += 1;
            } catch (error) {
              failure ??= error;
            }
          }
        } catch (error) {
          failure ??= error;
        }
      }
    }),
  );
  if (failure) throw failure;
  return counts;
}

/**
 * Whether a message may be tried at `at`: its time in the due index has come, or nobody tried it yet and it is not
 * held back for the night. A first attempt does not wait for its index time, which is when it was written: the
 * host that wrote it may have a clock a little ahead of the one that sends it.
 */
const isDue = (message: Pick<OutboxMessage, 'nextAttemptAt' | 'attempts' | 'notBefore'>, at: string) =>
  !message.nextAttemptAt || message.nextAttemptAt <= at || (message.attempts === 0 && !message.notBefore);
/** The same, as a condition on the stored message. */
const IS_DUE = '(attribute_not_exists(nextAttemptAt) OR nextAttemptAt <= :now OR (attempts = :zero AND attribute_not_exists(notBefore)))';

/** The invocation time a claim needs left: the provider call, its SDK retries and the record of the send. */
const SEND_TIME_MARGIN_MS = 4_000;

/** Holds a due message back for quiet hours, or claims it and tries it; a message not due yet is left alone. */
async function sendOne(personId: string, message: OutboxMessage, now: Date, optOuts?: Set<string>): Promise<Outcome> {
  const held = await beforeClaim(personId, message, now);
  if (held) return held;
  const retry = outboxRetryFromEnv();
  const lease = await claim(personId, message.notificationId, now, retry);
  return lease ? await attempt(personId, lease, now, retry, { optOuts }) : 'retryLater';
}

/** Why a message is not claimed now (not due, held back for quiet hours, too little time left), or undefined. */
async function beforeClaim(personId: string, message: OutboxMessage, now: Date): Promise<Outcome | undefined> {
  const at = now.toISOString();
  if (!isDue(message, at)) return message.notBefore && message.notBefore > at ? 'deferred' : 'retryLater';
  const smsWindow = smsWindowFromEnv();
  if (message.channel === 'sms' && smsWindow && !smsAllowedAt(now, smsWindow)) {
    return (await defer(personId, message, nextSmsWindow(now, smsWindow), now)) ? 'deferred' : 'retryLater';
  }
  // Too little time left to hand the message to the provider and record it: cut in between, it would go twice.
  // It stays due, and the dispatcher sends it.
  if (timeLeftMs() < SEND_TIME_MARGIN_MS) return 'retryLater';
  return undefined;
}

interface Lease {
  leaseId: string;
  /** The message as the claim left it (read from the table, not from a possibly stale index). */
  message: OutboxMessage;
}

/**
 * Claims a message before any provider call: a conditional update that succeeds only on a pending message that
 * nobody holds (no lease, or an expired one) and that is due. It counts the attempt and moves the message
 * in the due index to the end of the lease, so the dispatcher looks at it again only if its holder dies.
 * Two senders racing (the dispatcher and a step, two dispatchers): one gets it, the other gets undefined.
 */
async function claim(personId: string, notificationId: string, now: Date, retry: OutboxRetry, leaseId: string = randomUUID()): Promise<Lease | undefined> {
  try {
    const result = await db().send(new UpdateCommand({ ...claimUpdate(personId, notificationId, leaseId, leaseEnd(now, retry), now), ReturnValues: 'ALL_NEW' }));
    return { leaseId, message: result.Attributes as OutboxMessage };
  } catch (error) {
    // A conflict: its holder is marking it sent at this moment.
    if (isTransactionConflict(error)) return undefined;
    if (!isConditionalCheckFailed(error)) throw error;
  }
  // Refused: another sender holds the message, or this claim went through and only its answer was lost (a 500
  // after the write, which the SDK retried against its own lease). The lease is then ours: without this read,
  // nobody would send the message until the lease ran out.
  const { Item } = await db().send(new GetCommand({ TableName: tableName(), Key: keys.notification(personId, notificationId), ConsistentRead: true }));
  return Item?.leaseId === leaseId && Item.status === 'pending' ? { leaseId, message: Item as OutboxMessage } : undefined;
}

const leaseEnd = (now: Date, retry: OutboxRetry) => new Date(now.getTime() + retry.leaseSeconds * 1000).toISOString();

/** The claim's conditional update (`claim`, and `claimMany` in a transaction). */
function claimUpdate(personId: string, notificationId: string, leaseId: string, until: string, now: Date) {
  return {
    TableName: tableName(),
    Key: keys.notification(personId, notificationId),
    UpdateExpression: 'SET leaseId = :lease, leaseUntil = :until, nextAttemptAt = :until, gsi3pk = :duePk, gsi3sk = :dueSk, attempts = if_not_exists(attempts, :zero) + :one',
    ConditionExpression: `#status = :pending AND (attribute_not_exists(leaseUntil) OR leaseUntil <= :now) AND ${IS_DUE}`,
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: {
      ':lease': leaseId,
      ':until': until,
      ':pending': 'pending',
      ':now': now.toISOString(),
      ':zero': 0,
      ':one': 1,
      ...dueValues(until, personId, notificationId),
    } as Record<string, unknown>,
  };
}

const dueValues = (at: string, personId: string, notificationId: string) => {
  const entry = keys.dueMessageEntry(at, personId, notificationId);
  return { ':duePk': entry.gsi3pk, ':dueSk': entry.gsi3sk };
};

/**
 * What an attempt brings to the provider call: the opt-outs read for its batch, the files its caller handed in, the
 * personal link issued with the message, when its lease was claimed.
 */
interface AttemptOptions {
  optOuts?: Set<string>;
  files?: ReadonlyMap<string, Uint8Array>;
  /** The URL of a personal link issued and stored with the message (`withIssuedLinks`): no link is issued at the send. */
  linkUrl?: string;
  /**
   * `performance.now()` when a lease claimed with its group was taken (`FreshSends`): it may have waited for its
   * turn, so the provider call and its mark must still fit in it and in the invocation, or it is handed back.
   */
  claimedAt?: number;
}

/** One attempt by the lease holder: opt-out, 24-hour limit, then the provider; every outcome is written under the lease. */
async function attempt(personId: string, lease: Lease, now: Date, retry: OutboxRetry, options: AttemptOptions = {}): Promise<Outcome> {
  const result = await attemptDelivery(personId, lease, now, retry, options);
  if ('outcome' in result) return result.outcome;
  await markSent(personId, lease.message, result.delivery);
  return countSent(lease.message);
}

const countSent = (message: OutboxMessage): Outcome => {
  metrics.addMetric(`notification_sent_${message.channel}`, MetricUnit.Count, 1);
  return 'sent';
};

/**
 * An attempt up to the provider's answer: the outcome when it ends there (skipped, refused, failed, handed back), or
 * the delivery, which its caller marks sent (`markSent`, or a shared mark).
 */
async function attemptDelivery(personId: string, { leaseId, message }: Lease, now: Date, retry: OutboxRetry, { optOuts, files, claimedAt, linkUrl }: AttemptOptions): Promise<{ outcome: Outcome } | { delivery: Delivery }> {
  // A sender died holding the last attempt: the cap holds all the same.
  if (message.attempts > retry.maxAttempts) return { outcome: await giveUp(personId, message, leaseId, 'attempts-exhausted', now) };
  let outgoing: OutboxMessage;
  try {
    // Written ahead of its time, about a state that changed since (a seat left, an onboarding ended): it goes nowhere.
    if (message.validWhile?.length && !(await stillValid(message.validWhile))) {
      await cancelOutdated(personId, message, leaseId, now);
      return { outcome: 'skipped' };
    }
    // Mandatory messages still go by e-mail to an address that complained; nothing goes by SMS to a number that said STOP.
    const blocked = optOuts ?? (await optedOut([{ channel: message.channel, address: message.to }]));
    if (isOptedOut(blocked, message.channel, message.to) && !(message.channel === 'email' && isMandatory(message.kind as MessageKind, message.role))) {
      await skipOptedOut(personId, message, leaseId, now);
      return { outcome: 'skipped' };
    }
    if (!(await claimRateSlot(personId, message, now))) {
      await suppress(personId, message, leaseId, now);
      return { outcome: 'skipped' };
    }
    // Claimed with its group, it waited for its turn: its provider call and mark must still fit in the invocation
    // and in the lease (a lease run out lets another sender send it too). Otherwise it is due again at once.
    if (claimedAt !== undefined && (timeLeftMs() < SEND_TIME_MARGIN_MS || performance.now() - claimedAt > retry.leaseSeconds * 1000 - SEND_TIME_MARGIN_MS)) {
      await release(personId, message.notificationId, leaseId, now);
      return { outcome: 'retryLater' };
    }
    // A personal link is issued for this send only and lives in this copy alone: the outbox keeps its placeholder.
    outgoing = linkUrl ? withLinkUrl(message, linkUrl) : await fillPersonalLink(personId, message, now);
  } catch (error) {
    // Nothing went to the provider: let the next sender have it at once rather than after the lease.
    await release(personId, message.notificationId, leaseId, now);
    throw error;
  }
  try {
    return { delivery: await deliver(personId, outgoing, files) };
  } catch (error) {
    return { outcome: await recordFailure(personId, message, leaseId, error, now, retry) };
  }
}

/**
 * A write by the lease holder, which changes the message only while it is pending and still held by that lease
 * (a holder whose lease ran out and was claimed again writes nothing). False when the condition failed.
 */
async function underLease(personId: string, notificationId: string, leaseId: string, update: string, values: Record<string, unknown>): Promise<boolean> {
  try {
    await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.notification(personId, notificationId),
        UpdateExpression: update,
        ConditionExpression: '#status = :pending AND leaseId = :lease',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':pending': 'pending', ':lease': leaseId, ...values },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionalCheckFailed(error)) return false;
    throw error;
  }
}

/** Hands a claimed message back, due now, after an error of our own before the provider call. Best effort: the lease expires anyway. */
async function release(personId: string, notificationId: string, leaseId: string, now: Date): Promise<void> {
  const at = now.toISOString();
  try {
    await underLease(personId, notificationId, leaseId, 'SET nextAttemptAt = :now, gsi3pk = :duePk, gsi3sk = :dueSk REMOVE leaseId, leaseUntil', {
      ':now': at,
      ...dueValues(at, personId, notificationId),
    });
  } catch (error) {
    logger.warn('lease not released: it will expire', { notificationId, error: errorName(error) });
  }
}

/**
 * A provider's error: a permanent one (a number or address it refuses) fails the message at once; a transient
 * one sets the next attempt after a backoff that doubles, until the attempts run out.
 */
async function recordFailure(personId: string, message: OutboxMessage, leaseId: string, error: unknown, now: Date, retry: OutboxRetry): Promise<Outcome> {
  const name = errorName(error);
  logger.warn('notification not sent', { notificationId: message.notificationId, channel: message.channel, attempt: message.attempts, error: name });
  // A file missing or too large stays so: the message fails at once, with the file named on it (not in the log).
  if (error instanceof AttachmentFailure) return await giveUp(personId, message, leaseId, error.reason, now, error.detail);
  if (isPermanentProviderError(error)) return await giveUp(personId, message, leaseId, 'provider-rejected', now, name);
  if (message.attempts >= retry.maxAttempts) return await giveUp(personId, message, leaseId, 'attempts-exhausted', now, name);
  const next = new Date(now.getTime() + retryDelaySeconds(retry, message.attempts) * 1000).toISOString();
  await underLease(personId, message.notificationId, leaseId, 'SET nextAttemptAt = :next, gsi3pk = :duePk, gsi3sk = :dueSk, lastError = :error REMOVE leaseId, leaseUntil', {
    ':next': next,
    ':error': name,
    ...dueValues(next, personId, message.notificationId),
  });
  return 'retryLater';
}

/** Ends a message as `failed`, out of the due index and into the failed-messages one that staff see for 30 days. */
async function giveUp(personId: string, message: OutboxMessage, leaseId: string, reason: SendFailureReason, now: Date, lastError?: string): Promise<Outcome> {
  const at = now.toISOString();
  const entry = keys.failedMessageEntry(at, personId, message.notificationId);
  const done = await underLease(
    personId,
    message.notificationId,
    leaseId,
    `SET #status = :failed, statusAt = :now, statusReason = :reason, gsi3pk = :failedPk, gsi3sk = :failedSk${lastError ? ', lastError = :error' : ''} REMOVE nextAttemptAt, leaseId, leaseUntil`,
    { ':failed': 'failed', ':now': at, ':reason': reason, ':failedPk': entry.gsi3pk, ':failedSk': entry.gsi3sk, ...(lastError ? { ':error': lastError } : {}) },
  );
  if (done) {
    logger.error('notification given up', { notificationId: message.notificationId, channel: message.channel, reason, attempts: message.attempts });
    metrics.addMetric('notification_failed', MetricUnit.Count, 1);
  }
  return 'failed';
}

/**
 * Reminders and escalations that a workflow schedules on purpose may repeat within 24 h, and so may the monthly
 * statement (one per activity and month: a member of two activities gets two the same day) and the notice of a held
 * invoice (one per invoice: two invoices held at one validation are two reasons to fix). Their outbox ids already
 * make each one once. Nothing else repeats.
 */
const REPEATABLE_KINDS = new Set(['referral-reminder', 'referral-escalation', 'referral-waitlist-review', 'referral-decision-request', 'monthly-statement', 'invoice-held']);
const RATE_WINDOW_MS = 24 * 3600 * 1000;
/** Cause prefix of the messages sent again to a corrected contact. */
export const RESEND_PREFIX = 'resend#';

/**
 * Claims the 24-hour slot of this kind of message for this recipient and person. The claim is conditional,
 * so two messages racing get one slot; the same message retried keeps its own slot.
 */
async function claimRateSlot(personId: string, message: OutboxMessage, now: Date): Promise<boolean> {
  // A mandatory message (a decision, an expiry) is owed whatever came before; a re-send after staff fixed a contact
  // is a person's explicit action, not a repeat.
  if (isMandatory(message.kind as MessageKind, message.role) || REPEATABLE_KINDS.has(message.kind) || message.cause.startsWith(RESEND_PREFIX)) return true;
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
    if (isConditionalCheckFailed(error)) return false;
    throw error;
  }
}

/** Final states a message reaches without being sent leave the due index with the lease. */
const LEAVE_DUE_INDEX = 'REMOVE notBefore, nextAttemptAt, leaseId, leaseUntil, gsi3pk, gsi3sk';

async function suppress(personId: string, message: OutboxMessage, leaseId: string, now: Date): Promise<void> {
  const done = await underLease(personId, message.notificationId, leaseId, `SET #status = :suppressed, statusAt = :now, statusReason = :reason ${LEAVE_DUE_INDEX}`, {
    ':suppressed': 'suppressed',
    ':now': now.toISOString(),
    ':reason': 'rate-limit-24h',
  });
  if (done) logger.info('notification suppressed: same message within 24 h', { notificationId: message.notificationId });
}

/** Whether every item a message depends on still holds its value (read consistently, just before the send). */
async function stillValid(conditions: ValidWhile[]): Promise<boolean> {
  const found = await Promise.all(
    conditions.map((condition) =>
      db().send(new GetCommand({ TableName: tableName(), Key: condition.key, ConsistentRead: true, ProjectionExpression: '#field', ExpressionAttributeNames: { '#field': condition.field } })),
    ),
  );
  return conditions.every((condition, i) => found[i]!.Item?.[condition.field] === condition.equals);
}

async function cancelOutdated(personId: string, message: OutboxMessage, leaseId: string, now: Date): Promise<void> {
  const done = await underLease(personId, message.notificationId, leaseId, `SET #status = :cancelled, statusAt = :now, statusReason = :reason ${LEAVE_DUE_INDEX}`, {
    ':cancelled': 'cancelled',
    ':now': now.toISOString(),
    ':reason': 'outdated',
  });
  if (done) logger.info('notification cancelled: what it was about changed before its time', { notificationId: message.notificationId, kind: message.kind });
}

/**
 * Marks a message not sent because its address opted out. A mandatory SMS then goes by e-mail,
 * unless the same cause already wrote an e-mail to that recipient.
 */
async function skipOptedOut(personId: string, message: OutboxMessage, leaseId: string, now: Date): Promise<void> {
  const done = await underLease(personId, message.notificationId, leaseId, `SET #status = :optedOut, statusAt = :now ${LEAVE_DUE_INDEX}`, {
    ':optedOut': 'opted-out',
    ':now': now.toISOString(),
  });
  if (!done) return; // the lease ran out and another sender took the message over
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

/** Holds an SMS back until the morning: its next attempt moves there in the due index. False when a sender holds it. */
async function defer(personId: string, message: OutboxMessage, until: Date, now: Date): Promise<boolean> {
  const notBefore = until.toISOString();
  try {
    await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.notification(personId, message.notificationId),
        UpdateExpression: 'SET notBefore = :notBefore, nextAttemptAt = :notBefore, gsi3pk = :duePk, gsi3sk = :dueSk REMOVE leaseId, leaseUntil',
        ConditionExpression: '#status = :pending AND (attribute_not_exists(leaseUntil) OR leaseUntil <= :now)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':notBefore': notBefore, ':pending': 'pending', ':now': now.toISOString(), ...dueValues(notBefore, personId, message.notificationId) },
      }),
    );
  } catch (error) {
    if (isConditionalCheckFailed(error)) return false;
    throw error;
  }
  logger.info('notification held back for quiet hours', { notificationId: message.notificationId, notBefore });
  return true;
}

/** What one dispatcher run did. */
export interface DispatchResult {
  sent: number;
  deferred: number;
  failed: number;
  retryLater: number;
  /** Suppressed (24-hour limit), opted out, or cancelled (outdated). */
  skipped: number;
  /** Messages whose attempt hit an error of our own (DynamoDB): tried again at a later run. */
  errors: number;
  /** Messages found due for more than 15 minutes: the `notification_overdue` metric. */
  overdue: number;
  /** False when the run stopped before the end of the due messages, for lack of time. */
  complete: boolean;
}

export interface DispatchOptions {
  /** The invocation's time left (Lambda's `getRemainingTimeInMillis`): no new page is read with less than 10 s to go. */
  timeLeftMs?: () => number;
  /** Messages read per page of the due index. */
  pageSize?: number;
  /** Messages tried at the same time. */
  concurrency?: number;
}

const OVERDUE_AFTER_MS = 15 * 60 * 1000;
const TIME_MARGIN_MS = 10_000;

/**
 * Sends every message whose time has come (run by a schedule every few minutes): first attempts nobody made,
 * retries after their backoff, SMS held back for the night, messages whose sender died holding them. It pages
 * through the whole due index, oldest first, with a few messages in flight at once, and publishes how many were
 * due for more than 15 minutes (`notification_overdue`), which an alarm watches.
 * @example await dispatchDueNotifications(new Date('2026-11-27T07:00:00Z')) // 08:00 in Paris
 */
export async function dispatchDueNotifications(now: Date = new Date(), options: DispatchOptions = {}): Promise<DispatchResult> {
  const { timeLeftMs = () => Infinity, pageSize = 100, concurrency = 8 } = options;
  const result: DispatchResult = { sent: 0, deferred: 0, failed: 0, retryLater: 0, skipped: 0, errors: 0, overdue: 0, complete: true };
  const overdueBefore = new Date(now.getTime() - OVERDUE_AFTER_MS).toISOString();
  let startKey: Record<string, unknown> | undefined;
  do {
    if (timeLeftMs() < TIME_MARGIN_MS) {
      result.complete = false;
      break;
    }
    const page = await db().send(
      new QueryCommand({
        TableName: tableName(),
        IndexName: INDEX.dueMessages,
        KeyConditionExpression: 'gsi3pk = :pk AND gsi3sk <= :until',
        ExpressionAttributeValues: { ':pk': keys.dueMessagesPartition(), ':until': `${now.toISOString()}~` },
        Limit: pageSize,
        ExclusiveStartKey: startKey,
      }),
    );
    const items = (page.Items ?? []) as Array<OutboxMessage & { personId: string; gsi3sk: string }>;
    result.overdue += items.filter((item) => item.gsi3sk < overdueBefore).length;
    await forEachBounded(items, concurrency, async (item) => {
      if (item.status !== 'pending') return; // the index lags a moment behind the table
      try {
        result[await sendOne(item.personId, item, now)] += 1;
      } catch (error) {
        result.errors += 1;
        logger.warn('message not dispatched', { notificationId: item.notificationId, error: errorName(error) });
      }
    });
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  metrics.addMetric('notification_overdue', MetricUnit.Count, result.overdue);
  return result;
}

/** Runs `fn` over `items` with at most `limit` calls in flight. */
async function forEachBounded<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Days a provider id stays resolvable: SMS receipts come within 72 h, complaints can take weeks. */
const PROVIDER_LOOKUP_DAYS = 90;

/**
 * Marks the message sent and records the provider's id → outbox item lookup in one transaction, so a delivery
 * event never finds a sent message it cannot trace, nor a lookup to a message still pending. The mark is
 * conditional on the message still pending: it fails only if the lease ran out during the provider call and
 * another sender sent the message too, which is then logged.
 */
async function markSent(personId: string, message: OutboxMessage, delivery: Delivery): Promise<void> {
  const { markItem, lookupItem } = markItems(personId, message, delivery, new Date());
  // The provider has the message: a mark lost now means a second send once the lease ends. So a conflict with
  // another sender's claim (which the SDK does not retry), and an error the SDK's own retries did not get past
  // (throttling, 5xx, timeouts: at 10 % faults, one message in a thousand), are tried again here.
  for (let attempt = 1; ; attempt++) {
    try {
      await db().send(new TransactWriteCommand({ TransactItems: [markItem, ...(lookupItem ? [lookupItem] : [])] }));
      return;
    } catch (error) {
      const codes = errorName(error) === 'TransactionCanceledException' ? cancellationCodes(error) : [];
      if (codes[0] === 'ConditionalCheckFailed') {
        logger.error('notification sent twice: another sender recorded it first', { notificationId: message.notificationId, channel: message.channel });
        metrics.addMetric('notification_sent_twice', MetricUnit.Count, 1);
        return;
      }
      if (attempt >= MARK_SENT_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt * (0.5 + Math.random())));
    }
  }
}

/**
 * The items of a message's mark: the message sent (on condition that it is still pending), and the provider's id →
 * outbox item lookup (none when the provider answered without an id: nothing to look up). An invoice's e-mail writes
 * nothing on the invoice: its history reads `sent` from this mark (`invoiceHistory`, decision 42).
 */
function markItems(personId: string, message: OutboxMessage, { providerMessageId, providerAttempts, sentAttachments }: Delivery, now: Date): { markItem: TransactItem; lookupItem?: TransactItem } {
  const provider: MessageProvider = message.channel === 'email' ? 'ses' : 'sms';
  const markItem = {
    Update: {
      TableName: tableName(),
      Key: keys.notification(personId, message.notificationId),
      UpdateExpression: `SET #status = :sent, sentAt = :now, providerMessageId = :id, providerAttempts = :providerAttempts${sentAttachments ? ', sentAttachments = :files' : ''} REMOVE lastError, ${LEAVE_DUE_INDEX.slice('REMOVE '.length)}`,
      ConditionExpression: '#status = :pending',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':sent': 'sent',
        ':pending': 'pending',
        ':now': now.toISOString(),
        ':id': providerMessageId,
        ':providerAttempts': providerAttempts,
        ...(sentAttachments ? { ':files': sentAttachments } : {}),
      },
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
  // An e-mail's events name its outbox item by its tags (outboxTags): only an SMS's report needs the lookup.
  return { markItem, ...(providerMessageId && provider === 'sms' ? { lookupItem } : {}) };
}

/** Tries of the write that marks a message sent (each one retried by the SDK too), about 1.5 s in all. */
const MARK_SENT_ATTEMPTS = 6;

/**
 * Indexes of consecutive entries of items, grouped into transactions of at most 100 items (an entry's items always in
 * the same one). DynamoDB refuses a transaction that touches an item twice: an entry that touches an item the group
 * already does starts the next group (two statements of one young person in a batch each file their address for new
 * links, the same item).
 */
function transactionGroups(entries: ReadonlyArray<readonly TransactItem[]>): number[][] {
  const groups: number[][] = [];
  let size = MAX_TRANSACTION_ITEMS;
  let touched = new Set<string>();
  for (const [i, items] of entries.entries()) {
    const keys = items.map(itemKey);
    if (size + items.length > MAX_TRANSACTION_ITEMS || keys.some((key) => touched.has(key))) {
      groups.push([]);
      size = 0;
      touched = new Set();
    }
    groups.at(-1)!.push(i);
    size += items.length;
    for (const key of keys) touched.add(key);
  }
  return groups;
}

/** The table and key of the item a transaction's operation touches. */
function itemKey(item: TransactItem): string {
  const operation = item.Put ?? item.Update ?? item.Delete ?? item.ConditionCheck;
  const key = (item.Put ? item.Put.Item : (operation as { Key?: Record<string, unknown> } | undefined)?.Key) ?? {};
  return `${operation?.TableName ?? ''}\u0000${String(key.pk)}\u0000${String(key.sk)}`;
}

/** A message written by this call of `writeAndSendNotifications`: its person, and the bytes of its files the caller has. */
interface FreshMessage {
  personId: string;
  message: OutboxMessage;
  files?: ReadonlyMap<string, Uint8Array>;
}

/**
 * What `claimMany` made of one message: held back before any claim (`beforeClaim`), or an error doing so; claimed
 * with its group (the lease, and when); or left to a claim of its own (`claim`) under the lease id the shared claim
 * tried, so that a shared claim that went through with its answer lost is still taken for ours.
 */
type GroupClaim = { outcome: Outcome } | { error: unknown } | { lease: Lease; claimedAt: number } | { leaseId: string };

/**
 * Claims messages written by this very call in one transaction of up to 100 updates (one request, where `claim`
 * makes one each). Each update has the condition of `claim`, and one more: the message still has the attempts it
 * was written with, so nobody claimed it since and the claimed message is the one written with the claim's changes
 * (a transaction returns no item). The checks that come before a claim (`beforeClaim`) are made for each message
 * first. A transaction refused (a message another sender claimed meanwhile, a conflict) or failed leaves each of its
 * messages to `claim`, at its turn.
 */
async function claimMany(messages: readonly FreshMessage[], now: Date, retry: OutboxRetry): Promise<GroupClaim[]> {
  const claims: GroupClaim[] = [];
  for (const { personId, message } of messages) {
    try {
      const held = await beforeClaim(personId, message, now);
      claims.push(held ? { outcome: held } : { leaseId: randomUUID() });
    } catch (error) {
      claims.push({ error });
    }
  }
  const tried = messages.flatMap((fresh, i) => {
    const claimed = claims[i]!;
    return 'leaseId' in claimed ? [{ ...fresh, i, leaseId: claimed.leaseId }] : [];
  });
  if (tried.length === 0) return claims;
  const until = leaseEnd(now, retry);
  try {
    await db().send(
      new TransactWriteCommand({
        TransactItems: tried.map(({ personId, message, leaseId }) => {
          const update = claimUpdate(personId, message.notificationId, leaseId, until, now);
          return { Update: { ...update, ConditionExpression: `${update.ConditionExpression} AND attempts = :written`, ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':written': message.attempts } } };
        }),
      }),
    );
  } catch (error) {
    logger.info('shared claim not made: each message claimed on its own', { messages: tried.length, error: errorName(error) });
    return claims;
  }
  const claimedAt = performance.now();
  for (const { personId, message, leaseId, i } of tried) {
    const claimed = { ...message, attempts: message.attempts + 1, leaseId, leaseUntil: until, nextAttemptAt: until, ...keys.dueMessageEntry(until, personId, message.notificationId) };
    claims[i] = { lease: { leaseId, message: claimed }, claimedAt };
  }
  return claims;
}

/** A delivery waiting for its mark, and the outcome of its message to settle once it is written. */
interface PendingMark {
  personId: string;
  message: OutboxMessage;
  delivery: Delivery;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Writes the marks of delivered messages in shared transactions (`markItems`: a message's mark and its provider
 * lookup, always in the same one). A transaction refused (a message another sender marked first, a conflict) or
 * failed is done again message by message by `markSent`, with its
 * own retries and its account of a message sent twice. Settles each mark; never throws.
 */
async function markMany(marks: readonly PendingMark[]): Promise<void> {
  const now = new Date();
  const items = marks.map(({ personId, message, delivery }) => {
    const { markItem, lookupItem } = markItems(personId, message, delivery, now);
    return [markItem, ...(lookupItem ? [lookupItem] : [])];
  });
  await Promise.all(
    transactionGroups(items).map(async (group) => {
      try {
        await db().send(new TransactWriteCommand({ TransactItems: group.flatMap((i) => items[i]!) }));
        for (const i of group) marks[i]!.resolve();
        return;
      } catch (error) {
        logger.info('shared mark not written: each message marked on its own', { messages: group.length, error: errorName(error) });
      }
      await Promise.all(
        group.map(async (i) => {
          const mark = marks[i]!;
          try {
            await markSent(mark.personId, mark.message, mark.delivery);
            mark.resolve();
          } catch (error) {
            mark.reject(error);
          }
        }),
      );
    }),
  );
}

/** Deliveries marked together at most: 50 items with an SMS's lookups, one transaction. */
const MARK_GROUP = 25;
/** The longest a delivery waits for others to be marked with it. */
const MARK_WAIT_MS = 100;

/**
 * Marks deliveries sent a few at a time (`markMany`). A mark lost (the function dies between the provider call and
 * it) means a second e-mail once the lease ends, so deliveries do not wait for the end of a batch: their marks go as
 * soon as MARK_GROUP deliveries wait, or no other attempt is under way, or MARK_WAIT_MS after the first waiting one.
 * The window stays about one provider call and one write long, as with a mark each, for a write per ~10-25 messages.
 */
class MarkGroups {
  private waiting: PendingMark[] = [];
  /** Attempts between their claim and their delivery, whose marks may join the waiting ones. */
  private attempting = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  begin(): void {
    this.attempting += 1;
  }

  /** An attempt ended without a delivery to mark. */
  end(): void {
    this.attempting -= 1;
    this.schedule();
  }

  /** An attempt ended with a delivery: settled once its mark is written. */
  add(personId: string, message: OutboxMessage, delivery: Delivery): Promise<void> {
    return new Promise((resolve, reject) => {
      this.attempting -= 1;
      this.waiting.push({ personId, message, delivery, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.waiting.length === 0) return;
    if (this.waiting.length >= MARK_GROUP || this.attempting === 0) return this.flush();
    this.timer ??= setTimeout(() => this.flush(), MARK_WAIT_MS);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const marks = this.waiting.splice(0);
    void markMany(marks).catch((error: unknown) => marks.forEach((mark) => mark.reject(error)));
  }
}

/**
 * Sends the messages written by one `writeAndSendNotifications` call, in groups of up to 100 started when the call
 * first asks for one of their messages: claimed together (`claimMany`), tried `concurrency` at a time (opt-out,
 * 24-hour limit, `validWhile` and the provider call per message, as `attempt` does), and marked sent a few together
 * (`MarkGroups`). A message's outcome settles once its mark is written; a try does not wait for it to start the next.
 */
class FreshSends {
  private readonly groups: FreshMessage[][] = [];
  private readonly groupOf = new Map<OutboxMessage, number>();
  private readonly outcomes = new Map<OutboxMessage, Promise<Outcome>>();
  private readonly marks = new MarkGroups();
  private readonly retry = outboxRetryFromEnv();

  constructor(
    messages: readonly FreshMessage[],
    private readonly now: Date,
    private readonly concurrency: number,
    private readonly optOuts: Set<string>,
    /**
     * The messages written already claimed by this call (`writtenClaimed`), by person and id, and when; the personal
     * links issued with them (`withIssuedLinks`), by person and id.
     */
    private readonly preclaimed: { leases: ReadonlyMap<string, Lease>; claimedAt: number; links?: ReadonlyMap<string, string> } = { leases: new Map(), claimedAt: 0 },
  ) {
    for (const [i, fresh] of messages.entries()) {
      if (i % MAX_TRANSACTION_ITEMS === 0) this.groups.push([]);
      this.groups.at(-1)!.push(fresh);
      this.groupOf.set(fresh.message, this.groups.length - 1);
    }
  }

  /** What became of a message the call wrote (one it did not write is sent on its own, as `personId`'s). */
  send(personId: string, message: OutboxMessage): Promise<Outcome> {
    const group = this.groupOf.get(message);
    if (group === undefined) return sendOne(personId, message, this.now, this.optOuts);
    if (!this.outcomes.has(message)) this.start(this.groups[group]!);
    return this.outcomes.get(message)!;
  }

  private start(group: readonly FreshMessage[]): void {
    const settle = group.map((fresh) => {
      let resolve!: (outcome: Outcome) => void;
      let reject!: (error: unknown) => void;
      const outcome = new Promise<Outcome>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // The call awaits it when it comes to the message: no unhandled rejection before then.
      outcome.catch(() => undefined);
      this.outcomes.set(fresh.message, outcome);
      return { resolve, reject };
    });
    void (async () => {
      const leaseOf = (fresh: FreshMessage) => this.preclaimed.leases.get(leaseKey(fresh.personId, fresh.message.notificationId));
      const toClaim = group.filter((fresh) => !leaseOf(fresh));
      const claimed = await claimMany(toClaim, this.now, this.retry).catch((error: unknown) => toClaim.map((): GroupClaim => ({ error })));
      const claims = group.map((fresh): GroupClaim => {
        const lease = leaseOf(fresh);
        return lease ? { lease, claimedAt: this.preclaimed.claimedAt } : claimed[toClaim.indexOf(fresh)]!;
      });
      await forEachBounded([...group.keys()], Math.max(1, this.concurrency), async (i) => {
        try {
          await this.tryOne(group[i]!, claims[i]!, settle[i]!);
        } catch (error) {
          settle[i]!.reject(error);
        }
      });
    })();
  }

  private async tryOne({ personId, message, files }: FreshMessage, claimed: GroupClaim, settle: { resolve: (outcome: Outcome) => void; reject: (error: unknown) => void }): Promise<void> {
    if ('outcome' in claimed) return settle.resolve(claimed.outcome);
    if ('error' in claimed) return settle.reject(claimed.error);
    let lease: Lease | undefined;
    let claimedAt: number;
    if ('lease' in claimed) ({ lease, claimedAt } = claimed);
    else {
      lease = await claim(personId, message.notificationId, this.now, this.retry, claimed.leaseId);
      claimedAt = performance.now();
    }
    if (!lease) return settle.resolve('retryLater');
    const held = lease;
    this.marks.begin();
    let result: Awaited<ReturnType<typeof attemptDelivery>>;
    try {
      const linkUrl = this.preclaimed.links?.get(leaseKey(personId, message.notificationId));
      result = await attemptDelivery(personId, held, this.now, this.retry, { optOuts: this.optOuts, files, claimedAt, linkUrl });
    } catch (error) {
      this.marks.end();
      throw error;
    }
    if ('outcome' in result) {
      this.marks.end();
      return settle.resolve(result.outcome);
    }
    this.marks.add(personId, held.message, result.delivery).then(() => settle.resolve(countSent(held.message)), settle.reject);
  }
}
