import { createHash } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { cooperativeFromEnv, type ActivityMember, type ActivityRecord } from '../../domain/activities.js';
import { NotFoundError } from '../../domain/errors.js';
import { PAYMENT_MEANS_LABELS, type InvoiceRecord, type PaymentRecord } from '../../domain/invoicing/records.js';
import {
  monthlyStatement,
  statementFileName,
  type MonthlyStatement,
  type PersonStatementLink,
  type StatementDocument,
  type StatementMemberCopy,
  type StatementRecord,
} from '../../domain/invoicing/statement.js';
import { render } from '../../domain/messages/catalogue.js';
import { parisDate } from '../../domain/time.js';
import { renderStatementPdf } from '../../invoicing/statement-pdf.js';
import { keys } from '../../keys.js';
import { sendPendingNotifications, writeAndSendNotifications, type OutboxWrite } from '../../notifications/sender.js';
import { putObject } from '../../storage/objects.js';
import { getActivitiesWithMembers } from '../activities.js';
import type { TransactItem } from '../approvals.js';
import { batchGetAll, db, queryPrefix, tableName } from '../client.js';
import { outboxPuts } from '../outbox.js';
import { getReferralsByIds } from '../referrals.js';
import { getInvoices, listActivityInvoices } from './invoices.js';
import { inParallel, MAX_TRANSACTION_ITEMS, recordOf } from './items.js';
import { listActivityPayments } from './payments.js';

/**
 * The monthly statement of each young person of an activity (decision 30), issued once per activity and month at the
 * end of the monthly run: computed by `monthlyStatement` (shared/domain/invoicing/statement.ts), one PDF per member
 * in the documents bucket under `statements/`, one record for the activity and one link per member (their space),
 * and the `monthly-statement` e-mail to each member with their PDF, all written in one transaction.
 */

export type { PersonStatementLink, StatementRecord };

/** The outbox cause of an activity's statements of a month: one message per member. */
export const statementCause = (activityId: string, month: string) => `monthly-statement#${activityId}#${month}`;

/** Each PDF's key holds the start of its SHA-256: a record points at exactly the bytes it was written with. */
const statementPdfKey = (month: string, activityId: string, referralId: string, sha256: string) => `statements/${month}/${activityId}/${referralId}-${sha256.slice(0, 16)}.pdf`;

export async function getStatement(activityId: string, month: string): Promise<StatementRecord | undefined> {
  const { Item } = await db().send(new GetCommand({ TableName: tableName(), Key: keys.statement(activityId, month), ConsistentRead: true }));
  return Item ? recordOf<StatementRecord>(Item) : undefined;
}

/** An activity's statements, oldest month first. */
export async function listStatementsOfActivity(activityId: string): Promise<StatementRecord[]> {
  const prefix = keys.statementsPrefix(activityId);
  return (await queryPrefix(prefix.pk, prefix.skPrefix, { consistentRead: true })).map((i) => recordOf<StatementRecord>(i));
}

/** A young person's statements of every activity they are a member of, oldest month first (their space). */
export async function listStatementsOfPerson(personId: string): Promise<PersonStatementLink[]> {
  const prefix = keys.personStatementsPrefix(personId);
  return (await queryPrefix(prefix.pk, prefix.skPrefix, { consistentRead: true })).map((i) => recordOf<PersonStatementLink>(i));
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

/** Sends what the statement left in each member's outbox (a retry sends only what is still pending). */
async function sendToMembers(record: StatementRecord, now: Date): Promise<number> {
  const cause = statementCause(record.activityId, record.month);
  const counts = await Promise.all(record.members.map((m) => sendPendingNotifications(m.personId, cause, now)));
  return counts.reduce((sum, c) => sum + c.sent, 0);
}

/**
 * One member's statement: the figures as they read them, their PDF stored, its key and hash. `stored` gets the PDF's
 * bytes by key: the key holds their hash, so they are the object's whoever wrote it.
 */
async function memberCopy(input: {
  statement: MonthlyStatement;
  member: ActivityMember;
  members: readonly ActivityMember[];
  cooperativeName: string;
  issuedOn: string;
  stored?: Map<string, Uint8Array>;
}): Promise<StatementMemberCopy> {
  const { statement, member, members } = input;
  const pdf = await renderStatementPdf({
    statement,
    member: { memberId: member.referralId, name: member.name },
    memberNames: Object.fromEntries(members.map((m) => [m.referralId, m.name])),
    cooperativeName: input.cooperativeName,
    issuedOn: input.issuedOn,
  });
  const sha256 = createHash('sha256').update(pdf).digest('hex');
  const pdfKey = statementPdfKey(statement.month, statement.activity.activityId, member.referralId, sha256);
  await putObject(pdfKey, pdf, 'application/pdf');
  input.stored?.set(pdfKey, pdf);
  return { personId: member.personId, referralId: member.referralId, name: member.name, leftCents: statement.leftCents, pdfKey, sha256 };
}

/** An activity whose month's statement a batch issues, with what the run's list knows of its month (`prepareStatements`). */
export interface StatementTarget {
  activityId: string;
  /**
   * The ids of its invoices and credit notes of the month, as the run listed them: read (consistently) by id, not
   * listed by a query of the activity's invoices. None given: they are queried.
   */
  invoiceIds?: readonly string[];
  /** Whether it received a payment in the month, as the run found: its payments are queried only if so (or not said). */
  paid?: boolean;
}

export interface IssuedStatement {
  statement: StatementRecord;
  created: boolean;
  sent: number;
}

/** PDFs rendered, queries and activities sent at once in a batch. */
const PARALLEL = 8;

/**
 * Issues the statements of an activity's month: for each member, what the month brought (invoices and credit notes
 * of the month, payments received in it, the contribution at the activity's rate, what is left; for a collective
 * activity the collective's result and the even split, their share marked), a PDF, a link in their space, and the
 * `monthly-statement` e-mail with the PDF attached. Idempotent: once the activity's month has its statement, a repeat
 * (a retried step, a concurrent call) writes nothing and sends only what is still pending (`created: false`).
 */
export async function issueMonthlyStatements(input: { activityId: string; month: string; now?: Date; cooperativeName?: string }): Promise<IssuedStatement> {
  const { activityId, ...rest } = input;
  return (await issueManyMonthlyStatements({ ...rest, activities: [{ activityId }] }))[0]!;
}

/**
 * `issueMonthlyStatements` for many activities of a month (a batch of the run's statements map), in a few requests
 * for the batch rather than ten per activity: the statements already issued, the activities and their members, the
 * invoices and the referrals are read in batches; an activity's payments are queried only when it has some, its
 * invoices only when the run did not list them. Each activity's record, links and messages are still one unit
 * written whole or not at all (conditional on no statement yet), many units to a transaction, and the e-mails go as
 * written (`writeAndSendNotifications`). An activity that fails (not found, a PDF not stored, a unit refused with no
 * statement there) does not stop the others: the first failure is thrown once they are done. Results in input order.
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
      async (id) => [id, await listActivityPayments(id, month)] as const,
    ),
  ]);
  const invoiceIds = new Map<string, readonly string[]>([...toIssue.filter((id) => hinted(id)).map((id) => [id, hinted(id)!] as const), ...listed]);
  const paymentsOf = new Map(payments);
  const units: Array<{ activity: ActivityRecord; members: ActivityMember[] }> = [];
  for (const id of toIssue) {
    const parts = found.get(id);
    if (!parts) fail(new NotFoundError('Activité introuvable.'));
    // The record, one link and one message per member in one transaction.
    else if (1 + 2 * parts.members.length > MAX_TRANSACTION_ITEMS) fail(new Error('too many members for one statement transaction'));
    else units.push(parts);
  }
  // Every invoice read at once, consistently: the month's documents and the invoices the payments were for.
  const [invoices, referrals] = await Promise.all([
    getInvoices([...units.flatMap(({ activity }) => invoiceIds.get(activity.activityId) ?? []), ...[...paymentsOf.values()].flat().map((p) => p.invoiceId)]),
    getReferralsByIds(units.flatMap(({ members }) => members.map((m) => m.referralId))),
  ]);
  const invoicesById = new Map(invoices.map((i) => [i.invoiceId, i]));

  const iso = now.toISOString();
  const issuedOn = parisDate(now);
  const cooperativeName = input.cooperativeName ?? cooperativeFromEnv().name;
  const bases = units.map(({ activity, members }) => {
    const { activityId } = activity;
    const monthInvoices = (invoiceIds.get(activityId) ?? []).map((id) => invoicesById.get(id)).filter((i): i is InvoiceRecord => i?.activityId === activityId && i.month === month);
    return {
      month,
      activity: { activityId, name: activity.name, tradeName: activity.tradeName, shape: activity.shape },
      documents: statementDocuments(monthInvoices),
      payments: statementPayments(paymentsOf.get(activityId) ?? [], invoicesById),
      rateBps: activity.contributionRateBps,
      collectiveMemberIds: members.map((m) => m.referralId),
    };
  });
  // Each member's PDF, a few at a time across the batch; an activity with one not stored is not issued.
  const copies = units.map(({ members }) => new Array<StatementMemberCopy>(members.length));
  const broken = new Set<number>();
  const pdfs = new Map<string, Uint8Array>();
  const jobs = units.flatMap(({ members }, u) => members.map((member, m) => ({ u, m, member, members })));
  await inParallel(jobs, PARALLEL, async ({ u, m, member, members }) => {
    if (broken.has(u)) return;
    try {
      copies[u]![m] = await memberCopy({ statement: monthlyStatement({ ...bases[u]!, memberId: member.referralId }), member, members, cooperativeName, issuedOn, stored: pdfs });
    } catch (error) {
      broken.add(u);
      fail(error);
    }
  });

  const table = tableName();
  const writes: Array<OutboxWrite & { record: StatementRecord }> = [];
  for (const [u, { activity }] of units.entries()) {
    if (broken.has(u)) continue;
    const { activityId } = activity;
    const statement = monthlyStatement(bases[u]!);
    const record: StatementRecord = { activityId, month, statement, members: copies[u]!, issuedAt: iso };
    const cause = statementCause(activityId, month);
    const items: TransactItem[] = [{ Put: { TableName: table, Item: { ...keys.statement(activityId, month), type: 'statement', ...record }, ConditionExpression: 'attribute_not_exists(pk)' } }];
    for (const copy of record.members) {
      const link: PersonStatementLink = {
        personId: copy.personId,
        referralId: copy.referralId,
        activityId,
        month,
        activityName: activity.name,
        revenueExclVatCents: statement.revenueExclVatCents,
        paymentsReceivedCents: statement.paymentsReceivedCents,
        contributionCents: statement.contribution.contributionCents,
        leftCents: copy.leftCents,
        pdfKey: copy.pdfKey,
        issuedAt: iso,
      };
      items.push({ Put: { TableName: table, Item: { ...keys.personStatement(copy.personId, month, activityId), type: 'person-statement', ...link } } });
      const referral = referrals.get(copy.referralId);
      if (!referral) continue;
      const text = render('monthly-statement', 'young', 'email', {
        youngFirstName: referral.youngPerson.firstName,
        reference: referral.reference,
        activityName: activity.name,
        month,
        invoicedCents: statement.revenueExclVatCents,
        receivedCents: statement.paymentsReceivedCents,
        contributionCents: statement.contribution.contributionCents,
        leftCents: copy.leftCents,
      });
      const attachments = [{ key: copy.pdfKey, fileName: statementFileName(month), contentType: 'application/pdf' }];
      items.push(...outboxPuts(table, copy.personId, cause, [{ kind: 'monthly-statement', role: 'young', channel: 'email', to: referral.youngPerson.email, ...text, attachments }], iso, { referralId: copy.referralId }));
    }
    // The e-mails carry the PDFs just stored as they are, not read back from S3.
    writes.push({ cause, items, record, attachmentBytes: new Map(record.members.map((copy) => [copy.pdfKey, pdfs.get(copy.pdfKey)!])) });
  }
  // Each activity's unit written (many to a transaction) and its e-mails sent as written. A unit refused was issued
  // meanwhile by a concurrent call: that one is the statement (its PDFs are the ones it points at), and what it left
  // pending was sent to its members (the unit's persons: members are never removed).
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
