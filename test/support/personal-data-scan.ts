import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What a value is. */
export type PersonalValueKind = 'name' | 'e-mail' | 'phone' | 'contact (e-mail or phone)' | 'birth date' | 'address' | 'free text' | 'task token' | 'link token';
/** As a failure names it (the value itself is never printed): 'phone', 'phone of a guardian'... */
export type PersonalKind = PersonalValueKind | `${PersonalValueKind} of a ${string}`;

/** In the run's folder: one file of values (JSON lines) and one of log file paths per test worker. */
export const VALUES_PREFIX = 'values-';
export const LOGS_PREFIX = 'logs-';

export interface PersonalDataFinding {
  file: string;
  line: number;
  kind: PersonalKind;
}

/** Reads what the run recorded in `dir` and returns every log line holding a recorded value (by file, line and kind). */
export function findPersonalDataInLogs(dir: string): { findings: PersonalDataFinding[]; files: number; values: number } {
  if (!existsSync(dir)) return { findings: [], files: 0, values: 0 };
  const entries = readdirSync(dir);
  const read = (prefix: string) => entries.filter((name) => name.startsWith(prefix)).flatMap((name) => readFileSync(join(dir, name), 'utf8').split('\n').filter(Boolean));
  const values = new Map<string, PersonalKind>();
  for (const line of read(VALUES_PREFIX)) {
    const { kind, value } = JSON.parse(line) as { kind: PersonalKind; value: string };
    values.set(value, kind);
    // Logs are JSON: a value may appear escaped, or lowercased as the app normalises e-mails.
    values.set(JSON.stringify(value).slice(1, -1), kind);
    if (kind.startsWith('e-mail') || kind.startsWith('contact')) values.set(value.toLowerCase(), kind);
  }
  const files = [...new Set(read(LOGS_PREFIX))].filter((file) => existsSync(file));
  const findings: PersonalDataFinding[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    // One search of the whole file per value; lines only when a value is there.
    const hits = [...values].filter(([value]) => text.includes(value));
    if (!hits.length) continue;
    text.split('\n').forEach((line, index) => {
      for (const [value, kind] of hits) if (line.includes(value)) findings.push({ file, line: index + 1, kind });
    });
  }
  return { findings, files: files.length, values: values.size };
}

/** The failure message: file, line and kind of each finding (at most `limit`), never the value. */
export function describeFindings(findings: PersonalDataFinding[], limit = 20): string {
  const shown = findings.slice(0, limit).map((f) => `  ${f.file}:${f.line}: ${f.kind}`);
  const more = findings.length > shown.length ? [`  ... and ${findings.length - shown.length} more`] : [];
  return `Personal data found in function logs (${findings.length} lines):\n${[...shown, ...more].join('\n')}`;
}
