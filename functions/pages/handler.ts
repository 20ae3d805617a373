import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  assets,
  authCallbackPage,
  decisionPage,
  homePage,
  inboxPage,
  notFoundPage,
  referralFormPage,
  referralsListPage,
  timelinePage,
} from '../../shared/pages/index.js';
import { duplicatesPage, messagesPage } from '../../shared/pages/staff.js';
import { documentsReviewPage, onboardingBoardPage, sessionPage, sessionsPage } from '../../shared/pages/onboarding-staff.js';
import { guardianPage, myPathPage, newLinkPage } from '../../shared/pages/no-account.js';
import { activityInvoicingPage, invoicePage, invoicingMonthPage, invoicingPage, lateInvoicesPage } from '../../shared/pages/staff-invoicing.js';
import { activitiesPage, activityPage, cohortPage, cohortsPage, myActivityPage, serviceKindsPage } from '../../shared/pages/activities.js';
import { myInvoicingPage } from '../../shared/pages/invoicing.js';
// Opaque ids and approval tokens: anything else in these URLs is a 404, never echoed back.
import { isOpaqueId } from '../../shared/http/ids.js';

type Result = APIGatewayProxyStructuredResultV2;


const staticPages: Record<string, () => string> = {
  '/': homePage,
  '/prescripteur/orienter': referralFormPage,
  '/prescripteur/orientations': referralsListPage,
  '/equipe': inboxPage,
  '/equipe/messages': messagesPage,
  '/equipe/doublons': duplicatesPage,
  '/equipe/accueil': onboardingBoardPage,
  '/equipe/reunions': sessionsPage,
  '/equipe/documents': documentsReviewPage,
  '/equipe/activites': activitiesPage,
  '/equipe/cohortes': cohortsPage,
  '/equipe/services': serviceKindsPage,
  '/equipe/facturation': invoicingPage,
  '/equipe/facturation/retards': lateInvoicesPage,
  '/auth/callback': authCallbackPage,
  // People without an account: their personal link is in the fragment, which never reaches this function.
  '/mon-parcours': myPathPage,
  '/tuteur': guardianPage,
  '/nouveau-lien': newLinkPage,
  '/mon-activite': myActivityPage,
  '/ma-facturation': myInvoicingPage,
};

// Rendered once per container: the shells hold no data.
const rendered = new Map<string, string>();
function render(key: string, page: () => string): string {
  let html = rendered.get(key);
  if (html === undefined) {
    html = page();
    rendered.set(key, html);
  }
  return html;
}

function authOrigin(): string | undefined {
  try {
    return new URL(process.env.AUTH_BASE_URL ?? '').origin;
  } catch {
    return undefined;
  }
}

/** Where the young person's page PUTs a document: the local cloud's S3 endpoint, or the bucket's own origin. */
function uploadOrigin(): string | undefined {
  try {
    return new URL(process.env.AWS_ENDPOINT_URL_S3 || process.env.DOCUMENTS_UPLOAD_ORIGIN || '').origin;
  } catch {
    return undefined;
  }
}

function securityHeaders(): Record<string, string> {
  const auth = authOrigin();
  const upload = uploadOrigin();
  return {
    // The callback page posts the code to the Cognito token endpoint, "Mon parcours" PUTs documents to the bucket:
    // those origins are allowed for fetch only.
    'content-security-policy': [
      "default-src 'self'",
      `connect-src 'self'${auth ? ` ${auth}` : ''}${upload ? ` ${upload}` : ''}`,
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
      "object-src 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    // Decision links carry single-use approval ids and the callback an auth code: never leak them.
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'permissions-policy': 'camera=(), microphone=(), geolocation=()',
    'cross-origin-opener-policy': 'same-origin',
    'strict-transport-security': 'max-age=31536000',
  };
}

function html(statusCode: number, body: string): Result {
  return {
    statusCode,
    headers: { ...securityHeaders(), 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
    body,
  };
}

function serveAsset(event: APIGatewayProxyEventV2, name: string): Result | undefined {
  const all = assets();
  const asset = Object.hasOwn(all, name) ? all[name] : undefined;
  if (!asset) return undefined;
  const etag = `"${asset.version}"`;
  // Hashed names and versioned URLs never change content; an unversioned one must be checked again soon.
  const immutable = asset.hashedName || event.queryStringParameters?.v === asset.version;
  const cacheControl = immutable ? 'public, max-age=31536000, immutable' : 'public, max-age=300';
  const headers = { ...securityHeaders(), 'content-type': asset.contentType, 'cache-control': cacheControl, etag };
  if (event.headers?.['if-none-match'] === etag) return { statusCode: 304, headers, body: '' };
  return { statusCode: 200, headers, body: asset.body };
}

/**
 * An API address no route serves: the gateway sends every GET it has no route for here ('GET /{proxy+}'), a GET of a
 * POST-only API route or a mistyped one too. An API client reads JSON, as the API's own 404s answer it.
 */
function apiNotFound(): Result {
  return {
    statusCode: 404,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' },
    body: JSON.stringify({ message: "Cette adresse n'existe pas." }),
  };
}

function route(event: APIGatewayProxyEventV2, path: string): Result {
  if (path === '/api' || path.startsWith('/api/')) return apiNotFound();
  const page = staticPages[path];
  if (page) return html(200, render(path, page));
  const assetMatch = /^\/assets\/([^/]+)$/.exec(path);
  if (assetMatch) {
    const served = serveAsset(event, assetMatch[1]);
    if (served) return served;
  }
  const decision = /^\/equipe\/decisions\/([^/]+)$/.exec(path);
  if (decision && isOpaqueId(decision[1])) return html(200, decisionPage(decision[1]));
  const person = /^\/equipe\/personnes\/([^/]+)$/.exec(path);
  if (person && isOpaqueId(person[1])) return html(200, timelinePage(person[1]));
  const session = /^\/equipe\/reunions\/([^/]+)$/.exec(path);
  if (session && isOpaqueId(session[1])) return html(200, sessionPage(session[1]));
  const activity = /^\/equipe\/activites\/([^/]+)$/.exec(path);
  if (activity && isOpaqueId(activity[1])) return html(200, activityPage(activity[1]));
  const recording = /^\/equipe\/activites\/([^/]+)\/facturation$/.exec(path);
  if (recording && isOpaqueId(recording[1])) return html(200, activityInvoicingPage(recording[1]));
  const cohort = /^\/equipe\/cohortes\/([^/]+)$/.exec(path);
  if (cohort && isOpaqueId(cohort[1])) return html(200, cohortPage(cohort[1]));
  const month = /^\/equipe\/facturation\/(\d{4}-(?:0[1-9]|1[0-2]))$/.exec(path);
  if (month) return html(200, invoicingMonthPage(month[1]!));
  const invoice = /^\/equipe\/factures\/([^/]+)$/.exec(path);
  if (invoice && isOpaqueId(invoice[1])) return html(200, invoicePage(invoice[1]));
  return html(404, render('404', notFoundPage));
}

export const handler = middy<APIGatewayProxyEventV2, Result>().handler(async (event) => {
  const method = event.requestContext.http.method.toUpperCase();
  if (method !== 'GET' && method !== 'HEAD') {
    return { statusCode: 405, headers: { ...securityHeaders(), allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }, body: 'Méthode non autorisée.' };
  }
  const rawPath = event.rawPath || '/';
  const path = rawPath.length > 1 && rawPath.endsWith('/') ? rawPath.slice(0, -1) : rawPath;
  const result = route(event, path);
  return method === 'HEAD' ? { ...result, body: '' } : result;
});
