import { DescribeExecutionCommand, SFNClient, SendTaskSuccessCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { settleWaitingStep, type SettleResult, type WaitingStepHandler, type WaitingSubject } from './data/approvals.js';
import { launchExecutionName } from './domain/activity-launch.js';
import type { InvoicingRunTrigger } from './domain/invoicing/run.js';
import { claimInvoicingRun } from './data/invoicing-runs.js';
import { logger } from './observability.js';

let sfn: SFNClient | undefined;
const client = () => (sfn ??= new SFNClient({}));

/**
 * Starts the referral workflow of a referral. The execution name is the referral id, so a retried call
 * (a replayed submission, a retried handler) starts nothing twice: Step Functions answers with the same execution.
 */
export async function startReferralWorkflow(input: { referralId: string; personId: string }): Promise<string> {
  const stateMachineArn = process.env.REFERRAL_STATE_MACHINE_ARN;
  if (!stateMachineArn) throw new Error('REFERRAL_STATE_MACHINE_ARN is not set');
  try {
    const result = await client().send(
      new StartExecutionCommand({ stateMachineArn, name: input.referralId, input: JSON.stringify({ referralId: input.referralId, personId: input.personId }) }),
    );
    return result.executionArn ?? '';
  } catch (error) {
    // Same name, same input: already started (a closed execution with that name also answers this way).
    if ((error as Error).name === 'ExecutionAlreadyExists') return '';
    throw error;
  }
}

/** The onboarding's execution name: one per accepted referral, whoever starts it (the referral's workflow, the reconciler). */
export const onboardingExecutionName = (referralId: string) => `onboarding-${referralId}`;

/**
 * Starts the onboarding workflow of an accepted referral under its deterministic name. Step Functions answers a
 * repeat with the same input while it runs as the same execution, and with ExecutionAlreadyExists once it ended
 * (or for another input): the execution is read back then, and the same input counts as started.
 */
export async function startOnboardingWorkflow(input: { referralId: string; personId: string }): Promise<{ executionArn: string; started: 'now' | 'already' }> {
  const stateMachineArn = process.env.ONBOARDING_STATE_MACHINE_ARN;
  if (!stateMachineArn) throw new Error('ONBOARDING_STATE_MACHINE_ARN is not set');
  const name = onboardingExecutionName(input.referralId);
  const body = JSON.stringify({ referralId: input.referralId, personId: input.personId });
  try {
    const result = await client().send(new StartExecutionCommand({ stateMachineArn, name, input: body }));
    return { executionArn: result.executionArn ?? executionArnOf(stateMachineArn, name), started: 'now' };
  } catch (error) {
    if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
    const executionArn = executionArnOf(stateMachineArn, name);
    const existing = await client().send(new DescribeExecutionCommand({ executionArn }));
    if (!sameInput(existing.input, body)) throw new Error(`onboarding execution ${name} exists with another input`);
    return { executionArn, started: 'already' };
  }
}

/**
 * Starts the launch workflow of a submitted launch file (after `submitForLaunch`), under its deterministic name
 * `launch-<activityId>-<submission>`: a repeat (a retried submission, the reconciler) is the same execution, and an
 * execution that exists with that name counts as started.
 */
export async function startActivityLaunch(input: { activityId: string; submission: number }): Promise<{ executionArn: string; started: 'now' | 'already' }> {
  const stateMachineArn = process.env.ACTIVITY_LAUNCH_STATE_MACHINE_ARN;
  if (!stateMachineArn) throw new Error('ACTIVITY_LAUNCH_STATE_MACHINE_ARN is not set');
  const name = launchExecutionName(input.activityId, input.submission);
  try {
    const result = await client().send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify({ activityId: input.activityId, submission: input.submission }) }));
    return { executionArn: result.executionArn ?? executionArnOf(stateMachineArn, name), started: 'now' };
  } catch (error) {
    // The name holds the whole input: an execution with it is this launch, running or ended.
    if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
    return { executionArn: executionArnOf(stateMachineArn, name), started: 'already' };
  }
}

/**
 * Starts the monthly invoicing run of a month: claims the month in the runs' ledger (a conditional put), then starts
 * the workflow under its deterministic name `invoicing-<YYYY-MM>` with the trigger the ledger holds. `already` when
 * the month was claimed before (by the schedule, its catch-up or staff): the execution is started again only if a
 * crash lost it between the claim and the start, and Step Functions answers a repeat with the same execution or
 * ExecutionAlreadyExists, so a month is never run twice.
 */
export async function startInvoicingRun(input: { month: string; trigger: InvoicingRunTrigger }): Promise<{ executionArn: string; started: 'now' | 'already' }> {
  const stateMachineArn = process.env.INVOICING_STATE_MACHINE_ARN;
  if (!stateMachineArn) throw new Error('INVOICING_STATE_MACHINE_ARN is not set');
  const { run, claimed } = await claimInvoicingRun(input);
  const started = claimed ? 'now' : 'already';
  // Past drafting, the run's execution exists (its steps moved the ledger on): nothing to start, whatever its age.
  if (!claimed && run.status !== 'drafting') return { executionArn: executionArnOf(stateMachineArn, run.executionName), started };
  try {
    const result = await client().send(new StartExecutionCommand({ stateMachineArn, name: run.executionName, input: JSON.stringify({ month: run.month, trigger: run.trigger }) }));
    return { executionArn: result.executionArn ?? executionArnOf(stateMachineArn, run.executionName), started };
  } catch (error) {
    if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
    return { executionArn: executionArnOf(stateMachineArn, run.executionName), started: 'already' };
  }
}

function sameInput(stored: string | undefined, body: string): boolean {
  if (!stored) return false;
  const [a, b] = [JSON.parse(stored) as Record<string, unknown>, JSON.parse(body) as Record<string, unknown>];
  return a.referralId === b.referralId && a.personId === b.personId;
}

/** Errors by which Step Functions says a token no longer waits: the task ended, timed out, or never existed. */
const GONE = new Set(['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist']);

/**
 * Wakes the workflow waiting on a task token with what it waits for. `gone` when that wait is over (a deadline
 * fired, the execution ended): the decision stays recorded and the workflow, or the reconciler, takes it from
 * the table. Any other error is the caller's to retry later; a decision's answer to staff never waits for it.
 */
export async function handOver(taskToken: string, output: unknown): Promise<'delivered' | 'gone'> {
  try {
    await client().send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
    return 'delivered';
  } catch (error) {
    if (GONE.has((error as Error).name)) return 'gone';
    throw error;
  }
}

/**
 * Hands a committed decision to its waiting workflow once, best effort: `later` when that failed (or the wait has
 * no token yet), since the workflow's next step, a deadline step or the reconciler take it from the table anyway.
 * Nobody's answer depends on it.
 */
export async function handOverDecision(approval: { taskToken: string }, decision: unknown): Promise<'delivered' | 'gone' | 'later'> {
  if (!approval.taskToken) return 'later';
  try {
    return await handOver(approval.taskToken, decision);
  } catch (error) {
    logger.warn('decision hand-over failed: left to the reconciler', { error: (error as Error).name });
    return 'later';
  }
}

/** What became of a settled step's hand-over: `when-the-step-opens` for an outcome recorded before its wait opened. */
export type SettledHandOver = Awaited<ReturnType<typeof handOverDecision>> | 'when-the-step-opens';

/**
 * Hands a settled step to its workflow: a decided wait is woken at once (best effort, `handOverDecision`); an outcome
 * recorded before its wait opened is taken by that wait when it opens, with nothing to hand over now.
 */
export async function handOverSettled<R extends SettleResult>(settled: R): Promise<R & { handedOver: SettledHandOver }> {
  const handedOver = settled.state === 'decided' ? await handOverDecision(settled.approval, settled.workflowDecision) : 'when-the-step-opens';
  return { ...settled, handedOver };
}

/** Settles a waiting step (`settleWaitingStep`: decided if its wait is open, recorded otherwise), then hands it over. */
export async function settleAndHandOver<S extends WaitingSubject, D extends { outcome: string }>(
  handler: WaitingStepHandler<S, D>,
  input: Parameters<typeof settleWaitingStep<S, D>>[1],
): Promise<SettleResult & { handedOver: SettledHandOver }> {
  return handOverSettled(await settleWaitingStep(handler, input));
}

/** The status of an execution (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED), or `missing`. */
export async function executionStatus(executionArn: string): Promise<string> {
  try {
    const result = await client().send(new DescribeExecutionCommand({ executionArn }));
    return result.status ?? 'missing';
  } catch (error) {
    if ((error as Error).name === 'ExecutionDoesNotExist') return 'missing';
    throw error;
  }
}

/** The ARN of an execution from its machine's ARN and its name. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}
