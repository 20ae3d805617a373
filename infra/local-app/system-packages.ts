import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { spawnSync } from 'node:child_process';

/** A program the local cloud or the tests need is missing and could not be installed here. */
export class MissingSystemPackageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingSystemPackageError';
  }
}

interface SystemPackage {
  /** What it is for, in the sentence "X manque". */
  what: string;
  present(): boolean;
  /** Debian's package name. */
  debian: string;
}

const chromiumPath = () => process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const SYSTEM_PACKAGES = {
  java: {
    what: 'Java 17+ (DynamoDB Local en a besoin)',
    present: () => spawnSync('java', ['-version'], { stdio: 'ignore' }).status === 0,
    debian: 'default-jre-headless',
  },
  chromium: {
    what: `Chromium (les tests dans le navigateur l'utilisent, à ${chromiumPath()} ou CHROMIUM_PATH)`,
    present: () => existsSync(chromiumPath()),
    debian: 'chromium',
  },
} satisfies Record<string, SystemPackage>;

export type SystemPackageName = keyof typeof SYSTEM_PACKAGES;

function onPath(program: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Installs what is missing with apt-get when this machine allows it (root, Debian), saying so on stderr; otherwise
 * throws MissingSystemPackageError with the one command to run. `who` starts each line ("npm start", "npm test").
 */
export function ensureSystemPackages(names: SystemPackageName[], options: { who: string }): void {
  const missing = names.map((name) => SYSTEM_PACKAGES[name]).filter((pkg) => !pkg.present());
  if (missing.length === 0) return;
  const debian = missing.map((pkg) => pkg.debian);
  const command = `apt-get install ${debian.join(' ')}`;
  const canInstall = process.getuid?.() === 0 && onPath('apt-get');
  if (!canInstall) {
    throw new MissingSystemPackageError(`${options.who} : ${missing.map((pkg) => pkg.what).join(' et ')} manque. Installez-le (Debian : sudo ${command}), puis relancez ${options.who}.`);
  }
  console.error(`${options.who} : ${missing.map((pkg) => pkg.what).join(' et ')} manque : installation avec apt-get (${debian.join(' ')}), une à deux minutes…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', ...debian]]) {
    const run = spawnSync('apt-get', args, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (run.status !== 0) {
      const reason = (run.stderr ?? '').trim().split('\n').pop() || `code ${run.status}`;
      throw new MissingSystemPackageError(`${options.who} : apt-get n'a pas pu installer ${debian.join(' ')} (${reason}). Installez-le à la main : sudo ${command}.`);
    }
  }
  const still = missing.filter((pkg) => !pkg.present());
  if (still.length > 0) throw new MissingSystemPackageError(`${options.who} : ${still.map((pkg) => pkg.debian).join(' ')} installé, mais toujours introuvable : vérifiez le PATH.`);
}
