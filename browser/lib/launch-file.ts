/**
 * The launch file's form, shared by the young person's page (/mon-activite) and the staff's (a Jeunes Majeurs
 * collective activity, a new version of an activity's prices): the services to tick, the price lines added and
 * removed (euros typed, cents sent), and the reading of the whole file before it is sent. The markup comes from
 * shared/pages/activities.ts (one list of lines a page: `#lignes-prix`, `#ajouter-ligne`, `#ligne-prix-modele`).
 */
import { byId, el } from './dom.js';
import { textValue, type FormError } from './forms.js';
import { centsToInput, parseEuros } from './money.js';
import type { ActivityView, ServiceKindView } from './views.js';

type Line = ActivityView['prices']['versions'][number]['lines'][number];
/** A kind of service a line may choose, with the VAT rate a new line takes. */
export type LineKind = { code: string; label: string; defaultVatRateBps: number | null };

export function serviceChoice(kind: ServiceKindView | { code: string; label: string }, checked: boolean): HTMLElement {
  const id = `f-serviceKinds-${kind.code}`;
  const notes = 'insuranceNotes' in kind ? kind.insuranceNotes : "Ce service n'est plus proposé : retirez-le du dossier.";
  return el('div', { class: 'choice' },
    el('input', { type: 'checkbox', id, name: 'serviceKinds', value: kind.code, checked, 'aria-describedby': `${id}-hint` }),
    el('label', { for: id }, kind.label),
    el('p', { class: 'hint choice-hint', id: `${id}-hint` }, notes));
}

export const checkedValues = (form: HTMLFormElement, name: string) =>
  Array.from(form.querySelectorAll<HTMLInputElement>(`input[name="${name}"]:checked`)).map((box) => box.value);

export interface PriceLinesEditor {
  /** The kinds of service the lines choose from (set before adding lines). */
  kinds: Map<string, LineKind>;
  add(line?: Line): HTMLLIElement;
  /** The lines of a version (or one empty line). */
  reset(lines: readonly Line[]): void;
  /** The lines as the API takes them, or what to correct first; `chosen`: the services ticked in the same form. */
  read(chosen?: readonly string[]): { lines: Array<Record<string, unknown>>; errors: FormError[] };
}

/**
 * The price lines of a form whose API field is `field` (`priceLines` of a launch file, `lines` of a version): the
 * ids follow the lines' order, so an error on `${field}.1.label` lands on the second line.
 */
export function priceLinesEditor(field: string): PriceLinesEditor {
  const list = byId('lignes-prix');
  const idPattern = new RegExp(`^f-${field}-(?:\\d+|N)-`);
  const describedPattern = new RegExp(`f-${field}-(?:\\d+|N)-`, 'g');
  const editor: PriceLinesEditor = { kinds: new Map(), add, reset, read };

  function renumber(): void {
    (Array.from(list.children) as HTMLLIElement[]).forEach((line, index) => {
      const prefix = `f-${field}-${index}-`;
      line.querySelector('legend')!.textContent = `Prix n° ${index + 1}`;
      for (const node of line.querySelectorAll<HTMLElement>('[id]')) node.id = node.id.replace(idPattern, prefix);
      for (const node of line.querySelectorAll<HTMLElement>('[for]')) node.setAttribute('for', node.getAttribute('for')!.replace(idPattern, prefix));
      for (const node of line.querySelectorAll<HTMLElement>('[aria-describedby]')) node.setAttribute('aria-describedby', node.getAttribute('aria-describedby')!.replace(describedPattern, prefix));
      line.querySelector<HTMLButtonElement>('.remove-line')!.setAttribute('aria-label', `Retirer le prix n° ${index + 1}`);
    });
  }

  function add(line?: Line): HTMLLIElement {
    const template = byId<HTMLTemplateElement>('ligne-prix-modele');
    const item = template.content.firstElementChild!.cloneNode(true) as HTMLLIElement;
    const service = item.querySelector<HTMLSelectElement>('select[name="serviceKind"]')!;
    service.append(el('option', { value: '' }, 'Choisir un service'), ...[...editor.kinds.values()].map((kind) => el('option', { value: kind.code }, kind.label)));
    if (line) {
      item.dataset.lineId = line.lineId;
      // The rate the line was priced with stays while its service does not change.
      item.dataset.vatRateBps = line.vatRateBps === null ? 'none' : String(line.vatRateBps);
      item.dataset.serviceKind = line.serviceKind;
      item.querySelector<HTMLInputElement>('input[name="label"]')!.value = line.label;
      item.querySelector<HTMLSelectElement>('select[name="unit"]')!.value = line.unit;
      item.querySelector<HTMLInputElement>('input[name="unitPriceCents"]')!.value = centsToInput(line.unitPriceCents);
      service.value = line.serviceKind;
    }
    item.querySelector<HTMLButtonElement>('.remove-line')!.addEventListener('click', () => {
      const next = (item.nextElementSibling ?? item.previousElementSibling) as HTMLElement | null;
      item.remove();
      renumber();
      // The focus goes to a neighbouring line, or to "Ajouter un prix" after the last one.
      (next?.querySelector<HTMLInputElement>('input[name="label"]') ?? byId('ajouter-ligne')).focus();
    });
    list.append(item);
    renumber();
    return item;
  }

  function reset(lines: readonly Line[]): void {
    list.replaceChildren();
    if (lines.length) lines.forEach((line) => add(line));
    else add();
  }

  function read(chosen?: readonly string[]): { lines: Array<Record<string, unknown>>; errors: FormError[] } {
    const errors: FormError[] = [];
    const items = Array.from(list.children) as HTMLLIElement[];
    if (!items.length) errors.push({ field, message: 'Ajoutez au moins un prix.' });
    const lines = items.map((line, i) => {
      const value = (name: string) => (line.querySelector<HTMLInputElement | HTMLSelectElement>(`[name="${name}"]`)!.value ?? '').trim();
      const path = (name: string) => `${field}.${i}.${name}`;
      const label = value('label');
      if (!label) errors.push({ field: path('label'), message: `Prix n° ${i + 1} : dites ce que le client achète.` });
      const typed = value('unitPriceCents');
      const cents = parseEuros(typed);
      if (!typed) errors.push({ field: path('unitPriceCents'), message: `Prix n° ${i + 1} : indiquez le prix en euros.` });
      else if (cents === undefined) errors.push({ field: path('unitPriceCents'), message: `Prix n° ${i + 1} : écrivez un montant en euros, par exemple 12,50.` });
      else if (cents === 0) errors.push({ field: path('unitPriceCents'), message: `Prix n° ${i + 1} : le prix doit être supérieur à 0 €.` });
      const serviceKind = value('serviceKind');
      if (!serviceKind) errors.push({ field: path('serviceKind'), message: `Prix n° ${i + 1} : choisissez le service.` });
      else if (chosen && !chosen.includes(serviceKind)) errors.push({ field: path('serviceKind'), message: `Prix n° ${i + 1} : cochez aussi ce service dans la liste des services, ou choisissez-en un autre.` });
      const kept = line.dataset.serviceKind === serviceKind && line.dataset.vatRateBps !== undefined;
      const vatRateBps = kept ? (line.dataset.vatRateBps === 'none' ? null : Number(line.dataset.vatRateBps)) : editor.kinds.get(serviceKind)?.defaultVatRateBps ?? null;
      return { ...(line.dataset.lineId ? { lineId: line.dataset.lineId } : {}), label, unit: value('unit'), unitPriceCents: cents ?? 0, serviceKind, vatRateBps };
    });
    return { lines, errors };
  }

  byId('ajouter-ligne').addEventListener('click', () => add().querySelector<HTMLInputElement>('input[name="label"]')!.focus());
  return editor;
}

/** The launch file's fields as the API takes them, or the fields to correct first (the API checks again and has the last word). */
export function readLaunchFile(form: HTMLFormElement, editor: PriceLinesEditor): { body: Record<string, unknown>; errors: FormError[] } {
  const errors: FormError[] = [];
  const required = (name: string, message: string) => {
    const value = textValue(form, name);
    if (!value) errors.push({ field: name, message });
    return value;
  };
  const name = required('name', "Donnez un nom à l'activité.");
  const tradeName = required('tradeName', "Indiquez l'enseigne.");
  const serviceKinds = checkedValues(form, 'serviceKinds');
  if (!serviceKinds.length) errors.push({ field: 'serviceKinds', message: 'Choisissez au moins un service.' });
  const description = required('description', "Décrivez l'activité en quelques phrases.");
  const { lines: priceLines, errors: lineErrors } = editor.read(serviceKinds);
  errors.push(...lineErrors);
  const targetCustomers = checkedValues(form, 'targetCustomers');
  if (!targetCustomers.length) errors.push({ field: 'targetCustomers', message: 'Choisissez les clients : particuliers, entreprises, ou les deux.' });
  const goalTyped = textValue(form, 'monthlyGoalCents');
  const monthlyGoalCents = parseEuros(goalTyped);
  if (!goalTyped) errors.push({ field: 'monthlyGoalCents', message: "Indiquez l'objectif de chiffre d'affaires par mois." });
  else if (monthlyGoalCents === undefined) errors.push({ field: 'monthlyGoalCents', message: 'Objectif : écrivez un montant en euros, par exemple 800 ou 1 250,50.' });
  const startDate = required('startDate', "Choisissez la date de début de l'activité.");
  return { body: { name, tradeName, serviceKinds, description, targetCustomers, monthlyGoalCents: monthlyGoalCents ?? 0, startDate, priceLines }, errors };
}
