import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbTap } from '../../bench/dynamodb-tap.js';

/** The tap forwards bytes untouched and records each whole request: here in front of a plain HTTP server that echoes the body's length. */
describe('DynamoDbTap', () => {
  let upstream: Server;
  let tap: DynamoDbTap;
  let port: number;

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      let bytes = 0;
      req.on('data', (chunk: Buffer) => (bytes += chunk.length));
      req.on('end', () => {
        const answer = JSON.stringify({ bytes });
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'content-length': answer.length }).end(answer);
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    tap = new DynamoDbTap((upstream.address() as { port: number }).port);
    port = Number(new URL(await tap.listen()).port);
    tap.recording = true;
  });

  afterAll(() => {
    tap.close();
    upstream.close();
  });

  /** Sends requests on one kept-alive connection, each body in small pieces, and reads the answers. */
  const send = (bodies: Buffer[], target: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let answers = '';
      socket.on('data', (chunk) => {
        answers += chunk.toString('utf8');
        if ((answers.match(/HTTP\/1\.1 200/g) ?? []).length === bodies.length && answers.endsWith('}')) {
          socket.end();
          resolve(answers);
        }
      });
      socket.on('error', reject);
      const write = async () => {
        for (const body of bodies) {
          socket.write(`POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: DynamoDB_20120810.${target}\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: ${body.length}\r\n\r\n`);
          for (let at = 0; at < body.length; at += 1000) {
            socket.write(body.subarray(at, at + 1000));
            await new Promise((r) => setImmediate(r));
          }
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      void write();
    });

  it('records each request whole (operation, table, exact body) however its bytes are split, and passes the answers through', async () => {
    const items = Array.from({ length: 100 }, (_, i) => ({ Put: { Item: { pk: { S: `ACT#${i}` }, name: { S: 'Hélène Écoulé' } }, TableName: 'app-table' } }));
    const big = Buffer.from(JSON.stringify({ TransactItems: items }));
    const small = Buffer.from(JSON.stringify({ TableName: 'engine', Key: { pk: { S: 'x' } } }));
    tap.requests.length = 0;
    const answers = await send([big, small], 'TransactWriteItems');
    expect(answers).toContain(`{"bytes":${big.length}}`);
    expect(answers).toContain(`{"bytes":${small.length}}`);
    expect(tap.requests.map((r) => [r.operation, r.table])).toEqual([
      ['TransactWriteItems', 'app-table'],
      ['TransactWriteItems', 'engine'],
    ]);
    expect(tap.requests[0]!.body.equals(big)).toBe(true);
    expect(tap.requests[1]!.body.equals(small)).toBe(true);
  });
});
