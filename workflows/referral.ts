import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { StageConfig } from '../infra/config.js';

export interface ReferralWorkflowProps {
  fns: {
    sendNotifications: lambda.IFunction;
    requestDecision: lambda.IFunction;
    referralDeadline: lambda.IFunction;
    notifyDecision: lambda.IFunction;
  };
  config: StageConfig['referral'];
  /** Execution logs; a log group with CDK defaults when omitted. */
  logGroup?: logs.ILogGroup;
}

/** Which wait asks for the decision (RequestDecision's `phase`). */
export type DecisionPhase = 'initial' | 'reminded' | 'escalated' | 'waitlist';
/** What a missed deadline triggers (ReferralDeadline's `step`). */
export type DeadlineStep = 'remind' | 'escalate' | 'expire' | 'waitlist-review';

/**
 * The referral stage, read like the path on paper: acknowledge the referral, wait for the staff's
 * decision (reminder, escalation, then expiry when nobody decides), notify the decision, and keep
 * a waitlisted referral coming back to the staff until it is accepted or refused.
 *
 * Input: `{ referralId, personId }`. JSONPath only (the local engine runs neither JSONata nor
 * variables); deadlines are callback task timeouts, caught as `States.Timeout`.
 */
export function referralWorkflow(scope: Construct, props: ReferralWorkflowProps): sfn.StateMachine {
  const { fns, config } = props;
  const states = new Construct(scope, 'ReferralStates');
  const ids = { referralId: sfn.JsonPath.stringAt('$.referralId'), personId: sfn.JsonPath.stringAt('$.personId') };

  /** A plain step: its result is discarded, and it is retried since every step is idempotent. */
  const step = (name: string, fn: lambda.IFunction, payload: Record<string, unknown>): tasks.LambdaInvoke => {
    const task = new tasks.LambdaInvoke(states, name, {
      lambdaFunction: fn,
      payloadResponseOnly: true,
      payload: sfn.TaskInput.fromObject({ ...ids, ...payload }),
      resultPath: sfn.JsonPath.DISCARD,
    });
    task.addRetry({ errors: [sfn.Errors.ALL], maxAttempts: 3, interval: Duration.seconds(2), backoffRate: 2 });
    return task;
  };

  /** A callback: RequestDecision stores the token; the staff's decision lands in `$.decision`. */
  const awaitDecision = (name: string, phase: DecisionPhase, timeoutSeconds: number): tasks.LambdaInvoke =>
    new tasks.LambdaInvoke(states, name, {
      lambdaFunction: fns.requestDecision,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({ taskToken: sfn.JsonPath.taskToken, ...ids, phase }),
      taskTimeout: sfn.Timeout.duration(Duration.seconds(timeoutSeconds)),
      resultPath: '$.decision',
    });

  /** A deadline step: its result lands in `$.deadline`; `$.deadline.decision` is there when staff decided meanwhile. */
  const deadline = (name: string, deadlineStep: DeadlineStep): tasks.LambdaInvoke => {
    const task = new tasks.LambdaInvoke(states, name, {
      lambdaFunction: fns.referralDeadline,
      payloadResponseOnly: true,
      payload: sfn.TaskInput.fromObject({ ...ids, step: deadlineStep }),
      resultPath: '$.deadline',
    });
    task.addRetry({ errors: [sfn.Errors.ALL], maxAttempts: 3, interval: Duration.seconds(2), backoffRate: 2 });
    return task;
  };
  const onTimeout = { errors: [sfn.Errors.TIMEOUT], resultPath: '$.timeout' };

  const acknowledge = step('Accuser réception', fns.sendNotifications, { cause: 'referral-received' });
  const awaitInitial = awaitDecision('Attendre la décision', 'initial', config.remindAfterSeconds);
  const remind = deadline("Relancer l'équipe", 'remind');
  const awaitReminded = awaitDecision('Attendre la décision après relance', 'reminded', config.escalateAfterSeconds - config.remindAfterSeconds);
  const escalate = deadline('Escalader', 'escalate');
  const awaitEscalated = awaitDecision('Attendre la décision après escalade', 'escalated', config.expireAfterSeconds - config.escalateAfterSeconds);
  const expire = deadline('Expirer la demande', 'expire');
  const expired = new sfn.Succeed(states, 'Demande expirée');

  const notifyDecision = step('Notifier la décision', fns.notifyDecision, { decision: sfn.JsonPath.objectAt('$.decision') });
  const awaitPlace = awaitDecision('Attendre une place', 'waitlist', config.waitlistReviewAfterSeconds);
  const reviewWaitlist = deadline("Rappeler la liste d'attente", 'waitlist-review');
  const accepted = new sfn.Succeed(states, 'Orientation acceptée');
  const refused = new sfn.Succeed(states, 'Orientation refusée');

  // A decision recorded while its callback was timing out reaches the workflow through the next deadline step.
  const recordedDecision = new sfn.Pass(states, 'Reprendre la décision enregistrée', { inputPath: '$.deadline.decision', resultPath: '$.decision' });
  recordedDecision.next(notifyDecision);
  const unlessDecided = (name: string, next: sfn.IChainable) =>
    new sfn.Choice(states, name).when(sfn.Condition.isPresent('$.deadline.decision'), recordedDecision).otherwise(next);

  awaitInitial.addCatch(remind, onTimeout).next(notifyDecision);
  remind.next(unlessDecided('Décidée avant la relance ?', awaitReminded));
  awaitReminded.addCatch(escalate, onTimeout).next(notifyDecision);
  escalate.next(unlessDecided("Décidée avant l'escalade ?", awaitEscalated));
  awaitEscalated.addCatch(expire, onTimeout).next(notifyDecision);
  expire.next(unlessDecided("Décidée avant l'expiration ?", expired));

  notifyDecision.next(
    new sfn.Choice(states, 'Quelle décision ?')
      .when(sfn.Condition.stringEquals('$.decision.outcome', 'waitlisted'), awaitPlace)
      .when(sfn.Condition.stringEquals('$.decision.outcome', 'accepted'), accepted)
      .otherwise(refused),
  );
  awaitPlace.addCatch(reviewWaitlist, onTimeout).next(notifyDecision);
  reviewWaitlist.next(unlessDecided('Décidée pendant la liste d’attente ?', awaitPlace));

  const logGroup = props.logGroup ?? new logs.LogGroup(scope, 'ReferralStateMachineLogs', { removalPolicy: RemovalPolicy.DESTROY });
  return new sfn.StateMachine(scope, 'ReferralStateMachine', {
    comment: 'Orientation: accusé de réception, décision de l’équipe avec relance, escalade et expiration, liste d’attente',
    stateMachineType: sfn.StateMachineType.STANDARD,
    definitionBody: sfn.DefinitionBody.fromChainable(acknowledge.next(awaitInitial)),
    tracingEnabled: true,
    // Execution data holds personal data (names, contacts): only the events are logged.
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
  });
}
