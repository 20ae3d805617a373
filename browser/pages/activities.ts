/*
 * Staff: the activities of one status (GET /api/staff/activities?status=), newest first, a page at a time; and the
 * form that creates a Jeunes Majeurs collective activity (POST /api/staff/activities, shape `collective`), a draft
 * whose page then takes its members.
 */
import { api, loadInto } from '../lib/api.js';
import { byId, el, formatPlainDate, plural } from '../lib/dom.js';
import { idempotencyKeyOf, sendForm, textValue } from '../lib/forms.js';
import { priceLinesEditor, readLaunchFile, serviceChoice } from '../lib/launch-file.js';
import { startPage } from '../lib/page.js';
import { moreText, pagedTable, type ListPage, type Row } from '../lib/paging.js';
import type { ActivityListItem, ActivityView, ServiceKindView } from '../lib/views.js';

const HEADERS = ['Activité', 'Enseigne', 'Programme', 'Forme', 'Début'];

function activityRow(item: ActivityListItem): Row {
  return {
    attributes: { 'data-activity-id': item.activityId },
    cells: [
      el('a', { href: `/equipe/activites/${encodeURIComponent(item.activityId)}` }, item.name),
      item.tradeName,
      item.programmeLabel,
      item.shapeLabel,
      formatPlainDate(item.startDate),
    ],
  };
}

/** The collective activity's form, once the catalogue says which services it may offer (those still offered). */
async function prepareCollectiveForm(): Promise<void> {
  const form = byId<HTMLFormElement>('collective-form');
  const catalogue = await api<{ items: ServiceKindView[] }>('/api/staff/service-kinds');
  if (!catalogue.ok) return;
  const offered = catalogue.data.items.filter((kind) => kind.active);
  const editor = priceLinesEditor('priceLines');
  editor.kinds = new Map(offered.map((kind) => [kind.code, kind]));
  byId('services-choix').replaceChildren(...offered.map((kind) => serviceChoice(kind, false)));
  editor.reset([]);
  const created = byId('collective-created');
  const idempotency = idempotencyKeyOf(form);
  sendForm<ActivityView>(form, byId<HTMLButtonElement>('collective-submit'), {
    busy: 'Création…',
    incomplete: "Complétez l'activité collective :",
    failure: "L'activité collective n'a pas pu être créée.",
    read: () => {
      const { body, errors } = readLaunchFile(form, editor);
      const endDate = textValue(form, 'endDate');
      if (!endDate) errors.push({ field: 'endDate', message: 'Choisissez la date de fin : de 6 à 12 mois après le début.' });
      return { body: { shape: 'collective', programme: 'jeunes-majeurs', ...body, endDate }, errors };
    },
    send: (body) => {
      created.hidden = true;
      return api<ActivityView>('/api/staff/activities', { method: 'POST', json: body, headers: { 'idempotency-key': idempotency.key() } });
    },
    done: (activity) => {
      form.reset();
      editor.reset([]);
      idempotency.renew();
      const link = el('a', { href: `/equipe/activites/${encodeURIComponent(activity.activityId)}` }, activity.name);
      created.replaceChildren(el('p', {}, 'Activité collective créée, en brouillon : ', link, '. Ajoutez-lui ses membres depuis sa page.'));
      created.hidden = false;
      created.focus();
    },
  });
  form.hidden = false;
}

startPage(async () => {
  void prepareCollectiveForm();
  const select = byId<HTMLSelectElement>('f-status');
  const asked = new URLSearchParams(location.search).get('status') ?? '';
  // The launch files to approve come first; a status the list does not offer is never sent.
  select.value = Array.from(select.options).some((o) => o.value === asked) ? asked : 'awaiting-approval';
  const status = select.value;
  const label = select.selectedOptions[0]?.textContent ?? status;
  const path = `/api/staff/activities?status=${encodeURIComponent(status)}`;
  const region = byId('activities');
  const data = await loadInto<ListPage<ActivityListItem>>(region, path);
  if (!data) return;
  const items = data.items ?? [];
  if (!items.length) {
    region.replaceChildren(el('p', {}, `Aucune activité « ${label.toLowerCase()} ».`));
    return;
  }
  region.replaceChildren(...pagedTable({
    headers: HEADERS,
    caption: (count, more) => `${plural(count, 'activité', 'activités')} « ${label.toLowerCase()} », des plus récentes aux plus anciennes${moreText(more)}`,
    toRow: activityRow,
    items,
    cursor: data.cursor,
    path,
    key: 'items',
    param: 'cursor',
  }).filter((node) => node !== null));
});
