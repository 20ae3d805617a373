import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { flushMetrics, logger } from '../observability.js';
import { invocationTime } from '../invocation.js';
import type { Actor } from '../domain/actor.js';
import { isOpaqueId } from './ids.js';
import { LINK_HEADER, type LinkAudience } from '../domain/personal-links.js';
import { resolveLink, type ResolvedLink } from '../data/personal-links.js';
import {
  ForbiddenError,
  LinkRefusedError,
  TooManyRequestsError,
  InvalidInputError,
  NotAuthenticatedError,
  NotFoundError,
  PayloadTooLargeError,
  UnprocessableError,
  UnsupportedMediaTypeError,
  UserFacingError,
} from '../domain/errors.js';

export type Role = 'staff' | 'prescriber';
export type ApiEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type ApiResult = APIGatewayProxyStructuredResultV2;

/** The largest JSON body the API accepts: a referral is a few kilobytes. */
export const MAX_BODY_BYTES = 64 * 1024;

const SECURITY_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResult {
  return { statusCode, headers: { ...SECURITY_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/** A PDF the API answers itself (a flyer, an invoice), base64 for the gateway, saved by the browser as `fileName` (ASCII). */
export function pdfAnswer(bytes: Uint8Array, fileName: string): ApiResult {
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/pdf', 'content-disposition': `attachment; filename="${fileName}"`, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' },
    body: Buffer.from(bytes).toString('base64'),
    isBase64Encoded: true,
  };
}

/**
 * API Gateway passes JWT claims as strings; a list claim such as cognito:groups arrives as "[staff prescriber]".
 * @example parseListClaim('[staff prescriber]') // ['staff', 'prescriber']
 */
export function parseListClaim(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value !== 'string' || value.trim() === '') return [];
  const trimmed = value.trim();
  if (trimmed.startsWith('[') && trimmed.endsWith(']')) {
    const inner = trimmed.slice(1, -1).trim();
    if (inner.startsWith('"')) {
      try {
        return (JSON.parse(trimmed) as unknown[]).map(String);
      } catch {
        return [];
      }
    }
    return inner.split(/[\s,]+/).filter(Boolean);
  }
  return [trimmed];
}

/** The actor behind a request, from the claims the JWT authorizer verified. */
export function actorFromEvent(event: ApiEvent): Actor {
  const claims = event.requestContext?.authorizer?.jwt?.claims;
  if (!claims || !claims.sub) throw new NotAuthenticatedError();
  const groups = parseListClaim(claims['cognito:groups']);
  const id = String(claims.sub);
  const name = String(claims.name ?? claims['cognito:username'] ?? 'Utilisateur');
  const email = claims.email ? String(claims.email) : undefined;
  if (groups.includes('staff')) return { kind: 'staff', id, name, email };
  if (groups.includes('prescriber')) {
    const organisationId = claims['custom:organisation'];
    if (!organisationId) throw new ForbiddenError("Votre compte prescripteur n'est rattaché à aucune structure : contactez CoopConnexion.");
    return {
      kind: 'prescriber',
      id,
      name,
      email,
      organisationId: String(organisationId),
      organisationName: String(claims['custom:organisation_name'] ?? organisationId),
    };
  }
  throw new ForbiddenError("Votre compte n'a pas de rôle dans CoopConnexion Parcours : contactez l'équipe.");
}

const ROLE_MESSAGES: Record<string, string> = {
  staff: "Cette action est réservée à l'équipe CoopConnexion.",
  prescriber: 'Cette action est réservée aux prescripteurs.',
  'staff,prescriber': 'Cette action est réservée aux prescripteurs et à l’équipe CoopConnexion.',
};

/** Reads and checks the JSON body: media type, size, syntax. */
export function readJsonBody(event: ApiEvent, maxBytes = MAX_BODY_BYTES): unknown {
  const contentType = event.headers?.['content-type'] ?? '';
  if (!/^application\/json\b/i.test(contentType)) throw new UnsupportedMediaTypeError();
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.byteLength > maxBytes) throw new PayloadTooLargeError(maxBytes);
  if (bytes.byteLength === 0) throw new InvalidInputError('Le contenu de la requête est vide : un objet JSON est attendu.');
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new InvalidInputError("Le contenu n'est pas un JSON valide.");
  }
}

export interface ApiRequest {
  event: ApiEvent;
  actor: Actor;
  context: Context;
}

/** A request made through a personal link: the person and onboarding it opens, and the actor they act as. */
export interface LinkRequest {
  event: ApiEvent;
  actor: ResolvedLink['actor'];
  link: ResolvedLink;
  context: Context;
}

/** A request anyone may make, without a token or a link. */
export interface PublicRequest {
  event: ApiEvent;
  context: Context;
}

/** Who may call a route (see apiRoute). */
export type RouteAccess = { roles: Role[] } | { link: LinkAudience } | { public: true };

/**
 * Wraps an API route: logger context, authentication and role check, path ids checked, and errors turned into
 * answers a person understands (4xx with a French message, field by field for invalid input).
 * An unexpected error is logged by name and message only (never the request body) and answered with a 500.
 *
 * Three kinds of access:
 * - `{ roles }`: staff or prescribers, by the claims of the JWT the gateway verified;
 * - `{ link: 'young-person' | 'guardian' }`: a personal link in the `x-parcours-link` header (the route is public at
 *   the gateway; the link is checked here, see resolveLink): 401 without one or with an unknown one, 410 expired or
 *   revoked, 403 for the other audience's page. Nothing is written before the link is accepted;
 * - `{ public: true }`: anyone (the "nouveau lien" page).
 */
export function apiRoute(options: { roles: Role[] }, fn: (request: ApiRequest) => Promise<ApiResult>): middy.MiddyfiedHandler<ApiEvent, ApiResult>;
export function apiRoute(options: { link: LinkAudience }, fn: (request: LinkRequest) => Promise<ApiResult>): middy.MiddyfiedHandler<ApiEvent, ApiResult>;
export function apiRoute(options: { public: true }, fn: (request: PublicRequest) => Promise<ApiResult>): middy.MiddyfiedHandler<ApiEvent, ApiResult>;
export function apiRoute(options: RouteAccess, fn: (request: never) => Promise<ApiResult>) {
  const handle = fn as (request: ApiRequest | LinkRequest | PublicRequest) => Promise<ApiResult>;
  return middy<ApiEvent, ApiResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(flushMetrics())
    .use(invocationTime())
    .handler(async (event, context) => {
      try {
        if ('public' in options) {
          checkPathIds(event);
          logger.appendKeys({ actorKind: 'public', routeKey: event.routeKey });
          return await handle({ event, context });
        }
        if ('link' in options) {
          const link = await resolveLink(event.headers?.[LINK_HEADER], options.link);
          checkPathIds(event);
          logger.appendKeys({ actorKind: link.actor.kind, routeKey: event.routeKey, personId: link.personId, referralId: link.referralId });
          return await handle({ event, actor: link.actor, link, context });
        }
        const actor = actorFromEvent(event);
        if (!options.roles.includes(actor.kind as Role)) throw new ForbiddenError(ROLE_MESSAGES[options.roles.join(',')]);
        checkPathIds(event);
        logger.appendKeys({ actorKind: actor.kind, routeKey: event.routeKey });
        return await handle({ event, actor, context });
      } catch (error) {
        return errorResponse(error);
      }
    });
}

function checkPathIds(event: ApiEvent): void {
  if (Object.values(event.pathParameters ?? {}).some((id) => !isOpaqueId(id ?? ''))) {
    throw new NotFoundError("Introuvable : l'adresse contient un identifiant qui n'existe pas.");
  }
}

export function errorResponse(error: unknown): ApiResult {
  if (error instanceof UserFacingError) {
    logger.info('request refused', { status: error.statusCode, error: error.name });
    const body: Record<string, unknown> = { message: error.message };
    if ((error instanceof InvalidInputError || error instanceof UnprocessableError) && error.errors.length > 0) body.errors = error.errors;
    // The page offers a new link where this one cannot open it.
    if (error instanceof LinkRefusedError) Object.assign(body, { reason: error.reason, newLinkPath: error.newLinkPath });
    if (error instanceof TooManyRequestsError) return json(error.statusCode, body, { 'retry-after': String(error.retryAfterSeconds) });
    return json(error.statusCode, body);
  }
  const err = error as Error;
  logger.error('unexpected error', { error: { name: err?.name, message: err?.message, stack: err?.stack } });
  return json(500, { message: 'Une erreur interne est survenue. Réessayez dans un instant ; si cela continue, contactez CoopConnexion.' });
}
