import { describe, expect, it } from 'vitest';
import { chaseDates, dueChaseSteps, dueDate, isLate, paymentMentions, paymentTermsText } from '../../../shared/domain/invoicing/terms.js';
import { contributionCents, evenSplit, monthContribution, revenueExclVatCents } from '../../../shared/domain/invoicing/contribution.js';

describe('payment terms and the chase', () => {
  it('counts calendar days from the issue date', () => {
    expect(dueDate('2027-01-31')).toBe('2027-03-02');
    expect(dueDate('2027-12-15', 45)).toBe('2028-01-29');
    expect(() => dueDate('2027-01-01', 61)).toThrow(RangeError);
    expect(chaseDates('2027-03-02')).toEqual({ 'first-reminder': '2027-03-09', 'second-reminder': '2027-04-01', late: '2027-04-16' });
  });

  it('reminds at due + 7 and + 30, then flags late at + 45 while unpaid', () => {
    const due = '2027-03-02';
    expect(dueChaseSteps(due, '2027-03-08', 1000)).toEqual([]);
    expect(dueChaseSteps(due, '2027-03-09', 1000)).toEqual(['first-reminder']);
    expect(dueChaseSteps(due, '2027-03-20', 1000, ['first-reminder'])).toEqual([]);
    expect(dueChaseSteps(due, '2027-04-01', 1000, ['first-reminder'])).toEqual(['second-reminder']);
    expect(dueChaseSteps(due, '2027-04-16', 1000, ['first-reminder', 'second-reminder'])).toEqual(['late']);
    expect(dueChaseSteps(due, '2027-04-20', 1000, ['first-reminder', 'second-reminder', 'late'])).toEqual([]);
    expect(dueChaseSteps(due, '2027-05-01', 0)).toEqual([]);
    expect(isLate(due, '2027-04-15', 1)).toBe(false);
    expect(isLate(due, '2027-04-16', 1)).toBe(true);
    expect(isLate(due, '2027-04-16', 0)).toBe(false);
  });

  it('catches up once after days without a run: only the latest reminder goes, the late flag when due', () => {
    const due = '2027-03-02';
    expect(dueChaseSteps(due, '2027-04-05', 1000)).toEqual(['second-reminder']);
    expect(dueChaseSteps(due, '2027-04-20', 1000)).toEqual(['second-reminder', 'late']);
    expect(dueChaseSteps(due, '2027-04-20', 1000, ['first-reminder'])).toEqual(['second-reminder', 'late']);
    // A first reminder skipped by the catch-up never comes later.
    expect(dueChaseSteps(due, '2027-04-20', 1000, ['second-reminder'])).toEqual(['late']);
    expect(dueChaseSteps(due, '2027-06-01', 1000, ['second-reminder', 'late'])).toEqual([]);
  });

  it('gives businesses the late penalties and the 40 € indemnity, not individuals', () => {
    expect(paymentTermsText('2027-03-02', 30)).toBe('Paiement à 30 jours, au plus tard le 02/03/2027.');
    const business = paymentMentions('business').join(' ');
    expect(business).toContain('trois fois le taux d’intérêt légal');
    expect(business).toContain('indemnité forfaitaire pour frais de recouvrement de 40 €');
    expect(business).toContain('D441-5');
    expect(paymentMentions('individual').join(' ')).not.toContain('40 €');
  });
});

describe('the contribution', () => {
  it('rounds half up the rate on the revenue excluding VAT', () => {
    expect(contributionCents(12345, 1000)).toBe(1235);
    expect(contributionCents(12344, 1000)).toBe(1234);
    expect(contributionCents(100001, 800)).toBe(8000);
    expect(revenueExclVatCents([{ kind: 'invoice', netCents: 5000 }, { kind: 'credit-note', netCents: 1500 }])).toBe(3500);
  });

  it('splits a collective result evenly, the remainder cents to the first members', () => {
    expect(evenSplit(1001, ['a', 'b', 'c'])).toEqual([{ memberId: 'a', cents: 334 }, { memberId: 'b', cents: 334 }, { memberId: 'c', cents: 333 }]);
    const month = monthContribution({ revenueExclVatCents: 100_00, rateBps: 1000, collectiveMemberIds: ['a', 'b', 'c'] });
    expect(month).toMatchObject({ contributionCents: 10_00, resultCents: 90_00 });
    expect(month.shares!.reduce((s, m) => s + m.cents, 0)).toBe(90_00);
    expect(monthContribution({ revenueExclVatCents: 100_00, rateBps: 1000 }).shares).toBeUndefined();
  });
});
