/**
 * Invoice numbers: one chronological, continuous sequence per year (credit notes included), written `YYYY-NNNNNN`.
 * The year is the issue date's (Europe/Paris).
 */

/** Numbers a year can hold with six digits. */
export const MAX_SEQUENCE = 999_999;

const NUMBER = /^(\d{4})-(\d{6})$/;

/**
 * @example formatInvoiceNumber('2027', 123) // '2027-000123'
 */
export function formatInvoiceNumber(year: string, sequence: number): string {
  if (!/^\d{4}$/.test(year)) throw new RangeError(`Invalid invoice year: ${year}`);
  if (!Number.isInteger(sequence) || sequence < 1 || sequence > MAX_SEQUENCE) throw new RangeError(`Invoice sequence out of range: ${sequence}`);
  return `${year}-${String(sequence).padStart(6, '0')}`;
}

/**
 * The year and the sequence of a number, or undefined when it is not one (`2027-000000` is not: sequences start at 1).
 * @example parseInvoiceNumber('2027-000123') // { year: '2027', sequence: 123 }
 */
export function parseInvoiceNumber(value: string): { year: string; sequence: number } | undefined {
  const match = NUMBER.exec(value);
  if (!match) return undefined;
  const sequence = Number(match[2]);
  return sequence >= 1 ? { year: match[1]!, sequence } : undefined;
}

/** The sequence a number belongs to: its issue date's year (the date is already a Paris calendar date). */
export const numberingYear = (issueDate: string) => issueDate.slice(0, 4);
