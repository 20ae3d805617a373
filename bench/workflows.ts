/**
 * Workflow figures for the bench: how long until every referral's workflow waits for the staff (its execution is
 * parked at the decision callback: acknowledgement sent, approval opened, staff decision request sent), the DynamoDB
 * calls a referral cost by table and kind, and the same writes replayed straight to DynamoDB Local, 16 at a time.
 */
import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { writeFileSync } from 'node:fs';
import { countByKind, isWrite, replayWrites, type DynamoDbTap } from './dynamodb-tap.js';
import { cpuSeconds } from './threads.js';


/** Executions still running whose cursor is parked at a callback task (infra/local/stepfunctions/store.ts). */
export async function parkedExecutions(doc: DynamoDBDocumentClient, engineTable: string): Promise<{ running: number; parked: number }> {
  let running = 0;
  let parked = 0;
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new QueryCommand({
        TableName: engineTable,
        IndexName: 'running',
        KeyConditionExpression: 'runningPk = :running',
        ExpressionAttributeValues: { ':running': 'RUNNING' },
        ProjectionExpression: '#cursor.#mode',
        ExpressionAttributeNames: { '#cursor': 'cursor', '#mode': 'mode' },
        ExclusiveStartKey,
      }),
    );
    for (const item of page.Items ?? []) {
      running++;
      if ((item.cursor as { mode?: string } | undefined)?.mode === 'parked') parked++;
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return { running, parked };
}

/** Polls the engine's table until `expected` executions are parked, or the deadline (epoch ms) passes. */
export async function waitUntilParked(doc: DynamoDBDocumentClient, engineTable: string, expected: number, deadline: number): Promise<{ running: number; parked: number }> {
  let state = await parkedExecutions(doc, engineTable);
  while (state.parked < expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    state = await parkedExecutions(doc, engineTable);
  }
  return state;
}

/** A fresh, empty table with the keys and indexes of `name`, for the replay. */
async function replicaOf(client: DynamoDBClient, name: string, replica: string): Promise<void> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
  await client.send(
    new CreateTableCommand({
      TableName: replica,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: Table!.KeySchema,
      AttributeDefinitions: Table!.AttributeDefinitions,
      ...(Table!.GlobalSecondaryIndexes?.length
        ? { GlobalSecondaryIndexes: Table!.GlobalSecondaryIndexes.map((index) => ({ IndexName: index.IndexName, KeySchema: index.KeySchema, Projection: index.Projection })) }
        : {}),
    }),
  );
}

export async function workflowFigures(options: {
  client: DynamoDBClient;
  dynamodbPort: number;
  tap: DynamoDbTap;
  engineTable: string;
  /** Referrals of the burst, and the executions to wait for: every referral answered 201, the burst's and the ones before it. */
  referrals: number;
  executions: number;
  concurrency: number;
  burstStartEpoch: number;
  burstSeconds: number;
  timeoutMs: number;
  /** CPU seconds of the local cloud process and of DynamoDB Local at the start of the burst, and their pids */
  cpu: { localCloudPid: number; dynamodbPid: number; localCloudAtStart: number; mainThreadAtStart: number; dynamodbAtStart: number };
}): Promise<string[]> {
  const { tap, referrals } = options;
  const doc = DynamoDBDocumentClient.from(options.client);
  const expected = options.executions;
  const state = await waitUntilParked(doc, options.engineTable, expected, options.burstStartEpoch + options.timeoutMs);
  const completedSeconds = (Date.now() - options.burstStartEpoch) / 1000;
  const { cpu } = options;
  const cloudCpu = cpuSeconds(cpu.localCloudPid) - cpu.localCloudAtStart;
  // The main thread runs the gateway, the engine and the local services; the others are mostly the functions' worker threads.
  const mainCpu = cpuSeconds(cpu.localCloudPid, cpu.localCloudPid) - cpu.mainThreadAtStart;
  const dynamodbCpu = cpuSeconds(cpu.dynamodbPid) - cpu.dynamodbAtStart;
  tap.recording = false;
  const recorded = [...tap.requests];
  // BENCH_TAP_DUMP=<file>: every recorded call as one JSON line (operation, table, ms, body), to attribute them in a profile.
  if (process.env.BENCH_TAP_DUMP) {
    writeFileSync(process.env.BENCH_TAP_DUMP, recorded.map((r) => JSON.stringify({ operation: r.operation, table: r.table, ms: r.ms, body: r.body.toString('utf8') })).join('\n'));
  }
  const lines: string[] = [];
  const systemRate = referrals / completedSeconds;
  lines.push(
    `workflows: ${state.parked} of ${expected} executions waiting for the staff decision ${completedSeconds.toFixed(1)} s after the burst started ` +
      `(${(completedSeconds - options.burstSeconds).toFixed(1)} s after its last answer): ${systemRate.toFixed(1)} referrals/s with every workflow at its waiting step`,
  );

  lines.push(
    `CPU over that time: local cloud process ${cloudCpu.toFixed(1)} s = ${((1000 * cloudCpu) / referrals).toFixed(1)} ms per referral ` +
      `(main thread: gateway, engine, local services ${((1000 * mainCpu) / referrals).toFixed(1)} ms; other threads: functions, GC ${((1000 * (cloudCpu - mainCpu)) / referrals).toFixed(1)} ms), ` +
      `DynamoDB Local ${dynamodbCpu.toFixed(1)} s = ${((1000 * dynamodbCpu) / referrals).toFixed(1)} ms per referral (2 cores: ${(2 * completedSeconds).toFixed(1)} CPU-s available, shared with whatever else runs)`,
  );
  const perReferral = (n: number) => (n / referrals).toFixed(2);
  const counts = countByKind(recorded);
  const writes = recorded.filter((r) => isWrite(r.operation));
  lines.push(
    `DynamoDB calls per referral (burst to last workflow parked): ${perReferral(recorded.length)} in all, ${perReferral(writes.length)} writes; ` +
      [...counts].map(([kind, n]) => `${kind} ${perReferral(n)}`).join(', '),
  );

  const latency = new Map<string, number[]>();
  for (const r of recorded) if (r.ms !== undefined) latency.set(r.operation, [...(latency.get(r.operation) ?? []), r.ms]);
  const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  lines.push(`DynamoDB Local answer time during the burst, p50 by operation: ${[...latency].map(([op, xs]) => `${op} ${p50(xs).toFixed(1)} ms`).join(', ')}`);

  // The same writes on fresh copies of the tables, so that their conditions meet the same items as the first time.
  // Then the app's writes alone (no engine table): the ceiling of DynamoDB Local if the engine kept its state elsewhere.
  const replays = [
    { label: `the same ${writes.length} writes`, writes },
    { label: 'the app table\'s writes alone (no engine)', writes: writes.filter((w) => w.table !== options.engineTable) },
  ];
  for (const [i, { label, writes: set }] of replays.entries()) {
    const suffix = `-replay${i}-${Date.now()}`;
    for (const table of new Set(set.map((w) => w.table))) await replicaOf(options.client, table, `${table}${suffix}`);
    const jvmBefore = cpuSeconds(cpu.dynamodbPid);
    const replay = await replayWrites(options.dynamodbPort, set, options.concurrency, (name) => `${name}${suffix}`);
    const jvmMs = (1000 * (cpuSeconds(cpu.dynamodbPid) - jvmBefore)) / referrals;
    const replayRate = referrals / replay.seconds;
    lines.push(
      `DynamoDB Local alone, ${label}, ${options.concurrency} in flight: ${set.length} writes in ${replay.seconds.toFixed(1)} s, ${(set.length / replay.seconds).toFixed(0)} writes/s = ` +
        `${replayRate.toFixed(1)} referrals/s, JVM CPU ${jvmMs.toFixed(1)} ms per referral (${replay.refused} refused by a condition, ${replay.failed} errors)` +
        (i === 0 ? `; local cloud / DynamoDB Local alone: ${((100 * systemRate) / replayRate).toFixed(0)} %` : ''),
    );
    if (replay.firstError) lines.push(`replay: first error ${replay.firstError}`);
  }
  return lines;
}
