import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  ExecutionDoesNotExist,
  InvalidArn,
  InvalidToken,
  ListMapRunsCommand,
  ResourceNotFound,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  ValidationException,
  paginateListMapRuns,
  type DescribeMapRunOutput,
} from '@aws-sdk/client-sfn';
import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ObjectStore } from '../../infra/local/stepfunctions/index.js';
import { ACCOUNT, FakeInvoker, FunctionError, REGION, documentClient, fn, machineArn, serve, startEngine, stopEngines, failure } from './stepfunctions-support.js';

afterEach(stopEngines);

/** Children wait here until the test lets them through, a given number at a time or all. */
function turnstile() {
  const waiting: Array<() => void> = [];
  let open = false;
  return {
    release: (count: number) => waiting.splice(0, count).forEach((resolve) => resolve()),
    openAll: () => {
      open = true;
      waiting.splice(0).forEach((resolve) => resolve());
    },
    get waiting() {
      return waiting.length;
    },
    /** A function that waits its turn, then answers `result`. */
    gated:
      <T>(result: (payload: never) => T) =>
      async (payload: never): Promise<T> => {
        if (!open) await new Promise<void>((resolve) => waiting.push(resolve));
        return result(payload);
      },
  };
}

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 5; ; pause = Math.min(pause * 2, 50)) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what} not reached after ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

const describeUntil = (client: SFNClient, mapRunArn: string, done: (mapRun: DescribeMapRunOutput) => boolean) =>
  until(`map run ${mapRunArn}`, () => client.send(new DescribeMapRunCommand({ mapRunArn })), done);

async function mapRunArns(client: SFNClient, executionArn: string, count = 1): Promise<string[]> {
  const { mapRuns } = await until('MapRunStarted', () => client.send(new ListMapRunsCommand({ executionArn })), (page) => page.mapRuns!.length >= count);
  return mapRuns!.map((mapRun) => mapRun.mapRunArn!);
}

/** AWS's counts of a map run's items or children: pending, running, succeeded, failed, aborted and total as given, the rest 0. */
const counts = (values: { pending?: number; running?: number; succeeded?: number; failed?: number; aborted?: number; total: number; resultsWritten?: number }) => ({
  pending: 0,
  running: 0,
  succeeded: 0,
  failed: 0,
  timedOut: 0,
  aborted: 0,
  resultsWritten: 0,
  failuresNotRedrivable: 0,
  pendingRedrive: 0,
  ...values,
});

/** A Distributed Map state of the given fields, its processor one Task of `functionName` (named after it: state names are unique in a machine). */
function distributedMap(functionName: string, fields: Record<string, unknown>) {
  return {
    Type: 'Map',
    ItemsPath: '$.items',
    ResultPath: null,
    ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: functionName, States: { [functionName]: { Type: 'Task', Resource: fn(functionName), End: true } } },
    ...fields,
  };
}

const ids = (count: number) => Array.from({ length: count }, (_, i) => ({ id: `a${i}` }));

class FakeS3 implements ObjectStore {
  readonly objects = new Map<string, string>();
  async getObject(bucket: string, key: string): Promise<string> {
    const body = this.objects.get(`${bucket}/${key}`);
    if (body === undefined) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
    return body;
  }
  async putObject(bucket: string, key: string, body: string): Promise<void> {
    this.objects.set(`${bucket}/${key}`, body);
  }
}

describe('ListMapRuns and DescribeMapRun through the SDK', () => {
  it('follows a map run while it runs (children and items pending, running, succeeded) and once it succeeded, and pages the map runs of an execution', async () => {
    const gate = turnstile();
    const invoker = new FakeInvoker({ draft: gate.gated((batch: { Items: unknown[] }) => batch.Items.length), deliver: () => 'sent' });
    // Drafting then delivery, as the monthly invoicing workflow: 11 items in 6 batches of 2 at most, 2 at a time; then 11
    // children of one item, their results written to S3.
    const definition = {
      StartAt: 'Drafts',
      States: {
        Drafts: distributedMap('draft', { Label: 'Drafting', ItemBatcher: { MaxItemsPerBatch: 2 }, MaxConcurrency: 2, ToleratedFailurePercentage: 10, Next: 'Delivery' }),
        Delivery: distributedMap('deliver', { ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: 'results', Prefix: 'runs' } }, End: true }),
      },
    };
    const { engine } = await startEngine({ invoker, s3: new FakeS3(), machines: [{ name: 'invoicing', definition }] });
    const client = await serve(engine);
    const stateMachineArn = machineArn('invoicing');
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify({ items: ids(11) }) }));

    const [drafting] = await mapRunArns(client, executionArn!);
    expect(drafting).toMatch(new RegExp(`^arn:aws:states:${REGION}:${ACCOUNT}:mapRun:invoicing/Drafting:[0-9a-f-]{36}$`));
    const listed = (await client.send(new ListMapRunsCommand({ executionArn }))).mapRuns!;
    expect(listed).toEqual([{ executionArn, mapRunArn: drafting, stateMachineArn, startDate: expect.any(Date) }]);

    const first = await describeUntil(client, drafting!, (mapRun) => mapRun.executionCounts!.running === 2);
    expect(first).toEqual({
      $metadata: expect.anything(),
      mapRunArn: drafting,
      executionArn,
      status: 'RUNNING',
      startDate: listed[0]!.startDate,
      maxConcurrency: 2,
      toleratedFailurePercentage: 10,
      toleratedFailureCount: 0,
      executionCounts: counts({ pending: 4, running: 2, total: 6 }),
      itemCounts: counts({ pending: 7, running: 4, total: 11 }),
      redriveCount: 0,
    });

    await until('two children waiting', async () => gate.waiting, (waiting) => waiting === 2);
    gate.release(2);
    const second = await describeUntil(client, drafting!, (mapRun) => mapRun.executionCounts!.succeeded === 2 && mapRun.executionCounts!.running === 2);
    expect(second.executionCounts).toEqual(counts({ pending: 2, running: 2, succeeded: 2, total: 6 }));
    expect(second.itemCounts).toEqual(counts({ pending: 3, running: 4, succeeded: 4, total: 11 }));
    expect(second.status).toBe('RUNNING');

    gate.openAll();
    expect(await engine.waitForStatus(executionArn!)).toBe('SUCCEEDED');
    const { stopDate: executionStop } = await client.send(new DescribeExecutionCommand({ executionArn }));

    // One map run a page, then the paginator.
    const page1 = await client.send(new ListMapRunsCommand({ executionArn, maxResults: 1 }));
    expect(page1.mapRuns!.map((mapRun) => mapRun.mapRunArn)).toEqual([drafting]);
    expect(page1.nextToken).toEqual(expect.any(String));
    const page2 = await client.send(new ListMapRunsCommand({ executionArn, maxResults: 1, nextToken: page1.nextToken }));
    expect(page2.nextToken).toBeUndefined();
    const delivery = page2.mapRuns![0]!.mapRunArn!;
    expect(delivery).toMatch(/:mapRun:invoicing\/Delivery:/);
    const all = [];
    for await (const page of paginateListMapRuns({ client, pageSize: 1 }, { executionArn })) all.push(...page.mapRuns!);
    expect(all.map((mapRun) => mapRun.mapRunArn)).toEqual([drafting, delivery]);

    const done = await client.send(new DescribeMapRunCommand({ mapRunArn: drafting }));
    expect(done).toMatchObject({
      status: 'SUCCEEDED',
      startDate: listed[0]!.startDate,
      stopDate: all[0]!.stopDate,
      executionCounts: counts({ succeeded: 6, total: 6 }),
      itemCounts: counts({ succeeded: 11, total: 11 }),
    });
    expect(done.stopDate!.getTime()).toBeGreaterThanOrEqual(done.startDate!.getTime());
    expect(done.stopDate!.getTime()).toBeLessThanOrEqual(all[1]!.startDate!.getTime());
    const delivered = await client.send(new DescribeMapRunCommand({ mapRunArn: delivery }));
    expect(delivered).toMatchObject({
      status: 'SUCCEEDED',
      stopDate: all[1]!.stopDate,
      maxConcurrency: 0,
      executionCounts: counts({ succeeded: 11, total: 11, resultsWritten: 11 }),
      itemCounts: counts({ succeeded: 11, total: 11, resultsWritten: 11 }),
    });
    expect(delivered.stopDate!.getTime()).toBeLessThanOrEqual(executionStop!.getTime());
  });

  it('describes a map run failed past its tolerated failures: FAILED, every item of a failed child failed, the children never launched pending', async () => {
    const invoker = new FakeInvoker({
      draft: (batch: { Items: Array<{ id: string; fail?: boolean }> }) => {
        if (batch.Items.some((item) => item.fail)) throw new FunctionError('DraftError', 'cannot draft');
        return 'ok';
      },
    });
    // 10 items in 5 batches of 2, one at a time; 2 failed items tolerated: batch 1 fails (2 items), batch 3 too (4 > 2).
    const definition = { StartAt: 'Drafts', States: { Drafts: distributedMap('draft', { ItemBatcher: { MaxItemsPerBatch: 2 }, MaxConcurrency: 1, ToleratedFailureCount: 2, End: true }) } };
    const { engine } = await startEngine({ invoker, machines: [{ name: 'failing', definition }] });
    const client = await serve(engine);
    const items = ids(10).map((item, i) => ({ ...item, fail: i === 2 || i === 7 }));
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: machineArn('failing'), input: JSON.stringify({ items }) }));
    expect(await engine.waitForStatus(executionArn!)).toBe('FAILED');

    const [mapRunArn] = await mapRunArns(client, executionArn!);
    const described = await client.send(new DescribeMapRunCommand({ mapRunArn }));
    expect(described).toMatchObject({
      status: 'FAILED',
      stopDate: expect.any(Date),
      maxConcurrency: 1,
      toleratedFailureCount: 2,
      toleratedFailurePercentage: 0,
      executionCounts: counts({ succeeded: 2, failed: 2, pending: 1, total: 5 }),
      itemCounts: counts({ succeeded: 4, failed: 4, pending: 2, total: 10 }),
    });
    const [listed] = (await client.send(new ListMapRunsCommand({ executionArn }))).mapRuns!;
    expect(listed!.stopDate).toEqual(described.stopDate);
  });

  it('leaves the map run of a stopped execution ABORTED, its children in flight aborted', async () => {
    const gate = turnstile();
    const invoker = new FakeInvoker({ draft: gate.gated(() => 'ok') });
    const definition = { StartAt: 'Drafts', States: { Drafts: distributedMap('draft', { MaxConcurrency: 2, End: true }) } };
    const { engine } = await startEngine({ invoker, machines: [{ name: 'stopped', definition }] });
    const client = await serve(engine);
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: machineArn('stopped'), input: JSON.stringify({ items: ids(5) }) }));
    const [mapRunArn] = await mapRunArns(client, executionArn!);
    await until('two children waiting', async () => gate.waiting, (waiting) => waiting === 2);
    gate.release(1);
    await describeUntil(client, mapRunArn!, (mapRun) => mapRun.executionCounts!.succeeded === 1 && mapRun.executionCounts!.running === 2);

    const { stopDate } = await client.send(new StopExecutionCommand({ executionArn, error: 'Stopped', cause: 'by hand' }));
    const described = await client.send(new DescribeMapRunCommand({ mapRunArn }));
    expect(described).toMatchObject({
      status: 'ABORTED',
      stopDate,
      executionCounts: counts({ succeeded: 1, aborted: 2, pending: 2, total: 5 }),
      itemCounts: counts({ succeeded: 1, aborted: 2, pending: 2, total: 5 }),
    });
    expect((await client.send(new ListMapRunsCommand({ executionArn }))).mapRuns![0]!.stopDate).toEqual(stopDate);
    gate.openAll();
    // The aborted children finish in memory: nothing they do changes the record.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await client.send(new DescribeMapRunCommand({ mapRunArn }))).toEqual({ ...described, $metadata: expect.anything() });
  });

  it('answers ResourceNotFound, InvalidArn, ExecutionDoesNotExist, InvalidToken and ValidationException as AWS does', async () => {
    const invoker = new FakeInvoker({ ok: () => 'ok' });
    const definition = { StartAt: 'Only', States: { Only: { Type: 'Task', Resource: fn('ok'), End: true } } };
    const { engine } = await startEngine({ invoker, machines: [{ name: 'plain', definition }] });
    const client = await serve(engine);
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: machineArn('plain'), input: '{}' }));
    await engine.waitForStatus(executionArn!);
    expect(await client.send(new ListMapRunsCommand({ executionArn }))).toMatchObject({ mapRuns: [] });

    const unknownMapRun = `arn:aws:states:${REGION}:${ACCOUNT}:mapRun:plain/Map:0b7c1d8e-96b0-4a37-8a5e-0d4c2f3b1a90`;
    expect(await failure(client.send(new DescribeMapRunCommand({ mapRunArn: unknownMapRun })))).toBeInstanceOf(ResourceNotFound);
    // Within the model's 2,000 characters, but a key DynamoDB would refuse: not found, not a failed read.
    expect(await failure(client.send(new DescribeMapRunCommand({ mapRunArn: `${unknownMapRun}${'é'.repeat(1900)}` })))).toBeInstanceOf(ResourceNotFound);
    for (const mapRunArn of ['not-an-arn', executionArn!, machineArn('plain')]) {
      expect(await failure(client.send(new DescribeMapRunCommand({ mapRunArn })))).toBeInstanceOf(InvalidArn);
    }
    expect(await failure(client.send(new DescribeMapRunCommand({ mapRunArn: `${unknownMapRun}${'x'.repeat(2000)}` })))).toBeInstanceOf(ValidationException);
    expect(await failure(client.send(new DescribeMapRunCommand({} as never)))).toBeInstanceOf(ValidationException);

    const missing = `arn:aws:states:${REGION}:${ACCOUNT}:execution:plain:missing`;
    expect(await failure(client.send(new ListMapRunsCommand({ executionArn: missing })))).toBeInstanceOf(ExecutionDoesNotExist);
    for (const arn of ['not-an-arn', unknownMapRun, machineArn('plain')]) {
      expect(await failure(client.send(new ListMapRunsCommand({ executionArn: arn })))).toBeInstanceOf(InvalidArn);
    }
    expect(await failure(client.send(new ListMapRunsCommand({} as never)))).toBeInstanceOf(ValidationException);
    expect(await failure(client.send(new ListMapRunsCommand({ executionArn, maxResults: 1001 })))).toBeInstanceOf(ValidationException);
    expect(await failure(client.send(new ListMapRunsCommand({ executionArn, nextToken: 'garbage' })))).toBeInstanceOf(InvalidToken);
  });
});

describe('map runs across restarts', () => {
  /** 12 items in 6 batches of 2, two at a time. */
  const definition = { StartAt: 'Drafts', States: { Drafts: distributedMap('draft', { ItemBatcher: { MaxItemsPerBatch: 2 }, MaxConcurrency: 2, ToleratedFailureCount: 3, End: true }) } };
  const machines = [{ name: 'restart', definition }];

  /** Engine A runs batches 0 and 1, records them, and stops with batches 2 and 3 in flight. */
  async function interrupted() {
    const gate = turnstile();
    const a = await startEngine({ invoker: new FakeInvoker({ draft: gate.gated(() => 'a') }), machines });
    const clientA = await serve(a.engine);
    const { executionArn } = await clientA.send(new StartExecutionCommand({ stateMachineArn: machineArn('restart'), input: JSON.stringify({ items: ids(12) }) }));
    const [mapRunArn] = await mapRunArns(clientA, executionArn!);
    await until('two children waiting', async () => gate.waiting, (waiting) => waiting === 2);
    gate.release(2);
    await recordedChildren(a.tableName, executionArn!, 2);
    const before = await describeUntil(clientA, mapRunArn!, (mapRun) => mapRun.executionCounts!.running === 2);
    await a.engine.stop();
    gate.openAll();
    return { tableName: a.tableName, executionArn: executionArn!, mapRunArn: mapRunArn!, before };
  }

  it('describes the same map run with its recorded progress after a restart mid-map, and the same once it ended after another restart', async () => {
    const { tableName, executionArn, mapRunArn, before } = await interrupted();
    expect(before.executionCounts).toEqual(counts({ pending: 2, running: 2, succeeded: 2, total: 6 }));

    // An engine that does not run it (its machine not registered there) describes what the store recorded.
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const reader = await startEngine({ invoker: new FakeInvoker({}), machines: [], tableName });
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('its state machine is not registered; not resumed'));
    warn.mockRestore();
    const recorded = await (await serve(reader.engine)).send(new DescribeMapRunCommand({ mapRunArn }));
    expect(recorded).toEqual({
      ...before,
      $metadata: expect.anything(),
      executionCounts: counts({ pending: 4, succeeded: 2, total: 6 }),
      itemCounts: counts({ pending: 8, succeeded: 4, total: 12 }),
    });
    await reader.engine.stop();

    const gate = turnstile();
    const b = await startEngine({ invoker: new FakeInvoker({ draft: gate.gated(() => 'b') }), machines, tableName });
    const clientB = await serve(b.engine);
    const resumed = await describeUntil(clientB, mapRunArn, (mapRun) => mapRun.executionCounts!.running === 2);
    expect(resumed).toEqual({ ...before, $metadata: expect.anything() });
    expect((await clientB.send(new ListMapRunsCommand({ executionArn }))).mapRuns).toEqual([expect.objectContaining({ mapRunArn, startDate: before.startDate })]);

    gate.openAll();
    expect(await b.engine.waitForStatus(executionArn)).toBe('SUCCEEDED');
    const ended = await clientB.send(new DescribeMapRunCommand({ mapRunArn }));
    expect(ended).toMatchObject({ status: 'SUCCEEDED', startDate: before.startDate, executionCounts: counts({ succeeded: 6, total: 6 }), itemCounts: counts({ succeeded: 12, total: 12 }) });
    await b.engine.stop();

    const c = await startEngine({ invoker: new FakeInvoker({}), machines, tableName });
    const clientC = await serve(c.engine);
    expect(await clientC.send(new DescribeMapRunCommand({ mapRunArn }))).toEqual({ ...ended, $metadata: expect.anything() });
    expect((await clientC.send(new ListMapRunsCommand({ executionArn }))).mapRuns).toEqual([{ executionArn, mapRunArn, stateMachineArn: machineArn('restart'), startDate: ended.startDate, stopDate: ended.stopDate }]);
  });

  it('lists and describes a map run an engine before DescribeMapRun started (no reference, cursor and records without counts), and one it ended', async () => {
    const { tableName, executionArn, mapRunArn, before } = await interrupted();
    // What that engine wrote: no reference item, a cursor without items, children and limits, records without items.
    const doc = documentClient();
    const pk = `EXEC#${executionArn}`;
    await doc.send(new DeleteCommand({ TableName: tableName, Key: { pk: `MAPRUN#${mapRunArn}`, sk: 'MAPRUN' } }));
    await doc.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { pk, sk: 'EXEC' },
        UpdateExpression: 'REMOVE #c.#m.#items, #c.#m.#children, #c.#m.#limits',
        ExpressionAttributeNames: { '#c': 'cursor', '#m': 'mapRun', '#items': 'items', '#children': 'children', '#limits': 'limits' },
      }),
    );
    for (const item of await mapResultsItems(tableName, executionArn)) {
      const results = (item.results as Array<Record<string, unknown>>).map(({ items: _items, ...result }) => result);
      await doc.send(new PutCommand({ TableName: tableName, Item: { ...item, results } }));
    }

    const gate = turnstile();
    const b = await startEngine({ invoker: new FakeInvoker({ draft: gate.gated(() => 'b') }), machines, tableName });
    const clientB = await serve(b.engine);
    // Found by its cursor; the counts from the resumed run, the settings evaluated again.
    const resumed = await describeUntil(clientB, mapRunArn, (mapRun) => mapRun.executionCounts!.running === 2);
    expect(resumed).toEqual({ ...before, $metadata: expect.anything() });
    gate.openAll();
    expect(await b.engine.waitForStatus(executionArn)).toBe('SUCCEEDED');
    const ended = await clientB.send(new DescribeMapRunCommand({ mapRunArn }));
    expect(ended).toMatchObject({ status: 'SUCCEEDED', toleratedFailureCount: 3, executionCounts: counts({ succeeded: 6, total: 6 }), itemCounts: counts({ succeeded: 12, total: 12 }) });

    // A map run that engine ended has no record: its history and its recorded children tell what they can.
    await doc.send(new DeleteCommand({ TableName: tableName, Key: { pk, sk: `MAPRUNEND#${mapRunArn.split(':').at(-1)}` } }));
    const fromHistory = await clientB.send(new DescribeMapRunCommand({ mapRunArn }));
    expect(fromHistory).toMatchObject({ status: 'SUCCEEDED', startDate: expect.any(Date), stopDate: ended.stopDate, executionCounts: counts({ succeeded: 6, total: 6 }) });
    expect((await clientB.send(new ListMapRunsCommand({ executionArn }))).mapRuns).toEqual([expect.objectContaining({ mapRunArn, stopDate: ended.stopDate })]);
  });
});

async function mapResultsItems(tableName: string, executionArn: string): Promise<Array<Record<string, unknown>>> {
  const { Items = [] } = await documentClient().send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': `EXEC#${executionArn}`, ':prefix': 'MAPRUN#' },
      ConsistentRead: true,
    }),
  );
  return Items;
}

/** Polls the engine table until `count` finished children of the execution's map run are recorded. */
async function recordedChildren(tableName: string, executionArn: string, count: number): Promise<void> {
  await until(`${count} children recorded`, () => mapResultsItems(tableName, executionArn), (items) => items.flatMap((item) => item.results as unknown[]).length >= count);
}
