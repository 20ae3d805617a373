import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonLinesAppender, readJsonLines } from '../../infra/local/json-lines.js';

describe('JsonLinesAppender', () => {
  const dir = mkdtempSync(join(tmpdir(), 'json-lines-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const isRecord = (value: unknown): value is { n: number; text: string } => typeof (value as { n?: unknown }).n === 'number';

  it('has each line on disk once its append resolves, in call order, with the file kept open between lines', async () => {
    const file = join(dir, 'deep', 'folder', 'mail.jsonl');
    const appender = new JsonLinesAppender(file);
    await appender.append({ n: 1, text: 'Échéance écoulée' });
    expect(readJsonLines(file, isRecord)).toEqual([{ n: 1, text: 'Échéance écoulée' }]);
    const writes = Array.from({ length: 50 }, (_, i) => appender.append({ n: i + 2, text: 'x'.repeat(i * 1000) }));
    await Promise.all(writes);
    expect(readJsonLines(file, isRecord).map((r) => r.n)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
    await appender.close();
  });

  it('empties the file on clear, appends again after it and after a close, and a second appender on the file sees every line', async () => {
    const file = join(dir, 'outbox.jsonl');
    const appender = new JsonLinesAppender(file);
    await appender.append({ n: 1, text: 'a' });
    await appender.clear();
    expect(readFileSync(file, 'utf8')).toBe('');
    await appender.append({ n: 2, text: 'b' });
    await appender.close();
    await appender.append({ n: 3, text: 'c' });
    const other = new JsonLinesAppender(file);
    await other.append({ n: 4, text: 'd' });
    await appender.append({ n: 5, text: 'e' });
    expect(readJsonLines(file, isRecord).map((r) => r.n)).toEqual([2, 3, 4, 5]);
    await Promise.all([appender.close(), other.close()]);
  });
});
