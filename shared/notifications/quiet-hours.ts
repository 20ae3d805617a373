import { PARIS, wallClockParts, zoneOffsetMs } from '../domain/time.js';

/**
 * No SMS reaches a phone at night: texts wait for the morning. Hours are read on the cooperative's clock
 * (Europe/Paris), so the window follows summer and winter time.
 */
export interface SmsWindow {
  /** First hour an SMS may go, inclusive (0-23). */
  startHour: number;
  /** Hour SMS stop, exclusive (1-24). */
  endHour: number;
}

export const DEFAULT_SMS_WINDOW: SmsWindow = { startHour: 8, endHour: 20 };

const parisParts = (instant: Date) => wallClockParts(instant, PARIS);
const parisOffset = (epochMs: number) => zoneOffsetMs(epochMs, PARIS);

/** The instant a Paris wall-clock time happens; the second pass corrects an offset guessed across a DST change. */
function parisWallClock(year: number, month: number, day: number, hour: number): Date {
  const wall = Date.UTC(year, month - 1, day, hour);
  const guess = wall - parisOffset(wall);
  return new Date(wall - parisOffset(guess));
}

function checkWindow(window: SmsWindow): void {
  const { startHour, endHour } = window;
  if (!Number.isInteger(startHour) || !Number.isInteger(endHour) || startHour < 0 || endHour > 24 || startHour >= endHour) {
    throw new RangeError(`invalid SMS window ${startHour}h-${endHour}h`);
  }
}

/** True when an SMS may be sent at this instant. */
export function smsAllowedAt(instant: Date, window: SmsWindow = DEFAULT_SMS_WINDOW): boolean {
  checkWindow(window);
  const { hour } = parisParts(instant);
  return hour >= window.startHour && hour < window.endHour;
}

/** The instant itself when an SMS may go now, otherwise the start of the next window (the same or the next Paris day). */
export function nextSmsWindow(instant: Date, window: SmsWindow = DEFAULT_SMS_WINDOW): Date {
  if (smsAllowedAt(instant, window)) return instant;
  const { year, month, day, hour } = parisParts(instant);
  // Date.UTC rolls the 32nd of a month over to the 1st of the next: the calendar arithmetic is done for us.
  const nextDay = hour < window.startHour ? day : day + 1;
  return parisWallClock(year, month, nextDay, window.startHour);
}

/**
 * The SMS window from configuration: `SMS_WINDOW="8-20"` (hours SMS may go, Europe/Paris), `"off"` for no quiet
 * hours (the end-to-end tests, which must not depend on the time of day they run at); the default is 8-20.
 */
export function smsWindowFromEnv(value: string | undefined = process.env.SMS_WINDOW): SmsWindow | null {
  if (value === undefined || value === '') return DEFAULT_SMS_WINDOW;
  if (value === 'off') return null;
  const match = /^(\d{1,2})-(\d{1,2})$/.exec(value);
  if (!match) throw new RangeError(`invalid SMS_WINDOW "${value}" (expected "8-20" or "off")`);
  const window = { startHour: Number(match[1]), endHour: Number(match[2]) };
  checkWindow(window);
  return window;
}
