import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  InvalidMessageContents,
  ListQueuesCommand,
  MessageNotInflight,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { LocalSqs, SqsError } from '../../infra/local/sqs.js';
import { failedItems, LocalEventSources } from '../../infra/local/event-sources.js';
import { startAwsJsonEndpoint, type AwsJsonEndpoint } from '../../infra/local/aws-endpoint.js';
import type { LocalEventSourceMapping, LocalQueue } from '../../infra/local/template.js';
import type { InvokeResult } from '../../infra/local/lambda.js';

const queueDefinition = (name: string, settings: Partial<LocalQueue> = {}): LocalQueue => ({
  logicalId: name,
  name,
  arn: `arn:aws:sqs:eu-west-3:000000000000:${name}`,
  url: `https://sqs.eu-west-3.amazonaws.com/000000000000/${name}`,
  visibilityTimeoutSeconds: 30,
  retentionSeconds: 345_600,
  delaySeconds: 0,
  receiveWaitSeconds: 0,
  maxMessageBytes: 262_144,
  sqsManagedSse: true,
  ...settings,
});
const deadLetters = queueDefinition('dead-letters', { retentionSeconds: 14 * 86_400 });
const reports = queueDefinition('reports', { redrive: { deadLetterTargetArn: deadLetters.arn, maxReceiveCount: 2 } });

/** A clock the test moves by hand. */
function clock(start = Date.parse('2026-03-02T10:00:00Z')) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

describe('LocalSqs', () => {
  it('hides a received message for the visibility timeout, then gives it again with a new handle; only the latest handle deletes it', async () => {
    const time = clock();
    const sqs = new LocalSqs({ queues: [reports, deadLetters], now: time.now });
    const { messageId, md5OfBody } = await sqs.sendMessage(reports.url, '{"n":1}');
    expect(md5OfBody).toBe(createHash('md5').update('{"n":1}').digest('hex'));
    const [first] = await sqs.receiveMessage(reports.arn, { maxMessages: 10 });
    expect(first).toMatchObject({ messageId, body: '{"n":1}', attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(time.now()) } });
    expect(await sqs.receiveMessage(reports.arn)).toEqual([]);
    expect(sqs.attributes(reports.arn)).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '1' });

    time.advance(30_000);
    const [second] = await sqs.receiveMessage(reports.arn);
    expect(second).toMatchObject({ messageId, attributes: { ApproximateReceiveCount: '2', ApproximateFirstReceiveTimestamp: first!.attributes.ApproximateFirstReceiveTimestamp } });
    expect(second!.receiptHandle).not.toBe(first!.receiptHandle);
    // The first receive's handle is stale: the request succeeds, the message stays.
    sqs.deleteMessage(reports.arn, first!.receiptHandle);
    expect(sqs.attributes(reports.arn).ApproximateNumberOfMessagesNotVisible).toBe('1');
    sqs.deleteMessage(reports.arn, second!.receiptHandle);
    expect(sqs.attributes(reports.arn)).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
    expect(() => sqs.deleteMessage(reports.arn, 'not-a-handle')).toThrow(SqsError);
  });

  it('moves a message received maxReceiveCount times to the dead-letter queue at its next receive, with its id, send time and source', async () => {
    const time = clock();
    const sqs = new LocalSqs({ queues: [reports, deadLetters], now: time.now });
    const { messageId } = await sqs.sendMessage(reports.arn, 'poison');
    const sentAt = String(time.now());
    for (let receive = 1; receive <= 2; receive++) {
      expect((await sqs.receiveMessage(reports.arn))[0]?.attributes.ApproximateReceiveCount).toBe(String(receive));
      time.advance(30_000);
    }
    expect(await sqs.receiveMessage(reports.arn)).toEqual([]);
    const [dead] = await sqs.receiveMessage(deadLetters.arn);
    expect(dead).toMatchObject({ messageId, body: 'poison', attributes: { ApproximateReceiveCount: '1', SentTimestamp: sentAt, DeadLetterQueueSourceArn: reports.arn } });
  });

  it('changes the visibility of a message in flight only, delays and expires messages as the queue says', async () => {
    const time = clock();
    const delayed = queueDefinition('delayed', { delaySeconds: 5, retentionSeconds: 60 });
    const sqs = new LocalSqs({ queues: [reports, deadLetters, delayed], now: time.now });
    await sqs.sendMessage(reports.arn, 'a');
    const [received] = await sqs.receiveMessage(reports.arn);
    sqs.changeMessageVisibility(reports.arn, received!.receiptHandle, 0);
    const [again] = await sqs.receiveMessage(reports.arn);
    expect(again!.attributes.ApproximateReceiveCount).toBe('2');
    sqs.deleteMessage(reports.arn, again!.receiptHandle);
    expect(() => sqs.changeMessageVisibility(reports.arn, again!.receiptHandle, 10)).toThrow(expect.objectContaining({ code: 'MessageNotInflight' }));

    await sqs.sendMessage(delayed.arn, 'later');
    await sqs.sendMessage(delayed.arn, 'now', { delaySeconds: 0 });
    expect((await sqs.receiveMessage(delayed.arn, { maxMessages: 10 })).map((m) => m.body)).toEqual(['now']);
    expect(sqs.attributes(delayed.arn).ApproximateNumberOfMessagesDelayed).toBe('1');
    time.advance(5_000);
    expect((await sqs.receiveMessage(delayed.arn)).map((m) => m.body)).toEqual(['later']);
    time.advance(60_000);
    expect(sqs.attributes(delayed.arn)).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
  });

  it('answers a long poll as soon as a message is sent, and at its deadline when none is', async () => {
    const sqs = new LocalSqs({ queues: [reports, deadLetters] });
    const started = Date.now();
    const waiting = sqs.receiveMessage(reports.arn, { waitMs: 5_000 });
    setTimeout(() => void sqs.sendMessage(reports.arn, 'hello'), 150);
    expect((await waiting).map((m) => m.body)).toEqual(['hello']);
    expect(Date.now() - started).toBeLessThan(2_000);
    const empty = Date.now();
    expect(await sqs.receiveMessage(reports.arn, { waitMs: 300 })).toEqual([]);
    expect(Date.now() - empty).toBeGreaterThanOrEqual(290);
  });

  it('keeps messages, receive counts and visibility across a restart when given a data folder; rewrites its journal to the live messages', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'local-sqs-'));
    folders.push(dataDir);
    const time = clock();
    const before = new LocalSqs({ queues: [reports, deadLetters], dataDir, now: time.now });
    for (const body of ['one', 'two', 'three']) await before.sendMessage(reports.arn, body);
    const [one, two] = await before.receiveMessage(reports.arn, { maxMessages: 2 });
    before.deleteMessage(reports.arn, one!.receiptHandle);
    await before.close();

    const after = new LocalSqs({ queues: [reports, deadLetters], dataDir, now: time.now });
    expect(after.attributes(reports.arn)).toMatchObject({ ApproximateNumberOfMessages: '1', ApproximateNumberOfMessagesNotVisible: '1' });
    expect(readFileSync(join(dataDir, 'sqs', 'messages.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    // The handle given before the restart still deletes its message.
    after.deleteMessage(reports.arn, two!.receiptHandle);
    const [three] = await after.receiveMessage(reports.arn);
    expect(three).toMatchObject({ body: 'three', attributes: { ApproximateReceiveCount: '1' } });
    time.advance(30_000);
    expect((await after.receiveMessage(reports.arn))[0]!.attributes.ApproximateReceiveCount).toBe('2');
    await after.close();
    expect(new LocalSqs({ queues: [reports, deadLetters], dataDir, now: time.now }).attributes(reports.arn).ApproximateNumberOfMessagesNotVisible).toBe('1');
    // Without a data folder, nothing is written.
    expect(new LocalSqs({ queues: [reports, deadLetters] }).attributes(reports.arn).ApproximateNumberOfMessagesNotVisible).toBe('0');
  });
});

describe('the local SQS journal', () => {
  /** The descriptors of this process open on `file`. */
  const openOn = (file: string) => readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === file;
    } catch {
      return false;
    }
  }).length;

  it('keeps its file open across writes rather than opening it for each, closes it at close, and makes its folder again if it went', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'local-sqs-'));
    folders.push(dataDir);
    const file = join(dataDir, 'sqs', 'messages.jsonl');
    const sqs = new LocalSqs({ queues: [reports, deadLetters], dataDir });
    for (let i = 0; i < 20; i++) await sqs.sendMessage(reports.arn, `message ${i}`);
    expect(openOn(file)).toBe(1);
    await sqs.close();
    expect(openOn(file)).toBe(0);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(20);
    rmSync(join(dataDir, 'sqs'), { recursive: true, force: true });
    await sqs.sendMessage(reports.arn, 'after');
    await sqs.close();
    expect(readFileSync(file, 'utf8')).toContain('"body":"after"');
  });
});

describe('the local SQS behind the AWS JSON endpoint, with the real @aws-sdk/client-sqs', () => {
  const sqs = new LocalSqs({ queues: [reports, deadLetters] });
  let endpoint: AwsJsonEndpoint;
  let client: SQSClient;

  beforeAll(async () => {
    endpoint = await startAwsJsonEndpoint({ services: { AmazonSQS: (operation, body, signal) => sqs.handleJson(operation, body, signal) } });
    client = new SQSClient({ endpoint: endpoint.url, region: 'eu-west-3', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
  });
  afterAll(async () => {
    client.destroy();
    await endpoint.close();
  });

  it('finds a queue, sends (the SDK checks the MD5s), receives with attributes, changes visibility, deletes, and counts', async () => {
    const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: 'reports' }));
    expect(QueueUrl).toBe(reports.url);
    const sent = await client.send(
      new SendMessageCommand({ QueueUrl, MessageBody: '{"détail":"é"}', MessageAttributes: { kind: { DataType: 'String', StringValue: 'ses' }, raw: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 3]) } } }),
    );
    expect(sent.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    const { Messages } = await client.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'] }));
    expect(Messages).toHaveLength(1);
    expect(Messages![0]).toMatchObject({ MessageId: sent.MessageId, Body: '{"détail":"é"}', Attributes: { ApproximateReceiveCount: '1' }, MessageAttributes: { kind: { DataType: 'String', StringValue: 'ses' } } });
    expect(Messages![0]!.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
    const handle = Messages![0]!.ReceiptHandle!;
    expect((await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }))).Attributes).toMatchObject({ ApproximateNumberOfMessagesNotVisible: '1', QueueArn: reports.arn, RedrivePolicy: expect.stringContaining(deadLetters.arn) });
    // A URL of the local endpoint names the queue as well as the template's.
    await client.send(new ChangeMessageVisibilityCommand({ QueueUrl: `${endpoint.url}/000000000000/reports`, ReceiptHandle: handle, VisibilityTimeout: 60 }));
    await client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: handle }));
    expect((await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessagesNotVisible'] }))).Attributes).toEqual({ ApproximateNumberOfMessagesNotVisible: '0' });
    expect(await client.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: handle, VisibilityTimeout: 0 })).catch((e: unknown) => e)).toBeInstanceOf(MessageNotInflight);
    expect(await client.send(new GetQueueUrlCommand({ QueueName: 'nowhere' })).catch((e: unknown) => e)).toBeInstanceOf(QueueDoesNotExist);
  });

  it('ends a long poll whose client went: a message sent after is not taken (and hidden) by a receive nobody reads', async () => {
    const QueueUrl = deadLetters.url;
    const body = JSON.stringify({ QueueUrl, WaitTimeSeconds: 20, MaxNumberOfMessages: 10 });
    await new Promise<void>((resolve, reject) => {
      const socket = connect(endpoint.port, '127.0.0.1', () => {
        socket.write(`POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: AmazonSQS.ReceiveMessage\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
        // The poll is waiting (the queue is empty): the client goes.
        setTimeout(() => socket.destroy(), 200);
      });
      socket.on('error', reject);
      socket.on('close', () => resolve());
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const sent = await client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'after the poll left' }));
    const { Messages } = await client.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 0 }));
    expect(Messages?.map((m) => m.MessageId)).toEqual([sent.MessageId]);
    await client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: Messages![0]!.ReceiptHandle! }));
  });

  it('refuses what SQS refuses: characters outside its set, a wait over 20 s, an attribute without a type; and leaves Messages out of an empty receive', async () => {
    const QueueUrl = deadLetters.url;
    const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);
    expect(await failure(client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'a\u0000b' })))).toBeInstanceOf(InvalidMessageContents);
    expect(await failure(client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x', MessageAttributes: { kind: { StringValue: 'x' } as never } })))).toMatchObject({ name: 'InvalidParameterValue' });
    const started = Date.now();
    expect(await failure(client.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 21 })))).toMatchObject({ name: 'InvalidParameterValue', message: expect.stringMatching(/WaitTimeSeconds/) });
    expect(Date.now() - started).toBeLessThan(2000);
    const empty = await client.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 0 }));
    expect(empty.Messages).toBeUndefined();
  });

  it('lists queues a page of MaxResults at a time with a NextToken, as SQS does, and all of them without MaxResults', async () => {
    const first = await client.send(new ListQueuesCommand({ MaxResults: 1 }));
    expect(first.QueueUrls).toHaveLength(1);
    expect(first.NextToken).toEqual(expect.any(String));
    const second = await client.send(new ListQueuesCommand({ MaxResults: 1, NextToken: first.NextToken }));
    expect(second.NextToken).toBeUndefined();
    expect([...first.QueueUrls!, ...second.QueueUrls!].sort()).toEqual([deadLetters.url, reports.url].sort());
    expect((await client.send(new ListQueuesCommand({}))).QueueUrls).toHaveLength(2);
    expect((await client.send(new ListQueuesCommand({ QueueNamePrefix: 'nothing' }))).QueueUrls).toBeUndefined();
    expect(await client.send(new ListQueuesCommand({ MaxResults: 1, NextToken: 'garbage' })).catch((e: unknown) => e)).toMatchObject({ name: 'InvalidParameterValue' });
    expect(await client.send(new ListQueuesCommand({ MaxResults: 1001 })).catch((e: unknown) => e)).toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('answers malformed fields (a string for a list, a number for an attribute) with a 400, not a 500', async () => {
    const post = (operation: string, body: unknown) =>
      fetch(endpoint.url, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${operation}` }, body: JSON.stringify(body) });
    for (const [operation, body] of [
      ['ReceiveMessage', { QueueUrl: deadLetters.url, MessageAttributeNames: 'All', WaitTimeSeconds: 0 }],
      ['ReceiveMessage', { QueueUrl: deadLetters.url, AttributeNames: { a: 1 }, WaitTimeSeconds: 0 }],
      ['ReceiveMessage', { QueueUrl: deadLetters.url, MaxNumberOfMessages: '5', WaitTimeSeconds: 0 }],
      ['SendMessage', { QueueUrl: deadLetters.url, MessageBody: 'x', MessageAttributes: { a: 5 } }],
      ['SendMessage', { QueueUrl: deadLetters.url, MessageBody: 'x', MessageAttributes: [1] }],
      ['GetQueueAttributes', { QueueUrl: deadLetters.url, AttributeNames: 'All' }],
    ] as const) {
      const response = await post(operation, body);
      expect([operation, response.status, response.headers.get('x-amzn-errortype')]).toEqual([operation, 400, 'com.amazonaws.sqs#InvalidParameterValue']);
    }
  });

  it('answers an SQS operation it does not serve with UnsupportedOperation, and a name that is no SQS operation with UnknownOperationException', async () => {
    const post = (operation: string) =>
      fetch(endpoint.url, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${operation}` }, body: '{}' });
    for (const [operation, type] of [
      ['PurgeQueue', 'com.amazonaws.sqs#UnsupportedOperation'],
      ['SendMessageBatch', 'com.amazonaws.sqs#UnsupportedOperation'],
      ['toString', 'UnknownOperationException'],
      ['NoSuchThing', 'UnknownOperationException'],
      ['', 'UnknownOperationException'],
    ] as const) {
      const response = await post(operation);
      expect([operation, response.status, response.headers.get('x-amzn-errortype')]).toEqual([operation, 400, type]);
    }
  });
});

describe('SQS event source mappings', () => {
  /** A function that records each batch's bodies and answers what `answer` says. */
  function consumer(answer: (bodies: string[], event: { Records: Array<{ messageId: string; body: string }> }) => InvokeResult | Promise<InvokeResult>) {
    const batches: string[][] = [];
    const invoke = async (_arn: string, event: unknown) => {
      const records = (event as { Records: Array<{ messageId: string; body: string; eventSource: string }> }).Records;
      expect(records.every((r) => r.eventSource === 'aws:sqs')).toBe(true);
      batches.push(records.map((r) => r.body));
      return answer(records.map((r) => r.body), event as { Records: Array<{ messageId: string; body: string }> });
    };
    return { batches, invoke };
  }
  const success = (result: unknown = null): InvokeResult => ({ ok: true, result, durationMs: 1 });
  const mapping = (settings: Partial<LocalEventSourceMapping> = {}): LocalEventSourceMapping => ({
    logicalId: 'Mapping',
    functionArn: 'arn:aws:lambda:eu-west-3:000000000000:function:consumer',
    queueArn: reports.arn,
    batchSize: 100,
    maximumBatchingWindowSeconds: 0.5,
    reportBatchItemFailures: true,
    maximumConcurrency: 2,
    ...settings,
  });
  const until = async (probe: () => boolean, ms = 5_000) => {
    const deadline = Date.now() + ms;
    while (!probe()) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('gathers a batch over its window, beyond 10 messages, and deletes it when the function succeeds', async () => {
    const sqs = new LocalSqs({ queues: [reports, deadLetters] });
    const { batches, invoke } = consumer(() => success());
    const sources = new LocalEventSources({ mappings: [mapping()], sqs, invoke, region: 'eu-west-3' });
    sources.start();
    try {
      for (let i = 0; i < 25; i++) {
        await sqs.sendMessage(reports.arn, `m${i}`);
        if (i % 10 === 9) await new Promise((r) => setTimeout(r, 50));
      }
      await until(() => batches.flat().length === 25);
      // One batch: the window was still open when the last message came.
      expect(batches.map((b) => b.length)).toEqual([25]);
      await until(() => sqs.attributes(reports.arn).ApproximateNumberOfMessagesNotVisible === '0');
      expect(sqs.attributes(reports.arn).ApproximateNumberOfMessages).toBe('0');
      expect(sources.stats()).toEqual([expect.objectContaining({ batches: 1, messages: 25, largestBatch: 25, failedBatches: 0 })]);
    } finally {
      await sources.stop();
    }
  });

  it('invokes at once without a window, and keeps batches to their size', async () => {
    const sqs = new LocalSqs({ queues: [reports, deadLetters] });
    for (let i = 0; i < 7; i++) await sqs.sendMessage(reports.arn, `m${i}`);
    const { batches, invoke } = consumer(() => success());
    const sources = new LocalEventSources({ mappings: [mapping({ batchSize: 3, maximumBatchingWindowSeconds: 0, maximumConcurrency: 1 })], sqs, invoke, region: 'eu-west-3' });
    sources.start();
    await until(() => batches.flat().length === 7);
    await sources.stop();
    expect(batches.map((b) => b.length)).toEqual([3, 3, 1]);
  });

  it('keeps only the messages the function names in batchItemFailures; they come back after their visibility timeout, then go to the dead letters', async () => {
    const quick = { ...reports, visibilityTimeoutSeconds: 1 };
    const sqs = new LocalSqs({ queues: [quick, deadLetters] });
    const { batches, invoke } = consumer((bodies, event) => success({ batchItemFailures: event.Records.filter((r) => r.body === 'bad').map((r) => ({ itemIdentifier: r.messageId })) }));
    const sources = new LocalEventSources({ mappings: [mapping({ maximumBatchingWindowSeconds: 0.2 })], sqs, invoke, region: 'eu-west-3' });
    for (const body of ['good-1', 'bad', 'good-2']) await sqs.sendMessage(quick.arn, body);
    sources.start();
    try {
      await until(() => sqs.attributes(deadLetters.arn).ApproximateNumberOfMessages === '1', 8_000);
      // Received twice (maxReceiveCount 2), each time alone after the first batch; never a third time.
      expect(batches).toEqual([['good-1', 'bad', 'good-2'], ['bad']]);
      expect(sqs.attributes(quick.arn)).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
      expect(sources.stats()[0]).toMatchObject({ batches: 2, messages: 4, failedMessages: 2, failedBatches: 0 });
    } finally {
      await sources.stop();
    }
  });

  it('keeps the whole batch when the function fails, or answers batchItemFailures Lambda would refuse', async () => {
    const quick = { ...reports, visibilityTimeoutSeconds: 1, redrive: undefined };
    const sqs = new LocalSqs({ queues: [quick] });
    let calls = 0;
    const { batches, invoke } = consumer(() => {
      calls += 1;
      if (calls === 1) return { ok: false, errorType: 'Error', errorMessage: 'boom', durationMs: 1 };
      if (calls === 2) return success({ batchItemFailures: [{ itemIdentifier: 'not-in-the-batch' }] });
      return success({ batchItemFailures: [] });
    });
    for (const body of ['a', 'b']) await sqs.sendMessage(quick.arn, body);
    const sources = new LocalEventSources({ mappings: [mapping({ maximumBatchingWindowSeconds: 0.1 })], sqs, invoke, region: 'eu-west-3' });
    sources.start();
    try {
      await until(() => calls === 3 && sqs.attributes(quick.arn).ApproximateNumberOfMessagesNotVisible === '0', 8_000);
      expect(batches).toEqual([['a', 'b'], ['a', 'b'], ['a', 'b']]);
      expect(sqs.attributes(quick.arn).ApproximateNumberOfMessages).toBe('0');
    } finally {
      await sources.stop();
    }
  });

  it('reads batchItemFailures as Lambda does', () => {
    const ids = new Set(['a', 'b']);
    expect(failedItems(null, ids)).toEqual(new Set());
    expect(failedItems({}, ids)).toEqual(new Set());
    expect(failedItems({ batchItemFailures: [] }, ids)).toEqual(new Set());
    expect(failedItems({ batchItemFailures: [{ itemIdentifier: 'b' }] }, ids)).toEqual(new Set(['b']));
    expect(failedItems({ batchItemFailures: [{ itemIdentifier: '' }] }, ids)).toBe('all');
    expect(failedItems({ batchItemFailures: [{ id: 'a' }] }, ids)).toBe('all');
    expect(failedItems({ batchItemFailures: 'a' }, ids)).toBe('all');
  });
});
