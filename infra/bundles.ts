/**
 * The Lambda bundles of every function, built by ONE esbuild run (many entry points, one process) and
 * reused while nothing they are built from changed. Deploys (`cdk synth`), the local cloud and the tests
 * all take their bundles from here, so they run the same bytes.
 *
 * This module imports nothing from aws-cdk-lib: the local cloud's warm start checks the bundles without
 * paying the CDK import.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync, version as esbuildVersion, type BuildOptions, type BuildResult } from 'esbuild';

export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Where the bundles are kept between runs (ignored by git with the rest of `.local/`). */
export const DEFAULT_BUNDLE_CACHE = join(REPO_ROOT, '.local', 'bundles');

/** Folder whose every `.ts` file is a Lambda entry point (shared code lives in `shared/`). */
const FUNCTIONS_DIR = 'functions';

/** Folder whose every `.ts` file is the browser module of one page (their shared modules live in `browser/lib/`). */
const BROWSER_PAGES_DIR = 'browser/pages';

/**
 * The global the pages function reads its browser modules from (shared/pages/assets.ts): esbuild defines it, in
 * the functions' build, as the outputs of the browser build.
 */
export const BROWSER_BUNDLES_GLOBAL = 'PARCOURS_BROWSER_BUNDLES';

/**
 * Each AWS SDK client the app depends on, bundled from its ES modules (one file per command, and the
 * clients declare no side effects) instead of its single CommonJS file: an entry's output then holds the
 * modules of exactly the commands its code can reach, which is how the stack grants each function only
 * the operations it calls (`BundleSet.sdkUsageOf`). The document client's paginators call a function at
 * module level, which would keep QueryCommand and ScanCommand in every bundle: its ES entry goes through
 * a shim that declares them pure (infra/bundle-shims/lib-dynamodb.js).
 */
function sdkAliases(root: string): Record<string, string> {
  const manifest = join(root, 'package.json');
  if (!existsSync(manifest)) return {};
  const { dependencies = {} } = JSON.parse(readFileSync(manifest, 'utf8')) as { dependencies?: Record<string, string> };
  const require = createRequire(manifest);
  const aliases: Record<string, string> = {};
  for (const name of Object.keys(dependencies).sort()) {
    if (!name.startsWith('@aws-sdk/client-')) continue;
    const packageJson = require.resolve(`${name}/package.json`);
    const { module } = JSON.parse(readFileSync(packageJson, 'utf8')) as { module?: string };
    if (module) aliases[name] = join(dirname(packageJson), module);
  }
  if ('@aws-sdk/lib-dynamodb' in dependencies) aliases['@aws-sdk/lib-dynamodb'] = join(REPO_ROOT, 'infra/bundle-shims/lib-dynamodb.js');
  return aliases;
}

/**
 * The settings NodejsFunction used for each function: a minified CommonJS `index.js` for Node 22 with
 * its source map (without the sources), the AWS SDK v3 bundled too so the code runs with the versions
 * it was tested with.
 */
const BASE_ESBUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  logLevel: 'warning',
} as const satisfies BuildOptions;

const esbuildOptions = (root: string) => ({ ...BASE_ESBUILD_OPTIONS, alias: sdkAliases(root) }) satisfies BuildOptions;

/**
 * The browser modules: ES modules for current browsers, minified, split so that the code pages share is one
 * cached file; every file is named by its content hash, so the pages function serves them with a long cache.
 */
const BROWSER_ESBUILD_OPTIONS = {
  bundle: true,
  platform: 'browser',
  target: 'es2022',
  format: 'esm',
  splitting: true,
  minify: true,
  entryNames: '[name]-[hash]',
  chunkNames: 'chunk-[hash]',
  legalComments: 'none',
  logLevel: 'warning',
} as const satisfies BuildOptions;

/** Files esbuild reads that its metafile does not list (tsconfig, package manifests through the lock file). */
const FIXED_INPUTS = ['tsconfig.json', 'package-lock.json'];

/** Bumped when the layout or the manifest below changes, so an older cache is rebuilt. */
const MANIFEST_VERSION = 3;

/** The AWS SDK calls an entry's bundle can make, read from what esbuild kept of the SDK. */
export interface SdkUsage {
  /**
   * `<client>:<Operation>` of every SDK command module in the output, sorted, e.g. `dynamodb:GetItem`,
   * `sesv2:SendEmail`, `sfn:StartExecution` (the client is the package name after `@aws-sdk/client-`).
   */
  commands: string[];
  /** True when the code names a DynamoDB index in a request (an `IndexName` property): it needs the indexes' ARNs. */
  queriesIndex: boolean;
}

/** What the browser build made: each page's module and every file, by file name (served under /assets/). */
export interface BrowserBundles {
  /** Page name (its file under browser/pages/ without `.ts`) -> the file name of its module and of the chunks it imports. */
  pages: Record<string, { file: string; imports: string[] }>;
  /** File name -> JavaScript source (the pages' modules and the chunks they share). */
  files: Record<string, string>;
}

interface Manifest {
  version: number;
  esbuild: string;
  options: unknown;
  browserOptions: unknown;
  entries: string[];
  browserEntries: string[];
  /** Page name -> the file names of its browser module and of the chunks it imports. */
  browserPages: BrowserBundles['pages'];
  /** Names the build folder: a hash of every output file. */
  id: string;
  /** Every file the build read, relative to the root: [size, mtimeMs]; null forces a rebuild (changed while building). */
  inputs: Record<string, [number, number] | null>;
  /** Per entry. */
  sdkUsage: Record<string, SdkUsage>;
}

export interface BundleSet {
  /** Entry files, relative to the root, sorted. */
  readonly entries: readonly string[];
  /** Changes exactly when some output byte changes: synthesis fingerprints it. */
  readonly id: string;
  /** The folder of this build: `<dir>/<entry without .ts>/index.js` (+ `index.js.map`). */
  readonly dir: string;
  /** True when esbuild ran in this call (false: reused). */
  readonly built: boolean;
  readonly ms: number;
  /** Folder holding `index.js` of an entry; throws for an entry that was not bundled. */
  dirOf(entry: string): string;
  /** The browser build (page modules under `browser/pages/`), as the pages function embeds it. */
  browser(): BrowserBundles;
  /** The SDK calls of an entry's bundle; throws for an entry that was not bundled. */
  sdkUsageOf(entry: string): SdkUsage;
}

export interface BundleFunctionsOptions {
  /** Entry files relative to `root`. */
  entries: readonly string[];
  /** Browser page modules relative to `root`; by default every `.ts` file under `browser/pages/`. */
  browserEntries?: readonly string[];
  root?: string;
  cacheDir?: string;
}

/** The relative imports of a module (`import ... from './x.js'`, `import type` too), as paths from the root. */
function relativeImports(root: string, file: string): string[] {
  const source = readFileSync(join(root, file), 'utf8');
  return [...source.matchAll(/\bfrom\s+'(\.\.?\/[^']+)\.js'/g)].map((m) => relative(root, join(root, dirname(file), `${m[1]}.ts`)).split(sep).join('/'));
}

/**
 * The Lambda entry points: every `.ts` file under `functions/` that no other file there imports, relative to the
 * root, sorted. A route's module imported by its area's router (decision 29), or an area's route keys, is part of
 * that area's function, not a function of its own: it is not bundled alone.
 * @example functionEntries() // ['functions/approvals/decide.ts', 'functions/cohorts/api.ts', ...]
 */
export function functionEntries(root = REPO_ROOT): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const item of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${item.name}`;
      if (item.isDirectory()) walk(path);
      else if (item.name.endsWith('.ts') && !item.name.endsWith('.d.ts')) found.push(path);
    }
  };
  walk(FUNCTIONS_DIR);
  const imported = new Set(found.flatMap((file) => relativeImports(root, file)));
  return found.filter((file) => !imported.has(file)).sort();
}

/**
 * Every `.ts` file directly under `browser/pages/` (none when the folder is missing), relative to the root, sorted.
 * @example browserEntries() // ['browser/pages/decision.ts', 'browser/pages/home.ts', ...]
 */
export function browserEntries(root = REPO_ROOT): string[] {
  if (!existsSync(join(root, BROWSER_PAGES_DIR))) return [];
  return readdirSync(join(root, BROWSER_PAGES_DIR))
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
    .map((name) => `${BROWSER_PAGES_DIR}/${name}`)
    .sort();
}

/**
 * Entries of `count` trivial functions for the start-up bench (`extraFunctions` of the stack factory),
 * written under `.local/extra-functions/` (only when missing or different, so the bundle cache holds).
 * Each re-exports a real read handler, so its bundle costs what a real function's does.
 * @example extraFunctionEntries(2) // ['.local/extra-functions/extra-01.ts', '.local/extra-functions/extra-02.ts']
 */
export function extraFunctionEntries(count: number, root = REPO_ROOT): string[] {
  const dir = '.local/extra-functions';
  const source = "// Generated for the start-up bench: a trivial function with a real function's dependencies.\nexport { handler } from '../../functions/referrals/get.js';\n";
  if (count > 0) mkdirSync(join(root, dir), { recursive: true });
  return Array.from({ length: count }, (_, i) => {
    const entry = `${dir}/extra-${String(i + 1).padStart(2, '0')}.ts`;
    const file = join(root, entry);
    if (!existsSync(file) || readFileSync(file, 'utf8') !== source) writeFileSync(file, source);
    return entry;
  });
}

/** `functions/referrals/submit.ts` -> `functions/referrals/submit` (the folder of its index.js). */
const outName = (entry: string) => entry.replace(/\.[cm]?[jt]s$/, '');

const normalise = (entries: readonly string[]) => [...new Set(entries.map((entry) => entry.split(sep).join('/')))].sort();

function readManifest(cacheDir: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(join(cacheDir, 'manifest.json'), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

/** [size, mtimeMs], or [-1, 0] for a missing file (creating it is a change too). */
function stamp(root: string, file: string): [number, number] {
  try {
    const stat = statSync(join(root, file));
    return [stat.size, stat.mtimeMs];
  } catch {
    return [-1, 0];
  }
}

/** True when the manifest describes a complete build of these entries whose every input is as it was. */
function isFresh(manifest: Manifest, entries: string[], browser: string[], root: string, cacheDir: string): boolean {
  if (manifest.version !== MANIFEST_VERSION || manifest.esbuild !== esbuildVersion) return false;
  if (JSON.stringify(manifest.options) !== JSON.stringify(esbuildOptions(root))) return false;
  if (JSON.stringify(manifest.browserOptions) !== JSON.stringify(BROWSER_ESBUILD_OPTIONS)) return false;
  if (JSON.stringify(manifest.entries) !== JSON.stringify(entries)) return false;
  if (JSON.stringify(manifest.browserEntries) !== JSON.stringify(browser)) return false;
  if (!existsSync(join(cacheDir, manifest.id))) return false;
  for (const [file, recorded] of Object.entries(manifest.inputs)) {
    const now = stamp(root, file);
    if (!recorded || now[0] !== recorded[0] || now[1] !== recorded[1]) return false;
  }
  return true;
}

/**
 * Bundles every entry in one esbuild run, or reuses the last build when its options, its entries and
 * every file it read (size and modification time) are unchanged. Safe with several processes at once:
 * each writes into a folder of its own and renames it into place; the manifest is replaced atomically.
 * @example bundleFunctions({ entries: functionEntries() }).dirOf('functions/referrals/submit.ts')
 */
export function bundleFunctions(options: BundleFunctionsOptions): BundleSet {
  const started = performance.now();
  const root = resolve(options.root ?? REPO_ROOT);
  const cacheDir = resolve(options.cacheDir ?? DEFAULT_BUNDLE_CACHE);
  const entries = normalise(options.entries);
  if (entries.length === 0) throw new Error('bundleFunctions: no entries');
  const browser = normalise(options.browserEntries ?? browserEntries(root));

  const cached = readManifest(cacheDir);
  if (cached && isFresh(cached, entries, browser, root, cacheDir)) return bundleSet(cached, cacheDir, false, started);

  mkdirSync(cacheDir, { recursive: true });
  // Stamps of the inputs known before the build (the entries, the last build's inputs): one that is the
  // same after the build did not change while esbuild read it.
  const before = new Map([...entries, ...browser, ...FIXED_INPUTS, ...Object.keys(cached?.inputs ?? {})].map((file) => [file, stamp(root, file)]));
  const buildStarted = Date.now();
  // The browser modules first: the functions' build embeds them (the pages function serves them).
  const browserResult = buildBrowser(root, browser, join(cacheDir, 'pending', BROWSER_OUT));
  // Written in memory, then to a folder named by the outputs' hash. The placeholder outdir has the
  // depth of the final folder, so the source maps' relative paths are those of the final files.
  const placeholder = join(cacheDir, 'pending');
  const buildOptions = esbuildOptions(root);
  const result = buildSync({
    ...buildOptions,
    absWorkingDir: root,
    entryPoints: Object.fromEntries(entries.map((entry) => [`${outName(entry)}/index`, join(root, entry)])),
    outdir: placeholder,
    // Not part of the recorded options: the browser sources are inputs of their own, and this is their output.
    define: { [BROWSER_BUNDLES_GLOBAL]: JSON.stringify(browserResult.bundles) },
    write: false,
    metafile: true,
  });
  const hash = createHash('sha256');
  const files = [...result.outputFiles, ...browserResult.outputFiles]
    .map((file) => ({ path: relative(placeholder, file.path), contents: file.contents }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
  for (const file of files) hash.update(file.path).update('\0').update(file.contents).update('\0');
  const id = hash.digest('hex').slice(0, 20);

  const finalDir = join(cacheDir, id);
  if (!existsSync(finalDir)) {
    const temp = join(cacheDir, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
    for (const file of files) {
      mkdirSync(dirname(join(temp, file.path)), { recursive: true });
      writeFileSync(join(temp, file.path), file.contents);
    }
    try {
      renameSync(temp, finalDir);
    } catch (error) {
      // Another process renamed the same build (same hash, same bytes) first.
      rmSync(temp, { recursive: true, force: true });
      if (!existsSync(finalDir)) throw error;
    }
  }

  const inputs: Manifest['inputs'] = {};
  for (const file of [...Object.keys(result.metafile.inputs), ...Object.keys(browserResult.inputs), ...FIXED_INPUTS]) {
    const now = stamp(root, file);
    const then = before.get(file);
    // A file touched while esbuild ran may have been read before the change: record it as unknown, so
    // the next call rebuilds. A file first seen now counts as touched if its mtime is within 50 ms of
    // the start (the file system's clock is coarse: an mtime can lag the real time by a few ms).
    const unchanged = then ? then[0] === now[0] && then[1] === now[1] : now[1] < buildStarted - 50;
    inputs[file] = unchanged ? now : null;
  }
  const manifest: Manifest = {
    version: MANIFEST_VERSION,
    esbuild: esbuildVersion,
    options: buildOptions,
    browserOptions: BROWSER_ESBUILD_OPTIONS,
    entries,
    browserEntries: browser,
    browserPages: browserResult.bundles.pages,
    id,
    inputs,
    sdkUsage: sdkUsageOf(entries, result, root, placeholder),
  };
  const tempManifest = join(cacheDir, `.manifest-${process.pid}-${randomBytes(4).toString('hex')}.json`);
  writeFileSync(tempManifest, JSON.stringify(manifest));
  renameSync(tempManifest, join(cacheDir, 'manifest.json'));
  pruneOldBuilds(cacheDir, id);
  return bundleSet(manifest, cacheDir, true, started);
}

/** The folder of a build that holds the browser files, beside the functions' folders. */
const BROWSER_OUT = 'browser';

interface BrowserBuild {
  bundles: BrowserBundles;
  outputFiles: Array<{ path: string; contents: Uint8Array }>;
  /** The metafile's inputs (every file the build read). */
  inputs: Record<string, unknown>;
}

/**
 * The browser build of the page modules, in memory, into `outdir`; an empty one without entries. Each page's file
 * name comes from the metafile (its entry point), every file's contents from the outputs.
 */
function buildBrowser(root: string, entries: string[], outdir: string): BrowserBuild {
  if (entries.length === 0) return { bundles: { pages: {}, files: {} }, outputFiles: [], inputs: {} };
  const result = buildSync({
    ...BROWSER_ESBUILD_OPTIONS,
    absWorkingDir: root,
    entryPoints: Object.fromEntries(entries.map((entry) => [basename(entry, '.ts'), join(root, entry)])),
    outdir,
    write: false,
    metafile: true,
  });
  const bundles: BrowserBundles = { pages: {}, files: {} };
  // In a fixed order: the functions' build embeds this object, and its bytes name the build.
  const outputs = [...result.outputFiles].sort((a, b) => (a.path < b.path ? -1 : 1));
  for (const file of outputs) bundles.files[relative(outdir, file.path)] = file.text;
  const fileName = (path: string) => relative(outdir, resolve(root, path));
  const outputsByPath = result.metafile.outputs;
  // Every chunk a module needs, through the chunks it imports too.
  const chunksOf = (path: string, found = new Set<string>()): Set<string> => {
    for (const i of outputsByPath[path].imports) {
      if (i.kind !== 'import-statement' || found.has(i.path)) continue;
      found.add(i.path);
      chunksOf(i.path, found);
    }
    return found;
  };
  for (const [path, output] of Object.entries(outputsByPath).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!output.entryPoint) continue;
    bundles.pages[basename(output.entryPoint, '.ts')] = { file: fileName(path), imports: [...chunksOf(path)].map(fileName).sort() };
  }
  return { bundles, outputFiles: outputs, inputs: result.metafile.inputs };
}

/** A command module of an SDK client's ES build: `.../@aws-sdk/client-<client>/dist-es/commands/<Operation>Command.js`. */
const SDK_COMMAND_MODULE = /@aws-sdk\/client-([a-z0-9-]+)\/dist-es\/commands\/([A-Za-z0-9]+)Command\.js$/;
/** `IndexName` as a property of minified code (`{IndexName:x}`, `a.IndexName=x`); the SDK's own code only holds it as a string. */
const INDEX_NAME_PROPERTY = /[{,]IndexName:|\.IndexName=/;

function sdkUsageOf(entries: string[], result: BuildResult<{ metafile: true; write: false }>, root: string, outdir: string): Record<string, SdkUsage> {
  const usage: Record<string, SdkUsage> = {};
  for (const entry of entries) {
    const outFile = join(outdir, outName(entry), 'index.js');
    const output = Object.entries(result.metafile.outputs).find(([path]) => resolve(root, path) === outFile)?.[1];
    const text = result.outputFiles.find((file) => file.path === outFile)?.text;
    if (!output || text === undefined) throw new Error(`esbuild wrote no index.js for ${entry}`);
    const commands = new Set<string>();
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = SDK_COMMAND_MODULE.exec(input);
      if (match && bytesInOutput > 0) commands.add(`${match[1]}:${match[2]}`);
    }
    usage[entry] = { commands: [...commands].sort(), queriesIndex: INDEX_NAME_PROPERTY.test(text) };
  }
  return usage;
}

/** Removes builds other than the current one once they are an hour old (a process may still be copying a recent one). */
function pruneOldBuilds(cacheDir: string, keep: string): void {
  const hourAgo = Date.now() - 60 * 60 * 1000;
  for (const name of readdirSync(cacheDir)) {
    if (name === keep || name === 'manifest.json') continue;
    const path = join(cacheDir, name);
    try {
      if (statSync(path).mtimeMs < hourAgo) rmSync(path, { recursive: true, force: true });
    } catch {
      // Removed by another process meanwhile.
    }
  }
}

/** The browser build as written: every file of its folder, and each page's module as the manifest recorded it. */
function readBrowser(dir: string, pages: BrowserBundles['pages']): BrowserBundles {
  const files: Record<string, string> = {};
  if (existsSync(dir)) for (const name of readdirSync(dir)) files[name] = readFileSync(join(dir, name), 'utf8');
  return { pages: { ...pages }, files };
}

function bundleSet(manifest: Manifest, cacheDir: string, built: boolean, started: number): BundleSet {
  const { entries, id } = manifest;
  const dir = join(cacheDir, id);
  const known = new Set(entries);
  const checked = (entry: string) => {
    const key = entry.split(sep).join('/');
    if (!known.has(key)) throw new Error(`${entry} was not bundled: a Lambda entry must be one of the bundle set's entries (every .ts file under ${FUNCTIONS_DIR}/)`);
    return key;
  };
  return {
    entries,
    id,
    dir,
    built,
    ms: performance.now() - started,
    dirOf: (entry) => join(dir, outName(checked(entry))),
    browser: () => readBrowser(join(dir, BROWSER_OUT), manifest.browserPages),
    sdkUsageOf: (entry) => manifest.sdkUsage[checked(entry)],
  };
}
