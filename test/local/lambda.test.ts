import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LambdaRuntime } from '../../infra/local/lambda.js';
import type { LocalFunction } from '../../infra/local/template.js';

const entry = fileURLToPath(new URL('../fixtures/local/hello-handler.ts', import.meta.url));
let workDir: string;
let cjsDir: string;
let esmDir: string;
let underModuleDir: string;
let runtime: LambdaRuntime | undefined;

const fn = (name: string, bundleDir: string, extra: Partial<LocalFunction> = {}): LocalFunction => ({
  logicalId: `${name}Logical`,
  functionName: name,
  arn: `arn:aws:lambda:eu-west-3:123456789012:function:${name}`,
  handler: 'index.handler',
  runtime: 'nodejs22.x',
  bundleDir,
  environment: {},
  timeoutSeconds: 5,
  memoryMb: 256,
  ...extra,
});

function start(functions: LocalFunction[], options: { baseEnv?: Record<string, string>; maxConcurrency?: number | ((fn: LocalFunction) => number | undefined); codeCacheDir?: string } = {}) {
  const logs: Array<[string, string]> = [];
  runtime = new LambdaRuntime({ functions, ...options, onLog: (name, line) => logs.push([name, line]) });
  return { runtime, logs };
}

type Report = { invocation: number; env: Record<string, string | undefined>; context: Record<string, unknown> };

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'lambda-test-'));
  cjsDir = join(workDir, 'cjs');
  esmDir = join(workDir, 'esm');
  // The same shapes NodejsFunction produces: CommonJS index.js by default, index.mjs for ESM output.
  // With its source map, as the app's bundles have theirs.
  await build({ entryPoints: [entry], bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, outfile: join(cjsDir, 'index.js'), logLevel: 'silent' });
  await build({ entryPoints: [entry], bundle: true, platform: 'node', target: 'node20', format: 'esm', outfile: join(esmDir, 'index.mjs'), logLevel: 'silent' });
  // cdk.out inside this "type": "module" project: the CommonJS bundle must still load as CommonJS.
  underModuleDir = join(workDir, 'esm-project', 'cdk.out', 'asset.1');
  mkdirSync(underModuleDir, { recursive: true });
  writeFileSync(join(workDir, 'esm-project', 'package.json'), '{"type":"module"}');
  copyFileSync(join(cjsDir, 'index.js'), join(underModuleDir, 'index.js'));
});

afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe('LambdaRuntime', () => {
  it('gives each function its own environment (CommonJS and ESM bundles)', async () => {
    const { runtime } = start(
      [fn('alpha', cjsDir, { environment: { MARKER: 'alpha', TABLE_NAME: 'table-a' } }), fn('beta', esmDir, { environment: { MARKER: 'beta' } })],
      { baseEnv: { MARKER: 'base', BASE_ONLY: 'shared' } },
    );
    const [a, b] = await Promise.all([runtime.invoke('alpha', {}), runtime.invoke('beta', {})]);
    if (!a.ok || !b.ok) throw new Error(JSON.stringify([a, b]));
    const envA = (a.result as Report).env;
    const envB = (b.result as Report).env;
    expect(envA).toMatchObject({ MARKER: 'alpha', TABLE_NAME: 'table-a', BASE_ONLY: 'shared', AWS_LAMBDA_FUNCTION_NAME: 'alpha' });
    expect(envB).toMatchObject({ MARKER: 'beta', BASE_ONLY: 'shared', AWS_LAMBDA_FUNCTION_NAME: 'beta' });
    expect(envB.TABLE_NAME).toBeUndefined();
    expect(envA).toMatchObject({
      AWS_REGION: 'eu-west-3',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/alpha',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      _HANDLER: 'index.handler',
      TZ: 'UTC',
    });
    expect(process.env.MARKER).toBeUndefined();
  });

  it('loads a CommonJS bundle that sits inside an ESM project as CommonJS, like Lambda', async () => {
    const { runtime } = start([fn('gamma', underModuleDir, { environment: { MARKER: 'gamma' } })]);
    const outcome = await runtime.invoke('gamma', {});
    expect(outcome.ok && (outcome.result as Report).env.MARKER).toBe('gamma');
  });

  it('builds the Lambda context and keeps the environment warm', async () => {
    const { runtime } = start([fn('alpha', cjsDir)]);
    const arn = 'arn:aws:lambda:eu-west-3:123456789012:function:alpha';
    const first = await runtime.invoke(`${arn}:$LATEST`, null, { requestId: 'req-1' });
    const second = await runtime.invoke('alphaLogical', null);
    if (!first.ok || !second.ok) throw new Error(JSON.stringify([first, second]));
    const context = (first.result as Report).context;
    expect(context).toMatchObject({
      functionName: 'alpha',
      functionVersion: '$LATEST',
      invokedFunctionArn: `${arn}:$LATEST`,
      memoryLimitInMB: '256',
      awsRequestId: 'req-1',
      logGroupName: '/aws/lambda/alpha',
      callbackWaitsForEmptyEventLoop: true,
    });
    expect(context.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(context.remaining).toBeGreaterThan(0);
    expect(context.remaining).toBeLessThanOrEqual(5000);
    expect((second.result as Report).context.invokedFunctionArn).toBe(arn);
    expect((second.result as Report).invocation).toBe(2);
    const [stats] = runtime.stats();
    expect(stats).toMatchObject({ functionName: 'alpha', invocations: 2 });
    expect(stats!.initMs).toBeGreaterThan(0);
  });

  it('returns a thrown error as a function error, and writes it to the function log as Lambda does', async () => {
    const { runtime, logs } = start([fn('alpha', cjsDir)]);
    const outcome = await runtime.invoke('alpha', { mode: 'throw' });
    expect(outcome).toMatchObject({ ok: false, errorType: 'TypeError', errorMessage: 'bad input' });
    expect(outcome.ok === false && outcome.trace?.[0]).toBe('TypeError: bad input');
    expect(logs.filter(([name, line]) => name === 'alpha' && / ERROR Invoke Error \{"errorType":"TypeError","errorMessage":"bad input"\}$/.test(line))).toHaveLength(1);
  });

  it('fails a timed out invocation and replaces its environment', async () => {
    const { runtime, logs } = start([fn('alpha', cjsDir, { timeoutSeconds: 0.2 })]);
    const outcome = await runtime.invoke('alpha', { mode: 'sleep', ms: 5000 }, { requestId: 'req-slow' });
    expect(outcome).toMatchObject({ ok: false, errorType: 'Sandbox.Timedout', errorMessage: 'RequestId: req-slow Error: Task timed out after 0.20 seconds' });
    // As Lambda does, the function's log says so.
    expect(logs.filter(([name, line]) => name === 'alpha' && / req-slow Task timed out after 0\.20 seconds$/.test(line))).toHaveLength(1);
    const next = await runtime.invoke('alpha', {});
    expect(next.ok && (next.result as Report).invocation).toBe(1);
  });

  it('fails the invocation of a crashed environment and replaces it', async () => {
    const { runtime } = start([fn('alpha', cjsDir)]);
    const outcome = await runtime.invoke('alpha', { mode: 'crash' }, { requestId: 'req-crash' });
    expect(outcome).toMatchObject({ ok: false, errorType: 'Runtime.ExitError', errorMessage: 'RequestId: req-crash Error: Runtime exited with error: exit status 3' });
    const next = await runtime.invoke('alpha', {});
    expect(next.ok && (next.result as Report).invocation).toBe(1);
  });

  it('runs one invocation at a time per environment, up to maxConcurrency environments', async () => {
    const { runtime } = start([fn('alpha', cjsDir)], { maxConcurrency: 1 });
    const outcomes = await Promise.all([runtime.invoke('alpha', { mode: 'sleep', ms: 20 }), runtime.invoke('alpha', { mode: 'sleep', ms: 20 })]);
    expect(outcomes.map((o) => o.ok && (o.result as Report).invocation).sort()).toEqual([1, 2]);
  });

  it('starts one environment at a time per function: a burst of quick invocations waits for the first cold start', async () => {
    const { runtime } = start([fn('alpha', cjsDir)], { maxConcurrency: 4 });
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => runtime.invoke('alpha', { mode: 'sleep', ms: 0 })));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    // Started together, each would have had its own environment, up to the 4 allowed.
    expect(runtime.stats()[0]!.coldStarts).toBeLessThan(4);
  });

  it("gives each function its own cap when maxConcurrency is a function of it, the default for the others", async () => {
    const { runtime } = start([fn('alpha', cjsDir), fn('beta', cjsDir)], { maxConcurrency: (f) => (f.functionName === 'alpha' ? 1 : undefined) });
    const burst = (name: string) => Array.from({ length: 3 }, () => runtime.invoke(name, { mode: 'sleep', ms: 1_500 }));
    const outcomes = await Promise.all([...burst('alpha'), ...burst('beta')]);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    const coldStarts = Object.fromEntries(runtime.stats().map((s) => [s.functionName, s.coldStarts]));
    // alpha's three ran one after the other in its one environment; beta's waited for no one but its cold starts.
    expect(coldStarts.alpha).toBe(1);
    expect(coldStarts.beta).toBeGreaterThan(1);
    expect(outcomes.slice(0, 3).map((o) => o.ok && (o.result as Report).invocation).sort()).toEqual([1, 2, 3]);
  });

  it('keeps the compiled code of a bundle for the next cold starts, never its module state', async () => {
    const codeCacheDir = join(workDir, 'code-cache');
    const first = start([fn('alpha', cjsDir)], { codeCacheDir }).runtime;
    expect(await first.invoke('alpha', {})).toMatchObject({ ok: true, result: { invocation: 1 } });
    // Written once the first invocation has answered (the folder too).
    const cacheFiles = () => (existsSync(codeCacheDir) ? readdirSync(codeCacheDir).filter((name) => name.endsWith('.bin')) : []);
    const deadline = Date.now() + 5_000;
    while (cacheFiles().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const [cacheFile] = cacheFiles();
    expect(cacheFile).toBeDefined();
    await first.stop();
    // A new environment compiled from the cache still starts its module afresh.
    const second = start([fn('alpha', cjsDir)], { codeCacheDir }).runtime;
    expect(await second.invoke('alpha', {})).toMatchObject({ ok: true, result: { invocation: 1 } });
    await second.stop();
    // A cache V8 refuses (another Node, a damaged file) is only a compilation more.
    writeFileSync(join(codeCacheDir, cacheFile!), 'not a code cache');
    const third = start([fn('alpha', cjsDir)], { codeCacheDir }).runtime;
    expect(await third.invoke('alpha', {})).toMatchObject({ ok: true, result: { invocation: 1 } });
  });

  it('maps stack traces to the sources when the function asks for source maps, as Lambda does', async () => {
    const { runtime } = start([fn('alpha', cjsDir, { environment: { NODE_OPTIONS: '--enable-source-maps' } }), fn('beta', cjsDir)]);
    const mapped = await runtime.invoke('alpha', { mode: 'throw' });
    expect(mapped.ok === false && mapped.trace?.[1]).toMatch(/hello-handler\.ts:\d+:\d+\)$/);
    const plain = await runtime.invoke('beta', { mode: 'throw' });
    expect(plain.ok === false && plain.trace?.[1]).toMatch(/index\.js:\d+:\d+\)$/);
  });

  it('sends log lines to onLog with the function name', async () => {
    const { runtime, logs } = start([fn('alpha', cjsDir)]);
    await runtime.invoke('alpha', { mode: 'log' });
    await runtime.stop();
    expect(logs).toContainEqual(['alpha', 'hello from the handler']);
  });

  it('reports missing functions, bundles and handlers', async () => {
    const { runtime } = start([fn('alpha', cjsDir, { handler: 'index.missing' }), fn('nobundle', '')]);
    await expect(runtime.invoke('nope', {})).rejects.toThrow(expect.objectContaining({ name: 'ResourceNotFoundException' }));
    expect(await runtime.invoke('alpha', {})).toMatchObject({ ok: false, errorType: 'Runtime.HandlerNotFound' });
    expect(await runtime.invoke('nobundle', {})).toMatchObject({ ok: false, errorType: 'Runtime.ImportModuleError' });
  });
});
