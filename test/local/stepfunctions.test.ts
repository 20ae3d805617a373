import { afterEach, describe, expect, it, vi } from 'vitest';
import { handleSfnJson } from '../../infra/local/stepfunctions/index.js';
import {
  FakeClock,
  FakeInvoker,
  FunctionError,
  approvalMachine,
  fn,
  gate,
  machineArn,
  sleep,
  startEngine,
  stopEngines,
  tokenOf,
  waitForEvent,
} from './stepfunctions-support.js';

afterEach(stopEngines);

const DAY_MS = 24 * 3600 * 1000;

describe('Lambda tasks', () => {
  it('runs a chain with Retry on a function error and Catch of the final failure', async () => {
    let flakyCalls = 0;
    const invoker = new FakeInvoker({
      double: (input: { n: number }) => ({ n: input.n * 2 }),
      flaky: () => {
        flakyCalls += 1;
        if (flakyCalls === 1) throw new FunctionError('Transient', 'try again');
        return 'ok';
      },
      boom: () => {
        throw new FunctionError('Boom', 'it broke');
      },
    });
    const definition = {
      StartAt: 'Double',
      States: {
        Double: { Type: 'Task', Resource: fn('double'), ResultPath: '$.doubled', Next: 'Flaky' },
        Flaky: {
          Type: 'Task',
          Resource: fn('flaky'),
          ResultPath: '$.flaky',
          Retry: [{ ErrorEquals: ['Transient'], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 1 }],
          Next: 'Boom',
        },
        Boom: { Type: 'Task', Resource: fn('boom'), Catch: [{ ErrorEquals: ['States.TaskFailed'], ResultPath: '$.error', Next: 'Handled' }], End: true },
        Handled: { Type: 'Pass', End: true },
      },
    };
    const { engine } = await startEngine({ invoker, machines: [{ name: 'chain', definition }] });
    const { executionArn } = await engine.startExecution({ stateMachineArn: machineArn('chain'), input: JSON.stringify({ n: 21 }) });
    expect(await engine.waitForStatus(executionArn)).toBe('SUCCEEDED');
    const description = await engine.describeExecution({ executionArn });
    expect(JSON.parse(description.output!)).toEqual({
      n: 21,
      doubled: { n: 42 },
      flaky: 'ok',
      error: { Error: 'Boom', Cause: JSON.stringify({ errorType: 'Boom', errorMessage: 'it broke' }) },
    });
    expect(invoker.count('flaky')).toBe(2);
    const types = (await engine.getExecutionHistory({ executionArn })).events.map((event) => event.type);
    expect(types[0]).toBe('ExecutionStarted');
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    expect(types.filter((type) => type === 'LambdaFunctionFailed')).toHaveLength(2);
    expect(types).toContain('PassStateEntered');
  });

  it('fails the execution with the function error when nothing catches it', async () => {
    const invoker = new FakeInvoker({ boom: () => Promise.reject(new FunctionError('Boom', 'no')) });
    const definition = { StartAt: 'Boom', States: { Boom: { Type: 'Task', Resource: fn('boom'), End: true } } };
    const { engine } = await startEngine({ invoker, machines: [{ name: 'fails', definition }] });
    const { executionArn } = await engine.startExecution({ stateMachineArn: machineArn('fails') });
    expect(await engine.waitForStatus(executionArn)).toBe('FAILED');
    const description = await engine.describeExecution({ executionArn });
    expect(description).toMatchObject({ error: 'Boom', cause: JSON.stringify({ errorType: 'Boom', errorMessage: 'no' }) });
    expect(description.stopDate).toBeInstanceOf(Date);
  });

  it('wraps lambda:invoke results as { ExecutedVersion, Payload, StatusCode }', async () => {
    const invoker = new FakeInvoker({ echo: (payload: unknown) => ({ got: payload }) });
    const definition = {
      StartAt: 'Invoke',
      States: {
        Invoke: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: fn('echo'), 'Payload.$': '$.data' },
          ResultPath: '$.result',
          End: true,
        },
      },
    };
    const { engine } = await startEngine({ invoker, machines: [{ name: 'invoke', definition }] });
    const { executionArn } = await engine.startExecution({ stateMachineArn: machineArn('invoke'), input: '{"data":{"x":1}}' });
    expect(await engine.waitForStatus(executionArn)).toBe('SUCCEEDED');
    expect(invoker.payloads.get('echo')).toEqual([{ x: 1 }]);
    const output = JSON.parse((await engine.describeExecution({ executionArn })).output!);
    expect(output.result).toEqual({ ExecutedVersion: '$LATEST', Payload: { got: { x: 1 } }, StatusCode: 200 });
  });
});

describe('callback tasks (.waitForTaskToken)', () => {
  it('parks, resumes on SendTaskSuccess with the result at ResultPath, and refuses the token twice', async () => {
    const invoker = new FakeInvoker({ request: () => ({ sent: true }), after: () => 'done' });
    const { engine } = await startEngine({ invoker, machines: [{ name: 'approval', definition: approvalMachine({ timeoutSeconds: 3600 }) }] });
    const { executionArn } = await engine.startExecution({ stateMachineArn: machineArn('approval'), input: '{"approvalId":"a1"}' });
    await waitForEvent(engine, executionArn, 'TaskSubmitted');
    expect((await engine.describeExecution({ executionArn })).status).toBe('RUNNING');
    expect(invoker.count('after')).toBe(0);
    const token = tokenOf(invoker);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    expect(invoker.payloads.get('request')).toEqual([{ approval: 'a1', taskToken: token }]);

    await engine.sendTaskSuccess({ taskToken: token, output: '{"approved":true}' });
    expect(await engine.waitForStatus(executionArn)).toBe('SUCCEEDED');
    expect(JSON.parse((await engine.describeExecution({ executionArn })).output!)).toEqual({ approvalId: 'a1', decision: { approved: true }, after: 'done' });
    expect(invoker.count('request')).toBe(1);
    expect(invoker.count('after')).toBe(1);

    await expect(engine.sendTaskSuccess({ taskToken: token, output: '{}' })).rejects.toMatchObject({ name: 'TaskTimedOut' });
    await expect(engine.sendTaskSuccess({ taskToken: 'not-a-token', output: '{}' })).rejects.toMatchObject({ name: 'InvalidToken' });
    const types = (await engine.getExecutionHistory({ executionArn })).events.map((event) => event.type);
    expect(types).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
  });

  it('sends SendTaskFailure to the Catch with its error and cause', async () => {
    const invoker = new FakeInvoker({ request: () => null, after: () => 'never' });
    const { engine } = await startEngine({ invoker, machines: [{ name: 'approval', definition: approvalMachine() }] });
    const { executionArn } = await engine.startExecution({ stateMachineArn: machineArn('approval'), input: '{"approvalId":"a2"}' });
    await waitForEvent(engine, executionArn, 'TaskSubmitted');
    await engine.sendTaskFailure({ taskToken: tokenOf(invoker), error: 'Declined', cause: 'staff said no' });
    expect(await engine.waitForStatus(executionArn)).toBe('SUCCEEDED');
    const output = JSON.parse((await engine.describeExecution({ executionArn })).output!);
    expect(output).toEqual({ approvalId: 'a2', error: { Error: 'Declined', Cause: 'staff said no' }, outcome: 'rejected' });
    expect(invoker.count('after')).toBe(0);
  });

  it('takes a callback that arrives while the function is still running', async () => {
    const invoker = new FakeInvoker({
      request: async (payload: { taskToken: string }) => {
        await engine.sendTaskSuccess({ taskToken: payload.taskToken, output: '"quick"' });
        return null;
      },
      after: () => 'after',
    });
    const { engine } = await startEngine({ invoker, machines: [{ name: 'approval', definition: approvalMachine() }] });
    const { executionArn } = await engine.startExecution({ stateMachineArn: machineArn('approval'), input: '{"approvalId":"a3"}' });
    expect(await engine.waitForStatus(executionArn)).toBe('SUCCEEDED');
    expect(JSON.parse((await engine.describeExecution({ executionArn })).output!).decision).toBe('quick');
  });

  it('times out at TimeoutSeconds with States.Timeout, which States.TaskFailed does not catch', async () => {
    const clock = new FakeClock();
    const invoker = new FakeInvoker({ request: () => null, after: () => 'never' });
    const { engine } = await startEngine({ invoker, clock, machines: [{ name: 'approval', definition: approvalMachine({ timeoutSeconds: 2 }) }] });
    const { executionArn } = await engine.startExecution({ stateMachineArn: machineArn('approval'), input: '{"approvalId":"a4"}' });
    await waitForEvent(engine, executionArn, 'TaskSubmitted');
    clock.advance(1500);
    await sleep(100);
    expect((await engine.describeExecution({ executionArn })).status).toBe('RUNNING');
    clock.advance(600);
    expect(await engine.waitForStatus(executionArn)).toBe('SUCCEEDED');
    const output = JSON.parse((await engine.describeExecution({ executionArn })).output!);
    expect(output.outcome).toBe('expired');
    expect(output.error.Error).toBe('States.Timeout');
    await expect(engine.sendTaskSuccess({ taskToken: tokenOf(invoker), output: '{}' })).rejects.toMatchObject({ name: 'TaskTimedOut' });
    const types = (await engine.getExecutionHistory({ executionArn })).events.map((event) => event.type);
    expect(types).toContain('TaskTimedOut');
  });

  it('does not fire a 40-day TimeoutSeconds early (no 32-bit timer overflow)', async () => {
    const clock = new FakeClock();
    const invoker = new FakeInvoker({ request: () => null, after: () => 'after' });
    const { engine } = await startEngine({ invoker, clock, machines: [{ name: 'approval', definition: approvalMachine({ timeoutSeconds: 40 * 24 * 3600 }) }] });
    const { executionArn } = await engine.startExecution({ stateMachineArn: machineArn('approval'), input: '{"approvalId":"a5"}' });
    await waitForEvent(engine, executionArn, 'TaskSubmitted');
    await sleep(150);
    clock.advance(39 * DAY_MS);
    await sleep(150);
    expect((await engine.describeExecution({ executionArn })).status).toBe('RUNNING');
    clock.advance(DAY_MS + 1000);
    expect(await engine.waitForStatus(executionArn)).toBe('SUCCEEDED');
    expect(JSON.parse((await engine.describeExecution({ executionArn })).output!).outcome).toBe('expired');
  });

  it('keeps a task alive with heartbeats and times it out when they stop', async () => {
    const clock = new FakeClock();
    const invoker = new FakeInvoker({ request: () => null, after: () => 'after' });
    const { engine } = await startEngine({
      invoker,
      clock,
      machines: [{ name: 'approval', definition: approvalMachine({ timeoutSeconds: 1000, heartbeatSeconds: 10 }) }],
    });
    const { executionArn } = await engine.startExecution({ stateMachineArn: machineArn('approval'), input: '{"approvalId":"a6"}' });
    await waitForEvent(engine, executionArn, 'TaskSubmitted');
    for (let i = 0; i < 3; i++) {
      clock.advance(8000);
      await engine.sendTaskHeartbeat({ taskToken: tokenOf(invoker) });
      await sleep(60);
    }
    expect((await engine.describeExecution({ executionArn })).status).toBe('RUNNING');
    clock.advance(11_000);
    expect(await engine.waitForStatus(executionArn)).toBe('SUCCEEDED');
    expect(JSON.parse((await engine.describeExecution({ executionArn })).output!).error.Error).toBe('States.Timeout');
  });

  it('gives one outcome when a success and a failure race on the same token', async () => {
    const invoker = new FakeInvoker({ request: () => null, after: () => 'after' });
    const { engine } = await startEngine({ invoker, machines: [{ name: 'approval', definition: approvalMachine() }] });
    const { executionArn } = await engine.startExecution({ stateMachineArn: machineArn('approval'), input: '{"approvalId":"a7"}' });
    await waitForEvent(engine, executionArn, 'TaskSubmitted');
    const token = tokenOf(invoker);
    const results = await Promise.allSettled([
      engine.sendTaskSuccess({ taskToken: token, output: '{}' }),
      engine.sendTaskFailure({ taskToken: token, error: 'No' }),
    ]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((result) => result.status === 'rejected')).toMatchObject({ reason: { name: 'TaskTimedOut' } });
    expect(await engine.waitForStatus(executionArn)).toBe('SUCCEEDED');
  });

  it('runs many parked executions at once', async () => {
    const invoker = new FakeInvoker({ request: () => null, after: (input: { approvalId: string }) => input.approvalId });
    const { engine } = await startEngine({ invoker, machines: [{ name: 'approval', definition: approvalMachine() }] });
    const arns = await Promise.all(
      Array.from({ length: 12 }, (_, i) => engine.startExecution({ stateMachineArn: machineArn('approval'), name: `p${i}`, input: JSON.stringify({ approvalId: `p${i}` }) })),
    );
    for (const { executionArn } of arns) await waitForEvent(engine, executionArn, 'TaskSubmitted');
    await Promise.all(arns.map((_, i) => engine.sendTaskSuccess({ taskToken: tokenOf(invoker, i), output: `{"n":${i}}` })));
    const statuses = await Promise.all(arns.map(({ executionArn }) => engine.waitForStatus(executionArn)));
    expect(new Set(statuses)).toEqual(new Set(['SUCCEEDED']));
    expect(invoker.count('after')).toBe(12);
    const outputs = await Promise.all(arns.map(async ({ executionArn }) => JSON.parse((await engine.describeExecution({ executionArn })).output!)));
    expect(outputs.map((output) => output.after)).toEqual(arns.map((_, i) => `p${i}`));
  });

  it('refuses a waitForTaskToken task inside a Map at registration', async () => {
    const { engine } = await startEngine({ invoker: new FakeInvoker({}), machines: [], start: false });
    const definition = {
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          ItemProcessor: {
            StartAt: 'Ask',
            States: { Ask: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken', Parameters: { FunctionName: fn('x'), Payload: { 't.$': '$$.Task.Token' } }, End: true } },
          },
          End: true,
        },
      },
    };
    expect(() => engine.registerStateMachine({ arn: machineArn('bad'), name: 'bad', definition })).toThrow(/inside a Map or Parallel/);
  });
});

describe('executions', () => {
  it('makes StartExecution idempotent by name and input while RUNNING', async () => {
    const invoker = new FakeInvoker({ request: () => null, after: () => 'after' });
    const { engine } = await startEngine({ invoker, machines: [{ name: 'approval', definition: approvalMachine() }] });
    const stateMachineArn = machineArn('approval');
    const first = await engine.startExecution({ stateMachineArn, name: 'referral-1', input: '{"approvalId":"r1"}' });
    expect(first.executionArn).toBe('arn:aws:states:eu-west-3:123456789012:execution:approval:referral-1');
    const again = await engine.startExecution({ stateMachineArn, name: 'referral-1', input: '{"approvalId":"r1"}' });
    expect(again).toEqual(first);
    await expect(engine.startExecution({ stateMachineArn, name: 'referral-1', input: '{"approvalId":"other"}' })).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    await waitForEvent(engine, first.executionArn, 'TaskSubmitted');
    expect(invoker.count('request')).toBe(1);
    await engine.stopExecution({ executionArn: first.executionArn, error: 'Stopped', cause: 'test' });
    expect((await engine.describeExecution({ executionArn: first.executionArn })).status).toBe('ABORTED');
    await expect(engine.startExecution({ stateMachineArn, name: 'referral-1', input: '{"approvalId":"r1"}' })).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    await expect(engine.sendTaskSuccess({ taskToken: tokenOf(invoker), output: '{}' })).rejects.toMatchObject({ name: 'TaskTimedOut' });
    const aborted = await engine.listExecutions({ stateMachineArn, statusFilter: 'ABORTED' });
    expect(aborted.executions.map((execution) => execution.name)).toEqual(['referral-1']);
    expect((await engine.listExecutions({ stateMachineArn, statusFilter: 'RUNNING' })).executions).toEqual([]);
  });

  it('fails an execution whose input the library cannot process (nested 50,000 deep) with States.Runtime, rather than leaving it RUNNING', async () => {
    const { engine } = await startEngine({ invoker: new FakeInvoker({}), machines: [{ name: 'pass', definition: { StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } } }] });
    // 100 KB, within the 256 KiB of an input; the library overflows its stack on it, and did not end its event log.
    const { executionArn } = await engine.startExecution({ stateMachineArn: machineArn('pass'), input: `${'['.repeat(50_000)}${']'.repeat(50_000)}` });
    expect(await engine.waitForStatus(executionArn, { timeoutMs: 10_000 })).toBe('FAILED');
    expect(await engine.describeExecution({ executionArn })).toMatchObject({ status: 'FAILED', error: 'States.Runtime', cause: expect.stringContaining('RangeError') });
    const { executionArn: shallow } = await engine.startExecution({ stateMachineArn: machineArn('pass'), input: '[[1]]' });
    expect(await engine.waitForStatus(shallow, { timeoutMs: 10_000 })).toBe('SUCCEEDED');
  });

  it("fails an execution whose state input cannot be written as JSON by the runner, rather than leaving it RUNNING", async () => {
    // JSON.stringify overflows its stack on an input nested some 3,000 deep that the library could still clone, or not,
    // depending on how deep the stack already is: stood in for here by a JSON.stringify that refuses one marked value.
    const stringify = JSON.stringify;
    const spy = vi.spyOn(JSON, 'stringify').mockImplementation(((value: unknown, ...rest: never[]) => {
      if ((value as { unwritable?: unknown } | null)?.unwritable === true) throw new RangeError('Maximum call stack size exceeded');
      return stringify(value, ...rest);
    }) as typeof JSON.stringify);
    try {
      const { engine } = await startEngine({ invoker: new FakeInvoker({}), machines: [{ name: 'pass', definition: { StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } } }] });
      const { executionArn } = await engine.startExecution({ stateMachineArn: machineArn('pass'), input: '{"unwritable":true}' });
      expect(await engine.waitForStatus(executionArn, { timeoutMs: 10_000 })).toBe('FAILED');
      expect(await engine.describeExecution({ executionArn })).toMatchObject({ status: 'FAILED', error: 'States.Runtime', cause: "The execution's data could not be processed (RangeError: Maximum call stack size exceeded)" });
    } finally {
      spy.mockRestore();
    }
  });

  it('runs a Wait state from a stored wake-up time and an execution TimeoutSeconds', async () => {
    const clock = new FakeClock();
    const invoker = new FakeInvoker({ request: () => null, after: () => 'after' });
    const waits = {
      StartAt: 'Sleep',
      States: { Sleep: { Type: 'Wait', SecondsPath: '$.seconds', Next: 'After' }, After: { Type: 'Task', Resource: fn('after'), ResultPath: '$.after', End: true } },
    };
    const limited = { ...approvalMachine(), TimeoutSeconds: 60 };
    const { engine } = await startEngine({ invoker, clock, machines: [{ name: 'waits', definition: waits }, { name: 'limited', definition: limited }] });
    const sleeper = await engine.startExecution({ stateMachineArn: machineArn('waits'), input: JSON.stringify({ seconds: 30 * 24 * 3600 }) });
    const timed = await engine.startExecution({ stateMachineArn: machineArn('limited'), input: '{"approvalId":"t"}' });
    await waitForEvent(engine, sleeper.executionArn, 'WaitStateEntered');
    await waitForEvent(engine, timed.executionArn, 'TaskSubmitted');
    await sleep(100);
    expect(invoker.count('after')).toBe(0);
    clock.advance(61_000);
    expect(await engine.waitForStatus(timed.executionArn)).toBe('TIMED_OUT');
    expect((await engine.describeExecution({ executionArn: sleeper.executionArn })).status).toBe('RUNNING');
    clock.advance(30 * DAY_MS);
    expect(await engine.waitForStatus(sleeper.executionArn)).toBe('SUCCEEDED');
    expect(invoker.count('after')).toBe(1);
    const types = (await engine.getExecutionHistory({ executionArn: sleeper.executionArn })).events.map((event) => event.type);
    expect(types.slice(0, 3)).toEqual(['ExecutionStarted', 'WaitStateEntered', 'WaitStateExited']);
  });
});

describe('crash recovery', () => {
  it('resumes a parked callback in a new engine; the task after it runs exactly once', async () => {
    const invoker = new FakeInvoker({ request: () => null, after: () => 'after' });
    const machines = [{ name: 'approval', definition: approvalMachine({ timeoutSeconds: 3600 }) }];
    const a = await startEngine({ invoker, machines });
    const { executionArn } = await a.engine.startExecution({ stateMachineArn: machineArn('approval'), input: '{"approvalId":"c1"}' });
    await waitForEvent(a.engine, executionArn, 'TaskSubmitted');
    // Engine A is abandoned without stop(), as if its process were killed.
    const b = await startEngine({ invoker, machines, tableName: a.tableName });
    await sleep(100);
    expect((await b.engine.describeExecution({ executionArn })).status).toBe('RUNNING');
    expect(invoker.count('request')).toBe(1);
    await b.engine.sendTaskSuccess({ taskToken: tokenOf(invoker), output: '{"approved":true}' });
    expect(await b.engine.waitForStatus(executionArn)).toBe('SUCCEEDED');
    expect(JSON.parse((await b.engine.describeExecution({ executionArn })).output!).decision).toEqual({ approved: true });
    expect(invoker.count('request')).toBe(1);
    expect(invoker.count('after')).toBe(1);
  });

  it('keeps the token of a callback whose function was running when the engine died', async () => {
    // The function has handed the token out (a staff member can decide with it) but the engine died before parking.
    const release = gate();
    const handedOut = gate();
    const invokerA = new FakeInvoker({
      request: async () => {
        handedOut.open();
        await release.promise;
        return null;
      },
      after: () => 'after',
    });
    const invokerB = new FakeInvoker({ request: () => null, after: () => 'after' });
    const machines = [{ name: 'approval', definition: approvalMachine({ timeoutSeconds: 3600 }) }];
    const a = await startEngine({ invoker: invokerA, machines });
    const { executionArn } = await a.engine.startExecution({ stateMachineArn: machineArn('approval'), input: '{"approvalId":"c2"}' });
    await handedOut.promise;
    const token = tokenOf(invokerA);
    const b = await startEngine({ invoker: invokerB, machines, tableName: a.tableName });
    await waitForEvent(b.engine, executionArn, 'TaskSubmitted');
    expect(tokenOf(invokerB)).toBe(token);
    await b.engine.sendTaskSuccess({ taskToken: token, output: '{"approved":true}' });
    expect(await b.engine.waitForStatus(executionArn)).toBe('SUCCEEDED');
    release.open();
    await sleep(100);
    expect(invokerB.count('after') + invokerA.count('after')).toBe(1);
  });

  it('re-runs a crashed run from its last checkpoint; the abandoned run is fenced off', async () => {
    const release = gate();
    const slowStarted = gate();
    const shared = { after: 0 };
    const invokerA = new FakeInvoker({
      first: () => 'first',
      slow: async () => {
        slowStarted.open();
        await release.promise;
        return 'slow-a';
      },
      after: () => ++shared.after,
    });
    const invokerB = new FakeInvoker({ first: () => 'first', slow: () => 'slow-b', after: () => ++shared.after });
    const definition = {
      StartAt: 'First',
      States: {
        First: { Type: 'Task', Resource: fn('first'), ResultPath: '$.first', Next: 'Slow' },
        Slow: { Type: 'Task', Resource: fn('slow'), ResultPath: '$.slow', Next: 'After' },
        After: { Type: 'Task', Resource: fn('after'), ResultPath: '$.after', End: true },
      },
    };
    const a = await startEngine({ invoker: invokerA, machines: [{ name: 'chain', definition }] });
    const { executionArn } = await a.engine.startExecution({ stateMachineArn: machineArn('chain'), input: '{}' });
    await slowStarted.promise;
    const b = await startEngine({ invoker: invokerB, machines: [{ name: 'chain', definition }], tableName: a.tableName });
    expect(await b.engine.waitForStatus(executionArn)).toBe('SUCCEEDED');
    expect(invokerB.count('first')).toBe(0);
    expect(invokerB.count('slow')).toBe(1);
    const eventsBefore = (await b.engine.getExecutionHistory({ executionArn })).events.length;
    release.open();
    await sleep(200);
    expect(invokerA.count('after')).toBe(0);
    expect(shared.after).toBe(1);
    const description = await b.engine.describeExecution({ executionArn });
    expect(JSON.parse(description.output!)).toEqual({ first: 'first', slow: 'slow-b', after: 1 });
    expect((await b.engine.getExecutionHistory({ executionArn })).events).toHaveLength(eventsBefore);
  });

  it('keeps a Wait parked across a restart and wakes it in the new engine', async () => {
    const clock = new FakeClock();
    const invoker = new FakeInvoker({ after: () => 'after' });
    const machines = [
      {
        name: 'waits',
        definition: { StartAt: 'Sleep', States: { Sleep: { Type: 'Wait', Seconds: 3600, Next: 'After' }, After: { Type: 'Task', Resource: fn('after'), End: true } } },
      },
    ];
    const a = await startEngine({ invoker, clock, machines });
    const { executionArn } = await a.engine.startExecution({ stateMachineArn: machineArn('waits') });
    await waitForEvent(a.engine, executionArn, 'WaitStateEntered');
    await a.engine.stop();
    const b = await startEngine({ invoker, clock, machines, tableName: a.tableName });
    await sleep(100);
    expect((await b.engine.describeExecution({ executionArn })).status).toBe('RUNNING');
    clock.advance(3600_000);
    expect(await b.engine.waitForStatus(executionArn)).toBe('SUCCEEDED');
    expect(invoker.count('after')).toBe(1);
  });
});

describe('handleSfnJson (AWS JSON 1.0 shapes)', () => {
  it('answers like the service: epoch-second dates, events, and { __type, message } errors', async () => {
    const invoker = new FakeInvoker({ request: () => null, after: () => 'after' });
    const { engine } = await startEngine({ invoker, machines: [{ name: 'approval', definition: approvalMachine() }] });
    const stateMachineArn = machineArn('approval');
    const started = await handleSfnJson(engine, 'StartExecution', { stateMachineArn, name: 'j1', input: '{"approvalId":"j1"}' });
    expect(started.status).toBe(200);
    const body = started.body as { executionArn: string; startDate: number };
    expect(body.executionArn).toBe('arn:aws:states:eu-west-3:123456789012:execution:approval:j1');
    expect(typeof body.startDate).toBe('number');
    expect(Math.abs(body.startDate - Date.now() / 1000)).toBeLessThan(60);

    await waitForEvent(engine, body.executionArn, 'TaskSubmitted');
    const described = await handleSfnJson(engine, 'DescribeExecution', { executionArn: body.executionArn });
    expect(described).toMatchObject({ status: 200, body: { executionArn: body.executionArn, stateMachineArn, name: 'j1', status: 'RUNNING', input: '{"approvalId":"j1"}' } });
    expect(typeof (described.body as { startDate: unknown }).startDate).toBe('number');

    expect(await handleSfnJson(engine, 'SendTaskSuccess', { taskToken: tokenOf(invoker), output: '{"ok":1}' })).toEqual({ status: 200, body: {} });
    await engine.waitForStatus(body.executionArn);
    const history = (await handleSfnJson(engine, 'GetExecutionHistory', { executionArn: body.executionArn })).body as { events: Array<Record<string, unknown>> };
    expect(history.events[0]).toMatchObject({ id: 1, type: 'ExecutionStarted', executionStartedEventDetails: { input: '{"approvalId":"j1"}' } });
    expect(typeof history.events[0]!.timestamp).toBe('number');
    expect(history.events.at(-1)).toMatchObject({ type: 'ExecutionSucceeded' });
    const listed = (await handleSfnJson(engine, 'ListExecutions', { stateMachineArn })).body as { executions: Array<Record<string, unknown>> };
    expect(listed.executions).toHaveLength(1);
    expect(listed.executions[0]).toMatchObject({ name: 'j1', status: 'SUCCEEDED' });
    expect(typeof listed.executions[0]!.stopDate).toBe('number');

    const error = (type: string) => ({ status: 400, body: { __type: type, message: expect.any(String) } });
    expect(await handleSfnJson(engine, 'StartExecution', { stateMachineArn, name: 'j1', input: '{"approvalId":"x"}' })).toEqual(error('ExecutionAlreadyExists'));
    expect(await handleSfnJson(engine, 'StartExecution', { stateMachineArn: machineArn('nope') })).toEqual(error('StateMachineDoesNotExist'));
    expect(await handleSfnJson(engine, 'StartExecution', { stateMachineArn, name: 'bad name' })).toEqual(error('InvalidName'));
    expect(await handleSfnJson(engine, 'StartExecution', { stateMachineArn, input: '{not json' })).toEqual(error('InvalidExecutionInput'));
    expect(await handleSfnJson(engine, 'SendTaskSuccess', { taskToken: 'unknown', output: '{}' })).toEqual(error('InvalidToken'));
    expect(await handleSfnJson(engine, 'SendTaskSuccess', { taskToken: tokenOf(invoker), output: '{}' })).toEqual(error('TaskTimedOut'));
    expect(await handleSfnJson(engine, 'SendTaskFailure', {})).toEqual(error('ValidationException'));
    expect(await handleSfnJson(engine, 'DescribeExecution', { executionArn: `${body.executionArn}-missing` })).toEqual(error('ExecutionDoesNotExist'));
    expect((await handleSfnJson(engine, 'CreateStateMachine', {})).status).toBe(400);
  });
});
