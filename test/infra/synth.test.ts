import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { bundleFunctions, functionEntries } from '../../infra/bundles.js';
import { loadAssembly } from '../../infra/local/assembly.js';
import { describeTemplate } from '../../infra/local/template.js';
import { synthFingerprint, synthInputs } from '../../infra/synth.js';

afterEach(() => vi.unstubAllEnvs());

describe('synthInputs', () => {
  it('covers the stack, what it imports from workflows/ and shared/, cdk.json and the lock file, not the local cloud', () => {
    const inputs = synthInputs();
    for (const file of ['infra/stack.ts', 'infra/config.ts', 'infra/bundles.ts', 'infra/constructs/parcours-function.ts', 'workflows/referral.ts', 'shared/notifications/tracking.ts', 'cdk.json', 'package-lock.json']) {
      expect(inputs).toContain(file);
    }
    expect(inputs.filter((file) => file.startsWith('infra/local/'))).toEqual([]);
    // Of functions/, only the route keys of an area (decision 29: modules without runtime imports, read by the stack).
    expect(inputs.filter((file) => file.startsWith('functions/') && !/(^|[/-])routes\.ts$/.test(file))).toEqual([]);
  });
});

describe('synthFingerprint', () => {
  it('changes with the stage, the options, an environment variable of the stage configuration and the bundles', () => {
    const base = synthFingerprint({ outDir: 'a', stage: 'local' }, 'bundles-1');
    expect(synthFingerprint({ outDir: 'elsewhere', stage: 'local' }, 'bundles-1')).toBe(base);
    expect(synthFingerprint({ outDir: 'a', stage: 'test' }, 'bundles-1')).not.toBe(base);
    expect(synthFingerprint({ outDir: 'a', stage: 'local', extraFunctions: 3 }, 'bundles-1')).not.toBe(base);
    expect(synthFingerprint({ outDir: 'a', stage: 'local' }, 'bundles-2')).not.toBe(base);
    vi.stubEnv('PARCOURS_STAFF_EMAIL', 'equipe@example.org');
    expect(synthFingerprint({ outDir: 'a', stage: 'local' }, 'bundles-1')).not.toBe(base);
  });
});

describe('the run\'s assemblies (global setup)', () => {
  it('are reused by a new process for both stages without esbuild, synthesis or the CDK import', async () => {
    const script = `import { createRequire } from 'node:module';
      import { synthApp } from ${JSON.stringify(resolve('infra/synth.ts'))};
      const cdkLoaded = () => Object.keys(createRequire(import.meta.url).cache).some((path) => path.includes('/aws-cdk-lib/'));
      const results = [];
      for (const [outDir, stage] of ${JSON.stringify([[inject('assemblyDir'), 'local'], [inject('testStageAssemblyDir'), 'test']])}) {
        const { reused, bundles } = await synthApp({ outDir, stage });
        results.push({ stage, reused, bundlesBuilt: bundles.built });
      }
      const before = cdkLoaded();
      await import('aws-cdk-lib');
      console.log(JSON.stringify({ results, cdkLoaded: before, cdkLoadedAfterImport: cdkLoaded() }));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: resolve('.') });
    expect(JSON.parse(stdout)).toEqual({
      results: [
        { stage: 'local', reused: true, bundlesBuilt: false },
        { stage: 'test', reused: true, bundlesBuilt: false },
      ],
      cdkLoaded: false,
      // The probe itself works: importing the CDK shows.
      cdkLoadedAfterImport: true,
    });
  }, 60_000);

  it('give each function its own asset folder holding the index.js of its entry in the bundle set', () => {
    const assembly = loadAssembly(inject('assemblyDir'));
    const app = describeTemplate(assembly.template, assembly.assemblyDir, { region: 'eu-west-3', accountId: '000000000000', stackName: assembly.stackName });
    const bundles = bundleFunctions({ entries: functionEntries() });
    expect(bundles.built).toBe(false);
    expect(app.functions).toHaveLength(functionEntries().length);
    expect(new Set(app.functions.map((fn) => fn.bundleDir)).size).toBe(app.functions.length);
    for (const fn of app.functions) {
      expect(fn.bundleDir.startsWith(assembly.assemblyDir)).toBe(true);
      expect(existsSync(join(fn.bundleDir, 'index.js'))).toBe(true);
      // ParcoursFunction's description defaults to its entry.
      const entry = String(assembly.template.Resources[fn.logicalId].Properties?.Description);
      expect(readFileSync(join(fn.bundleDir, 'index.js')).equals(readFileSync(join(bundles.dirOf(entry), 'index.js'))), entry).toBe(true);
    }
  });
});
