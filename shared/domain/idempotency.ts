import { createHash } from 'node:crypto';
import { InvalidInputError } from './errors.js';

/**
 * A client's Idempotency-Key: a request that creates something carries one, kept across its retries, so that a
 * retried request finds what the first one created instead of creating it twice (POST /api/referrals,
 * POST /api/staff/sessions). The key names the object (its id is derived from it) and the object keeps the hash
 * of the content that created it: the same key with another content is refused.
 */
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{8,128}$/;

/** The request's Idempotency-Key header, or a 400 that names it (also when the event has no headers at all). */
export function idempotencyKeyOf(headers: Record<string, string | undefined> | undefined): string {
  const key = headers?.['idempotency-key'];
  if (!key || !IDEMPOTENCY_KEY.test(key)) {
    throw new InvalidInputError("L'en-tête Idempotency-Key est obligatoire (8 à 128 caractères : lettres, chiffres, - ou _).", [
      { field: 'Idempotency-Key', message: 'En-tête manquant ou invalide.' },
    ]);
  }
  return key;
}

/**
 * The id of what a key creates, within a scope (an organisation, a staff member), shaped like a UUID: a replayed
 * request finds the same object, and two scopes never share one.
 */
export function idFromIdempotencyKey(scope: string, idempotencyKey: string): string {
  const hex = createHash('sha256').update(`${scope}\n${idempotencyKey}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The hash of a request's content (as parsed), kept on what it created. */
export function payloadHash(payload: unknown): string {
  return createHash('sha256').update(JSON.stringify(payload)).digest('hex');
}
