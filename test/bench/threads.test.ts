import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { readdirSync, readFileSync } from 'node:fs';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { jvmThreadCpu, ThreadCpuSampler } from '../../bench/threads.js';
import { freshAppTable } from '../support/dynamodb.js';

/**
 * Keeps the calling thread busy until it has used `seconds` of CPU (read from /proc/thread-self: on a loaded machine a
 * spin of so many milliseconds of wall time may get little CPU).
 */
const SPIN = `(seconds) => {
  const { readFileSync } = require('node:fs');
  const cpu = () => { const f = readFileSync('/proc/thread-self/stat', 'utf8').replace(/^.*\\) /, '').split(' '); return (Number(f[11]) + Number(f[12])) / 100; };
  const start = cpu(); const until = Date.now() + 30000; let x = 0;
  while (cpu() - start < seconds && Date.now() < until) for (let i = 0; i < 1e5; i++) x += Math.sqrt(i);
  return x;
}`;
// The same source runs in the worker thread below.
const spin = new Function('require', `return ${SPIN}`)(createRequire(import.meta.url)) as (seconds: number) => number;

describe('the bench CPU by kind of thread', () => {
  it("charges the main thread's work to it, and a worker thread's to the rest, even once the worker has ended", async () => {
    const sampler = new ThreadCpuSampler();
    const start = sampler.sample();
    spin(0.3);
    const afterMain = sampler.sample();
    expect(afterMain.main - start.main).toBeGreaterThanOrEqual(0.3);
    expect(afterMain.workers - start.workers).toBeLessThan(0.1);

    const worker = new Worker(`(${SPIN})(0.4)`, { eval: true });
    await new Promise((resolve) => worker.once('exit', resolve));
    const afterWorker = sampler.sample();
    expect(afterWorker.workers - afterMain.workers).toBeGreaterThanOrEqual(0.35);
    expect(afterWorker.main - afterMain.main).toBeLessThan(0.2);
    expect(afterWorker.process).toBeCloseTo(afterWorker.main + afterWorker.helpers + afterWorker.workers, 1);
  });
});

/** The pid of the DynamoDB Local listening on `endpoint`'s port (the run's, started by the global setup). */
function dynamoDbLocalPid(endpoint: string): number {
  const port = new URL(endpoint).port;
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args.some((a) => a.endsWith('DynamoDBLocal.jar')) && args[args.indexOf('-port') + 1] === port) return Number(entry);
    } catch {
      // ended meanwhile
    }
  }
  throw new Error(`no DynamoDB Local on port ${port}`);
}

describe("DynamoDB Local's CPU by kind of thread", () => {
  it('charges writes to its SQLite queue and its Jetty request threads, and its parts add up to no more than its total', async () => {
    const { doc, tableName, endpoint } = await freshAppTable();
    const pid = dynamoDbLocalPid(endpoint);
    const before = jvmThreadCpu(pid);
    // Enough writes for a few clock ticks (10 ms) on each kind of thread.
    for (let round = 0; round < 40; round++) {
      await Promise.all(
        Array.from({ length: 4 }, (_, w) =>
          doc.send(new BatchWriteCommand({ RequestItems: { [tableName]: Array.from({ length: 25 }, (_, j) => ({ PutRequest: { Item: { pk: `T#${round}#${w}#${j}`, sk: 'X', payload: 'x'.repeat(500) } } })) } })),
        ),
      );
    }
    const after = jvmThreadCpu(pid);
    expect(after.sqlite - before.sqlite).toBeGreaterThan(0);
    expect(after.requests - before.requests).toBeGreaterThan(0);
    expect(after.sqlite + after.requests + after.compilers + after.vm + after.other).toBeCloseTo(after.total, 1);
    expect(after.other).toBeGreaterThanOrEqual(0);
  });

  it('gives NaN totals, not an error, for a process that is gone', () => {
    expect(jvmThreadCpu(2 ** 22 + 7).total).toBeNaN();
  });
});
