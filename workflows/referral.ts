import { RemovalPolicy } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { StageConfig } from '../infra/config.js';
import { PathSteps, type WaitingStepFunctions } from './path-steps.js';

export interface ReferralWorkflowProps {
  fns: WaitingStepFunctions & { sendNotifications: lambda.IFunction; startOnboarding: lambda.IFunction };
  config: StageConfig['referral'];
  /** Execution logs; a log group with CDK defaults when omitted. */
  logGroup?: logs.ILogGroup;
}

/**
 * The referral stage, read like the path on paper: acknowledge the referral, wait for the staff's decision
 * (reminder, escalation, then expiry when nobody decides), notify the decision, and keep a waitlisted referral
 * coming back to the staff until it is accepted or refused, and start the onboarding of an accepted referral
 * (workflows/onboarding.ts, its own execution, named after the referral so it never starts twice). Every step is retried, and a step that still fails
 * waits "à traiter" for staff (workflows/path-steps.ts).
 *
 * Input: `{ referralId, personId }`.
 */
export function referralWorkflow(scope: Construct, props: ReferralWorkflowProps): sfn.StateMachine {
  const { fns, config } = props;
  const referralId = sfn.JsonPath.stringAt('$.referralId');
  const steps = new PathSteps(scope, 'ReferralStates', { fns, ids: { referralId, personId: sfn.JsonPath.stringAt('$.personId') } });

  const acknowledge = steps.task('Accuser réception', fns.sendNotifications, { cause: 'referral-received' });
  const notifyDecision = steps.takeDecision('Notifier la décision', 'referral-decision', referralId);
  const expired = new sfn.Succeed(steps, 'Demande expirée');
  const accepted = new sfn.Succeed(steps, 'Orientation acceptée');
  const startOnboarding = steps.task("Démarrer l'accueil", fns.startOnboarding, {});
  startOnboarding.next(accepted);
  const refused = new sfn.Succeed(steps, 'Orientation refusée');

  const awaitDecision = steps.waitForPerson({
    kind: 'referral-decision',
    subjectId: referralId,
    decided: notifyDecision,
    expired,
    expireAfterSeconds: config.expireAfterSeconds,
    waits: [
      { name: 'Attendre la décision', phase: 'initial', seconds: config.remindAfterSeconds, deadline: { name: "Relancer l'équipe", step: 'remind' } },
      {
        name: 'Attendre la décision après relance',
        phase: 'reminded',
        seconds: config.escalateAfterSeconds - config.remindAfterSeconds,
        deadline: { name: 'Escalader', step: 'escalate' },
      },
      {
        name: 'Attendre la décision après escalade',
        phase: 'escalated',
        seconds: config.expireAfterSeconds - config.escalateAfterSeconds,
        deadline: { name: 'Expirer la demande', step: 'expire' },
      },
    ],
  });
  const awaitPlace = steps.waitForPerson({
    kind: 'referral-decision',
    subjectId: referralId,
    decided: notifyDecision,
    expireAfterSeconds: config.expireAfterSeconds,
    waits: [{ name: 'Attendre une place', phase: 'waitlist', seconds: config.waitlistReviewAfterSeconds, deadline: { name: "Rappeler la liste d'attente", step: 'waitlist-review' } }],
  });

  acknowledge.next(awaitDecision);
  notifyDecision.next(
    new sfn.Choice(steps, 'Quelle décision ?')
      .when(sfn.Condition.stringEquals('$.decision.outcome', 'waitlisted'), awaitPlace)
      .when(sfn.Condition.stringEquals('$.decision.outcome', 'accepted'), startOnboarding)
      .otherwise(refused),
  );
  steps.finish();

  const logGroup = props.logGroup ?? new logs.LogGroup(scope, 'ReferralStateMachineLogs', { removalPolicy: RemovalPolicy.DESTROY });
  return new sfn.StateMachine(scope, 'ReferralStateMachine', {
    comment: 'Orientation: accusé de réception, décision de l’équipe avec relance, escalade et expiration, liste d’attente',
    stateMachineType: sfn.StateMachineType.STANDARD,
    definitionBody: sfn.DefinitionBody.fromChainable(acknowledge),
    tracingEnabled: true,
    // Execution data holds personal data (names, contacts): only the events are logged.
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
  });
}
