import { inflateSync } from 'node:zlib';

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
