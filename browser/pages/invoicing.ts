/*
 * Staff: the monthly invoicing (GET /api/staff/invoicing/months): the last months with their run's status, a link to
 * each month, and "Lancer la facturation de <mois>" for a month not run yet (POST /api/staff/invoicing/runs), after
 * a confirmation.
 */
import { NETWORK_MESSAGE, api, loadInto, messageOf } from '../lib/api.js';
import { byId, el } from '../lib/dom.js';
import { setBusy } from '../lib/forms.js';
import { startPage } from '../lib/page.js';
import { dataTable } from '../lib/paging.js';
import type { InvoicingMonthsView } from '../lib/views.js';
import { ofMonth } from '../../shared/domain/invoicing/month-names.js';

const say = (text: string) => {
  const status = byId('invoicing-status');
  status.textContent = text;
  status.focus();
};

function launchButton(month: string, label: string): HTMLElement {
  const button = el('button', { type: 'button', class: 'button button-secondary', 'data-month': month }, `Lancer la facturation ${ofMonth(label)}`);
  let confirming = false;
  button.addEventListener('click', async () => {
    if (button.disabled) return;
    // A first click asks for confirmation: a month is invoiced once, and its invoices go to the customers.
    if (!confirming) {
      confirming = true;
      button.textContent = `Confirmer : facturer ${label} maintenant`;
      say(`Les brouillons ${ofMonth(label)} vont être préparés, puis le lot vous sera soumis avant toute émission. Cliquez de nouveau pour confirmer.`);
      return;
    }
    setBusy(button, true, 'Lancement…');
    try {
      const result = await api('/api/staff/invoicing/runs', { method: 'POST', json: { month } });
      if (!result.ok) {
        say(messageOf(result, "La facturation n'a pas pu être lancée. Réessayez dans quelques instants."));
        return;
      }
      say(`La facturation ${ofMonth(label)} est lancée : les brouillons sont en préparation.`);
      await load();
    } catch {
      say(NETWORK_MESSAGE);
    } finally {
      if (button.isConnected) setBusy(button, false);
    }
  });
  return button;
}

async function load(): Promise<void> {
  const region = byId('months');
  const data = await loadInto<InvoicingMonthsView>(region, '/api/staff/invoicing/months');
  if (!data) return;
  const headers = ['Mois', 'Statut', 'Factures', ''];
  region.replaceChildren(
    dataTable('invoicing-months', 'Les mois et leur facturation', headers, data.items.map((item) => ({
      attributes: { 'data-month': item.month },
      cells: [
        el('a', { href: `/equipe/facturation/${item.month}` }, item.label),
        item.run ? item.run.statusLabel : 'Pas encore facturé',
        item.run ? `${item.run.counts.invoices} facture(s), ${item.run.counts.issued} émise(s)` : '—',
        item.run ? (item.run.status === 'awaiting-validation' ? el('a', { href: `/equipe/facturation/${item.month}` }, 'Valider le lot') : '') : launchButton(item.month, item.label),
      ],
    }))),
  );
}

startPage(load);
