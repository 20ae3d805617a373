/** Forms: the error summary and the per-field messages (ids follow shared/pages/form-fields.ts). */
import { NETWORK_MESSAGE, apiErrors, messageOf, type ApiResult } from './api.js';
import { el } from './dom.js';

export interface FormError {
  /** The field path (`youngPerson.email`), '' for the whole form. */
  field: string;
  message: string;
}

type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

function fieldIdOf(path: string): string {
  return `f-${String(path).split('.').join('-')}`;
}

// Controls inside a disabled fieldset keep disabled === false: ask the selector instead.
export function isDisabled(control: Element): boolean {
  return control.matches(':disabled');
}

function controlsOf(node: HTMLElement): Control[] {
  return node.matches('input, select, textarea') ? [node as Control] : Array.from(node.querySelectorAll<Control>('input, select, textarea'));
}

export function setDescribedBy(control: Element, id: string | undefined, present: boolean): void {
  const ids = (control.getAttribute('aria-describedby') ?? '').split(' ').filter((x) => x && x !== id);
  if (present && id) ids.unshift(id);
  if (ids.length) control.setAttribute('aria-describedby', ids.join(' '));
  else control.removeAttribute('aria-describedby');
}

function summaryOf(form: HTMLFormElement): { summary: HTMLElement; list: HTMLUListElement } {
  const summary = form.querySelector<HTMLElement>('.error-summary')!;
  return { summary, list: summary.querySelector('ul')! };
}

export function clearErrors(form: HTMLFormElement): void {
  const { summary, list } = summaryOf(form);
  summary.hidden = true;
  list.replaceChildren();
  for (const control of form.querySelectorAll<HTMLElement>('[aria-invalid]')) {
    control.removeAttribute('aria-invalid');
    setDescribedBy(control, control.dataset.errorId, false);
    delete control.dataset.errorId;
  }
  for (const slot of form.querySelectorAll<HTMLElement>('.field-error')) {
    slot.hidden = true;
    slot.textContent = '';
  }
  for (const field of form.querySelectorAll('.field-invalid')) field.classList.remove('field-invalid');
}

/** Shows the summary (focused, each error a link to its field) and the messages by the fields. */
export function showErrors(form: HTMLFormElement, message: string, errors: FormError[], reveal?: (field: string) => void): void {
  const { summary, list } = summaryOf(form);
  summary.querySelector('p')!.textContent = message;
  for (const error of errors) {
    const target = document.getElementById(fieldIdOf(error.field));
    if (target && reveal) reveal(error.field);
    if (!target || !form.contains(target)) {
      list.append(el('li', {}, error.message));
      continue;
    }
    const slot = document.getElementById(`${target.id}-error`);
    const controls = controlsOf(target).filter((control) => !isDisabled(control));
    if (slot) {
      slot.textContent = slot.textContent ? `${slot.textContent} ${error.message}` : error.message;
      slot.hidden = false;
      slot.closest('.field')?.classList.add('field-invalid');
      for (const control of controls) {
        control.setAttribute('aria-invalid', 'true');
        control.dataset.errorId = slot.id;
        setDescribedBy(control, slot.id, true);
      }
    }
    const focusTarget = controls.find((control) => control instanceof HTMLInputElement && control.checked) ?? controls[0];
    if (!focusTarget) {
      list.append(el('li', {}, error.message));
      continue;
    }
    const link = el('a', { href: `#${focusTarget.id}` }, error.message);
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

/** A button says what it is doing and cannot be pressed again meanwhile. */
export function setBusy(button: HTMLButtonElement, busy: boolean, busyText?: string): void {
  if (busy) {
    button.dataset.label = button.textContent ?? '';
    button.textContent = busyText ?? '';
  } else if (button.dataset.label) {
    button.textContent = button.dataset.label;
  }
  button.disabled = busy;
}

function labelText(control: Control): string {
  const label = control.type === 'radio' ? control.closest('fieldset')?.querySelector('legend') : document.querySelector(`label[for="${control.id}"]`);
  if (!label) return control.name;
  const clone = label.cloneNode(true) as HTMLElement;
  for (const mark of clone.querySelectorAll('.required, .optional')) mark.remove();
  return (clone.textContent ?? '').trim();
}

/** Missing required fields, shown before any call; the server's answer stays authoritative. */
export function requiredErrors(form: HTMLFormElement, messages: Record<string, string>): FormError[] {
  const errors: FormError[] = [];
  const seen = new Set<string>();
  for (const control of form.querySelectorAll<Control>('[required]')) {
    if (isDisabled(control) || seen.has(control.name)) continue;
    seen.add(control.name);
    let missing: boolean;
    if (control.type === 'radio') missing = !form.querySelector(`input[name="${control.name}"]:checked`);
    else if (control.type === 'checkbox') missing = !(control as HTMLInputElement).checked;
    else missing = control.value.trim() === '';
    if (missing) errors.push({ field: control.name, message: messages[control.name] || `Renseignez le champ « ${labelText(control)} ».` });
  }
  return errors;
}

/** The named control of a form (one control, not a radio group). */
export function control<T extends Element = HTMLInputElement>(form: HTMLFormElement, name: string): T {
  return form.elements.namedItem(name) as unknown as T;
}

export function textValue(form: HTMLFormElement, name: string): string {
  const found = form.elements.namedItem(name) as Control | null;
  return found && !isDisabled(found) ? String(found.value).trim() : '';
}

export function radioValue(form: HTMLFormElement, name: string): string {
  return form.querySelector<HTMLInputElement>(`input[name="${name}"]:checked`)?.value ?? '';
}

/** Sets `target[key]` only when there is a value: the API takes an absent optional field, not an empty one. */
export function setOptional<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | ''): void {
  if (value) target[key] = value;
}

/**
 * The Idempotency-Key of a form that creates something: the same while its content stays (a repeated click or a
 * retry after a lost answer creates once), a new one when it changes or once the creation succeeded (`renew`).
 */
export function idempotencyKeyOf(form: HTMLFormElement): { key: () => string; renew: () => void } {
  let key = crypto.randomUUID();
  const renew = () => (key = crypto.randomUUID());
  form.addEventListener('input', renew);
  return { key: () => key, renew };
}

/**
 * Sends a form to the API, one request at a time: first the fields to correct (`read`), then the call; a refusal
 * shows the API's message and its errors field by field, a lost connection says so; `done` takes the answer.
 */
export function sendForm<T>(form: HTMLFormElement, button: HTMLButtonElement, spec: {
  busy: string;
  /** The summary's line above the fields to correct: a fixed one, or one from the errors (their count). */
  incomplete: string | ((errors: FormError[]) => string);
  failure: string;
  read: () => { body: unknown; errors: FormError[] };
  send: (body: unknown) => Promise<ApiResult<T>>;
  done: (data: T) => void | Promise<void>;
  /** A refusal the page shows elsewhere (a personal link refused replaces the page): no summary on the form. */
  shownElsewhere?: (result: ApiResult<T>) => boolean;
  /**
   * The form's name of a field the API names (`amountCents`): for a form whose fields are named apart from another
   * form's of the same page, ids being unique on a page (`refundAmountCents`). Unchanged without it.
   */
  fieldOf?: (apiField: string) => string;
}): void {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    clearErrors(form);
    const { body, errors } = spec.read();
    if (errors.length) return showErrors(form, typeof spec.incomplete === 'string' ? spec.incomplete : spec.incomplete(errors), errors);
    setBusy(button, true, spec.busy);
    try {
      const result = await spec.send(body);
      if (!result.ok) {
        const errors = apiErrors(result).map((error) => (spec.fieldOf ? { ...error, field: spec.fieldOf(error.field) } : error));
        if (!spec.shownElsewhere?.(result)) showErrors(form, messageOf(result, spec.failure), errors);
        return;
      }
      await spec.done(result.data);
    } catch {
      showErrors(form, NETWORK_MESSAGE, []);
    } finally {
      setBusy(button, false);
    }
  });
}
