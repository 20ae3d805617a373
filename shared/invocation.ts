import type { Context } from 'aws-lambda';

/**
 * The running invocation's time left, for work that must not be cut in the middle. Lambda ends an invocation at
 * its timeout wherever it is: a message handed to the provider and not yet recorded as sent would be sent again
 * by the next sender once its lease ends. Set by the handler wrappers (shared/http/api.ts, shared/http/task.ts);
 * outside an invocation (tests, scripts) there is no limit.
 */
let remaining: (() => number) | undefined;

export const invocationTime = () => ({
  before: (request: { context: Context }) => {
    const { context } = request;
    remaining = typeof context?.getRemainingTimeInMillis === 'function' ? () => context.getRemainingTimeInMillis() : undefined;
  },
  after: () => {
    remaining = undefined;
  },
  onError: () => {
    remaining = undefined;
  },
});

/** Milliseconds before the invocation's timeout (Infinity outside one). */
export const timeLeftMs = (): number => remaining?.() ?? Infinity;
