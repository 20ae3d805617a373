import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';

/** Folders whose modules must not import each other in a cycle (widen to `infra/local` once its cycles are gone). */
const CHECKED_DIRECTORIES = ['infra/local/stepfunctions'];

/** Static relative imports and re-exports, type-only ones included: `import ... from './x.js'`, `export ... from`, `import './x.js'`. */
const IMPORT = /^\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]/gm;

function tsFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((match) => resolve(dirname(file), match[1]!.replace(/\.js$/, '.ts')));
}

/** Every import cycle among the .ts files under `directories`, each as the list of files (relative to `root`) it goes through. */
export function findImportCycles(directories: string[], root = process.cwd()): string[][] {
  const files = new Set(directories.flatMap((directory) => tsFiles(resolve(root, directory))));
  const edges = new Map([...files].map((file) => [file, importsOf(file).filter((target) => files.has(target))]));
  const cycles = new Map<string, string[]>();
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (file: string): void => {
    const onPath = path.indexOf(file);
    if (onPath >= 0) {
      const cycle = path.slice(onPath).map((item) => relative(root, item));
      // One entry per cycle, whichever file the walk entered it by.
      const start = cycle.indexOf([...cycle].sort()[0]!);
      const key = [...cycle.slice(start), ...cycle.slice(0, start)];
      cycles.set(key.join(' -> '), key);
      return;
    }
    if (done.has(file)) return;
    path.push(file);
    for (const target of edges.get(file) ?? []) visit(target);
    path.pop();
    done.add(file);
  };
  for (const file of [...files].sort()) visit(file);
  return [...cycles.values()];
}

describe('import cycles', () => {
  const fixtures = mkdtempSync(join(tmpdir(), 'import-cycles-'));
  afterAll(() => rmSync(fixtures, { recursive: true, force: true }));

  const fixture = (files: Record<string, string>) => {
    const directory = mkdtempSync(join(fixtures, 'case-'));
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(dirname(join(directory, name)), { recursive: true });
      writeFileSync(join(directory, name), text);
    }
    return directory;
  };

  it('finds cycles through type-only imports, multi-line imports, re-exports and subfolders', () => {
    const root = fixture({
      'a.ts': "import type { B } from './b.js';\nexport type A = B;\n",
      'b.ts': "import {\n  c,\n  type C,\n} from './sub/c.js';\nexport type B = C;\nexport const b = c;\n",
      'sub/c.ts': "export { a } from '../d.js';\nimport type { A } from '../a.js';\nexport type C = A;\nexport const c = 1;\n",
      'd.ts': "import '../outside.js';\nexport const a = 1;\n",
      'e.ts': "import { f } from './f.js';\nexport const e = f;\n",
      'f.ts': "// import { e } from './e.js';\nexport const f = 1;\n",
    });
    expect(findImportCycles(['.'], root)).toEqual([['a.ts', 'b.ts', 'sub/c.ts']]);
  });

  it('finds none in an acyclic graph with shared dependencies', () => {
    const root = fixture({
      'a.ts': "import { b } from './b.js';\nimport { c } from './c.js';\nexport const a = b + c;\n",
      'b.ts': "import { c } from './c.js';\nexport const b = c;\n",
      'c.ts': 'export const c = 1;\n',
    });
    expect(findImportCycles(['.'], root)).toEqual([]);
  });

  it.each(CHECKED_DIRECTORIES)('finds none in %s', (directory) => {
    expect(findImportCycles([directory]).map((cycle) => cycle.join(' -> '))).toEqual([]);
  });
});
