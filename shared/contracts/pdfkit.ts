import type PDFKitDocument from 'pdfkit';
// @ts-expect-error pdfkit's browser build ships no declarations: it is typed below with @types/pdfkit.
import browserBuild from '../../node_modules/pdfkit/js/pdfkit.browser.js';

/**
 * pdfkit's browser build, in Node as in the Lambda bundle. Its Node build loads the standard fonts' metrics at run
 * time through `createRequire` and the package's `#standard-fonts/*` imports, which a bundled function does not have
 * (the bundle holds no node_modules); the browser build holds the 14 standard fonts itself, compresses with fflate
 * and reads no file. Tests and functions thus render with the same code.
 */
export const PDFDocument: typeof PDFKitDocument = browserBuild;
