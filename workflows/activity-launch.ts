import { RemovalPolicy } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { WaitTimings } from '../infra/config.js';
import { PathSteps, type WaitingStepFunctions } from './path-steps.js';

export interface ActivityLaunchWorkflowProps {
  fns: WaitingStepFunctions & { activityStep: lambda.IFunction };
  config: WaitTimings;
  /** Execution logs; a log group with CDK defaults when omitted. */
  logGroup?: logs.ILogGroup;
}

/**
 * The launch of an activity, once its file is submitted: open the launch (the members told, their path status
 * "Lancement en cours de validation"), wait for the staff's approval (reminded, then escalated, never expiring:
 * a launch file is never dropped by default), then launch the activity or send the file back to its members.
 *
 * Input: `{ activityId, submission }` (one execution per submission: `launch-<activityId>-<submission>`). The
 * waiting-step functions also take the person and referral the approval is filed under (the holder of a personal
 * activity, the first member of a collective one): "Ouvrir le lancement" finds them, and until it has, they are
 * empty (a failure of that first step is still parked "à traiter").
 */
export function activityLaunchWorkflow(scope: Construct, props: ActivityLaunchWorkflowProps): sfn.StateMachine {
  const { fns, config } = props;
  const activityId = sfn.JsonPath.stringAt('$.activityId');
  const steps = new PathSteps(scope, 'ActivityLaunchStates', {
    fns,
    ids: {
      activityId,
      submission: sfn.JsonPath.numberAt('$.submission'),
      referralId: sfn.JsonPath.stringAt('$.launch.referralId'),
      personId: sfn.JsonPath.stringAt('$.launch.personId'),
    },
  });
  const unknown = new sfn.Pass(steps, 'Dossier de lancement reçu', { result: sfn.Result.fromObject({ referralId: '', personId: '' }), resultPath: '$.launch' });
  const open = steps.task('Ouvrir le lancement', fns.activityStep, { action: 'open' }, '$.launch');
  const activate = steps.task("Lancer l'activité", fns.activityStep, { action: 'activate' });
  const sendBack = steps.task('Renvoyer le dossier', fns.activityStep, { action: 'send-back' });
  activate.next(new sfn.Succeed(steps, 'Activité lancée'));
  sendBack.next(new sfn.Succeed(steps, 'Dossier renvoyé au jeune'));

  const take = steps.takeDecision('Prendre la décision de lancement', 'activity-launch', activityId);
  take.next(new sfn.Choice(steps, 'Lancement validé ?').when(sfn.Condition.stringEquals('$.decision.outcome', 'approved'), activate).otherwise(sendBack));
  const awaitApproval = steps.waitForPerson({
    kind: 'activity-launch',
    subjectId: activityId,
    decided: take,
    // The escalation counts down to nothing: the approval waits, reminded each period, until staff decide.
    expireAfterSeconds: config.escalateAfterSeconds,
    waits: [
      { name: 'Attendre la validation du lancement', phase: 'initial', seconds: config.remindAfterSeconds, deadline: { name: "Relancer l'équipe : lancement", step: 'remind' } },
      {
        name: 'Attendre la validation du lancement après relance',
        phase: 'reminded',
        seconds: config.escalateAfterSeconds - config.remindAfterSeconds,
        deadline: { name: 'Escalader : lancement', step: 'escalate' },
      },
    ],
  });
  // A submission already decided (a stale start by the reconciler, a file submitted again since) has nothing to wait for.
  open.next(
    new sfn.Choice(steps, 'Soumission en cours ?')
      .when(sfn.Condition.booleanEquals('$.launch.current', true), awaitApproval)
      .otherwise(new sfn.Succeed(steps, 'Soumission déjà traitée')),
  );
  unknown.next(open);
  steps.finish();

  const logGroup = props.logGroup ?? new logs.LogGroup(scope, 'ActivityLaunchStateMachineLogs', { removalPolicy: RemovalPolicy.DESTROY });
  return new sfn.StateMachine(scope, 'ActivityLaunchStateMachine', {
    comment: "Lancement d'une activité : dossier envoyé, validation par l'équipe, activité lancée ou dossier renvoyé",
    stateMachineType: sfn.StateMachineType.STANDARD,
    definitionBody: sfn.DefinitionBody.fromChainable(unknown),
    tracingEnabled: true,
    // Execution data holds personal data: only the events are logged.
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
  });
}
