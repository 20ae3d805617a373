/**
 * "Mon parcours" (/mon-parcours#<token>): the young person's space, on their phone. The steps with what to do next
 * (GET /api/me), the information session to choose, the documents sent straight to S3, the bank details, the
 * contract to read and accept, and the messages received.
 */
import { checkIban } from '../../shared/domain/iban.js';
import { NETWORK_MESSAGE, apiErrors, messageOf, type ApiResult } from '../lib/api.js';
import { byId, el, formatPlainDate, timeNode } from '../lib/dom.js';
import { clearErrors, control, setBusy, showErrors, textValue, type FormError } from '../lib/forms.js';
import { isLinkRefusal, linkApi, linkRefusedPanel, loadWithLink, showLoadFailure, takeLink } from '../lib/link.js';
import { startPage } from '../lib/page.js';
import type {
  BankDetailsAnswer,
  ChecklistView,
  CompletedUpload,
  ContractView,
  MySessionsView,
  SessionView,
  StartedUpload,
  YoungPersonSpaceView,
} from '../lib/views.js';

type Document = ChecklistView['documents'][number];

const FILE_TYPE_MESSAGE = 'Format non accepté : envoyez un PDF, une photo JPEG ou une image PNG.';
const EMPTY_FILE_MESSAGE = 'Le fichier est vide : choisissez à nouveau le document.';
const STORAGE_REFUSED_MESSAGE = "Le fichier n'a pas pu être déposé : l'envoi a expiré ou a été refusé. Recommencez l'envoi du document.";

let token: string | undefined;

/** A call with the link; a refusal of the link replaces the whole page by the way to get a new one. */
async function call<T>(path: string, options: { method?: string; json?: unknown } = {}): Promise<ApiResult<T>> {
  const result = await linkApi<T>(token ?? '', path, options);
  if (!result.ok && isLinkRefusal(result)) {
    for (const id of ['section-reunion', 'section-documents', 'section-contrat', 'section-messages']) byId(id).hidden = true;
    byId('parcours').replaceChildren(linkRefusedPanel(messageOf(result, '')));
  }
  return result;
}

const statusBadge = (status: string, label: string) => el('span', { class: `badge badge-step badge-step-${status}` }, label);

function renderSpace(space: YoungPersonSpaceView): void {
  const region = byId('parcours');
  region.replaceChildren(
    el('p', { class: 'lead' }, `Bonjour ${space.firstName}, voici où en est votre accueil dans le programme « ${space.programmeLabel} ».`),
    el('p', {}, 'Votre statut : ', el('strong', {}, space.onboarding.statusLabel)),
    el(
      'section',
      { class: 'panel panel-info', id: 'a-faire', 'aria-labelledby': 'a-faire-titre' },
      el('h2', { id: 'a-faire-titre' }, 'À faire maintenant'),
      el('p', {}, space.next.text),
      space.next.section ? el('p', {}, el('a', { href: `#${SECTION_ANCHORS[space.next.section]}` }, 'Y aller')) : null,
      // Once onboarding is done (contract countersigned), the launch file opens in this tab with the same link.
      space.onboarding.status === 'ready' ? el('p', {}, el('a', { class: 'button', id: 'lien-activite', href: '/mon-activite' }, 'Préparer le lancement de mon activité')) : null,
    ),
    el('h2', {}, 'Les étapes de mon accueil'),
    el(
      'ol',
      { class: 'steps', id: 'etapes' },
      space.steps.map((step) =>
        el(
          'li',
          { class: `step${step.current ? ' step-current' : ''}`, ...(step.current ? { 'aria-current': 'step' } : {}) },
          el('span', { class: 'step-label' }, step.label),
          ' ',
          statusBadge(step.status, step.statusLabel),
          el('p', { class: 'hint' }, step.action),
        ),
      ),
    ),
  );
}

const SECTION_ANCHORS: Record<NonNullable<YoungPersonSpaceView['next']['section']>, string> = {
  sessions: 'section-reunion',
  documents: 'section-documents',
  contract: 'section-contrat',
};

// --- Information session ---

function sessionLine(session: SessionView): string {
  return `${session.label}, ${session.place}`;
}

async function loadSessions(): Promise<void> {
  const region = byId('reunion');
  const result = await call<MySessionsView>('/api/me/sessions').catch(() => undefined);
  // No session to show (404): the section stays hidden rather than say so.
  if (result?.status === 404) return;
  if (!result?.ok) {
    if (!result || !isLinkRefusal(result)) {
      showLoadFailure(region, result);
      byId('section-reunion').hidden = false;
    }
    return;
  }
  const { booking, sessions } = result.data;
  const parts: Array<Node | null> = [el('p', {}, el('strong', {}, booking.statusLabel))];
  if (booking.session) {
    parts.push(el('p', { id: 'reunion-choisie' }, 'Votre réunion : ', el('strong', {}, sessionLine(booking.session))));
    if (booking.changeUntilLabel) parts.push(el('p', { class: 'hint' }, `Vous pouvez en changer jusqu'au ${booking.changeUntilLabel}.`));
  }
  const choosable = sessions.filter((s) => s.sessionId !== booking.session?.sessionId);
  const canChoose = booking.status === 'to-choose' || (booking.status === 'booked' && Boolean(booking.changeUntil) && new Date(booking.changeUntil!) > new Date());
  if (canChoose && choosable.length > 0) {
    const status = el('p', { role: 'status', id: 'reunion-statut' });
    const list = el(
      'ul',
      { class: 'choices-list' },
      choosable.map((session) => {
        const button = el('button', { type: 'button', class: 'button button-secondary' }, booking.session ? 'Choisir plutôt cette date' : 'Choisir cette date');
        button.addEventListener('click', () => void chooseSession(session, button, status));
        return el(
          'li',
          { class: 'card' },
          el('p', {}, el('strong', {}, session.label)),
          el('p', {}, session.place),
          el('p', { class: 'hint' }, session.seatsLeft > 1 ? `${session.seatsLeft} places restantes` : 'Dernière place'),
          button,
        );
      }),
    );
    parts.push(el('h3', {}, booking.session ? 'Changer de date' : 'Choisir une date'), status, list);
  } else if (booking.status === 'to-choose') {
    parts.push(el('p', {}, "Aucune réunion n'a de place libre pour le moment : l'équipe en ajoute régulièrement, revenez bientôt."));
  }
  region.replaceChildren(...parts.filter((p): p is Node => p !== null));
  byId('section-reunion').hidden = false;
}

async function chooseSession(session: SessionView, button: HTMLButtonElement, status: HTMLElement): Promise<void> {
  setBusy(button, true, 'Enregistrement…');
  try {
    const result = await call<unknown>('/api/me/session', { method: 'PUT', json: { sessionId: session.sessionId } });
    if (result.ok) {
      await loadSessions();
      const confirmation = byId('reunion-choisie');
      confirmation.setAttribute('tabindex', '-1');
      confirmation.focus();
      return;
    }
    // Full, too late to change, or not for this programme: the API says which, in French.
    status.textContent = messageOf(result, "Votre choix n'a pas pu être enregistré. Réessayez.");
    status.className = 'message-error';
  } catch {
    status.textContent = NETWORK_MESSAGE;
    status.className = 'message-error';
  } finally {
    if (button.isConnected) setBusy(button, false);
  }
}

// --- Documents ---

let checklist: ChecklistView | undefined;

async function loadDocuments(): Promise<void> {
  const region = byId('documents');
  const result = await call<ChecklistView>('/api/me/documents').catch(() => undefined);
  if (!result?.ok) {
    if (!result || !isLinkRefusal(result)) {
      showLoadFailure(region, result);
      byId('section-documents').hidden = false;
    }
    return;
  }
  checklist = result.data;
  region.replaceChildren(el('ul', { class: 'documents-list' }, checklist.documents.map(documentItem)));
  renderBankDetails(checklist);
  byId('section-documents').hidden = false;
}

function documentItem(document: Document): HTMLElement {
  const id = `doc-${document.docType}`;
  const item = el(
    'li',
    { class: 'card document', id, 'data-status': document.status },
    el('h3', {}, document.label),
    el('p', {}, statusBadge(document.status, document.statusLabel)),
    el('p', { class: 'hint' }, document.help),
  );
  if (document.rejection) {
    item.append(
      el(
        'div',
        { class: 'panel panel-warning rejection' },
        el('p', {}, el('strong', {}, 'Motif du refus : '), document.rejection.reasonLabel),
        document.rejection.message ? el('p', {}, `Message de l'équipe : ${document.rejection.message}`) : null,
      ),
    );
  }
  if (document.status === 'missing' || document.status === 'rejected') item.append(uploadForm(document));
  return item;
}

function uploadForm(document: Document): HTMLFormElement {
  const inputId = `fichier-${document.docType}`;
  const input = el('input', { type: 'file', id: inputId, name: 'file', accept: (checklist?.limits.types ?? []).join(','), 'aria-describedby': `${inputId}-statut` });
  const button = el('button', { type: 'submit', class: 'button' }, document.status === 'rejected' ? 'Envoyer un nouveau fichier' : 'Envoyer');
  const progress = el('progress', { max: 100, value: 0, id: `${inputId}-progression`, 'aria-label': `Envoi : ${document.label}`, hidden: true });
  const status = el('p', { id: `${inputId}-statut`, role: 'status' });
  const form = el(
    'form',
    { class: 'upload-form', novalidate: true },
    el('label', { for: inputId }, `Choisir le fichier (${document.label})`),
    input,
    el('p', {}, button),
    progress,
    status,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void upload(document, input, button, progress, status);
  });
  return form;
}

function sayError(status: HTMLElement, message: string): void {
  status.className = 'message-error';
  status.textContent = message;
}

/** The file's declared type, as the API accepts it; the server recognises the real one by its content. */
function declaredType(file: File): string | undefined {
  if (checklist?.limits.types.includes(file.type as never)) return file.type;
  // Some phones give no type: the name's extension declares it (the content decides).
  const extension = /\.([a-z0-9]+)$/i.exec(file.name)?.[1]?.toLowerCase();
  return !file.type && extension ? ({ pdf: 'application/pdf', jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png' } as Record<string, string>)[extension] : undefined;
}

/** PUTs the file to the presigned URL with exactly the headers answered; the progress bar follows. */
function putFile(started: StartedUpload, file: File, progress: HTMLProgressElement): Promise<number> {
  return new Promise((resolve) => {
    const request = new window.XMLHttpRequest();
    request.open('PUT', started.url);
    for (const [name, value] of Object.entries(started.headers)) {
      // The browser sets the length itself from the body; it is signed, and equals the size declared.
      if (name.toLowerCase() !== 'content-length' && name.toLowerCase() !== 'host') request.setRequestHeader(name, value);
    }
    request.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) progress.value = Math.round((event.loaded / event.total) * 100);
    });
    request.addEventListener('load', () => resolve(request.status));
    request.addEventListener('error', () => resolve(0));
    request.addEventListener('abort', () => resolve(0));
    request.send(file);
  });
}

async function upload(document: Document, input: HTMLInputElement, button: HTMLButtonElement, progress: HTMLProgressElement, status: HTMLElement): Promise<void> {
  status.className = '';
  status.textContent = '';
  const file = input.files?.[0];
  if (!file) return sayError(status, 'Choisissez d’abord un fichier.');
  const contentType = declaredType(file);
  if (!contentType) return sayError(status, FILE_TYPE_MESSAGE);
  if (file.size === 0) return sayError(status, EMPTY_FILE_MESSAGE);
  const maxBytes = checklist?.limits.maxBytes ?? 0;
  if (file.size > maxBytes) return sayError(status, `Fichier trop volumineux (${(file.size / 1048576).toFixed(1).replace('.', ',')} Mo) : 10 Mo au maximum. Réduisez la qualité de la photo ou scannez en PDF.`);
  setBusy(button, true, 'Envoi en cours…');
  progress.hidden = false;
  progress.value = 0;
  try {
    const started = await call<StartedUpload>(`/api/me/documents/${encodeURIComponent(document.docType)}/uploads`, {
      method: 'POST',
      json: { contentType, size: file.size, fileName: file.name.slice(0, 200) || 'document' },
    });
    if (!started.ok) return sayError(status, apiErrors(started)[0]?.message ?? messageOf(started, "L'envoi n'a pas pu commencer. Réessayez."));
    const stored = await putFile(started.data, file, progress);
    if (stored === 0) return sayError(status, NETWORK_MESSAGE);
    if (stored < 200 || stored >= 300) return sayError(status, STORAGE_REFUSED_MESSAGE);
    status.textContent = 'Vérification du fichier…';
    const completed = await call<CompletedUpload>(`/api/me/uploads/${encodeURIComponent(started.data.uploadId)}/complete`, { method: 'POST' });
    if (!completed.ok) return sayError(status, messageOf(completed, "Le fichier n'a pas pu être enregistré. Réessayez."));
    await loadDocuments();
    const updated = window.document.getElementById(`doc-${document.docType}`);
    if (updated) {
      updated.prepend(el('p', { class: 'panel panel-success', role: 'status' }, 'Document envoyé : l’équipe va le vérifier.'));
      updated.setAttribute('tabindex', '-1');
      updated.focus();
    }
  } catch {
    sayError(status, NETWORK_MESSAGE);
  } finally {
    if (button.isConnected) setBusy(button, false);
  }
}

// --- Bank details ---

function renderBankDetails(view: ChecklistView): void {
  const form = byId<HTMLFormElement>('rib-form');
  const asked = view.documents.some((d) => d.docType === 'bank-details');
  form.hidden = !asked;
  const current = byId('rib-actuel');
  current.textContent = view.bankDetails ? `Coordonnées enregistrées : ${view.bankDetails.ibanMasked} (${view.bankDetails.holder}).` : 'Saisissez votre IBAN avant d’envoyer votre RIB.';
}

async function saveBankDetails(form: HTMLFormElement): Promise<void> {
  clearErrors(form);
  const iban = textValue(form, 'iban');
  const holder = textValue(form, 'holder');
  const errors: FormError[] = [];
  // The API's own rule (shared/domain/iban.ts): the server checks again and has the last word.
  const check = checkIban(iban);
  if (!check.valid) errors.push({ field: 'iban', message: check.message });
  if (holder.length < 2) errors.push({ field: 'holder', message: 'Saisissez le nom du titulaire du compte.' });
  if (errors.length) return showErrors(form, 'Vérifiez les coordonnées bancaires.', errors);
  const button = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
  setBusy(button, true, 'Enregistrement…');
  try {
    const result = await call<BankDetailsAnswer>('/api/me/bank-details', { method: 'PUT', json: { iban, holder } });
    if (!result.ok) {
      if (isLinkRefusal(result)) return;
      return showErrors(form, messageOf(result, 'Les coordonnées bancaires n’ont pas pu être enregistrées.'), apiErrors(result));
    }
    control(form, 'iban').value = '';
    byId('rib-statut').textContent = `Coordonnées bancaires enregistrées : ${result.data.bankDetails?.ibanMasked ?? ''}. Vous pouvez maintenant envoyer votre RIB.`;
    await loadDocuments();
  } catch {
    showErrors(form, NETWORK_MESSAGE, []);
  } finally {
    setBusy(button, false);
  }
}

// --- Contract ---

async function loadContract(): Promise<void> {
  const region = byId('contrat');
  const result = await call<ContractView>('/api/me/contract').catch(() => undefined);
  if (!result?.ok) {
    if (!result || !isLinkRefusal(result)) {
      showLoadFailure(region, result);
      byId('section-contrat').hidden = false;
    }
    return;
  }
  const contract = result.data;
  // Before the documents (and a minor's consent), there is no contract to show yet; the steps say when it comes.
  if (contract.status === 'not-ready') return;
  const parts: Node[] = [el('p', {}, el('strong', {}, contract.statusLabel))];
  if (contract.title) parts.push(el('p', {}, contract.title));
  if (contract.startDate && contract.endDate) parts.push(el('p', {}, `Du ${formatPlainDate(contract.startDate)} au ${formatPlainDate(contract.endDate)}`));
  if (contract.downloadUrl) {
    parts.push(el('p', {}, el('a', { class: 'button button-secondary', href: contract.downloadUrl, id: 'contrat-lien', download: contract.fileName ?? true }, contract.final ? 'Télécharger le contrat signé (PDF)' : 'Lire le contrat (PDF)')));
  }
  if (contract.acceptance) parts.push(el('p', { id: 'contrat-accepte' }, 'Vous avez accepté ce contrat le ', timeNode(contract.acceptance.at), '.'));
  if (contract.status === 'prepared' && contract.sha256 && !contract.acceptance) parts.push(acceptanceForm(contract.sha256));
  region.replaceChildren(...parts);
  byId('section-contrat').hidden = false;
}

function acceptanceForm(sha256: string): HTMLFormElement {
  const box = el('input', { type: 'checkbox', id: 'contrat-lu', name: 'read', required: true });
  const status = el('p', { role: 'status', id: 'contrat-statut' });
  const button = el('button', { type: 'submit', class: 'button' }, "J'accepte le contrat");
  const form = el(
    'form',
    { class: 'stack-form', id: 'contrat-form', novalidate: true },
    el('div', { class: 'choice' }, box, el('label', { for: 'contrat-lu' }, "J'ai lu le contrat en entier et je l'accepte.")),
    el('p', {}, button),
    status,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!box.checked) return sayError(status, 'Cochez la case pour confirmer que vous avez lu le contrat.');
    setBusy(button, true, 'Enregistrement…');
    // The fingerprint of the exact PDF the API gave: a contract changed since is refused (409), nothing else is signed.
    call<unknown>('/api/me/contract/acceptance', { method: 'POST', json: { sha256 } })
      .then(async (result) => {
        if (result.ok) return loadContract().then(() => byId('contrat').focus());
        if (!isLinkRefusal(result)) sayError(status, messageOf(result, "L'acceptation n'a pas pu être enregistrée. Réessayez."));
      })
      .catch(() => sayError(status, NETWORK_MESSAGE))
      .finally(() => button.isConnected && setBusy(button, false));
  });
  return form;
}

// --- Messages ---

function renderMessages(messages: YoungPersonSpaceView['messages'], append = false): void {
  const region = byId('messages');
  let list = region.querySelector('ul');
  if (!append || !list) {
    list = el('ul', { class: 'messages-list' });
    region.replaceChildren(messages.items.length ? list : el('p', {}, 'Aucun message pour le moment.'));
  }
  region.querySelector('.load-more')?.remove();
  for (const message of messages.items) {
    list.append(
      el(
        'li',
        { class: 'card message' },
        el('p', { class: 'hint' }, timeNode(message.at), ` · ${message.channelLabel}`),
        message.subject ? el('h3', {}, message.subject) : null,
        el('p', { class: 'message-text' }, message.text),
      ),
    );
  }
  if (messages.cursor) {
    const more = el('button', { type: 'button', class: 'button button-secondary load-more' }, 'Voir les messages plus anciens');
    more.addEventListener('click', () => {
      setBusy(more, true, 'Chargement…');
      void call<YoungPersonSpaceView>(`/api/me?cursor=${encodeURIComponent(messages.cursor!)}`).then((result) => {
        if (result.ok) renderMessages(result.data.messages, true);
        else setBusy(more, false);
      });
    });
    region.append(more);
  }
  byId('section-messages').hidden = false;
}

startPage(async () => {
  token = takeLink('young-person');
  const space = await loadWithLink<YoungPersonSpaceView>(byId('parcours'), token, '/api/me');
  if (!space) return;
  renderSpace(space);
  renderMessages(space.messages);
  const form = byId<HTMLFormElement>('rib-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void saveBankDetails(form);
  });
  const onboarding = space.onboarding.status;
  if (onboarding === 'active' || onboarding === 'ready') {
    await Promise.all([
      space.steps.some((s) => s.step === 'information-session' && s.status !== 'skipped') ? loadSessions() : undefined,
      loadDocuments(),
      loadContract(),
    ]);
  }
});
