import { createHash, randomUUID } from 'node:crypto';
import { TransactionCanceledException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { ensureTables, type TableDefinition } from '../dynamodb.js';
import { CommitConflictError, FencedError } from './errors.js';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** What a resumed run replays at its start state instead of running it. */
export type Outcome =
  | { kind: 'success'; output: string }
  | { kind: 'failure'; error: string; cause: string }
  | { kind: 'timeout' }
  | { kind: 'wait' };

/** Where an execution continues after a restart or a callback. */
export type Cursor =
  /** Entered a top-level state: re-run it from its raw input (token: the callback token it handed out, if any; fresh: its entry is not recorded yet). */
  | { mode: 'enter'; stateName: string; input: string; token?: string; fresh?: boolean }
  /** Parked at a callback task: nothing runs until SendTask* or the deadline. */
  | { mode: 'parked'; stateName: string; input: string; token: string }
  /** Parked at a Wait state until its timer item fires. */
  | { mode: 'waiting'; stateName: string; input: string; wakeAt: number }
  /** Parked at a top-level Distributed Map while its map run goes on (its finished children are MapResultsItems). */
  | { mode: 'mapping'; stateName: string; input: string; mapRun: MapRunCursor }
  /** The outcome of the state is recorded: run it again replaying that outcome. */
  | { mode: 'resume'; stateName: string; input: string; outcome: Outcome };

/** A map run in progress: enough to run it again after a restart without the children already finished. */
export interface MapRunCursor {
  id: string;
  arn: string;
  startDate: number;
  /** The map's settings as evaluated when it started (MapParameters without the input), JSON. */
  parameters: string;
  /** Of the items (itemsDigest): a resumed run checks that the item reader still gives the same items. */
  digest: string;
  /** Items and children (batches) of the map run, and the settings DescribeMapRun shows; absent from the cursors of engines before DescribeMapRun. */
  items?: number;
  children?: number;
  limits?: MapRunLimits;
}

/** The settings of a map run that DescribeMapRun shows, as evaluated when it started. */
export interface MapRunLimits {
  /** 0: no limit but the engine's (as AWS says it). */
  maxConcurrency: number;
  toleratedFailureCount?: number;
  toleratedFailurePercentage?: number;
}

/** A map run's items, or its children, by status: AWS's MapRunItemCounts and MapRunExecutionCounts. */
export interface MapRunCounts {
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  timedOut: number;
  aborted: number;
  total: number;
  resultsWritten: number;
}

export type MapRunStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';

/**
 * A finished map run, in its execution's partition: written in the commit that ends it (MapRunSucceeded or MapRunFailed,
 * or the execution's end while the map ran), so that DescribeMapRun says the same after any restart.
 */
export interface MapRunRecord {
  pk: string;
  sk: string;
  kind: 'mapRun';
  mapRunArn: string;
  executionArn: string;
  status: Exclude<MapRunStatus, 'RUNNING'>;
  startDate: number;
  stopDate: number;
  limits: MapRunLimits;
  itemCounts: MapRunCounts;
  executionCounts: MapRunCounts;
}

/** Where DescribeMapRun finds a map run's execution from its ARN alone (AWS's map run ARNs do not name the execution). */
export interface MapRunRefItem {
  pk: string;
  sk: 'MAPRUN';
  kind: 'mapRunRef';
  mapRunArn: string;
  executionArn: string;
}

/** The result of one finished child run (a batch, or one item without a batcher). */
export interface ChildResult {
  batch: number;
  start: number;
  stop: number;
  /** Items of the child (absent from the records of engines before DescribeMapRun). */
  items?: number;
  /** JSON output of a child that succeeded. */
  output?: string;
  error?: string;
  cause?: string;
}

export interface ExecutionItem {
  pk: string;
  sk: 'EXEC';
  kind: 'execution';
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  /** Fence: the run (or API operation) that owns the execution; every write checks it. */
  runId: string;
  version: number;
  eventCount: number;
  cursor?: Cursor;
  /** Where a redrive restarts: the top-level state the execution was in when it closed unsuccessfully. */
  redriveFrom?: { stateName: string; input: string };
  redriveCount?: number;
  redriveDate?: number;
  /** Client tokens of the last successful redrives (newest last), for RedriveExecution idempotency. */
  redriveTokens?: Array<{ token: string; date: number }>;
  runningPk?: string;
  runningSk?: string;
  machinePk: string;
  machineSk: string;
}

export interface TokenItem {
  pk: string;
  sk: 'TOKEN';
  kind: 'token';
  token: string;
  executionArn: string;
  stateName: string;
  input: string;
  status: 'PARKED' | 'DONE';
  createdAt: number;
  deadline?: number;
  heartbeatSeconds?: number;
  heartbeatDeadline?: number;
  outcome?: Outcome;
  duePk?: string;
  dueSk?: string;
}

/** What the deadline loop reads of a token from the due index (its input may be a blob reference there). */
export type DueToken = Pick<TokenItem, 'kind' | 'token' | 'executionArn'>;

/** What ListExecutions reads of an execution from the machine index (its inputs and outputs may be blob references there). */
export type ExecutionHeader = Omit<ExecutionItem, 'input' | 'output' | 'cursor' | 'redriveFrom'>;

export interface TimerItem {
  pk: string;
  sk: string;
  kind: 'wait' | 'executionTimeout';
  executionArn: string;
  due: number;
  duePk: string;
  dueSk: string;
}

/** What the engine keeps of a registered state machine across restarts (AWS dates do not move on a restart). */
export interface MachineItem {
  pk: string;
  sk: 'MACHINE';
  kind: 'machine';
  stateMachineArn: string;
  definition: string;
  creationDate: number;
  updateDate: number;
}

export interface StoredEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
  details?: Record<string, unknown>;
}

export interface NewEvent {
  type: string;
  details?: Record<string, unknown>;
}

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

const INDEXES = { running: 'running', due: 'due', byMachine: 'byMachine' } as const;
const DUE = 'DUE';
const RUNNING = 'RUNNING';

export const executionKey = (executionArn: string) => ({ pk: `EXEC#${executionArn}`, sk: 'EXEC' as const });
export const tokenKey = (token: string) => ({ pk: `TOKEN#${token}`, sk: 'TOKEN' as const });
export const machineKey = (stateMachineArn: string) => ({ pk: `MACHINE#${stateMachineArn}`, sk: 'MACHINE' as const });
export const timerKey = (executionArn: string, kind: TimerItem['kind']) => ({ pk: `EXEC#${executionArn}`, sk: `TIMER#${kind}` });
/** Items holding finished children of a map run, in the execution's partition (one item per write). */
export const mapResultsSk = (mapRunId: string) => `MAPRUN#${mapRunId}#`;
/** A finished map run's record (MapRunRecord), in the execution's partition. */
export const mapRunRecordKey = (executionArn: string, mapRunId: string) => ({ pk: `EXEC#${executionArn}`, sk: `MAPRUNEND#${mapRunId}` });
/** The reference from a map run's ARN to its execution (MapRunRefItem). */
export const mapRunRefKey = (mapRunArn: string) => ({ pk: `MAPRUN#${mapRunArn}`, sk: 'MAPRUN' as const });
export const eventSk = (id: number) => `EVT#${String(id).padStart(10, '0')}`;
/** Above any event id (event sort keys have 10 digits). */
const LAST_EVENT_ID = 9_999_999_999;
/** Room left under DynamoDB's 400 KB item limit for the keys and attribute names of an events item. */
const EVENTS_ITEM_BYTES = 350_000;
/**
 * Inputs and outputs (up to 256 KiB of UTF-8 each on AWS) of more bytes than this are kept in blob items: an execution
 * item then holds at most five of 32 KiB (a token item two), well under DynamoDB's 400 KB item limit. The app's are a
 * few KB: they stay on their item, with no other write or read.
 */
const BLOB_BYTES = 32 * 1024;
/** A blob item: one input or output, in the execution's partition, keyed by the SHA-256 of its text (never deleted). */
const blobSk = (hash: string) => `BLOB#${hash}`;
/** What a field kept in a blob item holds on its item instead of its text. */
interface BlobRef {
  blob: string;
}
type PayloadPath = readonly string[];
/** The fields of an execution item, and of a token item, that hold inputs and outputs. */
const EXECUTION_PAYLOADS: PayloadPath[] = [['input'], ['output'], ['cursor', 'input'], ['cursor', 'outcome', 'output'], ['redriveFrom', 'input']];
const TOKEN_PAYLOADS: PayloadPath[] = [['input'], ['outcome', 'output']];
/** Sort keys of due times: fixed width so string order is time order. */
export const dueSk = (epochMs: number) => String(Math.max(0, Math.floor(epochMs))).padStart(16, '0');
export const dueAttributes = (epochMs: number) => ({ duePk: DUE, dueSk: dueSk(epochMs) });
export const runningAttributes = (executionArn: string) => ({ runningPk: RUNNING, runningSk: executionArn });
export const machineAttributes = (stateMachineArn: string, startDate: number, name: string) => ({
  machinePk: stateMachineArn,
  machineSk: `${dueSk(startDate)}#${name}`,
});

/** The engine's own table: executions, their events, callback tokens and timers. */
export function engineTableDefinition(tableName: string): TableDefinition {
  const index = (name: string, pk: string, sk: string) => ({
    IndexName: name,
    KeySchema: [
      { AttributeName: pk, KeyType: 'HASH' as const },
      { AttributeName: sk, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'ALL' as const },
  });
  return {
    input: {
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: ['pk', 'sk', 'runningPk', 'runningSk', 'duePk', 'dueSk', 'machinePk', 'machineSk'].map((AttributeName) => ({
        AttributeName,
        AttributeType: 'S' as const,
      })),
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        index(INDEXES.running, 'runningPk', 'runningSk'),
        index(INDEXES.due, 'duePk', 'dueSk'),
        index(INDEXES.byMachine, 'machinePk', 'machineSk'),
      ],
    },
  };
}

export interface CommitSpec {
  /** The fence the execution must still carry; omitted for API operations that take it over. */
  runId?: string;
  /** Allow writing to an execution that is no longer RUNNING. */
  allowClosed?: boolean;
  events?: NewEvent[];
  set?: Partial<ExecutionItem>;
  remove?: Array<keyof ExecutionItem>;
  extra?: TransactItem[];
  /** Time of the events (default: now), so that an event and the date a record keeps of it are the same. */
  timestamp?: number;
}

/** DynamoDB access of the engine; each commit is one transaction guarded by the execution's version. */
export class EngineStore {
  private readonly cache = new Map<string, ExecutionItem>();

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly now: () => number,
  ) {}

  async ensureTable(): Promise<void> {
    // The document client shares the low-level client's stack, so it sends control-plane commands too.
    await ensureTables(this.doc as unknown as DynamoDBClient, [engineTableDefinition(this.tableName)]);
  }

  async getExecution(executionArn: string): Promise<ExecutionItem | undefined> {
    const result = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: executionKey(executionArn), ConsistentRead: true }));
    if (!result.Item) return undefined;
    const item = await this.withBlobs(executionArn, result.Item as ExecutionItem, EXECUTION_PAYLOADS);
    this.remember(item);
    return item;
  }

  /**
   * Only running executions are cached: they are the ones written again. A read answered after a commit of this process
   * (one made outside the execution's lock, as DescribeExecution's, whose answer came back late) holds an older version:
   * it must not take the commit's place, or the next commit would be checked against the fence that commit replaced.
   */
  private remember(item: ExecutionItem): void {
    const cached = this.cache.get(item.executionArn);
    if (cached && cached.version > item.version) return;
    if (item.status === 'RUNNING') this.cache.set(item.executionArn, item);
    else this.cache.delete(item.executionArn);
  }

  async getToken(token: string): Promise<TokenItem | undefined> {
    const result = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: tokenKey(token), ConsistentRead: true }));
    const item = result.Item as TokenItem | undefined;
    return item && (await this.withBlobs(item.executionArn, item, TOKEN_PAYLOADS));
  }

  /** Creates the execution with its first event; false if an execution with that ARN exists. */
  async createExecution(item: ExecutionItem, event: NewEvent, extra: TransactItem[]): Promise<boolean> {
    try {
      const blobs: TransactItem[] = [];
      const stored = this.withoutBlobs(item.executionArn, clean(item), EXECUTION_PAYLOADS, blobs);
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: onceEach([
            { Put: { TableName: this.tableName, Item: stored, ConditionExpression: 'attribute_not_exists(pk)' } },
            ...this.eventsItems(item.executionArn, 1, [event]).map((events) => ({ Put: { TableName: this.tableName, Item: clean(events) } })),
            ...extra,
            ...blobs,
          ]),
        }),
      );
      this.remember(item);
      return true;
    } catch (error) {
      if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return false;
      throw error;
    }
  }

  /**
   * Appends events and updates the execution atomically with `extra` items. Throws FencedError when the
   * execution's runId or status no longer allows the write, CommitConflictError when an `extra` condition fails.
   */
  async commit(executionArn: string, spec: CommitSpec): Promise<ExecutionItem> {
    for (let attempt = 0; ; attempt++) {
      // Writes of this process keep the cache exact; another writer shows up as a failed version check.
      // Only the table fences a write: a cached item that would refuse it is read again first.
      const cached = attempt === 0 ? this.cache.get(executionArn) : undefined;
      const current = cached && (spec.runId === undefined || cached.runId === spec.runId) ? cached : await this.getExecution(executionArn);
      if (!current) throw new FencedError('Execution does not exist');
      if (spec.runId !== undefined && current.runId !== spec.runId) throw new FencedError();
      if (!spec.allowClosed && current.status !== 'RUNNING') throw new FencedError('Execution is closed');
      const events = spec.events ?? [];
      const names: Record<string, string> = { '#version': 'version', '#eventCount': 'eventCount' };
      const values: Record<string, unknown> = {
        ':version': current.version,
        ':nextVersion': current.version + 1,
        ':eventCount': current.eventCount + events.length,
      };
      const sets = ['#version = :nextVersion', '#eventCount = :eventCount'];
      const blobs: TransactItem[] = [];
      Object.entries(this.withoutBlobs(executionArn, clean(spec.set ?? {}), EXECUTION_PAYLOADS, blobs)).forEach(([key, value], i) => {
        names[`#s${i}`] = key;
        values[`:s${i}`] = value;
        sets.push(`#s${i} = :s${i}`);
      });
      const removes = (spec.remove ?? []).map((key, i) => {
        names[`#r${i}`] = key;
        return `#r${i}`;
      });
      const items: TransactItem[] = [
        {
          Update: {
            TableName: this.tableName,
            Key: executionKey(executionArn),
            UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
            ConditionExpression: '#version = :version',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          },
        },
        ...this.eventsItems(executionArn, current.eventCount + 1, events, spec.timestamp).map((item) => ({ Put: { TableName: this.tableName, Item: clean(item) } })),
        ...(spec.extra ?? []),
        ...blobs,
      ];
      try {
        await this.doc.send(new TransactWriteCommand({ TransactItems: onceEach(items) }));
        const updated: ExecutionItem = { ...current, ...spec.set, version: current.version + 1, eventCount: current.eventCount + events.length };
        for (const key of spec.remove ?? []) delete updated[key];
        this.remember(updated);
        return updated;
      } catch (error) {
        this.cache.delete(executionArn);
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        // Another writer (another process) changed the execution in between: read it again.
        if (reasons[0]?.Code === 'ConditionalCheckFailed' && attempt < 10) continue;
        if (reasons.slice(1).some((reason) => reason.Code === 'ConditionalCheckFailed')) throw new CommitConflictError();
        throw error;
      }
    }
  }

  async deleteItem(key: { pk: string; sk: string }): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: key }));
  }

  async updateToken(token: string, update: { set: Record<string, unknown>; remove?: string[]; condition?: string; values?: Record<string, unknown> }): Promise<boolean> {
    const condition = update.condition ?? 'attribute_exists(pk)';
    const names: Record<string, string> = condition.includes('#status') ? { '#status': 'status' } : {};
    const values: Record<string, unknown> = { ...update.values };
    const sets = Object.entries(clean(update.set)).map(([key, value], i) => {
      names[`#s${i}`] = key;
      values[`:s${i}`] = value;
      return `#s${i} = :s${i}`;
    });
    const removes = (update.remove ?? []).map((key, i) => {
      names[`#r${i}`] = key;
      return `#r${i}`;
    });
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: tokenKey(token),
          UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: Object.keys(values).length ? values : undefined,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  /** Transaction items that store a new callback token (a large input in a blob item), only if no token has its key. */
  putTokenItems(item: TokenItem): TransactItem[] {
    const blobs: TransactItem[] = [];
    const stored = this.withoutBlobs(item.executionArn, clean(item), TOKEN_PAYLOADS, blobs);
    return [{ Put: { TableName: this.tableName, Item: stored, ConditionExpression: 'attribute_not_exists(pk)' } }, ...blobs];
  }

  /** Transaction items that mark a parked token done with its outcome (a large output in a blob item), only if it is still parked. */
  completeTokenItems(token: string, executionArn: string, outcome: Outcome): TransactItem[] {
    const blobs: TransactItem[] = [];
    const stored = this.withoutBlobs(executionArn, { outcome: clean(outcome) }, TOKEN_PAYLOADS, blobs);
    return [
      {
        Update: {
          TableName: this.tableName,
          Key: tokenKey(token),
          UpdateExpression: 'SET #status = :done, #outcome = :outcome REMOVE duePk, dueSk',
          ConditionExpression: '#status = :parked',
          ExpressionAttributeNames: { '#status': 'status', '#outcome': 'outcome' },
          ExpressionAttributeValues: { ':done': 'DONE', ':parked': 'PARKED', ':outcome': stored.outcome },
        },
      },
      ...blobs,
    ];
  }

  putItem(item: object, condition?: string): TransactItem {
    return { Put: { TableName: this.tableName, Item: clean(item), ...(condition ? { ConditionExpression: condition } : {}) } };
  }

  deleteItemOp(key: { pk: string; sk: string }): TransactItem {
    return { Delete: { TableName: this.tableName, Key: key } };
  }

  tokenParkedCheck(token: string): TransactItem {
    return {
      ConditionCheck: {
        TableName: this.tableName,
        Key: tokenKey(token),
        ConditionExpression: '#status = :parked',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':parked': 'PARKED' },
      },
    };
  }

  /**
   * One page of an execution's events, in id order (or reverse), after the event `afterId` when given. Events are
   * stored one item per commit, keyed by the commit's first id (executions written before that have one item per
   * event: both read the same way).
   */
  async eventsPage(executionArn: string, page: { limit: number; reverse: boolean; afterId?: number }): Promise<{ events: StoredEvent[]; more: boolean }> {
    const pk = executionKey(executionArn).pk;
    const { afterId, reverse, limit } = page;
    let from = eventSk(0);
    let to = eventSk(LAST_EVENT_ID);
    if (afterId !== undefined && reverse) to = eventSk(afterId - 1);
    if (afterId !== undefined && !reverse) {
      // The item that holds event afterId + 1 starts at or before it: the last item keyed at or below it.
      const { Items } = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': pk, ':from': from, ':to': eventSk(afterId + 1) },
          ConsistentRead: true,
          ScanIndexForward: false,
          Limit: 1,
        }),
      );
      if (Items?.[0]) from = Items[0].sk as string;
    }
    const events: StoredEvent[] = [];
    let startKey: Record<string, unknown> | undefined;
    // One more event than asked tells whether another page exists, so the last page carries no token.
    do {
      const result = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': pk, ':from': from, ':to': to },
          ConsistentRead: true,
          ScanIndexForward: !reverse,
          Limit: limit + 1,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of (result.Items ?? []) as Array<Record<string, unknown>>) {
        const stored = eventsOf(item);
        for (const event of reverse ? stored.reverse() : stored) {
          if (afterId === undefined || (reverse ? event.id < afterId : event.id > afterId)) events.push(event);
        }
      }
      startKey = result.LastEvaluatedKey;
    } while (startKey && events.length <= limit);
    return { events: events.slice(0, limit), more: events.length > limit };
  }

  /** Stores finished children of a map run in one item (the caller keeps each call under the item size limit). */
  async putMapResults(executionArn: string, mapRunId: string, results: ChildResult[]): Promise<void> {
    const item = { pk: executionKey(executionArn).pk, sk: `${mapResultsSk(mapRunId)}${randomUUID()}`, kind: 'mapResults', results };
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: clean(item) }));
  }

  /** The finished children of a map run recorded so far, by child (batch) index. */
  async mapResults(executionArn: string, mapRunId: string): Promise<Map<number, ChildResult>> {
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': executionKey(executionArn).pk, ':prefix': mapResultsSk(mapRunId) },
      ConsistentRead: true,
    });
    const results = new Map<number, ChildResult>();
    for (const item of items) for (const result of item.results as ChildResult[]) if (!results.has(result.batch)) results.set(result.batch, result);
    return results;
  }

  /** The execution a map run's ARN belongs to, from its reference item (map runs started since DescribeMapRun have one). */
  async mapRunExecution(mapRunArn: string): Promise<string | undefined> {
    const result = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: mapRunRefKey(mapRunArn), ConsistentRead: true }));
    return (result.Item as MapRunRefItem | undefined)?.executionArn;
  }

  async getMapRunRecord(executionArn: string, mapRunId: string): Promise<MapRunRecord | undefined> {
    const result = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: mapRunRecordKey(executionArn, mapRunId), ConsistentRead: true }));
    return result.Item as MapRunRecord | undefined;
  }

  /** The running execution parked at the map run `mapRunArn`, from the running index (for map runs without a reference item). */
  async runningMapRunExecution(mapRunArn: string): Promise<string | undefined> {
    const items = await this.queryAll({
      TableName: this.tableName,
      IndexName: INDEXES.running,
      KeyConditionExpression: 'runningPk = :running',
      FilterExpression: '#cursor.#mapRun.#arn = :arn',
      ExpressionAttributeNames: { '#cursor': 'cursor', '#mapRun': 'mapRun', '#arn': 'arn' },
      ExpressionAttributeValues: { ':running': RUNNING, ':arn': mapRunArn },
    });
    return items[0]?.executionArn as string | undefined;
  }

  async runningExecutions(): Promise<ExecutionItem[]> {
    const keys = await this.queryAll({
      TableName: this.tableName,
      IndexName: INDEXES.running,
      KeyConditionExpression: 'runningPk = :running',
      ExpressionAttributeValues: { ':running': RUNNING },
    });
    // Index reads are eventually consistent on AWS: read each execution again before acting on it.
    const executions = await Promise.all(keys.map((item) => this.getExecution(item.executionArn as string)));
    return executions.filter((item): item is ExecutionItem => item?.status === 'RUNNING');
  }

  /**
   * One page of a state machine's executions, newest first, from the machine index. `after` is the
   * machineSk/executionArn of the last item of the previous page. Filters are applied by DynamoDB, so
   * the query goes on until the page is full or the index is exhausted.
   */
  async executionsPage(
    stateMachineArn: string,
    page: { limit: number; after?: { executionArn: string; machineSk: string }; status?: ExecutionStatus; redriven?: boolean },
  ): Promise<{ items: ExecutionHeader[]; more: boolean }> {
    const filters: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':machine': stateMachineArn };
    if (page.status) {
      filters.push('#status = :status');
      names['#status'] = 'status';
      values[':status'] = page.status;
    }
    if (page.redriven !== undefined) {
      filters.push(page.redriven ? 'redriveCount > :zero' : '(attribute_not_exists(redriveCount) OR redriveCount = :zero)');
      values[':zero'] = 0;
    }
    const items: ExecutionHeader[] = [];
    let startKey: Record<string, unknown> | undefined = page.after
      ? { ...executionKey(page.after.executionArn), machinePk: stateMachineArn, machineSk: page.after.machineSk }
      : undefined;
    do {
      const result = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: INDEXES.byMachine,
          KeyConditionExpression: 'machinePk = :machine',
          ...(filters.length ? { FilterExpression: filters.join(' AND ') } : {}),
          ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          // A filtered query reads wider pages: Limit counts the items read, not the ones that match.
          Limit: filters.length ? Math.max(100, page.limit + 1) : page.limit + 1 - items.length,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...((result.Items ?? []) as ExecutionHeader[]));
      startKey = result.LastEvaluatedKey;
    } while (startKey && items.length <= page.limit);
    return { items: items.slice(0, page.limit), more: items.length > page.limit || startKey !== undefined };
  }

  async getMachine(stateMachineArn: string): Promise<MachineItem | undefined> {
    const result = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: machineKey(stateMachineArn), ConsistentRead: true }));
    return result.Item as MachineItem | undefined;
  }

  /** Writes a machine record unless another process changed it since `previous` was read; false then. */
  async putMachine(item: MachineItem, previous: MachineItem | undefined): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: previous ? 'updateDate = :updateDate' : 'attribute_not_exists(pk)',
          ...(previous ? { ExpressionAttributeValues: { ':updateDate': previous.updateDate } } : {}),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  async dueItems(): Promise<Array<DueToken | TimerItem>> {
    const items = await this.queryAll({
      TableName: this.tableName,
      IndexName: INDEXES.due,
      KeyConditionExpression: 'duePk = :due AND dueSk <= :now',
      ExpressionAttributeValues: { ':due': DUE, ':now': dueSk(this.now()) },
    });
    return items as unknown as Array<DueToken | TimerItem>;
  }

  /**
   * The item to store in place of `value`: each field at `paths` whose text is larger than BLOB_BYTES becomes a
   * reference to a blob item in the execution's partition, whose write is added to `blobs` (for the same transaction).
   * Blobs are keyed by their content: writing one again writes the same item. Small fields stay as they are.
   */
  private withoutBlobs<T extends object>(executionArn: string, value: T, paths: PayloadPath[], blobs: TransactItem[]): T {
    let stored = value;
    for (const path of paths) {
      const text = valueAt(stored, path);
      if (typeof text !== 'string' || !isLarge(text)) continue;
      const hash = createHash('sha256').update(text).digest('hex');
      const ref: BlobRef = { blob: hash };
      blobs.push({ Put: { TableName: this.tableName, Item: { pk: executionKey(executionArn).pk, sk: blobSk(hash), kind: 'blob', text } } });
      stored = withValueAt(stored, path, ref);
    }
    return stored;
  }

  /** The item as the engine works with it: blob references replaced by their texts (no read when there are none). */
  private async withBlobs<T extends object>(executionArn: string, item: T, paths: PayloadPath[]): Promise<T> {
    const refs = paths.flatMap((path) => {
      const value = valueAt(item, path);
      return isBlobRef(value) ? [{ path, hash: value.blob }] : [];
    });
    if (!refs.length) return item;
    const texts = new Map<string, Promise<string>>();
    for (const { hash } of refs) if (!texts.has(hash)) texts.set(hash, this.blobText(executionArn, hash));
    let resolved = item;
    for (const { path, hash } of refs) resolved = withValueAt(resolved, path, await texts.get(hash));
    return resolved;
  }

  private async blobText(executionArn: string, hash: string): Promise<string> {
    const key = { pk: executionKey(executionArn).pk, sk: blobSk(hash) };
    const result = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    const text = result.Item?.text;
    if (typeof text !== 'string') throw new Error(`stepfunctions: the blob item ${key.sk} of ${executionArn} is missing`);
    return text;
  }

  /**
   * The events of one commit as one item, one write instead of one per event (the engine's heaviest writes), split
   * where they would pass DynamoDB's 400 KB item limit (an event alone may hold 256 KB of data).
   */
  private eventsItems(executionArn: string, firstId: number, events: NewEvent[], timestamp = this.now()) {
    const groups: NewEvent[][] = [];
    let size = Infinity;
    for (const event of events) {
      const bytes = Buffer.byteLength(JSON.stringify(event.details ?? null)) + event.type.length;
      if (size + bytes > EVENTS_ITEM_BYTES) {
        groups.push([]);
        size = 0;
      }
      groups.at(-1)!.push(event);
      size += bytes;
    }
    let id = firstId;
    return groups.map((group) => {
      const item = { pk: executionKey(executionArn).pk, sk: eventSk(id), kind: 'events', firstId: id, timestamp, events: group.map(({ type, details }) => ({ type, details })) };
      id += group.length;
      return item;
    });
  }

  private async queryAll(input: QueryCommandInput): Promise<Array<Record<string, unknown>>> {
    const items: Array<Record<string, unknown>> = [];
    let ExclusiveStartKey: QueryCommandInput['ExclusiveStartKey'];
    do {
      const page = await this.doc.send(new QueryCommand({ ...input, ExclusiveStartKey }));
      items.push(...((page.Items ?? []) as Array<Record<string, unknown>>));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  }
}

/** The events an item holds: a commit's events, or one event (items written before events were grouped). */
function eventsOf(item: Record<string, unknown>): StoredEvent[] {
  if (item.kind !== 'events') {
    return [{ id: item.id as number, previousEventId: item.previousEventId as number, timestamp: item.timestamp as number, type: item.type as string, details: item.details as Record<string, unknown> | undefined }];
  }
  const firstId = item.firstId as number;
  return (item.events as Array<{ type: string; details?: Record<string, unknown> }>).map((event, i) => ({
    id: firstId + i,
    previousEventId: firstId + i - 1,
    timestamp: item.timestamp as number,
    type: event.type,
    details: event.details,
  }));
}

function isLarge(text: string): boolean {
  // A UTF-16 code unit takes 1 to 3 bytes of UTF-8: most texts are told apart by their length alone.
  if (text.length > BLOB_BYTES) return true;
  return text.length * 3 > BLOB_BYTES && Buffer.byteLength(text) > BLOB_BYTES;
}

function isBlobRef(value: unknown): value is BlobRef {
  return !!value && typeof value === 'object' && typeof (value as { blob?: unknown }).blob === 'string';
}

function valueAt(value: unknown, path: PayloadPath): unknown {
  let current = value;
  for (const key of path) {
    if (!current || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** A copy of `target` with `value` at `path` (the objects along the path copied, the caller's left as they are). */
function withValueAt<T>(target: T, path: PayloadPath, value: unknown): T {
  const [key, ...rest] = path;
  const record = target as Record<string, unknown>;
  return { ...record, [key!]: rest.length ? withValueAt(record[key!], rest, value) : value } as T;
}

/**
 * The transaction's items without a second write of the same blob (DynamoDB refuses two operations on one item): a
 * token's input is its state's input, which the execution's cursor references in the same commit.
 */
function onceEach(items: TransactItem[]): TransactItem[] {
  const blobs = new Set<string>();
  return items.filter((item) => {
    const put = item.Put?.Item;
    if (put?.kind !== 'blob') return true;
    const key = `${String(put.pk)}\n${String(put.sk)}`;
    if (blobs.has(key)) return false;
    blobs.add(key);
    return true;
  });
}

/** Drops undefined values: the caller's document client may not be set to remove them. */
function clean<T>(value: T): T {
  if (Array.isArray(value)) return value.map(clean) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, clean(v)]),
  ) as T;
}
