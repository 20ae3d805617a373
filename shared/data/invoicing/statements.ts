import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { cooperativeFromEnv, type ActivityMember, type ActivityRecord } from '../../domain/activities.js';
import { NotFoundError } from '../../domain/errors.js';
import { PAYMENT_MEANS_LABELS, type InvoiceRecord, type PaymentRecord, type RefundRecord } from '../../domain/invoicing/records.js';
import {
  memberStatement,
  monthlyStatement,
  statementKeyFigures,
  statementPage,
  statementPdfKey,
  type PersonStatementLink,
  type StatementDocument,
  type StatementMemberCopy,
  type StatementRecord,
} from '../../domain/invoicing/statement.js';
import { render } from '../../domain/messages/catalogue.js';
import { personalLinkSettingsFromEnv } from '../../domain/personal-links.js';
import { renderMemberStatementPdf } from '../../invoicing/statement-pdf.js';
import { INDEX, keys } from '../../keys.js';
import { MAX_RETRY_DELAY_SECONDS, outboxRetryFromEnv } from '../../notifications/retry-policy.js';
import { sendPendingNotifications, writeAndSendNotifications, type OutboxWrite } from '../../notifications/sender.js';
import { putObjectOnce, readObject } from '../../storage/objects.js';
import { getActivitiesWithMembers, listActivitiesOfPerson } from '../activities.js';
import type { TransactItem } from '../approvals.js';
import { batchGetAll, db, queryAll, queryPrefix, tableName } from '../client.js';
import { withoutFiledContacts } from '../personal-links.js';
import { outboxPuts } from '../outbox.js';
import { getReferralsByIds } from '../referrals.js';
import { getInvoices, listActivityInvoices } from './invoices.js';
import { inParallel, MAX_TRANSACTION_ITEMS, recordOf } from './items.js';
import { listActivityMoney, type MonthMoney } from './payments.js';

/**
 * The monthly statement of each young person of an activity (decisions 30 and 35), issued once per activity and month
 * at the end of the monthly run: computed by `monthlyStatement` (shared/domain/invoicing/statement.ts), one record for
 * the activity (holding everything its PDFs show and each member's copy, which their space reads), and the
 * `monthly-statement` e-mail to each member (the month's key figures and their personal link to the statement), all
 * written in one transaction (decision 39: nothing more per member). A member's PDF is rendered from the record the first time it is opened (`statementPdf`), not at issue.
 */

export type { PersonStatementLink, StatementRecord };

/** The outbox cause of an activity's statements of a month: one message per member. */
export const statementCause = (activityId: string, month: string) => `monthly-statement#${activityId}#${month}`;

/** A statement e-mail of the month still pending, as the outbox's due index lists it. */
export interface PendingStatementMail {
  personId: string;
  notificationId: string;
  cause: string;
}

/**
 * The month's statement e-mails still pending (decision 57), found in the outbox's due index rather than read one by
 * one: every pending message is there under its next attempt's time (its sender's lease's end, its backoff's, never
 * more than a lease or the longest backoff ahead), and at the close of a month there are nearly always none, so one
 * query of the index's near end answers. The index lags a moment behind the table: a caller reads again by key what
 * it acts on (`statementMailStatuses`).
 */
export async function pendingStatementMails(month: string, now: Date = new Date()): Promise<PendingStatementMail[]> {
  const { leaseSeconds } = outboxRetryFromEnv();
  const until = new Date(now.getTime() + (Math.max(leaseSeconds, MAX_RETRY_DELAY_SECONDS) + 60) * 1000).toISOString();
  const items = await queryAll({
    IndexName: INDEX.dueMessages,
    KeyConditionExpression: 'gsi3pk = :pk AND gsi3sk <= :until',
    FilterExpression: '#kind = :kind AND #status = :pending',
    ProjectionExpression: 'personId, notificationId, #cause',
    ExpressionAttributeNames: { '#kind': 'kind', '#status': 'status', '#cause': 'cause' },
    ExpressionAttributeValues: { ':pk': keys.dueMessagesPartition(), ':until': `${until}~`, ':kind': 'monthly-statement', ':pending': 'pending' },
  });
  return (items as unknown as PendingStatementMail[]).filter((m) => m.cause.startsWith('monthly-statement#') && m.cause.endsWith(`#${month}`));
}

/** The statuses of these statement e-mails, read by key (consistently), in their order: undefined for one not found. */
export async function statementMailStatuses(mails: readonly PendingStatementMail[]): Promise<Array<string | undefined>> {
  const found = await batchGetAll(mails.map((m) => keys.notification(m.personId, m.notificationId)), { consistentRead: true, projection: ['personId', 'notificationId', 'status'] });
  const byId = new Map(found.map((item) => [`${String(item.personId)}\u0000${String(item.notificationId)}`, String(item.status)]));
  return mails.map((m) => byId.get(`${m.personId}\u0000${m.notificationId}`));
}

/**
 * Sends the month's statement e-mails found pending whose turn has come, up to `max` (decision 57), as the dispatcher
 * would (`sendPendingNotifications`: one under a live lease, or waiting for its backoff, is left), then says how many
 * are still pending, read again by key.
 */
export async function sendPendingStatementMails(month: string, max: number, now: Date = new Date()): Promise<{ found: number; pending: number }> {
  const found = await pendingStatementMails(month, now);
  if (found.length === 0) return { found: 0, pending: 0 };
  const causes = [...new Map(found.map((m) => [`${m.personId}\u0000${m.cause}`, m])).values()];
  await inParallel(causes.slice(0, max), PARALLEL, (m) => sendPendingNotifications(m.personId, m.cause, now));
  const statuses = await statementMailStatuses(found);
  return { found: found.length, pending: statuses.filter((status) => status === 'pending').length };
}


export async function getStatement(activityId: string, month: string): Promise<StatementRecord | undefined> {
  const { Item } = await db().send(new GetCommand({ TableName: tableName(), Key: keys.statement(activityId, month), ConsistentRead: true }));
  return Item ? recordOf<StatementRecord>(Item) : undefined;
}

/** An activity's statements, oldest month first. */
export async function listStatementsOfActivity(activityId: string): Promise<StatementRecord[]> {
  const prefix = keys.statementsPrefix(activityId);
  return (await queryPrefix(prefix.pk, prefix.skPrefix, { consistentRead: true })).map((i) => recordOf<StatementRecord>(i));
}

/**
 * A young person's statements of every activity they are a member of, oldest month first: read from the activities
 * their person links to (`listActivitiesOfPerson`, what their space lists) and each activity's records, their copy
 * in each. Nothing is written on the person at issue for this (decision 39): a read here, rare, costs less than an
 * item per member every month. Records issued before decision 35 give their copy's `pdfKey`.
 */
export async function listStatementsOfPerson(personId: string): Promise<PersonStatementLink[]> {
  const activities = await listActivitiesOfPerson(personId);
  const records = (await inParallel(activities, PARALLEL, ({ activityId }) => listStatementsOfActivity(activityId))).flat();
  return records
    .flatMap((record) => record.members.filter((copy) => copy.personId === personId).map((copy) => personStatementLink(record, copy)))
    .sort((a, b) => a.month.localeCompare(b.month) || a.activityId.localeCompare(b.activityId));
}

/** A member's statement as their space lists it, from the record and their copy. */
function personStatementLink(record: StatementRecord, copy: StatementMemberCopy): PersonStatementLink {
  const { statement } = record;
  return {
    personId: copy.personId,
    referralId: copy.referralId,
    activityId: record.activityId,
    month: record.month,
    activityName: statement.activity.name,
    revenueExclVatCents: statement.revenueExclVatCents,
    paymentsReceivedCents: statement.paymentsReceivedCents,
    contributionCents: statement.contribution.contributionCents,
    leftCents: copy.leftCents,
    ...(copy.pdfKey ? { pdfKey: copy.pdfKey } : {}),
    issuedAt: record.issuedAt,
  };
}

/** The month's numbered invoices and credit notes (drafts and held ones are not invoiced yet). */
function statementDocuments(invoices: readonly InvoiceRecord[]): StatementDocument[] {
  return invoices
    .filter((i) => i.number !== undefined && (i.status === 'issued' || i.status === 'cancelled'))
    .map((i) => ({ invoiceId: i.invoiceId, number: i.number!, kind: i.kind, issueDate: i.issueDate!, customerName: i.customer.name, netCents: i.totals.netCents, vatCents: i.totals.vatCents, grossCents: i.totals.grossCents }));
}

/** The payments received during the month, with the numbers of their invoices. */
function statementPayments(payments: readonly PaymentRecord[], invoices: ReadonlyMap<string, InvoiceRecord>) {
  return payments.map((p) => ({ invoiceNumber: invoices.get(p.invoiceId)?.number ?? '', date: p.date, amountCents: p.amountCents, meansLabel: PAYMENT_MEANS_LABELS[p.means] }));
}

/** The refunds given back during the month (decision 54): they carry their invoice's and credit note's numbers. */
function statementRefunds(refunds: readonly RefundRecord[]) {
  return refunds.map((r) => ({ creditNoteNumber: r.creditNoteNumber, invoiceNumber: r.invoiceNumber, date: r.date, amountCents: r.amountCents, meansLabel: PAYMENT_MEANS_LABELS[r.means] }));
}

/** Sends what the statement left in each member's outbox (a retry sends only what is still pending). */
async function sendToMembers(record: StatementRecord, now: Date): Promise<number> {
  const cause = statementCause(record.activityId, record.month);
  const counts = await Promise.all(record.members.map((m) => sendPendingNotifications(m.personId, cause, now)));
  return counts.reduce((sum, c) => sum + c.sent, 0);
}

/** A member's copy of the record: what is left for them (their share, for a collective activity). */
const memberCopy = (member: ActivityMember, leftCents: number): StatementMemberCopy => ({ personId: member.personId, referralId: member.referralId, name: member.name, leftCents });

/**
 * A member's statement PDF as their space serves it (decision 35): the one stored under `statementPdfKey` once its
 * first reader rendered it, or else rendered from the record now and stored by a conditional put (`If-None-Match`).
 * Two first readers at once render the same bytes; the put that lands first is what every later reader gets, and the
 * other serves what it finds stored. A record issued before decision 35 names the PDF stored at issue: that one, or
 * undefined when it is not there. `rendered` says whether this call rendered it.
 */
export async function statementPdf(record: StatementRecord, copy: StatementMemberCopy): Promise<{ bytes: Uint8Array; rendered: boolean } | undefined> {
  if (copy.pdfKey) {
    const bytes = await readObject(copy.pdfKey, { deniedMeansMissing: true });
    return bytes && { bytes, rendered: false };
  }
  const key = statementPdfKey(record.month, record.activityId, copy.referralId);
  // A reader not allowed to list the bucket (the members' API) gets AccessDenied for a key that holds nothing yet.
  const stored = await readObject(key, { deniedMeansMissing: true });
  if (stored) return { bytes: stored, rendered: false };
  const pdf = await renderMemberStatementPdf(record, copy);
  if (await putObjectOnce(key, pdf, 'application/pdf')) return { bytes: pdf, rendered: true };
  // Another first reader stored it meanwhile (or is storing it: the same bytes).
  return { bytes: (await readObject(key, { deniedMeansMissing: true })) ?? pdf, rendered: true };
}

/** An activity whose month's statement a batch issues, with what the run's list knows of its month (`prepareStatements`). */
export interface StatementTarget {
  activityId: string;
  /**
   * The ids of its invoices and credit notes of the month, as the run listed them: read (consistently) by id, not
   * listed by a query of the activity's invoices. None given: they are queried.
   */
  invoiceIds?: readonly string[];
  /**
   * Whether it received a payment or gave a refund in the month, as the run found (`activitiesWithPaymentsIn`): its
   * payments and refunds are queried only if so (or not said).
   */
  paid?: boolean;
}

export interface IssuedStatement {
  statement: StatementRecord;
  created: boolean;
  sent: number;
}

/** Queries and activities sent at once in a batch. */
const PARALLEL = 8;

/**
 * Issues the statements of an activity's month: for each member, what the month brought (invoices and credit notes
 * of the month, payments received in it, the contribution at the activity's rate, what is left; for a collective
 * activity the collective's result and the even split, their share marked), their copy on the record (their space), and
 * the `monthly-statement` e-mail with the month's key figures and their personal link to it (no PDF: rendered when first
 * opened). Idempotent: once the activity's month has its statement, a repeat (a retried step, a concurrent call)
 * writes nothing and sends only what is still pending (`created: false`).
 */
export async function issueMonthlyStatements(input: { activityId: string; month: string; now?: Date; cooperativeName?: string }): Promise<IssuedStatement> {
  const { activityId, ...rest } = input;
  return (await issueManyMonthlyStatements({ ...rest, activities: [{ activityId }] }))[0]!;
}

/**
 * `issueMonthlyStatements` for many activities of a month (a batch of the run's statements map), in a few requests
 * for the batch rather than ten per activity: the statements already issued, the activities and their members, the
 * invoices, the referrals and their addresses filed for new links are read in batches; an activity's payments are
 * queried only when it has some, its invoices only when the run did not list them. Each activity's record and messages
 * (with the filing of an address not filed yet) are still one unit
 * written whole or not at all (conditional on no statement yet), many units to a transaction, and the e-mails go as
 * written (`writeAndSendNotifications`, which issues their personal links in the same transaction). Nothing is
 * rendered nor stored in S3. An activity that fails (not found, a unit refused with no statement there) does not stop
 * the others: the first failure is thrown once they are done. Results in input order.
 */
export async function issueManyMonthlyStatements(input: { month: string; activities: readonly StatementTarget[]; now?: Date; cooperativeName?: string }): Promise<IssuedStatement[]> {
  const now = input.now ?? new Date();
  const { month } = input;
  const targets = new Map(input.activities.map((target) => [target.activityId, target]));
  const ids = [...targets.keys()];
  const results = new Map<string, IssuedStatement>();
  let failure: unknown;
  const fail = (error: unknown) => {
    failure ??= error;
  };

  // Those issued already (a retried batch, a concurrent call): the statement stands, what is pending is sent.
  const existing = (await batchGetAll(ids.map((id) => keys.statement(id, month)), { consistentRead: true })).map((item) => recordOf<StatementRecord>(item));
  const issuedBefore = new Set(existing.map((statement) => statement.activityId));
  await inParallel(existing, PARALLEL, async (statement) => {
    try {
      results.set(statement.activityId, { statement, created: false, sent: await sendToMembers(statement, now) });
    } catch (error) {
      fail(error);
    }
  });

  const toIssue = ids.filter((id) => !issuedBefore.has(id));
  const hinted = (id: string) => targets.get(id)!.invoiceIds;
  const [found, listed, payments] = await Promise.all([
    getActivitiesWithMembers(toIssue, PARALLEL),
    // The month's invoices of the activities the run did not list them for.
    inParallel(
      toIssue.filter((id) => !hinted(id)),
      PARALLEL,
      async (id) => [id, (await listActivityInvoices(id, month)).map((i) => i.invoiceId)] as const,
    ),
    inParallel(
      toIssue.filter((id) => targets.get(id)!.paid !== false),
      PARALLEL,
      // Payments and refunds, in one query of the payments' index (decision 54).
      async (id) => [id, await listActivityMoney(id, month)] as const,
    ),
  ]);
  const invoiceIds = new Map<string, readonly string[]>([...toIssue.filter((id) => hinted(id)).map((id) => [id, hinted(id)!] as const), ...listed]);
  const moneyOf = new Map<string, MonthMoney>(payments);
  const units: Array<{ activity: ActivityRecord; members: ActivityMember[] }> = [];
  for (const id of toIssue) {
    const parts = found.get(id);
    if (!parts) fail(new NotFoundError('Activité introuvable.'));
    // The record, and per member the message and its address filed for new links, in one transaction.
    else if (1 + 2 * parts.members.length > MAX_TRANSACTION_ITEMS) fail(new Error('too many members for one statement transaction'));
    else units.push(parts);
  }
  // Every invoice read at once, consistently: the month's documents and the invoices the payments were for.
  const [invoices, referrals] = await Promise.all([
    getInvoices([...units.flatMap(({ activity }) => invoiceIds.get(activity.activityId) ?? []), ...[...moneyOf.values()].flatMap((money) => money.payments).map((p) => p.invoiceId)]),
    getReferralsByIds(units.flatMap(({ members }) => members.map((m) => m.referralId))),
  ]);
  const invoicesById = new Map(invoices.map((i) => [i.invoiceId, i]));

  // Its PDFs, rendered when first opened, are dated the Paris day of `issuedAt`.
  const iso = now.toISOString();
  const cooperativeName = input.cooperativeName ?? cooperativeFromEnv().name;
  const bases = units.map(({ activity, members }) => {
    const { activityId } = activity;
    const monthInvoices = (invoiceIds.get(activityId) ?? []).map((id) => invoicesById.get(id)).filter((i): i is InvoiceRecord => i?.activityId === activityId && i.month === month);
    return {
      month,
      activity: { activityId, name: activity.name, tradeName: activity.tradeName, shape: activity.shape },
      documents: statementDocuments(monthInvoices),
      payments: statementPayments(moneyOf.get(activityId)?.payments ?? [], invoicesById),
      refunds: statementRefunds(moneyOf.get(activityId)?.refunds ?? []),
      rateBps: activity.contributionRateBps,
      collectiveMemberIds: members.map((m) => m.referralId),
    };
  });
  const table = tableName();
  const validDays = Math.max(1, Math.round(personalLinkSettingsFromEnv().validForSeconds / 86_400));
  const writes: Array<OutboxWrite & { record: StatementRecord }> = [];
  for (const [u, { activity, members }] of units.entries()) {
    const { activityId } = activity;
    const statement = monthlyStatement(bases[u]!);
    // Each member's copy: what is left for them (a collective's even share, theirs).
    const copies = members.map((member) => memberCopy(member, monthlyStatement({ ...bases[u]!, memberId: member.referralId }).leftCents));
    const record: StatementRecord = { activityId, month, statement, members: copies, issuedAt: iso, cooperativeName };
    const cause = statementCause(activityId, month);
    const items: TransactItem[] = [{ Put: { TableName: table, Item: { ...keys.statement(activityId, month), type: 'statement', ...record }, ConditionExpression: 'attribute_not_exists(pk)' } }];
    for (const copy of record.members) {
      const referral = referrals.get(copy.referralId);
      if (!referral) continue;
      // The figures the member's statement gives, and their personal link to the page that shows it.
      const text = render('monthly-statement', 'young', 'email', {
        youngFirstName: referral.youngPerson.firstName,
        reference: referral.reference,
        activityName: activity.name,
        month,
        ...statementKeyFigures(memberStatement(record, copy)),
        collective: activity.shape === 'collective',
        validDays,
      });
      const draft = { kind: 'monthly-statement', role: 'young', channel: 'email', to: referral.youngPerson.email, ...text, personalLink: 'young-person', linkPage: statementPage(activityId, month) } as const;
      items.push(...outboxPuts(table, copy.personId, cause, [draft], iso, { referralId: copy.referralId }));
    }
    writes.push({ cause, items, record });
  }
  // An address filed for new links by an earlier message (the launch's, last month's statement) is not written again.
  const unfiled = await withoutFiledContacts(writes.map((write) => write.items));
  for (const [i, write] of writes.entries()) write.items = unfiled[i]!;
  // Each activity's unit written (many to a transaction) and its e-mails sent as written. A unit refused was issued
  // meanwhile by a concurrent call: that one is the statement, and what it left pending was sent to its members (the
  // unit's persons: members are never removed).
  const refusals = new Map<number, unknown>();
  const counts = await writeAndSendNotifications(writes, PARALLEL, now, (i, error) => refusals.set(i, error));
  const issued = new Map(
    (await batchGetAll([...refusals.keys()].map((i) => keys.statement(writes[i]!.record.activityId, month)), { consistentRead: true })).map((item) => {
      const statement = recordOf<StatementRecord>(item);
      return [statement.activityId, statement];
    }),
  );
  for (const [i, { record }] of writes.entries()) {
    if (!refusals.has(i)) results.set(record.activityId, { statement: record, created: true, sent: counts[i]!.sent });
    else if (issued.has(record.activityId)) results.set(record.activityId, { statement: issued.get(record.activityId)!, created: false, sent: counts[i]!.sent });
    else fail(refusals.get(i));
  }
  if (failure !== undefined) throw failure;
  return input.activities.map((target) => results.get(target.activityId)!);
}
