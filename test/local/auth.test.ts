import { createHash, createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JwtRsaVerifier } from 'aws-jwt-verify';
import { LocalIssuer } from '../../infra/local/auth.js';
import { DEMO_USERS } from '../../infra/local-app/demo-users.js';

const CLIENT_ID = 'local-pages';

function decodePart(token: string, index: number): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index], 'base64url').toString('utf8')) as Record<string, unknown>;
}

function verifierFor(issuer: LocalIssuer) {
  const verifier = JwtRsaVerifier.create({ issuer: issuer.issuerUrl, audience: CLIENT_ID, jwksUri: `${issuer.issuerUrl}/.well-known/jwks.json` });
  verifier.cacheJwks(issuer.jwks());
  return verifier;
}

describe('demo users', () => {
  it('has one staff member and two prescribers of two organisations', () => {
    expect(DEMO_USERS.filter((u) => u.groups.includes('staff')).map((u) => u.name)).toEqual(['Camille Martin']);
    const prescribers = DEMO_USERS.filter((u) => u.groups.includes('prescriber'));
    expect(prescribers.map((u) => [u.name, u.claims?.['custom:organisation'], u.claims?.['custom:organisation_name']])).toEqual([
      ['Sarah Benali', 'ml-lens', 'Mission locale de Lens'],
      ['Thomas Leroy', 'ft-lievin', 'France Travail Liévin'],
    ]);
  });
});

describe('LocalIssuer tokens', () => {
  let issuer: LocalIssuer;
  beforeAll(async () => {
    issuer = await LocalIssuer.create({ issuerUrl: 'http://127.0.0.1:3000/local-auth', clientId: CLIENT_ID, users: DEMO_USERS });
  });

  it('publishes an RS256 signing key with a kid', () => {
    const [key] = issuer.jwks().keys;
    expect(key).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: expect.any(String), e: 'AQAB' });
    expect(key).not.toHaveProperty('d');
  });

  it('mints Cognito-shaped ID tokens that aws-jwt-verify accepts', async () => {
    const token = issuer.mintIdToken('sarah.benali');
    expect(decodePart(token, 0)).toEqual({ alg: 'RS256', typ: 'JWT', kid: issuer.jwks().keys[0].kid });
    const payload = await verifierFor(issuer).verify(token);
    const sarah = DEMO_USERS[1];
    expect(payload).toMatchObject({
      iss: 'http://127.0.0.1:3000/local-auth',
      aud: CLIENT_ID,
      sub: sarah.id,
      token_use: 'id',
      email: 'sarah.benali@example.org',
      email_verified: true,
      name: 'Sarah Benali',
      'cognito:username': 'sarah.benali',
      'cognito:groups': ['prescriber'],
      'custom:organisation': 'ml-lens',
      'custom:organisation_name': 'Mission locale de Lens',
    });
    expect(payload.exp! - payload.iat!).toBe(3600);
    expect(payload.auth_time).toBe(payload.iat);
  });

  it('gives staff tokens no organisation, and accepts a user by id or object', async () => {
    const camille = DEMO_USERS[0];
    const byId = await verifierFor(issuer).verify(issuer.mintIdToken(camille.id, { ttlSeconds: 60 }));
    expect(byId['cognito:groups']).toEqual(['staff']);
    expect(byId).not.toHaveProperty('custom:organisation');
    expect(byId.exp! - byId.iat!).toBe(60);
    expect((await verifierFor(issuer).verify(issuer.mintIdToken(camille))).sub).toBe(camille.id);
    expect(() => issuer.mintIdToken('nobody')).toThrow(/Unknown demo user/);
  });

  it('rejects an expired token, another audience and another issuer', async () => {
    const verifier = verifierFor(issuer);
    await expect(verifier.verify(issuer.mintIdToken('camille.martin', { expired: true }))).rejects.toThrow(/expired/i);
    await expect(verifier.verify(issuer.mintIdToken('camille.martin', { audience: 'other-client' }))).rejects.toThrow(/audience/i);
    await expect(verifier.verify(issuer.mintIdToken('camille.martin', { issuer: 'http://evil.example/auth' }))).rejects.toThrow(/issuer/i);
  });

  it('rejects a token signed by another key, even under the right kid', async () => {
    const valid = issuer.mintIdToken('thomas.leroy');
    const [header, payload] = valid.split('.');
    // Any other key will do; a short one keeps the test fast.
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const forged = `${header}.${payload}.${createSign('RSA-SHA256').update(`${header}.${payload}`).sign(privateKey).toString('base64url')}`;
    await expect(verifierFor(issuer).verify(forged)).rejects.toThrow(/signature/i);
  });

  it('keeps its key in dataDir across restarts', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'auth-test-'));
    try {
      const first = await LocalIssuer.create({ issuerUrl: 'http://127.0.0.1:3000/local-auth', clientId: CLIENT_ID, dataDir, users: DEMO_USERS });
      const token = first.mintIdToken('camille.martin');
      const second = await LocalIssuer.create({ issuerUrl: 'http://127.0.0.1:3000/local-auth', clientId: CLIENT_ID, dataDir, users: DEMO_USERS });
      expect(second.jwks()).toEqual(first.jwks());
      expect((await verifierFor(second).verify(token)).sub).toBe(DEMO_USERS[0].id);
      expect(statSync(join(dataDir, 'auth-keys.json')).mode & 0o777).toBe(0o600);
      expect(issuer.jwks()).not.toEqual(first.jwks());
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('LocalIssuer over HTTP', () => {
  let server: Server;
  let origin: string;
  let issuer: LocalIssuer;
  const redirectUri = () => `${origin}/auth/callback`;

  beforeAll(async () => {
    server = createServer((req, res) => {
      void issuer.handle(req, res).then((handled) => {
        if (!handled) {
          res.writeHead(404);
          res.end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    issuer = await LocalIssuer.create({ issuerUrl: `${origin}/local-auth`, clientId: CLIENT_ID, users: DEMO_USERS });
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  function pkce(): { verifier: string; challenge: string } {
    const verifier = randomBytes(32).toString('base64url');
    return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
  }

  async function authorize(challenge: string, userId = DEMO_USERS[1].id): Promise<string> {
    const response = await fetch(`${origin}/local-auth/oauth2/authorize`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: CLIENT_ID, redirect_uri: redirectUri(), state: 'xyz', code_challenge: challenge, user: userId }),
    });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(redirectUri());
    expect(location.searchParams.get('state')).toBe('xyz');
    return location.searchParams.get('code')!;
  }

  function exchange(code: string, verifier: string) {
    return fetch(`${origin}/local-auth/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri(), client_id: CLIENT_ID, code_verifier: verifier }),
    });
  }

  it('serves discovery and the JWKS', async () => {
    const discovery = (await (await fetch(`${origin}/local-auth/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery).toMatchObject({
      issuer: `${origin}/local-auth`,
      authorization_endpoint: `${origin}/local-auth/oauth2/authorize`,
      token_endpoint: `${origin}/local-auth/oauth2/token`,
      jwks_uri: `${origin}/local-auth/.well-known/jwks.json`,
      code_challenge_methods_supported: ['S256'],
    });
    // aws-jwt-verify fetches JWKS over https only, so a local verifier caches the JWKS it got over http.
    const jwks = (await (await fetch(discovery.jwks_uri as string)).json()) as ReturnType<LocalIssuer['jwks']>;
    expect(jwks).toEqual(issuer.jwks());
    const verifier = JwtRsaVerifier.create({ issuer: issuer.issuerUrl, audience: CLIENT_ID, jwksUri: discovery.jwks_uri as string });
    verifier.cacheJwks(jwks);
    expect((await verifier.verify(issuer.mintIdToken('camille.martin'))).name).toBe('Camille Martin');
  });

  it('shows an accessible French login page listing the demo users', async () => {
    const { challenge } = pkce();
    const query = new URLSearchParams({ response_type: 'code', client_id: CLIENT_ID, redirect_uri: redirectUri(), state: 'a"b<c', code_challenge: challenge, code_challenge_method: 'S256' });
    const response = await fetch(`${origin}/local-auth/oauth2/authorize?${query}`);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('<html lang="fr">');
    expect(html).toContain('<h1>Connexion (environnement local)</h1>');
    expect(html).toContain('<form method="post" action="/local-auth/oauth2/authorize">');
    for (const user of DEMO_USERS) expect(html).toContain(`<button type="submit" name="user" value="${user.id}">${user.name} <span`);
    expect(html).toContain('France Travail Liévin');
    expect(html).toContain(`name="code_challenge" value="${challenge}"`);
    expect(html).toContain('name="state" value="a&quot;b&lt;c"');
  });

  it('runs the code flow with PKCE, and the code works only once', async () => {
    const { verifier, challenge } = pkce();
    const code = await authorize(challenge);
    const response = await exchange(code, verifier);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const tokens = (await response.json()) as { id_token: string; access_token: string; token_type: string; expires_in: number };
    expect(tokens.token_type).toBe('Bearer');
    expect(tokens.expires_in).toBe(3600);
    const payload = await verifierFor(issuer).verify(tokens.id_token);
    expect(payload['custom:organisation']).toBe('ml-lens');
    expect(decodePart(tokens.access_token, 1)).toMatchObject({ token_use: 'access', client_id: CLIENT_ID, username: 'sarah.benali' });

    const replay = await exchange(code, verifier);
    expect(replay.status).toBe(400);
    expect(await replay.json()).toEqual({ error: 'invalid_grant' });
  });

  it('refuses a wrong code verifier, and burns the code', async () => {
    const { verifier, challenge } = pkce();
    const code = await authorize(challenge);
    const wrong = await exchange(code, pkce().verifier);
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toEqual({ error: 'invalid_grant' });
    expect((await exchange(code, verifier)).status).toBe(400);
  });

  it('refuses a redirect or logout to another origin', async () => {
    const { challenge } = pkce();
    const query = new URLSearchParams({ response_type: 'code', client_id: CLIENT_ID, redirect_uri: 'https://evil.example/cb', code_challenge: challenge });
    expect((await fetch(`${origin}/local-auth/oauth2/authorize?${query}`)).status).toBe(400);
    const post = await fetch(`${origin}/local-auth/oauth2/authorize`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({ client_id: CLIENT_ID, redirect_uri: 'https://evil.example/cb', code_challenge: challenge, user: DEMO_USERS[0].id }),
    });
    expect(post.status).toBe(400);
    expect(post.headers.get('location')).toBeNull();

    const evilLogout = await fetch(`${origin}/local-auth/logout?client_id=${CLIENT_ID}&logout_uri=${encodeURIComponent('https://evil.example/')}`, { redirect: 'manual' });
    expect(evilLogout.status).toBe(400);
    const logout = await fetch(`${origin}/local-auth/logout?client_id=${CLIENT_ID}&logout_uri=${encodeURIComponent(`${origin}/`)}`, { redirect: 'manual' });
    expect(logout.status).toBe(302);
    expect(logout.headers.get('location')).toBe(`${origin}/`);
  });

  it('refuses an authorize request without PKCE or with another client, and an unsupported grant', async () => {
    const noPkce = new URLSearchParams({ response_type: 'code', client_id: CLIENT_ID, redirect_uri: redirectUri() });
    expect((await fetch(`${origin}/local-auth/oauth2/authorize?${noPkce}`)).status).toBe(400);
    const otherClient = new URLSearchParams({ response_type: 'code', client_id: 'other', redirect_uri: redirectUri(), code_challenge: pkce().challenge });
    expect((await fetch(`${origin}/local-auth/oauth2/authorize?${otherClient}`)).status).toBe(400);
    const grant = await fetch(`${origin}/local-auth/oauth2/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials' }) });
    expect(grant.status).toBe(400);
    expect(await grant.json()).toEqual({ error: 'unsupported_grant_type' });
  });

  it('leaves paths outside its base path to others', async () => {
    expect((await fetch(`${origin}/local-authx/.well-known/jwks.json`)).status).toBe(404);
    expect((await fetch(`${origin}/api/config`)).status).toBe(404);
    const own = await fetch(`${origin}/local-auth/unknown`);
    expect(own.status).toBe(404);
    expect(await own.json()).toEqual({ error: 'not_found' });
  });
});
