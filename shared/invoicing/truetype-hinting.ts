/**
 * Removes the hinting of a TrueType font program (fontkit's subset of DejaVu Sans, as embedded in the cooperative's
 * PDFs): the instructions of each glyph, and the `fpgm`, `prep` and `cvt ` tables they use. Hinting adjusts outlines
 * to a screen's pixel grid at small sizes; PDF viewers and printers draw the outlines without it (or with their own
 * auto-hinter), and the outlines, metrics and glyph ids stay exactly as they were. It is about half of DejaVu's glyph
 * data: the shared subsets (document-fonts.ts) go from about 24 to 12 KiB each once compressed, and every invoice PDF
 * is that much smaller wherever it goes (S3, the e-mail's base64, hashes). The result is a valid TrueType program
 * (table directory sorted, tables 4-byte aligned, checksums and `head.checkSumAdjustment` recomputed).
 */

/** Tables that hold only hinting programs and data: dropped. */
const HINTING_TABLES = new Set(['fpgm', 'prep', 'cvt ']);

/** Composite glyph component flags (OpenType `glyf`). */
const ARG_1_AND_2_ARE_WORDS = 0x0001;
const WE_HAVE_A_SCALE = 0x0008;
const MORE_COMPONENTS = 0x0020;
const WE_HAVE_AN_X_AND_Y_SCALE = 0x0040;
const WE_HAVE_A_TWO_BY_TWO = 0x0080;
const WE_HAVE_INSTRUCTIONS = 0x0100;

interface Table {
  tag: string;
  data: Uint8Array;
}

const align4 = (n: number) => (n + 3) & ~3;

/** The glyph's bytes without its instructions (an empty glyph stays empty). */
function glyphWithoutInstructions(glyph: Uint8Array): Uint8Array {
  if (glyph.length === 0) return glyph;
  const view = new DataView(glyph.buffer, glyph.byteOffset, glyph.byteLength);
  const contours = view.getInt16(0);
  if (contours >= 0) {
    // Header (10 bytes), end points of the contours, then the instructions' length and the instructions.
    const lengthAt = 10 + 2 * contours;
    const instructions = view.getUint16(lengthAt);
    const out = new Uint8Array(glyph.length - instructions);
    out.set(glyph.subarray(0, lengthAt));
    // instructionLength 0, then the flags and coordinates as they were.
    out.set(glyph.subarray(lengthAt + 2 + instructions), lengthAt + 2);
    return out;
  }
  // A composite: its components, then its instructions when a component's flags say so.
  const out = glyph.slice();
  const outView = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let at = 10;
  let flags: number;
  let instructed = false;
  do {
    flags = view.getUint16(at);
    if (flags & WE_HAVE_INSTRUCTIONS) {
      instructed = true;
      outView.setUint16(at, flags & ~WE_HAVE_INSTRUCTIONS);
    }
    at += 4 + (flags & ARG_1_AND_2_ARE_WORDS ? 4 : 2);
    if (flags & WE_HAVE_A_SCALE) at += 2;
    else if (flags & WE_HAVE_AN_X_AND_Y_SCALE) at += 4;
    else if (flags & WE_HAVE_A_TWO_BY_TWO) at += 8;
  } while (flags & MORE_COMPONENTS);
  return instructed ? out.subarray(0, at) : out;
}

/** The checksum of a table (big-endian 32-bit words, the last one padded with zeros). */
function checksum(data: Uint8Array): number {
  let sum = 0;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const whole = data.length & ~3;
  for (let i = 0; i < whole; i += 4) sum = (sum + view.getUint32(i)) >>> 0;
  if (whole < data.length) {
    let last = 0;
    for (let i = whole; i < whole + 4; i++) last = (last << 8) | (i < data.length ? data[i]! : 0);
    sum = (sum + (last >>> 0)) >>> 0;
  }
  return sum;
}

/** The program without hinting (see above). A program that is not TrueType outlines (no `glyf`) is returned as is. */
export function withoutHinting(program: Uint8Array): Uint8Array {
  const view = new DataView(program.buffer, program.byteOffset, program.byteLength);
  const tables: Table[] = [];
  for (let i = 0; i < view.getUint16(4); i++) {
    const record = 12 + 16 * i;
    const tag = String.fromCharCode(...program.subarray(record, record + 4));
    const offset = view.getUint32(record + 8);
    tables.push({ tag, data: program.subarray(offset, offset + view.getUint32(record + 12)) });
  }
  const find = (tag: string) => tables.find((table) => table.tag === tag);
  const head = find('head');
  const maxp = find('maxp');
  const loca = find('loca');
  const glyf = find('glyf');
  if (!head || !maxp || !loca || !glyf) return program;

  const headData = head.data.slice();
  const headView = new DataView(headData.buffer);
  const longOffsets = headView.getInt16(50) === 1;
  const glyphs = new DataView(maxp.data.buffer, maxp.data.byteOffset, maxp.data.byteLength).getUint16(4);
  const locaIn = new DataView(loca.data.buffer, loca.data.byteOffset, loca.data.byteLength);
  const offsetIn = (glyphId: number) => (longOffsets ? locaIn.getUint32(4 * glyphId) : 2 * locaIn.getUint16(2 * glyphId));

  // Each glyph without its instructions, 4-byte aligned (the short `loca` format needs even offsets).
  const stripped = Array.from({ length: glyphs }, (_, glyphId) => glyphWithoutInstructions(glyf.data.subarray(offsetIn(glyphId), offsetIn(glyphId + 1))));
  const glyfData = new Uint8Array(stripped.reduce((sum, glyph) => sum + align4(glyph.length), 0));
  const locaData = new Uint8Array((glyphs + 1) * (longOffsets ? 4 : 2));
  const locaOut = new DataView(locaData.buffer);
  let at = 0;
  stripped.forEach((glyph, glyphId) => {
    if (longOffsets) locaOut.setUint32(4 * glyphId, at);
    else locaOut.setUint16(2 * glyphId, at / 2);
    glyfData.set(glyph, at);
    at += align4(glyph.length);
  });
  if (longOffsets) locaOut.setUint32(4 * glyphs, at);
  else locaOut.setUint16(2 * glyphs, at / 2);

  // maxp 1.0: no glyph has instructions any more.
  const maxpData = maxp.data.slice();
  if (maxpData.length >= 28) new DataView(maxpData.buffer).setUint16(26, 0);
  headView.setUint32(8, 0); // checkSumAdjustment, set once the whole program is known

  const replaced = new Map<string, Uint8Array>([
    ['head', headData],
    ['maxp', maxpData],
    ['loca', locaData],
    ['glyf', glyfData],
  ]);
  const kept = tables
    .filter((table) => !HINTING_TABLES.has(table.tag))
    .map((table) => ({ tag: table.tag, data: replaced.get(table.tag) ?? table.data }))
    .sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));

  // The offset table and the table directory, then the tables in the directory's order.
  const directory = 12 + 16 * kept.length;
  const out = new Uint8Array(directory + kept.reduce((sum, table) => sum + align4(table.data.length), 0));
  const outView = new DataView(out.buffer);
  const power = 2 ** Math.floor(Math.log2(kept.length));
  outView.setUint32(0, view.getUint32(0));
  outView.setUint16(4, kept.length);
  outView.setUint16(6, power * 16);
  outView.setUint16(8, Math.log2(power));
  outView.setUint16(10, kept.length * 16 - power * 16);
  let offset = directory;
  let headOffset = 0;
  kept.forEach((table, i) => {
    const record = 12 + 16 * i;
    for (let c = 0; c < 4; c++) out[record + c] = table.tag.charCodeAt(c);
    outView.setUint32(record + 4, checksum(table.data));
    outView.setUint32(record + 8, offset);
    outView.setUint32(record + 12, table.data.length);
    out.set(table.data, offset);
    if (table.tag === 'head') headOffset = offset;
    offset += align4(table.data.length);
  });
  outView.setUint32(headOffset + 8, (0xb1b0afba - checksum(out)) >>> 0);
  return out;
}
