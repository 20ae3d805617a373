import { CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { BundleSet, SdkUsage } from '../bundles.js';
import { ENV, METRICS_NAMESPACE, type StageConfig } from '../config.js';
import { CHANNEL_COMMANDS, dynamoDbGrant, s3Grant, SENDER_S3_COMMANDS, statesActions } from '../sdk-grants.js';
import type { DocumentsBucket } from './documents-bucket.js';
import type { MessagingChannel, ParcoursMessaging } from './messaging.js';

export interface ParcoursFunctionProps {
  /** Entry file, relative to the repository root, e.g. `functions/referrals/submit.ts`. */
  entry: string;
  /** The app's bundles (infra/bundles.ts), built before the stack: this function's code is `bundles.dirOf(entry)`. */
  bundles: BundleSet;
  config: StageConfig;
  /**
   * The log group the function writes to: one for every function of the stack (encrypted, the stage's retention),
   * since a group per function would cost a CloudFormation resource each, against the 500 a stack may hold; the
   * stream names carry the function's name.
   */
  logGroup: logs.ILogGroup;
  description?: string;
  memorySize?: number;
  timeout?: Duration;
  environment?: Record<string, string>;
}

/**
 * A Lambda function with the project's defaults: Node.js 22 on arm64, JSON logs in the stack's encrypted
 * function log group with the stage's retention, X-Ray tracing, a CommonJS bundle with the AWS SDK inside
 * and source maps, and its own role that holds only what the `bind*` methods grant: the calls its bundle makes.
 *
 * The code is the entry's folder in the app's bundle set (one esbuild run for every function, see
 * infra/bundles.ts and decision 15), not a bundling of its own.
 * The lambda.Function is the `Default` child, so its logical id is the construct id's.
 */
export class ParcoursFunction extends Construct {
  readonly function: lambda.Function;
  readonly logGroup: logs.ILogGroup;
  readonly role: iam.Role;
  readonly entry: string;
  private readonly config: StageConfig;
  /** The AWS SDK calls its bundle can make: what the bind* methods grant. */
  readonly sdkUsage: SdkUsage;
  /** Clients (`dynamodb`) and commands (`sesv2:SendEmail`) some bind* method accounted for. */
  private readonly covered = new Set<string>(['dynamodb:DescribeEndpoints']);

  constructor(scope: Construct, id: string, props: ParcoursFunctionProps) {
    super(scope, id);
    const { config } = props;
    this.entry = props.entry;
    this.config = config;
    this.sdkUsage = props.bundles.sdkUsageOf(props.entry);
    this.node.addValidation({ validate: () => this.unaccountedCalls() });
    this.logGroup = props.logGroup;
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

  /**
   * Grants the DynamoDB actions of exactly the operations this function's bundle calls (infra/sdk-grants.ts),
   * on the table, and on its indexes only when the code names an index; sets TABLE_NAME. The stack binds the
   * table to every function whose bundle calls DynamoDB.
   */
  bindTable(table: dynamodb.Table): this {
    const grant = dynamoDbGrant(this.entry, this.sdkUsage);
    if (!grant) throw new Error(`${this.entry} makes no DynamoDB call: it needs no table`);
    const resourceArns = [table.tableArn, ...(grant.indexes ? [`${table.tableArn}/index/*`] : [])];
    iam.Grant.addToPrincipal({ grantee: this.function, actions: grant.actions, resourceArns });
    // The table's own key, as CDK's table grants give it: decrypt to read, encrypt too to write.
    table.encryptionKey?.grant(this.function, 'kms:Decrypt', 'kms:DescribeKey', ...(grant.writes ? ['kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'] : []));
    this.function.addEnvironment(ENV.tableName, table.tableName);
    this.covered.add('dynamodb');
    if (grant.indexes) {
      const tableId = Stack.of(this).getLogicalId(table.node.defaultChild as CfnElement);
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${tableId}.Arn>/index/*]`,
        reason: "This function's code queries the table's own indexes (gsi1-gsi3), nothing outside the table.",
      });
    }
    if (grant.writes) {
      for (const action of ['kms:ReEncrypt*', 'kms:GenerateDataKey*']) {
        Validations.of(this.role).acknowledge({
          id: `AwsSolutions-IAM5[Action::${action}]`,
          reason: "On the table's own customer-managed key only, as DynamoDB needs it to write encrypted items.",
        });
      }
    }
    return this;
  }

  /**
   * Sets the activities' settings in the function's environment, for code that creates, checks, launches or prints
   * activities: the contribution bounds per programme and the cooperative's identity (shared/domain/activities.ts reads them).
   */
  bindActivitySettings(): this {
    this.function.addEnvironment(ENV.contributionRates, JSON.stringify(this.config.contributionRates));
    this.function.addEnvironment(ENV.cooperative, JSON.stringify(this.config.cooperative));
    return this;
  }

  /**
   * Grants the Step Functions actions this function's bundle calls (start an execution, answer a callback
   * task, ...) on this state machine or its executions, and puts the machine's ARN in `envName`.
   */
  bindStateMachine(stateMachine: sfn.StateMachine, envName: string = ENV.referralStateMachineArn): this {
    const actions = statesActions(this.entry, this.sdkUsage.commands);
    if (actions.length === 0) throw new Error(`${this.entry} makes no Step Functions call: it needs no state machine`);
    const onMachine = actions.filter(([, resource]) => resource === 'stateMachine').map(([action]) => action);
    const onExecutions = actions.filter(([, resource]) => resource === 'execution').map(([action]) => action);
    if (onMachine.length > 0) stateMachine.grant(this.function, ...onMachine);
    if (onExecutions.length > 0) stateMachine.grantExecution(this.function, ...onExecutions);
    this.function.addEnvironment(envName, stateMachine.stateMachineArn);
    this.covered.add('sfn');
    return this;
  }

  /**
   * Grants the S3 actions of exactly the operations this function's bundle calls (infra/sdk-grants.ts) on the
   * documents bucket's objects (listing on the bucket), and the key's decrypt (reads) or data keys (writes); sets
   * DOCUMENTS_BUCKET and DOCUMENTS_KEY_ARN. Presigned URLs act with these rights too. The stack binds the bucket to
   * every function whose bundle calls S3.
   */
  bindDocuments(documents: DocumentsBucket): this {
    const grant = s3Grant(this.entry, this.sdkUsage.commands);
    if (!grant) throw new Error(`${this.entry} makes no S3 call: it needs no bucket`);
    const { bucket, key } = documents;
    if (grant.objectActions.length > 0) iam.Grant.addToPrincipal({ grantee: this.function, actions: grant.objectActions, resourceArns: [bucket.arnForObjects('*')] });
    if (grant.bucketActions.length > 0) iam.Grant.addToPrincipal({ grantee: this.function, actions: grant.bucketActions, resourceArns: [bucket.bucketArn] });
    if (grant.keyActions.length > 0) key.grant(this.function, ...grant.keyActions);
    this.function.addEnvironment(ENV.documentsBucket, bucket.bucketName);
    this.function.addEnvironment(ENV.documentsKeyArn, key.keyArn);
    this.covered.add('s3');
    if (grant.objectActions.length > 0) {
      const bucketId = Stack.of(this).getLogicalId(bucket.node.defaultChild as CfnElement);
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/*]`,
        reason: "The objects of the documents bucket only, with the actions this function's code calls; object keys are not known in advance.",
      });
    }
    return this;
  }

  /**
   * Lets the function send on `channels` and sets the sender settings in its environment. The shared sender
   * holds both providers' calls, so the bundle cannot tell a function that only ever e-mails (staff and
   * prescriber messages): the channels are declared here, and the other channel's call is withheld.
   */
  bindMessaging(messaging: ParcoursMessaging, channels: readonly MessagingChannel[]): this {
    for (const channel of channels) {
      if (!this.sdkUsage.commands.includes(CHANNEL_COMMANDS[channel])) throw new Error(`${this.entry} never sends by ${channel}: grant only the channels its code sends by`);
    }
    for (const [name, value] of Object.entries(messaging.grantSend(this.function, channels))) {
      this.function.addEnvironment(name, value);
    }
    for (const command of Object.values(CHANNEL_COMMANDS)) this.covered.add(command);
    // The sender's reads of attachments: granted by the messaging on the attachment prefixes (e-mail only).
    for (const command of SENDER_S3_COMMANDS) this.covered.add(command);
    return this;
  }

  /** Fails the synthesis when the bundle makes an AWS call that no bind* method accounted for. */
  private unaccountedCalls(): string[] {
    const missing = this.sdkUsage.commands.filter((command) => !this.covered.has(command) && !this.covered.has(command.split(':')[0]));
    return missing.length === 0 ? [] : [`${this.entry} calls ${missing.join(', ')} without a grant: bind the resource (bindTable, bindStateMachine, bindMessaging, bindDocuments)`];
  }
}

