import { CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { BundleSet } from '../bundles.js';
import { ENV, METRICS_NAMESPACE, type StageConfig } from '../config.js';
import type { MessagingChannel, ParcoursMessaging } from './messaging.js';

export interface ParcoursFunctionProps {
  /** Entry file, relative to the repository root, e.g. `functions/referrals/submit.ts`. */
  entry: string;
  /** The app's bundles (infra/bundles.ts), built before the stack: this function's code is `bundles.dirOf(entry)`. */
  bundles: BundleSet;
  config: StageConfig;
  /** Key encrypting the function's log group (logs may hold personal data). */
  logKey: kms.IKey;
  description?: string;
  memorySize?: number;
  timeout?: Duration;
  environment?: Record<string, string>;
}

/**
 * A Lambda function with the project's defaults: Node.js 22 on arm64, JSON logs in an encrypted
 * log group with the stage's retention, X-Ray tracing, a CommonJS bundle with the AWS SDK inside
 * and source maps, and its own role that holds only what the `bind*` methods grant.
 *
 * The code is the entry's folder in the app's bundle set (one esbuild run for every function, see
 * infra/bundles.ts and decision 15), not a bundling of its own.
 * The lambda.Function is the `Default` child, so its logical id is the construct id's.
 */
export class ParcoursFunction extends Construct {
  readonly function: lambda.Function;
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: ParcoursFunctionProps) {
    super(scope, id);
    const { config } = props;
    const removalPolicy = config.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: config.logRetentionDays as logs.RetentionDays,
      encryptionKey: props.logKey,
      removalPolicy,
    });
    // An own role instead of the default one, which carries the AWS managed AWSLambdaBasicExecutionRole.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${id} (${config.stage})`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new lambda.Function(this, 'Default', {
      code: lambda.Code.fromAsset(props.bundles.dirOf(props.entry)),
      handler: 'index.handler',
      description: props.description ?? props.entry,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: lambda.Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel[config.logLevel],
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        [ENV.serviceName]: id,
        [ENV.metricsNamespace]: METRICS_NAMESPACE,
        [ENV.logLevel]: config.logLevel,
        [ENV.stage]: config.stage,
        ...props.environment,
      },
    });

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Added by CDK for active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions.',
    });
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'Node.js 22 on purpose (nodejs24.x is newer): the same bundles run in the local cloud on Node 20/22 and esbuild targets node22; a runtime upgrade is a tested change, not a default.',
    });
  }

  /** Grants read ('RO') or read-write ('RW') access to the table and sets TABLE_NAME. */
  bindTable(table: dynamodb.Table, access: 'RO' | 'RW'): this {
    if (access === 'RW') table.grantReadWriteData(this.function);
    else table.grantReadData(this.function);
    this.function.addEnvironment(ENV.tableName, table.tableName);
    const tableId = Stack.of(this).getLogicalId(table.node.defaultChild as CfnElement);
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${tableId}.Arn>/index/*]`,
      reason: 'Granted by table.grant*Data: queries on any of the table\'s own indexes (gsi1-gsi3), nothing outside the table.',
    });
    if (access === 'RW') {
      for (const action of ['kms:ReEncrypt*', 'kms:GenerateDataKey*']) {
        Validations.of(this.role).acknowledge({
          id: `AwsSolutions-IAM5[Action::${action}]`,
          reason: 'Granted by table.grantReadWriteData on the table\'s own customer-managed key only, as DynamoDB needs to write encrypted items.',
        });
      }
    }
    return this;
  }

  /**
   * 'start' lets the function start executions (REFERRAL_STATE_MACHINE_ARN is set);
   * 'taskResponse' lets it answer the machine's callback tasks (SendTaskSuccess/Failure/Heartbeat).
   */
  bindStateMachine(stateMachine: sfn.StateMachine, access: 'start' | 'taskResponse' | 'describeExecution'): this {
    if (access === 'start') stateMachine.grantStartExecution(this.function);
    else if (access === 'taskResponse') stateMachine.grantTaskResponse(this.function);
    else stateMachine.grantExecution(this.function, 'states:DescribeExecution');
    this.function.addEnvironment(ENV.referralStateMachineArn, stateMachine.stateMachineArn);
    return this;
  }

  /** Lets the function send email and/or SMS and sets the sender settings in its environment. */
  bindMessaging(messaging: ParcoursMessaging, channels: readonly MessagingChannel[]): this {
    for (const [name, value] of Object.entries(messaging.grantSend(this.function, channels))) {
      this.function.addEnvironment(name, value);
    }
    return this;
  }
}

