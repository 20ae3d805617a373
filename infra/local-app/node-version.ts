import { readFileSync } from 'node:fs';

/** The lowest Node.js version of package.json's `engines.node` (">=20.19"). */
export function requiredNodeVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { engines?: { node?: string } };
  return /(\d+(?:\.\d+){0,2})/.exec(manifest.engines?.node ?? '')?.[1] ?? '0';
}

const parts = (version: string) => version.split('.').map((part) => Number.parseInt(part, 10) || 0);

/**
 * One line for a Node.js older than the project needs, or undefined when it is recent enough.
 * @example nodeVersionProblem('18.19.0', '20.19') // "Node.js 18.19.0 est trop ancien : ..."
 */
export function nodeVersionProblem(current: string, required: string = requiredNodeVersion()): string | undefined {
  const [have, need] = [parts(current), parts(required)];
  for (let i = 0; i < 3; i++) {
    if ((have[i] ?? 0) > (need[i] ?? 0)) return undefined;
    if ((have[i] ?? 0) < (need[i] ?? 0)) {
      return `Node.js ${current} est trop ancien : ce projet demande Node.js ${required} ou plus récent (22 recommandé).`;
    }
  }
  return undefined;
}
