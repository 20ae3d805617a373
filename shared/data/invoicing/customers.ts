import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError, NotFoundError } from '../../domain/errors.js';
import type { CustomerFields, CustomerRecord } from '../../domain/invoicing/records.js';
import { keys } from '../../keys.js';
import { batchGetAll, db, queryPrefix, tableName } from '../client.js';
import { setAndRemove } from '../update-expression.js';
import { isConditionFailure, isConditionalCheckFailed } from '../transactions.js';
import { recordOf, transact } from './items.js';

const NOT_FOUND = 'Client introuvable pour cette activité.';
const STALE = 'Le client a été modifié entre-temps : rechargez la page et recommencez.';

/** The stored item of a customer, in its activity's partition. */
export const customerItem = (customer: CustomerRecord) => ({ ...keys.invoicingCustomer(customer.activityId, customer.customerId), type: 'invoicing-customer', ...customer });

/** A customer of the activity, or undefined (another activity's customer is not found: the key holds the activity). */
export async function getCustomer(activityId: string, customerId: string): Promise<CustomerRecord | undefined> {
  const result = await db().send(new GetCommand({ TableName: tableName(), Key: keys.invoicingCustomer(activityId, customerId), ConsistentRead: true }));
  return result.Item ? recordOf<CustomerRecord>(result.Item) : undefined;
}

/** A customer of the activity, or a 404. */
export async function requireCustomer(activityId: string, customerId: string): Promise<CustomerRecord> {
  const customer = await getCustomer(activityId, customerId);
  if (!customer) throw new NotFoundError(NOT_FOUND);
  return customer;
}

/** Customers by activity and id, in one read per 100 (consistent); those not found are left out. */
export async function getCustomers(ids: ReadonlyArray<{ activityId: string; customerId: string }>): Promise<CustomerRecord[]> {
  return (await batchGetAll(ids.map((id) => keys.invoicingCustomer(id.activityId, id.customerId)), { consistentRead: true })).map((i) => recordOf<CustomerRecord>(i));
}

/** The activity's customers, by id. */
export async function listCustomers(activityId: string): Promise<CustomerRecord[]> {
  const prefix = keys.invoicingCustomersPrefix(activityId);
  return (await queryPrefix(prefix.pk, prefix.skPrefix, { consistentRead: true })).map((i) => recordOf<CustomerRecord>(i));
}

/**
 * Creates a customer of an existing activity (fields already validated by shared/domain/invoicing/customers.ts).
 * Idempotent by id: a repeat returns the customer already there (`created: false`), with the `payloadHash` of the
 * request that created it (an id derived from an Idempotency-Key: the caller compares). A 404 when the activity does not exist.
 */
export async function createCustomer(input: { activityId: string; customerId: string; fields: CustomerFields; payloadHash?: string; now?: Date }): Promise<{ customer: CustomerRecord; created: boolean }> {
  const now = (input.now ?? new Date()).toISOString();
  const customer: CustomerRecord = { activityId: input.activityId, customerId: input.customerId, ...input.fields, ...(input.payloadHash ? { payloadHash: input.payloadHash } : {}), version: 1, createdAt: now, updatedAt: now };
  const table = tableName();
  try {
    await transact([
      { ConditionCheck: { TableName: table, Key: keys.activity(input.activityId), ConditionExpression: 'attribute_exists(pk)' } },
      { Put: { TableName: table, Item: customerItem(customer), ConditionExpression: 'attribute_not_exists(pk)' } },
    ]);
    return { customer, created: true };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const [activity, customerReason] = error.CancellationReasons ?? [];
    if (activity?.Code === 'ConditionalCheckFailed') throw new NotFoundError('Activité introuvable.');
    if (customerReason?.Code !== 'ConditionalCheckFailed') throw error;
    return { customer: await requireCustomer(input.activityId, input.customerId), created: false };
  }
}

/** Replaces a customer's fields, conditional on the version read (a 409 when someone changed it since). */
export async function updateCustomer(input: { activityId: string; customerId: string; expectedVersion: number; fields: CustomerFields; now?: Date }): Promise<CustomerRecord> {
  const now = (input.now ?? new Date()).toISOString();
  const { kind, name, address, email, siren, vatNumber } = input.fields;
  const update = setAndRemove(
    { kind, name, address, email, version: input.expectedVersion + 1, updatedAt: now, ...(siren ? { siren } : {}), ...(vatNumber ? { vatNumber } : {}) },
    [...(siren ? [] : ['siren']), ...(vatNumber ? [] : ['vatNumber'])],
  );
  try {
    const result = await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.invoicingCustomer(input.activityId, input.customerId),
        UpdateExpression: update.UpdateExpression,
        ConditionExpression: 'attribute_exists(pk) AND #version = :expected',
        ExpressionAttributeNames: { ...update.ExpressionAttributeNames, '#version': 'version' },
        ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':expected': input.expectedVersion },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return recordOf<CustomerRecord>(result.Attributes!);
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
    await requireCustomer(input.activityId, input.customerId);
    throw new ConflictError(STALE);
  }
}
