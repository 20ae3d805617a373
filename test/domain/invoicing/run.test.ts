import { describe, expect, it } from 'vitest';
import { addToMonth, CATCH_UP_MONTHS, isMonth, monthsToRun, previousParisMonth } from '../../../shared/domain/invoicing/run.js';

describe('invoicing run months', () => {
  it('adds months across years', () => {
    expect(addToMonth('2027-01', -1)).toBe('2026-12');
    expect(addToMonth('2026-12', 1)).toBe('2027-01');
    expect(addToMonth('2027-03', -15)).toBe('2025-12');
    expect(isMonth('2027-13')).toBe(false);
    expect(isMonth('2027-02')).toBe(true);
  });

  it('invoices the previous month in Paris', () => {
    // 1 March 00:30 in Paris is still 28 February in UTC.
    expect(previousParisMonth(new Date('2027-02-28T23:30:00Z'))).toBe('2027-02');
    expect(previousParisMonth(new Date('2027-01-01T05:00:00Z'))).toBe('2026-12');
  });

  it('catches up the months missed since the last run, bounded and never before the first month', () => {
    const now = new Date('2027-04-01T04:00:00Z');
    expect(monthsToRun({ now })).toEqual(['2027-03']);
    expect(monthsToRun({ now, lastRunMonth: '2027-03' })).toEqual([]);
    expect(monthsToRun({ now, lastRunMonth: '2027-02' })).toEqual(['2027-03']);
    expect(monthsToRun({ now, lastRunMonth: '2027-01' })).toEqual(['2027-02', '2027-03']);
    expect(monthsToRun({ now, lastRunMonth: '2020-01' })).toHaveLength(CATCH_UP_MONTHS);
    expect(monthsToRun({ now, lastRunMonth: '2020-01', firstMonth: '2027-01' })).toEqual(['2027-01', '2027-02', '2027-03']);
    expect(monthsToRun({ now, firstMonth: '2027-05' })).toEqual([]);
  });
});
