import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { staffCamille } from '../support/fixtures.js';
import { inDays } from '../support/activities.js';
import { callWithLink as call, handlerTestbed, onboardingParty } from '../support/handlers.js';
import { handler as mySessions } from '../../functions/me/sessions.js';
import { handler as chooseSession } from '../../functions/me/session.js';
import { storeLink } from '../../shared/data/personal-links.js';
import { createSession, getBooking, getSession } from '../../shared/data/sessions.js';
import { parseSessionInput } from '../../shared/domain/sessions.js';

const bed = handlerTestbed();
const { ses } = bed;
const onboarding = () => onboardingParty(bed);

describe("the young person's session routes", () => {
  it('list the sessions they may choose, book one with a confirmation sent at once, and refuse a full one', async () => {
    const party = await onboarding();
    const token = (await storeLink({ personId: party.personId, referralId: party.referralId, audience: 'young-person' })).token;
    const open = await createSession(parseSessionInput({ date: inDays(6), time: '14:00', place: 'Lens, salle 2', capacity: 1, programmes: [party.programme] }, new Date()), staffCamille);
    const other = await createSession(parseSessionInput({ date: inDays(7), time: '09:30', place: 'Liévin', capacity: 5, programmes: [party.programme] }, new Date()), staffCamille);

    const listed = await call(mySessions, 'GET /api/me/sessions', token);
    expect(listed.status).toBe(200);
    expect(listed.body.booking).toMatchObject({ status: 'to-choose' });
    expect(listed.body.sessions.map((s: { sessionId: string }) => s.sessionId)).toEqual(expect.arrayContaining([open.sessionId, other.sessionId]));

    const sentBefore = ses.commandCalls(SendEmailCommand).length;
    const chosen = await call(chooseSession, 'PUT /api/me/session', token, { sessionId: open.sessionId });
    expect(chosen).toMatchObject({ status: 200, body: { status: 'booked', session: { sessionId: open.sessionId, seatsLeft: 0 } } });
    expect(ses.commandCalls(SendEmailCommand).length).toBe(sentBefore + 1);
    expect((await getBooking(party.referralId))?.sessionId).toBe(open.sessionId);

    const after = await call(mySessions, 'GET /api/me/sessions', token);
    expect(after.body.booking).toMatchObject({ status: 'booked', session: { sessionId: open.sessionId } });
    // The full session is no longer offered.
    expect(after.body.sessions.map((s: { sessionId: string }) => s.sessionId)).not.toContain(open.sessionId);

    // Someone else cannot take the last seat.
    const second = await onboarding();
    const secondToken = (await storeLink({ personId: second.personId, referralId: second.referralId, audience: 'young-person' })).token;
    const full = await call(chooseSession, 'PUT /api/me/session', secondToken, { sessionId: open.sessionId });
    expect(full.status).toBe(409);
    expect((await getSession(open.sessionId))?.seatsTaken).toBe(1);
    expect(await getBooking(second.referralId)).toBeUndefined();

    // A change frees the seat.
    expect((await call(chooseSession, 'PUT /api/me/session', token, { sessionId: other.sessionId })).status).toBe(200);
    expect((await getSession(open.sessionId))?.seatsTaken).toBe(0);
  });

  it('refuse a malformed choice, a guardian link and no link, writing nothing', async () => {
    const party = await onboarding();
    const token = (await storeLink({ personId: party.personId, referralId: party.referralId, audience: 'young-person' })).token;
    for (const [body, field] of [
      [{ sessionId: 42 }, 'sessionId'],
      [{}, 'sessionId'],
      [{ sessionId: randomUUID(), extra: 1 }, 'extra'],
    ] as const) {
      const bad = await call(chooseSession, 'PUT /api/me/session', token, body);
      expect(bad.status).toBe(400);
      expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
    }
    const guardian = (await storeLink({ personId: party.personId, referralId: party.referralId, audience: 'guardian' })).token;
    expect((await call(mySessions, 'GET /api/me/sessions', guardian)).status).toBe(403);
    expect((await call(chooseSession, 'PUT /api/me/session', '', { sessionId: randomUUID() })).status).toBe(401);
    expect(await getBooking(party.referralId)).toBeUndefined();
  });
});
