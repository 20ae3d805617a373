import { createHash } from 'node:crypto';
import { InvalidInputError } from '../domain/errors.js';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{8,128}$/;

/**
 * The client's `Idempotency-Key` header, required on every POST that creates something: the same key names the
 * same object, so a double click or a retried request finds it instead of creating a second one. (The event's
 * shape is written out: storage derives ids here too, and must not import the API layer.)
 */
export function idempotencyKeyOf(event: { headers?: Record<string, string | undefined> }): string {
  const key = event.headers?.['idempotency-key'];
  if (!key || !IDEMPOTENCY_KEY.test(key)) {
    throw new InvalidInputError("L'en-tête Idempotency-Key est obligatoire (8 à 128 caractères : lettres, chiffres, - ou _).", [
      { field: 'Idempotency-Key', message: 'En-tête manquant ou invalide.' },
    ]);
  }
  return key;
}

/**
 * A UUID-shaped id derived from a scope (who asks: an organisation, a staff member) and their Idempotency-Key.
 * @example idFromIdempotencyKey('org-lens', 'a1b2c3d4e5') // '5f0c…-…' (always the same for these two)
 */
export function idFromIdempotencyKey(scope: string, idempotencyKey: string): string {
  const hex = createHash('sha256').update(`${scope}\n${idempotencyKey}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
