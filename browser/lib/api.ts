/** Calls to the API with the session's ID token, and what a page says when one fails (in French). */
import type { FieldError } from '../../shared/domain/errors.js';
import { el } from './dom.js';
import { currentSession, forgetSession, login } from './session.js';

/** What the API answers on a refusal (shared/http/api.ts): a French message, and for invalid input each field's. */
export interface ApiErrorBody {
  message?: string;
  errors?: FieldError[];
}

export type ApiResult<T> = { ok: true; status: number; data: T } | { ok: false; status: number; data: ApiErrorBody | null };

export interface ApiOptions {
  method?: string;
  json?: unknown;
  headers?: Record<string, string>;
}

export const NETWORK_MESSAGE = "Le serveur n'a pas pu être joint. Vérifiez votre connexion puis réessayez.";

/** Calls the API with the ID token; a 401 (or no session) sends the person to the login page. */
export async function api<T>(path: string, options: ApiOptions = {}): Promise<ApiResult<T>> {
  const session = currentSession();
  if (!session) return login();
  const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${session.token}`, ...options.headers };
  let body: string | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  const response = await fetch(path, { method: options.method ?? 'GET', headers, body });
  if (response.status === 401) {
    forgetSession();
    return login();
  }
  return readAnswer<T>(response);
}

/** An API answer as a result: its JSON body (null when empty or not JSON), as data on success or as the refusal. */
export async function readAnswer<T>(response: Response): Promise<ApiResult<T>> {
  const text = await response.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  return response.ok ? { ok: true, status: response.status, data: data as T } : { ok: false, status: response.status, data: data as ApiErrorBody | null };
}

/** The API's own message, or the fallback. */
export function messageOf(result: { data: unknown }, fallback: string): string {
  const data = result.data as ApiErrorBody | null;
  return data && typeof data.message === 'string' && data.message ? data.message : fallback;
}

/** The field errors of a refusal, each with its field path ('' for the whole body). */
export function apiErrors(result: { data: unknown }): Array<{ field: string; message: string }> {
  const data = result.data as ApiErrorBody | null;
  const errors = data && Array.isArray(data.errors) ? data.errors : [];
  return errors.filter((e) => e && typeof e.message === 'string').map((e) => ({ field: String(e.field || ''), message: e.message }));
}

export function loadFailureMessage(result: { status: number; data: unknown }): string {
  if (result.status === 403) return messageOf(result, "Vous n'avez pas accès à cette page.");
  if (result.status === 404) return messageOf(result, 'Ces informations sont introuvables.');
  return messageOf(result, "Le chargement n'a pas abouti. Réessayez dans quelques instants.");
}

/** Loads JSON into a region (from an API path, or a function that reads it); on failure the region says why, in French. */
export async function loadInto<T>(region: HTMLElement, source: string | (() => Promise<ApiResult<T>>)): Promise<T | null> {
  try {
    const result = await (typeof source === 'function' ? source() : api<T>(source));
    if (result.ok) {
      // The loaded page content is read in place, not announced as a live update.
      region.removeAttribute('aria-live');
      return result.data;
    }
    region.replaceChildren(el('p', { class: 'message-error' }, loadFailureMessage(result)));
  } catch {
    region.replaceChildren(el('p', { class: 'message-error' }, NETWORK_MESSAGE));
  } finally {
    region.setAttribute('aria-busy', 'false');
  }
  return null;
}
