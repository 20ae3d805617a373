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
import { clearErrors, setBusy, showErrors } from '../lib/forms.js';
import { priceLinesEditor, readLaunchFile, serviceChoice, type PriceLinesEditor } from '../lib/launch-file.js';
import { isLinkRefusal, linkApi, linkRefusedPanel, loadWithLink, takeLink } from '../lib/link.js';
import { centsToInput } from '../lib/money.js';
import { startPage } from '../lib/page.js';
import type { ActivityView, MyActivitiesView } from '../lib/views.js';

let token: string | undefined;
/** The price lines; its kinds: the services the young person may choose (and those their file already has). */
let editor: PriceLinesEditor;

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

/** "Ma facturation" of an active activity: customers, the month's services, invoices. */
function invoicingLink(activity: ActivityView): HTMLElement {
  return el('p', {}, el('a', { class: 'button invoicing-link', href: `/ma-facturation?activite=${encodeURIComponent(activity.activityId)}` }, 'Mes clients, mes prestations et mes factures'));
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
  if (activity.status === 'active') parts.push(el('p', { class: 'panel panel-success', id: 'activite-lancee' }, 'Votre activité est lancée : la coopérative facture vos clients pour vous.'), invoicingLink(activity));
  if (!activity.canEdit) parts.push(activityFacts(activity), el('div', {}, pricesInForceNode(activity)));
  parts.push(flyerButton(activity));
  return parts;
}

function fillForm(view: MyActivitiesView, activity: ActivityView | undefined): void {
  const form = byId<HTMLFormElement>('dossier-form');
  editor.kinds = new Map(view.serviceKinds.map((kind) => [kind.code, kind]));
  // A service the file has but may no longer be chosen (retired, or closed to a minor) stays visible, to be removed.
  for (const kind of activity?.serviceKinds ?? []) if (!editor.kinds.has(kind.code)) editor.kinds.set(kind.code, { code: kind.code, label: kind.label, defaultVatRateBps: null });
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
  editor.reset(activity?.prices.versions.at(-1)?.lines ?? []);
  form.hidden = false;
}

function say(text: string, error = false): void {
  const status = byId('dossier-statut');
  status.className = error ? 'message-error' : '';
  status.textContent = text;
}

async function saveForm(form: HTMLFormElement, action: string, button: HTMLButtonElement): Promise<void> {
  clearErrors(form);
  say('');
  const { body, errors } = readLaunchFile(form, editor);
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
    ...(activity.status === 'active' ? [invoicingLink(activity)] : []),
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
  editor = priceLinesEditor('priceLines');
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
