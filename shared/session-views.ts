import { PROGRAMME_RULES } from './domain/programmes.js';
import {
  ATTENDANCE_LABELS,
  BOOKING_STATUS_LABELS,
  DIAGNOSIS_MODE_LABELS,
  DIAGNOSIS_STATUS_LABELS,
  changeDeadlineOf,
  parisDateTime,
  seatsLeft,
  sessionDateLabel,
} from './domain/sessions.js';
import type { AttendeeRecord, BookingRecord, SessionRecord } from './data/sessions.js';
import type { DiagnosisRecord } from './data/diagnoses.js';

/** What the API shows of a session: its start as an instant and in Paris time, its seats. */
export function sessionView(session: SessionRecord) {
  return {
    sessionId: session.sessionId,
    startsAt: session.startsAt,
    ...parisDateTime(session.startsAt),
    label: sessionDateLabel(session.startsAt),
    durationMinutes: session.durationMinutes,
    place: session.place,
    capacity: session.capacity,
    seatsTaken: session.seatsTaken,
    seatsLeft: seatsLeft(session),
    programmes: session.programmes.map((programme) => ({ programme, label: PROGRAMME_RULES[programme].label })),
  };
}
export type SessionView = ReturnType<typeof sessionView>;

/** A person holding a seat, for staff recording attendance (no contact details: the timeline has them). */
export function attendeeView(attendee: AttendeeRecord) {
  return {
    referralId: attendee.referralId,
    personId: attendee.personId,
    firstName: attendee.firstName,
    lastName: attendee.lastName,
    programme: attendee.programme,
    minor: attendee.minor,
    bookedAt: attendee.bookedAt,
    attendance: attendee.attendance,
    attendanceLabel: attendee.attendance ? ATTENDANCE_LABELS[attendee.attendance] : 'À noter',
    attendanceAt: attendee.attendanceAt,
    attendanceBy: attendee.attendanceBy?.name,
  };
}
export type AttendeeView = ReturnType<typeof attendeeView>;

/** What a young person sees of their information session: where they stand, the seat they hold and until when it can change. */
export function bookingView(booking: BookingRecord | undefined, held: SessionRecord | undefined) {
  const status = booking?.status ?? 'to-choose';
  return {
    status,
    statusLabel: BOOKING_STATUS_LABELS[status],
    session: held ? sessionView(held) : undefined,
    changeUntil: held && status === 'booked' ? changeDeadlineOf(held.startsAt) : undefined,
    changeUntilLabel: held && status === 'booked' ? sessionDateLabel(changeDeadlineOf(held.startsAt)) : undefined,
  };
}
export type BookingView = ReturnType<typeof bookingView>;

/** The diagnosis interview for staff: to schedule, then when and how, and once recorded, what was said. */
export function diagnosisView(referralId: string, diagnosis: DiagnosisRecord | undefined) {
  const status = diagnosis?.status ?? 'to-schedule';
  return {
    referralId,
    status,
    statusLabel: DIAGNOSIS_STATUS_LABELS[status],
    scheduledAt: diagnosis?.scheduledAt,
    scheduledLabel: diagnosis?.scheduledAt ? sessionDateLabel(diagnosis.scheduledAt) : undefined,
    mode: diagnosis?.mode,
    modeLabel: diagnosis?.mode ? DIAGNOSIS_MODE_LABELS[diagnosis.mode] : undefined,
    place: diagnosis?.place,
    scheduledBy: diagnosis?.scheduledBy?.name,
    record: diagnosis?.record,
    recordedAt: diagnosis?.recordedAt,
    recordedBy: diagnosis?.recordedBy?.name,
  };
}
export type DiagnosisView = ReturnType<typeof diagnosisView>;
