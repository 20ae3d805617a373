// `pretest`: Java (DynamoDB Local) and Chromium (browser tests), installed with apt-get when missing and allowed.
import { ensureSystemPackages, MissingSystemPackageError, type SystemPackageName } from '../infra/local-app/system-packages.js';

try {
  ensureSystemPackages(process.argv.slice(2) as SystemPackageName[], { who: 'npm test' });
} catch (error) {
  console.error(error instanceof MissingSystemPackageError ? error.message : `npm test : ${(error as Error).message}`);
  process.exit(1);
}
