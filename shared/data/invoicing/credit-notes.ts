import { ConflictError } from '../../domain/errors.js';
import { creditNoteIdFor, type InvoiceRecord } from '../../domain/invoicing/records.js';
import { keys } from '../../keys.js';
import { tableName } from '../client.js';
import { isConditionFailure } from '../transactions.js';
import { getInvoice, invoiceItem, requireInvoice } from './invoices.js';
import { transact, type ByWhom } from './items.js';
import { issueNumbers } from './numbering.js';

/**
 * Cancels an issued invoice by a credit note (`cn-<invoiceId>`) numbered in the same sequence: the invoice is
 * marked cancelled and leaves the unpaid index, and its credit note is drafted, in one transaction; the credit note is
 * then numbered (issue date given). Once: cancelling again is a 409. A cancel cut short before the credit note's
 * number is finished by the next call instead.
 */
export async function cancelInvoice(input: { invoiceId: string; issueDate: string; reason: string; by: ByWhom; now?: Date }): Promise<{ invoice: InvoiceRecord; creditNote: InvoiceRecord }> {
  const now = (input.now ?? new Date()).toISOString();
  const creditNoteId = creditNoteIdFor(input.invoiceId);
  let invoice = await requireInvoice(input.invoiceId);
  if (invoice.kind !== 'invoice') throw new ConflictError("Un avoir ne s'annule pas.");
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
      ]);
    } catch (error) {
      // Cancelled at the same moment by someone else: what follows treats it as already cancelled.
      if (!isConditionFailure(error)) throw error;
    }
    invoice = await requireInvoice(input.invoiceId);
  }
  if (invoice.status !== 'cancelled') throw new ConflictError("Seule une facture émise s'annule par un avoir.");
  const pending = await getInvoice(creditNoteId);
  if (!pending) throw new ConflictError('Cette facture est annulée sans avoir.');
  if (pending.status !== 'draft') throw new ConflictError(`Cette facture est déjà annulée par l'avoir ${pending.number}.`);
  await issueNumbers({ batchKey: creditNoteId, invoiceIds: [creditNoteId], issueDate: input.issueDate, now: new Date(now) });
  return { invoice, creditNote: await requireInvoice(creditNoteId) };
}
