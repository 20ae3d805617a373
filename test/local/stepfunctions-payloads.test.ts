import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, SendTaskSuccessCommand, StartExecutionCommand, ValidationException } from '@aws-sdk/client-sfn';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { startAwsJsonEndpoint, type AwsJsonEndpoint } from '../../infra/local/aws-endpoint.js';
import { handleSfnJson, type LocalStepFunctions } from '../../infra/local/stepfunctions/index.js';
import { FakeInvoker, REGION, documentClient, fn, gate, machineArn, startEngine, stopEngines, tokenOf, waitForEvent } from './stepfunctions-support.js';

/**
 * Inputs and outputs as large as AWS accepts (256 KiB of UTF-8 each) on one execution and one callback token: more
 * than one DynamoDB item holds (400 KB), so the engine keeps the large ones in blob items beside the execution.
 */

/** Step Functions' largest input or output: 256 KiB of UTF-8. */
const MAX_BYTES = 262_144;

/** A JSON text of exactly `bytes` bytes of UTF-8, two-byte characters among them, told apart by its tag. */
function jsonOf(tag: string, bytes = MAX_BYTES): string {
  const room = bytes - Buffer.byteLength(JSON.stringify({ tag, data: '' }));
  const wide = Math.floor(room / 4);
  const text = JSON.stringify({ tag, data: 'é'.repeat(wide) + 'a'.repeat(room - 2 * wide) });
  if (Buffer.byteLength(text) !== bytes) throw new Error(`jsonOf: ${Buffer.byteLength(text)} bytes, not ${bytes}`);
  return text;
}

const transformed = jsonOf('transformed');
const prepared = jsonOf('prepared');
const decision = jsonOf('decision');

const invoker = new FakeInvoker({
  transform: () => JSON.parse(transformed),
  prepare: () => JSON.parse(prepared),
  request: () => null,
  echo: (input: unknown) => input,
  // A function whose error message is far larger than a cause holds.
  fail: () => {
    const error = new Error(`Échec : ${'x'.repeat(1_000_000)}`);
    error.name = 'HugeFailure';
    throw error;
  },
  // Holds its first call until the test releases it (the engine stops meanwhile), then echoes.
  slow: async (input: unknown) => {
    if (invoker.count('slow') === 1) await held.promise;
    return input;
  },
});
const held = gate();

const passes = (count: number, last: Record<string, unknown>) =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`Pass${i}`, { Type: 'Pass', ...(i === count - 1 ? last : { Next: `Pass${i + 1}` }) }]));

/** Input → Pass → Task (a new 256 KiB output) → eight Pass states: more data in one burst of checkpoints than a transaction holds (4 MB). */
const chain = {
  StartAt: 'Keep',
  States: {
    Keep: { Type: 'Pass', Next: 'Transform' },
    Transform: { Type: 'Task', Resource: fn('transform'), Next: 'Pass0' },
    ...passes(8, { End: true }),
  },
};

/** Input → Task (a new 256 KiB output, the callback state's input) → callback → Pass: the output is SendTaskSuccess's. */
const callback = {
  StartAt: 'Prepare',
  States: {
    Prepare: { Type: 'Task', Resource: fn('prepare'), Next: 'Approve' },
    Approve: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: fn('request'), Payload: { 'taskToken.$': '$$.Task.Token' } },
      TimeoutSeconds: 3600,
      Next: 'Done',
    },
    Done: { Type: 'Pass', End: true },
  },
};

/** Input → Pass → a Task that a restart cuts short: the new engine runs it again from its checkpoint (its 256 KiB input). */
const slow = { StartAt: 'Keep', States: { Keep: { Type: 'Pass', Next: 'Slow' }, Slow: { Type: 'Task', Resource: fn('slow'), End: true } } };

const small = { StartAt: 'Keep', States: { Keep: { Type: 'Pass', Next: 'Echo' }, Echo: { Type: 'Task', Resource: fn('echo'), End: true } } };

const failing = { StartAt: 'Fail', States: { Fail: { Type: 'Task', Resource: fn('fail'), End: true } } };

const machines = [
  { name: 'failing', definition: failing },
  { name: 'chain', definition: chain },
  { name: 'callback', definition: callback },
  { name: 'slow', definition: slow },
  { name: 'small', definition: small },
];

let engine: LocalStepFunctions;
let tableName: string;
let endpoint: AwsJsonEndpoint;
let client: SFNClient;
const doc = documentClient();

beforeAll(async () => {
  ({ engine, tableName } = await startEngine({ invoker, machines }));
  endpoint = await startAwsJsonEndpoint({ services: { AWSStepFunctions: (operation, body) => handleSfnJson(engine, operation, body) } });
  client = new SFNClient({ endpoint: endpoint.url, region: REGION, credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
});

afterAll(async () => {
  client.destroy();
  await endpoint.close();
  await stopEngines();
});

/** The items of an execution's partition in the engine table, by kind. */
async function storedItems(executionArn: string): Promise<{ execution: Record<string, unknown>; blobs: string[] }> {
  const pk = `EXEC#${executionArn}`;
  const { Item } = await doc.send(new GetCommand({ TableName: tableName, Key: { pk, sk: 'EXEC' }, ConsistentRead: true }));
  const blobs: string[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :blob)',
        ExpressionAttributeValues: { ':pk': pk, ':blob': 'BLOB#' },
        ProjectionExpression: 'sk',
        ConsistentRead: true,
        ExclusiveStartKey,
      }),
    );
    blobs.push(...(page.Items ?? []).map((item) => item.sk as string));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return { execution: Item!, blobs };
}

/** Each 256 KiB goes through DynamoDB Local several times: room for a busy machine. */
const SLOW = { timeoutMs: 20_000 };

const sizeOf = (item: unknown) => Buffer.byteLength(JSON.stringify(item));

describe('inputs and outputs of 256 KiB', () => {
  it('runs a 256 KiB input through a chain to a 256 KiB output, through the SDK, byte for byte', async () => {
    const input = jsonOf('input');
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: machineArn('chain'), name: 'chain-1', input }));
    expect(await engine.waitForStatus(executionArn!, SLOW)).toBe('SUCCEEDED');
    const described = await client.send(new DescribeExecutionCommand({ executionArn }));
    expect(described.status).toBe('SUCCEEDED');
    expect(described.input).toBe(input);
    expect(described.output).toBe(transformed);
    const events = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(new GetExecutionHistoryCommand({ executionArn, nextToken }));
      events.push(...page.events!);
      nextToken = page.nextToken;
    } while (nextToken);
    expect(events[0]!.executionStartedEventDetails!.input).toBe(input);
    expect(events.at(-1)!.executionSucceededEventDetails!.output).toBe(transformed);
    expect(events.filter((event) => event.type === 'PassStateExited')).toHaveLength(9);

    const { execution, blobs } = await storedItems(executionArn!);
    expect(blobs.length).toBeGreaterThanOrEqual(2);
    expect(sizeOf(execution)).toBeLessThan(10_000);
  });

  it('answers a repeated StartExecution with the same 256 KiB input as the same request, and redrives from a 256 KiB state input', async () => {
    const input = jsonOf('repeated');
    const { executionArn } = await engine.startExecution({ stateMachineArn: machineArn('callback'), name: 'repeat-1', input });
    await waitForEvent(engine, executionArn, 'TaskSubmitted', 1, SLOW.timeoutMs);
    const again = await client.send(new StartExecutionCommand({ stateMachineArn: machineArn('callback'), name: 'repeat-1', input }));
    expect(again.executionArn).toBe(executionArn);

    // Aborted at the callback, then redriven there with the callback state's input (its output, then, is the decision).
    await engine.stopExecution({ executionArn });
    const calls = invoker.count('request');
    await engine.redriveExecution({ executionArn });
    await waitForEvent(engine, executionArn, 'TaskSubmitted', 2, SLOW.timeoutMs);
    await engine.sendTaskSuccess({ taskToken: tokenOf(invoker, calls), output: decision });
    expect(await engine.waitForStatus(executionArn, SLOW)).toBe('SUCCEEDED');
    expect(await engine.describeExecution({ executionArn })).toMatchObject({ input, output: decision, redriveCount: 1 });
    const { events } = await client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
    const entered = events!.filter((event) => event.type === 'TaskStateEntered' && event.stateEnteredEventDetails?.name === 'Approve');
    expect(entered.map((event) => event.stateEnteredEventDetails?.input)).toEqual([prepared, prepared]);
  });

  it('completes a callback whose token input is 256 KiB with a 256 KiB SendTaskSuccess output', async () => {
    const input = jsonOf('callback-input');
    const calls = invoker.count('request');
    const { executionArn } = await engine.startExecution({ stateMachineArn: machineArn('callback'), name: 'callback-1', input });
    await waitForEvent(engine, executionArn, 'TaskSubmitted', 1, SLOW.timeoutMs);
    const token = tokenOf(invoker, calls);
    const { Item: stored } = await doc.send(new GetCommand({ TableName: tableName, Key: { pk: `TOKEN#${token}`, sk: 'TOKEN' }, ConsistentRead: true }));
    expect(sizeOf(stored)).toBeLessThan(10_000);

    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: decision }));
    expect(await engine.waitForStatus(executionArn, SLOW)).toBe('SUCCEEDED');
    const described = await engine.describeExecution({ executionArn });
    expect(described.input).toBe(input);
    expect(described.output).toBe(decision);
    const { events } = await client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
    const entered = events!.find((event) => event.type === 'TaskStateEntered' && event.stateEnteredEventDetails?.name === 'Approve');
    expect(entered?.stateEnteredEventDetails?.input).toBe(prepared);
    expect(events!.find((event) => event.type === 'TaskSucceeded')?.taskSucceededEventDetails?.output).toBe(decision);
  });

  it('writes no blob item for an execution of small inputs and outputs', async () => {
    const { executionArn } = await engine.startExecution({ stateMachineArn: machineArn('small'), input: JSON.stringify({ text: 'é'.repeat(1000) }) });
    expect(await engine.waitForStatus(executionArn, SLOW)).toBe('SUCCEEDED');
    expect((await storedItems(executionArn)).blobs).toEqual([]);
  });

  it("cuts a function error's message so that its cause fits Step Functions' 32,768 characters, and stays JSON", async () => {
    const { executionArn } = await engine.startExecution({ stateMachineArn: machineArn('failing'), input: '{}' });
    expect(await engine.waitForStatus(executionArn, SLOW)).toBe('FAILED');
    const described = await client.send(new DescribeExecutionCommand({ executionArn }));
    expect(described.error).toBe('HugeFailure');
    expect(described.cause!.length).toBeLessThanOrEqual(32_768);
    expect(described.cause!.length).toBeGreaterThan(32_000);
    const cause = JSON.parse(described.cause!) as { errorType: string; errorMessage: string };
    expect(cause.errorType).toBe('HugeFailure');
    expect(cause.errorMessage.startsWith('Échec : xxx')).toBe(true);
    const { events } = await client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
    expect(events!.find((event) => event.type === 'LambdaFunctionFailed')?.lambdaFunctionFailedEventDetails?.cause).toBe(described.cause);
  });

  it('still refuses an input or an output of 256 KiB and one byte', async () => {
    const tooBig = jsonOf('too-big', MAX_BYTES + 1);
    await expect(client.send(new StartExecutionCommand({ stateMachineArn: machineArn('chain'), input: tooBig }))).rejects.toBeInstanceOf(ValidationException);
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: 'x', output: tooBig }))).rejects.toBeInstanceOf(ValidationException);
  });

  // Last: it stops the file's engine.
  it('keeps executions of 256 KiB inputs across a restart: a new engine reads them back from the table and resumes them', async () => {
    const input = jsonOf('restart-input');
    const calls = invoker.count('request');
    const { executionArn } = await engine.startExecution({ stateMachineArn: machineArn('callback'), name: 'restart-1', input });
    await waitForEvent(engine, executionArn, 'TaskSubmitted', 1, SLOW.timeoutMs);
    const token = tokenOf(invoker, calls);
    const slowInput = jsonOf('slow-input');
    const running = await engine.startExecution({ stateMachineArn: machineArn('slow'), name: 'restart-2', input: slowInput });
    await waitForEvent(engine, running.executionArn, 'LambdaFunctionStarted', 1, SLOW.timeoutMs);
    await engine.stop();

    // A new engine on the same table: nothing in memory, the parked callback stays parked and the cut run runs again.
    const restarted = await startEngine({ invoker, machines, tableName });
    expect(await restarted.engine.waitForStatus(running.executionArn, SLOW)).toBe('SUCCEEDED');
    expect((await restarted.engine.describeExecution({ executionArn: running.executionArn })).output).toBe(slowInput);
    expect(invoker.count('slow')).toBe(2);
    held.open();
    expect((await restarted.engine.describeExecution({ executionArn })).status).toBe('RUNNING');
    await restarted.engine.sendTaskSuccess({ taskToken: token, output: decision });
    expect(await restarted.engine.waitForStatus(executionArn, SLOW)).toBe('SUCCEEDED');
    const described = await restarted.engine.describeExecution({ executionArn });
    expect(described.input).toBe(input);
    expect(described.output).toBe(decision);
    expect(invoker.count('prepare')).toBe(3);
    expect(invoker.count('request')).toBe(calls + 1);
  });
});
