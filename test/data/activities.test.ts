import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { BatchWriteCommand, GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { useFreshAppTable } from '../support/dynamodb.js';
import { adultSubmission, launchFile, minorSubmission, staffCamille } from '../support/fixtures.js';
import { cjsSubmission, launchReadyReferral } from '../support/activities.js';
import {
  ACTIVE_SHARDS,
  activate,
  addMember,
  allActiveActivities,
  changeStatus,
  createActivity,
  getActivity,
  leaveInvoicingIndex,
  listActiveActivities,
  listActivities,
  listActivitiesOfPerson,
  listAwaitedLaunches,
  sendBack,
  setPriceVersion,
  submitForLaunch,
  updateLaunchFile,
} from '../../shared/data/activities.js';
import { listServiceKinds, upsertServiceKind } from '../../shared/data/service-kinds.js';
import type { ReferralRecord } from '../../shared/data/referrals.js';
import { addMonths, type LaunchFile } from '../../shared/domain/activities.js';
import { ConflictError, UnprocessableError } from '../../shared/domain/errors.js';
import { parisDate } from '../../shared/domain/time.js';
import type { ReferralSubmission } from '../../shared/domain/referral.js';
import { activeActivityShard, keys } from '../../shared/keys.js';

let doc: DynamoDBDocumentClient;
let table: string;

beforeAll(async () => {
  ({ doc, tableName: table } = await useFreshAppTable());
});

const TODAY = parisDate();
const inDays = (days: number) => new Date(Date.parse(`${TODAY}T12:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** An accepted referral whose onboarding is over: ready for the launch (or still under way, when `ready` is false). */
const launchReady = (submission: ReferralSubmission = adultSubmission(), ready = true) => launchReadyReferral(doc, table, submission, ready);

const file = (extra: Partial<LaunchFile> = {}): LaunchFile => launchFile(inDays(10), extra);

const young = (referral: ReferralRecord) => ({ kind: 'young-person' as const, id: referral.personId, name: referral.youngPerson.firstName });

async function activityItem(activityId: string) {
  return (await doc.send(new GetCommand({ TableName: table, Key: keys.activity(activityId), ConsistentRead: true }))).Item!;
}

describe('a personal activity in draft', () => {
  it('is created once per referral, with its holder, its price list and the person\'s link', async () => {
    const referral = await launchReady();
    const first = await createActivity({ shape: 'personal', referralId: referral.referralId, file: file(), actor: young(referral) });
    expect(first.created).toBe(true);
    const { activity, members, prices } = first.activity;
    expect(activity).toMatchObject({ activityId: `pa-${referral.referralId}`, status: 'draft', programme: 'accompagnement', contributionRateBps: 1000, submission: 0, version: 1, holderPersonId: referral.personId });
    expect(activity.insurance.included).toBe(false);
    expect(members).toEqual([expect.objectContaining({ referralId: referral.referralId, role: 'holder', minorAtStart: false })]);
    expect(prices).toEqual([expect.objectContaining({ version: 1, effectiveFrom: inDays(10), lines: [expect.objectContaining({ lineId: 'L1', unitPriceCents: 1500 })] })]);

    const again = await createActivity({ shape: 'personal', referralId: referral.referralId, file: file({ name: 'Autre nom' }), actor: young(referral) });
    expect(again.created).toBe(false);
    expect(again.activity.activity.name).toBe('Les jardins de Léa');
    expect(await getActivity(activity.activityId)).toEqual(first.activity);
    expect(await listActivitiesOfPerson(referral.personId)).toEqual([{ activityId: activity.activityId, personId: referral.personId, shape: 'personal', name: 'Les jardins de Léa', role: 'holder' }]);
    expect((await listActivities({ status: 'draft' })).items.map((a) => a.activityId)).toContain(activity.activityId);
  });

  it('is refused before the onboarding is over, and to a CJS young person', async () => {
    const onboarding = await launchReady(adultSubmission(), false);
    await expect(createActivity({ shape: 'personal', referralId: onboarding.referralId, file: file(), actor: staffCamille })).rejects.toBeInstanceOf(ConflictError);
    const cjs = await launchReady(minorSubmission());
    await doc.send(new UpdateCommand({ TableName: table, Key: keys.referral(cjs.referralId), UpdateExpression: 'SET programme = :p', ExpressionAttributeValues: { ':p': 'cjs' } }));
    await expect(createActivity({ shape: 'personal', referralId: cjs.referralId, file: file(), actor: staffCamille })).rejects.toThrow('La CJS lance une activité collective avec sa cohorte.');
    expect(await getActivity(`pa-${cjs.referralId}`)).toBeUndefined();
  });

  it('is edited from the version read: the price list replaced, a stale editor refused', async () => {
    const referral = await launchReady();
    const { activity } = (await createActivity({ shape: 'personal', referralId: referral.referralId, file: file(), actor: young(referral) })).activity;
    const edited = await updateLaunchFile({
      activityId: activity.activityId,
      expectedVersion: 1,
      actor: staffCamille,
      file: { ...file({ startDate: inDays(20), endDate: inDays(200) }), priceLines: [{ label: 'Taille de haie', unit: 'forfait', unitPriceCents: 4500, serviceKind: 'jardinage', vatRateBps: null }], contributionRateBps: 1200 },
    });
    expect(edited.activity).toMatchObject({ version: 2, startDate: inDays(20), endDate: inDays(200), contributionRateBps: 1200 });
    const stored = (await getActivity(activity.activityId))!;
    expect(stored.activity).toEqual(edited.activity);
    // One version, moved to the new start date: the old one is gone.
    expect(stored.prices).toEqual([expect.objectContaining({ version: 1, effectiveFrom: inDays(20), lines: [expect.objectContaining({ label: 'Taille de haie' })] })]);

    await expect(updateLaunchFile({ activityId: activity.activityId, expectedVersion: 1, actor: staffCamille, file: file() })).rejects.toBeInstanceOf(ConflictError);
    // Two editors at once from the same read: each write is conditional on it, so the versions count the writes that landed.
    const results = await Promise.allSettled([1, 2, 3].map((n) => updateLaunchFile({ activityId: activity.activityId, actor: young(referral), file: file({ monthlyGoalCents: n * 1000 }) })));
    const landed = results.filter((r) => r.status === 'fulfilled').length;
    expect(landed).toBeGreaterThanOrEqual(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConflictError);
    expect((await getActivity(activity.activityId))!.activity.version).toBe(2 + landed);
  });
});

describe('the launch of an activity', () => {
  it('writes nothing when the launch checks find problems', async () => {
    const referral = await launchReady();
    const { activity } = (await createActivity({ shape: 'personal', referralId: referral.referralId, file: file({ priceLines: [] }), actor: young(referral) })).activity;
    const before = await activityItem(activity.activityId);
    const outcome = await submitForLaunch({ activityId: activity.activityId, actor: young(referral) });
    expect(outcome).toEqual({ submitted: false, problems: [{ field: 'priceLines', message: 'Ajoutez au moins une ligne à la grille de prix.' }] });
    expect(await activityItem(activity.activityId)).toEqual(before);
    expect((await listAwaitedLaunches(new Date(Date.now() + 60_000).toISOString())).items.map((a) => a.activityId)).not.toContain(activity.activityId);
  });

  it('submits, activates into the sharded index, stays there paused or closed until its last month is drafted', async () => {
    const referral = await launchReady();
    const { activity } = (await createActivity({ shape: 'personal', referralId: referral.referralId, file: file(), actor: young(referral) })).activity;
    const submitted = await submitForLaunch({ activityId: activity.activityId, actor: young(referral) });
    expect(submitted).toMatchObject({ submitted: true, changed: true, activity: { status: 'awaiting-approval', submission: 1, version: 2 } });
    expect((await activityItem(activity.activityId)).gsi1pk).toBe('LAUNCH#AWAITED');
    expect((await listAwaitedLaunches(new Date(Date.now() + 60_000).toISOString())).items.map((a) => a.activityId)).toContain(activity.activityId);
    expect(await submitForLaunch({ activityId: activity.activityId, actor: young(referral) })).toMatchObject({ submitted: true, changed: false, activity: { submission: 1 } });
    await expect(updateLaunchFile({ activityId: activity.activityId, actor: young(referral), file: file() })).rejects.toBeInstanceOf(ConflictError);

    const launched = await activate({ activityId: activity.activityId });
    expect(launched.changed).toBe(true);
    expect(launched.activity).toMatchObject({ status: 'active', insurance: { included: true } });
    const item = await activityItem(activity.activityId);
    expect(item).toMatchObject({ gsi3pk: `ACTIVITIES#ACTIVE#${activeActivityShard(activity.activityId)}`, gsi3sk: `${activity.startDate}#${activity.activityId}`, gsi2pk: 'ACTIVITIES#active' });
    expect(item.gsi1pk).toBeUndefined();
    expect((await activate({ activityId: activity.activityId })).changed).toBe(false);

    const shard = activeActivityShard(activity.activityId);
    expect((await listActiveActivities({ shard })).items.map((a) => a.activityId)).toContain(activity.activityId);
    expect(await allIds()).toContain(activity.activityId);
    expect(await pagedIds()).toContain(activity.activityId);

    // Paused, it stays in the invoicing's index, marked with this month: the run of this month still drafts it.
    const month = TODAY.slice(0, 7);
    const paused = await changeStatus({ activityId: activity.activityId, to: 'paused', reason: 'Congé maladie', actor: staffCamille });
    expect(paused.activity).toMatchObject({ status: 'paused', invoiceThrough: month, pauses: [{ from: TODAY }] });
    expect(await activityItem(activity.activityId)).toMatchObject({ gsi3pk: `ACTIVITIES#ACTIVE#${shard}`, invoiceThrough: month, gsi2pk: 'ACTIVITIES#paused' });
    expect(await allIds()).toContain(activity.activityId);
    expect((await changeStatus({ activityId: activity.activityId, to: 'paused', reason: 'Congé maladie', actor: staffCamille })).changed).toBe(false);
    // Resumed: still there, the mark gone, the pause ended today.
    const resumed = await changeStatus({ activityId: activity.activityId, to: 'active', reason: 'Reprise', actor: staffCamille });
    expect(resumed.activity.invoiceThrough).toBeUndefined();
    expect(resumed.activity.pauses).toEqual([{ from: TODAY, until: TODAY }]);
    expect((await activityItem(activity.activityId)).invoiceThrough).toBeUndefined();
    expect(await allIds()).toContain(activity.activityId);
    // Closed: marked again; only the run of its last month takes it off (not an earlier month's).
    await changeStatus({ activityId: activity.activityId, to: 'closed', reason: 'Fin du parcours', actor: staffCamille });
    expect(await allIds()).toContain(activity.activityId);
    const earlier = `${Number(month.slice(0, 4)) - 1}${month.slice(4)}`;
    expect(await leaveInvoicingIndex({ activityId: activity.activityId, invoiceThrough: month, month: earlier })).toBe(false);
    expect(await leaveInvoicingIndex({ activityId: activity.activityId, invoiceThrough: earlier, month })).toBe(false);
    expect(await allIds()).toContain(activity.activityId);
    expect(await leaveInvoicingIndex({ activityId: activity.activityId, invoiceThrough: month, month })).toBe(true);
    expect(await leaveInvoicingIndex({ activityId: activity.activityId, invoiceThrough: month, month })).toBe(false);
    expect(await allIds()).not.toContain(activity.activityId);
    expect(await activityItem(activity.activityId)).toMatchObject({ status: 'closed', gsi2pk: 'ACTIVITIES#closed' });
    expect((await activityItem(activity.activityId)).invoiceThrough).toBeUndefined();
    await expect(changeStatus({ activityId: activity.activityId, to: 'active', reason: 'Reprise', actor: staffCamille })).rejects.toBeInstanceOf(ConflictError);
  });

  it('sends a file back to its draft with the comment, and off the awaited launches', async () => {
    const referral = await launchReady();
    const { activity } = (await createActivity({ shape: 'personal', referralId: referral.referralId, file: file(), actor: young(referral) })).activity;
    await submitForLaunch({ activityId: activity.activityId, actor: young(referral) });
    const back = await sendBack({ activityId: activity.activityId, comment: 'Précisez vos tarifs du week-end.', by: { id: staffCamille.id, name: staffCamille.name } });
    expect(back.activity).toMatchObject({ status: 'draft', submission: 1, sentBack: { comment: 'Précisez vos tarifs du week-end.' } });
    expect((await activityItem(activity.activityId)).gsi1pk).toBeUndefined();
    expect((await sendBack({ activityId: activity.activityId, comment: 'Précisez vos tarifs du week-end.', by: staffCamille })).changed).toBe(false);
    // Edited and submitted again: the next submission number names a new launch.
    await updateLaunchFile({ activityId: activity.activityId, actor: young(referral), file: file({ monthlyGoalCents: 90_000 }) });
    expect(await submitForLaunch({ activityId: activity.activityId, actor: young(referral) })).toMatchObject({ activity: { submission: 2 } });
  });

  it('adds price versions to an active activity from today on', async () => {
    const referral = await launchReady();
    const { activity } = (await createActivity({ shape: 'personal', referralId: referral.referralId, file: file({ startDate: TODAY }), actor: young(referral) })).activity;
    await submitForLaunch({ activityId: activity.activityId, actor: young(referral) });
    await activate({ activityId: activity.activityId });
    const lines = [{ label: 'Tonte', unit: 'heure' as const, unitPriceCents: 1700, serviceKind: 'jardinage', vatRateBps: null }];
    await expect(setPriceVersion({ activityId: activity.activityId, effectiveFrom: inDays(-1), lines, actor: staffCamille })).rejects.toBeInstanceOf(UnprocessableError);
    const added = await setPriceVersion({ activityId: activity.activityId, effectiveFrom: TODAY, lines, actor: staffCamille });
    expect(added.version).toBe(2);
    const { prices } = (await getActivity(activity.activityId))!;
    expect(prices.map((p) => [p.effectiveFrom, p.version])).toEqual([
      [TODAY, 1],
      [TODAY, 2],
    ]);
  });
});

describe('members of a collective activity', () => {
  it('joins only with a countersigned contract, once, and a minor only where every service is open to minors', async () => {
    const jm = await createActivity({
      shape: 'collective',
      programme: 'jeunes-majeurs',
      file: file({ name: 'Déménageurs solidaires', serviceKinds: ['demenagement'], endDate: addMonths(inDays(10), 8), priceLines: [] }),
      actor: staffCamille,
    });
    const { activityId } = jm.activity.activity;
    expect(activityId).toMatch(/^ca-[0-9a-f-]{36}$/);
    expect(jm.activity.activity.contributionRateBps).toBe(800);

    const withoutContract = await launchReady(adultSubmission({}, 'jeunes-majeurs'), false);
    await expect(addMember({ activityId, referralId: withoutContract.referralId, actor: staffCamille })).rejects.toThrow('sans contrat contresigné');

    const member = await launchReady(adultSubmission({}, 'jeunes-majeurs'));
    const added = await addMember({ activityId, referralId: member.referralId, committeeRole: 'finance', actor: staffCamille });
    expect(added).toMatchObject({ added: true, member: { role: 'member', committeeRole: 'finance' } });
    expect((await addMember({ activityId, referralId: member.referralId, actor: staffCamille })).added).toBe(false);
    expect(await listActivitiesOfPerson(member.personId)).toEqual([expect.objectContaining({ activityId, shape: 'collective', role: 'member' })]);

    const minor = await launchReady({ ...minorSubmission(), programme: 'jeunes-majeurs' });
    await expect(addMember({ activityId, referralId: minor.referralId, actor: staffCamille })).rejects.toThrow('fermés aux mineurs');
    expect((await getActivity(activityId))!.members.map((m) => m.referralId)).toEqual([member.referralId]);
  });

  it('lets a Jeunes Majeurs member hold a personal activity and join a collective one, each listed in their space', async () => {
    const member = await launchReady(adultSubmission({}, 'jeunes-majeurs'));
    const personal = await createActivity({ shape: 'personal', referralId: member.referralId, file: file({ name: 'Vélos de Yanis' }), actor: staffCamille });
    const collective = await createActivity({ shape: 'collective', programme: 'jeunes-majeurs', file: file({ name: 'Jardins partagés', endDate: addMonths(inDays(10), 6) }), actor: staffCamille });
    const joined = await addMember({ activityId: collective.activity.activity.activityId, referralId: member.referralId, actor: staffCamille });
    expect(joined).toMatchObject({ added: true, member: { role: 'member', personId: member.personId } });

    const links = await listActivitiesOfPerson(member.personId);
    expect(links.map((l) => [l.activityId, l.shape, l.role]).sort()).toEqual(
      [
        [personal.activity.activity.activityId, 'personal', 'holder'],
        [collective.activity.activity.activityId, 'collective', 'member'],
      ].sort(),
    );
    // Each activity keeps its own member list: the personal one its holder only.
    expect((await getActivity(personal.activity.activity.activityId))!.members.map((m) => [m.referralId, m.role])).toEqual([[member.referralId, 'holder']]);
    expect((await getActivity(collective.activity.activity.activityId))!.members.map((m) => [m.referralId, m.role])).toEqual([[member.referralId, 'member']]);
  });

  it('leaves the members of a CJS cohort to the cohort (its seats are counted there)', async () => {
    const cohortActivity = await createActivity({ shape: 'collective', programme: 'cjs', cohortId: randomUUID(), file: file({ endDate: inDays(60) }), actor: staffCamille });
    const young = await launchReady(cjsSubmission());
    await expect(addMember({ activityId: cohortActivity.activity.activity.activityId, referralId: young.referralId, actor: staffCamille })).rejects.toThrow('depuis la page de la cohorte');
    expect((await getActivity(cohortActivity.activity.activity.activityId))!.members).toEqual([]);
  });
});

describe('the service catalogue', () => {
  it('reads the seed until staff edit a kind', async () => {
    const seeded = await listServiceKinds();
    expect(seeded.find((k) => k.code === 'elagage')).toMatchObject({ openToMinors: false, active: true });
    await upsertServiceKind('elagage', { label: 'Élagage', defaultVatRateBps: 2000, insuranceNotes: 'Avec un professionnel.', openToMinors: false, minorsClosedReason: 'Travail en hauteur.', active: false }, staffCamille);
    await upsertServiceKind('couture', { label: 'Retouches de couture', defaultVatRateBps: null, insuranceNotes: 'RC de la coopérative.', openToMinors: true }, staffCamille);
    const edited = await listServiceKinds();
    expect(edited).toHaveLength(seeded.length + 1);
    expect(edited.find((k) => k.code === 'elagage')).toMatchObject({ label: 'Élagage', active: false, minorsClosedReason: 'Travail en hauteur.' });
    expect(edited.find((k) => k.code === 'couture')).toMatchObject({ openToMinors: true, defaultVatRateBps: null, active: true });
  });
});

describe('listing the active activities', () => {
  it('pages through every shard, more than one page each, never a scan', async () => {
    const run = randomUUID().slice(0, 8);
    const seeded = Array.from({ length: 96 }, (_, i) => `seed-${run}-${i}`);
    const items = seeded.map((activityId) => ({
      ...keys.activity(activityId),
      ...keys.activeActivityEntry(activityId, '2026-07-01'),
      type: 'activity',
      activityId,
      status: 'active',
      name: `Activité ${run}`,
    }));
    for (let i = 0; i < items.length; i += 25) {
      await doc.send(new BatchWriteCommand({ RequestItems: { [table]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }));
    }
    const pages = new Map<string, number>();
    const all = await allActiveActivities({ pageLimit: 2, onPage: (shard) => pages.set(shard, (pages.get(shard) ?? 0) + 1) });
    const mine = all.filter((a) => a.activityId.startsWith(`seed-${run}-`));
    expect(mine.map((a) => a.activityId).sort()).toEqual([...seeded].sort());
    expect([...pages.keys()].sort()).toEqual([...ACTIVE_SHARDS]);
    const perShard = new Map<string, number>();
    for (const a of all) perShard.set(activeActivityShard(a.activityId), (perShard.get(activeActivityShard(a.activityId)) ?? 0) + 1);
    for (const [shard, count] of perShard) expect(pages.get(shard)).toBeGreaterThanOrEqual(Math.ceil(count / 2));
    expect([...pages.values()].filter((n) => n > 1).length).toBeGreaterThan(8);

    // Page by page across the shards: the same activities, each once.
    expect((await pagedIds(7)).filter((id) => id.startsWith(`seed-${run}-`)).sort()).toEqual([...seeded].sort());
  });
});

async function allIds(): Promise<string[]> {
  return (await allActiveActivities()).map((a) => a.activityId);
}

async function pagedIds(limit = 50): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await listActiveActivities({ cursor, limit });
    ids.push(...page.items.map((a) => a.activityId));
    cursor = page.cursor;
  } while (cursor);
  return ids;
}
