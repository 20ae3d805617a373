/*
 * Staff: one waiting step, whatever its kind: the referral and, for a path stopped on a failed step, what failed.
 * A referral decision is a choice of outcome; an incident, two actions (relaunch the step or close the path); a
 * contract, its countersignature; an onboarding's review, going on or ending the path with a reason. The outcomes
 * offered are the API's allowedOutcomes. A diagnosis is recorded from the onboarding board, not here.
 */
import { NETWORK_MESSAGE, api, apiErrors, loadInto, messageOf } from '../lib/api.js';
import { ageOn, byId, el, facts, formatDateTime, formatPlainDate, plural } from '../lib/dom.js';
import { clearErrors, radioValue, requiredErrors, setBusy, setOptional, showErrors, textValue } from '../lib/forms.js';
import { startPage } from '../lib/page.js';
import { duplicateText, eligibilityNode, personName } from '../lib/people.js';
import type { ApprovalView, DecisionAnswer, ReferralDetail, StaffContractView } from '../lib/views.js';

const SITUATION_LABELS: Record<string, string> = { 'demandeur-emploi': "Demandeur ou demandeuse d'emploi", etudiant: 'Étudiant ou étudiante', autre: 'Autre situation' };

function referralDetails(referral: ReferralDetail): HTMLElement {
  const person = referral.youngPerson;
  const guardian = referral.guardian;
  const address = [person.address, [person.postalCode, person.town].filter(Boolean).join(' ')].filter(Boolean).join(', ');
  return el('section', { class: 'panel', id: 'approval-details', 'aria-labelledby': 'approval-person' },
    el('h2', { id: 'approval-person' }, personName(person)),
    el('p', { class: 'meta' },
      el('span', {}, referral.programmeLabel),
      el('span', {}, 'Reçue le ', el('time', { datetime: referral.createdAt }, formatDateTime(referral.createdAt)))),
    facts([
      ['Prescripteur', referral.prescriber.organisationName + (referral.prescriber.name ? ` · ${referral.prescriber.name}` : '')],
      ['Naissance', person.birthDate ? `${formatPlainDate(person.birthDate)} (${ageOn(person.birthDate, new Date())} ans)` : ''],
      ['E-mail', person.email],
      ['Mobile', person.phone],
      ['Adresse', address],
      ['QPV', person.qpv ? 'Oui, quartier prioritaire' : 'Non'],
      ['Situation', (SITUATION_LABELS[person.situation] || person.situation || '') + (person.situationDetail ? ` : ${person.situationDetail}` : '')],
      ['Éligibilité', eligibilityNode(referral.eligibility)],
      ['Doublons', duplicateText(referral.duplicate)],
    ]),
    guardian ? el('h3', {}, 'Représentant légal') : null,
    guardian ? facts([
      ['Nom', personName(guardian)],
      ['Lien', guardian.relationship],
      ['E-mail', guardian.email],
      ['Mobile', guardian.phone],
    ]) : null,
    el('h3', {}, 'Idée de projet'),
    el('p', { class: 'pre-line' }, referral.projectIdea),
    referral.notes ? el('h3', {}, 'Informations complémentaires') : null,
    referral.notes ? el('p', { class: 'pre-line' }, referral.notes) : null,
    el('p', {}, el('a', { href: `/equipe/personnes/${encodeURIComponent(referral.personId)}` }, "Voir l'historique du jeune")));
}

const DECISION_MESSAGES = { outcome: 'Choisissez une décision.', reasonCode: 'Choisissez le motif du refus.' };

/** Why a step can no longer be decided, from its status (the API's 409 says the same on a POST). */
function closedApprovalText(approval: ApprovalView): string {
  const on = (iso: string | undefined) => (iso ? ` le ${formatDateTime(iso)}` : '');
  if (approval.status === 'expired') return `Cette demande a expiré${on(approval.closedAt)} sans décision : le délai de réponse est dépassé. Il n'y a plus rien à décider.`;
  if (approval.status === 'closed') return `Cette demande a été close${on(approval.closedAt)} : une décision a été prise par une autre demande. Il n'y a plus rien à décider.`;
  return `Cette demande a déjà été traitée${on(approval.decidedAt)}${approval.decidedBy ? ` par ${approval.decidedBy}` : ''} : il n'y a plus rien à décider.`;
}

function incidentDetails(approval: ApprovalView): HTMLElement {
  const incident = approval.incident;
  return el('section', { class: 'panel panel-warning', id: 'incident-details', 'aria-labelledby': 'incident-title' },
    el('h2', { id: 'incident-title' }, `Étape « ${incident?.step} »`),
    el('p', {}, el('span', { class: 'badge badge-kind-incident' }, approval.kindLabel || 'À traiter')),
    el('p', {}, incident?.explanation));
}

type DecisionBody = Record<string, string>;

/** The referral's outcomes: only those still allowed, and the refusal reasons when refusing. */
function prepareReferralDecision(form: HTMLFormElement, approval: ApprovalView): () => DecisionBody | null {
  const reasonField = byId('reason-field');
  const reason = byId<HTMLSelectElement>('f-reasonCode');
  const allowed = approval.allowedOutcomes ?? [];
  for (const radio of form.querySelectorAll<HTMLInputElement>('input[name="outcome"]')) {
    if (!allowed.includes(radio.value)) radio.closest('.choice')?.remove();
  }
  for (const option of approval.refusalReasons ?? []) {
    reason.append(el('option', { value: option.code }, option.label + (option.shownToYoungPerson ? '' : ' (non communiqué au jeune)')));
  }
  const updateReason = () => {
    const refused = radioValue(form, 'outcome') === 'refused';
    reasonField.hidden = !refused;
    reason.disabled = !refused;
  };
  form.addEventListener('change', updateReason);
  // What the form sends, or null when it must be corrected first.
  return () => {
    const invalid = requiredErrors(form, DECISION_MESSAGES);
    if (invalid.length) {
      showErrors(form, `Corrigez ${plural(invalid.length, 'erreur', 'erreurs')} puis enregistrez de nouveau :`, invalid);
      return null;
    }
    const body: DecisionBody = { outcome: radioValue(form, 'outcome') };
    setOptional(body, 'reasonCode', textValue(form, 'reasonCode'));
    setOptional(body, 'messageToPrescriber', textValue(form, 'messageToPrescriber'));
    setOptional(body, 'messageToYoungPerson', textValue(form, 'messageToYoungPerson'));
    return body;
  };
}

const REVIEW_MESSAGES = { reviewOutcome: 'Choisissez de poursuivre ou d\'arrêter.', endReasonCode: "Choisissez le motif de l'arrêt." };
/** The API's field names and the review form's (its fields share the page with the other kinds'). */
const REVIEW_FIELDS: Record<string, string> = { outcome: 'reviewOutcome', reasonCode: 'endReasonCode', comment: 'reviewComment' };

/** An onboarding's review: go on (the stuck step waits again) or end the path with a reason. */
function prepareReviewDecision(form: HTMLFormElement, approval: ApprovalView): () => DecisionBody | null {
  const reasonField = byId('end-reason-field');
  const reason = byId<HTMLSelectElement>('f-endReasonCode');
  const allowed = approval.allowedOutcomes ?? [];
  for (const radio of form.querySelectorAll<HTMLInputElement>('input[name="reviewOutcome"]')) {
    if (!allowed.includes(radio.value)) radio.closest('.choice')?.remove();
  }
  byId('review-stuck').textContent = 'stuckStepLabel' in approval && approval.stuckStepLabel
    ? `L'accueil est bloqué à l'étape « ${approval.stuckStepLabel} ».`
    : "Une étape de l'accueil est bloquée.";
  for (const option of ('endReasons' in approval ? approval.endReasons : undefined) ?? []) reason.append(el('option', { value: option.code }, option.label));
  form.addEventListener('change', () => {
    const ending = radioValue(form, 'reviewOutcome') === 'end';
    reasonField.hidden = !ending;
    reason.disabled = !ending;
  });
  return () => {
    const invalid = requiredErrors(form, REVIEW_MESSAGES);
    if (invalid.length) {
      showErrors(form, `Corrigez ${plural(invalid.length, 'erreur', 'erreurs')} puis enregistrez de nouveau :`, invalid);
      return null;
    }
    const body: DecisionBody = { outcome: radioValue(form, 'reviewOutcome') };
    setOptional(body, 'reasonCode', textValue(form, 'endReasonCode'));
    setOptional(body, 'comment', textValue(form, 'reviewComment'));
    return body;
  };
}

/** The contract to countersign: staff download it to read it first (a short-lived link, asked for at the click). */
function prepareCountersign(form: HTMLFormElement, approval: ApprovalView): () => DecisionBody {
  const download = byId<HTMLButtonElement>('countersign-download');
  const status = byId('countersign-download-status');
  download.addEventListener('click', async () => {
    setBusy(download, true, 'Chargement…');
    status.textContent = '';
    try {
      const result = await api<StaffContractView>(`/api/staff/onboarding/${encodeURIComponent(approval.referral?.referralId ?? '')}/contract`);
      if (!result.ok) status.textContent = messageOf(result, "Le contrat n'a pas pu être chargé. Réessayez dans quelques instants.");
      else if ('downloadUrl' in result.data && result.data.downloadUrl) location.assign(result.data.downloadUrl);
      else status.textContent = `Contrat : ${result.data.statusLabel}.`;
    } catch {
      status.textContent = NETWORK_MESSAGE;
    } finally {
      setBusy(download, false);
    }
  });
  if (!(approval.allowedOutcomes ?? []).includes('countersigned')) byId('countersign-submit').remove();
  return () => {
    const body: DecisionBody = { outcome: 'countersigned' };
    setOptional(body, 'comment', textValue(form, 'countersignComment'));
    return body;
  };
}

type Section = 'referral-decision-fields' | 'incident-fields' | 'countersign-fields' | 'review-fields' | 'elsewhere-fields';
const SECTIONS: Section[] = ['referral-decision-fields', 'incident-fields', 'countersign-fields', 'review-fields', 'elsewhere-fields'];

function sectionOf(kind: string): Section {
  if (kind === 'referral-decision') return 'referral-decision-fields';
  if (kind === 'incident') return 'incident-fields';
  if (kind === 'contract-countersign') return 'countersign-fields';
  if (kind === 'onboarding-review') return 'review-fields';
  return 'elsewhere-fields';
}

const TITLES: Record<Section, string> = {
  'referral-decision-fields': "Décider d'une orientation",
  'incident-fields': "Parcours à l'arrêt : étape à traiter",
  'countersign-fields': 'Contresigner un contrat',
  'review-fields': "Revue de l'accueil",
  'elsewhere-fields': 'Étape de l\'accueil',
};

/** What staff read once their decision is recorded. */
function decisionOutcomeText(approval: ApprovalView, data: DecisionAnswer): { status: string; note: string } {
  if (approval.kind === 'contract-countersign') return { status: 'Contrat contresigné.', note: 'La version finale est envoyée au jeune ; elle se télécharge aussi depuis l\'accueil.' };
  if (approval.kind === 'onboarding-review') {
    const step = 'stuckStepLabel' in approval && approval.stuckStepLabel ? ` à l'étape « ${approval.stuckStepLabel} »` : '';
    return data.outcome === 'continue'
      ? { status: `L'accueil reprend${step}.`, note: 'Le jeune est de nouveau invité à la faire.' }
      : { status: 'Le parcours est arrêté.', note: 'Le jeune, et son représentant légal pour un mineur, en sont informés.' };
  }
  if (approval.kind !== 'incident') {
    return { status: `Nouveau statut de l'orientation : ${data.statusLabel}.`, note: 'Le prescripteur et le jeune en sont informés.' };
  }
  const step = approval.incident?.step;
  return data.outcome === 'retry'
    ? { status: `L'étape « ${step} » est relancée : le parcours reprend à cette étape.`, note: 'Si elle échoue encore, elle reviendra dans les demandes à traiter.' }
    : { status: 'Le parcours est clôturé : aucune étape automatique ne suivra.', note: '' };
}

startPage(async () => {
  const approvalId = document.body.dataset.approvalId ?? '';
  const region = byId('approval');
  const approval = await loadInto<ApprovalView>(region, `/api/approvals/${encodeURIComponent(approvalId)}`);
  if (!approval) return;
  const incident = approval.kind === 'incident';
  const section = sectionOf(approval.kind);
  const title = TITLES[section];
  byId('decision-title').textContent = title;
  document.title = `${title} - CoopConnexion Parcours`;
  const referral = approval.referral;
  if (!referral) {
    // A subject-only step (a month's invoices) is decided on its own page.
    region.replaceChildren(el('p', { class: 'panel' }, approval.invoicingRun ? `Les factures de ${approval.invoicingRun.month} se valident depuis la page de facturation du mois.` : 'Cette demande se décide depuis sa propre page.'));
    return;
  }
  region.replaceChildren(...[incident ? incidentDetails(approval) : null, referralDetails(referral)].filter((node) => node !== null));
  if (approval.status !== 'open') {
    region.append(el('p', { class: 'panel panel-warning', id: 'approval-closed' }, closedApprovalText(approval)));
    return;
  }

  const form = byId<HTMLFormElement>('decision-form');
  for (const other of SECTIONS) if (other !== section) byId(other).remove();
  form.hidden = false;
  if (section === 'elsewhere-fields') {
    // Not decided through this route: say where it is done.
    byId('elsewhere-note').append(...(approval.activity
      ? ["Le dossier de lancement se valide ou se renvoie depuis la page de l'activité : ", el('a', { href: `/equipe/activites/${encodeURIComponent(approval.activity.activityId)}` }, `Ouvrir « ${approval.activity.name} »`)]
      : [
        approval.kind === 'diagnosis' ? "L'entretien de diagnostic se planifie puis s'enregistre depuis l'accueil des jeunes : " : `« ${approval.kindLabel} » se règle depuis sa propre page. `,
        el('a', { href: '/equipe/accueil' }, "Ouvrir l'accueil des jeunes"),
      ]));
    return;
  }
  const buttons = Array.from(form.querySelectorAll<HTMLButtonElement>('button[type="submit"]'));
  const readers: Record<Exclude<Section, 'elsewhere-fields'>, () => (submitter: HTMLButtonElement) => DecisionBody | null> = {
    'incident-fields': () => (submitter) => {
      const body: DecisionBody = { outcome: submitter.dataset.outcome ?? '' };
      setOptional(body, 'comment', textValue(form, 'comment'));
      return body;
    },
    'referral-decision-fields': () => prepareReferralDecision(form, approval),
    'countersign-fields': () => prepareCountersign(form, approval),
    'review-fields': () => prepareReviewDecision(form, approval),
  };
  const readBody = readers[section]();
  // The API names the fields of every kind alike; the review's carry their own names on this page.
  const fieldOf = (field: string) => (section === 'review-fields' ? REVIEW_FIELDS[field] ?? field : field);

  let sending = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (sending) return;
    clearErrors(form);
    const submitter = event.submitter instanceof HTMLButtonElement && buttons.includes(event.submitter) ? event.submitter : buttons[0];
    if (!submitter?.isConnected) return;
    const body = readBody(submitter);
    if (!body) return;
    sending = true;
    for (const button of buttons) button.disabled = true;
    setBusy(submitter, true, 'Enregistrement…');
    try {
      const result = await api<DecisionAnswer>(`/api/approvals/${encodeURIComponent(approvalId)}/decision`, { method: 'POST', json: body });
      if (result.ok) {
        form.hidden = true;
        const text = decisionOutcomeText(approval, result.data);
        const panel = byId('decision-confirmation');
        byId('decision-confirmation-status').textContent = text.status;
        const note = byId('decision-confirmation-note');
        note.textContent = text.note;
        note.hidden = !text.note;
        byId<HTMLAnchorElement>('decision-confirmation-timeline').href = `/equipe/personnes/${encodeURIComponent(referral.personId)}`;
        panel.hidden = false;
        panel.focus();
      } else if (result.status === 409) {
        form.hidden = true;
        const panel = byId('decision-conflict');
        byId('decision-conflict-message').textContent = messageOf(result, 'Cette demande a déjà été traitée.');
        panel.hidden = false;
        panel.focus();
      } else {
        showErrors(form, messageOf(result, "L'enregistrement n'a pas abouti. Réessayez dans quelques instants."), apiErrors(result).map((e) => ({ ...e, field: fieldOf(e.field) })));
      }
    } catch {
      showErrors(form, NETWORK_MESSAGE, []);
    } finally {
      sending = false;
      setBusy(submitter, false);
      for (const button of buttons) button.disabled = false;
    }
  });
});
