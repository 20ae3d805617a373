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

/** DynamoDB's answers that mean "not now" rather than "never": the same call may succeed later. */
const TRANSIENT_ERRORS = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TransactionConflictException',
  'TransactionInProgressException',
]);

/**
 * A failed call of the engine's DynamoDB client that may pass: no answer (a request timeout, a reset or aborted
 * connection, DynamoDB Local paused or restarting), a server error, throttling, a transaction conflict. The SDK has
 * retried it already; the engine takes the execution up again later (recovery.ts). A refusal of the request itself (a
 * validation error) or an error of the engine's own would fail the same way again: not these.
 */
export function isTransientStoreError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { $metadata, $fault, CancellationReasons } = error as Error & {
    $metadata?: { httpStatusCode?: number };
    $fault?: string;
    CancellationReasons?: Array<{ Code?: string }>;
  };
  // Every error the SDK's client throws carries $metadata, those without an answer too.
  if (!$metadata) return false;
  if ($metadata.httpStatusCode === undefined || $metadata.httpStatusCode >= 500 || $fault === 'server') return true;
  if (TRANSIENT_ERRORS.has(error.name)) return true;
  return error.name === 'TransactionCanceledException' && (CancellationReasons ?? []).some((reason) => reason.Code === 'TransactionConflict' || reason.Code === 'ThrottlingError');
}
