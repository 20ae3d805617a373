import { randomBytes, randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { Readable } from 'node:stream';
import type { LocalFunction } from './template.js';

export type InvokeResult =
  | { ok: true; result: unknown; durationMs: number }
  | { ok: false; errorType: string; errorMessage: string; trace?: string[]; durationMs: number };

export interface LambdaRuntimeOptions {
  functions: LocalFunction[];
  /** environment every function starts from (endpoints, credentials); the function's own variables win */
  baseEnv?: Record<string, string>;
  /** receives each line the function writes to stdout or stderr */
  onLog?: (functionName: string, line: string) => void;
  /**
   * Execution environments (worker threads) per function, default 4; more concurrent invocations wait their turn.
   * More does not raise throughput while DynamoDB Local is the limit, and each one is an isolate to load and JIT
   * (docs/profile-local-cloud.md).
   */
  maxConcurrency?: number;
}

/**
 * The code of one execution environment, run with `eval` so that it needs no loader (tsx, vitest)
 * and no file next to this one. One invocation at a time, like a Lambda execution environment.
 */
const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const { existsSync, readFileSync } = require('node:fs');
const { dirname, join, resolve } = require('node:path');
const Module = require('node:module');
const { pathToFileURL } = require('node:url');
const { performance } = require('node:perf_hooks');
if (/--enable-source-maps/.test(process.env.NODE_OPTIONS || '')) process.setSourceMapsEnabled(true);
let handlerFn;

class RuntimeError extends Error {
  constructor(name, message) { super(message); this.name = name; }
}

/** The bundle's own package type: on Lambda the task root is the top, so a project's package.json above it does not count. */
function bundleType() {
  const manifest = join(workerData.bundleDir, 'package.json');
  return existsSync(manifest) ? JSON.parse(readFileSync(manifest, 'utf8')).type : undefined;
}

/** Compiles the file as CommonJS whatever package.json lies above it (cdk.out sits inside an ESM project). */
async function loadCommonJs(file) {
  const mod = new Module(file, null);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(dirname(file));
  try {
    mod._compile(readFileSync(file, 'utf8'), file);
  } catch (error) {
    // ES module syntax in a .js file: Node 22 detects it and loads it as ESM, and so does Lambda.
    if (error instanceof SyntaxError && /import|export|module/.test(error.message)) return await import(pathToFileURL(file).href);
    throw error;
  }
  return mod.exports;
}

async function loadHandler() {
  const spec = workerData.handler;
  const dot = spec.lastIndexOf('.');
  const modulePath = resolve(workerData.bundleDir, spec.slice(0, dot));
  const file = ['.js', '.mjs', '.cjs'].map((ext) => modulePath + ext).find((candidate) => existsSync(candidate));
  if (!file) throw new RuntimeError('Runtime.ImportModuleError', "Error: Cannot find module '" + spec.slice(0, dot) + "'");
  const mod = file.endsWith('.mjs') || (file.endsWith('.js') && bundleType() === 'module')
    ? await import(pathToFileURL(file).href)
    : await loadCommonJs(file);
  const fn = mod[spec.slice(dot + 1)];
  if (typeof fn !== 'function') throw new RuntimeError('Runtime.HandlerNotFound', spec + ' is undefined or not exported');
  return fn;
}

function toError(error) {
  if (error instanceof Error) {
    return { errorType: error.name || 'Error', errorMessage: error.message, trace: String(error.stack || '').split('\n') };
  }
  return { errorType: 'Error', errorMessage: String(error) };
}

parentPort.on('message', async (message) => {
  let deadline = Date.now() + message.timeoutMs;
  const context = {
    functionName: workerData.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: message.invokedArn,
    memoryLimitInMB: String(workerData.memoryMb),
    awsRequestId: message.requestId,
    logGroupName: workerData.logGroupName,
    logStreamName: workerData.logStreamName,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    if (!handlerFn) {
      const start = performance.now();
      handlerFn = await loadHandler();
      parentPort.postMessage({ type: 'init', initMs: performance.now() - start });
      deadline = Date.now() + message.timeoutMs;
    }
    const event = JSON.parse(message.event);
    const result = await (handlerFn.length >= 3
      ? new Promise((resolvePromise, rejectPromise) => {
          const returned = handlerFn(event, context, (error, value) => (error ? rejectPromise(error) : resolvePromise(value)));
          if (returned && typeof returned.then === 'function') returned.then(resolvePromise, rejectPromise);
        })
      : handlerFn(event, context));
    // Lambda hands back the JSON serialization of the result.
    parentPort.postMessage({ type: 'result', ok: true, payload: JSON.stringify(result === undefined ? null : result) });
  } catch (error) {
    parentPort.postMessage({ type: 'result', ok: false, error: toError(error) });
  }
});
`;

/** Lambda's limit on a cold start's init phase. */
const INIT_TIMEOUT_MS = 10_000;

interface Pending {
  requestId: string;
  started: number;
  timer: NodeJS.Timeout;
  /** restarts the timeout once the environment has finished its init */
  rearm: () => NodeJS.Timeout;
  settle: (result: InvokeResult) => void;
}

interface Environment {
  worker: Worker;
  pending?: Pending;
  initialized: boolean;
  dead: boolean;
}

interface FunctionState {
  fn: LocalFunction;
  idle: Environment[];
  all: Set<Environment>;
  /** invocations waiting for an environment; called with undefined when the runtime stops */
  waiting: Array<(environment: Environment | undefined) => void>;
  initMs?: number;
  invocations: number;
}

const failure = (errorType: string, errorMessage: string, started: number, trace?: string[]): InvokeResult => ({
  ok: false,
  errorType,
  errorMessage,
  ...(trace ? { trace } : {}),
  durationMs: performance.now() - started,
});

/**
 * Runs the functions of a template locally: each execution environment is a worker thread with its own
 * `process.env`, loading the function's bundle on its first invocation.
 * @example
 * const runtime = new LambdaRuntime({ functions: app.functions, baseEnv: { AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint } });
 * const outcome = await runtime.invoke('my-function', { hello: 'world' });
 */
export class LambdaRuntime {
  private readonly states = new Map<string, FunctionState>();
  private readonly byKey = new Map<string, FunctionState>();
  private readonly baseEnv: Record<string, string>;
  private readonly onLog: (functionName: string, line: string) => void;
  private readonly maxConcurrency: number;
  private stopped = false;

  constructor(options: LambdaRuntimeOptions) {
    this.baseEnv = options.baseEnv ?? {};
    this.onLog = options.onLog ?? ((name, line) => process.stdout.write(`[${name}] ${line}\n`));
    this.maxConcurrency = Math.max(1, options.maxConcurrency ?? 4);
    for (const fn of options.functions) {
      const state: FunctionState = { fn, idle: [], all: new Set(), waiting: [], invocations: 0 };
      this.states.set(fn.functionName, state);
      for (const key of [fn.functionName, fn.arn, fn.logicalId]) this.byKey.set(key, state);
    }
  }

  /**
   * Invokes a function by name, ARN (a `:qualifier` suffix is ignored) or logical id.
   * Rejects with a ResourceNotFoundException for an unknown function; a function error resolves with ok: false.
   */
  async invoke(functionNameOrArn: string, event: unknown, options: { requestId?: string } = {}): Promise<InvokeResult> {
    if (this.stopped) throw new Error('LambdaRuntime is stopped');
    const state = this.byKey.get(functionNameOrArn) ?? this.byKey.get(functionNameOrArn.replace(/^(arn:[^:]+:lambda:[^:]+:[^:]+:function:[^:]+):.*$/, '$1'));
    if (!state) {
      const error = new Error(`Function not found: ${functionNameOrArn}`);
      error.name = 'ResourceNotFoundException';
      throw error;
    }
    const requestId = options.requestId ?? randomUUID();
    const payload = JSON.stringify(event === undefined ? null : event);
    const invokedArn = functionNameOrArn.startsWith('arn:') ? functionNameOrArn : state.fn.arn;
    if (!state.fn.bundleDir) return failure('Runtime.ImportModuleError', `Function ${state.fn.functionName} has no local bundle`, performance.now());
    let environment: Environment | undefined;
    // An environment can crash between being handed out and being used: take another one.
    do environment = await this.acquire(state);
    while (environment?.dead);
    if (!environment) return failure('LocalRuntime.Stopped', 'The local Lambda runtime stopped', performance.now());
    state.invocations++;
    const timeoutMs = state.fn.timeoutSeconds * 1000;
    const ready = environment;
    return await new Promise<InvokeResult>((resolve) => {
      const started = performance.now();
      const onTimeout = () => {
        const seconds = state.fn.timeoutSeconds.toFixed(2);
        // The line Lambda writes to the function's log when it ends an invocation at its timeout.
        this.onLog(state.fn.functionName, `${new Date().toISOString()} ${requestId} Task timed out after ${seconds} seconds`);
        this.discard(state, ready, failure('Sandbox.Timedout', `RequestId: ${requestId} Error: Task timed out after ${seconds} seconds`, started));
      };
      // Like Lambda, a cold start's init has its own budget; the function timeout counts from the end of init.
      const timer = setTimeout(onTimeout, ready.initialized ? timeoutMs : INIT_TIMEOUT_MS + timeoutMs);
      ready.pending = { requestId, started, timer, settle: resolve, rearm: () => setTimeout(onTimeout, timeoutMs) };
      ready.worker.ref();
      ready.worker.postMessage({ event: payload, requestId, invokedArn, timeoutMs });
    });
  }

  /** Terminates every execution environment; invocations in flight resolve with ok: false. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const state of this.states.values()) for (const waiter of state.waiting.splice(0)) waiter(undefined);
    const all = [...this.states.values()].flatMap((state) => [...state.all].map((environment) => [state, environment] as const));
    for (const [state, environment] of all) {
      this.discard(state, environment, failure('LocalRuntime.Stopped', 'The local Lambda runtime stopped', environment.pending?.started ?? performance.now()));
    }
    await Promise.all(all.map(([, environment]) => environment.worker.terminate()));
  }

  /** Per function: the last cold start's init time and the number of invocations. */
  stats(): Array<{ functionName: string; initMs?: number; invocations: number }> {
    return [...this.states.values()].map((state) => ({
      functionName: state.fn.functionName,
      ...(state.initMs !== undefined ? { initMs: state.initMs } : {}),
      invocations: state.invocations,
    }));
  }

  private acquire(state: FunctionState): Promise<Environment | undefined> {
    return new Promise((resolve) => {
      state.waiting.push(resolve);
      this.dispatch(state);
    });
  }

  /** Hands free (or new) environments to waiting invocations. */
  private dispatch(state: FunctionState): void {
    while (state.waiting.length > 0 && !this.stopped) {
      const environment = state.idle.pop() ?? (state.all.size < this.maxConcurrency ? this.spawn(state) : undefined);
      if (!environment) return;
      state.waiting.shift()!(environment);
    }
  }

  private release(state: FunctionState, environment: Environment): void {
    environment.pending = undefined;
    environment.worker.unref();
    state.idle.push(environment);
    this.dispatch(state);
  }

  /** Ends an environment (timeout, crash, stop): its invocation fails, a waiting invocation gets a new one. */
  private discard(state: FunctionState, environment: Environment, result: InvokeResult): void {
    if (environment.dead) return;
    environment.dead = true;
    state.all.delete(environment);
    state.idle = state.idle.filter((e) => e !== environment);
    const pending = environment.pending;
    environment.pending = undefined;
    if (pending) {
      clearTimeout(pending.timer);
      pending.settle(result);
    }
    void environment.worker.terminate();
    this.dispatch(state);
  }

  private spawn(state: FunctionState): Environment {
    const { fn } = state;
    const region = this.baseEnv.AWS_REGION ?? fn.arn.split(':')[3] ?? 'us-east-1';
    const now = new Date();
    const logStreamName = `${now.toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${randomBytes(16).toString('hex')}`;
    const logGroupName = `/aws/lambda/${fn.functionName}`;
    const env: Record<string, string> = {
      ...this.baseEnv,
      ...fn.environment,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_LAMBDA_LOG_GROUP_NAME: logGroupName,
      AWS_LAMBDA_LOG_STREAM_NAME: logStreamName,
      AWS_ACCESS_KEY_ID: this.baseEnv.AWS_ACCESS_KEY_ID ?? 'local',
      AWS_SECRET_ACCESS_KEY: this.baseEnv.AWS_SECRET_ACCESS_KEY ?? 'local',
      AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
      LAMBDA_TASK_ROOT: fn.bundleDir,
      _HANDLER: fn.handler,
      TZ: 'UTC',
    };
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      env,
      // LOCAL_FUNCTIONS_CPU_PROF=<dir>: a V8 CPU profile of each execution environment, written when it ends (profiling only).
      execArgv: process.env.LOCAL_FUNCTIONS_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.LOCAL_FUNCTIONS_CPU_PROF}`] : [],
      stdout: true,
      stderr: true,
      workerData: { bundleDir: fn.bundleDir, handler: fn.handler, functionName: fn.functionName, memoryMb: fn.memoryMb, logGroupName, logStreamName },
    });
    const environment: Environment = { worker, initialized: false, dead: false };
    worker.unref();
    this.forwardLines(fn.functionName, worker.stdout);
    this.forwardLines(fn.functionName, worker.stderr);
    worker.on('message', (message: { type: 'init'; initMs: number } | { type: 'result'; ok: boolean; payload?: string; error?: { errorType: string; errorMessage: string; trace?: string[] } }) => {
      if (message.type === 'init') {
        state.initMs = message.initMs;
        environment.initialized = true;
        if (environment.pending) {
          clearTimeout(environment.pending.timer);
          environment.pending.timer = environment.pending.rearm();
        }
        return;
      }
      const pending = environment.pending;
      if (!pending) return;
      clearTimeout(pending.timer);
      const durationMs = performance.now() - pending.started;
      pending.settle(message.ok ? { ok: true, result: JSON.parse(message.payload!) as unknown, durationMs } : { ok: false, ...message.error!, durationMs });
      this.release(state, environment);
    });
    worker.on('error', (error: Error) => {
      const started = environment.pending?.started ?? performance.now();
      this.discard(state, environment, failure(error.name || 'Error', error.message, started, String(error.stack ?? '').split('\n')));
    });
    worker.on('exit', (code) => {
      const requestId = environment.pending?.requestId ?? '';
      const started = environment.pending?.started ?? performance.now();
      this.discard(state, environment, failure('Runtime.ExitError', `RequestId: ${requestId} Error: Runtime exited with error: exit status ${code}`, started));
    });
    state.all.add(environment);
    return environment;
  }

  private forwardLines(functionName: string, stream: Readable): void {
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (buffered + chunk).split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) this.onLog(functionName, line);
    });
    stream.on('end', () => {
      if (buffered) this.onLog(functionName, buffered);
    });
  }
}
