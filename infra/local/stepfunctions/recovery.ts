import { randomUUID } from 'node:crypto';
import type { EngineCore } from './core.js';
import { FencedError, isTransientStoreError } from './errors.js';
import type { ExecutionItem } from './store.js';

/**
 * Resumes what a previous process left RUNNING: each execution is claimed (a new run id fences off any
 * run still alive elsewhere) and run again from its last checkpoint; a Distributed Map's run goes on with the
 * children not yet recorded as finished. Parked and waiting ones stay parked.
 */
export async function recoverRunning(core: EngineCore): Promise<void> {
  for (const execution of await core.store.runningExecutions()) {
    await recover(core, execution);
  }
}

/** Cursors a run of the engine is working from: parked and waiting executions wait for a callback or their timer. */
const runnable = (execution: ExecutionItem) => execution.cursor?.mode === 'enter' || execution.cursor?.mode === 'resume' || execution.cursor?.mode === 'mapping';

async function recover(core: EngineCore, execution: ExecutionItem): Promise<void> {
  if (core.runs.has(execution.executionArn) || core.mapRuns.has(execution.executionArn) || !runnable(execution)) return;
  if (!core.machines.get(execution.stateMachineArn)) {
    console.warn(`stepfunctions: ${execution.executionArn} is RUNNING but its state machine is not registered; not resumed`);
    return;
  }
  try {
    const claimed = await core.locks.run(execution.executionArn, () =>
      core.store.commit(execution.executionArn, { runId: execution.runId, set: { runId: randomUUID() } }),
    );
    launch(core, claimed);
  } catch (error) {
    if (!(error instanceof FencedError)) throw error;
  }
}

function launch(core: EngineCore, claimed: ExecutionItem): void {
  if (claimed.cursor?.mode === 'mapping') core.launchMap(claimed);
  else core.launch(claimed);
}

/** Pauses before each attempt to take an execution up again: DynamoDB may be paused or restarting for a while. */
const RELAUNCH_DELAYS_MS = [1000, 2000, 5000, 10_000, 30_000];

/**
 * Executions that a run or map run of this process dropped when a DynamoDB call failed for a reason that may pass (a
 * request timeout, a reset connection, a server error: `isTransientStoreError`), once the SDK had retried it. Without
 * this they stayed RUNNING until the next start(): recovery ran only there, and a process runs for days. Each is taken
 * up again after a pause, as start() would take it up (claimed, then run from its last checkpoint), if it is still
 * RUNNING under a run id this process held or was writing (`runIds`: a write whose answer was lost may have been
 * applied) and nothing of this process runs it. Another process's claim fences it off. While DynamoDB still fails,
 * the next attempt comes later, for as long as the engine runs; stop() forgets them (the next start() recovers all).
 */
export class Relaunches {
  private readonly pending = new Map<string, { runIds: Set<string>; attempt: number; timer?: NodeJS.Timeout }>();

  constructor(private readonly core: EngineCore) {}

  /** After `error` left the execution without a run: takes it up again later if the error may pass. */
  schedule(executionArn: string, runIds: readonly string[], error: unknown): void {
    if (this.core.stopped || !isTransientStoreError(error)) return;
    const entry = this.pending.get(executionArn);
    if (entry) {
      for (const runId of runIds) entry.runIds.add(runId);
      return;
    }
    this.arm(executionArn, { runIds: new Set(runIds), attempt: 0 });
  }

  stop(): void {
    for (const entry of this.pending.values()) clearTimeout(entry.timer);
    this.pending.clear();
  }

  private arm(executionArn: string, entry: { runIds: Set<string>; attempt: number; timer?: NodeJS.Timeout }): void {
    const delay = RELAUNCH_DELAYS_MS[Math.min(entry.attempt, RELAUNCH_DELAYS_MS.length - 1)]!;
    entry.timer = setTimeout(() => void this.fire(executionArn, entry), delay);
    entry.timer.unref();
    this.pending.set(executionArn, entry);
  }

  private async fire(executionArn: string, entry: { runIds: Set<string>; attempt: number; timer?: NodeJS.Timeout }): Promise<void> {
    if (this.core.stopped || this.pending.get(executionArn) !== entry) return;
    try {
      await this.relaunch(executionArn, entry.runIds);
      if (this.pending.get(executionArn) === entry) this.pending.delete(executionArn);
    } catch (error) {
      if (this.core.stopped || this.pending.get(executionArn) !== entry) return;
      if (!isTransientStoreError(error)) {
        this.pending.delete(executionArn);
        console.error(`stepfunctions: ${executionArn} not taken up again: ${error instanceof Error ? error.name : typeof error}; the next start() resumes it`);
        return;
      }
      entry.attempt++;
      this.arm(executionArn, entry);
    }
  }

  private async relaunch(executionArn: string, runIds: ReadonlySet<string>): Promise<void> {
    const { core } = this;
    const busy = () => core.stopped || core.runs.get(executionArn)?.active === true || core.mapRuns.has(executionArn);
    if (busy()) return;
    let claimed: ExecutionItem | undefined;
    try {
      claimed = await core.locks.run(executionArn, async () => {
        const execution = await core.store.getExecution(executionArn);
        if (busy() || !execution || execution.status !== 'RUNNING' || !runIds.has(execution.runId) || !runnable(execution)) return undefined;
        return await core.store.commit(executionArn, { runId: execution.runId, set: { runId: randomUUID() } });
      });
    } catch (error) {
      if (error instanceof FencedError) return;
      throw error;
    }
    if (!claimed || core.stopped) return;
    console.warn(`stepfunctions: ${executionArn} taken up again from its last checkpoint after a failed call to DynamoDB`);
    launch(core, claimed);
  }
}
