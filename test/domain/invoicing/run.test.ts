import { describe, expect, it } from 'vitest';
import { addToMonth, CATCH_UP_MONTHS, EARLIEST_INVOICING_MONTH, invoiceHistory, invoiceMailId, invoicingMonthRefusal, isMonth, monthsToRun, previousParisMonth } from '../../../shared/domain/invoicing/run.js';
import type { InvoiceEvent } from '../../../shared/domain/invoicing/records.js';

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

  it('lets staff start a month from January 2000 to the last month over in Paris, and every month the schedule starts', () => {
    // 1 March 00:30 in Paris (28 February in UTC): February is over.
    const now = new Date('2027-02-28T23:30:00Z');
    expect(EARLIEST_INVOICING_MONTH).toBe('2000-01');
    for (const month of ['2000-01', '2015-06', '2026-11', '2027-01', '2027-02']) expect([month, invoicingMonthRefusal(month, now)]).toEqual([month, undefined]);
    for (const month of ['0001-01', '1000-05', '1999-12']) {
      expect([month, invoicingMonthRefusal(month, now)]).toEqual([month, { message: 'Ce mois est trop ancien : la facturation se lance pour un mois de janvier 2000 à février 2027.', field: 'Un mois depuis janvier 2000, au format AAAA-MM.' }]);
    }
    for (const month of ['2027-03', '2027-04', '9999-12']) {
      expect([month, invoicingMonthRefusal(month, now)]).toEqual([month, { message: 'Seul un mois terminé se facture : février 2027 au plus tard.', field: 'Un mois passé, au format AAAA-MM.' }]);
    }
    // Whatever the schedule's firing starts (the previous month, the missed ones) is allowed at that moment.
    for (const at of ['2027-04-01T04:00:00Z', '2030-01-01T05:00:00Z', '2026-12-01T05:00:00Z']) {
      const firing = new Date(at);
      for (const month of monthsToRun({ now: firing, lastRunMonth: '2020-01' })) expect([at, month, invoicingMonthRefusal(month, firing)]).toEqual([at, month, undefined]);
    }
  });
});

describe("an invoice's history as its readers show it", () => {
  const issued: InvoiceEvent[] = [
    { at: '2027-03-01T05:00:00.000Z', event: 'drafted' },
    { at: '2027-03-02T08:00:00.000Z', event: 'issued', detail: '2027-000001' },
    { at: '2027-03-09T10:00:00.000Z', event: 'payment', detail: '1000' },
  ];
  const invoice = { invoiceId: 'inv-1', history: issued };

  it('says `sent` when its e-mail was marked sent, in time order, from that message only', () => {
    const mails = [
      { notificationId: 'resend#invoice#x#customer#email', sentAt: '2027-03-05T10:00:00.000Z' },
      { notificationId: invoiceMailId('inv-1'), sentAt: '2027-03-02T08:00:00.000Z' },
    ];
    expect(invoiceHistory(invoice, mails).map((e) => e.event)).toEqual(['drafted', 'issued', 'sent', 'payment']);
    expect(invoiceHistory(invoice, mails)[2]).toEqual({ at: '2027-03-02T08:00:00.000Z', event: 'sent' });
    // The latest event: last.
    expect(invoiceHistory(invoice, [{ notificationId: invoiceMailId('inv-1'), sentAt: '2027-03-10T00:00:00.000Z' }]).at(-1)!.event).toBe('sent');
  });

  it('says nothing of an e-mail not sent yet, nor of a re-send, and keeps a `sent` stored before decision 42 once', () => {
    expect(invoiceHistory(invoice, [{ notificationId: invoiceMailId('inv-1') }])).toEqual(issued);
    expect(invoiceHistory(invoice, [{ notificationId: 'resend#invoice#x#customer#email', sentAt: '2027-03-05T10:00:00.000Z' }])).toEqual(issued);
    const stored = { invoiceId: 'inv-1', history: [...issued, { at: '2027-03-02T08:00:01.000Z', event: 'sent' as const }] };
    expect(invoiceHistory(stored, [{ notificationId: invoiceMailId('inv-1'), sentAt: '2027-03-02T08:00:01.000Z' }]).filter((e) => e.event === 'sent')).toHaveLength(1);
  });
});
