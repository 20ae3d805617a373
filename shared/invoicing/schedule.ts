import { listInvoicingRuns } from '../data/invoicing-runs.js';
import { monthsToRun, previousParisMonth, type InvoicingRunTrigger } from '../domain/invoicing/run.js';
import { logger } from '../observability.js';
import { startInvoicingRun } from '../workflows.js';

type StartRun = (input: { month: string; trigger: InvoicingRunTrigger }) => Promise<{ started: 'now' | 'already' }>;

/**
 * A firing of the monthly schedule at `now`: the previous Paris month, and every month missed since the last run in
 * the ledger (at most 12 back, never before INVOICING_FIRST_MONTH), oldest first. Each is claimed once in the ledger
 * and runs under its deterministic execution name (`startInvoicingRun`), so a repeated firing starts nothing; the
 * last month claimed but still drafting is started again, in case a crash lost its start (a running one answers
 * `already`).
 */
export async function fireInvoicingSchedule(now: Date = new Date(), start: StartRun = startInvoicingRun): Promise<{ months: string[]; started: string[] }> {
  const [last] = await listInvoicingRuns({ limit: 1 });
  const missed = monthsToRun({ now, lastRunMonth: last?.month, firstMonth: process.env.INVOICING_FIRST_MONTH });
  const months = last?.status === 'drafting' ? [last.month, ...missed] : missed;
  const target = previousParisMonth(now);
  const started: string[] = [];
  for (const month of months) {
    const result = await start({ month, trigger: month === target ? 'schedule' : 'catch-up' });
    if (result.started === 'now') started.push(month);
  }
  logger.info('invoicing schedule fired', { months, started });
  return { months, started };
}
