/**
 * "Mon activité" (/mon-activite#<token>): the young person's launch file on their phone (GET /api/me/activities).
 * They fill it in (services among those open to them, prices typed in euros and sent in cents), save it, submit it
 * to the team, read the team's comment when it comes back, and download their flyer. Collective activities they
 * belong to are shown read only, with their members and committee roles.
 */
import { NETWORK_MESSAGE, apiErrors, messageOf, type ApiResult } from '../lib/api.js';
import { activityFacts, activityStatusBadge, membersTable, pricesInForceNode } from '../lib/activities.js';
import { byId, el, formatDateTime, plural } from '../lib/dom.js';
import { downloadFile, flyerFileName } from '../lib/download.js';
import { clearErrors, setBusy, showErrors, textValue, type FormError } from '../lib/forms.js';
import { isLinkRefusal, linkApi, linkRefusedPanel, loadWithLink, takeLink } from '../lib/link.js';
import { centsToInput, parseEuros } from '../lib/money.js';
import { startPage } from '../lib/page.js';
import type { ActivityView, MyActivitiesView } from '../lib/views.js';

type Kind = MyActivitiesView['serviceKinds'][number];
type Line = ActivityView['prices']['versions'][number]['lines'][number];

let token: string | undefined;
/** The services the young person may choose, by code (and those their file already has). */
let kinds = new Map<string, { code: string; label: string; defaultVatRateBps: number | null }>();

async function call<T>(path: string, options: { method?: string; json?: unknown } = {}): Promise<ApiResult<T>> {
  const result = await linkApi<T>(token ?? '', path, options);
  if (!result.ok && isLinkRefusal(result)) {
    for (const id of ['section-dossier', 'section-collectives']) byId(id).hidden = true;
    byId('activite').replaceChildren(linkRefusedPanel(messageOf(result, '')));
  }
  return result;
}

function flyerButton(activity: ActivityView): HTMLElement {
  const button = el('button', { type: 'button', class: 'button button-secondary flyer-download' }, 'Télécharger ma plaquette (PDF)');
  const status = el('p', { role: 'status', class: 'flyer-status' });
  button.addEventListener('click', async () => {
    setBusy(button, true, 'Préparation de la plaquette…');
    status.textContent = '';
    const result = await downloadFile(`/api/me/activities/${encodeURIComponent(activity.activityId)}/flyer`, { 'x-parcours-link': token ?? '' }, flyerFileName(activity.tradeName || activity.name));
    if (!result.ok) {
      status.className = 'flyer-status message-error';
      status.textContent = messageOf(result, "La plaquette n'a pas pu être préparée. Réessayez dans quelques instants.");
    }
    setBusy(button, false);
  });
  return el('div', { class: 'flyer' }, button, status);
}

// --- The launch file ---

/** Where the personal activity stands, and what the young person can do now. */
function statusPanel(activity: ActivityView | undefined): HTMLElement[] {
  if (!activity) return [el('p', {}, 'Décrivez votre activité, vos services et vos prix, puis envoyez votre dossier : l’équipe le vérifie avant le lancement.')];
  const parts: HTMLElement[] = [el('p', {}, 'Statut : ', activityStatusBadge(activity))];
  if (activity.status === 'draft' && activity.sentBack) {
    parts.push(el('section', { class: 'panel panel-warning', id: 'renvoi', 'aria-labelledby': 'renvoi-titre' },
      el('h3', { id: 'renvoi-titre' }, "L'équipe vous demande de modifier votre dossier"),
      el('p', { class: 'pre-line', id: 'renvoi-commentaire' }, activity.sentBack.comment),
      el('p', { class: 'hint' }, `${activity.sentBack.by}, le ${formatDateTime(activity.sentBack.at)}. Modifiez votre dossier puis envoyez-le de nouveau.`)));
  }
  if (activity.status === 'awaiting-approval') parts.push(el('p', { class: 'panel panel-info', id: 'dossier-envoye' }, "Votre dossier est envoyé : l'équipe le vérifie. Vous recevrez un message dès qu'elle aura répondu."));
  if (activity.status === 'active') parts.push(el('p', { class: 'panel panel-success', id: 'activite-lancee' }, 'Votre activité est lancée : la coopérative facture vos clients pour vous.'));
  if (!activity.canEdit) parts.push(activityFacts(activity), el('div', {}, pricesInForceNode(activity)));
  parts.push(flyerButton(activity));
  return parts;
}

function serviceChoice(kind: Kind | { code: string; label: string }, checked: boolean): HTMLElement {
  const id = `f-serviceKinds-${kind.code}`;
  const notes = 'insuranceNotes' in kind ? kind.insuranceNotes : "Ce service ne vous est plus proposé : retirez-le de votre dossier.";
  return el('div', { class: 'choice' },
    el('input', { type: 'checkbox', id, name: 'serviceKinds', value: kind.code, checked, 'aria-describedby': `${id}-hint` }),
    el('label', { for: id }, kind.label),
    el('p', { class: 'hint choice-hint', id: `${id}-hint` }, notes));
}

/** The lines' ids and titles follow their order: an error on `priceLines.1.label` lands on the second line. */
function renumberLines(): void {
  const lines = Array.from(byId('lignes-prix').children) as HTMLLIElement[];
  lines.forEach((line, index) => {
    line.querySelector('legend')!.textContent = `Prix n° ${index + 1}`;
    for (const node of line.querySelectorAll<HTMLElement>('[id]')) node.id = node.id.replace(/^f-priceLines-\d+-/, `f-priceLines-${index}-`);
    for (const node of line.querySelectorAll<HTMLElement>('[for]')) node.setAttribute('for', node.getAttribute('for')!.replace(/^f-priceLines-\d+-/, `f-priceLines-${index}-`));
    for (const node of line.querySelectorAll<HTMLElement>('[aria-describedby]')) {
      node.setAttribute('aria-describedby', node.getAttribute('aria-describedby')!.replace(/f-priceLines-\d+-/g, `f-priceLines-${index}-`));
    }
    const remove = line.querySelector<HTMLButtonElement>('.remove-line')!;
    remove.setAttribute('aria-label', `Retirer le prix n° ${index + 1}`);
  });
}

function addLine(line?: Line): HTMLLIElement {
  const template = byId<HTMLTemplateElement>('ligne-prix-modele');
  const item = (template.content.firstElementChild!.cloneNode(true) as HTMLLIElement);
  const list = byId('lignes-prix');
  const index = list.children.length;
  for (const node of item.querySelectorAll<HTMLElement>('[id]')) node.id = node.id.replace('-N-', `-${index}-`);
  for (const node of item.querySelectorAll<HTMLElement>('[for]')) node.setAttribute('for', node.getAttribute('for')!.replace('-N-', `-${index}-`));
  for (const node of item.querySelectorAll<HTMLElement>('[aria-describedby]')) node.setAttribute('aria-describedby', node.getAttribute('aria-describedby')!.replaceAll('-N-', `-${index}-`));
  const service = item.querySelector<HTMLSelectElement>('select[name="serviceKind"]')!;
  service.append(el('option', { value: '' }, 'Choisir un service'), ...[...kinds.values()].map((kind) => el('option', { value: kind.code }, kind.label)));
  if (line) {
    item.dataset.lineId = line.lineId;
    // The rate the line was priced with stays while its service does not change.
    item.dataset.vatRateBps = line.vatRateBps === null ? 'none' : String(line.vatRateBps);
    item.dataset.serviceKind = line.serviceKind;
    item.querySelector<HTMLInputElement>('input[name="label"]')!.value = line.label;
    item.querySelector<HTMLSelectElement>('select[name="unit"]')!.value = line.unit;
    item.querySelector<HTMLInputElement>('input[name="unitPriceCents"]')!.value = centsToInput(line.unitPriceCents);
    service.value = line.serviceKind;
  }
  item.querySelector<HTMLButtonElement>('.remove-line')!.addEventListener('click', () => {
    const next = (item.nextElementSibling ?? item.previousElementSibling) as HTMLElement | null;
    item.remove();
    renumberLines();
    // The focus goes to a neighbouring line, or to "Ajouter un prix" after the last one.
    (next?.querySelector<HTMLInputElement>('input[name="label"]') ?? byId('ajouter-ligne')).focus();
  });
  list.append(item);
  renumberLines();
  return item;
}

function fillForm(view: MyActivitiesView, activity: ActivityView | undefined): void {
  const form = byId<HTMLFormElement>('dossier-form');
  kinds = new Map(view.serviceKinds.map((kind) => [kind.code, kind]));
  // A service the file has but may no longer be chosen (retired, or closed to a minor) stays visible, to be removed.
  for (const kind of activity?.serviceKinds ?? []) if (!kinds.has(kind.code)) kinds.set(kind.code, { code: kind.code, label: kind.label, defaultVatRateBps: null });
  const chosen = new Set((activity?.serviceKinds ?? []).map((kind) => kind.code));
  byId('services-choix').replaceChildren(
    ...view.serviceKinds.map((kind) => serviceChoice(kind, chosen.has(kind.code))),
    ...(activity?.serviceKinds ?? []).filter((kind) => !view.serviceKinds.some((k) => k.code === kind.code)).map((kind) => serviceChoice(kind, true)),
  );
  const set = (name: string, value: string) => ((form.elements.namedItem(name) as HTMLInputElement).value = value);
  set('name', activity?.name ?? '');
  set('tradeName', activity?.tradeName ?? '');
  set('description', activity?.description ?? '');
  set('monthlyGoalCents', activity ? centsToInput(activity.monthlyGoalCents) : '');
  set('startDate', activity?.startDate ?? '');
  const customers = new Set((activity?.targetCustomers ?? []).map((c) => c.code));
  for (const box of form.querySelectorAll<HTMLInputElement>('input[name="targetCustomers"]')) box.checked = customers.has(box.value as never);
  byId('lignes-prix').replaceChildren();
  const lines = activity?.prices.versions.at(-1)?.lines ?? [];
  if (lines.length) lines.forEach((line) => addLine(line));
  else addLine();
  form.hidden = false;
}

const checkedValues = (form: HTMLFormElement, name: string) => Array.from(form.querySelectorAll<HTMLInputElement>(`input[name="${name}"]:checked`)).map((box) => box.value);

/** The body of PUT /api/me/activity, or the fields to correct first (the API checks again and has the last word). */
function readForm(form: HTMLFormElement): { body: Record<string, unknown>; errors: FormError[] } {
  const errors: FormError[] = [];
  const required = (name: string, message: string) => {
    const value = textValue(form, name);
    if (!value) errors.push({ field: name, message });
    return value;
  };
  const name = required('name', "Donnez un nom à votre activité.");
  const tradeName = required('tradeName', 'Indiquez votre enseigne.');
  const serviceKinds = checkedValues(form, 'serviceKinds');
  if (!serviceKinds.length) errors.push({ field: 'serviceKinds', message: 'Choisissez au moins un service.' });
  const description = required('description', 'Décrivez votre activité en quelques phrases.');
  const lines = Array.from(byId('lignes-prix').children) as HTMLLIElement[];
  if (!lines.length) errors.push({ field: 'priceLines', message: 'Ajoutez au moins un prix.' });
  const priceLines = lines.map((line, i) => {
    const value = (field: string) => (line.querySelector<HTMLInputElement | HTMLSelectElement>(`[name="${field}"]`)!.value ?? '').trim();
    const label = value('label');
    if (!label) errors.push({ field: `priceLines.${i}.label`, message: `Prix n° ${i + 1} : dites ce que le client achète.` });
    const typed = value('unitPriceCents');
    const cents = parseEuros(typed);
    if (!typed) errors.push({ field: `priceLines.${i}.unitPriceCents`, message: `Prix n° ${i + 1} : indiquez le prix en euros.` });
    else if (cents === undefined) errors.push({ field: `priceLines.${i}.unitPriceCents`, message: `Prix n° ${i + 1} : écrivez un montant en euros, par exemple 12,50.` });
    else if (cents === 0) errors.push({ field: `priceLines.${i}.unitPriceCents`, message: `Prix n° ${i + 1} : le prix doit être supérieur à 0 €.` });
    const serviceKind = value('serviceKind');
    if (!serviceKind) errors.push({ field: `priceLines.${i}.serviceKind`, message: `Prix n° ${i + 1} : choisissez le service.` });
    else if (!serviceKinds.includes(serviceKind)) errors.push({ field: `priceLines.${i}.serviceKind`, message: `Prix n° ${i + 1} : cochez aussi ce service dans « Mes services », ou choisissez-en un autre.` });
    const kept = line.dataset.serviceKind === serviceKind && line.dataset.vatRateBps !== undefined;
    const vatRateBps = kept ? (line.dataset.vatRateBps === 'none' ? null : Number(line.dataset.vatRateBps)) : kinds.get(serviceKind)?.defaultVatRateBps ?? null;
    return { ...(line.dataset.lineId ? { lineId: line.dataset.lineId } : {}), label, unit: value('unit'), unitPriceCents: cents ?? 0, serviceKind, vatRateBps };
  });
  const targetCustomers = checkedValues(form, 'targetCustomers');
  if (!targetCustomers.length) errors.push({ field: 'targetCustomers', message: 'Choisissez vos clients : particuliers, entreprises, ou les deux.' });
  const goalTyped = textValue(form, 'monthlyGoalCents');
  const monthlyGoalCents = parseEuros(goalTyped);
  if (!goalTyped) errors.push({ field: 'monthlyGoalCents', message: "Indiquez votre objectif de chiffre d'affaires par mois." });
  else if (monthlyGoalCents === undefined) errors.push({ field: 'monthlyGoalCents', message: 'Objectif : écrivez un montant en euros, par exemple 800 ou 1 250,50.' });
  const startDate = required('startDate', 'Choisissez la date de début de votre activité.');
  return { body: { name, tradeName, serviceKinds, description, targetCustomers, monthlyGoalCents: monthlyGoalCents ?? 0, startDate, priceLines }, errors };
}

function say(text: string, error = false): void {
  const status = byId('dossier-statut');
  status.className = error ? 'message-error' : '';
  status.textContent = text;
}

async function saveForm(form: HTMLFormElement, action: string, button: HTMLButtonElement): Promise<void> {
  clearErrors(form);
  say('');
  const { body, errors } = readForm(form);
  if (errors.length) return showErrors(form, `Corrigez ${plural(errors.length, 'point', 'points')} de votre dossier :`, errors);
  setBusy(button, true, action === 'submit' ? 'Envoi…' : 'Enregistrement…');
  try {
    const saved = await call<unknown>('/api/me/activity', { method: 'PUT', json: body });
    if (!saved.ok) {
      if (!isLinkRefusal(saved)) showErrors(form, messageOf(saved, "Votre dossier n'a pas pu être enregistré."), apiErrors(saved));
      return;
    }
    if (action === 'submit') {
      const submitted = await call<unknown>('/api/me/activity/submission', { method: 'POST' });
      if (!submitted.ok) {
        // The launch checks answer field by field (422): each problem is shown by its field, the others in the list.
        if (!isLinkRefusal(submitted)) showErrors(form, messageOf(submitted, 'Votre dossier est enregistré mais ne peut pas encore être envoyé :'), apiErrors(submitted));
        return;
      }
    }
    await load();
    const status = byId('activite-statut');
    status.textContent = action === 'submit' ? "Dossier envoyé : l'équipe le vérifie et vous répond par message." : 'Dossier enregistré. Vous pourrez l’envoyer quand il sera complet.';
    status.setAttribute('tabindex', '-1');
    status.focus();
  } catch {
    showErrors(form, NETWORK_MESSAGE, []);
  } finally {
    if (button.isConnected) setBusy(button, false);
  }
}

// --- Collective activities ---

function collectiveCard(activity: ActivityView): HTMLElement {
  return el('article', { class: 'card collective', 'data-activity-id': activity.activityId, 'aria-labelledby': `collective-${activity.activityId}` },
    el('h3', { id: `collective-${activity.activityId}` }, activity.name),
    activityFacts(activity),
    pricesInForceNode(activity),
    membersTable(activity.members),
    flyerButton(activity));
}

// --- Page ---

async function load(): Promise<void> {
  const region = byId('activite');
  region.setAttribute('aria-busy', 'true');
  const view = await loadWithLink<MyActivitiesView>(region, token, '/api/me/activities');
  if (!view) return;
  const personal = view.activities.find((a) => a.shape === 'personal');
  const collectives = view.activities.filter((a) => a.shape === 'collective');
  const hasFile = Boolean(personal) || view.mayCreatePersonalActivity;
  region.replaceChildren(hasFile || collectives.length
    ? el('p', { class: 'lead' }, personal ? `Votre activité « ${personal.name} ».` : 'Préparez le lancement de votre activité avec la coopérative.')
    : el('p', {}, "Aucune activité pour le moment : l'équipe prépare avec vous le lancement (pour la CJS, l'activité collective de votre cohorte)."));
  byId('section-dossier').hidden = !hasFile;
  if (hasFile) {
    byId('dossier-etat').replaceChildren(...statusPanel(personal));
    const editable = personal ? personal.canEdit : view.mayCreatePersonalActivity;
    if (editable) fillForm(view, personal);
    else byId('dossier-form').hidden = true;
  }
  byId('collectives').replaceChildren(...collectives.map(collectiveCard));
  byId('section-collectives').hidden = collectives.length === 0;
}

startPage(async () => {
  token = takeLink('young-person');
  const form = byId<HTMLFormElement>('dossier-form');
  byId('ajouter-ligne').addEventListener('click', () => addLine().querySelector<HTMLInputElement>('input[name="label"]')!.focus());
  let sending = false;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (sending) return;
    const button = event.submitter instanceof HTMLButtonElement ? event.submitter : byId<HTMLButtonElement>('envoyer');
    sending = true;
    void saveForm(form, button.dataset.action ?? 'submit', button).finally(() => (sending = false));
  });
  await load();
});
