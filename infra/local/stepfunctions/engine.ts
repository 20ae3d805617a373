import './polyfill.js';
import { randomBytes, randomUUID } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ExecutionError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { MAX_TIMER_MS, MachineModel, applyInputPath, readPath, type StateDefinition, type TaskKind } from './definition.js';
import { CommitConflictError, FencedError, RunAbandonedError, SfnError } from './errors.js';
import { handleSfnJson } from './json-protocol.js';
import { decodeToken, encodeToken, isCount, pageSize } from './paging.js';
import {
  EngineStore,
  dueAttributes,
  machineAttributes,
  machineKey,
  runningAttributes,
  timerKey,
  tokenKey,
  type Cursor,
  type ExecutionItem,
  type ExecutionStatus,
  type MachineItem,
  type NewEvent,
  type Outcome,
  type TimerItem,
  type TokenItem,
} from './store.js';

export type { ExecutionStatus } from './store.js';

export type InvokeResult = { ok: true; result: unknown } | { ok: false; errorType: string; errorMessage: string };

/** Runs a Lambda function of the local cloud; a function error is a result, not an exception. */
export interface LambdaInvoker {
  invoke(functionArn: string, payload: unknown): Promise<InvokeResult>;
}

export interface LocalStepFunctionsOptions {
  documentClient: DynamoDBDocumentClient;
  /** The engine's own table (created by start() if missing); not the app table. */
  tableName: string;
  invoker: LambdaInvoker;
  /** Region and account of execution ARNs; default: those of the state machine ARN. */
  region?: string;
  accountId?: string;
  /** Clock of deadlines, waits and timestamps (epoch ms); injectable for tests. */
  now?: () => number;
  /** How often the deadline loop polls the store, in ms (default 1000). */
  tickMs?: number;
}

export type ExecutionRedriveStatus = 'REDRIVABLE' | 'NOT_REDRIVABLE';

export interface ExecutionDescription {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  /** 0 until the execution is redriven. */
  redriveCount: number;
  redriveDate?: Date;
  redriveStatus: ExecutionRedriveStatus;
  /** Why it cannot be redriven (with NOT_REDRIVABLE), in AWS's words. */
  redriveStatusReason?: string;
}

/** CloudWatch Logs settings of a state machine, as AWS describes them (`level: 'OFF'` without logging). */
export interface LoggingConfiguration {
  level: 'ALL' | 'ERROR' | 'FATAL' | 'OFF';
  includeExecutionData: boolean;
  destinations?: Array<{ cloudWatchLogsLogGroup?: { logGroupArn?: string } }>;
}

export interface StateMachineRegistration {
  arn: string;
  name: string;
  /** Plain ASL after intrinsic resolution, as an object or as the JSON text to show in DescribeStateMachine. */
  definition: object | string;
  /** Default: `arn:aws:iam::<account>:role/local-stepfunctions`. */
  roleArn?: string;
  loggingConfiguration?: LoggingConfiguration;
}

export interface StateMachineListItem {
  stateMachineArn: string;
  name: string;
  type: 'STANDARD';
  creationDate: Date;
}

export interface StateMachineDescription {
  stateMachineArn: string;
  name: string;
  status: 'ACTIVE';
  definition: string;
  roleArn: string;
  type: 'STANDARD';
  creationDate: Date;
  loggingConfiguration: LoggingConfiguration;
  tracingConfiguration: { enabled: boolean };
}

export interface StateMachineForExecution {
  stateMachineArn: string;
  name: string;
  definition: string;
  roleArn: string;
  /** When the engine first saw the current definition of the machine. */
  updateDate: Date;
  loggingConfiguration: LoggingConfiguration;
  tracingConfiguration: { enabled: boolean };
}

export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
  [detailsKey: string]: unknown;
}

export interface ExecutionListItem {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  redriveCount: number;
  redriveDate?: Date;
}

/** Status filters AWS accepts; PENDING_REDRIVE never matches here (a local redrive is RUNNING at once). */
const STATUS_FILTERS = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'];
const REDRIVE_FILTERS = ['REDRIVEN', 'NOT_REDRIVEN'];
/** AWS keeps a closed execution redrivable for 14 days. */
const REDRIVABLE_PERIOD_MS = 14 * 24 * 3600 * 1000;
/** AWS answers a repeated RedriveExecution clientToken with the first result for 15 minutes, for the last 10 tokens. */
const REDRIVE_TOKEN_TTL_MS = 15 * 60 * 1000;
const REDRIVE_TOKENS_KEPT = 10;
const DEFAULT_LOGGING: LoggingConfiguration = { level: 'OFF', includeExecutionData: false };
const CALLBACK_RESOURCE = { resourceType: 'lambda', resource: 'invoke.waitForTaskToken' };
/** Characters AWS refuses in execution names: whitespace, brackets, wildcards, specials, control characters. */
const INVALID_NAME_CHARACTER = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;
const isControl = (character: string) => {
  const code = character.charCodeAt(0);
  return code <= 0x1f || (code >= 0x7f && code <= 0x9f);
};
const isValidName = (name: string) => name.length >= 1 && name.length <= 80 && !INVALID_NAME_CHARACTER.test(name) && ![...name].some(isControl);

const newToken = () => randomBytes(48).toString('base64url');

/** Serializes async work per key (one execution at a time); other keys run concurrently. */
class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const tail = previous.then(() => new Promise<void>((resolve) => (release = resolve)));
    this.tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

interface AppendOp {
  events: NewEvent[];
  cursor?: Cursor;
  extra?: Parameters<EngineStore['commit']>[1]['extra'];
}

const itemsOf = (op: AppendOp) => op.events.length + (op.extra?.length ?? 0);

/** One in-memory run of an execution, from a start state until it ends, parks or is abandoned. */
class Run {
  active = true;
  abortLibrary: () => void = () => undefined;
  /** Token made by the `$$.Task.Token` getter while the library evaluates a callback state's Parameters. */
  pendingToken: string | undefined;
  /** Raw input of the top-level state being run (JSON), known once the event consumer has seen it enter. */
  currentInput = 'null';
  private chain: Promise<unknown> = Promise.resolve();
  private batch: { ops: AppendOp[]; done: Promise<void> } | undefined;

  constructor(
    readonly execution: ExecutionItem,
    readonly model: MachineModel,
    readonly id: string,
    readonly startState: string,
    readonly input: string,
    /** The start state's entry is already recorded (resume or recovery). */
    readonly skipFirstEntered: boolean,
    /** Outcome replayed by the start state instead of running it. */
    public replay: Outcome | undefined,
    private readonly locks: KeyedLock,
    private readonly store: EngineStore,
  ) {}

  get arn(): string {
    return this.execution.executionArn;
  }

  /**
   * Queues events (and the checkpoint) for the run's next commit: appends made while a commit is in flight
   * are merged into one transaction, in order. Resolves once they are stored.
   */
  append(op: AppendOp): Promise<void> {
    if (!this.batch) {
      const ops: AppendOp[] = [];
      const done = this.write(async () => {
        if (this.batch?.ops === ops) this.batch = undefined;
        await this.commitOps(ops);
      });
      this.batch = { ops, done };
    }
    this.batch.ops.push(op);
    return this.batch.done;
  }

  /** Queues a store write after the run's previous ones, under the execution's lock; any failure abandons the run. */
  write<T>(work: () => Promise<T>): Promise<T> {
    this.batch = undefined;
    const step = this.chain.then(async () => {
      if (!this.active) throw new RunAbandonedError();
      return await this.locks.run(this.arn, work);
    });
    this.chain = step.catch((error: unknown) => this.abandon(error));
    return step.catch(() => {
      throw new RunAbandonedError();
    });
  }

  enqueue(work: () => Promise<unknown>): void {
    this.write(work).catch(() => undefined);
  }

  private async commitOps(ops: AppendOp[]): Promise<void> {
    // Transactions hold at most 100 items; a long burst of Pass states is split in order.
    for (let start = 0; start < ops.length; ) {
      let end = start;
      let size = 1;
      while (end < ops.length && (end === start || size + itemsOf(ops[end]!) <= 90)) size += itemsOf(ops[end++]!);
      const chunk = ops.slice(start, end);
      const cursor = chunk.findLast((op) => op.cursor)?.cursor;
      await this.store.commit(this.arn, {
        runId: this.id,
        events: chunk.flatMap((op) => op.events),
        ...(cursor ? { set: { cursor } } : {}),
        extra: chunk.flatMap((op) => op.extra ?? []),
      });
      start = end;
    }
  }

  /**
   * Lets the event consumer catch up: it runs on microtasks, so after one macrotask turn it has seen
   * (and queued the checkpoint of) the state whose handler is waiting here.
   */
  async caughtUp(): Promise<void> {
    await nextTurn();
    if (!this.active) throw new RunAbandonedError();
  }

  async idle(): Promise<void> {
    await this.chain;
  }

  stop(): void {
    this.active = false;
    this.abortLibrary();
  }

  private abandon(error: unknown): void {
    if (!(error instanceof RunAbandonedError) && !(error instanceof FencedError)) {
      // Only the class: messages may quote execution data.
      console.error(`stepfunctions: run of ${this.arn} abandoned after ${error instanceof Error ? error.name : typeof error}`);
    }
    this.stop();
  }
}

let statesTimeoutErrorClass: Promise<new () => Error> | undefined;

/**
 * The library's own States.Timeout error class: its Retry/Catch logic tells it apart by `instanceof`
 * (States.TaskFailed must not match a timeout), and the class is not exported. A one-millisecond task
 * timeout on a throwaway machine yields an instance.
 */
function statesTimeoutError(): Promise<Error> {
  statesTimeoutErrorClass ??= (async () => {
    const probe = new StateMachine(
      { StartAt: 'Probe', States: { Probe: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:probe', TimeoutSeconds: 0.001, End: true } } } as unknown as StateMachineDefinition,
      { validationOptions: { noValidate: true } },
    );
    const run = probe.run({}, { overrides: { taskResourceLocalHandlers: { Probe: () => new Promise(() => undefined) } } });
    try {
      await run.result;
    } catch (error) {
      const cause = (error as Error).cause;
      if (cause instanceof Error && cause.name === 'States.Timeout') return cause.constructor as new () => Error;
    }
    throw new Error('aws-local-stepfunctions did not produce States.Timeout');
  })();
  return statesTimeoutErrorClass.then((ErrorClass) => new ErrorClass());
}

/** A state error as the library's Retry/Catch read it: `name` is the error code, `message` the cause. */
function stateError(error: string, cause: string, options: { catchable?: boolean } = {}): Error {
  const result = new Error(cause) as Error & { isRetryable?: boolean; isCatchable?: boolean };
  result.name = error;
  if (options.catchable === false) {
    result.isRetryable = false;
    result.isCatchable = false;
  }
  return result;
}

const lambdaCause = (errorType: string, errorMessage: string) => JSON.stringify({ errorType, errorMessage });

function parseJson(text: string, type: 'InvalidExecutionInput' | 'InvalidOutput', what: string): void {
  try {
    JSON.parse(text);
  } catch {
    throw new SfnError(type, `Invalid ${what}: not valid JSON`);
  }
}

/** A Step Functions ARN of the given resource type (`arn:<partition>:states:<region>:<account>:<type>:...`), else InvalidArn as AWS. */
function requireArn(value: unknown, type: 'stateMachine' | 'execution'): string {
  if (typeof value !== 'string' || value.length < 1 || value.length > 256) throw new SfnError('InvalidArn', `Invalid Arn: '${String(value)}'`);
  const parts = value.split(':');
  if (parts[0] !== 'arn' || parts[2] !== 'states' || parts.length < 7 || parts.some((part, i) => i !== 3 && i !== 4 && part === '')) {
    throw new SfnError('InvalidArn', `Invalid Arn: '${value}'`);
  }
  if (parts[5] !== type) throw new SfnError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${parts[5]}'`);
  return value;
}

const withoutExecutionData = (details: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(details).map(([key, value]) => {
      if (!value || typeof value !== 'object') return [key, value];
      const { input: _input, output: _output, ...rest } = value as Record<string, unknown>;
      return [key, rest];
    }),
  );

const isExecutionPosition = (value: unknown): value is { a: string; t: string } =>
  !!value && typeof value === 'object' && typeof (value as { a?: unknown }).a === 'string' && typeof (value as { t?: unknown }).t === 'string';

/**
 * A durable local Step Functions service: aws-local-stepfunctions runs the states, and this engine keeps
 * executions, checkpoints, parked callback tasks, waits and deadlines in DynamoDB so that they survive
 * a restart. See README.md for what is and is not supported.
 */
export class LocalStepFunctions {
  private readonly store: EngineStore;
  private readonly invoker: LambdaInvoker;
  private readonly now: () => number;
  private readonly tickMs: number;
  private readonly machines = new Map<string, MachineModel>();
  private readonly registrations = new Map<string, { definition: string; roleArn?: string; loggingConfiguration: LoggingConfiguration }>();
  /** Creation and update dates of each machine, read from (or first written to) the store once per process. */
  private readonly machineDates = new Map<string, Promise<{ creationDate: number; updateDate: number }>>();
  private readonly runs = new Map<string, Run>();
  private readonly locks = new KeyedLock();
  private started = false;
  private stopped = false;
  private tickTimer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;

  constructor(private readonly options: LocalStepFunctionsOptions) {
    this.now = options.now ?? Date.now;
    this.tickMs = options.tickMs ?? 1000;
    this.invoker = options.invoker;
    this.store = new EngineStore(options.documentClient, options.tableName, this.now);
  }

  /** Adds a state machine (plain ASL after intrinsic resolution). Throws on what the local engine cannot run. */
  registerStateMachine(machine: StateMachineRegistration): void {
    const definition = typeof machine.definition === 'string' ? machine.definition : JSON.stringify(machine.definition);
    this.machines.set(machine.arn, new MachineModel(machine.arn, machine.name, JSON.parse(definition) as object));
    this.registrations.set(machine.arn, { definition, roleArn: machine.roleArn, loggingConfiguration: machine.loggingConfiguration ?? DEFAULT_LOGGING });
    this.machineDates.delete(machine.arn);
  }

  /** Creates the table if needed, resumes executions a previous process left running, starts the deadline loop. */
  async start(): Promise<void> {
    if (this.started) return;
    await this.store.ensureTable();
    await statesTimeoutError();
    this.started = true;
    this.stopped = false;
    for (const execution of await this.store.runningExecutions()) {
      await this.recover(execution);
    }
    this.scheduleTick();
  }

  /** Stops the loop and abandons in-flight runs: they stay RUNNING in the store and the next start() resumes them. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.started = false;
    if (this.tickTimer) clearTimeout(this.tickTimer);
    for (const run of this.runs.values()) run.stop();
    this.runs.clear();
    await this.ticking;
  }

  async startExecution(input: { stateMachineArn: string; name?: string; input?: string }): Promise<{ executionArn: string; startDate: Date }> {
    this.requireStarted();
    const model = this.requireMachine(input.stateMachineArn);
    const machineArn = model.arn;
    const name = input.name ?? randomUUID();
    if (typeof name !== 'string' || !isValidName(name)) {
      throw new SfnError('InvalidName', `Invalid Name: '${String(name)}'`);
    }
    const executionInput = input.input ?? '{}';
    parseJson(executionInput, 'InvalidExecutionInput', 'Execution Input');
    const executionArn = this.executionArn(machineArn, model.name, name);
    const startDate = this.now();
    const item: ExecutionItem = {
      pk: `EXEC#${executionArn}`,
      sk: 'EXEC',
      kind: 'execution',
      executionArn,
      stateMachineArn: machineArn,
      name,
      status: 'RUNNING',
      startDate,
      input: executionInput,
      runId: randomUUID(),
      version: 1,
      eventCount: 1,
      cursor: { mode: 'enter', stateName: model.startAt, input: executionInput, fresh: true },
      ...runningAttributes(executionArn),
      ...machineAttributes(machineArn, startDate, name),
    };
    const extra = [];
    if (model.timeoutSeconds !== undefined) {
      const due = startDate + model.timeoutSeconds * 1000;
      const timer: TimerItem = { ...timerKey(executionArn, 'executionTimeout'), kind: 'executionTimeout', executionArn, due, ...dueAttributes(due) };
      extra.push(this.store.putItem(timer));
    }
    const started = { type: 'ExecutionStarted', details: { executionStartedEventDetails: { input: executionInput, roleArn: this.roleArn(machineArn) } } };
    if (!(await this.store.createExecution(item, started, extra))) {
      const existing = await this.store.getExecution(executionArn);
      // AWS: the same name and input while RUNNING is the same request; anything else is a conflict.
      if (existing && existing.status === 'RUNNING' && existing.input === executionInput && existing.stateMachineArn === machineArn) {
        return { executionArn, startDate: new Date(existing.startDate) };
      }
      throw new SfnError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    this.launch(item);
    return { executionArn, startDate: new Date(startDate) };
  }

  async sendTaskSuccess(input: { taskToken: string; output: string }): Promise<void> {
    if (typeof input.output !== 'string') throw new SfnError('ValidationException', 'output must be a string');
    parseJson(input.output, 'InvalidOutput', 'Output');
    await this.completeToken(input.taskToken, { kind: 'success', output: input.output });
  }

  async sendTaskFailure(input: { taskToken: string; error?: string; cause?: string }): Promise<void> {
    await this.completeToken(input.taskToken, { kind: 'failure', error: input.error ?? '', cause: input.cause ?? '' });
  }

  async sendTaskHeartbeat(input: { taskToken: string }): Promise<void> {
    this.requireStarted();
    const token = await this.requireToken(input.taskToken);
    await this.locks.run(token.executionArn, async () => {
      const stored = await this.store.getToken(token.token);
      const execution = await this.store.getExecution(token.executionArn);
      if (stored?.status !== 'PARKED' || !this.isLive(execution, token.token)) throw new SfnError('TaskTimedOut', 'Task Timed Out');
      if (stored.heartbeatSeconds === undefined) return;
      const heartbeatDeadline = this.now() + stored.heartbeatSeconds * 1000;
      const due = Math.min(heartbeatDeadline, stored.deadline ?? Infinity);
      const updated = await this.store.updateToken(token.token, {
        set: { heartbeatDeadline, ...dueAttributes(due) },
        condition: '#status = :parked',
        values: { ':parked': 'PARKED' },
      });
      if (!updated) throw new SfnError('TaskTimedOut', 'Task Timed Out');
    });
  }

  async describeExecution(input: { executionArn: string }): Promise<ExecutionDescription> {
    this.requireStarted();
    const item = await this.requireExecution(input.executionArn);
    const redrive = this.redrivability(item);
    return {
      executionArn: item.executionArn,
      stateMachineArn: item.stateMachineArn,
      name: item.name,
      status: item.status,
      startDate: new Date(item.startDate),
      ...(item.stopDate !== undefined ? { stopDate: new Date(item.stopDate) } : {}),
      input: item.input,
      ...(item.output !== undefined ? { output: item.output } : {}),
      ...(item.error !== undefined ? { error: item.error } : {}),
      ...(item.cause !== undefined ? { cause: item.cause } : {}),
      redriveCount: item.redriveCount ?? 0,
      ...(item.redriveDate !== undefined ? { redriveDate: new Date(item.redriveDate) } : {}),
      redriveStatus: redrive.reason === undefined ? 'REDRIVABLE' : 'NOT_REDRIVABLE',
      ...(redrive.reason !== undefined ? { redriveStatusReason: redrive.reason } : {}),
    };
  }

  /** Registered state machines by name, `maxResults` (default 100) at a time. */
  async listStateMachines(input: { maxResults?: number; nextToken?: string } = {}): Promise<{ stateMachines: StateMachineListItem[]; nextToken?: string }> {
    this.requireStarted();
    const size = pageSize(input.maxResults);
    const after = decodeToken(input.nextToken, 'ListStateMachines', (value): value is string => typeof value === 'string');
    const keyOf = (model: MachineModel) => `${model.name}#${model.arn}`;
    const models = [...this.machines.values()].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1)).filter((model) => after === undefined || keyOf(model) > after);
    const page = models.slice(0, size);
    const stateMachines = await Promise.all(
      page.map(async (model) => ({ stateMachineArn: model.arn, name: model.name, type: 'STANDARD' as const, creationDate: new Date((await this.datesOf(model.arn)).creationDate) })),
    );
    return { stateMachines, ...(models.length > size ? { nextToken: encodeToken('ListStateMachines', keyOf(page.at(-1)!)) } : {}) };
  }

  async describeStateMachine(input: { stateMachineArn: string }): Promise<StateMachineDescription> {
    this.requireStarted();
    const model = this.requireMachine(input.stateMachineArn);
    const registration = this.registrations.get(model.arn)!;
    return {
      stateMachineArn: model.arn,
      name: model.name,
      status: 'ACTIVE',
      definition: registration.definition,
      roleArn: this.roleArn(model.arn),
      type: 'STANDARD',
      creationDate: new Date((await this.datesOf(model.arn)).creationDate),
      loggingConfiguration: registration.loggingConfiguration,
      tracingConfiguration: { enabled: false },
    };
  }

  /** The state machine an execution belongs to (its current definition: the engine keeps no versions). */
  async describeStateMachineForExecution(input: { executionArn: string }): Promise<StateMachineForExecution> {
    this.requireStarted();
    const execution = await this.requireExecution(input.executionArn);
    const model = this.machines.get(execution.stateMachineArn);
    if (!model) throw new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${execution.stateMachineArn}'`);
    const registration = this.registrations.get(model.arn)!;
    return {
      stateMachineArn: model.arn,
      name: model.name,
      definition: registration.definition,
      roleArn: this.roleArn(model.arn),
      updateDate: new Date((await this.datesOf(model.arn)).updateDate),
      loggingConfiguration: registration.loggingConfiguration,
      tracingConfiguration: { enabled: false },
    };
  }

  /** One page of the history, oldest first unless `reverseOrder`; `includeExecutionData: false` leaves out inputs and outputs. */
  async getExecutionHistory(input: {
    executionArn: string;
    maxResults?: number;
    nextToken?: string;
    reverseOrder?: boolean;
    includeExecutionData?: boolean;
  }): Promise<{ events: HistoryEvent[]; nextToken?: string }> {
    this.requireStarted();
    const size = pageSize(input.maxResults);
    const execution = await this.requireExecution(input.executionArn);
    const reverse = input.reverseOrder === true;
    const scope = `GetExecutionHistory|${execution.executionArn}|${reverse}`;
    const afterId = decodeToken(input.nextToken, scope, isCount);
    const page = await this.store.eventsPage(execution.executionArn, { limit: size, reverse, afterId });
    const withData = input.includeExecutionData !== false;
    return {
      events: page.events.map((event) => ({
        id: event.id,
        previousEventId: event.previousEventId,
        timestamp: new Date(event.timestamp),
        type: event.type,
        ...(withData || !event.details ? event.details : withoutExecutionData(event.details)),
      })),
      ...(page.more && page.events.length ? { nextToken: encodeToken(scope, page.events.at(-1)!.id) } : {}),
    };
  }

  /** One page of a machine's executions, newest first, read from the store's machine index. */
  async listExecutions(input: {
    stateMachineArn: string;
    statusFilter?: string;
    redriveFilter?: string;
    maxResults?: number;
    nextToken?: string;
  }): Promise<{ executions: ExecutionListItem[]; nextToken?: string }> {
    this.requireStarted();
    const machineArn = this.requireMachine(input.stateMachineArn).arn;
    const size = pageSize(input.maxResults);
    const enumValue = (field: string, value: string | undefined, allowed: string[]) => {
      if (value !== undefined && !allowed.includes(value)) {
        throw new SfnError('ValidationException', `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`);
      }
    };
    enumValue('statusFilter', input.statusFilter, STATUS_FILTERS);
    enumValue('redriveFilter', input.redriveFilter, REDRIVE_FILTERS);
    const scope = `ListExecutions|${machineArn}|${input.statusFilter ?? ''}|${input.redriveFilter ?? ''}`;
    const after = decodeToken(input.nextToken, scope, isExecutionPosition);
    if (input.statusFilter === 'PENDING_REDRIVE') return { executions: [] };
    const page = await this.store.executionsPage(machineArn, {
      limit: size,
      after: after && { executionArn: after.a, machineSk: after.t },
      status: input.statusFilter as ExecutionStatus | undefined,
      redriven: input.redriveFilter === undefined ? undefined : input.redriveFilter === 'REDRIVEN',
    });
    const last = page.items.at(-1);
    return {
      executions: page.items.map((item) => ({
        executionArn: item.executionArn,
        stateMachineArn: item.stateMachineArn,
        name: item.name,
        status: item.status,
        startDate: new Date(item.startDate),
        ...(item.stopDate !== undefined ? { stopDate: new Date(item.stopDate) } : {}),
        redriveCount: item.redriveCount ?? 0,
        ...(item.redriveDate !== undefined ? { redriveDate: new Date(item.redriveDate) } : {}),
      })),
      ...(page.more && last ? { nextToken: encodeToken(scope, { a: last.executionArn, t: last.machineSk }) } : {}),
    };
  }

  /**
   * Restarts a FAILED, TIMED_OUT or ABORTED execution at the top-level state it was in, with that state's
   * input: the history is kept and goes on after an ExecutionRedriven event. A repeated clientToken gets
   * the first answer without redriving again.
   */
  async redriveExecution(input: { executionArn: string; clientToken?: string }): Promise<{ redriveDate: Date }> {
    this.requireStarted();
    const clientToken = input.clientToken;
    if (clientToken !== undefined && (typeof clientToken !== 'string' || clientToken.length < 1 || clientToken.length > 64)) {
      throw new SfnError('ValidationException', `1 validation error detected: Value at 'clientToken' failed to satisfy constraint: Member must have length between 1 and 64`);
    }
    const existing = await this.requireExecution(input.executionArn);
    const arn = existing.executionArn;
    let redriven: ExecutionItem | undefined;
    const redriveDate = await this.locks.run(arn, async () => {
      const execution = (await this.store.getExecution(arn)) ?? existing;
      const now = this.now();
      const repeated = execution.redriveTokens?.find((entry) => entry.token === clientToken && entry.date > now - REDRIVE_TOKEN_TTL_MS);
      if (repeated) return repeated.date;
      const { reason } = this.redrivability(execution);
      if (reason !== undefined || !execution.redriveFrom) throw new SfnError('ExecutionNotRedrivable', `Execution Not Redrivable: ${reason ?? ''}`);
      const model = this.machines.get(execution.stateMachineArn)!;
      const redriveCount = (execution.redriveCount ?? 0) + 1;
      const extra = [];
      // The execution timeout counts again from the redrive, else a TIMED_OUT execution would time out at once.
      if (model.timeoutSeconds !== undefined) {
        const due = now + model.timeoutSeconds * 1000;
        const timer: TimerItem = { ...timerKey(arn, 'executionTimeout'), kind: 'executionTimeout', executionArn: arn, due, ...dueAttributes(due) };
        extra.push(this.store.putItem(timer));
      }
      const redriveTokens = clientToken === undefined ? execution.redriveTokens : [...(execution.redriveTokens ?? []), { token: clientToken, date: now }].slice(-REDRIVE_TOKENS_KEPT);
      try {
        redriven = await this.store.commit(arn, {
          runId: execution.runId,
          allowClosed: true,
          events: [{ type: 'ExecutionRedriven', details: { executionRedrivenEventDetails: { redriveCount } } }],
          set: {
            status: 'RUNNING',
            runId: randomUUID(),
            cursor: { mode: 'enter', stateName: execution.redriveFrom.stateName, input: execution.redriveFrom.input, fresh: true },
            redriveCount,
            redriveDate: now,
            redriveTokens,
            ...runningAttributes(arn),
          },
          remove: ['stopDate', 'output', 'error', 'cause', 'redriveFrom'],
          extra,
        });
      } catch (error) {
        // Another process redrove (or changed) it in between.
        if (error instanceof FencedError) throw new SfnError('ExecutionNotRedrivable', 'Execution Not Redrivable: Execution is RUNNING and cannot be redriven');
        throw error;
      }
      return now;
    });
    if (redriven) this.launch(redriven);
    return { redriveDate: new Date(redriveDate) };
  }

  async stopExecution(input: { executionArn: string; error?: string; cause?: string }): Promise<{ stopDate: Date }> {
    this.requireStarted();
    const existing = await this.requireExecution(input.executionArn);
    return await this.locks.run(existing.executionArn, async () => {
      const execution = await this.store.getExecution(existing.executionArn);
      if (!execution || execution.status !== 'RUNNING') return { stopDate: new Date(execution?.stopDate ?? this.now()) };
      const stopDate = this.now();
      await this.close(execution, 'ABORTED', stopDate, {
        set: { error: input.error, cause: input.cause },
        event: { type: 'ExecutionAborted', details: { executionAbortedEventDetails: { error: input.error, cause: input.cause } } },
      });
      return { stopDate: new Date(stopDate) };
    });
  }

  /** Test helper: polls until the execution's status satisfies `until` (default: not RUNNING). */
  async waitForStatus(
    executionArn: string,
    options: { timeoutMs?: number; until?: (status: ExecutionStatus) => boolean } = {},
  ): Promise<ExecutionStatus> {
    const until = options.until ?? ((status) => status !== 'RUNNING');
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    // Backs off so that many waiting tests do not flood the store with reads.
    for (let pause = 10; ; pause = Math.min(pause * 2, 100)) {
      const { status } = await this.describeExecution({ executionArn });
      if (until(status)) return status;
      if (Date.now() > deadline) throw new Error(`Execution ${executionArn} still ${status} after ${options.timeoutMs ?? 10_000} ms`);
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  /** The AWS JSON 1.0 protocol (X-Amz-Target `AWSStepFunctions.<operation>`): HTTP status and body as AWS answers. */
  async handleJson(operation: string, body: unknown): Promise<{ status: number; body: unknown }> {
    return await handleSfnJson(this, operation, body);
  }

  // ---- runs -------------------------------------------------------------------------------------

  private launch(execution: ExecutionItem): void {
    if (this.stopped) return;
    const model = this.machines.get(execution.stateMachineArn);
    const cursor = execution.cursor;
    if (!model || !cursor) return;
    const replay = cursor.mode === 'resume' ? cursor.outcome : undefined;
    const fresh = cursor.mode === 'enter' && cursor.fresh === true;
    const run = new Run(execution, model, execution.runId, cursor.stateName, cursor.input, !fresh, replay, this.locks, this.store);
    // A callback task entered before a crash keeps its token: the function may already have handed it out
    // (a staff member can decide with it at any moment), as it stays valid on AWS.
    if (cursor.mode === 'enter' && cursor.token) run.pendingToken = cursor.token;
    this.runs.get(execution.executionArn)?.stop();
    this.runs.set(execution.executionArn, run);
    this.drive(run).catch((error: unknown) => {
      console.error(`stepfunctions: run of ${run.arn} failed: ${error instanceof Error ? error.name : typeof error}`);
      run.stop();
    });
  }

  private forget(run: Run): void {
    if (this.runs.get(run.arn) === run) this.runs.delete(run.arn);
  }

  private async drive(run: Run): Promise<void> {
    const library = run.model.machineFor(run.startState).run(JSON.parse(run.input), {
      overrides: { taskResourceLocalHandlers: this.taskHandlers(run), waitTimeOverrides: this.waitOverrides(run) },
      context: this.contextFor(run),
      noThrowOnAbort: true,
    });
    run.abortLibrary = library.abort;
    if (!run.active) library.abort();
    const consumed = this.consume(run, library.eventLogs);
    let outcome: { status: 'SUCCEEDED'; output: string } | { status: 'FAILED'; error: string; cause: string };
    try {
      outcome = { status: 'SUCCEEDED', output: JSON.stringify((await library.result) ?? null) };
    } catch (error) {
      const cause = error instanceof ExecutionError && error.cause instanceof Error ? error.cause : (error as Error);
      outcome = { status: 'FAILED', error: cause.name, cause: cause.message };
    }
    await consumed;
    await run.idle();
    if (!run.active) return;
    await run
      .write(async () => {
        const execution = await this.store.getExecution(run.arn);
        if (!execution || execution.runId !== run.id) throw new FencedError();
        const change =
          outcome.status === 'SUCCEEDED'
            ? { set: { output: outcome.output }, event: { type: 'ExecutionSucceeded', details: { executionSucceededEventDetails: { output: outcome.output } } } }
            : {
                set: { error: outcome.error, cause: outcome.cause },
                event: { type: 'ExecutionFailed', details: { executionFailedEventDetails: { error: outcome.error, cause: outcome.cause } } },
              };
        await this.close(execution, outcome.status, this.now(), change);
      })
      .catch(() => undefined);
    run.active = false;
    this.forget(run);
  }

  /** Persists top-level state entries (the checkpoints) and exits from the library's event log, in order. */
  private async consume(run: Run, events: AsyncGenerator<{ type: string; state?: { name: string; type: string; input: unknown; output?: unknown } }>): Promise<void> {
    let first = true;
    for await (const event of events) {
      if (!run.active || !event.state || !(event.state.name in run.model.topLevel)) continue;
      const { name, type } = event.state;
      if (event.type === 'StateEntered') {
        const input = JSON.stringify(event.state.input ?? null);
        run.currentInput = input;
        const skip = first && run.skipFirstEntered;
        first = false;
        if (skip) continue;
        const entered: NewEvent = { type: `${type}StateEntered`, details: { stateEnteredEventDetails: { name, input } } };
        if (type === 'Wait') {
          run.enqueue(() => this.enterWait(run, name, input, entered));
        } else {
          run.append({ events: [entered], cursor: { mode: 'enter', stateName: name, input } }).catch(() => undefined);
        }
      } else if (event.type === 'StateExited') {
        first = false;
        const output = JSON.stringify(event.state.output ?? null);
        run.append({ events: [{ type: `${type}StateExited`, details: { stateExitedEventDetails: { name, output } } }] }).catch(() => undefined);
      }
    }
  }

  /** Parks the run at a top-level Wait state with a stored wake-up time (the library sleeps until aborted). */
  private async enterWait(run: Run, name: string, input: string, entered: NewEvent): Promise<void> {
    let wakeAt: number;
    try {
      wakeAt = this.wakeTime(run.model.topLevel[name], JSON.parse(input));
    } catch (error) {
      const execution = await this.store.getExecution(run.arn);
      if (!execution || execution.runId !== run.id) throw new FencedError();
      const cause = error instanceof Error ? error.message : String(error);
      await this.close(execution, 'FAILED', this.now(), {
        set: { error: 'States.Runtime', cause },
        event: { type: 'ExecutionFailed', details: { executionFailedEventDetails: { error: 'States.Runtime', cause } } },
        redriveFrom: { stateName: name, input },
      });
      return;
    }
    const timer: TimerItem = { ...timerKey(run.arn, 'wait'), kind: 'wait', executionArn: run.arn, due: wakeAt, ...dueAttributes(wakeAt) };
    await this.store.commit(run.arn, {
      runId: run.id,
      events: [entered],
      set: { cursor: { mode: 'waiting', stateName: name, input, wakeAt } },
      extra: [this.store.putItem(timer)],
    });
    run.stop();
    this.forget(run);
    if (wakeAt <= this.now()) setImmediate(() => void this.fireDue(timer).catch(() => undefined));
  }

  private wakeTime(state: StateDefinition, rawInput: unknown): number {
    const input = applyInputPath(state, rawInput);
    const seconds = (value: unknown, path: string) => {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new Error(`${path} must be a non-negative integer`);
      return this.now() + value * 1000;
    };
    const timestamp = (value: unknown, path: string) => {
      const time = typeof value === 'string' ? Date.parse(value) : NaN;
      if (Number.isNaN(time)) throw new Error(`${path} must be an RFC 3339 timestamp`);
      return time;
    };
    if (state.Seconds !== undefined) return seconds(state.Seconds, 'Seconds');
    if (state.Timestamp !== undefined) return timestamp(state.Timestamp, 'Timestamp');
    if (state.SecondsPath !== undefined) return seconds(readPath(state.SecondsPath, input), 'SecondsPath');
    if (state.TimestampPath !== undefined) return timestamp(readPath(state.TimestampPath, input), 'TimestampPath');
    return this.now();
  }

  private waitOverrides(run: Run): Record<string, number> {
    const overrides: Record<string, number> = {};
    for (const name of run.model.durableWaits) {
      Object.defineProperty(overrides, name, {
        enumerable: true,
        // Read once per Wait execution: the resumed Wait passes through once, any later visit parks again.
        get: () => {
          if (name === run.startState && run.replay?.kind === 'wait') {
            run.replay = undefined;
            return 0;
          }
          return MAX_TIMER_MS;
        },
      });
    }
    return overrides;
  }

  private contextFor(run: Run): Record<string, unknown> {
    const { execution, model } = run;
    return {
      Execution: {
        Id: execution.executionArn,
        Name: execution.name,
        RoleArn: this.roleArn(model.arn),
        StartTime: new Date(execution.startDate).toISOString(),
        RedriveCount: execution.redriveCount ?? 0,
        ...(execution.redriveDate !== undefined ? { RedriveTime: new Date(execution.redriveDate).toISOString() } : {}),
      },
      StateMachine: { Id: model.arn, Name: model.name },
      Task: {
        get Token() {
          run.pendingToken ??= newToken();
          return run.pendingToken;
        },
      },
    };
  }

  private taskHandlers(run: Run): Record<string, (input: unknown) => Promise<never>> {
    const handlers: Record<string, (input: unknown) => Promise<never>> = {};
    for (const [name, task] of run.model.tasks) {
      const handler = task.nested
        ? (input: unknown) => this.runNestedTask(run, task.kind, task.state, input)
        : task.kind === 'lambda-callback'
          ? (input: unknown) => this.runCallbackTask(run, name, task.state, input)
          : (input: unknown) => this.runLambdaTask(run, task.kind, task.state, input);
      // The library's types want JSON values; the handlers return what the functions returned.
      handlers[name] = handler as (input: unknown) => Promise<never>;
    }
    return handlers;
  }

  private async invoke(functionName: unknown, payload: unknown): Promise<InvokeResult> {
    try {
      return await this.invoker.invoke(String(functionName), payload ?? null);
    } catch (error) {
      return { ok: false, errorType: error instanceof Error ? error.name : 'Error', errorMessage: error instanceof Error ? error.message : String(error) };
    }
  }

  private target(kind: TaskKind, state: StateDefinition, input: unknown): { functionName: unknown; payload: unknown } {
    if (kind === 'lambda-function') return { functionName: state.Resource, payload: input };
    const parameters = (input ?? {}) as { FunctionName?: unknown; Payload?: unknown };
    return { functionName: parameters.FunctionName, payload: parameters.Payload };
  }

  private taskResult(kind: TaskKind, result: unknown): unknown {
    return kind === 'lambda-invoke' ? { ExecutedVersion: '$LATEST', Payload: result ?? null, StatusCode: 200 } : (result ?? null);
  }

  private async runNestedTask(run: Run, kind: TaskKind, state: StateDefinition, input: unknown): Promise<unknown> {
    if (!run.active) throw new RunAbandonedError();
    const { functionName, payload } = this.target(kind, state, input);
    const result = await this.invoke(functionName, payload);
    if (!run.active) throw new RunAbandonedError();
    if (!result.ok) throw stateError(result.errorType, lambdaCause(result.errorType, result.errorMessage));
    return this.taskResult(kind, result.result);
  }

  private async runLambdaTask(run: Run, kind: TaskKind, state: StateDefinition, input: unknown): Promise<unknown> {
    await run.caughtUp();
    const { functionName, payload } = this.target(kind, state, input);
    const json = JSON.stringify(input ?? null);
    const asFunction = kind === 'lambda-function';
    const resource = { resourceType: 'lambda', resource: 'invoke' };
    // Awaited: a run fenced off by another one must not invoke the function.
    await run.append({
      events: asFunction
        ? [{ type: 'LambdaFunctionScheduled', details: { lambdaFunctionScheduledEventDetails: { resource: state.Resource, input: json } } }, { type: 'LambdaFunctionStarted' }]
        : [
            { type: 'TaskScheduled', details: { taskScheduledEventDetails: { ...resource, region: this.region(run.model.arn), parameters: json } } },
            { type: 'TaskStarted', details: { taskStartedEventDetails: resource } },
          ],
    });
    const result = await this.invoke(functionName, payload);
    if (!run.active) throw new RunAbandonedError();
    // Not awaited: the result event goes out with the next checkpoint; a crash before it re-runs this state.
    if (result.ok) {
      const output = this.taskResult(kind, result.result);
      const text = JSON.stringify(output);
      run
        .append({
          events: [
            asFunction
              ? { type: 'LambdaFunctionSucceeded', details: { lambdaFunctionSucceededEventDetails: { output: text } } }
              : { type: 'TaskSucceeded', details: { taskSucceededEventDetails: { ...resource, output: text } } },
          ],
        })
        .catch(() => undefined);
      return output;
    }
    const cause = lambdaCause(result.errorType, result.errorMessage);
    run
      .append({
        events: [
          asFunction
            ? { type: 'LambdaFunctionFailed', details: { lambdaFunctionFailedEventDetails: { error: result.errorType, cause } } }
            : { type: 'TaskFailed', details: { taskFailedEventDetails: { ...resource, error: result.errorType, cause } } },
        ],
      })
      .catch(() => undefined);
    throw stateError(result.errorType, cause);
  }

  /**
   * A `.waitForTaskToken` task: stores the token (before the function can hand it out), invokes the
   * function, then parks: the run stops and the execution waits in the store for SendTask* or a deadline.
   */
  private async runCallbackTask(run: Run, name: string, state: StateDefinition, input: unknown): Promise<unknown> {
    const token = run.pendingToken ?? newToken();
    run.pendingToken = undefined;
    await run.caughtUp();
    if (run.replay && run.replay.kind !== 'wait' && name === run.startState) {
      const replay = run.replay;
      run.replay = undefined;
      return await this.replayOutcome(replay);
    }
    const existing = await this.store.getToken(token);
    if (existing?.status === 'DONE' && existing.outcome) return await this.replayOutcome(existing.outcome);
    const rawInput = run.currentInput;
    let timeoutSeconds: number | undefined;
    let heartbeatSeconds: number | undefined;
    try {
      const effective = applyInputPath(state, JSON.parse(rawInput));
      timeoutSeconds = positiveSeconds(state.TimeoutSeconds, state.TimeoutSecondsPath, effective, 'TimeoutSeconds');
      heartbeatSeconds = positiveSeconds(state.HeartbeatSeconds, state.HeartbeatSecondsPath, effective, 'HeartbeatSeconds');
    } catch (error) {
      throw stateError('States.Runtime', error instanceof Error ? error.message : String(error), { catchable: false });
    }
    const now = existing?.createdAt ?? this.now();
    const deadline = existing ? existing.deadline : timeoutSeconds !== undefined ? now + timeoutSeconds * 1000 : undefined;
    const heartbeatDeadline = existing ? existing.heartbeatDeadline : heartbeatSeconds !== undefined ? now + heartbeatSeconds * 1000 : undefined;
    const due = Math.min(deadline ?? Infinity, heartbeatDeadline ?? Infinity);
    const item: TokenItem = {
      ...tokenKey(token),
      kind: 'token',
      token,
      executionArn: run.arn,
      stateName: name,
      input: rawInput,
      status: 'PARKED',
      createdAt: now,
      deadline,
      heartbeatSeconds,
      heartbeatDeadline,
      ...(Number.isFinite(due) ? dueAttributes(due) : {}),
    };
    await run.append({
      events: [
        {
          type: 'TaskScheduled',
          details: {
            taskScheduledEventDetails: {
              ...CALLBACK_RESOURCE,
              region: this.region(run.model.arn),
              parameters: JSON.stringify(input ?? null),
              timeoutInSeconds: timeoutSeconds,
              heartbeatInSeconds: heartbeatSeconds,
            },
          },
        },
        { type: 'TaskStarted', details: { taskStartedEventDetails: CALLBACK_RESOURCE } },
      ],
      cursor: { mode: 'enter', stateName: name, input: rawInput, token },
      extra: existing ? [] : [this.store.putItem(item, 'attribute_not_exists(pk)')],
    });
    const { functionName, payload } = this.target('lambda-callback', state, input);
    const result = await this.invoke(functionName, payload);
    let outcome: Outcome | undefined;
    await run.write(async () => {
      for (;;) {
        const stored = await this.store.getToken(token);
        // A callback or a deadline may arrive while the function still runs: it decides the state.
        if (stored?.status === 'DONE') {
          outcome = stored.outcome;
          return;
        }
        try {
          if (!result.ok) {
            const failure: Outcome = { kind: 'failure', error: result.errorType, cause: lambdaCause(result.errorType, result.errorMessage) };
            await this.store.commit(run.arn, {
              runId: run.id,
              events: [{ type: 'TaskFailed', details: { taskFailedEventDetails: { ...CALLBACK_RESOURCE, error: failure.error, cause: failure.cause } } }],
              extra: [this.store.completeTokenItem(token, failure)],
            });
            outcome = failure;
            return;
          }
          await this.store.commit(run.arn, {
            runId: run.id,
            events: [{ type: 'TaskSubmitted', details: { taskSubmittedEventDetails: { ...CALLBACK_RESOURCE, output: JSON.stringify(result.result ?? null) } } }],
            set: { cursor: { mode: 'parked', stateName: name, input: rawInput, token } },
            extra: [this.store.tokenParkedCheck(token)],
          });
          run.stop();
          this.forget(run);
          return;
        } catch (error) {
          if (!(error instanceof CommitConflictError)) throw error;
        }
      }
    });
    if (!outcome) throw new RunAbandonedError();
    return await this.replayOutcome(outcome);
  }

  private async replayOutcome(outcome: Outcome): Promise<unknown> {
    switch (outcome.kind) {
      case 'success':
        return JSON.parse(outcome.output);
      case 'failure':
        throw stateError(outcome.error, outcome.cause);
      case 'timeout':
        throw await statesTimeoutError();
      default:
        throw stateError('States.Runtime', 'Unexpected replay of a Wait outcome at a Task state', { catchable: false });
    }
  }

  // ---- callbacks, timers, recovery --------------------------------------------------------------

  /** Records the outcome of a parked (or still running) callback task and resumes its execution. */
  private async completeToken(taskToken: string, outcome: Outcome, options: { deadline?: boolean } = {}): Promise<void> {
    this.requireStarted();
    const token = await this.requireToken(taskToken);
    let resume: ExecutionItem | undefined;
    await this.locks.run(token.executionArn, async () => {
      const stored = await this.store.getToken(token.token);
      if (stored?.status !== 'PARKED') throw new SfnError('TaskTimedOut', 'Task Timed Out');
      if (options.deadline && Math.min(stored.deadline ?? Infinity, stored.heartbeatDeadline ?? Infinity) > this.now()) return;
      const execution = await this.store.getExecution(stored.executionArn);
      if (!execution || !this.isLive(execution, stored.token)) {
        // The execution ended or moved on (a re-run after a crash hands out a new token).
        await this.store.updateToken(stored.token, { set: { status: 'DONE' }, remove: ['duePk', 'dueSk'] });
        throw new SfnError('TaskTimedOut', 'Task Timed Out');
      }
      // A run of this process still inside the task takes the outcome itself; otherwise start one.
      const takeOver = execution.cursor?.mode === 'parked' || !this.runs.has(execution.executionArn);
      const runId = takeOver ? randomUUID() : execution.runId;
      const event: NewEvent =
        outcome.kind === 'success'
          ? { type: 'TaskSucceeded', details: { taskSucceededEventDetails: { ...CALLBACK_RESOURCE, output: outcome.output } } }
          : outcome.kind === 'failure'
            ? { type: 'TaskFailed', details: { taskFailedEventDetails: { ...CALLBACK_RESOURCE, error: outcome.error, cause: outcome.cause } } }
            : { type: 'TaskTimedOut', details: { taskTimedOutEventDetails: { ...CALLBACK_RESOURCE, error: 'States.Timeout' } } };
      const cursor: Cursor = { mode: 'resume', stateName: stored.stateName, input: stored.input, outcome };
      try {
        const updated = await this.store.commit(execution.executionArn, {
          runId: execution.runId,
          events: [event],
          set: { runId, cursor },
          extra: [this.store.completeTokenItem(stored.token, outcome)],
        });
        if (takeOver) resume = updated;
      } catch (error) {
        if (error instanceof CommitConflictError || error instanceof FencedError) throw new SfnError('TaskTimedOut', 'Task Timed Out');
        throw error;
      }
    });
    if (resume) this.launch(resume);
  }

  private isLive(execution: ExecutionItem | undefined, token: string): boolean {
    const cursor = execution?.cursor;
    return execution?.status === 'RUNNING' && (cursor?.mode === 'enter' || cursor?.mode === 'parked') && cursor.token === token;
  }

  private async requireToken(taskToken: unknown): Promise<TokenItem> {
    if (typeof taskToken !== 'string' || taskToken.length < 1 || taskToken.length > 2048) throw new SfnError('InvalidToken', 'Invalid Token');
    const token = await this.store.getToken(taskToken);
    if (!token) throw new SfnError('InvalidToken', 'Invalid Token');
    return token;
  }

  private requireMachine(stateMachineArn: unknown): MachineModel {
    const arn = requireArn(stateMachineArn, 'stateMachine');
    const model = this.machines.get(arn);
    if (!model) throw new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return model;
  }

  /** Whether RedriveExecution would accept the execution now; `reason` says why not, in AWS's words. */
  private redrivability(execution: ExecutionItem): { reason?: string } {
    if (execution.status === 'RUNNING' || execution.status === 'SUCCEEDED') return { reason: `Execution is ${execution.status} and cannot be redriven` };
    // Closed by an engine that did not record restart points yet.
    if (!execution.redriveFrom) return { reason: 'Execution was started before the launch of RedriveExecution' };
    if (!this.machines.has(execution.stateMachineArn)) return { reason: 'State machine is not registered' };
    if ((execution.stopDate ?? 0) + REDRIVABLE_PERIOD_MS < this.now()) return { reason: 'Execution redrivable period exceeded' };
    return {};
  }

  /** The machine's creation and update dates: stored once, and the update date moves when its definition changes. */
  private datesOf(stateMachineArn: string): Promise<{ creationDate: number; updateDate: number }> {
    let dates = this.machineDates.get(stateMachineArn);
    if (!dates) {
      dates = this.syncMachine(stateMachineArn);
      this.machineDates.set(stateMachineArn, dates);
      dates.catch(() => this.machineDates.delete(stateMachineArn));
    }
    return dates;
  }

  private async syncMachine(stateMachineArn: string): Promise<{ creationDate: number; updateDate: number }> {
    const definition = this.registrations.get(stateMachineArn)!.definition;
    for (;;) {
      const stored = await this.store.getMachine(stateMachineArn);
      if (stored?.definition === definition) return stored;
      const now = this.now();
      const item: MachineItem = { ...machineKey(stateMachineArn), kind: 'machine', stateMachineArn, definition, creationDate: stored?.creationDate ?? now, updateDate: now };
      if (await this.store.putMachine(item, stored)) return item;
    }
  }

  private async requireExecution(executionArn: unknown): Promise<ExecutionItem> {
    const arn = requireArn(executionArn, 'execution');
    const item = await this.store.getExecution(arn);
    if (!item) throw new SfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return item;
  }

  /** Ends an execution (caller holds its lock): status, event, no more cursor, timers removed, local run stopped. */
  private async close(
    execution: ExecutionItem,
    status: Exclude<ExecutionStatus, 'RUNNING'>,
    stopDate: number,
    change: { set: Partial<ExecutionItem>; event: NewEvent; redriveFrom?: ExecutionItem['redriveFrom'] },
  ): Promise<void> {
    // A redrive restarts at the state the execution was in (its last checkpoint, or the state that could not start).
    const from = change.redriveFrom ?? execution.cursor;
    const redriveFrom = status !== 'SUCCEEDED' && from ? { stateName: from.stateName, input: from.input } : undefined;
    await this.store.commit(execution.executionArn, {
      runId: execution.runId,
      events: [change.event],
      set: { ...change.set, status, stopDate, runId: randomUUID(), redriveFrom },
      remove: ['cursor', 'runningPk', 'runningSk'],
      extra: [this.store.deleteItemOp(timerKey(execution.executionArn, 'wait')), this.store.deleteItemOp(timerKey(execution.executionArn, 'executionTimeout'))],
    });
    const run = this.runs.get(execution.executionArn);
    if (run) {
      run.stop();
      this.forget(run);
    }
  }

  private async recover(execution: ExecutionItem): Promise<void> {
    const cursor = execution.cursor;
    if (this.runs.has(execution.executionArn) || !cursor || (cursor.mode !== 'enter' && cursor.mode !== 'resume')) return;
    if (!this.machines.has(execution.stateMachineArn)) {
      console.warn(`stepfunctions: ${execution.executionArn} is RUNNING but its state machine is not registered; not resumed`);
      return;
    }
    try {
      const claimed = await this.locks.run(execution.executionArn, () =>
        this.store.commit(execution.executionArn, { runId: execution.runId, set: { runId: randomUUID() } }),
      );
      this.launch(claimed);
    } catch (error) {
      if (!(error instanceof FencedError)) throw error;
    }
  }

  private scheduleTick(): void {
    if (this.stopped) return;
    this.tickTimer = setTimeout(() => {
      this.ticking = this.tick().finally(() => {
        this.ticking = undefined;
        this.scheduleTick();
      });
    }, this.tickMs);
    this.tickTimer.unref();
  }

  private async tick(): Promise<void> {
    try {
      const due = await this.store.dueItems();
      await Promise.all(due.map((item) => this.fireDue(item).catch(() => undefined)));
    } catch (error) {
      console.error(`stepfunctions: deadline loop failed: ${error instanceof Error ? error.name : typeof error}`);
    }
  }

  private async fireDue(item: TokenItem | TimerItem): Promise<void> {
    if (this.stopped) return;
    if (item.kind === 'token') {
      await this.completeToken(item.token, { kind: 'timeout' }, { deadline: true });
      return;
    }
    let resume: ExecutionItem | undefined;
    await this.locks.run(item.executionArn, async () => {
      const execution = await this.store.getExecution(item.executionArn);
      const key = timerKey(item.executionArn, item.kind);
      if (!execution || execution.status !== 'RUNNING') {
        await this.store.deleteItem(key);
        return;
      }
      if (item.kind === 'executionTimeout') {
        const since = execution.redriveDate ?? execution.startDate;
        if (since + (this.machines.get(execution.stateMachineArn)?.timeoutSeconds ?? 0) * 1000 > this.now()) return;
        await this.close(execution, 'TIMED_OUT', this.now(), {
          set: { error: 'States.Timeout' },
          event: { type: 'ExecutionTimedOut', details: { executionTimedOutEventDetails: { error: 'States.Timeout' } } },
        });
        return;
      }
      const cursor = execution.cursor;
      if (cursor?.mode !== 'waiting') {
        await this.store.deleteItem(key);
        return;
      }
      if (cursor.wakeAt > this.now()) return;
      resume = await this.store.commit(execution.executionArn, {
        runId: execution.runId,
        set: { runId: randomUUID(), cursor: { mode: 'resume', stateName: cursor.stateName, input: cursor.input, outcome: { kind: 'wait' } } },
        extra: [this.store.deleteItemOp(key)],
      });
    });
    if (resume) this.launch(resume);
  }

  private requireStarted(): void {
    if (!this.started) throw new Error('LocalStepFunctions: call start() first');
  }

  private arnParts(stateMachineArn: string): { region: string; account: string } {
    const [, , , region, account] = stateMachineArn.split(':');
    return { region: this.options.region ?? region ?? 'us-east-1', account: this.options.accountId ?? account ?? '000000000000' };
  }

  private region(stateMachineArn: string): string {
    return this.arnParts(stateMachineArn).region;
  }

  private roleArn(stateMachineArn: string): string {
    return this.registrations.get(stateMachineArn)?.roleArn ?? `arn:aws:iam::${this.arnParts(stateMachineArn).account}:role/local-stepfunctions`;
  }

  private executionArn(stateMachineArn: string, machineName: string, name: string): string {
    const { region, account } = this.arnParts(stateMachineArn);
    return `arn:aws:states:${region}:${account}:execution:${machineName}:${name}`;
  }
}

function positiveSeconds(value: number | undefined, path: string | undefined, input: unknown, field: string): number | undefined {
  const seconds = path !== undefined ? readPath(path, input) : value;
  if (seconds === undefined) return undefined;
  if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 1) throw new Error(`${field} must be a positive integer`);
  return seconds;
}
