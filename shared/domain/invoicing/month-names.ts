/** Months named in French, for the pages and the messages alike: no dependency, so the browser modules import it too. */

const MONTHS = ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'];

/** "de juillet 2027", "d'octobre 2027": a month's label after "de", elided before a vowel (avril, août, octobre). */
export function ofMonth(label: string): string {
  return /^[aeiouy]/i.test(label) ? `d'${label}` : `de ${label}`;
}

/** "juillet 2027" from "2027-07". */
export function monthLabel(month: string): string {
  const [year, m] = month.split('-').map(Number);
  return `${MONTHS[m - 1]} ${year}`;
}
