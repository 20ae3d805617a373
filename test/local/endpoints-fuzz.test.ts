import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { GetObjectCommand, HeadBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  ListStateMachinesCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { GetQueueUrlCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { PinpointSMSVoiceV2Client, SendTextMessageCommand } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { startLocalCloud, type LocalCloud } from '../../infra/local/cloud.js';
import { MALFORMED_REQUESTS, rawHttp } from '../support/raw-http.js';
import { signS3Request } from '../support/s3-signing.js';

/**
 * Hostile and odd clients against every endpoint a local cloud serves (the AWS JSON endpoint: Step Functions, SQS,
 * SMS; S3; the SES v2 proxy; the gateway's console, SMS outbox and issuer), over raw sockets and through the real SDK
 * clients. Whatever arrives, the process must not meet an unhandled error, every server must still answer, and each
 * answer must be what the service would give: below 500 (S3's 501 NotImplemented aside), in the service's own error
 * format, with no stack trace.
 *
 * To hunt: `ENDPOINT_FUZZ_RUNS=1500` (default 40) runs each property that many times (the whole file then takes about
 * 90 s), `ENDPOINT_FUZZ_SEED` replays a seed, `ENDPOINT_FUZZ_NO_SHRINK=1` stops at the first failure (shrinking a
 * request that hangs 10 s at each try takes long), `ENDPOINT_FUZZ_STATS=1` prints the answers seen by endpoint,
 * status and error code (how far the runs reach).
 */

const RUNS = Number(process.env.ENDPOINT_FUZZ_RUNS ?? 40);
const SEED = process.env.ENDPOINT_FUZZ_SEED === undefined ? undefined : Number(process.env.ENDPOINT_FUZZ_SEED);
const fuzz = { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }), endOnFailure: !!process.env.ENDPOINT_FUZZ_NO_SHRINK };
const REGION = 'eu-west-3';
const STACK = 'Fuzz-endpoints';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

let workDir: string;
let cloud: LocalCloud;
const unhandled: string[] = [];
const onRejection = (reason: unknown) => unhandled.push(`unhandledRejection: ${reason instanceof Error ? reason.stack : String(reason)}`);
const onException = (error: Error) => unhandled.push(`uncaughtException: ${error.stack}`);

/**
 * A bucket with CORS, a queue, a one-state machine and a schedule that starts it, and a machine that waits for a task
 * token (handed to a function that does nothing with it): something behind each endpoint.
 */
function writeAssembly(dir: string): void {
  mkdirSync(join(dir, 'asset.noop'));
  writeFileSync(join(dir, 'asset.noop', 'index.js'), 'exports.handler = async () => ({});\n');
  const callback = { StartAt: 'Wait', States: { Wait: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken', Parameters: { FunctionName: 'NOOP_ARN', Payload: { 'token.$': '$$.Task.Token' } }, End: true } } };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ artifacts: { [STACK]: { type: 'aws:cloudformation:stack', properties: { templateFile: `${STACK}.template.json` } } } }));
  const template = {
    Resources: {
      Files: {
        Type: 'AWS::S3::Bucket',
        Properties: { CorsConfiguration: { CorsRules: [{ AllowedOrigins: ['http://127.0.0.1:3000'], AllowedMethods: ['GET', 'PUT'], AllowedHeaders: ['*'], ExposedHeaders: ['ETag'] }] } },
      },
      Jobs: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 1 } },
      Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } }) } },
      Noop: { Type: 'AWS::Lambda::Function', Metadata: { 'aws:asset:path': 'asset.noop' }, Properties: { Handler: 'index.handler', Runtime: 'nodejs22.x', Timeout: 10, Code: { S3Bucket: 'assets', S3Key: 'noop.zip' } } },
      Callback: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: { 'Fn::Sub': JSON.stringify(callback).replace('NOOP_ARN', '${Noop.Arn}') } } },
      Nightly: {
        Type: 'AWS::Scheduler::Schedule',
        Properties: { ScheduleExpression: 'rate(7 days)', FlexibleTimeWindow: { Mode: 'OFF' }, Target: { Arn: { Ref: 'Machine' }, RoleArn: 'arn:aws:iam::000000000000:role/x' } },
      },
    },
  };
  writeFileSync(join(dir, `${STACK}.template.json`), JSON.stringify(template));
}

beforeAll(async () => {
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  workDir = mkdtempSync(join(tmpdir(), 'endpoints-fuzz-'));
  const assemblyDir = join(workDir, 'assembly');
  mkdirSync(assemblyDir);
  writeAssembly(assemblyDir);
  cloud = await startLocalCloud({
    assemblyDir,
    dataDir: join(workDir, 'data'),
    port: 0,
    tickMs: 200,
    dynamodbEndpoint: inject('dynamodbEndpoint'),
    accessKeyId: `fuzz${Date.now().toString(36)}`,
    deliveryEventDelayMs: 0,
  });
});

afterAll(async () => {
  await cloud?.stop();
  rmSync(workDir, { recursive: true, force: true });
  process.off('unhandledRejection', onRejection);
  process.off('uncaughtException', onException);
  if (stats.size) console.log([...stats].sort(([a], [b]) => a.localeCompare(b)).map(([key, n]) => `${String(n).padStart(5)} ${key}`).join('\n'));
  expect(unhandled).toEqual([]);
});

// --- Raw HTTP -----------------------------------------------------------------------------------------------------

interface RawRequest {
  method: string;
  /** The request target exactly as sent (may be invalid on purpose). */
  target: string;
  headers: Array<[string, string]>;
  body?: Buffer;
  /** Send `Content-Length` for the body (else none, or what `headers` say). */
  length?: 'exact' | 'none' | 'chunked' | 'cut';
}

interface Received {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}
type Answer = Received | { dropped: string };

const portOf = (url: string) => Number(new URL(url).port);

/**
 * Sends one request over a fresh connection, byte for byte, and reads the answer until the server closes (the request
 * says `Connection: close`). `cut` declares more body than it sends, then half-closes. A server that neither answers
 * nor closes within 10 s hangs.
 */
function exchange(url: string, request: RawRequest): Promise<Answer> {
  const body = request.body ?? Buffer.alloc(0);
  const lines = [`${request.method} ${request.target} HTTP/1.1`, ...(request.headers.some(([name]) => name.toLowerCase() === 'host') ? [] : [`Host: 127.0.0.1:${portOf(url)}`]), 'Connection: close'];
  for (const [name, value] of request.headers) lines.push(`${name}: ${value}`);
  const length = request.length ?? 'exact';
  if (length === 'exact' && (body.length > 0 || !['GET', 'HEAD'].includes(request.method))) lines.push(`Content-Length: ${body.length}`);
  if (length === 'cut') lines.push(`Content-Length: ${body.length + 100}`);
  if (length === 'chunked') lines.push('Transfer-Encoding: chunked');
  const payload = length === 'chunked' ? Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from(body.length ? '\r\n0\r\n\r\n' : '\r\n')]) : body;
  return new Promise((resolve, reject) => {
    const socket = connect(portOf(url), '127.0.0.1');
    const chunks: Buffer[] = [];
    let error = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within 10 s (hang): ${describeRequest(request)}`));
    }, 10_000);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    socket.on('close', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks);
      resolve(raw.length === 0 ? { dropped: error || 'closed without an answer' } : parseAnswer(raw, request.method));
    });
    socket.write(Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'));
    // Only a cut body half-closes: Node's servers drop the requests of a connection the client half-closed.
    socket.write(payload, () => {
      if (length === 'cut') socket.end();
    });
  });
}

function parseAnswer(raw: Buffer, method: string): Answer {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return { dropped: `partial head: ${raw.toString('latin1').slice(0, 200)}` };
  const [statusLine, ...headerLines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1]);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    headers[name] = headers[name] === undefined ? line.slice(colon + 1).trim() : `${headers[name]}, ${line.slice(colon + 1).trim()}`;
  }
  let body = raw.subarray(end + 4);
  if (method !== 'HEAD' && /chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const parts: Buffer[] = [];
    for (let at = 0; ; ) {
      const lineEnd = body.indexOf('\r\n', at);
      const size = lineEnd < 0 ? 0 : Number.parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
      if (!size) break;
      parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  }
  return { status, headers, body };
}

function describeRequest(request: RawRequest): string {
  const body = request.body ? request.body.subarray(0, 300).toString('utf8') + (request.body.length > 300 ? `… (${request.body.length} bytes)` : '') : '';
  return JSON.stringify({ method: request.method, target: request.target.slice(0, 300), headers: request.headers.map(([n, v]) => [n, v.slice(0, 200)]), length: request.length, body });
}

/** The request as fast-check prints a counterexample: short, bodies cut. */
const printable = (request: RawRequest): RawRequest => Object.assign(request, { [fc.toStringMethod]: () => describeRequest(request) });

const STACK_TRACE = /\n\s+at \S|node:internal|node_modules|\/work\/|\.ts:\d+:\d+/;

/** With `ENDPOINT_FUZZ_STATS`, the answers seen, by endpoint, status and error code, printed at the end (how far the runs reach). */
const stats = new Map<string, number>();
const count = (key: string) => process.env.ENDPOINT_FUZZ_STATS && stats.set(key, (stats.get(key) ?? 0) + 1);

/** What every answer must be: one, below 500 unless `allow5xx` says so, with no stack trace in it. */
function checkAnswer(request: RawRequest, answer: Answer, options: { allow5xx?: (status: number, body: string) => boolean } = {}): Received | undefined {
  const what = describeRequest(request);
  if ('dropped' in answer) {
    // Only a request cut short may go unanswered: its body never came.
    expect(request.length === 'cut', `dropped (${answer.dropped}): ${what}`).toBe(true);
    return undefined;
  }
  const text = answer.body.toString('utf8');
  expect(answer.status, `status of ${what}: ${text.slice(0, 500)}`).toBeGreaterThanOrEqual(100);
  if (answer.status >= 500) expect(options.allow5xx?.(answer.status, text) ?? false, `${answer.status} for ${what}: ${text.slice(0, 500)}`).toBe(true);
  expect(STACK_TRACE.test(text), `a stack trace in the answer to ${what}: ${text.slice(0, 500)}`).toBe(false);
  return answer;
}

// --- Odd values ---------------------------------------------------------------------------------------------------

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
const oddString = fc.oneof(
  fc.constantFrom('', ' ', '..', '../..', '%zz', '%00', '\u0000', '\u0007', '\r\n', 'a'.repeat(81), 'é'.repeat(700), '\ud800', '𝄞', '<script>', 'null', '__proto__', 'constructor', 'toString', '{"a":', '"', '\\'),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.oneof(fc.string({ minLength: 1, maxLength: 1 }), loneSurrogate), maxLength: 10 }),
);
const oddNumber = fc.oneof(fc.constantFrom(0, -1, 1.5, 11, 1e21, -0, 2 ** 53, Number.MAX_SAFE_INTEGER), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));
/** Any JSON value, of any type. */
const oddValue: fc.Arbitrary<unknown> = fc.oneof(oddString, oddNumber, fc.boolean(), fc.constant(null), fc.jsonValue({ maxDepth: 3 }), fc.constant([]), fc.constant({}));
/** A field: a good value, an odd one of the right type, or any JSON value. */
const field = (good: fc.Arbitrary<unknown>) => fc.oneof({ weight: 3, arbitrary: good }, { weight: 1, arbitrary: oddValue });
const deepJson = (depth: number, open: string, close: string) => `${open.repeat(depth)}${close.repeat(depth)}`;
const malformedJson = fc.constantFrom('{', '{"a":}', '[1,]', 'nul', '"unterminated', '{"a":1}}', '\u0000', '{"a":"\ud800"}', deepJson(100_000, '[', ']'), deepJson(50_000, '{"a":', '}'), `{"a":${deepJson(5000, '[', ']')}}`, '\xff\xfe{}');

/** Every byte of the UTF-8 form outside the unreserved set as %XX (a lone surrogate goes as U+FFFD's bytes). */
const percentEncode = (text: string, keepSlash = true) =>
  [...Buffer.from(text, 'utf8')].map((byte) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(byte)) || (keepSlash && byte === 0x2f) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)).join('');

/** Signs a raw request to the local S3, as the local credentials (or another `secret`). */
const signS3 = (request: RawRequest, port: number, secret: string, payloadHash: string, signingDate = new Date()) =>
  signS3Request(request, { host: `127.0.0.1:${port}`, secret, payloadHash, region: REGION, signingDate });

/** Email addresses, good and not. */
const address = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('a@example.org', 'Ana <ana@example.org>', 'bounce@simulator.amazonses.com', 'x@complaint.test') },
  fc.constantFrom('', '@', 'a@', '@b', 'a b@c', 'a@b..c', '"quoted"@example.org', 'é@exämple.org', '<a@b>', 'a@b>', 'Name <a@b', 'a@b@c', 'a\u0000@b', '=?utf-8?B?w6k=?= <a@b.c>', 'a@b.c\r\nBcc: x@y.z', `${'a'.repeat(400)}@b.c`),
  oddString,
);

// --- Endpoints ----------------------------------------------------------------------------------------------------

/** Every server answers a normal request, through the real SDK clients and the pages. */
async function allAlive(): Promise<void> {
  const sfn = new SFNClient({ endpoint: cloud.urls.awsEndpoint, region: REGION, credentials, maxAttempts: 1 });
  const sqs = new SQSClient({ endpoint: cloud.urls.awsEndpoint, region: REGION, credentials, maxAttempts: 1 });
  const s3 = new S3Client({ endpoint: cloud.urls.s3, region: REGION, credentials, forcePathStyle: true, maxAttempts: 1 });
  const sms = new PinpointSMSVoiceV2Client({ endpoint: cloud.urls.awsEndpoint, region: REGION, credentials, maxAttempts: 1 });
  try {
    expect((await sfn.send(new ListStateMachinesCommand({}))).stateMachines).toHaveLength(2);
    expect((await sqs.send(new GetQueueUrlCommand({ QueueName: cloud.app.queues[0]!.name }))).QueueUrl).toBeTruthy();
    expect((await s3.send(new HeadBucketCommand({ Bucket: cloud.app.buckets[0]!.name }))).$metadata.httpStatusCode).toBe(200);
    expect((await sms.send(new SendTextMessageCommand({ DestinationPhoneNumber: '+33612345678', MessageBody: 'ok', DryRun: true }))).MessageId).toBeTruthy();
    expect((await fetch(cloud.ses.viewerUrl)).status).toBe(200);
    expect((await fetch(cloud.urls.console)).status).toBe(200);
    expect((await fetch(`${cloud.urls.app}_local/sms/messages.json`)).status).toBe(200);
  } finally {
    for (const client of [sfn, sqs, s3, sms]) client.destroy();
  }
}

// A hunt (a large ENDPOINT_FUZZ_RUNS) takes longer than vitest's 30 s a test.
describe('the local endpoints under hostile and odd clients', { timeout: Math.max(30_000, RUNS * 300) }, () => {
  const bucket = () => cloud.app.buckets[0]!.name;
  const queueUrl = () => cloud.app.queues[0]!.url;
  const machineArn = () => cloud.app.stateMachines.find((machine) => machine.logicalId === 'Machine')!.arn;
  const callbackArn = () => cloud.app.stateMachines.find((machine) => machine.logicalId === 'Callback')!.arn;

  it('serves normal requests to begin with', async () => {
    await allAlive();
  });

  it("answers bytes Node's parser refuses at each endpoint in the endpoint's error format, with one status line, then serves on", async () => {
    const endpoints = {
      gateway: { url: cloud.urls.app, type: 'application/json', body: /^\{"message":"Bad Request"\}$/ },
      aws: { url: cloud.urls.awsEndpoint, type: 'application/x-amz-json-1.0', body: /^\{"__type":"SerializationException","message":"[^"]+"\}$/ },
      s3: { url: cloud.urls.s3, type: 'application/xml', body: /<Error><Code>BadRequest<\/Code>/ },
      ses: { url: cloud.ses.endpoint, type: 'application/json', body: /^\{"message":"[^"]+"\}$/ },
    };
    for (const [name, endpoint] of Object.entries(endpoints)) {
      for (const [what, bytes] of Object.entries({ ...MALFORMED_REQUESTS, 'a malformed chunk': ['POST /_local/x HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n', 'zz\r\nabc\r\n0\r\n\r\n'] })) {
        const answer = await rawHttp(portOf(endpoint.url), bytes, { pauseMs: 20 });
        const where = `${name}, ${what}: ${answer.raw.slice(0, 300)}`;
        expect(answer.raw.match(/HTTP\/1\.1 \d{3}/g), where).toHaveLength(1);
        expect(STACK_TRACE.test(answer.raw), where).toBe(false);
        // The chunked POST is answered before its body is read (a 404, S3's 403, an AWS JSON request without its
        // target): that answer is the only one.
        if (what === 'a malformed chunk') continue;
        expect([answer.status, answer.headers['content-type']], where).toEqual([400, endpoint.type]);
        expect(answer.body, where).toMatch(endpoint.body);
      }
    }
    await allAlive();
  });

  describe('the AWS JSON endpoint (Step Functions, SQS, SMS)', () => {
    const arnLike = () =>
      fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(machineArn(), callbackArn()) },
        fc.constant(machineArn().replace(':stateMachine:', ':execution:') + ':x'),
        fc.constant(`${machineArn()}:${'é'.repeat(100)}`),
        oddString.map((s) => `arn:aws:states:${REGION}:000000000000:execution:${s}:${s}`),
        oddString.map((s) => `arn:aws:states:${REGION}:000000000000:stateMachine:${s}`),
        oddString,
      );
    const token = fc.oneof(oddString, fc.constantFrom('x'.repeat(2048), 'é'.repeat(2048), '𝄞'.repeat(1024), 'x'.repeat(2049)), fc.base64String({ maxLength: 300 }));
    const bodies: Record<string, () => fc.Arbitrary<Record<string, unknown>>> = {
      'AWSStepFunctions.StartExecution': () => fc.record({ stateMachineArn: field(arnLike()), name: field(oddString), input: field(fc.oneof(fc.jsonValue().map((v) => JSON.stringify(v)), malformedJson)) }, { requiredKeys: [] }),
      'AWSStepFunctions.DescribeExecution': () => fc.record({ executionArn: field(arnLike()) }, { requiredKeys: [] }),
      'AWSStepFunctions.StopExecution': () => fc.record({ executionArn: field(arnLike()), error: field(oddString), cause: field(oddString) }, { requiredKeys: [] }),
      'AWSStepFunctions.GetExecutionHistory': () =>
        fc.record({ executionArn: field(arnLike()), maxResults: field(oddNumber), nextToken: field(token), reverseOrder: field(fc.boolean()), includeExecutionData: field(fc.boolean()) }, { requiredKeys: [] }),
      'AWSStepFunctions.ListExecutions': () =>
        fc.record(
          { stateMachineArn: field(arnLike()), statusFilter: field(fc.constantFrom('RUNNING', 'SUCCEEDED', 'PENDING_REDRIVE', 'running')), maxResults: field(oddNumber), nextToken: field(token), redriveFilter: field(fc.constantFrom('REDRIVEN', 'NOT_REDRIVEN')), mapRunArn: field(arnLike()) },
          { requiredKeys: [] },
        ),
      'AWSStepFunctions.ListStateMachines': () => fc.record({ maxResults: field(oddNumber), nextToken: field(token) }, { requiredKeys: [] }),
      'AWSStepFunctions.DescribeStateMachine': () => fc.record({ stateMachineArn: field(arnLike()) }, { requiredKeys: [] }),
      'AWSStepFunctions.DescribeStateMachineForExecution': () => fc.record({ executionArn: field(arnLike()) }, { requiredKeys: [] }),
      'AWSStepFunctions.SendTaskSuccess': () => fc.record({ taskToken: field(token), output: field(fc.oneof(fc.constant('{}'), malformedJson)) }, { requiredKeys: [] }),
      'AWSStepFunctions.SendTaskFailure': () => fc.record({ taskToken: field(token), error: field(oddString), cause: field(oddString) }, { requiredKeys: [] }),
      'AWSStepFunctions.SendTaskHeartbeat': () => fc.record({ taskToken: field(token) }, { requiredKeys: [] }),
      'AWSStepFunctions.RedriveExecution': () => fc.record({ executionArn: field(arnLike()), clientToken: field(oddString) }, { requiredKeys: [] }),
      'AmazonSQS.GetQueueUrl': () => fc.record({ QueueName: field(fc.oneof(fc.constant(cloud.app.queues[0]!.name), oddString)) }, { requiredKeys: [] }),
      'AmazonSQS.ListQueues': () => fc.record({ QueueNamePrefix: field(oddString), MaxResults: field(oddNumber), NextToken: field(token) }, { requiredKeys: [] }),
      'AmazonSQS.GetQueueAttributes': () => fc.record({ QueueUrl: field(fc.oneof(fc.constant(queueUrl()), oddString)), AttributeNames: field(fc.array(fc.oneof(fc.constantFrom('All', 'QueueArn'), oddString))) }, { requiredKeys: [] }),
      'AmazonSQS.SendMessage': () =>
        fc.record(
          {
            QueueUrl: field(fc.oneof(fc.constant(queueUrl()), oddString)),
            MessageBody: field(oddString),
            DelaySeconds: field(fc.constantFrom(0, 900, 901, -1)),
            MessageAttributes: field(fc.dictionary(oddString, fc.record({ DataType: field(fc.constantFrom('String', 'Number', 'Binary', 'String.x', 'Other')), StringValue: field(oddString), BinaryValue: field(fc.base64String()) }, { requiredKeys: [] }), { maxKeys: 3 })),
          },
          { requiredKeys: [] },
        ),
      'AmazonSQS.ReceiveMessage': () =>
        fc.record(
          {
            QueueUrl: field(fc.oneof(fc.constant(queueUrl()), oddString)),
            MaxNumberOfMessages: fc.constantFrom(0, 1, 10, 11, -1, 1.5, 'abc', '5', null, []),
            VisibilityTimeout: fc.constantFrom(0, 1, 43_201, -1, 'x'),
            // Long polls of 2 to 20 s would only slow the run: a wait is an answer too.
            WaitTimeSeconds: fc.constantFrom(0, 1, 21, -1, 'abc', 1.5, null),
            AttributeNames: field(fc.array(oddString)),
            MessageAttributeNames: field(fc.array(oddString)),
            MessageSystemAttributeNames: field(fc.array(oddString)),
          },
          { requiredKeys: ['QueueUrl'] },
        ),
      'AmazonSQS.DeleteMessage': () => fc.record({ QueueUrl: field(fc.oneof(fc.constant(queueUrl()), oddString)), ReceiptHandle: field(token) }, { requiredKeys: [] }),
      'AmazonSQS.ChangeMessageVisibility': () => fc.record({ QueueUrl: field(fc.oneof(fc.constant(queueUrl()), oddString)), ReceiptHandle: field(token), VisibilityTimeout: field(oddNumber) }, { requiredKeys: [] }),
      'PinpointSMSVoiceV2.SendTextMessage': () =>
        fc.record(
          {
            DestinationPhoneNumber: field(fc.constantFrom('+33612345678', '+33699999001', '0612345678', '+', '+1234567890123456')),
            MessageBody: field(oddString),
            OriginationIdentity: field(oddString),
            ConfigurationSetName: field(oddString),
            MessageType: field(fc.constantFrom('TRANSACTIONAL', 'PROMOTIONAL', 'other')),
            TimeToLive: field(oddNumber),
            Context: field(fc.dictionary(oddString, oddString, { maxKeys: 6 })),
            DryRun: field(fc.boolean()),
          },
          { requiredKeys: [] },
        ),
    };
    const targets = () => Object.keys(bodies);
    const oddTarget = fc.oneof(
      fc.constantFrom('AWSStepFunctions.', 'AWSStepFunctions.CreateStateMachine', 'AWSStepFunctions.__proto__', 'AWSStepFunctions.constructor', 'AmazonSQS.toString', 'AmazonSQS.PurgeQueue', 'PinpointSMSVoiceV2.hasOwnProperty', 'hasOwnProperty.x', '__proto__.x', '.', '', 'DynamoDB_20120810.ListTables', 'AWSStepFunctions.StartExecution.x'),
      oddString.filter((s) => /^[\x21-\x7e]*$/.test(s)),
    );

    const request = () =>
      fc
        .record({
          method: fc.oneof({ weight: 8, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: fc.constantFrom('GET', 'HEAD', 'OPTIONS', 'PATCH', 'PUT', 'DELETE') }),
          target: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...targets()) }, { weight: 1, arbitrary: oddTarget }, { weight: 1, arbitrary: fc.constant(undefined) }),
          contentType: fc.oneof({ weight: 6, arbitrary: fc.constantFrom('application/x-amz-json-1.0', 'application/x-amz-json-1.1') }, { weight: 1, arbitrary: fc.constantFrom(undefined, 'application/json', 'text/plain', 'garbage', 'application/x-amz-json-1.0; charset=latin1') }),
          authorization: fc.constantFrom(undefined, 'garbage', 'AWS4-HMAC-SHA256 Credential=local/20260101/eu-west-3/states/aws4_request, SignedHeaders=host, Signature=00'),
          shape: fc.oneof({ weight: 6, arbitrary: fc.constant('body' as const) }, { weight: 1, arbitrary: fc.constantFrom('malformed' as const, 'any' as const, 'array' as const, 'empty' as const) }),
          length: fc.oneof({ weight: 8, arbitrary: fc.constant('exact' as const) }, { weight: 1, arbitrary: fc.constantFrom('chunked' as const, 'cut' as const) }),
          path: fc.constantFrom('/', '/', '/%zz', '/..', '/x?y=%00'),
        })
        .chain((shape) => {
          const bodyOf = shape.target !== undefined && Object.hasOwn(bodies, shape.target) ? bodies[shape.target] : undefined;
          const body =
            shape.shape === 'malformed'
              ? malformedJson
              : shape.shape === 'any'
                ? oddValue.map((v) => JSON.stringify(v))
                : shape.shape === 'array'
                  ? fc.constant('[{"stateMachineArn":"x"}]')
                  : shape.shape === 'empty' || !bodyOf
                    ? fc.constantFrom('', '{}', '   ')
                    : bodyOf().map((b) => JSON.stringify(b));
          return body.map((text) => printable({
            method: shape.method,
            target: shape.path,
            headers: [
              ...(shape.target !== undefined ? [['X-Amz-Target', shape.target] as [string, string]] : []),
              ...(shape.contentType !== undefined ? [['Content-Type', shape.contentType] as [string, string]] : []),
              ...(shape.authorization !== undefined ? [['Authorization', shape.authorization] as [string, string]] : []),
            ],
            body: Buffer.from(text, 'utf8'),
            length: shape.length,
          }));
        });

    /** AWS JSON errors: 400 (413 for a body too large) with `__type`, `x-amzn-errortype` and a message, in JSON. */
    const checkJsonAnswer = (sent: RawRequest, answer: Answer) => {
      const checked = checkAnswer(sent, answer);
      if (!checked) return;
      // A request cut short was never whole: refused as a request Node's parser could not read, if the connection still can.
      const targeted = sent.method === 'POST' && sent.headers.some(([name]) => name === 'X-Amz-Target') && sent.length !== 'cut';
      if (!targeted || checked.status < 400) return void count(`aws ${targeted ? sent.headers.find(([name]) => name === 'X-Amz-Target')?.[1] : sent.method} ${checked.status}`);
      const what = describeRequest(sent);
      expect(checked.headers['content-type'], what).toMatch(/^application\/x-amz-json-1\.[01]$/);
      const json = JSON.parse(checked.body.toString('utf8')) as { __type?: unknown; message?: unknown };
      count(`aws ${sent.headers.find(([name]) => name === 'X-Amz-Target')?.[1]} ${checked.status} ${String(json.__type)}`);
      expect(typeof json.__type, what).toBe('string');
      expect(typeof json.message, what).toBe('string');
      expect(checked.headers['x-amzn-errortype'], what).toBe(json.__type);
    };

    it('answers malformed, mistyped and unknown requests as the AWS JSON protocol does', async () => {
      await fc.assert(fc.asyncProperty(request(), async (sent) => checkJsonAnswer(sent, await exchange(cloud.urls.awsEndpoint, sent))), fuzz);
      await allAlive();
    });

    it('answers the requests of the brief: wrong targets, bad JSON, wrong types, huge bodies', async () => {
      const post = (target: string | undefined, body: string | Buffer, extra: Array<[string, string]> = [], length: RawRequest['length'] = 'exact'): RawRequest => ({
        method: 'POST',
        target: '/',
        headers: [...(target ? [['X-Amz-Target', target] as [string, string]] : []), ['Content-Type', 'application/x-amz-json-1.0'], ...extra],
        body: Buffer.from(body),
        length,
      });
      const cases: RawRequest[] = [
        post(undefined, '{}'),
        post('AWSStepFunctions.StartExecution', '{not json'),
        post('AWSStepFunctions.StartExecution', '[]'),
        post('AWSStepFunctions.StartExecution', 'null'),
        post('AWSStepFunctions.StartExecution', '"a string"'),
        post('AWSStepFunctions.StartExecution', JSON.stringify({ stateMachineArn: [machineArn()] })),
        post('AWSStepFunctions.StartExecution', JSON.stringify({ stateMachineArn: machineArn(), name: 42 })),
        post('AWSStepFunctions.StartExecution', JSON.stringify({ stateMachineArn: machineArn(), name: 'a b/c' })),
        post('AWSStepFunctions.StartExecution', JSON.stringify({ stateMachineArn: machineArn(), name: '\ud800' })),
        post('AWSStepFunctions.StartExecution', JSON.stringify({ stateMachineArn: machineArn(), name: 'é'.repeat(80) })),
        post('AWSStepFunctions.StartExecution', JSON.stringify({ stateMachineArn: machineArn(), input: deepJson(10_000, '[', ']') })),
        post('AWSStepFunctions.StartExecution', JSON.stringify({ stateMachineArn: `${machineArn()}${'é'.repeat(200)}` })),
        post('AWSStepFunctions.DescribeExecution', JSON.stringify({ executionArn: `arn:aws:states:${REGION}:000000000000:execution:${'é'.repeat(240)}:x` })),
        post('AWSStepFunctions.SendTaskSuccess', JSON.stringify({ taskToken: 'é'.repeat(2048), output: '{}' })),
        post('AWSStepFunctions.SendTaskHeartbeat', JSON.stringify({ taskToken: '𝄞'.repeat(1024) })),
        post('AWSStepFunctions.ListExecutions', JSON.stringify({ stateMachineArn: machineArn(), nextToken: Buffer.from(JSON.stringify({ s: `ListExecutions|${machineArn()}||`, p: { a: '', t: '' } })).toString('base64url') })),
        post('AWSStepFunctions.GetExecutionHistory', JSON.stringify({ executionArn: 'arn:aws:states:eu-west-3:000000000000:execution:x:y', maxResults: '10' })),
        post('AWSStepFunctions.NoSuchOperation', '{}'),
        post('AmazonSQS.ReceiveMessage', JSON.stringify({ QueueUrl: queueUrl(), MaxNumberOfMessages: 0 })),
        post('AmazonSQS.ReceiveMessage', JSON.stringify({ QueueUrl: queueUrl(), MaxNumberOfMessages: 11 })),
        post('AmazonSQS.ReceiveMessage', JSON.stringify({ QueueUrl: queueUrl(), MaxNumberOfMessages: 'abc' })),
        post('AmazonSQS.SendMessage', JSON.stringify({ QueueUrl: queueUrl(), MessageBody: 'x', MessageAttributes: { a: { DataType: 'Binary', BinaryValue: '!!!' } } })),
        post('AmazonSQS.SendMessage', JSON.stringify({ QueueUrl: queueUrl(), MessageBody: '\ud800' })),
        post('AmazonSQS.DeleteMessage', JSON.stringify({ QueueUrl: queueUrl(), ReceiptHandle: 'é'.repeat(3000) })),
        post('PinpointSMSVoiceV2.SendTextMessage', JSON.stringify({ DestinationPhoneNumber: ['+33612345678'], MessageBody: {} })),
        post('AWSStepFunctions.StartExecution', JSON.stringify({ input: 'x'.repeat(5 * 1024 * 1024) })),
        post('AWSStepFunctions.StartExecution', Buffer.alloc(5 * 1024 * 1024, 0x20), [], 'chunked'),
        post('AWSStepFunctions.StartExecution', '{"stateMachineArn":', [], 'cut'),
        post('AWSStepFunctions.StartExecution', '{}', [['Content-Type', 'text/plain']]),
        { method: 'POST', target: '/', headers: [['X-Amz-Target', 'AWSStepFunctions.ListStateMachines']], body: Buffer.from('{}') },
        ...['GET', 'HEAD', 'OPTIONS', 'PATCH', 'PUT', 'DELETE'].map((method): RawRequest => ({ method, target: '/', headers: [['X-Amz-Target', 'AWSStepFunctions.ListStateMachines'], ['Content-Type', 'application/x-amz-json-1.0']] })),
      ];
      for (const sent of cases) checkJsonAnswer(sent, await exchange(cloud.urls.awsEndpoint, sent));
      await allAlive();
    });
  });

  describe('the local S3', () => {
    // Mostly a few keys, so that reads, ranges and copies meet the objects that writes made.
    const oddKey = fc.oneof(
      { weight: 2, arbitrary: fc.constantFrom('a', 'a b.txt', 'ünï cødé/fïlé.pdf') },
      fc.constantFrom('a', 'a b.txt', 'ünï cødé/fïlé.pdf', '..', '../x', 'a/../b', '.', 'x'.repeat(1100), 'é'.repeat(600), '', '/', '//', 'a//b', '\u0000', 'dir/', '\ud800', '𝄞 ✓'),
      fc.string({ unit: 'binary', maxLength: 30 }),
      oddString,
    );
    const printableValue = fc.oneof(fc.constantFrom('', ' ', 'é', '"', '%zz'), fc.string({ unit: 'grapheme-ascii', maxLength: 30 }).filter((v) => /^[\x20-\x7e]*$/.test(v)));
    /** A few of these headers, mostly none or one (each more mostly adds one more refusal). */
    const s3Headers = () =>
      fc.array(fc.oneof(...Object.entries(s3HeaderValues()).map(([name, value]) => value.map((v): [string, string] => [name, v]))), { maxLength: 3, size: 'xsmall' }).map((pairs) => Object.fromEntries(pairs));
    const s3HeaderValues = (): Record<string, fc.Arbitrary<string>> => ({
      range: fc.constantFrom('bytes=9-3', 'bytes=-0', 'bytes=0-', 'bytes=abc', 'bytes=0-0,2-3', 'bytes=99999999999999999999-', 'bytes=-99999999999999999999', 'items=0-1', 'bytes=1-1', 'bytes=-1', 'bytes=-', 'bytes=0-99999999999999999999'),
      'if-match': fc.constantFrom('*', '"x"', '', 'garbage', '"5d41402abc4b2a76b9719d911017c592"'),
      'if-none-match': fc.constantFrom('*', '"x"', 'garbage', ''),
      'if-modified-since': fc.constantFrom('garbage', 'Thu, 01 Jan 1970 00:00:00 GMT', 'Sat, 01 Jan 2100 00:00:00 GMT', ''),
      'if-unmodified-since': fc.constantFrom('garbage', 'Thu, 01 Jan 1970 00:00:00 GMT', 'Sat, 01 Jan 2100 00:00:00 GMT'),
      'content-md5': fc.constantFrom('garbage', 'XUFAKrxLKna5cZ2REBfFkg==', ''),
      'x-amz-checksum-crc32': fc.constantFrom('garbage', 'NhCmhg==', ''),
      'x-amz-checksum-sha256': fc.constantFrom('garbage', ''),
      'x-amz-trailer': fc.constantFrom('x-amz-checksum-crc32', 'garbage', 'x-amz-checksum-crc64nvme'),
      'x-amz-copy-source': fc.constantFrom('%zz', '/x/y', `${bucket()}/a`, `/${bucket()}/a`, `${bucket()}/${percentEncode('ünï cødé/fïlé.pdf')}`, '', 'nope/x', `${bucket()}/%00`, `${bucket()}/`, '/', `${bucket()}/a?versionId=1`),
      'x-amz-metadata-directive': fc.constantFrom('REPLACE', 'COPY', 'garbage'),
      'x-amz-server-side-encryption': fc.constantFrom('AES256', 'aws:kms', 'garbage', ''),
      'x-amz-server-side-encryption-aws-kms-key-id': fc.constantFrom('k', ''),
      'x-amz-server-side-encryption-bucket-key-enabled': fc.constantFrom('true', 'maybe'),
      'content-encoding': fc.constantFrom('aws-chunked', 'gzip', 'aws-chunked,gzip', ''),
      'x-amz-decoded-content-length': fc.constantFrom('abc', '-1', '5', '0', '99999999999999999999', ''),
      'content-type': fc.constantFrom('text/plain', '', 'garbage/', 'text/html; charset=é'),
      'x-amz-meta-note': printableValue,
      'content-disposition': printableValue,
      origin: fc.constantFrom('http://127.0.0.1:3000', 'http://evil.example', 'null', ''),
      'access-control-request-method': fc.constantFrom('GET', 'PUT', 'DELETE', ''),
      'access-control-request-headers': fc.constantFrom('content-type', 'x-evil', '', ',,,'),
    });
    const s3Request = () =>
      fc
        .record({
          method: fc.constantFrom('GET', 'GET', 'HEAD', 'PUT', 'PUT', 'PUT', 'DELETE', 'POST', 'OPTIONS', 'PATCH'),
          bucket: fc.oneof({ weight: 8, arbitrary: fc.constant(bucket()) }, { weight: 1, arbitrary: fc.constantFrom('nope', '', '%zz', '..', 'UPPER', '%00', '%e9') }),
          virtualHost: fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
          key: oddKey,
          keyForm: fc.constantFrom('encoded', 'encoded', 'encoded', 'encoded', 'encoded-all', 'broken', 'utf8'),
          query: fc.constantFrom(
            '', '', '', '?list-type=2', '?list-type=2&max-keys=abc', '?list-type=2&max-keys=0', '?list-type=2&max-keys=99999999999999999999', '?list-type=2&continuation-token=%zz',
            '?list-type=2&continuation-token=garbage', '?list-type=2&continuation-token=eyJhZnRlciI6MX0', '?uploads', '?acl', '?tagging', '?response-content-type=text%2Fhtml&response-content-disposition=%00',
            '?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=zz', '?X-Amz-Algorithm=x', '?a=%zz', '?%zz', '?list-type=2&delimiter=%00&prefix=..', '?list-type=2&encoding-type=url&start-after=%F0%9F',
            '?list-type=2&delimiter=&prefix=', '?versionId=1', '?list-type=1', '?list-type=2&list-type=2', '?&&=&', '?x-id=GetObject',
            '?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=local%2F20200101%2Feu-west-3%2Fs3%2Faws4_request&X-Amz-Date=20200101T000000Z&X-Amz-Expires=604800&X-Amz-SignedHeaders=host&X-Amz-Signature=' + '0'.repeat(64),
            '?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=x&X-Amz-Date=20990101T000000Z&X-Amz-Expires=0&X-Amz-SignedHeaders=&X-Amz-Signature=' + 'a'.repeat(64),
          ),
          headers: s3Headers(),
          body: fc.oneof(
            fc.constantFrom('', 'hello', '5\r\nhello\r\n0\r\n\r\n', '5\r\nhello\r\n0\r\nx-amz-checksum-crc32:garbage\r\n\r\n', '5\r\nhel', 'zz\r\n', 'ffffffffffffffff\r\nab', '-1\r\n', '5;chunk-signature=abc\r\nhello\r\n0\r\n\r\n', '0\r\n\r\nextra', '5\r\nhelloXX'),
            fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
          ),
          auth: fc.constantFrom('signed', 'signed', 'signed', 'signed', 'none', 'garbage', 'wrong-secret', 'old', 'half'),
          payload: fc.constantFrom('UNSIGNED-PAYLOAD', 'hash', 'hash', 'wrong-hash', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'garbage'),
          length: fc.oneof({ weight: 8, arbitrary: fc.constant('exact' as const) }, { weight: 1, arbitrary: fc.constantFrom('chunked' as const, 'cut' as const, 'none' as const) }),
        })
        .map((shape) => ({ ...shape, [fc.toStringMethod]: () => JSON.stringify({ ...shape, key: shape.key.slice(0, 100) }) }));

    /** The raw request of a generated shape, signed as its `auth` says. */
    async function rawS3(shape: ReturnType<typeof s3Request> extends fc.Arbitrary<infer T> ? T : never): Promise<RawRequest> {
      const encodedKey = { encoded: percentEncode(shape.key), 'encoded-all': percentEncode(shape.key, false), broken: `${percentEncode(shape.key)}%zz%0%e9%00`, utf8: Buffer.from(shape.key.replace(/[\s?#%]/g, '_'), 'utf8').toString('latin1') }[shape.keyForm];
      const path = shape.virtualHost ? `/${encodedKey}` : `/${shape.bucket}${shape.key === '' && shape.keyForm === 'encoded' ? '' : `/${encodedKey}`}`;
      const body = Buffer.from(shape.body, 'latin1');
      const headers: Array<[string, string]> = Object.entries(shape.headers).map(([name, value]) => [name, value as string]);
      if (shape.virtualHost) headers.push(['Host', `${shape.bucket}.localhost:${portOf(cloud.urls.s3)}`]);
      const request: RawRequest = { method: shape.method, target: `${path}${shape.query}`, headers, body, length: shape.length };
      const payloadHash = shape.payload === 'hash' ? createHash('sha256').update(body).digest('hex') : shape.payload === 'wrong-hash' ? '0'.repeat(64) : shape.payload;
      if (shape.auth === 'garbage') headers.push(['Authorization', 'AWS4-HMAC-SHA256 Credential=garbage']);
      else if (shape.auth === 'half') headers.push(['Authorization', `AWS4-HMAC-SHA256 Credential=local/20200101/${REGION}/s3/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}`], ['X-Amz-Date', '20200101T000000Z']);
      else if (shape.auth !== 'none') {
        const signed = await signS3(request, portOf(cloud.urls.s3), shape.auth === 'wrong-secret' ? 'other' : 'local', payloadHash, shape.auth === 'old' ? new Date(Date.now() - 3_600_000) : new Date());
        headers.push(...(signed ?? []));
      }
      return printable(request);
    }

    /** S3's answers: its XML error (no body for HEAD) below 500, or 501 NotImplemented for what the local S3 does not do. */
    const checkS3Answer = (sent: RawRequest, answer: Answer) => {
      const checked = checkAnswer(sent, answer, { allow5xx: (status, body) => status === 501 && (sent.method === 'HEAD' || body.includes('<Code>NotImplemented</Code>')) });
      if (!checked) return;
      const text = checked.body.toString('utf8');
      const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
      count(`s3 ${sent.method} ${checked.status} ${code ?? (checked.headers['content-type'] ? '' : '(no type)')}`);
      if (sent.method === 'HEAD' || checked.status < 300 || checked.status === 304 || sent.length === 'cut') return;
      const what = `${describeRequest(sent)}: ${checked.status} ${text.slice(0, 300)}`;
      expect(checked.headers['content-type'], what).toBe('application/xml');
      expect(text, what).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>[A-Za-z0-9]+<\/Code><Message>[^<]+<\/Message>(<\w+>[^<]*<\/\w+>)*<RequestId>[0-9A-F]+<\/RequestId><\/Error>$/);
    };

    it('answers the requests of the brief: 5 MB bodies whole, cut short or mis-chunked, leaving no body file behind', async () => {
      const bodies = join(cloud.dataDir, 's3', bucket(), 'data');
      const before = readdirSync(bodies).length;
      const signedPut = async (key: string, body: Buffer, headers: Array<[string, string]>, length: RawRequest['length']) => {
        const request: RawRequest = { method: 'PUT', target: `/${bucket()}/${key}`, headers, body, length };
        request.headers.push(...((await signS3(request, portOf(cloud.urls.s3), 'local', 'UNSIGNED-PAYLOAD')) ?? []));
        return printable(request);
      };
      const five = Buffer.alloc(5 * 1024 * 1024, 0x61);
      const cases = [
        await signedPut('big/whole', five, [], 'exact'),
        await signedPut('big/cut', five, [], 'cut'),
        await signedPut('big/chunked-cut', Buffer.concat([Buffer.from(`${(5 * 1024 * 1024).toString(16)}\r\n`), five.subarray(0, 1024 * 1024)]), [['Content-Encoding', 'aws-chunked'], ['X-Amz-Decoded-Content-Length', String(5 * 1024 * 1024)]], 'exact'),
        await signedPut('big/chunked-garbage', Buffer.concat([Buffer.from('zz\r\n'), five]), [['Content-Encoding', 'aws-chunked'], ['X-Amz-Decoded-Content-Length', String(5 * 1024 * 1024)]], 'exact'),
        await signedPut('big/too-long', five, [['Content-Encoding', 'aws-chunked'], ['X-Amz-Decoded-Content-Length', '10']], 'exact'),
      ];
      for (const sent of cases) checkS3Answer(sent, await exchange(cloud.urls.s3, sent));
      // A refused or cut upload's body file is removed once its request is over.
      for (let i = 0; i < 50 && readdirSync(bodies).length > before + 1; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(readdirSync(bodies).length).toBe(before + 1);
      await allAlive();
    });

    it('answers any request, signed or not, with an S3 answer or S3 XML error', async () => {
      await fc.assert(fc.asyncProperty(s3Request(), async (shape) => {
        const sent = await rawS3(shape);
        checkS3Answer(sent, await exchange(cloud.urls.s3, sent));
      }), fuzz);
      await allAlive();
    });
  });

  describe('the local SES (v2 API, v1 query API, mail viewer)', () => {
    const addresses = fc.array(address, { maxLength: 3 });
    const attachment = fc.record(
      {
        FileName: field(fc.constantFrom('a.pdf', 'é ü.txt', '', 'x'.repeat(256), '../../etc/passwd', 'a\u0000.pdf')),
        RawContent: field(fc.oneof(fc.base64String({ maxLength: 40 }), fc.constantFrom('not base64!', '=', 'QQ=', ''))),
        ContentType: field(fc.constantFrom('application/pdf', '', 'x'.repeat(79))),
        ContentDisposition: field(fc.constantFrom('ATTACHMENT', 'INLINE', 'attachment')),
        ContentTransferEncoding: field(fc.constantFrom('BASE64', 'SEVEN_BIT', 'other')),
        ContentId: field(oddString),
        ContentDescription: field(oddString),
      },
      { requiredKeys: [] },
    );
    const sendEmail = fc.record(
      {
        FromEmailAddress: field(address),
        Destination: field(fc.record({ ToAddresses: field(addresses), CcAddresses: field(addresses), BccAddresses: field(addresses) }, { requiredKeys: [] })),
        ReplyToAddresses: field(addresses),
        ConfigurationSetName: field(fc.oneof(fc.constant('local-set'), oddString)),
        EmailTags: field(fc.array(fc.record({ Name: field(oddString), Value: field(oddString) }, { requiredKeys: [] }), { maxLength: 2 })),
        Content: field(
          fc.oneof(
            fc.record({
              Simple: field(
                fc.record(
                  {
                    Subject: field(fc.record({ Data: field(oddString), Charset: field(fc.constantFrom('UTF-8', 'x')) }, { requiredKeys: [] })),
                    Body: field(fc.record({ Text: field(fc.record({ Data: field(oddString) }, { requiredKeys: [] })), Html: field(fc.record({ Data: field(oddString) }, { requiredKeys: [] })) }, { requiredKeys: [] })),
                    Attachments: field(fc.array(attachment, { maxLength: 2 })),
                  },
                  { requiredKeys: [] },
                ),
              ),
            }),
            fc.record({ Raw: field(fc.record({ Data: field(fc.oneof(fc.constant(Buffer.from('From: a@b.c\r\nTo: d@e.f\r\nSubject: x\r\n\r\nbody').toString('base64')), fc.base64String({ maxLength: 40 }), oddString)) }, { requiredKeys: [] })) }),
            fc.record({ Template: field(fc.record({ TemplateName: field(oddString), TemplateData: field(oddString), Attachments: field(fc.array(attachment, { maxLength: 1 })) }, { requiredKeys: [] })) }),
          ),
        ),
      },
      { requiredKeys: [] },
    );
    /** A SendEmail of the right shape and types, its strings odd: one that SES may take, to reach what follows a send. */
    const wellTypedSendEmail = fc.record(
      {
        FromEmailAddress: address,
        Destination: fc.record({ ToAddresses: fc.array(address, { minLength: 1, maxLength: 2 }) }),
        ConfigurationSetName: fc.oneof(fc.constant('local-set'), oddString),
        EmailTags: fc.array(fc.record({ Name: oddString, Value: oddString }), { maxLength: 2 }),
        Content: fc.record({
          Simple: fc.record(
            {
              Subject: fc.record({ Data: oddString }),
              Body: fc.record({ Text: fc.record({ Data: oddString }), Html: fc.record({ Data: oddString }) }, { requiredKeys: [] }),
              Attachments: fc.array(fc.record({ FileName: fc.constantFrom('a.pdf', 'é ü.txt', 'x'), RawContent: fc.base64String({ maxLength: 40 }) }), { maxLength: 2 }),
            },
            { requiredKeys: ['Subject', 'Body'] },
          ),
        }),
      },
      { requiredKeys: ['FromEmailAddress', 'Destination', 'Content'] },
    );
    const v1Body = fc.constantFrom(
      'Action=SendEmail&Source=a%40example.org&Destination.ToAddresses.member.1=b%40example.org&Message.Subject.Data=x&Message.Body.Text.Data=y',
      'Action=SendEmail',
      'Action=SendEmail&Source=%zz',
      'Action=ListIdentities',
      'Action=',
      'Action=%zz',
      '',
      'Action=SendRawEmail&RawMessage.Data=garbage',
      'Action=SendRawEmail',
      '%zz=%zz&&=',
    );
    const sesRequest = fc
      .record({
        path: fc.oneof(
          { weight: 6, arbitrary: fc.constant('/v2/email/outbound-emails') },
          fc.constantFrom('/', '/', '/v2/email/identities', '/v2/unknown', '/v2/email/outbound-emails/x', '/v2/email/outbound-emails?x=%zz', '/v2/email/templates', '/attachments/%zz/0', '/attachments/x/99999999999999999999', '/attachments/%E9/0', '/get-emlContent?messageId=%zz', '/get-emlContent', '/get-emlContent?messageId=nope', '/store', '/emails/latest', '/%zz', '/..', '/v2/%zz'),
        ),
        method: fc.oneof({ weight: 6, arbitrary: fc.constant('POST') }, { weight: 2, arbitrary: fc.constantFrom('GET', 'HEAD', 'OPTIONS', 'PATCH', 'PUT', 'DELETE') }),
        contentType: fc.oneof({ weight: 4, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom(undefined, 'application/x-www-form-urlencoded', 'text/plain', 'application/json; charset=latin1') }),
        authorization: fc.oneof({ weight: 4, arbitrary: fc.constant(`AWS4-HMAC-SHA256 Credential=local/20260101/${REGION}/ses/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}`) }, { weight: 1, arbitrary: fc.constantFrom(undefined, 'garbage', 'Bearer x', 'AWS') }),
        body: fc.oneof({ weight: 3, arbitrary: sendEmail.map((b) => JSON.stringify(b)) }, { weight: 3, arbitrary: wellTypedSendEmail.map((b) => JSON.stringify(b)) }, { weight: 1, arbitrary: v1Body }, { weight: 1, arbitrary: malformedJson }, { weight: 1, arbitrary: oddValue.map((v) => JSON.stringify(v)) }),
        length: fc.oneof({ weight: 8, arbitrary: fc.constant('exact' as const) }, { weight: 1, arbitrary: fc.constantFrom('chunked' as const, 'cut' as const) }),
      })
      .map((shape) =>
        printable({
          method: shape.method,
          target: shape.path,
          headers: [
            ...(shape.contentType !== undefined ? [['Content-Type', shape.contentType] as [string, string]] : []),
            ...(shape.authorization !== undefined ? [['Authorization', shape.authorization] as [string, string]] : []),
          ],
          body: Buffer.from(shape.body, 'utf8'),
          length: shape.length,
        }),
      );

    /** SES v2 errors: `x-amzn-errortype` and a JSON message; SES v1's: an XML ErrorResponse. */
    const checkSesAnswer = (sent: RawRequest, answer: Answer) => {
      const checked = checkAnswer(sent, answer);
      if (!checked || sent.length === 'cut') return;
      const text = checked.body.toString('utf8');
      count(`ses ${sent.method} ${sent.target.split('?')[0]} ${checked.status} ${checked.headers['x-amzn-errortype'] ?? /<Code>([^<]*)/.exec(text)?.[1] ?? ''}`);
      if (checked.status < 400 || sent.method === 'HEAD') return;
      const what = `${describeRequest(sent)}: ${checked.status} ${text.slice(0, 300)}`;
      if (sent.target.startsWith('/v2/')) {
        expect(checked.headers['x-amzn-errortype'], what).toMatch(/^[A-Za-z]+$/);
        expect(checked.headers['content-type'], what).toMatch(/^application\/json/);
        expect(typeof (JSON.parse(text) as { message?: unknown }).message, what).toBe('string');
      } else if (sent.method === 'POST' && sent.target === '/' && sent.body?.toString().includes('Action=')) {
        expect(text, what).toMatch(/^<ErrorResponse xmlns="http:\/\/ses\.amazonaws\.com\/doc\/2010-12-01\/"><Error><Type>Sender<\/Type><Code>\w+<\/Code><Message>[^<]*<\/Message><\/Error><RequestId>[\w-]+<\/RequestId><\/ErrorResponse>$/);
      }
    };

    it('answers odd SendEmail requests, other routes and methods as SES does', async () => {
      await fc.assert(fc.asyncProperty(sesRequest, async (sent) => checkSesAnswer(sent, await exchange(cloud.ses.endpoint, sent))), fuzz);
      await allAlive();
    });

    it('answers the requests of the brief: odd addresses, wrong types, deep nesting, 5 MB', async () => {
      const auth: [string, string] = ['Authorization', `AWS4-HMAC-SHA256 Credential=local/20260101/${REGION}/ses/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}`];
      const post = (body: string | Buffer, path = '/v2/email/outbound-emails', contentType = 'application/json'): RawRequest => ({ method: 'POST', target: path, headers: [['Content-Type', contentType], auth], body: Buffer.from(body) });
      const simple = { Simple: { Subject: { Data: 's' }, Body: { Text: { Data: 'b' } } } };
      const manyParts = Buffer.from(['From: a@example.org', 'Content-Type: multipart/mixed; boundary="b"', '', ...Array.from({ length: 1100 }, () => '--b\r\n\r\nx'), '--b--'].join('\r\n')).toString('base64');
      const cases: RawRequest[] = [
        post(JSON.stringify({ FromEmailAddress: 'a@example.org', Destination: { ToAddresses: ['not an address'] }, Content: simple })),
        post(JSON.stringify({ FromEmailAddress: 'a@example.org', Destination: { ToAddresses: 'b@example.org' }, Content: simple })),
        post(JSON.stringify({ FromEmailAddress: 'a@example.org', Destination: [], Content: simple })),
        post(JSON.stringify({ FromEmailAddress: 'a@example.org', Destination: { ToAddresses: ['b@example.org'] }, Content: simple, EmailTags: 'x' })),
        post(JSON.stringify({ FromEmailAddress: 'a@example.org', Destination: { ToAddresses: ['b@example.org'] }, Content: simple, EmailTags: [null] })),
        post(JSON.stringify({ FromEmailAddress: 'a@example.org', Destination: { ToAddresses: [42] }, Content: simple })),
        post(JSON.stringify({ FromEmailAddress: ['a@example.org'], Destination: { ToAddresses: ['b@example.org'] }, Content: simple })),
        post(JSON.stringify({ FromEmailAddress: 'a@example.org', Destination: { ToAddresses: ['b@example.org'] }, Content: { Simple: { Subject: 's', Body: 'b' } } })),
        post(JSON.stringify({ FromEmailAddress: 'a@example.org', Destination: { ToAddresses: ['b@example.org'] }, Content: { Simple: { ...simple.Simple, Attachments: 'x' } } })),
        post(JSON.stringify({ FromEmailAddress: 'a@example.org', Destination: { ToAddresses: ['b@example.org'] }, Content: { Raw: { Data: 42 } } })),
        post(JSON.stringify({ FromEmailAddress: 'a@example.org', Destination: { ToAddresses: ['b@example.org'] }, Content: null })),
        post(JSON.stringify({ FromEmailAddress: 'a@example.org', Destination: { ToAddresses: ['b@example.org'] }, Content: simple, ConfigurationSetName: 42 })),
        post('[]'),
        post('null'),
        post('{"FromEmailAddress":'),
        post(deepJson(100_000, '[', ']')),
        post(`{"a":${deepJson(10_000, '{"é":', '}')}}`),
        post(JSON.stringify({ FromEmailAddress: 'a@example.org', Destination: { ToAddresses: ['b@example.org'] }, Content: { Simple: { Subject: { Data: 's' }, Body: { Text: { Data: 'x'.repeat(5 * 1024 * 1024) } } } } })),
        post(Buffer.alloc(5 * 1024 * 1024, 0x20)),
        post('Action=ListIdentities', '/', 'application/x-www-form-urlencoded'),
        post('Action=SendEmail&Source=%zz', '/', 'application/x-www-form-urlencoded'),
        post(JSON.stringify({ Content: { Raw: { Data: manyParts } } })),
        post(`Action=SendRawEmail&RawMessage.Data=${encodeURIComponent(manyParts)}`, '/', 'application/x-www-form-urlencoded'),
        { method: 'GET', target: '/attachments/%zz/0', headers: [] },
        { method: 'GET', target: '/get-emlContent?messageId=%zz', headers: [] },
        { method: 'HEAD', target: '/get-emlContent?messageId=nope', headers: [] },
        { method: 'HEAD', target: '/store?since=x', headers: [] },
        { method: 'POST', target: '/v2/email/outbound-emails', headers: [['Content-Type', 'application/json']], body: Buffer.from(JSON.stringify({ FromEmailAddress: 'a@example.org', Destination: { ToAddresses: ['b@example.org'] }, Content: simple })) },
        ...['GET', 'HEAD', 'OPTIONS', 'PATCH', 'PUT', 'DELETE'].map((method): RawRequest => ({ method, target: '/v2/email/outbound-emails', headers: [auth] })),
      ];
      for (const sent of cases) checkSesAnswer(sent, await exchange(cloud.ses.endpoint, sent));
      await allAlive();
    });
  });

  describe('the gateway: the console, the SMS outbox, the local issuer', () => {
    const segment = () =>
      fc.oneof(
        fc.constantFrom(cloud.app.stateMachines[0]!.name, cloud.app.stateMachines[1]!.name, encodeURIComponent(machineArn()), encodeURIComponent(`${machineArn().replace(':stateMachine:', ':execution:')}:x`), cloud.app.schedules[0]!.logicalId, '%zz', '%00', '..', '.', '%2F', '%2E%2E', 'x'.repeat(3000), '', '%E9'),
        oddString.map((text) => percentEncode(text, false)),
      );
    const query = fc.constantFrom('', '', '?status=RUNNING', '?status=nope', '?page=garbage', '?page=%zz', '?status=SUCCEEDED&page=eyJzIjoxfQ', '?ran=x&error=%3Cb%3E', '?%zz=%zz', '?a=1&a=2');
    const gatewayRequest = () =>
      fc
        .record({
          path: fc.oneof(
            fc.tuple(fc.constantFrom('/_local/', '/_local/machines/', '/_local/executions/', '/_local/schedules/', '/_local/sms/', '/local-auth/', '/local-auth/oauth2/', '/'), segment()).map(([base, rest]) => `${base}${rest}`),
            fc.tuple(segment(), fc.constantFrom('/executions', '/run', '', '/x/y')).map(([name, rest]) => `/_local/machines/${name}${rest}`),
            segment().map((id) => `/_local/schedules/${id}/run`),
            fc.constantFrom('/_local', '/_local/', '/_local/machines', '/_local/schedules', '/_local/sms/', '/_local/sms/messages.json', '/_local/sms/inbound', '/_local/health', '/local-auth/.well-known/openid-configuration', '/local-auth/.well-known/jwks.json', '/local-auth/oauth2/authorize', '/local-auth/oauth2/token', '/local-auth/logout', '/api/x'),
          ),
          query,
          method: fc.oneof({ weight: 4, arbitrary: fc.constant('GET') }, { weight: 2, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: fc.constantFrom('HEAD', 'OPTIONS', 'PATCH', 'PUT', 'DELETE') }),
          origin: fc.constantFrom(undefined, undefined, 'garbage', 'null', 'http://evil.example', 'http://[::1', '://', ''),
          contentType: fc.constantFrom(undefined, 'application/json', 'application/x-www-form-urlencoded', 'text/plain'),
          body: fc.oneof(
            fc.record({ from: field(fc.constantFrom('+33612345678', '06 12 34 56 78', '+', '')), body: field(oddString) }, { requiredKeys: [] }).map((b) => JSON.stringify(b)),
            fc.constantFrom('from=%2B33612345678&body=STOP', 'from=%zz&body=%zz', 'grant_type=authorization_code&code=x&code_verifier=y&client_id=z&redirect_uri=%zz', 'client_id=x&user=y', ''),
            malformedJson,
          ),
          length: fc.oneof({ weight: 8, arbitrary: fc.constant('exact' as const) }, { weight: 1, arbitrary: fc.constantFrom('chunked' as const, 'cut' as const) }),
        })
        .map((shape) =>
          printable({
            method: shape.method,
            target: `${shape.path}${shape.query}`,
            headers: [
              ...(shape.origin !== undefined ? [['Origin', shape.origin] as [string, string]] : []),
              ...(shape.contentType !== undefined ? [['Content-Type', shape.contentType] as [string, string]] : []),
            ],
            body: shape.method === 'GET' || shape.method === 'HEAD' ? undefined : Buffer.from(shape.body, 'utf8'),
            length: shape.length,
          }),
        );

    const checkGatewayAnswer = (sent: RawRequest, answer: Answer) => {
      const checked = checkAnswer(sent, answer);
      if (checked) count(`gateway ${sent.method} ${sent.target.split('/').slice(0, 3).join('/').slice(0, 30)} ${checked.status}`);
    };

    it('answers odd console, outbox and issuer requests below 500, without a stack trace', async () => {
      await fc.assert(fc.asyncProperty(gatewayRequest(), async (sent) => checkGatewayAnswer(sent, await exchange(cloud.urls.app, sent))), fuzz);
      await allAlive();
    });

    it('answers the requests of the brief: absolute and odd targets, bad origins, huge headers, every method', async () => {
      const get = (target: string, headers: Array<[string, string]> = []): RawRequest => ({ method: 'GET', target, headers });
      // Executions whose input and history the console shows: nested deep, odd characters in their name.
      const shown: string[] = [];
      for (const [name, input] of [['deep-3000', deepJson(3000, '[', ']')], ['deep-30000', `${'{"a":'.repeat(30_000)}0${'}'.repeat(30_000)}`], ['é 𝄞', '{"x":"\\u0000<script>"}']]) {
        const { executionArn } = await cloud.engine.startExecution({ stateMachineArn: machineArn(), name: `${name}-${Date.now()}`.replace(' ', '_'), input });
        await cloud.engine.waitForStatus(executionArn);
        shown.push(`/_local/executions/${encodeURIComponent(executionArn)}`);
      }
      const cases: RawRequest[] = [
        ...shown.map((target) => get(target)),
        get('http://[::1/_local/'),
        get('http://evil.example/_local/'),
        get('*'),
        get('/_local/executions/%zz'),
        get('/_local/machines/%00/executions?page=%zz'),
        get(`/_local/machines/${cloud.app.stateMachines[0]!.name}/executions?page=${Buffer.from(JSON.stringify({ s: 'x', p: { a: '', t: '' } })).toString('base64url')}`),
        get('/_local/../_local/'),
        get(`/_local/${'x'.repeat(8000)}`),
        get('/_local/', [['X-Big', 'a'.repeat(20_000)]]),
        { method: 'POST', target: `/_local/schedules/${cloud.app.schedules[0]!.logicalId}/run`, headers: [['Origin', 'garbage']], body: Buffer.from('') },
        { method: 'POST', target: `/_local/schedules/${cloud.app.schedules[0]!.logicalId}/run`, headers: [['Origin', 'http://[::1']], body: Buffer.from('') },
        { method: 'POST', target: '/_local/sms/inbound', headers: [['Content-Type', 'application/json']], body: Buffer.from('{"from":"+33612345678","body":"STOP"}'), length: 'cut' },
        { method: 'POST', target: '/_local/sms/inbound', headers: [['Content-Type', 'application/json']], body: Buffer.alloc(5 * 1024 * 1024, 0x20) },
        { method: 'POST', target: '/local-auth/oauth2/token', headers: [['Content-Type', 'application/x-www-form-urlencoded']], body: Buffer.alloc(5 * 1024 * 1024, 0x61) },
        ...['HEAD', 'OPTIONS', 'PATCH', 'PUT', 'DELETE', 'POST'].flatMap((method) => ['/_local/', '/_local/machines', '/_local/sms/', '/local-auth/logout'].map((target): RawRequest => ({ method, target, headers: [] }))),
      ];
      for (const sent of cases) checkGatewayAnswer(sent, await exchange(cloud.urls.app, sent));
      await allAlive();
    });
  });

  describe('through the real SDK clients, with odd inputs', () => {
    const clients: Array<{ destroy(): void }> = [];
    const made = <T extends { destroy(): void }>(client: T) => (clients.push(client), client);
    const s3 = () => made(new S3Client({ endpoint: cloud.urls.s3, region: REGION, credentials, forcePathStyle: true, maxAttempts: 1 }));
    const sfn = () => made(new SFNClient({ endpoint: cloud.urls.awsEndpoint, region: REGION, credentials, maxAttempts: 1 }));
    const sqs = () => made(new SQSClient({ endpoint: cloud.urls.awsEndpoint, region: REGION, credentials, maxAttempts: 1 }));
    const ses = () => made(new SESv2Client({ endpoint: cloud.ses.endpoint, region: REGION, credentials, maxAttempts: 1 }));
    const sms = () => made(new PinpointSMSVoiceV2Client({ endpoint: cloud.urls.awsEndpoint, region: REGION, credentials, maxAttempts: 1 }));
    afterAll(() => clients.forEach((client) => client.destroy()));

    /**
     * A call's outcome: its output, or the service's error as the SDK read it (a 4xx it could parse and name: one of
     * `names`). A 5xx, an error the SDK could not read (a dropped connection, a body it cannot parse) fail.
     */
    async function outcome<T>(call: Promise<T>, names: string[], what: unknown): Promise<{ ok: T } | { error: string }> {
      try {
        return { ok: await call };
      } catch (error) {
        const e = error as Error & { $metadata?: { httpStatusCode?: number }; $fault?: string };
        const label = `${JSON.stringify(what)?.slice(0, 300)}: ${e.name} ${e.$metadata?.httpStatusCode} ${e.message.slice(0, 300)}`;
        expect(e.$metadata?.httpStatusCode, label).toBeGreaterThanOrEqual(400);
        expect(e.$metadata?.httpStatusCode, label).toBeLessThan(500);
        expect(e.$fault, label).toBe('client');
        expect(names, label).toContain(e.name);
        count(`sdk ${e.name}`);
        return { error: e.name };
      }
    }

    it('S3: keys with unicode, spaces, dots and slashes go and come back as they were', async () => {
      const client = s3();
      const Bucket = bucket();
      const key = fc.oneof(
        fc.constantFrom('a b.txt', ' leading and trailing ', 'ünï cødé/fïlé.pdf', '..', '../x', 'a/../b', '.', './a', 'a//b', 'dir/', '%zz', '%2F', '+plus+', 'a?b#c', 'é'.repeat(300), '𝄞'.repeat(200), '\t\u0001'),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
      );
      await fc.assert(
        fc.asyncProperty(key, async (Key) => {
          const put = await outcome(client.send(new PutObjectCommand({ Bucket, Key, Body: Key })), ['KeyTooLongError'], Key);
          if ('error' in put) return void expect(Buffer.byteLength(Key), Key).toBeGreaterThan(1024);
          const got = await client.send(new GetObjectCommand({ Bucket, Key }));
          expect(await got.Body!.transformToString(), Key).toBe(Key);
        }),
        fuzz,
      );
    });

    it('S3: ranges S3 serves, ignores or refuses (bytes=9-3, bytes=-0...)', async () => {
      const client = s3();
      const Bucket = bucket();
      await client.send(new PutObjectCommand({ Bucket, Key: 'ranges/ten', Body: '0123456789' }));
      const range = fc.oneof(
        fc.constantFrom('bytes=9-3', 'bytes=-0', 'bytes=0-0', 'bytes=5-', 'bytes=-3', 'bytes=100-', 'bytes=abc', 'bytes=0-1,3-4', 'bytes=-', 'bytes=9-9', 'bytes=10-', 'bytes=0-99999999999999999999'),
        fc.tuple(fc.nat(20), fc.nat(20)).map(([a, b]) => `bytes=${a}-${b}`),
        fc.nat(20).map((n) => `bytes=-${n}`),
      );
      await fc.assert(
        fc.asyncProperty(range, async (Range) => {
          const got = await outcome(client.send(new GetObjectCommand({ Bucket, Key: 'ranges/ten', Range })), ['InvalidRange'], Range);
          if ('error' in got) return;
          const text = await got.ok.Body!.transformToString();
          expect(text.length, Range).toBe(got.ok.ContentLength);
          expect('0123456789'.includes(text), Range).toBe(true);
        }),
        fuzz,
      );
    });

    it('Step Functions: StartExecution with names and ARNs of odd characters, and inputs of any shape; every execution ends', async () => {
      const client = sfn();
      const arn = fc.oneof({ weight: 3, arbitrary: fc.constant(machineArn()) }, fc.constantFrom(`${machineArn()}x`, machineArn().replace('states', 'lambda'), 'arn:aws:states:::stateMachine:', `${machineArn()}:${'é'.repeat(300)}`), oddString);
      const name = fc.oneof(oddString, fc.constantFrom('a b', 'é'.repeat(80), 'é'.repeat(81), '\ud800', '𝄞', '../x', 'a:b', '\u007f', '\u0085', 'ok-name_1'));
      // Any JSON within 256 KiB, nested deep too: each execution the service takes must end (a one-state Pass machine).
      const input = fc.oneof(fc.constant('{}'), fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)), fc.constantFrom(10, 3000, 50_000).map((depth) => deepJson(depth, '[', ']')));
      await fc.assert(
        fc.asyncProperty(arn, name, input, async (stateMachineArn, executionName, executionInput) => {
          const started = await outcome(
            client.send(new StartExecutionCommand({ stateMachineArn, name: executionName, input: executionInput })),
            ['InvalidName', 'InvalidArn', 'StateMachineDoesNotExist', 'ValidationException', 'ExecutionAlreadyExists'],
            [stateMachineArn, executionName, executionInput.slice(0, 50)],
          );
          if ('error' in started) return;
          expect(await cloud.engine.waitForStatus(started.ok.executionArn!, { timeoutMs: 3_000 })).not.toBe('RUNNING');
          const described = await client.send(new DescribeExecutionCommand({ executionArn: started.ok.executionArn }));
          expect(described.name, executionName).toBe(executionName);
        }),
        fuzz,
      );
    });

    it('Step Functions: SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat with a live token and odd outputs, errors and causes', async () => {
      const client = sfn();
      /** A fresh execution of the callback machine, parked at its task, and the token its function was given. */
      const parked = async () => {
        const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: callbackArn(), input: '{}' }));
        for (let i = 0; i < 200; i++) {
          const scheduled = (await cloud.engine.getExecutionHistory({ executionArn: executionArn! })).events.find((event) => event.type === 'TaskScheduled');
          const parameters = (scheduled?.taskScheduledEventDetails as { parameters?: string } | undefined)?.parameters;
          if (parameters) return { executionArn: executionArn!, taskToken: (JSON.parse(parameters) as { Payload: { token: string } }).Payload.token };
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        throw new Error('the callback task was never scheduled');
      };
      const data = fc.oneof(fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)), malformedJson, fc.constantFrom(10, 3000, 30_000).map((depth) => deepJson(depth, '[', ']')), oddString);
      const call = fc.oneof(
        data.map((output) => ({ op: 'success' as const, output })),
        fc.record({ error: fc.option(oddString, { nil: undefined }), cause: fc.option(fc.oneof(oddString, data), { nil: undefined }) }).map((failure) => ({ op: 'failure' as const, ...failure })),
        fc.constant({ op: 'heartbeat' as const }),
      );
      await fc.assert(
        fc.asyncProperty(call, async (sent) => {
          const { executionArn, taskToken } = await parked();
          const names = ['InvalidOutput', 'ValidationException', 'TaskTimedOut', 'InvalidToken'];
          const answer =
            sent.op === 'success'
              ? await outcome(client.send(new SendTaskSuccessCommand({ taskToken, output: sent.output })), names, sent)
              : sent.op === 'failure'
                ? await outcome(client.send(new SendTaskFailureCommand({ taskToken, error: sent.error, cause: sent.cause })), names, sent)
                : await outcome(client.send(new SendTaskHeartbeatCommand({ taskToken })), names, sent);
          // A token the service took ends the execution; else it is stopped here, so that none is left waiting.
          if ('ok' in answer && sent.op !== 'heartbeat') expect(await cloud.engine.waitForStatus(executionArn, { timeoutMs: 10_000 }), JSON.stringify(sent).slice(0, 200)).not.toBe('RUNNING');
          else await client.send(new StopExecutionCommand({ executionArn }));
        }),
        fuzz,
      );
    });

    it('SQS: ReceiveMessage with MaxNumberOfMessages 0, 11 or "abc", SendMessage with odd bodies', async () => {
      const client = sqs();
      const QueueUrl = queueUrl();
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(0, 1, 10, 11, -1, 'abc', 1.5) as fc.Arbitrary<number>, oddString, async (MaxNumberOfMessages, MessageBody) => {
          await outcome(client.send(new SendMessageCommand({ QueueUrl, MessageBody })), ['InvalidMessageContents', 'InvalidParameterValue'], MessageBody);
          const received = await outcome(client.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages, WaitTimeSeconds: 0 })), ['InvalidParameterValue'], MaxNumberOfMessages);
          if ('ok' in received) expect(received.ok.Messages?.length ?? 0).toBeLessThanOrEqual(MaxNumberOfMessages);
        }),
        fuzz,
      );
    });

    it('SES and SMS: SendEmail with odd addresses, SendTextMessage with odd numbers and texts', async () => {
      const mail = ses();
      const text = sms();
      await fc.assert(
        fc.asyncProperty(address, fc.array(address, { minLength: 1, maxLength: 3 }), oddString, async (from, to, body) => {
          await outcome(mail.send(new SendEmailCommand({ FromEmailAddress: from, Destination: { ToAddresses: to }, Content: { Simple: { Subject: { Data: body || 's' }, Body: { Text: { Data: body || 'b' } } } } })), ['BadRequestException', 'MessageRejected'], [from, to, body]);
          await outcome(text.send(new SendTextMessageCommand({ DestinationPhoneNumber: body.startsWith('+') ? body : `+336${body}`, MessageBody: body })), ['ValidationException'], body);
        }),
        fuzz,
      );
      await allAlive();
    });
  });
});
