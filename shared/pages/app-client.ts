/**
 * The browser module served as /assets/app.js (no inline script: the CSP forbids it).
 * Kept as a string so esbuild bundles it into the Pages Lambda; written without template
 * literals so this String.raw needs no escaping. Data from the API is only ever inserted
 * with textContent, never as HTML.
 */
export const appJs = String.raw`
const TOKEN_KEY = 'coopconnexion.idToken';
const LOGIN_PREFIX = 'coopconnexion.login.';
const DRAFT_KEY = 'coopconnexion.referralDraft';

const dateTimeFormat = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'long', timeStyle: 'short' });
// Calendar dates (birth dates) carry no time zone: format them as they are written.
const plainDateFormat = new Intl.DateTimeFormat('fr-FR', { timeZone: 'UTC', dateStyle: 'long' });

function formatDateTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : dateTimeFormat.format(date);
}

function formatPlainDate(ymd) {
  const date = new Date(String(ymd) + 'T00:00:00Z');
  return Number.isNaN(date.getTime()) ? String(ymd) : plainDateFormat.format(date);
}

function ageOn(ymd, today) {
  const parts = String(ymd).split('-').map(Number);
  let age = today.getFullYear() - parts[0];
  const month = today.getMonth() + 1;
  if (month < parts[1] || (month === parts[1] && today.getDate() < parts[2])) age -= 1;
  return age;
}

function plural(count, one, many) {
  return count + ' ' + (count > 1 ? many : one);
}

/** Builds an element; strings become text nodes, falsy children are skipped. */
function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false || child === '') continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function facts(rows) {
  const list = el('dl', { class: 'facts' });
  for (const [term, value] of rows) {
    if (value === undefined || value === null || value === '') continue;
    list.append(el('dt', {}, term), el('dd', {}, value));
  }
  return list;
}

// --- Session: Cognito ID token in sessionStorage, authorization code flow with PKCE ---

let configPromise;
function loadConfig() {
  configPromise = configPromise || fetch('/api/config', { headers: { accept: 'application/json' } }).then((response) => {
    if (!response.ok) throw new Error('config ' + response.status);
    return response.json();
  });
  return configPromise;
}

function base64url(bytes) {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(byteCount) {
  return base64url(crypto.getRandomValues(new Uint8Array(byteCount)));
}

function decodeJwtPayload(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const binary = atob(part + '==='.slice((part.length + 3) % 4));
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
  } catch {
    return null;
  }
}

function currentSession() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return null;
  const claims = decodeJwtPayload(token);
  // A token about to expire would fail on the next call: treat it as gone.
  if (!claims || typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now() + 30000) {
    sessionStorage.removeItem(TOKEN_KEY);
    return null;
  }
  return { token, claims };
}

const beforeLogin = [];

async function login() {
  for (const hook of beforeLogin) hook();
  const config = await loadConfig();
  const verifier = randomString(48);
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  const state = randomString(24);
  sessionStorage.setItem(LOGIN_PREFIX + state, JSON.stringify({ verifier, returnTo: location.pathname + location.search }));
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: location.origin + '/auth/callback',
    scope: 'openid email profile',
    state,
    code_challenge: base64url(new Uint8Array(digest)),
    code_challenge_method: 'S256',
  });
  location.assign(config.authBaseUrl + '/oauth2/authorize?' + params.toString());
  // The page is being replaced: callers must not go on.
  return new Promise(() => {});
}

function safeReturnPath(path) {
  return typeof path === 'string' && path.startsWith('/') && !path.startsWith('//') ? path : '/';
}

async function handleCallback() {
  const status = document.getElementById('callback-status');
  const fail = (message) => {
    status.replaceChildren(el('p', { class: 'message-error' }, message), el('p', {}, el('a', { href: '/' }, 'Revenir à l\'accueil')));
  };
  const params = new URLSearchParams(location.search);
  if (params.get('error')) {
    fail('La connexion a été refusée ou annulée. Vous pouvez réessayer depuis l\'accueil.');
    return;
  }
  const code = params.get('code');
  const state = params.get('state');
  const saved = state ? sessionStorage.getItem(LOGIN_PREFIX + state) : null;
  if (!code || !saved) {
    fail('Cette demande de connexion a expiré ou a déjà été utilisée. Rouvrez la page souhaitée pour vous connecter de nouveau.');
    return;
  }
  sessionStorage.removeItem(LOGIN_PREFIX + state);
  const pending = JSON.parse(saved);
  const config = await loadConfig();
  const response = await fetch(config.authBaseUrl + '/oauth2/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: location.origin + '/auth/callback',
      client_id: config.clientId,
      code_verifier: pending.verifier,
    }),
  }).catch(() => null);
  const tokens = response && response.ok ? await response.json().catch(() => null) : null;
  if (!tokens || typeof tokens.id_token !== 'string') {
    fail('La connexion n\'a pas abouti. Réessayez dans quelques instants.');
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, tokens.id_token);
  location.replace(safeReturnPath(pending.returnTo));
}

async function logout(event) {
  event.preventDefault();
  sessionStorage.removeItem(TOKEN_KEY);
  const config = await loadConfig().catch(() => null);
  if (!config) {
    location.assign('/');
    return;
  }
  // Ends the Cognito session too, otherwise the next login would be silent.
  const params = new URLSearchParams({ client_id: config.clientId, logout_uri: location.origin + '/' });
  location.assign(config.authBaseUrl + '/logout?' + params.toString());
}

function renderSession(claims) {
  const groups = Array.isArray(claims['cognito:groups']) ? claims['cognito:groups'] : [];
  const role = groups.includes('staff') ? 'équipe CoopConnexion' : 'prescripteur';
  const name = claims.name || claims.email || 'utilisateur';
  document.getElementById('session-name').textContent = 'Compte : ' + name + ' (' + role + ')';
  document.getElementById('session-logout').addEventListener('click', logout);
  document.getElementById('session').hidden = false;
  // Signed in, each person sees the links of their role (before, all of them: the home page tells who does what).
  const audience = groups.includes('staff') ? 'staff' : 'prescriber';
  for (const item of document.querySelectorAll('[data-audience]')) item.hidden = !item.dataset.audience.split(' ').includes(audience);
}

/** Calls the API with the ID token; a 401 sends the person to the login page. */
async function api(path, options) {
  const opts = options || {};
  const session = currentSession();
  if (!session) return login();
  const headers = Object.assign({ accept: 'application/json', authorization: 'Bearer ' + session.token }, opts.headers || {});
  let body;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  }
  const response = await fetch(path, { method: opts.method || 'GET', headers, body });
  if (response.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    return login();
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  return { ok: response.ok, status: response.status, data };
}

function messageOf(result, fallback) {
  return result && result.data && typeof result.data.message === 'string' && result.data.message ? result.data.message : fallback;
}

const NETWORK_MESSAGE = 'Le serveur n\'a pas pu être joint. Vérifiez votre connexion puis réessayez.';

function loadFailureMessage(result) {
  if (result.status === 403) return messageOf(result, 'Vous n\'avez pas accès à cette page.');
  if (result.status === 404) return messageOf(result, 'Ces informations sont introuvables.');
  return messageOf(result, 'Le chargement n\'a pas abouti. Réessayez dans quelques instants.');
}

/** Loads JSON into a region (from an API path, or a function that reads it); on failure the region says why, in French. */
async function loadInto(region, source) {
  try {
    const result = await (typeof source === 'function' ? source() : api(source));
    if (result.ok) {
      // The loaded page content is read in place, not announced as a live update.
      region.removeAttribute('aria-live');
      return result.data;
    }
    region.replaceChildren(el('p', { class: 'message-error' }, loadFailureMessage(result)));
  } catch {
    region.replaceChildren(el('p', { class: 'message-error' }, NETWORK_MESSAGE));
  } finally {
    region.setAttribute('aria-busy', 'false');
  }
  return null;
}

// --- Listings read a page at a time ({ items, cursor }) ---

/**
 * Reads the page after cursor. A filtered listing can answer an empty page with a cursor (the table is read a
 * page at a time, then filtered): read on, a few pages at most, so that "nothing" shown means nothing found.
 */
async function fetchListPage(pathFor, cursor) {
  let result = await api(pathFor(cursor));
  for (let round = 1; round < 10 && result.ok && result.data && !(result.data.items || []).length && result.data.cursor; round++) {
    result = await api(pathFor(result.data.cursor));
  }
  return result;
}

// --- Paged lists: "Afficher plus" ---

/**
 * The "Afficher plus" button under a paged list, or null when there is no next page. A click loads 'path' with the
 * cursor as the query parameter 'param' (reading on past pages a filter emptied) and hands the answer to 'append',
 * which adds its items, may move the focus to the first new one, and returns the next cursor. After the last page
 * the button gives way to a focused note, so keyboard focus is not lost; a failure is said and the button stays.
 */
function loadMoreButton(path, param, cursor, append) {
  if (!cursor) return null;
  let next = cursor;
  const button = el('button', { type: 'button', class: 'button button-secondary' }, 'Afficher plus');
  const status = el('p', { role: 'status', tabindex: '-1' });
  const pathFor = (c) => path + (path.includes('?') ? '&' : '?') + param + '=' + encodeURIComponent(c);
  button.addEventListener('click', async () => {
    if (button.disabled) return;
    setBusy(button, true, 'Chargement…');
    status.textContent = '';
    try {
      const result = param === 'cursor' ? await fetchListPage(pathFor, next) : await api(pathFor(next));
      if (!result) return;
      if (!result.ok) {
        status.textContent = loadFailureMessage(result);
        return;
      }
      next = append(result.data || {});
      if (!next) {
        button.remove();
        status.textContent = 'Tout est affiché.';
        if (!status.contains(document.activeElement) && document.activeElement === document.body) status.focus();
      }
    } catch {
      status.textContent = NETWORK_MESSAGE;
    } finally {
      if (button.isConnected) setBusy(button, false);
    }
  });
  return el('div', { class: 'load-more' }, button, status);
}

// --- Forms: error summary and per-field messages (ids follow shared/pages/form-fields.ts) ---

function fieldIdOf(path) {
  return 'f-' + String(path).split('.').join('-');
}

// Controls inside a disabled fieldset keep disabled === false: ask the selector instead.
function isDisabled(control) {
  return control.matches(':disabled');
}

function controlsOf(node) {
  return node.matches('input, select, textarea') ? [node] : Array.from(node.querySelectorAll('input, select, textarea'));
}

function setDescribedBy(control, id, present) {
  const ids = (control.getAttribute('aria-describedby') || '').split(' ').filter((x) => x && x !== id);
  if (present) ids.unshift(id);
  if (ids.length) control.setAttribute('aria-describedby', ids.join(' '));
  else control.removeAttribute('aria-describedby');
}

function clearErrors(form) {
  const summary = form.querySelector('.error-summary');
  summary.hidden = true;
  summary.querySelector('ul').replaceChildren();
  for (const control of form.querySelectorAll('[aria-invalid]')) {
    control.removeAttribute('aria-invalid');
    setDescribedBy(control, control.dataset.errorId, false);
    delete control.dataset.errorId;
  }
  for (const slot of form.querySelectorAll('.field-error')) {
    slot.hidden = true;
    slot.textContent = '';
  }
  for (const field of form.querySelectorAll('.field-invalid')) field.classList.remove('field-invalid');
}

/** Shows the summary (focused, each error a link to its field) and the messages by the fields. */
function showErrors(form, message, errors, reveal) {
  const summary = form.querySelector('.error-summary');
  const list = summary.querySelector('ul');
  summary.querySelector('p').textContent = message;
  for (const error of errors) {
    const target = document.getElementById(fieldIdOf(error.field));
    if (target && reveal) reveal(error.field);
    if (!target || !form.contains(target)) {
      list.append(el('li', {}, error.message));
      continue;
    }
    const slot = document.getElementById(target.id + '-error');
    const controls = controlsOf(target).filter((control) => !isDisabled(control));
    if (slot) {
      slot.textContent = slot.textContent ? slot.textContent + ' ' + error.message : error.message;
      slot.hidden = false;
      const field = slot.closest('.field');
      if (field) field.classList.add('field-invalid');
      for (const control of controls) {
        control.setAttribute('aria-invalid', 'true');
        control.dataset.errorId = slot.id;
        setDescribedBy(control, slot.id, true);
      }
    }
    const focusTarget = controls.find((control) => control.checked) || controls[0];
    if (!focusTarget) {
      list.append(el('li', {}, error.message));
      continue;
    }
    const link = el('a', { href: '#' + focusTarget.id }, error.message);
    link.addEventListener('click', (event) => {
      event.preventDefault();
      focusTarget.focus();
      focusTarget.scrollIntoView({ block: 'center' });
    });
    list.append(el('li', {}, link));
  }
  summary.hidden = false;
  summary.focus();
  summary.scrollIntoView({ block: 'start' });
}

function apiErrors(result) {
  const errors = result.data && Array.isArray(result.data.errors) ? result.data.errors : [];
  return errors.filter((e) => e && typeof e.message === 'string').map((e) => ({ field: String(e.field || ''), message: e.message }));
}

function setBusy(button, busy, busyText) {
  if (busy) {
    button.dataset.label = button.textContent;
    button.textContent = busyText;
  } else if (button.dataset.label) {
    button.textContent = button.dataset.label;
  }
  button.disabled = busy;
}

function labelText(control) {
  const label = control.type === 'radio' ? control.closest('fieldset').querySelector('legend') : document.querySelector('label[for="' + control.id + '"]');
  const clone = label.cloneNode(true);
  for (const mark of clone.querySelectorAll('.required, .optional')) mark.remove();
  return clone.textContent.trim();
}

/** Missing required fields, shown before any call; the server's answer stays authoritative. */
function requiredErrors(form, messages) {
  const errors = [];
  const seen = new Set();
  for (const control of form.querySelectorAll('[required]')) {
    if (isDisabled(control) || seen.has(control.name)) continue;
    seen.add(control.name);
    let missing;
    if (control.type === 'radio') missing = !form.querySelector('input[name="' + control.name + '"]:checked');
    else if (control.type === 'checkbox') missing = !control.checked;
    else missing = control.value.trim() === '';
    if (missing) errors.push({ field: control.name, message: messages[control.name] || 'Renseignez le champ « ' + labelText(control) + ' ».' });
  }
  return errors;
}

function textValue(form, name) {
  const control = form.elements.namedItem(name);
  return control && !isDisabled(control) ? String(control.value).trim() : '';
}

function radioValue(form, name) {
  const checked = form.querySelector('input[name="' + name + '"]:checked');
  return checked ? checked.value : '';
}

function setOptional(target, key, value) {
  if (value) target[key] = value;
}

// --- Referral form ---

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// French mobiles: 06/07, +33 or 0033, and overseas departments (+262, +590, +594, +596).
const MOBILE_PATTERN = /^(?:0|\+33|0033|\+262|\+590|\+594|\+596)[67]\d{8}$/;

const REFERRAL_MESSAGES = {
  programme: 'Choisissez le programme souhaité.',
  'youngPerson.firstName': 'Indiquez le prénom du jeune.',
  'youngPerson.lastName': 'Indiquez le nom du jeune.',
  'youngPerson.birthDate': 'Indiquez la date de naissance du jeune.',
  'youngPerson.email': 'Indiquez l\'adresse e-mail du jeune.',
  'youngPerson.phone': 'Indiquez le numéro de mobile du jeune.',
  'youngPerson.postalCode': 'Indiquez le code postal.',
  'youngPerson.town': 'Indiquez la commune.',
  'youngPerson.situation': 'Indiquez la situation actuelle du jeune.',
  'guardian.firstName': 'Indiquez le prénom du représentant légal.',
  'guardian.lastName': 'Indiquez le nom du représentant légal.',
  'guardian.email': 'Indiquez l\'adresse e-mail du représentant légal.',
  'guardian.phone': 'Indiquez le numéro de mobile du représentant légal.',
  'guardian.relationship': 'Indiquez le lien du représentant légal avec le jeune.',
  projectIdea: 'Décrivez l\'idée de projet du jeune.',
  'consent.dataProcessing': 'Le consentement du jeune au traitement de ses données est nécessaire pour envoyer l\'orientation.',
};

function validateReferral(form) {
  const errors = requiredErrors(form, REFERRAL_MESSAGES);
  const failed = new Set(errors.map((e) => e.field));
  const check = (name, valid, message) => {
    const value = textValue(form, name);
    if (value && !failed.has(name) && !valid(value)) errors.push({ field: name, message });
  };
  for (const name of ['youngPerson.email', 'guardian.email']) {
    check(name, (v) => EMAIL_PATTERN.test(v), 'Adresse e-mail invalide. Exemple : prenom.nom@exemple.fr');
  }
  for (const name of ['youngPerson.phone', 'guardian.phone']) {
    check(name, (v) => MOBILE_PATTERN.test(v.replace(/[\s.\-()]/g, '')), 'Numéro de mobile invalide : il commence par 06, 07, +33 6, +33 7 ou un indicatif d\'outre-mer.');
  }
  check('youngPerson.postalCode', (v) => /^\d{5}$/.test(v), 'Le code postal comporte 5 chiffres.');
  check('youngPerson.birthDate', (v) => ageOn(v, new Date()) >= 0, 'La date de naissance doit être passée.');
  const order = Array.from(form.querySelectorAll('[name]'), (control) => control.name);
  return errors.sort((a, b) => order.indexOf(a.field) - order.indexOf(b.field));
}

function readReferral(form) {
  const youngPerson = {
    firstName: textValue(form, 'youngPerson.firstName'),
    lastName: textValue(form, 'youngPerson.lastName'),
    birthDate: textValue(form, 'youngPerson.birthDate'),
    email: textValue(form, 'youngPerson.email'),
    phone: textValue(form, 'youngPerson.phone'),
    postalCode: textValue(form, 'youngPerson.postalCode'),
    town: textValue(form, 'youngPerson.town'),
    qpv: form.elements.namedItem('youngPerson.qpv').checked,
    situation: radioValue(form, 'youngPerson.situation'),
  };
  setOptional(youngPerson, 'address', textValue(form, 'youngPerson.address'));
  setOptional(youngPerson, 'situationDetail', textValue(form, 'youngPerson.situationDetail'));
  const body = {
    programme: radioValue(form, 'programme'),
    youngPerson,
    projectIdea: textValue(form, 'projectIdea'),
    consent: { dataProcessing: form.elements.namedItem('consent.dataProcessing').checked },
  };
  setOptional(body, 'programmeStartDate', textValue(form, 'programmeStartDate'));
  setOptional(body, 'notes', textValue(form, 'notes'));
  if (!document.getElementById('f-guardian').disabled) {
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

function initReferralForm() {
  const form = document.getElementById('referral-form');
  const guardian = document.getElementById('f-guardian');
  const guardianStatus = document.getElementById('guardian-status');
  const button = document.getElementById('referral-submit');
  const confirmation = document.getElementById('referral-confirmation');
  // One key per form display, kept across retries so a resent submission creates one referral.
  let idempotencyKey = crypto.randomUUID();
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
  beforeLogin.push(() => {
    const values = Array.from(form.elements)
      .filter((control) => control.name)
      .map((control) => [control.name, control.type === 'radio' || control.type === 'checkbox' ? control.checked : control.value, control.value]);
    sessionStorage.setItem(DRAFT_KEY, JSON.stringify({ idempotencyKey, values }));
  });
  const draft = sessionStorage.getItem(DRAFT_KEY);
  if (draft) {
    sessionStorage.removeItem(DRAFT_KEY);
    const saved = JSON.parse(draft);
    idempotencyKey = saved.idempotencyKey;
    for (const control of form.elements) {
      const entry = saved.values.find(([name, , value]) => name === control.name && (control.type !== 'radio' || value === control.value));
      if (!entry) continue;
      if (control.type === 'radio' || control.type === 'checkbox') control.checked = entry[1];
      else control.value = entry[1];
    }
    updateGuardian();
    document.getElementById('referral-draft-restored').hidden = false;
  }

  const reveal = (field) => {
    if (field.startsWith('guardian') && guardian.hidden) {
      guardianForced = true;
      updateGuardian();
    }
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (sending) return;
    clearErrors(form);
    const invalid = validateReferral(form);
    if (invalid.length) {
      showErrors(form, 'Corrigez ' + plural(invalid.length, 'erreur', 'erreurs') + ' puis envoyez de nouveau :', invalid, reveal);
      return;
    }
    sending = true;
    setBusy(button, true, 'Envoi en cours…');
    try {
      const result = await api('/api/referrals', { method: 'POST', json: readReferral(form), headers: { 'idempotency-key': idempotencyKey } });
      if (result.ok) {
        showReferralConfirmation(result.data);
      } else if (result.status === 400 || result.status === 422) {
        // The server refused this content: the corrected form is a new submission.
        idempotencyKey = crypto.randomUUID();
        const errors = apiErrors(result);
        showErrors(form, messageOf(result, 'Certaines informations sont à corriger.'), errors, reveal);
      } else {
        showErrors(form, messageOf(result, 'L\'envoi n\'a pas abouti. Réessayez : l\'orientation ne sera pas enregistrée deux fois.'), apiErrors(result), reveal);
      }
    } catch {
      showErrors(form, NETWORK_MESSAGE + ' L\'orientation ne sera pas enregistrée deux fois.', [], reveal);
    } finally {
      sending = false;
      setBusy(button, false);
    }
  });

  const showReferralConfirmation = (data) => {
    form.hidden = true;
    document.getElementById('referral-draft-restored').hidden = true;
    document.getElementById('referral-reference').textContent = data.reference || data.referralId;
    const eligibility = data.eligibility || { eligible: true, explanation: [] };
    document.getElementById('referral-eligibility').textContent = eligibility.eligible
      ? 'D\'après les informations saisies, le jeune remplit les conditions du programme. L\'équipe le confirmera.'
      : 'D\'après les informations saisies, le jeune ne remplit pas toutes les conditions du programme. L\'équipe étudiera tout de même l\'orientation.';
    document.getElementById('referral-eligibility-explanation').replaceChildren(...(eligibility.explanation || []).map((line) => el('li', {}, line)));
    confirmation.hidden = false;
    confirmation.focus();
    confirmation.scrollIntoView({ block: 'start' });
  };

  document.getElementById('referral-new').addEventListener('click', () => {
    form.reset();
    clearErrors(form);
    guardianForced = false;
    updateGuardian();
    idempotencyKey = crypto.randomUUID();
    confirmation.hidden = true;
    form.hidden = false;
    form.querySelector('input').focus();
  });
}

// --- Prescriber: referrals and their statuses ---

const REFERRAL_HEADERS = ['Date d\'orientation', 'Jeune', 'Programme', 'Statut', 'Décision'];

function referralRow(item) {
  const decision = item.decidedAt ? 'Le ' + formatDateTime(item.decidedAt) + (item.reasonLabel ? ' : ' + item.reasonLabel : '') : 'En attente';
  return {
    cells: [
      el('time', { datetime: item.createdAt }, formatDateTime(item.createdAt)),
      item.youngPerson.firstName + ' ' + item.youngPerson.lastName,
      item.programmeLabel,
      el('span', { class: 'badge' }, item.statusLabel),
      decision,
    ],
  };
}

async function initReferralsList() {
  const region = document.getElementById('referrals');
  const data = await loadInto(region, '/api/referrals');
  if (!data) return;
  const items = data.items || [];
  if (!items.length) {
    region.replaceChildren(el('p', {}, 'Aucune orientation pour le moment.'));
    return;
  }
  region.replaceChildren(...pagedTable({
    headers: REFERRAL_HEADERS,
    caption: (count, more) => plural(count, 'orientation', 'orientations') + ', de la plus récente à la plus ancienne' + moreText(more),
    toRow: referralRow,
    items,
    cursor: data.cursor,
    path: '/api/referrals',
    key: 'items',
    param: 'cursor',
  }));
}

// --- Staff: inbox, decision, timeline ---

function eligibilityNode(eligibility) {
  const explanation = eligibility.explanation || [];
  return el('div', {},
    el('span', { class: eligibility.eligible ? 'badge badge-eligible' : 'badge badge-check' }, eligibility.eligible ? 'Éligible' : 'Conditions à vérifier'),
    explanation.length ? el('ul', {}, explanation.map((line) => el('li', {}, line))) : null);
}

function duplicateText(duplicate) {
  if (duplicate && duplicate.possibleDuplicates) {
    return el('span', {}, 'Doublon possible à vérifier : ', el('a', { href: '/equipe/doublons' }, 'comparer les dossiers'));
  }
  if (!duplicate || !duplicate.linked) return 'Première orientation';
  return 'Déjà connu : ' + plural(duplicate.previousReferrals, 'orientation précédente', 'orientations précédentes');
}

function personName(person) {
  return person.firstName + ' ' + person.lastName;
}

const INBOX_FILTERS = ['kind', 'programme'];

/** The filters in the page's URL that the form offers; anything else is dropped, never sent. */
function readInboxFilters(form) {
  const params = new URLSearchParams(location.search);
  const filters = {};
  for (const name of INBOX_FILTERS) {
    const select = form.elements.namedItem(name);
    const value = params.get(name) || '';
    const offered = Array.from(select.options).some((option) => option.value === value);
    select.value = offered ? value : '';
    if (offered && value) filters[name] = value;
  }
  return filters;
}

function inboxPath(filters, cursor) {
  const params = new URLSearchParams(filters);
  if (cursor) params.set('cursor', cursor);
  const query = params.toString();
  return '/api/staff/inbox' + (query ? '?' + query : '');
}

function approvalLink(item, text, name) {
  return el('a', { class: 'button', href: '/equipe/decisions/' + encodeURIComponent(item.approvalId) }, text, el('span', { class: 'visually-hidden' }, ' : ' + name));
}

function historyLink(personId, name) {
  return personId ? el('a', { href: '/equipe/personnes/' + encodeURIComponent(personId) }, 'Historique', el('span', { class: 'visually-hidden' }, ' de ' + name)) : null;
}

function prescriberText(prescriber) {
  return prescriber ? prescriber.organisationName + (prescriber.name ? ' · ' + prescriber.name : '') : '';
}

function referralCard(item, today) {
  const person = item.youngPerson;
  const name = person ? personName(person) : item.kindLabel;
  return el('li', { class: 'card', 'data-approval-id': item.approvalId, 'data-kind': item.kind },
    el('article', { 'aria-labelledby': 'item-' + item.approvalId },
      el('h2', { id: 'item-' + item.approvalId }, name),
      el('p', { class: 'meta' },
        el('span', { class: 'badge badge-kind' }, item.kindLabel),
        el('span', { class: 'badge badge-' + item.phase }, item.phaseLabel),
        el('span', { class: 'age' }, item.ageLabel),
        item.createdAt ? el('span', {}, 'Reçue le ', el('time', { datetime: item.createdAt }, formatDateTime(item.createdAt))) : null),
      facts([
        ['Programme', item.programmeLabel],
        ['Naissance', person ? formatPlainDate(person.birthDate) + ' (' + ageOn(person.birthDate, today) + ' ans)' : ''],
        ['Commune', person ? person.town + (person.qpv ? ' · quartier prioritaire (QPV)' : '') : ''],
        ['Prescripteur', prescriberText(item.prescriber)],
        ['Éligibilité', item.eligibility ? eligibilityNode(item.eligibility) : ''],
        ['Doublons', item.duplicate ? duplicateText(item.duplicate) : ''],
      ]),
      el('p', { class: 'item-actions' }, approvalLink(item, 'Examiner et décider', name), historyLink(item.personId, name))));
}

/** A path stopped on a step that failed after its retries: what failed, why in French, and the way to act. */
function incidentCard(item) {
  const person = item.youngPerson;
  const incident = item.incident || {};
  const name = person ? personName(person) : 'Parcours à l\'arrêt';
  return el('li', { class: 'card card-incident', 'data-approval-id': item.approvalId, 'data-kind': item.kind },
    el('article', { 'aria-labelledby': 'item-' + item.approvalId },
      el('h2', { id: 'item-' + item.approvalId }, name),
      el('p', { class: 'meta' },
        el('span', { class: 'badge badge-kind-incident' }, item.kindLabel),
        el('span', { class: 'age' }, item.ageLabel),
        el('span', {}, 'En échec depuis le ', el('time', { datetime: item.since }, formatDateTime(item.since)))),
      facts([
        ['Étape', incident.step],
        ['Ce qui s\'est passé', incident.explanation],
        ['Programme', item.programmeLabel],
        ['Orientation', item.reference],
        ['Prescripteur', prescriberText(item.prescriber)],
      ]),
      el('p', { class: 'item-actions' }, approvalLink(item, 'Relancer ou clôturer', name), historyLink(item.personId, name))));
}

function inboxCard(item, today) {
  return item.kind === 'incident' ? incidentCard(item) : referralCard(item, today);
}

/** Every waiting step, whatever its kind, oldest first, a page at a time; the filters live in the URL. */
async function initInbox() {
  const region = document.getElementById('inbox');
  const form = document.getElementById('inbox-filters');
  const filters = readInboxFilters(form);
  // A new URL rather than a live update: a link, a bookmark or the back button keep the filters.
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    for (const name of INBOX_FILTERS) {
      const value = form.elements.namedItem(name).value;
      if (value) params.set(name, value);
    }
    const query = params.toString();
    location.assign('/equipe' + (query ? '?' + query : ''));
  });

  const pathFor = (cursor) => inboxPath(filters, cursor);
  const data = await loadInto(region, () => fetchListPage(pathFor));
  if (!data) return;
  const items = data.items || [];
  const filtered = Object.keys(filters).length > 0;
  if (!items.length) {
    region.replaceChildren(filtered
      ? el('p', {}, 'Aucune demande en attente ne correspond à ces filtres. ', el('a', { href: '/equipe' }, 'Voir toutes les demandes'))
      : el('p', {}, 'Aucune demande en attente : rien n\'attend l\'équipe.'));
    return;
  }
  const today = new Date();
  const count = el('p', { id: 'inbox-count' });
  const list = el('ul', { class: 'item-list' });
  let shown = 0;
  const append = (page, more) => {
    const cards = page.map((item) => inboxCard(item, today));
    list.append(...cards);
    shown += page.length;
    count.textContent = more
      ? plural(shown, 'demande affichée', 'demandes affichées') + ', d\'autres suivent'
      : plural(shown, 'demande en attente', 'demandes en attente');
    return cards.length ? cards[0].querySelector('h2') : count;
  };
  append(items, Boolean(data.cursor));
  const more = loadMoreButton(inboxPath(filters), 'cursor', data.cursor, (page) => {
    const focusTarget = append(page.items || [], Boolean(page.cursor));
    if (focusTarget) {
      focusTarget.setAttribute('tabindex', '-1');
      focusTarget.focus();
    }
    return page.cursor;
  });
  region.replaceChildren(...[count, list, more].filter(Boolean));
}

const SITUATION_LABELS = { 'demandeur-emploi': 'Demandeur ou demandeuse d\'emploi', etudiant: 'Étudiant ou étudiante', autre: 'Autre situation' };

function referralDetails(referral) {
  const person = referral.youngPerson;
  const guardian = referral.guardian;
  const address = [person.address, [person.postalCode, person.town].filter(Boolean).join(' ')].filter(Boolean).join(', ');
  return el('section', { class: 'panel', id: 'approval-details', 'aria-labelledby': 'approval-person' },
    el('h2', { id: 'approval-person' }, personName(person)),
    el('p', { class: 'meta' },
      el('span', {}, referral.programmeLabel),
      el('span', {}, 'Reçue le ', el('time', { datetime: referral.createdAt }, formatDateTime(referral.createdAt)))),
    facts([
      ['Prescripteur', referral.prescriber.organisationName + (referral.prescriber.name ? ' · ' + referral.prescriber.name : '')],
      ['Naissance', person.birthDate ? formatPlainDate(person.birthDate) + ' (' + ageOn(person.birthDate, new Date()) + ' ans)' : ''],
      ['E-mail', person.email],
      ['Mobile', person.phone],
      ['Adresse', address],
      ['QPV', person.qpv ? 'Oui, quartier prioritaire' : 'Non'],
      ['Situation', (SITUATION_LABELS[person.situation] || person.situation || '') + (person.situationDetail ? ' : ' + person.situationDetail : '')],
      ['Éligibilité', eligibilityNode(referral.eligibility)],
      ['Doublons', duplicateText(referral.duplicate)],
    ]),
    guardian ? el('h3', {}, 'Représentant légal') : null,
    guardian ? facts([
      ['Nom', personName(guardian)],
      ['Lien', guardian.relationship],
      ['E-mail', guardian.email],
      ['Mobile', guardian.phone],
    ]) : null,
    el('h3', {}, 'Idée de projet'),
    el('p', { class: 'pre-line' }, referral.projectIdea),
    referral.notes ? el('h3', {}, 'Informations complémentaires') : null,
    referral.notes ? el('p', { class: 'pre-line' }, referral.notes) : null,
    el('p', {}, el('a', { href: '/equipe/personnes/' + encodeURIComponent(referral.personId) }, 'Voir l\'historique du jeune')));
}

const DECISION_MESSAGES = { outcome: 'Choisissez une décision.', reasonCode: 'Choisissez le motif du refus.' };

/** Why a step can no longer be decided, from its status (the API's 409 says the same on a POST). */
function closedApprovalText(approval) {
  const on = (iso) => (iso ? ' le ' + formatDateTime(iso) : '');
  if (approval.status === 'expired') return 'Cette demande a expiré' + on(approval.closedAt) + ' sans décision : le délai de réponse est dépassé. Il n\'y a plus rien à décider.';
  if (approval.status === 'closed') return 'Cette demande a été close' + on(approval.closedAt) + ' : une décision a été prise par une autre demande. Il n\'y a plus rien à décider.';
  return 'Cette demande a déjà été traitée' + on(approval.decidedAt) + (approval.decidedBy ? ' par ' + approval.decidedBy : '') + ' : il n\'y a plus rien à décider.';
}

function incidentDetails(approval) {
  const incident = approval.incident || {};
  return el('section', { class: 'panel panel-warning', id: 'incident-details', 'aria-labelledby': 'incident-title' },
    el('h2', { id: 'incident-title' }, 'Étape « ' + incident.step + ' »'),
    el('p', {}, el('span', { class: 'badge badge-kind-incident' }, approval.kindLabel || 'À traiter')),
    el('p', {}, incident.explanation));
}

/** The referral's outcomes: only those still allowed, and the refusal reasons when refusing. */
function prepareReferralDecision(form, approval) {
  const reasonField = document.getElementById('reason-field');
  const reason = document.getElementById('f-reasonCode');
  const allowed = approval.allowedOutcomes || [];
  for (const radio of form.querySelectorAll('input[name="outcome"]')) {
    if (!allowed.includes(radio.value)) radio.closest('.choice').remove();
  }
  for (const option of approval.refusalReasons || []) {
    reason.append(el('option', { value: option.code }, option.label + (option.shownToYoungPerson ? '' : ' (non communiqué au jeune)')));
  }
  const updateReason = () => {
    const refused = radioValue(form, 'outcome') === 'refused';
    reasonField.hidden = !refused;
    reason.disabled = !refused;
  };
  form.addEventListener('change', updateReason);
  // What the form sends, or null when it must be corrected first.
  return () => {
    const invalid = requiredErrors(form, DECISION_MESSAGES);
    if (invalid.length) {
      showErrors(form, 'Corrigez ' + plural(invalid.length, 'erreur', 'erreurs') + ' puis enregistrez de nouveau :', invalid);
      return null;
    }
    const body = { outcome: radioValue(form, 'outcome') };
    setOptional(body, 'reasonCode', textValue(form, 'reasonCode'));
    setOptional(body, 'messageToPrescriber', textValue(form, 'messageToPrescriber'));
    setOptional(body, 'messageToYoungPerson', textValue(form, 'messageToYoungPerson'));
    return body;
  };
}

/** What staff read once their decision is recorded. */
function decisionOutcomeText(approval, data) {
  if (approval.kind !== 'incident') {
    return { status: 'Nouveau statut de l\'orientation : ' + data.statusLabel + '.', note: 'Le prescripteur et le jeune en sont informés.' };
  }
  const step = (approval.incident || {}).step;
  return data.outcome === 'retry'
    ? { status: 'L\'étape « ' + step + ' » est relancée : le parcours reprend à cette étape.', note: 'Si elle échoue encore, elle reviendra dans les demandes à traiter.' }
    : { status: 'Le parcours est clôturé : aucune étape automatique ne suivra.', note: '' };
}

/**
 * One waiting step, whatever its kind: the referral and, for a path stopped on a failed step, what failed.
 * A referral decision is a choice of outcome; an incident, two actions (relaunch the step or close the path).
 */
async function initDecision() {
  const approvalId = document.body.dataset.approvalId;
  const region = document.getElementById('approval');
  const approval = await loadInto(region, '/api/approvals/' + encodeURIComponent(approvalId));
  if (!approval) return;
  const incident = approval.kind === 'incident';
  const title = incident ? 'Parcours à l\'arrêt : étape à traiter' : 'Décider d\'une orientation';
  document.getElementById('decision-title').textContent = title;
  document.title = title + ' - CoopConnexion Parcours';
  const referral = approval.referral;
  region.replaceChildren(...[incident ? incidentDetails(approval) : null, referralDetails(referral)].filter(Boolean));
  if (approval.status !== 'open') {
    region.append(el('p', { class: 'panel panel-warning', id: 'approval-closed' }, closedApprovalText(approval)));
    return;
  }

  const form = document.getElementById('decision-form');
  document.getElementById(incident ? 'referral-decision-fields' : 'incident-fields').remove();
  const buttons = Array.from(form.querySelectorAll('button[type="submit"]'));
  const readBody = incident
    ? (submitter) => {
        const body = { outcome: submitter.dataset.outcome };
        setOptional(body, 'comment', textValue(form, 'comment'));
        return body;
      }
    : prepareReferralDecision(form, approval);
  form.hidden = false;

  let sending = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (sending) return;
    clearErrors(form);
    const submitter = event.submitter && buttons.includes(event.submitter) ? event.submitter : buttons[0];
    const body = readBody(submitter);
    if (!body) return;
    sending = true;
    for (const button of buttons) button.disabled = true;
    setBusy(submitter, true, 'Enregistrement…');
    try {
      const result = await api('/api/approvals/' + encodeURIComponent(approvalId) + '/decision', { method: 'POST', json: body });
      if (result.ok) {
        form.hidden = true;
        const text = decisionOutcomeText(approval, result.data);
        const panel = document.getElementById('decision-confirmation');
        document.getElementById('decision-confirmation-status').textContent = text.status;
        const note = document.getElementById('decision-confirmation-note');
        note.textContent = text.note;
        note.hidden = !text.note;
        document.getElementById('decision-confirmation-timeline').href = '/equipe/personnes/' + encodeURIComponent(referral.personId);
        panel.hidden = false;
        panel.focus();
      } else if (result.status === 409) {
        form.hidden = true;
        const panel = document.getElementById('decision-conflict');
        document.getElementById('decision-conflict-message').textContent = messageOf(result, 'Cette demande a déjà été traitée.');
        panel.hidden = false;
        panel.focus();
      } else {
        showErrors(form, messageOf(result, 'L\'enregistrement n\'a pas abouti. Réessayez dans quelques instants.'), apiErrors(result));
      }
    } catch {
      showErrors(form, NETWORK_MESSAGE, []);
    } finally {
      sending = false;
      setBusy(submitter, false);
      for (const button of buttons) button.disabled = false;
    }
  });
}

function actorText(actor) {
  if (!actor || actor.kind === 'system') return 'Automatique';
  const role = actor.kind === 'staff' ? 'équipe' : 'prescripteur';
  return 'Par ' + (actor.name ? actor.name + ' (' + role + ')' : (actor.kind === 'staff' ? 'l\'équipe' : 'le prescripteur'));
}

/** An address, with its opt-out when there is one: "06… — désinscrit : Réponse STOP au SMS (le …), plus de SMS". */
function contactFact(address, optOut, consequence) {
  if (!optOut) return address;
  return (address || '') + ' — désinscrit : ' + optOut.reasonLabel + ' (' + formatDateTime(optOut.at) + '), ' + consequence;
}

async function initTimeline() {
  const region = document.getElementById('timeline');
  const data = await loadInto(region, '/api/people/' + encodeURIComponent(document.body.dataset.personId) + '/timeline');
  if (!data) return;
  const person = data.person;
  document.getElementById('timeline-title').textContent = 'Historique de ' + personName(person);
  document.title = 'Historique de ' + personName(person) + ' - CoopConnexion Parcours';
  const events = (data.events || []).slice().sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const referrals = data.referrals || [];
  region.replaceChildren(
    el('section', { class: 'panel', 'aria-label': 'Coordonnées' },
      facts([
        ['Naissance', person.birthDate ? formatPlainDate(person.birthDate) : ''],
        ['E-mail', contactFact(person.email, person.optOuts && person.optOuts.email, "plus d'e-mails sauf obligatoires")],
        ['Mobile', contactFact(person.phone, person.optOuts && person.optOuts.sms, 'plus de SMS')],
        ['Commune', person.town],
      ])),
    el('h2', {}, 'Orientations'),
    referrals.length
      ? el('ul', {}, referrals.map((r) => el('li', {},
          [r.programmeLabel, r.statusLabel, r.createdAt ? 'orientation du ' + formatDateTime(r.createdAt) : ''].filter(Boolean).join(' · '))))
      : el('p', {}, 'Aucune orientation.'),
    el('h2', {}, 'Chronologie'),
    events.length
      ? el('ol', { class: 'timeline' }, events.map((event) => el('li', {},
          el('time', { datetime: event.at }, formatDateTime(event.at)),
          el('p', {}, el('strong', {}, event.label)),
          el('p', {}, actorText(event.actor)),
          event.reason ? el('p', {}, 'Motif : ' + event.reason) : null)))
      : el('p', {}, 'Aucun événement enregistré.'),
    el('h2', {}, 'Messages'),
    messagesTable(data.notifications || []));
}

const MESSAGE_STATUS_LABELS = {
  pending: "En attente d'envoi",
  sent: 'Envoyé',
  delivered: 'Distribué',
  bounced: 'Rejeté : adresse ou numéro invalide',
  complained: 'Signalé comme indésirable',
  failed: 'Échec de distribution',
  suppressed: 'Non envoyé : même message dans les 24 h',
  'opted-out': 'Non envoyé (désinscrit)',
};
const MESSAGE_ROLE_LABELS = { young: 'Jeune', guardian: 'Représentant légal', prescriber: 'Prescripteur', staff: 'Équipe', customer: 'Client' };
const MESSAGE_KIND_LABELS = {
  'referral-received': 'Accusé de réception',
  'referral-decision-request': 'Demande de décision',
  'referral-reminder': 'Relance',
  'referral-escalation': 'Escalade',
  'referral-waitlist-review': "Liste d'attente à revoir",
  'referral-expired': 'Orientation expirée',
  'referral-accepted': 'Orientation acceptée',
  'referral-refused': 'Orientation refusée',
  'referral-waitlisted': "Mise sur liste d'attente",
  'email-undelivered': 'Avertissement : e-mail non remis',
  'sms-undelivered': 'Avertissement : SMS non remis',
};

/** Every message sent about the person: to whom, how, when, and what became of it. */
function messagesTable(messages) {
  if (!messages.length) return el('p', {}, 'Aucun message.');
  const sorted = messages.slice().sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
  return el('table', { class: 'messages' },
    el('caption', { class: 'visually-hidden' }, 'Messages envoyés, du plus ancien au plus récent'),
    el('thead', {}, el('tr', {}, ['Créé le', 'Message', 'Destinataire', 'Canal', 'Statut', 'Envoyé le', 'Identifiant fournisseur'].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, sorted.map((m) => el('tr', { 'data-status': m.status },
      el('td', {}, m.createdAt ? formatDateTime(m.createdAt) : ''),
      el('td', {}, MESSAGE_KIND_LABELS[m.kind] || m.kind),
      el('td', {}, MESSAGE_ROLE_LABELS[m.role] || m.role),
      el('td', {}, m.channel === 'sms' ? 'SMS' : 'E-mail'),
      el('td', {}, MESSAGE_STATUS_LABELS[m.status] || m.status),
      el('td', {}, m.sentAt ? formatDateTime(m.sentAt) : '—'),
      el('td', { class: 'provider-id' }, m.providerMessageId || '—')))));
}

// --- Staff: messages and contacts ---

function personLink(personId, name) {
  return personId ? el('a', { href: '/equipe/personnes/' + encodeURIComponent(personId) }, name || 'Voir l\'historique') : (name || '—');
}

function timeNode(iso) {
  return iso ? el('time', { datetime: iso }, formatDateTime(iso)) : '—';
}

function channelText(item) {
  return item.channelLabel || (item.channel === 'sms' ? 'SMS' : 'E-mail');
}

/** A table whose cells carry their column name (read by the stacked layout on phones). */
function dataTable(className, caption, headers, rows) {
  return el('table', { class: className },
    el('caption', {}, caption),
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows.map((row) => dataRow(row, headers))));
}

function dataRow(row, headers) {
  return el('tr', row.attributes, row.cells.map((cell, i) => el('td', { 'data-label': headers[i], class: row.classes && row.classes[i] }, cell)));
}

function moreText(more) {
  return more ? ' (d\'autres suivent)' : '';
}

/**
 * A paged list's table (see dataTable) and its "Afficher plus": the next pages' items (under 'key' in the answer,
 * their cursor under 'param') become rows at the end, in the API's order; 'caption(count, more)' words the caption.
 */
function pagedTable(list) {
  const table = dataTable(list.className, '', list.headers, list.items.map(list.toRow));
  const caption = table.querySelector('caption');
  let count = list.items.length;
  caption.textContent = list.caption(count, Boolean(list.cursor));
  const more = loadMoreButton(list.path, list.param, list.cursor, (data) => {
    const items = data[list.key] || [];
    table.tBodies[0].append(...items.map((item) => dataRow(list.toRow(item), list.headers)));
    count += items.length;
    caption.textContent = list.caption(count, Boolean(data[list.param]));
    return data[list.param];
  });
  return [table, more];
}

function messagesSection(id, title, content) {
  return el('section', { id, 'aria-labelledby': id + '-title' }, el('h2', { id: id + '-title', tabindex: '-1' }, title), content);
}

function fixForm(issue, onFixed) {
  const inputId = 'fix-' + issue.issueId;
  const errorId = inputId + '-error';
  const sms = issue.channel === 'sms';
  const input = el('input', {
    type: sms ? 'tel' : 'email',
    id: inputId,
    name: 'value',
    autocomplete: 'off',
    spellcheck: 'false',
    maxlength: sms ? '30' : '254',
    required: true,
  });
  const error = el('p', { class: 'field-error', id: errorId, hidden: true });
  const button = el('button', { type: 'submit', class: 'button' }, 'Corriger et renvoyer', el('span', { class: 'visually-hidden' }, ' : ' + (issue.personName || '') + ' (' + (issue.roleLabel || '') + ')'));
  const field = el('div', { class: 'field' },
    el('label', { for: inputId }, sms ? 'Nouveau numéro de mobile' : 'Nouvelle adresse e-mail',
      el('span', { class: 'visually-hidden' }, ' pour ' + (issue.personName || '') + ' (' + (issue.roleLabel || '') + '), à la place de ' + (issue.address || ''))),
    error,
    input);
  const form = el('form', { class: 'fix-form', novalidate: true }, field, button);

  const clear = () => {
    error.hidden = true;
    error.textContent = '';
    field.classList.remove('field-invalid');
    input.removeAttribute('aria-invalid');
    setDescribedBy(input, errorId, false);
  };
  const fail = (message) => {
    error.textContent = message;
    error.hidden = false;
    field.classList.add('field-invalid');
    input.setAttribute('aria-invalid', 'true');
    setDescribedBy(input, errorId, true);
    input.focus();
  };

  let sending = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (sending) return;
    clear();
    const value = input.value.trim();
    if (!value) {
      fail(sms ? 'Indiquez le nouveau numéro de mobile.' : 'Indiquez la nouvelle adresse e-mail.');
      return;
    }
    sending = true;
    setBusy(button, true, 'Correction en cours…');
    setMessagesStatus(null);
    try {
      const path = '/api/people/' + encodeURIComponent(issue.personId) + '/contact-issues/' + encodeURIComponent(issue.issueId) + '/fix';
      const result = await api(path, { method: 'POST', json: { value } });
      if (result.ok) {
        const data = result.data || {};
        const resent = Number(data.resent) || 0;
        await onFixed(data.alreadyFixed ? 'Ce contact était déjà corrigé.' : 'Contact corrigé : ' + resent + ' message(s) renvoyé(s).', 'success');
      } else if (result.status === 400 || result.status === 422) {
        const errors = apiErrors(result);
        const own = errors.filter((e) => e.field === 'value' || e.field === '');
        const messages = (own.length ? own : errors).map((e) => e.message);
        fail(messages.length ? messages.join(' ') : messageOf(result, sms ? 'Ce numéro de mobile n\'est pas valide.' : 'Cette adresse e-mail n\'est pas valide.'));
      } else if (result.status === 404 || result.status === 409) {
        // Someone else fixed it, or the person is gone: the refreshed lists show where things stand.
        await onFixed(messageOf(result, 'Ce contact a déjà été traité.'), 'warning');
      } else {
        setMessagesStatus(messageOf(result, 'La correction n\'a pas abouti. Réessayez dans quelques instants.'), 'warning', true);
      }
    } catch {
      setMessagesStatus(NETWORK_MESSAGE, 'warning', true);
    } finally {
      sending = false;
      if (button.isConnected) setBusy(button, false);
    }
  });
  return form;
}

/** Says the outcome in the live region; focus moves there only when asked (the control is gone). */
function setMessagesStatus(message, tone, focus) {
  const status = document.getElementById('messages-status');
  if (!message) {
    status.replaceChildren();
    return null;
  }
  const node = el('p', { class: 'panel panel-' + (tone || 'success'), tabindex: '-1' }, message);
  status.replaceChildren(node);
  if (focus) node.focus();
  return node;
}

const MESSAGES_PATH = '/api/staff/messages';

function contactsToFix(data, onFixed) {
  const items = data.toFix || [];
  if (!items.length) return el('p', {}, 'Aucun contact à corriger.');
  return pagedTable({
    className: 'table-wide contacts-to-fix',
    headers: ['Personne', 'Destinataire', 'Canal', 'Adresse ou numéro en échec', 'Motif', 'Dernier échec', 'Messages non remis', 'Correction'],
    caption: (count, more) => plural(count, 'contact à corriger', 'contacts à corriger') + ', du plus récent échec au plus ancien' + moreText(more),
    toRow: (issue) => ({
      attributes: { 'data-issue-id': issue.issueId },
      classes: [null, null, null, 'provider-id', null],
      cells: [
        personLink(issue.personId, issue.personName),
        issue.roleLabel || MESSAGE_ROLE_LABELS[issue.role] || issue.role,
        channelText(issue),
        issue.address,
        issue.reasonLabel || issue.reason || '—',
        timeNode(issue.lastFailedAt),
        String(issue.failedMessages),
        fixForm(issue, onFixed),
      ],
    }),
    items,
    cursor: data.toFixCursor,
    path: MESSAGES_PATH,
    key: 'toFix',
    param: 'toFixCursor',
  });
}

function optOutsTable(data) {
  const items = data.optOuts || [];
  if (!items.length) return el('p', {}, 'Aucune désinscription.');
  return pagedTable({
    className: 'table-wide opt-outs',
    headers: ['Canal', 'Adresse ou numéro', 'Personne', 'Motif', 'Date'],
    caption: (count, more) => plural(count, 'désinscription', 'désinscriptions') + ', de la plus récente à la plus ancienne' + moreText(more),
    toRow: (item) => ({
      attributes: {},
      classes: [null, 'provider-id'],
      cells: [channelText(item), item.address, personLink(item.personId, item.personName), item.reasonLabel || item.reason, timeNode(item.at)],
    }),
    items,
    cursor: data.optOutsCursor,
    path: MESSAGES_PATH,
    key: 'optOuts',
    param: 'optOutsCursor',
  });
}

function failedMessagesTable(data) {
  const items = data.failed || [];
  if (!items.length) return el('p', {}, 'Aucun message non remis ces 30 derniers jours.');
  return pagedTable({
    className: 'table-wide failed-messages',
    headers: ['Date', 'Personne', 'Message', 'Destinataire', 'Canal', 'Adresse ou numéro', 'Statut', 'Motif'],
    caption: (count, more) => plural(count, 'message non remis', 'messages non remis') + ', du plus récent au plus ancien' + moreText(more),
    toRow: (m) => ({
      attributes: { 'data-notification-id': m.notificationId, 'data-status': m.status },
      classes: [null, null, null, null, null, 'provider-id', null, null],
      cells: [
        timeNode(m.statusAt),
        personLink(m.personId, m.personName),
        MESSAGE_KIND_LABELS[m.kind] || m.kind,
        m.roleLabel || MESSAGE_ROLE_LABELS[m.role] || m.role,
        channelText(m),
        m.to,
        m.statusLabel || MESSAGE_STATUS_LABELS[m.status] || m.status,
        m.statusReasonLabel || m.statusReason || '—',
      ],
    }),
    items,
    cursor: data.failedCursor,
    path: MESSAGES_PATH,
    key: 'failed',
    param: 'failedCursor',
  });
}

async function initMessages() {
  const region = document.getElementById('messages');
  const render = (data) => {
    region.replaceChildren(
      messagesSection('contacts-to-fix', 'Contacts à corriger', contactsToFix(data, onFixed)),
      messagesSection('opt-outs', 'Désinscriptions', optOutsTable(data)),
      messagesSection('failed-messages', 'Messages non remis (30 derniers jours)', failedMessagesTable(data)));
  };
  const load = async () => {
    region.setAttribute('aria-busy', 'true');
    const data = await loadInto(region, MESSAGES_PATH);
    if (data) render(data);
    return Boolean(data);
  };
  // After a fix the row is gone with its button: the focus goes to the message that says what happened.
  async function onFixed(message, tone) {
    const node = setMessagesStatus(message, tone);
    await load();
    if (node.isConnected) node.focus();
  }
  await load();
}

// --- Staff: possible duplicates ---

function duplicateSide(title, person) {
  return el('section', { class: 'panel', 'aria-label': title },
    el('h3', {}, title + ' : ', personLink(person.personId, person.firstName ? personName(person) : '')),
    facts([
      ['Naissance', person.birthDate ? formatPlainDate(person.birthDate) : ''],
      ['E-mail', person.email || ''],
      ['Mobile', person.phone || ''],
      ['Commune', person.town || ''],
      ['Dossier créé le', person.createdAt ? formatDateTime(person.createdAt) : ''],
    ]));
}

const DUPLICATE_ANSWERS = [
  { decision: 'same-person', label: 'Même personne : réunir les dossiers', done: 'Dossiers réunis.' },
  { decision: 'different-people', label: 'Personnes différentes', done: 'Dossiers gardés séparés.' },
];

async function initDuplicates() {
  const region = document.getElementById('duplicates');
  const status = document.getElementById('duplicates-status');
  const say = (message, tone) => {
    const node = el('p', { class: 'panel panel-' + tone, tabindex: '-1' }, message);
    status.replaceChildren(node);
    node.focus();
  };
  const card = (item) => {
    const name = item.newPerson.firstName ? personName(item.newPerson) : '';
    const buttons = DUPLICATE_ANSWERS.map((answer) => {
      const button = el('button', { type: 'button', class: answer.decision === 'same-person' ? 'button' : 'button button-secondary', 'data-decision': answer.decision },
        answer.label, el('span', { class: 'visually-hidden' }, ' : ' + name));
      button.addEventListener('click', async () => {
        for (const b of buttons) b.disabled = true;
        try {
          const result = await api('/api/staff/duplicates/' + encodeURIComponent(item.duplicateId) + '/decision', { method: 'POST', json: { decision: answer.decision } });
          if (result.ok) say(answer.done, 'success');
          else say(messageOf(result, 'La réponse n\'a pas été enregistrée. Réessayez dans quelques instants.'), 'warning');
          if (result.ok || result.status === 404 || result.status === 409) await load();
        } catch {
          say(NETWORK_MESSAGE, 'warning');
        } finally {
          for (const b of buttons) if (b.isConnected) b.disabled = false;
        }
      });
      return button;
    });
    const referral = item.referral;
    return el('li', { class: 'card', 'data-duplicate-id': item.duplicateId },
      el('article', { 'aria-labelledby': 'duplicate-' + item.duplicateId },
        el('h2', { id: 'duplicate-' + item.duplicateId }, name || 'Doublon possible'),
        el('p', { class: 'meta' },
          el('span', { class: 'badge badge-check' }, (item.matchedByLabels || []).join(', ')),
          referral ? el('span', {}, 'Orientation ' + referral.reference + ' de ' + referral.organisationName + ', reçue le ', el('time', { datetime: referral.createdAt }, formatDateTime(referral.createdAt))) : null),
        duplicateSide('Nouveau dossier', item.newPerson),
        duplicateSide('Dossier déjà suivi', item.knownPerson),
        el('p', { class: 'item-actions' }, buttons)));
  };
  const render = (data) => {
    const items = data.items || [];
    if (!items.length) {
      region.replaceChildren(el('p', {}, 'Aucun doublon possible à examiner.'));
      return;
    }
    let count = items.length;
    const counter = (more) => plural(count, 'doublon possible', 'doublons possibles') + ', du plus ancien au plus récent' + moreText(more);
    const summary = el('p', {}, counter(Boolean(data.cursor)));
    const list = el('ul', { class: 'item-list' }, items.map(card));
    region.replaceChildren(summary, list, loadMoreButton('/api/staff/duplicates', 'cursor', data.cursor, (page) => {
      const more = page.items || [];
      list.append(...more.map(card));
      count += more.length;
      summary.textContent = counter(Boolean(page.cursor));
      return page.cursor;
    }));
  };
  const load = async () => {
    region.setAttribute('aria-busy', 'true');
    const data = await loadInto(region, '/api/staff/duplicates');
    if (data) render(data);
  };
  await load();
}

// --- Start ---

const INITIALIZERS = {
  'referral-form': initReferralForm,
  'referrals-list': initReferralsList,
  inbox: initInbox,
  decision: initDecision,
  timeline: initTimeline,
  messages: initMessages,
  duplicates: initDuplicates,
};

function markCurrentNavigation() {
  for (const link of document.querySelectorAll('.nav-list a')) {
    if (link.getAttribute('href') === location.pathname) link.setAttribute('aria-current', 'page');
  }
}

async function main() {
  markCurrentNavigation();
  const page = document.body.dataset.page;
  if (page === 'auth-callback') return handleCallback();
  const session = currentSession();
  if (session) renderSession(session.claims);
  if (document.body.dataset.auth === 'required' && !session) return login();
  const init = INITIALIZERS[page];
  if (init) await init();
}

main().catch(() => {
  const notice = el('p', { class: 'panel panel-warning', role: 'alert' }, 'Une erreur empêche l\'affichage de cette page. Rechargez-la dans quelques instants.');
  document.getElementById('contenu').prepend(notice);
});
`;
