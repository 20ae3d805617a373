import { expect } from 'vitest';
import { createHash, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { appendFileSync } from 'node:fs';
import fc from 'fast-check';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { splitRouteKey } from './routes.js';
import type { ParcoursLocalCloud as LocalCloud } from '../../infra/local-app/profile.js';
import { parisDate } from '../../shared/domain/time.js';

/*
 * Property-based fuzzing of HTTP routes (test/e2e/invoicing-fuzz.test.ts, test/e2e/api-fuzz.test.ts): each request is
 * a valid one of a route table with one or two of its parts mutated (now and then all of them): the role, path
 * parameters (`..`, `%00`, very long ids, impossible months, another object's id), query strings (unknown parameters,
 * forged cursors), headers (content type, Idempotency-Key), bodies (wrong JSON types, missing and extra fields,
 * 100 KB strings, deep nesting, non-JSON, invalid UTF-8, lone surrogates, 1e308, -0, 2026-02-30). Sent two ways:
 *   - through the local gateway, as bytes on the wire;
 *   - straight to the route's function with an event the gateway would not make (a base64 flag on a body that is
 *     none, path parameters holding a slash or a NUL, no headers).
 * Every answer is under 500; a refusal is JSON with a French message (or one of the gateway's own English answers,
 * which API Gateway words whatever the app); no answer shows a stack, an internal name or "undefined"; a refusal
 * writes nothing (the table read whole before and after).
 *
 * NUM_RUNS=<n> hunts: each property that many requests, every problem collected and printed with the answers counted
 * by route and status instead of stopping at the first; FUZZ_SEED=<n> replays a run; FUZZ_LOG=<file> writes one line
 * per request.
 */

const NUM_RUNS = Number(process.env.NUM_RUNS) || 0;
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const runs = (modest: number) => NUM_RUNS || modest;
/** The current Paris month, for month-like parameters just off a valid one. */
const MONTH = parisDate().slice(0, 7);

// ---------------------------------------------------------------------------------------------------------------
// The mutations.

/** JSON text written as is in a body (numbers JSON.stringify cannot write, deep nesting). */
export class Raw {
  constructor(readonly text: string) {}
}
const serialize = (value: unknown): string => {
  if (value instanceof Raw) return value.text;
  if (Array.isArray(value)) return `[${value.map(serialize).join(',')}]`;
  if (value !== null && typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${v === undefined ? 'null' : serialize(v)}`).join(',')}}`;
  return JSON.stringify(value) ?? 'null';
};

const HUGE = 'x'.repeat(100_000);
/** Under the function's 64 KB in bytes, over every field's length. */
const LARGE = 'é'.repeat(30_000);
const deep = (depth: number, open: string, close: string) => new Raw(`${open.repeat(depth)}1${close.repeat(depth)}`);

const WEIRD_CONSTANTS: unknown[] = [
  null, true, false, 0, -1, 1, 0.5, 12.99, 4000.5, -4000, 1e308, -1e308, 2 ** 53, 2 ** 53 + 2, Number.MAX_SAFE_INTEGER, 999_999_999, 1_000_000_000,
  new Raw('-0'), new Raw('1e400'), new Raw('-1e400'), new Raw('1e-400'), new Raw('123456789012345678901234567890'), new Raw('0.1e1'), new Raw('1.0'),
  '', ' ', '   ', 'NaN', 'Infinity', '-0', '1e308', '100', '12,50', '0x10', 'true', 'null',
  '2026-02-30', '2026-13', '2026-13-01', '2026-00-10', '2026-1-5', '0000-01-01', '9999-12-31', '1999-12-31', '2020-02-29T00:00:00Z', '2026-02-28 ',
  '..', '../../etc/passwd', '%00', '\u0000', 'a\u0000b', '\ud800', '\udfff', 'x\ud83dy', '\u202e', '\ufeff', '\uffff', '\u0085', '<script>alert(1)</script>', "'; DROP TABLE x; --",
  'é'.repeat(201), 'a'.repeat(1001), LARGE, HUGE,
  [], {}, [null], [{}], [[]], { '': 1 }, new Raw('{"__proto__":{"polluted":true}}'), new Raw('{"constructor":{"prototype":{"polluted":true}}}'),
  deep(5_000, '[', ']'), deep(2_000, '{"a":', '}'),
];
const loneSurrogateString = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)), maxLength: 30 });
const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...WEIRD_CONSTANTS) },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 2, arbitrary: fc.double() },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: loneSurrogateString },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);
/** Keys of extra fields: plain words, so that an answer naming them cannot pass for a leak. */
const extraKey = fc.oneof(fc.constantFrom('isAdmin', 'status', 'version', 'id', 'pk', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '', ' ', 'é', 'a.b', 'lines.0'), fc.stringMatching(/^[a-z]{1,8}$/));

/** A deep copy (the constants above are shared by every run); Raw text is kept as it is. */
const copy = (value: unknown): unknown =>
  value instanceof Raw || value === null || typeof value !== 'object' ? value : Array.isArray(value) ? value.map(copy) : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copy(v)]));

/** Every path of a JSON value's leaves and inner objects ('lines.0.quantityHundredths'). */
function pathsOf(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== 'object' || value instanceof Raw) return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  return [...(prefix.length ? [prefix] : []), ...entries.flatMap(([k, v]) => pathsOf(v, [...prefix, k]))];
}
const nodeAt = (value: unknown, path: string[]): unknown => path.reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], value);
function setAt(target: unknown, path: string[], value: unknown, remove: boolean): void {
  let node = target as Record<string, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = path.at(-1)!;
  if (remove && Array.isArray(node)) node.splice(Number(last), 1);
  else if (remove) delete node[last];
  else node[last] = value;
}

type BodyMutation =
  | { kind: 'set'; pick: number; value: unknown }
  | { kind: 'delete'; pick: number }
  | { kind: 'extra'; pick: number; key: string; value: unknown }
  | { kind: 'replace'; value: unknown }
  | { kind: 'wrap'; how: 'array' | 'object' }
  | { kind: 'duplicate'; pick: number; value: unknown };
const bodyMutation: fc.Arbitrary<BodyMutation> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('set' as const), pick: fc.nat(), value: weirdValue }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('extra' as const), pick: fc.nat(), key: extraKey, value: weirdValue }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('replace' as const), value: weirdValue }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wrap' as const), how: fc.constantFrom('array' as const, 'object' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), pick: fc.nat(), value: weirdValue }) },
);

/** Bodies that are no JSON object at all, as bytes. */
const RAW_BODIES: Array<string | Buffer> = [
  '', ' ', '{', '}', '{"a":', '{"a":1,}', "{'a':1}", 'null', 'undefined', 'NaN', '[]', '"texte"', '1e308', '-0', 'true', '\ufeff{}', '{}garbage', '{"a":1}{"b":2}',
  'outcome=approve&held=x', '<xml/>', '{"\\ud800":1}', '"\\ud800\\udc00\\udfff"', '{"a":"\\u0000"}', '{"a":"\\x41"}',
  Buffer.from([0xff, 0xfe, 0xfd]), Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('{"month":"2026-01"}', 'utf16le'),
  HUGE, `"${HUGE}"`, `[${'1,'.repeat(20_000)}1]`,
];

interface BodyChoice {
  mutations: BodyMutation[];
  raw?: string | Buffer;
  omit?: boolean;
}
const bodyChoice: fc.Arbitrary<BodyChoice> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ mutations: fc.array(bodyMutation, { minLength: 1, maxLength: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ mutations: fc.constant<BodyMutation[]>([]), raw: fc.oneof(fc.constantFrom(...RAW_BODIES), fc.string({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b))) }) },
  { weight: 1, arbitrary: fc.record({ mutations: fc.constant<BodyMutation[]>([]), omit: fc.constant(true) }) },
);

function bodyText(valid: Record<string, unknown> | undefined, choice: BodyChoice): string | Buffer | undefined {
  if (choice.omit) return undefined;
  if (choice.raw !== undefined) return choice.raw;
  let body: unknown = copy(valid ?? {});
  let duplicate = '';
  for (const mutation of choice.mutations) {
    const paths = pathsOf(body).filter((p) => p.length > 0);
    const path = paths.length ? paths[('pick' in mutation ? mutation.pick : 0) % paths.length]! : undefined;
    if (mutation.kind === 'replace') body = copy(mutation.value);
    else if (mutation.kind === 'wrap') body = mutation.how === 'array' ? [body] : { data: body };
    else if (mutation.kind === 'extra' && body !== null && typeof body === 'object' && !(body instanceof Raw)) {
      const objects = [[], ...paths].map((p) => nodeAt(body, p)).filter((v): v is object => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Raw));
      const node = objects[mutation.pick % Math.max(1, objects.length)];
      if (!node) continue;
      // defineProperty: `__proto__` as an own key, as JSON.parse makes it.
      Object.defineProperty(node, mutation.key, { value: copy(mutation.value), enumerable: true, configurable: true, writable: true });
    } else if (mutation.kind === 'duplicate' && path && path.length === 1) duplicate = `,${JSON.stringify(path[0])}:${serialize(mutation.value)}`;
    else if (path && (mutation.kind === 'set' || mutation.kind === 'delete')) setAt(body, path, mutation.kind === 'set' ? copy(mutation.value) : undefined, mutation.kind === 'delete');
  }
  const text = serialize(body);
  // A key given twice: JSON.parse keeps the last one.
  if (!duplicate || !text.startsWith('{') || !text.endsWith('}')) return text;
  return text === '{}' ? `{${duplicate.slice(1)}}` : `${text.slice(0, -1)}${duplicate}}`;
}

/** Path parameters as sent on the wire (URL-encoded where they need it). */
const BAD_IDS = [
  '..', '.', '%2E%2E', '%2e', '%00', 'x%00y', '%0A', '%0D%0A', '%20', '%2F', '..%2F..%2Fapi', '%25', '%25%25', '%FF%FE', '%C3', '%ED%A0%80', '%E2%80%AE',
  'a'.repeat(200), 'a'.repeat(201), 'a'.repeat(3_000), encodeURIComponent('é'.repeat(300)), encodeURIComponent('😀'.repeat(60)), '~', '-', '_', '...', 'null', 'undefined', 'constructor', '__proto__',
  '2026-13', '2026-00', '2026-1', '2026-02-30', '0000-01', '9999-12', '1999-12', '2026-13-01', `${MONTH}.`, `${MONTH}%00`, ` ${MONTH}`, '+2026-01', '2026%2D01',
];
const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json;charset=ISO-8859-1', 'text/plain', '', 'application/x-www-form-urlencoded', 'application/octet-stream', 'multipart/form-data; boundary=x', 'application/json-patch+json', 'application/jsonx', 'text/json', 'application/json, text/plain'];
const IDEMPOTENCY_KEYS = ['', 'court', 'x'.repeat(129), '../../etc/passwd', 'clé-avec-accent', 'a b c d e f g h', 'aaaaaaaa,bbbbbbbb', '%00%00%00%00%00'];


/** What the gateway itself answers, before any function (API Gateway's own words, in English, whatever the app). */
const GATEWAY_ANSWERS = ['401 {"message":"Unauthorized"}', '404 {"message":"Not Found"}', '413 {"message":"Request Entity Too Large"}'];
const FRENCH = /[àâçéèêëîïôûùœ]|\b(le|la|les|de|des|du|un|une|est|doit|pas|ce|cette|votre|champ|contenu|requête|introuvable|invalide|inconnue?|obligatoire|manquant|caractères|adresse|numéro|texte|au|montant|maximum|minimum)\b/i;
/** What no answer may show, and whether a 2xx may (it lists what earlier requests stored: a customer named "NaN"). */
const LEAKS: Array<[string, RegExp, 'refusals' | 'all']> = [
  ['an error name', /\b\w*(Error|Exception)\b|Error:/, 'all'],
  ['a stack line', /\n\s*at \S|\bat \S+ \(?\S+:\d+:\d+\)?/, 'all'],
  ['undefined', /\bundefined\b/, 'all'],
  ['NaN', /\bNaN\b/, 'refusals'],
  ['[object Object]', /\[object \w+\]/, 'all'],
  ['an internal name', /\b(DynamoDB|Lambda|ConditionalCheck|TransactionCanceled|ValidationException|zod|node_modules|\.ts:\d)/i, 'all'],
];

/** The problems of an answer, as lines (none when it is as it should be). */
function problemsOf(answer: Answer): string[] {
  const problems: string[] = [];
  if (answer.status >= 500 || answer.status < 200) problems.push(`status ${answer.status}`);
  if (answer.contentType.includes('pdf') || answer.contentType.includes('csv')) return problems;
  // A page of the app (`GET /`): HTML, not an API answer.
  if (answer.status < 400 && answer.contentType.includes('text/html')) return problems;
  if (GATEWAY_ANSWERS.includes(`${answer.status} ${answer.text}`)) return problems;
  let parsed: { message?: unknown; errors?: Array<{ field?: unknown; message?: unknown }> } | undefined;
  try {
    parsed = JSON.parse(answer.text);
  } catch {
    problems.push('a body that is no JSON');
  }
  if (answer.status >= 400) {
    if (!answer.contentType.includes('application/json')) problems.push(`content type ${answer.contentType}`);
    if (typeof parsed?.message !== 'string' || !FRENCH.test(parsed.message)) problems.push('no French message');
    for (const error of Array.isArray(parsed?.errors) ? parsed.errors : []) {
      if (typeof error.field !== 'string' || typeof error.message !== 'string' || !FRENCH.test(error.message)) problems.push(`a field error that is not French: ${JSON.stringify(error).slice(0, 200)}`);
    }
    if (parsed?.errors !== undefined && !Array.isArray(parsed.errors)) problems.push('errors that are no list');
  }
  // What a refusal echoes of the request (an unknown field's name) is the sender's; the rest is the app's words.
  // A 2xx lists what earlier requests stored: a value that is the string "undefined" as a whole is theirs (a service
  // kind whose code a path gave as `undefined`); the word within a text is the app's.
  const own = answer.status >= 400 && parsed ? JSON.stringify({ message: parsed.message, errors: (parsed.errors ?? []).map((e) => e.message) }).replace(/Champ inconnu : « [^»]*»/g, '') : answer.text.replace(/"undefined"/g, '""');
  for (const [label, pattern, where] of LEAKS) if ((where === 'all' || answer.status >= 400) && pattern.test(own)) problems.push(`${label}: ${own.match(pattern)![0]}`);
  return problems;
}

// ---------------------------------------------------------------------------------------------------------------
// A fuzzer over a route table and a world.

/**
 * Who a route is for: a personal link's holder (`member`: the world's `token`, or the route's own `link`), staff or a
 * prescriber (a JWT), anyone (`public`).
 */
export type FuzzSide = 'member' | 'staff' | 'prescriber' | 'public';
export interface FuzzRoute {
  side: FuzzSide;
  /** The personal link of a `member` route when it is not the world's `token` (a guardian's). */
  link?: () => string;
  params: () => Record<string, string>;
  query?: () => Record<string, string>;
  body?: () => Record<string, unknown>;
  idempotent?: boolean;
  /**
   * Its 2xx starts writes that go on after the answer (a workflow, a notification): the table is read again once it
   * is quiet, so that they do not pass for written by the next refusal.
   */
  settles?: boolean;
}

/** The seeded objects' ids (`@name` puts one where another kind is expected), with a personal link and another one. */
export type FuzzWorld = Record<string, string> & { token: string; otherToken: string };

export interface FuzzOptions<W extends FuzzWorld> {
  routes: Record<string, FuzzRoute>;
  world: W;
  /** The partitions a forged cursor mostly names (the right one of a list, so that it reaches DynamoDB). */
  cursorPartitions: string[];
  /** Query parameters the routes read (set to odd values). */
  queryNames?: string[];
  /** Claims of the direct invocations, as the gateway hands them over once it verified a token. */
  claims?: { staff: Record<string, string>; prescriber: Record<string, string> };
  /** Item types a refusal is not answerable for (written in their own time: delivery receipts). */
  ignoredTypes?: string[];
}

interface Answer {
  status: number;
  text: string;
  contentType: string;
}

/** Claims as the gateway hands them over once it verified a token (strings; lists as "[a b]"). */
const CLAIMS = {
  staff: { sub: 'fuzz-staff', name: 'Camille Martin', email: 'camille.martin@example.org', 'cognito:groups': '[staff]' },
  prescriber: { sub: 'fuzz-prescriber', name: 'Sarah Benali', 'cognito:groups': '[prescriber]', 'custom:organisation': 'org-lens' },
};

const ROLES = ['right', 'staff', 'prescriber', 'member', 'otherMember', 'badLink', 'none', 'both'] as const;
type FuzzRole = (typeof ROLES)[number];

export interface FuzzRequest {
  routeKey: string;
  role: FuzzRole;
  /** A path parameter replaced, by name, with its raw value. */
  param?: { pick: number; value: string };
  query: { set: Array<[string, string]>; drop: boolean; junk: string | undefined };
  contentType: string;
  idempotencyKey: string | null;
  body: BodyChoice;
}

interface Built {
  method: string;
  path: string;
  /** The path parameters as the function receives them (decoded). */
  pathParameters: Record<string, string>;
  rawQuery: string;
  headers: Record<string, string>;
  body: string | Buffer | undefined;
}

export function apiFuzzer<W extends FuzzWorld>(options: FuzzOptions<W>) {
  const { routes, world } = options;
  const routeKeys = Object.keys(routes);
  const claimsOf = options.claims ?? CLAIMS;
  const ignoredTypes = new Set(options.ignoredTypes ?? ['delivery-receipt']);
  const paramNames = [...new Set(routeKeys.flatMap((key) => [...key.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!)))];
  const worldIds = Object.keys(world).filter((key) => !/token$/i.test(key));
  let cloud: LocalCloud;
  const tokens = { staff: '', prescriber: '' };

  const pathValue = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...BAD_IDS) },
    { weight: 2, arbitrary: fc.string({ minLength: 1, maxLength: 40 }).map(encodeURIComponent) },
    { weight: 1, arbitrary: loneSurrogateString.filter((s) => s.length > 0).map((s) => { try { return encodeURIComponent(s); } catch { return s.split('').map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').slice(-2)}`).join(''); } }) },
    { weight: 1, arbitrary: fc.constantFrom(...worldIds).map((k) => `@${k}`) },
  );
  /** `@name`: an existing object's id of another kind (an invoice's id where an activity's is expected). */
  const resolveId = (value: string) => (value.startsWith('@') ? String(world[value.slice(1)]) : value);

  /**
   * A cursor that decodes to a key of the names a list's cursor has (a sharded list's page: its shard, then the index's key),
   * with values DynamoDB may refuse as a start key (empty, NUL, long), its partition mostly one of the lists' (`cursorPartitions`).
   */
  const keyValue = fc.constantFrom('', ' ', 'x', 'INVOICE#x', 'é', '\u0000', 'a'.repeat(700));
  const forgedCursor = fc
    .record({
      names: fc.constantFrom(['pk', 'sk', 'gsi3pk', 'gsi3sk'], ['pk', 'sk', 'gsi1pk', 'gsi1sk'], ['pk', 'sk'], ['after']),
      values: fc.array(keyValue, { minLength: 4, maxLength: 4 }),
      partition: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...options.cursorPartitions) }, { weight: 1, arbitrary: keyValue }),
      shard: fc.oneof({ weight: 3, arbitrary: fc.constant('00.') }, { weight: 1, arbitrary: fc.constantFrom('', '01.', '07.', '99.', '00') }),
    })
    .map(({ names, values, partition, shard }) => {
      const key = Object.fromEntries(names.map((n, i) => [n, n === 'gsi3pk' ? partition : values[i]]));
      return `${shard}${Buffer.from(JSON.stringify(key)).toString('base64url')}`;
    });
  const queryValue = fc.oneof(
    fc.constantFrom('', '0', '-1', '-0', '1e2', '1.5', '101', '999', '0x10', ' 1', 'true', 'TRUE', 'csv', 'CSV', 'pdf', '%00', '%FF', '%', '%%', 'a'.repeat(5_000), 'eyJwayI6IngifQ', '00', '07', '00.', '00.%2F', '1', '2', '99', '999999999', '1000000000'),
    fc.string({ maxLength: 20 }).map(encodeURIComponent),
    forgedCursor,
  );
  const queryChoice = fc.record({
    set: fc.array(
      fc.oneof(
        { weight: 2, arbitrary: fc.tuple(fc.constant('cursor'), forgedCursor) },
        { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...(options.queryNames ?? ['limit', 'cursor', 'format', 'late', 'version'])), queryValue) },
        { weight: 1, arbitrary: fc.tuple(fc.constantFrom('month', 'foo', 'limit[]', '', 'cursor%00', 'LIMIT'), queryValue) },
      ),
      { minLength: 1, maxLength: 2 },
    ),
    drop: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    junk: fc.option(fc.constantFrom('&&&', '=', '==', '?', '%%%', 'a=1&a=2', 'limit=1&limit=2', 'version=1&version=1', '#frag'), { nil: undefined }),
  });

  /**
   * A valid request of a route with one or two of its parts mutated (the rest valid, so that a mutation reaches as far
   * into the handler as it can), now and then all of them.
   */
  const PARTS = ['role', 'param', 'query', 'headers', 'body'] as const;
  const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc
    .record({
      routeKey: fc.constantFrom(...routeKeys),
      parts: fc.oneof({ weight: 5, arbitrary: fc.subarray([...PARTS], { minLength: 1, maxLength: 2 }) }, { weight: 1, arbitrary: fc.subarray([...PARTS]) }),
      role: fc.constantFrom(...ROLES),
      param: fc.record({ pick: fc.nat(), value: pathValue }),
      query: queryChoice,
      contentType: fc.oneof({ weight: 1, arbitrary: fc.constant('application/json') }, { weight: 3, arbitrary: fc.constantFrom(...CONTENT_TYPES) }),
      idempotencyKey: fc.oneof({ weight: 1, arbitrary: fc.constant('fresh') }, { weight: 2, arbitrary: fc.constantFrom(...IDEMPOTENCY_KEYS) }, { weight: 1, arbitrary: fc.constant(null) }),
      body: bodyChoice,
    })
    .map(({ routeKey, parts, role, param, query, contentType, idempotencyKey, body }) => ({
      routeKey,
      role: parts.includes('role') ? role : 'right',
      ...(parts.includes('param') ? { param } : {}),
      query: parts.includes('query') ? query : { set: [], drop: false, junk: undefined },
      contentType: parts.includes('headers') ? contentType : 'application/json',
      idempotencyKey: parts.includes('headers') ? idempotencyKey : 'fresh',
      body: parts.includes('body') ? body : { mutations: [] },
    }));

  function build(request: FuzzRequest): Built {
    const route = routes[request.routeKey]!;
    const { method, path: template } = splitRouteKey(request.routeKey);
    const params: Record<string, string> = Object.fromEntries(Object.entries(route.params()).map(([k, v]) => [k, encodeURIComponent(v)]));
    const names = Object.keys(params);
    if (request.param && names.length) params[names[request.param.pick % names.length]!] = resolveId(request.param.value);
    const path = template.replace(/\{(\w+)\}/g, (_, name: string) => params[name]!);
    const query = new Map(Object.entries(request.query.drop ? {} : (route.query?.() ?? {})).map(([k, v]) => [k, encodeURIComponent(v)]));
    for (const [name, value] of request.query.set) query.set(name, value);
    const rawQuery = [...[...query].map(([k, v]) => `${k}=${v}`), ...(request.query.junk ? [request.query.junk] : [])].join('&');
    const headers: Record<string, string> = {};
    const right = request.role === 'right';
    const link = route.link?.() ?? world.token;
    if ((right && route.side === 'member') || request.role === 'member' || request.role === 'both') headers['x-parcours-link'] = link;
    if (request.role === 'otherMember') headers['x-parcours-link'] = world.otherToken;
    if (request.role === 'badLink') headers['x-parcours-link'] = `${link.slice(0, -2)}zz`;
    if ((right && route.side === 'staff') || request.role === 'staff' || request.role === 'both') headers.authorization = `Bearer ${tokens.staff}`;
    if ((right && route.side === 'prescriber') || request.role === 'prescriber') headers.authorization = `Bearer ${tokens.prescriber}`;
    if (request.idempotencyKey !== null) headers['idempotency-key'] = request.idempotencyKey === 'fresh' ? randomUUID() : request.idempotencyKey;
    const body = route.body || request.body.raw !== undefined || request.body.mutations.some((m) => m.kind === 'replace') ? bodyText(route.body?.(), request.body) : undefined;
    if (body !== undefined && request.contentType) headers['content-type'] = request.contentType;
    const decode = (value: string) => {
      try {
        return decodeURIComponent(value);
      } catch {
        return value;
      }
    };
    return { method, path, pathParameters: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, decode(v)])), rawQuery, headers, body };
  }

  /** A request sent as written (no URL normalisation), so the gateway and the function see the raw path. */
  function sendHttp(built: Built): Promise<Answer> {
    const url = new URL(cloud.urls.app);
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          method: built.method,
          // Node refuses to send a space or a character past U+00FF in a request line: written %-encoded, as a browser would.
          path: `${built.path}${built.rawQuery ? `?${built.rawQuery}` : ''}`.replace(/[^\x21-\x7e]/g, (c) => (/[\ud800-\udfff]/.test(c) ? '%EF%BF%BD' : encodeURIComponent(c))),
          headers: { ...built.headers, ...(built.body !== undefined ? { 'content-length': String(Buffer.byteLength(built.body)) } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), contentType: String(res.headers['content-type'] ?? '') }));
        },
      );
      req.on('error', reject);
      req.end(built.body);
    });
  }

  /** The route's function called with an event as the gateway makes it, but for what the fuzz changes in it. */
  async function invokeDirect(request: FuzzRequest, odd: { base64: boolean; params: Record<string, string> | undefined; dropHeaders: boolean }): Promise<Answer> {
    const built = build(request);
    const route = cloud.app.routes.find((r) => r.routeKey === request.routeKey)!;
    const body = built.body === undefined ? undefined : Buffer.isBuffer(built.body) ? built.body.toString(odd.base64 ? 'base64' : 'latin1') : odd.base64 ? built.body : built.body;
    const claims = built.headers.authorization === `Bearer ${tokens.staff}` ? claimsOf.staff : built.headers.authorization ? claimsOf.prescriber : undefined;
    const { authorization: _token, ...headers } = built.headers;
    const query = new URLSearchParams(built.rawQuery);
    const event = {
      version: '2.0',
      routeKey: request.routeKey,
      rawPath: built.path,
      rawQueryString: built.rawQuery,
      headers: odd.dropHeaders ? undefined : headers,
      ...(built.rawQuery ? { queryStringParameters: Object.fromEntries(query) } : {}),
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        http: { method: built.method, path: built.path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'fuzz' },
        requestId: randomUUID(),
        routeKey: request.routeKey,
        stage: '$default',
        time: new Date().toISOString(),
        timeEpoch: Date.now(),
        ...(claims ? { authorizer: { jwt: { claims, scopes: null } } } : {}),
      },
      pathParameters: { ...built.pathParameters, ...odd.params },
      ...(body !== undefined ? { body } : {}),
      isBase64Encoded: odd.base64,
    };
    const outcome = await cloud.lambda.invoke(route.functionArn, event);
    if (!outcome.ok) return { status: 502, text: `${outcome.errorType}: ${outcome.errorMessage}`, contentType: '' };
    const result = outcome.result as { statusCode: number; headers?: Record<string, string>; body?: string; isBase64Encoded?: boolean };
    return { status: result.statusCode, text: result.isBase64Encoded ? '' : String(result.body ?? ''), contentType: String(result.headers?.['content-type'] ?? '') };
  }

  async function tableState(): Promise<Map<string, string>> {
    const state = new Map<string, string>();
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await cloud.documentClient.send(new ScanCommand({ TableName: cloud.tableName, ConsistentRead: true, ExclusiveStartKey: startKey }));
      for (const item of page.Items ?? []) {
        if (ignoredTypes.has(String(item.type))) continue;
        state.set(`${String(item.pk)} | ${String(item.sk)}`, createHash('sha256').update(JSON.stringify(item)).digest('hex'));
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return state;
  }
  function changesBetween(before: Map<string, string>, after: Map<string, string>): string[] {
    const keys = new Set([...before.keys(), ...after.keys()]);
    return [...keys].filter((key) => before.get(key) !== after.get(key)).map((key) => `${before.has(key) ? (after.has(key) ? 'changed' : 'removed') : 'added'} ${key}`);
  }

  /**
   * The table once it stayed the same for 1.5 s (what a 2xx started has settled: a workflow's next steps, a message
   * sent and its bounce coming back through the provider's events).
   */
  async function quietTableState(): Promise<Map<string, string>> {
    let last = await tableState();
    let since = Date.now();
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const now = await tableState();
      if (changesBetween(last, now).length) [last, since] = [now, Date.now()];
      else if (Date.now() - since >= 1_500) return now;
    }
    throw new Error('the table never settled after a 2xx');
  }

  let state: Map<string, string>;
  /** Answers seen, by route and status: what the run reached (printed when hunting). */
  const seen = new Map<string, number>();
  /** When hunting (NUM_RUNS), every problem is collected and the run goes on; otherwise the first one fails the property. */
  const found: string[] = [];

  async function check(label: string, request: FuzzRequest, send: () => Promise<Answer>): Promise<void> {
    const answer = await send();
    const key = `${request.routeKey} → ${answer.status}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
    const problems = problemsOf(answer);
    if (process.env.FUZZ_LOG) {
      const built = build(request);
      appendFileSync(process.env.FUZZ_LOG, `${label} ${answer.status} ${built.method} ${built.path.slice(0, 200)}?${built.rawQuery.slice(0, 200)} ${request.role} ${answer.text.slice(0, 200)}\n`);
    }
    if (answer.status >= 400) {
      const after = await tableState();
      const written = changesBetween(state, after);
      if (written.length) problems.push(`written on a refusal: ${written.slice(0, 5).join('; ')}`);
      state = after;
    } else {
      state = routes[request.routeKey]!.settles ? await quietTableState() : await tableState();
    }
    if (!problems.length) return;
    const built = build(request);
    const headers = { ...built.headers, ...(built.headers.authorization ? { authorization: 'Bearer …' } : {}), ...(built.headers['x-parcours-link'] ? { 'x-parcours-link': '…' } : {}) };
    const report = `${label} ${request.routeKey} as ${request.role}: ${problems.join(', ')}\n  request: ${built.method} ${built.path.slice(0, 300)}${built.rawQuery ? `?${built.rawQuery.slice(0, 300)}` : ''} ${JSON.stringify(headers).slice(0, 300)} body ${built.body === undefined ? '(none)' : JSON.stringify(built.body.toString()).slice(0, 400)}\n  answer: ${answer.status} ${answer.text.slice(0, 400)}`;
    if (NUM_RUNS) found.push(report);
    else expect.fail(report);
  }

  /** Raw values in place of the route's parameters (another name is one more parameter, as the route has not). */
  const sometimes = <T>(arbitrary: fc.Arbitrary<T>, weight: number) => fc.oneof({ weight: 4 - weight, arbitrary: fc.constant(undefined) }, { weight, arbitrary });
  const oddEvent = fc.record({
    base64: fc.boolean(),
    params: sometimes(fc.dictionary(fc.constantFrom(...paramNames), fc.oneof(fc.constantFrom('a/b', '../..', 'a\u0000b', '\ud800', '', ' ', 'a'.repeat(201), `${MONTH}/..`, '2026-13'), loneSurrogateString), { minKeys: 1, maxKeys: 2 }), 1),
    dropHeaders: sometimes(fc.constant(true), 1).map(Boolean),
  });

  async function assertAll<T extends [unknown, ...unknown[]]>(modest: number, property: fc.IAsyncProperty<T>): Promise<void> {
    found.length = 0;
    await fc.assert(property, { numRuns: runs(modest), seed: SEED, endOnFailure: true });
    if (found.length) console.log(`${found.length} problems:\n${found.join('\n')}`);
    expect(found).toEqual([]);
  }

  return {
    routeKeys,
    /** Takes the started cloud (its tokens minted for staff and the prescriber `prescriber`, Sarah by default). */
    attach(started: LocalCloud, prescriber = 'sarah.benali'): void {
      cloud = started;
      tokens.staff = cloud.issuer.mintIdToken('camille.martin');
      tokens.prescriber = cloud.issuer.mintIdToken(prescriber);
    },
    /** Reads the table as the comparison's starting point, once the world is seeded. */
    async ready(): Promise<void> {
      state = await quietTableState();
    },
    /** Mutated requests sent through the local gateway as bytes on the wire. */
    gateway: (modest: number) => assertAll(modest, fc.asyncProperty(fuzzRequest, (request) => check('gateway', request, () => sendHttp(build(request))))),
    /** Mutated requests sent straight to the route's function, in events the gateway would not make. */
    direct: (modest: number) => assertAll(modest, fc.asyncProperty(fuzzRequest, oddEvent, (request, how) => check('direct', request, () => invokeDirect(request, how)))),
    /** When hunting, the answers counted by route and status. */
    report(): void {
      if (NUM_RUNS) console.log(`answers by route and status:\n${[...seen].sort().map(([key, count]) => `  ${key}: ${count}`).join('\n')}`);
    },
  };
}
