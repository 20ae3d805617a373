// Prescriber: the organisation's referrals and their statuses, newest first, a page at a time.
import { loadInto } from '../lib/api.js';
import { byId, el, formatDateTime, plural } from '../lib/dom.js';
import { startPage } from '../lib/page.js';
import { moreText, pagedTable, type ListPage, type Row } from '../lib/paging.js';
import type { ReferralSummary } from '../lib/views.js';

const REFERRAL_HEADERS = ["Date d'orientation", 'Jeune', 'Programme', 'Statut', 'Décision'];

function referralRow(item: ReferralSummary): Row {
  const decision = item.decidedAt ? `Le ${formatDateTime(item.decidedAt)}${item.reasonLabel ? ` : ${item.reasonLabel}` : ''}` : 'En attente';
  return {
    cells: [
      el('time', { datetime: item.createdAt }, formatDateTime(item.createdAt)),
      `${item.youngPerson.firstName} ${item.youngPerson.lastName}`,
      item.programmeLabel,
      el('span', { class: 'badge' }, item.statusLabel),
      decision,
    ],
  };
}

startPage(async () => {
  const region = byId('referrals');
  const data = await loadInto<ListPage<ReferralSummary>>(region, '/api/referrals');
  if (!data) return;
  const items = data.items ?? [];
  if (!items.length) {
    region.replaceChildren(el('p', {}, 'Aucune orientation pour le moment.'));
    return;
  }
  region.replaceChildren(...pagedTable({
    headers: REFERRAL_HEADERS,
    caption: (count, more) => `${plural(count, 'orientation', 'orientations')}, de la plus récente à la plus ancienne${moreText(more)}`,
    toRow: referralRow,
    items,
    cursor: data.cursor,
    path: '/api/referrals',
    key: 'items',
    param: 'cursor',
  }).filter((node) => node !== null));
});
