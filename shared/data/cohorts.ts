import { createHash } from 'node:crypto';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Staff } from '../domain/actor.js';
import {
  ACTIVITY_STATUS_LABELS,
  COHORT_CAPACITY,
  COMMITTEE_ROLE_LABELS,
  type ActivityRecord,
  type CohortCreate,
  type CohortMember,
  type CohortRecord,
  type CommitteeRole,
} from '../domain/activities.js';
import { cohortPlacedDrafts } from '../domain/cohorts.js';
import { ConflictError, NotFoundError, UnprocessableError } from '../domain/errors.js';
import { idFromIdempotencyKey } from '../domain/idempotency.js';
import { INDEX, keys } from '../keys.js';
import { activityCreatePuts, activityMemberPuts, getActivity, memberOf, newDraftActivity } from './activities.js';
import type { TransactItem } from './approvals.js';
import { batchGetAll, db, queryAll, queryIndexPage, recordOf, tableName, type Page } from './client.js';
import { getOnboarding, type OnboardingRecord } from './onboarding.js';
import { outboxPuts } from './outbox.js';
import { timelinePut } from './people.js';
import { getReferralRecord, type ReferralRecord } from './referrals.js';
import { changeCapacity, freeSeat, takeSeat } from './seats.js';
import { isConditionFailure, isRetryableConflict, pause } from './transactions.js';

/** A cohort as stored: who created it, and the hash of the request that did (a replayed Idempotency-Key must send the same). */
export interface StoredCohort extends CohortRecord {
  createdBy: { id: string; name: string };
  payloadHash: string;
}

export interface CohortWithMembers {
  cohort: StoredCohort;
  /** By name. */
  members: CohortMember[];
}

const MAX_ATTEMPTS = 12;

/** Placements at once all write the cohort item: under load, one may be tried several times. */
const FULL = (capacity: number) => `La cohorte est complète (${capacity} places).`;

/** The collective activity of a cohort: one per cohort, named after it. */
export const cohortActivityId = (cohortId: string) => `ca-${cohortId}`;

const payloadHash = (input: CohortCreate) => createHash('sha256').update(JSON.stringify(input)).digest('hex');

/**
 * Staff create a CJS cohort and, in the same transaction, its collective activity (a draft named after the cohort,
 * from its start to its end date; the cohort fills in its services and prices with the team). The cohort's id
 * comes from the staff member's Idempotency-Key: a replayed request finds the same cohort (`created: false`); the
 * same key with another content is refused.
 */
export async function createCohort(input: { input: CohortCreate; staff: Staff; idempotencyKey: string; now?: Date }): Promise<{ cohort: StoredCohort; created: boolean }> {
  const cohortId = idFromIdempotencyKey(`cohort:${input.staff.id}`, input.idempotencyKey);
  const hash = payloadHash(input.input);
  const replayed = (cohort: StoredCohort) => {
    if (cohort.payloadHash !== hash) throw new ConflictError("Cette clé d'idempotence (Idempotency-Key) a déjà servi pour une autre cohorte. Rechargez le formulaire pour en créer une nouvelle.");
    return { cohort, created: false };
  };
  const existing = await getCohortRecord(cohortId);
  if (existing) return replayed(existing);

  const now = (input.now ?? new Date()).toISOString();
  const table = tableName();
  const by = { id: input.staff.id, name: input.staff.name };
  const { name, startDate, endDate, towns } = input.input;
  const cohort: StoredCohort = {
    cohortId,
    name,
    year: Number(startDate.slice(0, 4)),
    startDate,
    endDate,
    towns: [...towns],
    capacity: input.input.capacity ?? COHORT_CAPACITY.default,
    seatsTaken: 0,
    activityId: cohortActivityId(cohortId),
    createdAt: now,
    createdBy: by,
    payloadHash: hash,
  };
  const { activity, prices } = newDraftActivity({
    activityId: cohort.activityId,
    shape: 'collective',
    programme: 'cjs',
    cohortId,
    file: {
      name,
      tradeName: name,
      serviceKinds: [],
      description: `Entreprise collective de la cohorte « ${name} » (Coopérative Jeunesse de Services).`,
      targetCustomers: ['particuliers'],
      monthlyGoalCents: 0,
      startDate,
      endDate,
      priceLines: [],
    },
    now,
    by,
  });
  try {
    await db().send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: table, Item: { ...keys.cohort(cohortId), ...keys.cohortEntry(startDate, cohortId), type: 'cohort', ...cohort }, ConditionExpression: 'attribute_not_exists(pk)' } },
          ...activityCreatePuts(table, activity, prices),
        ],
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    // The same request at the same moment (a double click): the first one's cohort stands.
    const raced = await getCohortRecord(cohortId);
    if (raced) return replayed(raced);
    throw error;
  }
  return { cohort, created: true };
}

async function getCohortRecord(cohortId: string): Promise<StoredCohort | undefined> {
  const result = await db().send(new GetCommand({ TableName: tableName(), Key: keys.cohort(cohortId), ConsistentRead: true }));
  return result.Item ? recordOf<StoredCohort>(result.Item) : undefined;
}

/** A cohort and the young people placed in it: one consistent query of its partition. */
export async function getCohort(cohortId: string): Promise<CohortWithMembers | undefined> {
  const items = await queryAll({ KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.cohortPartition(cohortId) }, ConsistentRead: true });
  const cohort = items.find((i) => i.type === 'cohort');
  if (!cohort) return undefined;
  const members = items.filter((i) => i.type === 'cohort-member').map((i) => recordOf<CohortMember>(i));
  members.sort((a, b) => a.name.localeCompare(b.name, 'fr'));
  return { cohort: recordOf<StoredCohort>(cohort), members };
}

/** Cohorts by start date, the latest first, one page at a time. */
export async function listCohorts(options: { cursor?: string; limit?: number } = {}): Promise<Page<StoredCohort>> {
  const page = await queryIndexPage(INDEX.cohorts, keys.cohortsPartition(), { ...options, newestFirst: true });
  return { items: page.items.map((i) => recordOf<StoredCohort>(i)), cursor: page.cursor };
}

/** A launch-ready CJS young person not placed in a cohort yet, as the cohort page offers them. */
export interface CohortCandidate {
  referralId: string;
  personId: string;
  name: string;
  town: string;
  birthDate: string;
  readyAt: string;
}

/**
 * The launch-ready CJS young people not placed in any cohort, ready the longest first: one query of the candidates'
 * index (their onboarding records, placed there at readiness, taken off at placement), then their names in one batch.
 */
export async function listCohortCandidates(options: { limit?: number } = {}): Promise<{ items: CohortCandidate[]; more: boolean }> {
  const page = await queryIndexPage(INDEX.cohortCandidates, keys.cohortCandidatesPartition(), { limit: options.limit ?? 100 });
  const onboardings = page.items as unknown as OnboardingRecord[];
  const referrals = new Map(
    (await batchGetAll(onboardings.map((o) => keys.referral(o.referralId)))).map((item) => [String(item.referralId), item as unknown as ReferralRecord]),
  );
  const items = onboardings.flatMap((o) => {
    const referral = referrals.get(o.referralId);
    if (!referral) return [];
    const { firstName, lastName, town, birthDate } = referral.youngPerson;
    return [{ referralId: o.referralId, personId: o.personId, name: `${firstName} ${lastName}`, town, birthDate, readyAt: o.readyAt ?? o.updatedAt }];
  });
  return { items, more: page.cursor !== undefined };
}

/** The cohorts a person is placed in (at most one). */
async function cohortsOfPerson(personId: string): Promise<Array<{ cohortId: string; name: string }>> {
  const prefix = keys.personCohortsPrefix(personId);
  const items = await queryAll({ KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)', ExpressionAttributeValues: { ':pk': prefix.pk, ':sk': prefix.skPrefix }, ConsistentRead: true });
  return items.map((i) => ({ cohortId: String(i.cohortId), name: String(i.name) }));
}

export interface PlacementResult {
  cohort: StoredCohort;
  member: CohortMember;
  /** False when the person was already in this cohort (a repeated request): nothing was written. */
  changed: boolean;
  /** The outbox cause of the placement's messages, to send at once. */
  cause?: string;
}

const draftOnly = (activity: ActivityRecord) =>
  new ConflictError(`L'activité collective de la cohorte est « ${ACTIVITY_STATUS_LABELS[activity.status].toLowerCase()} » : ses membres ne changent qu'en brouillon.`);

/** The condition of every change to a cohort's members: its collective activity is still a draft (`draftOnly` otherwise). */
const activityStillDraft = (table: string, activityId: string): TransactItem => ({
  ConditionCheck: {
    TableName: table,
    Key: keys.activity(activityId),
    ConditionExpression: '#status = :draft',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':draft': 'draft' },
  },
});

/**
 * Places a launch-ready CJS young person in a cohort, in one transaction: a seat taken on the cohort only while
 * below its capacity, the cohort member (once), the member of the cohort's collective activity and the person's
 * links to both, the placement on their onboarding (one cohort per path), the timeline, and the `cohort-placed`
 * messages in the outbox. So the cohort is never over capacity, whatever the number of placements at once: a
 * conflict is tried again, a full cohort refused (409). Placing the same person again changes nothing.
 */
export async function placeInCohort(input: { cohortId: string; referralId: string; staff: Staff; now?: Date }): Promise<PlacementResult> {
  const { cohortId, referralId, staff } = input;
  const table = tableName();
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const now = input.now ?? new Date();
    const iso = now.toISOString();
    const [found, referral, onboarding] = await Promise.all([getCohort(cohortId), getReferralRecord(referralId), getOnboarding(referralId)]);
    if (!found) throw new NotFoundError('Cohorte introuvable.');
    const { cohort } = found;
    const placed = found.members.find((m) => m.referralId === referralId);
    if (placed) return { cohort, member: placed, changed: false };
    if (!referral) throw new NotFoundError('Parcours introuvable.');
    if (referral.programme !== 'cjs') throw new UnprocessableError('Seul un parcours de la Coopérative Jeunesse de Services se place dans une cohorte.');
    if (onboarding?.status !== 'ready') throw new UnprocessableError("Ce parcours n'est pas prêt pour le lancement : l'accueil doit être terminé et le contrat contresigné.");
    const elsewhere = (await cohortsOfPerson(referral.personId)).find((c) => c.cohortId !== cohortId);
    if (elsewhere) throw new ConflictError(`Cette personne est déjà dans la cohorte « ${elsewhere.name} ».`);
    if (cohort.seatsTaken >= cohort.capacity) throw new ConflictError(FULL(cohort.capacity));
    const activity = (await getActivity(cohort.activityId))?.activity;
    if (!activity) throw new NotFoundError('Activité collective de la cohorte introuvable.');
    if (activity.status !== 'draft') throw draftOnly(activity);

    const activityMember = memberOf(activity, referral, 'member', iso);
    const member: CohortMember = { cohortId, referralId, personId: referral.personId, name: activityMember.name, placedAt: iso };
    const cause = `cohort-placed#${cohortId}#${referralId}#${now.getTime()}`;
    const items: TransactItem[] = [
      takeSeat(table, { key: keys.cohort(cohortId) }),
      { Put: { TableName: table, Item: { ...keys.cohortMember(cohortId, referralId), type: 'cohort-member', ...member }, ConditionExpression: 'attribute_not_exists(pk)' } },
      ...activityMemberPuts(table, activity, activityMember),
      activityStillDraft(table, activity.activityId),
      // One cohort per path, checked in the write: two placements in two cohorts at once cannot both land.
      {
        Update: {
          TableName: table,
          Key: keys.onboarding(referralId),
          UpdateExpression: 'SET cohortId = :cohortId REMOVE gsi1pk, gsi1sk',
          ConditionExpression: '#status = :ready AND programme = :cjs AND attribute_not_exists(cohortId)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':cohortId': cohortId, ':ready': 'ready', ':cjs': 'cjs' },
        },
      },
      { Put: { TableName: table, Item: { ...keys.personCohortLink(referral.personId, cohortId), type: 'person-cohort', cohortId, referralId, name: cohort.name } } },
      ...timelinePut(table, referral.personId, {
        at: iso,
        eventId: `cohort-placed#${cohortId}#${referralId}#${now.getTime()}`,
        type: 'cohort-placed',
        label: `Placé(e) dans la cohorte CJS « ${cohort.name} »`,
        actor: staff,
        referralId,
      }),
      ...outboxPuts(table, referral.personId, cause, cohortPlacedDrafts(referral, cohort), iso, { referralId }),
    ];
    try {
      await db().send(new TransactWriteCommand({ TransactItems: items }));
      return { cohort: { ...cohort, seatsTaken: cohort.seatsTaken + 1 }, member, changed: true, cause };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // Full meanwhile, placed by another request, the path changed: the next read says which.
      // Another placement in the same cohort at the same moment: wait a little before trying again.
      if (isRetryableConflict(error)) await pause(Math.min(attempt, 6));
    }
  }
  throw new ConflictError('Trop de demandes en même temps sur cette cohorte : réessayez dans un instant.');
}

/**
 * Gives a member of the cohort a committee role in its collective activity, or takes it away (`null`): on the
 * cohort's list and on the activity's member alike. The same role again changes nothing.
 */
export async function setCommitteeRole(input: { cohortId: string; referralId: string; committeeRole: CommitteeRole | null; staff: Staff; now?: Date }): Promise<{ member: CohortMember; changed: boolean }> {
  const { cohortId, referralId, committeeRole, staff } = input;
  const found = await getCohort(cohortId);
  if (!found) throw new NotFoundError('Cohorte introuvable.');
  const member = found.members.find((m) => m.referralId === referralId);
  if (!member) throw new NotFoundError("Cette personne n'est pas dans la cohorte.");
  if ((member.committeeRole ?? null) === committeeRole) return { member, changed: false };
  const iso = (input.now ?? new Date()).toISOString();
  const table = tableName();
  const change = (key: { pk: string; sk: string }): TransactItem => ({
    Update: {
      TableName: table,
      Key: key,
      UpdateExpression: committeeRole ? 'SET committeeRole = :role' : 'REMOVE committeeRole',
      ConditionExpression: 'attribute_exists(pk)',
      ...(committeeRole ? { ExpressionAttributeValues: { ':role': committeeRole } } : {}),
    },
  });
  try {
    await db().send(
      new TransactWriteCommand({
        TransactItems: [
          change(keys.cohortMember(cohortId, referralId)),
          change(keys.activityMember(found.cohort.activityId, referralId)),
          ...timelinePut(table, member.personId, {
            at: iso,
            eventId: `committee-role#${cohortId}#${referralId}#${iso}`,
            type: 'committee-role',
            label: committeeRole ? `Rôle dans le comité de la cohorte « ${found.cohort.name} » : ${COMMITTEE_ROLE_LABELS[committeeRole]}` : `Plus de rôle de comité dans la cohorte « ${found.cohort.name} »`,
            actor: staff,
            referralId,
          }),
        ],
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    throw new ConflictError("Cette personne n'est plus dans la cohorte : rechargez la page.");
  }
  const { committeeRole: _old, ...rest } = member;
  return { member: committeeRole ? { ...rest, committeeRole } : rest, changed: true };
}

/**
 * Takes a young person out of a cohort while its collective activity is a draft: the seat is freed, the person
 * leaves the cohort and the activity, their path may be placed again. Removing someone not in it changes nothing.
 */
export async function removeFromCohort(input: { cohortId: string; referralId: string; staff: Staff; now?: Date }): Promise<{ cohort: StoredCohort; changed: boolean }> {
  const { cohortId, referralId, staff } = input;
  const found = await getCohort(cohortId);
  if (!found) throw new NotFoundError('Cohorte introuvable.');
  const member = found.members.find((m) => m.referralId === referralId);
  if (!member) return { cohort: found.cohort, changed: false };
  const [activity, onboarding] = await Promise.all([getActivity(found.cohort.activityId).then((a) => a?.activity), getOnboarding(referralId)]);
  if (activity && activity.status !== 'draft') throw draftOnly(activity);
  const iso = (input.now ?? new Date()).toISOString();
  const table = tableName();
  const { activityId } = found.cohort;
  // Back among the candidates, where its readiness placed it.
  const candidate = keys.cohortCandidateEntry(onboarding?.readyAt ?? iso, referralId);
  try {
    await db().send(
      new TransactWriteCommand({
        TransactItems: [
          freeSeat(table, { key: keys.cohort(cohortId) }),
          { Delete: { TableName: table, Key: keys.cohortMember(cohortId, referralId), ConditionExpression: 'attribute_exists(pk)' } },
          { Delete: { TableName: table, Key: keys.activityMember(activityId, referralId) } },
          { Delete: { TableName: table, Key: keys.personActivityLink(member.personId, activityId) } },
          { Delete: { TableName: table, Key: keys.personCohortLink(member.personId, cohortId) } },
          activityStillDraft(table, activityId),
          {
            Update: {
              TableName: table,
              Key: keys.onboarding(referralId),
              UpdateExpression: 'REMOVE cohortId SET gsi1pk = :gsi1pk, gsi1sk = :gsi1sk',
              ConditionExpression: 'cohortId = :cohortId',
              ExpressionAttributeValues: { ':cohortId': cohortId, ':gsi1pk': candidate.gsi1pk, ':gsi1sk': candidate.gsi1sk },
            },
          },
          ...timelinePut(table, member.personId, {
            at: iso,
            eventId: `cohort-removed#${cohortId}#${referralId}#${iso}`,
            type: 'cohort-removed',
            label: `Retiré(e) de la cohorte CJS « ${found.cohort.name} »`,
            actor: staff,
            referralId,
          }),
        ],
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    // Removed by another request meanwhile, or the activity submitted: the next read says which.
    const latest = await getCohort(cohortId);
    if (latest && !latest.members.some((m) => m.referralId === referralId)) return { cohort: latest.cohort, changed: false };
    throw new ConflictError("La cohorte a changé entre-temps : rechargez la page et recommencez.");
  }
  return { cohort: { ...found.cohort, seatsTaken: found.cohort.seatsTaken - 1 }, changed: true };
}

/** A new capacity (at most 20, checked by the route), never below the seats already taken. */
export async function changeCohortCapacity(input: { cohortId: string; capacity: number }): Promise<StoredCohort> {
  const cohort = await getCohortRecord(input.cohortId);
  if (!cohort) throw new NotFoundError('Cohorte introuvable.');
  if (cohort.capacity === input.capacity) return cohort;
  const tooLow = (seatsTaken: number) => new ConflictError(`${seatsTaken} places sont déjà prises : la capacité ne peut pas descendre en dessous.`);
  if (input.capacity < cohort.seatsTaken) throw tooLow(cohort.seatsTaken);
  try {
    await db().send(new TransactWriteCommand({ TransactItems: [changeCapacity(tableName(), { key: keys.cohort(input.cohortId) }, input.capacity)] }));
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    // Placements landed since the read.
    throw tooLow((await getCohortRecord(input.cohortId))?.seatsTaken ?? cohort.seatsTaken);
  }
  return { ...cohort, capacity: input.capacity };
}
