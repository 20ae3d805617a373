import { DEFAULT_OUTBOX_RETRY, ENV, type OutboxRetry } from '../../infra/config.js';

export type { OutboxRetry };

/** No retry waits longer than this, whatever the attempt. */
export const MAX_RETRY_DELAY_SECONDS = 3600;

/** The policy the stack set on the function (`OUTBOX_*`), each value falling back to production's. */
export function outboxRetryFromEnv(env: NodeJS.ProcessEnv = process.env): OutboxRetry {
  const read = (name: string, fallback: number) => {
    const value = Number(env[name]);
    return env[name] && Number.isFinite(value) && value > 0 ? value : fallback;
  };
  return {
    maxAttempts: Math.floor(read(ENV.outboxMaxAttempts, DEFAULT_OUTBOX_RETRY.maxAttempts)),
    retryBaseSeconds: read(ENV.outboxRetryBaseSeconds, DEFAULT_OUTBOX_RETRY.retryBaseSeconds),
    leaseSeconds: read(ENV.outboxLeaseSeconds, DEFAULT_OUTBOX_RETRY.leaseSeconds),
  };
}

/**
 * The wait after the `attempts`-th failed attempt.
 * @example retryDelaySeconds({ maxAttempts: 8, retryBaseSeconds: 30, leaseSeconds: 120 }, 3) // 120
 */
export function retryDelaySeconds(policy: OutboxRetry, attempts: number): number {
  return Math.min(policy.retryBaseSeconds * 2 ** Math.max(0, attempts - 1), MAX_RETRY_DELAY_SECONDS);
}

/**
 * Errors of a request the provider will refuse however often it comes: an address or number it does not accept
 * (End User Messaging SMS answers ValidationException for a country the sender id does not cover, SES v2
 * BadRequestException for a malformed address), or a message SES rejects. Anything else (throttling, 5xx,
 * timeouts, a configuration being fixed) may pass later.
 */
const PERMANENT_PROVIDER_ERRORS = new Set(['ValidationException', 'BadRequestException', 'MessageRejected']);

export function isPermanentProviderError(error: unknown): boolean {
  return PERMANENT_PROVIDER_ERRORS.has((error as Error | undefined)?.name ?? '');
}

/**
 * Why the outbox gave a message up, as stored in `statusReason` (never an address): besides the provider's refusal
 * and the attempts run out, an attached object that is not there or files over SES's 40 MB (`AttachmentFailure`).
 */
export type SendFailureReason = 'attempts-exhausted' | 'provider-rejected' | 'attachment-missing' | 'attachments-too-large';
