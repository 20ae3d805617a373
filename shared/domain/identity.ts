/** Lowercase, no accents, single spaces: "Éloïse  DUPONT-Martin" and "eloise dupont martin" are the same name. */
export function normalizeName(value: string): string {
  return value
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

export function normalizeEmail(value: string): string {
  return value.trim().toLowerCase();
}

/** The identity claim value: normalized last name, first name and birth date. */
export function identityKey(firstName: string, lastName: string, birthDate: string): string {
  return `${normalizeName(lastName)}|${normalizeName(firstName)}|${birthDate}`;
}
