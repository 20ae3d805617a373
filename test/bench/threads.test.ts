import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { ThreadCpuSampler } from '../../bench/threads.js';

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
