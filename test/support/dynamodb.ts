import { inject } from 'vitest';
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { LOCAL_AWS, ensureTables } from '../../infra/local/dynamodb.js';
import { appTableDefinition } from '../../infra/local-app/tables.js';

/** A document client on the run's DynamoDB Local and a fresh table with the app's key schema. */
export async function freshAppTable(): Promise<{ tableName: string; client: DynamoDBClient; doc: DynamoDBDocumentClient; endpoint: string }> {
  const endpoint = inject('dynamodbEndpoint');
  const client = new DynamoDBClient({ endpoint, ...LOCAL_AWS });
  const tableName = `test-${randomUUID()}`;
  await ensureTables(client, [appTableDefinition(tableName)]);
  return { tableName, client, doc: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }), endpoint };
}

/** A fresh app table on DynamoDB Local that the code under test (shared/data) uses through TABLE_NAME and AWS_ENDPOINT_URL_DYNAMODB. */
export async function useFreshAppTable(env: Record<string, string> = {}): Promise<{ tableName: string; doc: DynamoDBDocumentClient }> {
  const table = await freshAppTable();
  Object.assign(process.env, { TABLE_NAME: table.tableName, AWS_ENDPOINT_URL_DYNAMODB: table.endpoint, ...env });
  return { tableName: table.tableName, doc: table.doc };
}

/** How many items of a `type` the table holds (tests only: a consistent scan, page by page). */
export async function countItemsOfType(doc: DynamoDBDocumentClient, tableName: string, type: string, extra?: { attribute: string; equals: unknown }): Promise<number> {
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: extra ? '#t = :t AND #a = :a' : '#t = :t',
        ExpressionAttributeNames: { '#t': 'type', ...(extra ? { '#a': extra.attribute } : {}) },
        ExpressionAttributeValues: { ':t': type, ...(extra ? { ':a': extra.equals } : {}) },
        ExclusiveStartKey: start,
        ConsistentRead: true,
      }),
    );
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return count;
}

/** Every item of the table, each as JSON with its attributes sorted, the list sorted: what a refused write must leave as it was. */
export async function tableSnapshot(doc: DynamoDBDocumentClient, tableName: string): Promise<string[]> {
  const items: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []).map((item) => JSON.stringify(item, Object.keys(item).sort())));
    start = page.LastEvaluatedKey;
  } while (start);
  return items.sort();
}
