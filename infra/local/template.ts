import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/** The parts of a synthesized CloudFormation template the local cloud reads. */
export interface Template {
  Parameters?: Record<string, { Type?: string; Default?: unknown }>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, TemplateResource>;
  Outputs?: Record<string, { Value: unknown; Condition?: string }>;
}

export interface TemplateResource {
  Type: string;
  Properties?: Record<string, any>;
  Metadata?: Record<string, unknown>;
  Condition?: string;
}

export interface LocalContext {
  region: string;
  accountId: string;
  stackName: string;
  /** overrides for resource attributes, e.g. { 'MyApi': { Ref: 'abc', ApiEndpoint: 'http://127.0.0.1:3000' } } */
  attributes?: Record<string, Record<string, string>>;
}

export interface LocalFunction {
  logicalId: string;
  functionName: string;
  arn: string;
  handler: string;
  runtime: string;
  /** absolute; empty when the code is not a local asset (inline ZipFile, code from another bucket) */
  bundleDir: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
}

export interface LocalTable {
  logicalId: string;
  tableName: string;
  arn: string;
  createTableInput: CreateTableCommandInput;
  ttlAttribute?: string;
}

export interface LocalStateMachine {
  logicalId: string;
  name: string;
  arn: string;
  definition: object;
}

export interface LocalRoute {
  /** 'POST /api/referrals', 'GET /{proxy+}', '$default' */
  routeKey: string;
  functionLogicalId: string;
  functionArn: string;
  authorizer?: { type: 'JWT'; issuer: string; audience: string[]; identitySource: string };
  authorizationScopes?: string[];
}

export interface LocalSchedule {
  logicalId: string;
  name: string;
  expression: string;
  timezone?: string;
  target: { arn: string; input?: string };
}

/** An SNS event destination of an End User Messaging SMS configuration set. */
export interface LocalSmsEventDestination {
  configurationSetName: string;
  topicArn: string;
  matchingEventTypes: string[];
}

export interface LocalEventRule {
  logicalId: string;
  name: string;
  eventBusName: string;
  pattern: Record<string, unknown>;
  /**
   * Lambda functions and SQS queues of the template (`type` `sqs`; other target types have no local runner);
   * `input` replaces the event when the target has a constant Input.
   */
  targets: Array<{ arn: string; input?: string; type?: 'lambda' | 'sqs' }>;
}

export interface LocalTopicSubscription {
  subscriptionArn: string;
  topicArn: string;
  /** The subscribed function's ARN (Protocol lambda) or queue's ARN (Protocol sqs). */
  endpoint: string;
  /** Default `lambda`. */
  protocol?: 'lambda' | 'sqs';
  /** An SQS subscription that gets the message itself rather than SNS's JSON envelope. */
  rawMessageDelivery?: boolean;
}

/** A standard SQS queue of the template (AWS::SQS::Queue), with its settings or SQS's defaults. */
export interface LocalQueue {
  logicalId: string;
  name: string;
  arn: string;
  /** The queue's URL as `Ref` gives it (the local SQS also accepts any URL that ends with its name). */
  url: string;
  visibilityTimeoutSeconds: number;
  retentionSeconds: number;
  delaySeconds: number;
  receiveWaitSeconds: number;
  maxMessageBytes: number;
  /** Where a message goes after `maxReceiveCount` receives (RedrivePolicy). */
  redrive?: { deadLetterTargetArn: string; maxReceiveCount: number };
  /** SSE-SQS, as declared: the local SQS keeps messages in the clear either way. */
  sqsManagedSse: boolean;
}

/** An SQS event source mapping of a function (AWS::Lambda::EventSourceMapping whose source is a queue of the template). */
export interface LocalEventSourceMapping {
  logicalId: string;
  functionArn: string;
  queueArn: string;
  /** Messages per invocation (1 to 10,000; default 10). */
  batchSize: number;
  /** How long a batch gathers messages before the function is invoked (0 to 300 s). */
  maximumBatchingWindowSeconds: number;
  /** FunctionResponseTypes holds ReportBatchItemFailures: the function's `batchItemFailures` name the messages to keep. */
  reportBatchItemFailures: boolean;
  /** ScalingConfig.MaximumConcurrency: invocations at once, if set. */
  maximumConcurrency?: number;
}

/** A CORS rule of a bucket (the template's CorsConfiguration.CorsRules). */
export interface LocalCorsRule {
  allowedOrigins: string[];
  allowedMethods: string[];
  allowedHeaders: string[];
  exposedHeaders: string[];
  maxAgeSeconds?: number;
}

export interface LocalBucket {
  logicalId: string;
  name: string;
  cors: LocalCorsRule[];
  /** The bucket's default encryption, applied to a PUT that names none. */
  encryption?: { algorithm: string; kmsKeyId?: string; bucketKeyEnabled: boolean };
  /** Enabled expiration rules: objects under `prefix` older than `days` are deleted. */
  expirations: Array<{ prefix: string; days: number }>;
}

export interface LocalApp {
  tables: LocalTable[];
  buckets: LocalBucket[];
  functions: LocalFunction[];
  stateMachines: LocalStateMachine[];
  routes: LocalRoute[];
  schedules: LocalSchedule[];
  eventRules: LocalEventRule[];
  topicSubscriptions: LocalTopicSubscription[];
  smsEventDestinations: LocalSmsEventDestination[];
  queues: LocalQueue[];
  eventSourceMappings: LocalEventSourceMapping[];
  /** Client ids of the template's Cognito user pool clients (the local issuer accepts the first as audience). */
  userPoolClientIds: string[];
  outputs: Record<string, string>;
}

/** Raised for intrinsics that cannot have a local value (Fn::ImportValue, unknown attributes...). */
export class UnresolvableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnresolvableError';
  }
}

/** Marks AWS::NoValue while resolving, so the enclosing object key or array element is dropped. */
const NO_VALUE = Symbol('AWS::NoValue');

interface TypeRule {
  /** property holding an explicit physical name */
  nameProperty?: string;
  /** the service's name length limit */
  maxLength?: number;
  lowercase?: boolean;
  /** what Ref returns, given the physical name */
  ref?: (name: string, ids: Ids) => string;
  /** GetAtt attributes, given the physical name */
  attributes?: (name: string, ids: Ids) => Record<string, string>;
}

/** Deterministic local identifiers for one resource (the same template gives the same ids at every start). */
interface Ids {
  ctx: LocalContext;
  logicalId: string;
  props: Record<string, any>;
  hash(length: number, alphabet?: string): string;
}

const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

const arn = (ids: Ids, service: string, resource: string, withRegion = true, withAccount = true) =>
  `arn:aws:${service}:${withRegion ? ids.ctx.region : ''}:${withAccount ? ids.ctx.accountId : ''}:${resource}`;

const keyId = (ids: Ids) => {
  const h = ids.hash(32, '0123456789abcdef');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};
const userPoolId = (ids: Ids) => `${ids.ctx.region}_${ids.hash(9, ALNUM)}`;
const cognitoProvider = (ids: Ids) => `cognito-idp.${ids.ctx.region}.amazonaws.com/${userPoolId(ids)}`;

const TABLE_RULE: TypeRule = {
  nameProperty: 'TableName',
  maxLength: 255,
  attributes: (name, ids) => ({
    Arn: arn(ids, 'dynamodb', `table/${name}`),
    StreamArn: arn(ids, 'dynamodb', `table/${name}/stream/1970-01-01T00:00:00.000`),
  }),
};

const RULES: Record<string, TypeRule> = {
  'AWS::Lambda::Function': {
    nameProperty: 'FunctionName',
    maxLength: 64,
    attributes: (name, ids) => ({ Arn: arn(ids, 'lambda', `function:${name}`) }),
  },
  'AWS::DynamoDB::Table': TABLE_RULE,
  'AWS::DynamoDB::GlobalTable': TABLE_RULE,
  'AWS::StepFunctions::StateMachine': {
    nameProperty: 'StateMachineName',
    maxLength: 80,
    ref: (name, ids) => arn(ids, 'states', `stateMachine:${name}`),
    attributes: (name, ids) => ({ Arn: arn(ids, 'states', `stateMachine:${name}`), Name: name }),
  },
  'AWS::KMS::Key': {
    ref: (_name, ids) => keyId(ids),
    attributes: (_name, ids) => ({ Arn: arn(ids, 'kms', `key/${keyId(ids)}`), KeyId: keyId(ids) }),
  },
  'AWS::KMS::Alias': { nameProperty: 'AliasName', attributes: (name, ids) => ({ Arn: arn(ids, 'kms', name) }) },
  'AWS::IAM::Role': {
    nameProperty: 'RoleName',
    maxLength: 64,
    attributes: (name, ids) => ({ Arn: arn(ids, 'iam', `role/${name}`, false), RoleId: `AROA${ids.hash(17, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}` }),
  },
  'AWS::IAM::ManagedPolicy': { nameProperty: 'ManagedPolicyName', maxLength: 128, ref: (name, ids) => arn(ids, 'iam', `policy/${name}`, false) },
  'AWS::SNS::Topic': {
    nameProperty: 'TopicName',
    maxLength: 256,
    ref: (name, ids) => arn(ids, 'sns', name),
    attributes: (name, ids) => ({ TopicArn: arn(ids, 'sns', name), TopicName: name }),
  },
  'AWS::SQS::Queue': {
    nameProperty: 'QueueName',
    maxLength: 80,
    ref: (name, ids) => `https://sqs.${ids.ctx.region}.amazonaws.com/${ids.ctx.accountId}/${name}`,
    attributes: (name, ids) => ({
      Arn: arn(ids, 'sqs', name),
      QueueName: name,
      QueueUrl: `https://sqs.${ids.ctx.region}.amazonaws.com/${ids.ctx.accountId}/${name}`,
    }),
  },
  'AWS::Logs::LogGroup': {
    nameProperty: 'LogGroupName',
    maxLength: 512,
    attributes: (name, ids) => ({ Arn: arn(ids, 'logs', `log-group:${name}:*`) }),
  },
  'AWS::Cognito::UserPool': {
    ref: (_name, ids) => userPoolId(ids),
    attributes: (_name, ids) => ({
      Arn: arn(ids, 'cognito-idp', `userpool/${userPoolId(ids)}`),
      ProviderName: cognitoProvider(ids),
      ProviderURL: `https://${cognitoProvider(ids)}`,
      UserPoolId: userPoolId(ids),
    }),
  },
  'AWS::Cognito::UserPoolClient': {
    ref: (_name, ids) => ids.hash(26, LOWER_ALNUM),
    attributes: (_name, ids) => ({ ClientId: ids.hash(26, LOWER_ALNUM), Name: String(ids.props.ClientName ?? ids.logicalId) }),
  },
  'AWS::Cognito::UserPoolDomain': { nameProperty: 'Domain' },
  'AWS::ApiGatewayV2::Api': {
    ref: (_name, ids) => ids.hash(10, LOWER_ALNUM),
    attributes: (_name, ids) => ({
      ApiId: ids.hash(10, LOWER_ALNUM),
      ApiEndpoint: `https://${ids.hash(10, LOWER_ALNUM)}.execute-api.${ids.ctx.region}.amazonaws.com`,
    }),
  },
  'AWS::ApiGatewayV2::Stage': { nameProperty: 'StageName' },
  'AWS::ApiGatewayV2::Integration': { ref: (_name, ids) => ids.hash(7, LOWER_ALNUM) },
  'AWS::ApiGatewayV2::Route': { ref: (_name, ids) => ids.hash(7, LOWER_ALNUM) },
  'AWS::ApiGatewayV2::Authorizer': { ref: (_name, ids) => ids.hash(6, LOWER_ALNUM) },
  'AWS::SES::ConfigurationSet': { nameProperty: 'Name', maxLength: 64 },
  'AWS::SES::EmailIdentity': { nameProperty: 'EmailIdentity' },
  'AWS::Scheduler::Schedule': {
    nameProperty: 'Name',
    maxLength: 64,
    attributes: (name, ids) => ({ Arn: arn(ids, 'scheduler', `schedule/${ids.props.GroupName ?? 'default'}/${name}`) }),
  },
  'AWS::Scheduler::ScheduleGroup': {
    nameProperty: 'Name',
    maxLength: 64,
    attributes: (name, ids) => ({ Arn: arn(ids, 'scheduler', `schedule-group/${name}`) }),
  },
  'AWS::Events::Rule': { nameProperty: 'Name', maxLength: 64, attributes: (name, ids) => ({ Arn: arn(ids, 'events', `rule/${name}`) }) },
  'AWS::S3::Bucket': {
    nameProperty: 'BucketName',
    maxLength: 63,
    lowercase: true,
    attributes: (name, ids) => ({
      Arn: `arn:aws:s3:::${name}`,
      DomainName: `${name}.s3.amazonaws.com`,
      RegionalDomainName: `${name}.s3.${ids.ctx.region}.amazonaws.com`,
    }),
  },
  'AWS::CloudWatch::Alarm': { nameProperty: 'AlarmName', maxLength: 255, attributes: (name, ids) => ({ Arn: arn(ids, 'cloudwatch', `alarm:${name}`) }) },
  'AWS::SMSVOICE::ConfigurationSet': {
    nameProperty: 'ConfigurationSetName',
    maxLength: 64,
    attributes: (name, ids) => ({ Arn: arn(ids, 'sms-voice', `configuration-set/${name}`) }),
  },
  'AWS::SSM::Parameter': { nameProperty: 'Name' },
  'AWS::SecretsManager::Secret': { nameProperty: 'Name', ref: (name, ids) => arn(ids, 'secretsmanager', `secret:${name}`) },
};

const PSEUDO: Record<string, (ctx: LocalContext) => unknown> = {
  'AWS::Region': (ctx) => ctx.region,
  'AWS::AccountId': (ctx) => ctx.accountId,
  'AWS::Partition': () => 'aws',
  'AWS::URLSuffix': () => 'amazonaws.com',
  'AWS::StackName': (ctx) => ctx.stackName,
  'AWS::StackId': (ctx) => `arn:aws:cloudformation:${ctx.region}:${ctx.accountId}:stack/${ctx.stackName}/00000000-0000-0000-0000-000000000000`,
  'AWS::NoValue': () => NO_VALUE,
};

function hashOf(seed: string, length: number, alphabet: string): string {
  let out = '';
  for (let block = 0; out.length < length; block++) {
    for (const byte of createHash('sha256').update(`${seed}#${block}`).digest()) out += alphabet[byte % alphabet.length];
  }
  return out.slice(0, length);
}

function idsFor(logicalId: string, resource: TemplateResource, ctx: LocalContext): Ids {
  const seed = `${ctx.accountId}/${ctx.region}/${ctx.stackName}/${logicalId}`;
  return { ctx, logicalId, props: resource.Properties ?? {}, hash: (length, alphabet = LOWER_ALNUM) => hashOf(seed, length, alphabet) };
}

/** The local physical name: the explicit name property, else `${stackName}-${logicalId}` fitted to the service's limit. */
function physicalName(logicalId: string, resource: TemplateResource, template: Template, ctx: LocalContext): string {
  const rule = RULES[resource.Type];
  const explicit = rule?.nameProperty ? resource.Properties?.[rule.nameProperty] : undefined;
  if (explicit !== undefined) return String(resolveValue(explicit, template, ctx));
  let name = `${ctx.stackName}-${logicalId}`;
  const max = rule?.maxLength ?? 255;
  // Keep names unique when cut, the way CloudFormation appends a suffix.
  if (name.length > max) name = `${name.slice(0, max - 9)}-${hashOf(name, 8, LOWER_ALNUM)}`;
  return rule?.lowercase ? name.toLowerCase() : name;
}

function resourceOf(logicalId: string, template: Template): TemplateResource {
  const resource = template.Resources[logicalId];
  if (!resource) throw new UnresolvableError(`No resource or parameter named ${logicalId}`);
  return resource;
}

function refOf(logicalId: string, template: Template, ctx: LocalContext): unknown {
  const override = ctx.attributes?.[logicalId]?.Ref;
  if (override !== undefined) return override;
  if (logicalId in PSEUDO) return PSEUDO[logicalId]!(ctx);
  const parameter = template.Parameters?.[logicalId];
  if (parameter) {
    if (parameter.Default === undefined) throw new UnresolvableError(`Parameter ${logicalId} has no Default and no override`);
    return parameter.Type?.startsWith('List<') || parameter.Type === 'CommaDelimitedList'
      ? String(parameter.Default).split(',')
      : parameter.Default;
  }
  const resource = resourceOf(logicalId, template);
  const name = physicalName(logicalId, resource, template, ctx);
  const rule = RULES[resource.Type];
  return rule?.ref ? rule.ref(name, idsFor(logicalId, resource, ctx)) : name;
}

function getAtt(logicalId: string, attribute: string, template: Template, ctx: LocalContext): string {
  const override = ctx.attributes?.[logicalId]?.[attribute];
  if (override !== undefined) return override;
  const resource = resourceOf(logicalId, template);
  const name = physicalName(logicalId, resource, template, ctx);
  const ids = idsFor(logicalId, resource, ctx);
  const known = RULES[resource.Type]?.attributes?.(name, ids) ?? {};
  if (attribute in known) return known[attribute]!;
  if (attribute === 'Arn') {
    const [, service = 'unknown', kind = 'resource'] = resource.Type.split('::');
    return arn(ids, service.toLowerCase(), `${kind.toLowerCase()}/${name}`);
  }
  throw new UnresolvableError(`No local value for Fn::GetAtt ${logicalId}.${attribute} (${resource.Type})`);
}

function evaluateCondition(name: string, template: Template, ctx: LocalContext): boolean {
  const condition = template.Conditions?.[name];
  if (condition === undefined) throw new UnresolvableError(`Unknown condition ${name}`);
  return Boolean(resolveValue(condition, template, ctx));
}

function substitute(text: string, variables: Record<string, unknown>, template: Template, ctx: LocalContext): string {
  return text.replace(/\$\{([^}]*)\}/g, (_match, expression: string) => {
    if (expression.startsWith('!')) return `\${${expression.slice(1)}}`;
    const key = expression.trim();
    if (key in variables) return String(variables[key]);
    const dot = key.indexOf('.');
    if (dot > 0 && !(key in PSEUDO)) return getAtt(key.slice(0, dot), key.slice(dot + 1), template, ctx);
    return String(refOf(key, template, ctx));
  });
}

const INTRINSICS: Record<string, (arg: any, template: Template, ctx: LocalContext) => unknown> = {
  Ref: (arg, template, ctx) => refOf(String(arg), template, ctx),
  'Fn::GetAtt': (arg, template, ctx) => {
    const [logicalId, attribute] = Array.isArray(arg) ? arg : String(arg).split(/\.(.*)/s);
    return getAtt(String(logicalId), String(resolveValue(attribute, template, ctx)), template, ctx);
  },
  'Fn::Join': ([delimiter, list], template, ctx) => (resolveValue(list, template, ctx) as unknown[]).map(String).join(delimiter),
  'Fn::Sub': (arg, template, ctx) => {
    const [text, variables] = Array.isArray(arg) ? arg : [arg, {}];
    return substitute(String(text), resolveValue(variables, template, ctx) as Record<string, unknown>, template, ctx);
  },
  'Fn::Select': ([index, list], template, ctx) => {
    const items = resolveValue(list, template, ctx) as unknown[];
    const i = Number(resolveValue(index, template, ctx));
    if (!Array.isArray(items) || i < 0 || i >= items.length) throw new UnresolvableError(`Fn::Select index ${i} out of range`);
    return items[i];
  },
  'Fn::Split': ([delimiter, text], template, ctx) => String(resolveValue(text, template, ctx)).split(delimiter),
  'Fn::If': ([condition, whenTrue, whenFalse], template, ctx) =>
    resolveValue(evaluateCondition(condition, template, ctx) ? whenTrue : whenFalse, template, ctx),
  'Fn::Equals': ([a, b], template, ctx) => JSON.stringify(resolveValue(a, template, ctx)) === JSON.stringify(resolveValue(b, template, ctx)),
  'Fn::Not': ([a], template, ctx) => !resolveValue(a, template, ctx),
  'Fn::And': (list: unknown[], template, ctx) => list.every((c) => resolveValue(c, template, ctx)),
  'Fn::Or': (list: unknown[], template, ctx) => list.some((c) => resolveValue(c, template, ctx)),
  Condition: (name, template, ctx) => evaluateCondition(String(name), template, ctx),
  'Fn::FindInMap': ([map, top, second], template, ctx) => {
    const value = template.Mappings?.[map]?.[String(resolveValue(top, template, ctx))]?.[String(resolveValue(second, template, ctx))];
    if (value === undefined) throw new UnresolvableError(`Fn::FindInMap ${map} has no such entry`);
    return value;
  },
  'Fn::Base64': (arg, template, ctx) => Buffer.from(String(resolveValue(arg, template, ctx))).toString('base64'),
  'Fn::GetAZs': (_arg, _template, ctx) => ['a', 'b', 'c'].map((zone) => `${ctx.region}${zone}`),
  'Fn::ToJsonString': (arg, template, ctx) => JSON.stringify(resolveValue(arg, template, ctx)),
  'Fn::ImportValue': () => {
    throw new UnresolvableError('Fn::ImportValue cannot be resolved locally: the local cloud runs one stack');
  },
};

function resolveInner(value: unknown, template: Template, ctx: LocalContext): unknown {
  if (Array.isArray(value)) return value.map((item) => resolveInner(item, template, ctx)).filter((item) => item !== NO_VALUE);
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && (keys[0] === 'Ref' || keys[0] === 'Condition' || keys[0]!.startsWith('Fn::'))) {
    const intrinsic = INTRINSICS[keys[0]!];
    if (!intrinsic) throw new UnresolvableError(`Unsupported intrinsic ${keys[0]}`);
    return intrinsic((value as Record<string, unknown>)[keys[0]!], template, ctx);
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const resolved = resolveInner((value as Record<string, unknown>)[key], template, ctx);
    if (resolved !== NO_VALUE) out[key] = resolved;
  }
  return out;
}

/**
 * Resolves CloudFormation intrinsics in `value` to local values.
 * @example resolveValue({ 'Fn::GetAtt': ['Fn', 'Arn'] }, template, ctx) // 'arn:aws:lambda:eu-west-3:000000000000:function:Stack-Fn'
 */
export function resolveValue(value: unknown, template: Template, ctx: LocalContext): unknown {
  const resolved = resolveInner(value, template, ctx);
  return resolved === NO_VALUE ? undefined : resolved;
}

/** The directory of a CDK file asset: the `aws:asset:path` metadata, else the asset manifest entry for the S3 key's hash. */
function assetDir(resource: TemplateResource, s3Key: unknown, assemblyDir: string): string {
  const metadataPath = resource.Metadata?.['aws:asset:path'];
  if (typeof metadataPath === 'string') return resolve(assemblyDir, metadataPath);
  if (typeof s3Key !== 'string') return '';
  const hash = s3Key.replace(/^.*\//, '').replace(/\.[a-z]+$/, '');
  for (const file of existsSync(assemblyDir) ? readdirSync(assemblyDir) : []) {
    if (!file.endsWith('.assets.json')) continue;
    const manifest = JSON.parse(readFileSync(join(assemblyDir, file), 'utf8')) as { files?: Record<string, { source?: { path?: string } }> };
    const path = manifest.files?.[hash]?.source?.path;
    if (path) return resolve(assemblyDir, path);
  }
  const staged = join(assemblyDir, `asset.${hash}`);
  return existsSync(staged) ? staged : '';
}

const str = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

function describeFunction(logicalId: string, resource: TemplateResource, template: Template, assemblyDir: string, ctx: LocalContext): LocalFunction {
  const props = resource.Properties ?? {};
  const variables = (resolveValue(props.Environment?.Variables ?? {}, template, ctx) ?? {}) as Record<string, unknown>;
  const code = (props.Code ?? {}) as Record<string, unknown>;
  return {
    logicalId,
    functionName: String(refOf(logicalId, template, ctx)),
    arn: getAtt(logicalId, 'Arn', template, ctx),
    handler: String(props.Handler ?? 'index.handler'),
    runtime: String(props.Runtime ?? ''),
    bundleDir: code.ZipFile !== undefined ? '' : assetDir(resource, code.S3Key, assemblyDir),
    environment: Object.fromEntries(Object.entries(variables).map(([key, value]) => [key, str(value)])),
    timeoutSeconds: Number(props.Timeout ?? 3),
    memoryMb: Number(props.MemorySize ?? 128),
  };
}

function describeTable(logicalId: string, resource: TemplateResource, template: Template, ctx: LocalContext): LocalTable {
  const props = resolveValue(resource.Properties ?? {}, template, ctx) as Record<string, any>;
  const tableName = String(refOf(logicalId, template, ctx));
  const index = (i: Record<string, any>) => ({ IndexName: i.IndexName, KeySchema: i.KeySchema, Projection: i.Projection });
  const input: CreateTableCommandInput = {
    TableName: tableName,
    AttributeDefinitions: props.AttributeDefinitions,
    KeySchema: props.KeySchema,
    BillingMode: 'PAY_PER_REQUEST',
  };
  if (props.GlobalSecondaryIndexes?.length) input.GlobalSecondaryIndexes = props.GlobalSecondaryIndexes.map(index);
  if (props.LocalSecondaryIndexes?.length) input.LocalSecondaryIndexes = props.LocalSecondaryIndexes.map(index);
  const streamViewType = props.StreamSpecification?.StreamViewType;
  if (streamViewType) input.StreamSpecification = { StreamEnabled: true, StreamViewType: streamViewType };
  const ttl = props.TimeToLiveSpecification;
  return {
    logicalId,
    tableName,
    arn: getAtt(logicalId, 'Arn', template, ctx),
    createTableInput: input,
    ...(ttl?.Enabled && ttl.AttributeName ? { ttlAttribute: String(ttl.AttributeName) } : {}),
  };
}

function describeBucket(logicalId: string, resource: TemplateResource, template: Template, ctx: LocalContext): LocalBucket {
  const props = resolveValue(resource.Properties ?? {}, template, ctx) as Record<string, any>;
  const strings = (value: unknown) => (Array.isArray(value) ? value.map(String) : []);
  const byDefault = props.BucketEncryption?.ServerSideEncryptionConfiguration?.[0];
  const expirations: LocalBucket['expirations'] = [];
  for (const rule of props.LifecycleConfiguration?.Rules ?? []) {
    if (rule.Status !== 'Enabled' || rule.ExpirationInDays === undefined) continue;
    expirations.push({ prefix: String(rule.Prefix ?? rule.Filter?.Prefix ?? ''), days: Number(rule.ExpirationInDays) });
  }
  return {
    logicalId,
    name: String(refOf(logicalId, template, ctx)),
    cors: (props.CorsConfiguration?.CorsRules ?? []).map((rule: Record<string, unknown>) => ({
      allowedOrigins: strings(rule.AllowedOrigins),
      allowedMethods: strings(rule.AllowedMethods),
      allowedHeaders: strings(rule.AllowedHeaders),
      exposedHeaders: strings(rule.ExposedHeaders),
      ...(rule.MaxAge !== undefined ? { maxAgeSeconds: Number(rule.MaxAge) } : {}),
    })),
    ...(byDefault?.ServerSideEncryptionByDefault
      ? {
          encryption: {
            algorithm: String(byDefault.ServerSideEncryptionByDefault.SSEAlgorithm),
            ...(byDefault.ServerSideEncryptionByDefault.KMSMasterKeyID ? { kmsKeyId: String(byDefault.ServerSideEncryptionByDefault.KMSMasterKeyID) } : {}),
            bucketKeyEnabled: byDefault.BucketKeyEnabled === true,
          },
        }
      : {}),
    expirations,
  };
}

function describeStateMachine(logicalId: string, resource: TemplateResource, template: Template, assemblyDir: string, ctx: LocalContext): LocalStateMachine {
  const props = resource.Properties ?? {};
  const substitutions = (resolveValue(props.DefinitionSubstitutions ?? {}, template, ctx) ?? {}) as Record<string, unknown>;
  const applySubstitutions = (text: string) =>
    text.replace(/\$\{([^}]+)\}/g, (match, key: string) => (key in substitutions ? str(substitutions[key]) : match));
  let text: string;
  if (props.DefinitionString !== undefined) text = String(resolveValue(props.DefinitionString, template, ctx));
  else if (props.Definition !== undefined) text = JSON.stringify(resolveValue(props.Definition, template, ctx));
  else if (props.DefinitionS3Location) {
    const location = resolveValue(props.DefinitionS3Location, template, ctx) as { Key?: string };
    const dir = assetDir(resource, location.Key, assemblyDir);
    if (!dir) throw new UnresolvableError(`State machine ${logicalId}: definition asset not found in ${assemblyDir}`);
    text = readFileSync(dir, 'utf8');
  } else throw new UnresolvableError(`State machine ${logicalId} has no definition`);
  return {
    logicalId,
    name: getAtt(logicalId, 'Name', template, ctx),
    arn: String(refOf(logicalId, template, ctx)),
    definition: JSON.parse(applySubstitutions(text)) as object,
  };
}

/** The Lambda function ARN inside an integration URI (plain ARN or the apigateway `.../functions/<arn>/invocations` form). */
function functionArnOf(uri: string): string | undefined {
  return /arn:aws[\w-]*:lambda:[^:]+:\d+:function:[^/:]+/.exec(uri)?.[0];
}

function describeRoutes(template: Template, functions: LocalFunction[], active: Array<[string, TemplateResource]>, ctx: LocalContext): LocalRoute[] {
  const byRef = (type: string) =>
    new Map(active.filter(([, r]) => r.Type === type).map(([id, r]) => [String(refOf(id, template, ctx)), [id, r] as const]));
  const integrations = byRef('AWS::ApiGatewayV2::Integration');
  const authorizers = byRef('AWS::ApiGatewayV2::Authorizer');
  // CDK writes a Cognito issuer as a Join on the pool id, not as ProviderURL: map it to the overridden ProviderURL.
  const issuerOverrides = new Map(
    active
      .filter(([id, r]) => r.Type === 'AWS::Cognito::UserPool' && ctx.attributes?.[id]?.ProviderURL)
      .map(([id, r]) => [`https://${cognitoProvider(idsFor(id, r, { ...ctx, attributes: undefined }))}`, ctx.attributes![id]!.ProviderURL!]),
  );
  const routes: LocalRoute[] = [];
  for (const [, resource] of active.filter(([, r]) => r.Type === 'AWS::ApiGatewayV2::Route')) {
    const props = resolveValue(resource.Properties ?? {}, template, ctx) as Record<string, any>;
    const integration = integrations.get(String(props.Target ?? '').replace(/^integrations\//, ''));
    if (!integration) continue;
    const uri = String(resolveValue(integration[1].Properties?.IntegrationUri ?? '', template, ctx));
    const fn = functions.find((f) => f.arn === functionArnOf(uri));
    if (!fn) continue;
    const route: LocalRoute = { routeKey: String(props.RouteKey), functionLogicalId: fn.logicalId, functionArn: fn.arn };
    if (props.AuthorizationType === 'JWT') {
      const authorizer = authorizers.get(String(props.AuthorizerId));
      if (!authorizer) throw new UnresolvableError(`Route ${route.routeKey}: authorizer ${String(props.AuthorizerId)} not in the template`);
      const config = resolveValue(authorizer[1].Properties ?? {}, template, ctx) as Record<string, any>;
      const issuer = String(config.JwtConfiguration?.Issuer ?? '');
      const source = config.IdentitySource;
      route.authorizer = {
        type: 'JWT',
        issuer: issuerOverrides.get(issuer) ?? issuer,
        audience: (config.JwtConfiguration?.Audience ?? []).map(String),
        identitySource: String(Array.isArray(source) ? source[0] : (source ?? '$request.header.Authorization')),
      };
    }
    if (props.AuthorizationScopes?.length) route.authorizationScopes = props.AuthorizationScopes.map(String);
    routes.push(route);
  }
  return routes;
}

function describeSchedules(template: Template, active: Array<[string, TemplateResource]>, ctx: LocalContext): LocalSchedule[] {
  const schedules: LocalSchedule[] = [];
  for (const [logicalId, resource] of active) {
    if (resource.Type === 'AWS::Scheduler::Schedule') {
      const props = resolveValue(resource.Properties ?? {}, template, ctx) as Record<string, any>;
      if (props.State === 'DISABLED') continue;
      schedules.push({
        logicalId,
        name: physicalName(logicalId, resource, template, ctx),
        expression: String(props.ScheduleExpression),
        ...(props.ScheduleExpressionTimezone ? { timezone: String(props.ScheduleExpressionTimezone) } : {}),
        target: { arn: String(props.Target?.Arn), ...(props.Target?.Input !== undefined ? { input: str(props.Target.Input) } : {}) },
      });
    } else if (resource.Type === 'AWS::Events::Rule' && resource.Properties?.ScheduleExpression) {
      const props = resolveValue(resource.Properties, template, ctx) as Record<string, any>;
      if (props.State === 'DISABLED') continue;
      for (const target of props.Targets ?? []) {
        schedules.push({
          logicalId,
          name: String(refOf(logicalId, template, ctx)),
          expression: String(props.ScheduleExpression),
          target: { arn: String(target.Arn), ...(target.Input !== undefined ? { input: str(target.Input) } : {}) },
        });
      }
    }
  }
  return schedules;
}

/** Rules with an event pattern, with their Lambda and SQS targets (other target types have no local runner). */
function describeEventRules(template: Template, functions: LocalFunction[], queues: LocalQueue[], active: Array<[string, TemplateResource]>, ctx: LocalContext): LocalEventRule[] {
  const rules: LocalEventRule[] = [];
  for (const [logicalId, resource] of active) {
    if (resource.Type !== 'AWS::Events::Rule' || !resource.Properties?.EventPattern) continue;
    const props = resolveValue(resource.Properties, template, ctx) as Record<string, any>;
    if (props.State === 'DISABLED') continue;
    const busName = String(props.EventBusName ?? 'default').replace(/^arn:.*:event-bus\//, '');
    const targets = (props.Targets ?? []).flatMap((target: Record<string, unknown>) => {
      const input = target.Input !== undefined ? { input: str(target.Input) } : {};
      if (functions.some((fn) => fn.arn === target.Arn)) return [{ arn: String(target.Arn), ...input }];
      if (queues.some((queue) => queue.arn === target.Arn)) return [{ arn: String(target.Arn), ...input, type: 'sqs' as const }];
      return [];
    });
    const pattern = typeof props.EventPattern === 'string' ? JSON.parse(props.EventPattern) : props.EventPattern;
    rules.push({ logicalId, name: String(refOf(logicalId, template, ctx)), eventBusName: busName, pattern, targets });
  }
  return rules;
}

function describeTopicSubscriptions(template: Template, active: Array<[string, TemplateResource]>, ctx: LocalContext): LocalTopicSubscription[] {
  return active
    .filter(([, r]) => r.Type === 'AWS::SNS::Subscription' && (r.Properties?.Protocol === 'lambda' || r.Properties?.Protocol === 'sqs'))
    .map(([logicalId, resource]) => {
      const props = resolveValue(resource.Properties, template, ctx) as Record<string, any>;
      const topicArn = String(props.TopicArn);
      const subscription: LocalTopicSubscription = { subscriptionArn: `${topicArn}:${idsFor(logicalId, resource, ctx).hash(36, LOWER_ALNUM)}`, topicArn, endpoint: String(props.Endpoint) };
      if (props.Protocol === 'sqs') Object.assign(subscription, { protocol: 'sqs', rawMessageDelivery: String(props.RawMessageDelivery) === 'true' });
      return subscription;
    });
}

function describeQueues(template: Template, active: Array<[string, TemplateResource]>, ctx: LocalContext): LocalQueue[] {
  return active
    .filter(([, r]) => r.Type === 'AWS::SQS::Queue')
    .map(([logicalId, resource]) => {
      const props = resolveValue(resource.Properties ?? {}, template, ctx) as Record<string, any>;
      if (String(props.FifoQueue) === 'true') throw new UnresolvableError(`Queue ${logicalId}: FIFO queues are not supported locally`);
      const redrive = typeof props.RedrivePolicy === 'string' ? JSON.parse(props.RedrivePolicy) : props.RedrivePolicy;
      return {
        logicalId,
        name: getAtt(logicalId, 'QueueName', template, ctx),
        arn: getAtt(logicalId, 'Arn', template, ctx),
        url: String(refOf(logicalId, template, ctx)),
        visibilityTimeoutSeconds: Number(props.VisibilityTimeout ?? 30),
        retentionSeconds: Number(props.MessageRetentionPeriod ?? 345_600),
        delaySeconds: Number(props.DelaySeconds ?? 0),
        receiveWaitSeconds: Number(props.ReceiveMessageWaitTimeSeconds ?? 0),
        maxMessageBytes: Number(props.MaximumMessageSize ?? 262_144),
        ...(redrive?.deadLetterTargetArn ? { redrive: { deadLetterTargetArn: String(redrive.deadLetterTargetArn), maxReceiveCount: Number(redrive.maxReceiveCount) } } : {}),
        // SQS encrypts new queues with SSE-SQS unless told otherwise, or given a KMS key.
        sqsManagedSse: props.KmsMasterKeyId === undefined && String(props.SqsManagedSseEnabled ?? true) === 'true',
      };
    });
}

/** The event source mappings that read a queue of the template into one of its functions (named by name or ARN). */
function describeEventSourceMappings(template: Template, functions: LocalFunction[], queues: LocalQueue[], active: Array<[string, TemplateResource]>, ctx: LocalContext): LocalEventSourceMapping[] {
  const mappings: LocalEventSourceMapping[] = [];
  for (const [logicalId, resource] of active.filter(([, r]) => r.Type === 'AWS::Lambda::EventSourceMapping')) {
    const props = resolveValue(resource.Properties ?? {}, template, ctx) as Record<string, any>;
    if (String(props.Enabled ?? true) === 'false') continue;
    const queue = queues.find((q) => q.arn === props.EventSourceArn);
    const fn = functions.find((f) => f.functionName === props.FunctionName || f.arn === props.FunctionName);
    if (!queue || !fn) continue;
    mappings.push({
      logicalId,
      functionArn: fn.arn,
      queueArn: queue.arn,
      batchSize: Number(props.BatchSize ?? 10),
      maximumBatchingWindowSeconds: Number(props.MaximumBatchingWindowInSeconds ?? 0),
      reportBatchItemFailures: (props.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures'),
      ...(props.ScalingConfig?.MaximumConcurrency !== undefined ? { maximumConcurrency: Number(props.ScalingConfig.MaximumConcurrency) } : {}),
    });
  }
  return mappings;
}

function describeSmsEventDestinations(template: Template, active: Array<[string, TemplateResource]>, ctx: LocalContext): LocalSmsEventDestination[] {
  const destinations: LocalSmsEventDestination[] = [];
  for (const [logicalId, resource] of active.filter(([, r]) => r.Type === 'AWS::SMSVOICE::ConfigurationSet')) {
    const props = resolveValue(resource.Properties ?? {}, template, ctx) as Record<string, any>;
    for (const destination of props.EventDestinations ?? []) {
      if (!destination.Enabled || !destination.SnsDestination?.TopicArn) continue;
      destinations.push({
        configurationSetName: String(refOf(logicalId, template, ctx)),
        topicArn: String(destination.SnsDestination.TopicArn),
        matchingEventTypes: (destination.MatchingEventTypes ?? []).map(String),
      });
    }
  }
  return destinations;
}

/**
 * Lists what the local cloud runs from a synthesized template: tables, buckets, functions (with their bundle
 * directory in `assemblyDir` and resolved environment), state machines, HTTP API routes, schedules, event rules,
 * SNS Lambda and SQS subscriptions, SMS event destinations, SQS queues and the event source mappings that read them, outputs.
 * Resources whose Condition is false are left out; outputs that have no local value are left out.
 * @example const app = describeTemplate(JSON.parse(readFileSync('cdk.out/App.template.json', 'utf8')), 'cdk.out', { region: 'eu-west-3', accountId: '000000000000', stackName: 'App' });
 */
export function describeTemplate(template: Template, assemblyDir: string, ctx: LocalContext): LocalApp {
  const active = Object.entries(template.Resources).filter(([, r]) => !r.Condition || evaluateCondition(r.Condition, template, ctx));
  const ofType = (...types: string[]) => active.filter(([, r]) => types.includes(r.Type));
  const functions = ofType('AWS::Lambda::Function').map(([id, r]) => describeFunction(id, r, template, assemblyDir, ctx));
  const queues = describeQueues(template, active, ctx);
  const outputs: Record<string, string> = {};
  for (const [key, output] of Object.entries(template.Outputs ?? {})) {
    if (output.Condition && !evaluateCondition(output.Condition, template, ctx)) continue;
    try {
      outputs[key] = str(resolveValue(output.Value, template, ctx));
    } catch (error) {
      if (!(error instanceof UnresolvableError)) throw error;
    }
  }
  return {
    tables: ofType('AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable').map(([id, r]) => describeTable(id, r, template, ctx)),
    buckets: ofType('AWS::S3::Bucket').map(([id, r]) => describeBucket(id, r, template, ctx)),
    functions,
    stateMachines: ofType('AWS::StepFunctions::StateMachine').map(([id, r]) => describeStateMachine(id, r, template, assemblyDir, ctx)),
    routes: describeRoutes(template, functions, active, ctx),
    schedules: describeSchedules(template, active, ctx),
    eventRules: describeEventRules(template, functions, queues, active, ctx),
    topicSubscriptions: describeTopicSubscriptions(template, active, ctx),
    smsEventDestinations: describeSmsEventDestinations(template, active, ctx),
    queues,
    eventSourceMappings: describeEventSourceMappings(template, functions, queues, active, ctx),
    userPoolClientIds: ofType('AWS::Cognito::UserPoolClient').map(([id]) => String(refOf(id, template, ctx))),
    outputs,
  };
}
