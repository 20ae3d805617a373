/*
 * Staff: one month's invoicing (GET /api/staff/invoicing/months/{month}). While the batch waits for the team, every
 * draft with its total, each with "Mettre en attente" and a reason; "Valider le lot" posts the invoicing-batch
 * decision (POST /api/approvals/{approvalId}/decision, { outcome: 'approve', held }). Then the month's invoices with
 * their numbers and statuses, a page at a time, and the month's accounting journal (CSV: pieces issued and payments
 * received in the month, whatever month they bill).
 */
import { NETWORK_MESSAGE, api, apiErrors, loadInto, messageOf } from '../lib/api.js';
import { byId, el } from '../lib/dom.js';
import { clearErrors, setBusy, showErrors, type FormError } from '../lib/forms.js';
import { INVOICE_HEADERS, formatEuros, invoiceRow, wireDownload } from '../lib/invoicing.js';
import { startPage } from '../lib/page.js';
import { fetchListPage, moreText, pagedTable } from '../lib/paging.js';
import type { InvoiceListItem, InvoicingMonthView } from '../lib/views.js';
import { ofMonth } from '../../shared/domain/invoicing/month-names.js';

const month = () => document.body.dataset.month ?? '';
const monthPath = () => `/api/staff/invoicing/months/${encodeURIComponent(month())}`;
const say = (text: string) => {
  const status = byId('month-status');
  status.textContent = text;
  status.focus();
};

/** Every draft of the month (the batch is validated whole): the pages read to the end. */
async function allDrafts(first: InvoicingMonthView): Promise<InvoiceListItem[]> {
  const items = [...first.items];
  let cursor = first.cursor;
  for (let round = 0; cursor && round < 200; round++) {
    const page = await fetchListPage<InvoiceListItem>((c) => `${monthPath()}?limit=100${c ? `&cursor=${encodeURIComponent(c)}` : ''}`, cursor);
    if (!page.ok) break;
    items.push(...page.data.items);
    cursor = page.data.cursor;
  }
  return items.filter((invoice) => invoice.kind === 'invoice' && (invoice.status === 'draft' || invoice.status === 'held'));
}

function draftCard(invoice: InvoiceListItem, index: number): HTMLElement {
  const holdId = `hold-${index}`;
  const reasonId = `reason-${index}`;
  const reason = el('textarea', { id: reasonId, name: 'reason', rows: 2, maxlength: 1000, 'aria-describedby': `${reasonId}-hint` });
  const reasonField = el('div', { class: 'field', hidden: true },
    el('label', { for: reasonId }, 'Raison, pour les membres'),
    el('p', { class: 'hint', id: `${reasonId}-hint` }, 'Par exemple : les heures déclarées le 12 sont à vérifier.'),
    el('p', { class: 'field-error', id: `${reasonId}-error`, hidden: true }),
    reason);
  const hold = el('input', { type: 'checkbox', id: holdId, name: 'hold', value: invoice.invoiceId });
  hold.addEventListener('change', () => {
    reasonField.hidden = !hold.checked;
    if (hold.checked) reason.focus();
  });
  return el('li', { class: 'card', 'data-invoice-id': invoice.invoiceId },
    el('p', {}, el('a', { href: `/equipe/factures/${encodeURIComponent(invoice.invoiceId)}` }, invoice.customer.name), ` · ${invoice.franchise ? `${formatEuros(invoice.grossCents)} (TVA non applicable)` : `${formatEuros(invoice.grossCents)} TTC (${formatEuros(invoice.netCents)} HT)`}`),
    invoice.status === 'held' && invoice.holdReason ? el('p', { class: 'hint' }, `Déjà en attente : ${invoice.holdReason}`) : '',
    el('div', { class: 'choice' }, hold, el('label', { for: holdId }, 'Mettre en attente')),
    reasonField);
}

function prepareBatch(data: InvoicingMonthView, drafts: InvoiceListItem[]): void {
  const section = byId('batch-section');
  const run = data.run;
  if (!run || run.status !== 'awaiting-validation' || !run.approvalId) {
    section.hidden = true;
    return;
  }
  const list = el('ol', { class: 'cards', id: 'batch-list' }, drafts.map(draftCard));
  const total = drafts.reduce((sum, invoice) => sum + invoice.grossCents, 0);
  byId('batch-drafts').replaceChildren(el('p', { id: 'batch-total' }, `${drafts.length} brouillon(s), ${formatEuros(total)}${drafts.every((invoice) => invoice.franchise) ? '' : ' TTC'} en tout.`), list);
  section.hidden = false;
  const form = byId<HTMLFormElement>('batch-form');
  const button = byId<HTMLButtonElement>('batch-submit');
  form.onsubmit = async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    clearErrors(form);
    // Each held invoice's reason field takes the id the API's errors name (`held.<i>.reason` → f-held-<i>-reason).
    const held: Array<{ invoiceId: string; reason: string }> = [];
    const errors: FormError[] = [];
    for (const card of list.querySelectorAll<HTMLElement>('li[data-invoice-id]')) {
      const box = card.querySelector<HTMLInputElement>('input[name="hold"]')!;
      if (!box.checked) continue;
      const reason = card.querySelector<HTMLTextAreaElement>('textarea')!;
      const slot = card.querySelector<HTMLElement>('.field-error')!;
      const i = held.length;
      reason.id = `f-held-${i}-reason`;
      slot.id = `f-held-${i}-reason-error`;
      card.querySelector('label[for^="reason-"], label[for^="f-held-"]')?.setAttribute('for', reason.id);
      held.push({ invoiceId: card.dataset.invoiceId!, reason: reason.value.trim() });
      if (!reason.value.trim()) errors.push({ field: `held.${i}.reason`, message: `${card.querySelector('a')?.textContent ?? 'Facture'} : donnez la raison de la mise en attente.` });
    }
    if (errors.length) return showErrors(form, 'Des raisons manquent.', errors);
    setBusy(button, true, 'Validation…');
    try {
      const result = await api(`/api/approvals/${encodeURIComponent(run.approvalId!)}/decision`, { method: 'POST', json: { outcome: 'approve', ...(held.length ? { held } : {}) } });
      if (!result.ok) return showErrors(form, messageOf(result, "Le lot n'a pas pu être validé. Réessayez dans quelques instants."), apiErrors(result));
      section.hidden = true;
      // The run takes the decision from here: until it moves on, the month no longer reads "Lot à valider".
      byId('run-summary').textContent = 'Lot validé · numérotation et envoi en cours…';
      say(held.length ? `Lot validé : ${drafts.length - held.length} facture(s) vont être numérotées et envoyées, ${held.length} mise(s) en attente.` : `Lot validé : ${drafts.length} facture(s) vont être numérotées et envoyées.`);
      void followRun();
    } catch {
      showErrors(form, NETWORK_MESSAGE, []);
    } finally {
      setBusy(button, false);
    }
  };
}

/**
 * After the batch's validation, the month read again every few seconds while its run numbers and sends the invoices,
 * shown once it has moved past the validation and again when it is over: the invoices with their numbers and statuses.
 */
async function followRun(): Promise<void> {
  let shown: string | undefined;
  for (let round = 0; round < 60; round++) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(1000 + round * 500, 5000)));
    const result = await api<InvoicingMonthView>(`${monthPath()}?limit=100`).catch(() => undefined);
    const status = result?.ok ? result.data.run?.status : undefined;
    if (!result?.ok || !status || status === 'awaiting-validation') continue;
    if (status !== shown) {
      shown = status;
      await render(result.data);
    }
    if (status === 'done') return;
  }
}

async function load(): Promise<void> {
  const data = await loadInto<InvoicingMonthView>(byId('month'), `${monthPath()}?limit=100`);
  if (data) await render(data);
}

async function render(data: InvoicingMonthView): Promise<void> {
  const region = byId('month');
  byId('month-title').textContent = `Facturation ${ofMonth(data.label)}`;
  document.title = `Facturation ${ofMonth(data.label)} - CoopConnexion Parcours`;
  const run = data.run;
  region.replaceChildren(
    run
      ? el('p', { id: 'run-summary' }, `${run.statusLabel} · ${run.counts.activities} activité(s), ${run.counts.invoices} facture(s), ${run.counts.held} en attente, ${run.counts.issued} émise(s), ${run.counts.sent} envoyée(s).`)
      : el('p', { id: 'run-summary' }, "Ce mois n'a pas encore été facturé."),
  );
  prepareBatch(data, run?.status === 'awaiting-validation' ? await allDrafts(data) : []);
  const [table, more] = pagedTable({
    className: 'invoices',
    headers: INVOICE_HEADERS,
    caption: (count, next) => `${count} facture(s) et avoir(s)${moreText(next)}`,
    toRow: invoiceRow,
    items: data.items,
    cursor: data.cursor,
    path: `${monthPath()}?limit=100`,
    key: 'items',
    param: 'cursor',
  });
  byId('invoices').replaceChildren(table, more ?? '');
}

startPage(async () => {
  wireDownload(byId<HTMLButtonElement>('export-download'), byId('export-status'), {
    busy: 'Préparation du journal…',
    path: () => `${monthPath()}?format=csv`,
    fileName: () => `journal-${month()}.csv`,
    failure: "Le journal n'a pas pu être préparé. Réessayez dans quelques instants.",
  });
  await load();
});
