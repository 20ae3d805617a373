import type { FieldError } from '../errors.js';
import { FORBIDDEN_CHARACTERS_MESSAGE, hasForbiddenCharacters } from '../validation.js';

/**
 * The customers an activity invoices: private individuals, and businesses identified by their SIREN. The checks are
 * pure and dependency-free so the API and the member's form run the same code: SIREN and SIRET carry a Luhn key, a
 * French VAT number is `FR` + a key derived from the SIREN + the SIREN.
 */

export const CUSTOMER_KINDS = ['individual', 'business'] as const;
export type CustomerKind = (typeof CUSTOMER_KINDS)[number];

export const CUSTOMER_KIND_LABELS: Record<CustomerKind, string> = { individual: 'Particulier', business: 'Entreprise' };

export interface PostalAddress {
  line1: string;
  line2?: string;
  postalCode: string;
  city: string;
  /** ISO 3166-1 alpha-2, capitals. */
  countryCode: string;
}

/** What identifies and reaches a customer, as invoices print it. */
export interface CustomerDetails {
  kind: CustomerKind;
  /** The person's full name, or the company's name. */
  name: string;
  address: PostalAddress;
  email: string;
  /** 9 digits without spaces; businesses only. */
  siren?: string;
  /** 14 digits (SIREN + establishment), when the business gives the establishment invoiced. */
  siret?: string;
  /** Intra-community VAT number (`FR` + key + SIREN for a French one), capitals without spaces. */
  vatNumber?: string;
}

/** The Luhn check (mod 10) over a string of digits. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** Digits as typed, without the spaces, dots and no-break spaces people write them with. */
export const compactDigits = (value: string) => value.replace(/[\s\u00a0.]+/g, '');

/** A SIREN: 9 digits whose Luhn key holds. */
export function isValidSiren(value: string): boolean {
  const siren = compactDigits(value);
  return /^\d{9}$/.test(siren) && luhnValid(siren);
}

/** La Poste's establishments share one SIREN whose SIRETs follow another rule (the sum of their digits is a multiple of 5). */
const LA_POSTE_SIREN = '356000000';

/** A SIRET: 14 digits, the SIREN then the establishment's number, Luhn over the whole (or La Poste's rule for its own). */
export function isValidSiret(value: string): boolean {
  const siret = compactDigits(value);
  if (!/^\d{14}$/.test(siret)) return false;
  if (luhnValid(siret)) return true;
  return siret.startsWith(LA_POSTE_SIREN) && [...siret].reduce((sum, digit) => sum + Number(digit), 0) % 5 === 0;
}

/**
 * The French VAT number of a SIREN: key = (12 + 3 x (SIREN mod 97)) mod 97, on two digits.
 * @example frenchVatNumber('404833048') // 'FR83404833048'
 */
export function frenchVatNumber(siren: string): string {
  const key = (12 + 3 * (Number(siren) % 97)) % 97;
  return `FR${String(key).padStart(2, '0')}${siren}`;
}

/** A VAT number as typed, in capitals without spaces, dots or dashes. */
export const normalizeVatNumber = (value: string) => value.replace(/[\s\u00a0.-]+/g, '').toUpperCase();

/** A French VAT number whose SIREN is valid and whose numeric key matches it. */
export function isValidFrenchVatNumber(value: string): boolean {
  const vat = normalizeVatNumber(value);
  const match = /^FR(\d{2})(\d{9})$/.exec(vat);
  return match !== null && isValidSiren(match[2]) && frenchVatNumber(match[2]) === vat;
}

/** A VAT number of another EU country: its two-letter prefix then 2 to 13 letters or digits (each country's own key is not checked). */
const OTHER_VAT_NUMBER = /^(?!FR)[A-Z]{2}[A-Z0-9]{2,13}$/;

export function formatSiren(siren: string): string {
  return siren.replace(/^(\d{3})(\d{3})(\d{3})$/, '$1 $2 $3');
}

/** The address on one line, as the cooperative's settings show it: "12 rue X, Bât. B, 62300 Lens". */
export function addressOneLine(address: PostalAddress): string {
  return [address.line1, address.line2, `${address.postalCode} ${address.city}`, address.countryCode === 'FR' ? undefined : address.countryCode]
    .filter((part): part is string => Boolean(part))
    .join(', ');
}

const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
const NAME_MAX = 200;
const LINE_MAX = 200;

export type CustomerCheck = { ok: true; customer: CustomerDetails } | { ok: false; errors: FieldError[] };

/**
 * Checks a customer as typed and returns it cleaned (trimmed, SIREN and VAT number compacted, country in capitals),
 * or every problem field by field in French. A business needs its SIREN; its VAT number, when French, must be the
 * SIREN's own.
 * @example validateCustomer({ kind: 'individual', name: 'Awa Diallo', email: 'awa@example.fr', address: { line1: '3 rue Basly', postalCode: '62300', city: 'Lens' } })
 */
export function validateCustomer(input: unknown): CustomerCheck {
  const errors: FieldError[] = [];
  const fail = (field: string, message: string) => errors.push({ field, message });
  const body = isRecord(input) ? input : {};
  const kind = body.kind;
  if (kind !== 'individual' && kind !== 'business') fail('kind', 'Choisissez le type de client : particulier ou entreprise.');

  const name = stringOf(body.name);
  if (!name) fail('name', kind === 'business' ? "Indiquez le nom de l'entreprise." : 'Indiquez le nom et le prénom du client.');
  else if (name.length > NAME_MAX) fail('name', `Le nom ne doit pas dépasser ${NAME_MAX} caractères.`);
  else if (hasForbiddenCharacters(name)) fail('name', FORBIDDEN_CHARACTERS_MESSAGE);

  const address = checkAddress(isRecord(body.address) ? body.address : {}, fail);

  const email = stringOf(body.email);
  if (!email) fail('email', "Indiquez l'adresse e-mail du client : la facture lui est envoyée.");
  else if (!EMAIL.test(email) || email.length > 254 || hasForbiddenCharacters(email)) fail('email', "L'adresse e-mail n'est pas valide (exemple : nom@domaine.fr).");

  let siren: string | undefined;
  const sirenInput = compactDigits(stringOf(body.siren));
  if (kind === 'business') {
    if (!sirenInput) fail('siren', "Indiquez le SIREN de l'entreprise (9 chiffres) : il doit figurer sur la facture.");
    else if (!/^\d{9}$/.test(sirenInput)) fail('siren', 'Le SIREN compte 9 chiffres.');
    else if (!luhnValid(sirenInput)) fail('siren', "Ce SIREN n'existe pas : sa clé de contrôle ne correspond pas. Vérifiez les chiffres.");
    else siren = sirenInput;
  } else if (sirenInput) {
    fail('siren', "Un particulier n'a pas de SIREN : choisissez « entreprise » pour un client professionnel.");
  }

  let siret: string | undefined;
  const siretInput = compactDigits(stringOf(body.siret));
  if (siretInput) {
    if (kind !== 'business') fail('siret', "Seule une entreprise a un SIRET.");
    else if (!isValidSiret(siretInput)) fail('siret', "Ce SIRET n'est pas valide : 14 chiffres dont la clé de contrôle doit correspondre.");
    else if (siren && !siretInput.startsWith(siren)) fail('siret', 'Le SIRET commence par le SIREN de l’entreprise : ils ne correspondent pas.');
    else siret = siretInput;
  }

  let vatNumber: string | undefined;
  const vatInput = normalizeVatNumber(stringOf(body.vatNumber));
  if (vatInput) {
    if (kind !== 'business') fail('vatNumber', "Seule une entreprise a un numéro de TVA intracommunautaire.");
    else if (vatInput.startsWith('FR')) {
      if (!isValidFrenchVatNumber(vatInput)) fail('vatNumber', "Ce numéro de TVA n'est pas valide : FR, une clé de 2 chiffres puis le SIREN.");
      else if (siren && vatInput.slice(4) !== siren) fail('vatNumber', "Ce numéro de TVA n'est pas celui du SIREN indiqué.");
      else vatNumber = vatInput;
    } else if (!OTHER_VAT_NUMBER.test(vatInput)) fail('vatNumber', "Ce numéro de TVA n'est pas valide : il commence par les deux lettres du pays.");
    else vatNumber = vatInput;
  }

  if (errors.length > 0 || !address) return { ok: false, errors };
  const customer: CustomerDetails = { kind: kind as CustomerKind, name, address, email };
  if (siren) customer.siren = siren;
  if (siret) customer.siret = siret;
  if (vatNumber) customer.vatNumber = vatNumber;
  return { ok: true, customer };
}

function checkAddress(raw: Record<string, unknown>, fail: (field: string, message: string) => void): PostalAddress | undefined {
  const before = { failed: false };
  const failAddress = (field: string, message: string) => {
    before.failed = true;
    fail(`address.${field}`, message);
  };
  const line1 = stringOf(raw.line1);
  const line2 = stringOf(raw.line2);
  const city = stringOf(raw.city);
  const countryCode = (stringOf(raw.countryCode) || 'FR').toUpperCase();
  const postalCode = stringOf(raw.postalCode).replace(/\s+/g, countryCode === 'FR' ? '' : ' ');
  if (!line1) failAddress('line1', "Indiquez l'adresse (numéro et rue).");
  else if (line1.length > LINE_MAX) failAddress('line1', `L'adresse ne doit pas dépasser ${LINE_MAX} caractères.`);
  else if (hasForbiddenCharacters(line1)) failAddress('line1', FORBIDDEN_CHARACTERS_MESSAGE);
  if (line2.length > LINE_MAX) failAddress('line2', `Le complément d'adresse ne doit pas dépasser ${LINE_MAX} caractères.`);
  else if (hasForbiddenCharacters(line2)) failAddress('line2', FORBIDDEN_CHARACTERS_MESSAGE);
  if (!/^[A-Z]{2}$/.test(countryCode)) failAddress('countryCode', 'Le pays est un code de deux lettres (FR pour la France).');
  if (!postalCode) failAddress('postalCode', 'Indiquez le code postal.');
  else if (countryCode === 'FR' ? !/^\d{5}$/.test(postalCode) : !/^[A-Z0-9][A-Z0-9 -]{1,9}$/i.test(postalCode)) {
    failAddress('postalCode', countryCode === 'FR' ? 'Un code postal français compte 5 chiffres.' : "Ce code postal n'est pas valide.");
  }
  if (!city) failAddress('city', 'Indiquez la ville.');
  else if (city.length > 100) failAddress('city', 'La ville ne doit pas dépasser 100 caractères.');
  else if (hasForbiddenCharacters(city)) failAddress('city', FORBIDDEN_CHARACTERS_MESSAGE);
  if (before.failed) return undefined;
  return line2 ? { line1, line2, postalCode, city, countryCode } : { line1, postalCode, city, countryCode };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const stringOf = (value: unknown) => (typeof value === 'string' ? value.trim() : '');
