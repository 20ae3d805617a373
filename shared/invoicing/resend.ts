import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { getActivityRecords } from '../data/activities.js';
import { db, queryPrefix, tableName } from '../data/client.js';
import { getCustomer } from '../data/invoicing/customers.js';
import { issuedInvoiceEventOnceItem, requireInvoice } from '../data/invoicing/invoices.js';
import type { ByWhom } from '../data/invoicing/items.js';
import { outboxPuts, withDeliveries, type OutboxMessage } from '../data/outbox.js';
import { cooperativeFromEnv } from '../domain/activities.js';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import { normalizeEmail } from '../domain/identity.js';
import { idFromIdempotencyKey } from '../domain/idempotency.js';
import { invoiceOutboxOwner, type InvoiceRecord } from '../domain/invoicing/records.js';
import { checkResend } from '../domain/invoicing/resend-check.js';
import { keys } from '../keys.js';
import { closeOpenIssuesItems } from '../notifications/contacts.js';
import { RESEND_PREFIX, sendPendingNotifications, writeAndSendNotifications } from '../notifications/sender.js';
import { logger, metrics } from '../observability.js';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { invoiceMail } from './run-steps.js';

/*
 * "Renvoyer la facture": an issued invoice's e-mail sent again to its customer's corrected address, after the last one
 * bounced or never went. The customer's "fix and re-send", as a young person's contact has it (shared/notifications/
 * contacts.ts, `fixContact`): the e-mail is written to the outbox with what it closes (the invoice's contact issues,
 * off the "to fix" list) and the invoice's history, in one transaction, then sent at once (the dispatcher sends it if
 * that fails). Staff correct the address on the customer's form first: the invoice goes to the customer's e-mail as it
 * is now, never to an address typed here. The invoice itself does not change: its PDF (the customer's address at issue
 * included) is the one stored when it was issued.
 */

/** The undelivered e-mails of an invoice marked as sent again, at most (a transaction holds 100 items). */
const MAX_MARKED = 10;

/** The e-mails of an invoice to its customer (its e-mail, its reminders, their re-sends), oldest first, their deliveries applied. */
export async function invoiceMails(invoiceId: string): Promise<OutboxMessage[]> {
  const prefix = keys.notificationsPrefix(invoiceOutboxOwner(invoiceId));
  const receipts = keys.deliveryReceiptsPrefix(invoiceOutboxOwner(invoiceId));
  const [stored, delivered] = await Promise.all([queryPrefix(prefix.pk, prefix.skPrefix, { consistentRead: true }), queryPrefix(receipts.pk, receipts.skPrefix, { consistentRead: true })]);
  const items = withDeliveries([...stored, ...delivered]) as unknown as OutboxMessage[];
  return items.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.notificationId.localeCompare(b.notificationId));
}

/** The outbox cause of a re-send: one per invoice, address and request (the request's Idempotency-Key). */
const resendCause = (invoiceId: string, to: string, requestKey: string) => `${RESEND_PREFIX}invoice#${idFromIdempotencyKey(`invoice-resend:${invoiceId}:${normalizeEmail(to)}`, requestKey)}`;

export interface ResendOutcome {
  invoice: InvoiceRecord;
  to: string;
  notificationId: string;
  /** The same request seen again: its e-mail was written before, and nothing more is. */
  replayed: boolean;
}

/**
 * Sends an issued invoice again to its customer's e-mail as it is now (`email`: the address staff saw, which must
 * still be it), once per request: the same request again (its `requestKey`) finds its e-mail and writes nothing more.
 * Refused, writing nothing: an invoice not found (404), not an issued invoice, an address changed since the page was
 * shown, a last e-mail that went or is under way, an address that bounced and was not corrected (409).
 */
export async function resendInvoice(input: { invoiceId: string; email: string; requestKey: string; by: ByWhom; now?: Date }): Promise<ResendOutcome> {
  const now = input.now ?? new Date();
  const at = now.toISOString();
  const invoice = await requireInvoice(input.invoiceId);
  const owner = invoiceOutboxOwner(invoice.invoiceId);
  const [customer, mails] = await Promise.all([getCustomer(invoice.activityId, invoice.customer.customerId), invoiceMails(invoice.invoiceId)]);
  // The customer's e-mail now: corrected on their form since the invoice was issued (the invoice keeps its own copy).
  const to = customer?.email ?? invoice.customer.email;
  const cause = resendCause(invoice.invoiceId, to, input.requestKey);
  const notificationId = `${cause}#customer#email`;
  const replay = async (): Promise<ResendOutcome> => {
    await sendPendingNotifications(owner, cause, now);
    return { invoice: await requireInvoice(invoice.invoiceId), to, notificationId, replayed: true };
  };
  if (mails.some((mail) => mail.cause === cause)) return replay();
  if (normalizeEmail(input.email) !== normalizeEmail(to)) {
    throw new ConflictError("L'e-mail du client a changé depuis l'affichage de la page : rechargez-la et vérifiez l'adresse.");
  }
  const check = checkResend(invoice, mails, to);
  if (check.refusal) throw new ConflictError(check.refusal);

  const activity = (await getActivityRecords([invoice.activityId])).get(invoice.activityId);
  if (!activity) throw new NotFoundError('Activité introuvable.');
  // The e-mail as the run writes it, to the corrected address, with the PDF stored at issue.
  const { draft, attachmentBytes } = await invoiceMail(invoice, activity, cooperativeFromEnv(), to);
  const undelivered = mails.filter((mail) => (mail.status === 'bounced' || mail.status === 'failed') && !mail.resentAt).slice(-MAX_MARKED);
  const items = [
    ...outboxPuts(tableName(), owner, cause, [draft], at),
    // Once per request; refused once the invoice is no longer issued (cancelled meanwhile).
    issuedInvoiceEventOnceItem(invoice.invoiceId, { at, event: 'resent', by: input.by, detail: to }, cause),
    // Off the "to fix" list, as a young person's fix takes their contact off it.
    ...(await closeOpenIssuesItems(owner, { at, by: input.by.id, value: to, resent: 1 })),
    // The messages staff see as not delivered say they were sent again, and where.
    ...undelivered.map((mail) => ({
      Update: {
        TableName: tableName(),
        Key: keys.notification(owner, mail.notificationId),
        UpdateExpression: 'SET resentAt = :at, resentTo = :to',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':at': at, ':to': to },
      },
    })),
  ];
  let refused = false;
  await writeAndSendNotifications([{ cause, items, ...(attachmentBytes ? { attachmentBytes } : {}) }], 1, now, () => (refused = true));
  if (refused) {
    // The same request at the same moment wrote it first: it stands. Otherwise the invoice or its issues changed meanwhile.
    const written = await db().send(new GetCommand({ TableName: tableName(), Key: keys.notification(owner, notificationId), ConsistentRead: true }));
    if (!written.Item) throw new ConflictError('La facture a changé pendant le renvoi : rechargez la page et recommencez.');
    return replay();
  }
  metrics.addMetric('invoice_resent', MetricUnit.Count, 1);
  logger.info('invoice sent again to its customer', { invoiceId: invoice.invoiceId, notificationId });
  return { invoice: await requireInvoice(invoice.invoiceId), to, notificationId, replayed: false };
}
