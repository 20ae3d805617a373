import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App, CfnOutput, Duration, RemovalPolicy, Stack, TimeZone } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as snsSubscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { describeTemplate, resolveValue, UnresolvableError, type LocalApp, type LocalContext, type Template } from '../../infra/local/template.js';

const entry = fileURLToPath(new URL('../fixtures/local/hello-handler.ts', import.meta.url));
const ctx: LocalContext = { region: 'eu-west-3', accountId: '123456789012', stackName: 'Probe' };

let outdir: string;
let template: Template;
let local: LocalApp;
const ids: Record<string, string> = {};

/** A small stack with each kind of resource the local cloud reads, synthesized once for the file. */
function synthesize(): void {
  // The built-in CloudFormation validation is the slow part of synth and is not what this test checks.
  const app = new App({ outdir, builtinCloudFormationValidation: false, context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new Stack(app, 'Probe', { env: { account: ctx.accountId, region: ctx.region } });
  const table = new dynamodb.TableV2(stack, 'Table', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    timeToLiveAttribute: 'expiresAt',
    globalSecondaryIndexes: [
      { indexName: 'gsi1', partitionKey: { name: 'gsi1pk', type: dynamodb.AttributeType.STRING }, sortKey: { name: 'gsi1sk', type: dynamodb.AttributeType.STRING } },
    ],
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const worker = new NodejsFunction(stack, 'Worker', {
    entry,
    runtime: lambda.Runtime.NODEJS_22_X,
    timeout: Duration.seconds(5),
    memorySize: 256,
    environment: { TABLE_NAME: table.tableName },
  });
  const machine = new sfn.StateMachine(stack, 'Machine', {
    definitionBody: sfn.DefinitionBody.fromChainable(new tasks.LambdaInvoke(stack, 'Call', { lambdaFunction: worker, payloadResponseOnly: true })),
  });
  const api = new NodejsFunction(stack, 'Api', {
    entry,
    runtime: lambda.Runtime.NODEJS_22_X,
    functionName: 'probe-api',
    environment: { TABLE_NAME: table.tableName, STATE_MACHINE_ARN: machine.stateMachineArn },
  });
  const pool = new cognito.UserPool(stack, 'Pool', { removalPolicy: RemovalPolicy.DESTROY });
  const client = pool.addClient('Web');
  const http = new apigw.HttpApi(stack, 'Http');
  http.addRoutes({
    path: '/api/things/{id}',
    methods: [apigw.HttpMethod.GET],
    integration: new HttpLambdaIntegration('ApiInt', api),
    authorizer: new HttpUserPoolAuthorizer('Auth', pool, { userPoolClients: [client] }),
  });
  http.addRoutes({ path: '/{proxy+}', methods: [apigw.HttpMethod.GET], integration: new HttpLambdaIntegration('PubInt', api) });
  new scheduler.Schedule(stack, 'Monthly', {
    schedule: scheduler.ScheduleExpression.cron({ minute: '0', hour: '6', day: '1', timeZone: TimeZone.EUROPE_PARIS }),
    target: new schedulerTargets.StepFunctionsStartExecution(machine, { input: scheduler.ScheduleTargetInput.fromObject({ kind: 'monthly' }) }),
  });
  new events.Rule(stack, 'Tick', { schedule: events.Schedule.rate(Duration.minutes(5)), targets: [new eventsTargets.LambdaFunction(worker)] });
  const key = new kms.Key(stack, 'Key', { removalPolicy: RemovalPolicy.DESTROY });
  const bucket = new s3.Bucket(stack, 'Documents', {
    encryption: s3.BucketEncryption.KMS,
    encryptionKey: key,
    bucketKeyEnabled: true,
    cors: [{ allowedOrigins: [http.apiEndpoint, 'http://localhost:3000'], allowedMethods: [s3.HttpMethods.PUT], allowedHeaders: ['*'], exposedHeaders: ['ETag'], maxAge: 600 }],
    lifecycleRules: [{ prefix: 'incoming/', expiration: Duration.days(1) }, { expiration: Duration.days(30), enabled: false }],
    removalPolicy: RemovalPolicy.DESTROY,
  });
  worker.addEnvironment('BUCKET', bucket.bucketName);
  // A queue between a rule (and a topic) and a function, with its dead letters.
  const deadLetters = new sqs.Queue(stack, 'DeadLetters', { retentionPeriod: Duration.days(14) });
  const reports = new sqs.Queue(stack, 'Reports', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    visibilityTimeout: Duration.seconds(45),
    retentionPeriod: Duration.days(4),
    deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 },
  });
  new events.Rule(stack, 'Reported', { eventPattern: { source: ['probe'] }, targets: [new eventsTargets.SqsQueue(reports), new eventsTargets.LambdaFunction(api)] });
  new sns.Topic(stack, 'Topic').addSubscription(new snsSubscriptions.SqsSubscription(reports, { rawMessageDelivery: true }));
  worker.addEventSource(new SqsEventSource(reports, { batchSize: 100, maxBatchingWindow: Duration.seconds(2), reportBatchItemFailures: true, maxConcurrency: 3 }));
  new CfnOutput(stack, 'ApiUrl', { value: http.apiEndpoint });
  new CfnOutput(stack, 'TableArn', { value: table.tableArn });
  for (const [name, construct] of Object.entries({ table, worker, machine, api, pool, client, http, key, bucket, reports, deadLetters })) {
    ids[name] = stack.getLogicalId(construct.node.defaultChild as any);
  }
  app.synth();
}

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'template-test-'));
  synthesize();
  template = JSON.parse(readFileSync(join(outdir, 'Probe.template.json'), 'utf8')) as Template;
  local = describeTemplate(template, outdir, {
    ...ctx,
    attributes: {
      [ids.pool!]: { ProviderURL: 'http://127.0.0.1:4000/pool' },
      [ids.http!]: { ApiEndpoint: 'http://127.0.0.1:3000' },
    },
  });
});

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('describeTemplate on a synthesized stack', () => {
  it('describes the table with its keys, GSI and TTL', () => {
    expect(local.tables).toHaveLength(1);
    const table = local.tables[0]!;
    expect(table.tableName).toBe(`Probe-${ids.table}`);
    expect(table.arn).toBe(`arn:aws:dynamodb:eu-west-3:123456789012:table/Probe-${ids.table}`);
    expect(table.ttlAttribute).toBe('expiresAt');
    expect(table.createTableInput).toEqual({
      TableName: table.tableName,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: ['pk', 'sk', 'gsi1pk', 'gsi1sk'].map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
      GlobalSecondaryIndexes: [
        {
          IndexName: 'gsi1',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
  });

  it("describes the bucket: its name as functions get it, its CORS rules with the local origin, default encryption and enabled expirations", () => {
    const name = `probe-${ids.bucket!.toLowerCase()}`;
    expect(local.buckets).toEqual([
      {
        logicalId: ids.bucket,
        name,
        cors: [{ allowedOrigins: ['http://127.0.0.1:3000', 'http://localhost:3000'], allowedMethods: ['PUT'], allowedHeaders: ['*'], exposedHeaders: ['ETag'], maxAgeSeconds: 600 }],
        encryption: { algorithm: 'aws:kms', kmsKeyId: expect.stringMatching(/^arn:aws:kms:eu-west-3:123456789012:key\/[0-9a-f-]{36}$/), bucketKeyEnabled: true },
        expirations: [{ prefix: 'incoming/', days: 1 }],
      },
    ]);
    expect(local.functions.find((fn) => fn.logicalId === ids.worker)?.environment.BUCKET).toBe(name);
  });

  it('names functions, resolves their environment and finds their bundle', () => {
    const worker = local.functions.find((f) => f.logicalId === ids.worker)!;
    const api = local.functions.find((f) => f.logicalId === ids.api)!;
    const machineArn = `arn:aws:states:eu-west-3:123456789012:stateMachine:Probe-${ids.machine}`;
    expect(worker).toMatchObject({
      functionName: `Probe-${ids.worker}`,
      arn: `arn:aws:lambda:eu-west-3:123456789012:function:Probe-${ids.worker}`,
      handler: 'index.handler',
      runtime: 'nodejs22.x',
      timeoutSeconds: 5,
      memoryMb: 256,
      environment: { TABLE_NAME: `Probe-${ids.table}` },
    });
    expect(api).toMatchObject({
      functionName: 'probe-api',
      arn: 'arn:aws:lambda:eu-west-3:123456789012:function:probe-api',
      timeoutSeconds: 3,
      memoryMb: 128,
      environment: { TABLE_NAME: `Probe-${ids.table}`, STATE_MACHINE_ARN: machineArn },
    });
    for (const fn of [worker, api]) {
      expect(fn.bundleDir.startsWith(outdir)).toBe(true);
      expect(existsSync(join(fn.bundleDir, 'index.js'))).toBe(true);
    }
  });

  it('finds the bundle from the asset manifest when the asset metadata is absent', () => {
    const copy = structuredClone(template);
    for (const resource of Object.values(copy.Resources)) delete resource.Metadata;
    const worker = describeTemplate(copy, outdir, ctx).functions.find((f) => f.logicalId === ids.worker)!;
    expect(existsSync(join(worker.bundleDir, 'index.js'))).toBe(true);
  });

  it('resolves the state machine definition with the function ARN', () => {
    expect(local.stateMachines).toHaveLength(1);
    const machine = local.stateMachines[0]!;
    expect(machine.name).toBe(`Probe-${ids.machine}`);
    expect(machine.arn).toBe(`arn:aws:states:eu-west-3:123456789012:stateMachine:Probe-${ids.machine}`);
    expect(machine.definition).toMatchObject({
      StartAt: 'Call',
      States: { Call: { Type: 'Task', Resource: `arn:aws:lambda:eu-west-3:123456789012:function:Probe-${ids.worker}`, End: true } },
    });
  });

  it('lists routes with their function and JWT authorizer, the issuer pointed at the local one', () => {
    const clientId = resolveValue({ Ref: ids.client }, template, ctx) as string;
    expect(clientId).toMatch(/^[a-z0-9]{26}$/);
    const byKey = Object.fromEntries(local.routes.map((r) => [r.routeKey, r]));
    expect(Object.keys(byKey).sort()).toEqual(['GET /api/things/{id}', 'GET /{proxy+}']);
    expect(byKey['GET /api/things/{id}']).toEqual({
      routeKey: 'GET /api/things/{id}',
      functionLogicalId: ids.api,
      functionArn: 'arn:aws:lambda:eu-west-3:123456789012:function:probe-api',
      authorizer: { type: 'JWT', issuer: 'http://127.0.0.1:4000/pool', audience: [clientId], identitySource: '$request.header.Authorization' },
    });
    expect(byKey['GET /{proxy+}']!.authorizer).toBeUndefined();
  });

  it('keeps the Cognito issuer when no override is given', () => {
    const route = describeTemplate(template, outdir, ctx).routes.find((r) => r.authorizer)!;
    const poolId = resolveValue({ Ref: ids.pool }, template, ctx) as string;
    expect(poolId).toMatch(/^eu-west-3_[A-Za-z0-9]{9}$/);
    expect(route.authorizer!.issuer).toBe(`https://cognito-idp.eu-west-3.amazonaws.com/${poolId}`);
    expect(resolveValue({ 'Fn::GetAtt': [ids.pool, 'ProviderURL'] }, template, ctx)).toBe(route.authorizer!.issuer);
  });

  it('lists the scheduler schedule and the EventBridge rate rule', () => {
    const machineArn = `arn:aws:states:eu-west-3:123456789012:stateMachine:Probe-${ids.machine}`;
    const monthly = local.schedules.find((s) => s.logicalId.startsWith('Monthly'))!;
    expect(monthly).toMatchObject({ expression: 'cron(0 6 1 * ? *)', timezone: 'Europe/Paris', target: { arn: machineArn, input: '{"kind":"monthly"}' } });
    expect(monthly.name).toBe(`Probe-${monthly.logicalId}`);
    const tick = local.schedules.find((s) => s.logicalId.startsWith('Tick'))!;
    expect(tick).toMatchObject({ expression: 'rate(5 minutes)', target: { arn: `arn:aws:lambda:eu-west-3:123456789012:function:Probe-${ids.worker}` } });
  });

  it('describes the queues with their settings and redrive, the rule and topic that feed one, and the mapping that reads it', () => {
    const name = (id: string) => `Probe-${id}`;
    const arnOf = (id: string) => `arn:aws:sqs:eu-west-3:123456789012:${name(id)}`;
    expect(local.queues.find((q) => q.logicalId === ids.reports)).toEqual({
      logicalId: ids.reports,
      name: name(ids.reports!),
      arn: arnOf(ids.reports!),
      url: `https://sqs.eu-west-3.amazonaws.com/123456789012/${name(ids.reports!)}`,
      visibilityTimeoutSeconds: 45,
      retentionSeconds: 4 * 86_400,
      delaySeconds: 0,
      receiveWaitSeconds: 0,
      maxMessageBytes: 262_144,
      redrive: { deadLetterTargetArn: arnOf(ids.deadLetters!), maxReceiveCount: 5 },
      sqsManagedSse: true,
    });
    const deadLetters = local.queues.find((q) => q.logicalId === ids.deadLetters)!;
    expect(deadLetters).toMatchObject({ visibilityTimeoutSeconds: 30, retentionSeconds: 14 * 86_400 });
    expect(deadLetters.redrive).toBeUndefined();
    const rule = local.eventRules.find((r) => r.logicalId.startsWith('Reported'))!;
    const worker = local.functions.find((f) => f.logicalId === ids.worker)!;
    const api = local.functions.find((f) => f.logicalId === ids.api)!;
    expect(rule.targets).toEqual([{ arn: arnOf(ids.reports!), type: 'sqs' }, { arn: api.arn }]);
    expect(local.topicSubscriptions).toEqual([expect.objectContaining({ endpoint: arnOf(ids.reports!), protocol: 'sqs', rawMessageDelivery: true })]);
    expect(local.eventSourceMappings).toEqual([
      expect.objectContaining({ functionArn: worker.arn, queueArn: arnOf(ids.reports!), batchSize: 100, maximumBatchingWindowSeconds: 2, reportBatchItemFailures: true, maximumConcurrency: 3 }),
    ]);
  });

  it('resolves outputs, with attribute overrides winning', () => {
    expect(local.outputs).toEqual({ ApiUrl: 'http://127.0.0.1:3000', TableArn: `arn:aws:dynamodb:eu-west-3:123456789012:table/Probe-${ids.table}` });
    const plain = describeTemplate(template, outdir, ctx).outputs.ApiUrl;
    expect(plain).toMatch(/^https:\/\/[a-z0-9]{10}\.execute-api\.eu-west-3\.amazonaws\.com$/);
  });
});

describe('resolveValue', () => {
  const small: Template = {
    Parameters: { Stage: { Type: 'String', Default: 'dev' } },
    Conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] }, NotProd: { 'Fn::Not': [{ Condition: 'IsProd' }] } },
    Resources: {
      Key: { Type: 'AWS::KMS::Key' },
      Role: { Type: 'AWS::IAM::Role', Properties: { RoleName: 'my-role' } },
      Topic: { Type: 'AWS::SNS::Topic' },
      Queue: { Type: 'AWS::SQS::Queue' },
      Logs: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: '/app/logs' } },
      Set: { Type: 'AWS::SES::ConfigurationSet', Properties: { Name: 'mail-set' } },
      Thing: { Type: 'AWS::Custom::Widget' },
      ALogicalIdThatIsMuchTooLongForALambdaFunctionNameOnceTheStackNameIsAdded0123: { Type: 'AWS::Lambda::Function' },
    },
  };
  const r = (value: unknown, c: LocalContext = ctx) => resolveValue(value, small, c);

  it('resolves pseudo parameters and parameter defaults', () => {
    expect(r({ 'Fn::Join': [':', [{ Ref: 'AWS::Partition' }, { Ref: 'AWS::Region' }, { Ref: 'AWS::AccountId' }, { Ref: 'AWS::URLSuffix' }, { Ref: 'AWS::StackName' }]] })).toBe(
      'aws:eu-west-3:123456789012:amazonaws.com:Probe',
    );
    expect(r({ Ref: 'Stage' })).toBe('dev');
  });

  it('resolves Fn::Sub in both forms, with attributes and escapes', () => {
    expect(r({ 'Fn::Sub': 'arn:${AWS::Partition}:x:${AWS::Region}:${Role.Arn}:${!Literal}' })).toBe(
      'arn:aws:x:eu-west-3:arn:aws:iam::123456789012:role/my-role:${Literal}',
    );
    expect(r({ 'Fn::Sub': ['${Name}-${Stage}', { Name: { Ref: 'Set' } }] })).toBe('mail-set-dev');
  });

  it('resolves Fn::Select, Fn::Split, Fn::If and drops AWS::NoValue', () => {
    expect(r({ 'Fn::Select': [1, { 'Fn::Split': [',', 'a,b,c'] }] })).toBe('b');
    expect(r({ A: { 'Fn::If': ['IsProd', 'big', 'small'] }, B: { 'Fn::If': ['IsProd', 'x', { Ref: 'AWS::NoValue' }] }, C: [1, { Ref: 'AWS::NoValue' }] })).toEqual({ A: 'small', C: [1] });
    expect(r({ 'Fn::If': ['NotProd', 'yes', 'no'] })).toBe('yes');
  });

  it('gives ARNs in the usual shapes and a generic fallback', () => {
    expect(r({ 'Fn::GetAtt': ['Key', 'Arn'] })).toMatch(/^arn:aws:kms:eu-west-3:123456789012:key\/[0-9a-f]{8}-[0-9a-f]{4}-/);
    expect(r({ 'Fn::GetAtt': ['Key', 'Arn'] })).toBe(`arn:aws:kms:eu-west-3:123456789012:key/${r({ Ref: 'Key' })}`);
    expect(r({ Ref: 'Topic' })).toBe('arn:aws:sns:eu-west-3:123456789012:Probe-Topic');
    expect(r({ Ref: 'Queue' })).toBe('https://sqs.eu-west-3.amazonaws.com/123456789012/Probe-Queue');
    expect(r({ 'Fn::GetAtt': ['Queue', 'Arn'] })).toBe('arn:aws:sqs:eu-west-3:123456789012:Probe-Queue');
    expect(r({ 'Fn::GetAtt': ['Logs', 'Arn'] })).toBe('arn:aws:logs:eu-west-3:123456789012:log-group:/app/logs:*');
    expect(r({ Ref: 'Set' })).toBe('mail-set');
    expect(r({ Ref: 'Thing' })).toBe('Probe-Thing');
    expect(r({ 'Fn::GetAtt': ['Thing', 'Arn'] })).toBe('arn:aws:custom:eu-west-3:123456789012:widget/Probe-Thing');
    expect(() => r({ 'Fn::GetAtt': ['Thing', 'Color'] })).toThrow(UnresolvableError);
  });

  it('shortens generated names to the service limit, keeping them distinct', () => {
    const name = r({ Ref: 'ALogicalIdThatIsMuchTooLongForALambdaFunctionNameOnceTheStackNameIsAdded0123' }) as string;
    expect(name).toHaveLength(64);
    expect(name.startsWith('Probe-ALogicalId')).toBe(true);
  });

  it('lets attribute overrides win and refuses Fn::ImportValue', () => {
    expect(r({ Ref: 'Topic' }, { ...ctx, attributes: { Topic: { Ref: 'local-topic' } } })).toBe('local-topic');
    expect(r({ Ref: 'Stage' }, { ...ctx, attributes: { Stage: { Ref: 'test' } } })).toBe('test');
    expect(() => r({ 'Fn::ImportValue': 'Shared-Thing' })).toThrow(/ImportValue/);
    expect(() => r({ 'Fn::Cidr': ['10.0.0.0/16', 2, 8] })).toThrow(/Unsupported intrinsic/);
  });
});
