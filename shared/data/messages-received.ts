import { queryPrefix, type Page } from './client.js';
import { keys } from '../keys.js';
import type { OutboxMessage } from './outbox.js';
import type { RecipientRole } from '../domain/messages/catalogue.js';
import { InvalidInputError } from '../domain/errors.js';

/** Statuses of a message that reached its recipient (a complaint too: it arrived). */
const RECEIVED = new Set(['sent', 'delivered', 'complained']);

export type ReceivedMessage = Pick<OutboxMessage, 'notificationId' | 'kind' | 'channel' | 'subject' | 'body' | 'personalLink' | 'status' | 'createdAt' | 'sentAt'>;

/** Where a page of messages ends: the time and id of its last message (base64url JSON, opaque to the client). */
const encode = (message: ReceivedMessage) => Buffer.from(JSON.stringify({ at: receivedAt(message), id: message.notificationId })).toString('base64url');

function decode(cursor: string | undefined): { at: string; id: string } | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    if (cursor.length > 512 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('shape');
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (Object.keys(value).sort().join() !== 'at,id' || typeof value.at !== 'string' || typeof value.id !== 'string') throw new Error('keys');
    return { at: value.at, id: value.id };
  } catch {
    throw new InvalidInputError('Le curseur de pagination est invalide : rechargez la liste depuis le début.', [{ field: 'cursor', message: 'Curseur inconnu ou modifié.' }]);
  }
}

/** What a recipient's own list shows of a message: neither its address nor the outbox's bookkeeping. */
function received(message: OutboxMessage): ReceivedMessage {
  const { notificationId, kind, channel, subject, body, personalLink, status, createdAt, sentAt } = message;
  return { notificationId, kind, channel, subject, body, personalLink, status, createdAt, sentAt };
}

const receivedAt = (message: ReceivedMessage) => message.sentAt ?? message.createdAt;
const newestFirst = (a: ReceivedMessage, b: ReceivedMessage) => receivedAt(b).localeCompare(receivedAt(a)) || b.notificationId.localeCompare(a.notificationId);

/**
 * The messages a person's `role` recipient received (the young person's own, or their guardian's), newest first,
 * one page at a time. A person gets a few dozen messages over a path: the partition's messages are read whole
 * (their ids follow causes, not time) and sorted here.
 */
export async function receivedMessages(personId: string, role: RecipientRole, options: { limit: number; cursor?: string }): Promise<Page<ReceivedMessage>> {
  const after = decode(options.cursor);
  const prefix = keys.notificationsPrefix(personId);
  const messages = (await queryPrefix(prefix.pk, prefix.skPrefix)) as unknown as OutboxMessage[];
  const sorted = messages.filter((m) => m.role === role && RECEIVED.has(m.status)).map(received).sort(newestFirst);
  const from = after ? sorted.findIndex((m) => newestFirst(m, { sentAt: after.at, createdAt: after.at, notificationId: after.id } as ReceivedMessage) > 0) : 0;
  const rest = from < 0 ? [] : sorted.slice(from);
  const items = rest.slice(0, options.limit);
  return { items, ...(rest.length > options.limit ? { cursor: encode(items.at(-1)!) } : {}) };
}
