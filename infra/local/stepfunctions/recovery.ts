import { randomUUID } from 'node:crypto';
import type { EngineCore } from './core.js';
import { FencedError } from './errors.js';
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

async function recover(core: EngineCore, execution: ExecutionItem): Promise<void> {
  const cursor = execution.cursor;
  if (core.runs.has(execution.executionArn) || core.mapRuns.has(execution.executionArn) || !cursor || (cursor.mode !== 'enter' && cursor.mode !== 'resume' && cursor.mode !== 'mapping')) return;
  if (!core.machines.get(execution.stateMachineArn)) {
    console.warn(`stepfunctions: ${execution.executionArn} is RUNNING but its state machine is not registered; not resumed`);
    return;
  }
  try {
    const claimed = await core.locks.run(execution.executionArn, () =>
      core.store.commit(execution.executionArn, { runId: execution.runId, set: { runId: randomUUID() } }),
    );
    if (claimed.cursor?.mode === 'mapping') core.launchMap(claimed);
    else core.launch(claimed);
  } catch (error) {
    if (!(error instanceof FencedError)) throw error;
  }
}
