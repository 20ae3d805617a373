/** The cooperative's calendar is Europe/Paris: every date a person sees or a rule counts is taken there. */
export const PARIS = 'Europe/Paris';

/** Made once: building a formatter costs far more than using it (it showed in the functions' CPU profile). */
const PARIS_DAY = new Intl.DateTimeFormat('en-CA', { timeZone: PARIS, year: 'numeric', month: '2-digit', day: '2-digit' });

/** The calendar date (YYYY-MM-DD) of an instant in Europe/Paris. */
export function parisDate(instant: Date = new Date()): string {
  const parts = PARIS_DAY.formatToParts(instant);
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** True when `value` is a real calendar date written YYYY-MM-DD. */
export function isIsoDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const [y, m, d] = value.split('-').map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/**
 * Age in whole years on a given calendar date; someone born on 29 February turns a year older on 1 March in common years.
 * @example ageOn('2008-07-01', '2026-07-01') // 18
 */
export function ageOn(birthDate: string, onDate: string): number {
  const [by, bm, bd] = birthDate.split('-').map(Number);
  const [y, m, d] = onDate.split('-').map(Number);
  let age = y - by;
  if (m < bm || (m === bm && d < bd)) age -= 1;
  return age;
}

/**
 * Calendar days between two instants, counted on the Paris calendar: from 23:50 to 00:10 the next day is one day,
 * and a whole day across a clock change is still one.
 * @example daysBetween(new Date('2026-11-30T22:50:00Z'), new Date('2026-11-30T23:10:00Z')) // 1 (23:50 → 00:10 in Paris)
 */
export function daysBetween(from: Date, to: Date): number {
  return Math.round((Date.parse(parisDate(to)) - Date.parse(parisDate(from))) / 86_400_000);
}

/** "il y a 3 jours", "aujourd'hui": how staff read the age of a pending item. */
export function ageLabel(from: Date, to: Date = new Date()): string {
  const days = daysBetween(from, to);
  if (days <= 0) return "aujourd'hui";
  if (days === 1) return 'hier';
  return `il y a ${days} jours`;
}

const FRENCH_DAY = new Intl.DateTimeFormat('fr-FR', { timeZone: PARIS, day: '2-digit', month: '2-digit', year: 'numeric' });
const FRENCH_TIME = new Intl.DateTimeFormat('fr-FR', { timeZone: PARIS, hour: '2-digit', minute: '2-digit' });

/** "26/11/2026 à 14:05" in Europe/Paris. */
export function formatParisDateTime(iso: string): string {
  const date = new Date(iso);
  return `${FRENCH_DAY.format(date)} à ${FRENCH_TIME.format(date)}`;
}

/** "01/07/2008" from "2008-07-01". */
export function formatFrenchDate(isoDate: string): string {
  const [y, m, d] = isoDate.split('-');
  return `${d}/${m}/${y}`;
}

/**
 * The calendar date `days` days after (or before, when negative) a YYYY-MM-DD date: calendar arithmetic, no clock.
 * @example addDays('2027-01-31', 30) // '2027-03-02'
 */
export function addDays(isoDate: string, days: number): string {
  const [y, m, d] = isoDate.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

const zoneFormatters = new Map<string, Intl.DateTimeFormat>();

/**
 * The wall clock of an IANA time zone at an instant, as numbers.
 * @example wallClockParts(new Date('2026-07-01T06:00:00Z'), PARIS).hour // 8
 */
export function wallClockParts(instant: Date | number, timezone: string) {
  let formatter = zoneFormatters.get(timezone);
  if (!formatter) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', { timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    } catch {
      throw new Error(`Unknown time zone ${timezone}`);
    }
    zoneFormatters.set(timezone, formatter);
  }
  const fields: Record<string, number> = {};
  for (const part of formatter.formatToParts(instant)) fields[part.type] = Number(part.value);
  return { year: fields.year, month: fields.month, day: fields.day, hour: fields.hour, minute: fields.minute, second: fields.second };
}

/** Milliseconds the wall clock of `timezone` is ahead of UTC at an instant (Paris: 3 600 000 in winter, 7 200 000 in summer). */
export function zoneOffsetMs(epochMs: number, timezone: string): number {
  const whole = Math.floor(epochMs / 1000) * 1000;
  const p = wallClockParts(whole, timezone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - whole;
}
