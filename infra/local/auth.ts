import { createHash, createPrivateKey, createPublicKey, createSign, generateKeyPair, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BodyTooLargeError, readRequestBody } from './aws-endpoint.js';
import { escapeHtml } from './console/html.js';

/**
 * A user of the local issuer: the login page lists them, and their ID token carries the Cognito claims
 * (`cognito:groups`) plus the app's own `claims` (custom attributes such as `custom:organisation`).
 * Fixed ids, like Cognito `sub`s, keep data made with them valid across restarts.
 */
export interface DemoUser {
  id: string;
  username: string;
  name: string;
  email: string;
  groups: string[];
  /** Extra ID-token claims, e.g. `{ 'custom:organisation': 'ml-lens' }`. */
  claims?: Record<string, string>;
  /** What the login page shows under the name (a role, an organisation). */
  description?: string;
}

/** An RS256 public key as published in the JWKS (a type alias, so it is also a plain JSON object). */
export type PublicJwk = { kty: 'RSA'; n: string; e: string; kid: string; alg: 'RS256'; use: 'sig' };

export interface MintOptions {
  ttlSeconds?: number;
  audience?: string;
  issuer?: string;
  /** Makes a token whose `exp` is already past, for tests of the authorizer. */
  expired?: boolean;
}

interface PendingCode {
  userId: string;
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  expiresAt: number;
}

const DEFAULT_TTL_SECONDS = 3600;
const CODE_TTL_MS = 5 * 60 * 1000;
const MAX_FORM_BYTES = 16 * 1024;
const KEYS_FILE = 'auth-keys.json';
/** RFC 7636: verifier of 43 to 128 unreserved characters; challenge = base64url(SHA-256(verifier)), 43 characters. */
const PKCE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
const PKCE_CHALLENGE = /^[A-Za-z0-9\-_]{43}$/;

/**
 * A local OAuth2/OIDC issuer whose ID tokens have the shape of a Cognito user pool's, signed RS256.
 * Serves discovery, JWKS, the authorization code flow with PKCE (S256) and logout under the issuer's path.
 * @example const issuer = await LocalIssuer.create({ issuerUrl: 'http://127.0.0.1:3000/local-auth', clientId: 'local-pages', dataDir: '.local/data' });
 */
export class LocalIssuer {
  readonly issuerUrl: string;
  readonly clientId: string;
  private readonly origin: string;
  private readonly basePath: string;
  private readonly users: DemoUser[];
  private readonly privateKey: KeyObject;
  private readonly publicJwk: PublicJwk;
  private readonly codes = new Map<string, PendingCode>();

  private constructor(issuerUrl: string, clientId: string, privateKey: KeyObject, users: DemoUser[]) {
    const url = new URL(issuerUrl);
    this.issuerUrl = issuerUrl.replace(/\/+$/, '');
    this.clientId = clientId;
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.users = users;
    this.privateKey = privateKey;
    const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
    const n = String(jwk.n);
    const e = String(jwk.e);
    this.publicJwk = { kty: 'RSA', n, e, kid: thumbprint(n, e), alg: 'RS256', use: 'sig' };
  }

  static async create(options: { issuerUrl: string; clientId: string; dataDir?: string; users?: DemoUser[] }): Promise<LocalIssuer> {
    const privateKey = options.dataDir ? await loadOrCreateKey(options.dataDir) : await newKey();
    return new LocalIssuer(options.issuerUrl, options.clientId, privateKey, options.users ?? []);
  }

  jwks(): { keys: PublicJwk[] } {
    return { keys: [{ ...this.publicJwk }] };
  }

  /** Mints a Cognito-shaped ID token for a demo user given as object, id or username. */
  mintIdToken(user: DemoUser | string, options: MintOptions = {}): string {
    const found = this.findUser(user);
    const { iat, exp } = lifetime(options);
    const claims: Record<string, unknown> = {
      iss: options.issuer ?? this.issuerUrl,
      aud: options.audience ?? this.clientId,
      sub: found.id,
      token_use: 'id',
      auth_time: iat,
      iat,
      exp,
      jti: randomUUID(),
      event_id: randomUUID(),
      email: found.email,
      email_verified: true,
      name: found.name,
      'cognito:username': found.username,
      'cognito:groups': [...found.groups],
      ...found.claims,
    };
    return this.sign(claims);
  }

  /** Handles requests under the issuer's base path; returns false when the path is not its own. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', this.origin);
    if (url.pathname !== this.basePath && !url.pathname.startsWith(`${this.basePath}/`)) return false;
    const path = url.pathname.slice(this.basePath.length);
    const method = req.method ?? 'GET';
    try {
      if (method === 'GET' && path === '/.well-known/openid-configuration') sendJson(res, 200, this.discovery());
      else if (method === 'GET' && path === '/.well-known/jwks.json') sendJson(res, 200, this.jwks());
      else if (method === 'GET' && path === '/oauth2/authorize') this.authorizePage(url.searchParams, res);
      else if (method === 'POST' && path === '/oauth2/authorize') this.authorizeDecision(await readForm(req), res);
      else if (method === 'POST' && path === '/oauth2/token') this.token(await readForm(req), res);
      else if (method === 'GET' && path === '/logout') this.logout(url.searchParams, res);
      else sendJson(res, 404, { error: 'not_found' });
    } catch (error) {
      if (!(error instanceof BodyTooLargeError)) throw error;
      sendJson(res, 413, { error: 'invalid_request', error_description: 'Corps de requête trop volumineux.' });
    }
    return true;
  }

  private discovery(): Record<string, unknown> {
    return {
      issuer: this.issuerUrl,
      authorization_endpoint: `${this.issuerUrl}/oauth2/authorize`,
      token_endpoint: `${this.issuerUrl}/oauth2/token`,
      jwks_uri: `${this.issuerUrl}/.well-known/jwks.json`,
      end_session_endpoint: `${this.issuerUrl}/logout`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid', 'email', 'profile'],
      token_endpoint_auth_methods_supported: ['none'],
      code_challenge_methods_supported: ['S256'],
      claims_supported: ['sub', 'email', 'email_verified', 'name', 'cognito:username', 'cognito:groups', ...new Set(this.users.flatMap((user) => Object.keys(user.claims ?? {})))],
    };
  }

  /** Checks what both steps of the authorize endpoint need; returns a French error message or undefined. */
  private authorizeError(params: URLSearchParams): string | undefined {
    if (params.get('client_id') !== this.clientId) return 'Application cliente inconnue.';
    if (!this.isOwnUrl(params.get('redirect_uri'))) return 'Adresse de retour non autorisée.';
    if (!PKCE_CHALLENGE.test(params.get('code_challenge') ?? '')) return 'Paramètre code_challenge manquant ou invalide (PKCE S256 requis).';
    return undefined;
  }

  private authorizePage(params: URLSearchParams, res: ServerResponse): void {
    if ((params.get('response_type') ?? 'code') !== 'code') return sendHtml(res, 400, errorPage('Seul le type de réponse « code » est pris en charge.'));
    if ((params.get('code_challenge_method') ?? 'S256') !== 'S256') return sendHtml(res, 400, errorPage('Seule la méthode PKCE S256 est prise en charge.'));
    const problem = this.authorizeError(params);
    if (problem) return sendHtml(res, 400, errorPage(problem));
    sendHtml(res, 200, loginPage(`${this.basePath}/oauth2/authorize`, params, this.users));
  }

  private authorizeDecision(form: URLSearchParams, res: ServerResponse): void {
    const problem = this.authorizeError(form);
    if (problem) return sendHtml(res, 400, errorPage(problem));
    const user = this.users.find((u) => u.id === form.get('user'));
    if (!user) return sendHtml(res, 400, errorPage('Utilisateur de démonstration inconnu.'));
    this.dropExpiredCodes();
    const code = randomBytes(32).toString('base64url');
    const redirectUri = form.get('redirect_uri') as string;
    this.codes.set(code, {
      userId: user.id,
      clientId: this.clientId,
      redirectUri,
      codeChallenge: form.get('code_challenge') as string,
      expiresAt: Date.now() + CODE_TTL_MS,
    });
    const location = new URL(redirectUri);
    location.searchParams.set('code', code);
    const state = form.get('state');
    if (state !== null) location.searchParams.set('state', state);
    res.writeHead(302, { location: location.toString(), 'cache-control': 'no-store' });
    res.end();
  }

  private token(form: URLSearchParams, res: ServerResponse): void {
    if (form.get('grant_type') !== 'authorization_code') return sendJson(res, 400, { error: 'unsupported_grant_type' });
    const code = form.get('code');
    const verifier = form.get('code_verifier');
    if (!code || !verifier || !form.get('redirect_uri') || !form.get('client_id')) return sendJson(res, 400, { error: 'invalid_request' });
    const pending = this.codes.get(code);
    // A code is single use even when the exchange fails (RFC 6749 §4.1.2).
    this.codes.delete(code);
    const valid =
      pending !== undefined &&
      pending.expiresAt > Date.now() &&
      pending.clientId === form.get('client_id') &&
      pending.redirectUri === form.get('redirect_uri') &&
      PKCE_VERIFIER.test(verifier) &&
      createHash('sha256').update(verifier).digest('base64url') === pending.codeChallenge;
    if (!valid) return sendJson(res, 400, { error: 'invalid_grant' });
    const user = this.findUser(pending.userId);
    sendJson(res, 200, {
      id_token: this.mintIdToken(user),
      access_token: this.mintAccessToken(user),
      token_type: 'Bearer',
      expires_in: DEFAULT_TTL_SECONDS,
    });
  }

  private logout(params: URLSearchParams, res: ServerResponse): void {
    const logoutUri = params.get('logout_uri');
    if (params.get('client_id') !== this.clientId || !this.isOwnUrl(logoutUri)) {
      return sendHtml(res, 400, errorPage('Demande de déconnexion invalide.'));
    }
    res.writeHead(302, { location: logoutUri as string, 'cache-control': 'no-store' });
    res.end();
  }

  /** Cognito access token shape: no `aud`, `client_id` and `scope` instead. */
  private mintAccessToken(user: DemoUser): string {
    const { iat, exp } = lifetime({});
    return this.sign({
      iss: this.issuerUrl,
      client_id: this.clientId,
      sub: user.id,
      token_use: 'access',
      scope: 'openid email profile',
      auth_time: iat,
      iat,
      exp,
      jti: randomUUID(),
      event_id: randomUUID(),
      username: user.username,
      'cognito:groups': [...user.groups],
    });
  }

  private sign(claims: Record<string, unknown>): string {
    const header = { kid: this.publicJwk.kid, alg: 'RS256', typ: 'JWT' };
    const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const signature = createSign('RSA-SHA256').update(input).sign(this.privateKey).toString('base64url');
    return `${input}.${signature}`;
  }

  private findUser(user: DemoUser | string): DemoUser {
    if (typeof user !== 'string') return user;
    const found = this.users.find((u) => u.id === user || u.username === user);
    if (!found) throw new Error(`Unknown demo user: ${user}`);
    return found;
  }

  /** Only URLs on the issuer's own origin may be redirected to, so the issuer is not an open redirect. */
  private isOwnUrl(value: string | null): boolean {
    if (!value) return false;
    try {
      const url = new URL(value);
      return url.origin === this.origin && (url.protocol === 'http:' || url.protocol === 'https:');
    } catch {
      return false;
    }
  }

  private dropExpiredCodes(): void {
    const now = Date.now();
    for (const [code, pending] of this.codes) if (pending.expiresAt <= now) this.codes.delete(code);
  }
}

function lifetime(options: MintOptions): { iat: number; exp: number } {
  const now = Math.floor(Date.now() / 1000);
  const ttl = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  // An expired token was issued in the past and ended a minute ago, beyond usual clock-skew tolerances.
  return options.expired ? { iat: now - ttl - 60, exp: now - 60 } : { iat: now, exp: now + ttl };
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

/** RFC 7638 JWK thumbprint, a stable key id derived from the key itself. */
function thumbprint(n: string, e: string): string {
  return createHash('sha256').update(JSON.stringify({ e, kty: 'RSA', n })).digest('base64url');
}

const generateRsaKeyPair = promisify(generateKeyPair);

/** Generated off the main thread: a 2048-bit RSA key takes a few hundred milliseconds. */
async function newKey(): Promise<KeyObject> {
  return (await generateRsaKeyPair('rsa', { modulusLength: 2048 })).privateKey;
}

async function loadOrCreateKey(dataDir: string): Promise<KeyObject> {
  const file = join(dataDir, KEYS_FILE);
  try {
    const stored = JSON.parse(await readFile(file, 'utf8')) as { privateKeyPem?: unknown };
    if (typeof stored.privateKeyPem === 'string') return createPrivateKey(stored.privateKeyPem);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = await newKey();
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${JSON.stringify({ privateKeyPem: key.export({ format: 'pem', type: 'pkcs8' }) }, null, 2)}\n`, { mode: 0o600 });
  return key;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new URLSearchParams(await readRequestBody(req, MAX_FORM_BYTES));
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(html);
}


const PAGE_STYLE = `body{font-family:system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1b1f24;line-height:1.5}
main{max-width:32rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:.5rem;box-shadow:0 1px 3px #0002}
h1{font-size:1.5rem;margin-top:0}fieldset{border:0;padding:0;margin:0}legend{font-weight:600}ul{list-style:none;padding:0}li{margin:.75rem 0}
button{width:100%;text-align:left;font:inherit;padding:.75rem 1rem;border:2px solid #2f4b8f;border-radius:.375rem;background:#fff;color:#1b1f24;cursor:pointer}
button:hover{background:#eef2fb}button:focus-visible{outline:3px solid #e0a100;outline-offset:2px}
.role{display:block;color:#4a5260;font-size:.9rem}`;

function page(title: string, content: string): string {
  return `<!doctype html>
<html lang="fr">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${PAGE_STYLE}</style></head>
<body><main>
${content}
</main></body>
</html>
`;
}

function errorPage(message: string): string {
  return page('Erreur de connexion (environnement local)', `<h1>Connexion impossible</h1>\n<p role="alert">${escapeHtml(message)}</p>`);
}

function loginPage(action: string, params: URLSearchParams, users: DemoUser[]): string {
  const hidden = ['client_id', 'redirect_uri', 'state', 'code_challenge']
    .filter((name) => params.get(name) !== null)
    .map((name) => `<input type="hidden" name="${name}" value="${escapeHtml(params.get(name) as string)}">`)
    .join('\n');
  const buttons = users
    .map((user) => {
      const role = user.description ?? user.groups.join(', ');
      return `<li><button type="submit" name="user" value="${escapeHtml(user.id)}">${escapeHtml(user.name)} <span class="role">${escapeHtml(role)}</span></button></li>`;
    })
    .join('\n');
  return page(
    'Connexion (environnement local)',
    `<h1>Connexion (environnement local)</h1>
<p>Cet environnement de démonstration n’a pas de mot de passe : choisissez le compte avec lequel vous connecter.</p>
<form method="post" action="${escapeHtml(action)}">
${hidden}
<fieldset><legend>Comptes de démonstration</legend>
<ul>
${buttons}
</ul>
</fieldset>
</form>`,
  );
}
