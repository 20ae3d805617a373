import { inflateSync } from 'node:zlib';
import { expect } from 'vitest';

/** A stream object of a PDF as pdfkit writes it: its number, its dictionary as text, its bytes as stored and decoded. */
export interface PdfStream {
  id: number;
  dictionary: string;
  /** The bytes between `stream` and `endstream`. */
  stored: Buffer;
  /** `stored` inflated when the stream is FlateDecode, else `stored`. */
  data: Buffer;
}

/**
 * The stream objects of a PDF written by pdfkit (`<n> 0 obj`, the dictionary, `stream`, `/Length` bytes, `endstream`),
 * in file order. Reads the file as pdfkit lays it out, not any PDF: no object streams, no cross-reference streams.
 */
export function pdfStreams(pdf: Uint8Array): PdfStream[] {
  const raw = Buffer.from(pdf);
  const text = raw.toString('latin1');
  const streams: PdfStream[] = [];
  const header = /(\d+) 0 obj\n/g;
  let match: RegExpExecArray | null;
  while ((match = header.exec(text))) {
    const end = text.indexOf('\nendobj', header.lastIndex);
    const start = text.indexOf('\nstream\n', header.lastIndex);
    if (start < 0 || start > end) continue;
    const dictionary = text.slice(header.lastIndex, start);
    const length = Number(/\/Length (\d+)/.exec(dictionary)?.[1]);
    const stored = raw.subarray(start + 8, start + 8 + length);
    streams.push({ id: Number(match[1]), dictionary, stored, data: dictionary.includes('/FlateDecode') ? inflateSync(stored) : stored });
    header.lastIndex = start + 8 + length;
  }
  return streams;
}

/** The embedded TrueType programs (`/FontFile2`) of a PDF, by the font name of their descriptor (`ABCDEF+DejaVuSans`). */
export function embeddedFontPrograms(pdf: Uint8Array): Record<string, Buffer> {
  const text = Buffer.from(pdf).toString('latin1');
  const streams = new Map(pdfStreams(pdf).map((stream) => [stream.id, stream.data]));
  const programs: Record<string, Buffer> = {};
  for (const [, name, id] of text.matchAll(/\/FontName \/([^\s/]+)[^>]*?\/FontFile2 (\d+) 0 R/g)) programs[name] = streams.get(Number(id))!;
  return programs;
}

/** The ToUnicode maps of a PDF's Type0 fonts, by base font name: glyph id in the subset (CID) -> text. */
export function toUnicodeMaps(pdf: Uint8Array): Record<string, Map<number, string>> {
  const text = Buffer.from(pdf).toString('latin1');
  const streams = new Map(pdfStreams(pdf).map((stream) => [stream.id, stream.data.toString('latin1')]));
  const maps: Record<string, Map<number, string>> = {};
  for (const [, name, id] of text.matchAll(/\/Subtype \/Type0\n\/BaseFont \/([^\s/]+)[^]*?\/ToUnicode (\d+) 0 R/g)) {
    const map = new Map<number, string>();
    for (const [, start, values] of streams.get(Number(id))!.matchAll(/<([0-9a-f]+)> <[0-9a-f]+> \[([^\]]*)\]/gi)) {
      [...values.matchAll(/<([0-9a-f ]+)>/gi)].forEach(([, hex], index) => {
        map.set(parseInt(start, 16) + index, Buffer.from(hex.replace(/ /g, ''), 'hex').swap16().toString('utf16le'));
      });
    }
    maps[name] = map;
  }
  return maps;
}

/** The widths of a PDF's CID fonts (`/W [0 [w0 w1 ...]]`, as pdfkit writes them), by base font name: CID -> width. */
export function cidFontWidths(pdf: Uint8Array): Record<string, number[]> {
  const text = Buffer.from(pdf).toString('latin1');
  const widths: Record<string, number[]> = {};
  for (const [, name, list] of text.matchAll(/\/Subtype \/CIDFontType2\n\/BaseFont \/([^\s/]+)[^]*?\/W \[0 \[([^\]]*)\]\]/g)) widths[name] = list.trim().split(/\s+/).map(Number);
  return widths;
}

/**
 * The glyphs of a TrueType program: how many, whether a glyph id has an outline (bytes in `glyf`), and its advance
 * width in thousandths of the em (as a PDF's widths are given).
 */
export function trueTypeGlyphs(program: Buffer): { count: number; hasOutline(glyphId: number): boolean; advanceWidth(glyphId: number): number } {
  const tables = new Map<string, { offset: number; length: number }>();
  for (let i = 0; i < program.readUInt16BE(4); i++) {
    const record = 12 + 16 * i;
    tables.set(program.toString('latin1', record, record + 4), { offset: program.readUInt32BE(record + 8), length: program.readUInt32BE(record + 12) });
  }
  const count = program.readUInt16BE(tables.get('maxp')!.offset + 4);
  const longOffsets = program.readInt16BE(tables.get('head')!.offset + 50) === 1;
  const loca = tables.get('loca')!.offset;
  const offset = (glyphId: number) => (longOffsets ? program.readUInt32BE(loca + 4 * glyphId) : 2 * program.readUInt16BE(loca + 2 * glyphId));
  const unitsPerEm = program.readUInt16BE(tables.get('head')!.offset + 18);
  const metrics = program.readUInt16BE(tables.get('hhea')!.offset + 34);
  const hmtx = tables.get('hmtx')!.offset;
  return {
    count,
    hasOutline: (glyphId) => glyphId < count && offset(glyphId + 1) > offset(glyphId),
    advanceWidth: (glyphId) => (program.readUInt16BE(hmtx + 4 * Math.min(glyphId, metrics - 1)) * 1000) / unitsPerEm,
  };
}

/**
 * Checks what every PDF of the documents' writer (shared/invoicing/pdf-writer.ts: invoices, credit notes, statements)
 * must hold as a PDF/A-3b: the header and its binary comment, every object where the cross-reference table says and
 * the table where `startxref` says, the trailer's size and file identifier, no encryption; the info dictionary's
 * title and date and the XMP saying the same, with the PDF/A-3b identification; the catalog's language, output intent
 * and metadata; embedded TrueType fonts (Identity-H with a ToUnicode map, `/Length1` their programs' length) named in
 * the pages' resources. Gives the trailer, the catalog and a way to read an object, for the checks of each kind.
 */
export function expectPdfAStructure(pdf: Buffer, expected: { title: string; date: string }): { raw: string; trailer: string; catalog: string; objectOf(id: number): string } {
  const raw = pdf.toString('latin1');
  expect(raw.startsWith('%PDF-1.7\n%\xff\xff\xff\xff\n')).toBe(true);
  expect(raw.endsWith('%%EOF\n')).toBe(true);

  // Every object where the cross-reference table says, and the table where `startxref` says.
  const startxref = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(raw)![1]);
  expect(raw.slice(startxref, startxref + 5)).toBe('xref\n');
  const [, first, count] = /^xref\n(\d+) (\d+)\n/.exec(raw.slice(startxref))!;
  expect(Number(first)).toBe(0);
  const entries = raw.slice(startxref).split('\n').slice(2, 2 + Number(count));
  expect(entries[0]).toBe('0000000000 65535 f ');
  entries.slice(1).forEach((entry, i) => {
    expect(entry).toMatch(/^\d{10} 00000 n $/);
    expect(raw.slice(Number(entry.slice(0, 10))).startsWith(`${i + 1} 0 obj\n`), `object ${i + 1}`).toBe(true);
  });
  expect((raw.match(/\d+ 0 obj\n/g) ?? []).length).toBe(Number(count) - 1);
  const trailer = raw.slice(raw.lastIndexOf('trailer'));
  expect(trailer).toContain(`/Size ${count}`);
  expect(trailer).toMatch(/\/ID \[<([0-9a-f]{32})> <\1>\]/);
  expect(raw).not.toContain('/Encrypt');
  expect(raw).not.toContain('LZW');

  // The info dictionary and the XMP say the same.
  const objectOf = (id: number) => raw.slice(raw.indexOf(`\n${id} 0 obj\n`) + 1, raw.indexOf('endobj', raw.indexOf(`\n${id} 0 obj\n`)));
  const info = objectOf(Number(/\/Info (\d+) 0 R/.exec(trailer)![1]));
  expect(info).toContain(`/Title ${pdfTextString(expected.title)}`);
  expect(info).toContain(`/CreationDate (D:${expected.date.replace(/-/g, '')}000000Z)`);
  const producer = /\/Producer \(([^)]*)\)/.exec(info)![1];
  expect(/\/Creator \(([^)]*)\)/.exec(info)![1]).toBe(producer);
  const metadata = pdfStreams(pdf).find((stream) => stream.dictionary.includes('/Type /Metadata'))!;
  expect(metadata.dictionary).not.toContain('/Filter');
  const xmp = metadata.data.toString('utf8');
  expect(xmp).toContain(`<rdf:li xml:lang="x-default">${expected.title}</rdf:li>`);
  expect(xmp).toContain(`<xmp:CreateDate>${expected.date}T00:00:00Z</xmp:CreateDate>`);
  expect(xmp).toContain(`<xmp:CreatorTool>${producer}</xmp:CreatorTool>`);
  expect(xmp).toContain(`<pdf:Producer>${producer}</pdf:Producer>`);
  expect(xmp).toContain('<pdfaid:part>3</pdfaid:part>');
  expect(xmp).toContain('<pdfaid:conformance>B</pdfaid:conformance>');

  // The catalog: language, output intent, metadata.
  const catalog = objectOf(Number(/\/Root (\d+) 0 R/.exec(trailer)![1]));
  expect(catalog).toContain('/Lang (fr-FR)');
  expect(catalog).toContain(`/Metadata ${metadata.id} 0 R`);
  const intent = objectOf(Number(/\/OutputIntents \[(\d+) 0 R\]/.exec(catalog)![1]));
  expect(intent).toContain('/S /GTS_PDFA1');
  expect(intent).toMatch(/\/DestOutputProfile \d+ 0 R/);

  // The fonts: TrueType programs with their length, Identity-H with a ToUnicode map, named in the pages' resources.
  expect(raw).not.toMatch(/\/Subtype \/Type1/);
  for (const program of pdfStreams(pdf).filter((stream) => /\/Length1 \d+/.test(stream.dictionary))) {
    expect(Number(/\/Length1 (\d+)/.exec(program.dictionary)![1])).toBe(program.data.length);
  }
  expect((raw.match(/\/FontFile2 \d+ 0 R/g) ?? []).length).toBe(2);
  expect((raw.match(/\/Encoding \/Identity-H\n\/DescendantFonts \[\d+ 0 R\]\n\/ToUnicode \d+ 0 R/g) ?? []).length).toBe(2);
  expect(raw).toMatch(/\/Type \/Page\n[^]*?\/Resources (\d+) 0 R/);
  expect(objectOf(Number(/\/Type \/Page\n[^]*?\/Resources (\d+) 0 R/.exec(raw)![1]))).toMatch(/\/Font <<\n\/F1 \d+ 0 R\n\/F2 \d+ 0 R\n>>/);
  return { raw, trailer, catalog, objectOf };
}

/** A PDF text string as the writer writes it: literal when ASCII, else UTF-16BE with its byte order mark, in hex. */
function pdfTextString(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text)) return `(${text.replace(/[()\\]/g, (c) => `\\${c}`)})`;
  return `<feff${Buffer.from(text, 'utf16le').swap16().toString('hex')}>`;
}
