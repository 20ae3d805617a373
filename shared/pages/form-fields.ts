import { escapeHtml } from './layout.js';

/**
 * Form field markup shared by the referral and decision forms. Every field gets the same
 * ids so the client module can tie an error (API path such as "youngPerson.email") to its
 * field: `f-youngPerson-email`, its message `f-youngPerson-email-error`, its hint `...-hint`.
 */
export function fieldId(name: string): string {
  return `f-${name.replaceAll('.', '-')}`;
}

export interface TextFieldSpec {
  name: string;
  label: string;
  required: boolean;
  type?: 'text' | 'email' | 'tel' | 'date';
  autocomplete?: string;
  inputmode?: 'text' | 'email' | 'tel' | 'numeric' | 'decimal';
  hint?: string;
  maxlength?: number;
  /** Renders a <textarea> instead of an <input>. */
  multiline?: boolean;
}

function requirementMark(required: boolean): string {
  return required
    ? ' <span class="required">(obligatoire)</span>'
    : ' <span class="optional">(facultatif)</span>';
}

function errorSlot(id: string): string {
  return `<p class="field-error" id="${id}-error" hidden></p>`;
}

export function textField(spec: TextFieldSpec): string {
  const id = fieldId(spec.name);
  const attributes = [
    `id="${id}"`,
    `name="${escapeHtml(spec.name)}"`,
    spec.autocomplete ? `autocomplete="${escapeHtml(spec.autocomplete)}"` : '',
    spec.inputmode ? `inputmode="${spec.inputmode}"` : '',
    spec.maxlength ? `maxlength="${spec.maxlength}"` : '',
    spec.hint ? `aria-describedby="${id}-hint"` : '',
    spec.required ? 'required' : '',
  ]
    .filter(Boolean)
    .join(' ');
  const control = spec.multiline
    ? `<textarea ${attributes} rows="5"></textarea>`
    : `<input type="${spec.type ?? 'text'}" ${attributes}>`;
  return `<div class="field">
<label for="${id}">${escapeHtml(spec.label)}${requirementMark(spec.required)}</label>
${spec.hint ? `<p class="hint" id="${id}-hint">${escapeHtml(spec.hint)}</p>` : ''}
${errorSlot(id)}
${control}
</div>`;
}

export interface ChoiceSpec {
  value: string;
  label: string;
  hint?: string;
}

/** A radio group: its own fieldset and legend, the error slot under the legend. */
export function radioGroup(spec: { name: string; legend: string; required: boolean; choices: ChoiceSpec[]; hint?: string }): string {
  const id = fieldId(spec.name);
  const choices = spec.choices
    .map((choice) => {
      const choiceId = `${id}-${choice.value}`;
      const describedBy = [spec.hint ? `${id}-hint` : '', choice.hint ? `${choiceId}-hint` : ''].filter(Boolean).join(' ');
      return `<div class="choice">
<input type="radio" id="${choiceId}" name="${escapeHtml(spec.name)}" value="${escapeHtml(choice.value)}"${describedBy ? ` aria-describedby="${describedBy}"` : ''}${spec.required ? ' required' : ''}>
<label for="${choiceId}">${escapeHtml(choice.label)}</label>
${choice.hint ? `<p class="hint choice-hint" id="${choiceId}-hint">${escapeHtml(choice.hint)}</p>` : ''}
</div>`;
    })
    .join('\n');
  return `<fieldset class="field group" id="${id}" data-radio-group="${escapeHtml(spec.name)}">
<legend>${escapeHtml(spec.legend)}${requirementMark(spec.required)}</legend>
${spec.hint ? `<p class="hint" id="${id}-hint">${escapeHtml(spec.hint)}</p>` : ''}
${errorSlot(id)}
${choices}
</fieldset>`;
}

/** A single checkbox whose label carries the whole statement (consent, yes/no facts). */
export function checkboxField(spec: { name: string; label: string; required: boolean; hint?: string }): string {
  const id = fieldId(spec.name);
  return `<div class="field">
${errorSlot(id)}
<div class="choice">
<input type="checkbox" id="${id}" name="${escapeHtml(spec.name)}" value="true"${spec.hint ? ` aria-describedby="${id}-hint"` : ''}${spec.required ? ' required' : ''}>
<label for="${id}">${escapeHtml(spec.label)}${requirementMark(spec.required)}</label>
${spec.hint ? `<p class="hint choice-hint" id="${id}-hint">${escapeHtml(spec.hint)}</p>` : ''}
</div>
</div>`;
}

/** The error summary at the top of a form; the client module fills and focuses it. `prefix` sets apart the ids of a page's several forms. */
export function errorSummary(prefix = ''): string {
  return `<div class="error-summary" id="${prefix}error-summary" role="alert" tabindex="-1" aria-labelledby="${prefix}error-summary-title" hidden>
<h2 id="${prefix}error-summary-title">Le formulaire n'a pas pu être envoyé</h2>
<p id="${prefix}error-summary-message"></p>
<ul id="${prefix}error-summary-list"></ul>
</div>`;
}
