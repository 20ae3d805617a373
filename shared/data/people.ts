import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { batchGetAll, db, tableName } from './client.js';
import { keys, type PersonClaimKind } from '../keys.js';
import { publicActor, type Actor } from '../domain/actor.js';
import { identityKey, normalizeEmail } from '../domain/identity.js';
import type { PathStatus, ReferralSubmission } from '../domain/referral.js';

export interface TimelineEvent {
  at: string;
  type: string;
  label: string;
  actor: ReturnType<typeof publicActor>;
  referralId?: string;
  reason?: string;
}

export function claimsOf(submission: ReferralSubmission): Array<{ kind: PersonClaimKind; value: string }> {
  const yp = submission.youngPerson;
  return [
    { kind: 'EMAIL', value: normalizeEmail(yp.email) },
    { kind: 'PHONE', value: yp.phone },
    { kind: 'IDENTITY', value: identityKey(yp.firstName, yp.lastName, yp.birthDate) },
  ];
}

export const claimLabel = (kind: PersonClaimKind) => ({ EMAIL: 'même e-mail', PHONE: 'même mobile', IDENTITY: 'même nom et date de naissance' })[kind];

export async function findClaims(claims: Array<{ kind: PersonClaimKind; value: string }>): Promise<Map<PersonClaimKind, string>> {
  // Unprocessed keys are read again: a claim missed under load would create a duplicate person.
  const items = await batchGetAll(claims.map((c) => keys.personClaim(c.kind, c.value)), { consistentRead: true });
  const found = new Map<PersonClaimKind, string>();
  for (const item of items) found.set(String(item.pk).split('#')[1] as PersonClaimKind, String(item.personId));
  return found;
}

export async function countReferralsOf(personId: string): Promise<number> {
  const prefix = keys.personReferralsPrefix(personId);
  const result = await db().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
      ExpressionAttributeValues: { ':pk': prefix.pk, ':sk': prefix.skPrefix },
      Select: 'COUNT',
    }),
  );
  return result.Count ?? 0;
}

export interface TimelineEventInput {
  at: string;
  /** With the time, the event's key: the same id written twice is one event. */
  eventId: string;
  type: string;
  label: string;
  actor: Actor;
  referralId?: string;
  reason?: string;
}

/** The transaction item that adds one event to a person's timeline, once. */
export function timelinePut(table: string, personId: string, event: TimelineEventInput) {
  return [
    {
      Put: {
        TableName: table,
        Item: {
          ...keys.personEvent(personId, event.at, event.eventId),
          type: 'timeline-event',
          eventType: event.type,
          at: event.at,
          label: event.label,
          actor: publicActor(event.actor),
          actorId: event.actor.kind === 'system' ? undefined : event.actor.id,
          referralId: event.referralId,
          reason: event.reason,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  ];
}

export interface PersonRecord {
  personId: string;
  firstName: string;
  lastName: string;
  birthDate: string;
  email: string;
  phone: string;
  postalCode: string;
  town: string;
  qpv: boolean;
  pathStatus: PathStatus;
  referralCount: number;
  createdAt: string;
}
