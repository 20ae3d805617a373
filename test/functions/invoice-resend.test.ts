import { afterEach, describe, expect, it, vi } from 'vitest';
import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { useMessagingAndDocuments } from '../support/messaging.js';
import { deliverSesEvent, listStaffMessages } from '../support/staff-messages.js';
import { apiEvent, lambdaContext } from '../support/events.js';
import { prescriberLens, staffCamille } from '../support/fixtures.js';
import { business, draftFor, issueOneInvoice, line } from '../support/invoicing.js';
import { handler as staffInvoicing } from '../../functions/invoicing/staff-api.js';
import type { Actor } from '../../shared/domain/actor.js';
import { CANCELLATION_IN_PROGRESS, CANCELLATION_LEASE_SECONDS, cancelInvoice } from '../../shared/data/invoicing/credit-notes.js';
import { createCustomer, getCustomer, updateCustomer } from '../../shared/data/invoicing/customers.js';
import { draftMonthInvoices } from '../../shared/data/invoicing/invoices.js';
import { creditNoteIdFor, invoiceOutboxOwner, type InvoiceRecord } from '../../shared/domain/invoicing/records.js';
import { keys } from '../../shared/keys.js';
import { addDays, formatParisDateTime, parisDate } from '../../shared/domain/time.js';
import { logger, metrics } from '../../shared/observability.js';
import { sendInvoices } from '../../shared/invoicing/run-steps.js';
import { FACTUR_X_FILE_NAME } from '../../shared/invoicing/factur-x.js';
import { parseXml, textAt } from '../../shared/invoicing/xml.js';
import { checkNumberContinuity } from '../../shared/data/invoicing/numbering.js';
import { addToMonth, invoiceMailCause } from '../../shared/domain/invoicing/run.js';
import { pdfAttachments, pdfText } from '../support/pdf-text.js';

/*
 * A customer's e-mail that did not arrive, end to end on DynamoDB Local, the local SES and the local S3: the invoice
 * sent by the run's own step, bounced (or complained about) by the SES event the delivery function reads, then
 * corrected on the customer's form and sent again by staff through the invoicing console's function. A customer's
 * mistyped address is not the staff's configuration: no StaffMessageUndelivered alarm, the invoice's history instead.
 */

const local = useMessagingAndDocuments();
afterEach(() => vi.restoreAllMocks());

const RESEND = 'POST /api/staff/invoices/{invoiceId}/resend';

/** An activity whose trade name is not its name. */
async function activity(tradeName: string): Promise<string> {
  const activityId = `pa-${randomUUID()}`;
  await local().doc.send(
    new PutCommand({
      TableName: local().table,
      Item: { ...keys.activity(activityId), type: 'activity', activityId, status: 'active', shape: 'personal', name: `Activité ${activityId.slice(3, 9)}`, tradeName, contributionRateBps: 1000 },
    }),
  );
  return activityId;
}

/** An issued invoice to a business customer, its e-mail sent by the run's step. */
async function invoiceMailed(customerName = 'Boulangerie Martin', issueDate = '2031-03-01') {
  const activityId = await activity('Les Jardins de Léa');
  const email = `compta.${randomUUID()}@example.org`;
  const { invoiceId, customer } = await issueOneInvoice(local().doc, local().table, { grossCents: 4_500, dueDate: addDays(issueDate, 30), issueDate, month: addToMonth(issueDate.slice(0, 7), -1), activityId, customer: { ...business(), name: customerName, email } });
  expect(await sendInvoices([invoiceId])).toEqual({ invoices: 1, sent: 1 });
  return { activityId, invoiceId, customer, email, owner: invoiceOutboxOwner(invoiceId), notificationId: `${invoiceMailCause(invoiceId)}#customer#email` };
}

async function item(key: { pk: string; sk: string }) {
  return (await local().doc.send(new GetCommand({ TableName: local().table, Key: key, ConsistentRead: true }))).Item;
}
const invoice = async (invoiceId: string) => (await item(keys.invoice(invoiceId))) as unknown as InvoiceRecord & { eventMarkers?: string[] };

async function call(routeKey: string, options: { invoiceId: string; body?: unknown; key?: string | null; actor?: Actor }) {
  const headers: Record<string, string> = options.key === null ? {} : { 'idempotency-key': options.key ?? randomUUID() };
  const event = apiEvent({ routeKey, actor: options.actor ?? staffCamille, body: options.body, headers, pathParameters: { invoiceId: options.invoiceId } });
  const result = await staffInvoicing(event as never, lambdaContext() as never);
  // The answer as JSON (an invoice, or an error with its message).
  const body = JSON.parse(String(result.body));
  return { status: result.statusCode, body };
}
const detail = async (invoiceId: string) => (await call('GET /api/staff/invoices/{invoiceId}', { invoiceId })).body;
const resend = (invoiceId: string, email: string, key?: string | null, actor?: Actor) => call(RESEND, { invoiceId, body: { email }, key, actor });

/** Every item of the table, by key: what a refused request must leave as it was. */
async function everything(): Promise<Map<string, string>> {
  const all = new Map<string, string>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await local().doc.send(new ScanCommand({ TableName: local().table, ConsistentRead: true, ExclusiveStartKey: start }));
    for (const i of page.Items ?? []) all.set(`${String(i.pk)}\u0000${String(i.sk)}`, JSON.stringify(i));
    start = page.LastEvaluatedKey;
  } while (start);
  return all;
}

const emailsTo = async (address: string) => (await local().ses.listEmails()).filter((mail) => mail.to.includes(address));

describe("an invoice's e-mail that went", () => {
  it("is on the invoice's history, read from its mark: sending writes nothing on the issued invoice", async () => {
    const activityId = await activity('Les Jardins de Léa');
    const { invoiceId } = await issueOneInvoice(local().doc, local().table, { grossCents: 4_500, dueDate: '2031-03-31', issueDate: '2031-03-01', month: '2031-02', activityId, customer: { ...business(), email: `compta.${randomUUID()}@example.org` } });
    const issued = await invoice(invoiceId);
    expect((await detail(invoiceId)).history.map((e: { event: string }) => e.event)).not.toContain('sent');
    expect(await sendInvoices([invoiceId])).toEqual({ invoices: 1, sent: 1 });
    expect(await invoice(invoiceId)).toEqual(issued);
    const message = (await item(keys.notification(invoiceOutboxOwner(invoiceId), `${invoiceMailCause(invoiceId)}#customer#email`)))!;
    const shown = (await detail(invoiceId)).history as Array<{ event: string; at: string; label: string }>;
    expect(shown.map((e) => e.event)).toEqual([...issued.history.map((e) => e.event), 'sent']);
    expect(shown.at(-1)).toMatchObject({ at: message.sentAt, label: `Envoyée le ${formatParisDateTime(String(message.sentAt))}` });
    expect((await detail(invoiceId)).mail.last).toMatchObject({ status: 'sent', statusLabel: 'Envoyé' });

    // Delivered: the page says so, from the receipt beside the message (decision 42); the message and the invoice as they were.
    await deliverSesEvent(local(), invoiceOutboxOwner(invoiceId), `${invoiceMailCause(invoiceId)}#customer#email`, 'Email Delivered');
    expect((await detail(invoiceId)).mail.last).toMatchObject({ status: 'delivered', statusLabel: 'Remis', at: expect.any(String) });
    expect(await item(keys.notification(invoiceOutboxOwner(invoiceId), `${invoiceMailCause(invoiceId)}#customer#email`))).toEqual(message);
    expect(await invoice(invoiceId)).toEqual(issued);
    expect((await detail(invoiceId)).history.map((e: { event: string }) => e.event)).toEqual([...issued.history.map((e) => e.event), 'sent']);
  });
});

describe("a customer's e-mail that did not arrive", () => {
  it('a hard bounce raises no staff alarm: it goes on the invoice\'s history and on the "to fix" list, once', async () => {
    const mailed = await invoiceMailed();
    const addMetric = vi.spyOn(metrics, 'addMetric');
    const errors = vi.spyOn(logger, 'error');
    const infos = vi.spyOn(logger, 'info');
    await deliverSesEvent(local(), mailed.owner, mailed.notificationId, 'Email Bounced');
    // The same report again (SES and EventBridge deliver at least once).
    await deliverSesEvent(local(), mailed.owner, mailed.notificationId, 'Email Bounced');

    const counted = (name: string) => addMetric.mock.calls.filter(([metric]) => metric === name).length;
    expect(counted('staff_message_undelivered')).toBe(0);
    expect(counted('customer_message_undelivered')).toBe(1);
    expect(errors.mock.calls.map(([message]) => message)).not.toContain('staff message did not arrive');
    // Ids only in the log line: never the address.
    const line = infos.mock.calls.find(([message]) => message === 'customer e-mail did not arrive');
    expect(line?.[1]).toEqual({ invoiceId: mailed.invoiceId, notificationId: mailed.notificationId, reason: 'Permanent/General' });
    expect(JSON.stringify(infos.mock.calls)).not.toContain(mailed.email);

    const history = (await invoice(mailed.invoiceId)).history.filter((e) => e.event === 'undelivered');
    expect(history).toEqual([expect.objectContaining({ event: 'undelivered', detail: mailed.email })]);
    const shown = await detail(mailed.invoiceId);
    expect(shown.history.map((e: { label: string }) => e.label)).toContain(`E-mail au client non remis à ${mailed.email} : adresse à corriger`);
    // No person's timeline under the invoice's id.
    const timeline = [...(await everything()).keys()].filter((key) => key.startsWith(`PERSON#${mailed.owner}\u0000TIMELINE#`));
    expect(timeline).toEqual([]);

    const toFix = (await listStaffMessages()).toFix.filter((row) => row.personId === mailed.invoiceId);
    expect(toFix).toEqual([expect.objectContaining({ role: 'customer', roleLabel: 'Client', address: mailed.email, personName: 'Client : Boulangerie Martin — activité « Les Jardins de Léa »', owner: expect.objectContaining({ kind: 'customer', invoiceId: mailed.invoiceId }) })]);

    // Not corrected yet: the page says to correct the address first, and the route refuses to send it there again.
    expect(shown.mail).toMatchObject({ last: { status: 'bounced', to: mailed.email }, canResend: false, fixAddress: true, customerEmail: mailed.email });
    const before = await everything();
    const refused = await resend(mailed.invoiceId, mailed.email);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain("corrigez-la d'abord sur la fiche du client");
    expect(await everything()).toEqual(before);
  });

  it("a complaint opts the customer's address out and goes on the invoice's history, not on a person's timeline", async () => {
    const mailed = await invoiceMailed('Mme Lucie Leroy');
    const addMetric = vi.spyOn(metrics, 'addMetric');
    await deliverSesEvent(local(), mailed.owner, mailed.notificationId, 'Email Complaint Received');

    expect(addMetric.mock.calls.filter(([metric]) => metric === 'staff_message_undelivered')).toEqual([]);
    const optOut = await item(keys.optOut('email', mailed.email.toLowerCase()));
    expect(optOut).toMatchObject({ reason: 'complaint', personId: mailed.invoiceId, role: 'customer' });
    expect((await invoice(mailed.invoiceId)).history.filter((e) => e.event === 'complained')).toEqual([expect.objectContaining({ detail: mailed.email })]);
    const keysNow = [...(await everything()).keys()];
    expect(keysNow.filter((key) => key.startsWith(`PERSON#${mailed.owner}\u0000TIMELINE#`))).toEqual([]);
    // It arrived: nothing to send again.
    expect((await detail(mailed.invoiceId)).mail).toMatchObject({ last: { status: 'complained' }, canResend: false });
  });

  it('staff correct the e-mail and send the invoice again: the same PDF to the new address, once, the invoice unchanged', async () => {
    const mailed = await invoiceMailed();
    await deliverSesEvent(local(), mailed.owner, mailed.notificationId, 'Email Bounced');
    const [first] = await emailsTo(mailed.email);
    const issued = await invoice(mailed.invoiceId);

    const corrected = `comptabilite.${randomUUID()}@example.org`;
    const customer = (await getCustomer(mailed.activityId, mailed.customer.customerId))!;
    await updateCustomer({ activityId: mailed.activityId, customerId: customer.customerId, expectedVersion: customer.version, fields: { ...business(), name: customer.name, email: corrected } });
    expect((await detail(mailed.invoiceId)).mail).toMatchObject({ canResend: true, customerEmail: corrected, resendRefusal: null });

    const key = randomUUID();
    const answer = await resend(mailed.invoiceId, corrected, key);
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ resentTo: corrected, invoice: { mail: { last: { to: corrected, status: 'sent' }, canResend: false } } });
    // The request again (a retry, a double click with the same key): 200, nothing more sent.
    const again = await resend(mailed.invoiceId, corrected, key);
    expect(again.status).toBe(200);
    expect(again.body.notificationId).toBe(answer.body.notificationId);

    const sent = await emailsTo(corrected);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.subject).toBe(first!.subject);
    expect(sent[0]!.attachments.map((a) => a.fileName)).toEqual(first!.attachments.map((a) => a.fileName));
    expect(Buffer.compare(sent[0]!.attachments[0]!.content, first!.attachments[0]!.content)).toBe(0);
    expect(await emailsTo(mailed.email)).toHaveLength(1);

    // On the invoice's history once, by the staff member; the invoice itself as it was issued (its customer's address too).
    const now = await invoice(mailed.invoiceId);
    expect(now.history.filter((e) => e.event === 'resent')).toEqual([expect.objectContaining({ detail: corrected, by: { id: staffCamille.id, name: staffCamille.name } })]);
    expect(now.customer).toEqual(issued.customer);
    expect({ number: now.number, lines: now.lines, totals: now.totals, status: now.status, issueDate: now.issueDate, dueDate: now.dueDate }).toEqual({
      number: issued.number,
      lines: issued.lines,
      totals: issued.totals,
      status: 'issued',
      issueDate: issued.issueDate,
      dueDate: issued.dueDate,
    });
    expect((await detail(mailed.invoiceId)).history.map((e: { label: string }) => e.label)).toContain(`Facture renvoyée à ${corrected}`);

    // Off the "to fix" list; the undelivered message says it was sent again, and where.
    const lists = await listStaffMessages();
    expect(lists.toFix.filter((row) => row.personId === mailed.invoiceId)).toEqual([]);
    expect(lists.failed.find((row) => row.notificationId === mailed.notificationId)).toMatchObject({ status: 'bounced', resentTo: corrected, resentAt: expect.any(String) });

    // Another request once it went: nothing to send again.
    const before = await everything();
    const twice = await resend(mailed.invoiceId, corrected);
    expect(twice.status).toBe(409);
    expect(twice.body.message).toContain('rien à renvoyer');
    expect(await everything()).toEqual(before);
    expect(await emailsTo(corrected)).toHaveLength(1);

    // The new address bounces too: back on the "to fix" list, as a young person's contact fixed and failing again.
    await deliverSesEvent(local(), mailed.owner, String(answer.body.notificationId), 'Email Bounced');
    expect((await listStaffMessages()).toFix.filter((row) => row.personId === mailed.invoiceId)).toEqual([expect.objectContaining({ address: corrected })]);
  });

  it('refuses bad input with a 4xx in French and writes nothing', async () => {
    const mailed = await invoiceMailed();
    await deliverSesEvent(local(), mailed.owner, mailed.notificationId, 'Email Bounced');
    const corrected = `nouvelle.${randomUUID()}@example.org`;
    const customer = (await getCustomer(mailed.activityId, mailed.customer.customerId))!;
    await updateCustomer({ activityId: mailed.activityId, customerId: customer.customerId, expectedVersion: customer.version, fields: { ...business(), name: customer.name, email: corrected } });

    // A draft of the same activity, and an issued invoice cancelled by its credit note.
    const other = (await createCustomer({ activityId: mailed.activityId, customerId: `c-${randomUUID()}`, fields: { ...business(), email: corrected } })).customer;
    const draft = (await draftMonthInvoices({ activityId: mailed.activityId, month: '2031-03', drafts: [draftFor(other, [line()])] })).invoices[0]!;
    const cancelled = await invoiceMailed('Client annulé');
    await cancelInvoice({ invoiceId: cancelled.invoiceId, issueDate: '2031-03-02', reason: 'Facturé au mauvais client.', by: { id: staffCamille.id, name: staffCamille.name } });
    const cancelledEmail = (await getCustomer(cancelled.activityId, cancelled.customer.customerId))!.email;

    const before = await everything();
    const emails = (await local().ses.listEmails()).length;
    const cases: Array<[string, () => ReturnType<typeof resend>, number, RegExp]> = [
      ['an unknown invoice', () => resend(`inv-${randomUUID()}`, corrected), 404, /Facture introuvable/],
      ['a prescriber', () => resend(mailed.invoiceId, corrected, undefined, prescriberLens), 403, /./],
      ['a draft', () => resend(draft.invoiceId, corrected), 409, /pas encore émise/],
      ['a cancelled invoice', () => resend(cancelled.invoiceId, cancelledEmail), 409, /annulée par un avoir/],
      ['an address that is not the customer\'s now', () => resend(mailed.invoiceId, `autre.${randomUUID()}@example.org`), 409, /a changé/],
      ['no Idempotency-Key', () => resend(mailed.invoiceId, corrected, null), 400, /Idempotency-Key/],
      ['no address', () => call(RESEND, { invoiceId: mailed.invoiceId, body: {} }), 400, /erreurs/],
      ['an unknown field', () => call(RESEND, { invoiceId: mailed.invoiceId, body: { email: corrected, to: 'x@example.org' } }), 400, /erreurs|inconnu/],
    ];
    for (const [label, send, status, message] of cases) {
      const answer = await send();
      expect(answer.status, label).toBe(status);
      expect(String(answer.body.message), label).toMatch(message);
      expect(String(answer.body.message), label).toMatch(/[éèàçêùôî]|[A-Z][a-z]+ /);
    }
    expect(await everything()).toEqual(before);
    expect((await local().ses.listEmails()).length).toBe(emails);

    // The right request still goes afterwards: nothing above consumed it.
    expect((await resend(mailed.invoiceId, corrected)).status).toBe(201);
  });
});

describe("a credit note's e-mail", () => {
  // Invoices of an earlier year than the credit notes, which staff issue today: each sequence stays chronological.
  const EARLIER = '2025-06-02';
  const CANCEL = 'POST /api/staff/invoices/{invoiceId}/cancellation';
  const cancel = (invoiceId: string) => call(CANCEL, { invoiceId, body: { reason: 'Facturé au mauvais client.' } });
  /** A moment long enough ago that a call made then has lost its hold on the cancellation. */
  const leaseAgo = () => new Date(Date.now() - 2 * CANCELLATION_LEASE_SECONDS * 1000);
  const creditMailId = (invoiceId: string) => `${invoiceMailCause(creditNoteIdFor(invoiceId))}#customer#email`;

  it('goes to the customer when staff cancel an invoice: the credit note\'s Factur-X PDF attached, once, "sent" on its history', async () => {
    // Issued today, as its credit note is: the credit note takes the next number of the same sequence (first test of
    // this year's sequence in this file; the other credit notes follow it).
    const mailed = await invoiceMailed('Client à rembourser', parisDate());
    const invoiceNumber = String((await invoice(mailed.invoiceId)).number);
    const number = `${invoiceNumber.slice(0, 5)}${String(Number(invoiceNumber.slice(5)) + 1).padStart(6, '0')}`;
    const empty = await call(CANCEL, { invoiceId: mailed.invoiceId, body: { reason: '' } });
    expect(empty.status).toBe(400);
    expect(empty.body.errors.map((e: { field: string }) => e.field)).toEqual(['reason']);
    const cancelled = await cancel(mailed.invoiceId);
    expect(cancelled.status).toBe(201);
    expect(cancelled.body.creditNote).toMatchObject({ kind: 'credit-note', number, statusLabel: 'Avoir émis', grossCents: 4_500 });
    expect(cancelled.body.invoice).toMatchObject({ status: 'cancelled', statusLabel: 'Annulée', canCancel: false, canPay: false, leftCents: 0, cancelledBy: creditNoteIdFor(mailed.invoiceId) });
    expect(cancelled.body.invoice.history.at(-1)).toMatchObject({ label: 'Annulée par un avoir', reason: 'Facturé au mauvais client.', by: 'Camille Martin' });

    const mails = await emailsTo(mailed.email);
    expect(mails.map((mail) => mail.subject)).toEqual([`Facture ${invoiceNumber} - Les Jardins de Léa`, `Avoir ${number} - Les Jardins de Léa`]);
    const creditMail = mails[1]!;
    expect(creditMail.text).toContain(`qui annule la facture n° ${invoiceNumber}`);
    expect(creditMail.attachments.map((a) => a.fileName)).toEqual([`avoir-${number}.pdf`]);
    const pdf = creditMail.attachments[0]!.content;
    const text = await pdfText(pdf);
    expect(text).toContain('AVOIR');
    expect(text).toContain(invoiceNumber);
    const xml = parseXml(new TextDecoder().decode((await pdfAttachments(pdf))[FACTUR_X_FILE_NAME]));
    expect(textAt(xml, 'rsm:ExchangedDocument', 'ram:TypeCode')).toBe('381');
    expect(textAt(xml, 'rsm:ExchangedDocument', 'ram:ID')).toBe(number);

    const creditNote = await detail(creditNoteIdFor(mailed.invoiceId));
    expect(creditNote.history.map((e: { event: string }) => e.event)).toEqual(['drafted', 'issued', 'sent']);
    expect(creditNote.mail).toMatchObject({ last: { to: mailed.email, status: 'sent' }, canResend: false });
    // Cancelling again: refused, and nothing more goes.
    const again = await cancel(mailed.invoiceId);
    expect(again.status).toBe(409);
    expect(again.body.message).toBe(`Cette facture est déjà annulée par l'avoir ${number}.`);
    expect(await emailsTo(mailed.email)).toHaveLength(2);
    expect((await checkNumberContinuity(parisDate().slice(0, 4))).problems).toEqual([]);
  });

  it('a cancellation cut short after its credit note was numbered is finished by the next call, which sends it once', async () => {
    const mailed = await invoiceMailed(undefined, EARLIER);
    // What a call that died after the number and before the e-mail leaves: the credit note issued, no e-mail; that
    // call's lease has run out (decision 49).
    const { creditNote } = await cancelInvoice({ invoiceId: mailed.invoiceId, issueDate: parisDate(), reason: 'Facturé au mauvais client.', by: { id: staffCamille.id, name: staffCamille.name }, now: leaseAgo() });
    expect(await item(keys.notification(invoiceOutboxOwner(creditNote.invoiceId), creditMailId(mailed.invoiceId)))).toBeUndefined();
    expect(await emailsTo(mailed.email)).toHaveLength(1);

    const finished = await cancel(mailed.invoiceId);
    expect(finished.status).toBe(201);
    expect(finished.body.creditNote).toMatchObject({ number: creditNote.number, kind: 'credit-note' });
    expect((await emailsTo(mailed.email)).map((mail) => mail.subject)).toEqual([expect.stringMatching(/^Facture /), expect.stringMatching(`^Avoir ${creditNote.number} `)]);
    expect((await cancel(mailed.invoiceId)).status).toBe(409);
    expect(await emailsTo(mailed.email)).toHaveLength(2);
  });

  it('a call cut short a moment ago may still be running: the next call within its lease is a 409 that writes and sends nothing', async () => {
    const mailed = await invoiceMailed(undefined, EARLIER);
    await cancelInvoice({ invoiceId: mailed.invoiceId, issueDate: parisDate(), reason: 'Facturé au mauvais client.', by: { id: staffCamille.id, name: staffCamille.name } });
    const before = await everything();
    const refused = await cancel(mailed.invoiceId);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toBe(CANCELLATION_IN_PROGRESS);
    expect(await everything()).toEqual(before);
    expect(await emailsTo(mailed.email)).toHaveLength(1);
  });

  /** The statuses of the answers, in order, and the one 201 if there is one. */
  const race = async (invoiceId: string, calls = 6) => {
    const answers = await Promise.all(Array.from({ length: calls }, () => cancel(invoiceId)));
    return { statuses: answers.map((a) => a.status).sort(), created: answers.find((a) => a.status === 201), refused: answers.filter((a) => a.status !== 201) };
  };

  it('cancelled by several requests at once: one 201, the others a 409 in French; one credit note, numbered once, e-mailed once', async () => {
    const mailed = await invoiceMailed(undefined, EARLIER);
    const { statuses, created, refused } = await race(mailed.invoiceId);
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409]);
    for (const answer of refused) expect(answer.body.message).toMatch(/^(L'annulation de cette facture est déjà en cours|Cette facture est déjà annulée par l'avoir \d{4}-\d{6}\.$)/);
    const creditNote = await invoice(creditNoteIdFor(mailed.invoiceId));
    expect(created!.body.creditNote).toMatchObject({ kind: 'credit-note', number: creditNote.number });
    expect(creditNote.history.map((e) => e.event)).toEqual(['drafted', 'issued']);
    expect((await invoice(mailed.invoiceId)).history.filter((e) => e.event === 'cancelled')).toHaveLength(1);
    expect((await emailsTo(mailed.email)).map((mail) => mail.subject)).toEqual([expect.stringMatching(/^Facture /), expect.stringMatching(`^Avoir ${creditNote.number} `)]);
    expect(await item(keys.cancellationClaim(creditNote.invoiceId))).toMatchObject({ done: true });
    expect((await checkNumberContinuity(parisDate().slice(0, 4))).problems).toEqual([]);
    // And once done, another request is refused as before.
    expect((await cancel(mailed.invoiceId)).body.message).toBe(`Cette facture est déjà annulée par l'avoir ${creditNote.number}.`);
  });

  it('a cancellation cut short, finished by several requests at once: one of them sends it and answers 201', async () => {
    const mailed = await invoiceMailed(undefined, EARLIER);
    const { creditNote } = await cancelInvoice({ invoiceId: mailed.invoiceId, issueDate: parisDate(), reason: 'Facturé au mauvais client.', by: { id: staffCamille.id, name: staffCamille.name }, now: leaseAgo() });
    const { statuses, created, refused } = await race(mailed.invoiceId);
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409]);
    expect(created!.body.creditNote).toMatchObject({ number: creditNote.number });
    for (const answer of refused) expect(answer.body.message).toMatch(/^(L'annulation de cette facture est déjà en cours|Cette facture est déjà annulée par l'avoir)/);
    expect((await emailsTo(mailed.email)).map((mail) => mail.subject)).toEqual([expect.stringMatching(/^Facture /), expect.stringMatching(`^Avoir ${creditNote.number} `)]);
    expect((await invoice(creditNote.invoiceId)).number).toBe(creditNote.number);
  });

  it('bounced, it is sent again to the corrected address, as an invoice is', async () => {
    const mailed = await invoiceMailed(undefined, EARLIER);
    expect((await cancel(mailed.invoiceId)).status).toBe(201);
    const creditNoteId = creditNoteIdFor(mailed.invoiceId);
    await deliverSesEvent(local(), invoiceOutboxOwner(creditNoteId), creditMailId(mailed.invoiceId), 'Email Bounced');
    const refused = await resend(creditNoteId, mailed.email);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/toujours celle qui a été rejetée/);

    const corrected = `avoirs.${randomUUID()}@example.org`;
    const customer = (await getCustomer(mailed.activityId, mailed.customer.customerId))!;
    await updateCustomer({ activityId: mailed.activityId, customerId: customer.customerId, expectedVersion: customer.version, fields: { ...business(), name: customer.name, email: corrected } });
    expect((await detail(creditNoteId)).mail).toMatchObject({ canResend: true, customerEmail: corrected });
    const answer = await resend(creditNoteId, corrected);
    expect(answer.status).toBe(201);
    const sent = await emailsTo(corrected);
    expect(sent.map((mail) => mail.subject)).toEqual([expect.stringMatching(/^Avoir /)]);
    expect(sent[0]!.attachments.map((a) => a.fileName)).toEqual([expect.stringMatching(/^avoir-/)]);
  });
});
