import { setImmediate as nextTurn } from 'node:timers/promises';
import type { MachineModel } from './definition.js';
import { FencedError, RunAbandonedError } from './errors.js';
import type { KeyedLock } from './keyed-lock.js';
import type { Cursor, EngineStore, ExecutionItem, NewEvent, Outcome } from './store.js';

export interface AppendOp {
  events: NewEvent[];
  cursor?: Cursor;
  extra?: Parameters<EngineStore['commit']>[1]['extra'];
}

const itemsOf = (op: AppendOp) => op.events.length + (op.extra?.length ?? 0);

/**
 * Most data (inputs and outputs, in UTF-16 code units: at most 3 bytes of UTF-8 each) in the ops of one commit. A
 * transaction holds at most 4 MB, and a burst of Pass states passing 256 KiB along would go over it.
 */
const COMMIT_DATA = 1_000_000;

/** The inputs and outputs an op writes: its events' data and its checkpoint's input (no scan of the texts). */
function dataOf(op: AppendOp): number {
  let size = op.cursor?.input.length ?? 0;
  for (const event of op.events) {
    for (const details of Object.values(event.details ?? {})) {
      if (!details || typeof details !== 'object') continue;
      for (const value of Object.values(details as Record<string, unknown>)) if (typeof value === 'string') size += value.length;
    }
  }
  return size;
}

/** One in-memory run of an execution, from a start state until it ends, parks or is abandoned. */
export class Run {
  active = true;
  abortLibrary: () => void = () => undefined;
  /** Token made by the `$$.Task.Token` getter while the library evaluates a callback state's Parameters. */
  pendingToken: string | undefined;
  /** The token of the callback state the cursor was at (recovery): the only one that can already be stored. */
  recoveredToken: string | undefined;
  /** Raw input of the top-level state being run (JSON), known once the event consumer has seen it enter. */
  currentInput = 'null';
  /** Hears of the error that abandoned the run, other than a fence: the execution stays RUNNING at its last checkpoint. */
  onFailure: (error: unknown) => void = () => undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private batch: { ops: AppendOp[]; done: Promise<void> } | undefined;

  constructor(
    readonly execution: ExecutionItem,
    readonly model: MachineModel,
    readonly id: string,
    readonly startState: string,
    readonly input: string,
    /** The start state's entry is already recorded (resume or recovery). */
    readonly skipFirstEntered: boolean,
    /** Outcome replayed by the start state instead of running it. */
    public replay: Outcome | undefined,
    private readonly locks: KeyedLock,
    private readonly store: EngineStore,
  ) {}

  get arn(): string {
    return this.execution.executionArn;
  }

  /**
   * Queues events (and the checkpoint) for the run's next commit: appends made while a commit is in flight,
   * or within the next two event-loop turns, are merged into one transaction, in order. Resolves once they are stored.
   * The two turns let the state's own handler (one turn behind the event consumer, see caughtUp) join the
   * consumer's checkpoint: a task's entry, its scheduling and the previous task's result go in one write.
   */
  append(op: AppendOp): Promise<void> {
    if (!this.batch) {
      const ops: AppendOp[] = [];
      const done = this.write(async () => {
        await nextTurn();
        await nextTurn();
        if (this.batch?.ops === ops) this.batch = undefined;
        await this.commitOps(ops);
      });
      this.batch = { ops, done };
    }
    this.batch.ops.push(op);
    return this.batch.done;
  }

  /** Queues a store write after the run's previous ones, under the execution's lock; any failure abandons the run. */
  write<T>(work: () => Promise<T>): Promise<T> {
    this.batch = undefined;
    const step = this.chain.then(async () => {
      if (!this.active) throw new RunAbandonedError();
      return await this.locks.run(this.arn, work);
    });
    this.chain = step.catch((error: unknown) => this.abandon(error));
    return step.catch(() => {
      throw new RunAbandonedError();
    });
  }

  enqueue(work: () => Promise<unknown>): void {
    this.write(work).catch(() => undefined);
  }

  private async commitOps(ops: AppendOp[]): Promise<void> {
    // Transactions hold at most 100 items and 4 MB; a long burst of Pass states is split in order.
    for (let start = 0; start < ops.length; ) {
      let end = start;
      let size = 1;
      let data = 0;
      while (end < ops.length) {
        const items = itemsOf(ops[end]!);
        const opData = dataOf(ops[end]!);
        if (end > start && (size + items > 90 || data + opData > COMMIT_DATA)) break;
        size += items;
        data += opData;
        end++;
      }
      const chunk = ops.slice(start, end);
      const cursor = chunk.findLast((op) => op.cursor)?.cursor;
      await this.store.commit(this.arn, {
        runId: this.id,
        events: chunk.flatMap((op) => op.events),
        ...(cursor ? { set: { cursor } } : {}),
        extra: chunk.flatMap((op) => op.extra ?? []),
      });
      start = end;
    }
  }

  /**
   * Lets the event consumer catch up: it runs on microtasks, so after one macrotask turn it has seen
   * (and queued the checkpoint of) the state whose handler is waiting here.
   */
  async caughtUp(): Promise<void> {
    await nextTurn();
    if (!this.active) throw new RunAbandonedError();
  }

  async idle(): Promise<void> {
    await this.chain;
  }

  stop(): void {
    this.active = false;
    this.abortLibrary();
  }

  private abandon(error: unknown): void {
    const failed = !(error instanceof RunAbandonedError) && !(error instanceof FencedError);
    // Only the class: messages may quote execution data.
    if (failed) console.error(`stepfunctions: run of ${this.arn} abandoned after ${error instanceof Error ? error.name : typeof error}`);
    this.stop();
    if (failed) this.onFailure(error);
  }
}
