import { runSettings, type DistributedMapSpec, type MapParameters, type MapRunSettings } from './distributed-map.js';
import {
  mapRunRecordKey,
  mapRunRefKey,
  type ChildResult,
  type EngineStore,
  type MapRunCounts,
  type MapRunCursor,
  type MapRunLimits,
  type MapRunRecord,
  type MapRunRefItem,
} from './store.js';

/** What a map run of this process tells of its progress (map-runs.ts); `finished` is undefined until its children are known. */
export interface MapRunProgress {
  /** Every finished child: those recorded before this process took the run over, and its own, stored or not yet. */
  finished?: ReadonlyMap<number, ChildResult>;
  /** Children in flight, with their item counts. */
  running: Array<{ count: number }>;
  children?: number;
  items?: number;
  /** Items of a child, by its index, once the batches are known. */
  itemsOf(batch: number): number | undefined;
}

/** A map run this process is running (core.mapRuns): its id, and its progress for DescribeMapRun. */
export interface LiveMapRun {
  readonly mapRunId: string;
  stop(): void;
  progress(): MapRunProgress;
}

/** What DescribeMapRun says of a map run but its ARNs and dates. */
export interface MapRunState {
  limits: MapRunLimits;
  itemCounts: MapRunCounts;
  executionCounts: MapRunCounts;
}

const emptyCounts = (): MapRunCounts => ({ pending: 0, running: 0, succeeded: 0, failed: 0, timedOut: 0, aborted: 0, total: 0, resultsWritten: 0 });

/**
 * The counts of a map run's children and items. A failed child counts all its items failed, as the tolerated failure
 * threshold counts them. Children not launched are pending; with an unknown total (a cursor from an engine before
 * DescribeMapRun, its items not read again yet), the total is what is known.
 */
export function countMapRun(input: {
  children?: number;
  items?: number;
  finished: Iterable<ChildResult>;
  running: Array<{ count: number }>;
  itemsOf: (result: ChildResult) => number;
  /** The map run was stopped: its children in flight count as aborted. */
  stopped?: boolean;
  /** A ResultWriter wrote the finished children's results. */
  written?: boolean;
}): { itemCounts: MapRunCounts; executionCounts: MapRunCounts } {
  const executionCounts = emptyCounts();
  const itemCounts = emptyCounts();
  for (const result of input.finished) {
    const key = result.error === undefined ? 'succeeded' : 'failed';
    executionCounts[key]++;
    itemCounts[key] += input.itemsOf(result);
  }
  const key = input.stopped ? 'aborted' : 'running';
  for (const child of input.running) {
    executionCounts[key]++;
    itemCounts[key] += child.count;
  }
  for (const [counts, total] of [
    [executionCounts, input.children],
    [itemCounts, input.items],
  ] as const) {
    const known = counts.running + counts.succeeded + counts.failed + counts.aborted;
    counts.total = Math.max(total ?? known, known);
    counts.pending = counts.total - known;
    if (input.written) counts.resultsWritten = counts.succeeded + counts.failed;
  }
  return { itemCounts, executionCounts };
}

/** The map's settings of a cursor written before cursors kept them: evaluated again from its parameters and the state's spec. */
function legacySettings(cursor: MapRunCursor, spec: DistributedMapSpec | undefined): MapRunSettings | undefined {
  if (!spec) return undefined;
  try {
    return runSettings(spec, JSON.parse(cursor.parameters) as MapParameters);
  } catch {
    return undefined;
  }
}

export const limitsOf = (settings: MapRunSettings): MapRunLimits => ({
  maxConcurrency: settings.maxConcurrency,
  toleratedFailureCount: settings.toleratedFailureCount,
  toleratedFailurePercentage: settings.toleratedFailurePercentage,
});

/**
 * The state of a map run not finished (or being ended now) from its cursor, the live map run of this process when
 * there is one, else the children the store recorded. What a cursor of an engine before DescribeMapRun lacks is taken
 * from the live run, or evaluated again from its parameters; an unknown batch size counts MaxItemsPerBatch.
 */
export async function mapRunState(
  store: EngineStore,
  executionArn: string,
  cursor: MapRunCursor,
  options: { live?: LiveMapRun; spec?: DistributedMapSpec; stopped?: boolean; written?: boolean },
): Promise<MapRunState> {
  const progress = options.live?.mapRunId === cursor.id ? options.live.progress() : undefined;
  const finished = progress?.finished ?? (await store.mapResults(executionArn, cursor.id));
  const legacy = cursor.limits && cursor.items !== undefined ? undefined : legacySettings(cursor, options.spec);
  const guess = options.spec?.batcher ? (legacy?.maxItemsPerBatch ?? 1) : 1;
  return {
    limits: cursor.limits ?? (legacy ? limitsOf(legacy) : { maxConcurrency: 0 }),
    ...countMapRun({
      children: progress?.children ?? cursor.children,
      items: progress?.items ?? cursor.items,
      finished: finished.values(),
      running: progress?.running ?? [],
      itemsOf: (result) => result.items ?? progress?.itemsOf(result.batch) ?? guess,
      stopped: options.stopped,
      written: options.written,
    }),
  };
}

/** The items that keep a finished map run: its record in the execution's partition, and the reference from its ARN. */
export function finishedMapRunItems(
  store: EngineStore,
  executionArn: string,
  cursor: MapRunCursor,
  end: { status: MapRunRecord['status']; stopDate: number; state: MapRunState },
): ReturnType<EngineStore['putItem']>[] {
  const record: MapRunRecord = {
    ...mapRunRecordKey(executionArn, cursor.id),
    kind: 'mapRun',
    mapRunArn: cursor.arn,
    executionArn,
    status: end.status,
    startDate: cursor.startDate,
    stopDate: end.stopDate,
    ...end.state,
  };
  return [store.putItem(record), store.putItem(mapRunRef(executionArn, cursor.arn))];
}

export function mapRunRef(executionArn: string, mapRunArn: string): MapRunRefItem {
  return { ...mapRunRefKey(mapRunArn), kind: 'mapRunRef', mapRunArn, executionArn };
}
