import type { OnboardingPathStatus, PathStatus, ReferralStatus } from './referral.js';

/**
 * A young person's path status, derived from every one of their referrals: each referral's own status, or, once
 * its onboarding started, the onboarding's. No referral overwrites another: an accepted young person who is
 * referred again, and refused this time, stays accepted.
 *
 * Precedence, first wins:
 * 1. an activity launched (active) on any path;
 * 2. a launch file submitted, awaiting the staff's approval;
 * 3. ready for the activity launch;
 * 4. an onboarding under way;
 * 5. accepted, onboarding not started yet ("Acceptée, accueil à démarrer");
 * 6. a referral waiting for a decision: staff have something to decide;
 * 7. a referral on the waiting list: a place may come;
 * 8. an onboarding stopped: the person was admitted, then the path ended;
 * 9. only refusals, expiries and paths closed by staff: not admitted.
 */
export const PATH_STATUS_PRECEDENCE: readonly PathStatus[] = [
  'activity-active',
  'launch-submitted',
  'launch-ready',
  'onboarding',
  'onboarding-to-start',
  'referred',
  'waitlisted',
  'onboarding-ended',
  'not-admitted',
];

/** One referral's statuses: its own, and its onboarding's once started. */
export interface ReferralPath {
  status: ReferralStatus;
  onboarding?: OnboardingPathStatus;
}

/** What one referral's status says of the path, on its own. */
export function pathStatusOfReferral(status: ReferralStatus, onboarding?: OnboardingPathStatus): PathStatus {
  if (status === 'accepted' && onboarding) return onboarding;
  switch (status) {
    case 'accepted':
      return 'onboarding-to-start';
    case 'pending':
      return 'referred';
    case 'waitlisted':
      return 'waitlisted';
    case 'refused':
    case 'expired':
    case 'closed':
      return 'not-admitted';
  }
}

/**
 * @example derivePathStatus(['accepted', 'refused']) // 'onboarding-to-start'
 * @example derivePathStatus([{ status: 'accepted', onboarding: 'onboarding' }, 'pending']) // 'onboarding'
 * @example derivePathStatus([]) // 'referred' (a person exists only through a referral being recorded)
 */
export function derivePathStatus(referrals: Iterable<ReferralStatus | ReferralPath>): PathStatus {
  let best = PATH_STATUS_PRECEDENCE.length - 1;
  let any = false;
  for (const referral of referrals) {
    any = true;
    const path = typeof referral === 'string' ? { status: referral } : referral;
    best = Math.min(best, PATH_STATUS_PRECEDENCE.indexOf(pathStatusOfReferral(path.status, path.onboarding)));
  }
  return any ? PATH_STATUS_PRECEDENCE[best] : 'referred';
}
