/**
 * A fresh app table on a DynamoDB Local of its own, on disk (as the local cloud keeps it), for the sections that
 * measure the data layer alone (bench/activities.ts, bench/numbering.ts); the process env points shared/data at it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ensureTables, startDynamoDbLocal } from '../infra/local/dynamodb.js';
import { appTableDefinition } from '../infra/local-app/tables.js';

/** Runs `measure` against a fresh table `table`, then stops DynamoDB Local and removes its data. */
export async function withBenchTable<T>(table: string, measure: (doc: DynamoDBDocumentClient) => Promise<T>): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), `${table}-`));
  const ddb = await startDynamoDbLocal({ dataDir });
  try {
    await ensureTables(ddb.client, [appTableDefinition(table)]);
    // What a function of the local cloud is given.
    Object.assign(process.env, { TABLE_NAME: table, AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint, AWS_REGION: 'eu-west-3', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' });
    return await measure(DynamoDBDocumentClient.from(ddb.client));
  } finally {
    await ddb.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Writes items with BatchWrite, 25 a request and 8 requests in flight, until DynamoDB has taken every one. */
export async function batchWriteAll(doc: DynamoDBDocumentClient, table: string, items: Record<string, unknown>[]): Promise<void> {
  const batches: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < batches.length) {
        let requests: Record<string, unknown>[] | undefined = batches[next++]!.map((Item) => ({ PutRequest: { Item } }));
        while (requests && requests.length > 0) {
          const result = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: requests as never } }));
          requests = result.UnprocessedItems?.[table] as typeof requests;
        }
      }
    }),
  );
}
