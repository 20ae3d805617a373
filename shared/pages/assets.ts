import { createHash } from 'node:crypto';
import type { BrowserBundles } from '../../infra/bundles.js';
import { appCss } from './app-css.js';

export interface Asset {
  body: string;
  contentType: string;
  /** Short content hash: the ETag, and the version in the URL of an asset whose name has none. */
  version: string;
  /** The file name holds its content hash (the browser modules): its URL never changes content. */
  hashedName: boolean;
}

/**
 * The browser modules (browser/, built by infra/bundles.ts): esbuild defines this global in the bundled pages
 * function. Run from source (tsx, vitest), the pages function has none: tests load the bundle, as Lambda does.
 */
declare const PARCOURS_BROWSER_BUNDLES: BrowserBundles | undefined;

function browserBundles(): BrowserBundles {
  if (typeof PARCOURS_BROWSER_BUNDLES === 'undefined') {
    throw new Error('The browser modules are built into the bundled pages function (infra/bundles.ts): load its bundle, not its source');
  }
  return PARCOURS_BROWSER_BUNDLES;
}

const JS = 'text/javascript; charset=utf-8';

/** The tab's icon: a "C" on the header's green (a browser asks for /favicon.ico, a 404, when a page names none). */
const FAVICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#123d2f"/><text x="16" y="23" font-family="Arial, sans-serif" font-size="20" font-weight="700" text-anchor="middle" fill="#fff">C</text></svg>';

function asset(body: string, contentType: string, hashedName: boolean): Asset {
  return { body, contentType, version: createHash('sha256').update(body).digest('hex').slice(0, 16), hashedName };
}

let loaded: Record<string, Asset> | undefined;

/** The static assets, by file name under /assets/: the style sheet and every browser module. */
export function assets(): Record<string, Asset> {
  if (!loaded) {
    loaded = { 'app.css': asset(appCss, 'text/css; charset=utf-8', false), 'favicon.svg': asset(FAVICON, 'image/svg+xml', false) };
    for (const [name, body] of Object.entries(browserBundles().files)) loaded[name] = asset(body, JS, true);
  }
  return loaded;
}

/** Versioned URL: pages always load the assets of the same deployment, which can be cached for long. */
export function assetUrl(name: string): string {
  const found = assets()[name];
  if (!found) throw new Error(`No asset ${name}`);
  return found.hashedName ? `/assets/${name}` : `/assets/${name}?v=${found.version}`;
}

/** The URLs of a page's browser module (browser/pages/<page>.ts) and of the chunks it imports; throws for a page without one. */
export function pageScript(page: string): { src: string; preload: string[] } {
  const { pages } = browserBundles();
  const found = Object.hasOwn(pages, page) ? pages[page] : undefined;
  if (!found) throw new Error(`No browser module for the page ${page}: add browser/pages/${page}.ts`);
  return { src: assetUrl(found.file), preload: found.imports.map(assetUrl) };
}
