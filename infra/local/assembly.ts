import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Template } from './template.js';

export interface SynthesizedApp {
  template: Template;
  assemblyDir: string;
  stackName: string;
  stage: string;
}

/** Written last into an assembly folder: what the assembly was synthesized from. */
const FINGERPRINT_FILE = 'local-synth-fingerprint.json';

/**
 * A digest of files (path and content) and of values: equal digests mean the same inputs.
 * A missing file counts as such, so creating it changes the digest.
 * @example fingerprint({ root: '/repo', files: ['cdk.json'], values: { stage: 'local' } })
 */
export function fingerprint(options: { root: string; files: readonly string[]; values?: unknown }): string {
  const hash = createHash('sha256');
  for (const file of [...new Set(options.files)].sort()) {
    const path = join(options.root, file);
    hash.update(file).update('\0');
    hash.update(existsSync(path) ? readFileSync(path) : '<missing>').update('\0');
  }
  hash.update(JSON.stringify(options.values ?? null));
  return hash.digest('hex');
}

export interface ReuseOrSynthesizeOptions {
  /** The cloud assembly folder. */
  outDir: string;
  /** Digest of everything the synthesis reads (see `fingerprint`). */
  fingerprint: string;
  /** Synthesizes into `outDir`; called only when the assembly there was not made from the same inputs. */
  synth: (outDir: string) => Promise<void> | void;
}

/**
 * Reuses the cloud assembly in `outDir` when it was synthesized from the same fingerprint, else calls
 * `synth`. The fingerprint file is removed before and written after a synthesis, so an interrupted
 * one is never reused. The caller decides what the fingerprint covers; nothing here knows the app.
 * @example await reuseOrSynthesize({ outDir: '.local/cdk.out', fingerprint: digest, synth: (dir) => createApp(dir).synth() })
 */
export async function reuseOrSynthesize(options: ReuseOrSynthesizeOptions): Promise<SynthesizedApp & { reused: boolean }> {
  const outDir = resolve(options.outDir);
  const file = join(outDir, FINGERPRINT_FILE);
  const recorded = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { fingerprint?: string }).fingerprint : undefined;
  if (recorded === options.fingerprint && existsSync(join(outDir, 'manifest.json'))) {
    return { ...loadAssembly(outDir), reused: true };
  }
  rmSync(file, { force: true });
  await options.synth(outDir);
  const synthesized = loadAssembly(outDir);
  writeFileSync(file, JSON.stringify({ fingerprint: options.fingerprint }));
  return { ...synthesized, reused: false };
}

/** Reads an assembly synthesized earlier (tests synthesize once and start many local clouds from it). */
export function loadAssembly(assemblyDir: string): SynthesizedApp {
  const manifest = JSON.parse(readFileSync(join(assemblyDir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { type: string; properties?: { templateFile?: string }; displayName?: string }>;
  };
  const [stackName, artifact] = Object.entries(manifest.artifacts).find(([, a]) => a.type === 'aws:cloudformation:stack') ?? [];
  if (!stackName || !artifact?.properties?.templateFile) throw new Error(`no stack in the assembly at ${assemblyDir}`);
  const templatePath = join(assemblyDir, artifact.properties.templateFile);
  if (!existsSync(templatePath)) throw new Error(`template missing: ${templatePath}`);
  const template = JSON.parse(readFileSync(templatePath, 'utf8')) as Template;
  return { template, assemblyDir: resolve(assemblyDir), stackName, stage: stackName.replace(/^Parcours-/, '') };
}
