// Staff: "doublons possibles": the two records side by side, and the answer (same person, or two people).
import { NETWORK_MESSAGE, api, loadInto, messageOf } from '../lib/api.js';
import { byId, el, facts, formatDateTime, formatPlainDate, plural } from '../lib/dom.js';
import { startPage } from '../lib/page.js';
import { loadMoreButton, moreText, type ListPage } from '../lib/paging.js';
import { personLink, personName } from '../lib/people.js';
import type { PossibleDuplicateItem } from '../lib/views.js';

type Side = PossibleDuplicateItem['newPerson'];

function duplicateSide(title: string, person: Side): HTMLElement {
  const known = 'firstName' in person ? person : undefined;
  return el('section', { class: 'panel', 'aria-label': title },
    el('h3', {}, `${title} : `, personLink(person.personId, known?.firstName ? personName(known) : '')),
    facts([
      ['Naissance', known?.birthDate ? formatPlainDate(known.birthDate) : ''],
      ['E-mail', known?.email || ''],
      ['Mobile', known?.phone || ''],
      ['Commune', known?.town || ''],
      ['Dossier créé le', known?.createdAt ? formatDateTime(known.createdAt) : ''],
    ]));
}

const DUPLICATE_ANSWERS = [
  { decision: 'same-person', label: 'Même personne : réunir les dossiers', done: 'Dossiers réunis.' },
  { decision: 'different-people', label: 'Personnes différentes', done: 'Dossiers gardés séparés.' },
] as const;

startPage(async () => {
  const region = byId('duplicates');
  const status = byId('duplicates-status');
  const say = (message: string, tone: 'success' | 'warning') => {
    const node = el('p', { class: `panel panel-${tone}`, tabindex: '-1' }, message);
    status.replaceChildren(node);
    node.focus();
  };
  const card = (item: PossibleDuplicateItem) => {
    const newPerson = 'firstName' in item.newPerson ? item.newPerson : undefined;
    const name = newPerson?.firstName ? personName(newPerson) : '';
    const buttons: HTMLButtonElement[] = DUPLICATE_ANSWERS.map((answer) => {
      const button = el('button', { type: 'button', class: answer.decision === 'same-person' ? 'button' : 'button button-secondary', 'data-decision': answer.decision },
        answer.label, el('span', { class: 'visually-hidden' }, ` : ${name}`));
      button.addEventListener('click', async () => {
        for (const b of buttons) b.disabled = true;
        try {
          const result = await api(`/api/staff/duplicates/${encodeURIComponent(item.duplicateId)}/decision`, { method: 'POST', json: { decision: answer.decision } });
          if (result.ok) say(answer.done, 'success');
          else say(messageOf(result, "La réponse n'a pas été enregistrée. Réessayez dans quelques instants."), 'warning');
          if (result.ok || result.status === 404 || result.status === 409) await load();
        } catch {
          say(NETWORK_MESSAGE, 'warning');
        } finally {
          for (const b of buttons) if (b.isConnected) b.disabled = false;
        }
      });
      return button;
    });
    const referral = item.referral;
    return el('li', { class: 'card', 'data-duplicate-id': item.duplicateId },
      el('article', { 'aria-labelledby': `duplicate-${item.duplicateId}` },
        el('h2', { id: `duplicate-${item.duplicateId}` }, name || 'Doublon possible'),
        el('p', { class: 'meta' },
          el('span', { class: 'badge badge-check' }, (item.matchedByLabels ?? []).join(', ')),
          referral ? el('span', {}, `Orientation ${referral.reference} de ${referral.organisationName}, reçue le `, el('time', { datetime: referral.createdAt }, formatDateTime(referral.createdAt))) : null),
        duplicateSide('Nouveau dossier', item.newPerson),
        duplicateSide('Dossier déjà suivi', item.knownPerson),
        el('p', { class: 'item-actions' }, buttons)));
  };
  const render = (data: ListPage<PossibleDuplicateItem>) => {
    const items = data.items ?? [];
    if (!items.length) {
      region.replaceChildren(el('p', {}, 'Aucun doublon possible à examiner.'));
      return;
    }
    let count = items.length;
    const counter = (more: boolean) => `${plural(count, 'doublon possible', 'doublons possibles')}, du plus ancien au plus récent${moreText(more)}`;
    const summary = el('p', {}, counter(Boolean(data.cursor)));
    const list = el('ul', { class: 'item-list' }, items.map(card));
    const more = loadMoreButton<ListPage<PossibleDuplicateItem>>('/api/staff/duplicates', 'cursor', data.cursor, (page) => {
      const next = page.items ?? [];
      list.append(...next.map(card));
      count += next.length;
      summary.textContent = counter(Boolean(page.cursor));
      return page.cursor;
    });
    region.replaceChildren(...[summary, list, more].filter((node) => node !== null));
  };
  const load = async () => {
    region.setAttribute('aria-busy', 'true');
    const data = await loadInto<ListPage<PossibleDuplicateItem>>(region, '/api/staff/duplicates');
    if (data) render(data);
  };
  await load();
});
