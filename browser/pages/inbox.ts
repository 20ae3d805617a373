// Staff: every waiting step, whatever its kind, oldest first, a page at a time; the filters live in the URL.
import { loadInto } from '../lib/api.js';
import { ageOn, byId, el, facts, formatDateTime, formatPlainDate, plural, type Child } from '../lib/dom.js';
import { startPage } from '../lib/page.js';
import { fetchListPage, loadMoreButton, type ListPage } from '../lib/paging.js';
import { duplicateText, eligibilityNode, personName, prescriberText } from '../lib/people.js';
import type { InboxItem } from '../lib/views.js';

const INBOX_FILTERS = ['kind', 'programme'] as const;
type Filters = Partial<Record<(typeof INBOX_FILTERS)[number], string>>;

/** The filters in the page's URL that the form offers; anything else is dropped, never sent. */
function readInboxFilters(form: HTMLFormElement): Filters {
  const params = new URLSearchParams(location.search);
  const filters: Filters = {};
  for (const name of INBOX_FILTERS) {
    const select = form.elements.namedItem(name) as HTMLSelectElement;
    const value = params.get(name) ?? '';
    const offered = Array.from(select.options).some((option) => option.value === value);
    select.value = offered ? value : '';
    if (offered && value) filters[name] = value;
  }
  return filters;
}

function inboxPath(filters: Filters, cursor?: string): string {
  const params = new URLSearchParams(filters as Record<string, string>);
  if (cursor) params.set('cursor', cursor);
  const query = params.toString();
  return `/api/staff/inbox${query ? `?${query}` : ''}`;
}

function approvalLink(item: InboxItem, text: string, name: string): HTMLElement {
  return el('a', { class: 'button', href: `/equipe/decisions/${encodeURIComponent(item.approvalId)}` }, text, el('span', { class: 'visually-hidden' }, ` : ${name}`));
}

function historyLink(personId: string | undefined, name: string): HTMLElement | null {
  return personId ? el('a', { href: `/equipe/personnes/${encodeURIComponent(personId)}` }, 'Historique', el('span', { class: 'visually-hidden' }, ` de ${name}`)) : null;
}

/**
 * One card of the inbox, whatever its kind: the name as its heading, a line of badges and dates, the facts, and the
 * links to act.
 */
function card(item: InboxItem, name: string, parts: { cardClass?: string; meta: Child[]; facts: Array<[string, Child]>; actions: Child[] }): HTMLLIElement {
  return el('li', { class: parts.cardClass ?? 'card', 'data-approval-id': item.approvalId, 'data-kind': item.kind },
    el('article', { 'aria-labelledby': `item-${item.approvalId}` },
      el('h2', { id: `item-${item.approvalId}` }, name),
      el('p', { class: 'meta' }, ...parts.meta),
      facts(parts.facts),
      el('p', { class: 'item-actions' }, ...parts.actions)));
}

/** The badges of a decision to take: its kind, its phase and how long it has waited. */
function kindPhaseAndAge(item: InboxItem): Child[] {
  return [
    el('span', { class: 'badge badge-kind' }, item.kindLabel),
    el('span', { class: `badge badge-${item.phase}` }, item.phaseLabel),
    el('span', { class: 'age' }, item.ageLabel),
  ];
}

function referralCard(item: InboxItem, today: Date): HTMLLIElement {
  const person = item.youngPerson;
  const name = person ? personName(person) : item.kindLabel;
  return card(item, name, {
    meta: [...kindPhaseAndAge(item), item.createdAt ? el('span', {}, 'Reçue le ', el('time', { datetime: item.createdAt }, formatDateTime(item.createdAt))) : null],
    facts: [
      ['Programme', item.programmeLabel],
      ['Naissance', person ? `${formatPlainDate(person.birthDate)} (${ageOn(person.birthDate, today)} ans)` : ''],
      ['Commune', person ? person.town + (person.qpv ? ' · quartier prioritaire (QPV)' : '') : ''],
      ['Prescripteur', prescriberText(item.prescriber)],
      ['Éligibilité', item.eligibility ? eligibilityNode(item.eligibility) : ''],
      ['Doublons', item.duplicate ? duplicateText(item.duplicate) : ''],
    ],
    actions: [approvalLink(item, 'Examiner et décider', name), historyLink(item.personId, name)],
  });
}

/** A path stopped on a step that failed after its retries: what failed, why in French, and the way to act. */
function incidentCard(item: InboxItem): HTMLLIElement {
  const person = item.youngPerson;
  const name = person ? personName(person) : "Parcours à l'arrêt";
  return card(item, name, {
    cardClass: 'card card-incident',
    meta: [
      el('span', { class: 'badge badge-kind-incident' }, item.kindLabel),
      el('span', { class: 'age' }, item.ageLabel),
      el('span', {}, 'En échec depuis le ', el('time', { datetime: item.since }, formatDateTime(item.since))),
    ],
    facts: [
      ['Étape', item.incident?.step],
      ["Ce qui s'est passé", item.incident?.explanation],
      ['Programme', item.programmeLabel],
      ['Orientation', item.reference],
      ['Prescripteur', prescriberText(item.prescriber)],
    ],
    actions: [approvalLink(item, 'Relancer ou clôturer', name), historyLink(item.personId, name)],
  });
}

/** A launch file to approve: the activity's page shows the file and takes the decision. */
function launchCard(item: InboxItem): HTMLLIElement {
  const activity = item.activity!;
  const name = activity.name;
  return card(item, name, {
    meta: kindPhaseAndAge(item),
    facts: [
      ['Forme', activity.shapeLabel],
      ['Programme', item.programmeLabel],
      ['Titulaire', item.youngPerson ? personName(item.youngPerson) : ''],
    ],
    actions: [
      el('a', { class: 'button', href: `/equipe/activites/${encodeURIComponent(activity.activityId)}` }, 'Examiner le dossier', el('span', { class: 'visually-hidden' }, ` : ${name}`)),
      historyLink(item.youngPerson ? item.personId : undefined, name),
    ],
  });
}

function inboxCard(item: InboxItem, today: Date): HTMLLIElement {
  if (item.kind === 'activity-launch' && item.activity) return launchCard(item);
  return item.kind === 'incident' ? incidentCard(item) : referralCard(item, today);
}

startPage(async () => {
  const region = byId('inbox');
  const form = byId<HTMLFormElement>('inbox-filters');
  const filters = readInboxFilters(form);
  // A new URL rather than a live update: a link, a bookmark or the back button keep the filters.
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    for (const name of INBOX_FILTERS) {
      const value = (form.elements.namedItem(name) as HTMLSelectElement).value;
      if (value) params.set(name, value);
    }
    const query = params.toString();
    location.assign(`/equipe${query ? `?${query}` : ''}`);
  });

  const pathFor = (cursor?: string) => inboxPath(filters, cursor);
  const data = await loadInto(region, () => fetchListPage<InboxItem>(pathFor));
  if (!data) return;
  const items = data.items ?? [];
  const filtered = Object.keys(filters).length > 0;
  if (!items.length) {
    region.replaceChildren(filtered
      ? el('p', {}, 'Aucune demande en attente ne correspond à ces filtres. ', el('a', { href: '/equipe' }, 'Voir toutes les demandes'))
      : el('p', {}, "Aucune demande en attente : rien n'attend l'équipe."));
    return;
  }
  const today = new Date();
  const count = el('p', { id: 'inbox-count' });
  const list = el('ul', { class: 'item-list' });
  let shown = 0;
  const append = (page: InboxItem[], more: boolean): HTMLElement => {
    const cards = page.map((item) => inboxCard(item, today));
    list.append(...cards);
    shown += page.length;
    count.textContent = more
      ? `${plural(shown, 'demande affichée', 'demandes affichées')}, d'autres suivent`
      : plural(shown, 'demande en attente', 'demandes en attente');
    return cards.length ? cards[0].querySelector('h2')! : count;
  };
  append(items, Boolean(data.cursor));
  const more = loadMoreButton<ListPage<InboxItem>>(inboxPath(filters), 'cursor', data.cursor, (page) => {
    const focusTarget = append(page.items ?? [], Boolean(page.cursor));
    focusTarget.setAttribute('tabindex', '-1');
    focusTarget.focus();
    return page.cursor;
  });
  region.replaceChildren(...[count, list, more].filter((node) => node !== null));
});
