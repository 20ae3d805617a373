import Module from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { bundleFunctions, functionEntries, type BundleSet } from '../../infra/bundles.js';

let bundles: BundleSet | undefined;

/** The bundle set the global setup built (reused as it is: same entries, same inputs). */
export function testBundles(): BundleSet {
  bundles ??= bundleFunctions({ entries: functionEntries() });
  return bundles;
}

/** Node's CommonJS loader, as the local cloud's Lambda runtime uses it (not in @types/node). */
type Loader = Module & { _compile(source: string, file: string): void; exports: unknown };
const ModuleInternals = Module as unknown as { new (id: string): Loader; _nodeModulePaths(dir: string): string[] };

/**
 * The handler of a function as Lambda runs it: from its bundle, the bytes `cdk synth` and the local cloud use.
 * The pages function needs it: its browser modules are built into the bundle (infra/bundles.ts). Compiled as
 * CommonJS whatever package.json lies above the cache (this project's says "module"), as Lambda would.
 */
export function bundledHandler<H>(entry: string): H {
  const file = join(testBundles().dirOf(entry), 'index.js');
  const mod = new ModuleInternals(file);
  mod.filename = file;
  mod.paths = ModuleInternals._nodeModulePaths(dirname(file));
  mod._compile(readFileSync(file, 'utf8'), file);
  return (mod.exports as { handler: H }).handler;
}
