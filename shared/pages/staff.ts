import { errorSummary, fieldId, radioGroup, textField } from './form-fields.js';
import { layout, loadingRegion } from './layout.js';

export function inboxPage(): string {
  const body = `<h1>Demandes à traiter</h1>
<p class="lead">Les orientations en attente d'une décision, de la plus ancienne à la plus récente.</p>
${loadingRegion('inbox', 'Chargement des demandes…')}`;
  return layout({ title: 'Demandes à traiter', page: 'inbox', auth: 'required', body });
}

const outcomeChoices = [
  { value: 'accepted', label: 'Accepter l\'orientation' },
  { value: 'refused', label: 'Refuser l\'orientation' },
  { value: 'waitlisted', label: 'Mettre sur liste d\'attente' },
];

/**
 * The confirmation page an e-mail link opens: loading it never decides anything, only the
 * form's authenticated POST does (mail scanners follow links).
 */
export function decisionPage(approvalId: string): string {
  const reasonId = fieldId('reasonCode');
  const body = `<p class="breadcrumb"><a href="/equipe">Demandes à traiter</a></p>
<h1>Décider d'une orientation</h1>
${loadingRegion('approval', 'Chargement de l\'orientation…')}

<section class="panel panel-success" id="decision-confirmation" tabindex="-1" aria-labelledby="decision-confirmation-title" hidden>
<h2 id="decision-confirmation-title">Décision enregistrée</h2>
<p id="decision-confirmation-status"></p>
<p>Le prescripteur et le jeune en sont informés.</p>
<ul class="link-list">
<li><a href="/equipe">Revenir aux demandes à traiter</a></li>
<li><a id="decision-confirmation-timeline" href="/equipe">Voir l'historique du jeune</a></li>
</ul>
</section>

<section class="panel panel-warning" id="decision-conflict" role="alert" tabindex="-1" aria-labelledby="decision-conflict-title" hidden>
<h2 id="decision-conflict-title">Cette orientation a déjà été traitée</h2>
<p id="decision-conflict-message"></p>
<p><a href="/equipe">Revenir aux demandes à traiter</a></p>
</section>

<form id="decision-form" class="form" novalidate hidden>
${errorSummary()}
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
</form>`;
  return layout({ title: 'Décider d\'une orientation', page: 'decision', auth: 'required', data: { 'approval-id': approvalId }, body });
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
