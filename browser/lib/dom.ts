/** Building the page from data: text only ever goes in as text nodes, never as HTML. */

const dateTimeFormat = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'long', timeStyle: 'short' });
// Calendar dates (birth dates) carry no time zone: format them as they are written.
const plainDateFormat = new Intl.DateTimeFormat('fr-FR', { timeZone: 'UTC', dateStyle: 'long' });

export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : dateTimeFormat.format(date);
}

export function formatPlainDate(ymd: string): string {
  const date = new Date(`${ymd}T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? String(ymd) : plainDateFormat.format(date);
}

/** Age in whole years on `today` of a person born on `ymd` (YYYY-MM-DD). */
export function ageOn(ymd: string, today: Date): number {
  const [year, month, day] = String(ymd).split('-').map(Number);
  let age = today.getFullYear() - year;
  const current = today.getMonth() + 1;
  if (current < month || (current === month && today.getDate() < day)) age -= 1;
  return age;
}

export function plural(count: number, one: string, many: string): string {
  return `${count} ${count > 1 ? many : one}`;
}

/** What `el` accepts as a child: falsy values are skipped, strings and numbers become text. */
export type Child = Node | string | number | null | undefined | false | Child[];
export type Attributes = Record<string, string | number | boolean | null | undefined>;

/** Builds an element; strings become text nodes, falsy children are skipped. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attributes?: Attributes, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = String(value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

function append(node: Node, children: Child[]): void {
  for (const child of children) {
    if (Array.isArray(child)) append(node, child);
    else if (child === undefined || child === null || child === false || child === '') continue;
    else node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** A definition list of the rows that have a value. */
export function facts(rows: Array<[string, Child]>): HTMLDListElement {
  const list = el('dl', { class: 'facts' });
  for (const [term, value] of rows) {
    if (value === undefined || value === null || value === '') continue;
    list.append(el('dt', {}, term), el('dd', {}, value));
  }
  return list;
}

/** The element of the page's shell with this id; the shell always has it (shared/pages). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} is missing from the page`);
  return node as T;
}

export function timeNode(iso: string | undefined): Child {
  return iso ? el('time', { datetime: iso }, formatDateTime(iso)) : '—';
}
