import * as z from 'zod/mini';
import { InvalidInputError, type FieldError } from './errors.js';

const REQUIRED = 'Ce champ est obligatoire.';

/** A trimmed text field with French messages. */
export function text(options: { min?: number; max: number; requiredMessage?: string }) {
  const required = options.requiredMessage ?? REQUIRED;
  return z
    .string({ error: (issue) => (issue.input === undefined ? required : 'Ce champ doit être un texte.') })
    .check(
      z.trim(),
      z.minLength(options.min ?? 1, options.min && options.min > 1 ? `Au moins ${options.min} caractères.` : required),
      z.maxLength(options.max, `${options.max} caractères au maximum.`),
    );
}

export function optionalText(max: number) {
  return z.optional(z.string('Ce champ doit être un texte.').check(z.trim(), z.maxLength(max, `${max} caractères au maximum.`)));
}

export function choice<const T extends readonly [string, ...string[]]>(values: T, message: string) {
  return z.enum(values, { error: (issue) => (issue.input === undefined ? REQUIRED : message) });
}

export function yesNo() {
  return z.boolean({ error: (issue) => (issue.input === undefined ? REQUIRED : 'Répondez par oui ou par non.') });
}

/**
 * Parses `input` with `schema` or throws an InvalidInputError listing every problem field by field, in French.
 * Unknown fields are refused by name, so a typo in a client never passes silently.
 */
export function parseOrThrow<T>(schema: z.ZodMiniType<T>, input: unknown, message = 'La demande contient des erreurs.'): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new InvalidInputError(message, toFieldErrors(result.error.issues));
}

export function toFieldErrors(issues: readonly z.core.$ZodIssue[]): FieldError[] {
  const errors: FieldError[] = [];
  for (const issue of issues) {
    const base = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) errors.push({ field: base ? `${base}.${key}` : key, message: `Champ inconnu : « ${key} ».` });
    } else if (issue.code === 'invalid_type' && issue.expected === 'object' && !base) {
      errors.push({ field: '', message: 'Le contenu doit être un objet JSON.' });
    } else {
      errors.push({ field: base, message: issue.message });
    }
  }
  return errors;
}
