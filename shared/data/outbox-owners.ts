import type { ActivityRecord } from '../domain/activities.js';
import type { CustomerRecord, InvoiceRecord } from '../domain/invoicing/records.js';
import type { RecipientRole } from '../domain/messages/catalogue.js';
import { getActivityRecords } from './activities.js';
import { getCustomers } from './invoicing/customers.js';
import { getInvoices } from './invoicing/invoices.js';
import { getPeople, type PersonRecord } from './people.js';

/** The owner an outbox message, a contact issue or an opt-out is filed under (their `personId`), and its recipient's role. */
export interface OutboxOwnerRef {
  ownerId: string;
  role?: RecipientRole;
}

/**
 * Who a message was for: a young person (their own messages, their guardian's and prescriber's, filed under them), or a
 * customer of an activity, whose messages are filed under the invoice they are about (`invoiceOutboxOwner`), with that
 * customer as they are now and the activity (either missing if it is gone: the invoice still names them).
 */
export type OutboxOwner =
  | { kind: 'person'; person: PersonRecord }
  | { kind: 'customer'; invoice: InvoiceRecord; customer?: CustomerRecord; activity?: ActivityRecord };

/**
 * The owners of staff's lists of messages, in batch reads whatever their number: the people and the invoices together,
 * then the invoices' customers and activities together. A customer's message is told by its role (only customers'
 * messages are filed under an invoice); an owner not found is left out (an unknown owner).
 */
export async function getOutboxOwners(refs: readonly OutboxOwnerRef[]): Promise<(ref: OutboxOwnerRef) => OutboxOwner | undefined> {
  const isCustomer = (ref: OutboxOwnerRef) => ref.role === 'customer';
  const [people, invoices] = await Promise.all([
    getPeople(refs.filter((ref) => !isCustomer(ref)).map((ref) => ref.ownerId)),
    getInvoices(refs.filter(isCustomer).map((ref) => ref.ownerId)),
  ]);
  const [customers, activities] = await Promise.all([
    getCustomers(invoices.map((invoice) => ({ activityId: invoice.activityId, customerId: invoice.customer.customerId }))),
    getActivityRecords(invoices.map((invoice) => invoice.activityId)),
  ]);
  const customerKey = (activityId: string, customerId: string) => `${activityId}\u0000${customerId}`;
  const customerOf = new Map(customers.map((customer) => [customerKey(customer.activityId, customer.customerId), customer]));
  const invoiceOf = new Map(invoices.map((invoice) => [invoice.invoiceId, invoice]));
  return (ref) => {
    if (!isCustomer(ref)) {
      const person = people.get(ref.ownerId);
      return person && { kind: 'person', person };
    }
    const invoice = invoiceOf.get(ref.ownerId);
    if (!invoice) return undefined;
    return { kind: 'customer', invoice, customer: customerOf.get(customerKey(invoice.activityId, invoice.customer.customerId)), activity: activities.get(invoice.activityId) };
  };
}
