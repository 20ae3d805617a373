import { QueryCommand, type TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { batchGetAll, db, queryPrefix, tableName } from './client.js';
import { keys } from '../keys.js';
import { publicActor, type Actor } from '../domain/actor.js';
import type { MatchCandidates, MatchingKeys, StrongClaimKind } from '../domain/person-matching.js';
import type { ReferralStatus } from '../domain/referral.js';

export interface TimelineEvent {
  at: string;
  type: string;
  label: string;
  actor: ReturnType<typeof publicActor>;
  referralId?: string;
  reason?: string;
}

type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];

/** What the table holds under a referral's matching keys, each person resolved to the one staff confirmed it to be. */
export interface FoundCandidates extends MatchCandidates {
  /** The strong keys some person already holds (a new claim on them would fail its condition). */
  heldStrongKinds: Set<StrongClaimKind>;
}

/**
 * Reads who holds a referral's strong keys and who is known under its single keys, with consistent reads:
 * a claim missed under load would create a duplicate person. People confirmed to be another are replaced by that one.
 */
export async function findPersonCandidates(matching: MatchingKeys): Promise<FoundCandidates> {
  const [strongItems, ...lookupPages] = await Promise.all([
    batchGetAll(matching.strong.map((c) => keys.strongPersonClaim(c.kind, c.value)), { consistentRead: true }),
    ...matching.lookups.map((l) => queryPrefix(keys.personLookupPartition(l.kind, l.value), '', { consistentRead: true })),
  ]);
  const strongRaw = new Map<StrongClaimKind, string>();
  for (const item of strongItems) {
    const claim = matching.strong.find((c) => keys.strongPersonClaim(c.kind, c.value).pk === item.pk);
    if (claim) strongRaw.set(claim.kind, String(item.personId));
  }
  const lookupRaw = matching.lookups.map((l, i) => ({ kind: l.kind, personIds: [...new Set(lookupPages[i].map((item) => String(item.personId)))] }));
  const canonical = await canonicalPersonIds([...strongRaw.values(), ...lookupRaw.flatMap((l) => l.personIds)]);
  const strong: MatchCandidates['strong'] = {};
  for (const [kind, personId] of strongRaw) strong[kind] = canonical.get(personId) ?? personId;
  const lookups: MatchCandidates['lookups'] = {};
  for (const { kind, personIds } of lookupRaw) if (personIds.length) lookups[kind] = [...new Set(personIds.map((id) => canonical.get(id) ?? id))];
  return { strong, lookups, heldStrongKinds: new Set(strongRaw.keys()) };
}

/** Hops followed from a person to the one it was confirmed to be; confirmations always point at a current person, so chains stay short. */
const MAX_SAME_AS_HOPS = 5;

/**
 * For each person id, the person it was confirmed to be by staff (itself when none), following `sameAsPersonId`.
 * A person that does not exist maps to itself.
 */
export async function canonicalPersonIds(personIds: string[]): Promise<Map<string, string>> {
  const sameAs = new Map<string, string | undefined>();
  let toRead = [...new Set(personIds)];
  for (let hop = 0; hop < MAX_SAME_AS_HOPS && toRead.length > 0; hop++) {
    const profiles = (await batchGetAll(toRead.map((id) => keys.person(id)), { consistentRead: true })) as unknown as PersonRecord[];
    const byId = new Map(profiles.map((p) => [p.personId, p]));
    for (const id of toRead) sameAs.set(id, byId.get(id)?.sameAsPersonId);
    toRead = [...new Set(profiles.flatMap((p) => (p.sameAsPersonId && !sameAs.has(p.sameAsPersonId) ? [p.sameAsPersonId] : [])))];
  }
  const resolve = (id: string): string => {
    let current = id;
    for (let hop = 0; hop < MAX_SAME_AS_HOPS; hop++) {
      const next = sameAs.get(current);
      if (!next) break;
      current = next;
    }
    return current;
  };
  return new Map(personIds.map((id) => [id, resolve(id)]));
}

/** The items that file a person under a referral's single keys (idempotent: the key names the person). */
export function personLookupPuts(table: string, personId: string, matching: MatchingKeys, now: string): TransactItem[] {
  return matching.lookups.map((l) => ({
    Put: { TableName: table, Item: { ...keys.personLookup(l.kind, l.value, personId), type: 'person-lookup', personId, createdAt: now } },
  }));
}

/**
 * The items that give a person the strong keys nobody holds yet, each only if still absent: of two people created
 * at the same moment from the same keys, one transaction wins and the other, retried, finds the winner.
 */
export function strongClaimPuts(table: string, personId: string, matching: MatchingKeys, held: Set<StrongClaimKind>, now: string): TransactItem[] {
  return matching.strong
    .filter((c) => !held.has(c.kind))
    .map((c) => ({
      Put: {
        TableName: table,
        Item: { ...keys.strongPersonClaim(c.kind, c.value), type: 'person-claim', personId, createdAt: now },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    }));
}

/**
 * The transaction item that records one referral's status on its person, in the write that changes the referral's
 * status: the path status is derived from all of them (`derivePathStatus`), so no referral overwrites another.
 * `newReferral` also counts the referral (its first status, on a person already known).
 * @example personReferralStatusUpdate(table, referral.personId, referral.referralId, 'accepted', now)
 */
export function personReferralStatusUpdate(table: string, personId: string, referralId: string, status: ReferralStatus, now: string, options: { newReferral?: boolean } = {}): TransactItem {
  return {
    Update: {
      TableName: table,
      Key: keys.person(personId),
      UpdateExpression: `SET referralStatuses.#referralId = :status, updatedAt = :now${options.newReferral ? ', referralCount = referralCount + :one, lastReferralAt = :now' : ''}`,
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#referralId': referralId },
      ExpressionAttributeValues: { ':status': status, ':now': now, ...(options.newReferral ? { ':one': 1 } : {}) },
    },
  };
}

/** The people these ids name, for display. */
export async function getPeople(personIds: string[]): Promise<Map<string, PersonRecord>> {
  const people = (await batchGetAll(personIds.map((id) => keys.person(id)))) as unknown as PersonRecord[];
  return new Map(people.map((person) => [person.personId, person]));
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
  /** The contact details of the first referral; each referral keeps its own, and messages use those. */
  email: string;
  phone: string;
  postalCode: string;
  town: string;
  qpv: boolean;
  /** Each referral's status, written with it (`personReferralStatusUpdate`); the path status derives from them. */
  referralStatuses: Record<string, ReferralStatus>;
  referralCount: number;
  createdAt: string;
  /** Set when staff confirmed this person is another one ("doublon possible" confirmed): views show that one. */
  sameAsPersonId?: string;
  /** The people confirmed to be this one (their partitions hold part of this person's history). */
  alsoKnownAs?: Set<string>;
}
