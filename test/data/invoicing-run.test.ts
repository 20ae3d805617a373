import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { useLocalMessaging, type LocalMessaging } from '../support/messaging.js';
import { startDocumentsS3, type DocumentsS3 } from '../support/documents-s3.js';
import { launchReadyReferral } from '../support/activities.js';
import { apiEvent, lambdaContext } from '../support/events.js';
import { staffCamille } from '../support/fixtures.js';
import { business, draftFor, individual, issueOneInvoice, line, seedActiveActivity } from '../support/invoicing.js';
import { pdfText } from '../support/pdf-text.js';
import { decide, getApprovalRecord, openApproval, takeDecision } from '../../shared/data/approvals.js';
import { invoicingBatches } from '../../shared/data/invoicing-batches.js';
import { claimInvoicingRun, getInvoicingRun } from '../../shared/data/invoicing-runs.js';
import { createCustomer } from '../../shared/data/invoicing/customers.js';
import { createDeclaration } from '../../shared/data/invoicing/declarations.js';
import { draftMonthInvoices, getInvoice, listMonthInvoices } from '../../shared/data/invoicing/invoices.js';
import { checkNumberContinuity, issueNumbers, readNumberBlocks } from '../../shared/data/invoicing/numbering.js';
import { recordPayment } from '../../shared/data/invoicing/payments.js';
import { getStatement } from '../../shared/data/invoicing/statements.js';
import { InvalidInputError } from '../../shared/domain/errors.js';
import { invoiceHistory, invoiceMailCause } from '../../shared/domain/invoicing/run.js';
import { invoiceMails } from '../../shared/invoicing/resend.js';
import { statementPdfKey } from '../../shared/domain/invoicing/statement.js';
import { invoiceOutboxOwner, invoicePdfKey, type CustomerFields } from '../../shared/domain/invoicing/records.js';
import { applyHolds, deliveryBatch, draftBatch, finishDrafting, finishRun, issueReleasedInvoice, numberMonth, prepareDelivery, prepareRun, runListKey, sendInvoices, type DeliveryTarget } from '../../shared/invoicing/run-steps.js';
import { fireInvoicingSchedule } from '../../shared/invoicing/schedule.js';
import { keys } from '../../shared/keys.js';
import { readObject } from '../../shared/storage/objects.js';
import { handler as staffInvoicingApi } from '../../functions/invoicing/staff-api.js';

/** A month's run step by step on DynamoDB Local, the local SES and the local S3: every step run twice, as a retry would. */
let messaging: LocalMessaging;
let documents: DocumentsS3;
let doc: DynamoDBDocumentClient;
let table: string;

beforeAll(async () => {
  documents = await startDocumentsS3();
  messaging = await useLocalMessaging();
  ({ doc, table } = messaging);
});
afterAll(async () => {
  await messaging?.stop();
  await documents?.stop();
});

const MONTH = '2031-03';
const staff = { kind: 'staff' as const, id: 'staff-camille', name: 'Camille Martin' };

async function customer(activityId: string, fields: CustomerFields) {
  return (await createCustomer({ activityId, customerId: `c-${randomUUID().slice(0, 8)}`, fields: { ...fields, email: `client.${randomUUID()}@example.org` } })).customer;
}
const declare = (activityId: string, customerId: string, serviceDate: string) =>
  createDeclaration({ activityId, declarationId: `d-${randomUUID()}`, fields: { customerId, serviceDate, lines: [line()] }, declaredBy: { referralId: 'r-x', name: 'Léa' } });

const mailsTo = async (to: string) => (await messaging.ses.listEmails()).filter((m) => m.to.includes(to));

describe('the monthly run, step by step', () => {
  it('drafts, waits for one validation with a held invoice, numbers contiguously, sends the PDFs, and issues the held one later', async () => {
    const referral = await launchReadyReferral(doc, table);
    const first = await seedActiveActivity(doc, table, { members: [{ personId: referral.personId, referralId: referral.referralId, name: 'Inès' }] });
    const second = await seedActiveActivity(doc, table, { name: 'Couture Leroy' });
    const idle = await seedActiveActivity(doc, table, { name: 'Sans déclaration' });
    const [jeanne, dupont, lucie] = [await customer(first, individual()), await customer(first, business()), await customer(second, individual('Lucie Leroy'))];
    await declare(first, jeanne.customerId, '2031-03-04');
    await declare(first, jeanne.customerId, '2031-03-18');
    await declare(first, dupont.customerId, '2031-03-10');
    await declare(second, lucie.customerId, '2031-03-21');
    await claimInvoicingRun({ month: MONTH, trigger: 'staff' });

    // The activities listed once for the map (a retry keeps the first list).
    const prepared = await prepareRun(MONTH, 'staff');
    expect(prepared.activities).toBe(3);
    expect(await prepareRun(MONTH, 'staff')).toMatchObject({ key: runListKey(MONTH, 'activities'), activities: 3 });
    const listed = JSON.parse(Buffer.from((await readObject(prepared.key))!).toString('utf8')) as Array<{ activityId: string }>;
    expect(listed.map((i) => i.activityId).sort()).toEqual([first, second, idle].sort());

    // One batch drafted twice: the same three invoices.
    expect(await draftBatch(MONTH, [first, second, idle])).toEqual({ activities: 3, invoices: 3 });
    expect(await draftBatch(MONTH, [first, second, idle])).toEqual({ activities: 3, invoices: 3 });
    const drafts = await listMonthInvoices(MONTH);
    expect(drafts.map((i) => i.status)).toEqual(['draft', 'draft', 'draft']);
    const jeanneInvoice = drafts.find((i) => i.customer.customerId === jeanne.customerId)!;
    expect(jeanneInvoice.lines.map((l) => l.serviceDate)).toEqual(['2031-03-04', '2031-03-18']);
    expect(await finishDrafting(MONTH, [{ activities: 3, invoices: 3 }])).toEqual({ invoices: 3, failedActivities: 0 });
    expect(await finishDrafting(MONTH, [{ activities: 2, invoices: 2 }, { Error: 'States.TaskFailed' }])).toEqual({ invoices: 3, failedActivities: 1 });
    await finishDrafting(MONTH, [{ activities: 3, invoices: 3 }]);
    expect(await getInvoicingRun(MONTH)).toMatchObject({ status: 'awaiting-validation', counts: { activities: 3, invoices: 3, failedActivities: 0 } });

    // One staff validation of the batch: a subject-only approval (no person), in the inbox.
    const opened = await openApproval(invoicingBatches, { subjectId: MONTH, phase: 'initial', taskToken: 'token-1', appBaseUrl: '' });
    if (opened.state !== 'waiting') throw new Error('the batch should wait');
    const approvalId = opened.approval.approvalId;
    const stored = await doc.send(new GetCommand({ TableName: table, Key: keys.approval(approvalId) }));
    expect(stored.Item).toMatchObject({ kind: 'invoicing-batch', personId: '', referralId: '', gsi1pk: 'INBOX#APPROVAL', invoicingRun: { month: MONTH, invoices: 3, activities: 3 } });
    expect((await getInvoicingRun(MONTH))!.approvalId).toBe(approvalId);

    const bad = decide(invoicingBatches, { approvalId, decision: { outcome: 'approve', held: [{ invoiceId: 'inv-unknown', reason: 'Erreur' }] }, actor: staff });
    await expect(bad).rejects.toBeInstanceOf(InvalidInputError);
    await expect(bad).rejects.toMatchObject({ errors: [{ field: 'held.0.invoiceId', message: "Cette facture n'est pas une facture de ce mois." }] });
    expect((await getApprovalRecord(approvalId))!.status).toBe('open');

    const reason = "L'adresse du client est incomplète : ajoutez le numéro de rue.";
    await decide(invoicingBatches, { approvalId, decision: { outcome: 'approve', held: [{ invoiceId: jeanneInvoice.invoiceId, reason }] }, actor: staff });
    expect((await takeDecision(invoicingBatches, MONTH)).decision.outcome).toBe('approve');

    // The held invoice held once, its member told once.
    expect(await applyHolds(MONTH)).toEqual({ held: 1, told: 1 });
    expect(await applyHolds(MONTH)).toEqual({ held: 1, told: 0 });
    const held = (await getInvoice(jeanneInvoice.invoiceId))!;
    expect(held).toMatchObject({ status: 'held', holdReason: reason });
    expect(held.history.filter((e) => e.event === 'held')).toHaveLength(1);
    const told = await mailsTo(referral.youngPerson.email);
    expect(told).toHaveLength(1);
    expect(told[0]!.subject).toBe('Facture de mars 2031 mise en attente : Jardins de Lens');
    expect(told[0]!.text).toContain(reason);

    // Numbered in one continuous sequence, one chunk of one invoice per step as the stage's setting says (the
    // workflow calls again while some remain); a further call numbers nothing more.
    process.env.INVOICING_NUMBERING = JSON.stringify({ chunkInvoices: 1, chunksPerStep: 1 });
    try {
      expect(await numberMonth(MONTH)).toEqual({ remaining: 1, issued: 1 });
      expect(await numberMonth(MONTH)).toEqual({ remaining: 0, issued: 2 });
      expect(await numberMonth(MONTH)).toEqual({ remaining: 0, issued: 2 });
    } finally {
      delete process.env.INVOICING_NUMBERING;
    }
    const issued = (await listMonthInvoices(MONTH)).filter((i) => i.status === 'issued');
    const year = issued[0]!.number!.slice(0, 4);
    expect(issued.map((i) => i.number).sort()).toEqual([`${year}-000001`, `${year}-000002`]);
    expect(await checkNumberContinuity(year, { invoices: true })).toMatchObject({ problems: [] });
    expect((await readNumberBlocks(year)).map((b) => b.count)).toEqual([1, 1]);

    // The delivery (decision 45): one list by activity, each with its invoices the month's batch issued (not the held
    // one) and what its statement reads. An activity no longer active, paid this month for an earlier invoice, is
    // listed for its statement, with nothing to send.
    const closed = await issueOneInvoice(doc, table, { grossCents: 5_000, month: '2031-01', issueDate: '2031-02-01', dueDate: '2031-03-03' });
    await recordPayment({ invoiceId: closed.invoiceId, paymentId: `p-${randomUUID()}`, amountCents: 5_000, date: `${MONTH}-05`, means: 'virement', by: { id: staff.id, name: staff.name } });
    const delivery = await prepareDelivery(MONTH);
    expect(delivery).toMatchObject({ key: runListKey(MONTH, 'delivery'), activities: 4, invoices: 2 });
    const items = JSON.parse(Buffer.from((await readObject(delivery.key))!).toString('utf8')) as DeliveryTarget[];
    expect(items.map((i) => i.activityId).sort()).toEqual([first, second, idle, closed.activityId].sort());
    expect(items.flatMap((i) => i.send ?? []).sort()).toEqual(issued.map((i) => i.invoiceId).sort());
    expect(items.find((i) => i.activityId === closed.activityId)).toMatchObject({ send: [], paid: true });
    expect(items.find((i) => i.activityId === idle)).toMatchObject({ send: [], invoiceIds: [], paid: false });
    expect(await getInvoicingRun(MONTH)).toMatchObject({ status: 'sending', counts: { issued: 2 } });
    // A batch (the closed activity's left for later) sends each invoice once, with its PDF, and issues the statements
    // once; a repeat sends and issues nothing. An activity without its list of invoices to send has them queried.
    const batch = items.filter((i) => i.activityId !== closed.activityId);
    expect(await deliveryBatch(MONTH, batch)).toEqual({ activities: 3, invoices: 2, sent: 2, statementsSent: 1 });
    expect(await deliveryBatch(MONTH, batch)).toEqual({ activities: 3, invoices: 2, sent: 0, statementsSent: 0 });
    const { send: _send, ...secondUnlisted } = items.find((i) => i.activityId === second)!;
    expect(await deliveryBatch(MONTH, [secondUnlisted])).toEqual({ activities: 1, invoices: 1, sent: 0, statementsSent: 0 });
    for (const invoice of issued) {
      const mails = await mailsTo(invoice.customer.email);
      expect(mails).toHaveLength(1);
      expect(mails[0]!.subject).toBe(`Facture ${invoice.number} - ${invoice.activityId === first ? 'Jardins de Lens' : 'Couture Leroy'}`);
      expect(mails[0]!.attachments?.map((a) => a.fileName)).toEqual([`facture-${invoice.number}.pdf`]);
      // `sent` read from the e-mail's mark: the issued invoice itself is not written again (decision 42).
      const after = (await getInvoice(invoice.invoiceId))!;
      expect(after).toEqual(invoice);
      const message = await doc.send(
        new GetCommand({ TableName: table, Key: keys.notification(invoiceOutboxOwner(invoice.invoiceId), `${invoiceMailCause(invoice.invoiceId)}#customer#email`) }),
      );
      expect(message.Item).toMatchObject({ status: 'sent', sentAttachments: [expect.objectContaining({ contentType: 'application/pdf' })] });
      expect(invoiceHistory(after, await invoiceMails(invoice.invoiceId)).filter((e) => e.event === 'sent')).toEqual([{ at: message.Item!.sentAt, event: 'sent' }]);
    }
    // The statements: every listed activity of the batch (the idle one too), issued once; the member e-mailed once,
    // with the month's figures and their link to it, no PDF (rendered when first opened: nothing under statements/ yet).
    const statementMails = (await mailsTo(referral.youngPerson.email)).filter((m) => m.subject.startsWith('Votre relevé'));
    expect(statementMails).toHaveLength(1);
    expect(statementMails[0]!.attachments).toEqual([]);
    expect(statementMails[0]!.text).toMatch(new RegExp(`/ma-facturation\\?activite=${first}&mois=${MONTH}#[A-Za-z0-9_.-]+`));
    expect(await readObject(statementPdfKey(MONTH, first, referral.referralId))).toBeUndefined();
    const dupontInvoice = issued.find((i) => i.customer.customerId === dupont.customerId)!;
    expect((await getStatement(first, MONTH))?.statement.revenueExclVatCents).toBe(dupontInvoice.totals.netCents);
    expect((await getStatement(idle, MONTH))?.statement.revenueExclVatCents).toBe(0);

    expect(await finishRun(MONTH)).toEqual({ issued: 2, sent: 2, held: 1, statements: 3, pending: 0 });
    expect(await getInvoicingRun(MONTH)).toMatchObject({ status: 'done', counts: { issued: 2, sent: 2, held: 1, statements: 3 }, finishedAt: expect.any(String) });

    // The held invoice validated later: its own number, the next one, and its e-mail; a repeat changes nothing.
    const later = await issueReleasedInvoice(jeanneInvoice.invoiceId, { id: staff.id, name: staff.name });
    expect(later).toMatchObject({ status: 'issued', number: `${year}-000003` });
    expect((await issueReleasedInvoice(jeanneInvoice.invoiceId, { id: staff.id, name: staff.name })).number).toBe(`${year}-000003`);
    expect(await mailsTo(jeanne.email)).toHaveLength(1);
    expect(await checkNumberContinuity(year, { invoices: true })).toMatchObject({ problems: [] });
  }, 120_000);
});

describe('one invoice, one document', () => {
  it("renders the run's PDF and the staff's download alike: the due date the invoice was issued with, the activity's name without a trade name", async () => {
    const activityId = await seedActiveActivity(doc, table, { name: 'Atelier Nour' });
    await doc.send(new UpdateCommand({ TableName: table, Key: keys.activity(activityId), UpdateExpression: 'SET tradeName = :none', ExpressionAttributeValues: { ':none': '' } }));
    const client = await customer(activityId, individual('Nour Haddad'));
    const lines = [line({ description: 'Taille de haie' }), line({ quantityHundredths: 150, unitPriceCents: 1999 })];
    const invoiceId = (await draftMonthInvoices({ activityId, month: '2039-04', drafts: [draftFor(client, lines)] })).invoices[0]!.invoiceId;
    // Due 45 days after its issue while the cooperative's terms now say 30: the stored due date is the one printed.
    await issueNumbers({ batchKey: `t-${randomUUID()}`, invoiceIds: [invoiceId], issueDate: '2039-05-02', dueDate: '2039-06-16' });

    expect(await sendInvoices([invoiceId])).toEqual({ invoices: 1, sent: 1 });
    const invoice = (await getInvoice(invoiceId))!;
    const stored = await readObject(invoicePdfKey({ invoiceId, number: invoice.number! }));
    const download = await staffInvoicingApi(apiEvent({ routeKey: 'GET /api/staff/invoices/{invoiceId}/pdf', actor: staffCamille, pathParameters: { invoiceId } }) as never, lambdaContext() as never);
    expect(download.statusCode).toBe(200);
    const downloaded = Buffer.from(String(download.body), 'base64');
    expect(Buffer.from(stored!).equals(downloaded)).toBe(true);
    const text = await pdfText(downloaded);
    expect(text).toContain("Date d'échéance : 16/06/2039");
    expect(text).toContain('Atelier Nour');

    const mails = await mailsTo(client.email);
    expect(mails.map((m) => m.subject)).toEqual([`Facture ${invoice.number} - Atelier Nour`]);
    expect(mails[0]!.text).toContain('à régler avant le 16/06/2039');
    const message = await doc.send(new GetCommand({ TableName: table, Key: keys.notification(invoiceOutboxOwner(invoiceId), `${invoiceMailCause(invoiceId)}#customer#email`) }));
    expect(message.Item).toMatchObject({ status: 'sent' });
  });
});

describe('the schedule', () => {
  /** Starting a run as the trigger does, the execution aside: the ledger's claim decides. */
  const start = async (input: { month: string; trigger: 'schedule' | 'catch-up' | 'staff' }) => ({ started: (await claimInvoicingRun(input)).claimed ? ('now' as const) : ('already' as const) });

  it('runs the previous month once, and catches up each missed month once after a gap', async () => {
    const at = (iso: string) => new Date(iso);
    // The system invoices from March 2040 (the table holds an older month's run, which is not caught up from).
    process.env.INVOICING_FIRST_MONTH = '2040-03';
    // 1 April 2040, 06:00 in Paris: March.
    expect(await fireInvoicingSchedule(at('2040-04-01T04:00:00Z'), start)).toEqual({ months: ['2040-03'], started: ['2040-03'] });
    // Fired twice (a retried invocation): nothing started again.
    expect((await fireInvoicingSchedule(at('2040-04-01T04:05:00Z'), start)).started).toEqual([]);
    // Down for May and June: the July firing runs April, May and June, each once.
    expect((await fireInvoicingSchedule(at('2040-07-01T04:00:00Z'), start)).started).toEqual(['2040-04', '2040-05', '2040-06']);
    expect((await fireInvoicingSchedule(at('2040-07-01T04:00:00Z'), start)).started).toEqual([]);
    expect((await getInvoicingRun('2040-04'))!.trigger).toBe('catch-up');
    expect((await getInvoicingRun('2040-06'))!.trigger).toBe('schedule');
    delete process.env.INVOICING_FIRST_MONTH;
  });
});
