import { readFileSync } from 'node:fs';

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
