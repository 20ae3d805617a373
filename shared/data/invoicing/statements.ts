import { createHash } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { cooperativeFromEnv, type ActivityMember } from '../../domain/activities.js';
import { NotFoundError } from '../../domain/errors.js';
import { PAYMENT_MEANS_LABELS, type InvoiceRecord } from '../../domain/invoicing/records.js';
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
import { sendPendingNotifications } from '../../notifications/sender.js';
import { putObject } from '../../storage/objects.js';
import { getActivityRecords, listActivityMembers } from '../activities.js';
import type { TransactItem } from '../approvals.js';
import { db, queryPrefix, tableName } from '../client.js';
import { outboxPuts } from '../outbox.js';
import { getReferralsByIds } from '../referrals.js';
import { isConditionFailure } from '../transactions.js';
import { getInvoices, listActivityInvoices } from './invoices.js';
import { MAX_TRANSACTION_ITEMS, recordOf, transact } from './items.js';
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

/** The month's numbered invoices and credit notes of the activity (drafts and held ones are not invoiced yet). */
async function monthDocuments(activityId: string, month: string): Promise<StatementDocument[]> {
  const listed = await listActivityInvoices(activityId, month);
  const invoices = await getInvoices(listed.map((i) => i.invoiceId));
  return invoices
    .filter((i) => i.number !== undefined && (i.status === 'issued' || i.status === 'cancelled'))
    .map((i) => ({ invoiceId: i.invoiceId, number: i.number!, kind: i.kind, issueDate: i.issueDate!, customerName: i.customer.name, netCents: i.totals.netCents, vatCents: i.totals.vatCents, grossCents: i.totals.grossCents }));
}

/** The payments received during the month for any of the activity's invoices, with the numbers of their invoices. */
async function monthPayments(activityId: string, month: string) {
  const payments = await listActivityPayments(activityId, month);
  const invoices = new Map<string, InvoiceRecord>((await getInvoices(payments.map((p) => p.invoiceId))).map((i) => [i.invoiceId, i]));
  return payments.map((p) => ({ invoiceNumber: invoices.get(p.invoiceId)?.number ?? '', date: p.date, amountCents: p.amountCents, meansLabel: PAYMENT_MEANS_LABELS[p.means] }));
}

/** Sends what the statement left in each member's outbox (a retry sends only what is still pending). */
async function sendToMembers(record: StatementRecord, now: Date): Promise<number> {
  const cause = statementCause(record.activityId, record.month);
  const counts = await Promise.all(record.members.map((m) => sendPendingNotifications(m.personId, cause, now)));
  return counts.reduce((sum, c) => sum + c.sent, 0);
}

/** One member's statement: the figures as they read them, their PDF stored, its key and hash. */
async function memberCopy(input: { statement: MonthlyStatement; member: ActivityMember; members: readonly ActivityMember[]; cooperativeName: string; issuedOn: string }): Promise<StatementMemberCopy> {
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
  return { personId: member.personId, referralId: member.referralId, name: member.name, leftCents: statement.leftCents, pdfKey, sha256 };
}

/**
 * Issues the statements of an activity's month: for each member, what the month brought (invoices and credit notes
 * of the month, payments received in it, the contribution at the activity's rate, what is left; for a collective
 * activity the collective's result and the even split, their share marked), a PDF, a link in their space, and the
 * `monthly-statement` e-mail with the PDF attached. Idempotent: once the activity's month has its statement, a repeat
 * (a retried step, a concurrent call) writes nothing and sends only what is still pending (`created: false`).
 */
export async function issueMonthlyStatements(input: { activityId: string; month: string; now?: Date; cooperativeName?: string }): Promise<{ statement: StatementRecord; created: boolean; sent: number }> {
  const now = input.now ?? new Date();
  const { activityId, month } = input;
  const existing = await getStatement(activityId, month);
  if (existing) return { statement: existing, created: false, sent: await sendToMembers(existing, now) };

  const activity = (await getActivityRecords([activityId])).get(activityId);
  if (!activity) throw new NotFoundError('Activité introuvable.');
  const members = await listActivityMembers(activityId);
  // The record, one link and one message per member in one transaction.
  if (1 + 2 * members.length > MAX_TRANSACTION_ITEMS) throw new Error('too many members for one statement transaction');
  const [documents, payments, referrals] = await Promise.all([monthDocuments(activityId, month), monthPayments(activityId, month), getReferralsByIds(members.map((m) => m.referralId))]);
  const base = {
    month,
    activity: { activityId, name: activity.name, tradeName: activity.tradeName, shape: activity.shape },
    documents,
    payments,
    rateBps: activity.contributionRateBps,
    collectiveMemberIds: members.map((m) => m.referralId),
  };
  const iso = now.toISOString();
  const issuedOn = parisDate(now);
  const cooperativeName = input.cooperativeName ?? cooperativeFromEnv().name;
  const copies = await Promise.all(members.map((member) => memberCopy({ statement: monthlyStatement({ ...base, memberId: member.referralId }), member, members, cooperativeName, issuedOn })));
  const statement = monthlyStatement(base);
  const record: StatementRecord = { activityId, month, statement, members: copies, issuedAt: iso };

  const table = tableName();
  const cause = statementCause(activityId, month);
  const items: TransactItem[] = [{ Put: { TableName: table, Item: { ...keys.statement(activityId, month), type: 'statement', ...record }, ConditionExpression: 'attribute_not_exists(pk)' } }];
  for (const copy of copies) {
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
  try {
    await transact(items);
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    // Issued meanwhile by a concurrent call: that one is the statement (its PDFs are the ones it points at).
    const issued = await getStatement(activityId, month);
    if (!issued) throw error;
    return { statement: issued, created: false, sent: await sendToMembers(issued, now) };
  }
  return { statement: record, created: true, sent: await sendToMembers(record, now) };
}
