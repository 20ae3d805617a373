import { readFileSync } from 'node:fs';
import { mkdir, open, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Reads a JSON-lines file kept by a local service (mail, SMS outbox): a missing file is empty, and a torn last
 * line (a crash mid-write) or a line `accept` refuses is skipped rather than losing the rest.
 * @example const records = readJsonLines(file, (r): r is SmsRecord => typeof (r as SmsRecord).messageId === 'string');
 */
export function readJsonLines<T>(file: string, accept: (value: unknown) => value is T): T[] {
  return readJsonLinesAt(file, accept).map(({ value }) => value);
}

/**
 * As `readJsonLines`, with where each value's line is in the file (its first byte and its length, newline left
 * out), for a reader that reads one line back later.
 */
export function readJsonLinesAt<T>(file: string, accept: (value: unknown) => value is T): Array<{ value: T; offset: number; length: number }> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const values: Array<{ value: T; offset: number; length: number }> = [];
  for (let offset = 0; offset < bytes.length; ) {
    const newline = bytes.indexOf(10, offset);
    const end = newline < 0 ? bytes.length : newline;
    const line = bytes.toString('utf8', offset, end);
    if (line.trim()) {
      try {
        const value: unknown = JSON.parse(line);
        if (accept(value)) values.push({ value, offset, length: end - offset });
      } catch {
        // A torn line.
      }
    }
    offset = end + 1;
  }
  return values;
}

const NEWLINE = Buffer.from('\n');

/** An append handle unused this long is closed (a busy run keeps it; an idle local cloud holds no descriptor). */
const IDLE_CLOSE_MS = 2_000;

/**
 * Appends to a JSON-lines file in call order (each write waits for the previous one), creating its folder; a
 * failed write rejects its own caller only. Files are private to the user (they hold addresses and texts).
 * The file stays open in append mode while writes keep coming: an open, a write and a close per line cost a month's
 * run (20,000 mails) a noticeable share of the main thread. A line is written by one write(2), as before: on disk
 * (the page cache) once `append` resolves, whatever happens to the process next.
 * @example const outbox = new JsonLinesAppender('.local/data/sms-outbox.jsonl'); await outbox.append(record);
 */
export class JsonLinesAppender {
  private writes: Promise<void> = Promise.resolve();
  private handle: FileHandle | undefined;
  /** The file's length while it is open (append mode: the next line starts there). */
  private size = 0;
  private idle: NodeJS.Timeout | undefined;

  constructor(readonly file: string) {}

  append(value: unknown): Promise<void> {
    return this.appendLines([JSON.stringify(value)]);
  }

  /** Appends lines already serialized (JSON, no newline inside) by one write(2). */
  appendLines(lines: readonly string[]): Promise<void> {
    return this.queue(async () => {
      const handle = await this.open();
      this.size += (await handle.write(`${lines.join('\n')}\n`)).bytesWritten;
    });
  }

  /**
   * Appends one line given in parts (JSON without its newline) by one writev(2), and tells where it went: the offset
   * of its first byte and its length, newline left out.
   */
  appendParts(parts: Buffer[]): Promise<{ offset: number; length: number }> {
    let at: { offset: number; length: number } | undefined;
    return this.queue(async () => {
      const handle = await this.open();
      const length = parts.reduce((sum, part) => sum + part.length, 0);
      const offset = this.size;
      const { bytesWritten } = await handle.writev([...parts, NEWLINE]);
      this.size += bytesWritten;
      if (bytesWritten !== length + 1) throw new Error(`${this.file}: a line was written in part (${bytesWritten} of ${length + 1} bytes)`);
      at = { offset, length };
    }).then(() => at!);
  }

  /** Empties the file, after the writes already queued. */
  clear(): Promise<void> {
    return this.queue(async () => {
      await this.closeHandle();
      await writeFile(this.file, '', { mode: 0o600 });
    });
  }

  /** Resolves once every write queued so far is done. */
  async settled(): Promise<void> {
    await this.writes;
  }

  /** Waits for the writes queued so far and closes the file (a later append opens it again). */
  close(): Promise<void> {
    return this.queue(() => this.closeHandle());
  }

  private async open(): Promise<FileHandle> {
    if (this.handle) return this.handle;
    // The folder is made only when the open finds it missing (the first line, or after a reset of the local data): a
    // mkdir per line cost the main thread ~1 % of its time under load.
    const handle = await open(this.file, 'a', 0o600).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
      await mkdir(dirname(this.file), { recursive: true });
      return await open(this.file, 'a', 0o600);
    });
    this.size = (await handle.stat()).size;
    this.handle = handle;
    return handle;
  }

  private async closeHandle(): Promise<void> {
    clearTimeout(this.idle);
    this.idle = undefined;
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }

  private queue(work: () => Promise<void>): Promise<void> {
    const write = this.writes.then(work);
    this.writes = write.catch(() => undefined).then(() => this.closeWhenIdle());
    return write;
  }

  private closeWhenIdle(): void {
    if (!this.handle) return;
    clearTimeout(this.idle);
    this.idle = setTimeout(() => void this.queue(() => this.closeHandle()).catch(() => undefined), IDLE_CLOSE_MS);
    this.idle.unref();
  }
}
