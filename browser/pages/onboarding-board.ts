/*
 * Staff: the onboarding board. Every young person in onboarding, oldest first, a page at a time, the programme
 * filter in the URL: their steps, the one the path waits on and since when; per person, the diagnosis interview
 * (where it stands, read when its panel opens; scheduled, then recorded) and the contract's download.
 */
import { NETWORK_MESSAGE, api, apiErrors, loadInto, messageOf } from '../lib/api.js';
import { byId, el, facts, plural, timeNode } from '../lib/dom.js';
import { setBusy } from '../lib/forms.js';
import { startPage } from '../lib/page.js';
import { fetchListPage, loadMoreButton, moreText, type ListPage } from '../lib/paging.js';
import { personLink, personName } from '../lib/people.js';
import type { DiagnosisView, OnboardingBoardItem, StaffContractView } from '../lib/views.js';

function readProgramme(form: HTMLFormElement): string {
  const select = form.elements.namedItem('programme') as HTMLSelectElement;
  const value = new URLSearchParams(location.search).get('programme') ?? '';
  const offered = Array.from(select.options).some((option) => option.value === value);
  select.value = offered ? value : '';
  return offered ? value : '';
}

const boardPath = (programme: string, cursor?: string) => {
  const params = new URLSearchParams();
  if (programme) params.set('programme', programme);
  if (cursor) params.set('cursor', cursor);
  const query = params.toString();
  return `/api/staff/onboarding${query ? `?${query}` : ''}`;
};

type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

/** A labelled field of a card's form: its ids carry the card's prefix, its error slot sits under the label. */
function cardField(prefix: string, name: string, label: string, control: Control, required: boolean, hint?: string): HTMLElement {
  control.id = `${prefix}-${name}`;
  control.name = name;
  if (required) control.required = true;
  const described = hint ? `${control.id}-hint` : '';
  if (described) control.setAttribute('aria-describedby', described);
  return el('div', { class: 'field' },
    el('label', { for: control.id }, label, ' ', el('span', { class: required ? 'required' : 'optional' }, required ? '(obligatoire)' : '(facultatif)')),
    hint ? el('p', { class: 'hint', id: described }, hint) : null,
    el('p', { class: 'field-error', id: `${control.id}-error`, hidden: true }),
    control);
}

/** Clears then shows a card form's errors by its fields (the API's paths are the fields' names); the rest goes in its notice. */
function showCardErrors(form: HTMLFormElement, notice: HTMLElement, message: string, errors: Array<{ field: string; message: string }>): void {
  for (const slot of form.querySelectorAll<HTMLElement>('.field-error')) {
    slot.hidden = true;
    slot.textContent = '';
  }
  for (const invalid of form.querySelectorAll('[aria-invalid]')) invalid.removeAttribute('aria-invalid');
  const loose: string[] = [];
  let first: Control | undefined;
  for (const error of errors) {
    const control = form.querySelector<Control>(`[name="${CSS.escape(error.field)}"]`);
    const slot = control ? form.querySelector<HTMLElement>(`[id="${CSS.escape(`${control.id}-error`)}"]`) ?? control.closest('fieldset')?.querySelector<HTMLElement>('.field-error') : null;
    if (!control || !slot) {
      loose.push(error.message);
      continue;
    }
    slot.textContent = error.message;
    slot.hidden = false;
    control.setAttribute('aria-invalid', 'true');
    first ??= control;
  }
  notice.textContent = [message, ...loose].filter(Boolean).join(' ');
  notice.hidden = !notice.textContent;
  first?.focus();
}

/** Where the interview stands, as the API read it: when and how it is planned, and once recorded, what was said. */
function diagnosisState(view: DiagnosisView): HTMLElement[] {
  const planned = view.scheduledLabel ? `${view.scheduledLabel}, ${(view.modeLabel ?? '').toLowerCase()}${view.place ? `, ${view.place}` : ''}` : '';
  const status = el('p', { 'data-diagnosis-status': view.status }, el('strong', {}, view.statusLabel), planned ? ` : ${planned}` : view.status === 'to-schedule' ? ' : aucun entretien prévu pour le moment.' : '');
  if (!view.record) return [status];
  return [
    status,
    facts([
      ['Objectifs', view.record.goals],
      ['Compétences', view.record.skills],
      ['Besoins', view.record.needs],
      ['Notes', view.record.notes],
      ['Enregistré', view.recordedAt ? el('span', {}, timeNode(view.recordedAt), view.recordedBy ? ` par ${view.recordedBy}` : '') : undefined],
    ]),
  ];
}

/**
 * The diagnosis interview: where it stands (read when the panel opens), and while its step is open, schedule it
 * (date and time in Paris, on site or by phone), then record what was said.
 */
function diagnosisPanel(item: OnboardingBoardItem, name: string, editable: boolean): HTMLElement {
  const prefix = `diagnosis-${item.referralId}`;
  const path = `/api/staff/onboarding/${encodeURIComponent(item.referralId)}/diagnosis`;
  const state = el('div', { class: 'diagnosis-state', 'aria-busy': 'true' }, el('p', {}, 'Chargement…'));
  const details = el('details', { class: 'diagnosis' },
    el('summary', {}, 'Entretien de diagnostic', el('span', { class: 'visually-hidden' }, ` : ${name}`)),
    state);
  // Read once, on the first opening; a schedule or record answered meanwhile is newer than that read.
  let loaded = false;
  let shown = 0;
  const show = (view: DiagnosisView) => {
    loaded = true;
    state.setAttribute('aria-busy', 'false');
    state.replaceChildren(...diagnosisState(view));
  };
  details.addEventListener('toggle', async () => {
    if (!details.open || loaded) return;
    const ticket = ++shown;
    const view = await loadInto<DiagnosisView>(state, path);
    if (view && ticket === shown) show(view);
  });
  if (!editable) return details;

  const result = el('p', { class: 'panel panel-success', role: 'status', tabindex: '-1', hidden: true });
  const send = async (form: HTMLFormElement, notice: HTMLElement, button: HTMLButtonElement, body: Record<string, string>) => {
    setBusy(button, true, 'Enregistrement…');
    try {
      const answer = await api<DiagnosisView>(path, { method: 'PUT', json: body });
      if (answer.ok) {
        showCardErrors(form, notice, '', []);
        const view = answer.data;
        shown++;
        show(view);
        result.textContent = view.status === 'recorded' || view.recordedAt
          ? `Entretien enregistré pour ${name} : l'étape du diagnostic est faite.`
          : `Entretien planifié pour ${name} : ${view.scheduledLabel ?? ''}, ${view.modeLabel ?? ''}${view.place ? `, ${view.place}` : ''}. Le jeune est prévenu.`;
        result.hidden = false;
        result.focus();
      } else {
        showCardErrors(form, notice, messageOf(answer, "L'entretien n'a pas été enregistré. Réessayez dans quelques instants."), apiErrors(answer));
      }
    } catch {
      showCardErrors(form, notice, NETWORK_MESSAGE, []);
    } finally {
      setBusy(button, false);
    }
  };

  const scheduleNotice = el('p', { class: 'message-error', role: 'alert', hidden: true });
  const scheduleButton = el('button', { type: 'submit', class: 'button button-secondary' }, "Planifier l'entretien");
  const mode = el('select', {}, el('option', { value: 'place' }, 'Sur place'), el('option', { value: 'phone' }, 'Par téléphone'));
  const schedule = el('form', { class: 'form', novalidate: true, 'aria-label': `Planifier l'entretien de ${name}` },
    el('h4', {}, 'Planifier'),
    cardField(`${prefix}-s`, 'date', 'Date', el('input', { type: 'date' }), true, 'Heure de Paris.'),
    cardField(`${prefix}-s`, 'time', 'Heure', el('input', { type: 'time' }), true),
    cardField(`${prefix}-s`, 'mode', 'Mode', mode, true),
    cardField(`${prefix}-s`, 'place', 'Lieu', el('input', { type: 'text', maxlength: 200 }), false, 'Obligatoire pour un entretien sur place.'),
    scheduleNotice,
    el('div', { class: 'actions' }, scheduleButton));
  schedule.addEventListener('submit', (event) => {
    event.preventDefault();
    if (scheduleButton.disabled) return;
    const value = (field: string) => (schedule.elements.namedItem(field) as Control).value.trim();
    const body: Record<string, string> = { action: 'schedule', date: value('date'), time: value('time'), mode: value('mode') };
    if (value('place')) body.place = value('place');
    void send(schedule, scheduleNotice, scheduleButton, body);
  });

  const recordNotice = el('p', { class: 'message-error', role: 'alert', hidden: true });
  const recordButton = el('button', { type: 'submit', class: 'button' }, "Enregistrer l'entretien");
  const area = () => el('textarea', { rows: 3, maxlength: 4000 });
  const record = el('form', { class: 'form', novalidate: true, 'aria-label': `Enregistrer l'entretien de ${name}` },
    el('h4', {}, 'Enregistrer'),
    cardField(`${prefix}-r`, 'goals', 'Objectifs', area(), true),
    cardField(`${prefix}-r`, 'skills', 'Compétences', area(), true),
    cardField(`${prefix}-r`, 'needs', 'Besoins', area(), true),
    cardField(`${prefix}-r`, 'notes', 'Notes', area(), false, "Gardées dans le dossier : jamais envoyées au jeune."),
    recordNotice,
    el('div', { class: 'actions' }, recordButton));
  record.addEventListener('submit', (event) => {
    event.preventDefault();
    if (recordButton.disabled) return;
    const value = (field: string) => (record.elements.namedItem(field) as Control).value.trim();
    const missing = (['goals', 'skills', 'needs'] as const).filter((field) => !value(field)).map((field) => ({ field, message: 'Ce champ est obligatoire.' }));
    if (missing.length) {
      showCardErrors(record, recordNotice, "Complétez l'entretien :", missing);
      return;
    }
    const body: Record<string, string> = { action: 'record', goals: value('goals'), skills: value('skills'), needs: value('needs') };
    if (value('notes')) body.notes = value('notes');
    void send(record, recordNotice, recordButton, body);
  });

  details.append(result, schedule, record);
  return details;
}

/** Asks for the contract's download (short-lived) and follows it; before it exists, says where it stands. */
function contractButton(item: OnboardingBoardItem, name: string, say: (text: string) => void): HTMLButtonElement {
  const button = el('button', { type: 'button', class: 'button button-secondary' }, 'Contrat', el('span', { class: 'visually-hidden' }, ` de ${name}`));
  button.addEventListener('click', async () => {
    setBusy(button, true, 'Chargement…');
    try {
      const result = await api<StaffContractView>(`/api/staff/onboarding/${encodeURIComponent(item.referralId)}/contract`);
      if (!result.ok) say(messageOf(result, "Le contrat n'a pas pu être chargé. Réessayez dans quelques instants."));
      else if ('downloadUrl' in result.data && result.data.downloadUrl) location.assign(result.data.downloadUrl);
      else say(`Contrat : ${result.data.statusLabel}.`);
    } catch {
      say(NETWORK_MESSAGE);
    } finally {
      setBusy(button, false);
    }
  });
  return button;
}

function boardCard(item: OnboardingBoardItem): HTMLLIElement {
  const name = item.youngPerson ? personName(item.youngPerson) : item.reference ?? 'Jeune';
  const headingId = `onboarding-${item.referralId}`;
  const notice = el('p', { role: 'status' });
  const say = (text: string) => {
    notice.textContent = text;
  };
  const waiting = item.waitingOn;
  const diagnosisStep = item.checklist.find((step) => step.step === 'diagnosis');
  return el('li', { class: 'card', 'data-referral-id': item.referralId, 'data-waiting-on': waiting.step },
    el('article', { 'aria-labelledby': headingId },
      el('h2', { id: headingId }, name),
      el('p', { class: 'meta' },
        el('span', { class: 'badge badge-kind' }, item.programmeLabel),
        item.minor ? el('span', { class: 'badge badge-check' }, 'Mineur') : null,
        item.reference ? el('span', { class: 'reference' }, item.reference) : null),
      el('p', { class: 'waiting-on' },
        'En attente : ', el('strong', {}, waiting.label),
        'stuckStepLabel' in waiting && waiting.stuckStepLabel ? ` (étape bloquée : ${waiting.stuckStepLabel})` : '',
        ', ', el('time', { datetime: waiting.since }, waiting.ageLabel)),
      el('ol', { class: 'checklist', 'aria-label': `Étapes de ${name}` },
        item.checklist.map((step) => el('li', { 'data-step': step.step, 'data-status': step.status }, `${step.label} : `, el('span', { class: 'badge' }, step.statusLabel)))),
      el('p', { class: 'item-actions' }, personLink(item.personId, `Historique de ${name}`), contractButton(item, name, say)),
      notice,
      diagnosisStep ? diagnosisPanel(item, name, diagnosisStep.status !== 'done') : null));
}

startPage(async () => {
  const region = byId('board');
  const programme = readProgramme(byId<HTMLFormElement>('board-filters'));
  const data = await loadInto<ListPage<OnboardingBoardItem>>(region, () => fetchListPage((cursor) => boardPath(programme, cursor)));
  if (!data) return;
  const items = data.items ?? [];
  if (!items.length) {
    region.replaceChildren(el('p', {}, programme ? 'Aucun jeune en accueil dans ce programme.' : 'Aucun jeune en accueil pour le moment.'));
    return;
  }
  let count = items.length;
  const counter = (more: boolean) => `${plural(count, 'jeune en accueil', 'jeunes en accueil')}, du plus ancien au plus récent${moreText(more)}`;
  const summary = el('p', {}, counter(Boolean(data.cursor)));
  const list = el('ul', { class: 'item-list' }, items.map(boardCard));
  const more = loadMoreButton<ListPage<OnboardingBoardItem>>(boardPath(programme), 'cursor', data.cursor, (page) => {
    const next = page.items ?? [];
    list.append(...next.map(boardCard));
    count += next.length;
    summary.textContent = counter(Boolean(page.cursor));
    return page.cursor;
  });
  region.replaceChildren(...[summary, list, more].filter((node) => node !== null));
});
