import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { StageConfig } from '../config.js';
import type { ParcoursFunction } from './parcours-function.js';

export interface ParcoursAlarmsProps {
  config: StageConfig;
  /** Encrypts the topic; its key policy must let CloudWatch use it (see the stack). */
  topicKey: kms.IKey;
}

/** Alarms on what needs a human: failed or timed-out executions, function errors; all to one topic. */
export class ParcoursAlarms extends Construct {
  readonly topic: sns.Topic;
  private readonly action: actions.SnsAction;

  constructor(scope: Construct, id: string, props: ParcoursAlarmsProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: `Parcours ${props.config.stage} alarms`,
      masterKey: props.topicKey,
      enforceSSL: true,
    });
    if (props.config.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.config.alarmEmail));
    this.action = new actions.SnsAction(this.topic);
  }

  watchStateMachine(id: string, stateMachine: sfn.StateMachine): void {
    this.alarm(`${id}ExecutionsFailed`, stateMachine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }), `${id}: an execution failed`);
    this.alarm(`${id}ExecutionsTimedOut`, stateMachine.metricTimedOut({ period: Duration.minutes(5), statistic: 'Sum' }), `${id}: an execution timed out`);
  }

  watchFunction(fn: ParcoursFunction): void {
    this.alarm(`${fn.node.id}Errors`, fn.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), `${fn.node.id}: invocation errors`);
  }

  private alarm(id: string, metric: cloudwatch.IMetric, description: string): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric,
      alarmDescription: description,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.action);
  }
}
