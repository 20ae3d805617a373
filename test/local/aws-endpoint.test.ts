import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PinpointSMSVoiceV2Client, SendTextMessageCommand, ValidationException } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { startAwsJsonEndpoint, type AwsJsonEndpoint } from '../../infra/local/aws-endpoint.js';
import { LocalSms } from '../../infra/local/sms.js';
import { MALFORMED_REQUESTS, rawHttp, type RawAnswer } from '../support/raw-http.js';

const clientConfig = { region: 'eu-west-3', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 };

describe('AWS JSON endpoint', () => {
  const received: Array<{ operation: string; body: unknown }> = [];
  const sms = new LocalSms();
  let endpoint: AwsJsonEndpoint;
  let sfn: SFNClient;
  let smsClient: PinpointSMSVoiceV2Client;

  beforeAll(async () => {
    endpoint = await startAwsJsonEndpoint({
      services: {
        AWSStepFunctions: async (operation, body) => {
          received.push({ operation, body });
          const { name, stateMachineArn } = body as { name: string; stateMachineArn: string };
          if (name === 'already-there') {
            return { status: 400, body: { __type: 'ExecutionAlreadyExists', message: `Execution Already Exists: '${name}'` } };
          }
          if (name === 'boom') throw new Error('service bug');
          const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
          return { status: 200, body: { executionArn, startDate: 1767225600.5 } };
        },
        PinpointSMSVoiceV2: (operation, body) => sms.handleJson(operation, body),
      },
      fallback: (req, res) => sms.handle(req, res, '/sms'),
    });
    sfn = new SFNClient({ endpoint: endpoint.url, ...clientConfig });
    // As the functions get it: the SDK reads the per-service endpoint variable (at send time).
    process.env.AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2 = endpoint.url;
    smsClient = new PinpointSMSVoiceV2Client(clientConfig);
  });

  afterAll(async () => {
    delete process.env.AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2;
    sfn.destroy();
    smsClient.destroy();
    await endpoint.close();
  });

  it('dispatches StartExecution from the real SFN client and returns its output', async () => {
    const stateMachineArn = 'arn:aws:states:eu-west-3:000000000000:stateMachine:referral';
    const output = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'ref-1', input: '{"referralId":"ref-1"}' }));
    expect(output.executionArn).toBe('arn:aws:states:eu-west-3:000000000000:execution:referral:ref-1');
    expect(output.startDate).toEqual(new Date(1767225600500));
    expect(received.at(-1)).toEqual({ operation: 'StartExecution', body: { stateMachineArn, name: 'ref-1', input: '{"referralId":"ref-1"}' } });
  });

  it('turns a modeled error into the SDK typed exception', async () => {
    const error = await sfn
      .send(new StartExecutionCommand({ stateMachineArn: 'arn:aws:states:eu-west-3:000000000000:stateMachine:referral', name: 'already-there' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExecutionAlreadyExists);
    expect((error as ExecutionAlreadyExists).name).toBe('ExecutionAlreadyExists');
    expect((error as ExecutionAlreadyExists).message).toContain('already-there');
    expect((error as ExecutionAlreadyExists).$metadata.httpStatusCode).toBe(400);
  });

  it('answers a throwing service with a 500 InternalFailure', async () => {
    const error = await sfn
      .send(new StartExecutionCommand({ stateMachineArn: 'arn:aws:states:eu-west-3:000000000000:stateMachine:referral', name: 'boom' }))
      .catch((e: unknown) => e);
    expect((error as Error).name).toBe('InternalFailure');
    expect((error as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(500);
  });

  it('sends an SMS through LocalSms, visible in list() and in the outbox page', async () => {
    const output = await smsClient.send(
      new SendTextMessageCommand({
        DestinationPhoneNumber: '+33612345678',
        OriginationIdentity: 'CoopConnex',
        MessageBody: 'Votre orientation a été acceptée.',
        MessageType: 'TRANSACTIONAL',
        Context: { kind: 'decision' },
      }),
    );
    expect(output.MessageId).toBeTruthy();
    expect(sms.list()[0]).toMatchObject({ messageId: output.MessageId, destination: '+33612345678', body: 'Votre orientation a été acceptée.', context: { kind: 'decision' } });
    const html = await (await fetch(`${endpoint.url}/sms/`)).text();
    expect(html).toContain('Votre orientation a été acceptée.');
  });

  it('gives the SMS validation error as the typed ValidationException', async () => {
    const error = await smsClient.send(new SendTextMessageCommand({ DestinationPhoneNumber: '0612345678', MessageBody: 'x' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationException);
    expect((error as ValidationException).Reason).toBe('FIELD_VALIDATION_FAILED');
    expect((error as ValidationException).Fields?.[0]?.Name).toBe('DestinationPhoneNumber');
  });

  it('rejects an unknown target, a bad body and an oversized body', async () => {
    const post = (target: string, body: string, contentType = 'application/x-amz-json-1.0') =>
      fetch(endpoint.url, { method: 'POST', headers: { 'x-amz-target': target, 'content-type': contentType }, body });

    const unknown = await post('DynamoDB_20120810.ListTables', '{}');
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(unknown.headers.get('content-type')).toBe('application/x-amz-json-1.0');
    expect(await unknown.json()).toMatchObject({ __type: 'UnknownOperationException' });
    expect((await post('constructor.StartExecution', '{}')).status).toBe(400);

    const invalid = await post('AWSStepFunctions.StartExecution', '{not json');
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('x-amzn-errortype')).toBe('SerializationException');

    const tooLarge = await post('AWSStepFunctions.StartExecution', JSON.stringify({ input: 'x'.repeat(1024 * 1024) }));
    expect(tooLarge.status).toBe(413);
  });

  it('says nothing of a client gone mid-body: no answer to give, and no failure of its own', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      await new Promise<void>((resolve) => {
        const socket = connect(endpoint.port, '127.0.0.1', () => {
          socket.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: AWSStepFunctions.StartExecution\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: 100\r\n\r\n{"name":');
          setTimeout(() => socket.destroy(), 50);
        });
        socket.on('close', () => resolve());
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(errors).not.toHaveBeenCalled();
      expect((await fetch(`${endpoint.url}/sms/messages.json`)).status).toBe(200);
    } finally {
      errors.mockRestore();
    }
  });

  it('sends other requests to the fallback, else 404', async () => {
    expect((await fetch(`${endpoint.url}/sms/messages.json`)).status).toBe(200);
    expect((await fetch(`${endpoint.url}/nothing-here`)).status).toBe(404);
  });

  it('answers a POST without X-Amz-Target as the AWS JSON services do, in JSON with its type', async () => {
    const lost = await fetch(endpoint.url, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1' }, body: '{}' });
    expect(lost.status).toBe(400);
    expect(lost.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(lost.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await lost.json()).toMatchObject({ __type: 'UnknownOperationException', message: expect.stringContaining('X-Amz-Target') });
  });

  it('answers bytes Node cannot parse as the AWS JSON protocols answer an error: its type in x-amzn-errortype and __type, a message', async () => {
    const expectJsonError = (answer: RawAnswer, what: string, status: number, type: string) => {
      expect([what, answer.status, answer.headers['content-type'], answer.headers['x-amzn-errortype'], answer.headers.connection]).toEqual([what, status, 'application/x-amz-json-1.0', type, 'close']);
      expect(JSON.parse(answer.body), what).toEqual({ __type: type, message: expect.any(String) });
      expect(answer.raw.match(/HTTP\/1\.1 \d{3}/g), what).toHaveLength(1);
    };
    for (const [what, bytes] of Object.entries(MALFORMED_REQUESTS)) expectJsonError(await rawHttp(endpoint.port, bytes), what, 400, 'SerializationException');
    const target = 'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: AWSStepFunctions.StartExecution\r\nContent-Type: application/x-amz-json-1.0\r\n';
    // A chunked body the endpoint was reading, whose second chunk's size is no number.
    const before = received.length;
    expectJsonError(await rawHttp(endpoint.port, [`${target}Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n`, 'zz\r\n{}\r\n0\r\n\r\n'], { pauseMs: 30 }), 'a malformed chunk', 400, 'SerializationException');
    expect(received).toHaveLength(before);
    expectJsonError(await rawHttp(endpoint.port, `${target}X-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`), 'headers over 16 KB', 431, 'RequestHeaderFieldsTooLargeException');
    expect((await fetch(`${endpoint.url}/sms/messages.json`)).status).toBe(200);
  });
});
