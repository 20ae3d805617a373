import { createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { flattenClaim, jwtVerifierFor, MAX_REQUEST_HEAD_BYTES, startGateway, type Gateway, type GatewayInvoke } from '../../infra/local/gateway.js';
import type { LocalRoute } from '../../infra/local/template.js';
import { parcoursClientError } from '../../infra/local-app/client-errors.js';
import { rawHttp } from '../support/raw-http.js';

const ISSUER = 'http://127.0.0.1:4000/local-pool';
const CLIENT_ID = 'localclient';
const arn = (name: string) => `arn:aws:lambda:eu-west-3:123456789012:function:${name}`;
const authorizer = { type: 'JWT' as const, issuer: ISSUER, audience: [CLIENT_ID], identitySource: '$request.header.Authorization' };

const routes: LocalRoute[] = [
  { routeKey: 'GET /{proxy+}', functionLogicalId: 'Pages', functionArn: arn('pages') },
  { routeKey: 'GET /', functionLogicalId: 'Pages', functionArn: arn('pages-root') },
  { routeKey: 'ANY /api/referrals/{referralId}', functionLogicalId: 'Any', functionArn: arn('any') },
  { routeKey: 'GET /api/referrals/{referralId}', functionLogicalId: 'Get', functionArn: arn('get'), authorizer },
  { routeKey: 'GET /api/referrals/export', functionLogicalId: 'Export', functionArn: arn('export') },
  { routeKey: 'POST /api/referrals', functionLogicalId: 'Submit', functionArn: arn('submit'), authorizer },
  { routeKey: 'GET /api/scoped', functionLogicalId: 'Scoped', functionArn: arn('scoped'), authorizer, authorizationScopes: ['parcours/admin'] },
  { routeKey: 'GET /api/docs/{proxy+}', functionLogicalId: 'Docs', functionArn: arn('docs') },
];

function rsaKey(kid: string): { privateKey: KeyObject; jwk: JsonWebKey } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' } as JsonWebKey };
}

const signingKey = rsaKey('key-1');
const otherKey = rsaKey('key-1');

function sign(claims: Record<string, unknown>, key = signingKey.privateKey, kid = 'key-1'): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'RS256', typ: 'JWT', kid })}.${encode(claims)}`;
  return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(key).toString('base64url')}`;
}

const now = () => Math.floor(Date.now() / 1000);
const idToken = (extra: Record<string, unknown> = {}) =>
  sign({
    sub: 'user-1',
    iss: ISSUER,
    aud: CLIENT_ID,
    token_use: 'id',
    iat: now() - 10,
    auth_time: 1_700_000_000,
    exp: now() + 3600,
    'cognito:groups': ['staff'],
    'custom:organisation': 'org-1',
    email_verified: true,
    address: { locality: 'Lyon' },
    ...extra,
  });

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

function call(gateway: Gateway, method: string, path: string, options: { headers?: Record<string, string | string[]>; body?: Buffer | string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers = { ...options.headers };
    // Node frames DELETE bodies only when told their length.
    if (options.body !== undefined && !headers['transfer-encoding']) headers['content-length'] = String(Buffer.byteLength(options.body));
    const req = httpRequest(`${gateway.url}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode!, headers: res.headers, body, text: body.toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

let gateway: Gateway;
let invocations: Array<{ functionArn: string; event: any }>;
let nextResult: Awaited<ReturnType<GatewayInvoke>>;
let logs: string[];

beforeAll(async () => {
  gateway = await startGateway({
    routes,
    invoke: async (functionArn, event) => {
      invocations.push({ functionArn, event });
      return nextResult;
    },
    verifyJwt: jwtVerifierFor(() => ({ keys: [signingKey.jwk] })),
    log: (line) => logs.push(line),
    before: async (req, res) => {
      if (!req.url?.startsWith('/local-auth/')) return false;
      res.end('local auth');
      return true;
    },
  });
});

afterAll(() => gateway.close());

beforeEach(() => {
  invocations = [];
  logs = [];
  nextResult = { ok: true, result: { statusCode: 200, body: 'ok' } };
});

const lastEvent = () => invocations.at(-1)!.event;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('route matching', () => {
  it('prefers literal segments, then parameters, then a method over ANY, then greedy paths', async () => {
    const cases: Array<[string, string, Record<string, string>, string]> = [
      ['GET', '/api/referrals/export', {}, 'export'],
      ['GET', '/api/referrals/r-1', bearer(idToken()), 'get'],
      ['DELETE', '/api/referrals/r-1', {}, 'any'],
      ['GET', '/api/docs/a/b', {}, 'docs'],
      ['GET', '/api/other', {}, 'pages'],
      ['GET', '/', {}, 'pages-root'],
    ];
    for (const [method, path, headers, fn] of cases) {
      const reply = await call(gateway, method, path, { headers });
      expect([path, reply.status, invocations.at(-1)?.functionArn]).toEqual([path, 200, arn(fn)]);
    }
  });

  it('passes path parameters, decoded, and the greedy remainder', async () => {
    await call(gateway, 'DELETE', '/api/referrals/r%201');
    expect(lastEvent().pathParameters).toEqual({ referralId: 'r 1' });
    expect(lastEvent().routeKey).toBe('ANY /api/referrals/{referralId}');
    await call(gateway, 'GET', '/api/docs/guide/intro.html');
    expect(lastEvent().pathParameters).toEqual({ proxy: 'guide/intro.html' });
  });

  it('answers 404 without a matching route and uses $default when there is one', async () => {
    const reply = await call(gateway, 'POST', '/nowhere');
    expect(reply.status).toBe(404);
    expect(JSON.parse(reply.text)).toEqual({ message: 'Not Found' });
    expect(invocations).toHaveLength(0);
    const withDefault = await startGateway({
      routes: [{ routeKey: '$default', functionLogicalId: 'Fallback', functionArn: arn('fallback') }],
      invoke: async (functionArn, event) => {
        invocations.push({ functionArn, event });
        return nextResult;
      },
      verifyJwt: async () => ({}),
    });
    try {
      expect((await call(withDefault, 'PUT', '/anything/at/all')).status).toBe(200);
      expect(lastEvent().routeKey).toBe('$default');
      expect(lastEvent().pathParameters).toBeUndefined();
    } finally {
      await withDefault.close();
    }
  });

  it('lets the before hook answer first', async () => {
    const reply = await call(gateway, 'GET', '/local-auth/login');
    expect(reply.text).toBe('local auth');
    expect(invocations).toHaveLength(0);
  });
});

describe('event', () => {
  it('builds the payload format 2.0 event', async () => {
    const token = idToken();
    const reply = await call(gateway, 'POST', '/api/referrals?x=1&x=2&y=a%20b&flag', {
      headers: { ...bearer(token), 'Content-Type': 'application/json', 'X-Multi': ['a', 'b'], Cookie: 'c1=v1; c2=v2', 'User-Agent': 'vitest' },
      body: '{"firstName":"Ana"}',
    });
    expect(reply.status).toBe(200);
    const event = lastEvent();
    expect(invocations.at(-1)!.functionArn).toBe(arn('submit'));
    expect(event).toEqual({
      version: '2.0',
      routeKey: 'POST /api/referrals',
      rawPath: '/api/referrals',
      rawQueryString: 'x=1&x=2&y=a%20b&flag',
      cookies: ['c1=v1', 'c2=v2'],
      headers: expect.objectContaining({
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'x-multi': 'a,b',
        'user-agent': 'vitest',
        host: `127.0.0.1:${gateway.port}`,
        'x-forwarded-for': '127.0.0.1',
        'x-forwarded-proto': 'http',
      }),
      queryStringParameters: { x: '1,2', y: 'a b', flag: '' },
      requestContext: {
        accountId: '123456789012',
        apiId: 'local',
        authorizer: { jwt: { claims: expect.any(Object), scopes: null } },
        domainName: `127.0.0.1:${gateway.port}`,
        domainPrefix: '127',
        http: { method: 'POST', path: '/api/referrals', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
        requestId: reply.headers['apigw-requestid'],
        routeKey: 'POST /api/referrals',
        stage: '$default',
        time: expect.stringMatching(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/),
        timeEpoch: expect.any(Number),
      },
      body: '{"firstName":"Ana"}',
      isBase64Encoded: false,
    });
    expect(event.headers.cookie).toBeUndefined();
    expect(reply.headers['x-request-id']).toBe(reply.headers['apigw-requestid']);
  });

  it('leaves out what the request does not have', async () => {
    await call(gateway, 'GET', '/api/referrals/export');
    const event = lastEvent();
    for (const key of ['cookies', 'queryStringParameters', 'pathParameters', 'body']) expect(event).not.toHaveProperty(key);
    expect(event.requestContext).not.toHaveProperty('authorizer');
    expect(event.isBase64Encoded).toBe(false);
  });

  it('base64-encodes bodies that are not text', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    await call(gateway, 'DELETE', '/api/referrals/r-1', { headers: { 'content-type': 'application/octet-stream' }, body: bytes });
    expect(lastEvent()).toMatchObject({ body: bytes.toString('base64'), isBase64Encoded: true });
    await call(gateway, 'DELETE', '/api/referrals/r-1', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' });
    expect(lastEvent()).toMatchObject({ body: Buffer.from('a=1').toString('base64'), isBase64Encoded: true });
  });
});

describe('JWT authorizer', () => {
  it('passes claims as API Gateway does: strings, arrays as [a b]', async () => {
    await call(gateway, 'GET', '/api/referrals/r-1', { headers: { authorization: idToken() } });
    const claims = lastEvent().requestContext.authorizer.jwt.claims;
    expect(claims).toMatchObject({
      sub: 'user-1',
      'cognito:groups': '[staff]',
      'custom:organisation': 'org-1',
      email_verified: 'true',
      auth_time: '1700000000',
      address: 'map[locality:Lyon]',
      aud: CLIENT_ID,
      iss: ISSUER,
    });
    for (const value of Object.values(claims)) expect(typeof value).toBe('string');
    expect(flattenClaim(['staff', 'prescriber'])).toBe('[staff prescriber]');
  });

  it('answers 401 for a missing, malformed, forged, expired or misdirected token', async () => {
    const missing = await call(gateway, 'GET', '/api/referrals/r-1');
    expect([missing.status, JSON.parse(missing.text)]).toEqual([401, { message: 'Unauthorized' }]);
    const bad: Array<[string, string]> = [
      ['malformed', 'not.a.jwt'],
      ['forged', sign({ sub: 'x', iss: ISSUER, aud: CLIENT_ID, exp: now() + 60 }, otherKey.privateKey)],
      ['unknown kid', sign({ sub: 'x', iss: ISSUER, aud: CLIENT_ID, exp: now() + 60 }, signingKey.privateKey, 'key-2')],
      ['expired', idToken({ exp: now() - 60 })],
      ['audience', idToken({ aud: 'someone-else' })],
      ['issuer', idToken({ iss: 'https://elsewhere.example' })],
    ];
    for (const [why, token] of bad) {
      const reply = await call(gateway, 'GET', '/api/referrals/r-1', { headers: bearer(token) });
      expect([why, reply.status, JSON.parse(reply.text)]).toEqual([why, 401, { message: 'Unauthorized' }]);
      expect(reply.headers['www-authenticate']).toMatch(/^Bearer scope="" error="invalid_token" error_description="/);
    }
    const expired = await call(gateway, 'GET', '/api/referrals/r-1', { headers: bearer(idToken({ exp: now() - 60 })) });
    expect(expired.headers['www-authenticate']).toContain('the token has expired');
    expect(invocations).toHaveLength(0);
  });

  it('accepts an access token by client_id and checks the route scopes', async () => {
    const access = (scope: string) =>
      sign({ sub: 'user-1', iss: ISSUER, client_id: CLIENT_ID, token_use: 'access', scope, exp: now() + 60, iat: now() });
    const allowed = await call(gateway, 'GET', '/api/scoped', { headers: bearer(access('openid parcours/admin')) });
    expect(allowed.status).toBe(200);
    expect(lastEvent().requestContext.authorizer.jwt.scopes).toEqual(['openid', 'parcours/admin']);
    const denied = await call(gateway, 'GET', '/api/scoped', { headers: bearer(access('openid')) });
    expect([denied.status, JSON.parse(denied.text)]).toEqual([403, { message: 'Forbidden' }]);
    expect(denied.headers['www-authenticate']).toContain('error="insufficient_scope"');
  });
});

describe('response mapping', () => {
  it('maps status, headers, multi-value headers and cookies', async () => {
    nextResult = {
      ok: true,
      result: {
        statusCode: 201,
        headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Trace': 'abc' },
        multiValueHeaders: { 'X-Many': ['1', '2'] },
        cookies: ['session=s1; Path=/; HttpOnly', 'theme=dark'],
        body: 'créé',
      },
    };
    const reply = await call(gateway, 'GET', '/api/referrals/export');
    expect(reply.status).toBe(201);
    expect(reply.text).toBe('créé');
    expect(reply.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(reply.headers['x-trace']).toBe('abc');
    expect(reply.headers['x-many']).toBe('1, 2');
    expect(reply.headers['set-cookie']).toEqual(['session=s1; Path=/; HttpOnly', 'theme=dark']);
    expect(reply.headers['apigw-requestid']).toEqual(expect.any(String));
  });

  it('decodes a base64 body', async () => {
    const bytes = Buffer.from([137, 80, 78, 71, 0, 255]);
    nextResult = { ok: true, result: { statusCode: 200, headers: { 'content-type': 'image/png' }, body: bytes.toString('base64'), isBase64Encoded: true } };
    const reply = await call(gateway, 'GET', '/logo.png');
    expect(reply.body.equals(bytes)).toBe(true);
  });

  it('sends any other value as JSON with status 200', async () => {
    nextResult = { ok: true, result: { items: [1, 2] } };
    const object = await call(gateway, 'GET', '/api/referrals/export');
    expect([object.status, object.headers['content-type'], object.text]).toEqual([200, 'application/json', '{"items":[1,2]}']);
    nextResult = { ok: true, result: 'plain words' };
    expect((await call(gateway, 'GET', '/api/referrals/export')).text).toBe('plain words');
  });

  it('answers 500 for a function error and logs it without the request body', async () => {
    nextResult = { ok: false, errorType: 'TypeError', errorMessage: 'boom' };
    const reply = await call(gateway, 'DELETE', '/api/referrals/r-1', { headers: { 'content-type': 'application/json' }, body: '{"phone":"0600000000"}' });
    expect([reply.status, JSON.parse(reply.text)]).toEqual([500, { message: 'Internal Server Error' }]);
    expect(logs.join('\n')).toContain('TypeError');
    expect(logs.join('\n')).not.toContain('0600000000');
  });

  it('answers 500 for a malformed proxy response', async () => {
    nextResult = { ok: true, result: { statusCode: 'teapot' } };
    expect((await call(gateway, 'GET', '/api/referrals/export')).status).toBe(500);
  });
});

describe('request size', () => {
  it('answers 413 above 10 MB, declared or streamed', async () => {
    const declared = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${gateway.url}/api/referrals/r-1`, { method: 'PUT', headers: { 'content-length': String(10 * 1024 * 1024 + 1) } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
        req.destroy();
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(declared).toBe(413);
    const streamed = await call(gateway, 'PUT', '/api/referrals/r-1', {
      headers: { 'transfer-encoding': 'chunked', 'content-type': 'text/plain' },
      body: Buffer.alloc(10 * 1024 * 1024 + 1, 97),
    });
    expect(streamed.status).toBe(413);
    expect(invocations).toHaveLength(0);
    const atLimit = await call(gateway, 'PUT', '/api/referrals/r-1', { headers: { 'content-type': 'text/plain' }, body: Buffer.alloc(1024, 97) });
    expect(atLimit.status).toBe(200);
  });
});

/** Sends `bytes` on a raw connection and reads the whole answer until the gateway closes it. */
function rawExchange(target: Gateway, bytes: string | Buffer): Promise<{ status: number; head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(target.port, '127.0.0.1', () => socket.end(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The gateway may close before it read everything: the answer is what came back.
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? undefined : reject(error)));
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n', 2);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1] ?? 0), head, body });
    });
  });
}

const oversized = (path: string) => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: session=${'a'.repeat(20 * 1024)}\r\n\r\n`;

describe('requests Node cannot read', () => {
  it('answers a 20 KB header with a 431 and a JSON body, not a bare status line, and keeps serving', async () => {
    const reply = await rawExchange(gateway, oversized('/api/referrals/r-1'));
    expect(reply.status).toBe(431);
    expect(reply.head).toMatch(/\r\ncontent-type: application\/json\r\n/);
    expect(reply.head).toMatch(/\r\nconnection: close(\r\n|$)/);
    expect(JSON.parse(reply.body)).toEqual({ message: 'Request Header Fields Too Large' });
    expect(invocations).toHaveLength(0);
    expect((await call(gateway, 'GET', '/api/referrals/export')).status).toBe(200);
  });

  it("refuses, as API Gateway's quota does, more than 10,240 bytes of request line and header values that Node would read", async () => {
    const withCookie = (bytes: number) => `GET /api/referrals/export HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${'c'.repeat(bytes)}\r\n\r\n`;
    const before = invocations.length;
    const refused = await rawExchange(gateway, withCookie(12 * 1024));
    expect(refused.status).toBe(431);
    expect(refused.head).toMatch(/\r\nconnection: close(\r\n|$)/);
    expect(JSON.parse(refused.body)).toEqual({ message: 'Request Header Fields Too Large' });
    expect(invocations).toHaveLength(before);
    // Just under the quota (the request line and the host count too): served.
    const line = 'GET /api/referrals/export HTTP/1.1'.length + '127.0.0.1'.length;
    expect((await rawExchange(gateway, withCookie(MAX_REQUEST_HEAD_BYTES - line))).status).toBe(200);
    expect((await rawExchange(gateway, withCookie(MAX_REQUEST_HEAD_BYTES - line + 1))).status).toBe(431);
  });

  it('answers a malformed request line or header with a 400, and a connection closed early with nothing', async () => {
    for (const bytes of ['NOT A REQUEST\r\n\r\n', 'GET /api/x HTTP/1.1\r\nBad Header\r\n\r\n', 'GET /\x01 HTTP/1.1\r\n\r\n']) {
      const reply = await rawExchange(gateway, bytes);
      expect([JSON.stringify(bytes), reply.status]).toEqual([JSON.stringify(bytes), 400]);
      expect(JSON.parse(reply.body)).toEqual({ message: 'Bad Request' });
    }
    // Half a request, then gone: nothing to answer, nothing thrown.
    await new Promise<void>((resolve) => {
      const socket = connect(gateway.port, '127.0.0.1', () => {
        socket.write(`GET /api/x HTTP/1.1\r\nCookie: ${'b'.repeat(4096)}`);
        socket.destroy();
        resolve();
      });
    });
    expect((await call(gateway, 'GET', '/api/referrals/export')).status).toBe(200);
  });

  it('answers a request target no URL can be read from with a 400 before any hook reads it, and logs nothing for a client gone mid-body', async () => {
    const seen: string[] = [];
    const hooked = await startGateway({
      routes,
      invoke: async () => nextResult,
      verifyJwt: jwtVerifierFor(() => ({ keys: [signingKey.jwk] })),
      log: (line) => logs.push(line),
      // As the local cloud's hooks do (the issuer, the SMS outbox, the console): the URL read, the body read.
      before: async (req) => {
        seen.push(new URL(req.url ?? '/', 'http://localhost').pathname);
        for await (const _chunk of req) void _chunk;
        return false;
      },
    });
    try {
      // Node's parser lets an absolute form through whatever its host says.
      const reply = await rawExchange(hooked, 'GET http://[::1/_local/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      expect(reply.status).toBe(400);
      expect(reply.head).toMatch(/\r\nconnection: close(\r\n|$)/);
      expect(JSON.parse(reply.body)).toEqual({ message: 'Bad Request' });
      expect(seen).toEqual([]);

      await new Promise<void>((resolve) => {
        const socket = connect(hooked.port, '127.0.0.1', () => {
          socket.write('POST /_local/sms/inbound HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{"from":');
          setTimeout(() => socket.destroy(), 50);
        });
        socket.on('close', () => resolve());
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(seen).toEqual(['/_local/sms/inbound']);
      // At most the parser's one line for the connection; no 'aborted' stack as if the gateway had failed.
      expect(logs.filter((line) => /aborted|\n\s+at /.test(line))).toEqual([]);
      expect((await call(hooked, 'GET', '/api/referrals/export')).status).toBe(200);
    } finally {
      await hooked.close();
    }
  });

  it("answers a malformed chunked body or a header with invalid characters with the API's French refusal, and nothing after an answer already given", async () => {
    const french = await startGateway({ routes, invoke: async (functionArn, event) => (invocations.push({ functionArn, event }), nextResult), verifyJwt: jwtVerifierFor(() => ({ keys: [signingKey.jwk] })), log: () => undefined, clientError: parcoursClientError });
    const refusal = { message: "La demande est mal formée et n'a pas pu être lue. Réessayez depuis une page du site." };
    try {
      // Its head read, the gateway reads its body: the chunk size "zz" is no number.
      const chunked = await rawHttp(french.port, ['PUT /api/referrals/r-1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n', 'zz\r\n{}\r\n0\r\n\r\n'], { pauseMs: 30 });
      expect([chunked.status, chunked.headers['content-type'], chunked.headers.connection]).toEqual([400, 'application/json; charset=utf-8', 'close']);
      expect(JSON.parse(chunked.body)).toEqual(refusal);
      expect(chunked.raw.match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 400']);
      for (const bytes of ['GET /api/referrals/r-1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Note: a\x00b\r\n\r\n', 'GET /api/referrals/r-1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Not\u00e9: 1\r\n\r\n']) {
        const header = await rawHttp(french.port, bytes);
        expect([JSON.stringify(bytes), header.status, JSON.parse(header.body)]).toEqual([JSON.stringify(bytes), 400, refusal]);
      }
      expect(invocations).toHaveLength(0);
      // Refused for its missing token before its body was read: that 401 is its answer, and a refusal after it would
      // be read as the answer to a request the client never sent.
      const unauthorised = await rawHttp(french.port, ['POST /api/referrals HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n', 'zz\r\n{}\r\n0\r\n\r\n'], { pauseMs: 30 });
      expect(unauthorised.status).toBe(401);
      expect(unauthorised.raw.match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 401']);
      expect((await call(french, 'GET', '/api/referrals/export')).status).toBe(200);
    } finally {
      await french.close();
    }
  });

  it("answers with the app's words: the API's JSON error under /api/, a French page elsewhere (the app's answer, infra/local-app)", async () => {
    const french = await startGateway({ routes, invoke: async () => nextResult, verifyJwt: jwtVerifierFor(() => ({ keys: [signingKey.jwk] })), log: () => undefined, clientError: parcoursClientError });
    try {
      const api = await rawExchange(french, oversized('/api/referrals/r-1'));
      expect(api.status).toBe(431);
      expect(api.head).toMatch(/\r\ncontent-type: application\/json; charset=utf-8\r\n/);
      expect(Object.keys(JSON.parse(api.body))).toEqual(['message']);
      expect(JSON.parse(api.body).message).toMatch(/^La demande est trop volumineuse .*Effacez les cookies de ce site/);

      const page = await rawExchange(french, oversized('/equipe/facturation'));
      expect(page.status).toBe(431);
      expect(page.head).toMatch(/\r\ncontent-type: text\/html; charset=utf-8\r\n/);
      expect(page.body).toContain('<html lang="fr">');
      expect(page.body).toContain('Demande refusée');
      expect(page.body).toContain('trop volumineuse');
      expect(page.head).toMatch(new RegExp(`\r\ncontent-length: ${Buffer.byteLength(page.body)}\r\n`));

      const malformed = await rawExchange(french, 'NOT A REQUEST\r\n\r\n');
      expect(malformed.status).toBe(400);
      expect(malformed.body).toContain("La demande est mal formée et n'a pas pu être lue");
      const badApiHeader = await rawExchange(french, 'GET /api/referrals HTTP/1.1\r\nBad Header\r\n\r\n');
      expect(badApiHeader.status).toBe(400);
      expect(JSON.parse(badApiHeader.body)).toEqual({ message: "La demande est mal formée et n'a pas pu être lue. Réessayez depuis une page du site." });
    } finally {
      await french.close();
    }
  });
});

