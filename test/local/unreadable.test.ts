import { createServer, type IncomingMessage, type ServerOptions, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { answerUnreadableRequests, type UnreadableRequest } from '../../infra/local/unreadable.js';
import { MALFORMED_REQUESTS, rawHttp } from '../support/raw-http.js';

/*
 * What every local server answers a request Node's HTTP parser refuses (infra/local/unreadable.ts), on a bare server:
 * its own answer instead of Node's bare status line, only where Node would write one, in order after an earlier
 * answer, and the connection closed.
 */

const opened: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of opened.splice(0)) await close();
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void, options: ServerOptions = {}, lingerMs?: number) {
  const seen: UnreadableRequest[] = [];
  const logs: string[] = [];
  const server = createServer(options, handler);
  answerUnreadableRequests(
    server,
    (request) => {
      seen.push(request);
      return { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refused: request.status, path: request.path ?? null }) };
    },
    { name: 'test', log: (line) => logs.push(line), ...(lingerMs === undefined ? {} : { lingerMs }) },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  opened.push(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  const connections = () => new Promise<number>((resolve) => server.getConnections((_error, count) => resolve(count)));
  return { port: (server.address() as AddressInfo).port, seen, logs, connections };
}

/** Reads the body, whatever becomes of it, then answers 200. */
const readThenAnswer = async (req: IncomingMessage, res: ServerResponse) => {
  try {
    for await (const _chunk of req) void _chunk;
  } catch {
    return;
  }
  res.end('read');
};

const statusLines = (raw: string) => raw.match(/HTTP\/1\.1 \d{3} /g) ?? [];

describe('a request Node cannot read', () => {
  it("is answered with the server's answer, its status Node's (400), then the connection closed", async () => {
    const { port, seen, logs } = await serve(readThenAnswer);
    for (const [what, bytes] of Object.entries(MALFORMED_REQUESTS)) {
      const answer = await rawHttp(port, bytes);
      expect([what, answer.status, answer.headers['content-type'], answer.headers.connection]).toEqual([what, 400, 'application/json', 'close']);
      expect(JSON.parse(answer.body), what).toMatchObject({ refused: 400 });
      expect(statusLines(answer.raw), what).toHaveLength(1);
    }
    // The path of a request line that reads as one, none of one that does not.
    expect(seen.map((request) => request.path ?? null)).toEqual([null, null, '/x', '/x', '/x']);
    expect(logs[0]).toBe('test: request refused with 400 (HPE_INVALID_METHOD)');
  });

  it('is answered when its chunked body turns out malformed while the server reads it: the refusal, with its path, and no answer of the server after it', async () => {
    const { port, seen } = await serve(readThenAnswer);
    const answer = await rawHttp(port, ['POST /api/things HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n', 'zz\r\nefgh\r\n0\r\n\r\n'], { pauseMs: 50 });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({ refused: 400, path: '/api/things' });
    expect(statusLines(answer.raw)).toEqual(['HTTP/1.1 400 ']);
    expect(seen).toEqual([{ status: 400, code: 'HPE_INVALID_CHUNK_SIZE', method: 'POST', path: '/api/things' }]);
  });

  it('gets 431 for a header section over Node’s 16 KB, 413 for chunk extensions over its limit', async () => {
    const { port } = await serve(readThenAnswer);
    const headers = await rawHttp(port, `GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${'a'.repeat(20 * 1024)}\r\n\r\n`);
    expect([headers.status, JSON.parse(headers.body)]).toEqual([431, { refused: 431, path: '/x' }]);
    const extensions = await rawHttp(port, `POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n1;${'e'.repeat(20 * 1024)}\r\na\r\n0\r\n\r\n`);
    expect([extensions.status, JSON.parse(extensions.body)]).toEqual([413, { refused: 413, path: '/x' }]);
  });

  it('gets 408 when its head does not arrive in time', async () => {
    const { port, seen } = await serve(readThenAnswer, { headersTimeout: 200, requestTimeout: 300, connectionsCheckingInterval: 50 });
    const answer = await rawHttp(port, 'GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    expect([answer.status, answer.headers.connection]).toEqual([408, 'close']);
    expect(seen).toEqual([expect.objectContaining({ status: 408, code: 'ERR_HTTP_REQUEST_TIMEOUT' })]);
  });

  it('gets nothing written when the server answered it before reading its body: the connection closes after that answer', async () => {
    const { port, seen } = await serve((_req, res) => res.end('answered at once'));
    const answer = await rawHttp(port, ['POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n', 'zz\r\nabc\r\n0\r\n\r\n'], { pauseMs: 50 });
    expect(answer.status).toBe(200);
    expect(answer.raw.endsWith('answered at once')).toBe(true);
    expect(statusLines(answer.raw)).toHaveLength(1);
    expect(seen).toEqual([]);
  });

  it('is answered after the answer to an earlier request on the connection, in order, not before it', async () => {
    const { port } = await serve((req, res) => setTimeout(() => res.end(`answer to ${req.url}`), 100));
    const answer = await rawHttp(port, 'GET /first HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /\x01 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(statusLines(answer.raw)).toEqual(['HTTP/1.1 200 ', 'HTTP/1.1 400 ']);
    expect(answer.raw).toMatch(/answer to \/firstHTTP\/1\.1 400 Bad Request\r\n[\s\S]*\{"refused":400,"path":null\}$/);
  });

  it('closes the connection once its client read the answer, or after lingerMs when the client keeps it open', async () => {
    const { port, connections } = await serve(readThenAnswer, {}, 300);
    const prompt = await rawHttp(port, 'NOT A REQUEST\r\n\r\n');
    expect(prompt.status).toBe(400);
    expect(prompt.closedAfterMs).toBeLessThan(250);
    // A client that reads the answer and never closes its side: the server lets it go after 300 ms.
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => socket.write('NOT A REQUEST\r\n\r\n'));
    const answered = new Promise<number>((resolve) => socket.once('end', () => resolve(Date.now())));
    socket.resume();
    const at = await answered;
    expect(await connections()).toBe(1);
    await expect.poll(connections, { timeout: 2000, interval: 20 }).toBe(0);
    expect(Date.now() - at).toBeGreaterThanOrEqual(250);
    socket.destroy();
  });
});
