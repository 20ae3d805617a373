import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createParcoursApp } from '../stack.js';
import type { Template } from './template.js';

export interface SynthesizedApp {
  template: Template;
  assemblyDir: string;
  stackName: string;
  stage: string;
}

/**
 * Synthesizes the CDK app in this process (every NodejsFunction bundled by the local esbuild), exactly
 * the template `cdk deploy` would deploy. cdk-nag runs too: a finding fails here as it fails `cdk synth`.
 */
export function synthesize(options: { outDir: string; stage: string; validate?: boolean }): SynthesizedApp {
  // CDK's built-in CloudFormation validation costs ~13 s here and changes nothing in the template:
  // `cdk synth` (CI) runs it; the local cloud skips it unless asked. cdk-nag runs either way.
  if (!options.validate) process.env.CDK_VALIDATION = 'false';
  const { app, stack } = createParcoursApp({ outdir: resolve(options.outDir), stage: options.stage });
  const assembly = app.synth();
  const artifact = assembly.getStackByName(stack.stackName);
  return { template: artifact.template as Template, assemblyDir: assembly.directory, stackName: stack.stackName, stage: options.stage };
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
