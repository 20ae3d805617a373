/**
 * This process's CPU by kind of thread, from /proc (Linux), for the bench's figures: the main thread (the local
 * cloud's engine, gateway, local S3, SES and SQS, the bench's DynamoDB tap), the threads Node started with it (V8's
 * platform threads, which run the garbage collector's parallel and concurrent work and the optimizing compiler for
 * every isolate, and libuv's pool), and the rest: the functions' worker threads, counted as the process's total less
 * the other two, since a thread's CPU leaves /proc with it when it ends.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ThreadCpu {
  /** The whole process (every thread, ended ones included). */
  process: number;
  main: number;
  /** The threads alive when the sampler was made, the main thread left out: V8's platform threads and libuv's pool. */
  helpers: number;
  /** The rest: the threads started since (the functions' execution environments). */
  workers: number;
}

/** CPU seconds a process (all its threads, or only `thread`) has used so far, from /proc (Linux); NaN once it has ended. */
export function cpuSeconds(pid: number, thread?: number): number {
  try {
    const fields = readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** CPU seconds of one thread of this process, or 0 once it has ended. */
const threadSeconds = (tid: number) => cpuSeconds(process.pid, tid) || 0;

/**
 * Make it before the first worker thread starts (at the top of a bench section): the threads alive then are Node's own.
 * Without /proc every figure is NaN.
 */
export class ThreadCpuSampler {
  private readonly helperIds: number[];

  constructor() {
    let tids: number[] = [];
    try {
      tids = readdirSync('/proc/self/task').map(Number);
    } catch {
      // Not Linux.
    }
    this.helperIds = tids.filter((tid) => tid !== process.pid);
  }

  sample(): ThreadCpu {
    const usage = process.cpuUsage();
    const total = (usage.user + usage.system) / 1e6;
    if (this.helperIds.length === 0) return { process: total, main: NaN, helpers: NaN, workers: NaN };
    const main = threadSeconds(process.pid);
    const helpers = this.helperIds.reduce((sum, tid) => sum + threadSeconds(tid), 0);
    return { process: total, main, helpers, workers: Math.max(0, total - main - helpers) };
  }
}

/** `main 1.2 s, V8 and libuv threads 0.4 s, functions' threads 3.1 s` between two samples. */
export function threadCpuLine(from: ThreadCpu, to: ThreadCpu): string {
  const d = (key: keyof ThreadCpu) => (to[key] - from[key]).toFixed(1);
  return `main thread ${d('main')} s, V8 and libuv threads ${d('helpers')} s, functions' threads ${d('workers')} s`;
}

/**
 * DynamoDB Local's CPU by kind of thread, from /proc/<pid>/task (Linux): its SQLite queue (one thread: every SQLite
 * statement of every request runs on it, in turn, so its CPU bounds the JVM's throughput from below), Jetty's request
 * threads (parsing, validation, expressions, responses), the JIT compilers, the VM thread (the serial collector's
 * pauses) and the rest (the process's total less those; an ended thread's CPU counts there).
 */
export interface JvmThreadCpu {
  total: number;
  sqlite: number;
  requests: number;
  compilers: number;
  vm: number;
  other: number;
}

export function jvmThreadCpu(pid: number): JvmThreadCpu {
  const cpu: JvmThreadCpu = { total: NaN, sqlite: 0, requests: 0, compilers: 0, vm: 0, other: 0 };
  try {
    cpu.total = cpuSeconds(pid);
    for (const tid of readdirSync(`/proc/${pid}/task`).map(Number)) {
      let name: string;
      try {
        name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      } catch {
        continue; // ended meanwhile
      }
      const seconds = cpuSeconds(pid, tid);
      if (Number.isNaN(seconds)) continue; // ended meanwhile
      if (name.startsWith('SQLiteQueue')) cpu.sqlite += seconds;
      else if (name.startsWith('qtp')) cpu.requests += seconds;
      else if (/Compiler ?Thre/.test(name)) cpu.compilers += seconds;
      else if (name === 'VM Thread') cpu.vm += seconds;
    }
    cpu.other = Math.max(0, cpu.total - cpu.sqlite - cpu.requests - cpu.compilers - cpu.vm);
  } catch {
    // Not Linux, or the JVM has ended.
  }
  return cpu;
}

/** `SQLite queue 49.4 s, Jetty request threads 32.3 s, …` between two samples of `jvmThreadCpu`. */
export function jvmThreadCpuLine(from: JvmThreadCpu, to: JvmThreadCpu): string {
  const d = (key: keyof JvmThreadCpu) => (to[key] - from[key]).toFixed(1);
  return `SQLite queue ${d('sqlite')} s (one thread), Jetty request threads ${d('requests')} s, JIT compilers ${d('compilers')} s, VM thread (collector) ${d('vm')} s, other ${d('other')} s`;
}
