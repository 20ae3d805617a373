import { createHash } from 'node:crypto';
import { appJs } from './app-client.js';
import { appCss } from './app-css.js';

export interface Asset {
  body: string;
  contentType: string;
  /** Short content hash: the version in asset URLs and the ETag. */
  version: string;
}

function asset(body: string, contentType: string): Asset {
  return { body, contentType, version: createHash('sha256').update(body).digest('hex').slice(0, 16) };
}

/** The two static assets, by file name under /assets/. */
export const assets: Record<string, Asset> = {
  'app.js': asset(appJs, 'text/javascript; charset=utf-8'),
  'app.css': asset(appCss, 'text/css; charset=utf-8'),
};

/** Versioned URL: pages always load the assets of the same deployment, which can be cached for long. */
export function assetUrl(name: 'app.js' | 'app.css'): string {
  return `/assets/${name}?v=${assets[name].version}`;
}
