import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { useFreshAppTable } from '../support/dynamodb.js';
import { acceptingProviders } from '../support/providers.js';
import { errorOf } from '../support/refusals.js';
import { adultSubmission, minorSubmission, prescriberLens, staffCamille } from '../support/fixtures.js';
import { submitReferral } from '../../shared/data/referrals.js';
import { createOnboarding, finishOnboarding, loadStep } from '../../shared/data/onboarding.js';
import { settleWaitingStep } from '../../shared/data/approvals.js';
import { informationSessions } from '../../shared/data/information-sessions.js';
import {
  chooseSession,
  createSession,
  getBooking,
  getSession,
  getSessionWithAttendees,
  listChoosableSessions,
  listSessions,
  loadOnboardingParty,
  recordAttendance,
  type OnboardingParty,
} from '../../shared/data/sessions.js';
import { dispatchDueNotifications } from '../../shared/notifications/sender.js';
import { ConflictError } from '../../shared/domain/errors.js';
import { parisDateTime, parisInstant } from '../../shared/domain/sessions.js';
import type { Programme } from '../../shared/domain/programmes.js';
import type { ReferralSubmission } from '../../shared/domain/referral.js';
import { keys } from '../../shared/keys.js';

let doc: DynamoDBDocumentClient;
let table: string;

// The providers answer at once: the dispatcher's sends are what the reminder test looks at.
const { ses, sms } = acceptingProviders();

beforeAll(async () => {
  ({ doc, tableName: table } = await useFreshAppTable({ SMS_WINDOW: 'off' }));
});

/** An accepted referral whose onboarding has started. */
async function acceptedParty(submission: ReferralSubmission = adultSubmission()): Promise<OnboardingParty> {
  const { referral } = await submitReferral({ prescriber: prescriberLens, submission, idempotencyKey: randomUUID() });
  await doc.send(new UpdateCommand({ TableName: table, Key: keys.referral(referral.referralId), UpdateExpression: 'SET #s = :a', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':a': 'accepted' } }));
  await createOnboarding({ referral: { ...referral, status: 'accepted' } });
  return await loadOnboardingParty(referral.referralId);
}

const NOW = new Date('2026-11-02T09:00:00Z');
/** A session at a Paris date and time, created as of NOW. */
const session = (date: string, time = '14:00', capacity = 15, programmes: Programme[] = ['accompagnement', 'jeunes-majeurs', 'cjs']) =>
  createSession({ date, time, startsAt: parisInstant(date, time)!, durationMinutes: 120, place: 'Maison des associations, Lens', capacity, programmes }, staffCamille, NOW);

const youngActor = { kind: 'system' as const, name: 'Espace personnel' };
const choose = (party: OnboardingParty, sessionId: string, now = NOW) => chooseSession({ party, sessionId, actor: youngActor, now });

async function messagesOf(personId: string) {
  const r = await doc.send(
    new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)', ExpressionAttributeValues: { ':pk': keys.person(personId).pk, ':sk': 'NOTIFICATION#' }, ConsistentRead: true }),
  );
  return (r.Items ?? []) as Array<Record<string, string>>;
}

describe('a session is never overbooked', () => {
  it('30 people choosing 15 seats at once: exactly 15 bookings and 15 clear refusals', async () => {
    const full = await session('2026-11-20', '10:00', 15);
    const people = await Promise.all(Array.from({ length: 30 }, () => acceptedParty()));
    const started = Date.now();
    const outcomes = await Promise.allSettled(people.map((p) => choose(p, full.sessionId)));
    const took = Date.now() - started;
    const booked = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as Error & { statusCode: number }] : []));
    expect(booked).toHaveLength(15);
    expect(refused).toHaveLength(15);
    for (const error of refused) {
      expect(error).toBeInstanceOf(ConflictError);
      expect(error.statusCode).toBe(409);
      expect(error.message).toMatch(/^Cette réunion est complète/);
    }
    const stored = await getSessionWithAttendees(full.sessionId);
    expect(stored!.session.seatsTaken).toBe(15);
    expect(stored!.attendees).toHaveLength(15);
    const bookings = await Promise.all(people.map((p) => getBooking(p.referralId)));
    expect(bookings.filter((b) => b?.status === 'booked')).toHaveLength(15);
    console.info(`30 concurrent choices for 15 seats on DynamoDB Local: ${took} ms`);
  }, 120_000);

  it('a change of session frees the seat, and the freed seat can be taken', async () => {
    const a = await session('2026-11-23', '10:00', 1);
    const b = await session('2026-11-24', '10:00', 5);
    const [first, second] = await Promise.all([acceptedParty(), acceptedParty()]);
    await choose(first, a.sessionId);
    expect((await errorOf(choose(second, a.sessionId))).message).toMatch(/complète/);
    const moved = await choose(first, b.sessionId);
    expect(moved.booking).toMatchObject({ status: 'booked', sessionId: b.sessionId, version: 2 });
    expect((await getSession(a.sessionId))!.seatsTaken).toBe(0);
    expect((await getSession(b.sessionId))!.seatsTaken).toBe(1);
    expect((await getSessionWithAttendees(a.sessionId))!.attendees).toEqual([]);
    await choose(second, a.sessionId);
    expect((await getSession(a.sessionId))!.seatsTaken).toBe(1);
  });

  it('choosing the seat already held writes nothing', async () => {
    const s = await session('2026-11-25');
    const party = await acceptedParty();
    const first = await choose(party, s.sessionId);
    const again = await choose(party, s.sessionId);
    expect(again.changed).toBe(false);
    expect(again.booking.version).toBe(first.booking.version);
    expect((await getSession(s.sessionId))!.seatsTaken).toBe(1);
    expect((await messagesOf(party.personId)).filter((m) => m.kind === 'session-confirmed')).toHaveLength(2);
  });

  it('refuses a session of another programme and a past one', async () => {
    const cjsOnly = await session('2026-11-26', '14:00', 10, ['cjs']);
    const party = await acceptedParty();
    expect((await errorOf(choose(party, cjsOnly.sessionId))).message).toMatch(/pas proposée pour votre programme/);
    const s = await session('2026-11-27');
    expect((await errorOf(choose(party, s.sessionId, new Date(s.startsAt)))).message).toMatch(/déjà commencé/);
  });
});

describe('the 24-hour rule', () => {
  it('a young person may change until the day before at the session time, not after', async () => {
    const monday = await session('2027-03-29', '10:00'); // the day after the change to summer time
    const other = await session('2027-03-31', '10:00');
    const party = await acceptedParty();
    await choose(party, monday.sessionId);
    const deadline = parisInstant('2027-03-28', '10:00')!; // Sunday 10:00, summer time already
    const late = await errorOf(choose(party, other.sessionId, new Date(deadline)));
    expect(late.message).toMatch(/moins de 24 h avant/);
    expect((await getBooking(party.referralId))!.sessionId).toBe(monday.sessionId);
    await choose(party, other.sessionId, new Date(Date.parse(deadline) - 60_000));
    expect((await getBooking(party.referralId))!.sessionId).toBe(other.sessionId);
  });
});

describe('the reminder', () => {
  it('is scheduled in the outbox two days before at the session time in Paris, across a clock change', async () => {
    const s = await session('2027-03-29', '10:00');
    const party = await acceptedParty(minorSubmission());
    await choose(party, s.sessionId);
    const reminders = (await messagesOf(party.personId)).filter((m) => m.kind === 'session-reminder');
    expect(reminders.map((m) => `${m.role} ${m.channel}`).sort()).toEqual(['guardian email', 'guardian sms', 'young email', 'young sms']);
    for (const m of reminders) {
      expect(parisDateTime(m.notBefore)).toEqual({ date: '2027-03-27', time: '10:00' });
      expect(m.nextAttemptAt).toBe(m.notBefore);
      expect(m.gsi3sk.startsWith(m.notBefore)).toBe(true);
      expect(m.body).toMatch(/lundi 29 mars 2027 [àa] 10:00/); // an SMS is written without accents
    }
    // The dispatcher leaves it until its time, then sends it.
    const confirmations = (await messagesOf(party.personId)).filter((m) => m.kind === 'session-confirmed');
    expect(confirmations.length).toBe(3);
    await dispatchDueNotifications(new Date(Date.parse(reminders[0]!.notBefore) - 60_000));
    expect((await messagesOf(party.personId)).filter((m) => m.kind === 'session-reminder').every((m) => m.status === 'pending')).toBe(true);
    await dispatchDueNotifications(new Date(reminders[0]!.notBefore));
    expect((await messagesOf(party.personId)).filter((m) => m.kind === 'session-reminder').map((m) => m.status)).toEqual(['sent', 'sent', 'sent', 'sent']);
  }, 60_000);

  it('is cancelled when the young person changes session before it is due, and the new one is scheduled', async () => {
    const a = await session('2026-12-07');
    const b = await session('2026-12-08');
    const party = await acceptedParty();
    await choose(party, a.sessionId);
    await choose(party, b.sessionId);
    const reminders = (await messagesOf(party.personId)).filter((m) => m.kind === 'session-reminder');
    expect(reminders).toHaveLength(2);
    expect(reminders.every((m) => /mardi 8 d[ée]cembre 2026/.test(m.body))).toBe(true);
  });

  it('is cancelled, not sent, when the onboarding ends before its time', async () => {
    const s = await session('2026-12-10');
    const [ending, going] = [await acceptedParty(minorSubmission()), await acceptedParty()];
    for (const party of [ending, going]) await choose(party, s.sessionId);
    const reminderOf = async (party: OnboardingParty) => (await messagesOf(party.personId)).filter((m) => m.kind === 'session-reminder');
    const due = new Date((await reminderOf(ending))[0]!.notBefore);
    // The path stops (staff review "end", the guardian's refusal: the same end) a week before the reminder.
    await finishOnboarding({ referralId: ending.referralId, to: 'ended', reason: 'guardian-refused', now: new Date(due.getTime() - 7 * 86_400_000) });
    ses.resetHistory();
    sms.resetHistory();
    await dispatchDueNotifications(due);
    expect((await reminderOf(ending)).map((m) => [m.status, m.statusReason])).toEqual(Array(4).fill(['cancelled', 'outdated']));
    expect((await reminderOf(going)).map((m) => m.status)).toEqual(['sent', 'sent']);
    // No reminder reached the ended path's addresses; the other young person got theirs.
    const reminded = ses
      .commandCalls(SendEmailCommand)
      .filter((c) => c.args[0].input.EmailTags?.some((tag) => tag.Value === 'session-reminder'))
      .map((c) => c.args[0].input.Destination!.ToAddresses![0]);
    for (const address of [ending.referral.youngPerson.email, ending.referral.guardian!.email]) expect(reminded).not.toContain(address);
    expect(reminded).toContain(going.referral.youngPerson.email);
  });

  it('of the seat left is cancelled when the change comes after its time but before it was sent', async () => {
    const a = await session('2026-12-14');
    const b = await session('2026-12-18');
    const party = await acceptedParty();
    await choose(party, a.sessionId);
    const [old] = (await messagesOf(party.personId)).filter((m) => m.kind === 'session-reminder');
    // An hour after the first reminder's time (an SMS held back for the night, a provider retrying), still a day
    // before the session: the young person moves to the other one.
    const later = new Date(Date.parse(old!.notBefore) + 3_600_000);
    await choose(party, b.sessionId, later);
    await dispatchDueNotifications(later);
    const reminders = (await messagesOf(party.personId)).filter((m) => m.kind === 'session-reminder');
    expect(reminders.filter((m) => m.notificationId.startsWith(old!.cause)).map((m) => m.status)).toEqual(['cancelled', 'cancelled']);
    // The new seat's reminder waits for its own time.
    expect(reminders.filter((m) => !m.notificationId.startsWith(old!.cause)).map((m) => m.status)).toEqual(['pending', 'pending']);
  });

  it('is not scheduled for a session booked less than two days before', async () => {
    const s = await session('2026-11-03', '14:00');
    const party = await acceptedParty();
    await choose(party, s.sessionId);
    expect((await messagesOf(party.personId)).filter((m) => m.kind === 'session-reminder')).toEqual([]);
  });
});

describe('attendance', () => {
  const after = (s: { startsAt: string }) => new Date(Date.parse(s.startsAt) + 3_600_000);
  /** As the attendance route does: the attendance that decides the step settles it, a repeat of it settles again. */
  const recordAndSettle = async (input: Parameters<typeof recordAttendance>[0]) => {
    const result = await recordAttendance(input);
    if (result.settle) await settleWaitingStep(informationSessions, { subjectId: input.referralId, decision: { outcome: result.settle }, actor: input.staff, now: input.now });
    return result;
  };

  it('present settles the step as attended; recording it again changes nothing, another answer is refused', async () => {
    const s = await session('2026-11-10');
    const party = await acceptedParty();
    await choose(party, s.sessionId);
    expect((await errorOf(recordAttendance({ sessionId: s.sessionId, referralId: party.referralId, attendance: 'present', staff: staffCamille, now: NOW }))).message).toMatch(
      /à partir du début/,
    );
    const first = await recordAttendance({ sessionId: s.sessionId, referralId: party.referralId, attendance: 'present', staff: staffCamille, now: after(s) });
    expect(first).toMatchObject({ settle: 'attended', changed: true, booking: { status: 'attended' } });
    const again = await recordAndSettle({ sessionId: s.sessionId, referralId: party.referralId, attendance: 'present', staff: staffCamille, now: after(s) });
    expect(again).toMatchObject({ settle: 'attended', changed: false });
    expect(await loadStep(party.referralId, 'information-session')).toMatchObject({ status: 'done', outcome: 'attended' });
    // Settled twice, decided once.
    await recordAndSettle({ sessionId: s.sessionId, referralId: party.referralId, attendance: 'present', staff: staffCamille, now: after(s) });
    const other = await errorOf(recordAttendance({ sessionId: s.sessionId, referralId: party.referralId, attendance: 'absent', staff: staffCamille, now: after(s) }));
    expect(other.statusCode).toBe(409);
    expect((await errorOf(choose(party, (await session('2026-12-01')).sessionId))).message).toMatch(/déjà suivi|plus à choisir/);
  });

  it('a first absence clears the booking and invites again; the second one becomes a no-show', async () => {
    const first = await session('2026-11-11');
    const second = await session('2026-11-12');
    const third = await session('2026-11-13');
    const party = await acceptedParty(minorSubmission());
    await choose(party, first.sessionId);
    const absent = await recordAttendance({ sessionId: first.sessionId, referralId: party.referralId, attendance: 'absent', staff: staffCamille, now: after(first) });
    expect(absent).toMatchObject({ settle: undefined, booking: { status: 'to-choose', noShows: 1 } });
    expect(absent.booking.sessionId).toBeUndefined();
    const invitations = (await messagesOf(party.personId)).filter((m) => m.kind === 'session-reinvitation');
    expect(invitations.map((m) => `${m.role} ${m.channel}`).sort()).toEqual(['guardian email', 'young email', 'young sms']);
    expect(invitations.find((m) => m.role === 'young' && m.channel === 'email')!.body).toContain('{{lien-personnel}}');
    // The past session keeps its record: the seat and who was absent.
    expect((await getSessionWithAttendees(first.sessionId))!.attendees[0]).toMatchObject({ attendance: 'absent' });

    await choose(party, second.sessionId, after(first));
    const excused = await recordAttendance({ sessionId: second.sessionId, referralId: party.referralId, attendance: 'excused', staff: staffCamille, now: after(second) });
    expect(excused).toMatchObject({ settle: undefined, booking: { status: 'to-choose', noShows: 1 } });

    await choose(party, third.sessionId, after(second));
    const noShow = await recordAttendance({ sessionId: third.sessionId, referralId: party.referralId, attendance: 'absent', staff: staffCamille, now: after(third) });
    expect(noShow).toMatchObject({ settle: 'no-show', booking: { status: 'no-show', noShows: 2 } });
    expect(await loadStep(party.referralId, 'information-session')).toMatchObject({ status: 'todo' });
    // Settled as a no-show by the repeat (idempotent): the workflow then opens the staff's review.
    const repeated = await recordAndSettle({ sessionId: third.sessionId, referralId: party.referralId, attendance: 'absent', staff: staffCamille, now: after(third) });
    expect(repeated).toMatchObject({ settle: 'no-show', changed: false });
    expect(await loadStep(party.referralId, 'information-session')).toMatchObject({ status: 'done', outcome: 'no-show' });
    expect((await messagesOf(party.personId)).filter((m) => m.kind === 'session-reinvitation' && m.role === 'young' && m.channel === 'sms')).toHaveLength(2);
  });

  it('refuses a person who holds no seat at the session', async () => {
    const s = await session('2026-11-14');
    const party = await acceptedParty();
    expect((await errorOf(recordAttendance({ sessionId: s.sessionId, referralId: party.referralId, attendance: 'present', staff: staffCamille, now: after(s) }))).statusCode).toBe(404);
  });
});

describe('listings', () => {
  it('lists sessions by start from a given instant, and offers a young person only those they may choose', async () => {
    const from = '2028-01-01T00:00:00.000Z';
    const later = await createSession({ date: '2028-02-02', time: '10:00', startsAt: parisInstant('2028-02-02', '10:00')!, durationMinutes: 60, place: 'Lens', capacity: 2, programmes: ['cjs'] }, staffCamille, NOW);
    const earlier = await createSession({ date: '2028-01-05', time: '10:00', startsAt: parisInstant('2028-01-05', '10:00')!, durationMinutes: 60, place: 'Liévin', capacity: 1, programmes: ['cjs', 'accompagnement'] }, staffCamille, NOW);
    const page = await listSessions({ from });
    expect(page.items.map((s) => s.sessionId)).toEqual([earlier.sessionId, later.sessionId]);
    const party = await acceptedParty();
    const asOf = new Date('2027-12-31T00:00:00Z');
    expect((await listChoosableSessions('cjs', asOf)).map((s) => s.sessionId)).toEqual([earlier.sessionId, later.sessionId]);
    await choose(party, earlier.sessionId, asOf);
    expect((await listChoosableSessions('cjs', asOf)).map((s) => s.sessionId)).toEqual([later.sessionId]);
    expect((await listChoosableSessions('jeunes-majeurs', asOf)).map((s) => s.sessionId)).toEqual([]);
  });
});
