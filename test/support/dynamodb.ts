import { inject } from 'vitest';
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
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
