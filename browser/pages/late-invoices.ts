/* Staff: the invoices the chase flagged late (GET /api/staff/invoicing/unpaid?late=true), oldest due first, a page at a time. */
import { loadInto } from '../lib/api.js';
import { byId, el } from '../lib/dom.js';
import { LATE_INVOICE_HEADERS, lateInvoiceRow } from '../lib/invoicing.js';
import { startPage } from '../lib/page.js';
import { moreText, pagedTable, type ListPage } from '../lib/paging.js';
import type { InvoiceListItem } from '../lib/views.js';

startPage(async () => {
  const region = byId('late');
  const data = await loadInto<ListPage<InvoiceListItem>>(region, '/api/staff/invoicing/unpaid?late=true');
  if (!data) return;
  if (data.items.length === 0) {
    region.replaceChildren(el('p', {}, 'Aucune facture en retard.'));
    return;
  }
  const [table, more] = pagedTable({
    className: 'invoices',
    headers: LATE_INVOICE_HEADERS,
    caption: (count, next) => `${count} facture(s) en retard${moreText(next)}`,
    toRow: lateInvoiceRow,
    items: data.items,
    cursor: data.cursor,
    path: '/api/staff/invoicing/unpaid?late=true',
    key: 'items',
    param: 'cursor',
  });
  region.replaceChildren(table, more ?? '');
});
