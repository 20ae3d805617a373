/*
 * The staff's onboarding pages (issue 9): the document review, the information sessions and the onboarding
 * board. Each shell holds the page's landmarks and forms; its module (browser/pages/<page>.ts) fills it from the API.
 */
import { PROGRAMMES, PROGRAMME_RULES } from '../domain/programmes.js';
import { errorSummary, fieldId } from './form-fields.js';
import { escapeHtml, layout, loadingRegion } from './layout.js';

const programmeOptions = () => PROGRAMMES.map((p) => `<option value="${p}">${escapeHtml(PROGRAMME_RULES[p].label)}</option>`).join('');

/** "Pièces à vérifier": the documents sent, oldest first; each is opened, then accepted or rejected with a reason. */
export function documentsReviewPage(): string {
  const body = `<h1>Pièces à vérifier</h1>
<p class="lead">Les documents envoyés par les jeunes, du plus ancien au plus récent. Ouvrez le fichier, puis validez-le ou refusez-le avec un motif : un refus est envoyé au jeune avec son lien personnel.</p>
<div id="documents-status" role="status" aria-live="polite"></div>
${loadingRegion('documents', 'Chargement des documents à vérifier…')}`;
  return layout({ title: 'Pièces à vérifier', page: 'documents-review', auth: 'required', body });
}

/** "Réunions d'information": the sessions from a month ago on, and the form that creates one. */
export function sessionsPage(): string {
  const field = (name: string, label: string, input: string, hint?: string) => {
    const id = fieldId(name);
    return `<div class="field">
<label for="${id}">${escapeHtml(label)} <span class="required">(obligatoire)</span></label>
${hint ? `<p class="hint" id="${id}-hint">${escapeHtml(hint)}</p>` : ''}
<p class="field-error" id="${id}-error" hidden></p>
${input.replace('<input', `<input id="${id}" name="${name}"${hint ? ` aria-describedby="${id}-hint"` : ''}`)}
</div>`;
  };
  const programmes = PROGRAMMES.map((p) => `<div class="choice"><input type="checkbox" id="${fieldId('programmes')}-${p}" name="programmes" value="${p}"><label for="${fieldId('programmes')}-${p}">${escapeHtml(PROGRAMME_RULES[p].label)}</label></div>`).join('\n');
  const body = `<h1>Réunions d'information</h1>
<p class="lead">Les réunions du mois passé et à venir. Les jeunes en accueil choisissent une réunion de leur programme parmi celles qui ont des places ; la présence se note depuis la page de la réunion.</p>
${loadingRegion('sessions', 'Chargement des réunions…')}
<section class="section" aria-labelledby="session-form-title">
<h2 id="session-form-title">Créer une réunion</h2>
<div id="session-created" class="panel panel-success" role="status" tabindex="-1" hidden></div>
<form id="session-form" class="form" novalidate>
${errorSummary()}
${field('date', 'Date', '<input type="date" required>', 'Heure de Paris.')}
${field('time', 'Heure de début', '<input type="time" required>')}
${field('durationMinutes', 'Durée (minutes)', '<input type="number" min="15" max="480" step="15" value="120" inputmode="numeric" required>')}
${field('place', 'Lieu', '<input type="text" maxlength="200" required>', 'Adresse complète : elle figure dans l\'invitation et le rappel.')}
${field('capacity', 'Nombre de places', '<input type="number" min="1" max="200" inputmode="numeric" required>')}
<fieldset class="field group" id="${fieldId('programmes')}">
<legend>Programmes <span class="required">(obligatoire)</span></legend>
<p class="field-error" id="${fieldId('programmes')}-error" hidden></p>
${programmes}
</fieldset>
<div class="actions"><button type="submit" class="button" id="session-submit">Créer la réunion</button></div>
</form>
</section>`;
  return layout({ title: "Réunions d'information", page: 'sessions', auth: 'required', body });
}

/** One session: who holds a seat, and their attendance (present, absent, excused) once it has begun. */
export function sessionPage(sessionId: string): string {
  const body = `<p class="breadcrumb"><a href="/equipe/reunions">Réunions d'information</a></p>
<h1 id="session-title">Réunion d'information</h1>
<div id="attendance-status" role="status" aria-live="polite"></div>
${loadingRegion('reunion-detail', 'Chargement de la réunion…')}`;
  return layout({ title: "Réunion d'information", page: 'session', auth: 'required', data: { 'session-id': sessionId }, body });
}

/** "Accueil": every young person in onboarding, their steps, the one they wait on; the diagnosis and the contract per person. */
export function onboardingBoardPage(): string {
  const id = fieldId('programme');
  const body = `<h1>Accueil des jeunes</h1>
<p class="lead">Chaque jeune en accueil, du plus ancien au plus récent : les étapes faites et à faire, celle qui attend et depuis quand. L'entretien de diagnostic se planifie puis s'enregistre ici.</p>
<form id="board-filters" class="filters" method="get" action="/equipe/accueil" role="search" aria-label="Filtrer l'accueil">
<div class="field">
<label for="${id}">Programme</label>
<select id="${id}" name="programme"><option value="">Tous les programmes</option>${programmeOptions()}</select>
</div>
<div class="filters-actions"><button type="submit" class="button button-secondary">Filtrer</button></div>
</form>
<div id="board-status" role="status" aria-live="polite"></div>
${loadingRegion('board', "Chargement de l'accueil…")}`;
  return layout({ title: 'Accueil des jeunes', page: 'onboarding-board', auth: 'required', body });
}
