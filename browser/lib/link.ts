/**
 * Pages of people without an account (the young person, the guardian): the personal link arrives in the URL's
 * fragment, which no server or log ever sees. The page keeps it in sessionStorage (this tab only), removes it from
 * the address bar and the history, and sends it in the `x-parcours-link` header of each API call.
 */
import type { LinkAudience } from '../../shared/domain/personal-links.js';
import { isLinkToken } from '../../shared/domain/link-token.js';
import { NETWORK_MESSAGE, messageOf, readAnswer, type ApiResult } from './api.js';
import { el } from './dom.js';

const STORAGE_KEY: Record<LinkAudience, string> = { 'young-person': 'parcours.link.young-person', guardian: 'parcours.link.guardian' };

/** The link of this page: taken from the fragment when there is one (a new link replaces the kept one), else the kept one. */
export function takeLink(audience: LinkAudience): string | undefined {
  const fragment = location.hash.replace(/^#/, '');
  if (fragment) {
    if (isLinkToken(fragment)) sessionStorage.setItem(STORAGE_KEY[audience], fragment);
    // The token leaves the address bar and the history: a shared screenshot or a copied URL no longer carries it. The
    // query stays: a statement's link names the activity and month to open (/ma-facturation?activite=…&mois=…).
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(STORAGE_KEY[audience]) ?? undefined;
}

/** A refusal of the link itself: the page says why and offers a new link instead of its content. */
export const isLinkRefusal = (result: { status: number }) => result.status === 401 || result.status === 403 || result.status === 410;

/** Calls the API with the personal link; no login page, a refusal comes back as a result. */
export async function linkApi<T>(token: string, path: string, options: { method?: string; json?: unknown; headers?: Record<string, string> } = {}): Promise<ApiResult<T>> {
  const headers: Record<string, string> = { accept: 'application/json', 'x-parcours-link': token, ...options.headers };
  let body: string | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  return readAnswer<T>(await fetch(path, { method: options.method ?? 'GET', headers, body }));
}

const MISSING_LINK = 'Pour ouvrir cette page, utilisez le lien personnel reçu par e-mail ou par SMS.';

/** The panel shown in place of the page when the link is missing, expired, revoked or not for this page. */
export function linkRefusedPanel(message: string | undefined): HTMLElement {
  return el(
    'section',
    { class: 'panel panel-warning', role: 'alert', id: 'lien-refuse', 'aria-labelledby': 'lien-refuse-titre' },
    el('h2', { id: 'lien-refuse-titre' }, 'Ce lien ne permet pas d’ouvrir la page'),
    el('p', {}, message ?? MISSING_LINK),
    el('p', {}, el('a', { class: 'button', href: '/nouveau-lien' }, 'Recevoir un nouveau lien')),
  );
}

/** Shows why a load failed in `region`: the link refusal with its way out, or the API's French message. */
export function showLoadFailure(region: HTMLElement, result: ApiResult<unknown> | undefined): void {
  region.setAttribute('aria-busy', 'false');
  if (!result) region.replaceChildren(el('p', { class: 'message-error', role: 'alert' }, NETWORK_MESSAGE));
  else if (isLinkRefusal(result)) region.replaceChildren(linkRefusedPanel(messageOf(result, MISSING_LINK)));
  else region.replaceChildren(el('p', { class: 'message-error', role: 'alert' }, messageOf(result, "Le chargement n'a pas abouti. Réessayez dans quelques instants.")));
}

/** Loads one answer into a page's region with the link; on failure the region says why (and offers a new link). */
export async function loadWithLink<T>(region: HTMLElement, token: string | undefined, path: string): Promise<T | null> {
  if (!token) {
    region.setAttribute('aria-busy', 'false');
    region.replaceChildren(linkRefusedPanel(undefined));
    return null;
  }
  let result: ApiResult<T> | undefined;
  try {
    result = await linkApi<T>(token, path);
  } catch {
    result = undefined;
  }
  if (result?.ok) {
    region.setAttribute('aria-busy', 'false');
    region.removeAttribute('aria-live');
    return result.data;
  }
  showLoadFailure(region, result);
  return null;
}
