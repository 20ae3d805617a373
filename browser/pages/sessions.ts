/*
 * Staff: the information sessions from a month ago on, earliest first, a page at a time (attendance is noted after
 * a session), and the form that creates one: date and time in Paris, place, seats, programmes.
 */
import { NETWORK_MESSAGE, api, apiErrors, loadInto, messageOf } from '../lib/api.js';
import { byId, el, plural } from '../lib/dom.js';
import { clearErrors, requiredErrors, setBusy, showErrors, textValue, type FormError } from '../lib/forms.js';
import { startPage } from '../lib/page.js';
import { moreText, pagedTable, type ListPage, type Row } from '../lib/paging.js';
import type { SessionView } from '../lib/views.js';

const SESSION_HEADERS = ['Date (heure de Paris)', 'Lieu', 'Programmes', 'Places'];

const sessionLink = (session: SessionView) => el('a', { href: `/equipe/reunions/${encodeURIComponent(session.sessionId)}` }, session.label);

function sessionRow(session: SessionView): Row {
  return {
    attributes: { 'data-session-id': session.sessionId },
    cells: [
      sessionLink(session),
      session.place,
      session.programmes.map((p) => p.label).join(', '),
      `${session.seatsTaken} / ${session.capacity} (${session.seatsLeft ? plural(session.seatsLeft, 'place libre', 'places libres') : 'complète'})`,
    ],
  };
}

const FORM_MESSAGES = {
  date: 'Indiquez la date de la réunion.',
  time: "Indiquez l'heure de début.",
  durationMinutes: 'Indiquez la durée en minutes.',
  place: 'Indiquez le lieu de la réunion.',
  capacity: 'Indiquez le nombre de places.',
};

async function loadSessions(region: HTMLElement): Promise<void> {
  region.setAttribute('aria-busy', 'true');
  const data = await loadInto<ListPage<SessionView>>(region, '/api/staff/sessions');
  if (!data) return;
  const items = data.items ?? [];
  if (!items.length) {
    region.replaceChildren(el('p', {}, 'Aucune réunion prévue : créez-en une ci-dessous.'));
    return;
  }
  region.replaceChildren(...pagedTable({
    headers: SESSION_HEADERS,
    caption: (count, more) => `${plural(count, 'réunion', 'réunions')}, de la plus proche à la plus lointaine (depuis un mois)${moreText(more)}`,
    toRow: sessionRow,
    items,
    cursor: data.cursor,
    path: '/api/staff/sessions',
    key: 'items',
    param: 'cursor',
  }).filter((node) => node !== null));
}

startPage(async () => {
  const region = byId('sessions');
  const form = byId<HTMLFormElement>('session-form');
  const created = byId('session-created');
  const submit = byId<HTMLButtonElement>('session-submit');
  // One key per session to create, kept across retries: a request resent after a lost answer creates one session.
  let idempotencyKey: string = crypto.randomUUID();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    clearErrors(form);
    created.hidden = true;
    const programmes = Array.from(form.querySelectorAll<HTMLInputElement>('input[name="programmes"]:checked')).map((box) => box.value);
    const invalid: FormError[] = requiredErrors(form, FORM_MESSAGES);
    if (!programmes.length) invalid.push({ field: 'programmes', message: 'Choisissez au moins un programme.' });
    if (invalid.length) {
      showErrors(form, `Corrigez ${plural(invalid.length, 'erreur', 'erreurs')} puis créez la réunion :`, invalid);
      return;
    }
    const body = {
      date: textValue(form, 'date'),
      time: textValue(form, 'time'),
      durationMinutes: Number(textValue(form, 'durationMinutes')),
      place: textValue(form, 'place'),
      capacity: Number(textValue(form, 'capacity')),
      programmes,
    };
    setBusy(submit, true, 'Création…');
    try {
      const result = await api<SessionView>('/api/staff/sessions', { method: 'POST', json: body, headers: { 'idempotency-key': idempotencyKey } });
      if (result.ok) {
        form.reset();
        idempotencyKey = crypto.randomUUID();
        created.replaceChildren(el('span', {}, 'Réunion créée : '), sessionLink(result.data), el('span', {}, `, ${result.data.place}, ${plural(result.data.capacity, 'place', 'places')}.`));
        created.hidden = false;
        created.focus();
        await loadSessions(region);
      } else {
        // The server refused this content: the corrected form is another session.
        if (result.status === 400 || result.status === 409) idempotencyKey = crypto.randomUUID();
        // A programme refused in the list is the programmes' field.
        const errors = apiErrors(result).map((e) => ({ ...e, field: e.field.startsWith('programmes.') ? 'programmes' : e.field }));
        showErrors(form, messageOf(result, "La réunion n'a pas été créée. Réessayez dans quelques instants."), errors);
      }
    } catch {
      showErrors(form, NETWORK_MESSAGE, []);
    } finally {
      setBusy(submit, false);
    }
  });
  await loadSessions(region);
});
