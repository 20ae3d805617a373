// @ts-expect-error fontkit ships no declarations: the parts used are typed below.
import * as fontkit from 'fontkit';
import { describe, expect, it } from 'vitest';
import { DEFAULT_COOPERATIVE } from '../../infra/config.js';
import { SHARED_CHARACTERS } from '../../shared/invoicing/document-fonts.js';
import { buildInvoiceDocument } from '../../shared/invoicing/document.js';
import { DEJAVU_SANS_BOLD_BASE64 } from '../../shared/invoicing/fonts/dejavu-sans-bold.js';
import { DEJAVU_SANS_REGULAR_BASE64 } from '../../shared/invoicing/fonts/dejavu-sans-regular.js';
import { renderInvoicePdf } from '../../shared/invoicing/invoice-pdf.js';
import { withoutHinting } from '../../shared/invoicing/truetype-hinting.js';
import { embeddedFontPrograms } from '../support/pdf-objects.js';

/*
 * The embedded font programs carry no hinting (shared/invoicing/truetype-hinting.ts, decision 38): the same glyphs,
 * outlines and metrics, half the bytes.
 */

interface Glyph {
  id: number;
  advanceWidth: number;
  bbox: unknown;
  path: { toSVG(): string };
}
interface Font {
  numGlyphs: number;
  directory: { tables: Record<string, unknown> };
  getGlyph(id: number): Glyph;
  glyphForCodePoint(codePoint: number): Glyph;
  createSubset(): { includeGlyph(id: number): number; encode(): Uint8Array };
}
const open = (bytes: Uint8Array) => (fontkit as unknown as { create(buffer: Buffer): Font }).create(Buffer.from(bytes));

/** The sum of a program's big-endian 32-bit words: 0xB1B0AFBA once head.checkSumAdjustment is right. */
function wholeChecksum(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 4) sum = (sum + view.getUint32(i)) >>> 0;
  return sum;
}

describe('font programs without hinting', () => {
  for (const [name, source] of [
    ['DejaVu Sans', DEJAVU_SANS_REGULAR_BASE64],
    ['DejaVu Sans Bold', DEJAVU_SANS_BOLD_BASE64],
  ] as const) {
    it(`${name}: every glyph keeps its outline, box and advance; the hinting tables and instructions go`, () => {
      const font = open(Buffer.from(source, 'base64'));
      const subset = font.createSubset();
      // Simple glyphs, composites (accented letters), ligatures and glyphs outside the shared ones.
      for (const character of `${SHARED_CHARACTERS}ŁễịồǺ`) subset.includeGlyph(font.glyphForCodePoint(character.codePointAt(0)!).id);
      const hinted = subset.encode();
      const bare = withoutHinting(hinted);
      const [before, after] = [open(hinted), open(bare)];

      expect(Object.keys(before.directory.tables)).toEqual(expect.arrayContaining(['fpgm', 'prep', 'cvt ']));
      expect(Object.keys(after.directory.tables).sort()).toEqual(['glyf', 'head', 'hhea', 'hmtx', 'loca', 'maxp']);
      expect(bare.length).toBeLessThan(hinted.length * 0.6);
      expect(wholeChecksum(bare)).toBe(0xb1b0afba);
      expect(after.numGlyphs).toBe(before.numGlyphs);
      for (let id = 0; id < before.numGlyphs; id++) {
        const [was, is] = [before.getGlyph(id), after.getGlyph(id)];
        expect(is.path.toSVG(), `glyph ${id}`).toBe(was.path.toSVG());
        expect(is.advanceWidth, `glyph ${id}`).toBe(was.advanceWidth);
        expect(is.bbox, `glyph ${id}`).toEqual(was.bbox);
      }
      // No glyph has instructions left: a simple glyph's instructionLength is 0, no component asks for them.
      const view = new DataView(bare.buffer, bare.byteOffset, bare.byteLength);
      const table = (tag: string) => {
        for (let i = 0; i < view.getUint16(4); i++) if (String.fromCharCode(...bare.subarray(12 + 16 * i, 16 + 16 * i)) === tag) return view.getUint32(12 + 16 * i + 8);
        throw new Error(tag);
      };
      const [glyf, loca, head] = [table('glyf'), table('loca'), table('head')];
      const long = view.getInt16(head + 50) === 1;
      const offset = (id: number) => (long ? view.getUint32(loca + 4 * id) : 2 * view.getUint16(loca + 2 * id));
      for (let id = 0; id < after.numGlyphs; id++) {
        if (offset(id + 1) === offset(id)) continue;
        const contours = view.getInt16(glyf + offset(id));
        if (contours >= 0) expect(view.getUint16(glyf + offset(id) + 10 + 2 * contours), `glyph ${id}`).toBe(0);
        else {
          let at = glyf + offset(id) + 10;
          let flags: number;
          do {
            flags = view.getUint16(at);
            expect(flags & 0x0100, `glyph ${id}`).toBe(0);
            at += 4 + (flags & 1 ? 4 : 2) + (flags & 0x08 ? 2 : flags & 0x40 ? 4 : flags & 0x80 ? 8 : 0);
          } while (flags & 0x20);
        }
      }
    });
  }

  it('the invoices embed them: about 40 KiB a PDF', async () => {
    const { pdf } = await renderInvoicePdf(
      buildInvoiceDocument({
        number: '2027-000001',
        issueDate: '2027-08-01',
        cooperative: DEFAULT_COOPERATIVE,
        activity: { name: 'Jardins de Lens', tradeName: 'Les Mains Vertes' },
        customer: { kind: 'individual', name: 'Awa Diallo', email: 'awa@example.fr', address: { line1: '3 rue Émile Basly', postalCode: '62300', city: 'Lens', countryCode: 'FR' } },
        lines: [{ description: 'Tonte de pelouse', serviceDate: '2027-07-03', quantityHundredths: 150, unit: 'heure', unitPriceCents: 1999, vatRateBps: 2000 }],
      }),
    );
    for (const program of Object.values(embeddedFontPrograms(pdf))) {
      const font = open(program);
      expect(Object.keys(font.directory.tables)).not.toContain('fpgm');
      expect(Object.keys(font.directory.tables)).not.toContain('prep');
    }
    expect(pdf.length).toBeLessThan(48 * 1024);
  });
});
