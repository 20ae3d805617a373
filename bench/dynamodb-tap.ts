/**
 * A recording TCP proxy in front of DynamoDB Local, for the bench and the profile: it forwards bytes
 * untouched and, on the side, reads each request's X-Amz-Target and body, so that the bench can count
 * the calls a referral costs by kind and table, and replay the same writes straight to DynamoDB Local.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Agent, request } from 'node:http';
import { randomUUID } from 'node:crypto';

export interface TappedRequest {
  operation: string;
  /** The table the request names first (TransactWriteItems: its first item's table). */
  table: string;
  headers: Record<string, string>;
  body: Buffer;
  /** ms from the request's last byte to the first byte of DynamoDB Local's answer */
  ms?: number;
}

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem']);
export const isWrite = (operation: string) => WRITES.has(operation);

const TABLE = /"TableName"\s*:\s*"([^"]+)"|"RequestItems"\s*:\s*\{\s*"([^"]+)"/;

export class DynamoDbTap {
  /** Requests seen while `recording` is on, in arrival order. */
  readonly requests: TappedRequest[] = [];
  recording = false;
  private server!: Server;
  port = 0;

  constructor(private readonly upstreamPort: number) {}

  async listen(): Promise<string> {
    this.server = createServer((client) => this.pipe(client));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return `http://127.0.0.1:${this.port}`;
  }

  close(): void {
    this.server.close();
  }

  private pipe(client: Socket): void {
    const upstream = connect(this.upstreamPort, '127.0.0.1');
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    // The bytes received since the last whole request, joined once the next one is whole (not at every chunk: a
    // transaction of 100 items comes in many), and the length that request will have once its head is known.
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let needed: number | undefined;
    // HTTP/1.1 without pipelining: the next bytes upstream answer the last request sent on this connection.
    let waiting: { request: TappedRequest; at: number } | undefined;
    upstream.on('data', (chunk: Buffer) => {
      if (waiting) {
        waiting.request.ms = performance.now() - waiting.at;
        waiting = undefined;
      }
      client.write(chunk);
    });
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      if (!this.recording) {
        pending = [];
        pendingBytes = 0;
        needed = undefined;
        return;
      }
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (needed === undefined) {
        // The head is short: it is looked for while the first chunks come.
        if (pending.length > 1) pending = [Buffer.concat(pending, pendingBytes)];
        needed = wholeLength(pending[0]!);
      }
      if (needed === undefined || pendingBytes < needed) return;
      const before = this.requests.length;
      const rest = this.parse(pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes));
      pending = rest.length ? [rest] : [];
      pendingBytes = rest.length;
      needed = rest.length ? wholeLength(rest) : undefined;
      if (this.requests.length > before) waiting = { request: this.requests[this.requests.length - 1]!, at: performance.now() };
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  }

  /** Takes the complete requests off the front of `buffer`; returns what is left. */
  private parse(buffer: Buffer): Buffer {
    for (;;) {
      const headEnd = buffer.indexOf('\r\n\r\n');
      if (headEnd < 0) return buffer;
      const lines = buffer.subarray(0, headEnd).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers['content-length'] ?? 0);
      if (buffer.length < headEnd + 4 + length) return buffer;
      const body = Buffer.from(buffer.subarray(headEnd + 4, headEnd + 4 + length));
      const operation = (headers['x-amz-target'] ?? '').replace(/^DynamoDB_\d+\./, '');
      // latin1: table names are ASCII, and a body with accented names would otherwise decode to a two-byte string.
      const match = TABLE.exec(body.toString('latin1'));
      this.requests.push({ operation, table: match?.[1] ?? match?.[2] ?? '?', headers, body });
      buffer = buffer.subarray(headEnd + 4 + length);
    }
  }
}

/** The length of the request that starts `buffer` (head and body), once its head has come; undefined before. */
function wholeLength(buffer: Buffer): number | undefined {
  const headEnd = buffer.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(buffer.subarray(0, headEnd).toString('latin1'))?.[1];
  return headEnd + 4 + Number(length ?? 0);
}

/** Counts requests by `table operation`. */
export function countByKind(requests: TappedRequest[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of requests) counts.set(`${r.table} ${r.operation}`, (counts.get(`${r.table} ${r.operation}`) ?? 0) + 1);
  return new Map([...counts].sort((a, b) => b[1] - a[1]));
}

/**
 * Sends the recorded writes again, in order, `concurrency` at a time, straight to DynamoDB Local, with each
 * table name replaced by `rename(name)` (fresh tables: the writes meet the same conditions as the first time).
 * Returns the elapsed seconds and how many were refused (a condition that no longer held, counted as done work).
 */
export async function replayWrites(
  endpointPort: number,
  writes: TappedRequest[],
  concurrency: number,
  rename: (table: string) => string,
): Promise<{ seconds: number; refused: number; failed: number; firstError?: string }> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const bodies = writes.map((w) => {
    const text = w.body
      .toString('utf8')
      .replace(/"TableName"\s*:\s*"([^"]+)"/g, (_, name: string) => `"TableName":"${rename(name)}"`)
      // The SDK's idempotency token of a transaction would make DynamoDB refuse the renamed copy as a different request under a used token.
      .replace(/"ClientRequestToken"\s*:\s*"[^"]*"/, () => `"ClientRequestToken":"${randomUUID()}"`);
    // BatchWriteItem names tables as keys of RequestItems.
    return Buffer.from(w.operation === 'BatchWriteItem' ? text.replace(/("RequestItems"\s*:\s*\{\s*")([^"]+)"/, (_, head: string, name: string) => `${head}${rename(name)}"`) : text);
  });
  let next = 0;
  let refused = 0;
  let failed = 0;
  let firstError: string | undefined;
  const send = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const { headers } = writes[i]!;
      const req = request(
        {
          host: '127.0.0.1',
          port: endpointPort,
          method: 'POST',
          path: '/',
          agent,
          headers: { 'content-type': headers['content-type']!, 'x-amz-target': headers['x-amz-target']!, authorization: headers.authorization!, 'x-amz-date': headers['x-amz-date']!, 'content-length': bodies[i]!.length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            if (res.statusCode !== 200) {
              if (/ConditionalCheckFailed|TransactionCanceled/.test(Buffer.concat(chunks).toString('utf8'))) refused++;
              else {
                failed++;
                firstError ??= Buffer.concat(chunks).toString('utf8').slice(0, 300);
              }
            }
            resolve();
          });
        },
      );
      req.on('error', reject);
      req.end(bodies[i]);
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < writes.length) await send(next++);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { seconds, refused, failed, firstError };
}
