import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Another live process holds the data folder: two local clouds must never write the same DynamoDB Local files. */
export class DataFolderInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`The data folder ${dataDir} is in use by process ${pid}`);
    this.name = 'DataFolderInUseError';
  }
}

export interface DataFolderLock {
  release(): void;
}

/** The lock's file name in the data folder (a reset keeps it). */
export const DATA_LOCK_FILE = 'local-cloud.lock';
/** Folders locked by this process: a lock file naming our own pid may also be a stale one whose pid was reused. */
const heldHere = new Set<string>();

/** Whether `pid` is a running process (signal 0 checks without sending anything). */
function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the data folder for this process: a lock file created exclusively, holding the pid. A lock left by a
 * process that no longer runs (killed, crashed) is stale and taken over; a live one throws DataFolderInUseError.
 * @example const lock = lockDataFolder('.local/data'); try { ... } finally { lock.release(); }
 */
export function lockDataFolder(dataDir: string): DataFolderLock {
  const file = join(dataDir, DATA_LOCK_FILE);
  if (heldHere.has(file)) throw new DataFolderInUseError(dataDir, process.pid);
  for (let attempt = 0; attempt < 4; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let holder = NaN;
      try {
        holder = Number.parseInt(readFileSync(file, 'utf8'), 10);
      } catch {
        // Removed in between, or still being written: try again.
      }
      if (holder !== process.pid && isRunning(holder)) throw new DataFolderInUseError(dataDir, holder);
      // An empty file is a lock being written by a process that just created it: give it a moment.
      if (Number.isNaN(holder) && attempt < 2) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
        continue;
      }
      rmSync(file, { force: true });
      continue;
    }
    writeSync(fd, String(process.pid));
    closeSync(fd);
    heldHere.add(file);
    let released = false;
    return {
      release() {
        if (released) return;
        released = true;
        heldHere.delete(file);
        try {
          if (Number.parseInt(readFileSync(file, 'utf8'), 10) === process.pid) rmSync(file, { force: true });
        } catch {
          // Already gone.
        }
      },
    };
  }
  throw new Error(`Could not lock the data folder ${dataDir}`);
}
