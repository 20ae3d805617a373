import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { useMessagingAndDocuments } from '../support/messaging.js';
import { business, individual, issueOneInvoice } from '../support/invoicing.js';
import { chaseUnpaidInvoices } from '../../shared/invoicing/chase.js';
import { getInvoice, listLateInvoices, listUnpaidInvoices } from '../../shared/data/invoicing/invoices.js';
import { recordPayment } from '../../shared/data/invoicing/payments.js';
import { getCustomer, updateCustomer } from '../../shared/data/invoicing/customers.js';
import { cancelInvoice } from '../../shared/data/invoicing/credit-notes.js';
import { invoicePdfKey } from '../../shared/domain/invoicing/records.js';
import { addDays } from '../../shared/domain/time.js';
import { putObject } from '../../shared/storage/objects.js';

/** DynamoDB Local, the local SES and the local S3 (the documents bucket as the stack declares it), by the real clients. */
const local = useMessagingAndDocuments();

const staff = { id: 'staff-camille', name: 'Camille' };
const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from(Array.from({ length: 4_000 }, (_, i) => (i * 31 + 7) % 256))]);
/** A morning in Paris on that day. */
const on = (date: string) => new Date(`${date}T08:00:00Z`);

/** An issued invoice due on `dueDate` to a customer with their own address, its PDF in the bucket where the run keeps it. */
async function unpaid(grossCents: number, dueDate: string, kind: 'individual' | 'business' = 'individual') {
  const email = `client.${randomUUID()}@example.org`;
  const customer = { ...(kind === 'business' ? business() : individual()), email };
  const { invoiceId } = await issueOneInvoice(local().doc, local().table, { grossCents, dueDate, issueDate: addDays(dueDate, -30), month: dueDate.slice(0, 7), customer });
  await putObject(invoicePdfKey({ invoiceId, number: (await getInvoice(invoiceId))!.number! }), PDF, 'application/pdf');
  return { invoiceId, email, invoice: async () => (await getInvoice(invoiceId))! };
}

const mailsTo = async (to: string) => (await local().ses.listEmails()).filter((mail) => mail.to.includes(to));
const pay = (invoiceId: string, amountCents: number, date: string) => recordPayment({ invoiceId, paymentId: `p-${randomUUID()}`, amountCents, date, means: 'virement', by: staff });

describe('the daily chase of unpaid invoices', () => {
  it('reminds at due + 7 days once, with the invoice attached again, and not the day before', async () => {
    const due = '2030-03-01';
    const { email, invoice } = await unpaid(10_000, due);
    await chaseUnpaidInvoices(on('2030-03-07'));
    expect(await mailsTo(email)).toEqual([]);

    const report = await chaseUnpaidInvoices(on('2030-03-08'));
    expect(report).toMatchObject({ today: '2030-03-08', complete: true, failed: 0 });
    expect(report.reminders).toBeGreaterThanOrEqual(1);
    // The same day again, and the days after: nothing more.
    await chaseUnpaidInvoices(on('2030-03-08'));
    await chaseUnpaidInvoices(on('2030-03-20'));
    const { number } = await invoice();
    const [mail, ...others] = await mailsTo(email);
    expect(others).toEqual([]);
    expect(mail!.subject).toBe(`Rappel : facture ${number} - Jardins de Test`);
    expect(mail!.text).toContain('arrivée à échéance le 01/03/2030');
    expect(mail!.text).toContain('son montant de 100,00\u00a0€ reste à régler');
    expect(mail!.attachments.map((file) => [file.fileName, file.contentType])).toEqual([[`facture-${number}.pdf`, 'application/pdf']]);
    expect(mail!.attachments[0]!.content.equals(PDF)).toBe(true);
    const chased = await invoice();
    expect(chased.chase).toEqual(['first-reminder']);
    expect(chased.history.filter((e) => e.event === 'first-reminder')).toHaveLength(1);
  });

  it("reminds the customer at their e-mail as it is now, corrected since the invoice went; the invoice keeps its copy", async () => {
    const { invoiceId, email, invoice } = await unpaid(7_000, '2029-06-01');
    const issued = await invoice();
    const customer = (await getCustomer(issued.activityId, issued.customer.customerId))!;
    const corrected = `corrige.${randomUUID()}@example.org`;
    await updateCustomer({ activityId: customer.activityId, customerId: customer.customerId, expectedVersion: customer.version, fields: { ...individual(), email: corrected } });
    // A year of its own: each year's numbers follow their issue dates.
    await chaseUnpaidInvoices(on('2029-06-08'));
    expect(await mailsTo(email)).toEqual([]);
    expect((await mailsTo(corrected)).map((mail) => mail.subject)).toEqual([`Rappel : facture ${issued.number} - Jardins de Test`]);
    expect((await getInvoice(invoiceId))!.customer.email).toBe(email);
  });

  it('records and sends a stage once when two runs take it at the same time', async () => {
    const { email, invoice } = await unpaid(5_000, '2030-04-01');
    const reports = await Promise.all([chaseUnpaidInvoices(on('2030-04-08')), chaseUnpaidInvoices(on('2030-04-08')), chaseUnpaidInvoices(on('2030-04-08'))]);
    expect(reports.every((r) => r.failed === 0)).toBe(true);
    expect(await mailsTo(email)).toHaveLength(1);
    expect((await invoice()).chase).toEqual(['first-reminder']);
  });

  it('reminds a partly paid invoice of what is left, and never a paid or cancelled one', async () => {
    const due = '2030-05-01';
    const partly = await unpaid(10_000, due);
    const paid = await unpaid(10_000, due);
    const cancelled = await unpaid(10_000, due);
    await pay(partly.invoiceId, 4_000, '2030-05-03');
    await pay(paid.invoiceId, 10_000, '2030-05-03');
    await cancelInvoice({ invoiceId: cancelled.invoiceId, issueDate: '2030-05-04', reason: 'Erreur de client', by: staff });

    await chaseUnpaidInvoices(on('2030-05-08'));
    await chaseUnpaidInvoices(on('2030-06-30'));
    const [first, second, ...more] = await mailsTo(partly.email);
    expect(more).toEqual([]);
    expect(first!.text).toContain('il reste 60,00\u00a0€ à régler sur 100,00\u00a0€ (40,00\u00a0€ déjà reçus)');
    expect(second!.subject).toMatch(/^Second rappel : facture /);
    expect(await mailsTo(paid.email)).toEqual([]);
    expect(await mailsTo(cancelled.email)).toEqual([]);
    expect((await paid.invoice()).chase).toBeUndefined();
    expect((await cancelled.invoice()).chase).toBeUndefined();
  });

  it('reminds again at + 30 days, then flags late at + 45: on the late list and off the chase until paid in full', async () => {
    const due = '2030-07-01';
    const { invoiceId, email, invoice } = await unpaid(20_000, due, 'business');
    await chaseUnpaidInvoices(on('2030-07-08'));
    await chaseUnpaidInvoices(on('2030-07-31'));
    await chaseUnpaidInvoices(on('2030-08-14'));
    expect((await invoice()).chase).toEqual(['first-reminder', 'second-reminder']);
    expect((await listLateInvoices()).map((i) => i.invoiceId)).not.toContain(invoiceId);

    const report = await chaseUnpaidInvoices(on('2030-08-15'));
    expect(report.late).toBeGreaterThanOrEqual(1);
    const late = await invoice();
    expect(late).toMatchObject({ chase: ['first-reminder', 'second-reminder', 'late'], lateSince: on('2030-08-15').toISOString() });
    expect((await listLateInvoices()).map((i) => i.invoiceId)).toContain(invoiceId);
    expect((await listUnpaidInvoices({ dueOnOrBefore: due })).map((i) => i.invoiceId)).not.toContain(invoiceId);
    // The flag is for staff: the customer got the two reminders only, the second with a business's penalties.
    const mails = await mailsTo(email);
    expect(mails.map((m) => m.subject.split(' : ')[0])).toEqual(['Rappel', 'Second rappel']);
    expect(mails[1]!.text).toContain('indemnité forfaitaire de 40 € pour frais de recouvrement');

    // Partly paid, it stays late; paid in full, it leaves the list.
    await pay(invoiceId, 5_000, '2030-08-20');
    expect((await listLateInvoices()).find((i) => i.invoiceId === invoiceId)).toMatchObject({ paidCents: 5_000 });
    await pay(invoiceId, 15_000, '2030-08-21');
    expect((await listLateInvoices()).map((i) => i.invoiceId)).not.toContain(invoiceId);
    await chaseUnpaidInvoices(on('2030-09-30'));
    expect(await mailsTo(email)).toHaveLength(2);
  });

  it('catches up after days without a run: only the latest reminder, once, and the late flag when due', async () => {
    const pastFortyFive = await unpaid(3_000, '2030-09-20');
    const pastThirty = await unpaid(3_000, '2030-10-01');
    await chaseUnpaidInvoices(on('2030-11-05'));
    const subjects = async (email: string) => (await mailsTo(email)).map((m) => m.subject.split(' : ')[0]);
    expect(await subjects(pastThirty.email)).toEqual(['Second rappel']);
    expect((await pastThirty.invoice()).chase).toEqual(['second-reminder']);
    expect(await subjects(pastFortyFive.email)).toEqual(['Second rappel']);
    expect((await pastFortyFive.invoice()).chase).toEqual(['second-reminder', 'late']);
    // A first reminder the catch-up skipped never comes later.
    await chaseUnpaidInvoices(on('2030-11-06'));
    await chaseUnpaidInvoices(on('2030-11-20'));
    expect(await subjects(pastThirty.email)).toEqual(['Second rappel']);
    expect((await pastThirty.invoice()).chase).toEqual(['second-reminder', 'late']);
  });
});
