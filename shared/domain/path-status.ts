import type { PathStatus, ReferralStatus } from './referral.js';

/**
 * A young person's path status, derived from the status of every one of their referrals (later stages add theirs).
 * No referral overwrites another: an accepted young person who is referred again, and refused this time, stays accepted.
 *
 * Precedence, first wins:
 * 1. accepted on any referral: the person is in the cooperative ("Acceptée, accueil à démarrer");
 * 2. a referral waiting for a decision: staff have something to decide;
 * 3. a referral on the waiting list: a place may come;
 * 4. only refusals, expiries and paths closed by staff: not admitted.
 */
export const PATH_STATUS_PRECEDENCE: readonly PathStatus[] = ['onboarding-to-start', 'referred', 'waitlisted', 'not-admitted'];

/** What one referral's status says of the path, on its own. */
export function pathStatusOfReferral(status: ReferralStatus): PathStatus {
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
 * @example derivePathStatus([]) // 'referred' (a person exists only through a referral being recorded)
 */
export function derivePathStatus(referralStatuses: Iterable<ReferralStatus>): PathStatus {
  let best = PATH_STATUS_PRECEDENCE.length - 1;
  let any = false;
  for (const status of referralStatuses) {
    any = true;
    best = Math.min(best, PATH_STATUS_PRECEDENCE.indexOf(pathStatusOfReferral(status)));
  }
  return any ? PATH_STATUS_PRECEDENCE[best] : 'referred';
}
