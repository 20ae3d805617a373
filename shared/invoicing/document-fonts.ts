import { fontkit } from '../contracts/pdfkit.js';
import { DEJAVU_SANS_BOLD_BASE64 } from './fonts/dejavu-sans-bold.js';
import { DEJAVU_SANS_REGULAR_BASE64 } from './fonts/dejavu-sans-regular.js';
import { withoutHinting } from './truetype-hinting.js';

/**
 * The embedded fonts of the cooperative's documents (invoices, statements): DejaVu Sans, 'Body' and 'Bold'. PDF/A
 * forbids fonts that are not embedded, and pdfkit's way costs most of a document's rendering: it parses the font,
 * shapes each word with its OpenType tables, and writes a subset of the glyphs the document used (fontkit decodes and
 * re-encodes each glyph), which it compresses. Here, per process (decision 31):
 * - each font is parsed once (from the base64 module the Lambda bundle holds);
 * - a word is shaped once, its glyphs and scaled positions kept for every later document (pdfkit keeps them per
 *   document only, and never changes them);
 * - every document embeds the same subset: the glyphs of the characters French documents use (`SHARED_CHARACTERS`),
 *   always in the same order, so that its font program is encoded once (and written once: pdf-writer.ts).
 *   A document that needs another glyph (a Polish or Vietnamese name) gets those glyphs after the shared ones, in a
 *   program of its own (kept too, by its list of glyphs, for the next document with the same ones).
 * The subset is larger than a document's own would be (all of Latin-1 in both fonts), and its widths and ToUnicode map
 * list every shared glyph. Its programs carry no hinting (truetype-hinting.ts, decision 38): half of DejaVu's glyph
 * data, which no PDF viewer needs; an invoice is about 40 KiB instead of 65. The bytes depend only on the document:
 * never on what the process rendered before.
 */

export type FontName = 'Body' | 'Bold';

const SOURCES: Record<FontName, string> = { Body: DEJAVU_SANS_REGULAR_BASE64, Bold: DEJAVU_SANS_BOLD_BASE64 };

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => String.fromCodePoint(from + i)).join('');

/**
 * The characters every subset holds, in this order: ASCII and Latin-1 (the French letters, other Western European
 * names, the no-break space of amounts, «», °), then Œ œ Ÿ, €, quotes and apostrophes, dashes, the narrow no-break
 * and thin spaces, the ellipsis and the bullet. The ligatures the fonts' layout makes of ff, fi, fl, ffi and ffl
 * follow.
 */
export const SHARED_CHARACTERS = `${range(0x20, 0x7e)}${range(0xa0, 0xff)}ŒœŸ€‘’‚“”„‹›‐‑–—\u202f\u2009…•`;
const LIGATURES = ['ff', 'fi', 'fl', 'ffi', 'ffl'];

/** The parts of fontkit's objects used here. */
export interface Glyph {
  id: number;
  advanceWidth: number;
  codePoints: number[];
}
/** A glyph's placement, in thousandths of the em once scaled (`advanceWidth` added, as pdfkit's `layoutRun` does). */
export interface GlyphPosition {
  xAdvance: number;
  yAdvance: number;
  xOffset: number;
  yOffset: number;
  advanceWidth: number;
}
export interface Run {
  glyphs: Glyph[];
  positions: GlyphPosition[];
  /** In thousandths of the em. */
  advanceWidth: number;
}
interface FontkitFont {
  postscriptName: string;
  unitsPerEm: number;
  ascent: number;
  descent: number;
  lineGap: number;
  capHeight: number;
  xHeight: number;
  italicAngle: number;
  bbox: { minX: number; minY: number; maxX: number; maxY: number };
  post: { isFixedPitch: number | boolean };
  head: { macStyle: { italic: boolean } };
  'OS/2'?: { sFamilyClass: number };
  layout(text: string): { glyphs: Glyph[]; positions: Array<Record<keyof GlyphPosition, number>> };
  glyphForCodePoint(codePoint: number): Glyph;
  getGlyph(glyphId: number): Glyph;
  createSubset(): { includeGlyph(glyphId: number): number; encode(): Uint8Array };
}

/** Words laid out per font, kept across documents (bounded: cleared when full). */
const RUNS_MAX = 20_000;
/** Font programs per font: the shared one and those with a few more glyphs (bounded: cleared when full). */
const PROGRAMS_MAX = 32;

/** One font, for the process: parsed, its shared glyphs, its words laid out, its font programs. */
export class SharedFont {
  /** fontkit's units to thousandths of the em, as pdfkit scales them. */
  readonly scale: number;
  /** Glyph ids of the shared subset, in order; their id in the subset is their index + 1 (0 is .notdef). */
  readonly glyphIds: number[];
  readonly subsetIdOf = new Map<number, number>();
  /** Advance widths (thousandths of the em) and code points of the shared glyphs, in subset order. */
  readonly widths: number[];
  readonly codePoints: number[][];
  private readonly runs = new Map<string, Run>();
  /** The shared characters a word can be laid out from without fontkit's shaping (`plainRun`), and their glyphs. */
  readonly plainGlyphs = new Map<string, Glyph>();
  /** Kerning of pairs of shared characters: at most the square of their count. */
  private readonly kerning = new Map<string, number>();
  private readonly programs = new Map<string, Uint8Array>();

  constructor(
    readonly name: FontName,
    readonly font: FontkitFont,
  ) {
    this.scale = 1000 / font.unitsPerEm;
    const glyphs: Glyph[] = [];
    const add = (glyph: Glyph) => {
      if (glyph.id === 0 || this.subsetIdOf.has(glyph.id)) return;
      glyphs.push(glyph);
      this.subsetIdOf.set(glyph.id, glyphs.length);
    };
    for (const character of SHARED_CHARACTERS) {
      const glyph = this.font.glyphForCodePoint(character.codePointAt(0)!);
      add(glyph);
      if (character !== '\u00ad' && glyph.id !== 0) this.plainGlyphs.set(character, glyph);
    }
    for (const ligature of LIGATURES) this.font.layout(ligature).glyphs.forEach(add);
    this.glyphIds = glyphs.map((glyph) => glyph.id);
    // As pdfkit's `encode` fills them for a glyph it meets.
    this.widths = glyphs.map((glyph) => glyph.advanceWidth * this.scale);
    this.codePoints = glyphs.map((glyph) => glyph.codePoints);
  }

  /**
   * `text` laid out (a word, with its trailing space: pdfkit lays text out word by word, and so does the invoice
   * writer), kept for every later document; positions scaled as pdfkit's `layoutRun` scales them.
   */
  run(text: string): Run {
    let run = this.runs.get(text);
    if (!run) {
      run = this.plainRun(text) ?? this.shapedRun(text);
      if (this.runs.size >= RUNS_MAX) this.runs.clear();
      this.runs.set(text, run);
    }
    return run;
  }

  /** `text` shaped by fontkit (its OpenType substitutions and positioning): about 30 µs a word. */
  shapedRun(text: string): Run {
    const laidOut = this.font.layout(text);
    let advanceWidth = 0;
    const positions = laidOut.positions.map((position, i) => {
      const scaled: GlyphPosition = {
        xAdvance: position.xAdvance * this.scale,
        yAdvance: position.yAdvance * this.scale,
        xOffset: position.xOffset * this.scale,
        yOffset: position.yOffset * this.scale,
        advanceWidth: laidOut.glyphs[i].advanceWidth * this.scale,
      };
      advanceWidth += scaled.xAdvance;
      return scaled;
    });
    // fontkit's run sums its positions each time it is asked its width: summed once here.
    return { glyphs: laidOut.glyphs, positions, advanceWidth };
  }

  /**
   * `text` laid out without fontkit's shaping when it can be: every character one of the shared ones but the soft
   * hyphen (which the layout makes invisible), and no ff, fi or fl (the only ligatures the fonts make of them). Then
   * fontkit's result is each character's glyph, advanced by its width and the kerning of the pair it starts (DejaVu
   * kerns pairs only, on their first glyph: test/invoicing/document-fonts.test.ts compares the two on many words). Most
   * words of a run are seen once (amounts, numbers, names, e-mail addresses): shaping each cost a fifth of an invoice.
   */
  private plainRun(text: string): Run | undefined {
    if (text.includes('ff') || text.includes('fi') || text.includes('fl')) return undefined;
    const characters = [...text];
    const glyphs: Glyph[] = [];
    for (const character of characters) {
      const glyph = this.plainGlyphs.get(character);
      if (!glyph) return undefined;
      glyphs.push(glyph);
    }
    let advanceWidth = 0;
    const positions: GlyphPosition[] = [];
    for (let i = 0; i < glyphs.length; i++) {
      const kerning = i + 1 < glyphs.length ? this.pairKerning(characters[i], characters[i + 1]) : 0;
      // A pair that the layout changes otherwise (none known): the whole word is shaped.
      if (Number.isNaN(kerning)) return undefined;
      // In the font's units, then scaled: the very numbers fontkit's layout and `shapedRun` give.
      const xAdvance = (glyphs[i].advanceWidth + kerning) * this.scale;
      advanceWidth += xAdvance;
      positions.push({ xAdvance, yAdvance: 0, xOffset: 0, yOffset: 0, advanceWidth: glyphs[i].advanceWidth * this.scale });
    }
    return { glyphs, positions, advanceWidth };
  }

  /**
   * The kerning of a pair of shared characters (in the font's units), from fontkit's layout of the pair, kept; NaN
   * when the layout does more to the pair than kern its first glyph.
   */
  pairKerning(first: string, second: string): number {
    const key = first + second;
    let kerning = this.kerning.get(key);
    if (kerning === undefined) {
      const pair = this.font.layout(key);
      const [a, b] = pair.positions;
      const kernedOnly = pair.glyphs.length === 2 && !a.xOffset && !a.yOffset && !a.yAdvance && !b.xOffset && !b.yOffset && !b.yAdvance && b.xAdvance === pair.glyphs[1].advanceWidth;
      kerning = kernedOnly ? a.xAdvance - pair.glyphs[0].advanceWidth : NaN;
      this.kerning.set(key, kerning);
    }
    return kerning;
  }

  /** The font program of the shared glyphs followed by `extra` (glyph ids), encoded by fontkit once per list, without hinting. */
  program(extra: number[]): Uint8Array {
    const key = extra.join(',');
    let program = this.programs.get(key);
    if (!program) {
      const subset = this.font.createSubset();
      [...this.glyphIds, ...extra].forEach((glyphId, index) => {
        // fontkit numbers the glyphs in the order they are included, after .notdef: the ids the document's text uses.
        if (subset.includeGlyph(glyphId) !== index + 1) throw new Error(`font subset: glyph ${glyphId} would not be at ${index + 1}`);
      });
      program = withoutHinting(subset.encode());
      if (this.programs.size >= PROGRAMS_MAX) this.programs.clear();
      this.programs.set(key, program);
    }
    return program;
  }
}

const shared: Partial<Record<FontName, SharedFont>> = {};

/** The process's font, parsed by the first document that uses it (with pdfkit's own fontkit: contracts/pdfkit.ts). */
export function sharedFont(name: FontName): SharedFont {
  return (shared[name] ??= new SharedFont(name, fontkit.create(Buffer.from(SOURCES[name], 'base64')) as FontkitFont));
}
