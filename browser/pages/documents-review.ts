/*
 * Staff: "Pièces à vérifier". The documents young people sent, oldest first, a page at a time: staff open the
 * file (a presigned download valid one minute, asked for at the click), then accept it or reject it with a reason
 * from the list and an optional message. Of two reviewers the first wins: the second reads who decided (409).
 */
import { NETWORK_MESSAGE, api, loadInto, messageOf } from '../lib/api.js';
import { byId, el, facts, formatDateTime, formatPlainDate, plural } from '../lib/dom.js';
import { setBusy } from '../lib/forms.js';
import { startPage } from '../lib/page.js';
import { loadMoreButton, moreText } from '../lib/paging.js';
import { personLink, personName } from '../lib/people.js';
import type { DocumentFileView, DocumentToReviewItem, DocumentsToReviewView } from '../lib/views.js';

type Reasons = DocumentsToReviewView['rejectionReasons'];

const FILE_TYPE_LABELS: Record<string, string> = { 'application/pdf': 'PDF', 'image/jpeg': 'photo JPEG', 'image/png': 'image PNG' };

function sizeText(bytes: number | undefined): string {
  if (!bytes) return '';
  return bytes >= 1_000_000 ? `${(bytes / 1_000_000).toLocaleString('fr-FR', { maximumFractionDigits: 1 })} Mo` : `${Math.max(1, Math.round(bytes / 1000))} Ko`;
}

const documentPath = (item: DocumentToReviewItem) => `/api/staff/documents/${encodeURIComponent(item.referralId)}/${encodeURIComponent(item.docType)}`;

/** Asks for a fresh download link and follows it: the file comes as an attachment, the page stays. */
function openFileButton(item: DocumentToReviewItem, name: string, say: (text: string) => void): HTMLButtonElement {
  const button = el('button', { type: 'button', class: 'button button-secondary' }, 'Ouvrir le fichier', el('span', { class: 'visually-hidden' }, ` : ${item.label} de ${name}`));
  button.addEventListener('click', async () => {
    setBusy(button, true, 'Ouverture…');
    try {
      const result = await api<DocumentFileView>(`${documentPath(item)}/file`);
      if (result.ok) location.assign(result.data.url);
      else say(messageOf(result, "Le fichier n'a pas pu être ouvert. Réessayez dans quelques instants."));
    } catch {
      say(NETWORK_MESSAGE);
    } finally {
      setBusy(button, false);
    }
  });
  return button;
}

/** The review form of one document; its ids carry the document's, so that every card's fields stay apart. */
function reviewForm(item: DocumentToReviewItem, name: string, reasons: Reasons, done: (panel: HTMLElement) => void): HTMLFormElement {
  const prefix = `review-${item.referralId}-${item.docType}`;
  const choice = (value: string, label: string) =>
    el('div', { class: 'choice' },
      el('input', { type: 'radio', id: `${prefix}-${value}`, name: `${prefix}-outcome`, value }),
      el('label', { for: `${prefix}-${value}` }, label));
  const outcomeError = el('p', { class: 'field-error', id: `${prefix}-outcome-error`, hidden: true });
  const outcome = el('fieldset', { class: 'field group' },
    el('legend', {}, 'Votre vérification', el('span', { class: 'visually-hidden' }, ` : ${item.label} de ${name}`)),
    outcomeError,
    choice('accepted', 'Valider le document'),
    choice('rejected', 'Refuser le document'));
  const reasonError = el('p', { class: 'field-error', id: `${prefix}-reason-error`, hidden: true });
  const reason = el('select', { id: `${prefix}-reason`, name: 'reasonCode' },
    el('option', { value: '' }, 'Choisir un motif'),
    reasons.map((r) => el('option', { value: r.code }, r.label)));
  const message = el('textarea', { id: `${prefix}-message`, name: 'message', rows: 3, maxlength: 1000, 'aria-describedby': `${prefix}-message-hint` });
  const rejection = el('div', { hidden: true },
    el('div', { class: 'field' },
      el('label', { for: reason.id }, 'Motif du refus ', el('span', { class: 'required' }, '(obligatoire)')),
      reasonError,
      reason),
    el('div', { class: 'field' },
      el('label', { for: message.id }, 'Message au jeune ', el('span', { class: 'optional' }, '(facultatif)')),
      el('p', { class: 'hint', id: `${prefix}-message-hint` }, 'Envoyé au jeune avec le motif : dites ce qui manque ou comment refaire la photo.'),
      message));
  const status = el('p', { class: 'message-error', role: 'alert', hidden: true });
  const submit = el('button', { type: 'submit', class: 'button' }, 'Enregistrer', el('span', { class: 'visually-hidden' }, ` : ${item.label} de ${name}`));
  const form = el('form', { class: 'form review-form', novalidate: true, 'aria-label': `Vérifier : ${item.label} de ${name}` }, outcome, rejection, status, el('div', { class: 'actions' }, submit));
  const chosen = () => form.querySelector<HTMLInputElement>(`input[name="${prefix}-outcome"]:checked`)?.value ?? '';
  const fieldError = (slot: HTMLElement, control: HTMLElement, text: string) => {
    slot.textContent = text;
    slot.hidden = !text;
    if (text) {
      control.setAttribute('aria-invalid', 'true');
      control.setAttribute('aria-describedby', slot.id);
    } else {
      control.removeAttribute('aria-invalid');
      control.removeAttribute('aria-describedby');
    }
  };
  form.addEventListener('change', () => {
    rejection.hidden = chosen() !== 'rejected';
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    status.hidden = true;
    const outcomeValue = chosen();
    fieldError(outcomeError, outcome, outcomeValue ? '' : 'Choisissez de valider ou de refuser le document.');
    fieldError(reasonError, reason, outcomeValue === 'rejected' && !reason.value ? 'Choisissez le motif du refus.' : '');
    const invalid = form.querySelector<HTMLElement>('[aria-invalid="true"]');
    if (invalid) {
      (invalid.matches('fieldset') ? invalid.querySelector('input') : invalid)?.focus();
      return;
    }
    const body: Record<string, string> = { outcome: outcomeValue };
    if (outcomeValue === 'rejected') {
      body.reasonCode = reason.value;
      if (message.value.trim()) body.message = message.value.trim();
    }
    setBusy(submit, true, 'Enregistrement…');
    try {
      const result = await api(`${documentPath(item)}/review`, { method: 'POST', json: body });
      if (result.ok) {
        done(el('p', { class: 'panel panel-success', tabindex: '-1', 'data-review': outcomeValue },
          outcomeValue === 'accepted' ? `Document validé : ${item.label} de ${name}.` : `Document refusé : ${item.label} de ${name}. Le jeune reçoit le motif et son lien pour en envoyer un autre.`));
      } else if (result.status === 409 || result.status === 404) {
        // Another reviewer was first (or the file changed meanwhile): nothing is left to decide here.
        done(el('p', { class: 'panel panel-warning', tabindex: '-1', role: 'alert', 'data-review': 'conflict' },
          messageOf(result, 'Ce document a déjà été vérifié par quelqu\'un d\'autre.')));
      } else {
        status.textContent = messageOf(result, "La vérification n'a pas été enregistrée. Réessayez dans quelques instants.");
        status.hidden = false;
      }
    } catch {
      status.textContent = NETWORK_MESSAGE;
      status.hidden = false;
    } finally {
      if (submit.isConnected) setBusy(submit, false);
    }
  });
  return form;
}

function documentCard(item: DocumentToReviewItem, reasons: Reasons): HTMLLIElement {
  const name = item.youngPerson ? personName(item.youngPerson) : 'Jeune';
  const headingId = `doc-${item.referralId}-${item.docType}`;
  const notice = el('p', { class: 'message-error', role: 'alert', hidden: true });
  const say = (text: string) => {
    notice.textContent = text;
    notice.hidden = false;
  };
  const card: HTMLLIElement = el('li', { class: 'card', 'data-referral-id': item.referralId, 'data-doc-type': item.docType });
  const form = reviewForm(item, name, reasons, (panel) => {
    form.replaceWith(panel);
    panel.focus();
  });
  card.append(el('article', { 'aria-labelledby': headingId },
    el('h2', { id: headingId }, `${item.label} : ${name}`),
    el('p', { class: 'meta' },
      el('span', { class: 'badge badge-kind' }, item.programmeLabel),
      el('span', { class: 'age' }, item.ageLabel),
      item.previousRejections ? el('span', { class: 'badge badge-check' }, `Renvoyé après ${plural(item.previousRejections, 'refus', 'refus')}`) : null),
    facts([
      ['Envoyé le', item.submittedAt ? el('time', { datetime: item.submittedAt }, formatDateTime(item.submittedAt)) : ''],
      ['Naissance', item.youngPerson?.birthDate ? formatPlainDate(item.youngPerson.birthDate) : ''],
      ['Dossier', item.reference ?? ''],
      ['Fichier', [item.fileType ? FILE_TYPE_LABELS[item.fileType] ?? item.fileType : '', sizeText(item.size)].filter(Boolean).join(', ')],
      ['IBAN', item.bankDetails ? `${item.bankDetails.ibanMasked} (titulaire : ${item.bankDetails.holder})` : ''],
    ]),
    el('p', { class: 'item-actions' }, openFileButton(item, name, say), personLink(item.personId, `Historique de ${name}`)),
    notice,
    form));
  return card;
}

startPage(async () => {
  const region = byId('documents');
  const data = await loadInto<DocumentsToReviewView>(region, '/api/staff/documents');
  if (!data) return;
  const items = data.items ?? [];
  if (!items.length) {
    region.replaceChildren(el('p', {}, 'Aucun document à vérifier pour le moment.'));
    return;
  }
  const reasons = data.rejectionReasons ?? [];
  let count = items.length;
  const counter = (more: boolean) => `${plural(count, 'document à vérifier', 'documents à vérifier')}, du plus ancien au plus récent${moreText(more)}`;
  const summary = el('p', {}, counter(Boolean(data.cursor)));
  const list = el('ul', { class: 'item-list' }, items.map((item) => documentCard(item, reasons)));
  const more = loadMoreButton<DocumentsToReviewView>('/api/staff/documents', 'cursor', data.cursor, (page) => {
    const next = page.items ?? [];
    list.append(...next.map((item) => documentCard(item, reasons)));
    count += next.length;
    summary.textContent = counter(Boolean(page.cursor));
    return page.cursor;
  });
  region.replaceChildren(...[summary, list, more].filter((node) => node !== null));
});
