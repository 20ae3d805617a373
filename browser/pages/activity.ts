/*
 * Staff: one activity (GET /api/staff/activities/{activityId}): its launch file, members, prices in force and every
 * version, goal, status and history, its flyer; while its launch waits for the team, the decision (approve, or send
 * the file back with a comment) through the generic approvals route.
 */
import { NETWORK_MESSAGE, api, apiErrors, loadInto, messageOf } from '../lib/api.js';
import { activityFacts, membersTable, priceTable, pricesInForceNode } from '../lib/activities.js';
import { byId, el, formatDateTime, formatPlainDate, timeNode } from '../lib/dom.js';
import { downloadFile, flyerFileName } from '../lib/download.js';
import { clearErrors, radioValue, requiredErrors, setBusy, showErrors, textValue, type FormError } from '../lib/forms.js';
import { startPage } from '../lib/page.js';
import { fetchListPage } from '../lib/paging.js';
import { personLink } from '../lib/people.js';
import { currentSession } from '../lib/session.js';
import type { ActivityView, DecisionAnswer, InboxItem } from '../lib/views.js';

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
    activity.sentBack ? el('p', { class: 'panel panel-warning', id: 'sent-back' }, `Dossier renvoyé le ${formatDateTime(activity.sentBack.at)} par ${activity.sentBack.by} : ${activity.sentBack.comment}`) : '',
    flyerButton(activity),
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
      return;
    }
    await new Promise((resolve) => window.setTimeout(resolve, 1000));
  }
  byId('activity-status').textContent += ' Rechargez la page dans quelques instants pour voir son nouveau statut.';
}

startPage(async () => {
  const activity = await loadInto<ActivityView>(byId('activity'), activityPath());
  if (!activity) return;
  render(activity);
  if (activity.status !== 'awaiting-approval') return;
  const approval = await openLaunchApproval();
  if (approval) prepareDecision(approval);
  else byId('activity-status').textContent = "Le dossier est envoyé ; sa validation s'ouvre dans quelques instants : rechargez la page.";
});
