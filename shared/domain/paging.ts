import * as z from 'zod/mini';
import { InvalidInputError } from './errors.js';

/** Most items a listing answers at once, and how many when the client does not say. */
export const PAGE_LIMIT = { default: 50, max: 100 } as const;

const LIMIT_MESSAGE = `Un nombre entre 1 et ${PAGE_LIMIT.max}.`;

/** A listing's `limit` query parameter: a whole number of items from 1 to PAGE_LIMIT.max. */
export const limitParam = z.optional(
  z
    .pipe(
      z.string().check(z.regex(/^\d{1,3}$/, LIMIT_MESSAGE)),
      z.transform((value) => Number(value)),
    )
    .check(z.refine((n) => n >= 1 && n <= PAGE_LIMIT.max, LIMIT_MESSAGE)),
);

/** A listing's cursor query parameter, as the previous page gave it (checked when read back, see decodeCursor). */
export const cursorParam = z.optional(z.string());

/**
 * One page of a list held whole (sorted by `keyOf`, unique keys): the items after the cursor's key, and a cursor
 * (the last key shown, opaque) when more follow. A cursor that is not one of ours is a 400 naming `field`.
 */
export function pageAfter<T>(items: readonly T[], keyOf: (item: T) => string, options: { cursor?: string; limit: number; field?: string }): { items: T[]; cursor?: string } {
  let after: string | undefined;
  if (options.cursor !== undefined && options.cursor !== '') {
    try {
      if (options.cursor.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(options.cursor)) throw new Error('shape');
      const parsed = JSON.parse(Buffer.from(options.cursor, 'base64url').toString('utf8')) as { after?: unknown };
      if (typeof parsed.after !== 'string' || Object.keys(parsed).length !== 1) throw new Error('keys');
      after = parsed.after;
    } catch {
      throw new InvalidInputError('Le curseur de pagination est invalide : rechargez la liste depuis le début.', [{ field: options.field ?? 'cursor', message: 'Curseur inconnu ou modifié.' }]);
    }
  }
  const rest = after === undefined ? items : items.filter((item) => keyOf(item) > after);
  const page = rest.slice(0, options.limit);
  return rest.length > options.limit ? { items: page, cursor: Buffer.from(JSON.stringify({ after: keyOf(page.at(-1)!) })).toString('base64url') } : { items: page };
}
