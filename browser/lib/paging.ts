/** Listings read a page at a time (`{ items, cursor }`), shown with an "Afficher plus" button. */
import { NETWORK_MESSAGE, api, loadFailureMessage, type ApiResult } from './api.js';
import { el, type Attributes, type Child } from './dom.js';
import { setBusy } from './forms.js';

/** One page of a listing as the API answers it. */
export interface ListPage<T> {
  items: T[];
  cursor?: string;
}

/**
 * Reads the page after cursor. A filtered listing can answer an empty page with a cursor (the table is read a
 * page at a time, then filtered): read on, a few pages at most, so that "nothing" shown means nothing found.
 */
export async function fetchListPage<T>(pathFor: (cursor?: string) => string, cursor?: string): Promise<ApiResult<ListPage<T>>> {
  let result = await api<ListPage<T>>(pathFor(cursor));
  for (let round = 1; round < 10 && result.ok && result.data && !(result.data.items ?? []).length && result.data.cursor; round++) {
    result = await api<ListPage<T>>(pathFor(result.data.cursor));
  }
  return result;
}

/**
 * The "Afficher plus" button under a paged list, or null when there is no next page. A click loads 'path' with the
 * cursor as the query parameter 'param' (reading on past pages a filter emptied) and hands the answer to 'append',
 * which adds its items, may move the focus to the first new one, and returns the next cursor. After the last page
 * the button gives way to a focused note, so keyboard focus is not lost; a failure is said and the button stays.
 */
export function loadMoreButton<P>(path: string, param: string, cursor: string | undefined, append: (page: P) => string | undefined): HTMLElement | null {
  if (!cursor) return null;
  let next = cursor;
  const button = el('button', { type: 'button', class: 'button button-secondary' }, 'Afficher plus');
  const status = el('p', { role: 'status', tabindex: '-1' });
  const pathFor = (c?: string) => `${path}${path.includes('?') ? '&' : '?'}${param}=${encodeURIComponent(c ?? '')}`;
  button.addEventListener('click', async () => {
    if (button.disabled) return;
    setBusy(button, true, 'Chargement…');
    status.textContent = '';
    try {
      const result = param === 'cursor' ? ((await fetchListPage(pathFor, next)) as ApiResult<P>) : await api<P>(pathFor(next));
      if (!result.ok) {
        status.textContent = loadFailureMessage(result);
        return;
      }
      const after = append(result.data ?? ({} as P));
      if (after) {
        next = after;
        return;
      }
      button.remove();
      status.textContent = 'Tout est affiché.';
      if (!status.contains(document.activeElement) && document.activeElement === document.body) status.focus();
    } catch {
      status.textContent = NETWORK_MESSAGE;
    } finally {
      if (button.isConnected) setBusy(button, false);
    }
  });
  return el('div', { class: 'load-more' }, button, status);
}

/** A table row: its cells, with optional attributes on the row and a class per cell. */
export interface Row {
  attributes?: Attributes;
  classes?: Array<string | null>;
  cells: Child[];
}

/** A table whose cells carry their column name (read by the stacked layout on phones). */
export function dataTable(className: string | undefined, caption: string, headers: string[], rows: Row[]): HTMLTableElement {
  return el('table', { class: className },
    el('caption', {}, caption),
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows.map((row) => dataRow(row, headers))));
}

export function dataRow(row: Row, headers: string[]): HTMLTableRowElement {
  return el('tr', row.attributes, row.cells.map((cell, i) => el('td', { 'data-label': headers[i], class: row.classes?.[i] }, cell)));
}

export function moreText(more: boolean): string {
  return more ? " (d'autres suivent)" : '';
}

export interface PagedTable<T, K extends string, C extends string> {
  className?: string;
  headers: string[];
  /** Words the caption from the rows shown and whether more follow. */
  caption: (count: number, more: boolean) => string;
  toRow: (item: T) => Row;
  items: T[];
  cursor: string | undefined;
  /** The listing's path, its items' key in the answer and the query parameter (and answer key) of its cursor. */
  path: string;
  key: K;
  param: C;
}

/**
 * A paged list's table (see dataTable) and its "Afficher plus": the next pages' items (under 'key' in the answer,
 * their cursor under 'param') become rows at the end, in the API's order.
 */
export function pagedTable<T, K extends string, C extends string>(list: PagedTable<T, K, C>): [HTMLTableElement, HTMLElement | null] {
  const table = dataTable(list.className, '', list.headers, list.items.map(list.toRow));
  const caption = table.querySelector('caption')!;
  let count = list.items.length;
  caption.textContent = list.caption(count, Boolean(list.cursor));
  const more = loadMoreButton<Partial<Record<K, T[]> & Record<C, string>>>(list.path, list.param, list.cursor, (data) => {
    const items = data[list.key] ?? [];
    table.tBodies[0].append(...items.map((item) => dataRow(list.toRow(item), list.headers)));
    count += items.length;
    caption.textContent = list.caption(count, Boolean(data[list.param]));
    return data[list.param];
  });
  return [table, more];
}
