import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  DescribeStateMachineForExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  ExecutionNotRedrivable,
  GetExecutionHistoryCommand,
  InvalidArn,
  InvalidExecutionInput,
  InvalidToken,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  RedriveExecutionCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  ValidationException,
  paginateGetExecutionHistory,
  paginateListExecutions,
  paginateListStateMachines,
  type ExecutionStatus,
} from '@aws-sdk/client-sfn';
import {
  ACCOUNT,
  FakeClock,
  FakeInvoker,
  FunctionError,
  REGION,
  approvalMachine,
  documentClient,
  fn,
  machineArn,
  sleep,
  startEngine,
  failure,
  serve,
  stopEngines,
  tokenOf,
  waitForEvent,
} from './stepfunctions-support.js';

afterEach(stopEngines);

const oneTask = { StartAt: 'Only', States: { Only: { Type: 'Task', Resource: fn('ok'), End: true } } };

/** Runs `ok`, or `boom` when the input says `fail`. */
const choiceMachine = {
  StartAt: 'Choose',
  States: {
    Choose: { Type: 'Choice', Choices: [{ Variable: '$.fail', BooleanEquals: true, Next: 'Boom' }], Default: 'Ok' },
    Ok: { Type: 'Task', Resource: fn('ok'), End: true },
    Boom: { Type: 'Task', Resource: fn('boom'), End: true },
  },
};

const choiceInvoker = () =>
  new FakeInvoker({
    ok: () => 'ok',
    boom: () => {
      throw new FunctionError('Boom', 'no');
    },
  });

describe('state machines through the SDK', () => {
  it('lists them by name with paging and describes one as AWS does', async () => {
    const { engine } = await startEngine({
      invoker: new FakeInvoker({ ok: () => 'ok' }),
      machines: ['beta', 'alpha', 'gamma'].map((name) => ({ name, definition: oneTask })),
    });
    const client = await serve(engine);

    const first = await client.send(new ListStateMachinesCommand({ maxResults: 2 }));
    expect(first.stateMachines!.map((machine) => machine.name)).toEqual(['alpha', 'beta']);
    expect(first.stateMachines![0]).toEqual({ stateMachineArn: machineArn('alpha'), name: 'alpha', type: 'STANDARD', creationDate: expect.any(Date) });
    const second = await client.send(new ListStateMachinesCommand({ maxResults: 2, nextToken: first.nextToken }));
    expect(second.stateMachines!.map((machine) => machine.name)).toEqual(['gamma']);
    expect(second.nextToken).toBeUndefined();
    const names: string[] = [];
    for await (const page of paginateListStateMachines({ client, pageSize: 1 }, {})) names.push(...page.stateMachines!.map((machine) => machine.name!));
    expect(names).toEqual(['alpha', 'beta', 'gamma']);

    const described = await client.send(new DescribeStateMachineCommand({ stateMachineArn: machineArn('alpha') }));
    expect(described).toMatchObject({
      stateMachineArn: machineArn('alpha'),
      name: 'alpha',
      status: 'ACTIVE',
      type: 'STANDARD',
      roleArn: `arn:aws:iam::${ACCOUNT}:role/local-stepfunctions`,
      loggingConfiguration: { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: { enabled: false },
    });
    expect(JSON.parse(described.definition!)).toEqual(oneTask);
    expect(described.creationDate).toEqual(first.stateMachines![0]!.creationDate);
  });

  it('returns a definition registered as text as is, with its role and logging, and keeps the creation date across restarts', async () => {
    const clock = new FakeClock();
    const invoker = new FakeInvoker({ ok: () => 'ok' });
    const text = JSON.stringify(oneTask, null, 2);
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/referral-machine`;
    const loggingConfiguration = { level: 'ERROR' as const, includeExecutionData: true, destinations: [{ cloudWatchLogsLogGroup: { logGroupArn: 'arn:aws:logs:eu-west-3:123456789012:log-group:sfn:*' } }] };
    const a = await startEngine({ invoker, clock, machines: [], start: false });
    a.engine.registerStateMachine({ arn: machineArn('texts'), name: 'texts', definition: text, roleArn, loggingConfiguration });
    await a.engine.start();
    const client = await serve(a.engine);
    const described = await client.send(new DescribeStateMachineCommand({ stateMachineArn: machineArn('texts') }));
    expect(described).toMatchObject({ definition: text, roleArn, loggingConfiguration, creationDate: new Date(clock.time) });
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: machineArn('texts') }));
    expect(await a.engine.waitForStatus(executionArn!)).toBe('SUCCEEDED');
    const started = (await a.engine.getExecutionHistory({ executionArn: executionArn! })).events[0]!;
    expect(started.executionStartedEventDetails).toMatchObject({ roleArn });
    await a.engine.stop();

    // A later process with an edited definition: same creation date, a new update date.
    const created = clock.time;
    clock.advance(3600_000);
    const changed = { ...oneTask, Comment: 'edited' };
    const b = await startEngine({ invoker, clock, machines: [{ name: 'texts', definition: changed }], tableName: a.tableName });
    expect((await b.engine.describeStateMachine({ stateMachineArn: machineArn('texts') })).creationDate).toEqual(new Date(created));
    const forExecution = await (await serve(b.engine)).send(new DescribeStateMachineForExecutionCommand({ executionArn }));
    expect(forExecution).toMatchObject({ stateMachineArn: machineArn('texts'), name: 'texts', updateDate: new Date(clock.time), tracingConfiguration: { enabled: false } });
    expect(JSON.parse(forExecution.definition!)).toEqual(changed);
  });
});

describe('executions through the SDK', () => {
  it('lists executions newest first, page by page from the store, with status filters and the paginator', async () => {
    const clock = new FakeClock();
    const doc = documentClient();
    const { engine } = await startEngine({ invoker: choiceInvoker(), clock, documentClient: doc, machines: [{ name: 'runs', definition: choiceMachine }] });
    const client = await serve(engine);
    const stateMachineArn = machineArn('runs');
    for (let i = 0; i < 7; i++) {
      const { executionArn } = await engine.startExecution({ stateMachineArn, name: `e${i}`, input: JSON.stringify({ fail: i % 2 === 0 }) });
      await engine.waitForStatus(executionArn);
      clock.advance(1000);
    }

    const send = vi.spyOn(doc, 'send');
    const first = await client.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 3 }));
    // One page reads at most one item more than it returns from the machine index, not all seven.
    const indexReads = send.mock.calls.flatMap(([command], i) => ((command.input as { IndexName?: string }).IndexName === 'byMachine' ? [send.mock.results[i]!.value] : []));
    const itemsRead = (await Promise.all(indexReads as Array<Promise<{ Items?: unknown[] }>>)).reduce((sum, page) => sum + (page.Items?.length ?? 0), 0);
    expect(itemsRead).toBeGreaterThan(0);
    expect(itemsRead).toBeLessThanOrEqual(4);
    send.mockRestore();

    expect(first.executions!.map((execution) => execution.name)).toEqual(['e6', 'e5', 'e4']);
    expect(first.executions![0]).toEqual({
      executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:runs:e6`,
      stateMachineArn,
      name: 'e6',
      status: 'FAILED',
      startDate: new Date(Date.UTC(2030, 0, 1) + 6000),
      stopDate: expect.any(Date),
      redriveCount: 0,
    });
    expect(first.nextToken).toEqual(expect.any(String));
    const second = await client.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 3, nextToken: first.nextToken }));
    expect(second.executions!.map((execution) => execution.name)).toEqual(['e3', 'e2', 'e1']);
    const third = await client.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 3, nextToken: second.nextToken }));
    expect(third.executions!.map((execution) => execution.name)).toEqual(['e0']);
    expect(third.nextToken).toBeUndefined();

    const byStatus = async (statusFilter: ExecutionStatus) => {
      const names: string[] = [];
      for await (const page of paginateListExecutions({ client, pageSize: 2 }, { stateMachineArn, statusFilter })) {
        expect(page.executions!.length).toBeLessThanOrEqual(2);
        names.push(...page.executions!.map((execution) => execution.name!));
      }
      return names;
    };
    expect(await byStatus('FAILED')).toEqual(['e6', 'e4', 'e2', 'e0']);
    expect(await byStatus('SUCCEEDED')).toEqual(['e5', 'e3', 'e1']);
    expect(await byStatus('RUNNING')).toEqual([]);
    expect((await client.send(new ListExecutionsCommand({ stateMachineArn }))).executions).toHaveLength(7);

    // A token belongs to its request: another filter or an altered token is refused.
    expect(await failure(client.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'FAILED', nextToken: first.nextToken })))).toBeInstanceOf(InvalidToken);
    expect(await failure(client.send(new ListExecutionsCommand({ stateMachineArn, nextToken: 'garbage' })))).toBeInstanceOf(InvalidToken);
    // A token made up in the right scope, naming no execution of this machine (empty, another machine's), is no position
    // either: InvalidToken, not a query DynamoDB refuses (a 500).
    const madeUp = (position: unknown) => Buffer.from(JSON.stringify({ s: `ListExecutions|${stateMachineArn}||`, p: position })).toString('base64url');
    for (const position of [{ a: '', t: '' }, { a: 'x', t: '0000000000000000#e1' }, { a: `arn:aws:states:${REGION}:${ACCOUNT}:execution:other:e1`, t: '0000000000000000#e1' }]) {
      expect(await failure(client.send(new ListExecutionsCommand({ stateMachineArn, nextToken: madeUp(position) })))).toBeInstanceOf(InvalidToken);
    }
    expect(await failure(client.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1001 })))).toBeInstanceOf(ValidationException);
    expect(await failure(client.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'DONE' as ExecutionStatus })))).toBeInstanceOf(ValidationException);
    expect(await failure(client.send(new ListExecutionsCommand({ stateMachineArn: machineArn('nope') })))).toBeInstanceOf(StateMachineDoesNotExist);
  });

  it('pages the history forwards and backwards, with or without execution data', async () => {
    const { engine } = await startEngine({ invoker: choiceInvoker(), machines: [{ name: 'runs', definition: choiceMachine }] });
    const client = await serve(engine);
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: machineArn('runs'), name: 'h1', input: '{"fail":false}' }));
    expect(await engine.waitForStatus(executionArn!)).toBe('SUCCEEDED');

    const all = await client.send(new GetExecutionHistoryCommand({ executionArn }));
    const types = [
      'ExecutionStarted',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ];
    expect(all.events!.map((event) => event.type)).toEqual(types);
    expect(all.nextToken).toBeUndefined();
    expect(all.events![0]).toMatchObject({ id: 1, previousEventId: 0, timestamp: expect.any(Date), executionStartedEventDetails: { input: '{"fail":false}' } });

    const first = await client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 4 }));
    expect(first.events!.map((event) => event.id)).toEqual([1, 2, 3, 4]);
    const next = await client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 4, nextToken: first.nextToken }));
    expect(next.events!.map((event) => event.id)).toEqual([5, 6, 7, 8]);

    const pages: number[][] = [];
    for await (const page of paginateGetExecutionHistory({ client, pageSize: 4 }, { executionArn, reverseOrder: true })) pages.push(page.events!.map((event) => event.id!));
    expect(pages).toEqual([
      [9, 8, 7, 6],
      [5, 4, 3, 2],
      [1],
    ]);
    // The same token does not serve the other direction.
    expect(await failure(client.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, nextToken: first.nextToken })))).toBeInstanceOf(InvalidToken);

    const bare = await client.send(new GetExecutionHistoryCommand({ executionArn, includeExecutionData: false }));
    expect(bare.events![0]!.executionStartedEventDetails).toEqual({ roleArn: `arn:aws:iam::${ACCOUNT}:role/local-stepfunctions` });
    expect(bare.events![1]!.stateEnteredEventDetails).toEqual({ name: 'Choose' });
    expect(bare.events!.at(-1)!.executionSucceededEventDetails).toEqual({});
    expect(await failure(client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: -1 })))).toBeInstanceOf(ValidationException);
  });

  it('describes executions with the fields AWS returns, and their state machine', async () => {
    const { engine } = await startEngine({ invoker: choiceInvoker(), machines: [{ name: 'runs', definition: choiceMachine }] });
    const client = await serve(engine);
    const stateMachineArn = machineArn('runs');
    const ok = await client.send(new StartExecutionCommand({ stateMachineArn, name: 'ok', input: '{"fail":false}' }));
    const ko = await client.send(new StartExecutionCommand({ stateMachineArn, name: 'ko', input: '{"fail":true}' }));
    await engine.waitForStatus(ok.executionArn!);
    await engine.waitForStatus(ko.executionArn!);

    const succeeded = await client.send(new DescribeExecutionCommand({ executionArn: ok.executionArn }));
    expect(succeeded).toMatchObject({
      executionArn: ok.executionArn,
      stateMachineArn,
      name: 'ok',
      status: 'SUCCEEDED',
      startDate: ok.startDate,
      stopDate: expect.any(Date),
      input: '{"fail":false}',
      inputDetails: { included: true },
      output: '"ok"',
      outputDetails: { included: true },
      redriveCount: 0,
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: 'Execution is SUCCEEDED and cannot be redriven',
    });
    const failed = await client.send(new DescribeExecutionCommand({ executionArn: ko.executionArn }));
    expect(failed).toMatchObject({ status: 'FAILED', error: 'Boom', cause: JSON.stringify({ errorType: 'Boom', errorMessage: 'no' }), redriveCount: 0, redriveStatus: 'REDRIVABLE' });
    expect(failed.redriveStatusReason).toBeUndefined();
    expect(failed.output).toBeUndefined();

    const machine = await client.send(new DescribeStateMachineForExecutionCommand({ executionArn: ko.executionArn }));
    expect(machine).toMatchObject({ stateMachineArn, name: 'runs', roleArn: `arn:aws:iam::${ACCOUNT}:role/local-stepfunctions`, updateDate: expect.any(Date) });
    expect(JSON.parse(machine.definition!)).toEqual(choiceMachine);
  });
});

describe('StopExecution and RedriveExecution through the SDK', () => {
  it('redrives a FAILED execution from the failed state, keeps its history, and is idempotent by clientToken', async () => {
    let broken = true;
    const invoker = new FakeInvoker({
      first: () => 'first',
      second: (input: { first: string }) => {
        if (broken) throw new FunctionError('Broken', 'not yet');
        return `second after ${input.first}`;
      },
    });
    const definition = {
      StartAt: 'First',
      States: {
        First: { Type: 'Task', Resource: fn('first'), ResultPath: '$.first', Next: 'Second' },
        Second: { Type: 'Task', Resource: fn('second'), ResultPath: '$.second', End: true },
      },
    };
    const { engine } = await startEngine({ invoker, machines: [{ name: 'twice', definition }] });
    const client = await serve(engine);
    const stateMachineArn = machineArn('twice');
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn, name: 'r1', input: '{}' }));
    expect(await engine.waitForStatus(executionArn!)).toBe('FAILED');
    const failedEvents = (await client.send(new GetExecutionHistoryCommand({ executionArn }))).events!;

    broken = false;
    const { redriveDate } = await client.send(new RedriveExecutionCommand({ executionArn, clientToken: 'redrive-1' }));
    expect(redriveDate).toBeInstanceOf(Date);
    expect(await engine.waitForStatus(executionArn!)).toBe('SUCCEEDED');
    expect(invoker.count('first')).toBe(1);
    expect(invoker.count('second')).toBe(2);

    const described = await client.send(new DescribeExecutionCommand({ executionArn }));
    expect(described).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1, redriveDate, redriveStatus: 'NOT_REDRIVABLE' });
    expect(described.error).toBeUndefined();
    expect(JSON.parse(described.output!)).toEqual({ first: 'first', second: 'second after first' });

    const events = (await client.send(new GetExecutionHistoryCommand({ executionArn }))).events!;
    expect(events.slice(0, failedEvents.length)).toEqual(failedEvents);
    expect(events.map((event) => event.id)).toEqual(events.map((_, i) => i + 1));
    const after = events.slice(failedEvents.length);
    expect(failedEvents.at(-1)!.type).toBe('ExecutionFailed');
    expect(after[0]).toMatchObject({ type: 'ExecutionRedriven', executionRedrivenEventDetails: { redriveCount: 1 } });
    expect(after[1]).toMatchObject({ type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Second', input: '{"first":"first"}' } });
    expect(after.at(-1)!.type).toBe('ExecutionSucceeded');

    // The same clientToken gets the first answer and redrives nothing; a new one is refused.
    expect((await client.send(new RedriveExecutionCommand({ executionArn, clientToken: 'redrive-1' }))).redriveDate).toEqual(redriveDate);
    expect((await client.send(new GetExecutionHistoryCommand({ executionArn }))).events).toHaveLength(events.length);
    const refused = await failure(client.send(new RedriveExecutionCommand({ executionArn, clientToken: 'redrive-2' })));
    expect(refused).toBeInstanceOf(ExecutionNotRedrivable);
    expect((refused as Error).message).toContain('Execution is SUCCEEDED and cannot be redriven');
    expect(invoker.count('second')).toBe(2);

    const redriven = await client.send(new ListExecutionsCommand({ stateMachineArn, redriveFilter: 'REDRIVEN' }));
    expect(redriven.executions).toEqual([expect.objectContaining({ name: 'r1', redriveCount: 1, redriveDate })]);
    expect((await client.send(new ListExecutionsCommand({ stateMachineArn, redriveFilter: 'NOT_REDRIVEN' }))).executions).toEqual([]);
  });

  it('stops a parked execution, refuses to redrive it while it runs, and redrives it once ABORTED', async () => {
    const invoker = new FakeInvoker({ request: () => null, after: () => 'after' });
    const { engine } = await startEngine({ invoker, machines: [{ name: 'approval', definition: approvalMachine() }] });
    const client = await serve(engine);
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: machineArn('approval'), name: 's1', input: '{"approvalId":"s1"}' }));
    await waitForEvent(engine, executionArn!, 'TaskSubmitted');

    const running = await failure(client.send(new RedriveExecutionCommand({ executionArn })));
    expect(running).toBeInstanceOf(ExecutionNotRedrivable);
    expect((running as Error).message).toContain('Execution is RUNNING and cannot be redriven');
    expect(await client.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({ redriveStatus: 'NOT_REDRIVABLE', redriveStatusReason: 'Execution is RUNNING and cannot be redriven' });

    const { stopDate } = await client.send(new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'test stop' }));
    expect(stopDate).toBeInstanceOf(Date);
    expect(await client.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'test stop', stopDate, redriveStatus: 'REDRIVABLE' });
    expect((await failure(client.send(new SendTaskSuccessCommand({ taskToken: tokenOf(invoker, 0), output: '{}' })))) as Error).toMatchObject({ name: 'TaskTimedOut' });

    await client.send(new RedriveExecutionCommand({ executionArn }));
    await waitForEvent(engine, executionArn!, 'TaskSubmitted', 2);
    expect((await client.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');
    await client.send(new SendTaskSuccessCommand({ taskToken: tokenOf(invoker, 1), output: '{"approved":true}' }));
    expect(await engine.waitForStatus(executionArn!)).toBe('SUCCEEDED');
    expect(JSON.parse((await engine.describeExecution({ executionArn: executionArn! })).output!)).toEqual({ approvalId: 's1', decision: { approved: true }, after: 'after' });
  });

  it('redrives a TIMED_OUT execution with its timeout counted again from the redrive', async () => {
    const clock = new FakeClock();
    const invoker = new FakeInvoker({ request: () => null, after: () => 'after' });
    const { engine } = await startEngine({ invoker, clock, machines: [{ name: 'slow', definition: { ...approvalMachine(), TimeoutSeconds: 60 } }] });
    const client = await serve(engine);
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: machineArn('slow'), input: '{"approvalId":"t1"}' }));
    await waitForEvent(engine, executionArn!, 'TaskSubmitted');
    clock.advance(61_000);
    expect(await engine.waitForStatus(executionArn!)).toBe('TIMED_OUT');

    await client.send(new RedriveExecutionCommand({ executionArn }));
    await waitForEvent(engine, executionArn!, 'TaskSubmitted', 2);
    await sleep(100);
    expect((await client.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');
    clock.advance(61_000);
    expect(await engine.waitForStatus(executionArn!)).toBe('TIMED_OUT');
    const types = (await engine.getExecutionHistory({ executionArn: executionArn!, maxResults: 1000 })).events.map((event) => event.type);
    expect(types.filter((type) => type === 'ExecutionTimedOut')).toHaveLength(2);
    expect(types.filter((type) => type === 'ExecutionRedriven')).toHaveLength(1);
  });
});

describe('errors through the SDK', () => {
  it('answers with the types AWS uses, as the SDK exception classes', async () => {
    const { engine } = await startEngine({ invoker: choiceInvoker(), machines: [{ name: 'runs', definition: choiceMachine }] });
    const client = await serve(engine);
    const stateMachineArn = machineArn('runs');
    const missing = `arn:aws:states:${REGION}:${ACCOUNT}:execution:runs:missing`;

    for (const command of [
      new DescribeExecutionCommand({ executionArn: missing }),
      new GetExecutionHistoryCommand({ executionArn: missing }),
      new StopExecutionCommand({ executionArn: missing }),
      new RedriveExecutionCommand({ executionArn: missing }),
      new DescribeStateMachineForExecutionCommand({ executionArn: missing }),
    ]) {
      expect(await failure(client.send(command as never))).toBeInstanceOf(ExecutionDoesNotExist);
    }
    for (const command of [
      new DescribeStateMachineCommand({ stateMachineArn: machineArn('nope') }),
      new ListExecutionsCommand({ stateMachineArn: machineArn('nope') }),
      new StartExecutionCommand({ stateMachineArn: machineArn('nope') }),
    ]) {
      expect(await failure(client.send(command as never))).toBeInstanceOf(StateMachineDoesNotExist);
    }
    for (const command of [
      new DescribeExecutionCommand({ executionArn: 'not-an-arn' }),
      new DescribeExecutionCommand({ executionArn: stateMachineArn }),
      new DescribeStateMachineCommand({ stateMachineArn: missing }),
      new ListExecutionsCommand({ stateMachineArn: 'arn:aws:lambda:eu-west-3:123456789012:function:ok' }),
    ]) {
      expect(await failure(client.send(command as never))).toBeInstanceOf(InvalidArn);
    }

    await client.send(new StartExecutionCommand({ stateMachineArn, name: 'same', input: '{"fail":false}' }));
    const conflict = await failure(client.send(new StartExecutionCommand({ stateMachineArn, name: 'same', input: '{"fail":true}' })));
    expect(conflict).toBeInstanceOf(ExecutionAlreadyExists);
    expect((conflict as ExecutionAlreadyExists).$metadata.httpStatusCode).toBe(400);

    expect(await failure(client.send(new ListStateMachinesCommand({ nextToken: 'x'.repeat(20) })))).toBeInstanceOf(InvalidToken);
    expect(await failure(client.send(new ListStateMachinesCommand({ maxResults: 5000 })))).toBeInstanceOf(ValidationException);
    expect(await failure(client.send(new RedriveExecutionCommand({ executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:same` })))).toBeInstanceOf(
      ExecutionNotRedrivable,
    );
  });

  it("checks the model's length constraints first, with ValidationException as AWS does: names over 80, data over 256 KiB, long errors and tokens", async () => {
    const { engine } = await startEngine({ invoker: choiceInvoker(), machines: [{ name: 'runs', definition: choiceMachine }] });
    const client = await serve(engine);
    const stateMachineArn = machineArn('runs');
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:any`;
    // 262,144 bytes of UTF-8 in 131,075 characters: the limit counts bytes.
    const tooBig = JSON.stringify({ text: 'é'.repeat(131_072) });
    for (const command of [
      new StartExecutionCommand({ stateMachineArn, name: 'n'.repeat(81) }),
      new StartExecutionCommand({ stateMachineArn, name: '' }),
      new StartExecutionCommand({ stateMachineArn, input: tooBig }),
      new SendTaskSuccessCommand({ taskToken: 'x', output: tooBig }),
      new SendTaskSuccessCommand({ taskToken: 't'.repeat(2049), output: '{}' }),
      new SendTaskFailureCommand({ taskToken: 'x', error: 'e'.repeat(257) }),
      new SendTaskFailureCommand({ taskToken: 'x', cause: 'c'.repeat(32_769) }),
      new StopExecutionCommand({ executionArn, error: 'e'.repeat(257) }),
      new RedriveExecutionCommand({ executionArn, clientToken: 'c'.repeat(65) }),
    ]) {
      const error = await failure(client.send(command as never));
      expect(error).toBeInstanceOf(ValidationException);
      expect((error as ValidationException).message).toMatch(/^1 validation error detected: Value.* at '\w+' failed to satisfy constraint: Member must have length/);
    }
    // The data itself is not quoted back.
    expect((await failure(client.send(new StartExecutionCommand({ stateMachineArn, input: tooBig })))) as Error).toHaveProperty('message', expect.not.stringContaining('é'));
    // Within the limits, the engine's own checks still answer.
    expect(await failure(client.send(new StartExecutionCommand({ stateMachineArn, name: 'n'.repeat(80), input: '{not json' })))).toBeInstanceOf(InvalidExecutionInput);
    expect(await failure(client.send(new SendTaskFailureCommand({ taskToken: 'x', error: 'e'.repeat(256) })))).toBeInstanceOf(InvalidToken);
    // 2,048 characters are within the model, but not a token the engine hands out: InvalidToken, even when their key would
    // be past DynamoDB's 2,048 bytes (which would refuse the read).
    for (const taskToken of ['t'.repeat(2048), 'é'.repeat(2048)]) {
      expect(await failure(client.send(new SendTaskSuccessCommand({ taskToken, output: '{}' })))).toBeInstanceOf(InvalidToken);
      expect(await failure(client.send(new SendTaskFailureCommand({ taskToken })))).toBeInstanceOf(InvalidToken);
      expect(await failure(client.send(new SendTaskHeartbeatCommand({ taskToken })))).toBeInstanceOf(InvalidToken);
    }
  });

  it("refuses ListExecutions by mapRunArn (map run children are not executions here), rather than listing the machine's executions", async () => {
    const { engine } = await startEngine({ invoker: choiceInvoker(), machines: [{ name: 'runs', definition: choiceMachine }] });
    const client = await serve(engine);
    const stateMachineArn = machineArn('runs');
    const mapRunArn = `arn:aws:states:${REGION}:${ACCOUNT}:mapRun:runs/Map:1`;
    expect(await failure(client.send(new ListExecutionsCommand({ stateMachineArn, mapRunArn })))).toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/not both/) });
    expect(await failure(client.send(new ListExecutionsCommand({ mapRunArn })))).toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/mapRunArn/) });
  });
});
