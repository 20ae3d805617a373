import { deflateSync } from 'node:zlib';
import { zlibSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { DEFAULT_COOPERATIVE } from '../../infra/config.js';
import type { CustomerDetails } from '../../shared/domain/invoicing/customers.js';
import { monthlyStatement } from '../../shared/domain/invoicing/statement.js';
import { SHARED_CHARACTERS, sharedFont } from '../../shared/invoicing/document-fonts.js';
import { buildInvoiceDocument, type InvoiceLineInput } from '../../shared/invoicing/document.js';
import { renderInvoicePdf } from '../../shared/invoicing/invoice-pdf.js';
import { renderStatementPdf } from '../../shared/invoicing/statement-pdf.js';
import { cidFontWidths, embeddedFontPrograms, pdfStreams, toUnicodeMaps, trueTypeGlyphs } from '../support/pdf-objects.js';
import { pdfText } from '../support/pdf-text.js';

/*
 * The invoices and statements embed one subset of each font for every document (shared/invoicing/document-fonts.ts),
 * and the writer compresses with Node's zlib (shared/invoicing/pdf-writer.ts): what a reader gets must not change.
 */

const address = { line1: '3 rue Émile Basly', postalCode: '62300', city: 'Lens', countryCode: 'FR' };
const business: CustomerDetails = { kind: 'business', name: 'Boulangerie Lensoise', email: 'compta@example.fr', address, siren: '842000002', vatNumber: 'FR29842000002' };
const line: InvoiceLineInput = { description: 'Tonte de pelouse', serviceDate: '2027-07-03', quantityHundredths: 150, unit: 'heure', unitPriceCents: 1999, vatRateBps: 2000 };

const invoice = (number: string, customer: CustomerDetails, lines: InvoiceLineInput[] = [line], vatMode: 'vat' | 'franchise' = 'vat') =>
  buildInvoiceDocument({ number, issueDate: '2027-08-01', cooperative: { ...DEFAULT_COOPERATIVE, vatMode }, activity: { name: 'Jardins de Lens', tradeName: 'Les Mains Vertes' }, customer, lines });

const statementPdf = (memberName: string) =>
  renderStatementPdf({
    statement: monthlyStatement({
      month: '2027-07',
      activity: { activityId: 'a1', name: 'Jardins de Lens', tradeName: 'Les Mains Vertes', shape: 'personal' },
      documents: [{ invoiceId: 'i1', number: '2027-000123', kind: 'invoice', issueDate: '2027-07-31', customerName: 'Zoé Bœuf', netCents: 26_004, vatCents: 3_351, grossCents: 29_355 }],
      payments: [{ invoiceNumber: '2027-000100', date: '2027-07-12', amountCents: 8_000, meansLabel: 'chèque' }],
      rateBps: 1000,
    }),
    member: { memberId: 'r1', name: memberName },
    cooperativeName: 'CoopConnexion',
    issuedOn: '2027-08-01',
  });

/** The two font programs of a PDF, regular then bold. */
function programsOf(pdf: Uint8Array): { body: Buffer; bold: Buffer } {
  const programs = Object.entries(embeddedFontPrograms(pdf));
  expect(programs.map(([name]) => name.replace(/^[A-Z]{6}\+/, '')).sort()).toEqual(['DejaVuSans', 'DejaVuSans-Bold']);
  return { body: programs.find(([name]) => name.endsWith('+DejaVuSans'))![1], bold: programs.find(([name]) => name.endsWith('-Bold'))![1] };
}

/** Every glyph's width in the PDF is its advance in the font program (PDF/A-3 6.2.11.5); .notdef's is pdfkit's. */
function expectConsistentWidths(pdf: Uint8Array) {
  const programs = embeddedFontPrograms(pdf);
  const widths = Object.entries(cidFontWidths(pdf));
  expect(widths).toHaveLength(2);
  for (const [name, list] of widths) {
    const glyphs = trueTypeGlyphs(programs[name]);
    expect(list.length).toBeLessThanOrEqual(glyphs.count);
    list.forEach((width, glyphId) => {
      if (glyphId > 0) expect(width, `${name} glyph ${glyphId}`).toBeCloseTo(glyphs.advanceWidth(glyphId), 5);
    });
  }
}

/** The glyph id (CID) a font of the PDF uses for a character, from its ToUnicode map. */
function glyphIdOf(pdf: Uint8Array, font: 'DejaVuSans' | 'DejaVuSans-Bold', character: string): number | undefined {
  const [, map] = Object.entries(toUnicodeMaps(pdf)).find(([name]) => name.endsWith(`+${font}`))!;
  return [...map].find(([, text]) => text === character)?.[0];
}

describe('the fonts of invoices and statements', () => {
  it('every document in French embeds the same font programs, byte for byte, holding every shared character', async () => {
    const first = (await renderInvoicePdf(invoice('2027-000001', business))).pdf;
    const other = (
      await renderInvoicePdf(
        invoice('2027-000002', { kind: 'individual', name: 'Chloé Lefèvre-Œuvray', email: 'chloe@example.fr', address: { ...address, line1: '12 allée des Peupliers' } }, [
          { ...line, description: 'Taille de haies « express » – finition', unitPriceCents: 123_456 },
        ], 'franchise'),
      )
    ).pdf;
    const statement = await statementPdf('Inès Benali');
    const shared = programsOf(first);
    expect(programsOf(other)).toEqual(shared);
    expect(programsOf(statement)).toEqual(shared);
    expect(shared.body.equals(shared.bold)).toBe(false);

    // Each shared character has its glyph in both programs, at the same place in every document.
    for (const font of ['DejaVuSans', 'DejaVuSans-Bold'] as const) {
      const program = trueTypeGlyphs(font === 'DejaVuSans' ? shared.body : shared.bold);
      for (const character of SHARED_CHARACTERS) {
        const glyphId = glyphIdOf(first, font, character);
        expect(glyphId, `${font} ${character}`).toBeGreaterThan(0);
        expect(glyphIdOf(statement, font, character)).toBe(glyphId);
        if (character.trim() !== '') expect(program.hasOutline(glyphId!), `${font} ${character}`).toBe(true);
      }
    }
    for (const pdf of [first, other, statement]) expectConsistentWidths(pdf);
    expect(await pdfText(other)).toContain('Chloé Lefèvre-Œuvray');
    expect(await pdfText(other)).toContain('Taille de haies « express » – finition');
  });

  it('a name outside them gets its glyphs after the shared ones, in a program of its own, and reads back', async () => {
    const shared = programsOf((await renderInvoicePdf(invoice('2027-000003', business))).pdf);
    const polish: CustomerDetails = { ...business, name: 'Łukasz Wójcik' };
    const doc = invoice('2027-000004', polish, [{ ...line, description: 'Cours de cuisine de Nguyễn Thị Hồng' }]);
    const { pdf } = await renderInvoicePdf(doc);

    const text = await pdfText(pdf);
    expect(text).toContain('Łukasz Wójcik');
    expect(text).toContain('Cours de cuisine de Nguyễn Thị Hồng');
    expectConsistentWidths(pdf);
    const own = programsOf(pdf);
    expect(own.body.equals(shared.body)).toBe(false);
    expect(own.bold.equals(shared.bold)).toBe(false);
    for (const [font, program, characters] of [
      ['DejaVuSans-Bold', own.bold, 'Ł'],
      ['DejaVuSans', own.body, 'ễịồ'],
    ] as const) {
      for (const character of characters) {
        const glyphId = glyphIdOf(pdf, font, character)!;
        expect(glyphId, character).toBeGreaterThan(SHARED_CHARACTERS.length);
        expect(trueTypeGlyphs(program).hasOutline(glyphId)).toBe(true);
      }
      // The shared glyphs keep their place.
      expect(glyphIdOf(pdf, font, 'W')).toBe(glyphIdOf((await renderInvoicePdf(invoice('2027-000005', business))).pdf, font, 'W'));
    }

    // The same document gives the same bytes again, and the next ordinary one the shared programs.
    expect((await renderInvoicePdf(doc)).pdf.equals(pdf)).toBe(true);
    expect(programsOf((await renderInvoicePdf(invoice('2027-000006', business))).pdf)).toEqual(shared);
  });

  it('lays out words of shared characters from their glyphs and pair kerning exactly as fontkit shapes them', () => {
    // A fixed pseudo-random sequence (the same words at every run): words of 1 to 12 shared characters, and the words
    // of an invoice's amounts, dates and names.
    let seed = 42;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
    const characters = [...SHARED_CHARACTERS];
    const words = ['29,99\u202f€ ', '01/08/2027', 'Lefèvre-Œuvray ', 'AVOIR', 'Wagner ', 'Tonte ', 'VAT, ', 'offre ', 'affiche '];
    for (let i = 0; i < 4000; i++) words.push(Array.from({ length: 1 + Math.floor(next() * 12) }, () => characters[Math.floor(next() * characters.length)]).join(''));
    for (const name of ['Body', 'Bold'] as const) {
      const font = sharedFont(name);
      for (const word of words) expect(font.run(word), `${name} ${JSON.stringify(word)}`).toEqual(font.shapedRun(word));
    }
  });

  it('gives the same bytes for the same statement', async () => {
    const once = await statementPdf('Nguyễn Văn An');
    await statementPdf('Inès Benali');
    expect((await statementPdf('Nguyễn Văn An')).equals(once)).toBe(true);
    expect(await pdfText(once)).toContain('Pour : Nguyễn Văn An');
  });

  it("compresses every stream with Node's zlib", async () => {
    const { pdf } = await renderInvoicePdf(invoice('2027-000007', business, [line, { ...line, description: 'Peinture du portail' }]));
    const compressed = pdfStreams(pdf).filter((stream) => stream.dictionary.includes('/FlateDecode'));
    expect(compressed.length).toBeGreaterThanOrEqual(6);
    for (const stream of compressed) expect(deflateSync(stream.data).equals(stream.stored)).toBe(true);
    // fflate's pure-JS deflate would have written other bytes: the check above tells the two apart.
    expect(compressed.some((stream) => !Buffer.from(zlibSync(stream.data)).equals(stream.stored))).toBe(true);
  });
});
