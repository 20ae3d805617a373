import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tableSnapshot, useFreshAppTable } from '../support/dynamodb.js';
import { errorOf } from '../support/refusals.js';
import { adultSubmission, minorSubmission, staffCamille } from '../support/fixtures.js';
import { cjsSubmission, launchReadyReferral } from '../support/activities.js';
import type { ReferralRecord } from '../../shared/data/referrals.js';
import { getOnboarding } from '../../shared/data/onboarding.js';
import { getActivity, listActivitiesOfPerson } from '../../shared/data/activities.js';
import { changeCohortCapacity, createCohort, getCohort, listCohorts, placeInCohort, removeFromCohort, setCommitteeRole } from '../../shared/data/cohorts.js';
import type { CohortCreate } from '../../shared/domain/activities.js';
import type { ReferralSubmission } from '../../shared/domain/referral.js';
import { keys } from '../../shared/keys.js';

let doc: DynamoDBDocumentClient;
let table: string;

beforeAll(async () => {
  ({ doc, tableName: table } = await useFreshAppTable({ SMS_WINDOW: 'off' }));
});

const path = (options: { submission?: ReferralSubmission; ready?: boolean } = {}) => launchReadyReferral(doc, table, options.submission ?? cjsSubmission(), options.ready);

const nextSummer = new Date().getUTCFullYear() + 1;
const cohortInput = (overrides: Partial<CohortCreate> = {}): CohortCreate => ({
  name: `CJS Lens ${nextSummer} ${randomUUID().slice(0, 4)}`,
  startDate: `${nextSummer}-07-06`,
  endDate: `${nextSummer}-08-28`,
  towns: ['Lens', 'Liévin'],
  ...overrides,
});
const newCohort = async (overrides: Partial<CohortCreate> = {}) => (await createCohort({ input: cohortInput(overrides), staff: staffCamille, idempotencyKey: randomUUID() })).cohort;
const place = (cohortId: string, referralId: string) => placeInCohort({ cohortId, referralId, staff: staffCamille });

const snapshot = () => tableSnapshot(doc, table);

async function messagesOf(personId: string) {
  const r = await doc.send(
    new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)', ExpressionAttributeValues: { ':pk': keys.person(personId).pk, ':sk': 'NOTIFICATION#' }, ConsistentRead: true }),
  );
  return (r.Items ?? []) as Array<Record<string, string>>;
}

describe('a cohort', () => {
  it('is created with its collective CJS activity, 15 seats by default; a replayed key finds it, another content is refused', async () => {
    const key = randomUUID();
    const input = cohortInput();
    const { cohort, created } = await createCohort({ input, staff: staffCamille, idempotencyKey: key });
    expect(created).toBe(true);
    expect(cohort).toMatchObject({ capacity: 15, seatsTaken: 0, year: nextSummer, towns: ['Lens', 'Liévin'], activityId: `ca-${cohort.cohortId}` });
    const activity = await getActivity(cohort.activityId);
    expect(activity?.activity).toMatchObject({ shape: 'collective', programme: 'cjs', status: 'draft', cohortId: cohort.cohortId, name: input.name, startDate: input.startDate, endDate: input.endDate });
    expect(activity?.members).toEqual([]);

    const again = await createCohort({ input, staff: staffCamille, idempotencyKey: key });
    expect(again).toMatchObject({ created: false, cohort: { cohortId: cohort.cohortId } });
    expect((await errorOf(createCohort({ input: { ...input, capacity: 12 }, staff: staffCamille, idempotencyKey: key }))).statusCode).toBe(409);

    const listed = await listCohorts({ limit: 100 });
    expect(listed.items.filter((c) => c.cohortId === cohort.cohortId)).toHaveLength(1);
  });
});

describe('placements never go over capacity', () => {
  it('20 concurrent placements into a cohort of 15: exactly 15 placed, 5 clear refusals, 15 members on the activity', async () => {
    const cohort = await newCohort();
    const referrals: ReferralRecord[] = [];
    for (let batch = 0; batch < 4; batch++) referrals.push(...(await Promise.all(Array.from({ length: 5 }, () => path()))));
    const outcomes = await Promise.allSettled(referrals.map((r) => place(cohort.cohortId, r.referralId)));

    const placed = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as Error & { statusCode?: number }] : []));
    expect(placed).toHaveLength(15);
    expect(refused).toHaveLength(5);
    for (const error of refused) expect({ status: error.statusCode, message: error.message }).toEqual({ status: 409, message: 'La cohorte est complète (15 places).' });

    const found = await getCohort(cohort.cohortId);
    expect(found?.cohort.seatsTaken).toBe(15);
    expect(found?.members).toHaveLength(15);
    const activity = await getActivity(cohort.activityId);
    expect(activity?.members).toHaveLength(15);
    expect(new Set(activity?.members.map((m) => m.referralId))).toEqual(new Set(found?.members.map((m) => m.referralId)));
    expect(activity?.members.every((m) => m.role === 'member' && m.minorAtStart)).toBe(true);
    // Each placed person sees the collective activity in their space; the refused ones have nothing.
    const placedIds = new Set(found?.members.map((m) => m.referralId));
    for (const referral of referrals) {
      const links = await listActivitiesOfPerson(referral.personId);
      expect(links.map((l) => l.activityId)).toEqual(placedIds.has(referral.referralId) ? [cohort.activityId] : []);
    }
  }, 120_000);

  it('a repeated placement of the same person changes nothing', async () => {
    const cohort = await newCohort({ capacity: 3 });
    const referral = await path({ submission: { ...minorSubmission({}), programme: 'cjs' } });
    const first = await place(cohort.cohortId, referral.referralId);
    expect(first.changed).toBe(true);
    const messages = await messagesOf(referral.personId);
    expect(messages.map((m) => `${m.kind} ${m.role} ${m.channel}`).filter((m) => m.startsWith('cohort-placed')).sort()).toEqual([
      'cohort-placed guardian email',
      'cohort-placed young email',
      'cohort-placed young sms',
    ]);
    const before = await snapshot();
    const [again, atOnce] = await Promise.all([place(cohort.cohortId, referral.referralId), place(cohort.cohortId, referral.referralId)]);
    expect([again.changed, atOnce.changed]).toEqual([false, false]);
    expect(await snapshot()).toEqual(before);
    expect((await getCohort(cohort.cohortId))?.cohort.seatsTaken).toBe(1);
  });

  it('refuses a path not ready for the launch, or not CJS, with a 422, and writes nothing', async () => {
    const cohort = await newCohort();
    const notReady = await path({ ready: false });
    const otherProgramme = await path({ submission: adultSubmission() });
    const before = await snapshot();
    const early = await errorOf(place(cohort.cohortId, notReady.referralId));
    expect({ status: early.statusCode, message: early.message }).toEqual({ status: 422, message: "Ce parcours n'est pas prêt pour le lancement : l'accueil doit être terminé et le contrat contresigné." });
    const wrong = await errorOf(place(cohort.cohortId, otherProgramme.referralId));
    expect({ status: wrong.statusCode, message: wrong.message }).toEqual({ status: 422, message: 'Seul un parcours de la Coopérative Jeunesse de Services se place dans une cohorte.' });
    expect((await errorOf(place(cohort.cohortId, randomUUID()))).statusCode).toBe(404);
    expect((await errorOf(place(randomUUID(), notReady.referralId))).statusCode).toBe(404);
    expect(await snapshot()).toEqual(before);
  });

  it('keeps a person in one cohort: another cohort refuses them, even when both are asked at once', async () => {
    const [a, b] = await Promise.all([newCohort(), newCohort()]);
    const referral = await path();
    const outcomes = await Promise.allSettled([place(a.cohortId, referral.referralId), place(b.cohortId, referral.referralId)]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const refusal = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect((refusal.reason as { statusCode: number }).statusCode).toBe(409);
    const seats = await Promise.all([getCohort(a.cohortId), getCohort(b.cohortId)]);
    expect(seats.map((c) => c?.cohort.seatsTaken).sort()).toEqual([0, 1]);
    const winner = seats.find((c) => c?.cohort.seatsTaken === 1)!.cohort;
    expect((await getOnboarding(referral.referralId)) as unknown).toMatchObject({ cohortId: winner.cohortId });
    expect((await errorOf(place(winner.cohortId === a.cohortId ? b.cohortId : a.cohortId, referral.referralId))).message).toBe(`Cette personne est déjà dans la cohorte « ${winner.name} ».`);
  });
});

describe('capacity, committee roles and removal', () => {
  it('refuses a capacity below the seats taken, accepts one above', async () => {
    const cohort = await newCohort({ capacity: 2 });
    const [x, y] = await Promise.all([path(), path()]);
    await place(cohort.cohortId, x.referralId);
    await place(cohort.cohortId, y.referralId);
    const full = await errorOf(place(cohort.cohortId, (await path()).referralId));
    expect({ status: full.statusCode, message: full.message }).toEqual({ status: 409, message: 'La cohorte est complète (2 places).' });
    const tooLow = await errorOf(changeCohortCapacity({ cohortId: cohort.cohortId, capacity: 1 }));
    expect({ status: tooLow.statusCode, message: tooLow.message }).toEqual({ status: 409, message: '2 places sont déjà prises : la capacité ne peut pas descendre en dessous.' });
    expect((await getCohort(cohort.cohortId))?.cohort.capacity).toBe(2);
    expect(await changeCohortCapacity({ cohortId: cohort.cohortId, capacity: 4 })).toMatchObject({ capacity: 4, seatsTaken: 2 });
    expect((await place(cohort.cohortId, (await path()).referralId)).changed).toBe(true);
  });

  it('gives a committee role on the cohort and its activity alike, and takes it away', async () => {
    const cohort = await newCohort();
    const referral = await path();
    await place(cohort.cohortId, referral.referralId);
    expect((await setCommitteeRole({ cohortId: cohort.cohortId, referralId: referral.referralId, committeeRole: 'finance', staff: staffCamille })).changed).toBe(true);
    expect((await setCommitteeRole({ cohortId: cohort.cohortId, referralId: referral.referralId, committeeRole: 'finance', staff: staffCamille })).changed).toBe(false);
    expect((await getCohort(cohort.cohortId))?.members[0]?.committeeRole).toBe('finance');
    expect((await getActivity(cohort.activityId))?.members[0]?.committeeRole).toBe('finance');
    await setCommitteeRole({ cohortId: cohort.cohortId, referralId: referral.referralId, committeeRole: null, staff: staffCamille });
    expect((await getCohort(cohort.cohortId))?.members[0]?.committeeRole).toBeUndefined();
    expect((await getActivity(cohort.activityId))?.members[0]?.committeeRole).toBeUndefined();
    expect((await errorOf(setCommitteeRole({ cohortId: cohort.cohortId, referralId: randomUUID(), committeeRole: 'marketing', staff: staffCamille }))).statusCode).toBe(404);
  });

  it('removes a member while the activity is a draft (the seat is freed, the path may be placed again), not after', async () => {
    const cohort = await newCohort({ capacity: 1 });
    const referral = await path();
    await place(cohort.cohortId, referral.referralId);
    const removed = await removeFromCohort({ cohortId: cohort.cohortId, referralId: referral.referralId, staff: staffCamille });
    expect(removed).toMatchObject({ changed: true, cohort: { seatsTaken: 0 } });
    expect((await removeFromCohort({ cohortId: cohort.cohortId, referralId: referral.referralId, staff: staffCamille })).changed).toBe(false);
    expect((await getActivity(cohort.activityId))?.members).toEqual([]);
    expect(await listActivitiesOfPerson(referral.personId)).toEqual([]);
    expect(((await getOnboarding(referral.referralId)) as unknown as Record<string, unknown>).cohortId).toBeUndefined();

    expect((await place(cohort.cohortId, referral.referralId)).changed).toBe(true);
    await doc.send(new UpdateCommand({ TableName: table, Key: keys.activity(cohort.activityId), UpdateExpression: 'SET #s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': 'awaiting-approval' } }));
    const late = await errorOf(removeFromCohort({ cohortId: cohort.cohortId, referralId: referral.referralId, staff: staffCamille }));
    expect(late.statusCode).toBe(409);
    expect((await getCohort(cohort.cohortId))?.cohort.seatsTaken).toBe(1);
    // A submitted activity takes no new member either.
    const [other] = await Promise.all([newCohort()]);
    await doc.send(new UpdateCommand({ TableName: table, Key: keys.activity(other!.activityId), UpdateExpression: 'SET #s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': 'active' } }));
    expect((await errorOf(place(other!.cohortId, (await path()).referralId))).statusCode).toBe(409);
  });
});
