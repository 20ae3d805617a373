/**
 * Amounts are integer cents everywhere; this is how a person reads them. The separators are no-break spaces
 * (U+00A0), which the PDF standard fonts have (the narrow U+202F that Intl's fr-FR uses is not in their encoding).
 * @example formatEuros(123456) // '1 234,56 €' (no-break spaces)
 */
export function formatEuros(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(Math.round(cents));
  const euros = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, '\u00a0');
  return `${sign}${euros},${String(abs % 100).padStart(2, '0')}\u00a0€`;
}

