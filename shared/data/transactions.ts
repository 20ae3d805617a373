import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';

/**
 * A transaction cancelled by a failed condition or a conflict with another transaction (its `CancellationReasons`
 * say which item and why). A single write refused by its condition is `isConditionalCheckFailed`.
 */
export function isConditionFailure(error: unknown): error is TransactionCanceledException {
  return error instanceof TransactionCanceledException || (error as Error)?.name === 'TransactionCanceledException';
}

/**
 * A single PutItem, UpdateItem or DeleteItem refused by its condition (nothing written). By name, not by class: a
 * function bundle and the code that calls it may each hold their own copy of the SDK.
 */
export function isConditionalCheckFailed(error: unknown): boolean {
  return (error as Error | undefined)?.name === 'ConditionalCheckFailedException';
}

export function isRetryableConflict(error: unknown): boolean {
  if (!isConditionFailure(error)) return false;
  return (error.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict');
}

export const pause = (attempt: number) => new Promise((r) => setTimeout(r, 10 * 2 ** attempt + Math.random() * 20));
