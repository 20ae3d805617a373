import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleFunctions, REPO_ROOT } from '../../infra/bundles.js';
import { DEFAULT_COOPERATIVE } from '../../infra/config.js';
import { buildInvoiceDocument, type BuildInvoiceInput } from '../../shared/invoicing/document.js';
import { checkEn16931 } from '../../shared/invoicing/en16931.js';
import { renderInvoicePdf } from '../../shared/invoicing/invoice-pdf.js';
import { pdfStreams } from '../support/pdf-objects.js';

/*
 * The invoice renderer as a Lambda bundle holds it: built by the functions' esbuild settings, then run by a plain
 * node from a folder with no node_modules, so the fonts and the ICC profile of the PDF/A output intent must come from
 * the bundle itself. Its first invoice is the invoice this process renders, byte for byte: the bundle compresses with
 * Node's zlib too, and a process's first document is no different from the next ones.
 */
const input: Omit<BuildInvoiceInput, 'cooperative'> = {
  number: '2027-000001',
  issueDate: '2027-08-01',
  activity: { name: 'Jardins de Lens', tradeName: 'Les Mains Vertes' },
  customer: { kind: 'individual', name: 'Awa Diallo', email: 'awa@example.fr', address: { line1: '3 rue Basly', postalCode: '62300', city: 'Lens', countryCode: 'FR' } },
  lines: [{ description: 'Tonte', serviceDate: '2027-07-03', quantityHundredths: 150, unit: 'heure', unitPriceCents: 1999, vatRateBps: null }],
};

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

describe('the invoice renderer in a Lambda bundle', () => {
  it('renders a Factur-X PDF/A with its embedded fonts and output intent, reading no file', { timeout: 120_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), 'invoice-bundle-'));
    roots.push(root);
    mkdirSync(join(root, 'functions'));
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'fixture', private: true }));
    const shared = (path: string) => JSON.stringify(join(REPO_ROOT, path));
    writeFileSync(
      join(root, 'functions/render.ts'),
      `import { DEFAULT_COOPERATIVE } from ${shared('infra/config.ts')};
import { buildInvoiceDocument } from ${shared('shared/invoicing/document.ts')};
import { renderInvoicePdf } from ${shared('shared/invoicing/invoice-pdf.ts')};
export const handler = async () => {
  const doc = buildInvoiceDocument({ ...${JSON.stringify(input)}, cooperative: DEFAULT_COOPERATIVE });
  const { pdf, xml } = await renderInvoicePdf(doc);
  return { pdf: pdf.toString('base64'), xml };
};
`,
    );
    const set = bundleFunctions({ root, cacheDir: join(root, '.local/bundles'), entries: ['functions/render.ts'] });
    const alone = mkdtempSync(join(tmpdir(), 'invoice-lambda-'));
    roots.push(alone);
    copyFileSync(join(set.dirOf('functions/render.ts'), 'index.js'), join(alone, 'index.js'));
    const script = "require('./index.js').handler().then((r) => require('fs').writeFileSync('out.json', JSON.stringify(r)))";
    await promisify(execFile)(process.execPath, ['-e', script], { cwd: alone, env: { PATH: process.env.PATH ?? '' } });
    const { pdf, xml } = JSON.parse(readFileSync(join(alone, 'out.json'), 'utf8')) as { pdf: string; xml: string };
    const raw = Buffer.from(pdf, 'base64').toString('latin1');
    expect(raw).toContain('/FontFile2');
    expect(raw).toContain('/S /GTS_PDFA1');
    expect(raw).toMatch(/\/DestOutputProfile \d+ 0 R/);
    expect(raw).toContain('/AFRelationship /Alternative');
    expect(checkEn16931(xml)).toEqual([]);

    const bundled = Buffer.from(pdf, 'base64');
    const streams = pdfStreams(bundled).filter((stream) => stream.dictionary.includes('/FlateDecode'));
    expect(streams.length).toBeGreaterThanOrEqual(6);
    for (const stream of streams) expect(deflateSync(stream.data).equals(stream.stored)).toBe(true);
    // This process has rendered other documents (or none): the same bytes either way.
    await renderInvoicePdf(buildInvoiceDocument({ ...input, number: '2027-000002', customer: { ...input.customer, name: 'Łukasz Wójcik' }, cooperative: DEFAULT_COOPERATIVE }));
    expect((await renderInvoicePdf(buildInvoiceDocument({ ...input, cooperative: DEFAULT_COOPERATIVE }))).pdf.equals(bundled)).toBe(true);
  });
});
