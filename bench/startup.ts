/**
 * Start-up figures (`npm run bench` runs this first; `npx tsx bench/startup.ts` runs it alone):
 *  - cold: `npm start` in a clean clone (the tracked files copied to a temp folder, node_modules linked,
 *    no bundle, assembly or tsx cache) until the banner says "prêt";
 *  - warm: `npm start` again in that clone, nothing changed;
 *  - the same two with trivial functions added up to 60 in all, and what each added function costs;
 *  - the functions' cold starts, without and with the local runtime's code cache, and a burst of invocations.
 */
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort } from '../infra/local/net.js';
import { loadAssembly } from '../infra/local/assembly.js';
import { describeTemplate } from '../infra/local/template.js';
import { LambdaRuntime } from '../infra/local/lambda.js';
import { functionEntries } from '../infra/bundles.js';

/** Functions in the large variant: the app's own plus trivial ones up to this count. */
const LARGE_FUNCTIONS = Number(process.env.BENCH_FUNCTIONS ?? 60);
const READY_TIMEOUT_MS = 10 * 60 * 1000;

interface Start {
  ms: number;
  /** The banner's own synthesis figure, in seconds. */
  synthSeconds: number;
}

/** A copy of the repository's tracked files (as in the working tree) with the node_modules of this checkout. */
function cleanClone(repo: string): string {
  const clone = mkdtempSync(join(tmpdir(), 'parcours-clone-'));
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: repo, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    mkdirSync(dirname(join(clone, file)), { recursive: true });
    cpSync(join(repo, file), join(clone, file));
  }
  symlinkSync(realpathSync(join(repo, 'node_modules')), join(clone, 'node_modules'), 'dir');
  // tsx keeps its compiled files under the temp folder: one per clone, so the first start has none.
  mkdirSync(join(clone, '.tmp'));
  return clone;
}

/** Runs the local cloud of `clone` until "prêt", then stops it. */
async function startOnce(clone: string, extraFunctions: number): Promise<Start> {
  const ports = ['--port', '--ses-port', '--aws-port', '--dynamodb-port'];
  const args = (await Promise.all(ports.map(async (name) => [name, String(await freePort())]))).flat();
  // The clone's own defaults (.local/cdk.out, .local/data), as after `git clone`.
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: join(clone, '.tmp') };
  delete env.PARCOURS_OUT_DIR;
  delete env.PARCOURS_DATA_DIR;
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local-app/main.ts', '--no-demo', '--extra-functions', String(extraFunctions), ...args], {
    cwd: clone,
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let output = '';
  const exited = new Promise<void>((done) => child.on('exit', () => done()));
  try {
    const ms = await new Promise<number>((ready, fail) => {
      const timer = setTimeout(() => fail(new Error(`not ready after ${READY_TIMEOUT_MS} ms:\n${output}`)), READY_TIMEOUT_MS);
      const onData = (chunk: Buffer) => {
        output += chunk;
        if (output.includes('prêt')) {
          clearTimeout(timer);
          ready(performance.now() - started);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('exit', () => fail(new Error(`local cloud exited before ready:\n${output}`)));
    });
    return { ms, synthSeconds: Number(/synthèse ([\d.]+) s/.exec(output)?.[1] ?? NaN) };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Cold and warm start-up of a clean clone with `extraFunctions` more functions; `after` may measure the clone's assembly. */
async function coldAndWarm(repo: string, extraFunctions: number, after?: (clone: string) => Promise<void>): Promise<{ cold: Start; warm: Start }> {
  const clone = cleanClone(repo);
  try {
    const cold = await startOnce(clone, extraFunctions);
    const warm = await startOnce(clone, extraFunctions);
    await after?.(clone);
    return { cold, warm };
  } finally {
    rmSync(clone, { recursive: true, force: true });
  }
}

/**
 * Cold starts of the local Lambda runtime: every function of the assembly invoked once (an empty event: the bundle's
 * load is measured, not the handler), in turn, with an empty code cache, then again with the cache that pass wrote;
 * and a burst of 10 invocations at once per function, which starts one environment at a time.
 */
async function coldStarts(assemblyDir: string): Promise<string[]> {
  const synthesized = loadAssembly(assemblyDir);
  const app = describeTemplate(synthesized.template, synthesized.assemblyDir, { region: 'eu-west-3', accountId: '000000000000', stackName: synthesized.stackName, attributes: {} });
  const functions = app.functions.filter((fn) => fn.bundleDir);
  const codeCacheDir = mkdtempSync(join(tmpdir(), 'parcours-code-cache-'));
  const pass = async (burst: number) => {
    const runtime = new LambdaRuntime({ functions, codeCacheDir, onLog: () => undefined });
    for (const fn of functions) await Promise.all(Array.from({ length: burst }, () => runtime.invoke(fn.functionName, {})));
    const stats = runtime.stats();
    await runtime.stop();
    const initMs = stats.reduce((sum, s) => sum + (s.initMs ?? 0), 0) / stats.length;
    return { initMs, coldStarts: stats.reduce((sum, s) => sum + s.coldStarts, 0) };
  };
  try {
    const empty = await pass(1);
    const cached = await pass(1);
    const burst = await pass(10);
    // The passes' wall times include what the handlers do with an empty event: the load time is the cold start's own.
    return [
      `function cold starts, ${functions.length} functions: bundle load ${empty.initMs.toFixed(0)} ms a function with an empty code cache, ${cached.initMs.toFixed(0)} ms with the code cache`,
      `function cold starts, a burst of 10 invocations per function: ${burst.coldStarts} environments started for ${functions.length} functions (at most 4 each)`,
    ];
  } finally {
    rmSync(codeCacheDir, { recursive: true, force: true });
  }
}

/** Measures and returns the lines to print. */
export async function startupBench(repo = resolve('.')): Promise<string[]> {
  const base = functionEntries(repo).length;
  const extra = Math.max(1, LARGE_FUNCTIONS - base);
  let functionLines: string[] = [];
  const small = await coldAndWarm(repo, 0, async (clone) => {
    functionLines = await coldStarts(join(clone, '.local', 'cdk.out'));
  });
  const large = await coldAndWarm(repo, extra);
  // "synthesis" is the banner's figure: bundling included, 0.1 s when both were reused.
  const line = (label: string, { cold, warm }: { cold: Start; warm: Start }) =>
    `start-up, ${label}: cold ${seconds(cold.ms)} (synthesis ${cold.synthSeconds.toFixed(1)} s), warm ${seconds(warm.ms)} (synthesis ${warm.synthSeconds.toFixed(1)} s)`;
  const perFunction = (pick: (r: { cold: Start; warm: Start }) => Start) => `${((pick(large).ms - pick(small).ms) / extra).toFixed(0)} ms`;
  return [
    line(`${base} functions`, small),
    line(`${base + extra} functions (${extra} trivial ones added)`, large),
    `start-up, cost per added function: cold ${perFunction((r) => r.cold)}, warm ${perFunction((r) => r.warm)} (targets: warm <= 8 s, cold <= 20 s on 2 cores)`,
    ...functionLines,
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const line of await startupBench()) console.log(line);
}
