import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
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
   * (docs/profile-local-cloud.md). A function of the template gives each function its own (undefined: the default).
   */
  maxConcurrency?: number | ((fn: LocalFunction) => number | undefined);
  /**
   * Where compiled code is kept across environments and runtimes (V8 code cache, one file per bundle content):
   * a cold start then skips most of its compilation. Module state is never shared, only compiled code.
   * Without it, every environment compiles its bundle.
   */
  codeCacheDir?: string;
}

/**
 * The code of one execution environment, run with `eval` so that it needs no loader (tsx, vitest)
 * and no file next to this one. One invocation at a time, like a Lambda execution environment.
 */
const WORKER_SOURCE = String.raw`
const { parentPort, workerData, threadId } = require('node:worker_threads');
const { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { dirname, join, resolve } = require('node:path');
const { createHash } = require('node:crypto');
const Module = require('node:module');
const vm = require('node:vm');
const { pathToFileURL } = require('node:url');
const { performance } = require('node:perf_hooks');
const sourceMaps = /--enable-source-maps/.test(process.env.NODE_OPTIONS || '');
let handlerFn;
/** The compiled bundle and where its code cache goes, while this environment still has to write it. */
let toCache;

class RuntimeError extends Error {
  constructor(name, message) { super(message); this.name = name; }
}

/** The bundle's own package type: on Lambda the task root is the top, so a project's package.json above it does not count. */
function bundleType() {
  const manifest = join(workerData.bundleDir, 'package.json');
  return existsSync(manifest) ? JSON.parse(readFileSync(manifest, 'utf8')).type : undefined;
}

/**
 * Compiles the file as CommonJS whatever package.json lies above it (cdk.out sits inside an ESM project), with the
 * code cache of the same source when there is one: V8 checks that it fits, and compiles afresh otherwise.
 */
async function loadCommonJs(file) {
  const source = readFileSync(file, 'utf8');
  const cacheFile = workerData.codeCacheDir
    ? join(workerData.codeCacheDir, createHash('sha256').update(process.version).update(process.arch).update(source).digest('hex') + '.bin')
    : undefined;
  let cachedData;
  try {
    cachedData = cacheFile && existsSync(cacheFile) ? readFileSync(cacheFile) : undefined;
  } catch {
    cachedData = undefined;
  }
  let script;
  try {
    script = new vm.Script(Module.wrap(source), {
      filename: file,
      cachedData,
      importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    });
  } catch (error) {
    // ES module syntax in a .js file: Node 22 detects it and loads it as ESM, and so does Lambda.
    if (error instanceof SyntaxError && /import|export|module/.test(error.message)) return await loadEsm(file);
    throw error;
  }
  if (cacheFile && (!cachedData || script.cachedDataRejected)) toCache = { script, cacheFile };
  if (sourceMaps) mapStackTraces(file, source);
  const mod = new Module(file, null);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(dirname(file));
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, dirname(file));
  mod.loaded = true;
  return mod.exports;
}

async function loadEsm(file) {
  if (sourceMaps) process.setSourceMapsEnabled(true);
  return await import(pathToFileURL(file).href);
}

/**
 * Writes the code cache once the first invocation ran: it then holds the functions that invocation compiled too.
 * Written aside and renamed, so that another environment reads a whole file or none.
 */
function writeCodeCache() {
  const { script, cacheFile } = toCache;
  toCache = undefined;
  try {
    mkdirSync(dirname(cacheFile), { recursive: true });
    const aside = cacheFile + '.' + process.pid + '-' + threadId + '.tmp';
    writeFileSync(aside, script.createCachedData());
    renameSync(aside, cacheFile);
  } catch {
    // A cache that cannot be written only costs the next cold start its compilation.
  }
}

/**
 * Stack traces through the bundle's source map, as --enable-source-maps gives them for a file that Node's own
 * loader compiled (Node 20 maps no code compiled by vm.Script). The map is read when a trace first needs it.
 */
function mapStackTraces(file, source) {
  const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(source)?.[1];
  if (!url || url.startsWith('data:')) return;
  const mapFile = resolve(dirname(file), url);
  let map;
  const locate = (line, column) => {
    if (map === undefined) {
      try {
        map = new Module.SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')));
      } catch {
        map = null;
      }
    }
    const entry = map?.findEntry(line - 1, column - 1);
    return entry?.originalSource ? resolve(dirname(mapFile), entry.originalSource) + ':' + (entry.originalLine + 1) + ':' + (entry.originalColumn + 1) : undefined;
  };
  Error.prepareStackTrace = (error, callSites) => {
    let header;
    try {
      header = Error.prototype.toString.call(error);
    } catch {
      header = '<error>';
    }
    const frames = callSites.map((site) => {
      const text = String(site);
      const line = site.getLineNumber();
      const column = site.getColumnNumber();
      if (site.getFileName() !== file || !line || !column) return '    at ' + text;
      const original = locate(line, column);
      return '    at ' + (original ? text.replace(file + ':' + line + ':' + column, original) : text);
    });
    return [header, ...frames].join('\n');
  };
}

async function loadHandler() {
  const spec = workerData.handler;
  const dot = spec.lastIndexOf('.');
  const modulePath = resolve(workerData.bundleDir, spec.slice(0, dot));
  const file = ['.js', '.mjs', '.cjs'].map((ext) => modulePath + ext).find((candidate) => existsSync(candidate));
  if (!file) throw new RuntimeError('Runtime.ImportModuleError', "Error: Cannot find module '" + spec.slice(0, dot) + "'");
  const mod = file.endsWith('.mjs') || (file.endsWith('.js') && bundleType() === 'module') ? await loadEsm(file) : await loadCommonJs(file);
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
  if (toCache) writeCodeCache();
});
`;

/** Code caches older than this are removed when a runtime starts (their bundles have most likely changed since). */
const CODE_CACHE_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

/** Removes the old files of a code cache folder: each bundle content has its own, so changed bundles leave theirs. */
function pruneCodeCache(dir: string): void {
  const now = Date.now();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    try {
      if (now - statSync(join(dir, name)).mtimeMs > CODE_CACHE_MAX_AGE_MS) rmSync(join(dir, name), { force: true });
    } catch {
      // Removed meanwhile by another runtime.
    }
  }
}

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
  /** Environments it may have at once. */
  maxEnvironments: number;
  idle: Environment[];
  all: Set<Environment>;
  /** invocations waiting for an environment; called with undefined when the runtime stops */
  waiting: Array<(environment: Environment | undefined) => void>;
  initMs?: number;
  invocations: number;
  coldStarts: number;
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
  private readonly codeCacheDir: string | undefined;
  private stopped = false;

  constructor(options: LambdaRuntimeOptions) {
    this.baseEnv = options.baseEnv ?? {};
    this.onLog = options.onLog ?? ((name, line) => process.stdout.write(`[${name}] ${line}\n`));
    const environmentsOf = (fn: LocalFunction) => Math.max(1, (typeof options.maxConcurrency === 'function' ? options.maxConcurrency(fn) : options.maxConcurrency) ?? 4);
    this.codeCacheDir = options.codeCacheDir;
    if (this.codeCacheDir) pruneCodeCache(this.codeCacheDir);
    for (const fn of options.functions) {
      const state: FunctionState = { fn, maxEnvironments: environmentsOf(fn), idle: [], all: new Set(), waiting: [], invocations: 0, coldStarts: 0 };
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

  /** Per function: the last cold start's init time, the number of invocations and of cold starts (environments started). */
  stats(): Array<{ functionName: string; initMs?: number; invocations: number; coldStarts: number }> {
    return [...this.states.values()].map((state) => ({
      functionName: state.fn.functionName,
      ...(state.initMs !== undefined ? { initMs: state.initMs } : {}),
      invocations: state.invocations,
      coldStarts: state.coldStarts,
    }));
  }

  private acquire(state: FunctionState): Promise<Environment | undefined> {
    return new Promise((resolve) => {
      state.waiting.push(resolve);
      this.dispatch(state);
    });
  }

  /**
   * Hands free (or new) environments to waiting invocations. One cold start at a time per function: while an
   * environment loads its bundle, more invocations wait for it rather than start their own. Parallel cold starts on
   * a few cores end no sooner, and a burst of quick invocations (a test's requests in parallel) is then served by one
   * or two environments instead of the maximum, each costing a worker thread and its bundle's load.
   */
  private dispatch(state: FunctionState): void {
    while (state.waiting.length > 0 && !this.stopped) {
      const starting = [...state.all].some((e) => !e.initialized && !state.idle.includes(e));
      const environment = state.idle.pop() ?? (state.all.size < state.maxEnvironments && !starting ? this.spawn(state) : undefined);
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
      workerData: { bundleDir: fn.bundleDir, handler: fn.handler, functionName: fn.functionName, memoryMb: fn.memoryMb, logGroupName, logStreamName, codeCacheDir: this.codeCacheDir },
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
        // Invocations that waited for this cold start may now start the next one.
        this.dispatch(state);
        return;
      }
      const pending = environment.pending;
      if (!pending) return;
      clearTimeout(pending.timer);
      const durationMs = performance.now() - pending.started;
      // The line Lambda's Node.js runtime writes when a handler throws (type and message; the stack stays out).
      if (!message.ok) this.onLog(fn.functionName, `${new Date().toISOString()} ${pending.requestId} ERROR Invoke Error ${JSON.stringify({ errorType: message.error!.errorType, errorMessage: message.error!.errorMessage })}`);
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
    state.coldStarts++;
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
