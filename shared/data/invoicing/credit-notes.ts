import { randomUUID } from 'node:crypto';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../../domain/errors.js';
import { creditNoteIdFor, type InvoiceRecord } from '../../domain/invoicing/records.js';
import { keys } from '../../keys.js';
import { db, tableName } from '../client.js';
import { isConditionFailure, pause, isConditionalCheckFailed } from '../transactions.js';
import { getInvoice, invoiceItem, requireInvoice } from './invoices.js';
import { transact, type ByWhom } from './items.js';
import { issueNumbers } from './numbering.js';

/**
 * How long the call that drafted a credit note (or took its cancellation over) holds it: more than the staff
 * function's timeout (29 s), so that a call still running is never overtaken, and a call cut short is finished by the
 * next one a minute later at most (decision 49).
 */
export const CANCELLATION_LEASE_SECONDS = 60;

/** What a call that does not hold the cancellation answers while another one finishes it (409). */
export const CANCELLATION_IN_PROGRESS = "L'annulation de cette facture est déjà en cours (une autre demande émet son avoir) : rechargez la page dans une minute.";

/**
 * Cancels an issued invoice by a credit note (`cn-<invoiceId>`) numbered in the same sequence: the invoice is
 * marked cancelled and leaves the unpaid index, its credit note is drafted and the call's claim on finishing it is
 * written (`claim`: its token; a lease, decision 49), in one transaction; the credit note is then numbered (issue date
 * given). Once: cancelling again is a 409. A cancel cut short before the credit note's number is finished by the next
 * call once the lease ran out (it takes the claim over, `claimCancellation`); before that, and for every call that
 * raced the one that drafted it, a 409 (`CANCELLATION_IN_PROGRESS`) that writes nothing.
 */
export async function cancelInvoice(input: { invoiceId: string; issueDate: string; reason: string; by: ByWhom; now?: Date; claim?: string }): Promise<{ invoice: InvoiceRecord; creditNote: InvoiceRecord }> {
  const at = input.now ?? new Date();
  const now = at.toISOString();
  const token = input.claim ?? randomUUID();
  const creditNoteId = creditNoteIdFor(input.invoiceId);
  let invoice = await requireInvoice(input.invoiceId);
  if (invoice.kind !== 'invoice') throw new ConflictError("Un avoir ne s'annule pas.");
  let created = false;
  if (invoice.status === 'issued') {
    const table = tableName();
    const creditNote: InvoiceRecord = {
      invoiceId: creditNoteId,
      kind: 'credit-note',
      activityId: invoice.activityId,
      month: input.issueDate.slice(0, 7),
      customer: invoice.customer,
      lines: invoice.lines,
      totals: invoice.totals,
      declarationIds: invoice.declarationIds,
      status: 'draft',
      cancels: { invoiceId: invoice.invoiceId, number: invoice.number!, issueDate: invoice.issueDate! },
      paidCents: 0,
      history: [{ at: now, event: 'drafted', by: input.by, detail: input.reason }],
      createdAt: now,
      updatedAt: now,
    };
    for (let attempt = 0; ; attempt++) {
      try {
        await transact([
          {
            Update: {
              TableName: table,
              Key: keys.invoice(invoice.invoiceId),
              UpdateExpression: 'SET #status = :cancelled, cancelledBy = :cn, history = list_append(history, :event), updatedAt = :now REMOVE gsi1pk, gsi1sk',
              ConditionExpression: '#status = :issued',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':cancelled': 'cancelled', ':issued': 'issued', ':cn': creditNoteId, ':event': [{ at: now, event: 'cancelled', by: input.by, detail: input.reason }], ':now': now },
            },
          },
          { Put: { TableName: table, Item: invoiceItem(creditNote), ConditionExpression: 'attribute_not_exists(pk)' } },
          { Put: { TableName: table, Item: claimItem(creditNoteId, token, at), ConditionExpression: 'attribute_not_exists(pk)' } },
        ]);
        created = true;
      } catch (error) {
        // Cancelled at the same moment by someone else: what follows treats it as already cancelled. A transaction
        // refused because another one was writing the invoice at that moment is tried again while it is still issued.
        if (!isConditionFailure(error)) throw error;
      }
      invoice = await requireInvoice(input.invoiceId);
      if (created || invoice.status !== 'issued' || attempt >= 5) break;
      await pause(attempt);
    }
  }
  if (invoice.status !== 'cancelled') throw new ConflictError("Seule une facture émise s'annule par un avoir.");
  const pending = await getInvoice(creditNoteId);
  if (!pending) throw new ConflictError('Cette facture est annulée sans avoir.');
  if (pending.status !== 'draft') throw new ConflictError(`Cette facture est déjà annulée par l'avoir ${pending.number}.`);
  // Drafted by another call: numbered here only by the call that takes its cancellation over.
  if (!created && !(await claimCancellation(creditNoteId, token, at))) throw new ConflictError(CANCELLATION_IN_PROGRESS);
  await issueNumbers({ batchKey: creditNoteId, invoiceIds: [creditNoteId], issueDate: input.issueDate, now: at });
  return { invoice, creditNote: await requireInvoice(creditNoteId) };
}

function claimItem(creditNoteId: string, token: string, at: Date): Record<string, unknown> {
  return { ...keys.cancellationClaim(creditNoteId), type: 'cancellation-claim', token, until: new Date(at.getTime() + CANCELLATION_LEASE_SECONDS * 1000).toISOString(), done: false, updatedAt: at.toISOString() };
}

/**
 * Takes over the cancellation of a credit note whose call was cut short: only when no call holds it (a credit note
 * drafted before decision 49 has no claim) or when its holder's lease ran out, and never once a call finished it. One
 * call wins (a conditional put); `false`: another call holds it or finished it.
 */
export async function claimCancellation(creditNoteId: string, token: string, at: Date = new Date()): Promise<boolean> {
  try {
    await db().send(
      new PutCommand({
        TableName: tableName(),
        Item: claimItem(creditNoteId, token, at),
        ConditionExpression: 'attribute_not_exists(pk) OR (done = :false AND #until < :now)',
        ExpressionAttributeNames: { '#until': 'until' },
        ExpressionAttributeValues: { ':false': false, ':now': at.toISOString() },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionalCheckFailed(error)) return false;
    throw error;
  }
}

/**
 * The cancellation finished by the call holding `token`: its claim marked done, once. `false`: another call took it
 * over meanwhile (this one outlived its lease) or finished it; that call answers, not this one.
 */
export async function completeCancellation(creditNoteId: string, token: string, at: Date = new Date()): Promise<boolean> {
  try {
    await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.cancellationClaim(creditNoteId),
        UpdateExpression: 'SET done = :true, updatedAt = :now',
        ConditionExpression: '#token = :token AND done = :false',
        ExpressionAttributeNames: { '#token': 'token' },
        ExpressionAttributeValues: { ':true': true, ':false': false, ':token': token, ':now': at.toISOString() },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionalCheckFailed(error)) return false;
    throw error;
  }
}
