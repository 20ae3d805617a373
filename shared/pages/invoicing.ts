/*
 * The monthly invoicing's pages (issue 11). "Ma facturation" (`/ma-facturation`, personal link): on their phone the
 * members of an active activity keep their customers, declare the services of the month, correct them until the
 * month is invoiced, and read their invoices. The shell holds the landmarks and forms; browser/pages/ma-facturation.ts
 * fills them from the API (functions/invoicing/member-api.ts).
 */
import { PRICE_UNITS, VAT_RATES_BPS, formatBps, priceUnitLabel } from '../domain/activities.js';
import { errorSummary, radioGroup, textField } from './form-fields.js';
import { escapeHtml, layout, loadingRegion } from './layout.js';

const unitOptions = () => PRICE_UNITS.map((unit) => `<option value="${unit}">${escapeHtml(priceUnitLabel(unit))}</option>`).join('');
const vatOptions = () => VAT_RATES_BPS.map((bps) => `<option value="${bps}">${escapeHtml(formatBps(bps))}</option>`).join('');

/** One line of a declaration, cloned for each line: `N` in its ids becomes the line's index (`lines.2.unitPriceCents` → `f-lines-2-unitPriceCents`). */
function lineTemplate(): string {
  const id = (name: string) => `f-lines-N-${name}`;
  const field = (name: string, label: string, control: string, extra = '') => `<div class="field"${extra}>
<label for="${id(name)}">${escapeHtml(label)}</label>
<p class="field-error" id="${id(name)}-error" hidden></p>
${control}
</div>`;
  return `<template id="ligne-modele">
<li class="card declaration-line">
<fieldset class="group">
<legend class="line-title">Ligne n° N</legend>
${field('priceLineId', 'Prestation', `<select id="${id('priceLineId')}" name="priceLineId"></select>`)}
${field('description', 'Description', `<input type="text" id="${id('description')}" name="description" maxlength="200" autocomplete="off">`)}
${field('quantityHundredths', 'Quantité', `<input type="text" id="${id('quantityHundredths')}" name="quantityHundredths" inputmode="decimal" autocomplete="off" maxlength="10" value="1">`)}
${field('unit', 'Unité', `<select id="${id('unit')}" name="unit">${unitOptions()}</select>`, ' data-free-only')}
${field('unitPriceCents', 'Prix unitaire hors taxes, en euros', `<input type="text" id="${id('unitPriceCents')}" name="unitPriceCents" inputmode="decimal" autocomplete="off" maxlength="14">`, ' data-free-only')}
${field('vatRateBps', 'Taux de TVA', `<select id="${id('vatRateBps')}" name="vatRateBps"><option value="">Choisir</option>${vatOptions()}</select>`, ' data-vat-only')}
<p class="line-total" aria-live="polite"></p>
<p><button type="button" class="button button-secondary remove-line">Retirer cette ligne</button></p>
</fieldset>
</li>
</template>`;
}

/**
 * The declaration form (lines from the price list or a free price, live totals), the month's declarations and the
 * customers with their form: the same in the members' space and on the staff's page (browser/lib/recording.ts fills
 * them). `memberField`: staff choose the member of a collective activity the declaration is for.
 */
export function recordingSections(texts: { linesLegend: string; declarationsTitle: string; customersTitle: string; memberField?: boolean }): string {
  const memberField = texts.memberField
    ? `<div class="field" id="champ-membre" hidden>
<label for="f-memberReferralId">Pour le membre <span class="required">(obligatoire)</span></label>
<p class="hint" id="f-memberReferralId-hint">Dans une activité collective, la prestation est déclarée pour l'un des membres.</p>
<p class="field-error" id="f-memberReferralId-error" hidden></p>
<select id="f-memberReferralId" name="memberReferralId" aria-describedby="f-memberReferralId-hint"></select>
</div>
`
    : '';
  return `<section class="section" id="section-declarer" aria-labelledby="declarer-titre">
<h2 id="declarer-titre">Déclarer une prestation</h2>
<form id="declaration-form" class="stack-form" novalidate>
${errorSummary('declaration-')}
${memberField}<div class="field">
<label for="f-customerId">Client <span class="required">(obligatoire)</span></label>
<p class="field-error" id="f-customerId-error" hidden></p>
<select id="f-customerId" name="customerId" required></select>
</div>
${textField({ name: 'serviceDate', label: 'Date de la prestation', required: true, type: 'date' })}
<fieldset class="field group" id="f-lines">
<legend>${escapeHtml(texts.linesLegend)} <span class="required">(obligatoire)</span></legend>
<p class="hint">Choisissez une prestation de la grille de prix, ou « Prix libre ».</p>
<p class="field-error" id="f-lines-error" hidden></p>
<ol class="declaration-lines" id="lignes"></ol>
<p><button type="button" class="button button-secondary" id="ajouter-ligne">Ajouter une ligne</button></p>
</fieldset>
<div class="panel" id="totaux" aria-live="polite"></div>
<div class="actions item-actions">
<button type="submit" class="button" id="declarer">Enregistrer la prestation</button>
<button type="button" class="button button-secondary" id="annuler-correction" hidden>Annuler la correction</button>
</div>
<p id="declaration-statut" role="status"></p>
</form>
${lineTemplate()}
</section>

<section class="section" id="section-declarations" aria-labelledby="declarations-titre">
<h2 id="declarations-titre">${escapeHtml(texts.declarationsTitle)}</h2>
<div id="declarations"></div>
</section>

<section class="section" id="section-clients" aria-labelledby="clients-titre">
<h2 id="clients-titre">${escapeHtml(texts.customersTitle)}</h2>
<div id="clients"></div>
<form id="client-form" class="stack-form card" novalidate>
<h3 id="client-form-titre">Ajouter un client</h3>
${errorSummary('client-')}
${radioGroup({ name: 'kind', legend: 'Type de client', required: true, choices: [{ value: 'individual', label: 'Particulier' }, { value: 'business', label: 'Entreprise' }] })}
${textField({ name: 'name', label: 'Nom', required: true, maxlength: 200, autocomplete: 'off', hint: 'Nom et prénom, ou nom de l’entreprise.' })}
${textField({ name: 'address.line1', label: 'Adresse', required: true, maxlength: 200, autocomplete: 'off' })}
${textField({ name: 'address.line2', label: "Complément d'adresse", required: false, maxlength: 200, autocomplete: 'off' })}
${textField({ name: 'address.postalCode', label: 'Code postal', required: true, inputmode: 'numeric', maxlength: 10, autocomplete: 'off' })}
${textField({ name: 'address.city', label: 'Ville', required: true, maxlength: 100, autocomplete: 'off' })}
${textField({ name: 'email', label: 'E-mail', required: true, type: 'email', maxlength: 254, autocomplete: 'off', hint: 'La facture lui est envoyée à cette adresse.' })}
<div id="champs-entreprise" hidden>
${textField({ name: 'siren', label: 'SIREN', required: true, inputmode: 'numeric', maxlength: 11, autocomplete: 'off', hint: '9 chiffres, sur le Kbis ou l’avis de situation.' })}
${textField({ name: 'vatNumber', label: 'Numéro de TVA intracommunautaire', required: false, maxlength: 20, autocomplete: 'off', hint: 'Si l’entreprise en a un : FR suivi de 11 chiffres.' })}
</div>
<div class="actions item-actions">
<button type="submit" class="button" id="enregistrer-client">Enregistrer le client</button>
<button type="button" class="button button-secondary" id="annuler-client" hidden>Annuler</button>
</div>
<p id="client-statut" role="status"></p>
</form>
</section>`;
}

/** "Ma facturation": customers, the month's declarations and invoices of one of the young person's activities. */
export function myInvoicingPage(): string {
  const body = `<h1>Ma facturation</h1>
<p class="breadcrumb"><a href="/mon-activite">Mon activité</a></p>
<div id="facturation-statut" role="status" aria-live="polite"></div>
${loadingRegion('facturation', 'Chargement de votre facturation…')}

<div id="facturation-contenu" hidden>
<div class="field">
<label for="mois">Mois</label>
<input type="month" id="mois" name="mois">
</div>
<div id="mois-etat"></div>

${recordingSections({ linesLegend: 'Ce que vous avez fait', declarationsTitle: 'Mes prestations du mois', customersTitle: 'Mes clients' })}

<section class="section" id="section-factures" aria-labelledby="factures-titre">
<h2 id="factures-titre">Mes factures</h2>
<div id="factures"></div>
</section>

<section class="section" id="section-releve" aria-labelledby="releve-titre">
<h2 id="releve-titre">Mon relevé du mois</h2>
<div id="releve"></div>
</section>
</div>`;
  return layout({ title: 'Ma facturation', page: 'ma-facturation', auth: 'optional', navigation: false, body });
}
