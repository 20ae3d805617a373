import * as z from 'zod/mini';
import { apiRoute, json, readJsonBody, type ApiEvent, type ApiResult } from '../../shared/http/api.js';
import { apiRouter } from '../../shared/http/router.js';
import type { StaffInvoicingRoute } from '../../shared/invoicing/staff-routes.js';
import { getActivity } from '../../shared/data/activities.js';
import { getInvoicingRun, listInvoicingRuns } from '../../shared/data/invoicing-runs.js';
import { listInvoicesIssuedIn } from '../../shared/data/invoicing/numbering.js';
import { getInvoice, getInvoices, listLateInvoices, listMonthInvoicesPage, listUnpaidInvoices, requireInvoice } from '../../shared/data/invoicing/invoices.js';
import { listMonthMoney, listPayments, recordPayment } from '../../shared/data/invoicing/payments.js';
import { listRefunds, recordRefund } from '../../shared/data/invoicing/refunds.js';
import type { Actor } from '../../shared/domain/actor.js';
import { cooperativeFromEnv } from '../../shared/domain/activities.js';
import { InvalidInputError, NotFoundError, ConflictError } from '../../shared/domain/errors.js';
import { idFromIdempotencyKey, idempotencyKeyOf } from '../../shared/domain/idempotency.js';
import { fecCsv, fecRows, type FecDocument, type FecPayment, type FecRefund } from '../../shared/domain/invoicing/fec.js';
import type { InvoiceRecord } from '../../shared/domain/invoicing/records.js';
import { addToMonth, EARLIEST_INVOICING_MONTH, invoicingMonthRefusal, isMonth } from '../../shared/domain/invoicing/run.js';
import { cancellationSchema, paymentSchema, refundSchema, resendSchema, startRunSchema } from '../../shared/domain/invoicing/staff-input.js';
import { cursorParam, limitParam, pageAfter, PAGE_LIMIT } from '../../shared/domain/paging.js';
import { formatParisDateTime, parisDate } from '../../shared/domain/time.js';
import { choice, parseOrThrow } from '../../shared/domain/validation.js';
import { documentFileName, documentOfRecord, recordTotals } from '../../shared/invoicing/document.js';
import { renderInvoicePdf } from '../../shared/invoicing/invoice-pdf.js';
import { invoiceDetail, invoiceListItem, PAYMENT_MEANS_LABELS, runView } from '../../shared/invoicing/staff-views.js';
import { cancelInvoiceByCreditNote, issueReleasedInvoice } from '../../shared/invoicing/run-steps.js';
import { invoiceMails, resendInvoice } from '../../shared/invoicing/resend.js';
import { getCustomer } from '../../shared/data/invoicing/customers.js';
import { monthLabel, ofMonth } from '../../shared/domain/invoicing/statement.js';
import { startInvoicingRun } from '../../shared/workflows.js';
import { customerView } from '../../shared/invoicing-views.js';
import * as recording from '../../shared/invoicing/recording.js';
import { logger } from '../../shared/observability.js';

/*
 * The staff's invoicing console (decision 29: one function for the routes of shared/invoicing/staff-routes.ts): the
 * months and their runs, a month's invoices, one invoice (detail, PDF), payments, cancellation by a credit note, refunds, the
 * unpaid and late lists, the accounting export, an invoice sent again to its customer's corrected e-mail. Staff only; free text (reasons) never reaches a log line.
 */

const STAFF = { roles: ['staff' as const] };
/** How many months back the months' page offers, the last one included. */
const MONTHS_SHOWN = 12;

const monthQuery = z.strictObject({ cursor: cursorParam, limit: limitParam, format: z.optional(choice(['csv'], 'Seul le format csv (export comptable) existe.')) }, 'Paramètre inconnu.');
const unpaidQuery = z.strictObject({ cursor: cursorParam, limit: limitParam, late: z.optional(choice(['true'], 'late=true pour les seules factures en retard.')) }, 'Paramètre inconnu.');
const noQuery = z.strictObject({}, 'Paramètre inconnu.');

const query = <T>(schema: z.ZodMiniType<T>, event: ApiEvent): T => parseOrThrow(schema, event.queryStringParameters ?? {}, 'Les paramètres de la liste sont invalides.');

/** The month of the path, a real one written YYYY-MM (else a 404 like any address that names nothing). */
function monthOf(event: ApiEvent): string {
  const month = event.pathParameters?.month ?? '';
  if (!isMonth(month)) throw new NotFoundError('Mois introuvable : le mois s’écrit AAAA-MM.');
  // A month of the system's range, up to the current one (its journal so far): not an empty page for 9999-12.
  const current = parisDate().slice(0, 7);
  if (month < EARLIEST_INVOICING_MONTH || month > current) throw new NotFoundError(`Mois introuvable : ${ofMonth(monthLabel(EARLIEST_INVOICING_MONTH))} à ${monthLabel(current)}.`);
  return month;
}

/** The activity of the path (with its members and prices), or a 404. */
async function activityOf(event: ApiEvent) {
  const found = await getActivity(event.pathParameters?.activityId ?? '');
  if (!found) throw new NotFoundError('Activité introuvable.');
  return found;
}
const declarationMonthOf = (event: ApiEvent) => recording.declarationMonth(event.pathParameters?.month);

/** Who acted, as the invoice's history records it (staff only reach these routes). */
const byWhom = (actor: Actor) => ({ id: 'id' in actor ? actor.id : 'system', name: actor.name ?? 'Équipe' });

const invoiceOf = (event: ApiEvent) => requireInvoice(event.pathParameters?.invoiceId ?? '');

async function detailOf(invoice: InvoiceRecord) {
  // An invoice's (or credit note's) e-mails to its customer and the customer's e-mail now: the page offers to send it
  // again when it did not arrive. A credit note has no payments. A cancelled invoice: its refunds, and its credit note,
  // from whose issue date they are dated (decision 54).
  const cancelled = invoice.kind === 'invoice' && invoice.status === 'cancelled';
  const [payments, mails, customer, refunds, creditNote] = await Promise.all([
    invoice.kind === 'invoice' ? listPayments(invoice.invoiceId) : [],
    invoice.number ? invoiceMails(invoice.invoiceId) : [],
    invoice.number ? getCustomer(invoice.activityId, invoice.customer.customerId) : undefined,
    cancelled && invoice.paidCents > 0 ? listRefunds(invoice.invoiceId) : [],
    cancelled && invoice.cancelledBy ? getInvoice(invoice.cancelledBy) : undefined,
  ]);
  return invoiceDetail(invoice, payments, parisDate(), { mails, customerEmail: customer?.email ?? invoice.customer.email }, { refunds, creditNote });
}

/** Invoices by due date (then id), a page at a time (`after` the last one shown). */
async function dueDatePage(event: ApiEvent, read: () => Promise<InvoiceRecord[]>) {
  const { cursor, limit } = query(unpaidQuery, event);
  const today = parisDate();
  const all = (await read()).sort((a, b) => `${a.dueDate}#${a.invoiceId}`.localeCompare(`${b.dueDate}#${b.invoiceId}`));
  const page = pageAfter(all, (invoice) => `${invoice.dueDate}#${invoice.invoiceId}`, { cursor, limit: limit ?? PAGE_LIMIT.default });
  return { items: page.items.map((invoice) => invoiceListItem(invoice, today)), ...(page.cursor ? { cursor: page.cursor } : {}) };
}

function attachment(contentType: string, fileName: string, body: string, base64: boolean): ApiResult {
  return {
    statusCode: 200,
    headers: { 'content-type': contentType, 'content-disposition': `attachment; filename="${fileName}"`, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' },
    body,
    isBase64Encoded: base64,
  };
}

/**
 * The month's accounting journal, by accounting date: the invoices and credit notes ISSUED in the month (read from the
 * numbering's blocks, whatever month they bill: October's invoices, issued on 1 November, are November's), and the
 * payments RECEIVED and refunds GIVEN in the month (the month's payment index, which holds both: decision 54).
 */
async function monthExport(month: string): Promise<string> {
  const [issued, { payments: received, refunds: given }] = await Promise.all([listInvoicesIssuedIn(month), listMonthMoney(month)]);
  const documents: FecDocument[] = issued.map((invoice) => ({
    kind: invoice.kind,
    number: invoice.number!,
    issueDate: invoice.issueDate!,
    customerAccount: invoice.customer.customerId,
    customerName: invoice.customer.name,
    totals: recordTotals(invoice).totals,
  }));
  const invoices = new Map((await getInvoices([...received, ...given].map((money) => money.invoiceId))).map((invoice) => [invoice.invoiceId, invoice]));
  const payments: FecPayment[] = received.map((payment) => {
    const invoice = invoices.get(payment.invoiceId)!;
    return {
      paymentId: payment.paymentId,
      invoiceNumber: invoice.number!,
      date: payment.date,
      amountCents: payment.amountCents,
      customerAccount: invoice.customer.customerId,
      customerName: invoice.customer.name,
      meansLabel: PAYMENT_MEANS_LABELS[payment.means],
    };
  });
  const refunds: FecRefund[] = given.map((refund) => {
    const invoice = invoices.get(refund.invoiceId)!;
    return {
      refundId: refund.refundId,
      creditNoteNumber: refund.creditNoteNumber,
      invoiceNumber: refund.invoiceNumber,
      date: refund.date,
      amountCents: refund.amountCents,
      customerAccount: invoice.customer.customerId,
      customerName: invoice.customer.name,
      meansLabel: PAYMENT_MEANS_LABELS[refund.means],
    };
  });
  return fecCsv(fecRows({ documents, payments, refunds }));
}

export const handler = apiRouter<StaffInvoicingRoute>({
  'GET /api/staff/invoicing/months': apiRoute(STAFF, async ({ event }) => {
    query(noQuery, event);
    const last = addToMonth(parisDate().slice(0, 7), -1);
    const runs = new Map((await listInvoicingRuns({ limit: 60 })).map((run) => [run.month, run]));
    const months = Array.from({ length: MONTHS_SHOWN }, (_, i) => addToMonth(last, -i));
    // Older months run before stay listed.
    for (const month of runs.keys()) if (!months.includes(month)) months.push(month);
    return json(200, { items: months.map((month) => ({ month, label: monthLabel(month), run: runs.has(month) ? runView(runs.get(month)!) : null })) });
  }),

  'POST /api/staff/invoicing/runs': apiRoute(STAFF, async ({ event }) => {
    const { month } = parseOrThrow(startRunSchema, readJsonBody(event), 'Le mois à facturer est invalide.');
    // From January 2000 to the last month over in Paris.
    const refusal = invoicingMonthRefusal(month, new Date());
    if (refusal) throw new InvalidInputError(refusal.message, [{ field: 'month', message: refusal.field }]);
    const { started } = await startInvoicingRun({ month, trigger: 'staff' });
    const run = await getInvoicingRun(month);
    if (started === 'already') {
      throw new ConflictError(`La facturation ${ofMonth(monthLabel(month))} a déjà été lancée${run ? ` le ${formatParisDateTime(run.startedAt)} (${runView(run).statusLabel.toLowerCase()})` : ''} : elle ne se lance qu’une fois.`);
    }
    logger.info('invoicing run started by staff', { month });
    return json(201, { month, label: monthLabel(month), run: run ? runView(run) : null });
  }),

  // A page of the month's invoices with its run; `?format=csv`: the accounting journal of the month instead (pieces
  // issued and payments received in it, not the invoices billing it).
  'GET /api/staff/invoicing/months/{month}': apiRoute(STAFF, async ({ event }) => {
    const month = monthOf(event);
    const { cursor, limit, format } = query(monthQuery, event);
    if (format === 'csv') {
      const csv = await monthExport(month);
      logger.info('invoicing export', { month, bytes: Buffer.byteLength(csv) });
      return attachment('text/csv; charset=utf-8', `journal-${month}.csv`, csv, false);
    }
    const [run, page] = await Promise.all([getInvoicingRun(month), listMonthInvoicesPage({ month, cursor, limit: limit ?? PAGE_LIMIT.default })]);
    const today = parisDate();
    return json(200, { month, label: monthLabel(month), run: run ? runView(run) : null, items: page.items.map((invoice) => invoiceListItem(invoice, today)), ...(page.cursor ? { cursor: page.cursor } : {}) });
  }),

  // Every issued invoice not paid in full, late or not, by due date; `?late=true`: those the daily chase flagged late
  // (unpaid 45 days after their due date).
  'GET /api/staff/invoicing/unpaid': apiRoute(STAFF, async ({ event }) => {
    if (query(unpaidQuery, event).late === 'true') return json(200, await dueDatePage(event, listLateInvoices));
    return json(200, await dueDatePage(event, async () => (await Promise.all([listUnpaidInvoices({ dueOnOrBefore: '9999-12-31' }), listLateInvoices()])).flat()));
  }),

  'GET /api/staff/invoices/{invoiceId}': apiRoute(STAFF, async ({ event }) => json(200, await detailOf(await invoiceOf(event)))),

  'GET /api/staff/invoices/{invoiceId}/pdf': apiRoute(STAFF, async ({ event }) => {
    const invoice = await invoiceOf(event);
    if (!invoice.number) throw new ConflictError('Le PDF existe une fois la facture émise : celle-ci est encore un brouillon.');
    const activity = await getActivity(invoice.activityId);
    if (!activity) throw new NotFoundError('Activité introuvable.');
    const doc = documentOfRecord(invoice, cooperativeFromEnv(), activity.activity);
    const { pdf } = await renderInvoicePdf(doc);
    return attachment('application/pdf', documentFileName(doc), pdf.toString('base64'), true);
  }),

  'POST /api/staff/invoices/{invoiceId}/payments': apiRoute(STAFF, async ({ event, actor }) => {
    const key = idempotencyKeyOf(event.headers);
    const input = parseOrThrow(paymentSchema, readJsonBody(event), 'Le paiement contient des erreurs.');
    if (input.date > parisDate()) throw new InvalidInputError('La date du paiement est dans le futur.', [{ field: 'date', message: 'Le jour où l’argent a été reçu : aujourd’hui au plus tard.' }]);
    const invoiceId = event.pathParameters?.invoiceId ?? '';
    const outcome = await recordPayment({ invoiceId, paymentId: idFromIdempotencyKey(`payment:${invoiceId}`, key), ...input, by: byWhom(actor) });
    logger.info(outcome.created ? 'payment recorded' : 'payment replayed', { invoiceId, paymentId: outcome.payment.paymentId, amountCents: outcome.payment.amountCents });
    return json(outcome.created ? 201 : 200, await detailOf(outcome.invoice));
  }),

  // Money given back to the customer of a cancelled invoice they had paid (decision 54): as a payment is recorded, under
  // an Idempotency-Key; at most what they paid less what was refunded (422), dated from the credit note to today.
  'POST /api/staff/invoices/{invoiceId}/refunds': apiRoute(STAFF, async ({ event, actor }) => {
    const key = idempotencyKeyOf(event.headers);
    const input = parseOrThrow(refundSchema, readJsonBody(event), 'Le remboursement contient des erreurs.');
    if (input.date > parisDate()) throw new InvalidInputError('La date du remboursement est dans le futur.', [{ field: 'date', message: 'Le jour où l’argent a été rendu : aujourd’hui au plus tard.' }]);
    const invoiceId = event.pathParameters?.invoiceId ?? '';
    const outcome = await recordRefund({ invoiceId, refundId: idFromIdempotencyKey(`refund:${invoiceId}`, key), ...input, by: byWhom(actor) });
    // The amount and ids only: the note is staff's free text.
    logger.info(outcome.created ? 'refund recorded' : 'refund replayed', { invoiceId, refundId: outcome.refund.refundId, amountCents: outcome.refund.amountCents });
    return json(outcome.created ? 201 : 200, await detailOf(outcome.invoice));
  }),

  'POST /api/staff/invoices/{invoiceId}/cancellation': apiRoute(STAFF, async ({ event, actor }) => {
    const input = parseOrThrow(cancellationSchema, readJsonBody(event), "L'annulation contient des erreurs.");
    const invoiceId = event.pathParameters?.invoiceId ?? '';
    const { invoice, creditNote } = await cancelInvoiceByCreditNote({ invoiceId, issueDate: parisDate(), reason: input.reason, by: byWhom(actor) });
    logger.info('invoice cancelled', { invoiceId, creditNoteId: creditNote.invoiceId, number: creditNote.number });
    return json(201, { creditNote: invoiceListItem(creditNote, parisDate()), invoice: await detailOf(invoice) });
  }),

  'POST /api/staff/invoices/{invoiceId}/release': apiRoute(STAFF, async ({ event, actor }) => {
    const invoice = await invoiceOf(event);
    // A held invoice, or one whose release was cut short before its number: issued on its own, then sent.
    const released = invoice.kind === 'invoice' && (invoice.status === 'held' || (invoice.status === 'draft' && invoice.history.some((e) => e.event === 'released')));
    if (!released) {
      throw new ConflictError(invoice.status === 'issued' ? `Cette facture est déjà émise sous le numéro ${invoice.number}.` : "Seule une facture mise en attente se valide ainsi : les autres brouillons partent avec le lot du mois.");
    }
    const issued = await issueReleasedInvoice(invoice.invoiceId, byWhom(actor));
    logger.info('held invoice issued', { invoiceId: issued.invoiceId, number: issued.number });
    return json(200, await detailOf(issued));
  }),
  // "Renvoyer la facture": to the customer's e-mail as it is now (`email`: the address the page showed), once per
  // Idempotency-Key; only an issued invoice whose last e-mail did not arrive, and not to the address that bounced (409).
  'POST /api/staff/invoices/{invoiceId}/resend': apiRoute(STAFF, async ({ event, actor }) => {
    const requestKey = idempotencyKeyOf(event.headers);
    const { email } = parseOrThrow(resendSchema, readJsonBody(event), 'Le renvoi contient des erreurs.');
    const outcome = await resendInvoice({ invoiceId: event.pathParameters?.invoiceId ?? '', email, requestKey, by: byWhom(actor) });
    return json(outcome.replayed ? 200 : 201, { resentTo: outcome.to, notificationId: outcome.notificationId, invoice: await detailOf(outcome.invoice) });
  }),

  // An activity's customers and declarations, recorded on a member's behalf by the members' own rules and writes
  // (shared/invoicing/recording.ts): a creation under its Idempotency-Key, an edit by the version read, nothing once
  // the month is invoiced (409). The staff member is recorded as who declared, with the member it is for.
  'GET /api/staff/activities/{activityId}/customers': apiRoute(STAFF, async ({ event }) => {
    const { activity } = await activityOf(event);
    return json(200, await recording.activityCustomersAnswer(activity.activityId));
  }),

  'POST /api/staff/activities/{activityId}/customers': apiRoute(STAFF, async ({ event }) => {
    const idempotencyKey = idempotencyKeyOf(event.headers);
    const body = readJsonBody(event);
    const { activity } = await activityOf(event);
    const { customer, created } = await recording.createCustomerFromRequest({ activityId: activity.activityId, idempotencyKey, body });
    logger.info(created ? 'customer created by staff' : 'customer creation replayed', { activityId: activity.activityId, customerId: customer.customerId });
    return json(created ? 201 : 200, customerView(customer));
  }),

  'PUT /api/staff/activities/{activityId}/customers/{customerId}': apiRoute(STAFF, async ({ event }) => {
    const body = readJsonBody(event);
    const { activity } = await activityOf(event);
    const customer = await recording.updateCustomerFromRequest({ activityId: activity.activityId, customerId: event.pathParameters?.customerId ?? '', body });
    logger.info('customer updated by staff', { activityId: activity.activityId, customerId: customer.customerId });
    return json(200, customerView(customer));
  }),

  // The month's declarations, with the activity's members (a collective's declaration is for one of them).
  'GET /api/staff/activities/{activityId}/months/{month}/declarations': apiRoute(STAFF, async ({ event }) => {
    const found = await activityOf(event);
    const view = await recording.monthDeclarationsAnswer(found, declarationMonthOf(event));
    return json(200, { ...view, shape: found.activity.shape, members: found.members.map((m) => ({ referralId: m.referralId, name: m.name })) });
  }),

  'POST /api/staff/activities/{activityId}/months/{month}/declarations': apiRoute(STAFF, async ({ event, actor }) => {
    const idempotencyKey = idempotencyKeyOf(event.headers);
    const raw = readJsonBody(event);
    const found = await activityOf(event);
    const month = declarationMonthOf(event);
    const { declaredBy, body } = recording.staffDeclarant(found, byWhom(actor), raw);
    const { declaration, created } = await recording.createDeclarationFromRequest({ found, month, idempotencyKey, body, declaredBy });
    logger.info(created ? 'declaration created by staff' : 'declaration creation replayed', { activityId: found.activity.activityId, declarationId: declaration.declarationId, month });
    return json(created ? 201 : 200, await recording.declarationAnswer(declaration));
  }),

  'PUT /api/staff/activities/{activityId}/months/{month}/declarations/{declarationId}': apiRoute(STAFF, async ({ event }) => {
    const body = readJsonBody(event);
    const found = await activityOf(event);
    const month = declarationMonthOf(event);
    const declaration = await recording.correctDeclarationFromRequest({ found, month, declarationId: event.pathParameters?.declarationId ?? '', body });
    logger.info('declaration corrected by staff', { activityId: found.activity.activityId, declarationId: declaration.declarationId, month });
    return json(200, await recording.declarationAnswer(declaration));
  }),

  'DELETE /api/staff/activities/{activityId}/months/{month}/declarations/{declarationId}': apiRoute(STAFF, async ({ event }) => {
    const { activity } = await activityOf(event);
    const month = declarationMonthOf(event);
    const declarationId = event.pathParameters?.declarationId ?? '';
    await recording.deleteDeclarationFromRequest({ activityId: activity.activityId, month, declarationId, query: event.queryStringParameters });
    logger.info('declaration deleted by staff', { activityId: activity.activityId, declarationId, month });
    return json(200, { deleted: true, declarationId });
  }),
});
