import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { JsonLinesAppender, readJsonLines } from './json-lines.js';
import type { LocalQueue } from './template.js';

/** A message attribute as SendMessage takes it (a binary value as bytes, base64 in the JSON protocol). */
export interface MessageAttribute {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

/** A message as ReceiveMessage hands it over. */
export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  md5OfBody: string;
  /** SenderId, SentTimestamp, ApproximateReceiveCount, ApproximateFirstReceiveTimestamp (and DeadLetterQueueSourceArn once moved). */
  attributes: Record<string, string>;
  messageAttributes: Record<string, MessageAttribute>;
  md5OfMessageAttributes?: string;
}

/** A stored message: what the journal keeps. Times in epoch milliseconds. */
interface StoredMessage {
  id: string;
  body: string;
  md5: string;
  sentAt: number;
  /** When it may be received: its delay, or the end of its visibility timeout. */
  visibleAt: number;
  receives: number;
  firstReceiveAt?: number;
  /** The nonce of the latest receive's handle: an older handle deletes nothing. */
  handle?: string;
  attributes?: Record<string, MessageAttribute>;
  /** The queue it came from, once moved to this dead-letter queue. */
  deadLetterSourceArn?: string;
}

interface QueueState {
  definition: LocalQueue;
  /** In order of sending: a receive takes the oldest visible first. */
  messages: Map<string, StoredMessage>;
  /** Receives waiting for a message (long polling). */
  waiters: Set<() => void>;
}

type JournalRecord =
  | { t: 'put'; q: string; m: StoredMessage }
  | { t: 'seen'; q: string; id: string; visibleAt: number; receives: number; firstReceiveAt?: number; handle: string }
  | { t: 'del'; q: string; id: string };

/** An error of the SQS API, with its JSON protocol code (`com.amazonaws.sqs#<code>`). */
export class SqsError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

const JOURNAL_FILE = join('sqs', 'messages.jsonl');
/** ReceiveMessage's longest long poll and largest batch, as on AWS. */
const MAX_WAIT_SECONDS = 20;
const MAX_RECEIVE = 10;
/** The journal is rewritten with the live messages when it holds this many lines more than them (and 4 times as many). */
const COMPACT_AFTER_LINES = 10_000;

/** What SQS refuses in a message: characters outside #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF (lone surrogates too). */
const INVALID_CHARACTER = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** A request field of the JSON protocol, checked for its type: what the SDK never sends malformed, a CLI or curl may. */
const field = {
  integer(body: Record<string, unknown>, name: string): number | undefined {
    const value = body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) throw new SqsError('InvalidParameterValue', `Value ${JSON.stringify(value)} for parameter ${name} is invalid. Reason: must be an integer.`);
    return value;
  },
  strings(body: Record<string, unknown>, name: string): string[] {
    const value = body[name];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) throw new SqsError('InvalidParameterValue', `Value for parameter ${name} is invalid. Reason: must be a list of strings.`);
    return value as string[];
  },
  attributes(body: Record<string, unknown>): Record<string, MessageAttribute> | undefined {
    const value = body.MessageAttributes;
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) throw new SqsError('InvalidParameterValue', 'Value for parameter MessageAttributes is invalid. Reason: must be a map of attributes.');
    for (const [name, attribute] of Object.entries(value as Record<string, unknown>)) {
      const { DataType, StringValue, BinaryValue } = (attribute && typeof attribute === 'object' ? attribute : {}) as Record<string, unknown>;
      if (typeof DataType !== 'string' || DataType === '') throw new SqsError('InvalidParameterValue', `The message attribute '${name}' must contain non-empty message attribute type.`);
      const kind = DataType.split('.')[0];
      const given = kind === 'Binary' ? BinaryValue : StringValue;
      if (typeof given !== 'string' || given === '' || (StringValue !== undefined && typeof StringValue !== 'string') || (BinaryValue !== undefined && typeof BinaryValue !== 'string')) {
        throw new SqsError('InvalidParameterValue', `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${DataType}'.`);
      }
      if (!['String', 'Number', 'Binary'].includes(kind!)) throw new SqsError('InvalidParameterValue', `The type of message attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`);
    }
    return value as Record<string, MessageAttribute>;
  },
};

/** The operations of the SQS API (its AWS JSON protocol's targets). */
const SQS_OPERATIONS = [
  'AddPermission', 'CancelMessageMoveTask', 'ChangeMessageVisibility', 'ChangeMessageVisibilityBatch', 'CreateQueue', 'DeleteMessage', 'DeleteMessageBatch', 'DeleteQueue',
  'GetQueueAttributes', 'GetQueueUrl', 'ListDeadLetterSourceQueues', 'ListMessageMoveTasks', 'ListQueueTags', 'ListQueues', 'PurgeQueue', 'ReceiveMessage', 'RemovePermission',
  'SendMessage', 'SendMessageBatch', 'SetQueueAttributes', 'StartMessageMoveTask', 'TagQueue', 'UntagQueue',
];

const md5 = (value: string | Buffer) => createHash('md5').update(value).digest('hex');

/**
 * The MD5 of message attributes as SQS computes it (names sorted; each name, data type and value length-prefixed,
 * a transport byte before the value): the SDK may check it.
 */
export function md5OfMessageAttributes(attributes: Record<string, MessageAttribute>): string {
  const parts: Buffer[] = [];
  const field = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  };
  for (const name of Object.keys(attributes).sort()) {
    const attribute = attributes[name]!;
    field(Buffer.from(name, 'utf8'));
    field(Buffer.from(attribute.DataType, 'utf8'));
    const binary = attribute.BinaryValue !== undefined;
    parts.push(Buffer.from([binary ? 2 : 1]));
    field(binary ? Buffer.from(attribute.BinaryValue!, 'base64') : Buffer.from(attribute.StringValue ?? '', 'utf8'));
  }
  return md5(Buffer.concat(parts));
}

/**
 * A local Amazon SQS for the template's standard queues: SendMessage, ReceiveMessage (up to 10, long polling, a
 * visibility timeout per queue or per receive), DeleteMessage and ChangeMessageVisibility by receipt handle (only the
 * latest receive's handle deletes), delays, retention, and the redrive policy: a message received `maxReceiveCount`
 * times goes to the dead-letter queue at its next receive. `handleJson` serves the AWS JSON protocol
 * (`X-Amz-Target: AmazonSQS.*`) that @aws-sdk/client-sqs speaks.
 * With `dataDir`, messages are kept in a journal (`<dataDir>/sqs/messages.jsonl`, rewritten with the live messages
 * at the start and when it grows): they survive a restart, with their receive counts and visibility; a send answers
 * once written. Without it, they live in memory.
 * @example const sqs = new LocalSqs({ queues: app.queues, dataDir: '.local/data' }); await sqs.sendMessage(queue.arn, '{}');
 */
export class LocalSqs {
  private readonly queues = new Map<string, QueueState>();
  private readonly byArn = new Map<string, QueueState>();
  private readonly journal: Journal | undefined;
  private readonly now: () => number;

  constructor(options: { queues: readonly LocalQueue[]; dataDir?: string; now?: () => number }) {
    this.now = options.now ?? Date.now;
    for (const definition of options.queues) {
      const state: QueueState = { definition, messages: new Map(), waiters: new Set() };
      this.queues.set(definition.name, state);
      this.byArn.set(definition.arn, state);
    }
    if (options.dataDir) {
      const file = join(options.dataDir, JOURNAL_FILE);
      for (const record of readJsonLines(file, isJournalRecord)) this.apply(record);
      this.journal = new Journal(file, () => this.snapshot());
      this.journal.rewrite();
    }
  }

  /** The queues, as the template defines them. */
  list(): LocalQueue[] {
    return [...this.queues.values()].map((q) => q.definition);
  }

  /** A queue by ARN, URL (the template's, or any whose last segment is its name) or name. */
  queue(ref: string): LocalQueue | undefined {
    return this.find(ref)?.definition;
  }

  /** Sends a message; resolves once it is kept (on disk when the queues are). */
  async sendMessage(
    queueRef: string,
    body: string,
    options: { delaySeconds?: number; messageAttributes?: Record<string, MessageAttribute> } = {},
  ): Promise<{ messageId: string; md5OfBody: string; md5OfMessageAttributes?: string }> {
    const queue = this.get(queueRef);
    if (body.length === 0) throw new SqsError('InvalidParameterValue', 'The message body must not be empty');
    const invalid = INVALID_CHARACTER.exec(body);
    if (invalid) {
      throw new SqsError('InvalidMessageContents', `Invalid binary character '#x${invalid[0].codePointAt(0)!.toString(16).toUpperCase()}' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF`);
    }
    const size = Buffer.byteLength(body) + attributesSize(options.messageAttributes);
    if (size > queue.definition.maxMessageBytes) throw new SqsError('InvalidParameterValue', `The message is ${size} bytes, more than the queue's ${queue.definition.maxMessageBytes}`);
    const delay = options.delaySeconds ?? queue.definition.delaySeconds;
    if (!Number.isInteger(delay) || delay < 0 || delay > 900) throw new SqsError('InvalidParameterValue', 'DelaySeconds must be 0 to 900');
    const now = this.now();
    const message: StoredMessage = { id: randomUUID(), body, md5: md5(body), sentAt: now, visibleAt: now + delay * 1000, receives: 0 };
    if (options.messageAttributes && Object.keys(options.messageAttributes).length) message.attributes = options.messageAttributes;
    queue.messages.set(message.id, message);
    const written = this.journal?.append([{ t: 'put', q: queue.definition.name, m: message }]);
    wake(queue);
    await written;
    return { messageId: message.id, md5OfBody: message.md5, ...(message.attributes ? { md5OfMessageAttributes: md5OfMessageAttributes(message.attributes) } : {}) };
  }

  /**
   * Receives up to `maxMessages` (1 to 10) visible messages, oldest first, and hides them for the visibility timeout;
   * waits up to `waitMs` for one when none is visible (long polling). A message already received `maxReceiveCount`
   * times is moved to the dead-letter queue instead.
   */
  async receiveMessage(queueRef: string, options: { maxMessages?: number; visibilityTimeoutSeconds?: number; waitMs?: number; signal?: AbortSignal } = {}): Promise<ReceivedMessage[]> {
    const queue = this.get(queueRef);
    const max = options.maxMessages ?? 1;
    if (!Number.isInteger(max) || max < 1 || max > MAX_RECEIVE) throw new SqsError('InvalidParameterValue', 'MaxNumberOfMessages must be 1 to 10');
    const visibility = options.visibilityTimeoutSeconds ?? queue.definition.visibilityTimeoutSeconds;
    if (!Number.isInteger(visibility) || visibility < 0 || visibility > 43_200) throw new SqsError('InvalidParameterValue', 'VisibilityTimeout must be 0 to 43200');
    const deadline = this.now() + Math.min(options.waitMs ?? queue.definition.receiveWaitSeconds * 1000, MAX_WAIT_SECONDS * 1000);
    for (;;) {
      if (options.signal?.aborted) return [];
      const taken = this.take(queue, max, visibility);
      if (taken.length || this.now() >= deadline) return taken;
      await this.change(queue, deadline, options.signal);
    }
  }

  /** Deletes a message by the handle of its latest receive; an older handle, or a message gone already, deletes nothing. */
  deleteMessage(queueRef: string, receiptHandle: string): void {
    const queue = this.get(queueRef);
    const { id, nonce } = parseHandle(receiptHandle);
    const message = queue.messages.get(id);
    if (!message || message.handle !== nonce) return;
    queue.messages.delete(id);
    void this.journal?.append([{ t: 'del', q: queue.definition.name, id }]).catch(() => undefined);
  }

  /** Sets how long a received message stays hidden from now (0: visible at once); it must still be in flight. */
  changeMessageVisibility(queueRef: string, receiptHandle: string, seconds: number): void {
    const queue = this.get(queueRef);
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > 43_200) throw new SqsError('InvalidParameterValue', 'VisibilityTimeout must be 0 to 43200');
    const { id, nonce } = parseHandle(receiptHandle);
    const message = queue.messages.get(id);
    if (!message || message.handle !== nonce || message.visibleAt <= this.now()) throw new SqsError('MessageNotInflight', 'The message is not in flight');
    message.visibleAt = this.now() + seconds * 1000;
    void this.journal?.append([seenRecord(queue, message)]).catch(() => undefined);
    wake(queue);
  }

  /** The queue's attributes as GetQueueAttributes answers them (numbers as strings). */
  attributes(queueRef: string): Record<string, string> {
    const queue = this.get(queueRef);
    this.expire(queue);
    const now = this.now();
    let visible = 0;
    let inFlight = 0;
    let delayed = 0;
    for (const message of queue.messages.values()) {
      if (message.visibleAt <= now) visible += 1;
      else if (message.receives > 0) inFlight += 1;
      else delayed += 1;
    }
    const { definition } = queue;
    return {
      QueueArn: definition.arn,
      ApproximateNumberOfMessages: String(visible),
      ApproximateNumberOfMessagesNotVisible: String(inFlight),
      ApproximateNumberOfMessagesDelayed: String(delayed),
      VisibilityTimeout: String(definition.visibilityTimeoutSeconds),
      MessageRetentionPeriod: String(definition.retentionSeconds),
      DelaySeconds: String(definition.delaySeconds),
      ReceiveMessageWaitTimeSeconds: String(definition.receiveWaitSeconds),
      MaximumMessageSize: String(definition.maxMessageBytes),
      ...(definition.redrive ? { RedrivePolicy: JSON.stringify(definition.redrive) } : {}),
      SqsManagedSseEnabled: String(definition.sqsManagedSse),
    };
  }

  /** Resolves once every journal write made so far is on disk. */
  async flush(): Promise<void> {
    await this.journal?.settled();
  }

  /** Wakes every long poll (they answer what they have), writes what is pending and closes the journal. */
  async close(): Promise<void> {
    for (const queue of this.queues.values()) wake(queue);
    await this.flush();
    await this.journal?.close();
  }

  /** The AWS JSON protocol (`AmazonSQS.<Operation>`): the operations the SDK's client needs to send, receive and delete. */
  async handleJson(operation: string, input: unknown, signal?: AbortSignal): Promise<{ status: number; body: unknown }> {
    const body = (input && typeof input === 'object' ? input : {}) as Record<string, any>;
    try {
      switch (operation) {
        case 'GetQueueUrl': {
          const queue = this.queues.get(String(body.QueueName));
          if (!queue) throw new SqsError('QueueDoesNotExist', 'The specified queue does not exist.');
          return ok({ QueueUrl: queue.definition.url });
        }
        case 'ListQueues': {
          const prefix = typeof body.QueueNamePrefix === 'string' ? body.QueueNamePrefix : '';
          const names = [...this.queues.keys()].filter((name) => name.startsWith(prefix)).sort();
          const max = field.integer(body, 'MaxResults');
          if (max !== undefined && (max < 1 || max > 1000)) throw new SqsError('InvalidParameterValue', `Value ${max} for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.`);
          // Pages only with MaxResults, as SQS: the token is the last name given, tied to the prefix.
          let after: string | undefined;
          if (body.NextToken !== undefined && body.NextToken !== null) {
            const token = (() => {
              try {
                return JSON.parse(Buffer.from(String(body.NextToken), 'base64url').toString('utf8')) as { p?: unknown; a?: unknown };
              } catch {
                return undefined;
              }
            })();
            if (typeof token?.a !== 'string' || token.p !== prefix) throw new SqsError('InvalidParameterValue', 'Invalid NextToken value.');
            after = token.a;
          }
          const rest = after === undefined ? names : names.filter((name) => name > after);
          const page = max === undefined ? rest : rest.slice(0, max);
          const more = max !== undefined && rest.length > page.length;
          return ok({
            ...(page.length ? { QueueUrls: page.map((name) => this.queues.get(name)!.definition.url) } : {}),
            ...(more ? { NextToken: Buffer.from(JSON.stringify({ p: prefix, a: page.at(-1) })).toString('base64url') } : {}),
          });
        }
        case 'GetQueueAttributes': {
          const names = field.strings(body, 'AttributeNames');
          const all = this.attributes(String(body.QueueUrl));
          return ok({ Attributes: names.includes('All') ? all : Object.fromEntries(Object.entries(all).filter(([name]) => names.includes(name))) });
        }
        case 'SendMessage': {
          if (typeof body.MessageBody !== 'string') throw new SqsError('MissingParameter', 'MessageBody is required');
          const sent = await this.sendMessage(String(body.QueueUrl), body.MessageBody, {
            delaySeconds: field.integer(body, 'DelaySeconds'),
            messageAttributes: field.attributes(body),
          });
          return ok({ MessageId: sent.messageId, MD5OfMessageBody: sent.md5OfBody, ...(sent.md5OfMessageAttributes ? { MD5OfMessageAttributes: sent.md5OfMessageAttributes } : {}) });
        }
        case 'ReceiveMessage': {
          const wanted = [...field.strings(body, 'MessageSystemAttributeNames'), ...field.strings(body, 'AttributeNames')];
          const attributeNames = field.strings(body, 'MessageAttributeNames');
          const wait = field.integer(body, 'WaitTimeSeconds');
          if (wait !== undefined && (wait < 0 || wait > MAX_WAIT_SECONDS)) {
            throw new SqsError('InvalidParameterValue', `Value ${wait} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= ${MAX_WAIT_SECONDS}, if provided.`);
          }
          const received = await this.receiveMessage(String(body.QueueUrl), {
            maxMessages: field.integer(body, 'MaxNumberOfMessages') ?? 1,
            visibilityTimeoutSeconds: field.integer(body, 'VisibilityTimeout'),
            waitMs: wait === undefined ? undefined : wait * 1000,
            // A client gone before the answer takes nothing: no message hidden for a receive nobody reads.
            signal,
          });
          // SQS leaves Messages out when there are none.
          if (received.length === 0) return ok({});
          return ok({
            Messages: received.map((message) => {
              const attributes = Object.fromEntries(Object.entries(message.attributes).filter(([name]) => wanted.includes('All') || wanted.includes(name)));
              const messageAttributes = Object.fromEntries(
                Object.entries(message.messageAttributes).filter(([name]) => attributeNames.some((n) => n === 'All' || n === '.*' || n === name || (n.endsWith('.*') && name.startsWith(n.slice(0, -1))))),
              );
              return {
                MessageId: message.messageId,
                ReceiptHandle: message.receiptHandle,
                MD5OfBody: message.md5OfBody,
                Body: message.body,
                ...(Object.keys(attributes).length ? { Attributes: attributes } : {}),
                ...(Object.keys(messageAttributes).length ? { MessageAttributes: messageAttributes, MD5OfMessageAttributes: md5OfMessageAttributes(messageAttributes) } : {}),
              };
            }),
          });
        }
        case 'DeleteMessage':
          this.deleteMessage(String(body.QueueUrl), String(body.ReceiptHandle ?? ''));
          return ok({});
        case 'ChangeMessageVisibility':
          this.changeMessageVisibility(String(body.QueueUrl), String(body.ReceiptHandle ?? ''), field.integer(body, 'VisibilityTimeout') ?? Number.NaN);
          return ok({});
        default:
          // An operation of SQS's API that is not served here, as SQS names an action it does not allow; a name that
          // is none of its operations, as the AWS JSON protocol answers it.
          if (!SQS_OPERATIONS.includes(operation)) return { status: 400, body: { __type: 'UnknownOperationException', message: `Unknown operation ${operation}` } };
          throw new SqsError('UnsupportedOperation', `The local SQS does not support ${operation}`);
      }
    } catch (error) {
      if (!(error instanceof SqsError)) throw error;
      return { status: 400, body: { __type: `com.amazonaws.sqs#${error.code}`, message: error.message } };
    }
  }

  private find(ref: string): QueueState | undefined {
    if (ref.startsWith('arn:')) return this.byArn.get(ref);
    return this.queues.get(ref.split('/').filter(Boolean).pop() ?? ref);
  }

  private get(ref: string): QueueState {
    const queue = this.find(ref);
    if (!queue) throw new SqsError('QueueDoesNotExist', 'The specified queue does not exist.');
    return queue;
  }

  /** Takes up to `max` visible messages, oldest first, moving to the dead-letter queue those received too often. */
  private take(queue: QueueState, max: number, visibilitySeconds: number): ReceivedMessage[] {
    this.expire(queue);
    const now = this.now();
    const taken: ReceivedMessage[] = [];
    const { redrive } = queue.definition;
    const deadLetters = redrive ? this.byArn.get(redrive.deadLetterTargetArn) : undefined;
    const seen: JournalRecord[] = [];
    for (const message of queue.messages.values()) {
      if (taken.length >= max) break;
      if (message.visibleAt > now) continue;
      if (redrive && deadLetters && message.receives >= redrive.maxReceiveCount) {
        this.moveToDeadLetters(queue, message, deadLetters);
        continue;
      }
      message.receives += 1;
      message.firstReceiveAt ??= now;
      message.visibleAt = now + visibilitySeconds * 1000;
      message.handle = randomBytes(12).toString('base64url');
      seen.push(seenRecord(queue, message));
      taken.push({
        messageId: message.id,
        receiptHandle: Buffer.from(`${message.id}:${message.handle}`).toString('base64url'),
        body: message.body,
        md5OfBody: message.md5,
        attributes: {
          SenderId: 'AROALOCALSQS',
          SentTimestamp: String(message.sentAt),
          ApproximateReceiveCount: String(message.receives),
          ApproximateFirstReceiveTimestamp: String(message.firstReceiveAt),
          ...(message.deadLetterSourceArn ? { DeadLetterQueueSourceArn: message.deadLetterSourceArn } : {}),
        },
        messageAttributes: message.attributes ?? {},
        ...(message.attributes ? { md5OfMessageAttributes: md5OfMessageAttributes(message.attributes) } : {}),
      });
    }
    if (seen.length) void this.journal?.append(seen).catch(() => undefined);
    return taken;
  }

  /** As SQS does: the same message id and send time (its retention counts from there), received anew. */
  private moveToDeadLetters(queue: QueueState, message: StoredMessage, deadLetters: QueueState): void {
    queue.messages.delete(message.id);
    const moved: StoredMessage = { id: message.id, body: message.body, md5: message.md5, sentAt: message.sentAt, visibleAt: this.now(), receives: 0, deadLetterSourceArn: queue.definition.arn };
    if (message.attributes) moved.attributes = message.attributes;
    deadLetters.messages.set(moved.id, moved);
    void this.journal?.append([{ t: 'del', q: queue.definition.name, id: message.id }, { t: 'put', q: deadLetters.definition.name, m: moved }]).catch(() => undefined);
    wake(deadLetters);
  }

  /** Deletes the messages kept longer than the queue's retention. */
  private expire(queue: QueueState): void {
    const oldest = this.now() - queue.definition.retentionSeconds * 1000;
    const expired: JournalRecord[] = [];
    for (const message of queue.messages.values()) {
      // Not `break`: a message moved here from another queue keeps its own send time.
      if (message.sentAt > oldest) continue;
      queue.messages.delete(message.id);
      expired.push({ t: 'del', q: queue.definition.name, id: message.id });
    }
    if (expired.length) void this.journal?.append(expired).catch(() => undefined);
  }


  /** Resolves when the queue may have a message to give: a send, a visibility change, the next hidden one's time, the deadline. */
  private change(queue: QueueState, deadline: number, signal?: AbortSignal): Promise<void> {
    const now = this.now();
    let next = deadline;
    for (const message of queue.messages.values()) if (message.visibleAt > now && message.visibleAt < next) next = message.visibleAt;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        queue.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, next - now));
      queue.waiters.add(done);
      signal?.addEventListener('abort', done);
    });
  }

  /** Replays one journal record (idempotent: a record seen again, or after a rewrite, changes nothing more). */
  private apply(record: JournalRecord): void {
    const queue = this.queues.get(record.q);
    if (!queue) return;
    if (record.t === 'put') queue.messages.set(record.m.id, record.m);
    else if (record.t === 'del') queue.messages.delete(record.id);
    else {
      const message = queue.messages.get(record.id);
      if (message) Object.assign(message, { visibleAt: record.visibleAt, receives: record.receives, firstReceiveAt: record.firstReceiveAt, handle: record.handle });
    }
  }

  private snapshot(): JournalRecord[] {
    return [...this.queues.values()].flatMap((queue) => [...queue.messages.values()].map((m): JournalRecord => ({ t: 'put', q: queue.definition.name, m })));
  }
}

const ok = (body: unknown) => ({ status: 200, body });

const seenRecord = (queue: QueueState, { id, visibleAt, receives, firstReceiveAt, handle }: StoredMessage): JournalRecord => ({
  t: 'seen',
  q: queue.definition.name,
  id,
  visibleAt,
  receives,
  firstReceiveAt,
  handle: handle!,
});

function wake(queue: QueueState): void {
  for (const waiter of [...queue.waiters]) waiter();
}

function parseHandle(receiptHandle: string): { id: string; nonce: string } {
  const [id, nonce] = Buffer.from(receiptHandle, 'base64url').toString('utf8').split(':');
  if (!id || !nonce || !/^[0-9a-f-]{36}$/.test(id)) throw new SqsError('ReceiptHandleIsInvalid', 'The receipt handle is not valid');
  return { id, nonce };
}

function attributesSize(attributes: Record<string, MessageAttribute> | undefined): number {
  let size = 0;
  for (const [name, a] of Object.entries(attributes ?? {})) size += Buffer.byteLength(name) + Buffer.byteLength(a.DataType) + Buffer.byteLength(a.StringValue ?? '') + (a.BinaryValue ? Buffer.from(a.BinaryValue, 'base64').length : 0);
  return size;
}

function isJournalRecord(value: unknown): value is JournalRecord {
  const record = value as Partial<JournalRecord> | null;
  return !!record && typeof record.q === 'string' && (record.t === 'put' ? typeof record.m?.id === 'string' : typeof (record as { id?: unknown }).id === 'string');
}

/**
 * The journal on disk: records appended in call order, those made while a write is under way in the next single
 * write (a batch of receives is one append, not one per message), through a `JsonLinesAppender` (the file kept open
 * while writes keep coming, closed when idle, its folder made again if it went). Rewritten with the live messages
 * when it has grown far past them, in the same order of writes: a record appended after a rewrite replays on top of
 * it harmlessly.
 */
class Journal {
  private pending: string[] = [];
  private waiting: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  private writes: Promise<void> = Promise.resolve();
  private scheduled = false;
  private lines = 0;
  private live = 0;
  private readonly appender: JsonLinesAppender;

  constructor(
    private readonly file: string,
    private readonly snapshot: () => JournalRecord[],
  ) {
    this.appender = new JsonLinesAppender(file);
  }

  append(records: JournalRecord[]): Promise<void> {
    for (const record of records) this.pending.push(JSON.stringify(record));
    const written = new Promise<void>((resolve, reject) => this.waiting.push({ resolve, reject }));
    if (!this.scheduled) {
      this.scheduled = true;
      this.writes = this.writes.then(() => this.write());
    }
    return written;
  }

  /** Rewrites the file with the live messages at once (the start: nothing is appended yet). */
  rewrite(): void {
    const records = this.snapshot();
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileSync(`${this.file}.tmp`, records.map((r) => `${JSON.stringify(r)}\n`).join(''), { mode: 0o600 });
    renameSync(`${this.file}.tmp`, this.file);
    this.lines = this.live = records.length;
  }

  async settled(): Promise<void> {
    await this.writes;
  }

  private async write(): Promise<void> {
    this.scheduled = false;
    const lines = this.pending;
    const waiting = this.waiting;
    this.pending = [];
    this.waiting = [];
    try {
      await this.appender.appendLines(lines);
      this.lines += lines.length;
      for (const w of waiting) w.resolve();
    } catch (error) {
      for (const w of waiting) w.reject(error);
    }
    if (this.lines > COMPACT_AFTER_LINES + this.live && this.lines > 4 * this.live) await this.compact().catch(() => undefined);
  }

  /** Closes the file once writes are done (a later one opens it again). */
  async close(): Promise<void> {
    await this.writes;
    await this.appender.close();
  }

  private async compact(): Promise<void> {
    const records = this.snapshot();
    await writeFile(`${this.file}.tmp`, records.map((r) => `${JSON.stringify(r)}\n`).join(''), { mode: 0o600 });
    await rename(`${this.file}.tmp`, this.file);
    // The open handle is the replaced file's.
    await this.appender.close();
    this.lines = this.live = records.length;
  }
}
