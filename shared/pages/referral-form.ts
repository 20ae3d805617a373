import { checkboxField, errorSummary, radioGroup, textField } from './form-fields.js';
import { layout } from './layout.js';

/** Programme labels as the prescriber reads them; the values are the API contract's. */
export const programmeChoices = [
  { value: 'accompagnement', label: 'Accompagnement individuel (18-29 ans)', hint: 'Un projet d\'activité personnel, accompagné pendant plusieurs mois.' },
  { value: 'cjs', label: 'Coopérative Jeunesse de Services (16-18 ans, été)', hint: 'Une entreprise collective de services, en juillet et août. Autorisation du représentant légal nécessaire.' },
  { value: 'jeunes-majeurs', label: 'Coopérative Jeunes Majeurs', hint: 'De 6 à 12 mois : un projet personnel et une activité collective.' },
] as const;

const situationChoices = [
  { value: 'demandeur-emploi', label: 'Demandeur ou demandeuse d\'emploi' },
  { value: 'etudiant', label: 'Étudiant ou étudiante' },
  { value: 'autre', label: 'Autre situation' },
];

const phoneHint = 'Numéro de mobile français : 06, 07, +33 ou outre-mer.';

export function referralFormPage(): string {
  const body = `<h1>Orienter un jeune</h1>
<p class="lead">Présentez le jeune et son projet. Le jeune et votre structure recevront un accusé de réception, puis l'équipe de CoopConnexion vous informera de sa décision.</p>
<p>Les champs marqués « obligatoire » doivent être remplis.</p>

<section class="panel panel-success" id="referral-confirmation" tabindex="-1" aria-labelledby="referral-confirmation-title" hidden>
<h2 id="referral-confirmation-title">Orientation envoyée</h2>
<p>Référence de l'orientation : <strong class="reference" id="referral-reference"></strong></p>
<h3>Et maintenant ?</h3>
<ol>
<li>Le jeune et votre structure reçoivent un accusé de réception par e-mail.</li>
<li>L'équipe de CoopConnexion étudie l'orientation et vous informe de sa décision.</li>
<li>Vous suivez son avancement dans « <a href="/prescripteur/orientations">Suivi des orientations</a> ».</li>
</ol>
<h3>Première analyse de l'éligibilité</h3>
<p id="referral-eligibility"></p>
<ul id="referral-eligibility-explanation"></ul>
<p><button type="button" class="button button-secondary" id="referral-new">Orienter un autre jeune</button></p>
</section>

<form id="referral-form" class="form" novalidate>
${errorSummary()}
<p class="panel panel-info" id="referral-draft-restored" hidden>Vos saisies ont été conservées pendant la reconnexion : vérifiez-les puis envoyez l'orientation.</p>

<fieldset class="section">
<legend>Programme</legend>
${radioGroup({ name: 'programme', legend: 'Programme souhaité', required: true, choices: [...programmeChoices] })}
${textField({ name: 'programmeStartDate', label: 'Date d\'entrée souhaitée', required: false, type: 'date', hint: 'Si elle est déjà connue.' })}
</fieldset>

<fieldset class="section" id="f-youngPerson">
<legend>Le jeune</legend>
${textField({ name: 'youngPerson.firstName', label: 'Prénom', required: true, autocomplete: 'section-jeune given-name', maxlength: 100 })}
${textField({ name: 'youngPerson.lastName', label: 'Nom', required: true, autocomplete: 'section-jeune family-name', maxlength: 100 })}
${textField({ name: 'youngPerson.birthDate', label: 'Date de naissance', required: true, type: 'date', autocomplete: 'section-jeune bday' })}
${textField({ name: 'youngPerson.email', label: 'Adresse e-mail', required: true, type: 'email', inputmode: 'email', autocomplete: 'section-jeune email', maxlength: 254 })}
${textField({ name: 'youngPerson.phone', label: 'Téléphone mobile', required: true, type: 'tel', inputmode: 'tel', autocomplete: 'section-jeune tel', hint: phoneHint, maxlength: 20 })}
${textField({ name: 'youngPerson.address', label: 'Adresse', required: false, autocomplete: 'section-jeune address-line1', maxlength: 200 })}
${textField({ name: 'youngPerson.postalCode', label: 'Code postal', required: true, inputmode: 'numeric', autocomplete: 'section-jeune postal-code', maxlength: 5 })}
${textField({ name: 'youngPerson.town', label: 'Commune', required: true, autocomplete: 'section-jeune address-level2', maxlength: 100 })}
${checkboxField({ name: 'youngPerson.qpv', label: 'Le jeune habite dans un quartier prioritaire de la politique de la ville (QPV)', required: false })}
${radioGroup({ name: 'youngPerson.situation', legend: 'Situation actuelle', required: true, choices: situationChoices })}
${textField({ name: 'youngPerson.situationDetail', label: 'Précisions sur la situation', required: false, hint: 'Par exemple : inscrit à France Travail depuis mars, en fin d\'études.', maxlength: 500 })}
</fieldset>

<p class="visually-hidden" id="guardian-status" aria-live="polite"></p>
<fieldset class="section" id="f-guardian" hidden disabled>
<legend>Représentant légal</legend>
<p class="field-error" id="f-guardian-error" hidden></p>
<p class="hint">Obligatoire lorsque le jeune est mineur et pour la Coopérative Jeunesse de Services : le représentant légal devra donner son autorisation.</p>
${textField({ name: 'guardian.firstName', label: 'Prénom du représentant légal', required: true, autocomplete: 'off', maxlength: 100 })}
${textField({ name: 'guardian.lastName', label: 'Nom du représentant légal', required: true, autocomplete: 'off', maxlength: 100 })}
${textField({ name: 'guardian.email', label: 'Adresse e-mail du représentant légal', required: true, type: 'email', inputmode: 'email', autocomplete: 'off', maxlength: 254 })}
${textField({ name: 'guardian.phone', label: 'Téléphone mobile du représentant légal', required: true, type: 'tel', inputmode: 'tel', autocomplete: 'off', hint: phoneHint, maxlength: 20 })}
${textField({ name: 'guardian.relationship', label: 'Lien avec le jeune', required: true, autocomplete: 'off', hint: 'Par exemple : mère, père, tuteur ou tutrice.', maxlength: 100 })}
</fieldset>

<fieldset class="section">
<legend>Le projet</legend>
${textField({ name: 'projectIdea', label: 'Idée de projet', required: true, multiline: true, hint: 'L\'activité que le jeune aimerait créer, même si l\'idée est encore vague.', maxlength: 2000 })}
${textField({ name: 'notes', label: 'Informations complémentaires', required: false, multiline: true, hint: 'Ce que l\'équipe doit savoir pour bien accueillir le jeune.', maxlength: 2000 })}
</fieldset>

<fieldset class="section">
<legend>Consentement</legend>
${checkboxField({
  name: 'consent.dataProcessing',
  label: 'Le jeune (et son représentant légal s\'il est mineur) accepte que CoopConnexion traite ses données personnelles pour l\'accompagner dans son parcours, et qu\'elles soient partagées avec votre structure pour le suivi de cette orientation.',
  required: true,
})}
</fieldset>

<div class="actions">
<button type="submit" class="button" id="referral-submit">Envoyer l'orientation</button>
</div>
</form>`;
  return layout({ title: 'Orienter un jeune', page: 'referral-form', auth: 'required', body });
}
