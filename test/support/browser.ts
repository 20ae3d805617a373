import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { bundledHandler } from './bundles.js';

/** Headless Chromium from the Debian package (playwright's own download is not available here). */
export async function launchBrowser(): Promise<Browser> {
  return await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}

type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

// From their bundles: the pages function serves the browser modules built into it.
const configHandler = bundledHandler<HttpHandler>('functions/pages/config.ts');
const pagesHandler = bundledHandler<HttpHandler>('functions/pages/handler.ts');

const lambdaContext = {
  functionName: 'pages',
  awsRequestId: 'test',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

/** The API Gateway v2 event the HTTP API would send for this request. */
export function toApiGatewayEvent(request: IncomingMessage, body: string): APIGatewayProxyEventV2 {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query = Object.fromEntries(url.searchParams);
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    queryStringParameters: Object.keys(query).length ? query : undefined,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: request.method ?? 'GET',
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    body: body || undefined,
    isBase64Encoded: false,
  };
}

export interface PagesServer {
  /** Origin of the server, e.g. http://127.0.0.1:41234 */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the two Pages Lambda handlers (their bundles) over HTTP on the loopback interface, the way the HTTP
 * API routes them. Other /api/* routes answer 404: browser tests answer them with page.route.
 */
export async function startPagesServer(): Promise<PagesServer> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const event = toApiGatewayEvent(request, Buffer.concat(chunks).toString('utf8'));
      const handler: HttpHandler | undefined =
        event.rawPath === '/api/config' ? configHandler : event.rawPath.startsWith('/api/') ? undefined : pagesHandler;
      const result: Promise<APIGatewayProxyStructuredResultV2> = handler
        ? handler(event, lambdaContext)
        : Promise.resolve({ statusCode: 404, headers: { 'content-type': 'application/json' }, body: '{"message":"Route inconnue."}' });
      result
        .then((answer) => {
          response.writeHead(answer.statusCode ?? 200, answer.headers as Record<string, string>);
          response.end(answer.body ?? '');
        })
        .catch((error: unknown) => {
          response.writeHead(500, { 'content-type': 'text/plain' });
          response.end(String(error));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** What `pagesInBrowser` opens for a test file, set once its `beforeAll` has run. */
export interface PagesInBrowser {
  browser: Browser;
  server: PagesServer;
  context: BrowserContext;
  page: Page;
}

/**
 * The pages server and a Chromium page for the whole test file (French locale, Paris time, the sign-in settings the
 * pages read), opened before its tests and closed after them. `context` adds to the context's options (a phone's
 * viewport, downloads...).
 */
export function pagesInBrowser(context: BrowserContextOptions = {}): PagesInBrowser {
  const opened = {} as PagesInBrowser;
  beforeAll(async () => {
    process.env.AUTH_BASE_URL = 'https://auth.coopconnexion.test';
    process.env.USER_POOL_CLIENT_ID = 'pages-client-test';
    [opened.browser, opened.server] = await Promise.all([launchBrowser(), startPagesServer()]);
    opened.context = await opened.browser.newContext({ locale: 'fr-FR', timezoneId: 'Europe/Paris', ...context });
    opened.page = await opened.context.newPage();
  });
  afterAll(async () => {
    await opened.browser?.close();
    await opened.server?.close();
  });
  return opened;
}
