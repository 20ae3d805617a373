import { describe, expect, it } from 'vitest';
import { apiEvent, lambdaContext } from '../support/events.js';
import { staffCamille, prescriberLens } from '../support/fixtures.js';
import { apiRoute, json, type ApiResult } from '../../shared/http/api.js';
import { apiRouter } from '../../shared/http/router.js';

const ctx = lambdaContext();
const router = apiRouter<'GET /api/area/things' | 'POST /api/area/things/{thingId}'>({
  'GET /api/area/things': apiRoute({ roles: ['staff', 'prescriber'] }, async ({ actor }) => json(200, { route: 'list', actor: actor.kind })),
  'POST /api/area/things/{thingId}': apiRoute({ roles: ['staff'] }, async ({ event }) => json(201, { route: 'create', thingId: event.pathParameters?.thingId })),
});
const call = async (event: unknown) => {
  const result: ApiResult = await router(event as never, ctx as never);
  return { status: result.statusCode, body: JSON.parse(String(result.body)) };
};

describe('apiRouter: one function for the routes of an area', () => {
  it('calls the handler of the route key the gateway matched', async () => {
    expect(await call(apiEvent({ routeKey: 'GET /api/area/things', actor: prescriberLens }))).toEqual({ status: 200, body: { route: 'list', actor: 'prescriber' } });
    const created = await call(apiEvent({ routeKey: 'POST /api/area/things/{thingId}', actor: staffCamille, pathParameters: { thingId: 'abc' }, body: {} }));
    expect(created).toEqual({ status: 201, body: { route: 'create', thingId: 'abc' } });
  });

  it("keeps each route's own access rule", async () => {
    const refused = await call(apiEvent({ routeKey: 'POST /api/area/things/{thingId}', actor: prescriberLens, pathParameters: { thingId: 'abc' }, body: {} }));
    expect(refused.status).toBe(403);
    expect(refused.body.message).toEqual(expect.any(String));
  });

  it('answers 404 with a French message for a route key it does not serve', async () => {
    const unknown = await call(apiEvent({ routeKey: 'DELETE /api/area/things/{thingId}', actor: staffCamille, pathParameters: { thingId: 'abc' } }));
    expect(unknown).toEqual({ status: 404, body: { message: "Cette adresse n'existe pas." } });
  });
});
