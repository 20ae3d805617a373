/** What the staff's invoicing pages share: an invoice's row in a table, and the download of a file of the API. */
import { formatEuros } from '../../shared/domain/money.js';
import { messageOf } from './api.js';
import { el, formatPlainDate, plural } from './dom.js';
import { downloadFile } from './download.js';
import { setBusy } from './forms.js';
import type { Row } from './paging.js';
import { currentSession } from './session.js';
import type { InvoiceListItem } from './views.js';

export { formatEuros };

// "Total": what the customer owes, VAT included or under the franchise ("TTC" would be wrong there).
export const INVOICE_HEADERS = ['Numéro', 'Client', 'Statut', 'Total', 'Reste à payer', 'Échéance'];

/** An invoice in a list: its number (or "Brouillon") linking to its page, and its amounts. */
export function invoiceRow(invoice: InvoiceListItem): Row {
  const status = [invoice.statusLabel, invoice.late ? ' · en retard' : '', invoice.holdReason ? ` : ${invoice.holdReason}` : ''].join('');
  return {
    attributes: { 'data-invoice-id': invoice.invoiceId },
    cells: [
      el('a', { href: `/equipe/factures/${encodeURIComponent(invoice.invoiceId)}` }, invoice.number ?? (invoice.kind === 'credit-note' ? 'Avoir' : 'Brouillon')),
      invoice.customer.name,
      status,
      formatEuros(invoice.grossCents),
      invoice.leftCents > 0 ? formatEuros(invoice.leftCents) : '—',
      invoice.dueDate ? formatPlainDate(invoice.dueDate) : '—',
    ],
  };
}

/** The late list's columns: an invoice's, and how many days after its due date it still waits for its money. */
export const LATE_INVOICE_HEADERS = [...INVOICE_HEADERS, 'Retard'];

/** A late invoice in a list: its row, and "52 jours" after its due date. */
export function lateInvoiceRow(invoice: InvoiceListItem): Row {
  const row = invoiceRow(invoice);
  return { ...row, cells: [...row.cells, invoice.daysLate === null ? '—' : plural(invoice.daysLate, 'jour', 'jours')] };
}

/** A button that downloads a file the API answers (with the ID token), and says why when it cannot. */
export function downloadButton(spec: { id: string; label: string; busy: string; path: () => string; fileName: () => string; failure: string }): HTMLElement {
  const button = el('button', { type: 'button', class: 'button button-secondary', id: spec.id }, spec.label);
  const status = el('p', { role: 'status' });
  wireDownload(button, status, spec);
  return el('div', {}, button, status);
}

export function wireDownload(button: HTMLButtonElement, status: HTMLElement, spec: { busy: string; path: () => string; fileName: () => string; failure: string }): void {
  button.addEventListener('click', async () => {
    if (button.disabled) return;
    setBusy(button, true, spec.busy);
    status.textContent = '';
    const result = await downloadFile(spec.path(), { authorization: `Bearer ${currentSession()?.token ?? ''}` }, spec.fileName());
    if (!result.ok) status.textContent = messageOf(result, spec.failure);
    setBusy(button, false);
  });
}
