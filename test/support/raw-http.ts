import { connect } from 'node:net';

/** An answer read off a raw connection: its status, head and body (as sent: not de-chunked), and what came after it. */
export interface RawAnswer {
  status: number;
  head: string;
  /** Its headers, names in lower case. */
  headers: Record<string, string>;
  body: string;
  /** Every byte the server sent, in order (a second answer after the first one shows here). */
  raw: string;
  /** How long the server took to close the connection after the bytes were sent, in ms. */
  closedAfterMs: number;
}

/**
 * Sends `bytes` as they are on a fresh connection (malformed on purpose; an array: its parts `pauseMs` apart) and reads
 * what comes back until the server closes the connection. The client ends its side once the server ended its own, as
 * clients do, or after sending with `end`. After `timeoutMs` (default 5 s) it gives up and fails.
 */
export function rawHttp(port: number, bytes: string | Buffer | Array<string | Buffer>, options: { end?: boolean; timeoutMs?: number; pauseMs?: number } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', async () => {
      const parts = Array.isArray(bytes) ? bytes : [bytes];
      for (const [i, part] of parts.entries()) {
        if (i > 0 && options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs));
        if (!socket.destroyed) socket.write(typeof part === 'string' ? Buffer.from(part, 'latin1') : part);
      }
      if (options.end) socket.end();
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open ${options.timeoutMs ?? 5000} ms`));
    }, options.timeoutMs ?? 5000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A server that closes before reading everything resets the connection: the answer is what came back.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks).toString('utf8');
      const end = raw.indexOf('\r\n\r\n');
      const head = end < 0 ? raw : raw.slice(0, end);
      const headers: Record<string, string> = {};
      for (const line of head.split('\r\n').slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers['content-length']);
      const rest = end < 0 ? '' : raw.slice(end + 4);
      const body = Number.isFinite(length) ? Buffer.from(rest, 'utf8').subarray(0, length).toString('utf8') : rest;
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1] ?? 0), head, headers, body, raw, closedAfterMs: Date.now() - started });
    });
  });
}

/** The request lines of malformed requests every local endpoint must answer with its own error, by what is wrong. */
export const MALFORMED_REQUESTS: Record<string, string> = {
  'a bad request line': 'NOT A REQUEST\r\n\r\n',
  'a control character in the target': 'GET /\x01 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
  'a header name with a space': 'POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header: 1\r\n\r\n',
  'a NUL in a header value': 'POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Note: a\x00b\r\n\r\n',
  'both Content-Length and chunked': 'POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
};
