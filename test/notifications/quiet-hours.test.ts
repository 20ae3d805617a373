import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextSmsWindow, smsAllowedAt } from '../../shared/notifications/quiet-hours.js';

const at = (iso: string) => new Date(iso);

describe('SMS quiet hours (Europe/Paris)', () => {
  it('on a winter evening (UTC+1), stops at 20:00 and resumes at 08:00 the next day', () => {
    expect(smsAllowedAt(at('2026-01-15T18:59:59Z'))).toBe(true); // 19:59:59
    expect(smsAllowedAt(at('2026-01-15T19:00:00Z'))).toBe(false); // 20:00
    expect(nextSmsWindow(at('2026-01-15T19:30:00Z'))).toEqual(at('2026-01-16T07:00:00Z'));
    expect(nextSmsWindow(at('2026-01-15T23:10:00Z'))).toEqual(at('2026-01-16T07:00:00Z')); // 00:10 the next day
  });

  it('on a summer evening (UTC+2), stops at 20:00 and resumes at 08:00 the next day', () => {
    expect(smsAllowedAt(at('2026-07-15T17:59:59Z'))).toBe(true);
    expect(smsAllowedAt(at('2026-07-15T18:00:00Z'))).toBe(false);
    expect(nextSmsWindow(at('2026-07-15T18:00:00Z'))).toEqual(at('2026-07-16T06:00:00Z'));
  });

  it('waits at 07:59 and sends at 08:00', () => {
    expect(smsAllowedAt(at('2026-01-16T06:59:00Z'))).toBe(false);
    expect(nextSmsWindow(at('2026-01-16T06:59:00Z'))).toEqual(at('2026-01-16T07:00:00Z'));
    const eight = at('2026-01-16T07:00:00Z');
    expect(smsAllowedAt(eight)).toBe(true);
    expect(nextSmsWindow(eight)).toBe(eight);
  });

  it('resumes at 08:00 summer time after the night clocks go forward (29 March 2026)', () => {
    expect(nextSmsWindow(at('2026-03-28T20:00:00Z'))).toEqual(at('2026-03-29T06:00:00Z')); // 21:00 CET → 08:00 CEST
    expect(nextSmsWindow(at('2026-03-29T01:30:00Z'))).toEqual(at('2026-03-29T06:00:00Z')); // 03:30 CEST
    expect(smsAllowedAt(at('2026-03-29T05:59:00Z'))).toBe(false);
    expect(smsAllowedAt(at('2026-03-29T06:00:00Z'))).toBe(true);
  });

  it('resumes at 08:00 winter time after the night clocks go back (25 October 2026)', () => {
    expect(nextSmsWindow(at('2026-10-24T18:00:00Z'))).toEqual(at('2026-10-25T07:00:00Z')); // 20:00 CEST → 08:00 CET
    expect(nextSmsWindow(at('2026-10-25T00:30:00Z'))).toEqual(at('2026-10-25T07:00:00Z')); // the first 02:30
    expect(nextSmsWindow(at('2026-10-25T01:30:00Z'))).toEqual(at('2026-10-25T07:00:00Z')); // the second 02:30
    expect(smsAllowedAt(at('2026-10-25T06:59:00Z'))).toBe(false);
    expect(smsAllowedAt(at('2026-10-25T07:00:00Z'))).toBe(true);
  });

  it('crosses the end of a month and of a year', () => {
    expect(nextSmsWindow(at('2026-12-31T22:00:00Z'))).toEqual(at('2027-01-01T07:00:00Z'));
    expect(nextSmsWindow(at('2026-06-30T19:00:00Z'))).toEqual(at('2026-07-01T06:00:00Z'));
  });

  it('takes its hours from configuration', () => {
    const window = { startHour: 9, endHour: 18 };
    expect(smsAllowedAt(at('2026-01-16T07:30:00Z'), window)).toBe(false); // 08:30
    expect(smsAllowedAt(at('2026-01-16T16:59:00Z'), window)).toBe(true); // 17:59
    expect(nextSmsWindow(at('2026-01-16T17:00:00Z'), window)).toEqual(at('2026-01-17T08:00:00Z'));
    expect(smsAllowedAt(at('2026-01-16T02:00:00Z'), { startHour: 0, endHour: 24 })).toBe(true);
    expect(() => smsAllowedAt(new Date(), { startHour: 20, endHour: 8 })).toThrow(RangeError);
    expect(() => smsAllowedAt(new Date(), { startHour: 8.5, endHour: 20 })).toThrow(RangeError);
  });

  it('always answers the first allowed instant, within a night (13 hours when the clocks go back)', () => {
    const instants = fc.date({ min: at('2000-01-01T00:00:00Z'), max: at('2100-01-01T00:00:00Z'), noInvalidDate: true });
    fc.assert(
      fc.property(instants, (instant) => {
        const next = nextSmsWindow(instant);
        expect(smsAllowedAt(next)).toBe(true);
        expect(next.getTime()).toBeGreaterThanOrEqual(instant.getTime());
        expect(next.getTime() - instant.getTime()).toBeLessThanOrEqual(13 * 3_600_000);
        if (next.getTime() !== instant.getTime()) expect(smsAllowedAt(new Date(next.getTime() - 1000))).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the SMS window comes from configuration', () => {
  it('reads "8-20", "off" and the default, and refuses nonsense', async () => {
    const { smsWindowFromEnv } = await import('../../shared/notifications/quiet-hours.js');
    expect(smsWindowFromEnv(undefined)).toEqual({ startHour: 8, endHour: 20 });
    expect(smsWindowFromEnv('9-19')).toEqual({ startHour: 9, endHour: 19 });
    expect(smsWindowFromEnv('off')).toBeNull();
    expect(() => smsWindowFromEnv('20-8')).toThrow(RangeError);
    expect(() => smsWindowFromEnv('nuit')).toThrow(RangeError);
  });
});
