import './polyfill.js';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { Outcome } from './store.js';

let statesTimeoutErrorClass: Promise<new () => Error> | undefined;

/**
 * The library's own States.Timeout error class: its Retry/Catch logic tells it apart by `instanceof`
 * (States.TaskFailed must not match a timeout), and the class is not exported. A one-millisecond task
 * timeout on a throwaway machine yields an instance.
 */
export function statesTimeoutError(): Promise<Error> {
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
export function stateError(error: string, cause: string, options: { catchable?: boolean } = {}): Error {
  const result = new Error(cause) as Error & { isRetryable?: boolean; isCatchable?: boolean };
  result.name = error;
  if (options.catchable === false) {
    result.isRetryable = false;
    result.isCatchable = false;
  }
  return result;
}

/** A cause's largest length in Step Functions' API and history (`cause`: 32,768 characters). */
export const MAX_CAUSE_LENGTH = 32_768;

/**
 * The cause of a Lambda function's error, as Step Functions gives it: its type and message as JSON, the message cut
 * so that the whole stays within a cause's 32,768 characters (a function may throw a message of any size; the
 * execution item and its events must still be written). The cut JSON is still JSON.
 */
export function lambdaCause(errorType: string, errorMessage: string): string {
  let cause = JSON.stringify({ errorType, errorMessage });
  for (let keep = errorMessage.length; cause.length > MAX_CAUSE_LENGTH && keep > 0; ) {
    keep = Math.max(0, keep - (cause.length - MAX_CAUSE_LENGTH));
    cause = JSON.stringify({ errorType, errorMessage: errorMessage.slice(0, keep) });
  }
  return cause.length > MAX_CAUSE_LENGTH ? JSON.stringify({ errorType: errorType.slice(0, 256), errorMessage: '' }) : cause;
}

/** What a resumed state returns, or throws, in place of running its task again. */
export async function replayOutcome(outcome: Outcome): Promise<unknown> {
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
