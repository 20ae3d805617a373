import { afterEach, describe, expect, it, vi } from 'vitest';
import { GetCommand, PutCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LocalStepFunctions } from '../../infra/local/stepfunctions/index.js';
import { FakeInvoker, approvalMachine, documentClient, fn, gate, machineArn, startEngine, stopEngines, tokenOf, waitForEvent } from './stepfunctions-support.js';

/*
 * The engine when its DynamoDB calls come back late or fail (decision 55). Each fault is injected into one chosen call,
 * so each test is deterministic: a wrapper of the engine's client that holds, drops or loses the answer of that call.
 */

afterEach(async () => {
  await stopEngines();
  vi.restoreAllMocks();
});

type Send = (command: object) => Promise<unknown>;
type Hook = (command: object, send: () => Promise<unknown>) => Promise<unknown>;

/** The engine's document client, each call passing through the test's hook (which sends it or not, and may wait or throw). */
function hookedClient(): { doc: DynamoDBDocumentClient; hook: (hook: Hook | undefined) => void } {
  const doc = documentClient();
  const send = doc.send.bind(doc) as Send;
  let current: Hook | undefined;
  (doc as unknown as { send: Send }).send = (command) => (current ? current(command, () => send(command)) : send(command));
  return { doc, hook: (hook) => (current = hook) };
}

/** What the SDK throws once its attempts at a request that got no answer are spent. */
const timeoutError = () =>
  Object.assign(new Error('@smithy/node-http-handler - [ERROR] a request has exceeded the configured 60000 ms requestTimeout.'), {
    name: 'TimeoutError',
    code: 'ETIMEDOUT',
    $metadata: { attempts: 8, totalRetryDelay: 7000 },
  });

/** A commit of the engine that records an event of this type. */
const commitOf = (command: object, eventType: string) => command instanceof TransactWriteCommand && JSON.stringify(command.input).includes(`"type":"${eventType}"`);
/** A read of an execution item. */
const executionRead = (command: object) => command instanceof GetCommand && command.input.Key?.sk === 'EXEC';

/** `Map` (Distributed, items from `$.items`, children calling `work`) -> `After` (a function). */
const mapMachine = (map: Record<string, unknown> = {}) => ({
  StartAt: 'Map',
  States: {
    Map: {
      Type: 'Map',
      ItemsPath: '$.items',
      ResultPath: '$.results',
      Next: 'After',
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: 'Work', States: { Work: { Type: 'Task', Resource: fn('work'), End: true } } },
      ...map,
    },
    After: { Type: 'Task', Resource: fn('after'), ResultPath: '$.after', End: true },
  },
});

const items = (count: number) => Array.from({ length: count }, (_, i) => ({ id: `a${i}` }));

async function historyOf(engine: LocalStepFunctions, executionArn: string): Promise<string[]> {
  return (await engine.getExecutionHistory({ executionArn, maxResults: 1000 })).events.map((event) => event.type);
}

/** The status once not RUNNING, or RUNNING after `timeoutMs` (an execution nothing resumes). */
const settled = (engine: LocalStepFunctions, executionArn: string, timeoutMs: number) =>
  engine.waitForStatus(executionArn, { timeoutMs }).catch(() => 'RUNNING');

/**
 * Holds the answer of the next read of an execution until a commit recording `eventType` is answered (and one more
 * event-loop turn), as a DescribeExecution that DynamoDB Local answered before that commit, but whose answer came back
 * after it: what a loaded machine does to two requests in flight at once.
 */
function holdNextReadUntil(hook: (hook: Hook) => void, eventType: string): { held: Promise<void> } {
  let armed = true;
  let committed!: () => void;
  const commit = new Promise<void>((resolve) => (committed = resolve));
  let readBack!: () => void;
  const held = new Promise<void>((resolve) => (readBack = resolve));
  hook(async (command, send) => {
    if (armed && executionRead(command)) {
      armed = false;
      const answer = await send();
      await commit;
      await new Promise((resolve) => setImmediate(resolve));
      readBack();
      return answer;
    }
    const answer = await send();
    if (commitOf(command, eventType)) committed();
    return answer;
  });
  return { held };
}

describe('reads answered late', () => {
  // The CI's execution left RUNNING after its map run ended: the engine cached the execution item of a read made outside
  // its lock (the test's DescribeExecution), answered after the commit that ended the map run, and checked the next
  // commit's fence against that older item: the run that resumed the execution took itself for fenced and stopped,
  // silently, with nothing left to resume it.
  it('a DescribeExecution answered after a map run ended does not fence the run that resumes the execution', async () => {
    const { doc, hook } = hookedClient();
    const blocked = gate();
    const invoker = new FakeInvoker({
      work: async (item: { id: string }) => {
        await blocked.promise;
        return item.id;
      },
      after: () => 'after',
    });
    const { engine } = await startEngine({ invoker, documentClient: doc, machines: [{ name: 'late-read', definition: mapMachine() }] });
    const { executionArn } = await engine.startExecution({ stateMachineArn: machineArn('late-read'), input: JSON.stringify({ items: items(2) }) });
    await vi.waitFor(() => expect(invoker.count('work')).toBe(2));
    const { held } = holdNextReadUntil(hook, 'MapRunSucceeded');
    const reading = engine.describeExecution({ executionArn });
    blocked.open();
    expect((await reading).status).toBe('RUNNING');
    await held;
    // No read of the execution before the next state runs: a fresh one would hide the late one from the next commit.
    await vi.waitFor(() => expect(invoker.count('after')).toBe(1), { timeout: 5000, interval: 20 });
    expect(await settled(engine, executionArn, 5000)).toBe('SUCCEEDED');
    expect(await historyOf(engine, executionArn)).toEqual(expect.arrayContaining(['MapRunSucceeded', 'MapStateExited', 'ExecutionSucceeded']));
  });

  it('nor does one answered after SendTaskSuccess resumed a callback task', async () => {
    const { doc, hook } = hookedClient();
    const invoker = new FakeInvoker({ request: () => ({ sent: true }), after: () => 'done' });
    const { engine } = await startEngine({ invoker, documentClient: doc, machines: [{ name: 'late-callback', definition: approvalMachine() }] });
    const { executionArn } = await engine.startExecution({ stateMachineArn: machineArn('late-callback'), input: '{"approvalId":"a1"}' });
    await waitForEvent(engine, executionArn, 'TaskSubmitted');
    const { held } = holdNextReadUntil(hook, 'TaskSucceeded');
    const reading = engine.describeExecution({ executionArn });
    await engine.sendTaskSuccess({ taskToken: tokenOf(invoker), output: '{"approved":true}' });
    await reading;
    await held;
    await vi.waitFor(() => expect(invoker.count('after')).toBe(1), { timeout: 5000, interval: 20 });
    expect(await settled(engine, executionArn, 5000)).toBe('SUCCEEDED');
  });
});

describe('calls that fail after the SDK gave up: the execution is taken up again in this process', () => {
  it('a map run whose progress could not be stored runs its unrecorded children again, then resumes the execution', async () => {
    const { doc, hook } = hookedClient();
    let dropped = 0;
    hook(async (command, send) => {
      if (dropped === 0 && command instanceof PutCommand && command.input.Item?.kind === 'mapResults') {
        dropped++;
        throw timeoutError();
      }
      return await send();
    });
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const warnings = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const invoker = new FakeInvoker({ work: (item: { id: string }) => item.id, after: () => 'after' });
    const { engine } = await startEngine({ invoker, documentClient: doc, machines: [{ name: 'progress', definition: mapMachine() }] });
    const { executionArn } = await engine.startExecution({ stateMachineArn: machineArn('progress'), input: JSON.stringify({ items: items(3) }) });
    expect(await settled(engine, executionArn, 8000)).toBe('SUCCEEDED');
    expect(dropped).toBe(1);
    // The three children finished together, so their records went in the write that failed: all three ran again.
    expect(invoker.count('work')).toBe(6);
    expect(invoker.count('after')).toBe(1);
    const types = await historyOf(engine, executionArn);
    expect(types.filter((type) => type === 'MapRunStarted')).toHaveLength(1);
    expect(types.filter((type) => type === 'MapRunSucceeded')).toHaveLength(1);
    expect(JSON.parse((await engine.describeExecution({ executionArn })).output!).results).toEqual(['a0', 'a1', 'a2']);
    expect(errors.mock.calls.flat().join('\n')).toContain('its progress not stored: TimeoutError');
    expect(warnings.mock.calls.flat().join('\n')).toContain(`${executionArn} taken up again from its last checkpoint`);
  });

  it("a map run's end applied but answered with an error resumes the execution once", async () => {
    const { doc, hook } = hookedClient();
    let lost = 0;
    hook(async (command, send) => {
      const answer = await send();
      if (lost === 0 && commitOf(command, 'MapRunSucceeded')) {
        lost++;
        throw timeoutError();
      }
      return answer;
    });
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const invoker = new FakeInvoker({ work: (item: { id: string }) => item.id, after: () => 'after' });
    const { engine } = await startEngine({ invoker, documentClient: doc, machines: [{ name: 'lost-end', definition: mapMachine() }] });
    const { executionArn } = await engine.startExecution({ stateMachineArn: machineArn('lost-end'), input: JSON.stringify({ items: items(2) }) });
    expect(await settled(engine, executionArn, 8000)).toBe('SUCCEEDED');
    expect(lost).toBe(1);
    expect(invoker.count('work')).toBe(2);
    expect(invoker.count('after')).toBe(1);
    const types = await historyOf(engine, executionArn);
    for (const type of ['MapRunSucceeded', 'MapStateExited', 'ExecutionSucceeded']) expect(types.filter((t) => t === type)).toHaveLength(1);
  });

  it('a run whose checkpoint could not be written runs again from its last checkpoint, the function not invoked before', async () => {
    const { doc, hook } = hookedClient();
    let failed = 0;
    hook(async (command, send) => {
      if (failed === 0 && commitOf(command, 'LambdaFunctionScheduled')) {
        failed++;
        throw timeoutError();
      }
      return await send();
    });
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const invoker = new FakeInvoker({ work: (item: { id: string }) => item.id, after: () => 'after' });
    const { engine } = await startEngine({ invoker, documentClient: doc, machines: [{ name: 'checkpoint', definition: mapMachine() }] });
    const { executionArn } = await engine.startExecution({ stateMachineArn: machineArn('checkpoint'), input: JSON.stringify({ items: items(1) }) });
    expect(await settled(engine, executionArn, 8000)).toBe('SUCCEEDED');
    expect(failed).toBe(1);
    expect(invoker.count('after')).toBe(1);
  });

  it('an error that would come again (a refused request) is not retried: the execution waits for the next start()', async () => {
    const { doc, hook } = hookedClient();
    hook(async (command, send) => {
      if (commitOf(command, 'LambdaFunctionScheduled')) {
        throw Object.assign(new Error('Item size has exceeded the maximum allowed size'), { name: 'ValidationException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
      }
      return await send();
    });
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const invoker = new FakeInvoker({ work: (item: { id: string }) => item.id, after: () => 'after' });
    const { engine } = await startEngine({ invoker, documentClient: doc, machines: [{ name: 'refused', definition: mapMachine() }] });
    const { executionArn } = await engine.startExecution({ stateMachineArn: machineArn('refused'), input: JSON.stringify({ items: items(1) }) });
    await vi.waitFor(() => expect(errors.mock.calls.flat().join('\n')).toContain('abandoned after ValidationException'));
    expect(await settled(engine, executionArn, 1500)).toBe('RUNNING');
    expect(invoker.count('after')).toBe(0);
  });
});
