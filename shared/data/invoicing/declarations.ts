import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { VAT_RATES_BPS } from '../../domain/activities.js';
import { ConflictError, InvalidInputError, NotFoundError, type FieldError } from '../../domain/errors.js';
import { invoiceIdFor, type DeclarationFields, type DeclarationRecord, type DeclaredBy, type MonthLockRecord } from '../../domain/invoicing/records.js';
import { isIsoDate } from '../../domain/time.js';
import { keys } from '../../keys.js';
import type { TransactItem } from '../approvals.js';
import { db, queryAll, tableName } from '../client.js';
import { isConditionFailure } from '../transactions.js';
import { recordOf, transact } from './items.js';

/** A declaration as stored: its status is read from the month's lock. */
export type StoredDeclaration = Omit<DeclarationRecord, 'status'>;

/** The stored item of a declaration, in its activity's partition by month. */
export const declarationItem = (declaration: StoredDeclaration) => ({ ...keys.declaration(declaration.activityId, declaration.month, declaration.declarationId), type: 'declaration', ...declaration });

const monthInvoiced = (month: string) => new ConflictError(`Le mois ${month} est déjà en facturation : ses déclarations ne peuvent plus être modifiées.`);
const STALE = 'La déclaration a été modifiée entre-temps : rechargez la page et recommencez.';

/**
 * What no declaration may hold, whatever checked it before (the routes check the price list): a line without
 * integer amounts, a quantity of zero, a VAT rate that does not exist. A 400 that names each field.
 */
export function declarationProblems(fields: DeclarationFields): FieldError[] {
  const problems: FieldError[] = [];
  if (!isIsoDate(fields.serviceDate)) problems.push({ field: 'serviceDate', message: 'Date invalide (AAAA-MM-JJ).' });
  if (fields.lines.length === 0) problems.push({ field: 'lines', message: 'Au moins une ligne.' });
  fields.lines.forEach((line, i) => {
    if (!line.description.trim()) problems.push({ field: `lines.${i}.description`, message: 'Description obligatoire.' });
    if (!Number.isSafeInteger(line.quantityHundredths) || line.quantityHundredths <= 0) problems.push({ field: `lines.${i}.quantityHundredths`, message: 'Quantité positive, en centièmes entiers.' });
    if (!Number.isSafeInteger(line.unitPriceCents) || line.unitPriceCents < 0) problems.push({ field: `lines.${i}.unitPriceCents`, message: 'Prix en centimes entiers, positif ou nul.' });
    if (line.vatRateBps !== null && !(VAT_RATES_BPS as readonly number[]).includes(line.vatRateBps)) problems.push({ field: `lines.${i}.vatRateBps`, message: 'Taux de TVA invalide : 20 %, 10 %, 5,5 %, 2,1 % ou sans TVA.' });
  });
  return problems;
}

function assertDeclaration(fields: DeclarationFields): void {
  const problems = declarationProblems(fields);
  if (problems.length) throw new InvalidInputError('La déclaration est incomplète ou invalide.', problems);
}

/** The month's lock, or undefined while drafting has not begun (no item, or only the count of its changes). */
export async function getMonthLock(activityId: string, month: string): Promise<MonthLockRecord | undefined> {
  const result = await db().send(new GetCommand({ TableName: tableName(), Key: keys.invoicingMonth(activityId, month), ConsistentRead: true }));
  return result.Item?.status ? recordOf<MonthLockRecord>(result.Item) : undefined;
}

/**
 * The month's item as declarations leave it before any drafting: the count of their writes alone (`changes`, decision
 * 36). What `guards` writes on a first declaration; the bench seeds it with the declarations.
 */
export const monthChangesItem = (activityId: string, month: string, changes: number) => ({ ...keys.invoicingMonth(activityId, month), type: 'invoicing-month', activityId, month, changes });

const withStatus = (declaration: StoredDeclaration, lock: MonthLockRecord | undefined): DeclarationRecord => ({ ...declaration, status: lock?.status === 'drafted' ? 'invoiced' : 'open' });

type Guard = { item: TransactItem; refusal: () => Error };

/**
 * What every change of a declaration checks in its transaction: its month is not locked (drafting not begun, or
 * reopened), each customer it concerns is the activity's, and that customer's invoice of the month is not numbered
 * (once issued, what it invoiced is frozen even in a reopened month). The month's item counts the change
 * (`changes`, created with the first declaration): a drafting that read the declarations before it sees its lock's
 * count moved, and drafts again from a fresh read instead of locking the month without it (decision 36).
 */
function guards(table: string, activityId: string, month: string, customerIds: string[]): Guard[] {
  const list: Guard[] = [
    {
      item: {
        Update: {
          TableName: table,
          Key: keys.invoicingMonth(activityId, month),
          UpdateExpression: 'SET #type = :type, activityId = :activity, #month = :month, #changes = if_not_exists(#changes, :zero) + :one',
          ConditionExpression: 'attribute_not_exists(#status) OR #status = :open',
          ExpressionAttributeNames: { '#status': 'status', '#type': 'type', '#month': 'month', '#changes': 'changes' },
          ExpressionAttributeValues: { ':open': 'open', ':type': 'invoicing-month', ':activity': activityId, ':month': month, ':zero': 0, ':one': 1 },
        },
      },
      refusal: () => monthInvoiced(month),
    },
  ];
  for (const customerId of new Set(customerIds)) {
    list.push(
      { item: { ConditionCheck: { TableName: table, Key: keys.invoicingCustomer(activityId, customerId), ConditionExpression: 'attribute_exists(pk)' } }, refusal: () => new NotFoundError('Client introuvable pour cette activité.') },
      {
        item: { ConditionCheck: { TableName: table, Key: keys.invoice(invoiceIdFor(activityId, month, customerId)), ConditionExpression: 'attribute_not_exists(numberingKey)' } },
        refusal: () => monthInvoiced(month),
      },
    );
  }
  return list;
}

/** Runs the guards and the write in one transaction; a failed guard becomes its error, a failed write `onWriteRefused`'s. */
async function guarded(list: Guard[], write: TransactItem, onWriteRefused: () => Promise<Error>): Promise<void> {
  try {
    await transact([...list.map((g) => g.item), write]);
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const reasons = error.CancellationReasons ?? [];
    const failed = list.findIndex((_, i) => reasons[i]?.Code === 'ConditionalCheckFailed');
    if (failed >= 0) throw list[failed]!.refusal();
    if (reasons[list.length]?.Code === 'ConditionalCheckFailed') throw await onWriteRefused();
    throw error;
  }
}

/** A declaration of the activity, or undefined (its status read from the month's lock). */
export async function getDeclaration(activityId: string, month: string, declarationId: string): Promise<DeclarationRecord | undefined> {
  const [result, lock] = await Promise.all([
    db().send(new GetCommand({ TableName: tableName(), Key: keys.declaration(activityId, month, declarationId), ConsistentRead: true })),
    getMonthLock(activityId, month),
  ]);
  return result.Item ? withStatus(recordOf<StoredDeclaration>(result.Item), lock) : undefined;
}

/** The activity's declarations of a month (services of that month), by id. */
export async function listDeclarations(activityId: string, month: string): Promise<DeclarationRecord[]> {
  const [stored, lock] = await Promise.all([listStoredDeclarations(activityId, month), getMonthLock(activityId, month)]);
  return stored.map((d) => withStatus(d, lock));
}

/** The same without their status (no read of the month's lock). */
export async function listStoredDeclarations(activityId: string, month: string): Promise<StoredDeclaration[]> {
  return (await listBatchDeclarations([activityId], month))[0]!;
}

/**
 * The month's declarations of several activities (a drafting batch), by activity, in the order given: one consistent
 * query of the month's partition over the range of their ids (decision 36), not one per activity. The declarations
 * of activities in that range but not given are read and left out: the run's list is sorted as DynamoDB sorts keys,
 * so a batch's range holds only its own activities, and those of the month that are not in the list (few).
 */
export async function listBatchDeclarations(activityIds: readonly string[], month: string): Promise<StoredDeclaration[][]> {
  const byActivity = new Map(activityIds.map((id) => [id, [] as StoredDeclaration[]]));
  if (activityIds.length === 0) return [];
  const sorted = [...byActivity.keys()].sort(byKeyOrder);
  const range = keys.declarationsRange(month, sorted[0]!, sorted.at(-1)!);
  // A range, not begins_with: DynamoDB Local reads the whole partition for begins_with (6.7 ms of its CPU in a
  // partition of 12,000 items, against 2.0 ms for the same three items by range).
  const items = await queryAll({
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :through',
    ExpressionAttributeValues: { ':pk': range.pk, ':from': range.from, ':through': range.through },
    ConsistentRead: true,
  });
  for (const item of items) {
    const declaration = recordOf<StoredDeclaration>(item);
    byActivity.get(declaration.activityId)?.push(declaration);
  }
  return activityIds.map((id) => byActivity.get(id)!);
}

/** The order of DynamoDB's sort keys (UTF-8 bytes; the same as UTF-16 code units for ids without surrogates), not the locale's. */
export const byKeyOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

class AlreadyThere extends Error {}

/**
 * Records services delivered to a customer of the activity, in the month of the service date. Refused (409) once
 * that month is locked for invoicing, 404 for a customer the activity does not have. Idempotent by id: a repeat
 * returns the declaration already there (`created: false`), with the `payloadHash` of the request that created it.
 */
export async function createDeclaration(input: { activityId: string; declarationId: string; fields: DeclarationFields; declaredBy: DeclaredBy; payloadHash?: string; now?: Date }): Promise<{ declaration: DeclarationRecord; created: boolean }> {
  assertDeclaration(input.fields);
  const now = (input.now ?? new Date()).toISOString();
  const month = input.fields.serviceDate.slice(0, 7);
  const { customerId, serviceDate, lines } = input.fields;
  const declaration: StoredDeclaration = { activityId: input.activityId, declarationId: input.declarationId, month, customerId, serviceDate, lines, declaredBy: input.declaredBy, ...(input.payloadHash ? { payloadHash: input.payloadHash } : {}), version: 1, createdAt: now, updatedAt: now };
  const table = tableName();
  try {
    await guarded(
      guards(table, input.activityId, month, [customerId]),
      { Put: { TableName: table, Item: declarationItem(declaration), ConditionExpression: 'attribute_not_exists(pk)' } },
      async () => new AlreadyThere(),
    );
    return { declaration: { ...declaration, status: 'open' }, created: true };
  } catch (error) {
    if (!(error instanceof AlreadyThere)) throw error;
    return { declaration: (await getDeclaration(input.activityId, month, input.declarationId))!, created: false };
  }
}

/** The declaration as read, or a 404; a 409 when its version is no longer the one the editor read. */
async function readForChange(input: { activityId: string; month: string; declarationId: string; expectedVersion: number }): Promise<DeclarationRecord> {
  const current = await getDeclaration(input.activityId, input.month, input.declarationId);
  if (!current) throw new NotFoundError('Déclaration introuvable.');
  if (current.version !== input.expectedVersion) throw new ConflictError(STALE);
  return current;
}

/** Corrects a declaration while its month is not locked, conditional on the version read. The service stays in its month. */
export async function updateDeclaration(input: { activityId: string; month: string; declarationId: string; expectedVersion: number; fields: DeclarationFields; now?: Date }): Promise<DeclarationRecord> {
  assertDeclaration(input.fields);
  if (input.fields.serviceDate.slice(0, 7) !== input.month) {
    throw new InvalidInputError('La date du service doit rester dans le mois de la déclaration.', [{ field: 'serviceDate', message: `Une date de ${input.month}.` }]);
  }
  const now = (input.now ?? new Date()).toISOString();
  const table = tableName();
  const current = await readForChange(input);
  await guarded(
    guards(table, input.activityId, input.month, [current.customerId, input.fields.customerId]),
    {
      Update: {
        TableName: table,
        Key: keys.declaration(input.activityId, input.month, input.declarationId),
        UpdateExpression: 'SET customerId = :customer, serviceDate = :date, #lines = :lines, #version = :next, updatedAt = :now',
        ConditionExpression: 'attribute_exists(pk) AND #version = :expected',
        ExpressionAttributeNames: { '#lines': 'lines', '#version': 'version' },
        ExpressionAttributeValues: { ':customer': input.fields.customerId, ':date': input.fields.serviceDate, ':lines': input.fields.lines, ':next': input.expectedVersion + 1, ':expected': input.expectedVersion, ':now': now },
      },
    },
    () => staleOrMissing(input),
  );
  return (await getDeclaration(input.activityId, input.month, input.declarationId))!;
}

/** Deletes a declaration while its month is not locked, conditional on the version read. */
export async function deleteDeclaration(input: { activityId: string; month: string; declarationId: string; expectedVersion: number }): Promise<void> {
  const table = tableName();
  const current = await readForChange(input);
  await guarded(
    guards(table, input.activityId, input.month, [current.customerId]),
    {
      Delete: {
        TableName: table,
        Key: keys.declaration(input.activityId, input.month, input.declarationId),
        ConditionExpression: 'attribute_exists(pk) AND #version = :expected',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':expected': input.expectedVersion },
      },
    },
    () => staleOrMissing(input),
  );
}

async function staleOrMissing(input: { activityId: string; month: string; declarationId: string }): Promise<Error> {
  return (await getDeclaration(input.activityId, input.month, input.declarationId)) ? new ConflictError(STALE) : new NotFoundError('Déclaration introuvable.');
}
