// Staff: a young person's history: contact details, referrals, every transition, every message.
import { loadInto } from '../lib/api.js';
import { byId, el, facts, formatDateTime, formatPlainDate, type Child } from '../lib/dom.js';
import { startPage } from '../lib/page.js';
import { MESSAGE_KIND_LABELS, MESSAGE_ROLE_LABELS, MESSAGE_STATUS_LABELS, personName } from '../lib/people.js';
import type { TimelineView } from '../lib/views.js';

type TimelineEvent = TimelineView['events'][number];
type OptOutView = TimelineView['person']['optOuts']['email'];

function actorText(actor: TimelineEvent['actor'] | undefined): string {
  if (!actor || actor.kind === 'system') return 'Automatique';
  const role = actor.kind === 'staff' ? 'équipe' : 'prescripteur';
  return `Par ${actor.name ? `${actor.name} (${role})` : actor.kind === 'staff' ? "l'équipe" : 'le prescripteur'}`;
}

/** An address, with its opt-out when there is one: "06… — désinscrit : Réponse STOP au SMS (le …), plus de SMS". */
function contactFact(address: string | undefined, optOut: OptOutView, consequence: string): Child {
  if (!optOut) return address;
  return `${address ?? ''} — désinscrit : ${optOut.reasonLabel} (${formatDateTime(optOut.at)}), ${consequence}`;
}

/** Every message sent about the person: to whom, how, when, and what became of it. */
function messagesTable(messages: TimelineView['notifications']): HTMLElement {
  if (!messages.length) return el('p', {}, 'Aucun message.');
  const sorted = messages.slice().sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
  return el('table', { class: 'messages' },
    el('caption', { class: 'visually-hidden' }, 'Messages envoyés, du plus ancien au plus récent'),
    el('thead', {}, el('tr', {}, ['Créé le', 'Message', 'Destinataire', 'Canal', 'Statut', 'Envoyé le', 'Identifiant fournisseur'].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, sorted.map((m) => el('tr', { 'data-status': m.status },
      el('td', {}, m.createdAt ? formatDateTime(m.createdAt) : ''),
      el('td', {}, MESSAGE_KIND_LABELS[m.kind] || m.kind),
      el('td', {}, MESSAGE_ROLE_LABELS[m.role] || m.role),
      el('td', {}, m.channel === 'sms' ? 'SMS' : 'E-mail'),
      el('td', {}, MESSAGE_STATUS_LABELS[m.status] || m.status),
      el('td', {}, m.sentAt ? formatDateTime(m.sentAt) : '—'),
      el('td', { class: 'provider-id' }, m.providerMessageId || '—')))));
}

startPage(async () => {
  const region = byId('timeline');
  const data = await loadInto<TimelineView>(region, `/api/people/${encodeURIComponent(document.body.dataset.personId ?? '')}/timeline`);
  if (!data) return;
  const person = data.person;
  byId('timeline-title').textContent = `Historique de ${personName(person)}`;
  document.title = `Historique de ${personName(person)} - CoopConnexion Parcours`;
  const events = (data.events ?? []).slice().sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const referrals = data.referrals ?? [];
  region.replaceChildren(
    el('section', { class: 'panel', 'aria-label': 'Coordonnées' },
      facts([
        ['Naissance', person.birthDate ? formatPlainDate(person.birthDate) : ''],
        ['E-mail', contactFact(person.email, person.optOuts?.email, "plus d'e-mails sauf obligatoires")],
        ['Mobile', contactFact(person.phone, person.optOuts?.sms, 'plus de SMS')],
        ['Commune', person.town],
      ])),
    el('h2', {}, 'Orientations'),
    referrals.length
      ? el('ul', {}, referrals.map((r) => el('li', {},
          [r.programmeLabel, r.statusLabel, r.createdAt ? `orientation du ${formatDateTime(r.createdAt)}` : ''].filter(Boolean).join(' · '))))
      : el('p', {}, 'Aucune orientation.'),
    el('h2', {}, 'Chronologie'),
    events.length
      ? el('ol', { class: 'timeline' }, events.map((event) => el('li', {},
          el('time', { datetime: event.at }, formatDateTime(event.at)),
          el('p', {}, el('strong', {}, event.label)),
          el('p', {}, actorText(event.actor)),
          event.reason ? el('p', {}, `Motif : ${event.reason}`) : null)))
      : el('p', {}, 'Aucun événement enregistré.'),
    el('h2', {}, 'Messages'),
    messagesTable(data.notifications ?? []));
});
