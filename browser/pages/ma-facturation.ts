/**
 * "Ma facturation" (/ma-facturation?activite=<id>&mois=<YYYY-MM>#<token>): a member of an active activity, on their
 * phone, keeps their customers, declares the month's services and corrects them until the month is invoiced
 * (browser/lib/recording.ts, the same forms as staff's), and downloads their issued invoices and their monthly
 * statement. The statement's e-mail links here with its activity and month.
 */
import { messageOf, type ApiResult } from '../lib/api.js';
import { byId, el, formatPlainDate } from '../lib/dom.js';
import { downloadFile } from '../lib/download.js';
import { setBusy } from '../lib/forms.js';
import { isLinkRefusal, linkApi, linkRefusedPanel, loadWithLink, takeLink } from '../lib/link.js';
import { startPage } from '../lib/page.js';
import { forgetCorrection, say, showMonth, wireRecording } from '../lib/recording.js';
import type { CustomerView, MemberInvoiceView, MemberStatementView, MonthDeclarationsView, MyActivitiesView } from '../lib/views.js';
import { formatEuros } from '../../shared/domain/money.js';
import { ofMonth } from '../../shared/domain/invoicing/month-names.js';

let token: string | undefined;
let activityId = '';
let month = '';

const base = () => `/api/me/activities/${encodeURIComponent(activityId)}`;

async function call<T>(path: string, options: { method?: string; json?: unknown; headers?: Record<string, string> } = {}): Promise<ApiResult<T>> {
  const result = await linkApi<T>(token ?? '', path, options);
  if (!result.ok && isLinkRefusal(result)) {
    byId('facturation-contenu').hidden = true;
    byId('facturation').replaceChildren(linkRefusedPanel(messageOf(result, '')));
  }
  return result;
}

/** Today's month in Paris, as YYYY-MM. */
const parisMonth = () => new Intl.DateTimeFormat('fr-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit' }).format(new Date()).slice(0, 7);

function invoiceCard(i: MemberInvoiceView): HTMLElement {
  const parts: HTMLElement[] = [
    el('h3', {}, `${i.kindLabel} ${i.number ?? ''} · ${i.customerName}`.replace('  ', ' ')),
    el('p', {}, el('span', { class: 'badge' }, i.statusLabel), i.issueDate ? ` émise le ${formatPlainDate(i.issueDate)}` : '', i.dueDate ? `, à payer avant le ${formatPlainDate(i.dueDate)}` : ''),
    // Paid and left only once issued: a draft or held invoice is owed by no one yet, not "0,00 € left to pay".
    el('p', {}, i.number ? `Total : ${formatEuros(i.totals.grossCents)} · payé : ${formatEuros(i.paidCents)} · reste à payer : ${formatEuros(i.leftCents)}` : `Total : ${formatEuros(i.totals.grossCents)} · pas encore envoyée au client`),
  ];
  if (i.holdReason) parts.push(el('p', { class: 'panel panel-warning' }, `L'équipe a mis cette facture en attente : ${i.holdReason}`));
  if (i.hasPdf && i.number) {
    const button = el('button', { type: 'button', class: 'button button-secondary invoice-pdf' }, 'Télécharger le PDF');
    const status = el('p', { role: 'status' });
    const fileName = `${i.kind === 'credit-note' ? 'avoir' : 'facture'}-${i.number}.pdf`;
    button.addEventListener('click', async () => {
      setBusy(button, true, 'Téléchargement…');
      const result = await downloadFile(`${base()}/invoices/${encodeURIComponent(i.invoiceId)}/pdf`, { 'x-parcours-link': token ?? '' }, fileName);
      if (!result.ok) status.textContent = messageOf(result, "Le PDF n'a pas pu être téléchargé. Réessayez dans quelques instants.");
      setBusy(button, false);
    });
    parts.push(el('div', { class: 'item-actions' }, button), status);
  }
  return el('article', { class: 'card invoice', 'data-invoice-id': i.invoiceId }, ...parts);
}

/** The month's statement once issued (after the invoices' validation), with its PDF. */
function statementNode(statement: MemberStatementView | undefined): HTMLElement {
  if (!statement) return el('p', {}, 'Le relevé du mois est envoyé une fois ses factures validées par l’équipe.');
  const button = el('button', { type: 'button', class: 'button button-secondary statement-pdf' }, 'Télécharger mon relevé (PDF)');
  const status = el('p', { role: 'status' });
  button.addEventListener('click', async () => {
    setBusy(button, true, 'Téléchargement…');
    const result = await downloadFile(`${base()}/months/${month}/statement/pdf`, { 'x-parcours-link': token ?? '' }, `releve-${month}.pdf`);
    if (!result.ok) status.textContent = messageOf(result, "Le relevé n'a pas pu être téléchargé. Réessayez dans quelques instants.");
    setBusy(button, false);
  });
  return el('article', { class: 'card statement' },
    el('p', {}, `Chiffre d'affaires hors taxes : ${formatEuros(statement.revenueExclVatCents)}`),
    el('p', {}, `Paiements reçus : ${formatEuros(statement.paymentsReceivedCents)}`),
    statement.refundedCents > 0 ? el('p', {}, `Remboursé à vos clients : ${formatEuros(statement.refundedCents)}`) : '',
    el('p', {}, `Contribution de la coopérative : ${formatEuros(statement.contributionCents)}`),
    el('p', {}, el('strong', {}, `${statement.collective ? 'Votre part' : 'Ce qui vous revient'} : ${formatEuros(statement.leftCents)}`)),
    el('div', { class: 'item-actions' }, button),
    status);
}

// --- Loading ---

async function load(): Promise<void> {
  const [monthView, customerList, invoices, statement] = await Promise.all([
    call<MonthDeclarationsView>(`${base()}/months/${month}/declarations`),
    call<{ customers: CustomerView[] }>(`${base()}/customers`),
    call<{ invoices: MemberInvoiceView[] }>(`${base()}/months/${month}/invoices`),
    // 404 until the month's statement is issued.
    linkApi<MemberStatementView>(token ?? '', `${base()}/months/${month}/statement`),
  ]);
  if (!monthView.ok || !customerList.ok || !invoices.ok) {
    const failed = [monthView, customerList, invoices].find((r) => !r.ok)!;
    if (!isLinkRefusal(failed)) say('facturation-statut', messageOf(failed, "Le chargement n'a pas abouti. Réessayez dans quelques instants."), true);
    return;
  }
  const view = monthView.data;
  byId('facturation').replaceChildren(el('p', { class: 'lead' }, `${view.tradeName} · ${view.monthLabel}`));
  byId('facturation-contenu').hidden = false;
  showMonth(view, customerList.data.customers);
  // A month invoiced, or whose statement is out (its e-mail links here): the statement and invoices first, what the
  // member comes for, not under the forms; an open month: the declaration form first.
  const statementFirst = view.status !== 'open' || statement.ok;
  if (statementFirst) byId('mois-etat').after(byId('section-releve'), byId('section-factures'));
  else byId('facturation-contenu').append(byId('section-factures'), byId('section-releve'));
  byId('releve').replaceChildren(statementNode(statement.ok ? statement.data : undefined));
  byId('factures').replaceChildren(...(invoices.data.invoices.length ? invoices.data.invoices.map(invoiceCard) : [el('p', {}, `Pas de facture pour ${view.monthLabel} : elles sont faites au début du mois suivant.`)]));
}

/**
 * The activity: the one named in the address (a statement's link may name one paused or closed since: its last month
 * is invoiced all the same), else the young person's first active one.
 */
async function chooseActivity(): Promise<boolean> {
  const mine = await loadWithLink<MyActivitiesView>(byId('facturation'), token, '/api/me/activities');
  if (!mine) return false;
  const wanted = new URLSearchParams(location.search).get('activite');
  const launched = mine.activities.filter((a) => a.status === 'active' || a.status === 'paused' || a.status === 'closed');
  const found = launched.find((a) => a.activityId === wanted) ?? launched.find((a) => a.status === 'active');
  if (!found) {
    byId('facturation').replaceChildren(el('p', { class: 'panel panel-info' }, 'Votre activité n’est pas encore lancée : vous pourrez déclarer vos prestations une fois son lancement validé.'));
    return false;
  }
  activityId = found.activityId;
  return true;
}

startPage(async () => {
  token = takeLink('young-person');
  wireRecording({
    base,
    call,
    shown: isLinkRefusal,
    reload: load,
    openText: (label) => `Déclarez vos prestations ${ofMonth(label)} : vous pouvez les corriger jusqu'à la facturation du mois.`,
  });

  const monthInput = byId<HTMLInputElement>('mois');
  monthInput.addEventListener('change', async () => {
    if (!/^\d{4}-\d{2}$/.test(monthInput.value)) return;
    month = monthInput.value;
    forgetCorrection();
    await load();
  });

  if (!(await chooseActivity())) return;
  // The month named in the address (a statement's), else this one.
  const current = parisMonth();
  const wanted = new URLSearchParams(location.search).get('mois') ?? '';
  month = /^\d{4}-(0[1-9]|1[0-2])$/.test(wanted) && wanted <= current ? wanted : current;
  monthInput.value = month;
  monthInput.max = current;
  await load();
});
