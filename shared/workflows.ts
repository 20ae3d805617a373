import { SFNClient, SendTaskSuccessCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';

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

/**
 * Hands a staff decision to the waiting workflow. Returns false when the task is no longer waiting
 * (its deadline fired at the same moment): the decision is recorded, and the workflow's deadline step
 * picks it up from the table.
 */
export async function completeTask(taskToken: string, output: unknown): Promise<boolean> {
  try {
    await client().send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
    return true;
  } catch (error) {
    if ((error as Error).name === 'TaskTimedOut' || (error as Error).name === 'InvalidToken') return false;
    throw error;
  }
}
