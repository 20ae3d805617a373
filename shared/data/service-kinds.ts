import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Staff } from '../domain/actor.js';
import { mergeCatalogue, type ServiceKind, type ServiceKindInput } from '../domain/activities.js';
import { INDEX, keys } from '../keys.js';
import { db, queryAll, tableName } from './client.js';

const toKind = (item: Record<string, unknown>): ServiceKind => ({
  code: String(item.code),
  label: String(item.label),
  defaultVatRateBps: (item.defaultVatRateBps as number | null | undefined) ?? null,
  insuranceNotes: String(item.insuranceNotes),
  openToMinors: item.openToMinors === true,
  ...(typeof item.minorsClosedReason === 'string' ? { minorsClosedReason: item.minorsClosedReason } : {}),
  active: item.active !== false,
});

/**
 * The service catalogue: the kinds staff stored, and the seed (DEFAULT_SERVICE_KINDS) for the kinds never edited,
 * sorted by label. A table without any stored kind reads as the seed.
 */
export async function listServiceKinds(): Promise<ServiceKind[]> {
  const stored = await queryAll({ IndexName: INDEX.serviceKinds, KeyConditionExpression: 'gsi1pk = :pk', ExpressionAttributeValues: { ':pk': keys.serviceKindsPartition() } });
  return mergeCatalogue(stored.map(toKind));
}

/** Staff create or edit a kind of service (the code is its identity and never changes). */
export async function upsertServiceKind(code: string, input: ServiceKindInput, staff: Staff, now: Date = new Date()): Promise<ServiceKind> {
  const kind: ServiceKind = {
    code,
    label: input.label,
    defaultVatRateBps: input.defaultVatRateBps,
    insuranceNotes: input.insuranceNotes,
    openToMinors: input.openToMinors,
    // A kind open to minors carries no reason to be closed to them.
    ...(!input.openToMinors && input.minorsClosedReason ? { minorsClosedReason: input.minorsClosedReason } : {}),
    active: input.active ?? true,
  };
  await db().send(
    new PutCommand({
      TableName: tableName(),
      Item: { ...keys.serviceKind(code), ...keys.serviceKindEntry(code), type: 'service-kind', ...kind, updatedAt: now.toISOString(), updatedBy: { id: staff.id, name: staff.name } },
    }),
  );
  return kind;
}
