import { errorSummary, textField } from './form-fields.js';
import { layout, loadingRegion } from './layout.js';

/*
 * Pages of people without an account, reached by a personal link (`/mon-parcours#<token>`, `/tuteur#<token>`) or
 * asking for one (`/nouveau-lien`). Phone first: one column, large targets, every region labelled.
 */

/** "Mon parcours": the young person's steps, their session, documents, bank details, contract and messages. */
export function myPathPage(): string {
  const body = `<h1>Mon parcours</h1>
${loadingRegion('parcours', 'Chargement de votre parcours…')}

<section class="section" id="section-reunion" aria-labelledby="reunion-titre" hidden>
<h2 id="reunion-titre">Réunion d'information</h2>
<div id="reunion" aria-live="polite"></div>
</section>

<section class="section" id="section-documents" aria-labelledby="documents-titre" hidden>
<h2 id="documents-titre">Mes documents</h2>
<p class="hint">PDF, photo JPEG ou image PNG, 10 Mo au maximum. Une photo nette prise avec votre téléphone suffit.</p>
<div id="documents"></div>
<form id="rib-form" class="stack-form" novalidate hidden>
<h3 id="rib-titre">Mes coordonnées bancaires</h3>
${errorSummary()}
<p id="rib-actuel"></p>
${textField({ name: 'iban', label: 'IBAN', required: true, autocomplete: 'off', hint: 'Il figure sur votre RIB et commence par FR76 pour un compte en France. Les espaces sont permis.', maxlength: 50 })}
${textField({ name: 'holder', label: 'Titulaire du compte', required: true, autocomplete: 'name', hint: 'Le nom écrit sur le RIB.', maxlength: 70 })}
<p><button type="submit" class="button">Enregistrer mes coordonnées bancaires</button></p>
<p id="rib-statut" role="status"></p>
</form>
</section>

<section class="section" id="section-contrat" aria-labelledby="contrat-titre" hidden>
<h2 id="contrat-titre">Mon contrat</h2>
<div id="contrat" aria-live="polite"></div>
</section>

<section class="section" id="section-messages" aria-labelledby="messages-titre" hidden>
<h2 id="messages-titre">Messages reçus</h2>
<div id="messages"></div>
</section>`;
  return layout({ title: 'Mon parcours', page: 'mon-parcours', auth: 'optional', navigation: false, body });
}

/** The guardian's page: what they are asked to consent to, and their answer. */
export function guardianPage(): string {
  const body = `<h1>Accord du représentant légal</h1>
${loadingRegion('accord', "Chargement de la demande d'accord…")}
<form id="accord-form" class="stack-form" novalidate hidden>
${errorSummary()}
<fieldset class="field group" id="f-outcome">
<legend>Votre réponse <span class="required">(obligatoire)</span></legend>
<p class="field-error" id="f-outcome-error" hidden></p>
<div class="choice"><input type="radio" id="f-outcome-consented" name="outcome" value="consented" required><label for="f-outcome-consented">Je donne mon accord</label></div>
<div class="choice"><input type="radio" id="f-outcome-refused" name="outcome" value="refused" required><label for="f-outcome-refused">Je refuse</label></div>
</fieldset>
<fieldset class="field group" id="f-imageRights">
<legend id="droit-image-question">Droit à l'image <span class="required">(obligatoire avec votre accord)</span></legend>
<p class="hint" id="f-imageRights-hint"></p>
<p class="field-error" id="f-imageRights-error" hidden></p>
<div class="choice"><input type="radio" id="f-imageRights-yes" name="imageRights" value="yes" aria-describedby="f-imageRights-hint"><label for="f-imageRights-yes">Oui, j'autorise</label></div>
<div class="choice"><input type="radio" id="f-imageRights-no" name="imageRights" value="no" aria-describedby="f-imageRights-hint"><label for="f-imageRights-no">Non, je n'autorise pas</label></div>
</fieldset>
${textField({ name: 'signerName', label: 'Vos prénom et nom', required: true, autocomplete: 'name', maxlength: 200 })}
${textField({ name: 'relationship', label: 'Votre lien avec le jeune', required: true, hint: 'Par exemple : mère, père, tuteur.', maxlength: 60 })}
${textField({ name: 'comment', label: 'Commentaire pour l’équipe', required: false, multiline: true, maxlength: 2000 })}
<p><button type="submit" class="button">Envoyer ma réponse</button></p>
</form>
<section class="panel panel-success" id="accord-confirmation" tabindex="-1" aria-labelledby="accord-confirmation-titre" hidden>
<h2 id="accord-confirmation-titre">Votre réponse est enregistrée</h2>
<p id="accord-confirmation-texte"></p>
</section>`;
  return layout({ title: 'Accord du représentant légal', page: 'tuteur', auth: 'optional', navigation: false, body });
}

/** "Recevoir un nouveau lien": the same confirmation whatever the address. */
export function newLinkPage(): string {
  const body = `<h1>Recevoir un nouveau lien</h1>
<p class="lead">Votre lien personnel a expiré ou ne fonctionne plus ? Indiquez l'adresse e-mail ou le numéro de mobile que vous avez donnés à CoopConnexion : si nous les connaissons, un nouveau lien vous est envoyé.</p>
<form id="nouveau-lien-form" class="stack-form" novalidate>
${errorSummary()}
${textField({ name: 'contact', label: 'Adresse e-mail ou numéro de mobile', required: true, type: 'text', autocomplete: 'email', inputmode: 'email', maxlength: 254, hint: 'Par exemple : lea.martin@exemple.fr ou 06 12 34 56 78.' })}
<p><button type="submit" class="button">Recevoir un nouveau lien</button></p>
</form>
<section class="panel panel-success" id="nouveau-lien-confirmation" tabindex="-1" aria-labelledby="nouveau-lien-confirmation-titre" hidden>
<h2 id="nouveau-lien-confirmation-titre">Demande enregistrée</h2>
<p>Si cette adresse ou ce numéro est celui de votre dossier, vous allez recevoir un nouveau lien dans quelques minutes. Pensez à regarder dans vos courriers indésirables.</p>
</section>`;
  return layout({ title: 'Recevoir un nouveau lien', page: 'nouveau-lien', auth: 'optional', navigation: false, body });
}
