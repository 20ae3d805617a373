/*
 * Staff: the service catalogue (GET /api/staff/service-kinds): each kind's VAT by default, insurance notes, and
 * whether minors may do it; "Modifier" fills the form with a kind, which PUT /api/staff/service-kinds/{code} saves
 * (a new code adds a kind).
 */
import { NETWORK_MESSAGE, api, apiErrors, loadInto, messageOf } from '../lib/api.js';
import { byId, el } from '../lib/dom.js';
import { clearErrors, control, radioValue, requiredErrors, setBusy, showErrors, textValue } from '../lib/forms.js';
import { startPage } from '../lib/page.js';
import { dataTable } from '../lib/paging.js';
import type { ServiceKindView } from '../lib/views.js';

const FORM_MESSAGES = {
  code: 'Indiquez le code du service.',
  label: 'Indiquez le libellé du service.',
  insuranceNotes: "Indiquez les notes d'assurance.",
  openToMinors: 'Dites si le service est ouvert aux mineurs.',
};

function say(text: string, error = false): void {
  const status = byId('services-status');
  status.className = error ? 'message-error' : '';
  status.textContent = text;
}

/** The form set for a new kind, or filled with one to edit (its code then stays). */
function fillForm(kind?: ServiceKindView): void {
  const form = byId<HTMLFormElement>('service-form');
  clearErrors(form);
  form.reset();
  const code = control(form, 'code');
  code.readOnly = Boolean(kind);
  byId('service-form-title').textContent = kind ? `Modifier le service « ${kind.label} »` : 'Ajouter un service';
  byId('service-new').hidden = !kind;
  control(form, 'active').checked = kind ? kind.active : true;
  if (!kind) return;
  code.value = kind.code;
  control(form, 'label').value = kind.label;
  control<HTMLSelectElement>(form, 'defaultVatRateBps').value = kind.defaultVatRateBps === null ? 'none' : String(kind.defaultVatRateBps);
  control<HTMLTextAreaElement>(form, 'insuranceNotes').value = kind.insuranceNotes;
  form.querySelector<HTMLInputElement>(`input[name="openToMinors"][value="${kind.openToMinors}"]`)!.checked = true;
  control<HTMLTextAreaElement>(form, 'minorsClosedReason').value = kind.minorsClosedReason ?? '';
  control(form, 'label').focus();
}

async function loadKinds(): Promise<void> {
  const region = byId('services');
  region.setAttribute('aria-busy', 'true');
  const data = await loadInto<{ items: ServiceKindView[] }>(region, '/api/staff/service-kinds');
  if (!data) return;
  region.replaceChildren(dataTable('table-wide', `${data.items.length} services`, ['Service', 'TVA par défaut', 'Mineurs', "Notes d'assurance", 'Proposé', ''], data.items.map((kind) => {
    const edit = el('button', { type: 'button', class: 'button button-secondary' }, 'Modifier', el('span', { class: 'visually-hidden' }, ` : ${kind.label}`));
    edit.addEventListener('click', () => fillForm(kind));
    return {
      attributes: { 'data-code': kind.code },
      cells: [
        el('span', {}, el('strong', {}, kind.label), el('br'), el('code', {}, kind.code)),
        kind.defaultVatLabel,
        el('span', {}, kind.minorsLabel, kind.minorsClosedReason ? el('span', { class: 'hint' }, ` : ${kind.minorsClosedReason}`) : ''),
        kind.insuranceNotes,
        kind.active ? 'Oui' : 'Retiré',
        edit,
      ],
    };
  })));
}

startPage(async () => {
  const form = byId<HTMLFormElement>('service-form');
  const button = byId<HTMLButtonElement>('service-submit');
  byId('service-new').addEventListener('click', () => {
    fillForm();
    control(form, 'code').focus();
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    clearErrors(form);
    say('');
    const missing = requiredErrors(form, FORM_MESSAGES);
    if (missing.length) return showErrors(form, 'Complétez le service :', missing);
    const code = textValue(form, 'code');
    const vat = textValue(form, 'defaultVatRateBps');
    const reason = textValue(form, 'minorsClosedReason');
    const openToMinors = radioValue(form, 'openToMinors') === 'true';
    const body = {
      label: textValue(form, 'label'),
      defaultVatRateBps: vat === 'none' ? null : Number(vat),
      insuranceNotes: textValue(form, 'insuranceNotes'),
      openToMinors,
      // The reason is the rule that closes a kind to minors: an open kind has none.
      ...(!openToMinors && reason ? { minorsClosedReason: reason } : {}),
      active: control(form, 'active').checked,
    };
    setBusy(button, true, 'Enregistrement…');
    try {
      const result = await api<unknown>(`/api/staff/service-kinds/${encodeURIComponent(code)}`, { method: 'PUT', json: body });
      if (!result.ok) return showErrors(form, messageOf(result, "Le service n'a pas pu être enregistré."), apiErrors(result));
      await loadKinds();
      fillForm();
      say(`Service « ${body.label} » enregistré.`);
    } catch {
      showErrors(form, NETWORK_MESSAGE, []);
    } finally {
      setBusy(button, false);
    }
  });
  fillForm();
  await loadKinds();
});
