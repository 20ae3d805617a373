import { randomUUID } from 'node:crypto';
import type { Callbacks } from './callbacks.js';
import type { EngineCore } from './core.js';
import { timerKey, type DueToken, type ExecutionItem, type TimerItem } from './store.js';

/**
 * The deadline loop: every `tickMs` it reads the due items of the store (callback timeouts and
 * heartbeats, Wait wake-ups, execution timeouts) and fires them. Deadlines are stored, so any length works.
 */
export class Deadlines {
  private tickTimer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;

  constructor(
    private readonly core: EngineCore,
    private readonly callbacks: Callbacks,
    private readonly tickMs: number,
  ) {}

  start(): void {
    this.scheduleTick();
  }

  async stop(): Promise<void> {
    if (this.tickTimer) clearTimeout(this.tickTimer);
    await this.ticking;
  }

  private scheduleTick(): void {
    if (this.core.stopped) return;
    this.tickTimer = setTimeout(() => {
      this.ticking = this.tick().finally(() => {
        this.ticking = undefined;
        this.scheduleTick();
      });
    }, this.tickMs);
    this.tickTimer.unref();
  }

  private async tick(): Promise<void> {
    try {
      const due = await this.core.store.dueItems();
      await Promise.all(due.map((item) => this.fire(item).catch(() => undefined)));
    } catch (error) {
      console.error(`stepfunctions: deadline loop failed: ${error instanceof Error ? error.name : typeof error}`);
    }
  }

  /** Acts on a due token deadline, Wait wake-up or execution timeout (each checked again under the lock). */
  async fire(item: DueToken | TimerItem): Promise<void> {
    if (this.core.stopped) return;
    if (item.kind === 'token') {
      await this.callbacks.complete(item.token, { kind: 'timeout' }, { deadline: true });
      return;
    }
    let resume: ExecutionItem | undefined;
    await this.core.locks.run(item.executionArn, async () => {
      const execution = await this.core.store.getExecution(item.executionArn);
      const key = timerKey(item.executionArn, item.kind);
      if (!execution || execution.status !== 'RUNNING') {
        await this.core.store.deleteItem(key);
        return;
      }
      if (item.kind === 'executionTimeout') {
        const since = execution.redriveDate ?? execution.startDate;
        if (since + (this.core.machines.model(execution.stateMachineArn)?.timeoutSeconds ?? 0) * 1000 > this.core.now()) return;
        await this.core.close(execution, 'TIMED_OUT', this.core.now(), {
          set: { error: 'States.Timeout' },
          event: { type: 'ExecutionTimedOut', details: { executionTimedOutEventDetails: { error: 'States.Timeout' } } },
        });
        return;
      }
      const cursor = execution.cursor;
      if (cursor?.mode !== 'waiting') {
        await this.core.store.deleteItem(key);
        return;
      }
      if (cursor.wakeAt > this.core.now()) return;
      const runId = randomUUID();
      try {
        resume = await this.core.store.commit(execution.executionArn, {
          runId: execution.runId,
          set: { runId, cursor: { mode: 'resume', stateName: cursor.stateName, input: cursor.input, outcome: { kind: 'wait' } } },
          extra: [this.core.store.deleteItemOp(key)],
        });
      } catch (error) {
        // Applied with its answer lost, the timer is gone with it: nothing would fire it again.
        this.core.relaunch(execution.executionArn, [runId], error);
        throw error;
      }
    });
    if (resume) this.core.launch(resume);
  }
}
