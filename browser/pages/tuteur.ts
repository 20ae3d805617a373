/**
 * The guardian's page (/tuteur#<token>): what they are asked to consent to for the young person (programme, dates,
 * activities, personal data, image rights as a separate choice), and their answer with their name and relationship.
 */
import { NETWORK_MESSAGE, apiErrors, messageOf } from '../lib/api.js';
import { byId, el, formatPlainDate, timeNode } from '../lib/dom.js';
import { clearErrors, control, radioValue, setBusy, showErrors, textValue, type FormError } from '../lib/forms.js';
import { isLinkRefusal, linkApi, linkRefusedPanel, loadWithLink, takeLink } from '../lib/link.js';
import { startPage } from '../lib/page.js';
import type { GuardianPageView as GuardianConsentView } from '../lib/views.js';

function answerText(view: GuardianConsentView): string {
  const answer = view.answer;
  if (!answer) return view.statusLabel;
  const imageRights = answer.imageRights === undefined ? '' : answer.imageRights ? " Vous avez autorisé le droit à l'image." : " Vous n'avez pas autorisé le droit à l'image.";
  return `${view.statusLabel} : réponse de ${answer.signerName} (${answer.relationship}).${imageRights}`;
}

function render(view: GuardianConsentView): void {
  byId('accord').replaceChildren(
    el('p', { class: 'lead' }, `CoopConnexion vous demande votre accord pour que ${view.youngFirstName} participe au programme « ${view.programmeLabel} », du ${formatPlainDate(view.startDate)} au ${formatPlainDate(view.endDate)}.`),
    ...view.sections.map((section) => el('section', { class: 'section consent-section' }, el('h2', {}, section.title), el('p', {}, section.text))),
    el('p', { id: 'accord-statut' }, el('strong', {}, view.status === 'waiting' ? 'Votre réponse est attendue.' : view.status === 'not-yet' ? 'Vous pouvez donner votre réponse dès maintenant.' : answerText(view)), view.answer ? [' Le ', timeNode(view.answer.at), '.'] : null),
    ...(view.contract?.downloadUrl ? [el('p', {}, el('a', { class: 'button button-secondary', href: view.contract.downloadUrl, download: view.contract.fileName ?? true }, 'Télécharger le contrat signé (PDF)'))] : []),
  );
  const form = byId<HTMLFormElement>('accord-form');
  // An answer may come before the workflow asks for it (it is then taken when it does); once given, it is shown.
  if (view.answer || (view.status !== 'waiting' && view.status !== 'not-yet')) return;
  byId('droit-image-question').firstChild!.textContent = `${view.imageRights.question} `;
  byId('f-imageRights-hint').textContent = view.imageRights.explanation;
  control(form, 'signerName').value = `${view.guardian.firstName} ${view.guardian.lastName}`;
  control(form, 'relationship').value = view.guardian.relationship;
  const imageRights = byId('f-imageRights');
  const follow = () => {
    // The image rights are asked only with a consent.
    imageRights.hidden = radioValue(form, 'outcome') === 'refused';
  };
  for (const radio of form.querySelectorAll('input[name="outcome"]')) radio.addEventListener('change', follow);
  form.hidden = false;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void send(form, view);
  });
}

async function send(form: HTMLFormElement, view: GuardianConsentView): Promise<void> {
  clearErrors(form);
  const outcome = radioValue(form, 'outcome');
  const imageRights = radioValue(form, 'imageRights');
  const errors: FormError[] = [];
  if (!outcome) errors.push({ field: 'outcome', message: 'Choisissez votre réponse : accord ou refus.' });
  if (outcome === 'consented' && !imageRights) errors.push({ field: 'imageRights', message: "Indiquez si vous autorisez le droit à l'image." });
  if (!textValue(form, 'signerName')) errors.push({ field: 'signerName', message: 'Saisissez vos prénom et nom.' });
  if (!textValue(form, 'relationship')) errors.push({ field: 'relationship', message: 'Indiquez votre lien avec le jeune.' });
  if (errors.length) return showErrors(form, 'Le formulaire contient des erreurs.', errors);
  const comment = textValue(form, 'comment');
  const body = {
    outcome,
    textSha256: view.textSha256,
    signerName: textValue(form, 'signerName'),
    relationship: textValue(form, 'relationship'),
    ...(outcome === 'consented' ? { imageRights: imageRights === 'yes' } : {}),
    ...(comment ? { comment } : {}),
  };
  const button = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
  setBusy(button, true, 'Envoi…');
  try {
    const result = await linkApi<unknown>(token ?? '', '/api/guardian/consent', { method: 'POST', json: body });
    if (!result.ok) {
      if (isLinkRefusal(result)) {
        form.hidden = true;
        byId('accord').replaceChildren(linkRefusedPanel(messageOf(result, '')));
        return;
      }
      return showErrors(form, messageOf(result, "Votre réponse n'a pas pu être enregistrée. Réessayez."), apiErrors(result));
    }
    form.hidden = true;
    const confirmation = byId('accord-confirmation');
    byId('accord-confirmation-texte').textContent =
      outcome === 'consented'
        ? `Merci. Votre accord pour ${view.youngFirstName} est enregistré ; l'équipe CoopConnexion poursuit son accueil.`
        : `Votre refus est enregistré. L'équipe CoopConnexion en est informée et vous contactera pour en parler.`;
    confirmation.hidden = false;
    confirmation.focus();
  } catch {
    showErrors(form, NETWORK_MESSAGE, []);
  } finally {
    setBusy(button, false);
  }
}

let token: string | undefined;

startPage(async () => {
  token = takeLink('guardian');
  const view = await loadWithLink<GuardianConsentView>(byId('accord'), token, '/api/guardian');
  if (view) render(view);
});
