import { SfnError } from './errors.js';

/** AWS pages hold 100 items unless maxResults says otherwise. */
export const DEFAULT_PAGE_SIZE = 100;

/** maxResults as AWS checks it: an integer from 0 to 1000, where 0 (or none) means the default page size. */
export function pageSize(maxResults: unknown): number {
  if (maxResults === undefined || maxResults === null) return DEFAULT_PAGE_SIZE;
  if (typeof maxResults !== 'number' || !Number.isInteger(maxResults) || maxResults < 0 || maxResults > 1000) {
    throw new SfnError(
      'ValidationException',
      `1 validation error detected: Value '${String(maxResults)}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000 and greater than or equal to 0`,
    );
  }
  return maxResults === 0 ? DEFAULT_PAGE_SIZE : maxResults;
}

/**
 * An opaque nextToken: the position after the page, tied to the request it answers (`scope`), so that a
 * token handed to another request, or altered, is refused with InvalidToken as on AWS.
 */
export function encodeToken(scope: string, position: unknown): string {
  return Buffer.from(JSON.stringify({ s: scope, p: position })).toString('base64url');
}

export function decodeToken<T>(token: unknown, scope: string, isPosition: (position: unknown) => position is T): T | undefined {
  if (token === undefined || token === null) return undefined;
  const invalid = new SfnError('InvalidToken', `Invalid Token: '${String(token).slice(0, 64)}'`);
  if (typeof token !== 'string' || token.length < 1 || token.length > 1024) throw invalid;
  let parsed: { s?: unknown; p?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { s?: unknown; p?: unknown };
  } catch {
    throw invalid;
  }
  if (parsed === null || typeof parsed !== 'object' || parsed.s !== scope || !isPosition(parsed.p)) throw invalid;
  return parsed.p;
}

export const isString = (value: unknown): value is string => typeof value === 'string';
export const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 0;
