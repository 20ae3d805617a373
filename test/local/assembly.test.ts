import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { fingerprint, reuseOrSynthesize } from '../../infra/local/assembly.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'assembly-test-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A stand-in for a CDK synthesis: the smallest cloud assembly loadAssembly reads. */
const fakeSynth = (stackName: string) =>
  vi.fn((outDir: string) => {
    writeFileSync(join(outDir, 'manifest.json'), JSON.stringify({ artifacts: { [stackName]: { type: 'aws:cloudformation:stack', properties: { templateFile: `${stackName}.template.json` } } } }));
    writeFileSync(join(outDir, `${stackName}.template.json`), JSON.stringify({ Resources: {} }));
  });

describe('reuseOrSynthesize', () => {
  it('synthesizes once, then reuses the assembly while the fingerprint is the same', async () => {
    const outDir = tempDir();
    const synth = fakeSynth('Parcours-local');
    expect(await reuseOrSynthesize({ outDir, fingerprint: 'a', synth })).toMatchObject({ reused: false, stackName: 'Parcours-local', assemblyDir: outDir });
    expect(await reuseOrSynthesize({ outDir, fingerprint: 'a', synth })).toMatchObject({ reused: true, stackName: 'Parcours-local' });
    expect(synth).toHaveBeenCalledTimes(1);
  });

  it('synthesizes again when the fingerprint changes', async () => {
    const outDir = tempDir();
    const synth = fakeSynth('Parcours-local');
    await reuseOrSynthesize({ outDir, fingerprint: 'a', synth });
    expect(await reuseOrSynthesize({ outDir, fingerprint: 'b', synth })).toMatchObject({ reused: false });
    expect(await reuseOrSynthesize({ outDir, fingerprint: 'b', synth })).toMatchObject({ reused: true });
    expect(synth).toHaveBeenCalledTimes(2);
  });

  it('never reuses an assembly whose synthesis failed halfway', async () => {
    const outDir = tempDir();
    await reuseOrSynthesize({ outDir, fingerprint: 'a', synth: fakeSynth('Parcours-local') });
    const failing = vi.fn(() => {
      throw new Error('synth failed');
    });
    await expect(reuseOrSynthesize({ outDir, fingerprint: 'b', synth: failing })).rejects.toThrow('synth failed');
    // The assembly of 'a' is still on disk, but it is no longer known to be the one of 'a'.
    const synth = fakeSynth('Parcours-local');
    expect(await reuseOrSynthesize({ outDir, fingerprint: 'a', synth })).toMatchObject({ reused: false });
    expect(synth).toHaveBeenCalledTimes(1);
  });
});

describe('fingerprint', () => {
  it('changes with a file content, a missing file and the values, and with nothing else', () => {
    const root = tempDir();
    writeFileSync(join(root, 'a.ts'), 'one');
    const base = fingerprint({ root, files: ['a.ts', 'b.ts'], values: { stage: 'local' } });
    expect(fingerprint({ root, files: ['b.ts', 'a.ts', 'a.ts'], values: { stage: 'local' } })).toBe(base);
    expect(fingerprint({ root, files: ['a.ts', 'b.ts'], values: { stage: 'test' } })).not.toBe(base);
    writeFileSync(join(root, 'b.ts'), '');
    expect(existsSync(join(root, 'b.ts'))).toBe(true);
    const withB = fingerprint({ root, files: ['a.ts', 'b.ts'], values: { stage: 'local' } });
    expect(withB).not.toBe(base);
    writeFileSync(join(root, 'a.ts'), 'two');
    expect(fingerprint({ root, files: ['a.ts', 'b.ts'], values: { stage: 'local' } })).not.toBe(withB);
  });
});
