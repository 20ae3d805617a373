import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { LocalSchedule } from './template.js';

/** What a schedule can call: the local Lambda runtime and the local Step Functions engine. */
export interface ScheduleTarget {
  invokeFunction(arn: string, payload: unknown): Promise<unknown>;
  startExecution(stateMachineArn: string, input: string, name: string): Promise<unknown>;
}

export interface LocalSchedulerOptions {
  schedules: LocalSchedule[];
  target: ScheduleTarget;
  /** JSON file keeping each schedule's last fire time across restarts. */
  stateFile: string;
  now?: () => Date;
  /** Polling period (default 1000 ms); no timer is ever longer. */
  tickMs?: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** The year range EventBridge accepts in a cron expression. */
const MIN_YEAR = 1970;
const MAX_YEAR = 2199;
/** Step Functions' limit on an execution name. */
const MAX_EXECUTION_NAME = 80;

const LAMBDA_ARN = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:/;
const STATE_MACHINE_ARN = /^arn:[^:]+:states:[^:]*:[^:]*:stateMachine:/;

// ---------------------------------------------------------------------------------------------------------------
// Time zones. A "wall" time is a local date-time encoded as if it were UTC (Date.UTC of its fields), which keeps
// calendar arithmetic free of any zone; `offsetAt` and `resolveWall` convert between walls and instants.

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/** The wall clock of `timezone` minus UTC at `instant`, in ms (Intl names it, e.g. "GMT+02:00"). Throws on an unknown zone. */
function offsetAt(timezone: string, instant: number): number {
  let formatter = offsetFormatters.get(timezone);
  if (!formatter) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', { timeZone: timezone, timeZoneName: 'longOffset' });
    } catch {
      throw new Error(`Unknown time zone ${timezone}`);
    }
    offsetFormatters.set(timezone, formatter);
  }
  const name = formatter.formatToParts(instant).find((part) => part.type === 'timeZoneName')?.value ?? 'GMT';
  const match = /^GMT([+-])(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(name);
  if (!match) return 0;
  const ms = (Number(match[2]) * 3600 + Number(match[3]) * 60 + Number(match[4] ?? 0)) * 1000;
  return match[1] === '-' ? -ms : ms;
}

/**
 * The instant at which `timezone` shows `wall`. In a fall-back overlap it is the first of the two (so a time fires
 * once); in a spring-forward gap the time does not exist, and the instant is the wall shifted forward by the gap.
 */
function resolveWall(wall: number, timezone: string): { instant: number; exists: boolean } {
  // Offsets a day either side bound the transition, if any, that the wall falls near.
  const offsets = [...new Set([wall - DAY, wall, wall + DAY].map((t) => offsetAt(timezone, t)))];
  const valid = offsets.map((offset) => wall - offset).filter((instant) => offsetAt(timezone, instant) === wall - instant);
  if (valid.length > 0) return { instant: Math.min(...valid), exists: true };
  return { instant: wall - Math.min(...offsets), exists: false };
}

// ---------------------------------------------------------------------------------------------------------------
// Expressions.

interface CronField {
  name: string;
  min: number;
  max: number;
  /** cyclic fields accept wrapping ranges such as FRI-MON */
  cyclic: boolean;
  names?: string[];
}

const MINUTES: CronField = { name: 'minutes', min: 0, max: 59, cyclic: true };
const HOURS: CronField = { name: 'hours', min: 0, max: 23, cyclic: true };
const DAYS_OF_MONTH: CronField = { name: 'day-of-month', min: 1, max: 31, cyclic: false };
const MONTHS: CronField = {
  name: 'month',
  min: 1,
  max: 12,
  cyclic: true,
  names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
};
const DAYS_OF_WEEK: CronField = { name: 'day-of-week', min: 1, max: 7, cyclic: true, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] };
const YEARS: CronField = { name: 'year', min: MIN_YEAR, max: MAX_YEAR, cyclic: false };

/** Whether a day matches, given its month's facts. */
type DayMatcher = (day: number, weekday: number, lastDay: number, year: number, month: number) => boolean;

interface Cron {
  minutes: number[];
  hours: number[];
  months: number[];
  years: number[];
  days: DayMatcher[];
}

type Expression = { kind: 'rate'; periodMs: number } | { kind: 'at'; wall: number } | { kind: 'cron'; cron: Cron };

const RATE_UNITS: Record<string, number> = { minute: MINUTE, hour: HOUR, day: DAY };

function parseValue(text: string, field: CronField): number {
  const index = field.names?.indexOf(text.toUpperCase()) ?? -1;
  const value = index >= 0 ? field.min + index : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(value >= field.min && value <= field.max)) throw new Error(`${text} is not a valid ${field.name} value`);
  return value;
}

/** Values of a list of `*`, `a`, `a-b`, each with an optional `/step`. */
function parseValues(text: string, field: CronField): Set<number> {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const match = /^(?:\*|([A-Za-z0-9]+)(?:-([A-Za-z0-9]+))?)(?:\/(\d+))?$/.exec(item);
    if (!match) throw new Error(`${item} is not a valid ${field.name} item`);
    const [, from, to, stepText] = match;
    const step = stepText === undefined ? 1 : Number(stepText);
    if (step < 1) throw new Error(`${item}: the step must be at least 1`);
    const start = from === undefined ? field.min : parseValue(from, field);
    // `*` and `a/step` run to the field's end.
    let end = from === undefined || (to === undefined && stepText !== undefined) ? field.max : to === undefined ? start : parseValue(to, field);
    if (end < start) {
      if (!field.cyclic) throw new Error(`${item} is not a valid ${field.name} range`);
      end += field.max - field.min + 1;
    }
    for (let v = start; v <= end; v += step) values.add(v > field.max ? v - (field.max - field.min + 1) : v);
  }
  return values;
}

const sorted = (values: Set<number>) => [...values].sort((a, b) => a - b);

const weekdayOf = (year: number, month: number, day: number) => new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;

/** The weekday (Monday to Friday) nearest to `day` without leaving the month, as the W wildcard means. */
function nearestWeekday(year: number, month: number, day: number, lastDay: number): number {
  const weekday = weekdayOf(year, month, day);
  if (weekday === 7) return day === 1 ? 3 : day - 1;
  if (weekday === 1) return day === lastDay ? day - 2 : day + 1;
  return day;
}

function parseDaysOfMonth(text: string): DayMatcher[] {
  return text.split(',').map((item): DayMatcher => {
    if (item === 'L') return (day, _weekday, lastDay) => day === lastDay;
    if (item === 'LW') return (day, _weekday, lastDay, year, month) => day === nearestWeekday(year, month, lastDay, lastDay);
    const weekdayMatch = /^(\d+)W$/.exec(item);
    if (weekdayMatch) {
      const target = parseValue(weekdayMatch[1]!, DAYS_OF_MONTH);
      return (day, _weekday, lastDay, year, month) => target <= lastDay && day === nearestWeekday(year, month, target, lastDay);
    }
    const values = parseValues(item, DAYS_OF_MONTH);
    return (day) => values.has(day);
  });
}

function parseDaysOfWeek(text: string): DayMatcher[] {
  return text.split(',').map((item): DayMatcher => {
    if (item === 'L') return (_day, weekday) => weekday === 7;
    const lastMatch = /^([A-Za-z0-9]+)L$/.exec(item);
    if (lastMatch) {
      const target = parseValue(lastMatch[1]!, DAYS_OF_WEEK);
      return (day, weekday, lastDay) => weekday === target && day + 7 > lastDay;
    }
    const nthMatch = /^([A-Za-z0-9]+)#([1-5])$/.exec(item);
    if (nthMatch) {
      const target = parseValue(nthMatch[1]!, DAYS_OF_WEEK);
      const nth = Number(nthMatch[2]);
      return (day, weekday) => weekday === target && Math.ceil(day / 7) === nth;
    }
    const values = parseValues(item, DAYS_OF_WEEK);
    return (_day, weekday) => values.has(weekday);
  });
}

function parseCron(body: string): Cron {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) throw new Error('a cron expression has 6 fields: minutes hours day-of-month month day-of-week year');
  const [minutes, hours, daysOfMonth, months, daysOfWeek, years] = fields as [string, string, string, string, string, string];
  // EventBridge requires exactly one of the two day fields to be '?'.
  if ((daysOfMonth === '?') === (daysOfWeek === '?')) throw new Error('exactly one of day-of-month and day-of-week must be ?');
  return {
    minutes: sorted(parseValues(minutes, MINUTES)),
    hours: sorted(parseValues(hours, HOURS)),
    months: sorted(parseValues(months, MONTHS)),
    years: sorted(parseValues(years, YEARS)),
    days: daysOfMonth === '?' ? parseDaysOfWeek(daysOfWeek) : parseDaysOfMonth(daysOfMonth),
  };
}

function parseRate(value: string, unit: string): number {
  const count = Number(value);
  const singular = unit.replace(/s$/, '');
  // EventBridge rejects 'rate(1 minutes)' and 'rate(5 minute)'.
  if (!(count >= 1) || !(singular in RATE_UNITS) || (count === 1) !== (singular === unit)) throw new Error(`rate(${value} ${unit}) is not a valid rate`);
  return count * RATE_UNITS[singular]!;
}

function parseAt(text: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(text);
  const [year, month, day, hour, minute, second] = (match?.slice(1) ?? []).map(Number) as number[];
  const wall = match ? Date.UTC(year!, month! - 1, day!, hour!, minute!, second!) : NaN;
  if (Number.isNaN(wall) || new Date(wall).toISOString().slice(0, 19) !== text) throw new Error(`at(${text}) is not a valid date-time`);
  return wall;
}

const expressions = new Map<string, Expression>();

function parseExpression(expression: string): Expression {
  const cached = expressions.get(expression);
  if (cached) return cached;
  const match = /^(rate|cron|at)\((.*)\)$/s.exec(expression.trim());
  if (!match) throw new Error(`Unsupported schedule expression ${expression}`);
  const kind = match[1] as Expression['kind'];
  const body = match[2]!;
  let result: Expression;
  try {
    if (kind === 'rate') {
      const [value = '', unit = '', ...rest] = body.trim().split(/\s+/);
      if (rest.length > 0) throw new Error('rate(value unit)');
      result = { kind, periodMs: parseRate(value, unit) };
    } else if (kind === 'at') {
      result = { kind, wall: parseAt(body.trim()) };
    } else {
      result = { kind, cron: parseCron(body) };
    }
  } catch (error) {
    throw new Error(`Invalid schedule expression ${expression}: ${(error as Error).message}`);
  }
  expressions.set(expression, result);
  return result;
}

/** Wall times matching the cron, in order, from `startWall` on (a minute boundary). */
function* cronWalls(cron: Cron, startWall: number): Generator<number> {
  const start = new Date(startWall);
  const [startYear, startMonth, startDay, startHour, startMinute] = [
    start.getUTCFullYear(),
    start.getUTCMonth() + 1,
    start.getUTCDate(),
    start.getUTCHours(),
    start.getUTCMinutes(),
  ];
  for (const year of cron.years) {
    if (year < startYear) continue;
    for (const month of cron.months) {
      if (year === startYear && month < startMonth) continue;
      const sameMonth = year === startYear && month === startMonth;
      const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
      for (let day = sameMonth ? startDay : 1; day <= lastDay; day++) {
        const weekday = weekdayOf(year, month, day);
        if (!cron.days.some((matches) => matches(day, weekday, lastDay, year, month))) continue;
        const sameDay = sameMonth && day === startDay;
        for (const hour of cron.hours) {
          if (sameDay && hour < startHour) continue;
          const sameHour = sameDay && hour === startHour;
          for (const minute of cron.minutes) {
            if (!(sameHour && minute < startMinute)) yield Date.UTC(year, month - 1, day, hour, minute);
          }
        }
      }
    }
  }
}

function nextInstant(expression: Expression, timezone: string, after: number): number | null {
  if (expression.kind === 'rate') {
    // Rates run on a grid from the Unix epoch, so every process agrees on the occurrences.
    return (Math.floor(after / expression.periodMs) + 1) * expression.periodMs;
  }
  if (expression.kind === 'at') {
    const { instant } = resolveWall(expression.wall, timezone);
    return instant > after ? instant : null;
  }
  const localAfter = after + offsetAt(timezone, after);
  for (const wall of cronWalls(expression.cron, Math.floor(localAfter / MINUTE) * MINUTE + MINUTE)) {
    const { instant, exists } = resolveWall(wall, timezone);
    // A time inside a spring-forward gap is skipped, as EventBridge Scheduler does; in a fall-back overlap the
    // first instant is the one, so the repeated hour's walls resolve to the past and do not fire again.
    if (exists && instant > after) return instant;
  }
  return null;
}

/**
 * The first time strictly after `after` at which the schedule fires, or null when it never fires again.
 * Accepts `rate(value unit)`, EventBridge 6-field `cron(...)` and `at(yyyy-mm-ddThh:mm:ss)`; cron and at are
 * evaluated in `timezone` (IANA, default UTC). Throws on an invalid expression or time zone.
 * @example nextFireTime('cron(0 6 1 * ? *)', 'Europe/Paris', new Date('2026-03-15T00:00:00Z')) // 2026-04-01T04:00:00.000Z
 */
export function nextFireTime(expression: string, timezone: string | undefined, after: Date): Date | null {
  const next = nextInstant(parseExpression(expression), timezone ?? 'UTC', after.getTime());
  return next === null ? null : new Date(next);
}

/** The last time in (after, until] at which the schedule fires, or null. */
function latestInstant(expression: Expression, timezone: string, after: number, until: number): number | null {
  const first = nextInstant(expression, timezone, after);
  if (first === null || first > until) return null;
  // Bisection keeps a long stop (a minutely cron left for months) cheap: `latest` is an occurrence,
  // and nothing fires in (bound, until].
  let latest = first;
  let bound = until;
  while (bound - latest > SECOND) {
    const middle = Math.floor((latest + bound) / 2);
    const next = nextInstant(expression, timezone, middle);
    if (next !== null && next <= until) latest = next;
    else bound = middle;
  }
  return latest;
}

// ---------------------------------------------------------------------------------------------------------------
// The scheduler.

/** A schedule and all its targets (an EventBridge rule may have several, listed under one logical id). */
interface Job {
  logicalId: string;
  name: string;
  expression: string;
  timezone: string;
  targets: Array<LocalSchedule['target']>;
  /** null when the expression cannot run locally */
  parsed: Expression | null;
}

interface ScheduleState {
  /** when the scheduler first saw the schedule: occurrences before it were never due locally */
  since: string;
  /** the scheduled time of the last occurrence fired */
  lastFireTime?: string;
}

/** A Step Functions name from the schedule name and the scheduled time, so one occurrence starts one execution. */
function executionName(scheduleName: string, scheduled: number): string {
  const stamp = new Date(scheduled).toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
  const prefix = scheduleName.replace(/[^A-Za-z0-9_-]/g, '-');
  const room = MAX_EXECUTION_NAME - stamp.length - 1;
  const fitted = prefix.length <= room ? prefix : `${prefix.slice(0, room - 9)}-${createHash('sha256').update(scheduleName).digest('hex').slice(0, 8)}`;
  return `${fitted}-${stamp}`;
}

/** A fire of a schedule: when, whether by hand, and the error's name when a target failed. */
export interface ScheduleRun {
  at: string;
  manual: boolean;
  error?: string;
}

export interface ScheduleInfo {
  logicalId: string;
  name: string;
  expression: string;
  /** IANA time zone of cron and at expressions */
  timezone: string;
  /** ARNs of the schedule's targets */
  targets: string[];
  /** ISO time of the next fire, null when it never fires again or cannot run locally */
  next: string | null;
  lastRun: ScheduleRun | null;
}

const errorName = (error: unknown) => (error instanceof Error ? error.name : typeof error);

/**
 * A local EventBridge Scheduler: polls every `tickMs`, fires each template schedule at its times (rate, cron and
 * at, in the schedule's time zone) and keeps the last fire times in `stateFile`, so a restart does not fire an
 * occurrence again and an occurrence missed while stopped fires once at start.
 * Targets: Lambda functions (payload = the target input) and state machines (deterministic execution names).
 * @example const scheduler = new LocalScheduler({ schedules: app.schedules, target, stateFile: '.local/data/scheduler.json' }); scheduler.start();
 */
export class LocalScheduler {
  private readonly jobs: Job[] = [];
  private readonly target: ScheduleTarget;
  private readonly stateFile: string;
  private readonly now: () => Date;
  private readonly tickMs: number;
  private state: Record<string, ScheduleState> = {};
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  /** State writes are chained so the file always ends with the latest state. */
  private writes: Promise<void> = Promise.resolve();
  private readonly warned = new Set<string>();
  /** Runs since start, scheduled or manual; after a restart the last scheduled one comes from the state file. */
  private readonly lastRuns = new Map<string, ScheduleRun>();

  constructor(options: LocalSchedulerOptions) {
    this.target = options.target;
    this.stateFile = options.stateFile;
    this.now = options.now ?? (() => new Date());
    this.tickMs = options.tickMs ?? 1000;
    for (const schedule of options.schedules) {
      const known = this.jobs.find((job) => job.logicalId === schedule.logicalId);
      if (known) {
        known.targets.push(schedule.target);
        continue;
      }
      let expression: Expression | null = null;
      try {
        expression = parseExpression(schedule.expression);
        if (schedule.timezone) offsetAt(schedule.timezone, 0);
      } catch (error) {
        console.warn(`scheduler: ${schedule.name} does not run locally: ${(error as Error).message}`);
      }
      this.jobs.push({
        logicalId: schedule.logicalId,
        name: schedule.name,
        expression: schedule.expression,
        timezone: schedule.timezone ?? 'UTC',
        targets: [schedule.target],
        parsed: expression,
      });
    }
  }

  /** Loads the state file and starts polling; the first poll, right away, fires what was missed while stopped. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.state = this.loadState();
    this.loop();
  }

  /** Stops polling and waits for the fires and state writes in progress. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.ticking;
    await this.writes;
  }

  /** Fires one schedule now, through the same targets as its scheduled fires (the console's "run now", tests). */
  async fireNow(logicalId: string): Promise<void> {
    const job = this.jobs.find((candidate) => candidate.logicalId === logicalId);
    if (!job) throw new Error(`No schedule ${logicalId}`);
    await this.runRecorded(job, Math.floor(this.now().getTime() / SECOND) * SECOND, true);
  }

  /** Dispatches one occurrence and records it as the schedule's last run, with the error's name when a target failed. */
  private async runRecorded(job: Job, scheduled: number, manual: boolean): Promise<void> {
    const run: ScheduleRun = { at: new Date(scheduled).toISOString(), manual };
    try {
      await this.dispatch(job, scheduled);
    } catch (error) {
      run.error = errorName(error);
      throw error;
    } finally {
      this.lastRuns.set(job.logicalId, run);
    }
  }

  /**
   * Each schedule with its next fire time and its last run. An occurrence that is due but not fired yet (missed
   * while stopped, or between two polls) fires at the next poll: its next time is now, not the one after it.
   */
  upcoming(): ScheduleInfo[] {
    const now = this.now().getTime();
    return this.jobs.map((job) => {
      const entry = this.state[job.logicalId];
      let next = job.parsed ? nextInstant(job.parsed, job.timezone, now) : null;
      if (job.parsed && this.running && entry && latestInstant(job.parsed, job.timezone, Date.parse(entry.lastFireTime ?? entry.since), now) !== null) next = now;
      const lastRun = this.lastRuns.get(job.logicalId) ?? (entry?.lastFireTime ? { at: entry.lastFireTime, manual: false } : null);
      return {
        logicalId: job.logicalId,
        name: job.name,
        expression: job.expression,
        timezone: job.timezone,
        targets: job.targets.map((target) => target.arn),
        next: next === null ? null : new Date(next).toISOString(),
        lastRun,
      };
    });
  }

  private loop(): void {
    this.ticking = this.tick()
      .catch((error: unknown) => console.error(`scheduler: poll failed: ${errorName(error)}`))
      .finally(() => {
        this.ticking = undefined;
        if (!this.running) return;
        this.timer = setTimeout(() => this.loop(), this.tickMs);
        this.timer.unref();
      });
  }

  private async tick(): Promise<void> {
    const now = this.now().getTime();
    const fires: Array<Promise<void>> = [];
    let seen = false;
    for (const job of this.jobs) {
      if (!job.parsed) continue;
      const entry = this.state[job.logicalId];
      if (!entry) {
        this.state[job.logicalId] = { since: new Date(now).toISOString() };
        seen = true;
        continue;
      }
      const due = latestInstant(job.parsed, job.timezone, Date.parse(entry.lastFireTime ?? entry.since), now);
      if (due !== null) fires.push(this.fireDue(job, due));
    }
    if (seen) fires.push(this.saveState());
    await Promise.all(fires);
  }

  /** Fires an occurrence once; a failing target is logged, not retried (the state moves on either way). */
  private async fireDue(job: Job, scheduled: number): Promise<void> {
    const at = new Date(scheduled).toISOString();
    try {
      await this.runRecorded(job, scheduled, false);
    } catch (error) {
      console.error(`scheduler: ${job.name} at ${at} failed: ${errorName(error)}`);
    }
    this.state[job.logicalId] = { ...this.state[job.logicalId]!, lastFireTime: at };
    await this.saveState();
  }

  private async dispatch(job: Job, scheduled: number): Promise<void> {
    await Promise.all(
      job.targets.map(async (target) => {
        if (LAMBDA_ARN.test(target.arn)) {
          await this.target.invokeFunction(target.arn, JSON.parse(target.input ?? '{}'));
        } else if (STATE_MACHINE_ARN.test(target.arn)) {
          try {
            await this.target.startExecution(target.arn, target.input ?? '{}', executionName(job.name, scheduled));
          } catch (error) {
            // The same name means this occurrence already started its execution.
            if (errorName(error) !== 'ExecutionAlreadyExists') throw error;
          }
        } else if (!this.warned.has(`${job.logicalId} ${target.arn}`)) {
          this.warned.add(`${job.logicalId} ${target.arn}`);
          console.warn(`scheduler: ${job.name} targets ${target.arn}, which the local scheduler does not call; skipped`);
        }
      }),
    );
  }

  private loadState(): Record<string, ScheduleState> {
    let stored: unknown;
    try {
      stored = JSON.parse(readFileSync(this.stateFile, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') console.warn(`scheduler: ${this.stateFile} is unreadable (${errorName(error)}); starting afresh`);
      return {};
    }
    const state: Record<string, ScheduleState> = {};
    // Only current schedules are kept, so one removed and added back later does not fire its old occurrences.
    for (const job of this.jobs) {
      const entry = (stored as Record<string, ScheduleState> | null)?.[job.logicalId];
      if (typeof entry?.since === 'string' && !Number.isNaN(Date.parse(entry.since))) state[job.logicalId] = entry;
    }
    return state;
  }

  private saveState(): Promise<void> {
    const text = `${JSON.stringify(this.state, null, 2)}\n`;
    const write = this.writes.then(async () => {
      await mkdir(dirname(this.stateFile), { recursive: true });
      // Written aside then renamed, so a crash never leaves half a file.
      await writeFile(`${this.stateFile}.tmp`, text);
      await rename(`${this.stateFile}.tmp`, this.stateFile);
    });
    this.writes = write.catch(() => undefined);
    return write;
  }
}
