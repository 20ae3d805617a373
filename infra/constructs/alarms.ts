import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, type StageConfig } from '../config.js';
import type { ParcoursFunction } from './parcours-function.js';

export interface ParcoursAlarmsProps {
  config: StageConfig;
  /** Encrypts the topic; its key policy must let CloudWatch use it (see the stack). */
  topicKey: kms.IKey;
}

const FIVE_MINUTES = Duration.minutes(5);

/**
 * Alarms per signal, not per resource (decision 19: each alarm metric costs $0.10 a month), all to one
 * encrypted topic. Each `watch*` method adds one alarm; docs/decisions.md lists them with their cost.
 */
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

  /**
   * Errors of every function of the account and region, in one metric (Lambda's own total, timeouts
   * included). A single error is not a page: workflow steps and event sources retry, and what they fail
   * to recover shows as a failed execution, an API 5xx or a dead letter. Five in 5 minutes is a pattern.
   */
  watchFunctionErrors(): void {
    this.alarm('FunctionErrors', lambda.Function.metricAllErrors({ period: FIVE_MINUTES, statistic: 'Sum' }), 5, 'Functions: 5 errors or more in 5 minutes (all functions of the account and region)');
  }

  /** Failed or timed-out executions of one state machine: one alarm on their sum. */
  watchStateMachine(id: string, stateMachine: sfn.StateMachine): void {
    const expression = new cloudwatch.MathExpression({
      expression: 'failed + timedOut',
      usingMetrics: {
        failed: stateMachine.metricFailed({ period: FIVE_MINUTES, statistic: 'Sum' }),
        timedOut: stateMachine.metricTimedOut({ period: FIVE_MINUTES, statistic: 'Sum' }),
      },
      label: `${id} executions failed or timed out`,
      period: FIVE_MINUTES,
    });
    this.alarm(`${id}ExecutionsFailedOrTimedOut`, expression, 1, `${id}: an execution failed or timed out`);
  }

  /** Answers 5xx of the HTTP API: a user saw a server error. */
  watchApi(api: apigw.HttpApi): void {
    this.alarm('Api5xx', api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' }), 1, 'API: answers 5xx');
  }

  /**
   * SES bounce and complaint rates of our configuration set, at the levels where AWS puts an account
   * under review (5 % of bounces, 0.1 % of complaints): sending is at risk before AWS pauses it.
   */
  watchSesReputation(configurationSetName: string): void {
    const rate = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/SES',
        metricName,
        dimensionsMap: { 'ses:configuration-set': configurationSetName },
        period: Duration.hours(1),
        statistic: 'Maximum',
      });
    this.alarm('SesBounceRate', rate('Reputation.BounceRate'), 0.05, 'SES: bounce rate at 5 % or more (AWS review level)');
    this.alarm('SesComplaintRate', rate('Reputation.ComplaintRate'), 0.001, 'SES: complaint rate at 0.1 % or more (AWS review level)');
  }

  /** Messages in the dead-letter queue: an event that no retry could deliver. */
  watchDeadLetters(queue: sqs.IQueue): void {
    this.alarm('DeadLetters', queue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }), 1, 'Dead-letter queue: an event could not be delivered (read the message for its source)');
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
      period: FIVE_MINUTES,
      statistic: 'Sum',
    });
    this.alarm(id, metric, 1, description);
  }

  private alarm(id: string, metric: cloudwatch.IMetric, threshold: number, description: string): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric,
      alarmDescription: description,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.action);
  }
}
