import { PROGRAMMES, PROGRAMME_RULES } from '../domain/programmes.js';
import { STAFF_WAITING_STEP_KINDS, WAITING_STEP_KIND_LABELS } from '../domain/waiting-steps.js';
import { errorSummary, fieldId, radioGroup, textField } from './form-fields.js';
import { escapeHtml, layout, loadingRegion } from './layout.js';

function filterSelect(name: string, label: string, all: string, options: Array<{ value: string; label: string }>): string {
  const id = fieldId(name);
  const choices = options.map((o) => `<option value="${escapeHtml(o.value)}">${escapeHtml(o.label)}</option>`).join('');
  return `<div class="field">
<label for="${id}">${escapeHtml(label)}</label>
<select id="${id}" name="${escapeHtml(name)}"><option value="">${escapeHtml(all)}</option>${choices}</select>
</div>`;
}

/**
 * Every waiting step of every kind, oldest first, a page at a time. The filters are a GET form on the page's own
 * URL, so a link keeps them; their labels are the ones the API gives each item (the domain's).
 */
export function inboxPage(): string {
  const kinds = STAFF_WAITING_STEP_KINDS.map((kind) => ({ value: kind, label: WAITING_STEP_KIND_LABELS[kind] }));
  const programmes = PROGRAMMES.map((programme) => ({ value: programme, label: PROGRAMME_RULES[programme].label }));
  const body = `<h1>Demandes à traiter</h1>
<p class="lead">Tout ce qui attend l'équipe, de la plus ancienne demande à la plus récente : les décisions sur les orientations et les parcours à l'arrêt après une erreur.</p>
<form id="inbox-filters" class="filters" method="get" action="/equipe" role="search" aria-label="Filtrer les demandes">
${filterSelect('kind', 'Type de demande', 'Tous les types', kinds)}
${filterSelect('programme', 'Programme', 'Tous les programmes', programmes)}
<div class="filters-actions"><button type="submit" class="button button-secondary">Filtrer</button></div>
</form>
${loadingRegion('inbox', 'Chargement des demandes…')}`;
  return layout({ title: 'Demandes à traiter', page: 'inbox', auth: 'required', body });
}

const outcomeChoices = [
  { value: 'accepted', label: 'Accepter l\'orientation' },
  { value: 'refused', label: 'Refuser l\'orientation' },
  { value: 'waitlisted', label: 'Mettre sur liste d\'attente' },
];

/**
 * The page an e-mail or inbox link opens for one waiting step: loading it never decides anything, only the form's
 * authenticated POST does (mail scanners follow links). The form holds the fields of every kind; the client
 * module keeps those of the step's kind (a referral decision, an incident to relaunch or close, a contract to
 * countersign, an onboarding's review; a diagnosis is recorded from the onboarding board).
 */
const reviewChoices = [
  { value: 'continue', label: "Poursuivre l'accueil", hint: "L'étape bloquée reprend (une nouvelle invitation pour la réunion)." },
  { value: 'end', label: 'Arrêter le parcours', hint: 'Le jeune, et son représentant légal pour un mineur, en sont informés.' },
];

export function decisionPage(approvalId: string): string {
  const reasonId = fieldId('reasonCode');
  const endReasonId = fieldId('endReasonCode');
  const body = `<p class="breadcrumb"><a href="/equipe">Demandes à traiter</a></p>
<h1 id="decision-title">Traiter une demande</h1>
${loadingRegion('approval', 'Chargement de la demande…')}

<section class="panel panel-success" id="decision-confirmation" tabindex="-1" aria-labelledby="decision-confirmation-title" hidden>
<h2 id="decision-confirmation-title">Décision enregistrée</h2>
<p id="decision-confirmation-status"></p>
<p id="decision-confirmation-note"></p>
<ul class="link-list">
<li><a href="/equipe">Revenir aux demandes à traiter</a></li>
<li><a id="decision-confirmation-timeline" href="/equipe">Voir l'historique du jeune</a></li>
</ul>
</section>

<section class="panel panel-warning" id="decision-conflict" role="alert" tabindex="-1" aria-labelledby="decision-conflict-title" hidden>
<h2 id="decision-conflict-title">Cette demande a déjà été traitée</h2>
<p id="decision-conflict-message"></p>
<p><a href="/equipe">Revenir aux demandes à traiter</a></p>
</section>

<form id="decision-form" class="form" novalidate hidden>
${errorSummary()}
<div id="referral-decision-fields">
<h2>Votre décision</h2>
${radioGroup({ name: 'outcome', legend: 'Décision', required: true, choices: outcomeChoices })}
<div class="field" id="reason-field" hidden>
<label for="${reasonId}">Motif du refus <span class="required">(obligatoire)</span></label>
<p class="hint" id="${reasonId}-hint">Certains motifs ne sont pas communiqués au jeune : ils sont signalés dans la liste.</p>
<p class="field-error" id="${reasonId}-error" hidden></p>
<select id="${reasonId}" name="reasonCode" aria-describedby="${reasonId}-hint" required disabled>
<option value="">Choisir un motif</option>
</select>
</div>
${textField({ name: 'messageToPrescriber', label: 'Message au prescripteur', required: false, multiline: true, maxlength: 2000, hint: 'Lu seulement par le prescripteur. Il peut être différent du message au jeune.' })}
${textField({ name: 'messageToYoungPerson', label: 'Message au jeune', required: false, multiline: true, maxlength: 2000, hint: 'Envoyé au jeune. Il peut être différent du message au prescripteur : adaptez le ton et les détails.' })}
<div class="actions">
<button type="submit" class="button" id="decision-submit">Enregistrer la décision</button>
</div>
</div>
<div id="incident-fields">
<h2>Que faire de ce parcours ?</h2>
<ul class="link-list">
<li><strong>Relancer l'étape</strong> la rejoue telle quelle : faites-le une fois la cause réglée (un service revenu, une coordonnée corrigée).</li>
<li><strong>Clôturer le parcours</strong> l'arrête : aucune étape automatique ne suivra pour cette orientation.</li>
</ul>
${textField({ name: 'comment', label: 'Commentaire', required: false, multiline: true, maxlength: 2000, hint: "Gardé dans l'historique du jeune : la cause, ce qui a été fait." })}
<div class="actions item-actions">
<button type="submit" class="button" id="incident-retry" data-outcome="retry">Relancer l'étape</button>
<button type="submit" class="button button-secondary" id="incident-close" data-outcome="close">Clôturer le parcours</button>
</div>
</div>
<div id="countersign-fields">
<h2>Contresigner le contrat</h2>
<p>Le jeune a accepté le contrat. Relisez-le, puis contresignez-le au nom de la coopérative : la version finale lui est envoyée.</p>
<p><button type="button" class="button button-secondary" id="countersign-download">Télécharger le contrat</button></p>
<p id="countersign-download-status" role="status"></p>
${textField({ name: 'countersignComment', label: 'Commentaire', required: false, multiline: true, maxlength: 2000, hint: "Gardé dans l'historique du jeune." })}
<div class="actions">
<button type="submit" class="button" id="countersign-submit" data-outcome="countersigned">Contresigner</button>
</div>
</div>
<div id="review-fields">
<h2>Que faire de cet accueil ?</h2>
<p id="review-stuck"></p>
${radioGroup({ name: 'reviewOutcome', legend: 'Décision', required: true, choices: reviewChoices })}
<div class="field" id="end-reason-field" hidden>
<label for="${endReasonId}">Motif de l'arrêt <span class="required">(obligatoire)</span></label>
<p class="field-error" id="${endReasonId}-error" hidden></p>
<select id="${endReasonId}" name="endReasonCode" required disabled>
<option value="">Choisir un motif</option>
</select>
</div>
${textField({ name: 'reviewComment', label: 'Commentaire', required: false, multiline: true, maxlength: 2000, hint: "Gardé dans l'historique du jeune : ce qui a été convenu avec lui." })}
<div class="actions">
<button type="submit" class="button" id="review-submit">Enregistrer la décision</button>
</div>
</div>
<div id="elsewhere-fields">
<p class="panel panel-info" id="elsewhere-note"></p>
</div>
</form>`;
  return layout({ title: 'Traiter une demande', page: 'decision', auth: 'required', data: { 'approval-id': approvalId }, body });
}

export function timelinePage(personId: string): string {
  const body = `<p class="breadcrumb"><a href="/equipe">Demandes à traiter</a></p>
<h1 id="timeline-title">Historique du jeune</h1>
${loadingRegion('timeline', 'Chargement de l\'historique…')}`;
  return layout({ title: 'Historique du jeune', page: 'timeline', auth: 'required', data: { 'person-id': personId }, body });
}

/**
 * Contacts whose messages no longer arrive, opt-outs and undelivered messages: the client
 * module fills the three sections (#contacts-to-fix, #opt-outs, #failed-messages) from one call, then pages each on
 * its own ("Afficher plus").
 */
export function messagesPage(): string {
  const body = `<h1>Messages et contacts</h1>
<p class="lead">Les adresses et numéros à corriger, les désinscriptions et les messages non remis des 30 derniers jours.</p>
<div id="messages-status" role="status" aria-live="polite"></div>
${loadingRegion('messages', 'Chargement des messages et contacts…')}`;
  return layout({ title: 'Messages et contacts', page: 'messages', auth: 'required', body });
}

/**
 * "Doublons possibles": a referral matched a known person only in part (same e-mail, same mobile, or same name and
 * birth date), so it got a new record; staff say whether the two are one person. The client module fills #duplicates.
 */
export function duplicatesPage(): string {
  const body = `<h1>Doublons possibles</h1>
<p class="lead">Des orientations ressemblent à une personne déjà suivie sans qu'on puisse l'affirmer (même e-mail, même mobile, ou même nom et date de naissance). Comparez les deux dossiers : s'il s'agit de la même personne, ils sont réunis ; sinon, la question ne sera plus posée pour ces deux dossiers.</p>
<div id="duplicates-status" role="status" aria-live="polite"></div>
${loadingRegion('duplicates', 'Chargement des doublons possibles…')}`;
  return layout({ title: 'Doublons possibles', page: 'duplicates', auth: 'required', body });
}
