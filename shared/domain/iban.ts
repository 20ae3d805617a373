/**
 * The IBAN rule, with no dependency: the API's schema (shared/domain/documents.ts) and the bank details form of the
 * young person's page (browser/pages/mon-parcours.ts) check an IBAN with this same code.
 */

/**
 * IBAN length per country of the SEPA area (ISO 13616 registry): the cooperative pays by SEPA transfer, so an IBAN
 * from elsewhere cannot be used.
 */
export const SEPA_IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AT: 20, BE: 16, BG: 22, CH: 21, CY: 28, CZ: 24, DE: 22, DK: 18, EE: 20, ES: 24, FI: 18, FR: 27, GB: 22,
  GI: 23, GR: 27, HR: 21, HU: 28, IE: 22, IS: 26, IT: 27, LI: 21, LT: 20, LU: 20, LV: 21, MC: 27, MT: 31, NL: 18,
  NO: 15, PL: 28, PT: 25, RO: 24, SE: 24, SI: 19, SK: 24, SM: 27, VA: 22,
};

export type IbanCheck = { valid: true; iban: string; country: string } | { valid: false; message: string };

/** The IBAN as typed, without spaces (nor the dashes and dots some banks print), in capitals. */
export function normalizeIban(input: string): string {
  return input.replace(/[\s\u00a0.-]+/g, '').toUpperCase();
}

/** ISO 7064 MOD 97-10 over the rearranged IBAN (letters A=10 … Z=35), computed piecewise: no big numbers needed. */
export function ibanMod97(iban: string): number {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const character of rearranged) {
    const value = character >= 'A' ? character.charCodeAt(0) - 55 : character.charCodeAt(0) - 48;
    remainder = (remainder * (value >= 10 ? 100 : 10) + value) % 97;
  }
  return remainder;
}

/** The French RIB key (clé RIB) of a bank code, branch code and account number: letters count as in the Banque de France's table. */
export function frenchRibKey(bank: string, branch: string, account: string): string {
  const digits = account.replace(/[A-Z]/g, (letter) => String(((letter.charCodeAt(0) - 65 + (letter >= 'S' ? 1 : 0)) % 9) + 1));
  const remainder = (89 * Number(bank) + 15 * Number(branch) + 3 * Number(digits)) % 97;
  return String(97 - remainder).padStart(2, '0');
}

/**
 * Checks an IBAN: SEPA country, length, characters, its two check digits (mod 97), and for a French IBAN the RIB key.
 * Spaces are allowed; the answer carries the IBAN normalised.
 * @example checkIban('FR76 3000 6000 0112 3456 7890 189') // { valid: true, iban: 'FR7630006000011234567890189', country: 'FR' }
 */
export function checkIban(input: string): IbanCheck {
  const iban = normalizeIban(input);
  if (iban.length === 0) return { valid: false, message: 'Saisissez votre IBAN (il commence par FR76 pour un compte en France).' };
  if (!/^[A-Z]{2}/.test(iban)) return { valid: false, message: 'Un IBAN commence par les deux lettres du pays (FR pour la France).' };
  const country = iban.slice(0, 2);
  const length = SEPA_IBAN_LENGTHS[country];
  if (length === undefined) return { valid: false, message: `Pays ${country} non accepté : le compte doit être dans la zone SEPA (France ou Europe).` };
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(iban)) return { valid: false, message: "L'IBAN ne peut contenir que des lettres et des chiffres." };
  if (iban.length !== length) {
    return { valid: false, message: `Un IBAN ${country === 'FR' ? 'français' : `de ce pays (${country})`} compte ${length} caractères ; celui-ci en compte ${iban.length}. Vérifiez qu'il n'en manque pas.` };
  }
  if (country === 'FR' && !/^FR\d{12}[A-Z0-9]{11}\d{2}$/.test(iban)) {
    return { valid: false, message: 'IBAN français invalide : après FR et la clé, il contient le code banque et le code guichet (10 chiffres), le numéro de compte et la clé RIB (2 chiffres).' };
  }
  if (ibanMod97(iban) !== 1) return { valid: false, message: "IBAN invalide : la clé de contrôle ne correspond pas. Vérifiez chaque caractère (une erreur de frappe s'est peut-être glissée)." };
  if (country === 'FR' && frenchRibKey(iban.slice(4, 9), iban.slice(9, 14), iban.slice(14, 25)) !== iban.slice(25)) {
    return { valid: false, message: 'IBAN invalide : la clé RIB (les deux derniers chiffres) ne correspond pas au compte. Vérifiez le numéro.' };
  }
  return { valid: true, iban, country };
}

/**
 * The IBAN as staff see it: the country and check digits, then only the last four characters, in groups of four.
 * @example maskIban('FR7630006000011234567890189') // "FR76 •••• •••• •••• •••• •••0 189"
 */
export function maskIban(iban: string): string {
  const masked = iban.slice(0, 4) + '•'.repeat(Math.max(0, iban.length - 8)) + iban.slice(-4);
  return masked.replace(/(.{4})(?=.)/g, '$1 ');
}
