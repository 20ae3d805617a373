// The DynamoDB Local process of a data folder, without the AWS SDK: the CLI loads this before anything heavy.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

export class JavaRuntimeMissingError extends Error {
  constructor() {
    super('DynamoDB Local needs a Java 17+ runtime on the PATH (Debian: apt-get install default-jre-headless).');
    this.name = 'JavaRuntimeMissingError';
  }
}

/** Where a local cloud records the pid of its DynamoDB Local, in its data folder. */
export const DYNAMODB_PID_FILE = 'dynamodb.pid';

/**
 * Whether a process has exited, all its threads included: its ports are free then. A JVM's main thread turns
 * zombie first while its other threads still hold the sockets, so the zombie leader must be alone.
 */
function exited(pid: number): boolean {
  try {
    const zombie = /^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return zombie && readdirSync(`/proc/${pid}/task`).length <= 1;
  } catch {
    return true;
  }
}

/**
 * Ends the DynamoDB Local recorded in a data folder: one left running by a local cloud that was killed (its Java
 * process outlives it), or the one of a start interrupted by Ctrl+C. Removes the record.
 */
export function endDynamoDbOf(dataDir: string): void {
  const pidFile = join(resolve(dataDir), DYNAMODB_PID_FILE);
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (cmdline.includes('DynamoDBLocal')) {
      process.kill(pid, 'SIGKILL');
      // Gone (and its port free) within moments; wait for it so that the port can be taken again at once.
      for (let waited = 0; waited < 3_000 && !exited(pid); waited += 20) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      }
    }
  } catch {
    // Not running any more.
  }
  rmSync(pidFile, { force: true });
}
