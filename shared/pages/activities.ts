/*
 * The activity launch's pages (issue 10): the young person's launch file on their phone (`/mon-activite`, personal
 * link), and the staff's activities, CJS cohorts and service catalogue. Each shell holds the page's landmarks and
 * forms; its module (browser/pages/<page>.ts) fills it from the API.
 */
import {
  ACTIVITY_STATUSES,
  ACTIVITY_STATUS_LABELS,
  COHORT_CAPACITY,
  COMMITTEE_ROLES,
  COMMITTEE_ROLE_LABELS,
  MANUAL_STATUS_TARGETS,
  PRICE_UNITS,
  TARGET_CUSTOMERS,
  TARGET_CUSTOMER_LABELS,
  VAT_RATES_BPS,
  formatBps,
  priceUnitLabel,
} from '../domain/activities.js';
import { LAUNCH_OUTCOME_LABELS } from '../domain/activity-launch.js';
import { checkboxField, errorSummary, fieldId, radioGroup, textField } from './form-fields.js';
import { escapeHtml, layout, loadingRegion } from './layout.js';

/** A group of checkboxes sharing one name (the API's list field), its error slot under the legend. */
function checkboxGroup(spec: { name: string; legend: string; hint?: string; choices: Array<{ value: string; label: string }>; containerId?: string }): string {
  const id = fieldId(spec.name);
  const choices = spec.choices
    .map((c) => `<div class="choice"><input type="checkbox" id="${id}-${escapeHtml(c.value)}" name="${escapeHtml(spec.name)}" value="${escapeHtml(c.value)}"><label for="${id}-${escapeHtml(c.value)}">${escapeHtml(c.label)}</label></div>`)
    .join('\n');
  return `<fieldset class="field group" id="${id}">
<legend>${escapeHtml(spec.legend)} <span class="required">(obligatoire)</span></legend>
${spec.hint ? `<p class="hint" id="${id}-hint">${escapeHtml(spec.hint)}</p>` : ''}
<p class="field-error" id="${id}-error" hidden></p>
${spec.containerId ? `<div id="${spec.containerId}"></div>` : choices}
</fieldset>`;
}

const unitOptions = () => PRICE_UNITS.map((unit) => `<option value="${unit}">${escapeHtml(priceUnitLabel(unit))}</option>`).join('');

/**
 * One price line, cloned by the page for each line: `N` in its ids becomes the line's index, so an error on
 * `${field}.2.unitPriceCents` (the API's list field: `priceLines` of a launch file, `lines` of a price version) lands
 * on `f-${field}-2-unitPriceCents`.
 */
function priceLineTemplate(field: string): string {
  const control = (name: string) => `f-${field}-N-${name}`;
  const row = (name: string, label: string, input: string, hint?: string) => `<div class="field">
<label for="${control(name)}">${escapeHtml(label)} <span class="required">(obligatoire)</span></label>
${hint ? `<p class="hint" id="${control(name)}-hint">${escapeHtml(hint)}</p>` : ''}
<p class="field-error" id="${control(name)}-error" hidden></p>
${input}
</div>`;
  return `<template id="ligne-prix-modele">
<li class="card price-line">
<fieldset class="group">
<legend class="price-line-title">Prix n° N</legend>
${row('label', 'Ce que le client achète', `<input type="text" id="${control('label')}" name="label" maxlength="120" required>`, 'Par exemple : tonte de pelouse, cours d’une heure.')}
${row('unit', 'Unité', `<select id="${control('unit')}" name="unit" required>${unitOptions()}</select>`)}
${row('unitPriceCents', 'Prix hors taxes, en euros', `<input type="text" id="${control('unitPriceCents')}" name="unitPriceCents" inputmode="decimal" autocomplete="off" maxlength="14" required aria-describedby="${control('unitPriceCents')}-hint">`, 'Par exemple : 12,50')}
${row('serviceKind', 'Service', `<select id="${control('serviceKind')}" name="serviceKind" required></select>`)}
<p><button type="button" class="button button-secondary remove-line">Retirer ce prix</button></p>
</fieldset>
</li>
</template>`;
}

/** The price lines of a form (one list a page), and the template of a line (browser/lib/launch-file.ts fills them). */
function priceLinesFieldset(field: string, legend: string): string {
  const id = fieldId(field);
  return `<fieldset class="field group" id="${id}">
<legend>${escapeHtml(legend)} <span class="required">(obligatoire)</span></legend>
<p class="hint" id="${id}-hint">Un prix par prestation, hors taxes. La coopérative ajoute la TVA quand elle s'applique.</p>
<p class="field-error" id="${id}-error" hidden></p>
<ol class="price-lines" id="lignes-prix"></ol>
<p><button type="button" class="button button-secondary" id="ajouter-ligne">Ajouter un prix</button></p>
</fieldset>
${priceLineTemplate(field)}`;
}

/** The launch file's fields: the young person's own (`mine`: "Mes services") or the team's for a collective activity. */
function launchFileFields(mine: boolean): string {
  const customers = TARGET_CUSTOMERS.map((c) => ({ value: c, label: TARGET_CUSTOMER_LABELS[c] }));
  return `${textField({ name: 'name', label: "Nom de l'activité", required: true, maxlength: 100, hint: mine ? 'Ce que vous faites, en quelques mots : par exemple « Entretien de jardins ».' : 'Ce que fait l’activité, en quelques mots : par exemple « Entretien de jardins ».' })}
${textField({ name: 'tradeName', label: 'Enseigne', required: true, maxlength: 100, hint: mine ? 'Le nom que vos clients liront sur votre plaquette.' : 'Le nom que les clients liront sur la plaquette.' })}
${checkboxGroup({ name: 'serviceKinds', legend: mine ? 'Mes services' : 'Services', hint: mine ? 'Les services que la coopérative assure pour vous.' : 'Les services que la coopérative assure pour l’activité.', choices: [], containerId: 'services-choix' })}
${textField({ name: 'description', label: 'Description', required: true, multiline: true, maxlength: 2000, hint: mine ? 'Ce que vous proposez, à qui, où : 10 caractères au moins.' : 'Ce que l’activité propose, à qui, où : 10 caractères au moins.' })}
${priceLinesFieldset('priceLines', mine ? 'Mes prix' : 'Prix')}
${checkboxGroup({ name: 'targetCustomers', legend: mine ? 'Mes clients' : 'Clients', choices: customers })}
${textField({ name: 'monthlyGoalCents', label: "Objectif de chiffre d'affaires par mois, en euros hors taxes", required: true, inputmode: 'decimal', maxlength: 14, hint: 'Par exemple : 800 ou 1 250,50' })}
${textField({ name: 'startDate', label: 'Date de début', required: true, type: 'date' })}`;
}

/** "Mon activité": the young person's launch file, its status, the flyer, and their collective activities (read only). */
export function myActivityPage(): string {
  const body = `<h1>Mon activité</h1>
<p class="breadcrumb"><a href="/mon-parcours">Mon parcours</a></p>
<div id="activite-statut" role="status" aria-live="polite"></div>
${loadingRegion('activite', 'Chargement de votre activité…')}

<section class="section" id="section-dossier" aria-labelledby="dossier-titre" hidden>
<h2 id="dossier-titre">Mon dossier de lancement</h2>
<div id="dossier-etat"></div>
<form id="dossier-form" class="stack-form" novalidate hidden>
${errorSummary()}
${launchFileFields(true)}
<div class="actions item-actions">
<button type="submit" class="button" id="envoyer" data-action="submit">Envoyer mon dossier à l'équipe</button>
<button type="submit" class="button button-secondary" id="enregistrer" data-action="save">Enregistrer sans envoyer</button>
</div>
<p id="dossier-statut" role="status"></p>
</form>
</section>

<section class="section" id="section-collectives" aria-labelledby="collectives-titre" hidden>
<h2 id="collectives-titre">Mes activités collectives</h2>
<div id="collectives"></div>
</section>`;
  return layout({ title: 'Mon activité', page: 'mon-activite', auth: 'optional', navigation: false, body });
}

/** What each move of a launched activity says to staff. */
const STATUS_CHANGE_LABELS = {
  paused: { label: "Mettre l'activité en pause", hint: "Elle n'est plus facturée jusqu'à sa réactivation." },
  active: { label: "Réactiver l'activité", hint: 'Elle est de nouveau facturée.' },
  closed: { label: "Fermer l'activité", hint: 'Définitif : elle ne sera plus facturée ni modifiée.' },
} as const;

const statusOptions = () => ACTIVITY_STATUSES.map((s) => `<option value="${s}">${escapeHtml(ACTIVITY_STATUS_LABELS[s])}</option>`).join('');

/** "Activités": the activities of one status (those awaiting approval first), a page at a time. */
export function activitiesPage(): string {
  const id = fieldId('status');
  const body = `<h1>Activités</h1>
<p class="lead">Les activités des jeunes, par statut : les dossiers de lancement à valider, les activités lancées, en pause ou fermées.</p>
<form id="activities-filters" class="filters" method="get" action="/equipe/activites" role="search" aria-label="Choisir un statut">
<div class="field">
<label for="${id}">Statut</label>
<select id="${id}" name="status">${statusOptions()}</select>
</div>
<div class="filters-actions"><button type="submit" class="button button-secondary">Afficher</button></div>
</form>
${loadingRegion('activities', 'Chargement des activités…')}
<section class="section" aria-labelledby="collective-form-title">
<h2 id="collective-form-title">Créer une activité collective Jeunes Majeurs</h2>
<p>Une activité que plusieurs membres de la Coopérative Jeunes Majeurs partagent, en parallèle de leur activité personnelle, pour 6 à 12 mois. Ajoutez ses membres depuis sa page, puis envoyez son dossier en validation.</p>
<div id="collective-created" class="panel panel-success" role="status" tabindex="-1" hidden></div>
<form id="collective-form" class="stack-form" novalidate hidden>
${errorSummary()}
${launchFileFields(false)}
${textField({ name: 'endDate', label: 'Date de fin', required: true, type: 'date', hint: 'De 6 à 12 mois après la date de début.' })}
<div class="actions"><button type="submit" class="button" id="collective-submit">Créer l'activité collective</button></div>
</form>
</section>`;
  return layout({ title: 'Activités', page: 'activities', auth: 'required', body });
}

/** One activity: members, prices and their versions, goal, status, history; the launch decision when one is open. */
export function activityPage(activityId: string): string {
  const outcomes = (['approved', 'sent-back'] as const).map((value) => ({
    value,
    label: value === 'approved' ? 'Valider le lancement' : 'Renvoyer le dossier au jeune',
    hint: value === 'approved' ? "Les règles de lancement sont vérifiées de nouveau ; l'activité devient active." : LAUNCH_OUTCOME_LABELS[value] + ' : votre commentaire lui est envoyé.',
  }));
  const body = `<p class="breadcrumb"><a href="/equipe/activites">Activités</a></p>
<h1 id="activity-title">Activité</h1>
<div id="activity-status" role="status" aria-live="polite"></div>
<section class="panel panel-info" id="launch-decision" aria-labelledby="launch-decision-title" hidden>
<h2 id="launch-decision-title">Dossier de lancement à valider</h2>
<form id="launch-form" class="form" novalidate>
${errorSummary()}
${radioGroup({ name: 'outcome', legend: 'Décision', required: true, choices: outcomes })}
${textField({ name: 'comment', label: 'Commentaire au jeune', required: false, multiline: true, maxlength: 2000, hint: 'Obligatoire pour renvoyer le dossier : ce qu’il doit changer.' })}
<div class="actions"><button type="submit" class="button" id="launch-submit">Enregistrer la décision</button></div>
</form>
</section>
${loadingRegion('activity', "Chargement de l'activité…")}
${activityForms()}`;
  return layout({ title: 'Activité', page: 'activity', auth: 'required', data: { 'activity-id': activityId }, body });
}

/** Staff's changes to an activity, each shown by the page when the activity allows it: members, prices, status. */
function activityForms(): string {
  const roleId = fieldId('committeeRole');
  const roles = COMMITTEE_ROLES.map((role) => `<option value="${role}">${escapeHtml(COMMITTEE_ROLE_LABELS[role])}</option>`).join('');
  const targets = MANUAL_STATUS_TARGETS.map((value) => ({ value, label: STATUS_CHANGE_LABELS[value].label, hint: STATUS_CHANGE_LABELS[value].hint }));
  return `<section class="section" id="member-section" aria-labelledby="member-title" hidden>
<h2 id="member-title">Ajouter un membre</h2>
<form id="member-form" class="form" novalidate>
${errorSummary('member-')}
${textField({ name: 'referralId', label: 'Identifiant du parcours', required: true, maxlength: 64, autocomplete: 'off', hint: "Un jeune du même programme dont l'accueil est terminé (contrat contresigné). L'identifiant figure dans son historique." })}
<div class="field">
<label for="${roleId}">Comité <span class="optional">(facultatif)</span></label>
<p class="field-error" id="${roleId}-error" hidden></p>
<select id="${roleId}" name="committeeRole"><option value="">Aucun comité</option>${roles}</select>
</div>
<div class="actions"><button type="submit" class="button" id="member-submit">Ajouter le membre</button></div>
</form>
</section>
<section class="section" id="prices-section" aria-labelledby="prices-title" hidden>
<h2 id="prices-title">Nouvelle grille de prix</h2>
<p id="prices-intro"></p>
<form id="prices-form" class="stack-form" novalidate>
${errorSummary('prices-')}
${textField({ name: 'effectiveFrom', label: "Date d'effet", required: true, type: 'date', hint: "Aujourd'hui au plus tôt : les factures déjà faites gardent les prix de leur jour." })}
${priceLinesFieldset('lines', 'Prix')}
<div class="actions"><button type="submit" class="button" id="prices-submit">Enregistrer la grille</button></div>
</form>
</section>
<section class="section" id="status-section" aria-labelledby="status-title" hidden>
<h2 id="status-title">Changer le statut</h2>
<form id="status-form" class="form" novalidate>
${errorSummary('status-')}
${radioGroup({ name: 'status', legend: 'Nouveau statut', required: true, choices: targets })}
${textField({ name: 'reason', label: 'Motif', required: true, multiline: true, maxlength: 500, hint: "Gardé dans l'historique de l'activité : 3 caractères au moins." })}
<div class="actions"><button type="submit" class="button" id="status-submit">Changer le statut</button></div>
</form>
</section>`;
}

/** "Cohortes CJS": the cohorts, their seats, and the form that creates one (with its collective activity). */
export function cohortsPage(): string {
  const body = `<h1>Cohortes CJS</h1>
<p class="lead">Chaque été, une cohorte de la Coopérative Jeunesse de Services lance une activité collective. Les jeunes CJS prêts pour le lancement y sont placés, dans la limite des places.</p>
${loadingRegion('cohorts', 'Chargement des cohortes…')}
<section class="section" aria-labelledby="cohort-form-title">
<h2 id="cohort-form-title">Créer une cohorte</h2>
<div id="cohort-created" class="panel panel-success" role="status" tabindex="-1" hidden></div>
<form id="cohort-form" class="form" novalidate>
${errorSummary()}
${textField({ name: 'name', label: 'Nom de la cohorte', required: true, maxlength: 100, hint: 'Par exemple : CJS Lens-Liévin été 2026.' })}
${textField({ name: 'startDate', label: 'Date de début', required: true, type: 'date', hint: "Entre juin et septembre." })}
${textField({ name: 'endDate', label: 'Date de fin', required: true, type: 'date' })}
${textField({ name: 'towns', label: 'Communes', required: true, maxlength: 500, hint: 'Séparées par des virgules : Lens, Liévin, Avion.' })}
<div class="field">
<label for="${fieldId('capacity')}">Nombre de places <span class="required">(obligatoire)</span></label>
<p class="hint" id="${fieldId('capacity')}-hint">${COHORT_CAPACITY.max} au plus.</p>
<p class="field-error" id="${fieldId('capacity')}-error" hidden></p>
<input type="number" id="${fieldId('capacity')}" name="capacity" min="1" max="${COHORT_CAPACITY.max}" value="${COHORT_CAPACITY.default}" inputmode="numeric" required aria-describedby="${fieldId('capacity')}-hint">
</div>
<div class="actions"><button type="submit" class="button" id="cohort-submit">Créer la cohorte</button></div>
</form>
</section>`;
  return layout({ title: 'Cohortes CJS', page: 'cohorts', auth: 'required', body });
}

/** One cohort: capacity and seats, members with their committee roles, and the placement of a young person. */
export function cohortPage(cohortId: string): string {
  const body = `<p class="breadcrumb"><a href="/equipe/cohortes">Cohortes CJS</a></p>
<h1 id="cohort-title">Cohorte CJS</h1>
<div id="cohort-status" role="status" aria-live="polite"></div>
${loadingRegion('cohort', 'Chargement de la cohorte…')}
<section class="section" id="place-section" aria-labelledby="place-title" hidden>
<h2 id="place-title">Placer un jeune</h2>
<div id="candidates"></div>
<h3>Par l'identifiant de son parcours</h3>
<form id="place-form" class="form" novalidate>
${errorSummary()}
${textField({ name: 'referralId', label: 'Identifiant du parcours', required: true, maxlength: 64, autocomplete: 'off', hint: "Un jeune CJS dont l'accueil est terminé (contrat contresigné). L'identifiant figure dans son historique." })}
<div class="actions"><button type="submit" class="button" id="place-submit">Placer dans la cohorte</button></div>
</form>
</section>`;
  return layout({ title: 'Cohorte CJS', page: 'cohort', auth: 'required', data: { 'cohort-id': cohortId }, body });
}

/** "Services": the catalogue of the kinds of service, and the form that edits one or adds one. */
export function serviceKindsPage(): string {
  const vat = [...VAT_RATES_BPS.map((bps) => ({ value: String(bps), label: `TVA ${formatBps(bps)}` })), { value: 'none', label: 'Sans TVA (franchise en base)' }];
  const vatId = fieldId('defaultVatRateBps');
  const body = `<h1>Catalogue des services</h1>
<p class="lead">Les services que la coopérative assure : leur TVA par défaut, leurs notes d'assurance et s'ils sont ouverts aux mineurs (le Code du travail interdit certains travaux aux 16-17 ans).</p>
<div id="services-status" role="status" aria-live="polite"></div>
${loadingRegion('services', 'Chargement du catalogue…')}
<section class="section" aria-labelledby="service-form-title">
<h2 id="service-form-title">Ajouter un service</h2>
<form id="service-form" class="form" novalidate>
${errorSummary()}
${textField({ name: 'code', label: 'Code', required: true, maxlength: 40, autocomplete: 'off', hint: 'Minuscules, chiffres et tirets : par exemple « repassage ». Il ne change plus ensuite.' })}
${textField({ name: 'label', label: 'Libellé', required: true, maxlength: 100 })}
<div class="field">
<label for="${vatId}">TVA par défaut <span class="required">(obligatoire)</span></label>
<p class="field-error" id="${vatId}-error" hidden></p>
<select id="${vatId}" name="defaultVatRateBps" required>${vat.map((o) => `<option value="${o.value}">${escapeHtml(o.label)}</option>`).join('')}</select>
</div>
${textField({ name: 'insuranceNotes', label: "Notes d'assurance", required: true, multiline: true, maxlength: 1000 })}
${radioGroup({ name: 'openToMinors', legend: 'Ouvert aux mineurs', required: true, choices: [{ value: 'true', label: 'Oui, les 16-17 ans peuvent le faire' }, { value: 'false', label: 'Non, réservé aux majeurs' }] })}
${textField({ name: 'minorsClosedReason', label: 'Pourquoi il est fermé aux mineurs', required: false, multiline: true, maxlength: 500, hint: 'Obligatoire quand le service est réservé aux majeurs : la règle du Code du travail.' })}
${checkboxField({ name: 'active', label: 'Proposé aux jeunes', required: false, hint: "Un service retiré n'est plus proposé ; les activités qui l'ont gardent son libellé." })}
<div class="actions item-actions">
<button type="submit" class="button" id="service-submit">Enregistrer le service</button>
<button type="button" class="button button-secondary" id="service-new" hidden>Ajouter un autre service</button>
</div>
</form>
</section>`;
  return layout({ title: 'Catalogue des services', page: 'service-kinds', auth: 'required', body });
}
