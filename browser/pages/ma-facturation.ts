/**
 * "Ma facturation" (/ma-facturation?activite=<id>#<token>): a member of an active activity, on their phone, keeps
 * their customers, declares the month's services (a price of their list in force that day, or a free price), sees
 * the totals as the invoice will compute them (shared/domain/invoicing/amounts.ts, the server's own code), corrects
 * or deletes a declaration until the month is invoiced, and downloads their issued invoices.
 */
import { messageOf, type ApiResult } from '../lib/api.js';
import { byId, el, formatPlainDate, plural } from '../lib/dom.js';
import { downloadFile } from '../lib/download.js';
import { clearErrors, idempotencyKeyOf, radioValue, sendForm, setBusy, textValue, type FormError } from '../lib/forms.js';
import { isLinkRefusal, linkApi, linkRefusedPanel, loadWithLink, takeLink } from '../lib/link.js';
import { centsToInput, parseEuros } from '../lib/money.js';
import { startPage } from '../lib/page.js';
import type { CustomerView, DeclarationView, MemberInvoiceView, MemberStatementView, MonthDeclarationsView, MyActivitiesView } from '../lib/views.js';
import { invoiceTotals, FRANCHISE_MENTION, type AmountLine } from '../../shared/domain/invoicing/amounts.js';
import { formatEuros } from '../../shared/domain/money.js';

type PriceVersion = MonthDeclarationsView['priceVersions'][number];
type PriceLine = PriceVersion['lines'][number];

let token: string | undefined;
let activityId = '';
let month = '';
let view: MonthDeclarationsView | undefined;
let customers: CustomerView[] = [];
/** The declaration being corrected, or none (a new one). */
let correcting: { declarationId: string; version: number } | undefined;
/** The customer being edited, or none (a new one). */
let editingCustomer: { customerId: string; version: number } | undefined;

const FREE = 'libre';
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

// --- Price lists ---

/** The price version in force on a date: the latest effective on or before it, the highest version among a day's. */
function pricesOn(date: string): PriceLine[] {
  let best: PriceVersion | undefined;
  for (const v of view?.priceVersions ?? []) {
    if (v.effectiveFrom > date) continue;
    if (!best || v.effectiveFrom > best.effectiveFrom || (v.effectiveFrom === best.effectiveFrom && v.version > best.version)) best = v;
  }
  return best?.lines ?? [];
}

const vatCharged = () => view?.vatMode === 'vat';

// --- Declaration lines ---

const linesList = () => byId<HTMLOListElement>('lignes');
const lineItems = () => Array.from(linesList().querySelectorAll<HTMLLIElement>('li.declaration-line'));
const lineControl = <T extends HTMLElement = HTMLInputElement>(li: HTMLElement, name: string) => li.querySelector<T>(`[name="${name}"]`)!;

/** Ids follow the line's index, so that the API's `lines.2.unitPriceCents` lands on its field. */
function renumber(): void {
  lineItems().forEach((li, i) => {
    li.querySelector('.line-title')!.textContent = `Ligne n° ${i + 1}`;
    for (const node of li.querySelectorAll<HTMLElement>('[id]')) node.id = node.id.replace(/^f-lines-(N|\d+)-/, `f-lines-${i}-`);
    for (const label of li.querySelectorAll<HTMLLabelElement>('label[for]')) label.htmlFor = label.htmlFor.replace(/^f-lines-(N|\d+)-/, `f-lines-${i}-`);
    li.querySelector<HTMLButtonElement>('.remove-line')!.hidden = lineItems().length === 1;
  });
}

/** The price list's choices for the date typed, and "Prix libre"; the chosen one kept when it is still there. */
function fillPriceChoices(li: HTMLElement): void {
  const select = lineControl<HTMLSelectElement>(li, 'priceLineId');
  const chosen = select.value || li.dataset.priceLineId || '';
  const prices = pricesOn(textValue(byId<HTMLFormElement>('declaration-form'), 'serviceDate') || view?.today || '');
  select.replaceChildren(
    ...prices.map((p) => el('option', { value: p.lineId }, `${p.label} : ${formatEuros(p.unitPriceCents)} HT / ${p.unitLabel}`)),
    el('option', { value: FREE }, 'Prix libre (hors grille)'),
  );
  select.value = prices.some((p) => p.lineId === chosen) ? chosen : chosen === FREE || prices.length === 0 ? FREE : prices[0]!.lineId;
  showLineKind(li);
}

function showLineKind(li: HTMLElement): void {
  const free = lineControl<HTMLSelectElement>(li, 'priceLineId').value === FREE;
  for (const node of li.querySelectorAll<HTMLElement>('[data-free-only]')) node.hidden = !free;
  for (const node of li.querySelectorAll<HTMLElement>('[data-vat-only]')) node.hidden = !free || !vatCharged();
  const listed = pricesOn(textValue(byId<HTMLFormElement>('declaration-form'), 'serviceDate')).find((p) => p.lineId === lineControl<HTMLSelectElement>(li, 'priceLineId').value);
  lineControl(li, 'description').placeholder = listed ? listed.label : 'Ce que vous avez fait';
}

function addLine(prefill?: DeclarationView['lines'][number]): void {
  const template = byId<HTMLTemplateElement>('ligne-modele');
  const li = (template.content.firstElementChild as HTMLLIElement).cloneNode(true) as HTMLLIElement;
  linesList().append(li);
  if (prefill) {
    li.dataset.priceLineId = prefill.priceLineId ?? FREE;
    lineControl(li, 'description').value = prefill.description;
    lineControl(li, 'quantityHundredths').value = centsToInput(prefill.quantityHundredths);
    lineControl<HTMLSelectElement>(li, 'unit').value = prefill.unit;
    lineControl(li, 'unitPriceCents').value = centsToInput(prefill.unitPriceCents);
    if (prefill.vatRateBps !== null) lineControl<HTMLSelectElement>(li, 'vatRateBps').value = String(prefill.vatRateBps);
  }
  fillPriceChoices(li);
  li.querySelector('.remove-line')!.addEventListener('click', () => {
    li.remove();
    renumber();
    updateTotals();
  });
  renumber();
}

interface ReadLine {
  body: Record<string, unknown>;
  amount?: AmountLine;
}

/** One line as the API takes it, its amount when it can be computed, and what to correct first. */
function readLine(li: HTMLElement, i: number, errors: FormError[]): ReadLine {
  const at = (name: string) => `lines.${i}.${name}`;
  const priceLineId = lineControl<HTMLSelectElement>(li, 'priceLineId').value;
  const description = lineControl(li, 'description').value.trim();
  const quantityTyped = lineControl(li, 'quantityHundredths').value.trim();
  // A quantity reads like an amount: "1,5" is 150 hundredths.
  const quantityHundredths = parseEuros(quantityTyped);
  if (quantityHundredths === undefined || quantityHundredths === 0) errors.push({ field: at('quantityHundredths'), message: `Ligne ${i + 1} : une quantité positive, par exemple 2 ou 1,5.` });
  const body: Record<string, unknown> = { quantityHundredths };
  if (description) body.description = description;
  if (priceLineId !== FREE) {
    const listed = pricesOn(textValue(byId<HTMLFormElement>('declaration-form'), 'serviceDate')).find((p) => p.lineId === priceLineId);
    body.priceLineId = priceLineId;
    return { body, amount: listed && quantityHundredths ? { quantityHundredths, unitPriceCents: listed.unitPriceCents, vatRateBps: listed.vatRateBps } : undefined };
  }
  const unit = lineControl<HTMLSelectElement>(li, 'unit').value;
  const unitPriceCents = parseEuros(lineControl(li, 'unitPriceCents').value);
  const vat = lineControl<HTMLSelectElement>(li, 'vatRateBps').value;
  if (!description) errors.push({ field: at('description'), message: `Ligne ${i + 1} : décrivez la prestation.` });
  if (unitPriceCents === undefined || unitPriceCents === 0) errors.push({ field: at('unitPriceCents'), message: `Ligne ${i + 1} : un prix en euros, par exemple 25 ou 12,50.` });
  if (vatCharged() && !vat) errors.push({ field: at('vatRateBps'), message: `Ligne ${i + 1} : choisissez le taux de TVA.` });
  Object.assign(body, { unit, unitPriceCents }, vatCharged() && vat ? { vatRateBps: Number(vat) } : {});
  const vatRateBps = vatCharged() && vat ? Number(vat) : null;
  return { body, amount: quantityHundredths && unitPriceCents ? { quantityHundredths, unitPriceCents, vatRateBps } : undefined };
}

function readDeclaration(): { body: Record<string, unknown>; errors: FormError[]; amounts: Array<AmountLine | undefined> } {
  const form = byId<HTMLFormElement>('declaration-form');
  const errors: FormError[] = [];
  const customerId = textValue(form, 'customerId');
  const serviceDate = textValue(form, 'serviceDate');
  if (!customerId) errors.push({ field: 'customerId', message: 'Choisissez le client (ajoutez-le plus bas s’il est nouveau).' });
  if (!serviceDate) errors.push({ field: 'serviceDate', message: 'Indiquez la date de la prestation.' });
  const lines = lineItems().map((li, i) => readLine(li, i, errors));
  return { body: { customerId, serviceDate, lines: lines.map((l) => l.body) }, errors, amounts: lines.map((l) => l.amount) };
}

/** Each line's amount and the totals, computed in cents with the invoice's rules; under the franchise no VAT. */
function updateTotals(): void {
  const { amounts } = readDeclaration();
  const mode = vatCharged() ? 'vat' : 'franchise';
  const complete = amounts.every((a) => a !== undefined && (mode === 'franchise' || a.vatRateBps !== null));
  lineItems().forEach((li, i) => {
    const amount = amounts[i];
    li.querySelector('.line-total')!.textContent = amount && (mode === 'franchise' || amount.vatRateBps !== null) ? `Montant de la ligne : ${formatEuros(invoiceTotals([amount], mode).netCents)} HT` : '';
  });
  const panel = byId('totaux');
  if (!complete || amounts.length === 0) {
    panel.replaceChildren(el('p', { class: 'hint' }, 'Les totaux s’affichent quand chaque ligne a sa quantité et son prix.'));
    return;
  }
  const totals = invoiceTotals(amounts as AmountLine[], mode);
  panel.replaceChildren(
    el('p', { id: 'total-ht' }, `Total hors taxes : ${formatEuros(totals.netCents)}`),
    ...(mode === 'vat'
      ? [...totals.perRate.map((g) => el('p', {}, `TVA ${String(g.vatRateBps / 100).replace('.', ',')} % sur ${formatEuros(g.baseCents)} : ${formatEuros(g.vatCents)}`)), el('p', { id: 'total-ttc' }, el('strong', {}, `Total TTC : ${formatEuros(totals.grossCents)}`))]
      : [el('p', { class: 'hint' }, FRANCHISE_MENTION), el('p', { id: 'total-ttc' }, el('strong', {}, `Total à payer : ${formatEuros(totals.grossCents)}`))]),
  );
}

function resetDeclaration(): void {
  const form = byId<HTMLFormElement>('declaration-form');
  clearErrors(form);
  correcting = undefined;
  form.reset();
  (form.elements.namedItem('serviceDate') as HTMLInputElement).value = defaultDate();
  linesList().replaceChildren();
  addLine();
  byId('declarer').textContent = 'Enregistrer la prestation';
  byId('annuler-correction').hidden = true;
  updateTotals();
}

/** Today in the month shown, else the month's last day (a past month), else its first. */
function defaultDate(): string {
  const today = view?.today ?? '';
  if (today.startsWith(month)) return today;
  if (month < today) {
    const [y, m] = month.split('-').map(Number);
    return `${month}-${String(new Date(Date.UTC(y!, m!, 0)).getUTCDate()).padStart(2, '0')}`;
  }
  return `${month}-01`;
}

function correct(declaration: DeclarationView): void {
  const form = byId<HTMLFormElement>('declaration-form');
  clearErrors(form);
  correcting = { declarationId: declaration.declarationId, version: declaration.version };
  (form.elements.namedItem('customerId') as HTMLSelectElement).value = declaration.customerId;
  (form.elements.namedItem('serviceDate') as HTMLInputElement).value = declaration.serviceDate;
  linesList().replaceChildren();
  for (const line of declaration.lines) addLine(line);
  byId('declarer').textContent = 'Enregistrer la correction';
  byId('annuler-correction').hidden = false;
  updateTotals();
  byId('declarer-titre').scrollIntoView({ block: 'start' });
}

// --- Lists ---

function declarationCard(d: DeclarationView): HTMLElement {
  const actions: HTMLElement[] = [];
  if (d.canChange) {
    const fix = el('button', { type: 'button', class: 'button button-secondary' }, 'Corriger');
    fix.addEventListener('click', () => correct(d));
    const remove = el('button', { type: 'button', class: 'button button-secondary' }, 'Supprimer');
    remove.addEventListener('click', async () => {
      if (!window.confirm('Supprimer cette prestation ?')) return;
      setBusy(remove, true, 'Suppression…');
      const result = await call<unknown>(`${base()}/months/${month}/declarations/${encodeURIComponent(d.declarationId)}?version=${d.version}`, { method: 'DELETE' });
      if (!result.ok) {
        setBusy(remove, false);
        if (!isLinkRefusal(result)) say('declaration-statut', messageOf(result, "La prestation n'a pas pu être supprimée."), true);
        return;
      }
      await load();
      say('facturation-statut', 'Prestation supprimée.');
    });
    actions.push(fix, remove);
  }
  return el('article', { class: 'card declaration', 'data-declaration-id': d.declarationId },
    el('h3', {}, `${formatPlainDate(d.serviceDate)} · ${d.customerName}`),
    el('ul', {}, ...d.lines.map((l) => el('li', {}, `${l.description} : ${centsToInput(l.quantityHundredths)} ${l.unitLabel} × ${formatEuros(l.unitPriceCents)} = ${formatEuros(l.netCents)} HT`))),
    el('p', {}, el('strong', {}, `Total : ${formatEuros(d.totals.grossCents)}`), vatCharged() ? ` (dont TVA ${formatEuros(d.totals.vatCents)})` : ''),
    el('p', { class: 'hint' }, `Déclarée par ${d.declaredBy}${d.canChange ? '' : ' · en facturation, ne peut plus être modifiée'}`),
    ...(actions.length ? [el('div', { class: 'item-actions' }, ...actions)] : []));
}

function customerCard(c: CustomerView): HTMLElement {
  const edit = el('button', { type: 'button', class: 'button button-secondary' }, 'Modifier');
  edit.addEventListener('click', () => editCustomer(c));
  return el('article', { class: 'card customer', 'data-customer-id': c.customerId },
    el('h3', {}, c.name),
    el('p', {}, `${c.kindLabel}${c.siren ? ` · SIREN ${c.siren}` : ''}`),
    el('p', { class: 'hint' }, `${c.address.line1}, ${c.address.postalCode} ${c.address.city} · ${c.email}`),
    el('div', { class: 'item-actions' }, edit));
}

function invoiceCard(i: MemberInvoiceView): HTMLElement {
  const parts: HTMLElement[] = [
    el('h3', {}, `${i.kindLabel} ${i.number ?? ''} · ${i.customerName}`.replace('  ', ' ')),
    el('p', {}, el('span', { class: 'badge' }, i.statusLabel), i.issueDate ? ` émise le ${formatPlainDate(i.issueDate)}` : '', i.dueDate ? `, à payer avant le ${formatPlainDate(i.dueDate)}` : ''),
    el('p', {}, `Total : ${formatEuros(i.totals.grossCents)} · payé : ${formatEuros(i.paidCents)} · reste à payer : ${formatEuros(i.leftCents)}`),
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
    el('p', {}, `Contribution de la coopérative : ${formatEuros(statement.contributionCents)}`),
    el('p', {}, el('strong', {}, `${statement.collective ? 'Votre part' : 'Ce qui vous revient'} : ${formatEuros(statement.leftCents)}`)),
    el('div', { class: 'item-actions' }, button),
    status);
}

function say(id: string, text: string, error = false): void {
  const status = byId(id);
  status.className = error ? 'message-error' : '';
  status.textContent = text;
}

// --- Customers ---

function showBusinessFields(): void {
  byId('champs-entreprise').hidden = radioValue(byId<HTMLFormElement>('client-form'), 'kind') !== 'business';
}

function editCustomer(c: CustomerView): void {
  const form = byId<HTMLFormElement>('client-form');
  clearErrors(form);
  editingCustomer = { customerId: c.customerId, version: c.version };
  form.querySelector<HTMLInputElement>(`input[name="kind"][value="${c.kind}"]`)!.checked = true;
  const set = (name: string, value: string | undefined) => ((form.elements.namedItem(name) as HTMLInputElement).value = value ?? '');
  set('name', c.name);
  set('address.line1', c.address.line1);
  set('address.line2', c.address.line2);
  set('address.postalCode', c.address.postalCode);
  set('address.city', c.address.city);
  set('email', c.email);
  set('siren', c.siren);
  set('vatNumber', c.vatNumber);
  showBusinessFields();
  byId('client-form-titre').textContent = `Modifier le client ${c.name}`;
  byId('annuler-client').hidden = false;
  form.scrollIntoView({ block: 'start' });
}

function resetCustomer(): void {
  const form = byId<HTMLFormElement>('client-form');
  clearErrors(form);
  form.reset();
  editingCustomer = undefined;
  showBusinessFields();
  byId('client-form-titre').textContent = 'Ajouter un client';
  byId('annuler-client').hidden = true;
}

function readCustomer(): { body: Record<string, unknown>; errors: FormError[] } {
  const form = byId<HTMLFormElement>('client-form');
  const kind = radioValue(form, 'kind');
  const errors: FormError[] = [];
  if (!kind) errors.push({ field: 'kind', message: 'Choisissez : particulier ou entreprise.' });
  const address: Record<string, string> = { line1: textValue(form, 'address.line1'), postalCode: textValue(form, 'address.postalCode'), city: textValue(form, 'address.city') };
  if (textValue(form, 'address.line2')) address.line2 = textValue(form, 'address.line2');
  const body: Record<string, unknown> = { kind, name: textValue(form, 'name'), address, email: textValue(form, 'email') };
  if (kind === 'business') {
    if (textValue(form, 'siren')) body.siren = textValue(form, 'siren');
    if (textValue(form, 'vatNumber')) body.vatNumber = textValue(form, 'vatNumber');
  }
  return { body, errors };
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
  view = monthView.data;
  customers = customerList.data.customers;
  byId('facturation').replaceChildren(el('p', { class: 'lead' }, `${view.tradeName} · ${view.monthLabel}`));
  byId('facturation-contenu').hidden = false;
  const open = view.status === 'open';
  byId('mois-etat').replaceChildren(
    open
      ? el('p', { class: 'panel panel-info' }, `Déclarez vos prestations de ${view.monthLabel} : vous pouvez les corriger jusqu'à la facturation du mois.`)
      : el('p', { class: 'panel panel-warning', id: 'mois-facture' }, `${view.monthLabel} est en facturation : ses prestations ne peuvent plus être modifiées.`),
  );
  byId('section-declarer').hidden = !open;
  const select = byId<HTMLSelectElement>('f-customerId');
  const chosen = select.value;
  select.replaceChildren(el('option', { value: '' }, customers.length ? 'Choisir un client' : 'Ajoutez d’abord un client plus bas'), ...customers.map((c) => el('option', { value: c.customerId }, `${c.name} (${c.kindLabel.toLowerCase()})`)));
  select.value = customers.some((c) => c.customerId === chosen) ? chosen : '';
  if (!correcting) resetDeclaration();
  byId('declarations').replaceChildren(
    ...(view.declarations.length
      ? [el('p', {}, `${plural(view.declarations.length, 'prestation', 'prestations')} en ${view.monthLabel}.`), ...view.declarations.map(declarationCard)]
      : [el('p', {}, `Aucune prestation déclarée en ${view.monthLabel}.`)]),
  );
  byId('clients').replaceChildren(...(customers.length ? customers.map(customerCard) : [el('p', {}, 'Aucun client pour le moment.')]));
  byId('releve').replaceChildren(statementNode(statement.ok ? statement.data : undefined));
  byId('factures').replaceChildren(...(invoices.data.invoices.length ? invoices.data.invoices.map(invoiceCard) : [el('p', {}, `Pas de facture pour ${view.monthLabel} : elles sont faites au début du mois suivant.`)]));
}

/** The activity: the one named in the address, else the young person's first active one. */
async function chooseActivity(): Promise<boolean> {
  const mine = await loadWithLink<MyActivitiesView>(byId('facturation'), token, '/api/me/activities');
  if (!mine) return false;
  const wanted = new URLSearchParams(location.search).get('activite');
  const active = mine.activities.filter((a) => a.status === 'active');
  const found = active.find((a) => a.activityId === wanted) ?? active[0];
  if (!found) {
    byId('facturation').replaceChildren(el('p', { class: 'panel panel-info' }, 'Votre activité n’est pas encore lancée : vous pourrez déclarer vos prestations une fois son lancement validé.'));
    return false;
  }
  activityId = found.activityId;
  return true;
}

startPage(async () => {
  token = takeLink('young-person');
  const declarationForm = byId<HTMLFormElement>('declaration-form');
  const customerForm = byId<HTMLFormElement>('client-form');
  const declarationKey = idempotencyKeyOf(declarationForm);
  const customerKey = idempotencyKeyOf(customerForm);

  declarationForm.addEventListener('input', updateTotals);
  declarationForm.addEventListener('change', (event) => {
    const target = event.target as HTMLElement;
    if (target.getAttribute('name') === 'serviceDate') for (const li of lineItems()) fillPriceChoices(li);
    if (target.getAttribute('name') === 'priceLineId') showLineKind(target.closest('li')!);
    updateTotals();
  });
  byId('ajouter-ligne').addEventListener('click', () => {
    addLine();
    updateTotals();
  });
  byId('annuler-correction').addEventListener('click', resetDeclaration);
  const toCorrect = (errors: FormError[]) => `Corrigez ${plural(errors.length, 'point', 'points')} :`;
  sendForm<DeclarationView>(declarationForm, byId<HTMLButtonElement>('declarer'), {
    busy: 'Enregistrement…',
    incomplete: toCorrect,
    failure: "La prestation n'a pas pu être enregistrée.",
    shownElsewhere: isLinkRefusal,
    read: () => {
      say('declaration-statut', '');
      return readDeclaration();
    },
    send: (body) =>
      correcting
        ? call<DeclarationView>(`${base()}/months/${month}/declarations/${encodeURIComponent(correcting.declarationId)}`, { method: 'PUT', json: { ...(body as object), version: correcting.version } })
        : call<DeclarationView>(`${base()}/months/${month}/declarations`, { method: 'POST', json: body, headers: { 'idempotency-key': declarationKey.key() } }),
    done: async (declaration) => {
      const was = correcting ? 'Correction enregistrée.' : `Prestation enregistrée : ${formatEuros(declaration.totals.grossCents)} pour ${declaration.customerName}.`;
      declarationKey.renew();
      correcting = undefined;
      await load();
      say('declaration-statut', was);
    },
  });

  customerForm.addEventListener('change', showBusinessFields);
  byId('annuler-client').addEventListener('click', resetCustomer);
  sendForm<CustomerView>(customerForm, byId<HTMLButtonElement>('enregistrer-client'), {
    busy: 'Enregistrement…',
    incomplete: toCorrect,
    failure: "Le client n'a pas pu être enregistré.",
    shownElsewhere: isLinkRefusal,
    read: () => {
      say('client-statut', '');
      return readCustomer();
    },
    send: (body) =>
      editingCustomer
        ? call<CustomerView>(`${base()}/customers/${encodeURIComponent(editingCustomer.customerId)}`, { method: 'PUT', json: { ...(body as object), version: editingCustomer.version } })
        : call<CustomerView>(`${base()}/customers`, { method: 'POST', json: body, headers: { 'idempotency-key': customerKey.key() } }),
    done: async (customer) => {
      customerKey.renew();
      resetCustomer();
      await load();
      say('client-statut', `Client enregistré : ${customer.name}.`);
    },
  });

  const monthInput = byId<HTMLInputElement>('mois');
  monthInput.addEventListener('change', async () => {
    if (!/^\d{4}-\d{2}$/.test(monthInput.value)) return;
    month = monthInput.value;
    correcting = undefined;
    await load();
  });

  if (!(await chooseActivity())) return;
  month = parisMonth();
  monthInput.value = month;
  monthInput.max = month;
  await load();
});
