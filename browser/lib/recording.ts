/**
 * Recording an activity's customers and a month's declarations: the forms and lists of shared/pages/invoicing.ts
 * `recordingSections`, the same for a member in "Ma facturation" (personal link) and for staff on a member's behalf
 * (/equipe/activites/<id>/facturation). Lines from the price list in force on the service date or a free price, the
 * totals computed live by the invoice's own rules (shared/domain/invoicing/amounts.ts), corrections and deletions by
 * version until the month is invoiced, customers created under an Idempotency-Key and edited by version.
 */
import { messageOf, type ApiResult } from './api.js';
import { byId, el, formatPlainDate, plural } from './dom.js';
import { clearErrors, idempotencyKeyOf, radioValue, sendForm, setBusy, textValue, type FormError } from './forms.js';
import { centsToInput, parseEuros } from './money.js';
import type { CustomerView, DeclarationView, MonthDeclarationsView } from './views.js';
import { invoiceTotals, quantityWithUnit, FRANCHISE_MENTION, type AmountLine } from '../../shared/domain/invoicing/amounts.js';
import { formatEuros } from '../../shared/domain/money.js';

type PriceVersion = MonthDeclarationsView['priceVersions'][number];
type PriceLine = PriceVersion['lines'][number];
type CallOptions = { method?: string; json?: unknown; headers?: Record<string, string> };

export interface RecordingSetup {
  /** The activity's API path: `/api/me/activities/<id>` or `/api/staff/activities/<id>`. */
  base: () => string;
  call: <T>(path: string, options?: CallOptions) => Promise<ApiResult<T>>;
  /** A refusal the caller already showed (a personal link's): nothing more to say by the form. */
  shown?: (result: { status: number }) => boolean;
  /** Reads the page again after a write. */
  reload: () => Promise<void>;
  /** What an open month's panel says. */
  openText: (monthLabel: string) => string;
  /** Staff: more fields of a new declaration (the member it is for), and what to correct first. */
  extraDeclaration?: () => { body: Record<string, unknown>; errors: FormError[] };
  /** Staff: what follows a customer saved (the invoice to send again once their e-mail is corrected). */
  customerSaved?: (customer: CustomerView) => void;
}

let setup: RecordingSetup;
let view: MonthDeclarationsView | undefined;
/** The declaration being corrected, or none (a new one). */
let correcting: { declarationId: string; version: number } | undefined;
/** The customer being edited, or none (a new one). */
let editingCustomer: { customerId: string; version: number } | undefined;

const FREE = 'libre';
const shown = (result: { status: number }) => setup.shown?.(result) ?? false;

/** Says something in a status region (an error in the error style). */
export function say(id: string, text: string, error = false): void {
  const status = byId(id);
  status.className = error ? 'message-error' : '';
  status.textContent = text;
}

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
  lineControl(li, 'description').placeholder = listed ? listed.label : 'Ce qui a été fait';
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

/** A line's unit as it reads ("heure"): the price list's, or the one chosen for a free price. */
function unitOf(li: HTMLElement): string {
  const priceLineId = lineControl<HTMLSelectElement>(li, 'priceLineId').value;
  if (priceLineId !== FREE) return pricesOn(textValue(byId<HTMLFormElement>('declaration-form'), 'serviceDate')).find((p) => p.lineId === priceLineId)?.unitLabel ?? '';
  const unit = lineControl<HTMLSelectElement>(li, 'unit');
  return unit.selectedOptions[0]?.textContent ?? '';
}

/** Each line's amount and the totals, computed in cents with the invoice's rules; under the franchise no VAT. */
function updateTotals(): void {
  const { amounts } = readDeclaration();
  const mode = vatCharged() ? 'vat' : 'franchise';
  const complete = amounts.every((a) => a !== undefined && (mode === 'franchise' || a.vatRateBps !== null));
  lineItems().forEach((li, i) => {
    const amount = amounts[i];
    // The price is spelled out: on a phone the chosen line of the price list is cut short in its select.
    li.querySelector('.line-total')!.textContent = amount && (mode === 'franchise' || amount.vatRateBps !== null)
      ? `Montant de la ligne : ${quantityWithUnit(amount.quantityHundredths, unitOf(li))} × ${formatEuros(amount.unitPriceCents)} = ${formatEuros(invoiceTotals([amount], mode).netCents)} HT`
      : '';
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
  // A correction keeps the member it was declared for: the choice is a new declaration's.
  const member = document.getElementById('f-memberReferralId') as HTMLSelectElement | null;
  if (member) member.disabled = false;
  updateTotals();
}

/** Today in the month shown, else the month's last day (a past month), else its first. */
function defaultDate(): string {
  const today = view?.today ?? '';
  const month = view?.month ?? '';
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
  const member = document.getElementById('f-memberReferralId') as HTMLSelectElement | null;
  if (member) member.disabled = true;
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
      const result = await setup.call<unknown>(`${setup.base()}/months/${d.month}/declarations/${encodeURIComponent(d.declarationId)}?version=${d.version}`, { method: 'DELETE' });
      if (!result.ok) {
        setBusy(remove, false);
        if (!shown(result)) say('declaration-statut', messageOf(result, "La prestation n'a pas pu être supprimée."), true);
        return;
      }
      await setup.reload();
      say('facturation-statut', 'Prestation supprimée.');
    });
    actions.push(fix, remove);
  }
  return el('article', { class: 'card declaration', 'data-declaration-id': d.declarationId },
    el('h3', {}, `${formatPlainDate(d.serviceDate)} · ${d.customerName}`),
    el('ul', {}, ...d.lines.map((l) => el('li', {}, `${l.description} : ${quantityWithUnit(l.quantityHundredths, l.unitLabel)} × ${formatEuros(l.unitPriceCents)} = ${formatEuros(l.netCents)} HT`))),
    el('p', {}, el('strong', {}, `Total : ${formatEuros(d.totals.grossCents)}`), vatCharged() ? ` (dont TVA ${formatEuros(d.totals.vatCents)})` : ''),
    el('p', { class: 'hint' }, `Déclarée par ${d.declaredBy}${d.canChange ? '' : ' · en facturation, ne peut plus être modifiée'}`),
    ...(actions.length ? [el('div', { class: 'item-actions' }, ...actions)] : []));
}

function customerCard(c: CustomerView): HTMLElement {
  const edit = el('button', { type: 'button', class: 'button button-secondary' }, 'Modifier');
  edit.addEventListener('click', () => editCustomer(c));
  return el('article', { class: 'card customer', 'data-customer-id': c.customerId },
    el('h3', {}, c.name),
    el('p', {}, `${c.kindLabel}${c.sirenLabel ? ` · SIREN ${c.sirenLabel}` : ''}`),
    el('p', { class: 'hint' }, `${c.address.line1}, ${c.address.postalCode} ${c.address.city} · ${c.email}`),
    el('div', { class: 'item-actions' }, edit));
}

// --- Customers ---

function showBusinessFields(): void {
  byId('champs-entreprise').hidden = radioValue(byId<HTMLFormElement>('client-form'), 'kind') !== 'business';
}

/** Opens the customer form on this customer (its "Modifier" button, or a link that names the customer). */
export function editCustomer(c: CustomerView): void {
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

// --- Showing a month ---

/** The month read (its state, the declaration form's choices, its declarations) and the activity's customers. */
export function showMonth(monthView: MonthDeclarationsView, customers: CustomerView[]): void {
  view = monthView;
  const open = view.status === 'open';
  byId('mois-etat').replaceChildren(
    open
      ? el('p', { class: 'panel panel-info' }, setup.openText(view.monthLabel))
      : el('p', { class: 'panel panel-warning', id: 'mois-facture' }, `${view.monthLabel.replace(/^./, (c) => c.toUpperCase())} est en facturation : ses prestations ne peuvent plus être modifiées.`),
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
}

/** Another month is shown: a correction in progress is dropped. */
export function forgetCorrection(): void {
  correcting = undefined;
}

/** Wires the forms of `recordingSections` once, for the page's API. */
export function wireRecording(config: RecordingSetup): void {
  setup = config;
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
  // What the submitted declaration was (a correction, or new in its month), kept from its reading to its answer.
  let sent: { correction: { declarationId: string; version: number } | undefined; month: string } = { correction: undefined, month: '' };
  sendForm<DeclarationView>(declarationForm, byId<HTMLButtonElement>('declarer'), {
    busy: 'Enregistrement…',
    incomplete: toCorrect,
    failure: "La prestation n'a pas pu être enregistrée.",
    shownElsewhere: shown,
    read: () => {
      say('declaration-statut', '');
      sent = { correction: correcting, month: view?.month ?? '' };
      const { body, errors } = readDeclaration();
      const extra = correcting ? undefined : config.extraDeclaration?.();
      return { body: { ...extra?.body, ...body }, errors: [...(extra?.errors ?? []), ...errors] };
    },
    send: (body) =>
      sent.correction
        ? config.call(`${config.base()}/months/${sent.month}/declarations/${encodeURIComponent(sent.correction.declarationId)}`, { method: 'PUT', json: { ...(body as object), version: sent.correction.version } })
        : config.call(`${config.base()}/months/${sent.month}/declarations`, { method: 'POST', json: body, headers: { 'idempotency-key': declarationKey.key() } }),
    done: async (declaration) => {
      declarationKey.renew();
      correcting = undefined;
      await config.reload();
      say('declaration-statut', sent.correction ? 'Correction enregistrée.' : `Prestation enregistrée : ${formatEuros(declaration.totals.grossCents)} pour ${declaration.customerName}.`);
    },
  });

  customerForm.addEventListener('change', showBusinessFields);
  byId('annuler-client').addEventListener('click', resetCustomer);
  let editing: { customerId: string; version: number } | undefined;
  sendForm<CustomerView>(customerForm, byId<HTMLButtonElement>('enregistrer-client'), {
    busy: 'Enregistrement…',
    incomplete: toCorrect,
    failure: "Le client n'a pas pu être enregistré.",
    shownElsewhere: shown,
    read: () => {
      say('client-statut', '');
      editing = editingCustomer;
      return readCustomer();
    },
    send: (body) =>
      editing
        ? config.call(`${config.base()}/customers/${encodeURIComponent(editing.customerId)}`, { method: 'PUT', json: { ...(body as object), version: editing.version } })
        : config.call(`${config.base()}/customers`, { method: 'POST', json: body, headers: { 'idempotency-key': customerKey.key() } }),
    done: async (customer) => {
      customerKey.renew();
      resetCustomer();
      await config.reload();
      say('client-statut', `Client enregistré : ${customer.name}.`);
      config.customerSaved?.(customer);
    },
  });
}
