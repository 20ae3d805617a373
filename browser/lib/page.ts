/** What every page does first: the navigation, the session, the login when the page needs one; then its own part. */
import { byId, el } from './dom.js';
import { currentSession, login, renderSession } from './session.js';

function markCurrentNavigation(): void {
  for (const link of document.querySelectorAll('.nav-list a')) {
    if (link.getAttribute('href') === location.pathname) link.setAttribute('aria-current', 'page');
  }
}

/**
 * On a phone the header's links are one row that scrolls sideways (shared/pages/app-css.ts): the current page's link
 * is brought into the row's view, the row scrolled and not the page.
 */
function showCurrentNavigation(): void {
  const link = document.querySelector<HTMLElement>('.nav-list a[aria-current="page"]');
  const list = link?.closest<HTMLElement>('.nav-list');
  if (!link || !list || list.scrollWidth <= list.clientWidth || link.getClientRects().length === 0) return;
  const offset = link.getBoundingClientRect().left - list.getBoundingClientRect().left;
  list.scrollLeft += offset - (list.clientWidth - link.offsetWidth) / 2;
}

/**
 * Starts a page: its module (browser/pages/<page>.ts) calls this once with what the page does once the session is
 * known. A page whose shell says `data-auth="required"` goes to the login first when nobody is signed in.
 */
export function startPage(init?: () => void | Promise<void>, options: { session?: boolean } = {}): void {
  const run = async () => {
    markCurrentNavigation();
    // The login callback page is where a session begins: it shows none.
    if (options.session === false) return init?.();
    const session = currentSession();
    if (session) renderSession(session.claims);
    showCurrentNavigation();
    if (document.body.dataset.auth === 'required' && !session) return login();
    if (init) await init();
  };
  run().catch(() => {
    const notice = el('p', { class: 'panel panel-warning', role: 'alert' }, "Une erreur empêche l'affichage de cette page. Rechargez-la dans quelques instants.");
    byId('contenu').prepend(notice);
  });
}
