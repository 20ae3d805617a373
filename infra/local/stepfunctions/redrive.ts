import { randomUUID } from 'node:crypto';
import type { EngineCore } from './core.js';
import { FencedError, SfnError } from './errors.js';
import { dueAttributes, runningAttributes, timerKey, type ExecutionItem, type TimerItem } from './store.js';

/** AWS keeps a closed execution redrivable for 14 days. */
const REDRIVABLE_PERIOD_MS = 14 * 24 * 3600 * 1000;
/** AWS answers a repeated RedriveExecution clientToken with the first result for 15 minutes, for the last 10 tokens. */
const REDRIVE_TOKEN_TTL_MS = 15 * 60 * 1000;
const REDRIVE_TOKENS_KEPT = 10;

/** Whether RedriveExecution would accept the execution now; `reason` says why not, in AWS's words. */
export function redrivability(execution: ExecutionItem, core: EngineCore): { reason?: string } {
  if (execution.status === 'RUNNING' || execution.status === 'SUCCEEDED') return { reason: `Execution is ${execution.status} and cannot be redriven` };
  // Closed by an engine that did not record restart points yet.
  if (!execution.redriveFrom) return { reason: 'Execution was started before the launch of RedriveExecution' };
  if (!core.machines.get(execution.stateMachineArn)) return { reason: 'State machine is not registered' };
  if ((execution.stopDate ?? 0) + REDRIVABLE_PERIOD_MS < core.now()) return { reason: 'Execution redrivable period exceeded' };
  return {};
}

/**
 * Restarts a FAILED, TIMED_OUT or ABORTED execution at the top-level state it was in, with that state's
 * input: the history is kept and goes on after an ExecutionRedriven event. A repeated clientToken gets
 * the first answer without redriving again.
 */
export async function redriveExecution(core: EngineCore, input: { executionArn: string; clientToken?: string }): Promise<{ redriveDate: Date }> {
  core.requireStarted();
  const clientToken = input.clientToken;
  if (clientToken !== undefined && (typeof clientToken !== 'string' || clientToken.length < 1 || clientToken.length > 64)) {
    throw new SfnError('ValidationException', `1 validation error detected: Value at 'clientToken' failed to satisfy constraint: Member must have length between 1 and 64`);
  }
  const existing = await core.requireExecution(input.executionArn);
  const arn = existing.executionArn;
  let redriven: ExecutionItem | undefined;
  const redriveDate = await core.locks.run(arn, async () => {
    const execution = (await core.store.getExecution(arn)) ?? existing;
    const now = core.now();
    const repeated = execution.redriveTokens?.find((entry) => entry.token === clientToken && entry.date > now - REDRIVE_TOKEN_TTL_MS);
    if (repeated) return repeated.date;
    const { reason } = redrivability(execution, core);
    if (reason !== undefined || !execution.redriveFrom) throw new SfnError('ExecutionNotRedrivable', `Execution Not Redrivable: ${reason ?? ''}`);
    const model = core.machines.model(execution.stateMachineArn)!;
    const redriveCount = (execution.redriveCount ?? 0) + 1;
    const extra = [];
    // The execution timeout counts again from the redrive, else a TIMED_OUT execution would time out at once.
    if (model.timeoutSeconds !== undefined) {
      const due = now + model.timeoutSeconds * 1000;
      const timer: TimerItem = { ...timerKey(arn, 'executionTimeout'), kind: 'executionTimeout', executionArn: arn, due, ...dueAttributes(due) };
      extra.push(core.store.putItem(timer));
    }
    const runId = randomUUID();
    const redriveTokens = clientToken === undefined ? execution.redriveTokens : [...(execution.redriveTokens ?? []), { token: clientToken, date: now }].slice(-REDRIVE_TOKENS_KEPT);
    try {
      redriven = await core.store.commit(arn, {
        runId: execution.runId,
        allowClosed: true,
        events: [{ type: 'ExecutionRedriven', details: { executionRedrivenEventDetails: { redriveCount } } }],
        set: {
          status: 'RUNNING',
          runId,
          cursor: { mode: 'enter', stateName: execution.redriveFrom.stateName, input: execution.redriveFrom.input, fresh: true },
          redriveCount,
          redriveDate: now,
          redriveTokens,
          ...runningAttributes(arn),
        },
        remove: ['stopDate', 'output', 'error', 'cause', 'redriveFrom'],
        extra,
      });
    } catch (error) {
      // Another process redrove (or changed) it in between.
      if (error instanceof FencedError) throw new SfnError('ExecutionNotRedrivable', 'Execution Not Redrivable: Execution is RUNNING and cannot be redriven');
      // Applied with its answer lost, the execution is RUNNING again: a repeat with the same clientToken would not launch it.
      core.relaunch(arn, [runId], error);
      throw error;
    }
    return now;
  });
  if (redriven) core.launch(redriven);
  return { redriveDate: new Date(redriveDate) };
}
