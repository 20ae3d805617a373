import { createHash, randomUUID } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ExecutionError } from 'aws-local-stepfunctions';
import { applyInputPath } from './asl.js';
import type { EngineCore } from './core.js';
import type { MachineModel } from './definition.js';
import { itemsDigest, makeBatches, parseItems, runSettings, selectItems, type Batch, type DistributedMapSpec, type JSONValue, type MapParameters, type MapRunSettings } from './distributed-map.js';
import { FencedError, RunAbandonedError } from './errors.js';
import { finishedMapRunItems, limitsOf, mapRunRef, mapRunState, type LiveMapRun, type MapRunProgress } from './map-run-status.js';
import type { Run } from './run.js';
import { replayOutcome, stateError } from './state-errors.js';
import type { ChildResult, ExecutionItem, MapRunCursor, Outcome } from './store.js';
import type { TaskRunner } from './tasks.js';
import type { ObjectStore } from './types.js';

/** AWS's limit of a state's output; a bigger map result needs a ResultWriter. */
const STATE_OUTPUT_BYTES = 256 * 1024;
/** Room under DynamoDB's 400 KB item limit for one item of finished children. */
const RESULTS_ITEM_BYTES = 300_000;
const THRESHOLD_CAUSE = 'The specified tolerated failure threshold was exceeded';

interface PreparedMap {
  settings: MapRunSettings;
  batches: Batch[];
  totalItems: number;
  digest: string;
}

type Handler = (input: unknown) => Promise<never>;

/** The error a library run ended with: its cause when the library wrapped it. */
function errorOf(error: unknown): { name: string; message: string } {
  const cause = error instanceof ExecutionError && error.cause instanceof Error ? error.cause : error;
  return cause instanceof Error ? { name: cause.name, message: cause.message } : { name: 'Error', message: String(cause) };
}

/**
 * Distributed Map states. The library calls the engine for the state (definition.ts rewrites it as a task), with
 * the map's settings evaluated; the engine reads the items, records MapRunStarted and parks the execution, then runs
 * the children (batches) at most MaxConcurrency at a time. Finished children are recorded in the store, several per
 * write, so that after a restart only the unfinished ones run again. At the end, the map's result (or failure) is
 * recorded as the state's outcome and the execution resumes at the state, which replays it: ResultSelector,
 * ResultPath, Retry and Catch apply as for a task.
 */
export class MapRuns {
  constructor(
    private readonly core: EngineCore,
    private readonly tasks: TaskRunner,
    private readonly s3: ObjectStore | undefined,
    /** Most children in flight for one map run, whatever its MaxConcurrency (0 means no limit on AWS). */
    private readonly concurrencyCap: number,
  ) {}

  /** The library's handlers of the run's Distributed Map states. */
  handlers(run: Run): Record<string, Handler> {
    const handlers: Record<string, Handler> = {};
    for (const name of run.model.distributedMaps.keys()) handlers[name] = ((parameters: MapParameters) => this.enter(run, name, parameters)) as Handler;
    return handlers;
  }

  /** Runs the map run of an execution parked at a Distributed Map (a restart): only the children not recorded as finished. */
  resume(execution: ExecutionItem): void {
    const cursor = execution.cursor;
    const model = this.core.machines.model(execution.stateMachineArn);
    const spec = cursor?.mode === 'mapping' ? model?.distributedMaps.get(cursor.stateName) : undefined;
    if (this.core.stopped || cursor?.mode !== 'mapping' || !model || !spec) return;
    const mapRun = new MapRun(this.core, this.tasks, this.s3, execution, model, spec, cursor.stateName, cursor.input, cursor.mapRun);
    void (async () => {
      let prepared: PreparedMap;
      try {
        const parameters = JSON.parse(cursor.mapRun.parameters) as MapParameters;
        const mapInput = applyInputPath(model.topLevel[cursor.stateName]!, JSON.parse(cursor.input));
        prepared = await this.prepare(execution, model, spec, parameters, mapInput);
        if (prepared.digest !== cursor.mapRun.digest) throw stateError('States.ItemReaderFailed', 'The items of the map run changed while it was interrupted');
      } catch (error) {
        const { name, message } = errorOf(error);
        await mapRun.complete({ kind: 'failure', error: name, cause: message });
        return;
      }
      const finished = await this.core.store.mapResults(execution.executionArn, cursor.mapRun.id);
      await mapRun.run(prepared, finished, Math.min(prepared.settings.maxConcurrency || Infinity, this.concurrencyCap));
    })().catch((error: unknown) => {
      console.error(`stepfunctions: map run of ${execution.executionArn} failed: ${error instanceof Error ? error.name : typeof error}`);
      mapRun.stop();
      this.core.relaunch(execution.executionArn, [execution.runId], error);
    });
  }

  private async enter(run: Run, name: string, parameters: MapParameters): Promise<unknown> {
    await run.caughtUp();
    if (run.replay && name === run.startState) {
      const replay = run.replay;
      run.replay = undefined;
      return await replayOutcome(replay);
    }
    const spec = run.model.distributedMaps.get(name)!;
    const { input: mapInput, ...settings } = parameters;
    const prepared = await this.prepare(run.execution, run.model, spec, settings, mapInput);
    const id = randomUUID();
    const cursor: MapRunCursor = {
      id,
      arn: this.core.machines.resourceArn(run.model.arn, 'mapRun', `${run.model.name}/${spec.label}:${id}`),
      startDate: this.core.now(),
      parameters: JSON.stringify(settings),
      digest: prepared.digest,
      items: prepared.totalItems,
      children: prepared.batches.length,
      limits: limitsOf(prepared.settings),
    };
    const parked = await run.write(async () => {
      const updated = await this.core.store.commit(run.arn, {
        runId: run.id,
        events: [{ type: 'MapRunStarted', details: { mapRunStartedEventDetails: { mapRunArn: cursor.arn } } }],
        set: { cursor: { mode: 'mapping', stateName: name, input: run.currentInput, mapRun: cursor } },
        // DescribeMapRun finds the execution from the map run's ARN; the start date is the event's.
        extra: [this.core.store.putItem(mapRunRef(run.arn, cursor.arn))],
        timestamp: cursor.startDate,
      });
      run.stop();
      this.core.forget(run);
      return updated;
    });
    const mapRun = new MapRun(this.core, this.tasks, this.s3, parked, run.model, spec, name, run.currentInput, cursor);
    mapRun.run(prepared, new Map(), Math.min(prepared.settings.maxConcurrency || Infinity, this.concurrencyCap)).catch((error: unknown) => {
      console.error(`stepfunctions: map run of ${run.arn} failed: ${error instanceof Error ? error.name : typeof error}`);
      mapRun.stop();
      this.core.relaunch(run.arn, [parked.runId], error);
    });
    throw new RunAbandonedError();
  }

  /** Settings, items (read, limited, selected) and children of a map run; throws the state errors AWS would. */
  private async prepare(execution: ExecutionItem, model: MachineModel, spec: DistributedMapSpec, parameters: MapParameters, mapInput: unknown): Promise<PreparedMap> {
    const runtime = (error: unknown) => stateError('States.Runtime', errorOf(error).message, { catchable: false });
    let settings: MapRunSettings;
    try {
      settings = runSettings(spec, parameters);
    } catch (error) {
      throw runtime(error);
    }
    let items: unknown[];
    if (spec.reader) {
      try {
        const { Bucket, Key } = parameters.reader ?? {};
        if (typeof Bucket !== 'string' || typeof Key !== 'string') throw new Error('ItemReader Parameters need a Bucket and a Key');
        items = parseItems(spec.reader, await this.s3!.getObject(Bucket, Key));
      } catch (error) {
        throw stateError('States.ItemReaderFailed', errorOf(error).message);
      }
    } else {
      if (!Array.isArray(parameters.items)) throw runtime(new Error('Input of Map state must be an array or ItemsPath property must point to an array'));
      items = parameters.items;
    }
    if (settings.maxItems) items = items.slice(0, settings.maxItems);
    const context = {
      Execution: { Id: execution.executionArn, Name: execution.name, StartTime: new Date(execution.startDate).toISOString(), RoleArn: this.core.machines.roleArn(model.arn) },
      StateMachine: { Id: model.arn, Name: model.name },
      State: { Name: spec.name },
    };
    let selected: unknown[];
    try {
      selected = await selectItems(spec.itemSelector, items, mapInput, context);
    } catch (error) {
      throw runtime(error);
    }
    const batches = makeBatches(selected, {
      batcher: spec.batcher !== undefined,
      maxItems: settings.maxItemsPerBatch,
      maxBytes: settings.maxInputBytesPerBatch,
      batchInput: parameters.batchInput,
    });
    return { settings, batches, totalItems: items.length, digest: itemsDigest(items) };
  }
}

/** One map run in this process: its children, the records of the finished ones, and the outcome it resumes the execution with. */
class MapRun implements LiveMapRun {
  readonly mapRunId: string;
  private active = true;
  private readonly runId: string;
  private readonly results = new Map<number, ChildResult>();
  /** The batches, once the items are read (a resumed run reads them again first). */
  private prepared: PreparedMap | undefined;
  private readonly inFlight = new Map<number, Batch>();
  private readonly pending: ChildResult[] = [];
  private flushing: Promise<void> | undefined;
  private readonly aborts = new Set<() => void>();
  private readonly handlers: Record<string, Handler>;

  constructor(
    private readonly core: EngineCore,
    tasks: TaskRunner,
    private readonly s3: ObjectStore | undefined,
    private readonly execution: ExecutionItem,
    private readonly model: MachineModel,
    private readonly spec: DistributedMapSpec,
    private readonly stateName: string,
    private readonly input: string,
    private readonly cursor: MapRunCursor,
  ) {
    this.runId = execution.runId;
    this.mapRunId = cursor.id;
    this.handlers = tasks.childHandlers(model, () => this.active);
    core.mapRuns.get(execution.executionArn)?.stop();
    core.mapRuns.set(execution.executionArn, this);
  }

  /** What DescribeMapRun reads of a map run still running: its finished children (once its batches are known) and those in flight. */
  progress(): MapRunProgress {
    const prepared = this.prepared;
    return {
      finished: prepared && this.results,
      running: [...this.inFlight.values()],
      children: prepared?.batches.length,
      items: prepared?.totalItems,
      itemsOf: (batch) => prepared?.batches[batch]?.count,
    };
  }

  stop(): void {
    this.active = false;
    for (const abort of this.aborts) abort();
    if (this.core.mapRuns.get(this.execution.executionArn) === this) this.core.mapRuns.delete(this.execution.executionArn);
  }

  /** Runs the children not in `finished`, `limit` at a time, until all are done or the failures pass the threshold. */
  async run(prepared: PreparedMap, finished: Map<number, ChildResult>, limit: number): Promise<void> {
    const { batches, settings, totalItems } = prepared;
    for (const [index, result] of finished) this.results.set(index, result);
    this.prepared = prepared;
    let failedItems = 0;
    for (const result of finished.values()) if (result.error !== undefined) failedItems += batches[result.batch]?.count ?? 0;
    const { toleratedFailureCount: count, toleratedFailurePercentage: percentage } = settings;
    // AWS counts failed items (every item of a failed batch); either threshold passed fails the run, none set tolerates none.
    const exceeded = () =>
      failedItems > 0 &&
      ((count === undefined && percentage === undefined) || (count !== undefined && failedItems > count) || (percentage !== undefined && failedItems * 100 > percentage * totalItems));
    const todo = batches.filter((batch) => !finished.has(batch.index));
    await new Promise<void>((resolve) => {
      let next = 0;
      let inFlight = 0;
      const launch = () => {
        while (this.active && !exceeded() && inFlight < limit && next < todo.length) {
          const batch = todo[next++]!;
          inFlight++;
          this.inFlight.set(batch.index, batch);
          void this.child(batch).then((result) => {
            // Out of flight and among the results in one turn: DescribeMapRun never misses it.
            this.inFlight.delete(batch.index);
            inFlight--;
            if (!this.active) return resolve();
            if (result.error !== undefined) failedItems += batch.count;
            this.record(result);
            launch();
          });
        }
        if (inFlight === 0 && (!this.active || exceeded() || next >= todo.length)) resolve();
      };
      launch();
    });
    while (this.flushing) await this.flushing;
    if (!this.active) return;
    const outcome: Outcome = exceeded() ? { kind: 'failure', error: 'States.ExceedToleratedFailureThreshold', cause: THRESHOLD_CAUSE } : await this.output(prepared);
    await this.complete(outcome);
  }

  /**
   * Records the map run's outcome as the state's and resumes the execution there (once: fenced by the run id). The
   * map run's record (its status and counts) goes in the same commit. A commit that failed may still have been applied
   * (its answer lost): the execution is taken up again later under either run id.
   */
  async complete(outcome: Outcome): Promise<void> {
    const arn = this.execution.executionArn;
    const nextRunId = randomUUID();
    let resumed: ExecutionItem | undefined;
    try {
      await this.core.locks.run(arn, async () => {
        const execution = await this.core.store.getExecution(arn);
        const cursor = execution?.cursor;
        if (!this.active || execution?.runId !== this.runId || cursor?.mode !== 'mapping' || cursor.mapRun.id !== this.cursor.id) return;
        const succeeded = outcome.kind === 'success';
        const state = await mapRunState(this.core.store, arn, cursor.mapRun, { live: this, spec: this.spec, written: succeeded && this.spec.writer.s3 });
        const stopDate = this.core.now();
        resumed = await this.core.store.commit(arn, {
          runId: this.runId,
          events: [outcome.kind === 'failure' ? { type: 'MapRunFailed', details: { mapRunFailedEventDetails: { error: outcome.error, cause: outcome.cause } } } : { type: 'MapRunSucceeded' }],
          set: { runId: nextRunId, cursor: { mode: 'resume', stateName: this.stateName, input: this.input, outcome } },
          extra: finishedMapRunItems(this.core.store, arn, cursor.mapRun, { status: succeeded ? 'SUCCEEDED' : 'FAILED', stopDate, state }),
          timestamp: stopDate,
        });
      });
    } catch (error) {
      if (!(error instanceof FencedError)) {
        console.error(`stepfunctions: map run of ${arn} not completed: ${error instanceof Error ? error.name : typeof error}`);
        this.stop();
        this.core.relaunch(arn, [this.runId, nextRunId], error);
        return;
      }
    }
    this.stop();
    if (resumed) this.core.launch(resumed);
  }

  private async child(batch: Batch): Promise<ChildResult> {
    const start = this.core.now();
    const name = this.childName(batch);
    const input = batch.input as JSONValue;
    const context = {
      Execution: { Id: this.childArn(name), Name: name, StartTime: new Date(start).toISOString(), Input: input, RoleArn: this.core.machines.roleArn(this.model.arn) },
      StateMachine: { Id: this.childMachineArn(), Name: `${this.model.name}/${this.spec.label}` },
    };
    const execution = this.spec.processor.run(input, { overrides: { taskResourceLocalHandlers: this.handlers }, context, noThrowOnAbort: true });
    this.aborts.add(execution.abort);
    try {
      const output = await execution.result;
      return { batch: batch.index, start, stop: this.core.now(), items: batch.count, output: JSON.stringify(output ?? null) };
    } catch (error) {
      const { name: errorName, message } = errorOf(error);
      return { batch: batch.index, start, stop: this.core.now(), items: batch.count, error: errorName, cause: message };
    } finally {
      this.aborts.delete(execution.abort);
      // In the background: a count never holds the map run up (nor fails it).
      if (this.active) this.count(execution.eventLogs).catch(() => undefined);
    }
  }

  /** Counts a finished child and the states it entered (its event log is closed once it succeeded or failed). */
  private async count(events: AsyncGenerator<{ type: string }>): Promise<void> {
    let entered = 0;
    for await (const event of events) if (event.type === 'StateEntered') entered++;
    this.core.mapChildren.children++;
    this.core.mapChildren.statesEntered += entered;
  }

  /** Keeps a finished child; the records go out in the background, every child finished meanwhile in one write. */
  private record(result: ChildResult): void {
    this.results.set(result.batch, result);
    this.pending.push(result);
    this.flushing ??= this.flush();
  }

  private async flush(): Promise<void> {
    try {
      await nextTurn();
      while (this.pending.length > 0 && this.active) {
        let bytes = 0;
        let count = 0;
        while (count < this.pending.length && (count === 0 || bytes + JSON.stringify(this.pending[count]).length <= RESULTS_ITEM_BYTES)) bytes += JSON.stringify(this.pending[count++]).length;
        await this.core.store.putMapResults(this.execution.executionArn, this.cursor.id, this.pending.slice(0, count));
        this.pending.splice(0, count);
      }
    } catch (error) {
      // The execution stays parked at the map; taken up again (or at the next start()), it runs the children not recorded.
      console.error(`stepfunctions: map run of ${this.execution.executionArn} stopped, its progress not stored: ${error instanceof Error ? error.name : typeof error}`);
      this.stop();
      this.core.relaunch(this.execution.executionArn, [this.runId], error);
    } finally {
      this.flushing = undefined;
    }
  }

  /** The map's result: each child's output in item order (or the file manifest with a ResultWriter to S3). */
  private async output(prepared: PreparedMap): Promise<Outcome> {
    const { transformation, s3 } = this.spec.writer;
    const entries = prepared.batches.map((batch) => {
      const result = this.results.get(batch.index)!;
      const output = result.output !== undefined ? (JSON.parse(result.output) as unknown) : undefined;
      if (transformation !== 'NONE' && result.error === undefined) return { result, value: output, spread: transformation === 'FLATTEN' && Array.isArray(output) };
      return { result, value: this.detailed(batch, result), spread: false };
    });
    const list = (selected: typeof entries) => selected.flatMap((entry) => (entry.spread ? (entry.value as unknown[]) : [entry.value]));
    if (!s3) {
      const text = JSON.stringify(list(entries));
      if (Buffer.byteLength(text) > STATE_OUTPUT_BYTES) {
        return { kind: 'failure', error: 'States.DataLimitExceeded', cause: `The map's result has ${Buffer.byteLength(text)} bytes, above the 262144 of a state output: use a ResultWriter` };
      }
      return { kind: 'success', output: text };
    }
    const parameters = JSON.parse(this.cursor.parameters) as MapParameters;
    const bucket = parameters.writer?.Bucket;
    const prefix = String(parameters.writer?.Prefix ?? '').replace(/\/+$/, '');
    const base = prefix ? `${prefix}/${this.cursor.id}` : this.cursor.id;
    try {
      if (typeof bucket !== 'string') throw new Error('ResultWriter Parameters need a Bucket');
      const files: Record<'FAILED' | 'PENDING' | 'SUCCEEDED', Array<{ Key: string; Size: number }>> = { FAILED: [], PENDING: [], SUCCEEDED: [] };
      for (const status of ['SUCCEEDED', 'FAILED'] as const) {
        const selected = entries.filter((entry) => (entry.result.error === undefined) === (status === 'SUCCEEDED'));
        if (selected.length === 0) continue;
        const key = `${base}/${status}_0.json`;
        const body = JSON.stringify(list(selected));
        await this.s3!.putObject!(bucket, key, body, 'application/json');
        files[status].push({ Key: key, Size: Buffer.byteLength(body) });
      }
      const manifest = `${base}/manifest.json`;
      await this.s3!.putObject!(bucket, manifest, JSON.stringify({ DestinationBucket: bucket, MapRunArn: this.cursor.arn, ResultFiles: files }), 'application/json');
      return { kind: 'success', output: JSON.stringify({ MapRunArn: this.cursor.arn, ResultWriterDetails: { Bucket: bucket, Key: manifest } }) };
    } catch (error) {
      return { kind: 'failure', error: 'States.ResultWriterFailed', cause: errorOf(error).message };
    }
  }

  /** A child as AWS describes it in the results (Transformation NONE, and failed children always). */
  private detailed(batch: Batch, result: ChildResult): Record<string, unknown> {
    const name = this.childName(batch);
    const succeeded = result.error === undefined;
    return {
      ExecutionArn: this.childArn(name),
      Input: JSON.stringify(batch.input),
      InputDetails: { Included: true },
      Name: name,
      ...(succeeded ? { Output: result.output, OutputDetails: { Included: true } } : { Error: result.error, Cause: result.cause }),
      RedriveCount: 0,
      RedriveStatus: 'NOT_REDRIVABLE',
      RedriveStatusReason: succeeded ? 'Execution is SUCCEEDED and cannot be redriven' : 'The local engine does not redrive map run children',
      StartDate: new Date(result.start).toISOString(),
      StateMachineArn: this.childMachineArn(),
      Status: succeeded ? 'SUCCEEDED' : 'FAILED',
      StopDate: new Date(result.stop).toISOString(),
    };
  }

  /** A UUID-shaped name derived from the map run and the child, the same after a restart. */
  private childName(batch: Batch): string {
    const hex = createHash('sha256').update(`${this.cursor.id}:${batch.index}`).digest('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  }

  private childArn(name: string): string {
    const type = this.spec.executionType === 'EXPRESS' ? 'express' : 'execution';
    return this.core.machines.resourceArn(this.model.arn, type, `${this.model.name}/${this.spec.label}:${name}`);
  }

  private childMachineArn(): string {
    return this.core.machines.resourceArn(this.model.arn, 'stateMachine', `${this.model.name}/${this.spec.label}`);
  }
}
