import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { ThreadCpuSampler } from '../../bench/threads.js';

/** Keeps a thread busy this long. */
const spin = (ms: number) => {
  const until = performance.now() + ms;
  let x = 0;
  while (performance.now() < until) x += Math.sqrt(x + 1);
  return x;
};

describe('the bench CPU by kind of thread', () => {
  it("charges the main thread's work to it, and a worker thread's to the rest, even once the worker has ended", async () => {
    const sampler = new ThreadCpuSampler();
    const start = sampler.sample();
    spin(300);
    const afterMain = sampler.sample();
    expect(afterMain.main - start.main).toBeGreaterThan(0.15);
    expect(afterMain.workers - start.workers).toBeLessThan(0.1);

    const worker = new Worker(`const until = performance.now() + 400; let x = 0; while (performance.now() < until) x += Math.sqrt(x + 1);`, { eval: true });
    await new Promise((resolve) => worker.once('exit', resolve));
    const afterWorker = sampler.sample();
    expect(afterWorker.workers - afterMain.workers).toBeGreaterThan(0.2);
    expect(afterWorker.main - afterMain.main).toBeLessThan(0.15);
    expect(afterWorker.process).toBeCloseTo(afterWorker.main + afterWorker.helpers + afterWorker.workers, 1);
  });
});
