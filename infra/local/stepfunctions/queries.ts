import type { EngineCore } from './core.js';
import type { MachineModel } from './definition.js';
import { SfnError } from './errors.js';
import { countMapRun, mapRunState, type MapRunState } from './map-run-status.js';
import { decodeToken, encodeToken, isCount, pageSize } from './paging.js';
import { redrivability } from './redrive.js';
import { requireArn } from './validation.js';
import { mapRunRefKey, type ExecutionHeader, type ExecutionStatus, type MapRunCounts, type MapRunStatus } from './store.js';
import type {
  ExecutionDescription,
  ExecutionListItem,
  ExecutionSummary,
  ExecutionsQuery,
  HistoryEvent,
  HistoryQuery,
  MapRunCountsDescription,
  MapRunDescription,
  MapRunListItem,
  StateMachineDescription,
  StateMachineForExecution,
  StateMachineListItem,
} from './types.js';

/** Status filters AWS accepts; PENDING_REDRIVE never matches here (a local redrive is RUNNING at once). */
const STATUS_FILTERS = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'];
const REDRIVE_FILTERS = ['REDRIVEN', 'NOT_REDRIVEN'];
const withoutExecutionData = (details: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(details).map(([key, value]) => {
      if (!value || typeof value !== 'object') return [key, value];
      const { input: _input, output: _output, ...rest } = value as Record<string, unknown>;
      return [key, rest];
    }),
  );

/** The events that end a map run: its own, or the execution's end while it ran (its map run is aborted then). */
const MAP_RUN_ENDS: Record<string, Exclude<MapRunStatus, 'RUNNING'>> = {
  MapRunSucceeded: 'SUCCEEDED',
  MapRunFailed: 'FAILED',
  MapRunAborted: 'ABORTED',
  ExecutionAborted: 'ABORTED',
  ExecutionTimedOut: 'ABORTED',
  ExecutionFailed: 'ABORTED',
  ExecutionSucceeded: 'ABORTED',
};
/** Events read per query when the history is searched for map runs. */
const HISTORY_PAGE = 1000;
/** DynamoDB refuses to read a partition key of more bytes (a map run ARN may have 2,000 characters, of up to 3 bytes each). */
const MAX_PARTITION_KEY_BYTES = 2048;

/** A map run as the history tells it: its MapRunStarted event and the event that ended it, if any. */
interface MapRunSpan {
  eventId: number;
  mapRunArn: string;
  startDate: number;
  stopDate?: number;
  status: MapRunStatus;
}

const isExecutionPosition = (value: unknown): value is { a: string; t: string } =>
  !!value && typeof value === 'object' && typeof (value as { a?: unknown }).a === 'string' && typeof (value as { t?: unknown }).t === 'string';

/** The read operations of the API: executions, their histories and the state machines, paged as AWS pages them. */
export class Queries {
  constructor(private readonly core: EngineCore) {}

  async describeExecution(input: { executionArn: string }): Promise<ExecutionDescription> {
    this.core.requireStarted();
    const item = await this.core.requireExecution(input.executionArn);
    const redrive = redrivability(item, this.core);
    return {
      ...executionSummary(item),
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
    this.core.requireStarted();
    const size = pageSize(input.maxResults);
    const after = decodeToken(input.nextToken, 'ListStateMachines', (value): value is string => typeof value === 'string');
    const keyOf = (model: MachineModel) => `${model.name}#${model.arn}`;
    const models = this.core.machines
      .all()
      .map((machine) => machine.model)
      .sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1))
      .filter((model) => after === undefined || keyOf(model) > after);
    const page = models.slice(0, size);
    const stateMachines = await Promise.all(
      page.map(async (model) => ({
        stateMachineArn: model.arn,
        name: model.name,
        type: 'STANDARD' as const,
        creationDate: new Date((await this.core.machines.datesOf(model.arn)).creationDate),
      })),
    );
    return { stateMachines, ...(models.length > size ? { nextToken: encodeToken('ListStateMachines', keyOf(page.at(-1)!)) } : {}) };
  }

  async describeStateMachine(input: { stateMachineArn: string }): Promise<StateMachineDescription> {
    this.core.requireStarted();
    const machine = this.core.machines.require(input.stateMachineArn);
    return {
      stateMachineArn: machine.model.arn,
      name: machine.model.name,
      status: 'ACTIVE',
      definition: machine.definition,
      roleArn: machine.roleArn,
      type: 'STANDARD',
      creationDate: new Date((await this.core.machines.datesOf(machine.model.arn)).creationDate),
      loggingConfiguration: machine.loggingConfiguration,
      tracingConfiguration: { enabled: false },
    };
  }

  /** The state machine an execution belongs to (its current definition: the engine keeps no versions). */
  async describeStateMachineForExecution(input: { executionArn: string }): Promise<StateMachineForExecution> {
    this.core.requireStarted();
    const execution = await this.core.requireExecution(input.executionArn);
    const machine = this.core.machines.get(execution.stateMachineArn);
    if (!machine) throw new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${execution.stateMachineArn}'`);
    return {
      stateMachineArn: machine.model.arn,
      name: machine.model.name,
      definition: machine.definition,
      roleArn: machine.roleArn,
      updateDate: new Date((await this.core.machines.datesOf(machine.model.arn)).updateDate),
      loggingConfiguration: machine.loggingConfiguration,
      tracingConfiguration: { enabled: false },
    };
  }

  /** One page of the history, oldest first unless `reverseOrder`; `includeExecutionData: false` leaves out inputs and outputs. */
  async getExecutionHistory(input: HistoryQuery): Promise<{ events: HistoryEvent[]; nextToken?: string }> {
    this.core.requireStarted();
    const size = pageSize(input.maxResults);
    const execution = await this.core.requireExecution(input.executionArn);
    const reverse = input.reverseOrder === true;
    const scope = `GetExecutionHistory|${execution.executionArn}|${reverse}`;
    const afterId = decodeToken(input.nextToken, scope, isCount);
    const page = await this.core.store.eventsPage(execution.executionArn, { limit: size, reverse, afterId });
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
  async listExecutions(input: ExecutionsQuery): Promise<{ executions: ExecutionListItem[]; nextToken?: string }> {
    this.core.requireStarted();
    const { model } = this.core.machines.require(input.stateMachineArn);
    const machineArn = model.arn;
    const size = pageSize(input.maxResults);
    const enumValue = (field: string, value: string | undefined, allowed: string[]) => {
      if (value !== undefined && !allowed.includes(value)) {
        throw new SfnError('ValidationException', `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`);
      }
    };
    enumValue('statusFilter', input.statusFilter, STATUS_FILTERS);
    enumValue('redriveFilter', input.redriveFilter, REDRIVE_FILTERS);
    const scope = `ListExecutions|${machineArn}|${input.statusFilter ?? ''}|${input.redriveFilter ?? ''}`;
    // The position is the start key of a query: only one of this machine's executions, as a token of ours names it (an
    // empty or made-up key would have DynamoDB refuse the query).
    const isPosition = (value: unknown): value is { a: string; t: string } => {
      if (!isExecutionPosition(value)) return false;
      const name = /^\d{16}#(.+)$/s.exec(value.t)?.[1];
      return name !== undefined && value.a === this.core.machines.executionArn(machineArn, model.name, name);
    };
    const after = decodeToken(input.nextToken, scope, isPosition);
    if (input.statusFilter === 'PENDING_REDRIVE') return { executions: [] };
    const page = await this.core.store.executionsPage(machineArn, {
      limit: size,
      after: after && { executionArn: after.a, machineSk: after.t },
      status: input.statusFilter as ExecutionStatus | undefined,
      redriven: input.redriveFilter === undefined ? undefined : input.redriveFilter === 'REDRIVEN',
    });
    const last = page.items.at(-1);
    return {
      executions: page.items.map((item) => ({
        ...executionSummary(item),
        redriveCount: item.redriveCount ?? 0,
        ...(item.redriveDate !== undefined ? { redriveDate: new Date(item.redriveDate) } : {}),
      })),
      ...(page.more && last ? { nextToken: encodeToken(scope, { a: last.executionArn, t: last.machineSk }) } : {}),
    };
  }

  /**
   * One page of the map runs an execution started, in the order they started, read from its history (a MapRunStarted
   * event each; the event that ended one gives its stop date). The token is the last listed MapRunStarted event's id.
   */
  async listMapRuns(input: { executionArn: string; maxResults?: number; nextToken?: string }): Promise<{ mapRuns: MapRunListItem[]; nextToken?: string }> {
    this.core.requireStarted();
    const size = pageSize(input.maxResults);
    const execution = await this.core.requireExecution(input.executionArn);
    const scope = `ListMapRuns|${execution.executionArn}`;
    const afterId = decodeToken(input.nextToken, scope, isCount);
    const spans = await this.mapRunSpans(execution.executionArn, { afterId, limit: size + 1 });
    const page = spans.slice(0, size);
    return {
      mapRuns: page.map((span) => ({
        executionArn: execution.executionArn,
        mapRunArn: span.mapRunArn,
        stateMachineArn: execution.stateMachineArn,
        startDate: new Date(span.startDate),
        ...(span.stopDate !== undefined ? { stopDate: new Date(span.stopDate) } : {}),
      })),
      ...(spans.length > size ? { nextToken: encodeToken(scope, page.at(-1)!.eventId) } : {}),
    };
  }

  /**
   * A map run's status, settings and counts: while it runs, from its execution's cursor and the live map run of this
   * process (else the children the store recorded); once it ended, from the record kept in the commit that ended it.
   */
  async describeMapRun(input: { mapRunArn: string }): Promise<MapRunDescription> {
    this.core.requireStarted();
    const mapRunArn = requireArn(input.mapRunArn, 'mapRun');
    const notFound = () => new SfnError('ResourceNotFound', `Resource Not Found: '${mapRunArn}'`);
    if (Buffer.byteLength(mapRunRefKey(mapRunArn).pk) > MAX_PARTITION_KEY_BYTES) throw notFound();
    const { store } = this.core;
    // A map run started by an engine before DescribeMapRun has no reference item: found while it runs (its cursor).
    const executionArn = (await store.mapRunExecution(mapRunArn)) ?? (await store.runningMapRunExecution(mapRunArn));
    const execution = executionArn === undefined ? undefined : await store.getExecution(executionArn);
    if (!execution) throw notFound();
    const run = { mapRunArn, executionArn: execution.executionArn };
    const cursor = execution.cursor;
    if (cursor?.mode === 'mapping' && cursor.mapRun.arn === mapRunArn) {
      const spec = this.core.machines.model(execution.stateMachineArn)?.distributedMaps.get(cursor.stateName);
      const state = await mapRunState(store, execution.executionArn, cursor.mapRun, { live: this.core.mapRuns.get(execution.executionArn), spec });
      return mapRunDescription({ ...run, status: 'RUNNING', startDate: cursor.mapRun.startDate }, state);
    }
    const mapRunId = mapRunArn.split(':').at(-1)!;
    const record = await store.getMapRunRecord(execution.executionArn, mapRunId);
    if (record?.mapRunArn === mapRunArn) return mapRunDescription({ ...run, ...record, status: record.status }, record);
    // Ended without a record (by an engine before DescribeMapRun): what its history and its recorded children tell.
    const span = (await this.mapRunSpans(execution.executionArn, {})).find((candidate) => candidate.mapRunArn === mapRunArn);
    if (!span) throw notFound();
    const finished = await store.mapResults(execution.executionArn, mapRunId);
    const counts = countMapRun({ finished: finished.values(), running: [], itemsOf: (result) => result.items ?? 1 });
    const status = span.status === 'RUNNING' ? 'ABORTED' : span.status;
    return mapRunDescription({ ...run, status, startDate: span.startDate, stopDate: span.stopDate }, { limits: { maxConcurrency: 0 }, ...counts });
  }

  /** The map runs of an execution's history after the event `afterId`, in order, `limit` at most. */
  private async mapRunSpans(executionArn: string, options: { afterId?: number; limit?: number }): Promise<MapRunSpan[]> {
    const spans: MapRunSpan[] = [];
    let open: MapRunSpan | undefined;
    let afterId = options.afterId;
    for (;;) {
      const page = await this.core.store.eventsPage(executionArn, { limit: HISTORY_PAGE, reverse: false, afterId });
      for (const event of page.events) {
        if (event.type === 'MapRunStarted') {
          const arn = (event.details?.mapRunStartedEventDetails as { mapRunArn?: unknown } | undefined)?.mapRunArn;
          if (typeof arn !== 'string') continue;
          open = { eventId: event.id, mapRunArn: arn, startDate: event.timestamp, status: 'RUNNING' };
          spans.push(open);
          // Map runs follow one another: the ones before this one have ended.
          if (spans.length === options.limit) return spans;
        } else if (open && Object.hasOwn(MAP_RUN_ENDS, event.type)) {
          open.stopDate = event.timestamp;
          open.status = MAP_RUN_ENDS[event.type]!;
          open = undefined;
        }
      }
      if (!page.more || page.events.length === 0) return spans;
      afterId = page.events.at(-1)!.id;
    }
  }
}

function mapRunCounts(counts: MapRunCounts): MapRunCountsDescription {
  const { pending, running, succeeded, failed, timedOut, aborted, total, resultsWritten } = counts;
  return { pending, running, succeeded, failed, timedOut, aborted, total, resultsWritten, failuresNotRedrivable: 0, pendingRedrive: 0 };
}

function mapRunDescription(
  run: { mapRunArn: string; executionArn: string; status: MapRunStatus; startDate: number; stopDate?: number },
  state: MapRunState,
): MapRunDescription {
  return {
    mapRunArn: run.mapRunArn,
    executionArn: run.executionArn,
    status: run.status,
    startDate: new Date(run.startDate),
    ...(run.stopDate !== undefined ? { stopDate: new Date(run.stopDate) } : {}),
    maxConcurrency: state.limits.maxConcurrency,
    toleratedFailurePercentage: state.limits.toleratedFailurePercentage ?? 0,
    toleratedFailureCount: state.limits.toleratedFailureCount ?? 0,
    itemCounts: mapRunCounts(state.itemCounts),
    executionCounts: mapRunCounts(state.executionCounts),
    redriveCount: 0,
  };
}

/** What DescribeExecution and ListExecutions both say of an execution. */
function executionSummary(item: ExecutionHeader): ExecutionSummary {
  return {
    executionArn: item.executionArn,
    stateMachineArn: item.stateMachineArn,
    name: item.name,
    status: item.status,
    startDate: new Date(item.startDate),
    ...(item.stopDate !== undefined ? { stopDate: new Date(item.stopDate) } : {}),
  };
}
