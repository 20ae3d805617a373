import { readFileSync } from 'node:fs';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Reads a JSON-lines file kept by a local service (mail, SMS outbox): a missing file is empty, and a torn last
 * line (a crash mid-write) or a line `accept` refuses is skipped rather than losing the rest.
 * @example const records = readJsonLines(file, (r): r is SmsRecord => typeof (r as SmsRecord).messageId === 'string');
 */
export function readJsonLines<T>(file: string, accept: (value: unknown) => value is T): T[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const values: T[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const value: unknown = JSON.parse(line);
      if (accept(value)) values.push(value);
    } catch {
      continue;
    }
  }
  return values;
}

/**
 * Appends to a JSON-lines file in call order (each write waits for the previous one), creating its folder; a
 * failed write rejects its own caller only. Files are private to the user (they hold addresses and texts).
 * @example const outbox = new JsonLinesAppender('.local/data/sms-outbox.jsonl'); await outbox.append(record);
 */
export class JsonLinesAppender {
  private writes: Promise<void> = Promise.resolve();
  /** The folder is made once: a mkdir per line cost the main thread ~1 % of its time under load. */
  private folder: Promise<unknown> | undefined;

  constructor(readonly file: string) {}

  append(value: unknown): Promise<void> {
    return this.queue(async () => {
      this.folder ??= mkdir(dirname(this.file), { recursive: true }).catch((error: unknown) => {
        this.folder = undefined;
        throw error;
      });
      await this.folder;
      await appendFile(this.file, `${JSON.stringify(value)}\n`, { mode: 0o600 });
    });
  }

  /** Empties the file, after the writes already queued. */
  clear(): Promise<void> {
    return this.queue(() => writeFile(this.file, '', { mode: 0o600 }));
  }

  /** Resolves once every write queued so far is done. */
  async settled(): Promise<void> {
    await this.writes;
  }

  private queue(work: () => Promise<void>): Promise<void> {
    const write = this.writes.then(work);
    this.writes = write.catch(() => undefined);
    return write;
  }
}
