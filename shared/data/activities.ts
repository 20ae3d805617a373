import { randomUUID } from 'node:crypto';
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Actor } from '../domain/actor.js';
import {
  ACTIVITY_RULES_BY_PROGRAMME,
  ACTIVITY_STATUS_LABELS,
  canMoveActivity,
  choosableServiceKinds,
  contributionRatesFromEnv,
  cooperativeFromEnv,
  inInvoicingIndex,
  isMinorFor,
  latestPriceList,
  launchProblems,
  newPriceVersionRefusal,
  personalActivityId,
  priceListInForce,
  withLineIds,
  type ActivityMember,
  type ActivityRecord,
  type ActivityStatus,
  type CommitteeRole,
  type ContributionRates,
  type LaunchFile,
  type ManualStatusTarget,
  type PersonActivityLink,
  type PriceLine,
  type PriceListVersion,
  type Problem,
  type ServiceKind,
  type StaffLaunchFile,
} from '../domain/activities.js';
import { ConflictError, NotFoundError, UnprocessableError } from '../domain/errors.js';
import { idFromIdempotencyKey, payloadHash } from '../domain/idempotency.js';
import type { Programme } from '../domain/programmes.js';
import { parisDate } from '../domain/time.js';
import { ACTIVE_ACTIVITY_SHARDS, INDEX, keys } from '../keys.js';
import type { TransactItem } from './approvals.js';
import { batchGetAll, db, queryAll, queryIndexPage, queryIndexShards, queryPrefix, recordOf, shardedIndexPage, tableName, type Page } from './client.js';
import { setAndRemove } from './update-expression.js';
import { inParallel } from './invoicing/items.js';
import { getOnboarding } from './onboarding.js';
import { getReferralRecord, type ReferralRecord } from './referrals.js';
import { listServiceKinds } from './service-kinds.js';
import { isConditionFailure, isConditionalCheckFailed } from './transactions.js';

/** An activity with what its partition holds: its members and every version of its price list (oldest first). */
export interface ActivityWithParts {
  activity: ActivityRecord;
  members: ActivityMember[];
  prices: PriceListVersion[];
}

/** The fields of a launch file, as the young person or staff send them (the rate is staff's only). */
export type LaunchFileInput = LaunchFile | StaffLaunchFile;

const STALE = 'Le dossier a été modifié entre-temps : rechargez la page et recommencez.';

const byWhom = (actor: Actor) => ({ id: actor.kind === 'system' ? 'system' : actor.id, name: actor.name ?? 'Parcours automatique' });

/** The activity item with the index entries its status calls for (the awaited-launch entry is set apart, by its own updates). */
export function activityItem(activity: ActivityRecord): Record<string, unknown> {
  return {
    ...keys.activity(activity.activityId),
    ...keys.activityStatusEntry(activity.status, activity.createdAt, activity.activityId),
    ...(inInvoicingIndex(activity) ? keys.activeActivityEntry(activity.activityId, activity.startDate) : {}),
    type: 'activity',
    ...activity,
  };
}

/** The item of one version of an activity's price list, in the activity's partition. */
export const priceItem = (activityId: string, prices: PriceListVersion) => ({ ...keys.activityPrices(activityId, prices.effectiveFrom, prices.version), type: 'activity-prices', activityId, ...prices });

/**
 * The transaction items that add a member to an activity: the member item (once) and the person's link to the
 * activity (their space lists it). Cohort placements put them in their own transaction.
 */
export function activityMemberPuts(table: string, activity: Pick<ActivityRecord, 'activityId' | 'shape' | 'name'>, member: ActivityMember): TransactItem[] {
  const link: PersonActivityLink = { activityId: activity.activityId, personId: member.personId, shape: activity.shape, name: activity.name, role: member.role };
  return [
    { Put: { TableName: table, Item: { ...keys.activityMember(activity.activityId, member.referralId), type: 'activity-member', ...member }, ConditionExpression: 'attribute_not_exists(pk)' } },
    { Put: { TableName: table, Item: { ...keys.personActivityLink(member.personId, activity.activityId), type: 'person-activity', ...link } } },
  ];
}

/** What a member is made of, from their referral. */
export type MemberReferral = Pick<ReferralRecord, 'personId' | 'referralId'> & { youngPerson: Pick<ReferralRecord['youngPerson'], 'firstName' | 'lastName' | 'birthDate'> };

/** A member as the activity records them, from their referral. */
export function memberOf(activity: Pick<ActivityRecord, 'activityId' | 'startDate'>, referral: MemberReferral, role: ActivityMember['role'], now: string, committeeRole?: CommitteeRole): ActivityMember {
  const { firstName, lastName, birthDate } = referral.youngPerson;
  return {
    activityId: activity.activityId,
    personId: referral.personId,
    referralId: referral.referralId,
    name: `${firstName} ${lastName}`,
    birthDate,
    role,
    ...(committeeRole ? { committeeRole } : {}),
    minorAtStart: isMinorFor(birthDate, activity.startDate, parisDate(new Date(now))),
    joinedAt: now,
  };
}

/** What a launch file sets on the activity (the rate only when staff gave one). */
function fileFields(file: LaunchFileInput): Pick<ActivityRecord, 'name' | 'tradeName' | 'serviceKinds' | 'description' | 'targetCustomers' | 'monthlyGoalCents' | 'startDate'> & { contributionRateBps?: number } {
  return {
    name: file.name,
    tradeName: file.tradeName,
    serviceKinds: [...file.serviceKinds],
    description: file.description,
    targetCustomers: [...file.targetCustomers],
    monthlyGoalCents: file.monthlyGoalCents,
    startDate: file.startDate,
    ...('contributionRateBps' in file && file.contributionRateBps !== undefined ? { contributionRateBps: file.contributionRateBps } : {}),
  };
}

/** A new draft activity from a launch file: the programme's default contribution unless staff set one, the cooperative's policy not yet covering it. */
export function newDraftActivity(input: {
  activityId: string;
  shape: ActivityRecord['shape'];
  programme: Programme;
  file: LaunchFileInput;
  now: string;
  rates?: ContributionRates;
  holder?: Pick<ReferralRecord, 'personId' | 'referralId'>;
  cohortId?: string;
  by: { id: string; name: string };
}): { activity: ActivityRecord; prices: PriceListVersion } {
  const { file, now } = input;
  const rates = input.rates ?? contributionRatesFromEnv();
  const coop = cooperativeFromEnv();
  const activity: ActivityRecord = {
    activityId: input.activityId,
    shape: input.shape,
    programme: input.programme,
    contributionRateBps: rates[input.programme].defaultBps,
    ...fileFields(file),
    ...(file.endDate ? { endDate: file.endDate } : {}),
    insurance: { policy: `${coop.insurance.insurer}, contrat n° ${coop.insurance.policyNumber}`, included: false },
    status: 'draft',
    ...(input.cohortId ? { cohortId: input.cohortId } : {}),
    ...(input.holder ? { holderPersonId: input.holder.personId, holderReferralId: input.holder.referralId } : {}),
    submission: 0,
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  return { activity, prices: draftPrices(activity, file.priceLines, now, input.by) };
}

/** A draft's one price version: it takes effect on the activity's start date. */
function draftPrices(activity: Pick<ActivityRecord, 'startDate'>, lines: LaunchFileInput['priceLines'], now: string, by: { id: string; name: string }): PriceListVersion {
  return { version: 1, effectiveFrom: activity.startDate, lines: withLineIds(lines), createdAt: now, createdBy: by };
}

/** The transaction items that create a draft activity and its price list (the cohort's transaction includes them). */
export function activityCreatePuts(table: string, activity: ActivityRecord, prices: PriceListVersion): TransactItem[] {
  return [
    { Put: { TableName: table, Item: activityItem(activity), ConditionExpression: 'attribute_not_exists(pk)' } },
    { Put: { TableName: table, Item: priceItem(activity.activityId, prices) } },
  ];
}

/**
 * Creates an activity as a draft. Personal: the one of a launch-ready referral (id `pa-<referralId>`, its holder
 * the young person), idempotent (a repeat returns the existing one, `created: false`); refused for a programme
 * without personal activities (CJS). Collective: a new Jeunes Majeurs one (`ca-<uuid>`, or the id given: a repeat then returns it), members joining later.
 */
export async function createActivity(
  input: ({ shape: 'personal'; referralId: string } | { shape: 'collective'; programme: Programme; cohortId?: string; activityId?: string }) & {
    file: LaunchFileInput;
    actor: Actor;
    now?: Date;
    rates?: ContributionRates;
    extraItems?: (activity: ActivityRecord) => TransactItem[];
  },
): Promise<{ activity: ActivityWithParts; created: boolean }> {
  const now = (input.now ?? new Date()).toISOString();
  const table = tableName();
  let holder: ReferralRecord | undefined;
  let activityId: string;
  let programme: Programme;
  if (input.shape === 'personal') {
    activityId = personalActivityId(input.referralId);
    const existing = await getActivity(activityId);
    if (existing) return { activity: existing, created: false };
    const [referral, onboarding] = await Promise.all([getReferralRecord(input.referralId), getOnboarding(input.referralId)]);
    if (!referral) throw new NotFoundError('Parcours introuvable.');
    if (!ACTIVITY_RULES_BY_PROGRAMME[referral.programme].personalActivity) throw new ConflictError('La CJS lance une activité collective avec sa cohorte.');
    if (onboarding?.status !== 'ready') throw new ConflictError("Le lancement d'une activité suit l'accueil : ce parcours n'est pas prêt pour le lancement.");
    holder = referral;
    programme = referral.programme;
  } else {
    if (ACTIVITY_RULES_BY_PROGRAMME[input.programme].collective === 'none') throw new ConflictError("Ce programme n'a pas d'activité collective.");
    // The route derives it from the request's Idempotency-Key: a replayed request finds the same activity.
    activityId = input.activityId ?? `ca-${randomUUID()}`;
    const existing = input.activityId ? await getActivity(activityId) : undefined;
    if (existing) return { activity: existing, created: false };
    programme = input.programme;
  }
  const { activity, prices } = newDraftActivity({
    activityId,
    shape: input.shape,
    programme,
    file: input.file,
    now,
    rates: input.rates,
    holder,
    cohortId: input.shape === 'collective' ? input.cohortId : undefined,
    by: byWhom(input.actor),
  });
  const holderMember = holder ? memberOf(activity, holder, 'holder', now) : undefined;
  try {
    await db().send(
      new TransactWriteCommand({
        TransactItems: [...activityCreatePuts(table, activity, prices), ...(holderMember ? activityMemberPuts(table, activity, holderMember) : []), ...(input.extraItems?.(activity) ?? [])],
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const raced = await getActivity(activityId);
    if (raced) return { activity: raced, created: false };
    throw error;
  }
  return { activity: { activity, members: holderMember ? [holderMember] : [], prices: [prices] }, created: true };
}

const ACTIVITY_KEY_REUSED = "Cette clé d'idempotence (Idempotency-Key) a déjà servi pour une autre activité. Rechargez le formulaire pour en créer une nouvelle.";

interface ActivityCreationKey {
  activityId: string;
  payloadHash: string;
}

async function getActivityCreationKey(keyId: string): Promise<ActivityCreationKey | undefined> {
  const { Item } = await db().send(new GetCommand({ TableName: tableName(), Key: keys.activityCreationKey(keyId), ConsistentRead: true }));
  return Item ? { activityId: Item.activityId as string, payloadHash: Item.payloadHash as string } : undefined;
}

/**
 * Staff create an activity under a request's Idempotency-Key (POST /api/staff/activities). The key, scoped to the
 * staff member, is claimed in the creation's transaction with the hash of the request's content: a retry with the
 * same content answers what the first one created (`created: false`), the same key with another content is refused
 * (409) and writes nothing. A collective activity's id derives from the key. A personal activity already made by
 * another request (the young person's own draft) is refused too: staff edit that one instead.
 */
export async function createActivityWithKey(
  input: ({ shape: 'personal'; referralId: string } | { shape: 'collective'; programme: Programme }) & {
    idempotencyKey: string;
    /** The request's content as parsed: what a retry must bring again. */
    payload: unknown;
    file: LaunchFileInput;
    actor: Actor;
    rates?: ContributionRates;
  },
): Promise<{ activity: ActivityWithParts; created: boolean }> {
  const keyId = idFromIdempotencyKey(`activity\n${byWhom(input.actor).id}`, input.idempotencyKey);
  const hash = payloadHash(input.payload);
  const replayed = async (claim: ActivityCreationKey) => {
    if (claim.payloadHash !== hash) throw new ConflictError(ACTIVITY_KEY_REUSED);
    return { activity: await mustGet(claim.activityId), created: false };
  };
  const claimed = await getActivityCreationKey(keyId);
  if (claimed) return replayed(claimed);
  const claim = (activity: ActivityRecord): TransactItem[] => [
    {
      Put: {
        TableName: tableName(),
        Item: { ...keys.activityCreationKey(keyId), type: 'activity-creation-key', activityId: activity.activityId, payloadHash: hash, createdAt: activity.createdAt },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  ];
  const { idempotencyKey: _key, payload: _payload, ...creation } = input;
  let result: Awaited<ReturnType<typeof createActivity>>;
  try {
    result = await createActivity({ ...creation, ...(creation.shape === 'collective' ? { activityId: `ca-${keyId}` } : {}), extraItems: claim });
  } catch (error) {
    // The same key at the same moment with another content: the first request's claim stands.
    if (!isConditionFailure(error)) throw error;
    const raced = await getActivityCreationKey(keyId);
    if (raced) return replayed(raced);
    throw error;
  }
  if (result.created) return result;
  // Not made by this request: a concurrent retry of the same key, or a personal activity another request made.
  const raced = await getActivityCreationKey(keyId);
  if (raced) return replayed(raced);
  throw new ConflictError('Ce jeune a déjà son activité personnelle : modifiez son dossier de lancement depuis la page de l’activité.');
}

/** An activity with its members and price versions: one consistent query of its partition. */
export async function getActivity(activityId: string): Promise<ActivityWithParts | undefined> {
  if (!activityId || activityId.length > 80) return undefined;
  const items = await queryPrefix(keys.activityPartition(activityId), '', { consistentRead: true });
  const record = items.find((i) => i.type === 'activity');
  if (!record) return undefined;
  return {
    activity: recordOf<ActivityRecord>(record),
    members: items.filter((i) => i.type === 'activity-member').map((i) => recordOf<ActivityMember>(i)),
    // Sort keys order the versions by effective date, then version: the order they take effect in.
    prices: items.filter((i) => i.type === 'activity-prices').map((i) => {
      const { activityId: _a, ...version } = recordOf<PriceListVersion & { activityId: string }>(i);
      return version;
    }),
  };
}

/**
 * Activity records by id (consistent reads), without their partitions' other items (declarations and customers grow
 * month by month there): what the invoicing's reminders and statements need. Ids not found are left out.
 */
export async function getActivityRecords(activityIds: readonly string[]): Promise<Map<string, ActivityRecord>> {
  const items = await batchGetAll([...new Set(activityIds)].map((id) => keys.activity(id)), { consistentRead: true });
  return new Map(items.map((item) => recordOf<ActivityRecord>(item)).map((activity) => [activity.activityId, activity]));
}

/** An activity's members, in the order they joined (then by referral): the order of a collective's even split. */
export async function listActivityMembers(activityId: string): Promise<ActivityMember[]> {
  const prefix = keys.activityMembersPrefix(activityId);
  const members = (await queryPrefix(prefix.pk, prefix.skPrefix, { consistentRead: true })).map((i) => recordOf<ActivityMember>(i));
  return members.sort((a, b) => a.joinedAt.localeCompare(b.joinedAt) || a.referralId.localeCompare(b.referralId));
}

/**
 * Many activities' records and members at once (the month's statements): the records and the holders of the personal
 * ones in consistent batch reads, the members of the others by `listActivityMembers`, `concurrency` queries at a
 * time. A personal activity has its holder for only member (written with it; `addMember` refuses it any other), and
 * its id names them (`pa-<referralId>`): that member's item is read by key with the records, not queried. Found
 * otherwise (no holder on the record, or not that member), its members are queried as any. Ids not found are left out.
 */
export async function getActivitiesWithMembers(activityIds: readonly string[], concurrency: number): Promise<Map<string, { activity: ActivityRecord; members: ActivityMember[] }>> {
  const ids = [...new Set(activityIds)];
  const prefix = personalActivityId('');
  const holderKeys = ids.filter((id) => id.startsWith(prefix)).map((id) => keys.activityMember(id, id.slice(prefix.length)));
  const items = await batchGetAll([...ids.map((id) => keys.activity(id)), ...holderKeys], { consistentRead: true });
  const holders = new Map(items.filter((i) => i.type === 'activity-member').map((i) => recordOf<ActivityMember>(i)).map((m) => [m.activityId, m]));
  const found = items.filter((i) => i.type === 'activity').map((i) => recordOf<ActivityRecord>(i));
  const holderOf = (activity: ActivityRecord) => {
    const holder = holders.get(activity.activityId);
    return activity.shape === 'personal' && activity.holderReferralId !== undefined && holder?.referralId === activity.holderReferralId ? holder : undefined;
  };
  const queried = found.filter((activity) => !holderOf(activity));
  const members = new Map(await inParallel(queried, concurrency, async ({ activityId }) => [activityId, await listActivityMembers(activityId)] as const));
  return new Map(found.map((activity) => [activity.activityId, { activity, members: members.get(activity.activityId) ?? [holderOf(activity)!] }]));
}

/** The activity or a 404. */
async function mustGet(activityId: string): Promise<ActivityWithParts> {
  const found = await getActivity(activityId);
  if (!found) throw new NotFoundError('Activité introuvable.');
  return found;
}

/** The update of the activity item from the version read: every change goes through it, so concurrent ones never both land. */
function versionedUpdate(table: string, activity: ActivityRecord, set: Record<string, unknown>, options: { remove?: string[]; condition?: string; values?: Record<string, unknown> } = {}): TransactItem {
  const update = setAndRemove({ version: activity.version + 1, ...set }, options.remove, 's');
  // `status` is a reserved word: a condition names it `#status`.
  return {
    Update: {
      TableName: table,
      Key: keys.activity(activity.activityId),
      UpdateExpression: update.UpdateExpression,
      ConditionExpression: `#version = :version${options.condition ? ` AND ${options.condition}` : ''}`,
      ExpressionAttributeNames: { ...update.ExpressionAttributeNames, '#version': 'version', ...(options.condition?.includes('#status') ? { '#status': 'status' } : {}) },
      ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':version': activity.version, ...options.values },
    },
  };
}

/**
 * Writes a versioned change. When its condition fails (another change landed since the read), `settled` may find
 * that the same change is already there (a concurrent repeat): its answer is returned; otherwise a 409.
 */
async function write<T>(items: TransactItem[], settled: () => Promise<T | undefined> = async () => undefined): Promise<T | undefined> {
  try {
    await db().send(new TransactWriteCommand({ TransactItems: items }));
    return undefined;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const same = await settled();
    if (same !== undefined) return same;
    throw new ConflictError(STALE);
  }
}

/**
 * Edits a draft's launch file and replaces its one price version (which takes effect on the start date). Refused
 * (409) unless draft, or when `expectedVersion` (the version the editor read) is no longer the activity's.
 */
export async function updateLaunchFile(input: { activityId: string; file: LaunchFileInput; actor: Actor; expectedVersion?: number; now?: Date }): Promise<ActivityWithParts> {
  const { activity, members, prices } = await mustGet(input.activityId);
  if (activity.status !== 'draft') throw new ConflictError(`Le dossier ne se modifie qu'en brouillon : cette activité est « ${ACTIVITY_STATUS_LABELS[activity.status].toLowerCase()} ».`);
  if (input.expectedVersion !== undefined && input.expectedVersion !== activity.version) throw new ConflictError(STALE);
  const now = (input.now ?? new Date()).toISOString();
  const { file } = input;
  const table = tableName();
  const changed: Partial<ActivityRecord> = { ...fileFields(file), updatedAt: now };
  const next: ActivityRecord = { ...activity, ...changed, version: activity.version + 1 };
  if (file.endDate) next.endDate = file.endDate;
  else delete next.endDate;
  const version = draftPrices(next, file.priceLines, now, byWhom(input.actor));
  await write(
    [
      versionedUpdate(table, activity, { ...changed, ...(file.endDate ? { endDate: file.endDate } : {}) }, { remove: file.endDate ? [] : ['endDate'], condition: '#status = :draft', values: { ':draft': 'draft' } }),
      ...prices.filter((p) => p.effectiveFrom !== version.effectiveFrom || p.version !== version.version).map((p) => ({ Delete: { TableName: table, Key: keys.activityPrices(activity.activityId, p.effectiveFrom, p.version) } })),
      { Put: { TableName: table, Item: priceItem(activity.activityId, version) } },
  ]);
  return { activity: next, members, prices: [version] };
}

/**
 * Adds a member to a collective activity (not closed). The young person must have a countersigned contract (their
 * onboarding is `ready`: 422 otherwise), follow the activity's programme, and, as a minor, only join activities
 * whose services are open to minors. Idempotent: a member already there is answered as is (`added: false`).
 */
export async function addMember(input: { activityId: string; referralId: string; committeeRole?: CommitteeRole; actor: Actor; now?: Date; catalogue?: ServiceKind[] }): Promise<{ member: ActivityMember; added: boolean }> {
  const { activity, members } = await mustGet(input.activityId);
  const existing = members.find((m) => m.referralId === input.referralId);
  if (existing) return { member: existing, added: false };
  if (activity.shape !== 'collective') throw new ConflictError("Une activité personnelle n'a que son titulaire.");
  // A cohort's seats are counted on the cohort: its members join through the placement, never here.
  if (activity.cohortId) throw new ConflictError("Les membres d'une cohorte CJS s'ajoutent depuis la page de la cohorte.");
  if (activity.status === 'closed') throw new ConflictError('Cette activité est fermée.');
  const [referral, onboarding] = await Promise.all([getReferralRecord(input.referralId), getOnboarding(input.referralId)]);
  if (!referral) throw new NotFoundError('Parcours introuvable.');
  if (onboarding?.status !== 'ready') throw new UnprocessableError("Ce jeune n'a pas de contrat contresigné : il ne peut pas rejoindre l'activité (membre sans contrat contresigné).");
  if (referral.programme !== activity.programme) throw new ConflictError("Ce jeune ne suit pas le programme de cette activité.");
  const now = (input.now ?? new Date()).toISOString();
  const member = memberOf(activity, referral, 'member', now, input.committeeRole);
  if (isMinorFor(member.birthDate, activity.startDate, parisDate(new Date(now)))) {
    const open = new Set(choosableServiceKinds(input.catalogue ?? (await listServiceKinds()), true).map((k) => k.code));
    if (activity.serviceKinds.some((code) => !open.has(code))) throw new UnprocessableError("Ce jeune est mineur : l'activité propose des services fermés aux mineurs.");
  }
  const table = tableName();
  try {
    await db().send(
      new TransactWriteCommand({
        TransactItems: [
          ...activityMemberPuts(table, activity, member),
          { ConditionCheck: { TableName: table, Key: keys.activity(activity.activityId), ConditionExpression: '#status <> :closed', ExpressionAttributeNames: { '#status': 'status' }, ExpressionAttributeValues: { ':closed': 'closed' } } },
        ],
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const raced = (await getActivity(input.activityId))?.members.find((m) => m.referralId === input.referralId);
    if (raced) return { member: raced, added: false };
    throw new ConflictError('Cette activité est fermée.');
  }
  return { member, added: true };
}

/**
 * Sets the prices. A draft's one version is replaced (it takes effect on the start date); an active or paused
 * activity gains a new version (the next number), effective today (Paris) at the earliest, so invoices already made
 * keep their prices. Refused while awaiting approval and once closed.
 */
export async function setPriceVersion(input: { activityId: string; effectiveFrom: string; lines: LaunchFileInput['priceLines']; actor: Actor; now?: Date }): Promise<PriceListVersion> {
  const { activity, prices } = await mustGet(input.activityId);
  const nowDate = input.now ?? new Date();
  const now = nowDate.toISOString();
  const table = tableName();
  const by = byWhom(input.actor);
  if (activity.status === 'draft') {
    const version = draftPrices(activity, input.lines, now, by);
    await write(
      [
        versionedUpdate(table, activity, { updatedAt: now }, { condition: '#status = :draft', values: { ':draft': 'draft' } }),
        ...prices.filter((p) => p.effectiveFrom !== version.effectiveFrom || p.version !== version.version).map((p) => ({ Delete: { TableName: table, Key: keys.activityPrices(activity.activityId, p.effectiveFrom, p.version) } })),
          { Put: { TableName: table, Item: priceItem(activity.activityId, version) } },
    ]);
    return version;
  }
  if (activity.status !== 'active' && activity.status !== 'paused') throw new ConflictError(`Les prix ne changent pas quand l'activité est « ${ACTIVITY_STATUS_LABELS[activity.status].toLowerCase()} ».`);
  const refusal = newPriceVersionRefusal(input.effectiveFrom, parisDate(nowDate));
  if (refusal) throw new UnprocessableError(refusal);
  const version: PriceListVersion = {
    version: Math.max(0, ...prices.map((p) => p.version)) + 1,
    effectiveFrom: input.effectiveFrom,
    lines: withLineIds(input.lines),
    createdAt: now,
    createdBy: by,
  };
  await write(
    [
      versionedUpdate(table, activity, { updatedAt: now }, { condition: '#status IN (:active, :paused)', values: { ':active': 'active', ':paused': 'paused' } }),
    { Put: { TableName: table, Item: priceItem(activity.activityId, version), ConditionExpression: 'attribute_not_exists(pk)' } },
  ]);
  return version;
}

/** Every member's launch facts: their contract is countersigned when their onboarding is `ready`. */
async function launchMembers(members: ActivityMember[]) {
  const onboardings = await Promise.all(members.map((m) => getOnboarding(m.referralId)));
  return members.map((m, i) => ({ referralId: m.referralId, name: m.name, birthDate: m.birthDate, contractCountersigned: onboardings[i]?.status === 'ready' }));
}

/** The launch checks of an activity as it stands now (submission, and again at approval). */
export async function currentLaunchProblems(found: ActivityWithParts, options: { now?: Date; catalogue?: ServiceKind[]; rates?: ContributionRates } = {}): Promise<Problem[]> {
  const [members, catalogue] = await Promise.all([launchMembers(found.members), options.catalogue ?? listServiceKinds()]);
  return launchProblems({
    activity: found.activity,
    members,
    prices: found.prices,
    catalogue,
    rates: options.rates ?? contributionRatesFromEnv(),
    today: parisDate(options.now ?? new Date()),
  });
}

export type SubmitOutcome = { submitted: true; activity: ActivityRecord; changed: boolean } | { submitted: false; problems: Problem[] };

/**
 * Submits the launch file: draft → awaiting-approval, `submission` + 1 (names the launch workflow's execution),
 * and the awaited-launch entry for the reconciler, with `extraItems` (messages, path statuses) in the same
 * conditional write. When the launch checks find problems nothing is written and they are returned. A repeat
 * while awaiting approval changes nothing (`changed: false`).
 */
export async function submitForLaunch(input: {
  activityId: string;
  actor: Actor;
  now?: Date;
  catalogue?: ServiceKind[];
  rates?: ContributionRates;
  extraItems?: (activity: ActivityRecord) => TransactItem[];
}): Promise<SubmitOutcome> {
  const found = await mustGet(input.activityId);
  const { activity } = found;
  if (activity.status === 'awaiting-approval') return { submitted: true, activity, changed: false };
  if (activity.status !== 'draft') throw new ConflictError(`Ce dossier est déjà lancé : l'activité est « ${ACTIVITY_STATUS_LABELS[activity.status].toLowerCase()} ».`);
  const nowDate = input.now ?? new Date();
  const problems = await currentLaunchProblems(found, { now: nowDate, catalogue: input.catalogue, rates: input.rates });
  if (problems.length > 0) return { submitted: false, problems };
  const now = nowDate.toISOString();
  const next: ActivityRecord = { ...activity, status: 'awaiting-approval', submission: activity.submission + 1, updatedAt: now, version: activity.version + 1 };
  const table = tableName();
  const meanwhile = await write(
    [
      versionedUpdate(
        table,
        activity,
        { status: next.status, submission: next.submission, updatedAt: now, ...keys.activityStatusEntry(next.status, activity.createdAt, activity.activityId), ...keys.awaitedLaunchEntry(now, activity.activityId) },
        { condition: '#status = :draft', values: { ':draft': 'draft' } },
      ),
      ...(input.extraItems?.(next) ?? []),
    ],
    // Another request submitted the same file at the same moment: that submission stands.
    async () => {
      const latest = (await getActivity(input.activityId))?.activity;
      return latest?.status === 'awaiting-approval' && latest.submission === next.submission ? latest : undefined;
    },
  );
  return meanwhile ? { submitted: true, activity: meanwhile, changed: false } : { submitted: true, activity: next, changed: true };
}

/** The transaction item that takes an activity off the reconciler's awaited launches (its approval opened). */
export function awaitedLaunchRemoval(table: string, activityId: string): TransactItem {
  return { Update: { TableName: table, Key: keys.activity(activityId), UpdateExpression: 'REMOVE gsi1pk, gsi1sk', ConditionExpression: 'attribute_exists(pk)' } };
}

/** Activities submitted before `before` whose approval has not opened (the reconciler's list). */
export async function listAwaitedLaunches(before: string, options: { limit?: number; cursor?: string } = {}): Promise<Page<ActivityRecord>> {
  const page = await queryIndexPage(INDEX.awaitedLaunches, keys.awaitedLaunchPartition(), { ...options, below: before });
  return { items: page.items.map((i) => recordOf<ActivityRecord>(i)), cursor: page.cursor };
}

/**
 * Moves an activity to `to` from one of `from`, from the version read, with `set` fields and `extraItems` in the same
 * write. Idempotent: an activity already in `to` is answered as is (`changed: false`).
 */
async function move(input: {
  activityId: string;
  to: ActivityStatus;
  from: readonly ActivityStatus[];
  now: string;
  set?: (activity: ActivityRecord) => Partial<ActivityRecord>;
  extraItems?: (activity: ActivityRecord) => TransactItem[];
}): Promise<{ activity: ActivityRecord; changed: boolean }> {
  const { activity } = await mustGet(input.activityId);
  if (activity.status === input.to) return { activity, changed: false };
  if (!input.from.includes(activity.status) || !canMoveActivity(activity.status, input.to)) {
    throw new ConflictError(`L'activité est « ${ACTIVITY_STATUS_LABELS[activity.status].toLowerCase()} » : elle ne peut pas passer à « ${ACTIVITY_STATUS_LABELS[input.to].toLowerCase()} ».`);
  }
  // Leaving `active` keeps the invoicing's index entry, marked with the month it left: the run of that month still
  // drafts what was declared until then, then takes the entry off (decision 32). Back to `active`, the mark goes. From
  // paused to closed the entry stays as it is: nothing could be declared during the pause.
  const leavesActive = activity.status === 'active' && input.to !== 'active';
  const extra: Partial<ActivityRecord> = { ...input.set?.(activity), ...(leavesActive ? { invoiceThrough: parisDate(new Date(input.now)).slice(0, 7) } : {}) };
  const next: ActivityRecord = { ...activity, ...extra, status: input.to, updatedAt: input.now, version: activity.version + 1 };
  if (input.to === 'active') delete next.invoiceThrough;
  const indexes = {
    ...keys.activityStatusEntry(input.to, activity.createdAt, activity.activityId),
    ...(input.to === 'active' || leavesActive ? keys.activeActivityEntry(activity.activityId, activity.startDate) : {}),
  };
  // Leaving `awaiting-approval` leaves the awaited launches.
  const remove = [...(input.to === 'active' ? ['invoiceThrough'] : []), ...(activity.status === 'awaiting-approval' ? ['gsi1pk', 'gsi1sk'] : [])];
  const meanwhile = await write(
    [
      versionedUpdate(tableName(), activity, { ...extra, status: input.to, updatedAt: input.now, ...indexes }, { remove, condition: '#status = :from', values: { ':from': activity.status } }),
      ...(input.extraItems?.(next) ?? []),
    ],
    // Another request made the same move at the same moment (a retried step).
    async () => {
      const latest = (await getActivity(input.activityId))?.activity;
      return latest?.status === input.to ? latest : undefined;
    },
  );
  return meanwhile ? { activity: meanwhile, changed: false } : { activity: next, changed: true };
}

/**
 * Launches an approved activity: active, in the active index, covered by the cooperative's insurance from now.
 * Idempotent (a retried step changes nothing); `extraItems` carry the messages and path statuses.
 */
export async function activate(input: { activityId: string; now?: Date; extraItems?: (activity: ActivityRecord) => TransactItem[] }): Promise<{ activity: ActivityRecord; changed: boolean }> {
  const now = (input.now ?? new Date()).toISOString();
  return move({
    activityId: input.activityId,
    to: 'active',
    from: ['awaiting-approval'],
    now,
    set: (activity) => ({ insurance: { ...activity.insurance, included: true, includedAt: now } }),
    extraItems: input.extraItems,
  });
}

/** Sends a launch file back to its draft with the staff's comment (kept until the next submission's approval). Idempotent. */
export async function sendBack(input: { activityId: string; comment: string; by: { id: string; name: string }; now?: Date; extraItems?: (activity: ActivityRecord) => TransactItem[] }): Promise<{ activity: ActivityRecord; changed: boolean }> {
  const now = (input.now ?? new Date()).toISOString();
  return move({ activityId: input.activityId, to: 'draft', from: ['awaiting-approval'], now, set: () => ({ sentBack: { comment: input.comment, by: input.by, at: now } }), extraItems: input.extraItems });
}

/**
 * Staff pause, resume or close a launched activity, with their reason. Leaving `active`, it stays in the invoicing's
 * index until the run of the month it left has drafted what was declared until then (`invoiceThrough`, decision 32);
 * resuming keeps it there unmarked. A pause is recorded (from today, until the resumption): no service may date from
 * within it. Idempotent for the same status.
 */
export async function changeStatus(input: { activityId: string; to: ManualStatusTarget; reason: string; actor: Actor; now?: Date; extraItems?: (activity: ActivityRecord) => TransactItem[] }): Promise<{ activity: ActivityRecord; changed: boolean }> {
  const nowDate = input.now ?? new Date();
  const today = parisDate(nowDate);
  const from: readonly ActivityStatus[] = input.to === 'paused' ? ['active'] : input.to === 'active' ? ['paused'] : ['active', 'paused'];
  const pauses = (activity: ActivityRecord): Partial<ActivityRecord> => {
    const past = activity.pauses ?? [];
    if (input.to === 'paused') return { pauses: [...past, { from: today }] };
    // Resumed: the open pause ends today (an activity paused before pauses were recorded has none to end).
    if (input.to === 'active' && past.at(-1) && past.at(-1)!.until === undefined) return { pauses: [...past.slice(0, -1), { ...past.at(-1)!, until: today }] };
    return {};
  };
  return move({ activityId: input.activityId, to: input.to, from, now: nowDate.toISOString(), set: (activity) => ({ statusReason: input.reason, ...pauses(activity) }), extraItems: input.extraItems });
}

/**
 * Takes a paused or closed activity off the invoicing's index once the run of `month` has drafted its month, when that
 * month is its last one to invoice (`invoiceThrough` as the run read it, on or before `month`). Conditional on the
 * activity still being paused or closed with that same mark: resumed meanwhile (or paused again later), it stays. Not
 * versioned: it touches only the index entry and the mark, which no staff edit sets from what it read. Idempotent:
 * `false` when there was nothing to take off.
 */
export async function leaveInvoicingIndex(input: { activityId: string; invoiceThrough: string; month: string }): Promise<boolean> {
  if (input.invoiceThrough > input.month) return false;
  try {
    await db().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.activity(input.activityId),
        UpdateExpression: 'REMOVE gsi3pk, gsi3sk, invoiceThrough',
        ConditionExpression: 'attribute_exists(gsi3pk) AND #status IN (:paused, :closed) AND invoiceThrough = :through',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':paused': 'paused', ':closed': 'closed', ':through': input.invoiceThrough },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionalCheckFailed(error)) return false;
    throw error;
  }
}

// --- Listings ---

/**
 * The shards of the active index, '00' to '15'. The index is the invoicing's: the active activities, and the paused
 * or closed ones whose last month the run has not drafted yet (`invoiceThrough`, decision 32).
 */
export const ACTIVE_SHARDS: readonly string[] = Array.from({ length: ACTIVE_ACTIVITY_SHARDS }, (_, i) => String(i).padStart(2, '0'));

/**
 * One page of the active activities (and of the paused or closed ones still to invoice), by start date. With `shard`, that shard only (the invoicing's Distributed Map
 * gives each iteration one); without, the shards one after the other, the cursor saying where it stopped.
 */
export async function listActiveActivities(options: { shard?: string; cursor?: string; limit?: number } = {}): Promise<Page<ActivityRecord>> {
  const limit = options.limit ?? 50;
  if (options.shard !== undefined) {
    if (!ACTIVE_SHARDS.includes(options.shard)) throw new NotFoundError('Partition inconnue.');
    const page = await queryIndexPage(INDEX.activeActivities, keys.activeActivitiesPartition(options.shard), { limit, cursor: options.cursor });
    return { items: page.items.map((i) => recordOf<ActivityRecord>(i)), cursor: page.cursor };
  }
  const page = await shardedIndexPage(INDEX.activeActivities, ACTIVE_SHARDS, keys.activeActivitiesPartition, { limit, cursor: options.cursor });
  return { items: page.items.map((i) => recordOf<ActivityRecord>(i)), cursor: page.cursor };
}

/**
 * Every active activity, and every paused or closed one whose last month is still to invoice (the monthly run's
 * list; `inInvoicingIndex` tells which is which): the shards queried in parallel, each paged to its end (`pageLimit` items a page, else
 * DynamoDB's 1 MB pages). Never a scan. `onPage` hears of each page read (the bench counts them).
 */
export async function allActiveActivities(options: { pageLimit?: number; onPage?: (shard: string, items: number) => void } = {}): Promise<ActivityRecord[]> {
  const perShard = await Promise.all(
    ACTIVE_SHARDS.map(async (shard) => {
      const items = await queryAll(
        { IndexName: INDEX.activeActivities, KeyConditionExpression: 'gsi3pk = :pk', ExpressionAttributeValues: { ':pk': keys.activeActivitiesPartition(shard) }, Limit: options.pageLimit },
        (count) => options.onPage?.(shard, count),
      );
      return items.map((i) => recordOf<ActivityRecord>(i));
    }),
  );
  return perShard.flat();
}

/** What the monthly run lists of each activity of the invoicing's index (`prepareRun`). */
export type InvoicingIndexEntry = Pick<ActivityRecord, 'activityId' | 'status' | 'invoiceThrough'>;

/**
 * `allActiveActivities` reduced to `InvoicingIndexEntry`: the same queries, a small part of the bytes (an activity
 * item carries its launch file) for DynamoDB to send and the run's step to parse.
 */
export async function invoicingIndexEntries(): Promise<InvoicingIndexEntry[]> {
  const partitions = ACTIVE_SHARDS.map((shard) => keys.activeActivitiesPartition(shard));
  return (await queryIndexShards(INDEX.activeActivities, partitions, ['activityId', 'status', 'invoiceThrough'])) as unknown as InvoicingIndexEntry[];
}

/** A person's activities (personal and collective), as their space lists them. */
export async function listActivitiesOfPerson(personId: string): Promise<PersonActivityLink[]> {
  const prefix = keys.personActivitiesPrefix(personId);
  const items = await queryPrefix(prefix.pk, prefix.skPrefix, { consistentRead: true });
  return items.map((i) => recordOf<PersonActivityLink>(i));
}

/** Activities of one status, newest first, one page at a time (the staff's list). */
export async function listActivities(options: { status: ActivityStatus; cursor?: string; cursorField?: string; limit?: number }): Promise<Page<ActivityRecord>> {
  const page = await queryIndexPage(INDEX.activitiesByStatus, keys.activityStatusPartition(options.status), { limit: options.limit, cursor: options.cursor, cursorField: options.cursorField, newestFirst: true });
  return { items: page.items.map((i) => recordOf<ActivityRecord>(i)), cursor: page.cursor };
}

/** The prices in force today of an activity (the flyer, the young person's space). */
export function pricesInForceToday(prices: readonly PriceListVersion[], now: Date = new Date()): PriceLine[] {
  // Before its start, an activity shows the prices it will start with.
  return (priceListInForce(prices, parisDate(now)) ?? latestPriceList(prices))?.lines ?? [];
}
