/*
 * The staff's monthly invoicing pages (issue 11): the months and their runs, a month's batch to validate and its
 * invoices, one invoice (payments, cancellation by a credit note, refunds), the late invoices. Each shell holds the page's
 * landmarks and forms; its module (browser/pages/<page>.ts) fills it from /api/staff/invoicing and /api/staff/invoices.
 */
import { PAYMENT_MEANS } from '../domain/invoicing/staff-input.js';
import { monthLabel, ofMonth } from '../domain/invoicing/statement.js';
import { PAYMENT_MEANS_LABELS } from '../invoicing/staff-views.js';
import { errorSummary, radioGroup, textField } from './form-fields.js';
import { recordingSections } from './invoicing.js';
import { layout, loadingRegion } from './layout.js';

/** "Facturation": the last months with their run, the one to launch, links to each month and to the late invoices. */
export function invoicingPage(): string {
  const body = `<h1>Facturation mensuelle</h1>
<p class="lead">Chaque 1er du mois, la facturation du mois écoulé se lance d'elle-même. Vous pouvez aussi lancer un mois terminé qui ne l'a pas été ; un mois ne se facture qu'une fois.</p>
<p><a href="/equipe/facturation/retards">Factures en retard</a></p>
<div id="invoicing-status" role="status" aria-live="polite" tabindex="-1"></div>
${loadingRegion('months', 'Chargement des mois…')}`;
  return layout({ title: 'Facturation', page: 'invoicing', auth: 'required', body });
}

/**
 * One service month: its run, the batch to validate (hold some with a reason), then its invoices; and the month's
 * accounting journal, which is by issue date (pieces issued, payments received and refunds given in the month), not by
 * service month.
 */
export function invoicingMonthPage(month: string): string {
  const body = `<p class="breadcrumb"><a href="/equipe/facturation">Facturation</a></p>
<h1 id="month-title">Facturation du mois</h1>
<div id="month-status" role="status" aria-live="polite" tabindex="-1"></div>
${loadingRegion('month', 'Chargement du mois…')}
<section class="section" id="batch-section" aria-labelledby="batch-title" hidden>
<h2 id="batch-title">Lot à valider</h2>
<p>Vérifiez les brouillons. Pour en garder un de côté, cochez « Mettre en attente » et donnez la raison : elle est envoyée aux membres de l'activité. Les autres sont numérotés et envoyés aux clients.</p>
<form id="batch-form" class="stack-form" novalidate>
${errorSummary()}
<div id="batch-drafts"></div>
<div class="actions"><button type="submit" class="button" id="batch-submit">Valider le lot</button></div>
</form>
</section>
<section class="section" aria-labelledby="invoices-title">
<h2 id="invoices-title">Factures du mois</h2>
<p>Les factures des prestations ${ofMonth(monthLabel(month))}, émises à partir du 1er du mois suivant.</p>
<p><button type="button" class="button button-secondary" id="export-download" aria-describedby="export-hint">Télécharger le journal comptable ${ofMonth(monthLabel(month))} (CSV)</button></p>
<p class="hint" id="export-hint">Pour la comptabilité : les pièces émises, les paiements reçus et les remboursements faits en ${monthLabel(month)}, quel que soit le mois des prestations.</p>
<p id="export-status" role="status"></p>
<div id="invoices"></div>
</section>`;
  return layout({ title: 'Facturation du mois', page: 'invoicing-month', auth: 'required', data: { month }, body });
}

const meansChoices = () => PAYMENT_MEANS.map((value) => ({ value, label: PAYMENT_MEANS_LABELS[value].replace(/^./, (c) => c.toUpperCase()) }));

/**
 * One invoice or credit note: detail, history, payments and refunds; record a payment, cancel by a credit note, record
 * a refund of a cancelled invoice's payments (decision 54), the PDF.
 */
export function invoicePage(invoiceId: string): string {
  const body = `<p class="breadcrumb"><a href="/equipe/facturation">Facturation</a></p>
<h1 id="invoice-title">Facture</h1>
<div id="invoice-status" role="status" aria-live="polite" tabindex="-1"></div>
${loadingRegion('invoice', 'Chargement de la facture…')}
<section class="section" id="payment-section" aria-labelledby="payment-title" hidden>
<h2 id="payment-title">Enregistrer un paiement</h2>
<form id="payment-form" class="stack-form" novalidate>
${errorSummary()}
${textField({ name: 'amountCents', label: 'Montant reçu, en euros', required: true, inputmode: 'decimal', maxlength: 14, hint: 'Tout ou partie du reste à payer. Par exemple : 45,50' })}
${textField({ name: 'date', label: 'Date du paiement', required: true, type: 'date', hint: "Le jour où l'argent a été reçu." })}
${radioGroup({ name: 'means', legend: 'Moyen de paiement', required: true, choices: meansChoices() })}
<div class="actions"><button type="submit" class="button" id="payment-submit">Enregistrer le paiement</button></div>
</form>
</section>
<section class="section" id="refund-section" aria-labelledby="refund-title" hidden>
<h2 id="refund-title">Enregistrer un remboursement</h2>
<p id="refund-left">La facture est annulée : ce que le client avait payé lui est dû.</p>
<form id="refund-form" class="stack-form" novalidate>
${errorSummary('refund-')}
${textField({ name: 'refundAmountCents', label: 'Montant remboursé, en euros', required: true, inputmode: 'decimal', maxlength: 14, hint: 'Tout ou partie de ce qui reste à rembourser. Par exemple : 45,50' })}
${textField({ name: 'refundDate', label: 'Date du remboursement', required: true, type: 'date', hint: "Le jour où l'argent a été rendu au client, à partir de la date de l'avoir." })}
${radioGroup({ name: 'refundMeans', legend: 'Moyen de remboursement', required: true, choices: meansChoices() })}
${textField({ name: 'refundNote', label: 'Note', required: false, maxlength: 500, hint: "Par exemple le numéro du chèque ou la référence du virement. Visible de l'équipe seulement." })}
<div class="actions"><button type="submit" class="button" id="refund-submit">Enregistrer le remboursement</button></div>
</form>
</section>
<section class="section" id="cancel-section" aria-labelledby="cancel-title" hidden>
<h2 id="cancel-title">Annuler la facture</h2>
<p>Une facture émise ne se modifie pas : elle s'annule par un avoir, numéroté à la suite des factures, qui la rembourse en entier.</p>
<form id="cancel-form" class="stack-form" novalidate>
${errorSummary('cancel-')}
${textField({ name: 'reason', label: "Motif de l'annulation", required: true, multiline: true, maxlength: 500, hint: "Gardé dans l'historique de la facture." })}
<div class="actions"><button type="submit" class="button button-secondary" id="cancel-submit">Annuler par un avoir</button></div>
</form>
</section>`;
  return layout({ title: 'Facture', page: 'invoice', auth: 'required', data: { 'invoice-id': invoiceId }, body });
}

/** "En retard": invoices unpaid 45 days after their due date, oldest first. */
export function lateInvoicesPage(): string {
  const body = `<p class="breadcrumb"><a href="/equipe/facturation">Facturation</a></p>
<h1>En retard</h1>
<p class="lead">Les factures impayées 45 jours après leur échéance, malgré les deux relances. Les plus anciennes d'abord.</p>
${loadingRegion('late', 'Chargement des factures en retard…')}`;
  return layout({ title: 'Factures en retard', page: 'late-invoices', auth: 'required', body });
}

/**
 * An activity's customers and one month's declarations, recorded by staff on a member's behalf (the members' forms of
 * "Ma facturation", shared/pages/invoicing.ts): `/equipe/activites/<id>/facturation?mois=YYYY-MM`.
 */
export function activityInvoicingPage(activityId: string): string {
  const body = `<p class="breadcrumb"><a href="/equipe/activites/${encodeURIComponent(activityId)}">Activité</a> · <a href="/equipe/facturation">Facturation</a></p>
<h1 id="recording-title">Clients et prestations</h1>
<div id="facturation-statut" role="status" aria-live="polite" tabindex="-1"></div>
${loadingRegion('facturation', 'Chargement des prestations…')}
<div id="facturation-contenu" hidden>
<p>Vous enregistrez pour les membres de l'activité : chaque prestation garde votre nom et celui du membre pour qui elle est déclarée.</p>
<div class="field">
<label for="mois">Mois</label>
<input type="month" id="mois" name="mois">
</div>
<div id="mois-etat"></div>
${recordingSections({ linesLegend: 'Prestations faites', declarationsTitle: 'Prestations du mois', customersTitle: "Clients de l'activité", memberField: true })}
</div>`;
  return layout({ title: 'Clients et prestations', page: 'activity-invoicing', auth: 'required', data: { 'activity-id': activityId }, body });
}
