import { randomUUID } from 'node:crypto';
import type { EngineCore } from './core.js';
import { SfnError } from './errors.js';
import { dueAttributes, machineAttributes, runningAttributes, timerKey, type ExecutionItem, type TimerItem } from './store.js';
import { isValidName, parseJson } from './validation.js';

/** StartExecution: stores the execution with its first event, then runs it. Idempotent for the same name and input while RUNNING. */
export async function startExecution(core: EngineCore, input: { stateMachineArn: string; name?: string; input?: string }): Promise<{ executionArn: string; startDate: Date }> {
  core.requireStarted();
  const { model } = core.machines.require(input.stateMachineArn);
  const machineArn = model.arn;
  const name = input.name ?? randomUUID();
  if (typeof name !== 'string' || !isValidName(name)) {
    throw new SfnError('InvalidName', `Invalid Name: '${String(name)}'`);
  }
  const executionInput = input.input ?? '{}';
  parseJson(executionInput, 'InvalidExecutionInput', 'Execution Input');
  const executionArn = core.machines.executionArn(machineArn, model.name, name);
  const startDate = core.now();
  const item: ExecutionItem = {
    pk: `EXEC#${executionArn}`,
    sk: 'EXEC',
    kind: 'execution',
    executionArn,
    stateMachineArn: machineArn,
    name,
    status: 'RUNNING',
    startDate,
    input: executionInput,
    runId: randomUUID(),
    version: 1,
    eventCount: 1,
    cursor: { mode: 'enter', stateName: model.startAt, input: executionInput, fresh: true },
    ...runningAttributes(executionArn),
    ...machineAttributes(machineArn, startDate, name),
  };
  const extra = [];
  if (model.timeoutSeconds !== undefined) {
    const due = startDate + model.timeoutSeconds * 1000;
    const timer: TimerItem = { ...timerKey(executionArn, 'executionTimeout'), kind: 'executionTimeout', executionArn, due, ...dueAttributes(due) };
    extra.push(core.store.putItem(timer));
  }
  const started = { type: 'ExecutionStarted', details: { executionStartedEventDetails: { input: executionInput, roleArn: core.machines.roleArn(machineArn) } } };
  if (!(await core.store.createExecution(item, started, extra))) {
    const existing = await core.store.getExecution(executionArn);
    // AWS: the same name and input while RUNNING is the same request; anything else is a conflict.
    if (existing && existing.status === 'RUNNING' && existing.input === executionInput && existing.stateMachineArn === machineArn) {
      return { executionArn, startDate: new Date(existing.startDate) };
    }
    throw new SfnError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
  }
  core.launch(item);
  return { executionArn, startDate: new Date(startDate) };
}

/** StopExecution: ABORTED, its run stopped; an execution already closed keeps its stop date. */
export async function stopExecution(core: EngineCore, input: { executionArn: string; error?: string; cause?: string }): Promise<{ stopDate: Date }> {
  core.requireStarted();
  const existing = await core.requireExecution(input.executionArn);
  return await core.locks.run(existing.executionArn, async () => {
    const execution = await core.store.getExecution(existing.executionArn);
    if (!execution || execution.status !== 'RUNNING') return { stopDate: new Date(execution?.stopDate ?? core.now()) };
    const stopDate = core.now();
    await core.close(execution, 'ABORTED', stopDate, {
      set: { error: input.error, cause: input.cause },
      event: { type: 'ExecutionAborted', details: { executionAbortedEventDetails: { error: input.error, cause: input.cause } } },
    });
    return { stopDate: new Date(stopDate) };
  });
}
