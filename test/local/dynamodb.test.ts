import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, openSync, readSync, closeSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DYNAMODB_LOCAL_FILE, startDynamoDbLocal } from '../../infra/local/dynamodb.js';

const headerVersions = (dataDir: string) => {
  const fd = openSync(join(dataDir, DYNAMODB_LOCAL_FILE), 'r');
  const header = Buffer.alloc(20);
  readSync(fd, header, 0, 20, 0);
  closeSync(fd);
  return [header[18], header[19]];
};

async function writeThenKill(dataDir: string, value: string): Promise<void> {
  const ddb = await startDynamoDbLocal({ dataDir });
  await ddb.client
    .send(
      new CreateTableCommand({
        TableName: 'kept',
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      }),
    )
    .catch((error: Error) => {
      if (error.name !== 'ResourceInUseException') throw error;
    });
  await ddb.client.send(new PutItemCommand({ TableName: 'kept', Item: { pk: { S: value } } }));
  // As when the local cloud is killed: no clean shutdown, no checkpoint of the write-ahead log.
  process.kill(ddb.pid, 'SIGKILL');
  ddb.client.destroy();
  await new Promise((resolve) => setTimeout(resolve, 300));
}

async function readBack(dataDir: string, value: string): Promise<boolean> {
  const ddb = await startDynamoDbLocal({ dataDir });
  try {
    const { Item } = await ddb.client.send(new GetItemCommand({ TableName: 'kept', Key: { pk: { S: value } }, ConsistentRead: true }));
    return Item?.pk?.S === value;
  } finally {
    await ddb.stop();
  }
}

// Concurrent: each test starts its own JVMs on its own folder, and JVM start-up is most of the time.
describe.concurrent('DynamoDB Local on disk', () => {
  it('keeps its SQLite file in write-ahead-log mode, and a write survives a SIGKILL', { timeout: 90_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ddb-wal-'));
    await writeThenKill(dataDir, 'first');
    expect(headerVersions(dataDir)).toEqual([2, 2]);
    expect(existsSync(join(dataDir, `${DYNAMODB_LOCAL_FILE}-wal`))).toBe(true);
    expect(await readBack(dataDir, 'first')).toBe(true);
  });

  it('switches a file written in rollback-journal mode (an older data folder) and keeps its data', { timeout: 90_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ddb-legacy-'));
    const ddb = await startDynamoDbLocal({ dataDir });
    await ddb.stop();
    // What DynamoDB Local leaves on its own: versions 1/1 (rollback journal).
    const fd = openSync(join(dataDir, DYNAMODB_LOCAL_FILE), 'r+');
    writeSync(fd, Buffer.from([1, 1]), 0, 2, 18);
    closeSync(fd);
    await writeThenKill(dataDir, 'second');
    expect(headerVersions(dataDir)).toEqual([2, 2]);
    expect(await readBack(dataDir, 'second')).toBe(true);
  });
});
