/**
 * DynamoDB Local's own cost per request and per item (`BENCH_ONLY=dynamodb-cost npm run bench`, or
 * `npx tsx bench/dynamodb-cost.ts`): on an in-memory DynamoDB Local (as the invoicing run's, section 13) with the app
 * table, each kind of request the run makes is sent a few thousand times, 4 in flight, with items of about 1.5 KB,
 * and the CPU of the JVM (from /proc) and of this process's SDK client is divided by the requests and by the items.
 * It says what no client can save: the JVM's CPU per item written, which bounds the run's time from below.
 */
import { pathToFileURL } from 'node:url';
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTables, startDynamoDbLocal } from '../infra/local/dynamodb.js';
import { appTableDefinition } from '../infra/local-app/tables.js';
import { cpuSeconds, jvmThreadCpu } from './threads.js';

const TABLE = 'parcours-bench-dynamodb-cost';

/** User + system CPU of a process in ms, from /proc (clock ticks of 10 ms). */
const processCpuMs = (pid: number) => cpuSeconds(pid) * 1000;
const ownCpuMs = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

export async function dynamoDbCostFigures(options: { items?: number } = {}): Promise<string[]> {
  const total = options.items ?? 4000;
  const lines = [`DynamoDB Local's cost per request and per item: in memory, app table, items of about 1.5 KB, 4 requests in flight, ${total.toLocaleString('en')} items per kind, after a warm-up (40,000 items in the table, one round of every kind)`];
  const ddb = await startDynamoDbLocal({});
  try {
    await ensureTables(ddb.client, [appTableDefinition(TABLE)]);
    const doc = DynamoDBDocumentClient.from(ddb.client);
    const pad = 'x'.repeat(1500);
    // Each kind runs twice, a warm-up round and the measured one: the keys carry the round.
    let round = 0;
    const item = (prefix: string, i: number) => ({ pk: `${prefix}${round}#${i}`, sk: 'ITEM', gsi1pk: `G#${i % 10}`, gsi1sk: String(i), type: 'bench', payload: pad, n: i });
    const key = (prefix: string, i: number) => ({ pk: `${prefix}${round}#${i}`, sk: 'ITEM' });
    const kinds: Array<{ name: string; perRequest: number; send: (first: number, size: number) => Promise<unknown> }> = [
      { name: 'BatchWriteItem, 25 puts', perRequest: 25, send: (first, size) => doc.send(new BatchWriteCommand({ RequestItems: { [TABLE]: Array.from({ length: size }, (_, j) => ({ PutRequest: { Item: item('B', first + j) } })) } })) },
      {
        name: 'TransactWriteItems, 100 conditional puts',
        perRequest: 100,
        send: (first, size) => doc.send(new TransactWriteCommand({ TransactItems: Array.from({ length: size }, (_, j) => ({ Put: { TableName: TABLE, Item: item('T', first + j), ConditionExpression: 'attribute_not_exists(pk)' } })) })),
      },
      {
        name: 'TransactWriteItems, 100 conditional updates',
        perRequest: 100,
        send: (first, size) =>
          doc.send(
            new TransactWriteCommand({
              TransactItems: Array.from({ length: size }, (_, j) => ({
                Update: { TableName: TABLE, Key: key('T', first + j), UpdateExpression: 'SET #s = :s', ConditionExpression: 'attribute_exists(pk)', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': 'sent' } },
              })),
            }),
          ),
      },
      {
        name: 'TransactWriteItems, 10 conditional puts',
        perRequest: 10,
        send: (first, size) => doc.send(new TransactWriteCommand({ TransactItems: Array.from({ length: size }, (_, j) => ({ Put: { TableName: TABLE, Item: item('S', first + j), ConditionExpression: 'attribute_not_exists(pk)' } })) })),
      },
      { name: 'PutItem', perRequest: 1, send: (first) => doc.send(new PutCommand({ TableName: TABLE, Item: item('P', first) })) },
      {
        name: 'UpdateItem, conditional',
        perRequest: 1,
        send: (first) => doc.send(new UpdateCommand({ TableName: TABLE, Key: key('B', first), UpdateExpression: 'SET #s = :s', ConditionExpression: 'attribute_exists(pk)', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': 'sent' } })),
      },
      { name: 'BatchGetItem, 100 consistent', perRequest: 100, send: (first, size) => doc.send(new BatchGetCommand({ RequestItems: { [TABLE]: { Keys: Array.from({ length: size }, (_, j) => key('B', first + j)), ConsistentRead: true } } })) },
      { name: 'Query, 1 item, consistent', perRequest: 1, send: (first) => doc.send(new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `B${round}#${first}` }, ConsistentRead: true })) },
    ];
    // Warm-up: the table holds 40,000 items first (the run's holds 80,000 seeded), and every kind runs a whole round
    // before the measured one. A JVM still compiling costs two to three times as much per item (the figures of the
    // first version of this section, 2 December, were mostly that): the invoicing run keeps its DynamoDB Local busy
    // for minutes, so the warm figures are the ones that bound it.
    round = 9;
    for (let k = 0; k < 1600; k += 8) {
      await Promise.all(Array.from({ length: 8 }, (_, w) => doc.send(new BatchWriteCommand({ RequestItems: { [TABLE]: Array.from({ length: 25 }, (_, j) => ({ PutRequest: { Item: item('W', (k + w) * 25 + j) } })) } }))));
    }
    for (round = 0; round < 2; round++) {
      for (const kind of kinds) {
        // Single-item kinds send a quarter as many items: their cost per item is the cost per request.
        const items = kind.perRequest === 1 ? total / 4 : total;
        const requests = Math.ceil(items / kind.perRequest);
        const jvmBefore = processCpuMs(ddb.pid);
        const sqliteBefore = jvmThreadCpu(ddb.pid).sqlite;
        const ownBefore = ownCpuMs();
        const start = performance.now();
        let next = 0;
        await Promise.all(
          Array.from({ length: 4 }, async () => {
            while (next < requests) {
              const k = next++;
              await kind.send(k * kind.perRequest, kind.perRequest);
            }
          }),
        );
        const wall = performance.now() - start;
        const jvm = processCpuMs(ddb.pid) - jvmBefore;
        const sqlite = (jvmThreadCpu(ddb.pid).sqlite - sqliteBefore) * 1000;
        const own = ownCpuMs() - ownBefore;
        if (round === 0) continue;
        lines.push(
          `  ${kind.name.padEnd(42)} ${(items / (wall / 1000)).toFixed(0).padStart(6)} items/s; JVM ${(jvm / items).toFixed(2)} ms per item (${(jvm / requests).toFixed(1)} per request; its SQLite queue ${(sqlite / items).toFixed(2)} per item), client ${(own / items).toFixed(2)} ms per item (${(own / requests).toFixed(1)} per request)`,
        );
      }
    }
  } finally {
    await ddb.stop();
  }
  return lines;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  for (const line of await dynamoDbCostFigures()) console.log(line);
  process.exit(0);
}
