import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { mockClient } from 'aws-sdk-client-mock';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { QueryCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { useFreshAppTable } from '../support/dynamodb.js';
import { apiEvent, lambdaContext } from '../support/events.js';
import { adultSubmission, launchFile as gardeningLaunchFile, minorSubmission, prescriberLens, staffCamille } from '../support/fixtures.js';
import { pdfText } from '../support/pdf-text.js';
import { createOnboarding, finishOnboarding } from '../../shared/data/onboarding.js';
import { storeLink } from '../../shared/data/personal-links.js';
import { submitReferral, type ReferralRecord } from '../../shared/data/referrals.js';
import { getActivity } from '../../shared/data/activities.js';
import { parisDate } from '../../shared/domain/time.js';
import type { ReferralSubmission } from '../../shared/domain/referral.js';
import type { Actor } from '../../shared/domain/actor.js';
import type { ApiResult } from '../../shared/http/api.js';
import { keys } from '../../shared/keys.js';
import { handler as myActivities } from '../../functions/me/activities.js';
import { handler as myActivity } from '../../functions/me/activity.js';
import { handler as mySubmission } from '../../functions/me/activity-submission.js';
import { handler as myFlyer } from '../../functions/me/activity-flyer.js';
import { handler as listKinds } from '../../functions/activities/service-kinds.js';
import { handler as putKind } from '../../functions/activities/service-kind.js';
import { handler as listActivities } from '../../functions/activities/list.js';
import { handler as createActivity } from '../../functions/activities/create.js';
import { handler as getActivityRoute } from '../../functions/activities/get.js';
import { handler as updateActivity } from '../../functions/activities/update.js';
import { handler as submitActivity } from '../../functions/activities/submit.js';
import { handler as setPrices } from '../../functions/activities/prices.js';
import { handler as addMember } from '../../functions/activities/members.js';
import { handler as changeStatus } from '../../functions/activities/status.js';
import { handler as staffFlyer } from '../../functions/activities/flyer.js';

const sfn = mockClient(SFNClient);
let doc: DynamoDBDocumentClient;
let table: string;

beforeAll(async () => {
  ({ doc, tableName: table } = await useFreshAppTable({ ACTIVITY_LAUNCH_STATE_MACHINE_ARN: 'arn:aws:states:eu-west-3:000000000000:stateMachine:launch', APP_BASE_URL: 'http://app' }));
  sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => ({ executionArn: `arn:exec:${input.name}`, startDate: new Date() }));
});

const ctx = lambdaContext();
type Handler = (e: never, c: never) => Promise<ApiResult>;
interface Call {
  token?: string;
  actor?: Actor;
  body?: unknown;
  pathParameters?: Record<string, string>;
  headers?: Record<string, string>;
  query?: Record<string, string>;
}
async function call(h: Handler, routeKey: string, options: Call = {}) {
  const event = apiEvent({ routeKey, body: options.body, actor: options.actor, pathParameters: options.pathParameters, headers: { ...(options.token ? { 'x-parcours-link': options.token } : {}), ...options.headers } });
  if (options.query) event.queryStringParameters = options.query;
  const result = await h(event as never, ctx as never);
  const text = result.isBase64Encoded ? '' : String(result.body);
  return { status: result.statusCode, headers: result.headers ?? {}, raw: result, body: text ? JSON.parse(text) : undefined };
}

const TODAY = parisDate();
const inDays = (days: number) => new Date(Date.parse(`${TODAY}T12:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

async function launchReady(submission: ReferralSubmission = adultSubmission(), ready = true): Promise<{ referral: ReferralRecord; token: string }> {
  const { referral } = await submitReferral({ prescriber: prescriberLens, submission, idempotencyKey: randomUUID() });
  await doc.send(new UpdateCommand({ TableName: table, Key: keys.referral(referral.referralId), UpdateExpression: 'SET #s = :a', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':a': 'accepted' } }));
  const accepted = { ...referral, status: 'accepted' as const };
  await createOnboarding({ referral: accepted });
  if (ready) await finishOnboarding({ referralId: referral.referralId, to: 'ready' });
  const { token } = await storeLink({ personId: referral.personId, referralId: referral.referralId, audience: 'young-person' });
  return { referral: accepted, token };
}

/** The fixture's launch file starting in 10 days, with fields replaced or added (some deliberately wrong). */
const launchFile = (extra: Record<string, unknown> = {}) => ({ ...gardeningLaunchFile(inDays(10)), ...extra });

const itemCount = async () => (await doc.send(new ScanCommand({ TableName: table, Select: 'COUNT', ConsistentRead: true }))).Count;
const partitionSize = async (pk: string) => (await doc.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, ConsistentRead: true }))).Count;
const fields = (body: { errors?: Array<{ field: string }> }) => (body.errors ?? []).map((e) => e.field).sort();
const prescriber: Actor = { kind: 'prescriber', id: prescriberLens.id, name: prescriberLens.name, organisationId: prescriberLens.organisationId, organisationName: prescriberLens.organisationName };

describe("the young person's launch file", () => {
  it('is created, then edited as a draft, refused with bad input field by field, submitted once, and only its members get its flyer', async () => {
    const { referral, token } = await launchReady();
    const activityId = `pa-${referral.referralId}`;

    const space = await call(myActivities, 'GET /api/me/activities', { token });
    expect(space.status).toBe(200);
    expect(space.body).toMatchObject({ activities: [], mayCreatePersonalActivity: true });
    expect(space.body.serviceKinds.map((k: { code: string }) => k.code)).toContain('demenagement');

    // Bad input writes nothing: negative and fractional cents, an unknown kind of service, a rate the young person does not set.
    const bad = [
      [{ priceLines: [{ label: 'Tonte', unit: 'heure', unitPriceCents: -100, serviceKind: 'jardinage', vatRateBps: null }] }, ['priceLines.0.unitPriceCents']],
      [{ priceLines: [{ label: 'Tonte', unit: 'heure', unitPriceCents: 12.5, serviceKind: 'jardinage', vatRateBps: null }], monthlyGoalCents: 0.5 }, ['monthlyGoalCents', 'priceLines.0.unitPriceCents']],
      [{ serviceKinds: ['peinture-sur-soie'] }, ['serviceKinds.0']],
      [{ contributionRateBps: 20 }, ['contributionRateBps']],
    ] as const;
    for (const [extra, expected] of bad) {
      const answer = await call(myActivity, 'PUT /api/me/activity', { token, body: launchFile(extra) });
      expect(answer.status, JSON.stringify(extra)).toBe(400);
      expect(fields(answer.body), JSON.stringify(extra)).toEqual([...expected].sort());
    }
    expect(await partitionSize(`ACTIVITY#${activityId}`)).toBe(0);

    const created = await call(myActivity, 'PUT /api/me/activity', { token, body: launchFile() });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ activityId, status: 'draft', canEdit: true, prices: { inForce: { lines: [{ unitPriceCents: 1500, unitLabel: 'heure' }] } } });
    // A member reads names and roles, never ids or birth dates.
    expect(created.body.members).toEqual([{ name: `${referral.youngPerson.firstName} ${referral.youngPerson.lastName}`, role: 'holder', you: true }]);
    const edited = await call(myActivity, 'PUT /api/me/activity', { token, body: launchFile({ tradeName: 'Les Mains Vertes' }) });
    expect(edited).toMatchObject({ status: 200, body: { tradeName: 'Les Mains Vertes', version: 2 } });

    // A start date in the past is a launch problem: 422 with the field, nothing started.
    await call(myActivity, 'PUT /api/me/activity', { token, body: launchFile({ tradeName: 'Les Mains Vertes', startDate: inDays(-3) }) });
    const refused = await call(mySubmission, 'POST /api/me/activity/submission', { token });
    expect(refused.status).toBe(422);
    expect(fields(refused.body)).toEqual(['startDate']);
    expect(sfn.commandCalls(StartExecutionCommand).filter((c) => c.args[0].input.name?.includes(referral.referralId))).toHaveLength(0);

    await call(myActivity, 'PUT /api/me/activity', { token, body: launchFile({ tradeName: 'Les Mains Vertes' }) });
    const submitted = await call(mySubmission, 'POST /api/me/activity/submission', { token });
    expect(submitted).toMatchObject({ status: 200, body: { status: 'awaiting-approval', submission: 1, canEdit: false } });
    const again = await call(mySubmission, 'POST /api/me/activity/submission', { token });
    expect(again).toMatchObject({ status: 200, body: { status: 'awaiting-approval', submission: 1 } });
    const starts = sfn.commandCalls(StartExecutionCommand).filter((c) => c.args[0].input.name?.includes(referral.referralId));
    expect(starts.map((c) => c.args[0].input.name)).toEqual([`launch-${activityId}-1`, `launch-${activityId}-1`]);
    expect(JSON.parse(starts[0]!.args[0].input.input!)).toEqual({ activityId, submission: 1 });
    // Awaiting approval, the file no longer changes.
    expect((await call(myActivity, 'PUT /api/me/activity', { token, body: launchFile() })).status).toBe(409);

    const flyer = await call(myFlyer, 'GET /api/me/activities/{activityId}/flyer', { token, pathParameters: { activityId } });
    expect(flyer.status).toBe(200);
    expect(flyer.headers['content-type']).toBe('application/pdf');
    expect(flyer.raw.isBase64Encoded).toBe(true);
    const text = await pdfText(Buffer.from(String(flyer.raw.body), 'base64'));
    expect(text).toContain('Les Mains Vertes');
    expect(text).toContain('Jardinage');
    expect(text).toContain('15,00 € / heure');

    // Another young person gets the same 404 as for an activity that does not exist.
    const other = await launchReady();
    const theirs = await call(myFlyer, 'GET /api/me/activities/{activityId}/flyer', { token: other.token, pathParameters: { activityId } });
    const missing = await call(myFlyer, 'GET /api/me/activities/{activityId}/flyer', { token: other.token, pathParameters: { activityId: `pa-${randomUUID()}` } });
    expect(theirs.status).toBe(404);
    expect(theirs.body).toEqual(missing.body);
    expect((await call(mySubmission, 'POST /api/me/activity/submission', { token: other.token })).status).toBe(404);
    expect((await call(myActivities, 'GET /api/me/activities', { token: other.token })).body.activities).toEqual([]);
  });

  it('offers a minor only the services open to minors, refuses the others, and a CJS young person has no personal file', async () => {
    const minor = await launchReady(minorSubmission());
    const space = await call(myActivities, 'GET /api/me/activities', { token: minor.token });
    const codes = space.body.serviceKinds.map((k: { code: string }) => k.code);
    expect(codes).toContain('jardinage');
    expect(codes).not.toContain('demenagement');
    const closed = await call(myActivity, 'PUT /api/me/activity', {
      token: minor.token,
      body: launchFile({ serviceKinds: ['demenagement'], priceLines: [{ label: 'Cartons', unit: 'heure', unitPriceCents: 1500, serviceKind: 'demenagement', vatRateBps: null }] }),
    });
    expect(closed.status).toBe(400);
    expect(closed.body.errors).toEqual([{ field: 'serviceKinds.0', message: expect.stringContaining('fermé aux mineurs') }]);

    const cjs = await launchReady({ ...minorSubmission(), programme: 'cjs', programmeStartDate: inDays(30) });
    const answer = await call(myActivity, 'PUT /api/me/activity', { token: cjs.token, body: launchFile() });
    expect(answer.status).toBe(409);
    expect(answer.body.message).toContain('La CJS lance une activité collective avec sa cohorte');
    expect((await call(myActivities, 'GET /api/me/activities', { token: cjs.token })).body.mayCreatePersonalActivity).toBe(false);

    // Before the onboarding is over (no countersigned contract), no launch file.
    const early = await launchReady(adultSubmission(), false);
    expect((await call(myActivity, 'PUT /api/me/activity', { token: early.token, body: launchFile() })).status).toBe(409);
    expect(await getActivity(`pa-${early.referral.referralId}`)).toBeUndefined();
  });
});

describe("the staff's activity routes", () => {
  it('are for staff only', async () => {
    for (const [h, routeKey, body] of [
      [listKinds, 'GET /api/staff/service-kinds', undefined],
      [listActivities, 'GET /api/staff/activities', undefined],
      [createActivity, 'POST /api/staff/activities', { shape: 'collective', programme: 'jeunes-majeurs', ...launchFile() }],
    ] as const) {
      const answer = await call(h as Handler, routeKey, { actor: prescriber, body, headers: { 'idempotency-key': randomUUID() } });
      expect(answer.status, routeKey).toBe(403);
    }
  });

  it('keep the service catalogue', async () => {
    const put = await call(putKind, 'PUT /api/staff/service-kinds/{code}', {
      actor: staffCamille,
      pathParameters: { code: 'repassage' },
      body: { label: 'Repassage', defaultVatRateBps: 2000, insuranceNotes: 'Responsabilité civile de la coopérative.', openToMinors: true },
    });
    expect(put).toMatchObject({ status: 200, body: { code: 'repassage', label: 'Repassage', active: true, defaultVatLabel: 'TVA 20 %' } });
    const closedWithoutReason = await call(putKind, 'PUT /api/staff/service-kinds/{code}', {
      actor: staffCamille,
      pathParameters: { code: 'couverture' },
      body: { label: 'Couverture', defaultVatRateBps: null, insuranceNotes: 'RC.', openToMinors: false },
    });
    expect(closedWithoutReason.status).toBe(400);
    expect(fields(closedWithoutReason.body)).toEqual(['minorsClosedReason']);
    const badCode = await call(putKind, 'PUT /api/staff/service-kinds/{code}', { actor: staffCamille, pathParameters: { code: 'Repassage_2' }, body: { label: 'X', defaultVatRateBps: null, insuranceNotes: 'RC.', openToMinors: true } });
    expect(badCode.status).toBe(400);
    const list = await call(listKinds, 'GET /api/staff/service-kinds', { actor: staffCamille });
    expect(list.body.items.map((k: { code: string }) => k.code)).toEqual(expect.arrayContaining(['repassage', 'jardinage', 'elagage']));
    expect(list.body.items.map((k: { code: string }) => k.code)).not.toContain('couverture');
  });

  it('create a collective Jeunes Majeurs activity once per Idempotency-Key, add members with a contract only, version prices, submit and list it', async () => {
    const key = randomUUID();
    const body = { shape: 'collective', programme: 'jeunes-majeurs', ...launchFile({ name: 'Atelier vélo', tradeName: 'Vélo Coop', endDate: inDays(10 + 200), contributionRateBps: 800 }) };
    const outOfBounds = await call(createActivity, 'POST /api/staff/activities', { actor: staffCamille, body: { ...body, contributionRateBps: 2500 }, headers: { 'idempotency-key': key } });
    expect(outOfBounds.status).toBe(400);
    expect(outOfBounds.body.errors).toEqual([{ field: 'contributionRateBps', message: expect.stringContaining('entre 5 % et 15 %') }]);
    expect((await call(createActivity, 'POST /api/staff/activities', { actor: staffCamille, body })).status).toBe(400);

    const first = await call(createActivity, 'POST /api/staff/activities', { actor: staffCamille, body, headers: { 'idempotency-key': key } });
    expect(first).toMatchObject({ status: 201, body: { shape: 'collective', programme: 'jeunes-majeurs', status: 'draft', contributionRateBps: 800, members: [] } });
    const activityId = first.body.activityId as string;
    expect(activityId).toMatch(/^ca-[0-9a-f-]{36}$/);
    const replay = await call(createActivity, 'POST /api/staff/activities', { actor: staffCamille, body, headers: { 'idempotency-key': key } });
    expect(replay).toMatchObject({ status: 200, body: { activityId } });
    // The same key with another content: refused, nothing written.
    const items = await itemCount();
    const reused = await call(createActivity, 'POST /api/staff/activities', { actor: staffCamille, body: { ...body, name: 'Atelier couture' }, headers: { 'idempotency-key': key } });
    expect(reused).toMatchObject({ status: 409, body: { message: expect.stringContaining("clé d'idempotence") } });
    expect(await itemCount()).toBe(items);
    expect((await getActivity(activityId))!.activity.name).toBe('Atelier vélo');

    // A member without a countersigned contract is refused and not written.
    const early = await launchReady(adultSubmission({}, 'jeunes-majeurs'), false);
    const refused = await call(addMember, 'POST /api/staff/activities/{activityId}/members', { actor: staffCamille, pathParameters: { activityId }, body: { referralId: early.referral.referralId } });
    expect(refused.status).toBe(422);
    expect(refused.body.message).toContain('sans contrat contresigné');
    const member = await launchReady(adultSubmission({}, 'jeunes-majeurs'));
    const added = await call(addMember, 'POST /api/staff/activities/{activityId}/members', { actor: staffCamille, pathParameters: { activityId }, body: { referralId: member.referral.referralId, committeeRole: 'finance' } });
    expect(added.status).toBe(201);
    expect(added.body.members).toEqual([expect.objectContaining({ referralId: member.referral.referralId, role: 'member', committeeRole: 'finance', committeeRoleLabel: 'Comité finances' })]);
    expect((await call(addMember, 'POST /api/staff/activities/{activityId}/members', { actor: staffCamille, pathParameters: { activityId }, body: { referralId: member.referral.referralId } })).status).toBe(200);

    // Prices of a line outside the activity's services are bad input; a draft's prices are replaced.
    const foreign = await call(setPrices, 'POST /api/staff/activities/{activityId}/prices', {
      actor: staffCamille,
      pathParameters: { activityId },
      body: { effectiveFrom: inDays(10), lines: [{ label: 'Cartons', unit: 'heure', unitPriceCents: 1800, serviceKind: 'demenagement', vatRateBps: 2000 }] },
    });
    expect(foreign.status).toBe(400);
    expect(fields(foreign.body)).toEqual(['lines.0.serviceKind']);
    const priced = await call(setPrices, 'POST /api/staff/activities/{activityId}/prices', {
      actor: staffCamille,
      pathParameters: { activityId },
      body: { effectiveFrom: inDays(10), lines: [{ label: 'Réparation', unit: 'forfait', unitPriceCents: 2500, serviceKind: 'jardinage', vatRateBps: null }] },
    });
    expect(priced.status).toBe(201);
    expect(priced.body.prices.versions).toHaveLength(1);
    expect(priced.body.prices.inForce.lines).toEqual([expect.objectContaining({ label: 'Réparation', unitPriceLabel: '25,00\u00a0€' })]);

    const edited = await call(updateActivity, 'PUT /api/staff/activities/{activityId}', { actor: staffCamille, pathParameters: { activityId }, body: { ...launchFile({ name: 'Atelier vélo', tradeName: 'Vélo Coop', endDate: inDays(10 + 200) }), contributionRateBps: 1200 } });
    expect(edited).toMatchObject({ status: 200, body: { contributionRateBps: 1200 } });
    // Pausing a draft is not a move the activity can make.
    expect((await call(changeStatus, 'POST /api/staff/activities/{activityId}/status', { actor: staffCamille, pathParameters: { activityId }, body: { status: 'paused', reason: 'Congés' } })).status).toBe(409);

    const submitted = await call(submitActivity, 'POST /api/staff/activities/{activityId}/submission', { actor: staffCamille, pathParameters: { activityId } });
    expect(submitted).toMatchObject({ status: 200, body: { status: 'awaiting-approval', submission: 1 } });
    expect(sfn.commandCalls(StartExecutionCommand).some((c) => c.args[0].input.name === `launch-${activityId}-1`)).toBe(true);

    const page = await call(getActivityRoute, 'GET /api/staff/activities/{activityId}', { actor: staffCamille, pathParameters: { activityId } });
    expect(page.body.history.map((e: { label: string }) => e.label)).toEqual(expect.arrayContaining(['Dossier de lancement créé', expect.stringContaining("rejoint l'activité")]));
    const listed = await call(listActivities, 'GET /api/staff/activities', { actor: staffCamille, query: { status: 'awaiting-approval' } });
    expect(listed.body.items.map((a: { activityId: string }) => a.activityId)).toContain(activityId);
    expect((await call(listActivities, 'GET /api/staff/activities', { actor: staffCamille, query: { status: 'rêveuse' } })).status).toBe(400);

    const flyer = await call(staffFlyer, 'GET /api/staff/activities/{activityId}/flyer', { actor: staffCamille, pathParameters: { activityId } });
    expect(flyer.status).toBe(200);
    expect(await pdfText(Buffer.from(String(flyer.raw.body), 'base64'))).toContain('Vélo Coop');
    expect((await call(staffFlyer, 'GET /api/staff/activities/{activityId}/flyer', { actor: staffCamille, pathParameters: { activityId: `ca-${randomUUID()}` } })).status).toBe(404);
  });

  it('create the personal activity of a launch-ready referral, with the rules of its programme', async () => {
    const { referral } = await launchReady();
    const key = randomUUID();
    const created = await call(createActivity, 'POST /api/staff/activities', { actor: staffCamille, body: { shape: 'personal', referralId: referral.referralId, ...launchFile() }, headers: { 'idempotency-key': key } });
    expect(created).toMatchObject({ status: 201, body: { activityId: `pa-${referral.referralId}`, contributionRateBps: 1000 } });
    expect(created.body.members).toEqual([expect.objectContaining({ referralId: referral.referralId, personId: referral.personId, role: 'holder' })]);
    // Retried with its key: the same activity (200); the key with another content, or another request for the same
    // young person: refused (409), nothing written.
    const body = created.body;
    const replay = await call(createActivity, 'POST /api/staff/activities', { actor: staffCamille, body: { shape: 'personal', referralId: referral.referralId, ...launchFile() }, headers: { 'idempotency-key': key } });
    expect(replay).toMatchObject({ status: 200, body: { activityId: body.activityId, version: body.version } });
    const items = await itemCount();
    const reused = await call(createActivity, 'POST /api/staff/activities', { actor: staffCamille, body: { shape: 'personal', referralId: referral.referralId, ...launchFile({ monthlyGoalCents: 1 }) }, headers: { 'idempotency-key': key } });
    expect(reused).toMatchObject({ status: 409, body: { message: expect.stringContaining("clé d'idempotence") } });
    const asCollective = await call(createActivity, 'POST /api/staff/activities', { actor: staffCamille, body: { shape: 'collective', programme: 'jeunes-majeurs', ...launchFile({ endDate: inDays(10 + 200) }) }, headers: { 'idempotency-key': key } });
    expect(asCollective.status).toBe(409);
    const again = await call(createActivity, 'POST /api/staff/activities', { actor: staffCamille, body: { shape: 'personal', referralId: referral.referralId, ...launchFile() }, headers: { 'idempotency-key': randomUUID() } });
    expect(again).toMatchObject({ status: 409, body: { message: expect.stringContaining('déjà son activité personnelle') } });
    expect(await itemCount()).toBe(items);
    expect((await getActivity(body.activityId))!.activity.monthlyGoalCents).toBe(80_000);
    const unknownReferral = await call(createActivity, 'POST /api/staff/activities', { actor: staffCamille, body: { shape: 'personal', referralId: randomUUID(), ...launchFile() }, headers: { 'idempotency-key': randomUUID() } });
    expect(unknownReferral.status).toBe(404);
    const cjs = await launchReady({ ...minorSubmission(), programme: 'cjs', programmeStartDate: inDays(30) });
    const refused = await call(createActivity, 'POST /api/staff/activities', { actor: staffCamille, body: { shape: 'personal', referralId: cjs.referral.referralId, ...launchFile() }, headers: { 'idempotency-key': randomUUID() } });
    expect(refused.status).toBe(409);
  });
});
