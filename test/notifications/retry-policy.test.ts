import { describe, expect, it } from 'vitest';
import { isPermanentProviderError, outboxRetryFromEnv, retryDelaySeconds } from '../../shared/notifications/retry-policy.js';

describe('the outbox retry policy', () => {
  it("reads the stack's settings, and production's where a value is missing or not a positive number", () => {
    expect(outboxRetryFromEnv({})).toEqual({ maxAttempts: 8, retryBaseSeconds: 30, leaseSeconds: 120 });
    expect(outboxRetryFromEnv({ OUTBOX_MAX_ATTEMPTS: '3', OUTBOX_RETRY_BASE_SECONDS: '1', OUTBOX_LEASE_SECONDS: 'x' })).toEqual({ maxAttempts: 3, retryBaseSeconds: 1, leaseSeconds: 120 });
    expect(outboxRetryFromEnv({ OUTBOX_MAX_ATTEMPTS: '0', OUTBOX_RETRY_BASE_SECONDS: '-5' })).toEqual({ maxAttempts: 8, retryBaseSeconds: 30, leaseSeconds: 120 });
  });

  it('doubles the wait after each failed attempt, up to an hour', () => {
    const policy = { maxAttempts: 12, retryBaseSeconds: 30, leaseSeconds: 120 };
    expect([1, 2, 3, 4, 7, 8, 12].map((n) => retryDelaySeconds(policy, n))).toEqual([30, 60, 120, 240, 1920, 3600, 3600]);
  });

  it('gives up at once only on a request the provider refuses as such', () => {
    const error = (name: string) => Object.assign(new Error('x'), { name });
    expect(['ValidationException', 'BadRequestException', 'MessageRejected'].map((n) => isPermanentProviderError(error(n)))).toEqual([true, true, true]);
    expect(['ThrottlingException', 'TooManyRequestsException', 'InternalServerException', 'TimeoutError', 'AccessDeniedException'].some((n) => isPermanentProviderError(error(n)))).toBe(false);
    expect(isPermanentProviderError(undefined)).toBe(false);
  });
});
