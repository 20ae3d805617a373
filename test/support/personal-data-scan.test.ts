import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeFindings, findPersonalDataInLogs } from './personal-data-scan.js';

describe('the end-of-run check of the function logs', () => {
  it('finds recorded values in any registered log file, escaped or lowercased, and names kinds, never values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parcours-scan-'));
    const log = join(dir, 'functions.log');
    const quiet = join(dir, 'quiet.log');
    writeFileSync(
      join(dir, 'values-1.jsonl'),
      [
        { kind: 'e-mail of a guardian', value: 'Nadia.Haddad@Example.org' },
        { kind: 'free text', value: 'Il a dit "oui"' },
        { kind: 'phone of a young person', value: '+33612345678' },
      ]
        .map((v) => JSON.stringify(v))
        .join('\n'),
    );
    writeFileSync(join(dir, 'logs-1.txt'), `${log}\n${quiet}\n${join(dir, 'never-written.log')}\n`);
    writeFileSync(join(dir, 'logs-2.txt'), `${log}\n`);
    writeFileSync(log, ['{"message":"referral recorded","referralId":"r-1"}', '{"to":"nadia.haddad@example.org"}', '{"note":"Il a dit \\"oui\\""}'].join('\n'));
    writeFileSync(quiet, '{"message":"nothing personal"}\n');

    const { findings, files } = findPersonalDataInLogs(dir);
    expect(files).toBe(2);
    expect(findings).toEqual([
      { file: log, line: 2, kind: 'e-mail of a guardian' },
      { file: log, line: 3, kind: 'free text' },
    ]);
    const message = describeFindings(findings);
    expect(message).toContain(`${log}:2: e-mail of a guardian`);
    expect(message).not.toMatch(/nadia|oui/i);
  });
});
