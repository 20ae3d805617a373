import { randomBytes } from 'node:crypto';
import type { EngineCore } from './core.js';
import { applyInputPath, readPath, type StateDefinition } from './asl.js';
import type { MachineModel, TaskKind } from './definition.js';
import { CommitConflictError, RunAbandonedError } from './errors.js';
import type { Run } from './run.js';
import { lambdaCause, replayOutcome, stateError } from './state-errors.js';
import { dueAttributes, tokenKey, type Outcome, type TokenItem } from './store.js';
import type { InvokeResult, LambdaInvoker } from './types.js';

export const CALLBACK_RESOURCE = { resourceType: 'lambda', resource: 'invoke.waitForTaskToken' };

export const newToken = () => randomBytes(48).toString('base64url');

/** Runs the Task states of a run: Lambda functions, lambda:invoke, and callback tasks that park the execution. */
export class TaskRunner {
  constructor(
    private readonly core: EngineCore,
    private readonly invoker: LambdaInvoker,
  ) {}

  /** The library's task handlers for a run: every Task state of the machine goes through the engine. */
  handlers(run: Run): Record<string, (input: unknown) => Promise<never>> {
    const handlers: Record<string, (input: unknown) => Promise<never>> = {};
    for (const [name, task] of run.model.tasks) {
      const handler = task.nested
        ? (input: unknown) => this.runNestedTask(() => run.active, task.kind, task.state, input)
        : task.kind === 'lambda-callback'
          ? (input: unknown) => this.runCallbackTask(run, name, task.state, input)
          : (input: unknown) => this.runLambdaTask(run, task.kind, task.state, input);
      // The library's types want JSON values; the handlers return what the functions returned.
      handlers[name] = handler as (input: unknown) => Promise<never>;
    }
    return handlers;
  }

  /** Handlers of the Task states of a Distributed Map's child runs: invoked like nested tasks, nothing stored. */
  childHandlers(model: MachineModel, active: () => boolean): Record<string, (input: unknown) => Promise<never>> {
    const handlers: Record<string, (input: unknown) => Promise<never>> = {};
    for (const [name, task] of model.tasks) {
      if (task.nested) handlers[name] = ((input: unknown) => this.runNestedTask(active, task.kind, task.state, input)) as (input: unknown) => Promise<never>;
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

  private async runNestedTask(active: () => boolean, kind: TaskKind, state: StateDefinition, input: unknown): Promise<unknown> {
    if (!active()) throw new RunAbandonedError();
    const { functionName, payload } = this.target(kind, state, input);
    const result = await this.invoke(functionName, payload);
    if (!active()) throw new RunAbandonedError();
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
            { type: 'TaskScheduled', details: { taskScheduledEventDetails: { ...resource, region: this.core.machines.region(run.model.arn), parameters: json } } },
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
      return await replayOutcome(replay);
    }
    // Only a token recovered from the cursor can be stored already; a new one is random.
    const existing = token === run.recoveredToken ? await this.core.store.getToken(token) : undefined;
    if (existing?.status === 'DONE' && existing.outcome) return await replayOutcome(existing.outcome);
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
    const now = existing?.createdAt ?? this.core.now();
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
              region: this.core.machines.region(run.model.arn),
              parameters: JSON.stringify(input ?? null),
              timeoutInSeconds: timeoutSeconds,
              heartbeatInSeconds: heartbeatSeconds,
            },
          },
        },
        { type: 'TaskStarted', details: { taskStartedEventDetails: CALLBACK_RESOURCE } },
      ],
      cursor: { mode: 'enter', stateName: name, input: rawInput, token },
      extra: existing ? [] : this.core.store.putTokenItems(item),
    });
    const { functionName, payload } = this.target('lambda-callback', state, input);
    const result = await this.invoke(functionName, payload);
    let outcome: Outcome | undefined;
    await run.write(async () => {
      // The commits below hold only while the token is parked: the token is read when one is refused.
      for (let attempt = 0; ; attempt++) {
        const stored = attempt === 0 ? undefined : await this.core.store.getToken(token);
        // A callback or a deadline may arrive while the function still runs: it decides the state.
        if (stored?.status === 'DONE') {
          outcome = stored.outcome;
          return;
        }
        try {
          if (!result.ok) {
            const failure: Outcome = { kind: 'failure', error: result.errorType, cause: lambdaCause(result.errorType, result.errorMessage) };
            await this.core.store.commit(run.arn, {
              runId: run.id,
              events: [{ type: 'TaskFailed', details: { taskFailedEventDetails: { ...CALLBACK_RESOURCE, error: failure.error, cause: failure.cause } } }],
              extra: this.core.store.completeTokenItems(token, run.arn, failure),
            });
            outcome = failure;
            return;
          }
          await this.core.store.commit(run.arn, {
            runId: run.id,
            events: [{ type: 'TaskSubmitted', details: { taskSubmittedEventDetails: { ...CALLBACK_RESOURCE, output: JSON.stringify(result.result ?? null) } } }],
            set: { cursor: { mode: 'parked', stateName: name, input: rawInput, token } },
            extra: [this.core.store.tokenParkedCheck(token)],
          });
          run.stop();
          this.core.forget(run);
          return;
        } catch (error) {
          if (!(error instanceof CommitConflictError)) throw error;
        }
      }
    });
    if (!outcome) throw new RunAbandonedError();
    return await replayOutcome(outcome);
  }
}

function positiveSeconds(value: number | undefined, path: string | undefined, input: unknown, field: string): number | undefined {
  const seconds = path !== undefined ? readPath(path, input) : value;
  if (seconds === undefined) return undefined;
  if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 1) throw new Error(`${field} must be a positive integer`);
  return seconds;
}
