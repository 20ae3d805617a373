/**
 * The monthly invoicing run's rules (the data is in shared/data/invoicing-runs.ts, the workflow in
 * workflows/monthly-invoicing.ts): which months a firing of the schedule invoices, and what the run's ledger holds.
 * Months are YYYY-MM in Europe/Paris.
 */

import { parisDate } from '../time.js';

export const RUN_STATUSES = ['drafting', 'awaiting-validation', 'numbering', 'sending', 'done'] as const;
export type InvoicingRunStatus = (typeof RUN_STATUSES)[number];

/** What started a month's run: the monthly schedule, the schedule catching up a missed month, or staff. */
export const RUN_TRIGGERS = ['schedule', 'catch-up', 'staff'] as const;
export type InvoicingRunTrigger = (typeof RUN_TRIGGERS)[number];

export interface InvoicingRunCounts {
  activities: number;
  invoices: number;
  held: number;
  issued: number;
  sent: number;
  failedActivities: number;
}

/** The ledger item of a month's run: claimed once, never run again. */
export interface InvoicingRunRecord {
  month: string;
  status: InvoicingRunStatus;
  trigger: InvoicingRunTrigger;
  startedAt: string;
  executionName: string;
  counts: InvoicingRunCounts;
  /** The staff validation of the month's batch, while and after it waits. */
  approvalId?: string;
  finishedAt?: string;
  updatedAt: string;
}

/** How far back a firing of the schedule catches up missed months (the month it invoices included). */
export const CATCH_UP_MONTHS = 12;

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** True for a real month written YYYY-MM. */
export const isMonth = (value: string): boolean => MONTH.test(value);

/**
 * The month `count` months after `month` (before it when negative).
 * @example addToMonth('2027-01', -1) // '2026-12'
 */
export function addToMonth(month: string, count: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const index = y * 12 + (m - 1) + count;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** The month before the one of `instant` in Paris: what a firing of the schedule invoices. */
export const previousParisMonth = (instant: Date): string => addToMonth(parisDate(instant).slice(0, 7), -1);

/** The execution name of a month's run: deterministic, so a month is one execution whoever starts it. */
export const invoicingExecutionName = (month: string) => `invoicing-${month}`;

/**
 * The months a firing of the schedule at `now` runs, oldest first: the previous Paris month and every month missed
 * since the last month in the ledger (`lastRunMonth`), at most `CATCH_UP_MONTHS` in all and never before
 * `firstMonth` (the first month invoiced by this system). With no run in the ledger, only the previous month (and
 * none before `firstMonth`). Months already claimed are skipped by the ledger, not here.
 * @example monthsToRun({ now: new Date('2027-04-01T04:00:00Z'), lastRunMonth: '2027-01' }) // ['2027-02', '2027-03']
 */
export function monthsToRun(input: { now: Date; lastRunMonth?: string; firstMonth?: string }): string[] {
  const target = previousParisMonth(input.now);
  const floor = [addToMonth(target, -(CATCH_UP_MONTHS - 1)), input.firstMonth && isMonth(input.firstMonth) ? input.firstMonth : ''].sort().at(-1)!;
  const from = input.lastRunMonth ? [addToMonth(input.lastRunMonth, 1), floor].sort().at(-1)! : [target, floor].sort().at(-1)!;
  const months: string[] = [];
  for (let month = from; month <= target; month = addToMonth(month, 1)) months.push(month);
  return months;
}

export const emptyRunCounts = (): InvoicingRunCounts => ({ activities: 0, invoices: 0, held: 0, issued: 0, sent: 0, failedActivities: 0 });
