import { Callbacks } from './callbacks.js';
import { EngineCore } from './core.js';
import { Deadlines } from './deadlines.js';
import { startExecution, stopExecution } from './executions.js';
import { MachineRegistry } from './machines.js';
import { MapRuns } from './map-runs.js';
import { Queries } from './queries.js';
import { Relaunches, recoverRunning } from './recovery.js';
import { redriveExecution } from './redrive.js';
import { Runner } from './runner.js';
import { statesTimeoutError } from './state-errors.js';
import { EngineStore, type ExecutionStatus } from './store.js';
import { TaskRunner } from './tasks.js';
import type {
  ExecutionDescription,
  ExecutionListItem,
  ExecutionsQuery,
  HistoryEvent,
  HistoryQuery,
  LocalStepFunctionsOptions,
  MapRunDescription,
  MapRunListItem,
  StateMachineDescription,
  StateMachineForExecution,
  StateMachineListItem,
  StateMachineRegistration,
  StepFunctionsApi,
} from './types.js';
import { Waits } from './waits.js';

/**
 * A durable local Step Functions service: aws-local-stepfunctions runs the states, and this engine keeps
 * executions, checkpoints, parked callback tasks, waits and deadlines in DynamoDB so that they survive
 * a restart. See README.md for what is and is not supported, and for the module of each concern.
 */
export class LocalStepFunctions implements StepFunctionsApi {
  private readonly core: EngineCore;
  private readonly callbacks: Callbacks;
  private readonly deadlines: Deadlines;
  private readonly queries: Queries;
  private readonly runner: Runner;
  private readonly relaunches: Relaunches;

  constructor(options: LocalStepFunctionsOptions) {
    const now = options.now ?? Date.now;
    const store = new EngineStore(options.documentClient, options.tableName, now);
    const s3 = { getObject: options.s3 !== undefined, putObject: options.s3?.putObject !== undefined };
    const machines = new MachineRegistry(store, now, { region: options.region, accountId: options.accountId }, s3);
    // The runner is built last (it needs the other parts); the parts that resume executions reach it through core.launch.
    this.core = new EngineCore(
      store,
      machines,
      now,
      (execution) => this.runner.launch(execution),
      (execution) => maps.resume(execution),
      (executionArn, runIds, error) => this.relaunches.schedule(executionArn, runIds, error),
    );
    this.relaunches = new Relaunches(this.core);
    this.callbacks = new Callbacks(this.core);
    this.deadlines = new Deadlines(this.core, this.callbacks, options.tickMs ?? 1000);
    this.queries = new Queries(this.core);
    const tasks = new TaskRunner(this.core, options.invoker);
    const maps = new MapRuns(this.core, tasks, options.s3, options.mapConcurrencyLimit ?? 40);
    this.runner = new Runner(this.core, tasks, new Waits(this.core, this.deadlines), maps);
  }

  /** Adds a state machine (plain ASL after intrinsic resolution). Throws on what the local engine cannot run. */
  registerStateMachine(machine: StateMachineRegistration): void {
    this.core.machines.register(machine);
  }

  /** Creates the table if needed, resumes executions a previous process left running, starts the deadline loop. */
  async start(): Promise<void> {
    if (this.core.started) return;
    await this.core.store.ensureTable();
    await statesTimeoutError();
    this.core.started = true;
    this.core.stopped = false;
    await recoverRunning(this.core);
    this.deadlines.start();
  }

  /** Stops the loop and abandons in-flight runs: they stay RUNNING in the store and the next start() resumes them. */
  async stop(): Promise<void> {
    this.core.stopped = true;
    this.core.started = false;
    const stopping = this.deadlines.stop();
    this.relaunches.stop();
    for (const run of this.core.runs.values()) run.stop();
    this.core.runs.clear();
    for (const mapRun of [...this.core.mapRuns.values()]) mapRun.stop();
    await stopping;
  }

  startExecution(input: { stateMachineArn: string; name?: string; input?: string }): Promise<{ executionArn: string; startDate: Date }> {
    return startExecution(this.core, input);
  }

  sendTaskSuccess(input: { taskToken: string; output: string }): Promise<void> {
    return this.callbacks.sendTaskSuccess(input);
  }

  sendTaskFailure(input: { taskToken: string; error?: string; cause?: string }): Promise<void> {
    return this.callbacks.sendTaskFailure(input);
  }

  sendTaskHeartbeat(input: { taskToken: string }): Promise<void> {
    return this.callbacks.sendTaskHeartbeat(input);
  }

  describeExecution(input: { executionArn: string }): Promise<ExecutionDescription> {
    return this.queries.describeExecution(input);
  }

  /** Registered state machines by name, `maxResults` (default 100) at a time. */
  listStateMachines(input: { maxResults?: number; nextToken?: string } = {}): Promise<{ stateMachines: StateMachineListItem[]; nextToken?: string }> {
    return this.queries.listStateMachines(input);
  }

  describeStateMachine(input: { stateMachineArn: string }): Promise<StateMachineDescription> {
    return this.queries.describeStateMachine(input);
  }

  /** The state machine an execution belongs to (its current definition: the engine keeps no versions). */
  describeStateMachineForExecution(input: { executionArn: string }): Promise<StateMachineForExecution> {
    return this.queries.describeStateMachineForExecution(input);
  }

  /** One page of the history (default 100 events), oldest first unless `reverseOrder`. */
  getExecutionHistory(input: HistoryQuery): Promise<{ events: HistoryEvent[]; nextToken?: string }> {
    return this.queries.getExecutionHistory(input);
  }

  /** One page of a machine's executions (default 100), newest first. */
  listExecutions(input: ExecutionsQuery): Promise<{ executions: ExecutionListItem[]; nextToken?: string }> {
    return this.queries.listExecutions(input);
  }

  stopExecution(input: { executionArn: string; error?: string; cause?: string }): Promise<{ stopDate: Date }> {
    return stopExecution(this.core, input);
  }

  /** Restarts a FAILED, TIMED_OUT or ABORTED execution at the state it closed in; idempotent by clientToken. */
  redriveExecution(input: { executionArn: string; clientToken?: string }): Promise<{ redriveDate: Date }> {
    return redriveExecution(this.core, input);
  }

  /** One page of the map runs the execution started (default 100), in the order they started. */
  listMapRuns(input: { executionArn: string; maxResults?: number; nextToken?: string }): Promise<{ mapRuns: MapRunListItem[]; nextToken?: string }> {
    return this.queries.listMapRuns(input);
  }

  /** A map run's status, settings, and counts of its items and children. */
  describeMapRun(input: { mapRunArn: string }): Promise<MapRunDescription> {
    return this.queries.describeMapRun(input);
  }

  /**
   * Distributed Map children run to their end by this engine since it was made, and the states they entered: a child
   * keeps no history (README.md), so this is what tells its state transitions (the bench counts them per invoice).
   */
  mapChildStats(): { children: number; statesEntered: number } {
    return { ...this.core.mapChildren };
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
}
