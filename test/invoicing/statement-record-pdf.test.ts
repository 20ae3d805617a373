import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleFunctions, REPO_ROOT } from '../../infra/bundles.js';
import { monthlyStatement, type StatementRecord } from '../../shared/domain/invoicing/statement.js';
import { renderMemberStatementPdf, renderStatementPdf } from '../../shared/invoicing/statement-pdf.js';
import { pdfText } from '../support/pdf-text.js';

/*
 * A member's statement PDF is rendered from its record when first opened (decision 35), possibly months after the
 * statement was issued and in whichever Lambda environment serves the request. The first reader's bytes are the ones
 * kept, so the same record must give the same bytes in a fresh process (a cold start: no font subset, layout or
 * compression cached yet) as in one that rendered other documents before (decision 31).
 */

const statement = monthlyStatement({
  month: '2031-06',
  activity: { activityId: 'ca-1', name: 'Collectif du Louvre', tradeName: 'Louvre Services', shape: 'collective' },
  documents: [
    { invoiceId: 'i1', number: '2031-000041', kind: 'invoice', issueDate: '2031-06-30', customerName: 'Boulangerie Dupont SARL', netCents: 100_001, vatCents: 20_000, grossCents: 120_001 },
    { invoiceId: 'i2', number: '2031-000042', kind: 'credit-note', issueDate: '2031-06-30', customerName: 'Mme Durand', netCents: 12_345, vatCents: 0, grossCents: 12_345 },
  ],
  payments: [{ invoiceNumber: '2031-000012', date: '2031-06-15', amountCents: 8_000, meansLabel: 'chèque' }],
  rateBps: 1000,
  collectiveMemberIds: ['r1', 'r2'],
});
const record: StatementRecord = {
  activityId: 'ca-1',
  month: '2031-06',
  statement,
  members: [
    { personId: 'p1', referralId: 'r1', name: 'Inès Benali', leftCents: statement.contribution.shares![0]!.cents },
    // A name outside the shared glyphs: its document embeds glyphs of its own after them.
    { personId: 'p2', referralId: 'r2', name: 'Łukasz Wójcik', leftCents: statement.contribution.shares![1]!.cents },
  ],
  issuedAt: '2031-07-01T06:30:00.000Z',
  cooperativeName: 'CoopConnexion',
};

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** Each member's PDF of `record`, rendered by a fresh node process from the function bundle's code. */
async function renderedInFreshProcess(bundle: string): Promise<Buffer[]> {
  const dir = mkdtempSync(join(tmpdir(), 'statement-lambda-'));
  roots.push(dir);
  copyFileSync(bundle, join(dir, 'index.js'));
  writeFileSync(join(dir, 'record.json'), JSON.stringify(record));
  const script = "const fs = require('fs'); require('./index.js').handler(JSON.parse(fs.readFileSync('record.json', 'utf8'))).then((r) => fs.writeFileSync('out.json', JSON.stringify(r)))";
  await promisify(execFile)(process.execPath, ['-e', script], { cwd: dir, env: { PATH: process.env.PATH ?? '' } });
  return (JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as string[]).map((pdf) => Buffer.from(pdf, 'base64'));
}

describe("a member's statement PDF rendered from its record", () => {
  it('has the same bytes in two fresh processes and in one that rendered other documents first', { timeout: 120_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), 'statement-bundle-'));
    roots.push(root);
    mkdirSync(join(root, 'functions'));
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'fixture', private: true }));
    writeFileSync(
      join(root, 'functions/render.ts'),
      `import { renderMemberStatementPdf } from ${JSON.stringify(join(REPO_ROOT, 'shared/invoicing/statement-pdf.ts'))};
export const handler = async (record: any) => {
  const pdfs = [];
  for (const copy of record.members) pdfs.push((await renderMemberStatementPdf(record, copy)).toString('base64'));
  return pdfs;
};
`,
    );
    const set = bundleFunctions({ root, cacheDir: join(root, '.local/bundles'), entries: ['functions/render.ts'] });
    const bundle = join(set.dirOf('functions/render.ts'), 'index.js');
    const [first, second] = await Promise.all([renderedInFreshProcess(bundle), renderedInFreshProcess(bundle)]);
    expect(first).toHaveLength(2);
    for (const [i, pdf] of first.entries()) expect(pdf.equals(second[i]!), `member ${i}: two cold starts`).toBe(true);
    expect(first[0]!.equals(first[1]!)).toBe(false);

    // This process renders another statement first, then the record's members in the other order.
    await renderStatementPdf({ statement, member: { memberId: 'x', name: 'Zoé Œuvray-Ñúñez' }, cooperativeName: 'Autre', issuedOn: '2031-01-01' });
    for (const i of [1, 0]) expect((await renderMemberStatementPdf(record, record.members[i]!)).equals(first[i]!), `member ${i}: a warm process`).toBe(true);

    // What the PDF shows comes from the record: the cooperative, the issue day in Paris, each one's share.
    const text = await pdfText(first[1]!);
    for (const expected of ['Louvre Services', 'CoopConnexion', 'Édité le 01/07/2031', 'Pour : Łukasz Wójcik', 'Łukasz Wójcik (vous)', 'Inès Benali', '1 000,01', '-123,45', '80,00']) {
      expect(text).toContain(expected);
    }
  });
});
