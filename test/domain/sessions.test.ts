import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../shared/domain/errors.js';
import {
  attendanceEffect,
  changeDeadlineOf,
  changeRefusal,
  choiceRefusal,
  isChoosable,
  parisDateTime,
  parisDaysBefore,
  parisInstant,
  parseDiagnosisInput,
  parseSessionInput,
  reminderTimeOf,
  sessionDateLabel,
} from '../../shared/domain/sessions.js';

const fieldsOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return (error as InvalidInputError).errors.map((e) => e.field).sort();
  }
  throw new Error('expected an InvalidInputError');
};

describe('a session time is a Paris wall-clock time, stored as an instant', () => {
  it('reads winter and summer times with their own offset', () => {
    expect(parisInstant('2026-01-15', '14:00')).toBe('2026-01-15T13:00:00.000Z');
    expect(parisInstant('2026-07-15', '14:00')).toBe('2026-07-15T12:00:00.000Z');
    expect(parisDateTime('2026-07-15T12:00:00.000Z')).toEqual({ date: '2026-07-15', time: '14:00' });
    expect(sessionDateLabel('2026-03-30T08:00:00.000Z')).toBe('lundi 30 mars 2026 à 10:00');
  });

  it('refuses the half hour the clocks skip in March, and takes the first of the two in October', () => {
    expect(parisInstant('2026-03-29', '02:30')).toBeUndefined();
    expect(parisInstant('2026-03-29', '03:00')).toBe('2026-03-29T01:00:00.000Z');
    expect(parisInstant('2026-10-25', '02:30')).toBe('2026-10-25T00:30:00.000Z');
    expect(parisInstant('2026-02-30', '10:00')).toBeUndefined();
    expect(parisInstant('2026-02-10', '24:00')).toBeUndefined();
  });
});

describe('the reminder goes two days before, at the session time of day in Paris', () => {
  it('stays at 10:00 across the change to summer time (47 hours before)', () => {
    const session = parisInstant('2026-03-30', '10:00')!; // Monday, summer time
    const reminder = reminderTimeOf(session, new Date('2026-03-01T00:00:00Z'))!;
    expect(parisDateTime(reminder)).toEqual({ date: '2026-03-28', time: '10:00' }); // Saturday, winter time
    expect((Date.parse(session) - Date.parse(reminder)) / 3_600_000).toBe(47);
  });

  it('stays at 18:30 across the change to winter time (49 hours before)', () => {
    const session = parisInstant('2026-10-26', '18:30')!;
    const reminder = reminderTimeOf(session, new Date('2026-10-01T00:00:00Z'))!;
    expect(parisDateTime(reminder)).toEqual({ date: '2026-10-24', time: '18:30' });
    expect((Date.parse(session) - Date.parse(reminder)) / 3_600_000).toBe(49);
  });

  it('is 48 hours before on an ordinary week, and none when that time has passed', () => {
    const session = parisInstant('2026-11-27', '14:00')!;
    expect(reminderTimeOf(session, new Date('2026-11-01T00:00:00Z'))).toBe('2026-11-25T13:00:00.000Z');
    expect(reminderTimeOf(session, new Date('2026-11-25T13:00:00.000Z'))).toBeUndefined();
  });

  it('moves an hour later when the time of day does not exist that day', () => {
    expect(parisDateTime(parisDaysBefore(parisInstant('2026-03-31', '02:30')!, 2))).toEqual({ date: '2026-03-29', time: '03:30' });
  });
});

describe('a young person may change their session until the day before', () => {
  const session = parisInstant('2026-03-30', '10:00')!;

  it('until Sunday 10:00 for a Monday 10:00 session, across the clock change', () => {
    expect(parisDateTime(changeDeadlineOf(session))).toEqual({ date: '2026-03-29', time: '10:00' });
    expect(changeRefusal(session, new Date(Date.parse(changeDeadlineOf(session)) - 1000))).toBeUndefined();
    expect(changeRefusal(session, new Date(changeDeadlineOf(session)))).toContain('moins de 24 h avant');
    expect(changeRefusal(session, new Date(changeDeadlineOf(session)))).toContain('lundi 30 mars 2026 à 10:00');
  });
});

describe('a young person chooses among the sessions of their programme with a seat left, in the future', () => {
  const now = new Date('2026-11-01T10:00:00Z');
  const session = { startsAt: '2026-11-20T13:00:00.000Z', capacity: 15, seatsTaken: 14, programmes: ['accompagnement', 'jeunes-majeurs'] as const };

  it('offers a session of the programme with a seat left', () => {
    expect(isChoosable({ ...session, programmes: [...session.programmes] }, 'accompagnement', now)).toBe(true);
    expect(choiceRefusal({ ...session, programmes: [...session.programmes] }, 'jeunes-majeurs', now)).toBeUndefined();
  });

  it('refuses another programme, a past session and a full one, each with its reason', () => {
    expect(choiceRefusal({ ...session, programmes: [...session.programmes] }, 'cjs', now)?.reason).toBe('programme');
    expect(choiceRefusal({ ...session, programmes: [...session.programmes] }, 'accompagnement', new Date('2026-11-20T13:00:00.000Z'))?.reason).toBe('past');
    const full = choiceRefusal({ ...session, programmes: [...session.programmes], seatsTaken: 15 }, 'accompagnement', now);
    expect(full?.reason).toBe('full');
    expect(full?.message).toMatch(/^Cette réunion est complète/);
  });
});

describe('attendance', () => {
  it('present settles the step as attended', () => {
    expect(attendanceEffect('present', 1)).toEqual({ settle: 'attended', reinvite: false, noShows: 1 });
  });
  it('a first absence re-invites, the second one becomes a no-show', () => {
    expect(attendanceEffect('absent', 0)).toEqual({ reinvite: true, noShows: 1 });
    expect(attendanceEffect('absent', 1)).toEqual({ settle: 'no-show', reinvite: false, noShows: 2 });
  });
  it('an excused absence re-invites without counting', () => {
    expect(attendanceEffect('excused', 1)).toEqual({ reinvite: true, noShows: 1 });
  });
});

describe('input, field by field in French', () => {
  const now = new Date('2026-11-01T10:00:00Z');
  const valid = { date: '2026-11-20', time: '14:00', place: 'Maison des associations, Lens', capacity: 15, programmes: ['accompagnement'] };

  it('a session: its start from the Paris date and time, a default duration', () => {
    expect(parseSessionInput(valid, now)).toMatchObject({ startsAt: '2026-11-20T13:00:00.000Z', durationMinutes: 120 });
  });

  it('a session: every wrong field named', () => {
    expect(fieldsOf(() => parseSessionInput({ date: '2026-11-31', time: '25:00', place: '', capacity: 0, programmes: [], extra: 1 }, now))).toEqual(
      ['capacity', 'date', 'extra', 'place', 'programmes', 'time'],
    );
    expect(fieldsOf(() => parseSessionInput({ ...valid, programmes: ['cjs', 'cjs'], capacity: 1.5 }, now))).toEqual(['capacity', 'programmes']);
    expect(fieldsOf(() => parseSessionInput({ ...valid, date: '2026-10-01' }, now))).toEqual(['date']);
    expect(fieldsOf(() => parseSessionInput({ ...valid, date: '2027-03-28', time: '02:15' }, now))).toEqual(['time']);
  });

  it('a diagnosis: scheduled on site needs a place; recorded needs goals, skills and needs', () => {
    expect(parseDiagnosisInput({ action: 'schedule', date: '2026-11-20', time: '10:30', mode: 'phone' }, now)).toMatchObject({ scheduledAt: '2026-11-20T09:30:00.000Z' });
    expect(fieldsOf(() => parseDiagnosisInput({ action: 'schedule', date: '2026-11-20', time: '10:30', mode: 'place' }, now))).toEqual(['place']);
    expect(fieldsOf(() => parseDiagnosisInput({ action: 'record', goals: 'x'.repeat(4001), skills: 1 }, now))).toEqual(['goals', 'needs', 'skills']);
    expect(fieldsOf(() => parseDiagnosisInput({ action: 'plan' }, now))).toEqual(['action']);
    expect(fieldsOf(() => parseDiagnosisInput([], now))).toEqual(['']);
  });
});
