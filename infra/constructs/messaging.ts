import { CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as smsvoice from 'aws-cdk-lib/aws-smsvoice';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { DELIVERY_QUEUE_MAX_RECEIVES, SES_TRACKED_DETAIL_TYPES, SMS_TRACKED_EVENT_TYPES } from '../../shared/notifications/tracking.js';
import { MAIL_ATTACHMENT_PREFIXES } from '../../shared/domain/messages/attachments.js';
import { ENV, type DeliveryReportsQueue, type StageConfig } from '../config.js';
import type { DocumentsBucket } from './documents-bucket.js';
import type { ParcoursDeadLetters } from './dead-letters.js';

export type MessagingChannel = 'email' | 'sms';

export interface ParcoursMessagingProps {
  config: StageConfig;
  /** Base URL of the pages, for the links in the messages. */
  appBaseUrl: string;
  /** Key of the SMS delivery-event topic (the events carry phone numbers). */
  eventsKey: kms.IKey;
  /** Where e-mail attachments are read from (`MAIL_ATTACHMENT_PREFIXES` of the documents bucket). */
  attachments: DocumentsBucket;
}

/**
 * Email through SES v2 (a DKIM domain identity and a configuration set) and SMS through
 * AWS End User Messaging SMS (a configuration set with the sender id as default).
 */
export class ParcoursMessaging extends Construct {
  readonly emailIdentity: ses.EmailIdentity;
  readonly emailConfigurationSet: ses.ConfigurationSet;
  readonly smsConfigurationSet: smsvoice.CfnConfigurationSet;
  /** Where End User Messaging SMS publishes the delivery events of our configuration set. */
  readonly smsEventsTopic: sns.Topic;
  /**
   * Where End User Messaging SMS publishes the replies to our number (two-way SMS: STOP, START). A sender id
   * cannot receive replies: the number is bought and set to publish here outside CloudFormation (README, deploy).
   */
  readonly smsInboundTopic: sns.Topic;
  private readonly config: StageConfig;
  private readonly appBaseUrl: string;
  private readonly attachments: DocumentsBucket;

  constructor(scope: Construct, id: string, props: ParcoursMessagingProps) {
    super(scope, id);
    this.config = props.config;
    this.appBaseUrl = props.appBaseUrl;
    this.attachments = props.attachments;

    this.emailConfigurationSet = new ses.ConfigurationSet(this, 'EmailConfigurationSet', {
      reputationMetrics: true,
      sendingEnabled: true,
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
      tlsPolicy: ses.ConfigurationSetTlsPolicy.REQUIRE,
    });
    // EventBridge rather than SNS: the notification-tracking function will subscribe with a rule
    // that filters on the event type, and no topic, key policy or subscription has to be kept.
    this.emailConfigurationSet.addEventDestination('ToEventBridge', {
      destination: ses.EventDestination.eventBus(events.EventBus.fromEventBusName(this, 'DefaultBus', 'default')),
      events: [
        ses.EmailSendingEvent.SEND,
        ses.EmailSendingEvent.DELIVERY,
        ses.EmailSendingEvent.DELIVERY_DELAY,
        ses.EmailSendingEvent.BOUNCE,
        ses.EmailSendingEvent.COMPLAINT,
        ses.EmailSendingEvent.REJECT,
        ses.EmailSendingEvent.RENDERING_FAILURE,
      ],
    });

    this.emailIdentity = new ses.EmailIdentity(this, 'EmailIdentity', {
      identity: ses.Identity.domain(props.config.emailDomain),
      configurationSet: this.emailConfigurationSet,
    });

    // SNS because the SMS configuration set cannot publish to EventBridge; encrypted, since events hold numbers.
    this.smsEventsTopic = new sns.Topic(this, 'SmsEventsTopic', { masterKey: props.eventsKey, enforceSSL: true });
    const stack = Stack.of(this);
    const smsConfigurationSetArn = stack.formatArn({ service: 'sms-voice', resource: 'configuration-set', resourceName: '*' });
    const fromOurSmsService = { StringEquals: { 'aws:SourceAccount': stack.account }, ArnLike: { 'aws:SourceArn': smsConfigurationSetArn } };
    this.smsEventsTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'SmsConfigurationSetPublishes',
        principals: [new iam.ServicePrincipal('sms-voice.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.smsEventsTopic.topicArn],
        conditions: fromOurSmsService,
      }),
    );
    props.eventsKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'SmsServicePublishesToEncryptedTopic',
        principals: [new iam.ServicePrincipal('sms-voice.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromOurSmsService,
      }),
    );
    this.smsInboundTopic = new sns.Topic(this, 'SmsInboundTopic', { masterKey: props.eventsKey, enforceSSL: true });
    this.smsInboundTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'SmsTwoWayPublishes',
        principals: [new iam.ServicePrincipal('sms-voice.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.smsInboundTopic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.smsConfigurationSet = new smsvoice.CfnConfigurationSet(this, 'SmsConfigurationSet', {
      defaultSenderId: props.config.smsSenderId,
      eventDestinations: [
        {
          eventDestinationName: 'DeliveryEvents',
          enabled: true,
          matchingEventTypes: SMS_TRACKED_EVENT_TYPES,
          snsDestination: { topicArn: this.smsEventsTopic.topicArn },
        },
      ],
    });
  }

  /**
   * Routes the final delivery events of both channels to `consumer` through one queue, which hands them over in
   * batches (decision 33): an EventBridge rule on the default bus for our SES configuration set's events, and a
   * subscription of the queue to the SMS events topic (the raw event, no SNS envelope). The queue is encrypted by SQS
   * (no key policy to open to EventBridge and SNS, no KMS request per batch); a report that failed
   * DELIVERY_QUEUE_MAX_RECEIVES times goes to the dead letters, as does an event EventBridge or SNS could not put on
   * the queue. Only the failed reports of a batch come back (`batchItemFailures`).
   */
  routeDeliveryEvents(consumer: lambda.Function, deadLetters: ParcoursDeadLetters, settings: DeliveryReportsQueue): sqs.Queue {
    const queue = new sqs.Queue(this, 'DeliveryEventsQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Long enough to outlast a long weekend without the consumer; the dead letters keep theirs 14 days.
      retentionPeriod: Duration.days(4),
      visibilityTimeout: Duration.seconds(settings.visibilityTimeoutSeconds),
      deadLetterQueue: deadLetters.deadLetterQueueFor(consumer, DELIVERY_QUEUE_MAX_RECEIVES),
    });
    new events.Rule(this, 'EmailDeliveryEventsRule', {
      description: 'Final delivery events of the SES configuration set, to the delivery-tracking queue',
      eventPattern: {
        source: ['aws.ses'],
        detailType: SES_TRACKED_DETAIL_TYPES,
        // Other senders of the account publish to the same default bus: only our configuration set's events.
        detail: { mail: { tags: { 'ses:configuration-set': [this.emailConfigurationSet.configurationSetName] } } },
      },
      // EventBridge retries for up to a day before giving up.
      targets: [new targets.SqsQueue(queue, { deadLetterQueue: deadLetters.queue, retryAttempts: 185, maxEventAge: Duration.hours(24) })],
    });
    this.smsEventsTopic.addSubscription(new subscriptions.SqsSubscription(queue, { rawMessageDelivery: true, deadLetterQueue: deadLetters.queue }));
    consumer.addEventSource(
      new SqsEventSource(queue, {
        batchSize: settings.batchSize,
        maxBatchingWindow: Duration.seconds(settings.batchingWindowSeconds),
        reportBatchItemFailures: true,
        // Two batches at once at most: a burst of reports (the month's invoices) waits in the queue, not on the table.
        maxConcurrency: 2,
      }),
    );
    return queue;
  }

  /** Routes the SMS replies to our number (STOP, START) to `consumer`; an undeliverable one goes to `deadLetters`. */
  routeInboundSms(consumer: lambda.IFunction, deadLetters: sqs.IQueue): void {
    this.smsInboundTopic.addSubscription(new subscriptions.LambdaSubscription(consumer, { deadLetterQueue: deadLetters }));
  }

  /**
   * Lets `grantee` send on the given channels, scoped to this stack's identity, configuration
   * sets and sender id, and returns the environment its code needs to send.
   */
  grantSend(grantee: iam.IGrantable, channels: readonly MessagingChannel[]): Record<string, string> {
    const stack = Stack.of(this);
    const environment: Record<string, string> = {
      [ENV.appBaseUrl]: this.appBaseUrl,
      [ENV.staffEmail]: this.config.staffEmail,
      [ENV.outboxMaxAttempts]: String(this.config.outbox.maxAttempts),
      [ENV.outboxRetryBaseSeconds]: String(this.config.outbox.retryBaseSeconds),
      [ENV.outboxLeaseSeconds]: String(this.config.outbox.leaseSeconds),
      // A message may carry a personal link, issued when it is sent: how long it stays valid.
      [ENV.personalLinks]: JSON.stringify(this.config.personalLinks),
    };
    if (channels.includes('email')) {
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['ses:SendEmail'],
        resourceArns: [
          this.emailIdentity.emailIdentityArn,
          stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: this.emailConfigurationSet.configurationSetName }),
        ],
      });
      environment[ENV.emailFrom] = this.config.emailFrom;
      environment[ENV.sesConfigurationSet] = this.emailConfigurationSet.configurationSetName;
      Object.assign(environment, this.grantAttachmentsRead(grantee));
    }
    if (channels.includes('sms')) {
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['sms-voice:SendTextMessage'],
        resourceArns: [
          this.smsConfigurationSet.attrArn,
          // The sender id is requested (and registered where the country requires it) outside
          // CloudFormation, so its ARN is built from the configured name.
          stack.formatArn({ service: 'sms-voice', resource: 'sender-id', resourceName: `${this.config.smsSenderId}/FR` }),
        ],
      });
      environment[ENV.smsSenderId] = this.config.smsSenderId;
      environment[ENV.smsConfigurationSet] = this.smsConfigurationSet.ref;
    }
    return environment;
  }

  /**
   * The sender reads an e-mail's attachments (an invoice's PDF) from the documents bucket: GetObject on the
   * attachment prefixes only, and the key's decrypt. No ListBucket: object keys may hold person ids, and without it
   * S3 answers AccessDenied for a missing object, which the sender takes as missing.
   */
  private grantAttachmentsRead(grantee: iam.IGrantable): Record<string, string> {
    const { bucket, key } = this.attachments;
    const resourceArns = MAIL_ATTACHMENT_PREFIXES.map((prefix) => bucket.arnForObjects(`${prefix}*`));
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns });
    key.grant(grantee, 'kms:Decrypt');
    const role = (grantee as { role?: iam.IRole }).role ?? grantee.grantPrincipal;
    if (role instanceof Construct) {
      const bucketId = Stack.of(this).getLogicalId(bucket.node.defaultChild as CfnElement);
      for (const prefix of MAIL_ATTACHMENT_PREFIXES) {
        Validations.of(role).acknowledge({
          id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`,
          reason: 'The attachments an outbox e-mail may carry (invoices, statements): their keys are not known in advance.',
        });
      }
    }
    return { [ENV.documentsBucket]: bucket.bucketName };
  }
}
