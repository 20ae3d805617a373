import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Actor, Staff } from '../domain/actor.js';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import { idFromIdempotencyKey, payloadHash } from '../domain/idempotency.js';
import type { Programme } from '../domain/programmes.js';
import { bookedDrafts, invitationDrafts } from '../domain/session-messages.js';
import {
  ATTENDANCE_LABELS,
  attendanceEffect,
  changeRefusal,
  choiceRefusal,
  reminderTimeOf,
  sessionDateLabel,
  type Attendance,
  type BookingStatus,
  type SessionInput,
} from '../domain/sessions.js';
import { INDEX, keys } from '../keys.js';
import type { TransactItem } from './approvals.js';
import { db, queryIndexPage, recordOf, queryPrefix, tableName, type Page } from './client.js';
import { outboxPuts, outboxPutsOfCauses } from './outbox.js';
import { freeSeat, takeSeat } from './seats.js';
import { timelinePut } from './people.js';
import { getOnboarding, loadStep } from './onboarding.js';
import { getReferralRecord, type ReferralRecord } from './referrals.js';
import { isConditionFailure, isRetryableConflict, pause, isConditionalCheckFailed } from './transactions.js';

/** An information session, created by staff: its start in UTC (shown in Paris time), place, seats, programmes. */
export interface SessionRecord {
  sessionId: string;
  startsAt: string;
  durationMinutes: number;
  place: string;
  capacity: number;
  /** Seats held: changed only in the transactions that book, move or free a seat, never above `capacity`. */
  seatsTaken: number;
  programmes: Programme[];
  createdAt: string;
  createdBy: { id: string; name: string };
  /** The hash of what created it (time, duration, place, seats, programmes): a replayed request must bring the same. */
  payloadHash?: string;
}

/** A person holding a seat at a session, and, once staff recorded it, whether they came. */
export interface AttendeeRecord {
  sessionId: string;
  referralId: string;
  personId: string;
  programme: Programme;
  firstName: string;
  lastName: string;
  minor: boolean;
  bookedAt: string;
  attendance?: Attendance;
  attendanceAt?: string;
  attendanceBy?: { id: string; name: string };
}

/**
 * Where a young person's information session stands: the seat they hold (`sessionId`, `startsAt`), their absences,
 * the reminders scheduled for that seat. `version` grows with every change: each write is conditional on the one read.
 */
export interface BookingRecord {
  referralId: string;
  personId: string;
  programme: Programme;
  status: BookingStatus;
  sessionId?: string;
  startsAt?: string;
  version: number;
  /** Absences without an excuse: the second one ends the invitations. */
  noShows: number;
  /**
   * The reminder of the current seat, pending until `reminderAt`: removed when the seat changes before then, and
   * cancelled by the sender when the seat changed or the onboarding ended by the time it is sent (its `validWhile`).
   */
  reminderIds?: string[];
  reminderAt?: string;
  updatedAt: string;
}

/** The young person in onboarding a booking or an interview is for, with the referral's contact details (messages go to those). */
export interface OnboardingParty {
  referralId: string;
  personId: string;
  programme: Programme;
  minor: boolean;
  referral: ReferralRecord;
}

const STEP_OPEN = { expression: '#stepStatus IN (:stepTodo, :stepWaiting)', names: { '#stepStatus': 'status' }, values: { ':stepTodo': 'todo', ':stepWaiting': 'waiting' } };

const MAX_ATTEMPTS = 12;

/** The onboarding under way of an accepted referral, or a 404. */
export async function loadOnboardingParty(referralId: string): Promise<OnboardingParty> {
  const [onboarding, referral] = await Promise.all([getOnboarding(referralId), getReferralRecord(referralId)]);
  if (!onboarding || onboarding.status !== 'active' || !referral) throw new NotFoundError('Accueil introuvable pour cette personne.');
  return { referralId, personId: onboarding.personId, programme: onboarding.programme, minor: onboarding.minor, referral };
}

// --- Sessions (staff) ---

/** A session as its creation answers it: `replayed` when the same Idempotency-Key had already created it. */
export type CreatedSession = SessionRecord & { replayed: boolean };

const KEY_REUSED = "Cette clé d'idempotence (Idempotency-Key) a déjà servi pour une autre réunion. Rechargez la page pour en créer une nouvelle.";

/**
 * Staff create a session; it is listed by its start at once. Its id comes from the staff member and the request's
 * Idempotency-Key: a retried request finds the session the first one created (same content), and the same key with
 * another content is refused (409). Without a key (a session seeded by code), the id is random.
 */
export async function createSession(
  input: SessionInput & { startsAt: string; durationMinutes: number },
  staff: Staff,
  now: Date = new Date(),
  idempotencyKey?: string,
): Promise<CreatedSession> {
  const content = { startsAt: input.startsAt, durationMinutes: input.durationMinutes, place: input.place, capacity: input.capacity, programmes: [...input.programmes].sort() };
  const session: SessionRecord = {
    sessionId: idempotencyKey ? idFromIdempotencyKey(`session\n${staff.id}`, idempotencyKey) : randomUUID(),
    startsAt: input.startsAt,
    durationMinutes: input.durationMinutes,
    place: input.place,
    capacity: input.capacity,
    seatsTaken: 0,
    programmes: [...input.programmes],
    createdAt: now.toISOString(),
    createdBy: { id: staff.id, name: staff.name },
    payloadHash: payloadHash(content),
  };
  try {
    await db().send(
      new PutCommand({
        TableName: tableName(),
        Item: { ...keys.session(session.sessionId), ...keys.sessionCalendarEntry(session.startsAt, session.sessionId), type: 'session', ...session },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return { ...session, replayed: false };
  } catch (error) {
    // Only a key's replay finds its session already there.
    if (!idempotencyKey || !isConditionalCheckFailed(error)) throw error;
  }
  const existing = await getSession(session.sessionId);
  if (!existing || existing.payloadHash !== session.payloadHash) throw new ConflictError(KEY_REUSED);
  return { ...existing, replayed: true };
}

export async function getSession(sessionId: string): Promise<SessionRecord | undefined> {
  const result = await db().send(new GetCommand({ TableName: tableName(), Key: keys.session(sessionId), ConsistentRead: true }));
  return result.Item ? recordOf<SessionRecord>(result.Item) : undefined;
}

/** A session and the people holding a seat at it (consistent: the page staff record attendance from). */
export async function getSessionWithAttendees(sessionId: string): Promise<{ session: SessionRecord; attendees: AttendeeRecord[] } | undefined> {
  const items = await queryPrefix(keys.sessionPartition(sessionId), '', { consistentRead: true });
  const session = items.find((i) => i.type === 'session');
  if (!session) return undefined;
  const attendees = items.filter((i) => i.type === 'session-attendee').map((i) => recordOf<AttendeeRecord>(i));
  attendees.sort((a, b) => a.lastName.localeCompare(b.lastName, 'fr') || a.firstName.localeCompare(b.firstName, 'fr'));
  return { session: recordOf<SessionRecord>(session), attendees };
}

/** Sessions starting from `from` (an instant), earliest first, one page at a time. */
export async function listSessions(options: { from: string; limit?: number; cursor?: string }): Promise<Page<SessionRecord>> {
  const page = await queryIndexPage(INDEX.sessions, keys.sessionCalendarPartition(), { from: options.from, limit: options.limit, cursor: options.cursor });
  return { items: page.items.map((i) => recordOf<SessionRecord>(i)), cursor: page.cursor };
}

/** The sessions a young person of `programme` may choose now: theirs, to come, with a seat left (at most `max`). */
export async function listChoosableSessions(programme: Programme, now: Date, max = 30): Promise<SessionRecord[]> {
  const found: SessionRecord[] = [];
  let cursor: string | undefined;
  // A page is filtered after it is read: a few pages are enough for the weeks to come.
  for (let page = 0; page < 10 && found.length < max; page++) {
    const result = await queryIndexPage(INDEX.sessions, keys.sessionCalendarPartition(), {
      from: now.toISOString(),
      cursor,
      limit: 100,
      filter: { expression: 'contains(programmes, :programme) AND seatsTaken < #capacity', names: { '#capacity': 'capacity' }, values: { ':programme': programme } },
    });
    found.push(...result.items.map((i) => recordOf<SessionRecord>(i)));
    cursor = result.cursor;
    if (!cursor) break;
  }
  return found.filter((s) => s.startsAt > now.toISOString()).slice(0, max);
}

// --- Bookings ---

export async function getBooking(referralId: string): Promise<BookingRecord | undefined> {
  const result = await db().send(new GetCommand({ TableName: tableName(), Key: keys.sessionBooking(referralId), ConsistentRead: true }));
  return result.Item ? recordOf<BookingRecord>(result.Item) : undefined;
}

export interface ChoiceResult {
  booking: BookingRecord;
  session: SessionRecord;
  /** False when the person already held this seat (a repeated request): nothing was written. */
  changed: boolean;
  /** The outbox cause of the confirmation, to send at once. */
  cause?: string;
}

/**
 * A young person takes a seat at a session, or moves to another one, in one transaction: the new session's seat
 * counter goes up only while below its capacity, the booking moves from the version read, the old seat is freed,
 * the old reminder (not sent yet) is cancelled, the confirmation and the new reminder go into the outbox. So a
 * session is never overbooked, whatever the number of people choosing at once; a conflict is tried again, a full
 * session is refused with a clear message (409). Choosing the seat already held changes nothing.
 */
export async function chooseSession(input: { party: OnboardingParty; sessionId: string; actor: Actor; now?: Date }): Promise<ChoiceResult> {
  const { party, sessionId, actor } = input;
  const table = tableName();
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const now = input.now ?? new Date();
    const iso = now.toISOString();
    const [booking, session, step] = await Promise.all([getBooking(party.referralId), getSession(sessionId), loadStep(party.referralId, 'information-session')]);
    if (!session) throw new NotFoundError('Réunion introuvable : choisissez-en une dans la liste.');
    if (step?.status !== 'todo' && step?.status !== 'waiting') throw new ConflictError("La réunion d'information n'est plus à choisir pour votre accueil.");
    if (booking?.status === 'attended') throw new ConflictError("Vous avez déjà suivi la réunion d'information : l'accueil continue sans elle.");
    if (booking?.status === 'no-show') throw new ConflictError("Après deux absences, l'équipe va vous recontacter pour la suite de votre accueil.");
    if (booking?.status === 'booked' && booking.sessionId === sessionId) return { booking, session, changed: false };
    const refusal = choiceRefusal(session, party.programme, now);
    if (refusal) throw new ConflictError(refusal.message);
    const held = booking?.status === 'booked' && booking.sessionId && booking.startsAt ? { sessionId: booking.sessionId, startsAt: booking.startsAt } : undefined;
    if (held) {
      const late = changeRefusal(held.startsAt, now);
      if (late) throw new ConflictError(late);
    }

    const version = (booking?.version ?? 0) + 1;
    const reminderAt = reminderTimeOf(session.startsAt, now);
    const confirmCause = `session-confirmed#${party.referralId}#${version}`;
    const reminderCause = `session-reminder#${party.referralId}#${version}`;
    const outbox = outboxPutsOfCauses(
      table,
      party.personId,
      [
        { cause: confirmCause, drafts: bookedDrafts(party.referral, session, 'session-confirmed'), options: { referralId: party.referralId } },
        ...(reminderAt
          ? [
              {
                cause: reminderCause,
                drafts: bookedDrafts(party.referral, session, 'session-reminder'),
                options: {
                  referralId: party.referralId,
                  notBefore: reminderAt,
                  // Sent only for this seat of an onboarding under way: a later change (even past the reminder's time) or
                  // the end of the onboarding leaves it unsent.
                  validWhile: [
                    { key: keys.sessionBooking(party.referralId), field: 'version', equals: version },
                    { key: keys.onboarding(party.referralId), field: 'status', equals: 'active' },
                  ],
                },
              },
            ]
          : []),
      ],
      iso,
    );
    const next: BookingRecord = {
      referralId: party.referralId,
      personId: party.personId,
      programme: party.programme,
      status: 'booked',
      sessionId,
      startsAt: session.startsAt,
      version,
      noShows: booking?.noShows ?? 0,
      ...(reminderAt ? { reminderAt, reminderIds: outbox.flatMap((o) => (o.Put.Item.cause === reminderCause ? [String(o.Put.Item.notificationId)] : [])) } : {}),
      updatedAt: iso,
    };
    const attendee: AttendeeRecord = {
      sessionId,
      referralId: party.referralId,
      personId: party.personId,
      programme: party.programme,
      firstName: party.referral.youngPerson.firstName,
      lastName: party.referral.youngPerson.lastName,
      minor: party.minor,
      bookedAt: iso,
    };
    const items: TransactItem[] = [
      takeSeat(table, { key: keys.session(sessionId), conditions: { expression: 'startsAt > :now AND contains(programmes, :programme)', values: { ':now': iso, ':programme': party.programme } } }),
      { Put: { TableName: table, Item: { ...keys.sessionAttendee(sessionId, party.referralId), type: 'session-attendee', ...attendee } } },
      {
        Put: {
          TableName: table,
          Item: { ...keys.sessionBooking(party.referralId), type: 'session-booking', ...next },
          ConditionExpression: booking ? 'version = :version' : 'attribute_not_exists(pk)',
          ...(booking ? { ExpressionAttributeValues: { ':version': booking.version } } : {}),
        },
      },
      // The step still waits for a session (not settled meanwhile by staff, nor the onboarding ended).
      {
        ConditionCheck: {
          TableName: table,
          Key: keys.onboardingStep(party.referralId, 'information-session'),
          ConditionExpression: STEP_OPEN.expression,
          ExpressionAttributeNames: STEP_OPEN.names,
          ExpressionAttributeValues: STEP_OPEN.values,
        },
      },
      ...(held ? leaveSession(table, held.sessionId, party.referralId) : []),
      ...cancelReminders(table, party.personId, booking, iso),
      ...outbox,
      ...timelinePut(table, party.personId, {
        at: iso,
        eventId: `session-booked#${party.referralId}#${version}`,
        type: held ? 'session-changed' : 'session-booked',
        label: `${held ? "Réunion d'information changée" : "Réunion d'information choisie"} : ${sessionDateLabel(session.startsAt)}, ${session.place}`,
        actor,
        referralId: party.referralId,
      }),
    ];
    try {
      await db().send(new TransactWriteCommand({ TransactItems: items }));
      return { booking: next, session: { ...session, seatsTaken: session.seatsTaken + 1 }, changed: true, cause: confirmCause };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // Full meanwhile, or the booking moved (another request of the same person): the next read says which.
      // Another transaction on the same session at the same moment: wait a little before trying again.
      if (isRetryableConflict(error)) await pause(Math.min(attempt, 6));
    }
  }
  throw new ConflictError('Trop de demandes en même temps sur cette réunion : réessayez dans un instant.');
}

/** The seat a booking leaves: the counter down, the person off the session's list. */
function leaveSession(table: string, sessionId: string, referralId: string): TransactItem[] {
  return [
    freeSeat(table, { key: keys.session(sessionId) }),
    { Delete: { TableName: table, Key: keys.sessionAttendee(sessionId, referralId), ConditionExpression: 'attribute_not_exists(attendance)' } },
  ];
}

/**
 * The reminder of the seat left, removed from the outbox while it is not due yet (nobody may claim it before then).
 * Once due a sender may hold it: it stays, and the sender cancels it, since the booking moved past its version.
 */
function cancelReminders(table: string, personId: string, booking: BookingRecord | undefined, now: string): TransactItem[] {
  if (!booking?.reminderIds?.length || !booking.reminderAt || booking.reminderAt <= now) return [];
  return booking.reminderIds.map((notificationId) => ({
    Delete: {
      TableName: table,
      Key: keys.notification(personId, notificationId),
      ConditionExpression: '#status = :pending AND nextAttemptAt > :now',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':pending': 'pending', ':now': now },
    },
  }));
}

// --- Attendance ---

export interface AttendanceResult {
  attendee: AttendeeRecord;
  booking: BookingRecord;
  /** What the information-session step becomes: settled by the caller (idempotent), or still open. */
  settle?: 'attended' | 'no-show';
  /** The outbox cause of a re-invitation, to send at once. */
  cause?: string;
  /** False when the same attendance was already recorded. */
  changed: boolean;
}

const settledBy = (attendance: Attendance, booking: BookingRecord): AttendanceResult['settle'] =>
  attendance === 'present' ? 'attended' : booking.status === 'no-show' ? 'no-show' : undefined;

/**
 * Staff record whether a person came to a session, once per (session, person): the same answer again changes
 * nothing; another one is refused. Present settles the step; an absence frees the booking and invites again, the
 * second one without an excuse leaves it to staff (no-show); an excused absence invites again without counting.
 */
export async function recordAttendance(input: { sessionId: string; referralId: string; attendance: Attendance; staff: Staff; now?: Date }): Promise<AttendanceResult> {
  const { sessionId, referralId, attendance, staff } = input;
  const table = tableName();
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const now = input.now ?? new Date();
    const iso = now.toISOString();
    const [found, booking] = await Promise.all([getSessionWithAttendees(sessionId), getBooking(referralId)]);
    if (!found) throw new NotFoundError('Réunion introuvable.');
    const attendee = found.attendees.find((a) => a.referralId === referralId);
    if (!attendee || !booking) throw new NotFoundError("Cette personne n'est pas inscrite à cette réunion.");
    if (attendee.attendance) {
      if (attendee.attendance !== attendance) {
        throw new ConflictError(`La présence de cette personne est déjà enregistrée (${ATTENDANCE_LABELS[attendee.attendance].toLowerCase()}) : elle ne peut plus être modifiée.`);
      }
      return { attendee, booking, settle: settledBy(attendance, booking), changed: false };
    }
    if (found.session.startsAt > iso) throw new ConflictError('La présence se note à partir du début de la réunion.');
    if (booking.status !== 'booked' || booking.sessionId !== sessionId) throw new ConflictError("Cette personne n'est plus inscrite à cette réunion.");

    const effect = attendanceEffect(attendance, booking.noShows);
    const version = booking.version + 1;
    const status: BookingStatus = effect.settle === 'attended' ? 'attended' : effect.settle === 'no-show' ? 'no-show' : 'to-choose';
    const next: BookingRecord = {
      referralId,
      personId: booking.personId,
      programme: booking.programme,
      status,
      ...(status === 'attended' ? { sessionId, startsAt: booking.startsAt } : {}),
      version,
      noShows: effect.noShows,
      updatedAt: iso,
    };
    const recorded: AttendeeRecord = { ...attendee, attendance, attendanceAt: iso, attendanceBy: { id: staff.id, name: staff.name } };
    const cause = effect.reinvite ? `session-reinvitation#${referralId}#${version}` : undefined;
    const party = effect.reinvite ? await loadOnboardingParty(referralId) : undefined;
    const items: TransactItem[] = [
      {
        Update: {
          TableName: table,
          Key: keys.sessionAttendee(sessionId, referralId),
          UpdateExpression: 'SET attendance = :attendance, attendanceAt = :now, attendanceBy = :by',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(attendance)',
          ExpressionAttributeValues: { ':attendance': attendance, ':now': iso, ':by': recorded.attendanceBy },
        },
      },
      {
        Put: {
          TableName: table,
          Item: { ...keys.sessionBooking(referralId), type: 'session-booking', ...next },
          ConditionExpression: 'version = :version',
          ExpressionAttributeValues: { ':version': booking.version },
        },
      },
      ...timelinePut(table, booking.personId, {
        at: iso,
        eventId: `session-attendance#${sessionId}#${referralId}`,
        type: `session-${attendance}`,
        label: `Réunion d'information du ${sessionDateLabel(found.session.startsAt)} : ${ATTENDANCE_LABELS[attendance].toLowerCase()}${
          effect.reinvite ? ', nouvelle invitation envoyée' : effect.settle === 'no-show' ? ", deuxième absence : à revoir par l'équipe" : ''
        }`,
        actor: staff,
        referralId,
      }),
      ...(party && cause ? outboxPuts(table, booking.personId, cause, invitationDrafts(party.referral, 'session-reinvitation'), iso, { referralId }) : []),
    ];
    try {
      await db().send(new TransactWriteCommand({ TransactItems: items }));
      return { attendee: recorded, booking: next, settle: effect.settle, cause, changed: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      if (isRetryableConflict(error)) await pause(Math.min(attempt, 6));
    }
  }
  throw new ConflictError('Trop de demandes en même temps : réessayez dans un instant.');
}
