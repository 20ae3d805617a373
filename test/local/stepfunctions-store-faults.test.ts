import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { GetItemCommand, PutItemCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTables, localDynamoDbClient } from '../../infra/local/dynamodb.js';
import { isTransientStoreError } from '../../infra/local/stepfunctions/errors.js';
import type { LocalStepFunctions } from '../../infra/local/stepfunctions/index.js';
import { FakeInvoker, approvalMachine, documentClient, fn, freshTableName, gate, machineArn, startEngine, stopEngines, tokenOf, waitForEvent } from './stepfunctions-support.js';

/*
 * The engine when its DynamoDB calls come back late, fail, or are never answered (decision 55). Each fault is injected
 * into one chosen call, so each test is deterministic: a wrapper of the engine's client that holds, drops or loses the
 * answer of that call, or a proxy in front of DynamoDB Local that stops forwarding, as a paused DynamoDB Local would.
 */

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  await stopEngines();
  for (const close of closers.splice(0).reverse()) await close();
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

/** An engine on `doc` running the map machine over `count` items; with `gated`, each item's work waits for `blocked`. */
async function startMapExecution(doc: DynamoDBDocumentClient, name: string, count: number, options: { gated?: boolean } = {}) {
  const blocked = gate();
  const invoker = new FakeInvoker({
    work: async (item: { id: string }) => {
      if (options.gated) await blocked.promise;
      return item.id;
    },
    after: () => 'after',
  });
  const { engine } = await startEngine({ invoker, documentClient: doc, machines: [{ name, definition: mapMachine() }] });
  const { executionArn } = await engine.startExecution({ stateMachineArn: machineArn(name), input: JSON.stringify({ items: items(count) }) });
  return { blocked, invoker, engine, executionArn };
}

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
    const { blocked, invoker, engine, executionArn } = await startMapExecution(doc, 'late-read', 2, { gated: true });
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
    const { invoker, engine, executionArn } = await startMapExecution(doc, 'progress', 3);
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
    const { invoker, engine, executionArn } = await startMapExecution(doc, 'lost-end', 2);
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
    const { invoker, engine, executionArn } = await startMapExecution(doc, 'checkpoint', 1);
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
    const { invoker, engine, executionArn } = await startMapExecution(doc, 'refused', 1);
    await vi.waitFor(() => expect(errors.mock.calls.flat().join('\n')).toContain('abandoned after ValidationException'));
    expect(await settled(engine, executionArn, 1500)).toBe('RUNNING');
    expect(invoker.count('after')).toBe(0);
  });
});

/**
 * A TCP proxy in front of DynamoDB Local that can stop forwarding (the requests sent meanwhile wait in it, as in the
 * socket buffers of a paused DynamoDB Local) and forward again.
 */
async function pausableProxy(target: string): Promise<{ endpoint: string; pause: () => void; resume: () => void }> {
  const { hostname, port } = new URL(target);
  let paused = false;
  const waiting: Array<() => void> = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    sockets.add(client).add(upstream);
    client.on('data', (chunk) => {
      if (paused) waiting.push(() => upstream.write(chunk));
      else upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
      a.on('error', () => b.destroy());
      a.on('close', () => b.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const address = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    pause: () => (paused = true),
    resume: () => {
      paused = false;
      for (const write of waiting.splice(0)) write();
    },
  };
}

describe('DynamoDB Local paused for longer than the client waits', () => {
  it('the map run gives up its write after the timeouts, and its execution goes on once DynamoDB answers again', async () => {
    const proxy = await pausableProxy(inject('dynamodbEndpoint'));
    // The local cloud's client, its limits cut to keep the test short: two attempts of 300 ms each.
    const doc = DynamoDBDocumentClient.from(localDynamoDbClient(proxy.endpoint, { timeouts: { requestTimeout: 300 }, maxAttempts: 2 }));
    closers.push(() => doc.destroy());
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { blocked, invoker, engine, executionArn } = await startMapExecution(doc, 'paused', 2, { gated: true });
    await vi.waitFor(() => expect(invoker.count('work')).toBe(2));
    proxy.pause();
    blocked.open();
    // Longer than both attempts (and their backoff): the write of the children's records fails.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    proxy.resume();
    expect(await settled(engine, executionArn, 10_000)).toBe('SUCCEEDED');
    expect(invoker.count('after')).toBe(1);
  });
});

describe('which failed calls may pass (isTransientStoreError), with the SDK\'s own errors', () => {
  it('no answer, a refused connection and a 5xx may pass; refusals of the request and the engine\'s own errors do not', async () => {
    // A server that accepts and never answers.
    const accepted = new Set<Socket>();
    const silent = createServer((socket) => accepted.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    closers.push(() => {
      for (const socket of accepted) socket.destroy();
      return new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const silentPort = (silent.address() as { port: number }).port;
    // One that answers 500 as DynamoDB does.
    const failing: HttpServer = createHttpServer((_, response) => {
      response.writeHead(500, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': 'InternalServerError' });
      response.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'Internal server error' }));
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => failing.close(() => resolve())));
    // A port nothing listens on: the silent server's, once closed, would do; a fresh one is simpler to get this way.
    const refused = createServer();
    await new Promise<void>((resolve) => refused.listen(0, '127.0.0.1', resolve));
    const refusedPort = (refused.address() as { port: number }).port;
    await new Promise<void>((resolve) => refused.close(() => resolve()));

    const failure = (promise: Promise<unknown>) => promise.then(() => new Error('answered'), (error: unknown) => error);
    const get = new GetItemCommand({ TableName: 'table', Key: { pk: { S: 'a' } } });
    const client = (endpoint: string) => {
      const created = localDynamoDbClient(endpoint, { timeouts: { requestTimeout: 200 }, maxAttempts: 2 });
      closers.push(() => created.destroy());
      return created;
    };

    const started = Date.now();
    const timedOut = await failure(client(`http://127.0.0.1:${silentPort}`).send(get));
    // throwOnRequestTimeout: without it the SDK's requestTimeout only logs a warning, and this request waited for ever.
    expect(timedOut).toMatchObject({ name: 'TimeoutError', $metadata: { attempts: 2 } });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(isTransientStoreError(timedOut)).toBe(true);
    const refusedError = await failure(client(`http://127.0.0.1:${refusedPort}`).send(get));
    expect(refusedError).toMatchObject({ code: 'ECONNREFUSED' });
    expect(isTransientStoreError(refusedError)).toBe(true);
    const serverError = await failure(client(`http://127.0.0.1:${(failing.address() as { port: number }).port}`).send(get));
    expect(serverError).toMatchObject({ name: 'InternalServerError', $metadata: { httpStatusCode: 500 } });
    expect(isTransientStoreError(serverError)).toBe(true);

    // DynamoDB Local's own refusals: a missing table, a failed condition, a cancelled transaction.
    const local = client(inject('dynamodbEndpoint'));
    const missing = await failure(local.send(get));
    expect(missing).toMatchObject({ name: 'ResourceNotFoundException' });
    expect(isTransientStoreError(missing)).toBe(false);
    const tableName = freshTableName();
    await ensureTables(local, [{ input: { TableName: tableName, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] } }]);
    const put = () => new PutItemCommand({ TableName: tableName, Item: { pk: { S: 'a' } }, ConditionExpression: 'attribute_not_exists(pk)' });
    await local.send(put());
    const condition = await failure(local.send(put()));
    expect(condition).toMatchObject({ name: 'ConditionalCheckFailedException' });
    expect(isTransientStoreError(condition)).toBe(false);
    const cancelled = await failure(local.send(new TransactWriteItemsCommand({ TransactItems: [{ Put: put().input as never }] })));
    expect(cancelled).toMatchObject({ name: 'TransactionCanceledException' });
    expect(isTransientStoreError(cancelled)).toBe(false);
    expect(isTransientStoreError(new Error('the blob item is missing'))).toBe(false);
  });

  it('DynamoDB Local applies a transaction sent again with its ClientRequestToken once (the SDK retries a timed-out commit so)', async () => {
    const local = localDynamoDbClient(inject('dynamodbEndpoint'));
    closers.push(() => local.destroy());
    const tableName = freshTableName();
    await ensureTables(local, [{ input: { TableName: tableName, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] } }]);
    const bump = (token: string) =>
      new TransactWriteItemsCommand({
        ClientRequestToken: token,
        TransactItems: [{ Update: { TableName: tableName, Key: { pk: { S: 'n' } }, UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': { N: '1' } } } }],
      });
    await local.send(bump('first'));
    await local.send(bump('first'));
    await local.send(bump('second'));
    const { Item } = await local.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: 'n' } }, ConsistentRead: true }));
    expect(Item?.n).toEqual({ N: '2' });
  });
});
