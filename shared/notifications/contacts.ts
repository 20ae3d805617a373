import { createHash } from 'node:crypto';
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { batchGetAll, db, queryIndexPage, queryPrefix, tableName, type Page } from '../data/client.js';
import { getReferralsByIds } from '../data/referrals.js';
import { timelinePut, type PersonRecord } from '../data/people.js';
import type { Staff } from '../domain/actor.js';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import { appendInvoiceEvent } from '../data/invoicing/invoices.js';
import type { InvoiceEvent } from '../domain/invoicing/records.js';
import { normalizeEmail } from '../domain/identity.js';
import { matchingKeys } from '../domain/person-matching.js';
import { normalizeFrenchMobile } from '../domain/phone.js';
import { INDEX, keys } from '../keys.js';
import { logger, metrics } from '../observability.js';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Channel, RecipientRole } from '../domain/messages/catalogue.js';
import { writeFallback } from './fallback.js';
import { outboxPuts, type OutboxMessage } from '../data/outbox.js';
import { recordOptOut, removeOptOut, smsKeyword } from './opt-outs.js';
import { RESEND_PREFIX, sendPendingNotifications } from './sender.js';
import type { DeliveryReport } from './tracking.js';
import { isConditionalCheckFailed } from '../data/transactions.js';

/** Recipients whose contact the cooperative holds and can correct: the young person, the guardian, the prescriber. */
export type ContactRole = Extract<RecipientRole, 'young' | 'guardian' | 'prescriber'>;
const CONTACT_ROLES = new Set<RecipientRole>(['young', 'guardian', 'prescriber']);

export const ROLE_LABELS: Record<RecipientRole, string> = {
  young: 'Jeune',
  guardian: 'Représentant légal',
  prescriber: 'Prescripteur',
  staff: 'Équipe',
  customer: 'Client',
};
export const CHANNEL_LABELS: Record<Channel, string> = { email: 'E-mail', sms: 'SMS' };

// In words for staff, where pages that read no table can have it too.
export { failureLabel } from '../domain/messages/failure-labels.js';

/**
 * An address that bounced (e-mail) or failed (SMS), waiting for staff to correct it. A customer's (role `customer`) is
 * filed under the invoice its messages are about (`invoiceOutboxOwner`): staff correct the e-mail on the customer's
 * form and send the invoice again (shared/invoicing/resend.ts), which closes it.
 */
export interface ContactIssue {
  issueId: string;
  personId: string;
  role: ContactRole | 'customer';
  channel: Channel;
  address: string;
  /** The provider's last failure code (`Permanent/General`, `UNREACHABLE`...). */
  reason?: string;
  status: 'open' | 'fixed';
  notificationIds: string[];
  firstFailedAt: string;
  lastFailedAt: string;
  referralId?: string;
  fixedAt?: string;
  fixedValue?: string;
  resent?: number;
}

/**
 * One issue per recipient, channel and address, with a URL-safe id; the address is hashed so that it does
 * not travel in URLs (and so into access logs).
 */
export function contactIssueId(role: RecipientRole, channel: Channel, address: string): string {
  const normalized = channel === 'email' ? normalizeEmail(address) : address;
  return `${role}.${channel}.${createHash('sha256').update(normalized).digest('hex').slice(0, 16)}`;
}

/** The role and channel an issue id names, or undefined when it is not one (a URL typed by hand). */
export function parseContactIssueId(issueId: string): { role: ContactRole; channel: Channel } | undefined {
  const match = /^(young|guardian|prescriber)\.(email|sms)\.[0-9a-f]{16}$/.exec(issueId);
  return match ? { role: match[1] as ContactRole, channel: match[2] as Channel } : undefined;
}

/** The most messages one fix sends again: the last ones that failed on that address. */
const MAX_RESEND = 10;

/**
 * What follows a provider's report. A hard bounce or a failed SMS puts the address on the staff's "to fix" list
 * and sends the recipient a word by the other channel; a complaint opts the address out of e-mail.
 * Everything here is idempotent: the same report seen again, or after a crash halfway, ends in the same state.
 */
export async function afterDeliveryReport(report: DeliveryReport, personId: string, notificationId: string, now = new Date()): Promise<void> {
  if (report.status === 'delivered') return;
  const result = await db().send(new GetCommand({ TableName: tableName(), Key: keys.notification(personId, notificationId), ConsistentRead: true }));
  const message = result.Item as OutboxMessage | undefined;
  if (!message || message.status !== report.status) return; // a later report won (e.g. a complaint after a bounce)
  // A customer's messages are filed under the invoice they are about, not under a person: their own path.
  if (message.role === 'customer') return afterCustomerReport(report, personId, message);
  if (report.status === 'complained') {
    const created = await recordOptOut({ channel: 'email', address: message.to, reason: 'complaint', at: report.at, personId, role: message.role });
    if (created) {
      await addTimelineEvent(personId, `opt-out#email#${notificationId}`, report.at, 'contact-opted-out', `${ROLE_LABELS[message.role]} : e-mails signalés comme indésirables, plus d'e-mails sauf obligatoires`);
      metrics.addMetric('contact_opted_out_email', MetricUnit.Count, 1);
    }
    return;
  }
  if (report.status === 'failed' && message.channel === 'email') return; // a transient e-mail failure (mailbox full...) says nothing of the address
  if (!CONTACT_ROLES.has(message.role)) {
    // The staff address is configuration, not a contact to fix: the StaffMessageUndelivered alarm watches this metric.
    logger.error('staff message did not arrive', { notificationId, channel: message.channel, reason: report.reason });
    metrics.addMetric('staff_message_undelivered', MetricUnit.Count, 1);
    return;
  }
  if (await openContactIssue(personId, message, report)) {
    await addTimelineEvent(
      personId,
      `contact-undelivered#${message.notificationId}`,
      report.at,
      'contact-undelivered',
      `${message.channel === 'email' ? 'E-mail' : 'SMS'} non remis (${ROLE_LABELS[message.role]}) : contact à corriger`,
    );
    metrics.addMetric(`contact_to_fix_${message.channel}`, MetricUnit.Count, 1);
    logger.info('contact to fix', { issueId: contactIssueId(message.role, message.channel, message.to), notificationId: message.notificationId, reason: report.reason });
  }
  const fallback = await writeFallback(personId, message, 'failed', now);
  if (fallback) await sendPendingNotifications(personId, fallback.cause, now);
}

/**
 * A report on an e-mail to an activity's customer (the invoice, a reminder, a re-send), filed under the invoice
 * (`invoiceId`). A mistyped address is the customer's, not a fault of ours: no staff alarm, a count of its own
 * (`customer_message_undelivered`, which no alarm watches), the e-mail on the invoice's history and the address on the
 * "to fix" list under the invoice, until staff correct the customer's e-mail and send the invoice again. There is no
 * other channel to fall back on: a customer has only an e-mail. A complaint opts the address out of e-mails that are not
 * mandatory (every message to a customer is, today: the invoice and its reminders, decision 30) and goes on the
 * invoice's history; no person's timeline, which an invoice id is not.
 */
async function afterCustomerReport(report: DeliveryReport, invoiceId: string, message: OutboxMessage): Promise<void> {
  const onInvoice = (event: InvoiceEvent['event'], marker: string) => invoiceEventOnce(invoiceId, { at: report.at, event, detail: message.to }, `${marker}#${message.notificationId}`);
  if (report.status === 'complained') {
    const created = await recordOptOut({ channel: 'email', address: message.to, reason: 'complaint', at: report.at, personId: invoiceId, role: 'customer' });
    await onInvoice('complained', 'complained');
    if (created) metrics.addMetric('contact_opted_out_email', MetricUnit.Count, 1);
    return;
  }
  if (report.status !== 'bounced') return; // a transient failure (mailbox full...) says nothing of the address
  const recorded = await onInvoice('undelivered', 'undelivered');
  const listed = await openContactIssue(invoiceId, message, report);
  if (recorded || listed) {
    metrics.addMetric('customer_message_undelivered', MetricUnit.Count, 1);
    logger.info('customer e-mail did not arrive', { invoiceId, notificationId: message.notificationId, reason: report.reason });
  }
}

/** Adds an event to an invoice's history once per marker: true when this call added it. An invoice gone adds nothing. */
async function invoiceEventOnce(invoiceId: string, event: InvoiceEvent, marker: string): Promise<boolean> {
  try {
    return (await appendInvoiceEvent(invoiceId, event, { once: marker })) !== undefined;
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    logger.warn('delivery report about an invoice not found', { invoiceId, notificationId: marker });
    return false;
  }
}

/**
 * Puts a message's address on the "to fix" list (or the message on its open issue): true when this report listed the
 * message. A message is listed once, and a fixed issue reopens only for a message sent after the fix.
 */
async function openContactIssue(personId: string, message: OutboxMessage, report: DeliveryReport): Promise<boolean> {
  const issueId = contactIssueId(message.role, message.channel, message.to);
  try {
    await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.contactIssue(personId, issueId),
        UpdateExpression:
          'SET #type = :type, issueId = :issueId, personId = :personId, #role = :role, channel = :channel, address = :address, #status = :open, ' +
          'lastFailedAt = :at, firstFailedAt = if_not_exists(firstFailedAt, :at), reason = :reason, ' +
          'gsi1pk = :gsi1pk, gsi1sk = :gsi1sk, notificationIds = list_append(if_not_exists(notificationIds, :empty), :ids)',
        // Reopens a fixed issue only for a message sent after the fix (the same address failing again);
        // a late report about a message sent before the fix changes nothing. A message is listed once.
        ConditionExpression: '(attribute_not_exists(pk) OR #status = :open OR fixedAt < :sentAt) AND NOT contains(notificationIds, :id)',
        ExpressionAttributeNames: { '#type': 'type', '#role': 'role', '#status': 'status' },
        ExpressionAttributeValues: {
          ':type': 'contact-issue',
          ':issueId': issueId,
          ':personId': personId,
          ':role': message.role,
          ':channel': message.channel,
          ':address': message.to,
          ':open': 'open',
          ':at': report.at,
          ':reason': report.reason ?? 'unknown',
          ':empty': [],
          ':ids': [message.notificationId],
          ':id': message.notificationId,
          ':sentAt': message.sentAt ?? message.createdAt,
          ...prefixedGsi1(keys.contactIssueEntry(report.at, personId, issueId)),
        },
      }),
    );
  } catch (error) {
    if (isConditionalCheckFailed(error)) return false;
    throw error;
  }
  return true;
}

const prefixedGsi1 = (entry: { gsi1pk: string; gsi1sk: string }) => ({ ':gsi1pk': entry.gsi1pk, ':gsi1sk': entry.gsi1sk });

/** Adds an event to the person's timeline; the same event id written again changes nothing. */
async function addTimelineEvent(personId: string, eventId: string, at: string, type: string, label: string): Promise<void> {
  try {
    await db().send(new PutCommand(timelinePut(tableName(), personId, { at, eventId, type, label, actor: { kind: 'system' } })[0].Put));
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
  }
}

type PageOptions = { limit?: number; cursor?: string; cursorField?: string };

/** The open issues, most recent failure first, one page at a time (`cursorField`: the query parameter of the cursor). */
export async function listContactIssues(options: PageOptions = {}): Promise<Page<ContactIssue>> {
  const page = await queryIndexPage(INDEX.contactLists, keys.contactIssuesPartition(), { ...options, newestFirst: true });
  return { items: page.items as unknown as ContactIssue[], cursor: page.cursor };
}

/**
 * Messages not delivered since a time, newest first, one page at a time: reported bounced or failed, or given up by
 * the outbox (`failed`).
 */
export async function listUndeliveredMessages(since: Date, options: PageOptions = {}): Promise<Page<OutboxMessage & { personId: string }>> {
  const page = await queryIndexPage(INDEX.failedMessages, keys.failedMessagesPartition(), { ...options, newestFirst: true, from: since.toISOString() });
  return { items: page.items as unknown as Array<OutboxMessage & { personId: string }>, cursor: page.cursor };
}

type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];

export interface FixResult {
  resent: number;
  alreadyFixed: boolean;
}

/**
 * Staff correct an address on the "to fix" list. In one transaction: the contact is changed where it lives
 * (the young person's profile and its uniqueness claim, and the copies on the person's referrals), the issue
 * closes, and the messages that failed on the old address go into the outbox again, to the new one.
 * Then they are sent; any not sent now goes with the dispatcher's next run. Sending the same fix twice
 * re-sends nothing the second time.
 */
export async function fixContact(input: { personId: string; issueId: string; value: string; staff: Staff; now?: Date }): Promise<FixResult> {
  const now = (input.now ?? new Date()).toISOString();
  const table = tableName();
  const issueResult = await db().send(new GetCommand({ TableName: table, Key: keys.contactIssue(input.personId, input.issueId), ConsistentRead: true }));
  const issue = issueResult.Item as ContactIssue | undefined;
  // A customer's e-mail is corrected on the customer's form, and the invoice sent again from there (shared/invoicing/resend.ts).
  if (!issue || issue.role === 'customer') throw new NotFoundError('Contact à corriger introuvable.');
  const same = (a?: string) => (a !== undefined && issue.channel === 'email' ? normalizeEmail(a) === normalizeEmail(input.value) : a === input.value);
  if (issue.status === 'fixed') {
    if (same(issue.fixedValue)) return { resent: issue.resent ?? 0, alreadyFixed: true };
    throw new ConflictError('Ce contact a déjà été corrigé par ailleurs. Rechargez la liste.');
  }

  const failed = await getMessages(input.personId, issue.notificationIds.slice(-MAX_RESEND));
  // One cause per message re-sent (what is counted); a message with a personal link also files its new address.
  const resendCauses: string[] = [];
  const resends = failed.flatMap((message) => {
    const cause = `${RESEND_PREFIX}${message.notificationId}`;
    resendCauses.push(cause);
    const { kind, role, channel, subject, body, personalLink, linkPage, attachments } = message;
    // The same page as the first: a statement's link opens that month's statement, a launch file's the launch file.
    return outboxPuts(table, input.personId, cause, [{ kind, role, channel, to: input.value, subject, body, personalLink, ...(linkPage ? { linkPage } : {}), ...(attachments ? { attachments } : {}) }], now, {
      referralId: message.referralId,
    });
  });
  const items: TransactItem[] = [
    closeIssueItem(input.personId, input.issueId, { at: now, by: input.staff.id, value: input.value, resent: resendCauses.length }),
    // A contact role here (a customer's issue was refused above): where the contact lives.
    ...(await contactUpdates({ ...issue, role: issue.role }, input.value, now)),
    ...timelinePut(table, input.personId, {
      at: now,
      eventId: `contact-fixed#${input.issueId}#${now}`,
      type: 'contact-fixed',
      label: `${issue.channel === 'email' ? 'E-mail' : 'Mobile'} corrigé (${ROLE_LABELS[issue.role]}) : ${resendCauses.length} message${resendCauses.length > 1 ? 's' : ''} renvoyé${resendCauses.length > 1 ? 's' : ''}`,
      actor: input.staff,
    }),
    ...resends,
  ];
  try {
    await db().send(new TransactWriteCommand({ TransactItems: items }));
  } catch (error) {
    if (!(error instanceof TransactionCanceledException || (error as Error).name === 'TransactionCanceledException')) throw error;
    const reasons = (error as TransactionCanceledException).CancellationReasons ?? [];
    const claimIndex = items.findIndex((item) => item.Put?.Item?.type === 'person-claim');
    if (claimIndex >= 0 && reasons[claimIndex]?.Code === 'ConditionalCheckFailed') {
      throw new ConflictError(
        issue.channel === 'email'
          ? "Cette adresse e-mail est déjà celle d'une autre personne suivie, de même nom et même date de naissance. Vérifiez-la avant de l'enregistrer."
          : "Ce numéro est déjà celui d'une autre personne suivie, de même nom et même date de naissance. Vérifiez-le avant de l'enregistrer.",
      );
    }
    // Someone else fixed it meanwhile, or the contact changed under us: read again and answer from there.
    const again = await db().send(new GetCommand({ TableName: table, Key: keys.contactIssue(input.personId, input.issueId), ConsistentRead: true }));
    const current = again.Item as ContactIssue | undefined;
    if (current?.status === 'fixed' && same(current.fixedValue)) return { resent: current.resent ?? 0, alreadyFixed: true };
    throw new ConflictError("Ce contact a changé pendant la correction. Rechargez la liste et recommencez.");
  }
  logger.info('contact fixed', { issueId: input.issueId, resent: resendCauses.length });
  metrics.addMetric('contact_fixed', MetricUnit.Count, 1);
  for (const cause of resendCauses) {
    try {
      await sendPendingNotifications(input.personId, cause);
    } catch (error) {
      // Listed as due: the dispatcher sends it within minutes.
      logger.warn('re-send deferred to the dispatcher', { error: (error as Error).name });
    }
  }
  return { resent: resendCauses.length, alreadyFixed: false };
}

/** How an issue was closed: when, by which staff member, the address its messages went to since, how many. */
interface IssueFix {
  at: string;
  by: string;
  value: string;
  resent: number;
}

/** The update that closes an open issue (off the "to fix" list); it fails if the issue is no longer open. */
function closeIssueItem(ownerId: string, issueId: string, fix: IssueFix): TransactItem {
  return {
    Update: {
      TableName: tableName(),
      Key: keys.contactIssue(ownerId, issueId),
      UpdateExpression: 'SET #status = :fixed, fixedAt = :now, fixedBy = :by, fixedValue = :value, resent = :resent REMOVE gsi1pk, gsi1sk',
      ConditionExpression: '#status = :open',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':fixed': 'fixed', ':open': 'open', ':now': fix.at, ':by': fix.by, ':value': fix.value, ':resent': fix.resent },
    },
  };
}

/**
 * The updates that close every open issue of an owner once its messages went again to another address, as a fix does:
 * a customer's, filed under the invoice, when staff send the invoice to the corrected e-mail. Each fails the
 * transaction if another closed it meanwhile.
 */
export async function closeOpenIssuesItems(ownerId: string, fix: IssueFix): Promise<TransactItem[]> {
  const prefix = keys.contactIssue(ownerId, '');
  const issues = (await queryPrefix(prefix.pk, prefix.sk, { consistentRead: true })) as unknown as ContactIssue[];
  return issues.filter((issue) => issue.status === 'open').map((issue) => closeIssueItem(ownerId, issue.issueId, fix));
}

async function getMessages(personId: string, notificationIds: string[]): Promise<OutboxMessage[]> {
  const items = (await batchGetAll(notificationIds.map((id) => keys.notification(personId, id)), { consistentRead: true })) as unknown as OutboxMessage[];
  const byId = new Map(items.map((item) => [item.notificationId, item]));
  return notificationIds.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []));
}

/**
 * The writes that change a contact where it lives. The young person's address is on the profile (with its
 * uniqueness claim) and copied on each referral; a guardian's or a prescriber's only on the referrals.
 * Each copy changes only if it still holds the failed address.
 */
async function contactUpdates(issue: ContactIssue & { role: ContactRole }, value: string, now: string): Promise<TransactItem[]> {
  const table = tableName();
  const field = issue.channel === 'email' ? 'email' : 'phone';
  const matches = (current: unknown) =>
    typeof current === 'string' && (issue.channel === 'email' ? normalizeEmail(current) === normalizeEmail(issue.address) : current === issue.address);
  const items: TransactItem[] = [];
  if (issue.role === 'young') {
    const person = (await db().send(new GetCommand({ TableName: table, Key: keys.person(issue.personId), ConsistentRead: true }))).Item as PersonRecord | undefined;
    if (!person) throw new NotFoundError('Personne introuvable.');
    // The profile keeps the first referral's contacts: it changes only if it holds the failed address.
    const current = person[field];
    if (matches(current)) {
      items.push({
        Update: {
          TableName: table,
          Key: keys.person(issue.personId),
          UpdateExpression: 'SET #field = :value, updatedAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND #field = :current',
          ExpressionAttributeNames: { '#field': field },
          ExpressionAttributeValues: { ':value': value, ':now': now, ':current': current },
        },
      });
    }
    items.push(...(await matchingKeyMoves(table, person, issue.channel, issue.address, value, now)));
  }
  const part = issue.role === 'young' ? 'youngPerson' : issue.role;
  const links = keys.personReferralsPrefix(issue.personId);
  const referrals = await getReferralsByIds((await queryPrefix(links.pk, links.skPrefix)).map((i) => String(i.referralId)));
  for (const referral of referrals.values()) {
    const holder = referral[part] as Record<string, unknown> | undefined;
    if (!holder || !matches(holder[field])) continue;
    items.push({
      Update: {
        TableName: table,
        Key: keys.referral(referral.referralId),
        UpdateExpression: 'SET #part.#field = :value, updatedAt = :now',
        ConditionExpression: '#part.#field = :current',
        ExpressionAttributeNames: { '#part': part, '#field': field },
        ExpressionAttributeValues: { ':value': value, ':now': now, ':current': holder[field] },
      },
    });
  }
  return items;
}

/**
 * The young person's matching keys follow a corrected address: the lookup entry moves, and so does the strong claim
 * (name + birth date with that address), which stays unique: another person of the same name and birth date holding
 * the new address makes the fix a 409. Several people may share an address otherwise (a family's e-mail).
 */
async function matchingKeyMoves(table: string, person: PersonRecord, channel: Channel, failed: string, value: string, now: string): Promise<TransactItem[]> {
  const field = channel === 'email' ? 'email' : 'phone';
  const lookupKind = channel === 'email' ? 'EMAIL' : 'PHONE';
  const strongKind = channel === 'email' ? 'IDENTITY-EMAIL' : 'IDENTITY-PHONE';
  const keysWith = (address: string) => {
    const all = matchingKeys({ ...person, [field]: address });
    return { lookup: all.lookups.find((l) => l.kind === lookupKind)?.value ?? '', strong: all.strong.find((c) => c.kind === strongKind)?.value ?? '' };
  };
  const before = keysWith(failed);
  const after = keysWith(value);
  if (before.lookup === after.lookup) return [];
  const items: TransactItem[] = [
    { Delete: { TableName: table, Key: keys.personLookup(lookupKind, before.lookup, person.personId) } },
    { Put: { TableName: table, Item: { ...keys.personLookup(lookupKind, after.lookup, person.personId), type: 'person-lookup', personId: person.personId, createdAt: now } } },
  ];
  // The old strong claim goes only if it is this person's (a weak match may have left it to another).
  const oldClaim = await db().send(new GetCommand({ TableName: table, Key: keys.strongPersonClaim(strongKind, before.strong), ConsistentRead: true }));
  if (oldClaim.Item?.personId === person.personId) {
    items.push({
      Delete: { TableName: table, Key: keys.strongPersonClaim(strongKind, before.strong), ConditionExpression: 'personId = :personId', ExpressionAttributeValues: { ':personId': person.personId } },
    });
  }
  items.push({
    Put: {
      TableName: table,
      Item: { ...keys.strongPersonClaim(strongKind, after.strong), type: 'person-claim', personId: person.personId, createdAt: now },
      ConditionExpression: 'attribute_not_exists(pk) OR personId = :personId',
      ExpressionAttributeValues: { ':personId': person.personId },
    },
  });
  return items;
}

/** What End User Messaging SMS publishes to the two-way topic when someone texts our number. */
export interface InboundSms {
  originationNumber: string;
  messageBody: string;
  inboundMessageId: string;
  /** Our message they answer, when the carrier says. */
  previousPublishedMessageId?: string;
}

/**
 * An SMS reply: STOP (or ARRET...) opts the number out of SMS, START lifts it; anything else is left to people.
 * The person is found through the message answered, else through the young person's number.
 */
export async function recordSmsReply(reply: InboundSms, now = new Date()): Promise<'stop' | 'start' | 'ignored'> {
  const keyword = smsKeyword(reply.messageBody);
  if (!keyword) return 'ignored';
  const number = normalizeFrenchMobile(reply.originationNumber) ?? reply.originationNumber;
  const at = now.toISOString();
  const about = await personOfReply(reply, number);
  if (keyword === 'stop') {
    const created = await recordOptOut({ channel: 'sms', address: number, reason: 'stop', at, ...about });
    if (created && about.personId) {
      await addTimelineEvent(about.personId, `opt-out#sms#${reply.inboundMessageId}`, at, 'contact-opted-out', `${ROLE_LABELS[about.role ?? 'young']} : réponse STOP, plus de SMS (messages obligatoires par e-mail)`);
    }
    if (created) metrics.addMetric('contact_opted_out_sms', MetricUnit.Count, 1);
    return 'stop';
  }
  await removeOptOut('sms', number);
  if (about.personId) await addTimelineEvent(about.personId, `opt-in#sms#${reply.inboundMessageId}`, at, 'contact-opted-in', `${ROLE_LABELS[about.role ?? 'young']} : réponse START, SMS réactivés`);
  return 'start';
}

async function personOfReply(reply: InboundSms, number: string): Promise<{ personId?: string; role?: RecipientRole }> {
  if (reply.previousPublishedMessageId) {
    const lookup = await db().send(new GetCommand({ TableName: tableName(), Key: keys.providerMessage('sms', reply.previousPublishedMessageId) }));
    if (lookup.Item) {
      const message = await db().send(new GetCommand({ TableName: tableName(), Key: keys.notification(String(lookup.Item.personId), String(lookup.Item.notificationId)) }));
      return { personId: String(lookup.Item.personId), role: message.Item?.role as RecipientRole | undefined };
    }
  }
  // Several young people may share a number (a family's phone): then the reply names nobody.
  const entries = await queryPrefix(keys.personLookupPartition('PHONE', number), '');
  const people = [...new Set(entries.map((item) => String(item.personId)))];
  return people.length === 1 ? { personId: people[0], role: 'young' } : {};
}
