/*
 * Staff: the CJS cohorts (GET /api/staff/cohorts) with their seats, and the form that creates one: name, summer
 * dates, towns, seats. The API creates its collective activity with it.
 */
import { NETWORK_MESSAGE, api, apiErrors, loadInto, messageOf } from '../lib/api.js';
import { seatsText } from '../lib/activities.js';
import { byId, el, plural } from '../lib/dom.js';
import { clearErrors, idempotencyKeyOf, requiredErrors, setBusy, showErrors, textValue } from '../lib/forms.js';
import { startPage } from '../lib/page.js';
import { moreText, pagedTable, type ListPage, type Row } from '../lib/paging.js';
import type { CohortSummary } from '../lib/views.js';

const HEADERS = ['Cohorte', 'Dates', 'Communes', 'Places'];

function cohortRow(cohort: CohortSummary): Row {
  return {
    attributes: { 'data-cohort-id': cohort.cohortId },
    cells: [el('a', { href: `/equipe/cohortes/${encodeURIComponent(cohort.cohortId)}` }, cohort.name), cohort.datesLabel, cohort.townsLabel, seatsText(cohort)],
  };
}

async function loadCohorts(region: HTMLElement): Promise<void> {
  region.setAttribute('aria-busy', 'true');
  const data = await loadInto<ListPage<CohortSummary>>(region, '/api/staff/cohorts');
  if (!data) return;
  const items = data.items ?? [];
  if (!items.length) {
    region.replaceChildren(el('p', {}, 'Aucune cohorte pour le moment : créez-en une ci-dessous.'));
    return;
  }
  region.replaceChildren(...pagedTable({
    headers: HEADERS,
    caption: (count, more) => `${plural(count, 'cohorte', 'cohortes')}${moreText(more)}`,
    toRow: cohortRow,
    items,
    cursor: data.cursor,
    path: '/api/staff/cohorts',
    key: 'items',
    param: 'cursor',
  }).filter((node) => node !== null));
}

const FORM_MESSAGES = {
  name: 'Donnez un nom à la cohorte.',
  startDate: 'Indiquez la date de début.',
  endDate: 'Indiquez la date de fin.',
  towns: 'Indiquez au moins une commune.',
  capacity: 'Indiquez le nombre de places.',
};

startPage(async () => {
  const region = byId('cohorts');
  const form = byId<HTMLFormElement>('cohort-form');
  const created = byId('cohort-created');
  const button = byId<HTMLButtonElement>('cohort-submit');
  const idempotency = idempotencyKeyOf(form);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    clearErrors(form);
    created.hidden = true;
    const missing = requiredErrors(form, FORM_MESSAGES);
    if (missing.length) return showErrors(form, 'Complétez la cohorte :', missing);
    const body = {
      name: textValue(form, 'name'),
      startDate: textValue(form, 'startDate'),
      endDate: textValue(form, 'endDate'),
      towns: textValue(form, 'towns').split(',').map((town) => town.trim()).filter(Boolean),
      capacity: Number(textValue(form, 'capacity')),
    };
    setBusy(button, true, 'Création…');
    try {
      const result = await api<CohortSummary>('/api/staff/cohorts', { method: 'POST', json: body, headers: { 'idempotency-key': idempotency.key() } });
      if (!result.ok) return showErrors(form, messageOf(result, "La cohorte n'a pas pu être créée."), apiErrors(result));
      form.reset();
      idempotency.renew();
      created.replaceChildren(el('p', {}, 'Cohorte créée : ', el('a', { href: `/equipe/cohortes/${encodeURIComponent(result.data.cohortId)}` }, result.data.name), '.'));
      created.hidden = false;
      created.focus();
      await loadCohorts(region);
    } catch {
      showErrors(form, NETWORK_MESSAGE, []);
    } finally {
      setBusy(button, false);
    }
  });
  await loadCohorts(region);
});
