import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PATH_STATUS_PRECEDENCE, derivePathStatus } from '../../shared/domain/path-status.js';
import { REFERRAL_STATUSES } from '../../shared/domain/referral.js';

describe('the path status is derived from every referral, never from the last one written', () => {
  it('keeps an accepted young person accepted when a new referral is refused, or expires', () => {
    expect(derivePathStatus(['accepted', 'refused'])).toBe('onboarding-to-start');
    expect(derivePathStatus(['accepted', 'expired'])).toBe('onboarding-to-start');
    expect(derivePathStatus(['accepted', 'pending'])).toBe('onboarding-to-start');
  });

  it('says "referred" while a decision is awaited, unless the person is already accepted', () => {
    expect(derivePathStatus(['refused', 'pending'])).toBe('referred');
    expect(derivePathStatus(['waitlisted', 'pending'])).toBe('referred');
  });

  it('puts the waiting list before refusals and expiries', () => {
    expect(derivePathStatus(['refused', 'waitlisted', 'expired'])).toBe('waitlisted');
  });

  it('says "not admitted" only when every referral was refused or expired', () => {
    expect(derivePathStatus(['refused', 'expired'])).toBe('not-admitted');
    expect(derivePathStatus(['expired'])).toBe('not-admitted');
  });

  it('does not depend on the order of the referrals', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...REFERRAL_STATUSES), { minLength: 1, maxLength: 6 }), (statuses) => {
        expect(derivePathStatus([...statuses].reverse())).toBe(derivePathStatus(statuses));
        // The result is the highest in precedence of what each referral says alone.
        const alone = statuses.map((s) => PATH_STATUS_PRECEDENCE.indexOf(derivePathStatus([s])));
        expect(derivePathStatus(statuses)).toBe(PATH_STATUS_PRECEDENCE[Math.min(...alone)]);
      }),
    );
  });
});
