import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { apiEvent } from '../support/events.js';
import { callHandler as call, handlerTestbed } from '../support/handlers.js';
import { adultSubmission, prescriberLens, staffCamille } from '../support/fixtures.js';
import { cjsSubmission, launchReadyReferral } from '../support/activities.js';
import { handler as listCohorts } from '../../functions/cohorts/list.js';
import { handler as createCohort } from '../../functions/cohorts/create.js';
import { handler as getCohort } from '../../functions/cohorts/get.js';
import { handler as setCapacity } from '../../functions/cohorts/capacity.js';
import { handler as place } from '../../functions/cohorts/place.js';
import { handler as setRole } from '../../functions/cohorts/member.js';
import { handler as remove } from '../../functions/cohorts/remove.js';

const bed = handlerTestbed();
const { ses } = bed;

const year = new Date().getUTCFullYear() + 1;
const cohortBody = (extra: Record<string, unknown> = {}) => ({ name: `CJS Lens-Liévin ${year}`, startDate: `${year}-07-06`, endDate: `${year}-08-28`, towns: ['Lens', 'Liévin', 'Avion'], ...extra });
const create = (body: unknown, key: string | null = randomUUID(), actor = staffCamille) =>
  call(createCohort, apiEvent({ routeKey: 'POST /api/staff/cohorts', actor, body, headers: key ? { 'idempotency-key': key } : {} }));
const placeIn = (cohortId: string, referralId: string) => call(place, apiEvent({ routeKey: 'POST /api/staff/cohorts/{cohortId}/members', actor: staffCamille, pathParameters: { cohortId }, body: { referralId } }));
const show = (cohortId: string) => call(getCohort, apiEvent({ routeKey: 'GET /api/staff/cohorts/{cohortId}', actor: staffCamille, pathParameters: { cohortId } }));

describe('staff cohort routes', () => {
  it('create a cohort once per Idempotency-Key, list it, and refuse a request without a key or from a prescriber', async () => {
    const key = randomUUID();
    const created = await create(cohortBody(), key);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ capacity: 15, seatsTaken: 0, seatsLeft: 15, datesLabel: expect.stringMatching(new RegExp(`^du [a-z]+ 6 juillet au [a-z]+ 28 août ${year}$`)), townsLabel: 'Lens, Liévin et Avion' });
    expect(created.body.activityId).toBe(`ca-${created.body.cohortId}`);
    const replayed = await create(cohortBody(), key);
    expect(replayed).toMatchObject({ status: 200, body: { cohortId: created.body.cohortId } });
    expect((await create(cohortBody({ capacity: 10 }), key)).status).toBe(409);
    expect(await create(cohortBody(), null)).toMatchObject({ status: 400, body: { errors: [{ field: 'Idempotency-Key' }] } });
    expect((await create(cohortBody(), randomUUID(), prescriberLens as never)).status).toBe(403);
    expect(await create(cohortBody({ capacity: 21 }))).toMatchObject({ status: 400, body: { errors: [{ field: 'capacity', message: 'Capacité invalide : de 1 à 20 places.' }] } });

    const listed = await call(listCohorts, { ...apiEvent({ routeKey: 'GET /api/staff/cohorts', actor: staffCamille }), queryStringParameters: { limit: '100' } });
    expect(listed.status).toBe(200);
    expect(listed.body.items.filter((c: { cohortId: string }) => c.cohortId === created.body.cohortId)).toHaveLength(1);
  });

  it('place launch-ready CJS young people, tell them at once, and refuse one too many with the cohort full', async () => {
    const cohort = (await create(cohortBody({ capacity: 2 }))).body;
    const [a, b, c] = await Promise.all([0, 1, 2].map(() => launchReadyReferral(bed.doc, bed.tableName, cjsSubmission())));
    const sentBefore = ses.commandCalls(SendEmailCommand).length;
    const first = await placeIn(cohort.cohortId, a!.referralId);
    expect(first).toMatchObject({ status: 201, body: { cohort: { seatsTaken: 1 }, member: { referralId: a!.referralId } } });
    // The young person's e-mail went out with the request (no guardian on this path).
    const sent = ses.commandCalls(SendEmailCommand).slice(sentBefore).map((call) => call.args[0].input.Content?.Simple?.Subject?.Data);
    expect(sent).toContain(`Votre cohorte CJS : CJS Lens-Liévin ${year}`);
    expect(await placeIn(cohort.cohortId, a!.referralId)).toMatchObject({ status: 200, body: { cohort: { seatsTaken: 1 } } });
    expect((await placeIn(cohort.cohortId, b!.referralId)).status).toBe(201);
    expect(await placeIn(cohort.cohortId, c!.referralId)).toMatchObject({ status: 409, body: { message: 'La cohorte est complète (2 places).' } });

    const page = await show(cohort.cohortId);
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ seatsTaken: 2, seatsLeft: 0, activityStatus: 'draft', activityStatusLabel: 'Brouillon', membersEditable: true });
    expect(page.body.members.map((m: { referralId: string }) => m.referralId).sort()).toEqual([a!.referralId, b!.referralId].sort());
    expect(page.body.committeeRoles.map((r: { code: string }) => r.code)).toContain('ressources-humaines');
 
  }, 60_000);

  it('offer as candidates the launch-ready CJS young people not placed: not a path under way, another programme, nor one placed', async () => {
    const cohort = (await create(cohortBody({ capacity: 2 }))).body;
    const [ready, placed, early, adult] = await Promise.all([
      launchReadyReferral(bed.doc, bed.tableName, cjsSubmission()),
      launchReadyReferral(bed.doc, bed.tableName, cjsSubmission()),
      launchReadyReferral(bed.doc, bed.tableName, cjsSubmission(), false),
      launchReadyReferral(bed.doc, bed.tableName, adultSubmission({}, 'jeunes-majeurs')),
    ]);
    const candidates = async () => ((await show(cohort.cohortId)).body.candidates as Array<{ referralId: string }>).map((c) => c.referralId);
    const before = (await show(cohort.cohortId)).body;
    const offered = before.candidates.find((c: { referralId: string }) => c.referralId === ready.referralId);
    const { firstName, lastName, town } = ready.youngPerson;
    expect(offered).toEqual({ referralId: ready.referralId, personId: ready.personId, name: `${firstName} ${lastName}`, town, ageAtStart: expect.any(Number), readyAt: expect.any(String) });
    expect(offered.ageAtStart).toBeLessThan(18);
    expect(before.moreCandidates).toBe(false);
    expect(await candidates()).toEqual(expect.arrayContaining([ready.referralId, placed.referralId]));
    expect(await candidates()).not.toContain(early.referralId);
    expect(await candidates()).not.toContain(adult.referralId);

    // Placed: no longer a candidate, for this cohort or any other; taken out again: a candidate once more.
    expect((await placeIn(cohort.cohortId, placed.referralId)).status).toBe(201);
    const other = (await create(cohortBody())).body;
    expect(await candidates()).not.toContain(placed.referralId);
    expect(((await show(other.cohortId)).body.candidates as Array<{ referralId: string }>).map((c) => c.referralId)).not.toContain(placed.referralId);
    await call(remove, apiEvent({ routeKey: 'DELETE /api/staff/cohorts/{cohortId}/members/{referralId}', actor: staffCamille, pathParameters: { cohortId: cohort.cohortId, referralId: placed.referralId } }));
    expect(await candidates()).toContain(placed.referralId);

    // A full cohort offers no one.
    await Promise.all([placeIn(cohort.cohortId, ready.referralId), placeIn(cohort.cohortId, placed.referralId)]);
    expect((await show(cohort.cohortId)).body).toMatchObject({ seatsLeft: 0, candidates: [], moreCandidates: false });
  }, 60_000);

  it('refuse a path not ready, with a 422 in French, and an unknown cohort with a 404', async () => {
    const cohort = (await create(cohortBody())).body;
    const early = await launchReadyReferral(bed.doc, bed.tableName, cjsSubmission(), false);
    expect(await placeIn(cohort.cohortId, early.referralId)).toMatchObject({ status: 422, body: { message: expect.stringContaining("n'est pas prêt pour le lancement") } });
    expect((await placeIn(randomUUID(), early.referralId)).status).toBe(404);
    expect((await show(randomUUID())).status).toBe(404);
  });

  it('set a committee role, change the capacity but not below the seats taken, and take a member out', async () => {
    const cohort = (await create(cohortBody({ capacity: 3 }))).body;
    const [a, b] = await Promise.all([0, 1].map(() => launchReadyReferral(bed.doc, bed.tableName, cjsSubmission())));
    await placeIn(cohort.cohortId, a!.referralId);
    await placeIn(cohort.cohortId, b!.referralId);
    const role = (referralId: string, committeeRole: unknown) =>
      call(setRole, apiEvent({ routeKey: 'PUT /api/staff/cohorts/{cohortId}/members/{referralId}', actor: staffCamille, pathParameters: { cohortId: cohort.cohortId, referralId }, body: { committeeRole } }));
    expect(await role(a!.referralId, 'finance')).toMatchObject({ status: 200, body: { committeeRole: 'finance', committeeRoleLabel: 'Comité finances' } });
    expect(await role(a!.referralId, 'présidence')).toMatchObject({ status: 400, body: { errors: [{ field: 'committeeRole' }] } });
    expect((await role(randomUUID(), 'finance')).status).toBe(404);
    expect((await show(cohort.cohortId)).body.members.find((m: { referralId: string }) => m.referralId === a!.referralId)).toMatchObject({ committeeRole: 'finance', committeeRoleLabel: 'Comité finances' });

    const capacity = (value: unknown) => call(setCapacity, apiEvent({ routeKey: 'PUT /api/staff/cohorts/{cohortId}', actor: staffCamille, pathParameters: { cohortId: cohort.cohortId }, body: { capacity: value } }));
    expect(await capacity(1)).toMatchObject({ status: 409, body: { message: '2 places sont déjà prises : la capacité ne peut pas descendre en dessous.' } });
    expect(await capacity(2.5)).toMatchObject({ status: 400, body: { errors: [{ field: 'capacity' }] } });
    expect(await capacity(20)).toMatchObject({ status: 200, body: { capacity: 20, seatsTaken: 2 } });

    const out = await call(remove, apiEvent({ routeKey: 'DELETE /api/staff/cohorts/{cohortId}/members/{referralId}', actor: staffCamille, pathParameters: { cohortId: cohort.cohortId, referralId: b!.referralId } }));
    expect(out).toMatchObject({ status: 200, body: { removed: true, cohort: { seatsTaken: 1 } } });
    expect((await show(cohort.cohortId)).body.members.map((m: { referralId: string }) => m.referralId)).toEqual([a!.referralId]);
  });
});
