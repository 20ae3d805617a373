import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';

/** A transaction cancelled by a failed condition or a conflict with another transaction. */

export function isConditionFailure(error: unknown): error is TransactionCanceledException {
  return error instanceof TransactionCanceledException || (error as Error)?.name === 'TransactionCanceledException';
}

export function isRetryableConflict(error: unknown): boolean {
  if (!isConditionFailure(error)) return false;
  return (error.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict');
}

export const pause = (attempt: number) => new Promise((r) => setTimeout(r, 10 * 2 ** attempt + Math.random() * 20));
