/**
 * French mobile numbers, metropolitan and overseas, to E.164.
 * Overseas mobiles dialled nationally (06 90 ..., 06 94 ...) belong to their own country codes.
 */
const OVERSEAS_MOBILE_PREFIXES: Array<{ national: string; countryCode: string }> = [
  { national: '690', countryCode: '590' }, // Guadeloupe, Saint-Martin, Saint-Barthélemy
  { national: '691', countryCode: '590' },
  { national: '694', countryCode: '594' }, // Guyane
  { national: '696', countryCode: '596' }, // Martinique
  { national: '697', countryCode: '596' },
  { national: '692', countryCode: '262' }, // La Réunion
  { national: '693', countryCode: '262' },
  { national: '639', countryCode: '262' }, // Mayotte
];
const OVERSEAS_CODES = new Set(OVERSEAS_MOBILE_PREFIXES.map((p) => p.countryCode));

/**
 * Returns the E.164 form of a French mobile number, or null when it is not one (landlines, special numbers, foreign numbers).
 * @example normalizeFrenchMobile('06 12 34 56 78') // '+33612345678'
 * @example normalizeFrenchMobile('0690 12 34 56')  // '+590690123456'
 */
export function normalizeFrenchMobile(input: string): string | null {
  const compact = input.replace(/[\s.\-()/]/g, '');
  let digits: string;
  if (/^\+\d+$/.test(compact)) digits = compact.slice(1);
  else if (/^00\d+$/.test(compact)) digits = compact.slice(2);
  else if (/^0\d{9}$/.test(compact)) return fromNational(compact.slice(1));
  else return null;

  if (digits.startsWith('33')) {
    const national = digits.slice(2).replace(/^0/, '');
    return national.length === 9 ? fromNational(national) : null;
  }
  const code = digits.slice(0, 3);
  if (OVERSEAS_CODES.has(code)) {
    const national = digits.slice(3).replace(/^0/, '');
    const prefix = OVERSEAS_MOBILE_PREFIXES.find((p) => p.countryCode === code && national.startsWith(p.national));
    return prefix && national.length === 9 ? `+${code}${national}` : null;
  }
  return null;
}

/** `national` is the 9 digits after the trunk 0. */
function fromNational(national: string): string | null {
  const overseas = OVERSEAS_MOBILE_PREFIXES.find((p) => national.startsWith(p.national));
  if (overseas) return `+${overseas.countryCode}${national}`;
  if (/^[67]\d{8}$/.test(national)) return `+33${national}`;
  return null;
}
