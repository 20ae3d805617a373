/** The error types the Step Functions API answers with (the `__type` of a 400 response). */
export type SfnErrorType =
  | 'ExecutionAlreadyExists'
  | 'ExecutionDoesNotExist'
  | 'ExecutionNotRedrivable'
  | 'InvalidArn'
  | 'InvalidExecutionInput'
  | 'InvalidName'
  | 'InvalidOutput'
  | 'InvalidToken'
  | 'ResourceNotFound'
  | 'StateMachineDoesNotExist'
  | 'TaskDoesNotExist'
  | 'TaskTimedOut'
  | 'ValidationException'
  | 'UnknownOperationException';

/** An API error, thrown by the engine's methods and mapped to `{ __type, message }` by handleJson. */
export class SfnError extends Error {
  constructor(
    readonly type: SfnErrorType,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

/**
 * Thrown inside a run that must stop doing anything (parked, fenced by another run, stopped).
 * The library reads `isRetryable` / `isCatchable`, so no Retry or Catch of the definition can swallow it.
 */
export class RunAbandonedError extends Error {
  readonly isRetryable = false;
  readonly isCatchable = false;
  constructor() {
    super('Run abandoned');
    this.name = 'RunAbandonedError';
  }
}

/** The execution's fence (runId) or status changed under a run: another run or an API call now owns it. */
export class FencedError extends Error {
  constructor(message = 'Execution is owned by another run') {
    super(message);
    this.name = 'FencedError';
  }
}

/** A condition on an item other than the execution failed inside a commit. */
export class CommitConflictError extends Error {
  constructor() {
    super('Commit condition failed');
    this.name = 'CommitConflictError';
  }
}
