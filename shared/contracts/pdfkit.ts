import { deflateSync } from 'node:zlib';
import type PDFKitDocument from 'pdfkit';
import fflate from '../../node_modules/fflate/lib/node.cjs';
// @ts-expect-error fontkit ships no declarations: document-fonts.ts types the parts it uses.
import fontkitBuild from '../../node_modules/fontkit/dist/main.cjs';
// @ts-expect-error pdfkit's browser build ships no declarations: it is typed below with @types/pdfkit.
import browserBuild from '../../node_modules/pdfkit/js/pdfkit.browser.js';

/**
 * pdfkit's browser build, in Node as in the Lambda bundle. Its Node build loads the standard fonts' metrics at run
 * time through `createRequire` and the package's `#standard-fonts/*` imports, which a bundled function does not have
 * (the bundle holds no node_modules); the browser build holds the 14 standard fonts itself and reads no file. Tests
 * and functions thus render with the same code.
 */
export const PDFDocument: typeof PDFKitDocument = browserBuild;

/**
 * The fontkit pdfkit's build uses (`require('fontkit')` resolves to this file in Node as in esbuild's bundle: one
 * module), for the fonts parsed without a pdfkit document (document-fonts.ts): a font parsed once serves both.
 */
export const fontkit = fontkitBuild as { create(data: Uint8Array): unknown };

/**
 * The last streams compressed, by length (one per length, the most recently used last): the streams that repeat from
 * one document to the next (the embedded fonts' programs and ToUnicode maps, the PDF/A colour profile) are then
 * compressed once per process. The same bytes give the same output either way. Larger streams (an image) are not kept.
 */
const recent = new Map<number, { raw: Uint8Array; deflated: Uint8Array }>();
const RECENT_MAX = 32;
const RECENT_MAX_BYTES = 256 * 1024;

/**
 * The browser build compresses every stream with `fflate.zlibSync`, pure JavaScript: a fifth of an invoice's CPU.
 * Node's zlib writes the same format (RFC 1950, the PDF's FlateDecode) natively, several times faster. pdfkit reads
 * `fflate.zlibSync` when it compresses, from the CommonJS exports of fflate's Node build; this module imports that
 * very file (the path `require('fflate')` resolves to, in Node as in esbuild's bundle, where both are one module) and
 * replaces the function there. The other fflate functions stay as they are; options other than the level (fflate's
 * memory level, a preset dictionary: pdfkit passes none) keep fflate's own code.
 */
function nativeZlibSync(data: Uint8Array, options?: Parameters<typeof fflate.zlibSync>[1]): Uint8Array {
  if (options?.dictionary || options?.mem !== undefined) return fflateZlibSync(data, options);
  const level = options?.level ?? 6;
  if (level !== 6 || data.length > RECENT_MAX_BYTES) return asUint8Array(deflateSync(data, { level }));
  let entry = recent.get(data.length);
  if (entry) recent.delete(data.length);
  if (!entry || !Buffer.from(entry.raw.buffer, entry.raw.byteOffset, entry.raw.length).equals(data)) {
    entry = { raw: data.slice(), deflated: asUint8Array(deflateSync(data)) };
  }
  if (recent.size >= RECENT_MAX) recent.delete(recent.keys().next().value!);
  recent.set(data.length, entry);
  // Copies in and out: the caller owns what it gave and what it gets.
  return entry.deflated.slice();
}

const asUint8Array = (buffer: Buffer) => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);

const fflateZlibSync = fflate.zlibSync;
(fflate as { zlibSync: typeof nativeZlibSync }).zlibSync = nativeZlibSync;
