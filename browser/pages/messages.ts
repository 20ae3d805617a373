/*
 * Staff: contacts whose messages no longer arrive (fixed here, the missed messages sent again), the opt-outs, and
 * the messages not delivered in the last 30 days; one call fills the three lists, each then pages on its own.
 */
import { NETWORK_MESSAGE, api, apiErrors, loadInto, messageOf } from '../lib/api.js';
import { byId, el, plural, timeNode, type Child } from '../lib/dom.js';
import { setBusy, setDescribedBy } from '../lib/forms.js';
import { startPage } from '../lib/page.js';
import { moreText, pagedTable } from '../lib/paging.js';
import { MESSAGE_KIND_LABELS, MESSAGE_ROLE_LABELS, MESSAGE_STATUS_LABELS, channelText, personLink } from '../lib/people.js';
import type { ContactFixAnswer, ContactIssueItem, MessagesView, UndeliveredMessageItem } from '../lib/views.js';

const MESSAGES_PATH = '/api/staff/messages';

type Tone = 'success' | 'warning';
type OnFixed = (message: string, tone: Tone) => Promise<void>;

function messagesSection(id: string, title: string, content: Child): HTMLElement {
  return el('section', { id, 'aria-labelledby': `${id}-title` }, el('h2', { id: `${id}-title`, tabindex: '-1' }, title), content);
}

/** Says the outcome in the live region; focus moves there only when asked (the control is gone). */
function setMessagesStatus(message: string | null, tone: Tone = 'success', focus = false): HTMLElement | null {
  const status = byId('messages-status');
  if (!message) {
    status.replaceChildren();
    return null;
  }
  const node = el('p', { class: `panel panel-${tone}`, tabindex: '-1' }, message);
  status.replaceChildren(node);
  if (focus) node.focus();
  return node;
}

/**
 * Who a row's message was for: a young person, linked to their timeline; a customer (the invoice's), named with the
 * activity, with a link to the activity's customers where their e-mail is corrected and one to the invoice; an owner
 * no record holds, named without a link (there is no page to go to).
 */
function ownerCell(item: { personId?: string; personName?: string; owner?: UndeliveredMessageItem['owner'] }): Child {
  const owner = item.owner;
  if (owner?.kind === 'unknown') return item.personName || '—';
  if (owner?.kind !== 'customer') return personLink(item.personId, item.personName);
  // The customer's form, which leads back to the invoice to send it again once saved.
  const fixHref = `/equipe/activites/${encodeURIComponent(owner.activityId)}/facturation?client=${encodeURIComponent(owner.customerId)}&facture=${encodeURIComponent(owner.invoiceId)}`;
  return el('div', { class: 'message-owner' },
    el('p', {}, item.personName || `Client : ${owner.customerName}`),
    el('p', { class: 'hint' },
      el('a', { href: fixHref }, "Corriger l'e-mail du client", el('span', { class: 'visually-hidden' }, ` ${owner.customerName}`)),
      ' · ',
      el('a', { href: `/equipe/factures/${encodeURIComponent(owner.invoiceId)}` }, owner.invoiceLabel)));
}

/**
 * A customer's address is corrected on the customer's form (the owner cell links there), then the invoice is sent again
 * from its page ("Renvoyer la facture"), which takes the row off this list.
 */
function customerFix(issue: ContactIssueItem): Child {
  const owner = issue.owner;
  if (owner?.kind !== 'customer') return '—';
  const href = `/equipe/factures/${encodeURIComponent(owner.invoiceId)}`;
  // Only an invoice is sent again so; a credit note's row leads to it.
  if (!owner.invoiceLabel.startsWith('Facture')) return el('a', { href }, owner.invoiceLabel);
  return el('p', { class: 'hint' }, "Corrigez l'e-mail du client, puis renvoyez la facture : ", el('a', { href }, `Renvoyer la ${owner.invoiceLabel.replace(/^Facture/, 'facture')}`));
}

function fixForm(issue: ContactIssueItem, onFixed: OnFixed): HTMLFormElement {
  const inputId = `fix-${issue.issueId}`;
  const errorId = `${inputId}-error`;
  const sms = issue.channel === 'sms';
  const input = el('input', {
    type: sms ? 'tel' : 'email',
    id: inputId,
    name: 'value',
    autocomplete: 'off',
    spellcheck: 'false',
    maxlength: sms ? '30' : '254',
    required: true,
  });
  const error = el('p', { class: 'field-error', id: errorId, hidden: true });
  const who = `${issue.personName || ''} (${issue.roleLabel || ''})`;
  const button = el('button', { type: 'submit', class: 'button' }, 'Corriger et renvoyer', el('span', { class: 'visually-hidden' }, ` : ${who}`));
  const field = el('div', { class: 'field' },
    el('label', { for: inputId }, sms ? 'Nouveau numéro de mobile' : 'Nouvelle adresse e-mail',
      el('span', { class: 'visually-hidden' }, ` pour ${who}, à la place de ${issue.address || ''}`)),
    error,
    input);
  const form = el('form', { class: 'fix-form', novalidate: true }, field, button);

  const clear = () => {
    error.hidden = true;
    error.textContent = '';
    field.classList.remove('field-invalid');
    input.removeAttribute('aria-invalid');
    setDescribedBy(input, errorId, false);
  };
  const fail = (message: string) => {
    error.textContent = message;
    error.hidden = false;
    field.classList.add('field-invalid');
    input.setAttribute('aria-invalid', 'true');
    setDescribedBy(input, errorId, true);
    input.focus();
  };

  let sending = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (sending) return;
    clear();
    const value = input.value.trim();
    if (!value) {
      fail(sms ? 'Indiquez le nouveau numéro de mobile.' : 'Indiquez la nouvelle adresse e-mail.');
      return;
    }
    sending = true;
    setBusy(button, true, 'Correction en cours…');
    setMessagesStatus(null);
    try {
      const path = `/api/people/${encodeURIComponent(issue.personId)}/contact-issues/${encodeURIComponent(issue.issueId)}/fix`;
      const result = await api<ContactFixAnswer>(path, { method: 'POST', json: { value } });
      if (result.ok) {
        const resent = Number(result.data?.resent) || 0;
        await onFixed(result.data?.alreadyFixed ? 'Ce contact était déjà corrigé.' : `Contact corrigé : ${resent} message(s) renvoyé(s).`, 'success');
      } else if (result.status === 400 || result.status === 422) {
        const errors = apiErrors(result);
        const own = errors.filter((e) => e.field === 'value' || e.field === '');
        const messages = (own.length ? own : errors).map((e) => e.message);
        fail(messages.length ? messages.join(' ') : messageOf(result, sms ? "Ce numéro de mobile n'est pas valide." : "Cette adresse e-mail n'est pas valide."));
      } else if (result.status === 404 || result.status === 409) {
        // Someone else fixed it, or the person is gone: the refreshed lists show where things stand.
        await onFixed(messageOf(result, 'Ce contact a déjà été traité.'), 'warning');
      } else {
        setMessagesStatus(messageOf(result, "La correction n'a pas abouti. Réessayez dans quelques instants."), 'warning', true);
      }
    } catch {
      setMessagesStatus(NETWORK_MESSAGE, 'warning', true);
    } finally {
      sending = false;
      if (button.isConnected) setBusy(button, false);
    }
  });
  return form;
}

function contactsToFix(data: MessagesView, onFixed: OnFixed): Child {
  const items = data.toFix ?? [];
  if (!items.length) return el('p', {}, 'Aucun contact à corriger.');
  return pagedTable({
    className: 'table-wide contacts-to-fix',
    headers: ['Personne', 'Destinataire', 'Canal', 'Adresse ou numéro en échec', 'Motif', 'Dernier échec', 'Messages non remis', 'Correction'],
    caption: (count, more) => `${plural(count, 'contact à corriger', 'contacts à corriger')}, du plus récent échec au plus ancien${moreText(more)}`,
    toRow: (issue: ContactIssueItem) => ({
      attributes: { 'data-issue-id': issue.issueId },
      classes: [null, null, null, 'provider-id', null],
      cells: [
        ownerCell(issue),
        issue.roleLabel || MESSAGE_ROLE_LABELS[issue.role] || issue.role,
        channelText(issue),
        issue.address,
        issue.reasonLabel || issue.reason || '—',
        timeNode(issue.lastFailedAt),
        String(issue.failedMessages),
        issue.role === 'customer' ? customerFix(issue) : fixForm(issue, onFixed),
      ],
    }),
    items,
    cursor: data.toFixCursor,
    path: MESSAGES_PATH,
    key: 'toFix',
    param: 'toFixCursor',
  });
}

function optOutsTable(data: MessagesView): Child {
  const items = data.optOuts ?? [];
  if (!items.length) return el('p', {}, 'Aucune désinscription.');
  return pagedTable({
    className: 'table-wide opt-outs',
    headers: ['Canal', 'Adresse ou numéro', 'Personne ou client', 'Motif', 'Date'],
    caption: (count, more) => `${plural(count, 'désinscription', 'désinscriptions')}, de la plus récente à la plus ancienne${moreText(more)}`,
    toRow: (item) => ({
      attributes: {},
      classes: [null, 'provider-id'],
      cells: [channelText(item), item.address, ownerCell(item), item.reasonLabel || item.reason, timeNode(item.at)],
    }),
    items,
    cursor: data.optOutsCursor,
    path: MESSAGES_PATH,
    key: 'optOuts',
    param: 'optOutsCursor',
  });
}

function failedMessagesTable(data: MessagesView): Child {
  const items = data.failed ?? [];
  if (!items.length) return el('p', {}, 'Aucun message non remis ces 30 derniers jours.');
  return pagedTable({
    className: 'table-wide failed-messages',
    headers: ['Date', 'Personne ou client', 'Message', 'Destinataire', 'Canal', 'Adresse ou numéro', 'Statut', 'Motif'],
    caption: (count, more) => `${plural(count, 'message non remis', 'messages non remis')}, du plus récent au plus ancien${moreText(more)}`,
    toRow: (m) => ({
      attributes: { 'data-notification-id': m.notificationId, 'data-status': m.status },
      classes: [null, null, null, null, null, 'provider-id', null, null],
      cells: [
        timeNode(m.statusAt),
        ownerCell(m),
        MESSAGE_KIND_LABELS[m.kind] || m.kind,
        m.roleLabel || MESSAGE_ROLE_LABELS[m.role] || m.role,
        channelText(m),
        m.to,
        m.resentAt
          ? el('span', {}, m.statusLabel || MESSAGE_STATUS_LABELS[m.status] || m.status, el('span', { class: 'hint message-resent' }, ` · facture renvoyée à ${m.resentTo ?? ''} le `, timeNode(m.resentAt)))
          : m.statusLabel || MESSAGE_STATUS_LABELS[m.status] || m.status,
        m.statusReasonLabel || m.statusReason || '—',
      ],
    }),
    items,
    cursor: data.failedCursor,
    path: MESSAGES_PATH,
    key: 'failed',
    param: 'failedCursor',
  });
}

startPage(async () => {
  const region = byId('messages');
  const render = (data: MessagesView) => {
    region.replaceChildren(
      messagesSection('contacts-to-fix', 'Contacts à corriger', contactsToFix(data, onFixed)),
      messagesSection('opt-outs', 'Désinscriptions', optOutsTable(data)),
      messagesSection('failed-messages', 'Messages non remis (30 derniers jours)', failedMessagesTable(data)));
  };
  const load = async () => {
    region.setAttribute('aria-busy', 'true');
    const data = await loadInto<MessagesView>(region, MESSAGES_PATH);
    if (data) render(data);
    return Boolean(data);
  };
  // After a fix the row is gone with its button: the focus goes to the message that says what happened.
  async function onFixed(message: string, tone: Tone): Promise<void> {
    const node = setMessagesStatus(message, tone);
    await load();
    if (node?.isConnected) node.focus();
  }
  await load();
});
