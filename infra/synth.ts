/**
 * Synthesis of this app for the local cloud, the tests and the bench, reused while nothing it reads
 * changed. The check reads files and the bundle manifest only: aws-cdk-lib (seconds to import) and the
 * stack are imported only when a synthesis is due.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { REPO_ROOT, bundleFunctions, extraFunctionEntries, functionEntries, type BundleSet } from './bundles.js';
import { CONFIG_ENV_VARS } from './config.js';
import { fingerprint, reuseOrSynthesize, type SynthesizedApp } from './local/assembly.js';

export interface SynthAppOptions {
  outDir: string;
  stage: string;
  /** Run CDK's built-in CloudFormation validation (~13 s here; `cdk synth` runs it, the local cloud need not). cdk-nag runs either way. */
  validate?: boolean;
  /** Trivial functions added to the stack (the start-up bench). */
  extraFunctions?: number;
}

export interface SynthAppResult extends SynthesizedApp {
  /** True when the assembly in `outDir` was reused, false when synthesized now. */
  reused: boolean;
  bundles: BundleSet;
}

/** The files under `dir` (relative to the repository root), recursively. */
function filesUnder(dir: string, skip: (path: string) => boolean = () => false): string[] {
  if (!existsSync(join(REPO_ROOT, dir))) return [];
  return readdirSync(join(REPO_ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((item) => item.isFile())
    .map((item) => relative(REPO_ROOT, join(item.parentPath, item.name)).split('\\').join('/'))
    .filter((path) => !skip(path));
}

const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

/** `start` and every repository file it imports, directly or not, by relative path (`.js` specifiers name `.ts` files). */
function importClosure(start: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file) || !existsSync(join(REPO_ROOT, file))) return;
    seen.add(file);
    for (const [, specifier] of readFileSync(join(REPO_ROOT, file), 'utf8').matchAll(RELATIVE_IMPORT)) {
      const target = relative(REPO_ROOT, join(REPO_ROOT, dirname(file), specifier)).split('\\').join('/');
      visit(target.endsWith('.js') && existsSync(join(REPO_ROOT, target.replace(/\.js$/, '.ts'))) ? target.replace(/\.js$/, '.ts') : target);
    }
  };
  visit(start);
  return [...seen];
}

/**
 * What a synthesis reads besides the bundles: the stack and everything it imports (infra/, workflows/,
 * the shared/ modules it uses), all of infra/ outside the local cloud and workflows/ to be safe, cdk.json,
 * and package-lock.json (the aws-cdk-lib and cdk-nag versions).
 */
export function synthInputs(): string[] {
  return [
    ...importClosure('infra/stack.ts'),
    ...filesUnder('infra', (path) => path.startsWith('infra/local/') || path.startsWith('infra/local-app/')),
    ...filesUnder('workflows'),
    'cdk.json',
    'package-lock.json',
  ];
}

/**
 * Digest of what a synthesis of these options reads: the sources (`synthInputs`), the stage and options,
 * the environment variables the stage configuration and the CDK read, and the bundles' id.
 */
export function synthFingerprint(options: SynthAppOptions, bundlesId: string): string {
  const env = Object.fromEntries([...CONFIG_ENV_VARS, 'CDK_CONTEXT_JSON', 'CDK_DEFAULT_REGION'].map((name) => [name, process.env[name] ?? null]));
  return fingerprint({
    root: REPO_ROOT,
    files: synthInputs(),
    values: { stage: options.stage, validate: options.validate ?? false, extraFunctions: options.extraFunctions ?? 0, env, bundles: bundlesId },
  });
}

/**
 * Bundles the functions (reused when unchanged) and synthesizes the stack of one stage into `outDir`,
 * or reuses the assembly there when it was synthesized from the same sources, stage, environment and bundles.
 * @example const { assemblyDir, reused } = await synthApp({ outDir: '.local/cdk.out', stage: 'local' });
 */
export async function synthApp(options: SynthAppOptions): Promise<SynthAppResult> {
  const extraEntries = extraFunctionEntries(options.extraFunctions ?? 0);
  const bundles = bundleFunctions({ entries: [...functionEntries(), ...extraEntries] });
  const result = await reuseOrSynthesize({
    outDir: options.outDir,
    fingerprint: synthFingerprint(options, bundles.id),
    synth: async (outDir) => {
      const { createParcoursApp } = await import('./stack.js');
      const validation = process.env.CDK_VALIDATION;
      // CDK's built-in CloudFormation validation changes nothing in the template; `cdk synth` (CI) runs it.
      if (!options.validate) process.env.CDK_VALIDATION = 'false';
      try {
        createParcoursApp({ outdir: outDir, stage: options.stage, bundles, extraFunctions: extraEntries.length }).app.synth();
      } finally {
        if (validation === undefined) delete process.env.CDK_VALIDATION;
        else process.env.CDK_VALIDATION = validation;
      }
    },
  });
  return { ...result, bundles };
}
