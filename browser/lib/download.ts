/** Files the API answers itself (the flyer PDF): fetched with the caller's credentials, then saved by the browser. */
import { NETWORK_MESSAGE, type ApiErrorBody } from './api.js';

export type DownloadResult = { ok: true } | { ok: false; status: number; data: ApiErrorBody | null };

/**
 * GETs `path` with these headers (a personal link or an ID token: a plain link could carry neither) and saves the
 * answer under `fileName`; a refusal comes back with the API's French message.
 */
export async function downloadFile(path: string, headers: Record<string, string>, fileName: string): Promise<DownloadResult> {
  let response: Response;
  try {
    response = await fetch(path, { headers });
  } catch {
    return { ok: false, status: 0, data: { message: NETWORK_MESSAGE } };
  }
  if (!response.ok) {
    const data = (await response.json().catch(() => null)) as ApiErrorBody | null;
    return { ok: false, status: response.status, data };
  }
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The browser reads the object URL after the click returns: released a minute later, not at once.
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return { ok: true };
}

/** A file name from an activity's name: "plaquette-les-jardins-de-zoe.pdf". */
export function flyerFileName(name: string): string {
  const slug = name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return `plaquette-${slug || 'activite'}.pdf`;
}
