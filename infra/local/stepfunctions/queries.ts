import type { EngineCore } from './core.js';
import type { MachineModel } from './definition.js';
import { SfnError } from './errors.js';
import { decodeToken, encodeToken, isCount, pageSize } from './paging.js';
import { redrivability } from './redrive.js';
import type { ExecutionHeader, ExecutionStatus } from './store.js';
import type {
  ExecutionDescription,
  ExecutionListItem,
  ExecutionSummary,
  ExecutionsQuery,
  HistoryEvent,
  HistoryQuery,
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
