import * as z from 'zod/mini';
import { InvalidInputError } from './errors.js';
import { PROGRAMMES, PROGRAMME_RULES, type Programme } from './programmes.js';
import { PARIS, isIsoDate, wallClockParts } from './time.js';
import { choice, parseOrThrow, text, toFieldErrors } from './validation.js';

/**
 * Information sessions ("réunions d'information") and the diagnosis interview ("entretien de diagnostic"):
 * staff create sessions on the cooperative's clock (Europe/Paris), a young person picks one of their programme
 * with a seat left, may change until the day before, and staff record who came.
 */

// --- Paris wall clock ---

/**
 * The instant (UTC ISO) a Paris wall-clock time happens, or undefined for a time the clocks skip (02:30 on the
 * last Sunday of March). A time that happens twice (02:30 on the last Sunday of October) is the first one.
 * @example parisInstant('2026-03-30', '10:00') // '2026-03-30T08:00:00.000Z' (summer time)
 */
export function parisInstant(date: string, time: string): string | undefined {
  if (!isIsoDate(date) || !/^([01]\d|2[0-3]):[0-5]\d$/.test(time)) return undefined;
  const instant = candidates(date, time).find((c) => c.readsBack)?.instant;
  return instant === undefined ? undefined : new Date(instant).toISOString();
}

/** Paris is 2 hours ahead of UTC in summer, 1 in winter: the wall time read back tells which holds (both, once a year). */
function candidates(date: string, time: string): Array<{ instant: number; readsBack: boolean }> {
  const [y, m, d] = date.split('-').map(Number);
  const [hh, mm] = time.split(':').map(Number);
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  return [2, 1].map((offsetHours) => {
    const instant = wall - offsetHours * 3_600_000;
    const back = wallClockParts(instant, PARIS);
    return { instant, readsBack: back.year === y && back.month === m && back.day === d && back.hour === hh && back.minute === mm };
  });
}

/** The Paris calendar date and time of an instant: `{ date: '2026-03-30', time: '10:00' }`. */
export function parisDateTime(iso: string): { date: string; time: string } {
  const p = wallClockParts(new Date(iso), PARIS);
  const two = (n: number) => String(n).padStart(2, '0');
  return { date: `${p.year}-${two(p.month)}-${two(p.day)}`, time: `${two(p.hour)}:${two(p.minute)}` };
}

/**
 * The same Paris wall-clock time `days` calendar days earlier: a session on Monday at 10:00 is reminded on Saturday
 * at 10:00, summer or winter time, even when the clocks change in between (47 or 49 hours then). A time the clocks
 * skip that day moves an hour later.
 * @example parisDaysBefore('2026-03-30T08:00:00.000Z', 2) // '2026-03-28T09:00:00.000Z' (Saturday 10:00, winter time)
 */
export function parisDaysBefore(iso: string, days: number): string {
  const { date, time } = parisDateTime(iso);
  const [y, m, d] = date.split('-').map(Number);
  const earlier = new Date(Date.UTC(y, m - 1, d - days)).toISOString().slice(0, 10);
  // A skipped time read with the winter offset is the hour after the gap.
  return parisInstant(earlier, time) ?? new Date(candidates(earlier, time)[1]!.instant).toISOString();
}

/** "lundi 30 mars 2026 à 10:00", in Paris time, as messages and pages say it. */
export function sessionDateLabel(iso: string): string {
  const date = new Date(iso);
  const day = new Intl.DateTimeFormat('fr-FR', { timeZone: PARIS, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(date);
  const time = new Intl.DateTimeFormat('fr-FR', { timeZone: PARIS, hour: '2-digit', minute: '2-digit' }).format(date);
  return `${day} à ${time}`;
}

// --- Rules ---

/** A reminder goes two days before, at the session's time of day (Paris). */
export const REMINDER_DAYS_BEFORE = 2;
/** A young person may change their session until the day before, at the session's time of day (Paris). */
export const CHANGE_DAYS_BEFORE = 1;
/** The second absence without an excuse ends the invitations: staff review the path. */
export const NO_SHOWS_BEFORE_REVIEW = 2;

export const SESSION_LIMITS = { minCapacity: 1, maxCapacity: 200, minDuration: 15, maxDuration: 480, defaultDuration: 120 } as const;

export interface SessionFacts {
  startsAt: string;
  capacity: number;
  seatsTaken: number;
  programmes: readonly Programme[];
}

/** When a booking can no longer be changed: the day before, at the session's time. */
export const changeDeadlineOf = (startsAt: string): string => parisDaysBefore(startsAt, CHANGE_DAYS_BEFORE);

/** When the reminder of a session goes, or undefined when that time has passed (a late booking: its confirmation suffices). */
export function reminderTimeOf(startsAt: string, now: Date): string | undefined {
  const at = parisDaysBefore(startsAt, REMINDER_DAYS_BEFORE);
  return at > now.toISOString() ? at : undefined;
}

export const seatsLeft = (session: Pick<SessionFacts, 'capacity' | 'seatsTaken'>): number => Math.max(0, session.capacity - session.seatsTaken);

/** A session a young person of `programme` may choose now: theirs, not started, with a seat left. */
export function isChoosable(session: SessionFacts, programme: Programme, now: Date): boolean {
  return session.programmes.includes(programme) && session.startsAt > now.toISOString() && seatsLeft(session) > 0;
}

/** Why a young person cannot choose a session (in French), or undefined when they can; `full` is answered apart (409). */
export function choiceRefusal(session: SessionFacts, programme: Programme, now: Date): { reason: 'programme' | 'past' | 'full'; message: string } | undefined {
  if (!session.programmes.includes(programme)) return { reason: 'programme', message: "Cette réunion n'est pas proposée pour votre programme : choisissez-en une autre dans la liste." };
  if (session.startsAt <= now.toISOString()) return { reason: 'past', message: 'Cette réunion a déjà commencé ou est passée : choisissez-en une autre dans la liste.' };
  if (seatsLeft(session) === 0) return { reason: 'full', message: SESSION_FULL_MESSAGE };
  return undefined;
}

export const SESSION_FULL_MESSAGE = 'Cette réunion est complète : toutes les places ont été prises. Choisissez une autre date dans la liste.';

/** A booking can move to another session until the deadline of the one it holds. */
export function changeRefusal(currentStartsAt: string, now: Date): string | undefined {
  const deadline = changeDeadlineOf(currentStartsAt);
  if (now.toISOString() < deadline) return undefined;
  return `Vous ne pouvez plus changer de réunion moins de 24 h avant : votre réunion du ${sessionDateLabel(currentStartsAt)} est maintenue. Si vous ne pouvez pas venir, prévenez l'équipe.`;
}

// --- Attendance ---

export const ATTENDANCES = ['present', 'absent', 'excused'] as const;
export type Attendance = (typeof ATTENDANCES)[number];
export const ATTENDANCE_LABELS: Record<Attendance, string> = { present: 'Présent(e)', absent: 'Absent(e)', excused: 'Absent(e) excusé(e)' };

/** Where a young person's information session stands, on their booking. */
export const BOOKING_STATUSES = ['to-choose', 'booked', 'attended', 'no-show'] as const;
export type BookingStatus = (typeof BOOKING_STATUSES)[number];
export const BOOKING_STATUS_LABELS: Record<BookingStatus, string> = {
  'to-choose': 'Réunion à choisir',
  booked: 'Réunion choisie',
  attended: 'Réunion suivie',
  'no-show': 'Absences répétées : en attente de l’équipe',
};

/**
 * What one attendance does to the path: present settles the step; an absence re-invites, and the second one
 * without an excuse becomes a no-show for staff to review; an excused absence re-invites without counting.
 * @example attendanceEffect('absent', 1) // { settle: 'no-show', noShows: 2 }
 */
export function attendanceEffect(attendance: Attendance, noShowsBefore: number): { settle?: 'attended' | 'no-show'; reinvite: boolean; noShows: number } {
  if (attendance === 'present') return { settle: 'attended', reinvite: false, noShows: noShowsBefore };
  if (attendance === 'excused') return { reinvite: true, noShows: noShowsBefore };
  const noShows = noShowsBefore + 1;
  return noShows >= NO_SHOWS_BEFORE_REVIEW ? { settle: 'no-show', reinvite: false, noShows } : { reinvite: true, noShows };
}

// --- Input schemas (French messages, field by field) ---

const dateField = z.string('Une date au format AAAA-MM-JJ.').check(z.refine(isIsoDate, 'Une date réelle au format AAAA-MM-JJ.'));
const timeField = z.string('Une heure au format HH:MM.').check(z.regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'Une heure au format HH:MM (de 00:00 à 23:59).'));
const idField = (message: string) => z.string(message).check(z.regex(/^(?!\.+$)[A-Za-z0-9._~-]{1,200}$/, message));

export const sessionInputSchema = z.strictObject(
  {
    date: dateField,
    time: timeField,
    durationMinutes: z.optional(
      z.number('Une durée en minutes.').check(
        z.int('Une durée en minutes entières.'),
        z.gte(SESSION_LIMITS.minDuration, `Au moins ${SESSION_LIMITS.minDuration} minutes.`),
        z.lte(SESSION_LIMITS.maxDuration, `${SESSION_LIMITS.maxDuration} minutes au maximum.`),
      ),
    ),
    place: text({ max: 200 }),
    capacity: z.number('Un nombre de places.').check(
      z.int('Un nombre entier de places.'),
      z.gte(SESSION_LIMITS.minCapacity, 'Au moins une place.'),
      z.lte(SESSION_LIMITS.maxCapacity, `${SESSION_LIMITS.maxCapacity} places au maximum.`),
    ),
    programmes: z.array(choice(PROGRAMMES, 'Programme inconnu.'), 'Une liste de programmes.').check(
      z.minLength(1, 'Choisissez au moins un programme.'),
      z.refine((list) => new Set(list).size === list.length, 'Chaque programme une seule fois.'),
    ),
  },
  'Le contenu doit être un objet JSON.',
);
export type SessionInput = z.infer<typeof sessionInputSchema>;

/** The session's start as an instant, checked: a real Paris time, in the future. */
export function parseSessionInput(input: unknown, now: Date): SessionInput & { startsAt: string; durationMinutes: number } {
  const parsed = parseOrThrow(sessionInputSchema, input, 'La réunion contient des erreurs.');
  const startsAt = parisInstant(parsed.date, parsed.time);
  if (!startsAt) throw new InvalidInputError('La réunion contient des erreurs.', [{ field: 'time', message: "Cette heure n'existe pas à Paris ce jour-là (changement d'heure)." }]);
  if (startsAt <= now.toISOString()) throw new InvalidInputError('La réunion contient des erreurs.', [{ field: 'date', message: 'La réunion doit avoir lieu dans le futur.' }]);
  return { ...parsed, startsAt, durationMinutes: parsed.durationMinutes ?? SESSION_LIMITS.defaultDuration };
}

export const sessionChoiceSchema = z.strictObject({ sessionId: idField('Réunion inconnue : choisissez-en une dans la liste.') }, 'Le contenu doit être un objet JSON.');

export const attendanceSchema = z.strictObject(
  {
    referralId: idField('Personne inconnue pour cette réunion.'),
    attendance: choice(ATTENDANCES, 'Présence inconnue (present, absent ou excused).'),
  },
  'Le contenu doit être un objet JSON.',
);
export type AttendanceInput = z.infer<typeof attendanceSchema>;

// --- Diagnosis interview ---

export const DIAGNOSIS_MODES = ['place', 'phone'] as const;
export type DiagnosisMode = (typeof DIAGNOSIS_MODES)[number];
export const DIAGNOSIS_MODE_LABELS: Record<DiagnosisMode, string> = { place: 'Sur place', phone: 'Par téléphone' };
/** Where the interview stands: nothing yet, scheduled (it may still move), recorded (final). */
export type DiagnosisStatus = 'to-schedule' | 'scheduled' | 'recorded';
export const DIAGNOSIS_STATUS_LABELS: Record<DiagnosisStatus, string> = { 'to-schedule': 'À planifier', scheduled: 'Planifié', recorded: 'Enregistré' };
/** Each free-text part of the interview's record; they never reach a log. */
export const DIAGNOSIS_TEXT_MAX = 4000;

const diagnosisScheduleSchema = z.strictObject(
  {
    action: z.literal('schedule'),
    date: dateField,
    time: timeField,
    mode: choice(DIAGNOSIS_MODES, 'Mode inconnu (place ou phone).'),
    place: z.optional(text({ max: 200 })),
  },
  'Le contenu doit être un objet JSON.',
);

const diagnosisRecordSchema = z.strictObject(
  {
    action: z.literal('record'),
    goals: text({ max: DIAGNOSIS_TEXT_MAX }),
    skills: text({ max: DIAGNOSIS_TEXT_MAX }),
    needs: text({ max: DIAGNOSIS_TEXT_MAX }),
    notes: z.optional(text({ min: 0, max: DIAGNOSIS_TEXT_MAX })),
  },
  'Le contenu doit être un objet JSON.',
);

export type DiagnosisSchedule = z.infer<typeof diagnosisScheduleSchema> & { scheduledAt: string };
export type DiagnosisRecord = z.infer<typeof diagnosisRecordSchema>;
export type DiagnosisInput = DiagnosisSchedule | DiagnosisRecord;

/**
 * Staff schedule the interview (`action: 'schedule'`, a Paris date and time, on site with its place or by phone)
 * or record it (`action: 'record'`: goals, skills, needs, notes).
 */
export function parseDiagnosisInput(input: unknown, now: Date): DiagnosisInput {
  const message = "L'entretien contient des erreurs.";
  const action = typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as { action?: unknown }).action : undefined;
  if (action === 'record') return parseOrThrow(diagnosisRecordSchema, input, message);
  if (action !== 'schedule') {
    const errors = typeof input === 'object' && input !== null && !Array.isArray(input)
      ? [{ field: 'action', message: action === undefined ? 'Ce champ est obligatoire.' : 'Action inconnue (schedule pour planifier, record pour enregistrer).' }]
      : toFieldErrors(z.object({}).safeParse(input).error?.issues ?? []);
    throw new InvalidInputError(message, errors);
  }
  const parsed = parseOrThrow(diagnosisScheduleSchema, input, message);
  if (parsed.mode === 'place' && !parsed.place) throw new InvalidInputError(message, [{ field: 'place', message: "Le lieu est obligatoire pour un entretien sur place." }]);
  const scheduledAt = parisInstant(parsed.date, parsed.time);
  if (!scheduledAt) throw new InvalidInputError(message, [{ field: 'time', message: "Cette heure n'existe pas à Paris ce jour-là (changement d'heure)." }]);
  if (scheduledAt <= now.toISOString()) throw new InvalidInputError(message, [{ field: 'date', message: "L'entretien doit avoir lieu dans le futur." }]);
  return { ...parsed, scheduledAt };
}

/** "Accompagnement individuel (18-29 ans), Coopérative Jeunes Majeurs (18-29 ans)". */
export const programmesLabel = (programmes: readonly Programme[]): string => programmes.map((p) => PROGRAMME_RULES[p].label).join(', ');
