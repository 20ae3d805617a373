import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, type StageConfig } from '../config.js';
import type { ParcoursFunction } from './parcours-function.js';

export interface ParcoursAlarmsProps {
  config: StageConfig;
  /** Encrypts the topic; its key policy must let CloudWatch use it (see the stack). */
  topicKey: kms.IKey;
}

/** Alarms on what needs a human: failed or timed-out executions, function errors, business metrics; all to one topic. */
export class ParcoursAlarms extends Construct {
  readonly topic: sns.Topic;
  private readonly action: actions.SnsAction;
  private readonly stage: string;

  constructor(scope: Construct, id: string, props: ParcoursAlarmsProps) {
    super(scope, id);
    this.stage = props.config.stage;
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

  /**
   * An alarm on a count a function publishes with Powertools metrics (dimensions: service = the function's id, stage),
   * when it reaches one in 5 minutes.
   */
  watchCount(id: string, fn: ParcoursFunction, metricName: string, description: string): void {
    const metric = new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { service: fn.node.id, stage: this.stage },
      period: Duration.minutes(5),
      statistic: 'Sum',
    });
    this.alarm(id, metric, description);
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
