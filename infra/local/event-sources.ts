import type { Invoke } from './events.js';
import type { LocalSqs, ReceivedMessage } from './sqs.js';
import type { LocalEventSourceMapping } from './template.js';

/** Invocations of one mapping at once, when its ScalingConfig sets none (Lambda starts with 5 pollers; this machine has 2 cores). */
export const DEFAULT_MAPPING_CONCURRENCY = 2;
/** A receive of an empty queue waits this long for a message, as Lambda's pollers do (long polling). */
const IDLE_WAIT_MS = 20_000;

/** What a mapping did since the start: batches invoked, messages in them, and how they ended. */
export interface MappingStats {
  logicalId: string;
  batches: number;
  messages: number;
  /** Batches whose invocation failed: every message of them comes back after its visibility timeout. */
  failedBatches: number;
  /** Messages the function named in `batchItemFailures`. */
  failedMessages: number;
  largestBatch: number;
}

/**
 * Lambda's event source mappings for SQS, on the local SQS: each mapping gathers a batch (up to BatchSize messages,
 * received 10 at a time, until MaximumBatchingWindowInSeconds has passed since the batch's first message; at once
 * with no window), invokes its function synchronously with the SQS event, and deletes what succeeded: the whole batch,
 * or with ReportBatchItemFailures all but the messages the function's `batchItemFailures` names. A failed invocation,
 * or an answer Lambda would not accept (an unknown or empty `itemIdentifier`), deletes nothing: the messages come back
 * after their visibility timeout, and the queue's redrive policy moves those received too often. Up to
 * ScalingConfig.MaximumConcurrency batches are invoked at once (DEFAULT_MAPPING_CONCURRENCY without it).
 */
export class LocalEventSources {
  private readonly mappings: LocalEventSourceMapping[];
  private readonly sqs: LocalSqs;
  private readonly invoke: Invoke;
  private readonly region: string;
  private readonly log: (line: string) => void;
  private readonly abort = new AbortController();
  private readonly loops: Promise<void>[] = [];
  private readonly counts = new Map<string, MappingStats>();

  constructor(options: { mappings: LocalEventSourceMapping[]; sqs: LocalSqs; invoke: Invoke; region: string; log?: (line: string) => void }) {
    this.mappings = options.mappings;
    this.sqs = options.sqs;
    this.invoke = options.invoke;
    this.region = options.region;
    this.log = options.log ?? (() => undefined);
  }

  start(): void {
    for (const mapping of this.mappings) {
      this.counts.set(mapping.logicalId, { logicalId: mapping.logicalId, batches: 0, messages: 0, failedBatches: 0, failedMessages: 0, largestBatch: 0 });
      this.loops.push(this.poll(mapping));
    }
  }

  /** Stops polling: a batch being gathered is handed back at once, the batches invoked finish (and delete what succeeded). */
  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.loops);
  }

  stats(): MappingStats[] {
    return [...this.counts.values()].map((stats) => ({ ...stats }));
  }

  private async poll(mapping: LocalEventSourceMapping): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    const limit = mapping.maximumConcurrency ?? DEFAULT_MAPPING_CONCURRENCY;
    while (!this.abort.signal.aborted) {
      if (inFlight.size >= limit) {
        await Promise.race(inFlight);
        continue;
      }
      let batch: ReceivedMessage[];
      try {
        batch = await this.gather(mapping);
      } catch (error) {
        this.log(`[local-cloud] event source ${mapping.logicalId}: receive failed (${(error as Error).name})`);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        continue;
      }
      if (!batch.length) continue;
      if (this.abort.signal.aborted) {
        this.release(mapping, batch);
        break;
      }
      const invocation = this.deliver(mapping, batch).finally(() => inFlight.delete(invocation));
      inFlight.add(invocation);
    }
    await Promise.all(inFlight);
  }

  /** Receives up to a batch: the first message waits as long as it must, the rest until the batching window ends. */
  private async gather(mapping: LocalEventSourceMapping): Promise<ReceivedMessage[]> {
    const batch: ReceivedMessage[] = [];
    let closesAt: number | undefined;
    while (batch.length < mapping.batchSize && !this.abort.signal.aborted) {
      const waitMs = closesAt === undefined ? IDLE_WAIT_MS : closesAt - Date.now();
      if (waitMs <= 0) break;
      const received = await this.sqs.receiveMessage(mapping.queueArn, { maxMessages: Math.min(10, mapping.batchSize - batch.length), waitMs, signal: this.abort.signal });
      if (!received.length) {
        if (closesAt === undefined) return batch;
        continue;
      }
      batch.push(...received);
      closesAt ??= Date.now() + mapping.maximumBatchingWindowSeconds * 1000;
    }
    return batch;
  }

  private async deliver(mapping: LocalEventSourceMapping, batch: ReceivedMessage[]): Promise<void> {
    const stats = this.counts.get(mapping.logicalId)!;
    stats.batches += 1;
    stats.messages += batch.length;
    stats.largestBatch = Math.max(stats.largestBatch, batch.length);
    const event = {
      Records: batch.map((message) => ({
        messageId: message.messageId,
        receiptHandle: message.receiptHandle,
        body: message.body,
        attributes: message.attributes,
        messageAttributes: Object.fromEntries(
          Object.entries(message.messageAttributes).map(([name, a]) => [name, { dataType: a.DataType, stringValue: a.StringValue, binaryValue: a.BinaryValue, stringListValues: [], binaryListValues: [] }]),
        ),
        md5OfBody: message.md5OfBody,
        eventSource: 'aws:sqs',
        eventSourceARN: mapping.queueArn,
        awsRegion: this.region,
      })),
    };
    let outcome: Awaited<ReturnType<Invoke>>;
    try {
      outcome = await this.invoke(mapping.functionArn, event);
    } catch (error) {
      outcome = { ok: false, errorType: (error as Error).name, errorMessage: (error as Error).message, durationMs: 0 };
    }
    if (!outcome.ok) {
      stats.failedBatches += 1;
      this.log(`[local-cloud] event source ${mapping.logicalId}: a batch of ${batch.length} failed (${outcome.errorType}); its messages come back after their visibility timeout`);
      return;
    }
    const ids = new Set(batch.map((message) => message.messageId));
    const failed = mapping.reportBatchItemFailures ? failedItems(outcome.result, ids) : new Set<string>();
    if (failed === 'all') {
      stats.failedBatches += 1;
      this.log(`[local-cloud] event source ${mapping.logicalId}: batchItemFailures not understood, the whole batch of ${batch.length} comes back`);
      return;
    }
    stats.failedMessages += failed.size;
    for (const message of batch) {
      if (failed.has(message.messageId)) continue;
      try {
        this.sqs.deleteMessage(mapping.queueArn, message.receiptHandle);
      } catch {
        // The queue refused the handle: the message comes back, as on AWS when a delete fails.
      }
    }
  }

  /** Messages received but never handed to the function: visible again at once. */
  private release(mapping: LocalEventSourceMapping, batch: ReceivedMessage[]): void {
    for (const message of batch) {
      try {
        this.sqs.changeMessageVisibility(mapping.queueArn, message.receiptHandle, 0);
      } catch {
        // No longer in flight: nothing to hand back.
      }
    }
  }
}

/**
 * The messages a function's answer names as failed, as Lambda reads `batchItemFailures`: none for an answer without
 * it (null, `{}`, an empty list), `all` for one Lambda treats as a failure of the whole batch (not a list, an
 * `itemIdentifier` empty or not in the batch).
 */
export function failedItems(result: unknown, batchIds: ReadonlySet<string>): Set<string> | 'all' {
  if (result === null || result === undefined || typeof result !== 'object') return new Set();
  const failures = (result as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return 'all';
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !batchIds.has(id)) return 'all';
    failed.add(id);
  }
  return failed;
}
