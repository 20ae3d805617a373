/**
 * Amounts typed in euros, sent as integer cents. The text is read digit by digit, never through a float:
 * "12,50" is 1250 and "0,1" is 10, where parseFloat("0.29") * 100 would give 28.999999999999996.
 */

const EUROS = /^(\d{1,9})(?:[.,](\d{1,2}))?$/;

/**
 * The cents of an amount typed in euros ("12,50", "12.5", "1 234", "8 €"), or undefined when it is not one
 * (negative, more than two decimals, letters, empty).
 * @example parseEuros('12,50') // 1250
 */
export function parseEuros(typed: string): number | undefined {
  // Spaces group thousands (a phone may insert no-break ones); the euro sign may be typed after the amount.
  const text = typed.replace(/[\s\u00a0\u202f]/g, '').replace(/€$/, '');
  const match = EUROS.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
}

/**
 * Cents as a person types them back in a field: "12,50", or "12" for a whole amount.
 * @example centsToInput(1250) // '12,50'
 */
export function centsToInput(cents: number): string {
  const whole = Math.floor(cents / 100);
  const rest = cents % 100;
  return rest === 0 ? String(whole) : `${whole},${String(rest).padStart(2, '0')}`;
}
