import type { EngineCore } from './core.js';
import { MAX_TIMER_MS, applyInputPath, readPath, type StateDefinition } from './asl.js';
import type { Deadlines } from './deadlines.js';
import { FencedError } from './errors.js';
import type { Run } from './run.js';
import { dueAttributes, timerKey, type NewEvent, type TimerItem } from './store.js';

/**
 * Top-level Wait states: the run parks with a stored wake-up time (the library's own timer would not
 * survive a restart, nor wait longer than ~24.8 days), and the deadline loop resumes it.
 */
export class Waits {
  constructor(
    private readonly core: EngineCore,
    private readonly deadlines: Deadlines,
  ) {}

  /** Parks the run at a top-level Wait state with a stored wake-up time (the library sleeps until aborted). */
  async enter(run: Run, name: string, input: string, entered: NewEvent): Promise<void> {
    let wakeAt: number;
    try {
      wakeAt = this.wakeTime(run.model.topLevel[name], JSON.parse(input));
    } catch (error) {
      const execution = await this.core.store.getExecution(run.arn);
      if (!execution || execution.runId !== run.id) throw new FencedError();
      const cause = error instanceof Error ? error.message : String(error);
      await this.core.close(execution, 'FAILED', this.core.now(), {
        set: { error: 'States.Runtime', cause },
        event: { type: 'ExecutionFailed', details: { executionFailedEventDetails: { error: 'States.Runtime', cause } } },
        redriveFrom: { stateName: name, input },
      });
      return;
    }
    const timer: TimerItem = { ...timerKey(run.arn, 'wait'), kind: 'wait', executionArn: run.arn, due: wakeAt, ...dueAttributes(wakeAt) };
    await this.core.store.commit(run.arn, {
      runId: run.id,
      events: [entered],
      set: { cursor: { mode: 'waiting', stateName: name, input, wakeAt } },
      extra: [this.core.store.putItem(timer)],
    });
    run.stop();
    this.core.forget(run);
    if (wakeAt <= this.core.now()) setImmediate(() => void this.deadlines.fire(timer).catch(() => undefined));
  }

  private wakeTime(state: StateDefinition, rawInput: unknown): number {
    const input = applyInputPath(state, rawInput);
    const seconds = (value: unknown, path: string) => {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new Error(`${path} must be a non-negative integer`);
      return this.core.now() + value * 1000;
    };
    const timestamp = (value: unknown, path: string) => {
      const time = typeof value === 'string' ? Date.parse(value) : NaN;
      if (Number.isNaN(time)) throw new Error(`${path} must be an RFC 3339 timestamp`);
      return time;
    };
    if (state.Seconds !== undefined) return seconds(state.Seconds, 'Seconds');
    if (state.Timestamp !== undefined) return timestamp(state.Timestamp, 'Timestamp');
    if (state.SecondsPath !== undefined) return seconds(readPath(state.SecondsPath, input), 'SecondsPath');
    if (state.TimestampPath !== undefined) return timestamp(readPath(state.TimestampPath, input), 'TimestampPath');
    return this.core.now();
  }

  /** The library's wait times of the run's top-level Wait states: parked for good, except the one being resumed. */
  overrides(run: Run): Record<string, number> {
    const overrides: Record<string, number> = {};
    for (const name of run.model.durableWaits) {
      Object.defineProperty(overrides, name, {
        enumerable: true,
        // Read once per Wait execution: the resumed Wait passes through once, any later visit parks again.
        get: () => {
          if (name === run.startState && run.replay?.kind === 'wait') {
            run.replay = undefined;
            return 0;
          }
          return MAX_TIMER_MS;
        },
      });
    }
    return overrides;
  }
}
