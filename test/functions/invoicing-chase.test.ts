import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { useMessagingAndDocuments } from '../support/messaging.js';
import { lambdaContext } from '../support/events.js';
import { inDays } from '../support/activities.js';
import { individual, issueOneInvoice } from '../support/invoicing.js';
import { handler } from '../../functions/invoicing/chase.js';
import type { ChaseReport } from '../../shared/invoicing/chase.js';
import { getInvoice } from '../../shared/data/invoicing/invoices.js';
import { invoicePdfKey } from '../../shared/domain/invoicing/records.js';
import { putObject } from '../../shared/storage/objects.js';

/** DynamoDB Local, the local SES and the local S3 (the documents bucket as the stack declares it), by the real clients. */
const local = useMessagingAndDocuments();

const invoke = (event: unknown) => (handler as unknown as (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<ChaseReport>)(event, { ...lambdaContext('ChaseUnpaidInvoices'), getRemainingTimeInMillis: () => 60_000 });

describe('ChaseUnpaidInvoices, as the schedule invokes it', () => {
  it("reminds today's invoices whatever the event holds, once, and reports what it did", async () => {
    const email = `client.${randomUUID()}@example.org`;
    const { invoiceId } = await issueOneInvoice(local().doc, local().table, { grossCents: 7_500, dueDate: inDays(-7), issueDate: inDays(-37), customer: { ...individual(), email } });
    await putObject(invoicePdfKey({ invoiceId, number: (await getInvoice(invoiceId))!.number! }), Buffer.from('%PDF-1.7\n%%EOF\n'), 'application/pdf');

    // The scheduler's event (EventBridge Scheduler sends its input, here none) is not read: the day comes from the clock.
    const report = await invoke({ 'detail-type': 'Scheduled Event' });
    expect(report).toMatchObject({ complete: true, failed: 0 });
    expect(report.reminders).toBeGreaterThanOrEqual(1);
    expect(report.sent).toBeGreaterThanOrEqual(1);
    const again = await invoke({});
    expect(again.reminders).toBe(0);

    expect((await local().ses.listEmails()).filter((m) => m.to.includes(email))).toHaveLength(1);
    expect((await getInvoice(invoiceId))!.chase).toEqual(['first-reminder']);
  });
});
