// Staff: the activities of one status (GET /api/staff/activities?status=), newest first, a page at a time.
import { loadInto } from '../lib/api.js';
import { byId, el, formatPlainDate, plural } from '../lib/dom.js';
import { startPage } from '../lib/page.js';
import { moreText, pagedTable, type ListPage, type Row } from '../lib/paging.js';
import type { ActivityListItem } from '../lib/views.js';

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

startPage(async () => {
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
