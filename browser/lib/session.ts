/** The session: the Cognito ID token in sessionStorage, from the authorization code flow with PKCE. */
import { byId, el } from './dom.js';

const TOKEN_KEY = 'coopconnexion.idToken';
const LOGIN_PREFIX = 'coopconnexion.login.';

/** GET /api/config (functions/pages/config.ts). */
interface PublicConfig {
  authBaseUrl: string;
  clientId: string;
  appBaseUrl: string;
}

export interface Claims {
  exp?: number;
  name?: string;
  email?: string;
  'cognito:groups'?: string[];
}

export interface Session {
  token: string;
  claims: Claims;
}

let configPromise: Promise<PublicConfig> | undefined;
function loadConfig(): Promise<PublicConfig> {
  configPromise ??= fetch('/api/config', { headers: { accept: 'application/json' } }).then((response) => {
    if (!response.ok) throw new Error(`config ${response.status}`);
    return response.json() as Promise<PublicConfig>;
  });
  return configPromise;
}

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(byteCount: number): string {
  return base64url(crypto.getRandomValues(new Uint8Array(byteCount)));
}

function decodeJwtPayload(token: string): Claims | null {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const binary = atob(part + '==='.slice((part.length + 3) % 4));
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)))) as Claims;
  } catch {
    return null;
  }
}

export function currentSession(): Session | null {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return null;
  const claims = decodeJwtPayload(token);
  // A token about to expire would fail on the next call: treat it as gone.
  if (!claims || typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now() + 30000) {
    sessionStorage.removeItem(TOKEN_KEY);
    return null;
  }
  return { token, claims };
}

export function forgetSession(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** Run just before the login redirect (a form keeps what was typed). */
const beforeLogin: Array<() => void> = [];
export function onBeforeLogin(hook: () => void): void {
  beforeLogin.push(hook);
}

/** Goes to the login page; never settles, as the page is being replaced: callers must not go on. */
export async function login(): Promise<never> {
  for (const hook of beforeLogin) hook();
  const config = await loadConfig();
  const verifier = randomString(48);
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  const state = randomString(24);
  sessionStorage.setItem(LOGIN_PREFIX + state, JSON.stringify({ verifier, returnTo: location.pathname + location.search }));
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: `${location.origin}/auth/callback`,
    scope: 'openid email profile',
    state,
    code_challenge: base64url(new Uint8Array(digest)),
    code_challenge_method: 'S256',
  });
  location.assign(`${config.authBaseUrl}/oauth2/authorize?${params.toString()}`);
  return new Promise<never>(() => {});
}

function safeReturnPath(path: unknown): string {
  return typeof path === 'string' && path.startsWith('/') && !path.startsWith('//') ? path : '/';
}

/** The callback page: exchanges the code for the tokens, then goes back where the login started. */
export async function handleCallback(): Promise<void> {
  const status = byId('callback-status');
  const fail = (message: string) => {
    status.replaceChildren(el('p', { class: 'message-error' }, message), el('p', {}, el('a', { href: '/' }, "Revenir à l'accueil")));
  };
  const params = new URLSearchParams(location.search);
  if (params.get('error')) {
    fail("La connexion a été refusée ou annulée. Vous pouvez réessayer depuis l'accueil.");
    return;
  }
  const code = params.get('code');
  const state = params.get('state');
  const saved = state ? sessionStorage.getItem(LOGIN_PREFIX + state) : null;
  if (!code || !saved) {
    fail('Cette demande de connexion a expiré ou a déjà été utilisée. Rouvrez la page souhaitée pour vous connecter de nouveau.');
    return;
  }
  sessionStorage.removeItem(LOGIN_PREFIX + state);
  const pending = JSON.parse(saved) as { verifier: string; returnTo: string };
  const config = await loadConfig();
  const response = await fetch(`${config.authBaseUrl}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: `${location.origin}/auth/callback`,
      client_id: config.clientId,
      code_verifier: pending.verifier,
    }),
  }).catch(() => null);
  const tokens = response?.ok ? ((await response.json().catch(() => null)) as { id_token?: unknown } | null) : null;
  if (!tokens || typeof tokens.id_token !== 'string') {
    fail("La connexion n'a pas abouti. Réessayez dans quelques instants.");
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, tokens.id_token);
  location.replace(safeReturnPath(pending.returnTo));
}

async function logout(event: Event): Promise<void> {
  event.preventDefault();
  sessionStorage.removeItem(TOKEN_KEY);
  const config = await loadConfig().catch(() => null);
  if (!config) {
    location.assign('/');
    return;
  }
  // Ends the Cognito session too, otherwise the next login would be silent.
  const params = new URLSearchParams({ client_id: config.clientId, logout_uri: `${location.origin}/` });
  location.assign(`${config.authBaseUrl}/logout?${params.toString()}`);
}

/** The account in the header, and the navigation links of the person's role. */
export function renderSession(claims: Claims): void {
  const groups = Array.isArray(claims['cognito:groups']) ? claims['cognito:groups'] : [];
  const role = groups.includes('staff') ? 'équipe CoopConnexion' : 'prescripteur';
  const name = claims.name || claims.email || 'utilisateur';
  byId('session-name').textContent = `Compte : ${name} (${role})`;
  byId('session-logout').addEventListener('click', (event) => void logout(event));
  byId('session').hidden = false;
  // Signed in, each person sees the links of their role (before, all of them: the home page tells who does what).
  const audience = groups.includes('staff') ? 'staff' : 'prescriber';
  for (const item of document.querySelectorAll<HTMLElement>('[data-audience]')) item.hidden = !(item.dataset.audience ?? '').split(' ').includes(audience);
}
