/*
 * Staff: one activity (GET /api/staff/activities/{activityId}): its launch file, members, prices in force and every
 * version, goal, status and history, its flyer; while its launch waits for the team, the decision (approve, or send
 * the file back with a comment) through the generic approvals route. Staff also add a member to a Jeunes Majeurs
 * collective activity, give a launched activity a new version of its prices, and pause, reactivate or close it with
 * a reason; each answer is the activity as it now stands.
 */
import { NETWORK_MESSAGE, api, apiErrors, loadInto, messageOf } from '../lib/api.js';
import { activityFacts, membersTable, priceTable, pricesInForceNode } from '../lib/activities.js';
import { byId, el, formatDateTime, formatPlainDate, timeNode } from '../lib/dom.js';
import { downloadFile, flyerFileName } from '../lib/download.js';
import { clearErrors, radioValue, requiredErrors, sendForm, setBusy, showErrors, textValue, type FormError } from '../lib/forms.js';
import { priceLinesEditor, type PriceLinesEditor } from '../lib/launch-file.js';
import { startPage } from '../lib/page.js';
import { fetchListPage } from '../lib/paging.js';
import { personLink } from '../lib/people.js';
import { currentSession } from '../lib/session.js';
import type { ActivityView, DecisionAnswer, InboxItem, ServiceKindView } from '../lib/views.js';

const activityId = () => document.body.dataset.activityId ?? '';
const activityPath = () => `/api/staff/activities/${encodeURIComponent(activityId())}`;

function flyerButton(activity: ActivityView): HTMLElement {
  const button = el('button', { type: 'button', class: 'button button-secondary', id: 'flyer-download' }, 'Télécharger la plaquette (PDF)');
  const status = el('p', { role: 'status', id: 'flyer-status' });
  button.addEventListener('click', async () => {
    setBusy(button, true, 'Préparation de la plaquette…');
    status.textContent = '';
    const result = await downloadFile(`${activityPath()}/flyer`, { authorization: `Bearer ${currentSession()?.token ?? ''}` }, flyerFileName(activity.tradeName || activity.name));
    if (!result.ok) status.textContent = messageOf(result, "La plaquette n'a pas pu être préparée. Réessayez dans quelques instants.");
    setBusy(button, false);
  });
  return el('div', {}, button, status);
}

function versionsNode(activity: ActivityView): HTMLElement {
  const versions = [...activity.prices.versions].reverse();
  return el('div', { id: 'price-versions' }, versions.map((version) =>
    el('details', { class: 'price-version', 'data-version': version.version, open: version.inForce },
      el('summary', {}, `Grille n° ${version.version}, en vigueur le ${formatPlainDate(version.effectiveFrom)}`, version.inForce ? ' (en vigueur)' : '',
        'createdBy' in version && version.createdBy ? ` · par ${version.createdBy}, le ${formatDateTime(version.createdAt)}` : ''),
      priceTable(version, `Grille n° ${version.version}`))));
}

function render(activity: ActivityView): void {
  byId('activity-title').textContent = activity.name;
  document.title = `${activity.name} - CoopConnexion Parcours`;
  const members = activity.members;
  byId('activity').replaceChildren(
    activityFacts(activity),
    activity.statusReason ? el('p', {}, `Motif du dernier changement de statut : ${activity.statusReason}`) : '',
    'lastInvoicingLabel' in activity && activity.lastInvoicingLabel ? el('p', { id: 'last-invoicing' }, activity.lastInvoicingLabel) : '',
    activity.sentBack ? el('p', { class: 'panel panel-warning', id: 'sent-back' }, `Dossier renvoyé le ${formatDateTime(activity.sentBack.at)} par ${activity.sentBack.by} : ${activity.sentBack.comment}`) : '',
    flyerButton(activity),
    // Invoicing on the members' behalf: their customers and the month's declarations.
    activity.status === 'draft' ? '' : el('p', {}, el('a', { href: `/equipe/activites/${encodeURIComponent(activity.activityId)}/facturation`, id: 'recording-link' }, 'Clients et prestations déclarées (facturation)')),
    el('h2', {}, 'Membres'),
    membersTable(members, (i) => {
      const member = members[i];
      return 'personId' in member ? personLink(member.personId, member.name) : member.name;
    }),
    el('h2', {}, 'Prix'),
    pricesInForceNode(activity),
    el('h3', {}, 'Toutes les grilles'),
    versionsNode(activity),
    el('h2', {}, 'Historique'),
    el('ol', { class: 'timeline', id: 'activity-history' }, activity.history.map((event) =>
      el('li', {}, timeNode(event.at), el('p', {}, event.label), event.by ? el('p', { class: 'hint' }, event.by) : null))),
  );
}

// --- Members, prices, status: the forms the activity allows now ---

let editor: PriceLinesEditor;
let catalogue: Map<string, ServiceKindView> | undefined;

const say = (text: string) => (byId('activity-status').textContent = text);
const paris = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(new Date());

/** The VAT rate a new line takes comes from the catalogue: read once, when prices may change. */
async function loadCatalogue(): Promise<Map<string, ServiceKindView>> {
  if (!catalogue) {
    const result = await api<{ items: ServiceKindView[] }>('/api/staff/service-kinds');
    catalogue = new Map((result.ok ? result.data.items : []).map((kind) => [kind.code, kind]));
  }
  return catalogue;
}

/** Shows the forms this activity allows (a collective Jeunes Majeurs one gains members; a launched one new prices and status). */
async function showForms(activity: ActivityView): Promise<void> {
  const launched = activity.status === 'active' || activity.status === 'paused';
  // A cohort's members join from the cohort's page, where its seats are counted.
  byId('member-section').hidden = !(activity.shape === 'collective' && !activity.cohortId && activity.status !== 'closed');
  byId('status-section').hidden = !launched;
  for (const choice of byId('status-form').querySelectorAll<HTMLInputElement>('input[name="status"]')) {
    const allowed = launched && choice.value !== activity.status;
    choice.disabled = !allowed;
    choice.checked = false;
    choice.closest<HTMLElement>('.choice')!.hidden = !allowed;
  }
  const prices = byId('prices-section');
  if (!launched) {
    prices.hidden = true;
    return;
  }
  const kinds = await loadCatalogue();
  editor.kinds = new Map(activity.serviceKinds.map((kind) => [kind.code, { code: kind.code, label: kind.label, defaultVatRateBps: kinds.get(kind.code)?.defaultVatRateBps ?? null }]));
  editor.reset(activity.prices.versions.at(-1)?.lines ?? []);
  byId('prices-intro').textContent = 'Les lignes de la dernière grille sont reprises : changez-les, ajoutez-en ou retirez-en. Les grilles précédentes restent, pour les factures de leurs jours.';
  const effectiveFrom = byId<HTMLInputElement>('f-effectiveFrom');
  effectiveFrom.min = paris();
  effectiveFrom.value = paris();
  prices.hidden = false;
}

async function changed(activity: ActivityView, form: HTMLFormElement, message: string): Promise<void> {
  render(activity);
  form.reset();
  await showForms(activity);
  say(message);
}

function prepareForms(): void {
  editor = priceLinesEditor('lines');
  const memberForm = byId<HTMLFormElement>('member-form');
  sendForm<ActivityView>(memberForm, byId<HTMLButtonElement>('member-submit'), {
    busy: 'Ajout…',
    incomplete: 'Complétez le membre :',
    failure: "Le membre n'a pas pu être ajouté.",
    read: () => {
      const committeeRole = textValue(memberForm, 'committeeRole');
      return { body: { referralId: textValue(memberForm, 'referralId'), ...(committeeRole ? { committeeRole } : {}) }, errors: requiredErrors(memberForm, { referralId: "Indiquez l'identifiant du parcours du jeune." }) };
    },
    // Without a countersigned contract (422), of another programme (409), unknown (404): the API says which, in French.
    send: (body) => api<ActivityView>(`${activityPath()}/members`, { method: 'POST', json: body }),
    done: (activity) => changed(activity, memberForm, `Membre ajouté : ${activity.members.at(-1)?.name ?? ''}.`),
  });

  const pricesForm = byId<HTMLFormElement>('prices-form');
  sendForm<ActivityView>(pricesForm, byId<HTMLButtonElement>('prices-submit'), {
    busy: 'Enregistrement…',
    incomplete: 'Complétez la grille :',
    failure: "La grille n'a pas pu être enregistrée.",
    read: () => {
      const { lines, errors } = editor.read();
      return { body: { effectiveFrom: textValue(pricesForm, 'effectiveFrom'), lines }, errors: [...requiredErrors(pricesForm, { effectiveFrom: "Choisissez la date d'effet." }).filter((e) => e.field === 'effectiveFrom'), ...errors] };
    },
    send: (body) => api<ActivityView>(`${activityPath()}/prices`, { method: 'POST', json: body }),
    done: (activity) => {
      const latest = activity.prices.versions.at(-1);
      return changed(activity, pricesForm, latest ? `Grille n° ${latest.version} enregistrée, en vigueur le ${formatPlainDate(latest.effectiveFrom)}.` : 'Grille enregistrée.');
    },
  });

  const statusForm = byId<HTMLFormElement>('status-form');
  sendForm<ActivityView>(statusForm, byId<HTMLButtonElement>('status-submit'), {
    busy: 'Enregistrement…',
    incomplete: 'Complétez le changement de statut :',
    failure: "Le statut n'a pas pu être changé.",
    read: () => ({
      body: { status: radioValue(statusForm, 'status'), reason: textValue(statusForm, 'reason') },
      errors: requiredErrors(statusForm, { status: 'Choisissez le nouveau statut.', reason: 'Indiquez le motif du changement.' }),
    }),
    send: (body) => api<ActivityView>(`${activityPath()}/status`, { method: 'POST', json: body }),
    done: (activity) => changed(activity, statusForm, `Statut changé : ${activity.statusLabel.toLowerCase()}.`),
  });
}

/** The open launch approval of this activity, from the staff inbox (only launch approvals, a page at a time). */
async function openLaunchApproval(): Promise<InboxItem | undefined> {
  const pathFor = (cursor?: string) => `/api/staff/inbox?kind=activity-launch${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
  let cursor: string | undefined;
  do {
    const result = await fetchListPage<InboxItem>(pathFor, cursor);
    if (!result.ok) return undefined;
    const found = (result.data.items ?? []).find((item) => item.activity?.activityId === activityId());
    if (found) return found;
    cursor = result.data.cursor;
  } while (cursor);
  return undefined;
}

const DECISION_MESSAGES = { outcome: 'Choisissez de valider le lancement ou de renvoyer le dossier.' };

function prepareDecision(approval: InboxItem): void {
  const section = byId('launch-decision');
  const form = byId<HTMLFormElement>('launch-form');
  section.hidden = false;
  const button = byId<HTMLButtonElement>('launch-submit');
  let sending = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (sending) return;
    clearErrors(form);
    const errors: FormError[] = requiredErrors(form, DECISION_MESSAGES);
    const outcome = radioValue(form, 'outcome');
    const comment = textValue(form, 'comment');
    if (outcome === 'sent-back' && !comment) errors.push({ field: 'comment', message: 'Dites au jeune ce qu’il doit changer dans son dossier.' });
    if (errors.length) return showErrors(form, 'Complétez la décision :', errors);
    sending = true;
    setBusy(button, true, 'Enregistrement…');
    try {
      const result = await api<DecisionAnswer>(`/api/approvals/${encodeURIComponent(approval.approvalId)}/decision`, { method: 'POST', json: { outcome, ...(comment ? { comment } : {}) } });
      if (!result.ok) {
        // A launch check that fails now (422) lists its problems; a decision taken meanwhile is a 409.
        showErrors(form, messageOf(result, "La décision n'a pas pu être enregistrée. Réessayez dans quelques instants."), apiErrors(result));
        return;
      }
      section.hidden = true;
      const status = byId('activity-status');
      status.textContent = outcome === 'approved' ? "Lancement validé : l'activité devient active." : 'Dossier renvoyé au jeune avec votre commentaire.';
      await followLaunch();
    } catch {
      showErrors(form, NETWORK_MESSAGE, []);
    } finally {
      sending = false;
      setBusy(button, false);
    }
  });
}

/** After a decision the launch workflow moves the activity on within seconds: the page shows its new status. */
async function followLaunch(): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const result = await api<ActivityView>(activityPath());
    if (result.ok && result.data.status !== 'awaiting-approval') {
      render(result.data);
      await showForms(result.data);
      return;
    }
    await new Promise((resolve) => window.setTimeout(resolve, 1000));
  }
  byId('activity-status').textContent += ' Rechargez la page dans quelques instants pour voir son nouveau statut.';
}

startPage(async () => {
  prepareForms();
  const activity = await loadInto<ActivityView>(byId('activity'), activityPath());
  if (!activity) return;
  render(activity);
  await showForms(activity);
  if (activity.status !== 'awaiting-approval') return;
  const approval = await openLaunchApproval();
  if (approval) prepareDecision(approval);
  else byId('activity-status').textContent = "Le dossier est envoyé ; sa validation s'ouvre dans quelques instants : rechargez la page.";
});
