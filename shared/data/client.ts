import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvalidInputError } from '../domain/errors.js';
import { PAGE_LIMIT } from '../domain/paging.js';
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';

let documentClient: DynamoDBDocumentClient | undefined;

/**
 * How long a request to DynamoDB may wait before the SDK gives it up and tries again (decision 55). Without a limit a
 * request that is never answered (a connection lost without a reset) holds the function until its own timeout, which
 * then fails the whole invocation. On AWS the table answers in milliseconds (a 100-item transaction, a 1 MB page: well
 * under a second): 5 s is far above that and leaves an API function (10 s) time for a second attempt. An endpoint of
 * its own (`AWS_ENDPOINT_URL_DYNAMODB`) is DynamoDB Local on a developer's or the CI's machine, where a loaded machine
 * takes seconds (up to 24 s seen on 2 cores at a load average of 20): the local cloud's own limits, 60 s.
 *
 * A request given up may have been applied. The SDK retries it as it retries a 500: a transaction goes again with the
 * same ClientRequestToken (applied once, on AWS as on DynamoDB Local); a conditional write meets its own earlier write
 * and fails its condition, which the callers read again, as they do after the fault layer's `after` faults.
 */
export function dynamoDbTimeouts(env: NodeJS.ProcessEnv = process.env): { connectionTimeout: number; requestTimeout: number } {
  return env.AWS_ENDPOINT_URL_DYNAMODB ? { connectionTimeout: 5_000, requestTimeout: 60_000 } : { connectionTimeout: 3_000, requestTimeout: 5_000 };
}

/** The table's document client, created on first use (the SDK reads AWS_ENDPOINT_URL_DYNAMODB locally). */
export function db(): DynamoDBDocumentClient {
  // throwOnRequestTimeout: without it the SDK only logs a warning when `requestTimeout` passes, and goes on waiting.
  documentClient ??= DynamoDBDocumentClient.from(new DynamoDBClient({ requestHandler: { ...dynamoDbTimeouts(), throwOnRequestTimeout: true } }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return documentClient;
}

export function tableName(): string {
  const name = process.env.TABLE_NAME;
  if (!name) throw new Error('TABLE_NAME is not set');
  return name;
}

type Key = Record<string, unknown>;

/** A stored item without its keys, index entries and type: the record it holds. */
export const recordOf = <T>(item: Record<string, unknown>): T => {
  const { pk: _pk, sk: _sk, gsi1pk: _1, gsi1sk: _2, gsi2pk: _3, gsi2sk: _4, gsi3pk: _5, gsi3sk: _6, type: _t, ...rest } = item;
  return rest as T;
};

/**
 * Reads items by key, 100 to a request, until DynamoDB has returned every one it holds
 * (it may leave some unprocessed under load). Duplicate keys are read once.
 */
export async function batchGetAll(itemKeys: Key[], options: { consistentRead?: boolean; projection?: readonly string[] } = {}): Promise<Record<string, unknown>[]> {
  const table = tableName();
  const unique = [...new Map(itemKeys.map((key) => [`${String(key.pk)}\u0000${String(key.sk)}`, key])).values()];
  const items: Record<string, unknown>[] = [];
  // Only these attributes (and the key, to tell the items apart) when a projection is given.
  const projection = options.projection && {
    ProjectionExpression: ['pk', 'sk', ...options.projection].map((_, i) => `#p${i}`).join(', '),
    ExpressionAttributeNames: Object.fromEntries(['pk', 'sk', ...options.projection].map((name, i) => [`#p${i}`, name])),
  };
  const chunks: Key[][] = [];
  for (let i = 0; i < unique.length; i += 100) chunks.push(unique.slice(i, i + 100));
  // A few requests in flight (a month's close reads 10,000 keys: one after the other, they were most of its time).
  // DynamoDB answers a batch in no particular order anyway: callers match items by key.
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(BATCH_REQUESTS_IN_FLIGHT, chunks.length) }, async () => {
      while (next < chunks.length) {
        let request: Record<string, { Keys: Key[]; ConsistentRead?: boolean; ProjectionExpression?: string; ExpressionAttributeNames?: Record<string, string> }> | undefined = {
          [table]: { Keys: chunks[next++]!, ConsistentRead: options.consistentRead, ...projection },
        };
        while (request && Object.keys(request).length > 0) {
          const result = await db().send(new BatchGetCommand({ RequestItems: request }));
          items.push(...(result.Responses?.[table] ?? []));
          request = result.UnprocessedKeys as typeof request;
        }
      }
    }),
  );
  return items;
}

/** Batch requests (BatchGetItem of 100 keys) a call keeps in flight at once. */
const BATCH_REQUESTS_IN_FLIGHT = 4;

/**
 * Puts items by BatchWriteItem, 25 to a request, until DynamoDB has written every one (it may leave some unprocessed
 * under load: those go again after a short wait). No condition and no all-or-nothing: only for items a repeat puts
 * alike (deterministic keys and content) and that no other write changes.
 */
export async function batchPutAll(items: readonly Record<string, unknown>[]): Promise<void> {
  const table = tableName();
  for (let i = 0; i < items.length; i += 25) {
    let request: Record<string, Array<{ PutRequest?: { Item: Record<string, unknown> } }>> | undefined = { [table]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) };
    for (let attempt = 0; request && (request[table]?.length ?? 0) > 0; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** attempt)));
      const result = await db().send(new BatchWriteCommand({ RequestItems: request as never }));
      request = result.UnprocessedItems as typeof request;
    }
  }
}

/**
 * Every item a query finds, page after page until DynamoDB has no more (a partition read whole, an index partition
 * to its end; `Limit` is a page's size), or until `limit` items are read. `onPage` hears of each page and the number of items it held
 * (DynamoDB's `Count`: what a `Select: 'COUNT'` query counts, with no item returned).
 */
export async function queryAll(
  input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>,
  onPage?: (items: number) => void,
  limit?: number,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await db().send(
      new QueryCommand({ ...input, TableName: tableName(), ExclusiveStartKey: startKey, Limit: limit === undefined ? input.Limit : Math.min(input.Limit ?? limit, limit - items.length) }),
    );
    onPage?.(page.Count ?? page.Items?.length ?? 0);
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey && (limit === undefined || items.length < limit));
  return items;
}

/**
 * These attributes of every item of an index's partitions (the shards of a sharded index), read in parallel, each
 * to its last page: a small part of the bytes when the items are large.
 * @example await queryIndexShards(INDEX.monthInvoices, ['MONTH#2026-11#0', 'MONTH#2026-11#1'], ['invoiceId', 'status'])
 */
export async function queryIndexShards(indexName: string, partitions: readonly string[], attributes: readonly string[]): Promise<Record<string, unknown>[]> {
  const names = Object.fromEntries(attributes.map((attribute, i) => [`#a${i}`, attribute]));
  const pages = await Promise.all(
    partitions.map((pk) =>
      queryAll({
        IndexName: indexName,
        // The table's indexes are named after their key attributes: index `gsi3` is keyed by `gsi3pk`.
        KeyConditionExpression: `${indexName}pk = :pk`,
        ProjectionExpression: Object.keys(names).join(', '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ':pk': pk },
      }),
    ),
  );
  return pages.flat();
}

/**
 * Every item of partition `pk` whose sort key begins with `skPrefix` (the whole partition for ''), read page by page
 * to the end, in sort key order (`newestFirst`: backwards). `limit` stops once that many items are read.
 */
export async function queryPrefix(
  pk: string,
  skPrefix: string,
  options: { consistentRead?: boolean; newestFirst?: boolean; limit?: number } = {},
): Promise<Record<string, unknown>[]> {
  return queryAll(
    {
      KeyConditionExpression: skPrefix ? 'pk = :pk AND begins_with(sk, :sk)' : 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk, ...(skPrefix ? { ':sk': skPrefix } : {}) },
      ConsistentRead: options.consistentRead,
      ScanIndexForward: !options.newestFirst,
    },
    undefined,
    options.limit,
  );
}

/** One page of a listing, and the cursor of the next one (absent on the last page). */
export interface Page<T> {
  items: T[];
  cursor?: string;
}

/** The cursor a client sends back: DynamoDB's LastEvaluatedKey, opaque to the client. */
export function encodeCursor(lastKey: Record<string, unknown> | undefined): string | undefined {
  return lastKey ? Buffer.from(JSON.stringify(lastKey)).toString('base64url') : undefined;
}

/**
 * Reads a cursor back; a cursor that is not one of ours is refused, never passed to DynamoDB as is.
 * `expected` pins key values the cursor must hold (its partition: another list's cursor, or another organisation's,
 * is refused the same way). `field` names the query parameter in the error. Every value is a non-empty string: no key
 * attribute of ours is empty, and DynamoDB refuses an empty one in a start key (a ValidationException, a 500).
 */
export function decodeCursor(
  cursor: string | undefined,
  keyNames: readonly string[],
  options: { expected?: Record<string, string>; field?: string } = {},
): Record<string, string> | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    if (cursor.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('shape');
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    const names = Object.keys(key).sort();
    if (names.join() !== [...keyNames].sort().join() || names.some((n) => typeof key[n] !== 'string' || key[n] === '')) throw new Error('keys');
    if (Object.entries(options.expected ?? {}).some(([name, value]) => key[name] !== value)) throw new Error('partition');
    return key as Record<string, string>;
  } catch {
    throw new InvalidInputError('Le curseur de pagination est invalide : rechargez la liste depuis le début.', [
      { field: options.field ?? 'cursor', message: 'Curseur inconnu ou modifié.' },
    ]);
  }
}

/**
 * One page of a global secondary index's partition (`gsiN`), oldest first or newest first, with a cursor to the next
 * page (none after the last item). `from` keeps only sort keys from that value on, `below` only those before it;
 * `filter` narrows the items (a page may then hold fewer than `limit`, or none, and still have a cursor). `cursorField` names the query parameter that carried the cursor, for its error.
 */
export async function queryIndexPage(
  indexName: string,
  partition: string,
  options: {
    limit?: number;
    cursor?: string;
    cursorField?: string;
    newestFirst?: boolean;
    from?: string;
    below?: string;
    filter?: { expression: string; names?: Record<string, string>; values: Record<string, unknown> };
  } = {},
): Promise<Page<Record<string, unknown>>> {
  const [pkName, skName] = [`${indexName}pk`, `${indexName}sk`];
  let startKey = decodeCursor(options.cursor, ['pk', 'sk', pkName, skName], { expected: { [pkName]: partition }, field: options.cursorField });
  // A cursor before `from` (its item left the range since the last page; DynamoDB would refuse it): newest first,
  // nothing comes after it; oldest first, what comes after it is the whole range.
  if (startKey && options.from !== undefined && startKey[skName]! < options.from) {
    if (options.newestFirst) return { items: [] };
    startKey = undefined;
  }
  const limit = options.limit ?? PAGE_LIMIT.default;
  const range = options.from !== undefined ? { condition: ` AND ${skName} >= :bound`, bound: options.from } : options.below !== undefined ? { condition: ` AND ${skName} < :bound`, bound: options.below } : undefined;
  const result = await db().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: indexName,
      KeyConditionExpression: `${pkName} = :pk${range?.condition ?? ''}`,
      FilterExpression: options.filter?.expression,
      ExpressionAttributeNames: options.filter?.names,
      ExpressionAttributeValues: { ':pk': partition, ...(range ? { ':bound': range.bound } : {}), ...options.filter?.values },
      ScanIndexForward: !options.newestFirst,
      ExclusiveStartKey: startKey,
      // Unfiltered, one item more tells whether another page exists: a list of exactly `limit` items ends without a
      // cursor, instead of offering a next page that is empty.
      Limit: options.filter ? limit : limit + 1,
    }),
  );
  const items = result.Items ?? [];
  if (options.filter) return { items, cursor: encodeCursor(result.LastEvaluatedKey) };
  if (items.length <= limit) return { items };
  const last = items[limit - 1]!;
  return { items: items.slice(0, limit), cursor: encodeCursor({ pk: last.pk, sk: last.sk, [pkName]: last[pkName], [skName]: last[skName] }) };
}

const SHARD_CURSOR = /^(\d{2})(?:\.([A-Za-z0-9_-]+))?$/;

/**
 * One page of a sharded index (`shards` in their order, each read in its sort key order, one after the other): the
 * cursor says in which shard the page stopped and where (`07.<the shard's cursor>`, or `08` to begin that shard).
 * A cursor that is not one of these is a 400 naming `cursorField`.
 */
export async function shardedIndexPage(
  indexName: string,
  shards: readonly string[],
  partitionOf: (shard: string) => string,
  options: { cursor?: string; limit?: number; cursorField?: string } = {},
): Promise<Page<Record<string, unknown>>> {
  const limit = options.limit ?? PAGE_LIMIT.default;
  const parsed = options.cursor === undefined ? undefined : SHARD_CURSOR.exec(options.cursor);
  if (options.cursor !== undefined && (!parsed || !shards.includes(parsed[1]!))) {
    throw new InvalidInputError('Le curseur de pagination est invalide : rechargez la liste depuis le début.', [{ field: options.cursorField ?? 'cursor', message: 'Curseur inconnu ou modifié.' }]);
  }
  let shardIndex = parsed ? shards.indexOf(parsed[1]!) : 0;
  let inner = parsed?.[2];
  const items: Record<string, unknown>[] = [];
  while (shardIndex < shards.length && items.length < limit) {
    const shard = shards[shardIndex]!;
    const page = await queryIndexPage(indexName, partitionOf(shard), { limit: limit - items.length, cursor: inner, cursorField: options.cursorField });
    items.push(...page.items);
    if (page.cursor) return { items, cursor: `${shard}.${page.cursor}` };
    shardIndex += 1;
    inner = undefined;
  }
  return shardIndex < shards.length ? { items, cursor: shards[shardIndex] } : { items };
}
