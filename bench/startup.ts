/**
 * Start-up figures (`npm run bench` runs this first; `npx tsx bench/startup.ts` runs it alone):
 *  - cold: `npm start` in a clean clone (the tracked files copied to a temp folder, node_modules linked,
 *    no bundle, assembly or tsx cache) until the banner says "prêt";
 *  - warm: `npm start` again in that clone, nothing changed;
 *  - the same two with trivial functions added up to 60 in all, and what each added function costs.
 */
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort } from '../infra/local/net.js';
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

/** Cold and warm start-up of a clean clone with `extraFunctions` more functions. */
async function coldAndWarm(repo: string, extraFunctions: number): Promise<{ cold: Start; warm: Start }> {
  const clone = cleanClone(repo);
  try {
    const cold = await startOnce(clone, extraFunctions);
    const warm = await startOnce(clone, extraFunctions);
    return { cold, warm };
  } finally {
    rmSync(clone, { recursive: true, force: true });
  }
}

/** Measures and returns the lines to print. */
export async function startupBench(repo = resolve('.')): Promise<string[]> {
  const base = functionEntries(repo).length;
  const extra = Math.max(1, LARGE_FUNCTIONS - base);
  const small = await coldAndWarm(repo, 0);
  const large = await coldAndWarm(repo, extra);
  // "synthesis" is the banner's figure: bundling included, 0.1 s when both were reused.
  const line = (label: string, { cold, warm }: { cold: Start; warm: Start }) =>
    `start-up, ${label}: cold ${seconds(cold.ms)} (synthesis ${cold.synthSeconds.toFixed(1)} s), warm ${seconds(warm.ms)} (synthesis ${warm.synthSeconds.toFixed(1)} s)`;
  const perFunction = (pick: (r: { cold: Start; warm: Start }) => Start) => `${((pick(large).ms - pick(small).ms) / extra).toFixed(0)} ms`;
  return [
    line(`${base} functions`, small),
    line(`${base + extra} functions (${extra} trivial ones added)`, large),
    `start-up, cost per added function: cold ${perFunction((r) => r.cold)}, warm ${perFunction((r) => r.warm)} (targets: warm <= 8 s, cold <= 20 s on 2 cores)`,
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const line of await startupBench()) console.log(line);
}
