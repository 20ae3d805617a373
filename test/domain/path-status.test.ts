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

  it('puts an active activity first, then a launch awaiting approval, then readiness for the launch', () => {
    expect(PATH_STATUS_PRECEDENCE.slice(0, 3)).toEqual(['activity-active', 'launch-submitted', 'launch-ready']);
    const accepted = (onboarding: 'launch-ready' | 'launch-submitted' | 'activity-active' | 'onboarding') => ({ status: 'accepted' as const, onboarding });
    // A Jeunes Majeurs member whose personal activity is launched while another path is still being onboarded.
    expect(derivePathStatus([accepted('onboarding'), accepted('activity-active'), 'pending'])).toBe('activity-active');
    expect(derivePathStatus([accepted('launch-ready'), accepted('launch-submitted')])).toBe('launch-submitted');
    expect(derivePathStatus([accepted('launch-submitted'), 'refused'])).toBe('launch-submitted');
    // A refused referral's recorded onboarding status says nothing: only an accepted one's counts.
    expect(derivePathStatus([{ status: 'refused', onboarding: 'activity-active' }])).toBe('not-admitted');
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
