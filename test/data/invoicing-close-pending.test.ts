import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { useMessagingAndDocuments } from '../support/messaging.js';
import { individual, line, seedActiveActivity } from '../support/invoicing.js';
import { claimInvoicingRun, getInvoicingRun } from '../../shared/data/invoicing-runs.js';
import { createCustomer } from '../../shared/data/invoicing/customers.js';
import { createDeclaration } from '../../shared/data/invoicing/declarations.js';
import { listMonthInvoices } from '../../shared/data/invoicing/invoices.js';
import { invoiceMailId } from '../../shared/domain/invoicing/run.js';
import { invoiceOutboxOwner } from '../../shared/domain/invoicing/records.js';
import { applyHolds, draftBatch, finishDrafting, finishRun, numberMonth, prepareDelivery, prepareRun, sendInvoices } from '../../shared/invoicing/run-steps.js';
import { keys } from '../../shared/keys.js';

/*
 * A month's run whose delivery batch was SIGKILLed between the claim of an invoice's e-mail and its mark (found by
 * `npm run kill-hunt`: a kill in the delivery map left the ledger at "done" with 40 of 82 e-mails counted sent, the
 * other 42 going two minutes later, when their lease ended). The close comes back while an invoice e-mail is pending:
 * the ledger is not closed under a live lease, and once the lease has ended the close sends the e-mail itself and counts
 * it. Step by step on DynamoDB Local, the local S3 and SES.
 */

const messaging = useMessagingAndDocuments();
const MONTH = '2032-03';

describe('closing a month whose delivery was killed mid-way', () => {
  it('waits while an invoice e-mail is claimed by a dead sender, then sends it and counts it sent', async () => {
    const { doc, table, ses } = messaging();
    const activityId = await seedActiveActivity(doc, table, { name: 'Jardins interrompus' });
    const customer = (await createCustomer({ activityId, customerId: `c-${randomUUID().slice(0, 8)}`, fields: { ...individual(), email: `client.${randomUUID()}@example.org` } })).customer;
    await createDeclaration({ activityId, declarationId: `d-${randomUUID()}`, fields: { customerId: customer.customerId, serviceDate: `${MONTH}-04`, lines: [line()] }, declaredBy: { referralId: 'r-x', name: 'Léa' } });
    await claimInvoicingRun({ month: MONTH, trigger: 'staff' });
    await prepareRun(MONTH, 'staff');
    await finishDrafting(MONTH, [await draftBatch(MONTH, [{ activityId }])]);
    await applyHolds(MONTH);
    for (let remaining = 1; remaining > 0; ) ({ remaining } = await numberMonth(MONTH));
    await prepareDelivery(MONTH);
    const [invoice] = (await listMonthInvoices(MONTH)).filter((i) => i.kind === 'invoice' && i.status === 'issued');
    await sendInvoices([invoice!.invoiceId]);
    const mails = async () => (await ses.listEmails()).filter((m) => m.to.includes(customer.email));
    expect(await mails()).toHaveLength(1);

    // The e-mail as a batch killed after its claim and before its mark leaves it: pending, attempt 1, its lease held
    // for two minutes by a sender that no longer runs, due again at the lease's end.
    const key = keys.notification(invoiceOutboxOwner(invoice!.invoiceId), invoiceMailId(invoice!.invoiceId));
    const leaseUntil = new Date(Date.now() + 120_000).toISOString();
    await doc.send(
      new UpdateCommand({
        TableName: table,
        Key: key,
        UpdateExpression: 'SET #status = :pending, leaseId = :lease, leaseUntil = :until, nextAttemptAt = :until, attempts = :one REMOVE sentAt, providerMessageId, sentAttachments',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':pending': 'pending', ':lease': 'killed-sender', ':until': leaseUntil, ':one': 1 },
      }),
    );

    // The close under the live lease: nothing sent again, the month not closed, the e-mail pending.
    expect(await finishRun(MONTH, { waitForMails: true })).toEqual({ issued: 1, sent: 0, held: 0, statements: 0, pending: 1 });
    expect((await getInvoicingRun(MONTH))!.status).toBe('sending');
    expect(await mails()).toHaveLength(1);

    // The lease over (as two minutes later): the close takes the e-mail, sends it (a second copy: at least once,
    // decision 6) and closes the month with it counted.
    const past = new Date(Date.now() - 1_000).toISOString();
    await doc.send(new UpdateCommand({ TableName: table, Key: key, UpdateExpression: 'SET leaseUntil = :past, nextAttemptAt = :past', ExpressionAttributeValues: { ':past': past } }));
    expect(await finishRun(MONTH, { waitForMails: true })).toEqual({ issued: 1, sent: 1, held: 0, statements: 0, pending: 0 });
    expect(await getInvoicingRun(MONTH)).toMatchObject({ status: 'done', counts: { issued: 1, sent: 1, statements: 0 } });
    expect(await mails()).toHaveLength(2);
    expect((await doc.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item).toMatchObject({ status: 'sent', attempts: 2 });
  }, 60_000);
});
