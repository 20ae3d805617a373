import { randomUUID } from 'node:crypto';
import { SfnError } from './errors.js';
import { KeyedLock } from './keyed-lock.js';
import type { MachineRegistry } from './machines.js';
import { finishedMapRunItems, mapRunState, type LiveMapRun } from './map-run-status.js';
import type { Run } from './run.js';
import { timerKey, type EngineStore, type ExecutionItem, type ExecutionStatus, type NewEvent } from './store.js';
import { requireArn } from './validation.js';

/**
 * What the parts of the engine share: the store, the per-execution lock, the clock, the registered
 * machines and the runs of this process. `launch` starts a run, `launchMap` a map run and `relaunch` takes up an
 * execution a failed call dropped; the engine supplies them (runner.ts, map-runs.ts, recovery.ts), so that the modules
 * which resume executions do not import those.
 */
export class EngineCore {
  readonly locks = new KeyedLock();
  /** The in-memory run of each execution this process is running. */
  readonly runs = new Map<string, Run>();
  /** The map run of each execution this process is running a Distributed Map for. */
  readonly mapRuns = new Map<string, LiveMapRun>();
  /** Distributed Map children this process ran to their end, and the states they entered (they have no history of their own). */
  readonly mapChildren = { children: 0, statesEntered: 0 };
  started = false;
  stopped = false;

  constructor(
    readonly store: EngineStore,
    readonly machines: MachineRegistry,
    readonly now: () => number,
    readonly launch: (execution: ExecutionItem) => void,
    /** Runs the map run of an execution parked at a Distributed Map (map-runs.ts), after a restart. */
    readonly launchMap: (execution: ExecutionItem) => void,
    /**
     * After a failed DynamoDB call left an execution without a run of this process: takes it up again later if the
     * error may pass and it is still RUNNING under one of `runIds` (recovery.ts, `Relaunches`).
     */
    readonly relaunch: (executionArn: string, runIds: readonly string[], error: unknown) => void,
  ) {}

  requireStarted(): void {
    if (!this.started) throw new Error('LocalStepFunctions: call start() first');
  }

  /** The execution of an API request: InvalidArn or ExecutionDoesNotExist as AWS answers. */
  async requireExecution(executionArn: unknown): Promise<ExecutionItem> {
    const arn = requireArn(executionArn, 'execution');
    const item = await this.store.getExecution(arn);
    if (!item) throw new SfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return item;
  }

  forget(run: Run): void {
    if (this.runs.get(run.arn) === run) this.runs.delete(run.arn);
  }

  /**
   * Ends an execution (caller holds its lock): status, event, no more cursor, timers removed, local run stopped. An
   * execution parked at a Distributed Map ends its map run too: ABORTED, its children in flight aborted, recorded in
   * the same commit.
   */
  async close(
    execution: ExecutionItem,
    status: Exclude<ExecutionStatus, 'RUNNING'>,
    stopDate: number,
    change: { set: Partial<ExecutionItem>; event: NewEvent; redriveFrom?: ExecutionItem['redriveFrom'] },
  ): Promise<void> {
    // A redrive restarts at the state the execution was in (its last checkpoint, or the state that could not start).
    const from = change.redriveFrom ?? execution.cursor;
    const redriveFrom = status !== 'SUCCEEDED' && from ? { stateName: from.stateName, input: from.input } : undefined;
    const arn = execution.executionArn;
    const extra = [this.store.deleteItemOp(timerKey(arn, 'wait')), this.store.deleteItemOp(timerKey(arn, 'executionTimeout'))];
    const cursor = execution.cursor;
    if (cursor?.mode === 'mapping') {
      const spec = this.machines.model(execution.stateMachineArn)?.distributedMaps.get(cursor.stateName);
      const state = await mapRunState(this.store, arn, cursor.mapRun, { live: this.mapRuns.get(arn), spec, stopped: true });
      extra.push(...finishedMapRunItems(this.store, arn, cursor.mapRun, { status: 'ABORTED', stopDate, state }));
    }
    await this.store.commit(arn, {
      runId: execution.runId,
      events: [change.event],
      set: { ...change.set, status, stopDate, runId: randomUUID(), redriveFrom },
      remove: ['cursor', 'runningPk', 'runningSk'],
      extra,
      timestamp: stopDate,
    });
    const run = this.runs.get(execution.executionArn);
    if (run) {
      run.stop();
      this.forget(run);
    }
    this.mapRuns.get(execution.executionArn)?.stop();
    this.mapRuns.delete(execution.executionArn);
  }
}
