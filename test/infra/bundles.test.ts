import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { buildSync } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, bundleFunctions, functionEntries } from '../../infra/bundles.js';

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** Sets a file's modification time `seconds` from now, as an edit then would. */
const touch = (file: string, seconds: number) => utimesSync(file, new Date(), new Date(Date.now() + seconds * 1000));

const ENTRIES = ['functions/a.ts', 'functions/b.ts', 'functions/nested/c.ts'];

/** A small project: three handlers sharing one module, and a file none of them imports. */
function project(): { root: string; cacheDir: string } {
  const root = mkdtempSync(join(tmpdir(), 'bundles-test-'));
  roots.push(root);
  mkdirSync(join(root, 'functions/nested'), { recursive: true });
  mkdirSync(join(root, 'shared'));
  writeFileSync(join(root, 'shared/greeting.ts'), "export const greeting = (name: string): string => `bonjour ${name}`;\n");
  writeFileSync(join(root, 'shared/unused.ts'), 'export const unused = 1;\n');
  for (const entry of ENTRIES) {
    const up = entry.split('/').length - 1;
    writeFileSync(join(root, entry), `import { greeting } from '${'../'.repeat(up)}shared/greeting.js';\nexport const handler = async () => greeting('${entry}');\n`);
  }
  // Written a while ago: a file changed just before a build is recorded as unknown and rebuilt next time.
  for (const file of [...ENTRIES, 'shared/greeting.ts', 'shared/unused.ts']) touch(join(root, file), -10);
  return { root, cacheDir: join(root, '.local/bundles') };
}

const invoke = async (dir: string) => (createRequire(import.meta.url)(join(dir, 'index.js')) as { handler: () => Promise<unknown> }).handler();

describe('bundleFunctions', () => {
  it('bundles every entry in one esbuild run, each as <entry>/index.js with its source map', async () => {
    const { root, cacheDir } = project();
    const set = bundleFunctions({ root, cacheDir, entries: ENTRIES });
    expect(set.built).toBe(true);
    // One build: one folder named by the hash of all outputs, and one manifest listing every entry.
    expect(readdirSync(cacheDir).sort()).toEqual([set.id, 'manifest.json']);
    expect(JSON.parse(readFileSync(join(cacheDir, 'manifest.json'), 'utf8'))).toMatchObject({ id: set.id, entries: ENTRIES });
    expect(set.entries).toEqual(ENTRIES);
    for (const entry of ENTRIES) {
      const dir = set.dirOf(entry);
      expect(dir).toBe(join(set.dir, entry.replace(/\.ts$/, '')));
      expect(existsSync(join(dir, 'index.js.map'))).toBe(true);
      expect(await invoke(dir)).toBe(`bonjour ${entry}`);
    }
    expect(() => set.dirOf('functions/missing.ts')).toThrow(/was not bundled/);
  });

  it('reuses the build without running esbuild while nothing it read changed', () => {
    const { root, cacheDir } = project();
    const first = bundleFunctions({ root, cacheDir, entries: ENTRIES });
    touch(join(root, 'shared/unused.ts'), 5);
    const manifestBefore = statSync(join(cacheDir, 'manifest.json')).mtimeMs;
    const second = bundleFunctions({ root, cacheDir, entries: [...ENTRIES].reverse() });
    expect(second.built).toBe(false);
    expect(statSync(join(cacheDir, 'manifest.json')).mtimeMs).toBe(manifestBefore);
    expect(second.id).toBe(first.id);
    expect(second.dir).toBe(first.dir);
  });

  it('rebuilds when an imported source changes, and when the entries change', async () => {
    const { root, cacheDir } = project();
    const first = bundleFunctions({ root, cacheDir, entries: ENTRIES });
    writeFileSync(join(root, 'shared/greeting.ts'), "export const greeting = (name: string): string => `salut ${name}`;\n");
    touch(join(root, 'shared/greeting.ts'), -1);
    const changed = bundleFunctions({ root, cacheDir, entries: ENTRIES });
    expect(changed.built).toBe(true);
    expect(changed.id).not.toBe(first.id);
    expect(await invoke(changed.dirOf('functions/b.ts'))).toBe('salut functions/b.ts');

    const fewer = bundleFunctions({ root, cacheDir, entries: ENTRIES.slice(0, 2) });
    expect(fewer.built).toBe(true);
    expect(() => fewer.dirOf('functions/nested/c.ts')).toThrow(/was not bundled/);
  });

  it('reuses a build whose entry was written just before it (the generated entries of the bench)', () => {
    const { root, cacheDir } = project();
    writeFileSync(join(root, 'functions/d.ts'), "export { handler } from './a.js';\n");
    const entries = [...ENTRIES, 'functions/d.ts'];
    expect(bundleFunctions({ root, cacheDir, entries }).built).toBe(true);
    expect(bundleFunctions({ root, cacheDir, entries }).built).toBe(false);
  });

  it('rebuilds when a file esbuild does not list changes (tsconfig.json, package-lock.json), then reuses that build', () => {
    const { root, cacheDir } = project();
    bundleFunctions({ root, cacheDir, entries: ENTRIES });
    writeFileSync(join(root, 'package-lock.json'), '{}');
    touch(join(root, 'package-lock.json'), -1);
    expect(bundleFunctions({ root, cacheDir, entries: ENTRIES }).built).toBe(true);
    expect(bundleFunctions({ root, cacheDir, entries: ENTRIES }).built).toBe(false);
  });

  it('gives the same result to processes that build at once', async () => {
    const { root, cacheDir } = project();
    const script = `import { bundleFunctions } from ${JSON.stringify(resolve('infra/bundles.ts'))};
      const set = bundleFunctions({ root: ${JSON.stringify(root)}, cacheDir: ${JSON.stringify(cacheDir)}, entries: ${JSON.stringify(ENTRIES)} });
      console.log(JSON.stringify({ id: set.id, built: set.built }));`;
    const run = () => promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: resolve('.') });
    const results = (await Promise.all([run(), run(), run()])).map(({ stdout }) => JSON.parse(stdout) as { id: string; built: boolean });
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    const manifest = JSON.parse(readFileSync(join(cacheDir, 'manifest.json'), 'utf8')) as { id: string };
    expect(manifest.id).toBe(results[0].id);
    const again = bundleFunctions({ root, cacheDir, entries: ENTRIES });
    expect(again).toMatchObject({ built: false, id: results[0].id });
    expect(await invoke(again.dirOf('functions/a.ts'))).toBe('bonjour functions/a.ts');
  }, 60_000);
});

describe('the browser build', () => {
  /** The small project, with two page modules sharing a module, and a function that serves what the build gave it. */
  function browserProject(): { root: string; cacheDir: string } {
    const { root, cacheDir } = project();
    mkdirSync(join(root, 'browser/pages'), { recursive: true });
    mkdirSync(join(root, 'browser/lib'), { recursive: true });
    writeFileSync(join(root, 'browser/lib/say.ts'), "export const say = (text: string): void => { document.title = text; };\n");
    for (const page of ['one', 'two']) writeFileSync(join(root, `browser/pages/${page}.ts`), `import { say } from '../lib/say.js';\nsay('${page}');\n`);
    writeFileSync(join(root, 'functions/pages.ts'), 'declare const PARCOURS_BROWSER_BUNDLES: unknown;\nexport const handler = async () => PARCOURS_BROWSER_BUNDLES;\n');
    for (const file of ['browser/lib/say.ts', 'browser/pages/one.ts', 'browser/pages/two.ts', 'functions/pages.ts']) touch(join(root, file), -10);
    return { root, cacheDir };
  }
  const entries = [...ENTRIES, 'functions/pages.ts'];

  it('builds every page module under browser/pages/ with its shared chunk, named by content, into the function that serves them', async () => {
    const { root, cacheDir } = browserProject();
    const set = bundleFunctions({ root, cacheDir, entries });
    expect(set.entries).toEqual([...entries].sort());
    const browser = set.browser();
    expect(Object.keys(browser.pages).sort()).toEqual(['one', 'two']);
    const one = browser.pages.one;
    expect(one.file).toMatch(/^one-[A-Z0-9]+\.js$/);
    // The shared module is one chunk both pages import (and the page preloads).
    expect(one.imports).toEqual([expect.stringMatching(/^chunk-[A-Z0-9]+\.js$/)]);
    expect(browser.pages.two.imports).toEqual(one.imports);
    expect(browser.files[one.file]).toContain(`from"./${one.imports[0]}"`);
    expect(browser.files[one.imports[0]]).toContain('document.title');
    // The function holds the same files, defined at build time.
    expect(await invoke(set.dirOf('functions/pages.ts'))).toEqual(browser);
  });

  it('reuses the build while the browser sources are unchanged, and rebuilds the function when one changes', async () => {
    const { root, cacheDir } = browserProject();
    const first = bundleFunctions({ root, cacheDir, entries });
    expect(bundleFunctions({ root, cacheDir, entries }).built).toBe(false);
    writeFileSync(join(root, 'browser/lib/say.ts'), "export const say = (text: string): void => { document.title = `changed: ${text}`; };\n");
    touch(join(root, 'browser/lib/say.ts'), -1);
    const changed = bundleFunctions({ root, cacheDir, entries });
    expect(changed.built).toBe(true);
    expect(changed.id).not.toBe(first.id);
    expect(changed.browser().pages.one.imports).not.toEqual(first.browser().pages.one.imports);
    expect(JSON.stringify(await invoke(changed.dirOf('functions/pages.ts')))).toContain('changed: ');

    writeFileSync(join(root, 'browser/pages/three.ts'), "import { say } from '../lib/say.js';\nsay('three');\n");
    touch(join(root, 'browser/pages/three.ts'), -1);
    const added = bundleFunctions({ root, cacheDir, entries });
    expect(added.built).toBe(true);
    expect(Object.keys(added.browser().pages).sort()).toEqual(['one', 'three', 'two']);
  });
});

describe('functionEntries', () => {
  it('lists every .ts file under functions/ that no other file there imports, the entries the stack may declare', () => {
    const entries = functionEntries();
    expect(entries).toContain('functions/referrals/submit.ts');
    expect(entries).toContain('functions/pages/handler.ts');
    // An area's router is an entry; its routes' modules and its route keys are parts of it (decision 29).
    expect(entries).toContain('functions/me/api.ts');
    expect(entries).not.toContain('functions/me/get.ts');
    expect(entries).not.toContain('functions/me/routes.ts');
    expect(entries).not.toContain('functions/sessions/attendance.ts');
    expect(entries.every((entry) => entry.startsWith('functions/') && entry.endsWith('.ts'))).toBe(true);
  });
});

/**
 * A project whose handlers call DynamoDB and Step Functions in the ways the stack must tell apart: one module
 * with several operations of which each handler uses one, a paginator, an index, a Scan, a direct client call.
 */
function sdkProject(): { root: string; cacheDir: string; entries: string[] } {
  const root = mkdtempSync(join(tmpdir(), 'bundles-sdk-test-'));
  roots.push(root);
  symlinkSync(realpathSync(join(REPO_ROOT, 'node_modules')), join(root, 'node_modules'));
  const dependencies = Object.fromEntries(['@aws-sdk/lib-dynamodb', '@aws-sdk/client-dynamodb', '@aws-sdk/client-sfn'].map((name) => [name, '*']));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'fixture', private: true, dependencies }));
  mkdirSync(join(root, 'functions'));
  mkdirSync(join(root, 'shared'));
  writeFileSync(
    join(root, 'shared/store.ts'),
    `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, ScanCommand, TransactWriteCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
export const getThing = (id: string) => db.send(new GetCommand({ TableName: 't', Key: { pk: id, sk: id } }));
export const byIndex = (pk: string) => db.send(new QueryCommand({ TableName: 't', IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :pk', ExpressionAttributeValues: { ':pk': pk } }));
export const everything = () => db.send(new ScanCommand({ TableName: 't' }));
export const writeBoth = () => db.send(new TransactWriteCommand({ TransactItems: [] }));
export async function pages(pk: string) {
  const items = [];
  for await (const page of paginateQuery({ client: db }, { TableName: 't', KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk } })) items.push(...(page.Items ?? []));
  return items;
}
`,
  );
  const handlers: Record<string, string> = {
    get: "import { getThing } from '../shared/store.js';\nexport const handler = (e: { id: string }) => getThing(e.id);\n",
    'by-index': "import { byIndex } from '../shared/store.js';\nexport const handler = (e: { pk: string }) => byIndex(e.pk);\n",
    scan: "import { everything } from '../shared/store.js';\nexport const handler = () => everything();\n",
    pages: "import { pages } from '../shared/store.js';\nexport const handler = (e: { pk: string }) => pages(e.pk);\n",
    transact: "import { writeBoth } from '../shared/store.js';\nexport const handler = () => writeBoth();\n",
    describe:
      "import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';\nexport const handler = () => new DynamoDBClient({}).send(new DescribeTableCommand({ TableName: 't' }));\n",
    start: "import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';\nexport const handler = () => new SFNClient({}).send(new StartExecutionCommand({ stateMachineArn: 'a' }));\n",
    plain: 'export const handler = async () => 42;\n',
  };
  for (const [name, source] of Object.entries(handlers)) writeFileSync(join(root, `functions/${name}.ts`), source);
  for (const file of ['package.json', 'shared/store.ts', ...Object.keys(handlers).map((name) => `functions/${name}.ts`)]) touch(join(root, file), -10);
  return { root, cacheDir: join(root, '.local/bundles'), entries: Object.keys(handlers).map((name) => `functions/${name}.ts`) };
}

describe('sdkUsageOf', () => {
  it('lists the SDK commands each bundle can reach, after tree-shaking, and whether it names an index', () => {
    const { root, cacheDir, entries } = sdkProject();
    const set = bundleFunctions({ root, cacheDir, entries });
    const usage = (name: string) => set.sdkUsageOf(`functions/${name}.ts`);
    // The client keeps DescribeEndpoints for endpoint discovery; the stack grants nothing for it.
    const commands = (name: string) => usage(name).commands.filter((command) => command !== 'dynamodb:DescribeEndpoints');
    expect(commands('get')).toEqual(['dynamodb:GetItem']);
    expect(usage('get').queriesIndex).toBe(false);
    expect(commands('by-index')).toEqual(['dynamodb:Query']);
    expect(usage('by-index').queriesIndex).toBe(true);
    expect(commands('scan')).toEqual(['dynamodb:Scan']);
    // A paginator is a Query too, here on the table itself.
    expect(commands('pages')).toEqual(['dynamodb:Query']);
    expect(usage('pages').queriesIndex).toBe(false);
    expect(commands('transact')).toEqual(['dynamodb:TransactWriteItems']);
    expect(commands('describe')).toEqual(['dynamodb:DescribeTable']);
    expect(commands('start')).toEqual(['sfn:StartExecution']);
    expect(usage('plain')).toEqual({ commands: [], queriesIndex: false });
    expect(() => set.sdkUsageOf('functions/missing.ts')).toThrow(/was not bundled/);

    // Kept in the manifest: a reused build answers the same without esbuild.
    const again = bundleFunctions({ root, cacheDir, entries });
    expect(again.built).toBe(false);
    for (const entry of entries) expect(again.sdkUsageOf(entry)).toEqual(set.sdkUsageOf(entry));
  }, 60_000);

  it("gives the app's handlers the document client shim, which exports every name @aws-sdk/lib-dynamodb exports", () => {
    const result = buildSync({
      stdin: { contents: "export * from '@aws-sdk/lib-dynamodb';", resolveDir: REPO_ROOT, loader: 'js' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
      metafile: true,
      outfile: join(tmpdir(), 'shim-exports.js'),
      alias: { '@aws-sdk/lib-dynamodb': join(REPO_ROOT, 'infra/bundle-shims/lib-dynamodb.js') },
      logLevel: 'error',
    });
    const [output] = Object.values(result.metafile.outputs).filter((o) => o.exports.length > 0);
    const packageExports = Object.keys(createRequire(import.meta.url)('@aws-sdk/lib-dynamodb')).filter((name) => name !== '__esModule');
    expect(packageExports).toContain('paginateQuery');
    expect([...output.exports].sort()).toEqual(packageExports.sort());
  });
});
