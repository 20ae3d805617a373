// Prescriber: the referral form, checked in the page first and then by the API, sent once whatever the retries.
import type { ReferralSubmission } from '../../shared/domain/referral.js';
import { NETWORK_MESSAGE, api, apiErrors, messageOf } from '../lib/api.js';
import { ageOn, byId, el, plural } from '../lib/dom.js';
import { clearErrors, control, radioValue, requiredErrors, setBusy, setOptional, showErrors, textValue, type FormError } from '../lib/forms.js';
import { startPage } from '../lib/page.js';
import { onBeforeLogin } from '../lib/session.js';
import type { ReferralSubmissionAnswer } from '../lib/views.js';

const DRAFT_KEY = 'coopconnexion.referralDraft';

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// French mobiles: 06/07, +33 or 0033, and overseas departments (+262, +590, +594, +596).
const MOBILE_PATTERN = /^(?:0|\+33|0033|\+262|\+590|\+594|\+596)[67]\d{8}$/;

const REFERRAL_MESSAGES: Record<string, string> = {
  programme: 'Choisissez le programme souhaité.',
  'youngPerson.firstName': 'Indiquez le prénom du jeune.',
  'youngPerson.lastName': 'Indiquez le nom du jeune.',
  'youngPerson.birthDate': 'Indiquez la date de naissance du jeune.',
  'youngPerson.email': "Indiquez l'adresse e-mail du jeune.",
  'youngPerson.phone': 'Indiquez le numéro de mobile du jeune.',
  'youngPerson.postalCode': 'Indiquez le code postal.',
  'youngPerson.town': 'Indiquez la commune.',
  'youngPerson.situation': 'Indiquez la situation actuelle du jeune.',
  'guardian.firstName': 'Indiquez le prénom du représentant légal.',
  'guardian.lastName': 'Indiquez le nom du représentant légal.',
  'guardian.email': "Indiquez l'adresse e-mail du représentant légal.",
  'guardian.phone': 'Indiquez le numéro de mobile du représentant légal.',
  'guardian.relationship': 'Indiquez le lien du représentant légal avec le jeune.',
  projectIdea: "Décrivez l'idée de projet du jeune.",
  'consent.dataProcessing': "Le consentement du jeune au traitement de ses données est nécessaire pour envoyer l'orientation.",
};

function validateReferral(form: HTMLFormElement): FormError[] {
  const errors = requiredErrors(form, REFERRAL_MESSAGES);
  const failed = new Set(errors.map((e) => e.field));
  const check = (name: string, valid: (value: string) => boolean, message: string) => {
    const value = textValue(form, name);
    if (value && !failed.has(name) && !valid(value)) errors.push({ field: name, message });
  };
  for (const name of ['youngPerson.email', 'guardian.email']) {
    check(name, (v) => EMAIL_PATTERN.test(v), 'Adresse e-mail invalide. Exemple : prenom.nom@exemple.fr');
  }
  for (const name of ['youngPerson.phone', 'guardian.phone']) {
    check(name, (v) => MOBILE_PATTERN.test(v.replace(/[\s.\-()]/g, '')), "Numéro de mobile invalide : il commence par 06, 07, +33 6, +33 7 ou un indicatif d'outre-mer.");
  }
  check('youngPerson.postalCode', (v) => /^\d{5}$/.test(v), 'Le code postal comporte 5 chiffres.');
  check('youngPerson.birthDate', (v) => ageOn(v, new Date()) >= 0, 'La date de naissance doit être passée.');
  const order = Array.from(form.querySelectorAll<HTMLInputElement>('[name]'), (c) => c.name);
  return errors.sort((a, b) => order.indexOf(a.field) - order.indexOf(b.field));
}

/** What the form sends: the API's submission (its own checks are authoritative). */
function readReferral(form: HTMLFormElement): ReferralSubmission {
  const youngPerson: ReferralSubmission['youngPerson'] = {
    firstName: textValue(form, 'youngPerson.firstName'),
    lastName: textValue(form, 'youngPerson.lastName'),
    birthDate: textValue(form, 'youngPerson.birthDate'),
    email: textValue(form, 'youngPerson.email'),
    phone: textValue(form, 'youngPerson.phone'),
    postalCode: textValue(form, 'youngPerson.postalCode'),
    town: textValue(form, 'youngPerson.town'),
    qpv: control(form, 'youngPerson.qpv').checked,
    situation: radioValue(form, 'youngPerson.situation') as ReferralSubmission['youngPerson']['situation'],
  };
  setOptional(youngPerson, 'address', textValue(form, 'youngPerson.address'));
  setOptional(youngPerson, 'situationDetail', textValue(form, 'youngPerson.situationDetail'));
  const body: ReferralSubmission = {
    programme: radioValue(form, 'programme') as ReferralSubmission['programme'],
    youngPerson,
    projectIdea: textValue(form, 'projectIdea'),
    // Sent unchecked too: the API refuses it with its own message.
    consent: { dataProcessing: control(form, 'consent.dataProcessing').checked as true },
  };
  setOptional(body, 'programmeStartDate', textValue(form, 'programmeStartDate'));
  setOptional(body, 'notes', textValue(form, 'notes'));
  if (!byId<HTMLFieldSetElement>('f-guardian').disabled) {
    body.guardian = {
      firstName: textValue(form, 'guardian.firstName'),
      lastName: textValue(form, 'guardian.lastName'),
      email: textValue(form, 'guardian.email'),
      phone: textValue(form, 'guardian.phone'),
      relationship: textValue(form, 'guardian.relationship'),
    };
  }
  return body;
}

type FormControl = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
/** A control's saved state: [name, value or checked, value (tells radios apart)]. */
type DraftValue = [string, string | boolean, string];

function initReferralForm(): void {
  const form = byId<HTMLFormElement>('referral-form');
  const guardian = byId<HTMLFieldSetElement>('f-guardian');
  const guardianStatus = byId('guardian-status');
  const button = byId<HTMLButtonElement>('referral-submit');
  const confirmation = byId('referral-confirmation');
  const controls = () => Array.from(form.elements).filter((c): c is FormControl => 'name' in c && Boolean((c as FormControl).name)) as FormControl[];
  const isChoice = (c: FormControl): c is HTMLInputElement => c.type === 'radio' || c.type === 'checkbox';
  // One key per form display, kept across retries so a resent submission creates one referral.
  let idempotencyKey: string = crypto.randomUUID();
  let sending = false;
  let guardianForced = false;

  const updateGuardian = () => {
    const birthDate = textValue(form, 'youngPerson.birthDate');
    const minor = /^\d{4}-\d{2}-\d{2}$/.test(birthDate) && ageOn(birthDate, new Date()) < 18;
    const needed = guardianForced || minor || radioValue(form, 'programme') === 'cjs';
    if (needed === !guardian.hidden) return;
    guardian.hidden = !needed;
    guardian.disabled = !needed;
    guardianStatus.textContent = needed
      ? 'La rubrique « Représentant légal » a été ajoutée au formulaire.'
      : 'La rubrique « Représentant légal » a été retirée du formulaire.';
  };
  form.addEventListener('input', updateGuardian);
  form.addEventListener('change', updateGuardian);

  // A login redirect would lose what was typed: keep it in this tab's storage until the return.
  onBeforeLogin(() => {
    const values: DraftValue[] = controls().map((c) => [c.name, isChoice(c) ? c.checked : c.value, c.value]);
    sessionStorage.setItem(DRAFT_KEY, JSON.stringify({ idempotencyKey, values }));
  });
  const draft = sessionStorage.getItem(DRAFT_KEY);
  if (draft) {
    sessionStorage.removeItem(DRAFT_KEY);
    const saved = JSON.parse(draft) as { idempotencyKey: string; values: DraftValue[] };
    idempotencyKey = saved.idempotencyKey;
    for (const c of controls()) {
      const entry = saved.values.find(([name, , value]) => name === c.name && (c.type !== 'radio' || value === c.value));
      if (!entry) continue;
      if (isChoice(c)) c.checked = Boolean(entry[1]);
      else c.value = String(entry[1]);
    }
    updateGuardian();
    byId('referral-draft-restored').hidden = false;
  }

  const reveal = (field: string) => {
    if (field.startsWith('guardian') && guardian.hidden) {
      guardianForced = true;
      updateGuardian();
    }
  };

  const showReferralConfirmation = (data: ReferralSubmissionAnswer) => {
    form.hidden = true;
    byId('referral-draft-restored').hidden = true;
    byId('referral-reference').textContent = data.reference || data.referralId;
    const eligibility = data.eligibility ?? { eligible: true, explanation: [] };
    byId('referral-eligibility').textContent = eligibility.eligible
      ? "D'après les informations saisies, le jeune remplit les conditions du programme. L'équipe le confirmera."
      : "D'après les informations saisies, le jeune ne remplit pas toutes les conditions du programme. L'équipe étudiera tout de même l'orientation.";
    byId('referral-eligibility-explanation').replaceChildren(...(eligibility.explanation ?? []).map((line) => el('li', {}, line)));
    confirmation.hidden = false;
    confirmation.focus();
    confirmation.scrollIntoView({ block: 'start' });
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (sending) return;
    clearErrors(form);
    const invalid = validateReferral(form);
    if (invalid.length) {
      showErrors(form, `Corrigez ${plural(invalid.length, 'erreur', 'erreurs')} puis envoyez de nouveau :`, invalid, reveal);
      return;
    }
    sending = true;
    setBusy(button, true, 'Envoi en cours…');
    try {
      const result = await api<ReferralSubmissionAnswer>('/api/referrals', { method: 'POST', json: readReferral(form), headers: { 'idempotency-key': idempotencyKey } });
      if (result.ok) {
        showReferralConfirmation(result.data);
      } else if (result.status === 400 || result.status === 422) {
        // The server refused this content: the corrected form is a new submission.
        idempotencyKey = crypto.randomUUID();
        showErrors(form, messageOf(result, 'Certaines informations sont à corriger.'), apiErrors(result), reveal);
      } else {
        showErrors(form, messageOf(result, "L'envoi n'a pas abouti. Réessayez : l'orientation ne sera pas enregistrée deux fois."), apiErrors(result), reveal);
      }
    } catch {
      showErrors(form, `${NETWORK_MESSAGE} L'orientation ne sera pas enregistrée deux fois.`, [], reveal);
    } finally {
      sending = false;
      setBusy(button, false);
    }
  });

  byId('referral-new').addEventListener('click', () => {
    form.reset();
    clearErrors(form);
    guardianForced = false;
    updateGuardian();
    idempotencyKey = crypto.randomUUID();
    confirmation.hidden = true;
    form.hidden = false;
    form.querySelector('input')?.focus();
  });
}

startPage(initReferralForm);
