import { layout } from './layout.js';

/** Target of the Cognito redirect; the client module exchanges the code for the tokens. */
export function authCallbackPage(): string {
  const body = `<h1>Connexion</h1>
<div id="callback-status" aria-live="polite"><p class="loading">Connexion en cours…</p></div>`;
  return layout({ title: 'Connexion', page: 'auth-callback', auth: 'optional', body });
}
