import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { transform } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundledHandler } from '../support/bundles.js';

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
// The bundles, as Lambda runs them: the browser modules are built into the pages function.
const configHandler = bundledHandler<Handler>('functions/pages/config.ts');
const pagesHandler = bundledHandler<Handler>('functions/pages/handler.ts');

const context = {} as Context;

function event(path: string, options: { method?: string; query?: Record<string, string>; headers?: Record<string, string> } = {}): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    headers: options.headers ?? {},
    queryStringParameters: options.query,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method: options.method ?? 'GET', path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: 'r',
      routeKey: '$default',
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
    isBase64Encoded: false,
  };
}

async function get(path: string, options?: Parameters<typeof event>[1]): Promise<APIGatewayProxyStructuredResultV2 & { headers: Record<string, string> }> {
  return (await pagesHandler(event(path, options), context)) as APIGatewayProxyStructuredResultV2 & { headers: Record<string, string> };
}

beforeAll(() => {
  process.env.AUTH_BASE_URL = 'https://coopconnexion-dev.auth.eu-west-3.amazoncognito.com/';
  process.env.USER_POOL_CLIENT_ID = 'client-123';
  process.env.APP_BASE_URL = 'https://parcours.coopconnexion.example';
});

describe('pages handler', () => {
  it.each([
    ['/', 'home', 'Accueil'],
    ['/prescripteur/orienter', 'referral-form', 'Orienter un jeune'],
    ['/prescripteur/orientations', 'referrals-list', 'Suivi des orientations'],
    ['/equipe', 'inbox', 'Demandes à traiter'],
    ['/equipe/', 'inbox', 'Demandes à traiter'],
    ['/equipe/decisions/apv_01JQ8ZT3', 'decision', 'Traiter une demande'],
    ['/equipe/personnes/per_01', 'timeline', 'Historique du jeune'],
    ['/equipe/doublons', 'duplicates', 'Doublons possibles'],
    ['/equipe/accueil', 'onboarding-board', 'Accueil des jeunes'],
    ['/equipe/reunions', 'sessions', 'Réunions d&#39;information'],
    ['/equipe/reunions/3f2c7e4a-0b1d-4c5e-9a8f-1b2c3d4e5f60', 'session', 'Réunion d&#39;information'],
    ['/equipe/documents', 'documents-review', 'Pièces à vérifier'],
    ['/auth/callback', 'auth-callback', 'Connexion'],
    ['/mon-parcours', 'mon-parcours', 'Mon parcours'],
    ['/tuteur', 'tuteur', 'Accord du représentant légal'],
    ['/nouveau-lien', 'nouveau-lien', 'Recevoir un nouveau lien'],
    ['/mon-activite', 'mon-activite', 'Mon activité'],
    ['/ma-facturation', 'ma-facturation', 'Ma facturation'],
    ['/equipe/activites', 'activities', 'Activités'],
    ['/equipe/activites/pa-REF-2025-000101', 'activity', 'Activité'],
    ['/equipe/cohortes', 'cohorts', 'Cohortes CJS'],
    ['/equipe/cohortes/3f2c7e4a-0b1d-4c5e-9a8f-1b2c3d4e5f60', 'cohort', 'Cohorte CJS'],
    ['/equipe/services', 'service-kinds', 'Catalogue des services'],
    ['/equipe/facturation', 'invoicing', 'Facturation'],
    ['/equipe/facturation/2027-01', 'invoicing-month', 'Facturation du mois'],
    ['/equipe/facturation/retards', 'late-invoices', 'Factures en retard'],
    ['/equipe/factures/inv-pa-3f2c7e4a-2027-01-c1', 'invoice', 'Facture'],
    ['/equipe/activites/pa-REF-2025-000101/facturation', 'activity-invoicing', 'Clients et prestations'],
  ])('serves %s as the %s page, with its own browser module', async (path, page, title) => {
    const result = await get(path);
    expect(result.statusCode).toBe(200);
    expect(result.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(result.headers['cache-control']).toBe('no-store');
    expect(result.body).toContain(`data-page="${page}"`);
    expect(result.body).toContain(`<title>${title}`);
    expect(result.body).toContain('<html lang="fr">');
    expect(scriptOf(String(result.body))).toMatch(new RegExp(`^/assets/${page}-[A-Z0-9]+\\.js$`));
  });

  it("labels a service month's export as that month's accounting journal: pieces issued and payments received in it", async () => {
    const body = String((await get('/equipe/facturation/2027-01')).body);
    expect(body).toContain('Télécharger le journal comptable de janvier 2027 (CSV)');
    expect(body).toContain('les pièces émises, les paiements reçus et les remboursements faits en janvier 2027, quel que soit le mois des prestations');
    expect(body).toContain('Les factures des prestations de janvier 2027');
  });

  it('sends the security headers, with the Cognito origin allowed for the token call only', async () => {
    const { headers } = await get('/prescripteur/orienter');
    const csp = headers['content-security-policy'];
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("connect-src 'self' https://coopconnexion-dev.auth.eu-west-3.amazoncognito.com");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['referrer-policy']).toBe('no-referrer');
    expect(headers['x-frame-options']).toBe('DENY');
  });

  it('lets "Mon parcours" PUT documents to the bucket only: its origin joins connect-src, nothing else', async () => {
    process.env.DOCUMENTS_UPLOAD_ORIGIN = 'https://parcours-dev-documents.s3.eu-west-3.amazonaws.com';
    try {
      const csp = (await get('/mon-parcours')).headers['content-security-policy'];
      expect(csp).toContain('connect-src \'self\' https://coopconnexion-dev.auth.eu-west-3.amazoncognito.com https://parcours-dev-documents.s3.eu-west-3.amazonaws.com;');
      expect(csp).toContain("default-src 'self'");
    } finally {
      delete process.env.DOCUMENTS_UPLOAD_ORIGIN;
    }
  });

  it('has no inline script or style in any page', async () => {
    for (const path of ['/', '/prescripteur/orienter', '/equipe/decisions/a', '/nowhere', '/mon-parcours', '/tuteur', '/nouveau-lien']) {
      const { body } = await get(path);
      const scripts = String(body).match(/<script\b[^>]*>/g) ?? [];
      expect(scripts).toEqual([expect.stringMatching(/^<script type="module" src="\/assets\/[a-z-]+-[A-Z0-9]+\.js">$/)]);
      expect(body).not.toMatch(/<style|style="|\son[a-z]+="/);
    }
  });

  it("never repeats an id, the shell's ones included: a page region named like the header's slot would be filled in the header", async () => {
    for (const path of [...PAGE_PATHS, '/mon-activite', '/ma-facturation', '/equipe/activites', '/equipe/activites/a', '/equipe/activites/a/facturation', '/equipe/cohortes', '/equipe/cohortes/c', '/equipe/services', '/equipe/facturation', '/equipe/facturation/2027-01', '/equipe/facturation/retards', '/equipe/factures/f']) {
      const ids = [...String((await get(path)).body).matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
      expect(ids.filter((id, index) => ids.indexOf(id) !== index), path).toEqual([]);
    }
  });

  it('lets no form submit by itself: its module sends it (method="dialog"), or it is a GET filter with its action', async () => {
    for (const path of [...PAGE_PATHS, '/mon-activite', '/ma-facturation', '/equipe/activites', '/equipe/activites/a', '/equipe/cohortes', '/equipe/cohortes/c', '/equipe/services', '/equipe/activites/a/facturation', '/equipe/facturation/2027-01', '/equipe/factures/f']) {
      const forms = String((await get(path)).body).match(/<form\b[^>]*>/g) ?? [];
      for (const form of forms) expect(form, path).toMatch(/^<form method="dialog"|\smethod="get" action="\/[^"]*"/);
    }
  });

  it('gives every form control a label', async () => {
    for (const [path, controls] of [['/prescripteur/orienter', 4], ['/equipe/decisions/a', 4], ['/equipe', 2], ['/mon-parcours', 2], ['/tuteur', 7], ['/nouveau-lien', 1]] as const) {
      const body = String((await get(path)).body);
      const ids = [...body.matchAll(/<(?:input|select|textarea)\b[^>]*\bid="([^"]+)"/g)].map((m) => m[1]);
      expect(ids.length).toBeGreaterThanOrEqual(controls);
      for (const id of ids) expect(body).toContain(`<label for="${id}">`);
    }
  });

  it('answers unknown paths and odd ids with a French 404 page', async () => {
    for (const path of ['/nowhere', '/equipe/decisions/%3Cscript%3E', '/equipe/decisions/a/b', '/equipe/reunions/%3Cscript%3E', '/equipe/activites/%3Cscript%3E', '/equipe/cohortes/a/b', '/assets/other.js']) {
      const result = await get(path);
      expect(result.statusCode).toBe(404);
      expect(result.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(result.body).toContain('Page introuvable');
      expect(result.body).not.toContain('script%3E');
    }
  });

  it('answers a GET of an API address no route serves (a POST-only route, a typo) with a JSON 404 in French, not a page', async () => {
    // The gateway sends every GET it has no route for to this function ('GET /{proxy+}'), /api/ addresses included.
    for (const path of ['/api/staff/invoicing/runs', '/api/me/activity', '/api/nowhere', '/api', '/api/', '/api/staff/invoices/x/payments']) {
      const result = await get(path);
      expect(result.statusCode, path).toBe(404);
      expect(result.headers['content-type'], path).toBe('application/json; charset=utf-8');
      expect(JSON.parse(String(result.body)), path).toEqual({ message: "Cette adresse n'existe pas." });
    }
    expect((await get('/api/nowhere', { method: 'HEAD' })).body).toBe('');
    expect((await get('/apiculture')).headers['content-type']).toBe('text/html; charset=utf-8');
  });

  it('refuses other methods and answers HEAD without a body', async () => {
    const post = await get('/prescripteur/orienter', { method: 'POST' });
    expect(post.statusCode).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    const head = await get('/', { method: 'HEAD' });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
  });

  it('names its icon on every page (no request for /favicon.ico), and serves it as SVG', async () => {
    for (const path of ['/', '/equipe', '/mon-parcours', '/ma-facturation']) {
      const icon = /<link rel="icon" type="image\/svg\+xml" href="([^"]+)">/.exec(String((await get(path)).body));
      expect(icon?.[1], path).toMatch(/^\/assets\/favicon\.svg\?v=[0-9a-f]{16}$/);
    }
    const svg = await get('/assets/favicon.svg');
    expect(svg.statusCode).toBe(200);
    expect(svg.headers['content-type']).toBe('image/svg+xml');
    expect(String(svg.body)).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  });

  it("gives people without an account a brand that leads nowhere (the home page is the staff's and prescribers' sign-in)", async () => {
    for (const path of ['/mon-parcours', '/tuteur', '/nouveau-lien', '/mon-activite', '/ma-facturation']) {
      const body = String((await get(path)).body);
      expect(body, path).toContain('<span class="brand">CoopConnexion <span>Parcours</span></span>');
      expect(body, path).not.toContain('class="brand" href=');
    }
    expect(String((await get('/equipe')).body)).toContain('<a class="brand" href="/">');
  });

  it('serves the browser modules under their content hash with long caching, the style sheet by version', async () => {
    const files = await browserFiles(['/equipe']);
    expect(files.size).toBeGreaterThanOrEqual(2);
    for (const [path, body] of files) {
      const js = await get(path);
      expect(js.statusCode).toBe(200);
      expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(js.body).toBe(body);
    }
    const home = String((await get('/')).body);
    const cssUrl = /<link rel="stylesheet" href="([^"]+)">/.exec(home)![1];
    expect(cssUrl).toMatch(/^\/assets\/app\.css\?v=[0-9a-f]{16}$/);
    const versioned = await get('/assets/app.css', { query: { v: cssUrl.split('v=')[1] } });
    expect(versioned.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const css = await get('/assets/app.css');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.headers['cache-control']).toBe('public, max-age=300');
    const again = await get('/assets/app.css', { headers: { 'if-none-match': css.headers.etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('ships browser modules that parse as ES2022 and hold nothing of the server', async () => {
    const files = await browserFiles(PAGE_PATHS);
    for (const [path, body] of files) {
      const result = await transform(body, { format: 'esm', loader: 'js', target: 'es2022' });
      expect(result.warnings, path).toEqual([]);
      // What a value import of the server's modules would drag in (the browser imports their types only).
      expect(body, path).not.toMatch(/process\.env|@aws-sdk|DynamoDB|require\(|node:/);
    }
  });
});

const PAGE_PATHS = ['/', '/nowhere', '/prescripteur/orienter', '/prescripteur/orientations', '/equipe', '/equipe/decisions/a', '/equipe/personnes/p', '/equipe/messages', '/equipe/doublons', '/equipe/accueil', '/equipe/reunions', '/equipe/reunions/s', '/equipe/documents', '/auth/callback', '/mon-parcours', '/tuteur', '/nouveau-lien'];

/** The URL of a page's module script. */
function scriptOf(html: string): string {
  return /<script type="module" src="([^"]+)"><\/script>/.exec(html)?.[1] ?? '';
}

/** Every browser file the pages at these paths load: their modules and the chunks those import, by URL. */
async function browserFiles(paths: string[]): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const pending = await Promise.all(paths.map(async (path) => scriptOf(String((await get(path)).body))));
  while (pending.length) {
    const url = pending.pop()!;
    if (files.has(url)) continue;
    const body = String((await get(url)).body);
    files.set(url, body);
    for (const match of body.matchAll(/from\s*"\.\/([^"]+\.js)"|import\s*"\.\/([^"]+\.js)"/g)) pending.push(`/assets/${match[1] ?? match[2]}`);
  }
  return files;
}

describe('config handler', () => {
  it('returns the public auth settings from the environment', async () => {
    const result = (await configHandler(event('/api/config'), context)) as APIGatewayProxyStructuredResultV2;
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(String(result.body))).toEqual({
      authBaseUrl: 'https://coopconnexion-dev.auth.eu-west-3.amazoncognito.com',
      clientId: 'client-123',
      appBaseUrl: 'https://parcours.coopconnexion.example',
    });
  });
});
