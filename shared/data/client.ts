import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';

let documentClient: DynamoDBDocumentClient | undefined;

/** The table's document client, created on first use (the SDK reads AWS_ENDPOINT_URL_DYNAMODB locally). */
export function db(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  return documentClient;
}

export function tableName(): string {
  const name = process.env.TABLE_NAME;
  if (!name) throw new Error('TABLE_NAME is not set');
  return name;
}

type Key = Record<string, unknown>;

/**
 * Reads items by key, 100 to a request, until DynamoDB has returned every one it holds
 * (it may leave some unprocessed under load). Duplicate keys are read once.
 */
export async function batchGetAll(itemKeys: Key[], options: { consistentRead?: boolean } = {}): Promise<Record<string, unknown>[]> {
  const table = tableName();
  const unique = [...new Map(itemKeys.map((key) => [`${String(key.pk)}\u0000${String(key.sk)}`, key])).values()];
  const items: Record<string, unknown>[] = [];
  for (let i = 0; i < unique.length; i += 100) {
    let request: Record<string, { Keys: Key[]; ConsistentRead?: boolean }> | undefined = {
      [table]: { Keys: unique.slice(i, i + 100), ConsistentRead: options.consistentRead },
    };
    while (request && Object.keys(request).length > 0) {
      const result = await db().send(new BatchGetCommand({ RequestItems: request }));
      items.push(...(result.Responses?.[table] ?? []));
      request = result.UnprocessedKeys as typeof request;
    }
  }
  return items;
}

/** The items of one partition of a global secondary index (`gsiN` with keys `gsiNpk` / `gsiNsk`), in sort-key order or newest first. */
export async function queryIndexPartition(indexName: string, partition: string, options: { limit?: number; newestFirst?: boolean } = {}): Promise<Record<string, unknown>[]> {
  const result = await db().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: indexName,
      KeyConditionExpression: `${indexName}pk = :pk`,
      ExpressionAttributeValues: { ':pk': partition },
      ScanIndexForward: !options.newestFirst,
      Limit: options.limit ?? 200,
    }),
  );
  return result.Items ?? [];
}
