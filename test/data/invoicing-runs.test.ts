import { beforeAll, describe, expect, it } from 'vitest';
import { useFreshAppTable } from '../support/dynamodb.js';
import { claimInvoicingRun, getInvoicingRun, listInvoicingRuns, recordRunProgress } from '../../shared/data/invoicing-runs.js';

beforeAll(async () => {
  await useFreshAppTable();
});

describe('invoicing runs ledger', () => {
  it('claims a month once: a second claim gets the run that holds it', async () => {
    const first = await claimInvoicingRun({ month: '2031-01', trigger: 'schedule', now: new Date('2031-02-01T05:00:00Z') });
    expect(first.claimed).toBe(true);
    expect(first.run).toMatchObject({ month: '2031-01', status: 'drafting', trigger: 'schedule', executionName: 'invoicing-2031-01' });
    const again = await claimInvoicingRun({ month: '2031-01', trigger: 'staff' });
    expect(again.claimed).toBe(false);
    expect(again.run.trigger).toBe('schedule');
    expect(await getInvoicingRun('2031-01')).toMatchObject({ trigger: 'schedule', counts: { activities: 0, invoices: 0 } });
  });

  it('lists the runs newest month first', async () => {
    await claimInvoicingRun({ month: '2030-11', trigger: 'catch-up' });
    await claimInvoicingRun({ month: '2030-12', trigger: 'catch-up' });
    expect((await listInvoicingRuns()).map((r) => r.month)).toEqual(['2031-01', '2030-12', '2030-11']);
    expect((await listInvoicingRuns({ limit: 1 })).map((r) => r.month)).toEqual(['2031-01']);
  });

  it('moves a status forward only, and sets counts and the approval', async () => {
    await recordRunProgress('2030-11', { status: 'awaiting-validation', approvalId: 'ap-1', counts: { activities: 3, invoices: 5 } });
    await recordRunProgress('2030-11', { status: 'sending', counts: { issued: 4 } });
    // A retried step of an earlier stage: its counts are kept, the status stays.
    const run = await recordRunProgress('2030-11', { status: 'numbering', counts: { held: 1 } });
    expect(run).toMatchObject({ status: 'sending', approvalId: 'ap-1', counts: { activities: 3, invoices: 5, held: 1, issued: 4, sent: 0 } });
    const done = await recordRunProgress('2030-11', { status: 'done' });
    expect(done.finishedAt).toBeDefined();
    await expect(recordRunProgress('2019-01', { status: 'done' })).rejects.toThrow(/no invoicing run/);
  });
});
