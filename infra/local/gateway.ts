import { randomBytes } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenLocally } from './net.js';
import { answerUnreadableRequests } from './unreadable.js';
import { JwtVerifier } from 'aws-jwt-verify';
import { JwtExpiredError, KidNotFoundInJwksError } from 'aws-jwt-verify/error';
import type { JwkWithKid, Jwks, JwksCache } from 'aws-jwt-verify/jwk';
import type { DecomposedJwt } from 'aws-jwt-verify/jwt';
import type { LocalRoute } from './template.js';

export type RouteAuthorizer = NonNullable<LocalRoute['authorizer']>;

/** Verifies a token for a route's authorizer and returns its claims; throws when invalid. */
export interface JwtCheck {
  (token: string, authorizer: RouteAuthorizer): Promise<Record<string, unknown>>;
}

export type GatewayInvoke = (
  functionArn: string,
  event: unknown,
) => Promise<{ ok: true; result: unknown } | { ok: false; errorType: string; errorMessage: string }>;

export interface GatewayOptions {
  port?: number;
  host?: string;
  routes: LocalRoute[];
  invoke: GatewayInvoke;
  verifyJwt: JwtCheck;
  /** handled locally first (e.g. /local-auth/*, the SMS outbox); resolves true when it answered the request */
  before?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
  /** requestContext.apiId and domain prefix; default 'local' */
  apiId?: string;
  /** where errors go; default console.error */
  log?: (line: string) => void;
  /**
   * What to answer a request Node could not read (headers too large: 431; a malformed request line, header or chunked
   * body: 400; too slow: 408; chunk extensions too large: 413), by its status and its path when its request line could
   * be read; default `{ message }` in JSON, as the gateway's own errors (`defaultClientErrorAnswer`). Written only
   * where Node would write (`answerUnreadableRequests`).
   */
  clientError?: ClientErrorAnswer;
}

/** The answer to a request the HTTP parser refused: `path` when its request line could be read. */
export type ClientErrorAnswer = (request: { status: number; path?: string }) => { contentType: string; body: string };

/** The gateway's own errors' shape: `{ "message": "Request Header Fields Too Large" }`. */
export const defaultClientErrorAnswer: ClientErrorAnswer = ({ status }) => ({ contentType: 'application/json', body: JSON.stringify({ message: STATUS_CODES[status] ?? 'Bad Request' }) });

export interface Gateway {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** API Gateway's quota for an HTTP API's request: the request line and the header values, 10,240 bytes together. */
export const MAX_REQUEST_HEAD_BYTES = 10_240;

/** A request's size as that quota counts it: its request line and its headers' values (names left out), in bytes. */
function requestHeadBytes(req: IncomingMessage): number {
  let bytes = Buffer.byteLength(`${req.method ?? ''} ${req.url ?? ''} HTTP/${req.httpVersion}`, 'latin1');
  for (let i = 1; i < req.rawHeaders.length; i += 2) bytes += Buffer.byteLength(req.rawHeaders[i]!, 'latin1');
  return bytes;
}

/** API Gateway's payload limit for HTTP APIs. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Content types API Gateway passes as text; every other body arrives base64-encoded. */
const TEXT_TYPE = /^(text\/|application\/(json|javascript|xml|[\w.+-]*\+(json|xml))\b)/i;

interface CompiledRoute {
  route: LocalRoute;
  method: string;
  segments: string[];
  isDefault: boolean;
}

interface RouteMatch {
  route: LocalRoute;
  pathParameters?: Record<string, string>;
}

function compile(route: LocalRoute): CompiledRoute {
  if (route.routeKey === '$default') return { route, method: 'ANY', segments: [], isDefault: true };
  const [method = 'ANY', path = '/'] = route.routeKey.split(' ');
  return { route, method: method.toUpperCase(), segments: path.split('/').slice(1), isDefault: false };
}

const segmentRank = (segment: string | undefined) =>
  segment === undefined ? 3 : segment.endsWith('+}') ? 2 : segment.startsWith('{') ? 1 : 0;

/** API Gateway's precedence: literal segments before {param} before {proxy+}, then a method before ANY, then $default. */
function compareRoutes(a: CompiledRoute, b: CompiledRoute): number {
  if (a.isDefault !== b.isDefault) return a.isDefault ? 1 : -1;
  for (let i = 0; i < Math.max(a.segments.length, b.segments.length); i++) {
    const diff = segmentRank(a.segments[i]) - segmentRank(b.segments[i]);
    if (diff !== 0) return diff;
  }
  return Number(a.method === 'ANY') - Number(b.method === 'ANY');
}

const decode = (text: string) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

function matchPath(route: CompiledRoute, pathSegments: string[]): Record<string, string> | undefined {
  const parameters: Record<string, string> = {};
  for (let i = 0; i < route.segments.length; i++) {
    const segment = route.segments[i]!;
    if (segment.endsWith('+}')) {
      const rest = pathSegments.slice(i).join('/');
      if (!rest) return undefined;
      parameters[segment.slice(1, -2)] = decode(rest);
      return parameters;
    }
    const actual = pathSegments[i];
    if (actual === undefined) return undefined;
    if (segment.startsWith('{') && segment.endsWith('}')) {
      if (!actual) return undefined;
      parameters[segment.slice(1, -1)] = decode(actual);
    } else if (segment !== actual) return undefined;
  }
  return pathSegments.length === route.segments.length ? parameters : undefined;
}

function findRoute(routes: CompiledRoute[], method: string, path: string): RouteMatch | undefined {
  const pathSegments = path.split('/').slice(1);
  for (const route of routes) {
    if (route.isDefault) return { route: route.route };
    if (route.method !== 'ANY' && route.method !== method) continue;
    const parameters = matchPath(route, pathSegments);
    if (parameters) return { route: route.route, ...(Object.keys(parameters).length ? { pathParameters: parameters } : {}) };
  }
  return undefined;
}

/** Request headers as API Gateway passes them: lowercased names, repeated headers joined by commas. */
function headersOf(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    const value = req.rawHeaders[i + 1]!;
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  return headers;
}

function queryParameters(rawQueryString: string): Record<string, string> | undefined {
  if (!rawQueryString) return undefined;
  const parameters: Record<string, string> = {};
  for (const pair of rawQueryString.split('&')) {
    if (!pair) continue;
    const index = pair.indexOf('=');
    const name = decode(index < 0 ? pair : pair.slice(0, index));
    const value = index < 0 ? '' : decode(pair.slice(index + 1));
    parameters[name] = name in parameters ? `${parameters[name]},${value}` : value;
  }
  return Object.keys(parameters).length ? parameters : undefined;
}

/** API Gateway v2 formats claims the way Go prints values: strings, `[a b]` for arrays, `map[k:v]` for objects. */
export function flattenClaim(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(flattenClaim).join(' ')}]`;
  if (value !== null && typeof value === 'object') {
    return `map[${Object.keys(value).sort().map((key) => `${key}:${flattenClaim((value as Record<string, unknown>)[key])}`).join(' ')}]`;
  }
  return String(value);
}

/** `time` as API Gateway writes it: 12/Mar/2020:19:03:58 +0000 */
function requestTime(date: Date): string {
  const [, day, month, year, time] = /^\w+, (\d+) (\w+) (\d+) ([\d:]+) GMT$/.exec(date.toUTCString())!;
  return `${day!.padStart(2, '0')}/${month}/${year}:${time} +0000`;
}

function tokenFrom(identitySource: string, headers: Record<string, string>, query: Record<string, string> | undefined): string | undefined {
  const [, kind, name = ''] = /^\$request\.(header|querystring)\.(.+)$/.exec(identitySource) ?? [];
  const raw = kind === 'querystring' ? query?.[name] : headers[name.toLowerCase()];
  const token = raw?.replace(/^Bearer\s+/i, '').trim();
  return token || undefined;
}

function send(res: ServerResponse, status: number, body: Buffer | string, headers: Record<string, string | string[]> = {}): void {
  const buffer = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { ...headers, 'content-length': String(buffer.length) });
  res.end(buffer);
}

const sendJson = (res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) =>
  send(res, status, JSON.stringify(value), { 'content-type': 'application/json', ...headers });

/** Reads the body up to the limit; undefined when it is larger. */
async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) tooLarge = true;
    if (!tooLarge) chunks.push(chunk);
  }
  return tooLarge ? undefined : Buffer.concat(chunks);
}

/** Writes a payload format 2.0 function result as API Gateway does. */
function sendResult(res: ServerResponse, result: unknown, baseHeaders: Record<string, string>): void {
  if (result === null || typeof result !== 'object' || !('statusCode' in result)) {
    const body = typeof result === 'string' ? result : JSON.stringify(result);
    send(res, 200, body, { ...baseHeaders, 'content-type': 'application/json' });
    return;
  }
  const response = result as {
    statusCode: unknown;
    headers?: Record<string, unknown>;
    multiValueHeaders?: Record<string, unknown[]>;
    cookies?: string[];
    body?: unknown;
    isBase64Encoded?: boolean;
  };
  const status = Number(response.statusCode);
  if (!Number.isInteger(status) || status < 100 || status > 599) throw new Error('Malformed Lambda proxy response');
  const headers: Record<string, string | string[]> = {};
  for (const [name, values] of Object.entries(response.multiValueHeaders ?? {})) headers[name.toLowerCase()] = values.map(String);
  for (const [name, value] of Object.entries(response.headers ?? {})) headers[name.toLowerCase()] = String(value);
  if (response.cookies?.length) headers['set-cookie'] = [...[headers['set-cookie'] ?? []].flat(), ...response.cookies];
  const body = response.body === undefined || response.body === null ? '' : String(response.body);
  send(res, status, response.isBase64Encoded ? Buffer.from(body, 'base64') : body, { ...headers, ...baseHeaders });
}

/**
 * Serves the template's HTTP API routes: API Gateway v2 routing, payload format 2.0 events, the JWT authorizer.
 * @example const gateway = await startGateway({ port: 3000, routes: app.routes, invoke: (arn, e) => runtime.invoke(arn, e), verifyJwt: jwtVerifierFor(() => issuer.jwks()) });
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const routes = options.routes.map(compile).sort(compareRoutes);
  const apiId = options.apiId ?? 'local';
  const log = options.log ?? ((line: string) => console.error(line));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A request target no URL can be read from (an absolute form such as `http://[::1/`, which Node's parser lets
    // through) is a malformed request line: answered as the requests Node refuses, before anything reads it as a URL.
    const refuse = (request: { status: number; path?: string }) => {
      req.resume();
      const { contentType, body } = (options.clientError ?? defaultClientErrorAnswer)(request);
      send(res, request.status, body, { 'content-type': contentType, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', connection: 'close' });
    };
    if (!URL.canParse(req.url ?? '/', 'http://localhost')) return refuse({ status: 400 });
    // What Node's parser reads (16 KB) but API Gateway refuses: answered as the parser's own refusals are.
    if (requestHeadBytes(req) > MAX_REQUEST_HEAD_BYTES) return refuse({ status: 431, path: (req.url ?? '/').split('?')[0] });
    if (options.before && (await options.before(req, res))) return;
    const now = new Date();
    const requestId = randomBytes(11).toString('base64');
    const idHeaders = { 'apigw-requestid': requestId, 'x-request-id': requestId };
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
      sendJson(res, 413, { message: 'Request Entity Too Large' }, { ...idHeaders, connection: 'close' });
      req.resume();
      return;
    }
    const url = req.url ?? '/';
    const queryIndex = url.indexOf('?');
    const rawPath = queryIndex < 0 ? url : url.slice(0, queryIndex);
    const rawQueryString = queryIndex < 0 ? '' : url.slice(queryIndex + 1);
    const method = (req.method ?? 'GET').toUpperCase();
    const match = findRoute(routes, method, rawPath);
    if (!match) {
      req.resume();
      sendJson(res, 404, { message: 'Not Found' }, idHeaders);
      return;
    }
    const { route } = match;
    const headers = headersOf(req);
    const queryStringParameters = queryParameters(rawQueryString);

    let jwt: { claims: Record<string, string>; scopes: string[] | null } | undefined;
    if (route.authorizer) {
      const token = tokenFrom(route.authorizer.identitySource, headers, queryStringParameters);
      if (!token) {
        req.resume();
        sendJson(res, 401, { message: 'Unauthorized' }, idHeaders);
        return;
      }
      let claims: Record<string, unknown>;
      try {
        claims = await options.verifyJwt(token, route.authorizer);
      } catch (error) {
        req.resume();
        const description = error instanceof JwtExpiredError ? 'the token has expired' : 'the token is invalid';
        sendJson(res, 401, { message: 'Unauthorized' }, { ...idHeaders, 'www-authenticate': `Bearer scope="" error="invalid_token" error_description="${description}"` });
        return;
      }
      const tokenScopes = typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [];
      const required = route.authorizationScopes ?? [];
      if (required.length && !required.some((scope) => tokenScopes.includes(scope))) {
        req.resume();
        const expected = required.join(' ');
        sendJson(res, 403, { message: 'Forbidden' }, {
          ...idHeaders,
          'www-authenticate': `Bearer scope="${expected}" error="insufficient_scope" error_description="expected scopes: [${expected}]"`,
        });
        return;
      }
      jwt = {
        claims: Object.fromEntries(Object.entries(claims).map(([name, value]) => [name, flattenClaim(value)])),
        scopes: tokenScopes.length ? tokenScopes : null,
      };
    }

    const body = await readBody(req);
    if (!body) {
      sendJson(res, 413, { message: 'Request Entity Too Large' }, idHeaders);
      return;
    }
    const cookies = headers.cookie?.split(/;\s*/).filter(Boolean);
    delete headers.cookie;
    const sourceIp = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${sourceIp}` : sourceIp;
    headers['x-forwarded-port'] = String(req.socket.localPort ?? '');
    headers['x-forwarded-proto'] = 'http';
    const host = headers.host ?? '';
    const isText = TEXT_TYPE.test(headers['content-type'] ?? '');
    const accountId = route.functionArn.split(':')[4] ?? '';
    const event = {
      version: '2.0',
      routeKey: route.routeKey,
      rawPath,
      rawQueryString,
      ...(cookies?.length ? { cookies } : {}),
      headers,
      ...(queryStringParameters ? { queryStringParameters } : {}),
      requestContext: {
        accountId,
        apiId,
        ...(jwt ? { authorizer: { jwt } } : {}),
        domainName: host,
        domainPrefix: host.split('.')[0]!.split(':')[0]!,
        http: { method, path: decode(rawPath), protocol: `HTTP/${req.httpVersion}`, sourceIp, userAgent: headers['user-agent'] ?? '' },
        requestId,
        routeKey: route.routeKey,
        stage: '$default',
        time: requestTime(now),
        timeEpoch: now.getTime(),
      },
      ...(match.pathParameters ? { pathParameters: match.pathParameters } : {}),
      ...(body.length ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
      isBase64Encoded: body.length > 0 && !isText,
    };

    const outcome = await options.invoke(route.functionArn, event);
    if (!outcome.ok) {
      log(`gateway ${requestId} ${route.routeKey}: function error ${outcome.errorType}: ${outcome.errorMessage}`);
      sendJson(res, 500, { message: 'Internal Server Error' }, idHeaders);
      return;
    }
    try {
      sendResult(res, outcome.result, idHeaders);
    } catch (error) {
      log(`gateway ${requestId} ${route.routeKey}: ${(error as Error).message}`);
      sendJson(res, 500, { message: 'Internal Server Error' }, idHeaders);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A client gone mid-request (its body cut short, which a `before` hook reading it meets) hears nothing more.
      if (req.destroyed && !req.complete) return void res.destroy();
      log(`gateway: ${(error as Error).stack ?? String(error)}`);
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal Server Error' });
      else res.destroy();
    });
  });
  const clientError = options.clientError ?? defaultClientErrorAnswer;
  answerUnreadableRequests(
    server,
    ({ status, path }) => {
      const { contentType, body } = clientError({ status, ...(path ? { path } : {}) });
      return { headers: { 'content-type': contentType, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }, body };
    },
    { name: 'gateway', log },
  );
  const host = options.host ?? '127.0.0.1';
  return await listenLocally(server, options.port ?? 0, host, 'gateway');
}

/** A JWKS cache that reads the keys from the local issuer instead of fetching them. */
class FunctionJwksCache implements JwksCache {
  constructor(private readonly jwks: () => { keys: JsonWebKey[] }) {}

  getCachedJwk(_jwksUri: string, decomposedJwt: DecomposedJwt): JwkWithKid {
    const kid = decomposedJwt.header.kid;
    const jwk = this.jwks().keys.find((key) => (key as { kid?: string }).kid === kid);
    if (!kid || !jwk) throw new KidNotFoundInJwksError(`JWK for kid "${String(kid)}" not found in the local JWKS`);
    return jwk as unknown as JwkWithKid;
  }

  async getJwk(jwksUri: string, decomposedJwt: DecomposedJwt): Promise<JwkWithKid> {
    return this.getCachedJwk(jwksUri, decomposedJwt);
  }

  addJwks(): void {}

  async getJwks(): Promise<Jwks> {
    return this.jwks() as unknown as Jwks;
  }
}

/**
 * The JWT authorizer's checks, with keys from `jwks` (no HTTP fetch): RS256 signature, issuer, expiry,
 * and audience matched against `aud` or, for access tokens, `client_id`, as API Gateway does.
 * @example const verifyJwt = jwtVerifierFor(() => localIssuer.jwks());
 */
export function jwtVerifierFor(jwks: () => { keys: JsonWebKey[] }): JwtCheck {
  const jwksCache = new FunctionJwksCache(jwks);
  const verifiers = new Map<string, { verify(token: string): Promise<Record<string, unknown>> }>();
  return async (token, authorizer) => {
    const key = JSON.stringify([authorizer.issuer, authorizer.audience]);
    let verifier = verifiers.get(key);
    if (!verifier) {
      const audience = authorizer.audience;
      verifier = JwtVerifier.create(
        {
          issuer: authorizer.issuer,
          audience: null,
          customJwtCheck: ({ header, payload }) => {
            if (header.alg !== 'RS256') throw new Error('signing method is invalid');
            const audiences = [payload.aud, payload.client_id].flat().filter((value): value is string => typeof value === 'string');
            if (!audiences.some((value) => audience.includes(value))) throw new Error('the token has an invalid audience');
          },
        },
        { jwksCache },
      ) as unknown as { verify(token: string): Promise<Record<string, unknown>> };
      verifiers.set(key, verifier);
    }
    return await verifier.verify(token);
  };
}
