import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { copyFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** What the local S3 keeps of one object besides its bytes. */
export interface ObjectMeta {
  key: string;
  size: number;
  /** As S3 answers it: the MD5 of the body in hex, in double quotes. */
  etag: string;
  /** ISO time. */
  lastModified: string;
  contentType: string;
  /** Headers stored with the object and answered with it: Content-Disposition, x-amz-meta-*, the encryption headers. */
  headers: Record<string, string>;
  /** The body's file in the bucket's `data/` folder. */
  dataFile: string;
}

/**
 * One bucket's objects on disk, under `<dir>/data/<id>` (bodies) and `<dir>/meta/<sha256 of key>.json`. A write puts
 * the body in a new file, then the metadata in a temporary file renamed over the old one: that rename is the moment the
 * object changes, so a killed process leaves the old object or the new one, never half of one. Bodies no metadata
 * points at (a write cut short, an object replaced just before a kill) are removed when the store opens.
 * Writes to one key are serialised, so a condition (`If-None-Match: *`) is checked and applied as one step.
 * The metadata file and small bodies are written synchronously: a few hundred bytes or kilobytes to the page cache
 * cost less than the thread-pool round trips of an asynchronous open, write and close (a month's run stores 10,000
 * PDFs), and the order that makes a write atomic (body, metadata aside, rename) is the same.
 */
export class BucketStore {
  private readonly index = new Map<string, ObjectMeta>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly dataDir: string;
  private readonly metaDir: string;

  constructor(dir: string) {
    this.dataDir = join(dir, 'data');
    this.metaDir = join(dir, 'meta');
    mkdirSync(this.dataDir, { recursive: true });
    mkdirSync(this.metaDir, { recursive: true });
    for (const name of readdirSync(this.metaDir)) {
      const path = join(this.metaDir, name);
      if (!name.endsWith('.json')) {
        rmSync(path, { force: true });
        continue;
      }
      try {
        const meta = JSON.parse(readFileSync(path, 'utf8')) as ObjectMeta;
        if (typeof meta.key === 'string' && existsSync(join(this.dataDir, meta.dataFile))) this.index.set(meta.key, meta);
      } catch {
        // Unreadable metadata cannot come from a rename; it is left out rather than stopping the start.
      }
    }
    const referenced = new Set([...this.index.values()].map((meta) => meta.dataFile));
    for (const name of readdirSync(this.dataDir)) if (!referenced.has(name)) rmSync(join(this.dataDir, name), { force: true });
  }

  get(key: string): ObjectMeta | undefined {
    return this.index.get(key);
  }

  /** Every key, in S3's order (UTF-8 bytes, which for these strings is code-point order). */
  keys(): string[] {
    return [...this.index.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  }

  /** A new body file's path: write the body there, then `commit` it (or `discard` it). */
  newBodyFile(): { name: string; path: string } {
    const name = randomUUID();
    return { name, path: join(this.dataDir, name) };
  }

  /** Writes a whole (small) body to a new body file at once: then `commit` it (or `discard` it). */
  writeBody(bytes: Uint8Array): { name: string; path: string } {
    const body = this.newBodyFile();
    writeFileSync(body.path, bytes);
    return body;
  }

  bodyPath(meta: ObjectMeta): string {
    return join(this.dataDir, meta.dataFile);
  }

  async discard(name: string): Promise<void> {
    await rm(join(this.dataDir, name), { force: true });
  }

  /**
   * Makes the body file `dataFile` the object at `meta.key`, unless `check` (given the object there now) throws: the
   * body is then removed and the error goes to the caller.
   */
  async commit(meta: ObjectMeta, check?: (existing: ObjectMeta | undefined) => void): Promise<ObjectMeta> {
    return await this.serialised(meta.key, async () => {
      try {
        check?.(this.index.get(meta.key));
      } catch (error) {
        await this.discard(meta.dataFile);
        throw error;
      }
      const previous = this.index.get(meta.key);
      this.writeMeta(meta);
      this.index.set(meta.key, meta);
      if (previous && previous.dataFile !== meta.dataFile) await this.discard(previous.dataFile);
      return meta;
    });
  }

  /** Copies `source`'s body to a new file and commits it at `meta.key` (CopyObject). */
  async copy(source: ObjectMeta, meta: Omit<ObjectMeta, 'dataFile'>): Promise<ObjectMeta> {
    const body = this.newBodyFile();
    await copyFile(this.bodyPath(source), body.path);
    return await this.commit({ ...meta, dataFile: body.name });
  }

  /** Removes the object, if any (deleting nothing succeeds, as on S3). */
  async delete(key: string): Promise<void> {
    await this.serialised(key, async () => {
      const previous = this.index.get(key);
      if (!previous) return;
      await rm(this.metaPath(key), { force: true });
      this.index.delete(key);
      await this.discard(previous.dataFile);
    });
  }

  private metaPath(key: string): string {
    return join(this.metaDir, `${createHash('sha256').update(key).digest('hex')}.json`);
  }

  private writeMeta(meta: ObjectMeta): void {
    const final = this.metaPath(meta.key);
    const temporary = `${final}.${randomUUID()}.tmp`;
    writeFileSync(temporary, JSON.stringify(meta));
    renameSync(temporary, final);
  }

  private async serialised<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = this.locks.get(key) ?? Promise.resolve();
    const run = before.then(work, work);
    const settled = run.catch(() => undefined);
    this.locks.set(key, settled);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === settled) this.locks.delete(key);
    }
  }
}
