import * as z from 'zod/mini';
import { InvalidInputError, type FieldError } from './errors.js';

const REQUIRED = 'Ce champ est obligatoire.';

/**
 * What no text of the app may carry: control characters other than tab and line breaks (C0, DEL, C1), lone
 * surrogates, the non-characters U+FFFE and U+FFFF, and the bidirectional embeddings, overrides and isolates
 * (U+202A-U+202E, U+2066-U+2069: a name that reads backwards in the console, the e-mail and the accountant's file). An invoice's Factur-X XML cannot hold them (XML 1.0), nor
 * can an e-mail header; they are never typed, only sent.
 */
// eslint-disable-next-line no-control-regex -- control characters are what this pattern is for.
const FORBIDDEN_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
export const FORBIDDEN_CHARACTERS_MESSAGE = 'Ce texte contient des caractères invisibles ou non valides : retapez-le.';
export const hasForbiddenCharacters = (value: string): boolean => FORBIDDEN_CHARACTERS.test(value);
const allowedCharacters = () => z.refine<string>((value) => !hasForbiddenCharacters(value), FORBIDDEN_CHARACTERS_MESSAGE);

/** A trimmed text field with French messages. */
export function text(options: { min?: number; max: number; requiredMessage?: string }) {
  const required = options.requiredMessage ?? REQUIRED;
  return z
    .string({ error: (issue) => (issue.input === undefined ? required : 'Ce champ doit être un texte.') })
    .check(
      z.trim(),
      z.minLength(options.min ?? 1, options.min && options.min > 1 ? `Au moins ${options.min} caractères.` : required),
      z.maxLength(options.max, `${options.max} caractères au maximum.`),
      allowedCharacters(),
    );
}

export function optionalText(max: number) {
  return z.optional(z.string('Ce champ doit être un texte.').check(z.trim(), z.maxLength(max, `${max} caractères au maximum.`), allowedCharacters()));
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
  // A value of the wrong type gets its type's message only: zod still runs the checks of the type it should have had
  // when the value has what they read (a text's length against a list's "30 lignes au maximum.").
  const mistyped = new Set(issues.filter((issue) => issue.code === 'invalid_type').map((issue) => issue.path.map(String).join('.')));
  for (const issue of issues) {
    const base = issue.path.map(String).join('.');
    if (issue.code !== 'invalid_type' && mistyped.has(base)) continue;
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
