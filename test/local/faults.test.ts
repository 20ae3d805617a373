import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { PinpointSMSVoiceV2Client, SendTextMessageCommand } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startLocalCloud, type LocalCloud } from '../../infra/local/cloud.js';
import { FAULT_SERVICES, FaultLayer, type FaultService, type FaultSettings } from '../../infra/local/faults.js';
import type { ProbeEvent, ProbeResult } from '../fixtures/local/aws-probe-handler.js';

const probeEntry = fileURLToPath(new URL('../fixtures/local/aws-probe-handler.ts', import.meta.url));
const STACK = 'Faults-probe';
let workDir: string;
let assemblyDir: string;
const clouds: LocalCloud[] = [];
let cloud: LocalCloud;

/** The smallest app that calls the five services from a function: a table, a bucket, a probe function and a one-state machine. */
function writeAssembly(dir: string): void {
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ artifacts: { [STACK]: { type: 'aws:cloudformation:stack', properties: { templateFile: `${STACK}.template.json` } } } }));
  const template = {
    Resources: {
      ProbeTable: {
        Type: 'AWS::DynamoDB::Table',
        Properties: { KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' },
      },
      Probe: {
        Type: 'AWS::Lambda::Function',
        Metadata: { 'aws:asset:path': 'asset.probe' },
        Properties: { Handler: 'index.handler', Runtime: 'nodejs22.x', Timeout: 60, Code: { S3Bucket: 'assets', S3Key: 'probe.zip' }, Environment: { Variables: { TABLE_NAME: { Ref: 'ProbeTable' }, BUCKET: { Ref: 'ProbeBucket' } } } },
      },
      ProbeBucket: { Type: 'AWS::S3::Bucket' },
      Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } }) } },
    },
  };
  writeFileSync(join(dir, `${STACK}.template.json`), JSON.stringify(template));
}

const startProbeCloud = async (faults: FaultSettings) => {
  const dataDir = mkdtempSync(join(workDir, 'data-'));
  const started = await startLocalCloud({
    assemblyDir,
    dataDir,
    port: 0,
    tickMs: 200,
    dynamodbEndpoint: inject('dynamodbEndpoint'),
    accessKeyId: `faults${randomUUID().replace(/-/g, '').slice(0, 12)}`,
    deliveryEventDelayMs: 0,
    faults,
  });
  clouds.push(started);
  return started;
};

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'faults-test-'));
  assemblyDir = join(workDir, 'assembly');
  mkdirSync(join(assemblyDir, 'asset.probe'), { recursive: true });
  // The SDK clients bundled in, as NodejsFunction bundles an app's function.
  await build({ entryPoints: [probeEntry], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile: join(assemblyDir, 'asset.probe', 'index.js'), logLevel: 'silent' });
  writeAssembly(assemblyDir);
  // Every service behind the fault layer, with no fault until a test asks for some.
  cloud = await startProbeCloud({ dynamodb: 0, ses: 0, sms: 0, stepfunctions: 0, s3: 0 });
});

afterAll(async () => {
  for (const started of clouds) await started.stop();
  rmSync(workDir, { recursive: true, force: true });
});

/** The SDK's attempts by default: DynamoDB's client makes 4, the others 3. */
const SDK_ATTEMPTS: Record<FaultService, number> = { dynamodb: 4, ses: 3, sms: 3, stepfunctions: 3, s3: 3 };

const machineArn = () => cloud.app.stateMachines[0]!.arn;
const probeArn = () => cloud.app.functions[0]!.arn;

/** One SDK call from inside the probe function (a worker thread of the local cloud's Lambda runtime). */
async function probe(service: FaultService, extra: Partial<ProbeEvent> = {}): Promise<ProbeResult> {
  const outcome = await cloud.lambda.invoke(probeArn(), { service, stateMachineArn: machineArn(), ...extra } satisfies ProbeEvent);
  if (!outcome.ok) throw new Error(`probe failed: ${outcome.errorType} ${outcome.errorMessage}`);
  return outcome.result as ProbeResult;
}

const injected = (service: FaultService) => {
  const { calls: _calls, ...kinds } = cloud.faults.stats()[service];
  return Object.values(kinds).reduce((sum, n) => sum + n, 0);
};

/** No fault anywhere, every kind allowed again. */
const calm = () => cloud.faults.set({ dynamodb: 0, ses: 0, sms: 0, stepfunctions: 0, s3: 0, kinds: ['throttle', 'error', 'timeout', 'after'], timeoutMs: 1000 });

const executionsCount = async () => (await cloud.engine.listExecutions({ stateMachineArn: machineArn(), maxResults: 1000 })).executions.length;

describe('the fault layer, between the functions and the services', () => {
  it('puts a proxy in front of each service given a share, and none in front of the others', async () => {
    expect(cloud.functionEndpoints.AWS_ENDPOINT_URL_DYNAMODB).not.toBe(cloud.urls.dynamodb);
    expect(cloud.functionEndpoints.AWS_ENDPOINT_URL_SFN).not.toBe(cloud.urls.awsEndpoint);
    expect(cloud.functionEndpoints.AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2).not.toBe(cloud.urls.awsEndpoint);
    expect(cloud.functionEndpoints.AWS_ENDPOINT_URL_SESV2).not.toBe(cloud.ses.endpoint);
    expect(cloud.functionEndpoints.AWS_ENDPOINT_URL_S3).not.toBe(cloud.urls.s3);

    const partial = await startProbeCloud({ ses: 0.5 });
    expect(partial.functionEndpoints).toMatchObject({ AWS_ENDPOINT_URL_DYNAMODB: partial.urls.dynamodb, AWS_ENDPOINT_URL_SFN: partial.urls.awsEndpoint, AWS_ENDPOINT_URL_S3: partial.urls.s3 });
    expect(partial.functionEndpoints.AWS_ENDPOINT_URL_SESV2).not.toBe(partial.ses.endpoint);
    // A service without a proxy cannot be faulted later: said at once rather than silently ignored.
    expect(() => partial.faults.set({ dynamodb: 0.1 })).toThrow(/dynamodb is not behind the fault layer/);
    await partial.stop();
    clouds.splice(clouds.indexOf(partial), 1);
  });

  it.each([
    ['dynamodb', 400, ['ThrottlingException', 'ProvisionedThroughputExceededException']],
    ['ses', 429, ['TooManyRequestsException']],
    ['sms', 400, ['ThrottlingException']],
    ['stepfunctions', 400, ['ThrottlingException']],
    ['s3', 503, ['SlowDown']],
  ] as const)('throttles %s with status %i and the error the SDK knows, retried by the SDK', async (service, status, names) => {
    calm();
    cloud.faults.set({ [service]: 1, kinds: ['throttle'] });
    const before = cloud.faults.stats()[service];
    const result = await probe(service);
    expect(result).toMatchObject({ ok: false, status, attempts: SDK_ATTEMPTS[service] });
    expect(names).toContain(result.name);
    expect(cloud.faults.stats()[service]).toMatchObject({ calls: before.calls + SDK_ATTEMPTS[service], throttle: before.throttle + SDK_ATTEMPTS[service] });
  });

  it.each([
    ['dynamodb', ['InternalServerError', 'ServiceUnavailable']],
    ['ses', ['InternalServiceErrorException']],
    ['sms', ['InternalServerException']],
    ['stepfunctions', ['InternalFailure', 'ServiceUnavailable']],
    ['s3', ['InternalError']],
  ] as const)('answers %s calls with a 5xx, retried by the SDK', async (service, names) => {
    calm();
    cloud.faults.set({ [service]: 1, kinds: ['error'] });
    const result = await probe(service);
    expect(result).toMatchObject({ ok: false, attempts: SDK_ATTEMPTS[service] });
    expect(names).toContain(result.name);
    expect([500, 503]).toContain(result.status);
  });

  it.each(FAULT_SERVICES)('drops the connection of a %s call after it hung: the SDK sees a reset and retries', async (service) => {
    calm();
    cloud.faults.set({ [service]: 1, kinds: ['timeout'], timeoutMs: 150 });
    const started = Date.now();
    const result = await probe(service);
    expect(result).toMatchObject({ ok: false, code: 'ECONNRESET', attempts: SDK_ATTEMPTS[service] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(SDK_ATTEMPTS[service] * 150);
    expect(cloud.faults.stats()[service].timeout).toBeGreaterThanOrEqual(SDK_ATTEMPTS[service]);
  });

  it('executes a DynamoDB write in "after" mode, then answers 500: each SDK retry writes again', async () => {
    calm();
    cloud.faults.set({ dynamodb: 1, kinds: ['after'] });
    const key = randomUUID();
    expect(await probe('dynamodb', { key })).toMatchObject({ ok: false, name: 'InternalServerError', status: 500, attempts: 4 });
    calm();
    const item = await cloud.documentClient.send(new GetCommand({ TableName: cloud.tableName, Key: { pk: key }, ConsistentRead: true }));
    expect(item.Item).toMatchObject({ n: 4 });
  });

  it('starts the execution in "after" mode, then answers 500: each SDK retry starts another one', async () => {
    calm();
    const before = await executionsCount();
    cloud.faults.set({ stepfunctions: 1, kinds: ['after'] });
    expect(await probe('stepfunctions')).toMatchObject({ ok: false, name: 'InternalFailure', status: 500, attempts: 3 });
    calm();
    expect(await executionsCount()).toBe(before + 3);
  });

  it('executes an S3 PUT in "after" mode, then answers 500: the object is there although the SDK saw only failures', async () => {
    calm();
    cloud.faults.set({ s3: 1, kinds: ['after'] });
    const key = `after/${randomUUID()}`;
    expect(await probe('s3', { key })).toMatchObject({ ok: false, name: 'InternalError', status: 500, attempts: 3 });
    calm();
    const direct = new S3Client({ region: 'eu-west-3', endpoint: cloud.urls.s3, forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'local' } });
    const head = await direct.send(new HeadObjectCommand({ Bucket: cloud.app.buckets[0]!.name, Key: key }));
    direct.destroy();
    expect(head.ContentLength).toBe('probe'.length);
  });

  it('lets the SDK absorb faults at a share: every call succeeds, some after retries, one retry per fault', async () => {
    calm();
    cloud.faults.set({ dynamodb: 0.4, ses: 0.4, sms: 0.4, stepfunctions: 0.4, s3: 0.4, kinds: ['throttle', 'error', 'timeout'], timeoutMs: 50, seed: 11 });
    for (const service of FAULT_SERVICES) {
      const before = injected(service);
      const results: ProbeResult[] = [];
      for (let i = 0; i < 6; i++) results.push(await probe(service, { maxAttempts: 10 }));
      expect(results.every((r) => r.ok)).toBe(true);
      expect(results.some((r) => r.attempts! > 1)).toBe(true);
      expect(results.reduce((sum, r) => sum + r.attempts! - 1, 0)).toBe(injected(service) - before);
    }
  });

  it('injects nothing at a share of 0', async () => {
    calm();
    const before = cloud.faults.stats();
    for (const service of FAULT_SERVICES) expect(await probe(service)).toMatchObject({ ok: true, attempts: 1 });
    const after = cloud.faults.stats();
    for (const service of FAULT_SERVICES) expect(after[service]).toEqual({ ...before[service], calls: before[service].calls + 1 });
  });

  it('reproduces the same faults from the same seed', async () => {
    calm();
    const run = async (seed: number) => {
      // 5xx only: the SDK waits less before retrying them than after a throttling error.
      cloud.faults.set({ dynamodb: 0.5, kinds: ['error'], seed });
      const attempts: number[] = [];
      for (let i = 0; i < 8; i++) attempts.push((await probe('dynamodb', { maxAttempts: 10 })).attempts!);
      return attempts;
    };
    const first = await run(42);
    expect(first.some((n) => n > 1)).toBe(true);
    expect(await run(42)).toEqual(first);
    expect(await run(43)).not.toEqual(first);
  });

  it('never faults the harness, the engine or anything else that reaches the services directly', async () => {
    cloud.faults.set({ dynamodb: 1, ses: 1, sms: 1, stepfunctions: 1, s3: 1, kinds: ['throttle', 'error', 'after'] });
    const before = cloud.faults.stats();
    const credentials = { accessKeyId: cloud.accessKeyId, secretAccessKey: 'local' };
    const region = 'eu-west-3';
    const key = randomUUID();
    await cloud.documentClient.send(new PutCommand({ TableName: cloud.tableName, Item: { pk: key, n: 1 } }));
    expect((await cloud.documentClient.send(new GetCommand({ TableName: cloud.tableName, Key: { pk: key } }))).Item).toMatchObject({ n: 1 });
    const ses = new SESv2Client({ endpoint: cloud.ses.endpoint, region, credentials, maxAttempts: 1 });
    const sms = new PinpointSMSVoiceV2Client({ endpoint: cloud.urls.awsEndpoint, region, credentials, maxAttempts: 1 });
    const sfn = new SFNClient({ endpoint: cloud.urls.awsEndpoint, region, credentials, maxAttempts: 1 });
    const s3 = new S3Client({ endpoint: cloud.urls.s3, forcePathStyle: true, region, credentials, maxAttempts: 1 });
    try {
      await s3.send(new HeadObjectCommand({ Bucket: cloud.app.buckets[0]!.name, Key: 'harness' })).catch((error: Error) => expect(error.name).toBe('NotFound'));
      await ses.send(new SendEmailCommand({ FromEmailAddress: 'harness@example.org', Destination: { ToAddresses: ['a@example.org'] }, Content: { Simple: { Subject: { Data: 'x' }, Body: { Text: { Data: 'x' } } } } }));
      await sms.send(new SendTextMessageCommand({ DestinationPhoneNumber: '+33612345679', MessageBody: 'x' }));
      await sfn.send(new StartExecutionCommand({ stateMachineArn: machineArn(), input: '{}' }));
      await cloud.engine.startExecution({ stateMachineArn: machineArn(), input: '{}' });
    } finally {
      ses.destroy();
      sms.destroy();
      sfn.destroy();
      s3.destroy();
    }
    expect(cloud.faults.stats()).toEqual(before);
    calm();
  });
});

describe('FaultLayer', () => {
  const sequence = (layer: FaultLayer, service: FaultService, n: number) => Array.from({ length: n }, () => layer.decide(service)?.kind ?? '-').join('');

  it('draws the same sequence from the same seed, per service whatever the others do', () => {
    const a = new FaultLayer({ dynamodb: 0.3, ses: 0.3, seed: 5 });
    const b = new FaultLayer({ dynamodb: 0.3, ses: 0.3, seed: 5 });
    const first = sequence(a, 'dynamodb', 60);
    // Calls of another service in between do not move dynamodb's draws.
    sequence(b, 'ses', 17);
    expect(sequence(b, 'dynamodb', 60)).toBe(first);
    expect(sequence(new FaultLayer({ dynamodb: 0.3, seed: 6 }), 'dynamodb', 60)).not.toBe(first);
    expect(first).toMatch(/throttle/);
  });

  it('counts every call and each fault by kind, and gives "after" only to DynamoDB and Step Functions', () => {
    const layer = new FaultLayer({ dynamodb: 1, ses: 1, kinds: ['after'], seed: 1 });
    expect(sequence(layer, 'ses', 5)).toBe('-----');
    expect(sequence(layer, 'dynamodb', 4)).toBe('after'.repeat(4));
    expect(layer.stats()).toMatchObject({ ses: { calls: 5, after: 0 }, dynamodb: { calls: 4, after: 4, throttle: 0 } });
    expect(layer.decide('dynamodb')?.answer).toMatchObject({ status: 500, type: 'InternalServerError' });
  });

  it('refuses a share outside 0..1 and unknown kinds', () => {
    const layer = new FaultLayer({ dynamodb: 0 });
    expect(() => layer.set({ dynamodb: 1.5 })).toThrow(RangeError);
    expect(() => layer.set({ kinds: ['boom' as 'error'] })).toThrow(RangeError);
    expect(() => layer.set({ kinds: [] })).toThrow(RangeError);
  });
});
