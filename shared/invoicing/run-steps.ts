import { randomUUID } from 'node:crypto';
import { DEFAULT_INVOICING_NUMBERING, ENV, type InvoicingNumbering } from '../../infra/config.js';
import { cooperativeFromEnv, type ActivityRecord, type CooperativeSettings } from '../domain/activities.js';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import { dueDate as dueDateOf } from '../domain/invoicing/terms.js';
import {
  invoiceMailCause,
  invoiceMailId,
  monthBatchKey,
  monthDrafts,
  releasedBatchKey,
  type InvoicingRunTrigger,
} from '../domain/invoicing/run.js';
import { creditNoteIdFor, invoiceOutboxOwner, invoicePdfKey, type InvoiceRecord } from '../domain/invoicing/records.js';
import { render } from '../domain/messages/catalogue.js';
import { parisDate } from '../domain/time.js';
import { keys } from '../keys.js';
import { getActivity, getActivityRecords, invoicingIndexEntries, leaveInvoicingIndex } from '../data/activities.js';
import { batchGetAll, tableName } from '../data/client.js';
import { claimInvoicingRun, getInvoicingRun, listInvoicingRuns, recordRunProgress } from '../data/invoicing-runs.js';
import { getCustomers } from '../data/invoicing/customers.js';
import { byKeyOrder, listBatchDeclarations } from '../data/invoicing/declarations.js';
import {
  countMonthDrafts,
  draftManyMonthInvoices,
  getInvoice,
  getInvoices,
  holdInvoice,
  listActivityInvoices,
  listMonthInvoiceSummaries,
  readMonthLocks,
  releaseInvoice,
  requireInvoice,
  type DraftOutcome,
  type InvoiceSummary,
} from '../data/invoicing/invoices.js';
import { inParallel, transact, type ByWhom } from '../data/invoicing/items.js';
import { issueNumbers } from '../data/invoicing/numbering.js';
import { CANCELLATION_IN_PROGRESS, cancelInvoice, claimCancellation, completeCancellation } from '../data/invoicing/credit-notes.js';
import { outboxPuts, type OutboxDraft } from '../data/outbox.js';
import { getReferralsByIds } from '../data/referrals.js';
import { isConditionFailure } from '../data/transactions.js';
import { sendPendingNotifications, writeAndSendNotifications, type OutboxWrite } from '../notifications/sender.js';
import { activitiesWithPaymentsIn } from '../data/invoicing/payments.js';
import { issueManyMonthlyStatements, sendPendingStatementMails, type StatementTarget } from '../data/invoicing/statements.js';
import { documentsBucket, headObject, putObject, putObjectOnce, readObject } from '../storage/objects.js';
import { documentFileName, documentOfRecord } from './document.js';
import { renderInvoicePdf } from './invoice-pdf.js';

/**
 * The steps of the monthly invoicing run (workflows/monthly-invoicing.ts, functions/invoicing/run-step.ts). Each is
 * idempotent: a retry, or the workflow resumed after the local cloud was killed, finds what an earlier attempt did
 * and goes on from there. Logs hold ids and counts only.
 */

/** Activities (and invoices) drafted or sent at once within one batch of the Distributed Map. */
const PARALLEL = 8;
/**
 * The stage's numbering chunks, set by the stack on the run's function (`INVOICING_NUMBERING`): invoices per chunk and
 * new chunks per invocation of the numbering step (the workflow loops). Production's without it.
 */
export function numberingFromEnv(env: NodeJS.ProcessEnv = process.env): InvoicingNumbering {
  const raw = env[ENV.invoicingNumbering];
  return raw ? { ...DEFAULT_INVOICING_NUMBERING, ...(JSON.parse(raw) as Partial<InvoicingNumbering>) } : DEFAULT_INVOICING_NUMBERING;
}

/** Where the run keeps the item lists its Distributed Maps read (documents bucket; the steps' role writes them). */
export const runListKey = (month: string, list: 'activities' | 'issued' | 'statements' | 'delivery') => `invoicing-runs/${month}/${list}.json`;

/** A list written by `writeListOnce` (none yet: empty). */
async function listOf<T extends object = Record<string, string>>(key: string): Promise<T[]> {
  const body = await readObject(key);
  return body === undefined ? [] : (JSON.parse(Buffer.from(body).toString('utf8')) as T[]);
}

/** The month's statements issued, by the activities of its delivery list (or, for a run of before decision 45, of its statements list). */
async function countStatements(month: string): Promise<number> {
  const delivery = await listOf<StatementTarget>(runListKey(month, 'delivery'));
  const listed = delivery.length > 0 ? delivery : await listOf<StatementTarget>(runListKey(month, 'statements'));
  const found = await batchGetAll(listed.map((item) => keys.statement(item.activityId, month)));
  return found.length;
}

/** Writes a list for an ItemReader once: a retried step (or a restart) keeps the first list, which a map may be reading. */
async function writeListOnce(key: string, items: readonly object[]): Promise<{ bucket: string; key: string; count: number }> {
  const existing = await headObject(key);
  if (!existing) await putObject(key, JSON.stringify(items), 'application/json');
  return { bucket: documentsBucket(), key, count: existing ? -1 : items.length };
}

/**
 * An item of the drafting map's list: the activity, and for a paused or closed one whose last month to invoice is this
 * month or before (`invoiceThrough`, as read when listed), that mark: once drafted, it leaves the index.
 */
export interface DraftTarget {
  activityId: string;
  invoiceThrough?: string;
}

/**
 * "Préparer le mois": the run's ledger item exists (claimed by whoever started it; claimed here otherwise), and the
 * activities of the invoicing's index (the sharded index, never a scan: the active ones, and the paused or closed ones
 * whose last month is still to invoice) are listed in S3 for the drafting map.
 */
export async function prepareRun(month: string, trigger: InvoicingRunTrigger): Promise<{ bucket: string; key: string; activities: number }> {
  await claimInvoicingRun({ month, trigger });
  const key = runListKey(month, 'activities');
  // In the order of DynamoDB's keys: a batch's declarations are then one range of the month's (listBatchDeclarations).
  const targets = (await invoicingIndexEntries())
    .map((a): DraftTarget => ({ activityId: a.activityId, ...(a.status !== 'active' && a.invoiceThrough !== undefined && a.invoiceThrough <= month ? { invoiceThrough: a.invoiceThrough } : {}) }))
    .sort((a, b) => byKeyOrder(a.activityId, b.activityId));
  const list = await writeListOnce(key, targets);
  const activities = list.count >= 0 ? list.count : ((await getInvoicingRun(month))?.counts.activities ?? targets.length);
  await recordRunProgress(month, { counts: { activities } });
  return { bucket: list.bucket, key, activities };
}

/** Reads of a drafting batch's months that found them changed before drafting gives up (the batch fails, retried later). */
const DRAFT_ROUNDS = 3;

/**
 * One batch of the drafting map: each activity's month drafted from its declarations (one invoice per customer,
 * `draftManyMonthInvoices`, which locks the month). An activity that fails fails the batch: the map's tolerated
 * failures count it, and the run's ledger says how many activities were not drafted. Then the paused or closed
 * activities whose last month this was leave the index (`leaveAfterLastMonth`): only once their month is drafted, so a
 * crash before loses nothing, and a retried batch finds them gone. `afterRead` (tests) runs between the batch's reads
 * and its writes: a declaration written there is drafted, never locked out.
 */
export async function draftBatch(month: string, activities: ReadonlyArray<string | DraftTarget>, options: { afterRead?: () => Promise<void> } = {}): Promise<{ activities: number; invoices: number; left?: number }> {
  const targets = activities.map((item) => (typeof item === 'string' ? { activityId: item } : item));
  const activityIds = targets.map((t) => t.activityId);
  const { vatMode } = cooperativeFromEnv();
  const outcomes: DraftOutcome[] = [];
  let pending = activityIds;
  for (let round = 1; pending.length > 0; round++) {
    if (round > DRAFT_ROUNDS) throw new ConflictError(`Les déclarations de ${pending.length} activité(s) changent pendant la préparation du mois ${month} : le lot sera repris.`);
    // The months' locks first, then one query for the batch's declarations (a range of the month's partition, decision
    // 36), one read per 100 customers they name, and the first drafting of the batch in shared transactions
    // (draftManyMonthInvoices), each lock on the count of changes read: a declaration written after the locks were
    // read makes its activity come back `changed`, to read and draft again (alone, or the few of them).
    const locks = await readMonthLocks(pending, month);
    const declarations = await listBatchDeclarations(pending, month);
    const customers = await getCustomers([...new Map(declarations.flat().map((d) => [`${d.activityId}#${d.customerId}`, d])).values()]);
    await options.afterRead?.();
    const results = await draftManyMonthInvoices(pending.map((activityId, i) => ({ activityId, month, lock: locks[i]!, drafts: monthDrafts(declarations[i]!, customers.filter((c) => c.activityId === activityId), vatMode).drafts })));
    for (const result of results) if (result !== 'changed') outcomes.push(result);
    pending = pending.filter((_, i) => results[i] === 'changed');
  }
  const left = await leaveAfterLastMonth(month, targets);
  return { activities: activityIds.length, invoices: outcomes.reduce((sum, outcome) => sum + outcome.invoices.length, 0), ...(left > 0 ? { left } : {}) };
}

/**
 * The batch's paused or closed activities whose last month to invoice is `month` or before, now drafted, taken off the
 * invoicing's index (decision 32). Not while a run of a month up to their last one is claimed but still drafting (a
 * run restarted after its start was lost, or started out of order): it may not have listed them yet, so they stay for
 * a later run. Nothing is read for a batch without such an activity: a month without closings costs what it did.
 */
async function leaveAfterLastMonth(month: string, targets: readonly DraftTarget[]): Promise<number> {
  const leaving = targets.filter((t) => t.invoiceThrough !== undefined && t.invoiceThrough <= month);
  if (leaving.length === 0) return 0;
  const unlisted = (await listInvoicingRuns()).filter((run) => run.status === 'drafting' && run.month !== month).map((run) => run.month);
  const free = leaving.filter((t) => !unlisted.some((other) => other <= t.invoiceThrough!));
  const left = await inParallel(free, PARALLEL, (t) => leaveInvoicingIndex({ activityId: t.activityId, invoiceThrough: t.invoiceThrough!, month }));
  return left.filter(Boolean).length;
}

type MapResult = { activities?: number; invoices?: number } | { Error: string };

/** After the drafting map: the month's drafts counted, the activities not drafted, and the batch waits for staff. */
export async function finishDrafting(month: string, results: readonly MapResult[]): Promise<{ invoices: number; failedActivities: number }> {
  const run = await getInvoicingRun(month);
  if (!run) throw new NotFoundError(`no invoicing run for ${month}`);
  const drafted = results.reduce((sum, r) => sum + ('activities' in r && typeof r.activities === 'number' ? r.activities : 0), 0);
  const invoices = await countMonthDrafts(month);
  const failedActivities = Math.max(0, run.counts.activities - drafted);
  await recordRunProgress(month, { status: 'awaiting-validation', counts: { invoices, failedActivities } });
  return { invoices, failedActivities };
}

/**
 * After the validation: the invoices staff held are held (with their reason), and each activity's members hear of
 * it (`invoice-held`, once per invoice and member).
 */
export async function applyHolds(month: string): Promise<{ held: number; told: number }> {
  const run = await getInvoicingRun(month);
  if (!run) throw new NotFoundError(`no invoicing run for ${month}`);
  const held = run.held ?? [];
  const by: ByWhom = run.validatedBy ?? { id: 'system', name: 'Parcours automatique' };
  let told = 0;
  for (const { invoiceId, reason } of held) {
    const invoice = await getInvoice(invoiceId);
    if (!invoice) continue;
    if (!(invoice.status === 'held' && invoice.holdReason === reason)) await holdInvoice({ invoiceId, reason, by });
    told += await tellMembersOfHold(invoice, reason);
  }
  await recordRunProgress(month, { status: 'numbering', counts: { held: held.length } });
  return { held: held.length, told };
}

async function tellMembersOfHold(invoice: InvoiceRecord, reason: string): Promise<number> {
  const parts = await getActivity(invoice.activityId);
  if (!parts) return 0;
  const referrals = await getReferralsByIds(parts.members.map((m) => m.referralId));
  const cause = `invoice-held#${invoice.invoiceId}`;
  const now = new Date().toISOString();
  let sent = 0;
  for (const member of parts.members) {
    const referral = referrals.get(member.referralId);
    if (!referral) continue;
    const vars = { youngFirstName: referral.youngPerson.firstName, reference: referral.reference, activityName: parts.activity.name, customerName: invoice.customer.name, month: invoice.month, reason };
    const drafts = [{ kind: 'invoice-held', role: 'young' as const, channel: 'email' as const, to: referral.youngPerson.email, ...render('invoice-held', 'young', 'email', vars) }];
    try {
      await transact(outboxPuts(tableName(), member.personId, cause, drafts, now, { referralId: member.referralId }));
    } catch (error) {
      // Written by an earlier attempt: it is sent below if it is still pending.
      if (!isConditionFailure(error)) throw error;
    }
    sent += (await sendPendingNotifications(member.personId, cause)).sent;
  }
  return sent;
}

/** The invoices the month's batch numbers: its drafts not held, in a stable order (activity, then invoice). */
const toNumber = (invoices: readonly InvoiceSummary[], batchKey: string) =>
  invoices
    .filter((i) => i.kind === 'invoice' && i.status === 'draft' && (!i.numberingKey || i.numberingKey === batchKey))
    .map((i) => i.invoiceId)
    .sort();

/** An invoice the month's batch issued (`batchKey`: `monthBatchKey(month)`): the ones the run sends. */
const issuedBy = (batchKey: string) => (i: Pick<InvoiceSummary, 'kind' | 'status' | 'numberingKey'>) => i.kind === 'invoice' && i.status === 'issued' && i.numberingKey === batchKey;

/** The issue date of the month's invoices: the first numbering step's Paris day, kept on the run (a retry after midnight keeps it). */
async function runIssueDate(month: string): Promise<string> {
  const run = await getInvoicingRun(month);
  if (run?.issueDate) return run.issueDate;
  return (await recordRunProgress(month, { issueDate: parisDate() })).issueDate!;
}

/**
 * "Numéroter les factures": a bounded number of chunks of the month's batch (`issueNumbers`, which reserves blocks
 * that survive a crash), then `remaining`: the workflow calls again until none is left.
 */
export async function numberMonth(month: string): Promise<{ remaining: number; issued: number }> {
  const batchKey = monthBatchKey(month);
  const issueDate = await runIssueDate(month);
  const invoices = await listMonthInvoiceSummaries(month);
  const invoiceIds = toNumber(invoices, batchKey);
  const { paymentTermsDays } = cooperativeFromEnv();
  // Nothing left to number (a retry after the last chunk): the batch's invoices are counted as they are.
  if (invoiceIds.length === 0) return { remaining: 0, issued: invoices.filter((i) => i.numberingKey === batchKey).length };
  const { chunkInvoices, chunksPerStep } = numberingFromEnv();
  const outcome = await issueNumbers({ batchKey, invoiceIds, issueDate, dueDate: dueDateOf(issueDate, paymentTermsDays), maxIds: chunkInvoices, maxChunks: chunksPerStep });
  const issued = outcome.blocks.reduce((sum, b) => sum + b.count, 0);
  await recordRunProgress(month, { counts: { issued } });
  return { remaining: outcome.remaining, issued };
}

/** The month's issued invoices listed in S3 for the sending map of an execution started before decision 45 (`prepareDelivery` since). */
export async function prepareSending(month: string): Promise<{ bucket: string; key: string; invoices: number }> {
  const issued = (await listMonthInvoiceSummaries(month)).filter(issuedBy(monthBatchKey(month)));
  const list = await writeListOnce(runListKey(month, 'issued'), issued.map((i) => ({ invoiceId: i.invoiceId })).sort((a, b) => a.invoiceId.localeCompare(b.invoiceId)));
  await recordRunProgress(month, { status: 'sending', counts: { issued: issued.length } });
  return { bucket: list.bucket, key: list.key, invoices: issued.length };
}

/**
 * One batch of the sending map (and one released invoice): each issued invoice's Factur-X PDF rendered and kept
 * under `invoices/` (once: a retry keeps the file an e-mail may have carried), its e-mail to the customer queued in
 * the outbox with the PDF attached (once per invoice), then sent, with the PDF's bytes when this call stored them
 * (not read back from S3). The invoice's history reads `sent` from its e-mail's mark (`invoiceHistory`).
 */
export async function sendInvoices(invoiceIds: readonly string[]): Promise<{ invoices: number; sent: number }> {
  const invoices = (await getInvoices(invoiceIds)).filter((i) => (i.kind === 'invoice' ? i.status !== 'draft' && i.status !== 'held' : i.status === 'issued') && i.number);
  const activities = await getActivityRecords(invoices.map((i) => i.activityId));
  const cooperative = cooperativeFromEnv();
  const writes = await inParallel(invoices, PARALLEL, async (invoice): Promise<OutboxWrite> => {
    const activity = activities.get(invoice.activityId);
    if (!activity) throw new NotFoundError(`activity of invoice ${invoice.invoiceId} not found`);
    const { draft, attachmentBytes } = await invoiceMail(invoice, activity, cooperative);
    const cause = invoiceMailCause(invoice.invoiceId);
    return { cause, items: outboxPuts(tableName(), invoiceOutboxOwner(invoice.invoiceId), cause, [draft], new Date().toISOString()), ...(attachmentBytes ? { attachmentBytes } : {}) };
  });
  // The e-mails written in a few transactions and sent (writeAndSendNotifications), not a write and a read each.
  const counts = await writeAndSendNotifications(writes, PARALLEL);
  return { invoices: invoices.length, sent: counts.reduce((sum, c) => sum + c.sent, 0) };
}

/**
 * An issued invoice's e-mail to its customer, its Factur-X PDF attached: to the address at issue, or to `to` (the
 * customer's corrected e-mail, when staff send it again: shared/invoicing/resend.ts). The PDF is rendered and kept
 * under `invoices/` once: a file already there (the one the first e-mail carried) is the one that goes, read from S3
 * when sent, and the invoice's content never changes. `attachmentBytes`: the PDF's bytes when this call stored them.
 */
export async function invoiceMail(
  invoice: InvoiceRecord,
  activity: ActivityRecord,
  cooperative: CooperativeSettings,
  to: string = invoice.customer.email,
): Promise<{ draft: OutboxDraft; attachmentBytes?: Map<string, Uint8Array> }> {
  const number = invoice.number!;
  const key = invoicePdfKey({ invoiceId: invoice.invoiceId, number });
  // The same mapping as the staff's download: the PDF and the e-mail say the stored due date and the trade name.
  const doc = documentOfRecord(invoice, cooperative, activity);
  // Written once: a retry keeps the file an e-mail may have carried. The bytes go with the e-mail only when this
  // call wrote them; a file already there is the one to send, read from S3.
  const { pdf } = await renderInvoicePdf(doc);
  const stored = await putObjectOnce(key, pdf, 'application/pdf');
  // The same e-mail for both, but for its message: a credit note names the invoice it cancels, and has no due date.
  const mail = { role: 'customer' as const, channel: 'email' as const, to, attachments: [{ key, fileName: documentFileName(doc), contentType: 'application/pdf' }] };
  const vars = { customerName: invoice.customer.name, activityName: doc.seller.tradeName, grossCents: invoice.totals.grossCents };
  const draft: OutboxDraft = invoice.cancels
    ? { kind: 'credit-note-issued', ...mail, ...render('credit-note-issued', 'customer', 'email', { ...vars, creditNoteNumber: number, invoiceNumber: invoice.cancels.number }) }
    : { kind: 'invoice-issued', ...mail, ...render('invoice-issued', 'customer', 'email', { ...vars, invoiceNumber: number, issueDate: doc.issueDate, dueDate: doc.dueDate! }) };
  return { draft, ...(stored ? { attachmentBytes: new Map([[key, pdf]]) } : {}) };
}

/**
 * Month's invoice ids an item of the statements list carries at most: a batch's input stays far below Step
 * Functions' 256 KB (50 activities of about 100-byte ids). An activity with more has its invoices queried.
 */
const MAX_LISTED_INVOICES = 20;

/**
 * "Préparer les relevés", for an execution started before decision 45 (the workflow's definition then had a sending
 * map and a statements map; an execution keeps the definition it started with): the activities whose members get the
 * month's statement (`monthTargets`), listed in S3 for the statements map, and the ledger at `statements`. Each item
 * says what this step reads of the month anyway, so that a batch reads its invoices by id and queries payments only
 * where there are some (`issueManyMonthlyStatements`).
 */
export async function prepareStatements(month: string): Promise<{ bucket: string; key: string; activities: number }> {
  const { targets } = await monthTargets(month);
  const list = await writeListOnce(runListKey(month, 'statements'), targets);
  await recordRunProgress(month, { status: 'statements' });
  return { bucket: list.bucket, key: list.key, activities: targets.length };
}

/**
 * What the month's statements read of the month, per activity (`prepareStatements`, `prepareDelivery`): the month's
 * activities as the run listed them (every invoice of the month was drafted from that list), and every activity that
 * received a payment in the month (one paused or closed too), each with the ids of its invoices and credit notes of the
 * month (up to MAX_LISTED_INVOICES) and whether it was paid in the month. Also the month's invoices as summaries.
 */
async function monthTargets(month: string): Promise<{ targets: StatementTarget[]; invoices: InvoiceSummary[] }> {
  const listed = (await listOf(runListKey(month, 'activities'))).map((item) => item.activityId!);
  const [paid, invoices] = await Promise.all([activitiesWithPaymentsIn(month), listMonthInvoiceSummaries(month)]);
  // A paused or closed activity paid in the month (an earlier invoice) has its statement too.
  const activityIds = [...new Set([...listed, ...paid])].sort();
  const invoiceIds = new Map<string, string[]>();
  for (const { activityId, invoiceId } of invoices) {
    if (!invoiceIds.has(activityId)) invoiceIds.set(activityId, []);
    invoiceIds.get(activityId)!.push(invoiceId);
  }
  const paidIds = new Set(paid);
  const targets = activityIds.map((activityId): StatementTarget => {
    const ids = (invoiceIds.get(activityId) ?? []).sort();
    return { activityId, ...(ids.length <= MAX_LISTED_INVOICES ? { invoiceIds: ids } : {}), paid: paidIds.has(activityId) };
  });
  return { targets, invoices };
}

/**
 * An item of the delivery map's list (decision 45): an activity's statement target, and the ids of its invoices the
 * month's batch issued, to send (`send`: none to send, an empty list; more than MAX_LISTED_INVOICES, absent: the
 * batch queries them).
 */
export interface DeliveryTarget extends StatementTarget {
  send?: readonly string[];
}

/**
 * "Préparer l'envoi" (decision 45): one list for the delivery map, by activity, in S3: each activity of the month's
 * statements (`monthTargets`), with its invoices the month's batch issued. The ledger goes to `sending`, which covers
 * the invoices' e-mails and the statements: a batch sends its activities' invoices, then issues their statements.
 */
export async function prepareDelivery(month: string): Promise<{ bucket: string; key: string; activities: number; invoices: number }> {
  const { targets, invoices } = await monthTargets(month);
  const toSend = new Map<string, string[]>();
  for (const i of invoices.filter(issuedBy(monthBatchKey(month)))) {
    if (!toSend.has(i.activityId)) toSend.set(i.activityId, []);
    toSend.get(i.activityId)!.push(i.invoiceId);
  }
  const issued = [...toSend.values()].reduce((sum, ids) => sum + ids.length, 0);
  const items = targets.map((target): DeliveryTarget => {
    const send = (toSend.get(target.activityId) ?? []).sort();
    return { ...target, ...(send.length <= MAX_LISTED_INVOICES ? { send } : {}) };
  });
  const list = await writeListOnce(runListKey(month, 'delivery'), items);
  await recordRunProgress(month, { status: 'sending', counts: { issued } });
  return { bucket: list.bucket, key: list.key, activities: items.length, invoices: issued };
}

/**
 * One batch of the delivery map (decision 45): its activities' invoices issued by the month's batch rendered and
 * e-mailed (`sendInvoices`), then their statements issued (`statementsBatch`). The statements do not wait for the
 * e-mails: they list the issued invoices, not whether their e-mails went. Idempotent as both are: a retry sends and
 * issues only what is still pending. An activity whose invoices are not listed has them queried.
 */
export async function deliveryBatch(month: string, activities: readonly DeliveryTarget[]): Promise<{ activities: number; invoices: number; sent: number; statementsSent: number }> {
  const unlisted = activities.filter((a) => a.send === undefined);
  const queried = await inParallel(unlisted, PARALLEL, async (a) => (await listActivityInvoices(a.activityId, month)).filter(issuedBy(monthBatchKey(month))).map((i) => i.invoiceId));
  const invoiceIds = [...activities.flatMap((a) => a.send ?? []), ...queried.flat()];
  const sending = invoiceIds.length > 0 ? await sendInvoices(invoiceIds) : { invoices: 0, sent: 0 };
  const statements = await statementsBatch(month, activities.map(({ send: _send, ...target }) => target));
  return { activities: activities.length, invoices: sending.invoices, sent: sending.sent, statementsSent: statements.sent };
}

/**
 * One batch of the statements map: each activity's statements of the month (`issueManyMonthlyStatements`: the record,
 * each member's space and e-mail once; their PDF is made when first opened), from the items of the list (an id alone, as an older list has it: its month
 * is queried). An activity that fails fails the batch, and the map's tolerated failures count it; a retry finds the
 * statements already issued and sends only what is pending.
 */
export async function statementsBatch(month: string, activities: ReadonlyArray<string | StatementTarget>): Promise<{ activities: number; sent: number }> {
  const issued = await issueManyMonthlyStatements({ month, activities: activities.map((item) => (typeof item === 'string' ? { activityId: item } : item)) });
  return { activities: activities.length, sent: issued.reduce((sum, r) => sum + r.sent, 0) };
}

/** E-mails of each kind (invoices, statements) a close tries to send itself, at most, when it finds some still pending (the rest: the dispatcher). */
const CLOSE_SENDS = 50;

/**
 * "Clôturer le mois": the run's counts from what the month's invoices (and statements) say, and the run done. An
 * invoice was sent when its e-mail's outbox message was marked sent (decision 42), read in batches: only `sentAt` and
 * the status. `waitForMails` (the definition that loops on `pending`): while an invoice's e-mail is still pending (a
 * batch killed between its claim and its mark leaves it claimed until its lease ends; a provider's error leaves it due
 * later), the ledger is not closed: up to CLOSE_SENDS of them whose turn has come are sent here, as the dispatcher
 * would, and `pending` says how many are left, for the workflow to come back. Closed with them pending, the ledger
 * would count as unsent for good e-mails that go minutes later. `waitForStatementMails` (decision 57) does the same for
 * the members' statement e-mails, found in the outbox's due index (`sendPendingStatementMails`): the month is `done`
 * once its invoices and statements are all delivered or given up; `pending` then counts both, `statementMailsPending`
 * the second. Without them (executions started before), the month is closed as it stands, or once the invoice
 * e-mails are out.
 */
export async function finishRun(
  month: string,
  options: { waitForMails?: boolean; waitForStatementMails?: boolean } = {},
): Promise<{ issued: number; sent: number; held: number; statements: number; pending: number; statementMailsPending?: number }> {
  const invoices = (await listMonthInvoiceSummaries(month)).filter((i) => i.kind === 'invoice');
  const issued = invoices.filter((i) => i.numberingKey === monthBatchKey(month) && i.number);
  const mailKeys = issued.map((i) => keys.notification(invoiceOutboxOwner(i.invoiceId), invoiceMailId(i.invoiceId)));
  const keyId = (key: { pk?: unknown; sk?: unknown }) => `${String(key.pk)}\u0000${String(key.sk)}`;
  const readMails = () => batchGetAll(mailKeys, { consistentRead: true, projection: ['sentAt', 'status'] });
  const [read, statements] = await Promise.all([readMails(), countStatements(month)]);
  let mails = read;
  const held = invoices.filter((i) => i.status === 'held').length;
  let pending = 0;
  if (options.waitForMails) {
    const pendingIds = new Set(mails.filter((mail) => mail.status === 'pending').map(keyId));
    const waiting = issued.filter((_, index) => pendingIds.has(keyId(mailKeys[index]!)));
    if (waiting.length > 0) {
      // Only those due and held by nobody are claimed (sendPendingNotifications skips the others).
      await inParallel(waiting.slice(0, CLOSE_SENDS), PARALLEL, (i) => sendPendingNotifications(invoiceOutboxOwner(i.invoiceId), invoiceMailCause(i.invoiceId)));
      mails = await readMails();
      pending = mails.filter((mail) => mail.status === 'pending').length;
    }
  }
  const statementMails = options.waitForStatementMails ? await sendPendingStatementMails(month, CLOSE_SENDS) : undefined;
  const sent = mails.filter((mail) => mail.sentAt !== undefined).length;
  const counts = { issued: issued.length, sent, held, statements };
  const waited = statementMails ? { statementMailsPending: statementMails.pending } : {};
  if (pending + (statementMails?.pending ?? 0) > 0) return { ...counts, pending: pending + (statementMails?.pending ?? 0), ...waited };
  await recordRunProgress(month, { status: 'done', counts });
  return { ...counts, pending: 0, ...waited };
}

/**
 * Issues one invoice held at a month's validation, once staff release it ("validating a held invoice later"): a
 * draft again, numbered on its own (its own numbering batch, from its release), rendered and sent like the month's.
 * Idempotent: a repeat finds it released, numbered or sent and goes on from there.
 */
export async function issueReleasedInvoice(invoiceId: string, by: ByWhom, now: Date = new Date()): Promise<InvoiceRecord> {
  let invoice = await getInvoice(invoiceId);
  if (!invoice || invoice.kind !== 'invoice') throw new NotFoundError('Facture introuvable.');
  if (invoice.status === 'held') invoice = await releaseInvoice({ invoiceId, by, now });
  if (invoice.status === 'draft') {
    const released = [...invoice.history].reverse().find((e) => e.event === 'released');
    const batchKey = invoice.numberingKey ?? releasedBatchKey(invoiceId, released?.at ?? invoice.updatedAt);
    const issueDate = parisDate(now);
    await issueNumbers({ batchKey, invoiceIds: [invoiceId], issueDate, dueDate: dueDateOf(issueDate, cooperativeFromEnv().paymentTermsDays), now });
  }
  await sendInvoices([invoiceId]);
  return (await getInvoice(invoiceId))!;
}

/**
 * "Annuler par un avoir": an issued invoice cancelled by a credit note numbered in the same sequence
 * (`cancelInvoice`), then the credit note e-mailed to the customer with its Factur-X PDF, as an invoice is
 * (`sendInvoices`: its PDF kept under `invoices/`, its e-mail written to the outbox once and sent, the dispatcher's if
 * the send fails). One call answers that it cancelled (decision 49): the one that drafted the credit note, or the one
 * that took over a call cut short (after its lease, before the credit note's e-mail was written), which sends it; it
 * marks the cancellation done. Every other call is a 409 that writes nothing: another call is finishing it
 * (`CANCELLATION_IN_PROGRESS`), or it is done ("déjà annulée").
 */
export async function cancelInvoiceByCreditNote(input: Omit<Parameters<typeof cancelInvoice>[0], 'claim'>): Promise<{ invoice: InvoiceRecord; creditNote: InvoiceRecord }> {
  const claim = randomUUID();
  const creditNoteId = creditNoteIdFor(input.invoiceId);
  let outcome: { invoice: InvoiceRecord; creditNote: InvoiceRecord };
  try {
    outcome = await cancelInvoice({ ...input, claim });
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    const creditNote = await getInvoice(creditNoteId);
    if (creditNote?.status !== 'issued' || (await mailWritten(creditNote.invoiceId))) throw error;
    if (!(await claimCancellation(creditNoteId, claim, input.now))) throw new ConflictError(CANCELLATION_IN_PROGRESS);
    outcome = { invoice: await requireInvoice(input.invoiceId), creditNote };
  }
  await sendInvoices([creditNoteId]);
  // Overtaken after its lease: the call that took over answers; this one says it is done.
  if (!(await completeCancellation(creditNoteId, claim))) throw new ConflictError(`Cette facture est déjà annulée par l'avoir ${outcome.creditNote.number}.`);
  return outcome;
}

/** Whether the e-mail of an issued invoice or credit note is in the outbox (sent or not). */
async function mailWritten(invoiceId: string): Promise<boolean> {
  const [mail] = await batchGetAll([keys.notification(invoiceOutboxOwner(invoiceId), invoiceMailId(invoiceId))], { consistentRead: true, projection: ['sentAt'] });
  return mail !== undefined;
}
