import { ExecutionError } from 'aws-local-stepfunctions';
import type { EngineCore } from './core.js';
import { FencedError } from './errors.js';
import { Run } from './run.js';
import type { ExecutionItem, NewEvent } from './store.js';
import { newToken, type TaskRunner } from './tasks.js';
import type { MapRuns } from './map-runs.js';
import type { Waits } from './waits.js';

/**
 * Runs executions in memory with aws-local-stepfunctions: one library run per engine run, whose event log
 * becomes the stored history and checkpoints, until the execution ends, parks or is abandoned.
 */
export class Runner {
  constructor(
    private readonly core: EngineCore,
    private readonly tasks: TaskRunner,
    private readonly waits: Waits,
    private readonly maps: MapRuns,
  ) {}

  /** Starts a run of the execution from its cursor (replacing any run of it in this process). */
  launch(execution: ExecutionItem): void {
    if (this.core.stopped) return;
    const model = this.core.machines.model(execution.stateMachineArn);
    const cursor = execution.cursor;
    if (!model || !cursor) return;
    const replay = cursor.mode === 'resume' ? cursor.outcome : undefined;
    const fresh = cursor.mode === 'enter' && cursor.fresh === true;
    const run = new Run(execution, model, execution.runId, cursor.stateName, cursor.input, !fresh, replay, this.core.locks, this.core.store);
    // A callback task entered before a crash keeps its token: the function may already have handed it out
    // (a staff member can decide with it at any moment), as it stays valid on AWS.
    if (cursor.mode === 'enter' && cursor.token) run.pendingToken = run.recoveredToken = cursor.token;
    // A write that failed for a reason that may pass (DynamoDB paused, a lost answer) leaves the execution at its last
    // checkpoint: taken up again later rather than RUNNING until the next start().
    run.onFailure = (error) => this.core.relaunch(run.arn, [run.id], error);
    this.core.runs.get(execution.executionArn)?.stop();
    this.core.runs.set(execution.executionArn, run);
    this.drive(run).catch((error: unknown) => {
      console.error(`stepfunctions: run of ${run.arn} failed: ${error instanceof Error ? error.name : typeof error}`);
      run.stop();
      this.core.relaunch(run.arn, [run.id], error);
    });
  }

  private async drive(run: Run): Promise<void> {
    const library = run.model.machineFor(run.startState).run(JSON.parse(run.input), {
      overrides: { taskResourceLocalHandlers: { ...this.tasks.handlers(run), ...this.maps.handlers(run) }, waitTimeOverrides: this.waits.overrides(run) },
      context: this.contextFor(run),
      noThrowOnAbort: true,
    });
    run.abortLibrary = library.abort;
    if (!run.active) library.abort();
    // A state's input or output that cannot be written as JSON (JSON.stringify overflowing its stack on data nested
    // thousands deep, which the library itself could still clone) cannot be checkpointed: the library is stopped and
    // the execution fails, rather than the run ending with the execution RUNNING.
    const consumed = this.consume(run, library.eventLogs).then(
      () => undefined,
      (error: unknown) => {
        library.abort();
        return error instanceof Error ? error : new Error(String(error));
      },
    );
    let outcome: { status: 'SUCCEEDED'; output: string } | { status: 'FAILED'; error: string; cause: string };
    try {
      outcome = { status: 'SUCCEEDED', output: JSON.stringify((await library.result) ?? null) };
    } catch (error) {
      if (error instanceof ExecutionError) {
        const cause = error.cause instanceof Error ? error.cause : error;
        outcome = { status: 'FAILED', error: cause.name, cause: cause.message };
      } else {
        // The library failed itself, outside any state (a RangeError cloning an input nested thousands of levels
        // deep): an engine failure, which Step Functions names States.Runtime. The library ends its event log when a
        // state fails, but not then: the consumer would wait for ever, the execution RUNNING. Aborting ends the log.
        outcome = { status: 'FAILED', ...runtimeFailure(error) };
        library.abort();
      }
    }
    const unrecorded = await consumed;
    if (unrecorded) outcome = { status: 'FAILED', ...runtimeFailure(unrecorded) };
    await run.idle();
    if (!run.active) return;
    await run
      .write(async () => {
        const execution = await this.core.store.getExecution(run.arn);
        if (!execution || execution.runId !== run.id) throw new FencedError();
        const change =
          outcome.status === 'SUCCEEDED'
            ? { set: { output: outcome.output }, event: { type: 'ExecutionSucceeded', details: { executionSucceededEventDetails: { output: outcome.output } } } }
            : {
                set: { error: outcome.error, cause: outcome.cause },
                event: { type: 'ExecutionFailed', details: { executionFailedEventDetails: { error: outcome.error, cause: outcome.cause } } },
              };
        await this.core.close(execution, outcome.status, this.core.now(), change);
      })
      .catch(() => undefined);
    run.active = false;
    this.core.forget(run);
  }

  /** Persists top-level state entries (the checkpoints) and exits from the library's event log, in order. */
  private async consume(run: Run, events: AsyncGenerator<{ type: string; state?: { name: string; type: string; input: unknown; output?: unknown } }>): Promise<void> {
    let first = true;
    for await (const event of events) {
      if (!run.active || !event.state || !(event.state.name in run.model.topLevel)) continue;
      const { name } = event.state;
      // A Distributed Map runs as a task in the library (definition.ts); its history says Map, as on AWS.
      const type = run.model.distributedMaps.has(name) ? 'Map' : event.state.type;
      if (event.type === 'StateEntered') {
        const input = JSON.stringify(event.state.input ?? null);
        run.currentInput = input;
        const skip = first && run.skipFirstEntered;
        first = false;
        if (skip) continue;
        const entered: NewEvent = { type: `${type}StateEntered`, details: { stateEnteredEventDetails: { name, input } } };
        if (type === 'Wait') {
          run.enqueue(() => this.waits.enter(run, name, input, entered));
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

  private contextFor(run: Run): Record<string, unknown> {
    const { execution, model } = run;
    return {
      Execution: {
        Id: execution.executionArn,
        Name: execution.name,
        RoleArn: this.core.machines.roleArn(model.arn),
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
}

/** An engine failure outside the states' own errors, as Step Functions names it: States.Runtime, with what went wrong. */
function runtimeFailure(error: unknown): { error: string; cause: string } {
  const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
  return { error: 'States.Runtime', cause: `The execution's data could not be processed (${name}: ${message})` };
}
