import { describe, expect, it } from 'vitest';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { db, dynamoDbTimeouts } from '../../shared/data/client.js';
import { useFreshAppTable } from '../support/dynamodb.js';

// Decision 55: a request DynamoDB never answers is given up and retried by the SDK, rather than holding the function
// until its own timeout. That the SDK then throws a TimeoutError (with `throwOnRequestTimeout`), which it retries, is
// checked against a server that never answers in test/local/stepfunctions-store-faults.test.ts.
describe('the table client', () => {
  it('gives a request seconds on AWS, a minute on DynamoDB Local (an endpoint of its own, a loaded machine)', () => {
    expect(dynamoDbTimeouts({})).toEqual({ connectionTimeout: 3000, requestTimeout: 5000 });
    expect(dynamoDbTimeouts({ AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000' })).toEqual({ connectionTimeout: 5000, requestTimeout: 60_000 });
  });

  it('sends with them, a request past its timeout an error rather than the SDK\'s warning', async () => {
    const { tableName } = await useFreshAppTable();
    await db().send(new GetCommand({ TableName: tableName, Key: { pk: 'none', sk: 'none' } }));
    const handler = db().config.requestHandler as unknown as { httpHandlerConfigs(): Record<string, unknown> };
    expect(handler.httpHandlerConfigs()).toMatchObject({ connectionTimeout: 5000, requestTimeout: 60_000, throwOnRequestTimeout: true });
  });
});
