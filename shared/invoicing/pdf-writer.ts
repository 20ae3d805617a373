import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { sharedFont, type FontName, type Run, type SharedFont } from './document-fonts.js';
import { SRGB_PROFILE_BASE64 } from './srgb-profile.js';
import { escapeXml } from './xml.js';

/**
 * A small PDF/A-3b writer for documents of a fixed layout (invoices and credit notes, decision 48; the members'
 * statements, decision 51): A4 pages of text in DejaVu Sans and Bold and thin rules, and an associated file or none.
 * pdfkit did this at about 3.5 ms per invoice, most of it its general text engine (line breaking by Unicode rules,
 * fragments, glyph encoding per call) and the objects it rebuilt for every document although they never change. Here:
 * - the text is laid out with the process's shaped words (document-fonts.ts): a word's width and its glyphs in the
 *   shared subset (whose ids are fixed for the process) are computed once, and a word's piece of a `TJ` array too;
 * - the objects that are the same in every document (the two fonts' programs, widths, ToUnicode maps and descriptors,
 *   the sRGB output intent, the page resources) are serialized and compressed once per process, as one block of
 *   bytes at the start of the file, with fixed object numbers; a document whose text needs glyphs outside the shared
 *   subset (a Polish or Vietnamese name) gets a block of its own, kept by its list of glyphs like its font programs;
 * - per document: the pages' content streams, the XMP, the embedded file and its specification (when it has one), the
 *   catalog, the info dictionary, the cross-reference table and the trailer.
 * It keeps everything PDF/A-3b asks of what pdfkit wrote: embedded fonts only (TrueType, Identity-H, a ToUnicode map
 * so that text can be extracted), widths equal to the programs' advances, the sRGB output intent, XMP metadata with the
 * PDF/A identification matching the info dictionary, the file identifier in the trailer, the associated file with
 * /AF, /AFRelationship, its MIME type as /Subtype and /Params with its dates, size and MD5 (a statement has none:
 * PDF/A-3 does not ask for one), no encryption, FlateDecode only. The bytes depend only on the document.
 */

/** A4 in points, as pdfkit's 'A4'. */
export const PAGE_WIDTH = 595.28;
export const PAGE_HEIGHT = 841.89;

/** pdfkit's number format (six decimals at most), kept for what the fonts' objects hold (their widths and metrics). */
const pdfNumber = (n: number) => String(Math.round(n * 1e6) / 1e6);
/** Positions in a content stream: a thousandth of a point is finer than any printer. */
const coordinate = (n: number) => String(Math.round(n * 1000) / 1000);

const HEX4 = Array.from({ length: 1024 }, (_, id) => id.toString(16).padStart(4, '0'));
const hex4 = (id: number) => HEX4[id] ?? id.toString(16).padStart(4, '0');

/** A PDF text string: literal when ASCII, else UTF-16BE with its byte order mark, as PDF wants other text. */
function pdfString(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text)) return `(${text.replace(/[()\\]/g, (c) => `\\${c}`)})`;
  let hex = 'feff';
  // UTF-16 code units: a character outside the BMP is its two surrogates, as UTF-16BE wants.
  for (let i = 0; i < text.length; i++) hex += hex4(text.charCodeAt(i));
  return `<${hex}>`;
}

/** D:YYYYMMDDHHmmSSZ, as pdfkit writes dates. */
const pdfDate = (date: Date) => `(D:${date.toISOString().slice(0, 19).replace(/[-T:]/g, '')}Z)`;

/** The colours the documents use, as `r g b` in 0..1. */
export function rgb(hex: string): string {
  let colour = colours.get(hex);
  if (!colour) {
    const value = parseInt(hex.slice(1), 16);
    colour = [(value >> 16) & 255, (value >> 8) & 255, value & 255].map((c) => pdfNumber(c / 255)).join(' ');
    colours.set(hex, colour);
  }
  return colour;
}
const colours = new Map<string, string>();

// --- Fonts -----------------------------------------------------------------------------------------------------------

/**
 * A word as the writer uses it, per font and for the process: its width (thousandths of the em) and its piece of a
 * `TJ` array, or null when it needs glyphs outside the shared subset or placed off their pen position (encoded for
 * each document then: `DocumentFont.encode`).
 */
interface Word {
  width: number;
  piece: string | null;
}
const WORDS_MAX = 20_000;
const words: Record<FontName, Map<string, Word>> = { Body: new Map(), Bold: new Map() };

/**
 * One font as a document uses it: the shared subset, then the glyphs outside it in the order the document meets them
 * (their ids in the subset follow the shared ones, as document-fonts.ts lays its programs out).
 */
class DocumentFont {
  readonly shared: SharedFont;
  readonly extra = new Map<number, { id: number; width: number; codePoints: number[] }>();

  constructor(readonly name: FontName) {
    this.shared = sharedFont(name);
  }

  /** The glyph's id in this document's subset. */
  private idOf(glyph: Run['glyphs'][number]): number {
    if (glyph.id === 0) return 0;
    const id = this.shared.subsetIdOf.get(glyph.id);
    if (id !== undefined) return id;
    let added = this.extra.get(glyph.id);
    if (!added) {
      added = { id: this.shared.glyphIds.length + 1 + this.extra.size, width: glyph.advanceWidth * this.shared.scale, codePoints: glyph.codePoints };
      this.extra.set(glyph.id, added);
    }
    return added.id;
  }

  /** A word (pdfkit's unit of layout: up to and with a space), kept for the process. */
  word(text: string): Word {
    const cache = words[this.name];
    let word = cache.get(text);
    if (!word) {
      word = this.plainWord(text) ?? this.shapedWord(text);
      if (cache.size >= WORDS_MAX) cache.clear();
      cache.set(text, word);
    }
    return word;
  }

  /**
   * A word of plain shared characters (document-fonts.ts, `plainRun`): each character's glyph, and the pair kerning
   * after it, straight into the piece, without a run's glyph and position objects (most words of a run are seen once:
   * amounts, numbers, names).
   */
  private plainWord(text: string): Word | undefined {
    const { shared } = this;
    if (text.includes('ff') || text.includes('fi') || text.includes('fl')) return undefined;
    let width = 0;
    let piece = '<';
    for (let i = 0; i < text.length; i++) {
      const glyph = shared.plainGlyphs.get(text[i]);
      if (!glyph) return undefined;
      const kerning = i + 1 < text.length ? shared.pairKerning(text[i], text[i + 1]) : 0;
      if (Number.isNaN(kerning)) return undefined;
      const advance = glyph.advanceWidth * shared.scale;
      const xAdvance = (glyph.advanceWidth + kerning) * shared.scale;
      width += xAdvance;
      piece += hex4(shared.subsetIdOf.get(glyph.id)!);
      if (kerning !== 0) piece += `> ${coordinate(-(xAdvance - advance))} <`;
    }
    return { width, piece: piece.endsWith(' <') ? piece.slice(0, -2) : `${piece}>` };
  }

  /** A word shaped by fontkit: its piece kept when all its glyphs are shared and on their pen positions. */
  private shapedWord(text: string): Word {
    const run = this.shared.run(text);
    const plain = run.glyphs.every((glyph, i) => (glyph.id === 0 || this.shared.subsetIdOf.has(glyph.id)) && !run.positions[i].xOffset && !run.positions[i].yOffset);
    return { width: run.advanceWidth, piece: plain ? this.encode(text, 0) : null };
  }

  /** A word's piece of a `TJ` array at `size`, in this document's subset. */
  piece(text: string, size: number): string {
    return this.word(text).piece ?? this.encode(text, size);
  }

  /**
   * A word's glyphs as 2-byte codes (Identity-H), and after a glyph whose advance differs from its width (kerning)
   * the difference, as pdfkit writes it. A glyph placed off its pen position (a mark) is moved there and back around
   * it, with a text rise (at `size`) when it is raised or lowered.
   */
  encode(text: string, size: number): string {
    const run = this.shared.run(text);
    let out = '';
    let open = false;
    for (let i = 0; i < run.glyphs.length; i++) {
      const position = run.positions[i];
      const code = hex4(this.idOf(run.glyphs[i]));
      const kerning = position.xAdvance - position.advanceWidth;
      if (position.xOffset || position.yOffset) {
        if (open) out += '>';
        open = false;
        const rise = position.yOffset ? ` ${coordinate((position.yOffset * size) / 1000)} Ts ` : '';
        // Moved by its offset (a number n in the array moves the next glyph by -n thousandths), drawn, then to where
        // the layout puts the next glyph: its advance from the pen position, less the offset and the width drawn.
        out += ` ${coordinate(-position.xOffset)}${rise ? `] TJ${rise}[` : ' '}<${code}> ${coordinate(position.xOffset - kerning)}${rise ? '] TJ 0 Ts [' : ' '}`;
        continue;
      }
      out += open ? code : `<${code}`;
      open = true;
      if (kerning !== 0) {
        out += `> ${coordinate(-kerning)} `;
        open = false;
      }
    }
    if (open) out += '>';
    return out;
  }

  /** The glyph ids outside the shared subset, in the order of their ids in this document's subset. */
  extraGlyphIds(): number[] {
    return [...this.extra.keys()];
  }
}

/** `text` cut where pdfkit lays text out: after each space (each piece is one of the font's shaped words). */
export function layoutWords(text: string): string[] {
  const words: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === ' ' || text[i] === '\t') {
      words.push(text.slice(start, i + 1));
      start = i + 1;
    }
  }
  if (start < text.length) words.push(text.slice(start));
  return words;
}

// --- The objects every document shares -------------------------------------------------------------------------------

/** Object numbers of the shared block: each font's five objects, then the output intent and the page resources. */
const FONT_OBJECTS = { Body: 1, Bold: 6 } as const;
const ICC_PROFILE = 11;
const OUTPUT_INTENT = 12;
const RESOURCES = 13;
const FIRST_DOCUMENT_OBJECT = 14;
/** The ids pdfkit gave the fonts (F1, F2) and the subset tags it derived from them, kept as they were. */
const FONT_IDS = { Body: 'F1', Bold: 'F2' } as const;
const SUBSET_TAGS = { Body: 'BZZZZZ', Bold: 'CZZZZZ' } as const;

interface SharedBlock {
  /** `%PDF-1.7`, its binary comment and objects 1 to 13. */
  bytes: Buffer;
  /** Offsets of objects 1 to 13 (index 0 is object 1). */
  offsets: number[];
}

const BLOCKS_MAX = 16;
const blocks = new Map<string, SharedBlock>();

/** Serializes objects, keeping their offsets; the bytes are copied once, into one buffer, at the end. */
class ObjectWriter {
  /** Text (all of it ASCII or Latin-1: written as Latin-1) and binary parts, in order. */
  private readonly parts: Array<string | Uint8Array> = [];
  private length = 0;
  readonly offsets: number[] = [];

  constructor(private readonly first: number) {}

  get size(): number {
    return this.length;
  }

  raw(part: string | Uint8Array): void {
    this.parts.push(part);
    this.length += part.length;
  }

  object(id: number, body: string): void {
    this.offsets[id - this.first] = this.length;
    this.raw(`${id} 0 obj\n${body}\nendobj\n`);
  }

  /** A stream; `deflate` compresses it with Node's zlib (the PDF's FlateDecode), its raw length given as `/Length1` when asked. */
  stream(id: number, entries: string, data: Uint8Array, options: { deflate: boolean; length1?: boolean }): void {
    const stored = options.deflate ? deflateSync(data) : data;
    this.offsets[id - this.first] = this.length;
    const filter = options.deflate ? '\n/Filter /FlateDecode' : '';
    const length1 = options.length1 ? `\n/Length1 ${data.length}` : '';
    this.raw(`${id} 0 obj\n<<\n/Length ${stored.length}${length1}${entries ? `\n${entries}` : ''}${filter}\n>>\nstream\n`);
    this.raw(stored);
    this.raw('\nendstream\nendobj\n');
  }

  /** The bytes, after `prefix`. */
  bytes(prefix?: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe((prefix?.length ?? 0) + this.length);
    let at = 0;
    if (prefix) {
      out.set(prefix);
      at = prefix.length;
    }
    for (const part of this.parts) {
      if (typeof part === 'string') out.write(part, at, 'latin1');
      else out.set(part, at);
      at += part.length;
    }
    return out;
  }
}

/** The ToUnicode map of a subset, as pdfkit writes it (ranges of 256 codes, each code's UTF-16). */
function toUnicodeMap(codePoints: number[][]): string {
  const entries = codePoints.map((points) => {
    const units: string[] = [];
    for (const point of points) {
      if (point > 0xffff) {
        const value = point - 0x10000;
        units.push(hex4(((value >>> 10) & 0x3ff) | 0xd800), hex4(0xdc00 | (value & 0x3ff)));
      } else units.push(hex4(point));
    }
    return `<${units.join(' ')}>`;
  });
  const ranges: string[] = [];
  for (let start = 0; start < entries.length; start += 256) {
    const end = Math.min(start + 256, entries.length);
    ranges.push(`<${hex4(start)}> <${hex4(end - 1)}> [${entries.slice(start, end).join(' ')}]`);
  }
  return `/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CIDSystemInfo <<
  /Registry (Adobe)
  /Ordering (UCS)
  /Supplement 0
>> def
/CMapName /Adobe-Identity-UCS def
/CMapType 2 def
1 begincodespacerange
<0000><ffff>
endcodespacerange
${ranges.length} beginbfrange
${ranges.join('\n')}
endbfrange
endcmap
CMapName currentdict /CMap defineresource pop
end
end
`;
}

/** A font's five objects from `first`: Type0 font, CIDFontType2, descriptor, program, ToUnicode map. */
function writeFont(out: ObjectWriter, font: DocumentFont, first: number): void {
  const { shared } = font;
  const f = shared.font;
  const extra = [...font.extra.values()];
  const name = `${SUBSET_TAGS[font.name]}+${f.postscriptName.replaceAll(' ', '_')}`;
  const widths = [f.getGlyph(0).advanceWidth * shared.scale, ...shared.widths, ...extra.map((glyph) => glyph.width)];
  const codePoints = [[0], ...shared.codePoints, ...extra.map((glyph) => glyph.codePoints)];
  // The flags pdfkit computes (nonsymbolic, serif, fixed pitch, italic from the font's tables).
  const familyClass = (f['OS/2']?.sFamilyClass ?? 0) >> 8;
  const flags = (f.post.isFixedPitch ? 1 : 0) | (familyClass >= 1 && familyClass <= 7 ? 2 : 0) | 4 | (familyClass === 10 ? 8 : 0) | (f.head.macStyle.italic ? 64 : 0);
  const { bbox } = f;
  out.object(
    first,
    `<<\n/Type /Font\n/Subtype /Type0\n/BaseFont /${name}\n/Encoding /Identity-H\n/DescendantFonts [${first + 1} 0 R]\n/ToUnicode ${first + 4} 0 R\n>>`,
  );
  out.object(
    first + 1,
    `<<\n/Type /Font\n/Subtype /CIDFontType2\n/BaseFont /${name}\n/CIDSystemInfo <<\n/Registry (Adobe)\n/Ordering (Identity)\n/Supplement 0\n>>\n/FontDescriptor ${first + 2} 0 R\n/W [0 [${widths.map(pdfNumber).join(' ')}]]\n/CIDToGIDMap /Identity\n>>`,
  );
  const scaled = (n: number) => pdfNumber(n * shared.scale);
  out.object(
    first + 2,
    `<<\n/Type /FontDescriptor\n/FontName /${name}\n/Flags ${flags}\n/FontBBox [${[bbox.minX, bbox.minY, bbox.maxX, bbox.maxY].map(scaled).join(' ')}]\n/ItalicAngle ${pdfNumber(f.italicAngle)}\n/Ascent ${scaled(f.ascent)}\n/Descent ${scaled(f.descent)}\n/CapHeight ${scaled(f.capHeight || f.ascent)}\n/XHeight ${scaled(f.xHeight || 0)}\n/StemV 0\n/FontFile2 ${first + 3} 0 R\n>>`,
  );
  out.stream(first + 3, '', shared.program(font.extraGlyphIds()), { deflate: true, length1: true });
  out.stream(first + 4, '', Buffer.from(toUnicodeMap(codePoints), 'latin1'), { deflate: true });
}

/** The block every document with these fonts starts with, built once per process and list of extra glyphs. */
function sharedBlock(fonts: Record<FontName, DocumentFont>): SharedBlock {
  const key = `${fonts.Body.extraGlyphIds().join(',')}|${fonts.Bold.extraGlyphIds().join(',')}`;
  let block = blocks.get(key);
  if (!block) {
    const out = new ObjectWriter(1);
    // The binary comment tells transfer tools the file is binary (PDF/A asks for four bytes above 127).
    out.raw('%PDF-1.7\n%\xff\xff\xff\xff\n');
    writeFont(out, fonts.Body, FONT_OBJECTS.Body);
    writeFont(out, fonts.Bold, FONT_OBJECTS.Bold);
    out.stream(ICC_PROFILE, '/N 3', Buffer.from(SRGB_PROFILE_BASE64, 'base64'), { deflate: true });
    out.object(
      OUTPUT_INTENT,
      `<<\n/Type /OutputIntent\n/S /GTS_PDFA1\n/Info (sRGB IEC61966-2.1)\n/OutputConditionIdentifier (sRGB IEC61966-2.1)\n/DestOutputProfile ${ICC_PROFILE} 0 R\n>>`,
    );
    out.object(RESOURCES, `<<\n/ProcSet [/PDF /Text]\n/Font <<\n/${FONT_IDS.Body} ${FONT_OBJECTS.Body} 0 R\n/${FONT_IDS.Bold} ${FONT_OBJECTS.Bold} 0 R\n>>\n>>`);
    block = { bytes: out.bytes(), offsets: out.offsets };
    if (blocks.size >= BLOCKS_MAX) blocks.clear();
    blocks.set(key, block);
  }
  return block;
}

// --- Pages -----------------------------------------------------------------------------------------------------------

export type Align = 'left' | 'right';

/**
 * The pages of a document, written top-down as pdfkit's text API places things (`y` from the top of the page, a
 * text's `y` the top of its first line), in PDF's own coordinates (no flipped matrix).
 */
export class PdfPages {
  readonly fonts: Record<FontName, DocumentFont> = { Body: new DocumentFont('Body'), Bold: new DocumentFont('Bold') };
  readonly pages: string[][] = [[]];
  /** Where the next text goes, from the top of the page. */
  y: number;
  private font: DocumentFont = this.fonts.Body;
  private size = 10;
  private fill = '0 0 0';
  /** The current page's text state: inside BT, its font, size and fill colour as last set. */
  private inText = false;
  private pageFont: DocumentFont | null = null;
  private pageSize = 0;
  private pageFill = '0 0 0';

  constructor(
    /** The page margin: the first line's top on a new page, and the bottom past which text goes onto the next page. */
    private readonly margin: number,
  ) {
    this.y = margin;
  }

  private get content(): string[] {
    return this.pages[this.pages.length - 1];
  }

  setFont(name: FontName, size: number): this {
    this.font = this.fonts[name];
    this.size = size;
    return this;
  }

  setFill(hex: string): this {
    this.fill = rgb(hex);
    return this;
  }

  /** The height of a line in the current font and size, gap included (pdfkit's `currentLineHeight(true)`). */
  lineHeight(): number {
    const f = this.font.shared.font;
    return ((f.ascent + f.lineGap - f.descent) * this.font.shared.scale * this.size) / 1000;
  }

  /** `text`'s width in the current font and size, as pdfkit measures it (word by word). */
  widthOf(text: string): number {
    // Most often a single word (a token of `wrap`, a cell): no list of words to make.
    const space = text.indexOf(' ');
    if ((space < 0 || space === text.length - 1) && !text.includes('\t')) return (this.font.word(text).width * this.size) / 1000;
    let width = 0;
    for (const word of layoutWords(text)) width += this.font.word(word).width;
    return (width * this.size) / 1000;
  }

  /**
   * `text` broken into lines of at most `width`: at spaces (a line keeps its words' trailing spaces, as pdfkit's
   * did), after a hyphen between letters, and at a line feed; a word wider than the column is cut where it fills it.
   */
  wrap(text: string, width: number): string[] {
    const lines: string[] = [];
    // No line at all for no text, as pdfkit.
    if (text === '') return lines;
    for (const paragraph of text.split('\n')) {
      let line = '';
      let left = width;
      for (const token of breakable(paragraph)) {
        const w = this.widthOf(token);
        if (w <= left) {
          line += token;
          left -= w;
          continue;
        }
        if (line) lines.push(line);
        if (w <= width) {
          line = token;
          left = width - w;
          continue;
        }
        // Too wide for a line of its own: as many characters as fit, at least one, line after line.
        let rest = token;
        while (rest) {
          let cut = 1;
          while (cut < rest.length && this.widthOf(rest.slice(0, cut + 1)) <= width) cut++;
          if (cut === rest.length) break;
          lines.push(rest.slice(0, cut));
          rest = rest.slice(cut);
        }
        line = rest;
        left = width - this.widthOf(rest);
      }
      lines.push(line);
    }
    return lines;
  }

  /**
   * Writes `text` in a column of `width` from `x`, its first line's top at `y` (the current `y` when not given),
   * aligned left or right; then `y` is under its last line. A line that would pass the bottom margin goes onto a
   * new page.
   */
  text(text: string, x: number, y: number | undefined, width: number, align: Align = 'left'): this {
    return this.lines(this.wrap(text, width), x, y, width, align);
  }

  /** Writes lines already wrapped to `width` (`wrap`), as `text` does. */
  lines(lines: readonly string[], x: number, y: number | undefined, width: number, align: Align = 'left'): this {
    if (y !== undefined) this.y = y;
    const lineHeight = this.lineHeight();
    const ascent = (this.font.shared.font.ascent * this.font.shared.scale * this.size) / 1000;
    for (const line of lines) {
      if (this.y + lineHeight > PAGE_HEIGHT - this.margin) this.addPage();
      if (line.trim() !== '') {
        const left = align === 'right' ? x + width - this.widthOf(line.replace(/\s+$/, '')) : x;
        this.beginText();
        const content = this.content;
        if (this.pageFill !== this.fill) content.push(`${this.fill} rg`);
        if (this.pageFont !== this.font || this.pageSize !== this.size) content.push(`/${FONT_IDS[this.font.name]} ${pdfNumber(this.size)} Tf`);
        this.pageFill = this.fill;
        this.pageFont = this.font;
        this.pageSize = this.size;
        let pieces = '';
        for (const word of layoutWords(line)) pieces += this.font.piece(word, this.size);
        // Adjacent strings of the array joined into one ('><' is only ever between two strings).
        content.push(`1 0 0 1 ${coordinate(left)} ${coordinate(PAGE_HEIGHT - this.y - ascent)} Tm`, `[${pieces.replaceAll('><', '')}] TJ`);
      }
      this.y += lineHeight;
    }
    return this;
  }

  /** A horizontal rule from `x1` to `x2` at `y` (from the top), `width` thick, in `hex`. */
  rule(x1: number, x2: number, y: number, width: number, hex: string): this {
    this.endText();
    const yPdf = coordinate(PAGE_HEIGHT - y);
    this.content.push(`${rgb(hex)} RG ${pdfNumber(width)} w ${coordinate(x1)} ${yPdf} m ${coordinate(x2)} ${yPdf} l S`);
    return this;
  }

  /** A new page; `y` at its top margin, the fonts and colour as they were (set again on the page when text needs them). */
  addPage(): this {
    this.endText();
    this.pages.push([]);
    this.pageFont = null;
    this.pageFill = '0 0 0';
    this.y = this.margin;
    return this;
  }

  /** `y` down by `lines` lines of the current font and size (pdfkit's `moveDown`). */
  moveDown(lines = 1): this {
    this.y += this.lineHeight() * lines;
    return this;
  }

  private beginText(): void {
    if (this.inText) return;
    this.content.push('BT');
    this.inText = true;
    // A text object starts with no font: set again.
    this.pageFont = null;
  }

  private endText(): void {
    if (!this.inText) return;
    this.content.push('ET');
    this.inText = false;
  }

  /** The pages' content streams. */
  finish(): string[] {
    this.endText();
    return this.pages.map((lines) => lines.join('\n'));
  }
}

/** `text` cut where a line may break: after a run of spaces, and after a hyphen between two letters. */
function breakable(text: string): string[] {
  const tokens: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const next = text[i + 1];
    const endsSpaces = text[i] === ' ' && next !== ' ';
    const endsHyphen = text[i] === '-' && i > start && /\p{L}/u.test(text[i - 1]) && next !== undefined && /\p{L}/u.test(next);
    if (endsSpaces || endsHyphen) {
      tokens.push(text.slice(start, i + 1));
      start = i + 1;
    }
  }
  if (start < text.length) tokens.push(text.slice(start));
  return tokens;
}

// --- The file --------------------------------------------------------------------------------------------------------

export interface PdfAFile {
  /** The document's title (info dictionary and XMP `dc:title`), and the date it is dated (creation, attachment). */
  title: string;
  date: Date;
  /** The document's language (`/Lang`). */
  lang: string;
  pages: PdfPages;
  /**
   * The associated file (PDF/A-3), its MIME type, its relationship to the document, its description; none for a
   * statement (PDF/A-3 allows a file without any).
   */
  attachment?: { name: string; data: Buffer; mimeType: string; relationship: string; description: string };
  /** More `rdf:Description` elements for the XMP (the Factur-X extension schema and its properties), if any. */
  xmp?: string;
}

/** What the info dictionary and the XMP name as the producer and creator of the file. */
const PRODUCER = 'CoopConnexion Parcours';

/** The XMP packet: the PDF/A-3b identification, the info dictionary's entries again, and `extra`. */
function xmpPacket(file: PdfAFile): string {
  const created = `${file.date.toISOString().slice(0, 19)}Z`;
  return `<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
${file.xmp ? `${file.xmp.trim()}\n` : ''}<rdf:Description xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" rdf:about="">
<pdfaid:part>3</pdfaid:part>
<pdfaid:conformance>B</pdfaid:conformance>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
<xmp:CreateDate>${created}</xmp:CreateDate>
<xmp:CreatorTool>${PRODUCER}</xmp:CreatorTool>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">${escapeXml(file.title)}</rdf:li></rdf:Alt></dc:title>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
<pdf:Producer>${PRODUCER}</pdf:Producer>
</rdf:Description>
</rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>`;
}

/** The PDF/A-3b file of `file`'s pages and attachment, if any. */
export function writePdfA(file: PdfAFile): Buffer {
  const contents = file.pages.finish();
  const block = sharedBlock(file.pages.fonts);
  const out = new ObjectWriter(FIRST_DOCUMENT_OBJECT);
  const { attachment } = file;
  // The document's objects in order, numbered from FIRST_DOCUMENT_OBJECT: the attachment's three only when there is one.
  let next = FIRST_DOCUMENT_OBJECT;
  const catalog = next++;
  const pages = next++;
  const names = attachment ? next++ : 0;
  const info = next++;
  const metadata = next++;
  const filespec = attachment ? next++ : 0;
  const embedded = attachment ? next++ : 0;
  const pageIds = contents.map((_, i) => next + 2 * i);
  const date = pdfDate(file.date);

  const associated = attachment ? `\n/Names ${names} 0 R` : '';
  const af = attachment ? `\n/AF [${filespec} 0 R]` : '';
  out.object(catalog, `<<\n/Type /Catalog\n/Pages ${pages} 0 R${associated}\n/Lang ${pdfString(file.lang)}${af}\n/OutputIntents [${OUTPUT_INTENT} 0 R]\n/Metadata ${metadata} 0 R\n>>`);
  out.object(pages, `<<\n/Type /Pages\n/Count ${contents.length}\n/Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}]\n>>`);
  if (attachment) out.object(names, `<<\n/EmbeddedFiles <<\n/Names [${pdfString(attachment.name)} ${filespec} 0 R]\n>>\n>>`);
  out.object(info, `<<\n/Producer ${pdfString(PRODUCER)}\n/Creator ${pdfString(PRODUCER)}\n/CreationDate ${date}\n/Title ${pdfString(file.title)}\n>>`);
  // Not compressed: PDF/A readers and archives read the XMP without decoding the file.
  out.stream(metadata, '/Type /Metadata\n/Subtype /XML', Buffer.from(xmpPacket(file), 'utf8'), { deflate: false });
  if (attachment) {
    const md5 = createHash('md5').update(attachment.data).digest('hex');
    out.object(
      filespec,
      `<<\n/Type /Filespec\n/F ${pdfString(attachment.name)}\n/UF ${pdfString(attachment.name)}\n/AFRelationship /${attachment.relationship}\n/Desc ${pdfString(attachment.description)}\n/EF <<\n/F ${embedded} 0 R\n/UF ${embedded} 0 R\n>>\n>>`,
    );
    // The MIME type as a name: its slash written #2F.
    const subtype = attachment.mimeType.replaceAll('/', '#2F');
    out.stream(
      embedded,
      `/Type /EmbeddedFile\n/Subtype /${subtype}\n/Params <<\n/CreationDate ${date}\n/ModDate ${date}\n/CheckSum <${md5}>\n/Size ${attachment.data.length}\n>>`,
      attachment.data,
      { deflate: true },
    );
  }
  contents.forEach((content, i) => {
    const page = pageIds[i];
    out.object(page, `<<\n/Type /Page\n/Parent ${pages} 0 R\n/MediaBox [0 0 ${PAGE_WIDTH} ${PAGE_HEIGHT}]\n/Contents ${page + 1} 0 R\n/Resources ${RESOURCES} 0 R\n>>`);
    out.stream(page + 1, '', Buffer.from(content, 'latin1'), { deflate: true });
  });

  const count = FIRST_DOCUMENT_OBJECT + out.offsets.length;
  const start = block.bytes.length;
  const offsets = [...block.offsets, ...out.offsets.map((offset) => start + offset)];
  const xref = start + out.size;
  // The file identifier: the document's title and attached data (else its pages' content), so the same document gets
  // the same one and two members' statements of one activity and month (the same title) do not.
  const hash = createHash('md5').update(file.title);
  if (attachment) hash.update(attachment.data);
  else for (const content of contents) hash.update(content, 'latin1');
  const id = hash.digest('hex');
  out.raw(
    `xref\n0 ${count}\n0000000000 65535 f \n${offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('')}trailer\n<<\n/Size ${count}\n/Root ${catalog} 0 R\n/Info ${info} 0 R\n/ID [<${id}> <${id}>]\n>>\nstartxref\n${xref}\n%%EOF\n`,
  );
  return out.bytes(block.bytes);
}
