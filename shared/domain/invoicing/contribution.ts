import { divideRoundHalfUp } from './amounts.js';

/**
 * The cooperative's contribution: its rate (basis points, set per activity within the programme's bounds) on the
 * month's revenue excluding VAT, rounded half up to the cent. For a collective activity the rest is the result of
 * the collective enterprise, and how it would be shared evenly among its members is shown to them (not paid out).
 */

/** @example contributionCents(123_45, 1000) // 1235 (10 % of 123,45 €, 12,345 rounded up) */
export function contributionCents(revenueExclVatCents: number, rateBps: number): number {
  if (!Number.isInteger(rateBps) || rateBps < 0 || rateBps > 10_000) throw new RangeError('rateBps must be whole basis points from 0 to 10000');
  return divideRoundHalfUp(revenueExclVatCents * rateBps, 10_000);
}

/** The month's revenue excluding VAT of an activity: its invoices less its credit notes. */
export function revenueExclVatCents(documents: ReadonlyArray<{ kind: 'invoice' | 'credit-note'; netCents: number }>): number {
  return documents.reduce((sum, doc) => sum + (doc.kind === 'credit-note' ? -doc.netCents : doc.netCents), 0);
}

export interface MemberShare {
  memberId: string;
  cents: number;
}

/**
 * `totalCents` split evenly among the members in their order: each gets the same whole cents, and the cents left
 * over go one each to the first members, so the shares add up to the total exactly.
 * @example evenSplit(1000, ['a', 'b', 'c']) // a 334, b 333, c 333
 */
export function evenSplit(totalCents: number, memberIds: readonly string[]): MemberShare[] {
  if (memberIds.length === 0) return [];
  const sign = totalCents < 0 ? -1 : 1;
  const abs = Math.abs(totalCents);
  const base = Math.floor(abs / memberIds.length);
  const remainder = abs - base * memberIds.length;
  return memberIds.map((memberId, index) => ({ memberId, cents: sign * (base + (index < remainder ? 1 : 0)) }));
}

export interface ContributionResult {
  revenueExclVatCents: number;
  rateBps: number;
  contributionCents: number;
  /** What remains after the contribution: the young person's, or the collective enterprise's result. */
  resultCents: number;
  /** Collective activities only: the result shared evenly among the members, in their order. */
  shares?: MemberShare[];
}

/** An activity's month: the contribution, and for a collective activity the result and its even split. */
export function monthContribution(input: { revenueExclVatCents: number; rateBps: number; collectiveMemberIds?: readonly string[] }): ContributionResult {
  const contribution = contributionCents(input.revenueExclVatCents, input.rateBps);
  const result: ContributionResult = {
    revenueExclVatCents: input.revenueExclVatCents,
    rateBps: input.rateBps,
    contributionCents: contribution,
    resultCents: input.revenueExclVatCents - contribution,
  };
  if (input.collectiveMemberIds) result.shares = evenSplit(result.resultCents, input.collectiveMemberIds);
  return result;
}
