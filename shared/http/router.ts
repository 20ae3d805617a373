import type { Context } from 'aws-lambda';
import { errorResponse, type ApiEvent, type ApiResult } from './api.js';
import { NotFoundError } from '../domain/errors.js';

/** One route's handler: an `apiRoute(...)` (its own access rule, logger context and error answers). */
export type RouteHandler = (event: ApiEvent, context: Context) => Promise<ApiResult>;

/**
 * One function for the routes of one area (decision 29): the gateway sends each declared route to it with its
 * `routeKey` ('GET /api/me/invoices/{invoiceId}'), and the router calls that route's handler. Each handler is an
 * `apiRoute`, so access, path checks and error answers stay per route. A route key the function does not serve
 * (a route added to the stack but not here) answers 404 and is logged, never a 500.
 */
export function apiRouter<K extends string>(routes: Record<K, RouteHandler>): (event: ApiEvent, context: Context) => Promise<ApiResult> {
  const table = new Map<string, RouteHandler>(Object.entries(routes));
  return async (event, context) => {
    const route = table.get(event.routeKey);
    if (!route) return errorResponse(new NotFoundError("Cette adresse n'existe pas."));
    return route(event, context);
  };
}

/**
 * An area's route keys, declared in a module of their own (no runtime imports) so that the stack declares exactly
 * the routes the function serves: `apiRouter<(typeof KEYS)[number]>({...})` then fails to compile on a missing one.
 */
export type RouteKey = `${'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH'} /${string}`;
