/*
 * The activity launch's pages (issue 10): the young person's launch file on their phone (`/mon-activite`, personal
 * link), and the staff's activities, CJS cohorts and service catalogue. Each shell holds the page's landmarks and
 * forms; its module (browser/pages/<page>.ts) fills it from the API.
 */
import {
  ACTIVITY_STATUSES,
  ACTIVITY_STATUS_LABELS,
  COHORT_CAPACITY,
  PRICE_UNITS,
  PRICE_UNIT_LABELS,
  TARGET_CUSTOMERS,
  TARGET_CUSTOMER_LABELS,
  VAT_RATES_BPS,
  formatBps,
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

const unitOptions = () => PRICE_UNITS.map((unit) => `<option value="${unit}">${escapeHtml(PRICE_UNIT_LABELS[unit])}</option>`).join('');

/**
 * One price line of the launch file, cloned by the page for each line: `N` in its ids becomes the line's index, so
 * an error on `priceLines.2.unitPriceCents` lands on `f-priceLines-2-unitPriceCents`.
 */
function priceLineTemplate(): string {
  const field = (name: string, label: string, control: string, hint?: string) => `<div class="field">
<label for="f-priceLines-N-${name}">${escapeHtml(label)} <span class="required">(obligatoire)</span></label>
${hint ? `<p class="hint" id="f-priceLines-N-${name}-hint">${escapeHtml(hint)}</p>` : ''}
<p class="field-error" id="f-priceLines-N-${name}-error" hidden></p>
${control}
</div>`;
  return `<template id="ligne-prix-modele">
<li class="card price-line">
<fieldset class="group">
<legend class="price-line-title">Prix n° N</legend>
${field('label', 'Ce que le client achète', '<input type="text" id="f-priceLines-N-label" name="label" maxlength="120" required>', 'Par exemple : tonte de pelouse, cours d’une heure.')}
${field('unit', 'Unité', `<select id="f-priceLines-N-unit" name="unit" required>${unitOptions()}</select>`)}
${field('unitPriceCents', 'Prix hors taxes, en euros', '<input type="text" id="f-priceLines-N-unitPriceCents" name="unitPriceCents" inputmode="decimal" autocomplete="off" maxlength="14" required aria-describedby="f-priceLines-N-unitPriceCents-hint">', 'Par exemple : 12,50')}
${field('serviceKind', 'Service', '<select id="f-priceLines-N-serviceKind" name="serviceKind" required></select>')}
<p><button type="button" class="button button-secondary remove-line">Retirer ce prix</button></p>
</fieldset>
</li>
</template>`;
}

/** "Mon activité": the young person's launch file, its status, the flyer, and their collective activities (read only). */
export function myActivityPage(): string {
  const customers = TARGET_CUSTOMERS.map((c) => ({ value: c, label: TARGET_CUSTOMER_LABELS[c] }));
  const body = `<h1>Mon activité</h1>
<p class="breadcrumb"><a href="/mon-parcours">Mon parcours</a></p>
<div id="activite-statut" role="status" aria-live="polite"></div>
${loadingRegion('activite', 'Chargement de votre activité…')}

<section class="section" id="section-dossier" aria-labelledby="dossier-titre" hidden>
<h2 id="dossier-titre">Mon dossier de lancement</h2>
<div id="dossier-etat"></div>
<form id="dossier-form" class="stack-form" novalidate hidden>
${errorSummary()}
${textField({ name: 'name', label: "Nom de l'activité", required: true, maxlength: 100, hint: 'Ce que vous faites, en quelques mots : par exemple « Entretien de jardins ».' })}
${textField({ name: 'tradeName', label: 'Enseigne', required: true, maxlength: 100, hint: 'Le nom que vos clients liront sur votre plaquette.' })}
${checkboxGroup({ name: 'serviceKinds', legend: 'Mes services', hint: 'Les services que la coopérative assure pour vous.', choices: [], containerId: 'services-choix' })}
${textField({ name: 'description', label: 'Description', required: true, multiline: true, maxlength: 2000, hint: 'Ce que vous proposez, à qui, où : 10 caractères au moins.' })}
<fieldset class="field group" id="${fieldId('priceLines')}">
<legend>Mes prix <span class="required">(obligatoire)</span></legend>
<p class="hint" id="${fieldId('priceLines')}-hint">Un prix par prestation, hors taxes. La coopérative ajoute la TVA quand elle s'applique.</p>
<p class="field-error" id="${fieldId('priceLines')}-error" hidden></p>
<ol class="price-lines" id="lignes-prix"></ol>
<p><button type="button" class="button button-secondary" id="ajouter-ligne">Ajouter un prix</button></p>
</fieldset>
${checkboxGroup({ name: 'targetCustomers', legend: 'Mes clients', choices: customers })}
${textField({ name: 'monthlyGoalCents', label: "Objectif de chiffre d'affaires par mois, en euros hors taxes", required: true, inputmode: 'decimal', maxlength: 14, hint: 'Par exemple : 800 ou 1 250,50' })}
${textField({ name: 'startDate', label: 'Date de début', required: true, type: 'date' })}
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
</section>
${priceLineTemplate()}`;
  return layout({ title: 'Mon activité', page: 'mon-activite', auth: 'optional', body });
}

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
${loadingRegion('activities', 'Chargement des activités…')}`;
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
${loadingRegion('activity', "Chargement de l'activité…")}`;
  return layout({ title: 'Activité', page: 'activity', auth: 'required', data: { 'activity-id': activityId }, body });
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
