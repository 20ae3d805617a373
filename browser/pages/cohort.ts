/*
 * Staff: one CJS cohort (GET /api/staff/cohorts/{cohortId}): its dates, towns and seats, its collective activity,
 * its members and their committee roles; a launch-ready CJS young person is placed in it (never above capacity),
 * chosen among those not placed yet (the answer's `candidates`) or by the id of their path.
 */
import { NETWORK_MESSAGE, api, apiErrors, loadInto, messageOf } from '../lib/api.js';
import { seatsText } from '../lib/activities.js';
import { byId, el, facts, formatPlainDate } from '../lib/dom.js';
import { clearErrors, requiredErrors, setBusy, showErrors, textValue } from '../lib/forms.js';
import { startPage } from '../lib/page.js';
import { dataTable } from '../lib/paging.js';
import { personLink } from '../lib/people.js';
import type { CohortView } from '../lib/views.js';

type Member = CohortView['members'][number];

const cohortPath = () => `/api/staff/cohorts/${encodeURIComponent(document.body.dataset.cohortId ?? '')}`;

function say(text: string, error = false): void {
  const status = byId('cohort-status');
  status.className = error ? 'message-error' : '';
  status.textContent = text;
}

/** The committee role of a member: a choice while the activity is a draft, else the role as it is. */
function roleCell(cohort: CohortView, member: Member): HTMLElement | string {
  if (!cohort.membersEditable) return member.committeeRoleLabel ?? '—';
  const id = `role-${member.referralId}`;
  const select = el('select', { id, name: 'committeeRole' },
    el('option', { value: '' }, 'Aucun comité'),
    cohort.committeeRoles.map((role) => el('option', { value: role.code, selected: role.code === member.committeeRole }, role.label)));
  const button = el('button', { type: 'button', class: 'button button-secondary' }, 'Enregistrer', el('span', { class: 'visually-hidden' }, ` le comité de ${member.name}`));
  button.addEventListener('click', async () => {
    setBusy(button, true, 'Enregistrement…');
    try {
      const result = await api<unknown>(`${cohortPath()}/members/${encodeURIComponent(member.referralId)}`, { method: 'PUT', json: { committeeRole: select.value || null } });
      if (!result.ok) return say(messageOf(result, "Le comité n'a pas pu être enregistré."), true);
      say(`${member.name} : ${select.value ? select.selectedOptions[0].textContent : 'aucun comité'}.`);
    } catch {
      say(NETWORK_MESSAGE, true);
    } finally {
      setBusy(button, false);
    }
  });
  return el('div', { class: 'role-form' }, el('label', { for: id, class: 'visually-hidden' }, `Comité de ${member.name}`), select, button);
}

function render(cohort: CohortView): void {
  byId('cohort-title').textContent = cohort.name;
  document.title = `${cohort.name} - CoopConnexion Parcours`;
  byId('cohort').replaceChildren(
    facts([
      ['Dates', cohort.datesLabel],
      ['Communes', cohort.townsLabel],
      ['Places', el('span', { id: 'cohort-seats' }, seatsText(cohort))],
      ['Activité collective', el('span', {}, el('a', { href: `/equipe/activites/${encodeURIComponent(cohort.activityId)}`, id: 'cohort-activity' }, "Voir l'activité"), cohort.activityStatusLabel ? ` (${cohort.activityStatusLabel})` : '')],
    ]),
    cohort.members.length
      ? dataTable('members-table', `Membres (${cohort.members.length})`, ['Jeune', 'Placé le', 'Comité'], cohort.members.map((member) => ({
        attributes: { 'data-referral-id': member.referralId },
        cells: [personLink(member.personId, member.name), formatPlainDate(member.placedAt.slice(0, 10)), roleCell(cohort, member)],
      })))
      : el('p', {}, "Aucun jeune placé pour l'instant."),
  );
  byId('place-section').hidden = !cohort.membersEditable || cohort.seatsLeft === 0;
  byId('candidates').replaceChildren(candidatesNode(cohort));
}

/** The young people ready to be placed, each with its button; the answer of a placement reloads the cohort. */
function candidatesNode(cohort: CohortView): HTMLElement {
  if (!cohort.candidates.length) return el('p', {}, "Aucun jeune CJS prêt pour le lancement n'attend de cohorte.");
  const rows = cohort.candidates.map((candidate) => {
    const button = el('button', { type: 'button', class: 'button button-secondary' }, 'Placer', el('span', { class: 'visually-hidden' }, ` ${candidate.name}`));
    button.addEventListener('click', async () => {
      setBusy(button, true, 'Placement…');
      try {
        await place(candidate.referralId, (message) => say(message, true));
      } finally {
        if (button.isConnected) setBusy(button, false);
      }
    });
    return { attributes: { 'data-candidate-id': candidate.referralId }, cells: [personLink(candidate.personId, candidate.name), candidate.town, `${candidate.ageAtStart} ans`, formatPlainDate(candidate.readyAt.slice(0, 10)), button] };
  });
  const caption = `Jeunes CJS prêts pour le lancement, sans cohorte (${cohort.candidates.length}${cohort.moreCandidates ? ', les premiers' : ''})`;
  return dataTable('candidates-table', caption, ['Jeune', 'Commune', 'Âge au début', 'Prêt depuis le', ''], rows);
}

/** Places a young person; a refusal (full, not ready, unknown) goes to `refused`, in the API's French. */
async function place(referralId: string, refused: (message: string, errors: Array<{ field: string; message: string }>) => void): Promise<boolean> {
  try {
    const result = await api<unknown>(`${cohortPath()}/members`, { method: 'POST', json: { referralId } });
    if (!result.ok) {
      refused(messageOf(result, "Le jeune n'a pas pu être placé."), apiErrors(result));
      return false;
    }
    const cohort = await reload();
    if (cohort) say(`Jeune placé dans la cohorte : ${seatsText(cohort)}.`);
    return true;
  } catch {
    refused(NETWORK_MESSAGE, []);
    return false;
  }
}

async function reload(): Promise<CohortView | null> {
  const cohort = await loadInto<CohortView>(byId('cohort'), cohortPath());
  if (cohort) render(cohort);
  return cohort;
}

startPage(async () => {
  const form = byId<HTMLFormElement>('place-form');
  const button = byId<HTMLButtonElement>('place-submit');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    clearErrors(form);
    const missing = requiredErrors(form, { referralId: "Indiquez l'identifiant du parcours du jeune." });
    if (missing.length) return showErrors(form, 'Complétez le placement :', missing);
    setBusy(button, true, 'Placement…');
    try {
      if (await place(textValue(form, 'referralId'), (message, errors) => showErrors(form, message, errors))) form.reset();
    } finally {
      setBusy(button, false);
    }
  });
  await reload();
});
