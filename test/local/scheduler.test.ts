import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { LocalScheduler, nextFireTime, type ScheduleTarget } from '../../infra/local/scheduler.js';
import type { LocalSchedule } from '../../infra/local/template.js';

const PARIS = 'Europe/Paris';
const FUNCTION_ARN = 'arn:aws:lambda:eu-west-3:000000000000:function:Probe-Tick';
const MACHINE_ARN = 'arn:aws:states:eu-west-3:000000000000:stateMachine:Probe-Invoicing';

/** The successive fire times after `after`, as ISO strings. */
function fires(expression: string, timezone: string | undefined, after: string, count: number): Array<string | undefined> {
  const out: Array<string | undefined> = [];
  let cursor: Date | null = new Date(after);
  for (let i = 0; i < count; i++) {
    cursor = cursor && nextFireTime(expression, timezone, cursor);
    out.push(cursor?.toISOString());
  }
  return out;
}

describe('nextFireTime', () => {
  it('runs rates on a fixed grid, strictly after the given time', () => {
    expect(fires('rate(5 minutes)', undefined, '2026-01-01T12:03:00Z', 3)).toEqual(['2026-01-01T12:05:00.000Z', '2026-01-01T12:10:00.000Z', '2026-01-01T12:15:00.000Z']);
    expect(fires('rate(1 day)', PARIS, '2026-01-01T12:00:00Z', 2)).toEqual(['2026-01-02T00:00:00.000Z', '2026-01-03T00:00:00.000Z']);
    expect(nextFireTime('rate(1 hour)', undefined, new Date('2026-01-01T12:00:00Z'))?.toISOString()).toBe('2026-01-01T13:00:00.000Z');
  });

  it('evaluates cron lists, ranges, steps and names in UTC by default', () => {
    expect(fires('cron(0 9 ? * MON-FRI *)', undefined, '2026-05-01T10:00:00Z', 3)).toEqual([
      '2026-05-04T09:00:00.000Z',
      '2026-05-05T09:00:00.000Z',
      '2026-05-06T09:00:00.000Z',
    ]);
    expect(fires('cron(10/20 8,22 * * ? *)', undefined, '2026-01-01T00:00:00Z', 4)).toEqual([
      '2026-01-01T08:10:00.000Z',
      '2026-01-01T08:30:00.000Z',
      '2026-01-01T08:50:00.000Z',
      '2026-01-01T22:10:00.000Z',
    ]);
    expect(fires('cron(0 0 15 JAN,JUL ? 2027-2028)', undefined, '2026-06-01T00:00:00Z', 5)).toEqual([
      '2027-01-15T00:00:00.000Z',
      '2027-07-15T00:00:00.000Z',
      '2028-01-15T00:00:00.000Z',
      '2028-07-15T00:00:00.000Z',
      undefined,
    ]);
  });

  it('fires the monthly invoicing at 06:00 Paris: 05:00Z in winter, 04:00Z in summer', () => {
    expect(fires('cron(0 6 1 * ? *)', PARIS, '2026-01-15T00:00:00Z', 12)).toEqual([
      '2026-02-01T05:00:00.000Z',
      '2026-03-01T05:00:00.000Z',
      '2026-04-01T04:00:00.000Z',
      '2026-05-01T04:00:00.000Z',
      '2026-06-01T04:00:00.000Z',
      '2026-07-01T04:00:00.000Z',
      '2026-08-01T04:00:00.000Z',
      '2026-09-01T04:00:00.000Z',
      '2026-10-01T04:00:00.000Z',
      '2026-11-01T05:00:00.000Z',
      '2026-12-01T05:00:00.000Z',
      '2027-01-01T05:00:00.000Z',
    ]);
  });

  it('skips a local time that does not exist on the spring-forward day (Paris, 29 March 2026)', () => {
    expect(fires('cron(30 2 * * ? *)', PARIS, '2026-03-27T12:00:00Z', 3)).toEqual([
      '2026-03-28T01:30:00.000Z',
      '2026-03-30T00:30:00.000Z',
      '2026-03-31T00:30:00.000Z',
    ]);
    expect(fires('cron(0 3 * * ? *)', PARIS, '2026-03-28T12:00:00Z', 1)).toEqual(['2026-03-29T01:00:00.000Z']);
  });

  it('fires an ambiguous local time once on the fall-back day (Paris, 25 October 2026)', () => {
    expect(fires('cron(30 2 * * ? *)', PARIS, '2026-10-24T12:00:00Z', 3)).toEqual([
      '2026-10-25T00:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
      '2026-10-27T01:30:00.000Z',
    ]);
    // From inside the repeated hour, the repeated 02:30 has already fired.
    expect(nextFireTime('cron(30 2 * * ? *)', PARIS, new Date('2026-10-25T01:10:00Z'))?.toISOString()).toBe('2026-10-26T01:30:00.000Z');
    expect(fires('cron(0/20 2 * * ? *)', PARIS, '2026-10-24T23:50:00Z', 4)).toEqual([
      '2026-10-25T00:00:00.000Z',
      '2026-10-25T00:20:00.000Z',
      '2026-10-25T00:40:00.000Z',
      '2026-10-26T01:00:00.000Z',
    ]);
  });

  it('reads L as the last day of the month, February of a leap year included', () => {
    expect(fires('cron(0 0 L * ? *)', undefined, '2024-01-15T00:00:00Z', 4)).toEqual([
      '2024-01-31T00:00:00.000Z',
      '2024-02-29T00:00:00.000Z',
      '2024-03-31T00:00:00.000Z',
      '2024-04-30T00:00:00.000Z',
    ]);
    expect(fires('cron(0 22 L 2 ? *)', PARIS, '2023-01-01T00:00:00Z', 3)).toEqual([
      '2023-02-28T21:00:00.000Z',
      '2024-02-29T21:00:00.000Z',
      '2025-02-28T21:00:00.000Z',
    ]);
  });

  it('supports W, LW, # and nL', () => {
    // 1 February and 1 March 2026 are Sundays, 31 January a Saturday.
    expect(fires('cron(0 9 1W * ? *)', undefined, '2026-01-01T10:00:00Z', 2)).toEqual(['2026-02-02T09:00:00.000Z', '2026-03-02T09:00:00.000Z']);
    expect(fires('cron(0 9 LW * ? *)', undefined, '2026-01-01T00:00:00Z', 1)).toEqual(['2026-01-30T09:00:00.000Z']);
    expect(fires('cron(0 9 ? * 3#2 *)', undefined, '2026-05-01T00:00:00Z', 2)).toEqual(['2026-05-12T09:00:00.000Z', '2026-06-09T09:00:00.000Z']);
    expect(fires('cron(0 9 ? * FRIL *)', undefined, '2026-05-01T00:00:00Z', 2)).toEqual(['2026-05-29T09:00:00.000Z', '2026-06-26T09:00:00.000Z']);
  });

  it('fires at() once, in its time zone, shifting a time that does not exist forward', () => {
    expect(fires('at(2026-12-01T06:00:00)', PARIS, '2026-06-01T00:00:00Z', 2)).toEqual(['2026-12-01T05:00:00.000Z', undefined]);
    expect(nextFireTime('at(2026-12-01T06:00:00)', undefined, new Date('2026-06-01T00:00:00Z'))?.toISOString()).toBe('2026-12-01T06:00:00.000Z');
    expect(nextFireTime('at(2026-03-29T02:30:00)', PARIS, new Date('2026-03-01T00:00:00Z'))?.toISOString()).toBe('2026-03-29T01:30:00.000Z');
  });

  it('returns null for a cron that never matches and rejects what EventBridge rejects', () => {
    expect(nextFireTime('cron(0 0 30 2 ? *)', undefined, new Date('2026-01-01T00:00:00Z'))).toBeNull();
    for (const invalid of ['rate(1 minutes)', 'rate(5 minute)', 'rate(0 days)', 'cron(0 6 1 * MON *)', 'cron(0 6 * * ?)', 'cron(60 * * * ? *)', 'cron(*-5 * * * ? *)', 'at(2026-02-30T00:00:00)', 'daily']) {
      expect(() => nextFireTime(invalid, undefined, new Date()), invalid).toThrow();
    }
    expect(() => nextFireTime('cron(0 6 1 * ? *)', 'Mars/Olympus', new Date())).toThrow(/time zone/);
  });
});

interface Calls {
  invocations: Array<{ arn: string; payload: unknown }>;
  executions: Array<{ arn: string; input: string; name: string }>;
}

/** Records calls; executions behave like Step Functions, refusing a name used before. */
function fakeTarget(calls: Calls, failInvoke = false): ScheduleTarget {
  const names = new Set<string>();
  return {
    async invokeFunction(arn, payload) {
      calls.invocations.push({ arn, payload });
      if (failInvoke) throw new TypeError('cannot reach jeanne.martin@example.org');
      return {};
    },
    async startExecution(arn, input, name) {
      calls.executions.push({ arn, input, name });
      if (names.has(name)) throw Object.assign(new Error(`Execution Already Exists: '${name}'`), { name: 'ExecutionAlreadyExists' });
      names.add(name);
      return { executionArn: `${arn}:${name}` };
    },
  };
}

const monthly: LocalSchedule = {
  logicalId: 'Monthly',
  name: 'Probe-Monthly',
  expression: 'cron(0 6 1 * ? *)',
  timezone: PARIS,
  target: { arn: MACHINE_ARN, input: '{"kind":"monthly"}' },
};
const tick: LocalSchedule = { logicalId: 'Tick', name: 'Probe-Tick', expression: 'rate(5 minutes)', target: { arn: FUNCTION_ARN } };

describe('LocalScheduler', () => {
  let dir: string;
  let stateFile: string;
  let clock: Date;
  let calls: Calls;
  let warn: MockInstance;
  let error: MockInstance;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'scheduler-test-'));
    stateFile = join(dir, 'state', 'scheduler.json');
    calls = { invocations: [], executions: [] };
    warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  });

  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  const scheduler = (schedules: LocalSchedule[], options: { failInvoke?: boolean; tickMs?: number } = {}) =>
    new LocalScheduler({ schedules, target: fakeTarget(calls, options.failInvoke), stateFile, now: () => clock, tickMs: options.tickMs ?? 60_000 });

  /** A process lifetime of one poll: start() polls at once and stop() waits for it. */
  async function runOnce(schedules: LocalSchedule[], at: string, options: { failInvoke?: boolean } = {}): Promise<void> {
    clock = new Date(at);
    const instance = scheduler(schedules, options);
    instance.start();
    await instance.stop();
  }

  it('fires a due occurrence once and does not fire it again after a restart', async () => {
    await runOnce([monthly, tick], '2026-03-31T20:00:00Z');
    expect(calls).toEqual({ invocations: [], executions: [] });

    await runOnce([monthly, tick], '2026-04-01T04:00:30Z');
    expect(calls.executions).toEqual([{ arn: MACHINE_ARN, input: '{"kind":"monthly"}', name: 'Probe-Monthly-20260401T040000Z' }]);
    // The rate missed 96 occurrences while stopped and fires once, for the latest.
    expect(calls.invocations).toEqual([{ arn: FUNCTION_ARN, payload: {} }]);
    const state = JSON.parse(readFileSync(stateFile, 'utf8'));
    expect(state.Monthly).toEqual({ since: '2026-03-31T20:00:00.000Z', lastFireTime: '2026-04-01T04:00:00.000Z' });
    expect(state.Tick.lastFireTime).toBe('2026-04-01T04:00:00.000Z');

    await runOnce([monthly, tick], '2026-04-01T04:04:59Z');
    expect(calls.executions).toHaveLength(1);
    expect(calls.invocations).toHaveLength(1);
  });

  it('fires an occurrence missed while stopped once at start, named after the latest one', async () => {
    await runOnce([monthly], '2026-01-15T12:00:00Z');
    await runOnce([monthly], '2026-04-10T12:00:00Z');
    expect(calls.executions.map((e) => e.name)).toEqual(['Probe-Monthly-20260401T040000Z']);
  });

  it('does not fire what was due before it first saw a schedule', async () => {
    await runOnce([tick], '2026-04-01T04:00:30Z');
    await runOnce([tick, monthly], '2026-04-01T04:02:00Z');
    expect(calls).toEqual({ invocations: [], executions: [] });
  });

  it('polls while running', async () => {
    clock = new Date('2026-04-01T03:59:00Z');
    const instance = scheduler([monthly], { tickMs: 5 });
    instance.start();
    await vi.waitFor(() => expect(readFileSync(stateFile, 'utf8')).toContain('since'));
    clock = new Date('2026-04-01T04:00:10Z');
    await vi.waitFor(() => expect(calls.executions).toHaveLength(1));
    await new Promise((resolve) => setTimeout(resolve, 30));
    await instance.stop();
    expect(calls.executions).toHaveLength(1);
  });

  it('starts one execution when an occurrence fires twice (state lost before it was written)', async () => {
    await runOnce([monthly], '2026-03-31T20:00:00Z');
    const before = readFileSync(stateFile, 'utf8');
    await runOnce([monthly], '2026-04-01T04:00:30Z');
    writeFileSync(stateFile, before);
    await runOnce([monthly], '2026-04-01T04:01:30Z');
    expect(calls.executions.map((e) => e.name)).toEqual(['Probe-Monthly-20260401T040000Z', 'Probe-Monthly-20260401T040000Z']);
    expect(error).not.toHaveBeenCalled();
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).Monthly.lastFireTime).toBe('2026-04-01T04:00:00.000Z');
  });

  it('fits long schedule names into a valid, distinct execution name', async () => {
    const long = (suffix: string): LocalSchedule => ({ ...monthly, logicalId: suffix, name: `Probe.${'x'.repeat(60)}${suffix}` });
    clock = new Date('2026-04-01T04:00:00Z');
    const instance = scheduler([long('A'), long('B')]);
    await instance.fireNow('A');
    await instance.fireNow('B');
    const [a, b] = calls.executions.map((e) => e.name);
    for (const name of [a!, b!]) {
      expect(name.length).toBeLessThanOrEqual(80);
      expect(name).toMatch(/^Probe-x+-[0-9a-f]{8}-20260401T040000Z$/);
    }
    expect(a).not.toBe(b);
  });

  it('fires now: a rule with a lambda and a state machine target, without touching the state', async () => {
    clock = new Date('2026-04-01T10:15:20.750Z');
    const rule: LocalSchedule[] = [
      { logicalId: 'Rule', name: 'Probe-Rule', expression: 'rate(1 hour)', target: { arn: FUNCTION_ARN, input: '{"a":1}' } },
      { logicalId: 'Rule', name: 'Probe-Rule', expression: 'rate(1 hour)', target: { arn: MACHINE_ARN } },
    ];
    const instance = scheduler(rule);
    await instance.fireNow('Rule');
    expect(calls.invocations).toEqual([{ arn: FUNCTION_ARN, payload: { a: 1 } }]);
    expect(calls.executions).toEqual([{ arn: MACHINE_ARN, input: '{}', name: 'Probe-Rule-20260401T101520Z' }]);
    await expect(instance.fireNow('Missing')).rejects.toThrow(/No schedule Missing/);
    expect(() => readFileSync(stateFile)).toThrow();
  });

  it('warns once about a target it cannot call and skips it', async () => {
    clock = new Date('2026-04-01T10:00:00Z');
    const queue: LocalSchedule = { ...tick, target: { arn: 'arn:aws:sqs:eu-west-3:000000000000:probe-queue' } };
    const instance = scheduler([queue]);
    await instance.fireNow('Tick');
    await instance.fireNow('Tick');
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toContain('probe-queue');
    expect(calls).toEqual({ invocations: [], executions: [] });
  });

  it('logs a failing target by error name only, and does not retry it', async () => {
    await runOnce([tick], '2026-04-01T10:01:00Z');
    await runOnce([tick], '2026-04-01T10:05:00Z', { failInvoke: true });
    expect(error).toHaveBeenCalledTimes(1);
    const line = String(error.mock.calls[0]![0]);
    expect(line).toContain('Probe-Tick');
    expect(line).toContain('TypeError');
    expect(line).not.toContain('@');
    await runOnce([tick], '2026-04-01T10:06:00Z');
    expect(calls.invocations).toHaveLength(1);
  });

  it('fires at() once', async () => {
    const once: LocalSchedule = { ...monthly, logicalId: 'Once', expression: 'at(2026-12-01T06:00:00)' };
    await runOnce([once], '2026-11-30T00:00:00Z');
    await runOnce([once], '2026-12-01T05:00:00Z');
    await runOnce([once], '2027-01-01T00:00:00Z');
    expect(calls.executions.map((e) => e.name)).toEqual(['Probe-Monthly-20261201T050000Z']);
  });

  it('starts afresh from an unreadable state file', async () => {
    await runOnce([monthly], '2026-03-31T20:00:00Z');
    writeFileSync(stateFile, '{ not json');
    await runOnce([monthly], '2026-04-01T04:00:30Z');
    expect(calls.executions).toHaveLength(0);
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('lists upcoming fire times, null for a finished or unsupported schedule', () => {
    clock = new Date('2026-03-15T00:00:00Z');
    const past: LocalSchedule = { ...tick, logicalId: 'Past', name: 'Probe-Past', expression: 'at(2026-01-01T00:00:00)' };
    const broken: LocalSchedule = { ...tick, logicalId: 'Broken', name: 'Probe-Broken', expression: 'cron(0 6 * * *)' };
    expect(scheduler([monthly, tick, past, broken]).upcoming()).toEqual([
      { logicalId: 'Monthly', name: 'Probe-Monthly', expression: 'cron(0 6 1 * ? *)', timezone: PARIS, targets: [MACHINE_ARN], next: '2026-04-01T04:00:00.000Z', lastRun: null },
      { logicalId: 'Tick', name: 'Probe-Tick', expression: 'rate(5 minutes)', timezone: 'UTC', targets: [FUNCTION_ARN], next: '2026-03-15T00:05:00.000Z', lastRun: null },
      { logicalId: 'Past', name: 'Probe-Past', expression: 'at(2026-01-01T00:00:00)', timezone: 'UTC', targets: [FUNCTION_ARN], next: null, lastRun: null },
      { logicalId: 'Broken', name: 'Probe-Broken', expression: 'cron(0 6 * * *)', timezone: 'UTC', targets: [FUNCTION_ARN], next: null, lastRun: null },
    ]);
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('gives an occurrence missed while stopped as next (now) until it fired, then the one after', async () => {
    await runOnce([monthly], '2026-03-31T20:00:00Z');
    clock = new Date('2026-04-10T12:00:00Z');
    let release = () => undefined as void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const instance = new LocalScheduler({
      schedules: [monthly],
      stateFile,
      now: () => clock,
      tickMs: 60_000,
      target: { invokeFunction: async () => undefined, startExecution: async () => held },
    });
    instance.start();
    // The first poll is firing the 1 April occurrence: the next fire is that one, now, not 1 May.
    expect(instance.upcoming()[0]).toMatchObject({ next: '2026-04-10T12:00:00.000Z', lastRun: null });
    release();
    await instance.stop();
    expect(instance.upcoming()[0]).toMatchObject({ next: '2026-05-01T04:00:00.000Z', lastRun: { at: '2026-04-01T04:00:00.000Z', manual: false } });
    // After a restart the last run comes from the state file; a run by hand shows as such, with its failure.
    clock = new Date('2026-04-10T12:00:05Z');
    const restarted = scheduler([monthly, tick], { failInvoke: true });
    restarted.start();
    await restarted.stop();
    expect(restarted.upcoming()[0]!.lastRun).toEqual({ at: '2026-04-01T04:00:00.000Z', manual: false });
    await restarted.fireNow('Monthly');
    expect(restarted.upcoming()[0]!.lastRun).toEqual({ at: '2026-04-10T12:00:05.000Z', manual: true });
    await expect(restarted.fireNow('Tick')).rejects.toThrow(TypeError);
    expect(restarted.upcoming()[1]!.lastRun).toEqual({ at: '2026-04-10T12:00:05.000Z', manual: true, error: 'TypeError' });
  });
});
