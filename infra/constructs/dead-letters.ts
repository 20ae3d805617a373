import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StageConfig } from '../config.js';

export interface ParcoursDeadLettersProps {
  config: StageConfig;
  /** The project key: failed events carry phone numbers and e-mail addresses. */
  key: kms.IKey;
}

/**
 * ONE dead-letter queue for every asynchronous source of the stack: EventBridge rule targets, SNS
 * subscriptions, EventBridge Scheduler targets, the on-failure destination of functions invoked
 * asynchronously, and the queues functions consume (their redrive policy). One queue and one alarm on its depth
 * (decision 19): an operator reads the message to learn which source it came from (each source writes its own
 * attributes; a message of a consumed queue carries `DeadLetterQueueSourceArn`).
 */
export class ParcoursDeadLetters extends Construct {
  readonly queue: sqs.Queue;
  private readonly key: kms.IKey;

  constructor(scope: Construct, id: string, props: ParcoursDeadLettersProps) {
    super(scope, id);
    this.key = props.key;
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.config.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    Validations.of(this.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the EventBridge targets, SNS subscriptions, schedules and asynchronous invocations.',
    });
    // EventBridge and SNS write to the queue themselves (CDK adds the queue policy for each rule and topic):
    // they must be able to use the key, for this account's resources only.
    const account = Stack.of(this).account;
    props.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'EventBridgeAndSnsWriteDeadLetters',
        principals: [new iam.ServicePrincipal('events.amazonaws.com'), new iam.ServicePrincipal('sns.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    );
  }

  /**
   * Lets a schedule's role write its failed invocations to the queue: CDK's scheduler target grants
   * sqs:SendMessage only, and an encrypted queue also needs the key (the exact actions, no wildcard).
   */
  grantScheduleRole(role: iam.IGrantable): void {
    this.key.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
  }

  /**
   * The redrive policy of a queue a function consumes: a message received `maxReceiveCount` times comes here. SQS
   * moves it during a receive, with the receiver's rights, so the consumer's role may use the key (the exact actions).
   */
  deadLetterQueueFor(consumer: iam.IGrantable, maxReceiveCount: number): sqs.DeadLetterQueue {
    this.key.grant(consumer, 'kms:GenerateDataKey', 'kms:Decrypt');
    return { queue: this.queue, maxReceiveCount };
  }

  /**
   * Sends the events a function failed to handle, after Lambda's two retries, to the queue. Only asynchronous
   * invocations (EventBridge, SNS, the Scheduler) have an on-failure destination.
   */
  receiveAsyncFailuresOf(fn: lambda.Function): void {
    fn.configureAsyncInvoke({ onFailure: new destinations.SqsDestination(this.queue), retryAttempts: 2 });
  }
}
