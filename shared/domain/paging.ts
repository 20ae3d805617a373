import * as z from 'zod/mini';

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
