import { createHash } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { batchGetAll, db, decodeCursor, encodeCursor, queryIndexPage, tableName, type Page } from '../data/client.js';
import { INDEX, keys } from '../keys.js';
import type { Channel, RecipientRole } from '../domain/messages/catalogue.js';
import { isConditionalCheckFailed } from '../data/transactions.js';

/** Why an address gets no more messages on a channel. */
export type OptOutReason = 'stop' | 'complaint';

export const OPT_OUT_REASON_LABELS: Record<OptOutReason, string> = {
  stop: 'Réponse STOP au SMS',
  complaint: 'Signalement comme indésirable (plainte)',
};

export interface OptOut {
  channel: Channel;
  address: string;
  reason: OptOutReason;
  at: string;
  /** The person the last message to this address was about, when known. */
  personId?: string;
  role?: RecipientRole;
}

/** E-mail addresses compare without case; numbers are already E.164. */
const normalized = (channel: Channel, address: string) => (channel === 'email' ? address.trim().toLowerCase() : address);
const addressKey = (channel: Channel, address: string) => `${channel}#${normalized(channel, address)}`;
const optOutKey = (channel: Channel, address: string) => keys.optOut(channel, normalized(channel, address));

/**
 * Records that an address wants no more messages on a channel. The first word stays: a second STOP
 * or complaint for the same address changes nothing, and says so (false).
 */
export async function recordOptOut(optOut: OptOut): Promise<boolean> {
  const key = optOutKey(optOut.channel, optOut.address);
  try {
    await db().send(
      new PutCommand({
        TableName: tableName(),
        Item: { ...key, ...keys.optOutEntry(optOut.at, optOut.channel), type: 'opt-out', ...optOut },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return true;
  } catch (error) {
    if (isConditionalCheckFailed(error)) return false;
    throw error;
  }
}

/** Lifts an SMS opt-out (the person texted START). */
export async function removeOptOut(channel: Channel, address: string): Promise<void> {
  const key = optOutKey(channel, address);
  await db().send(new DeleteCommand({ TableName: tableName(), Key: key }));
}

/** Which of these (channel, address) pairs opted out, as `channel#address` keys (e-mail addresses lower-cased). */
export async function optedOut(addresses: Array<{ channel: Channel; address: string }>): Promise<Set<string>> {
  const items = await batchGetAll(addresses.map((a) => optOutKey(a.channel, a.address)), { consistentRead: true });
  return new Set(items.map((item) => addressKey(item.channel as Channel, String(item.address))));
}

/** The opt-out of one address, if any. */
export async function getOptOut(channel: Channel, address: string): Promise<OptOut | undefined> {
  const result = await db().send(new GetCommand({ TableName: tableName(), Key: optOutKey(channel, address), ConsistentRead: true }));
  return result.Item as OptOut | undefined;
}

export const isOptedOut = (set: Set<string>, channel: Channel, address: string) => set.has(addressKey(channel, address));

/** The opt-outs, newest first, one page at a time (`cursorField`: the query parameter that carries the cursor). */
export async function listOptOuts(options: { limit?: number; cursor?: string; cursorField?: string } = {}): Promise<Page<OptOut>> {
  const position = decodeCursor(options.cursor, ['at', 'ref'], { field: options.cursorField });
  const startKey = position && (await optOutAt(position.at!, position.ref!));
  const page = await queryIndexPage(INDEX.contactLists, keys.optOutsPartition(), {
    limit: options.limit,
    newestFirst: true,
    // The opt-out the cursor named has been lifted since (START): the page goes on from its time.
    ...(startKey ? { cursor: encodeCursor(startKey) } : position ? { below: position.at } : {}),
  });
  const items = page.items.map((item) => ({
    channel: item.channel as Channel,
    address: String(item.address),
    reason: item.reason as OptOutReason,
    at: String(item.at),
    personId: item.personId as string | undefined,
    role: item.role as RecipientRole | undefined,
  }));
  return { items, cursor: page.cursor && positionOf(page.cursor) };
}

/*
 * An opt-out's key holds its address, and a cursor travels in URLs: the opt-outs' cursor names its place by the
 * index's sort key (time and channel) and a hash of the key instead, and the key is found again from those.
 */
const refOf = (pk: string) => createHash('sha256').update(pk).digest('base64url').slice(0, 22);

function positionOf(cursor: string): string | undefined {
  const key = decodeCursor(cursor, ['pk', 'sk', 'gsi1pk', 'gsi1sk'])!;
  return encodeCursor({ at: key.gsi1sk, ref: refOf(key.pk!) });
}

async function optOutAt(at: string, ref: string): Promise<Record<string, string> | undefined> {
  const result = await db().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: INDEX.contactLists,
      KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk = :at',
      ExpressionAttributeValues: { ':pk': keys.optOutsPartition(), ':at': at },
    }),
  );
  const item = (result.Items ?? []).find((i) => refOf(String(i.pk)) === ref);
  return item && { pk: String(item.pk), sk: String(item.sk), gsi1pk: String(item.gsi1pk), gsi1sk: String(item.gsi1sk) };
}

/**
 * The keywords of an SMS reply that mean "no more SMS" or "SMS again", as French operators and
 * End User Messaging SMS read them (case, accents and spaces ignored).
 * @example smsKeyword(' Stop ') // 'stop'
 * @example smsKeyword('Arrêt') // 'stop'
 */
export function smsKeyword(body: string): 'stop' | 'start' | undefined {
  const word = body
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toUpperCase()
    .replace(/[^A-Z]/g, '');
  if (['STOP', 'STOPSMS', 'ARRET', 'ARRETER', 'DESABONNER', 'DESINSCRIRE', 'UNSUBSCRIBE', 'STOPALL', 'CANCEL', 'END', 'QUIT', 'OPTOUT'].includes(word)) return 'stop';
  if (['START', 'UNSTOP', 'YES', 'OUI', 'REPRENDRE'].includes(word)) return 'start';
  return undefined;
}
