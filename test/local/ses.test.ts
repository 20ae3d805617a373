import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadRequestException, ListEmailIdentitiesCommand, NotFoundException, SESv2Client, SendEmailCommand, type Attachment } from '@aws-sdk/client-sesv2';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { startLocalSes, type LocalSes } from '../../infra/local/ses.js';
import { MALFORMED_REQUESTS, rawHttp, type RawAnswer } from '../support/raw-http.js';

describe('local SES (aws-ses-v2-local)', () => {
  let ses: LocalSes;

  beforeAll(async () => {
    ses = await startLocalSes();
  });

  afterAll(async () => {
    delete process.env.AWS_ENDPOINT_URL_SESV2;
    await ses.stop();
  });

  it('accepts SendEmail from the SESv2 client with a configuration set and tags, and lists the email', async () => {
    // The endpoint reaches the client the way the functions get it: through AWS_ENDPOINT_URL_SESV2 (read at send time).
    process.env.AWS_ENDPOINT_URL_SESV2 = ses.endpoint;
    const client = new SESv2Client({ region: 'eu-west-3', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const sent = await client.send(
      new SendEmailCommand({
        FromEmailAddress: 'ne-pas-repondre@coopconnexion.local',
        Destination: { ToAddresses: ['sarah.benali@example.org'] },
        ConfigurationSetName: 'coopconnexion-local',
        EmailTags: [
          { Name: 'kind', Value: 'referral-received' },
          { Name: 'stage', Value: 'local' },
        ],
        Content: {
          Simple: {
            Subject: { Data: 'Orientation reçue', Charset: 'UTF-8' },
            Body: { Text: { Data: 'Bonjour, votre orientation a bien été reçue.' }, Html: { Data: '<p>Bonjour, votre orientation a bien été reçue.</p>' } },
          },
        },
      }),
    );
    client.destroy();
    expect(sent.MessageId).toBeTruthy();

    const emails = await ses.listEmails();
    const email = emails.find((e) => e.messageId === sent.MessageId);
    expect(email).toMatchObject({
      from: 'ne-pas-repondre@coopconnexion.local',
      to: ['sarah.benali@example.org'],
      subject: 'Orientation reçue',
      text: 'Bonjour, votre orientation a bien été reçue.',
      html: '<p>Bonjour, votre orientation a bien été reçue.</p>',
    });
    expect(Math.abs(Date.parse(email!.at) - Date.now())).toBeLessThan(60_000);
  });

  it('serves the mail viewer', async () => {
    const response = await fetch(ses.viewerUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
  });

  describe('attachments (SES v2 Content.Simple.Attachments)', () => {
    const client = () => new SESv2Client({ region: 'eu-west-3', endpoint: ses.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const simple = (Attachments: Attachment[]) =>
      new SendEmailCommand({
        FromEmailAddress: 'ne-pas-repondre@coopconnexion.local',
        Destination: { ToAddresses: ['client@example.org'] },
        Content: { Simple: { Subject: { Data: 'Facture' }, Body: { Text: { Data: 'Ci-joint.' } }, Attachments } },
      });
    // Binary bytes, every value: a PDF is not text.
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7919) % 256))]);

    it('stores the bytes, name, type and disposition the SDK sent, and the viewer links each file to a download under its name', async () => {
      const sesClient = client();
      const sent = await sesClient.send(
        simple([
          { FileName: 'facture-2027-000123.pdf', ContentType: 'application/pdf', ContentDisposition: 'ATTACHMENT', ContentTransferEncoding: 'BASE64', RawContent: pdf },
          // No type: SES takes it from the extension.
          { FileName: 'relevé mars.csv', RawContent: Buffer.from('a;b\n1;2\n') },
        ]),
      );
      sesClient.destroy();
      const email = (await ses.listEmails()).find((e) => e.messageId === sent.MessageId)!;
      expect(email.attachments.map(({ content: _content, ...file }) => file)).toEqual([
        { fileName: 'facture-2027-000123.pdf', contentType: 'application/pdf', disposition: 'attachment', size: pdf.length },
        { fileName: 'relevé mars.csv', contentType: 'text/csv', size: 8 },
      ]);
      expect(email.attachments[0]!.content.equals(pdf)).toBe(true);

      const viewer = await (await fetch(ses.viewerUrl)).text();
      expect(viewer).toContain(`'<a download href="/attachments/' + encodeURIComponent(e.messageId) + '/' + i + '">'`);
      expect(viewer).not.toContain('makeBlob(a.contentType, a.content)');
      const download = await fetch(new URL(`/attachments/${sent.MessageId}/1`, ses.endpoint));
      expect(download.headers.get('content-disposition')).toBe(`attachment; filename="releve mars.csv"; filename*=UTF-8''relev%C3%A9%20mars.csv`);
      expect(download.headers.get('content-type')).toBe('text/csv');
      expect(await download.text()).toBe('a;b\n1;2\n');
      const first = await fetch(new URL(`/attachments/${sent.MessageId}/0`, ses.endpoint));
      expect(Buffer.from(await first.arrayBuffer()).equals(pdf)).toBe(true);
      expect((await fetch(new URL(`/attachments/${sent.MessageId}/2`, ses.endpoint))).status).toBe(404);
    });

    it("keeps the bytes out of the package's store (what the viewer reads), and still gives them to listEmails, a download and the .eml", async () => {
      const sesClient = client();
      const sent = await sesClient.send(simple([{ FileName: 'facture-2027-000124.pdf', ContentType: 'application/pdf', RawContent: pdf }]));
      sesClient.destroy();
      const viewer = (await (await fetch(new URL('/store', ses.endpoint))).json()) as { emails: Array<{ messageId: string; attachments: Array<{ filename: string; size: number; content: string }> }> };
      const record = viewer.emails.find((email) => email.messageId === sent.MessageId)!;
      expect(record.attachments).toEqual([expect.objectContaining({ filename: 'facture-2027-000124.pdf', size: pdf.length, content: '' })]);
      expect((await ses.listEmails()).find((email) => email.messageId === sent.MessageId)!.attachments[0]!.content.equals(pdf)).toBe(true);
      const download = await fetch(new URL(`/attachments/${sent.MessageId}/0`, ses.endpoint));
      expect(Buffer.from(await download.arrayBuffer()).equals(pdf)).toBe(true);
      // The viewer's .eml: the file in base64 in the MIME message (the package's own route gave its base64 as text).
      const eml = (await (await fetch(new URL(`/get-emlContent?messageId=${sent.MessageId}`, ses.endpoint))).json()) as { fileName: string; body: { data: number[] } };
      const mime = Buffer.from(eml.body.data).toString('latin1');
      expect(eml.fileName).toBe('Facture');
      expect(mime.replace(/\r\n/g, '')).toContain(pdf.toString('base64'));
    });

    it('answers SendEmail as the package does: its checks, its authentication, and base64 padding only at the end', async () => {
      const post = (body: unknown, authorization?: string) =>
        fetch(new URL('/v2/email/outbound-emails', ses.endpoint), { method: 'POST', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, body: JSON.stringify(body) });
      const auth = 'AWS4-HMAC-SHA256 Credential=x/20261203/eu-west-3/ses/aws4_request, SignedHeaders=host, Signature=x';
      const request = { FromEmailAddress: 'a@coopconnexion.local', Destination: { ToAddresses: ['b@example.org'] }, Content: { Simple: { Subject: { Data: 'Sujet' }, Body: { Text: { Data: 'x' } } } } };
      const before = (await ses.listEmails()).length;
      expect((await post(request)).status).toBe(403);
      expect((await post(request, 'Bearer x')).status).toBe(400);
      const noSubject = await post({ ...request, Content: { Simple: { Body: { Text: { Data: 'x' } } } } }, auth);
      // The package's refusals, named as SES names them (the SDK reads x-amzn-errortype), with the package's reason.
      expect([noSubject.status, noSubject.headers.get('x-amzn-errortype'), ((await noSubject.json()) as { message: string }).message]).toEqual([400, 'BadRequestException', 'Schema validation failed']);
      const noBody = await post({ ...request, Content: { Simple: { Subject: { Data: 'Sujet' }, Body: {} } } }, auth);
      expect(((await noBody.json()) as { message: string }).message).toMatch(/either a HTML or Text body/);
      const withFile = (RawContent: string) => ({ ...request, Content: { Simple: { ...request.Content.Simple, Attachments: [{ FileName: 'a.pdf', RawContent }] } } });
      expect((await post(withFile('QQ==QUFB'), auth)).status).toBe(400);
      expect((await post(withFile('QUF='), auth)).status).toBe(200);
      expect((await ses.listEmails()).length).toBe(before + 1);
    });

    it('refuses what SES refuses, with the error the SDK names: no file name, a bad disposition, a message over 40 MB', async () => {
      const sesClient = client();
      const before = (await ses.listEmails()).length;
      await expect(sesClient.send(simple([{ FileName: '', RawContent: pdf }]))).rejects.toMatchObject({ name: 'BadRequestException', message: expect.stringMatching(/FileName is required/) });
      await expect(sesClient.send(simple([{ FileName: 'a.pdf', RawContent: pdf, ContentDisposition: 'DOWNLOAD' as never }]))).rejects.toMatchObject({ name: 'BadRequestException' });
      // 31 MB of bytes are over 41 MB once base64-encoded: more than the package's own 25 MB JSON limit too.
      await expect(sesClient.send(simple([{ FileName: 'gros.pdf', RawContent: Buffer.alloc(31_000_000) }]))).rejects.toMatchObject({ name: 'MessageRejected' });
      sesClient.destroy();
      expect((await ses.listEmails()).length).toBe(before);
    });

    it('takes 28 MB of attachments, over the 25 MB the package parses, as SES takes anything under 40 MB encoded', async () => {
      const sesClient = client();
      const big = Buffer.alloc(28_000_000, 7);
      const sent = await sesClient.send(simple([{ FileName: 'annexe.pdf', ContentType: 'application/pdf', RawContent: big }]));
      sesClient.destroy();
      const email = (await ses.listEmails()).find((e) => e.messageId === sent.MessageId)!;
      expect(email.attachments[0]!.size).toBe(big.length);
    });

    it('still takes raw MIME content, attachments included', async () => {
      const sesClient = client();
      const mime = [
        'From: ne-pas-repondre@coopconnexion.local',
        'To: client@example.org',
        'Subject: Brut',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b1"',
        '',
        '--b1',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Corps',
        '--b1',
        'Content-Type: application/pdf; name="brut.pdf"',
        'Content-Disposition: attachment; filename="brut.pdf"',
        'Content-Transfer-Encoding: base64',
        '',
        pdf.toString('base64').replace(/.{76}/g, '$&\r\n'),
        '--b1--',
        '',
      ].join('\r\n');
      const sent = await sesClient.send(new SendEmailCommand({ Content: { Raw: { Data: Buffer.from(mime) } } }));
      sesClient.destroy();
      const email = (await ses.listEmails()).find((e) => e.messageId === sent.MessageId)!;
      expect(email).toMatchObject({ subject: 'Brut', text: 'Corps' });
      expect(email.attachments.map((file) => [file.fileName, file.contentType, file.size])).toEqual([['brut.pdf', 'application/pdf', pdf.length]]);
      expect(email.attachments[0]!.content.equals(pdf)).toBe(true);
    });
  });

  describe('errors as SES answers them', () => {
    const client = () => new SESv2Client({ endpoint: ses.endpoint, region: 'eu-west-3', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
    const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error as Error & { $metadata?: { httpStatusCode?: number } });

    it("names the package's refusals with SES v2's error types, which the SDK turns into its exception classes", async () => {
      const sesClient = client();
      const noSubject = await failure(
        sesClient.send(new SendEmailCommand({ FromEmailAddress: 'a@example.org', Destination: { ToAddresses: ['b@example.org'] }, Content: { Simple: { Body: { Text: { Data: 'x' } } } as never } })),
      );
      expect(noSubject).toBeInstanceOf(BadRequestException);
      const noTemplate = await failure(
        sesClient.send(new SendEmailCommand({ FromEmailAddress: 'a@example.org', Destination: { ToAddresses: ['b@example.org'] }, Content: { Template: { TemplateName: 'absent', TemplateData: '{}' } } })),
      );
      expect(noTemplate).toBeInstanceOf(NotFoundException);
      sesClient.destroy();
    });

    it('refuses a sender or recipient that is not an address with BadRequestException, as SES v2 does, and takes display names', async () => {
      const sesClient = client();
      const send = (from: string, to: string[], replyTo?: string[]) =>
        sesClient.send(new SendEmailCommand({ FromEmailAddress: from, Destination: { ToAddresses: to }, ReplyToAddresses: replyTo, Content: { Simple: { Subject: { Data: 's' }, Body: { Text: { Data: 't' } } } } }));
      for (const [from, to, replyTo] of [
        ['a@example.org', ['not an address']],
        ['a@example.org', ['']],
        ['nobody', ['b@example.org']],
        ['a@example.org', ['b@example.org', 'c@']],
        ['a@example.org', ['b@example.org'], ['@example.org']],
      ] as const) {
        expect(await failure(send(from, [...to], replyTo ? [...replyTo] : undefined))).toBeInstanceOf(BadRequestException);
      }
      expect((await send('CoopConnexion <ne-pas-repondre@coopconnexion.local>', ['"Benali, Sarah" <sarah.benali@example.org>'])).MessageId).toBeTruthy();
      sesClient.destroy();
    });

    it('answers an operation it does not serve with UnknownOperationException, not an XML fragment the SDK cannot parse', async () => {
      const sesClient = client();
      const error = await failure(sesClient.send(new ListEmailIdentitiesCommand({})));
      sesClient.destroy();
      expect(error).toMatchObject({ name: 'UnknownOperationException', $metadata: { httpStatusCode: 404 } });
    });

    it('answers an SES v1 action other than SendEmail and SendRawEmail at once, with InvalidAction in an XML ErrorResponse', async () => {
      const response = await fetch(ses.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'AWS4-HMAC-SHA256 Credential=x/20260101/eu-west-3/ses/aws4_request' },
        body: 'Action=GetSendQuota&Version=2010-12-01',
        signal: AbortSignal.timeout(5000),
      });
      expect(response.status).toBe(400);
      expect(await response.text()).toMatch(/<Code>InvalidAction<\/Code>/);
    });

    describe('requests the package itself would mishandle', () => {
      const unhandled: unknown[] = [];
      const onRejection = (reason: unknown) => unhandled.push(reason);
      beforeAll(() => void process.on('unhandledRejection', onRejection));
      afterAll(() => void process.off('unhandledRejection', onRejection));
      const settle = () => new Promise((resolve) => setTimeout(resolve, 100));
      const authorization = 'AWS4-HMAC-SHA256 Credential=x/20260101/eu-west-3/ses/aws4_request, SignedHeaders=host, Signature=x';
      /** A raw message of more MIME parts than the package's parser takes (1,000). */
      const tooManyParts = Buffer.from(
        ['From: a@example.org', 'To: b@example.org', 'Subject: parts', 'Content-Type: multipart/mixed; boundary="b"', '', ...Array.from({ length: 1100 }, () => '--b\r\nContent-Type: text/plain\r\n\r\nx'), '--b--', ''].join('\r\n'),
      );

      it('refuses a raw message its parser cannot read with MessageRejected (v2 and v1), instead of a rejection nothing handles and no answer', async () => {
        const sesClient = client();
        const error = await failure(sesClient.send(new SendEmailCommand({ Content: { Raw: { Data: tooManyParts } } })));
        sesClient.destroy();
        expect(error).toMatchObject({ name: 'MessageRejected', $metadata: { httpStatusCode: 400 } });
        const v1 = await fetch(ses.endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
          body: new URLSearchParams({ Action: 'SendRawEmail', 'RawMessage.Data': tooManyParts.toString('base64') }).toString(),
          signal: AbortSignal.timeout(5000),
        });
        expect(v1.status).toBe(400);
        expect(await v1.text()).toMatch(/<Code>MessageRejected<\/Code>/);
        await settle();
        expect(unhandled).toEqual([]);
      });

      it("answers HEAD on the viewer's .eml route itself (the package's GET route answers an unknown id twice), and a download path that is not percent-encoding with 404", async () => {
        const head = await fetch(new URL('/get-emlContent?messageId=unknown', ses.endpoint), { method: 'HEAD', signal: AbortSignal.timeout(5000) });
        expect(head.status).toBe(400);
        expect((await fetch(new URL('/attachments/%zz/0', ses.endpoint))).status).toBe(404);
        await settle();
        expect(unhandled).toEqual([]);
      });

      it('reads no request body past 64 MiB: a 413 that names the limit, declared or streamed, and the proxy still serves', async () => {
        const limit = 64 * 1024 * 1024;
        const declared = await new Promise<{ status: number; type: string | undefined }>((resolve, reject) => {
          const req = httpRequest(new URL('/v2/email/outbound-emails', ses.endpoint), { method: 'POST', headers: { 'content-type': 'application/json', authorization, 'content-length': String(limit + 1) } }, (res) => {
            res.resume();
            resolve({ status: res.statusCode!, type: res.headers['x-amzn-errortype'] as string | undefined });
            req.destroy();
          });
          req.on('error', reject);
          req.flushHeaders();
        });
        expect(declared).toEqual({ status: 413, type: 'MessageRejected' });
        // Streamed without a length, in 1 MiB pieces: the answer comes once the limit is passed, and nothing more is read.
        const streamed = await new Promise<{ status: number; body: string; sent: number }>((resolve, reject) => {
          let sent = 0;
          let answered = false;
          const piece = Buffer.alloc(1024 * 1024, 97);
          const req = httpRequest(ses.endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization, 'transfer-encoding': 'chunked' } }, (res) => {
            answered = true;
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8'), sent }));
          });
          req.on('error', (error: NodeJS.ErrnoException) => (['ECONNRESET', 'EPIPE'].includes(error.code ?? '') ? undefined : reject(error)));
          const write = () => {
            while (!answered && sent < 2 * limit) {
              sent += piece.length;
              if (!req.write(piece)) return void req.once('drain', write);
            }
            req.end();
          };
          write();
        });
        expect(streamed.status).toBe(413);
        expect(streamed.body).toMatch(/<Code>MessageRejected<\/Code><Message>Request body is larger than 67108864 bytes/);
        expect(streamed.sent).toBeLessThan(2 * limit);
        const sesClient = client();
        const after = await sesClient.send(new SendEmailCommand({ FromEmailAddress: 'a@example.org', Destination: { ToAddresses: ['b@example.org'] }, Content: { Simple: { Subject: { Data: 'after' }, Body: { Text: { Data: 'x' } } } } }));
        expect(after.MessageId).toBeTruthy();
        sesClient.destroy();
        await settle();
        expect(unhandled).toEqual([]);
      });

      it('answers a body the package cannot read without its stack trace, as SES names the error', async () => {
        const post = (path: string, contentType: string, body: string) =>
          fetch(new URL(path, ses.endpoint), { method: 'POST', headers: { 'content-type': contentType, authorization }, body, signal: AbortSignal.timeout(5000) });
        const charset = await post('/v2/email/templates', 'application/json; charset=latin1', '{}');
        expect(charset.status).toBe(415);
        expect(charset.headers.get('x-amzn-errortype')).toBe('BadRequestException');
        expect(await charset.json()).toEqual({ message: 'unsupported charset "LATIN1"' });
        const viewer = await fetch(new URL('/', ses.endpoint), { method: 'OPTIONS', headers: { 'content-type': 'application/json' }, body: '{not json' });
        expect(viewer.status).toBe(400);
        expect(await viewer.text()).toMatch(/^{"message":"Expected property name/);
      });
    });
  });

  it("answers bytes Node cannot parse in the shape of SES's API they were for: v1's XML ErrorResponse for a POST to /, else v2's JSON", async () => {
    const port = Number(new URL(ses.endpoint).port);
    const expectV2 = (answer: RawAnswer, what: string, status: number) => {
      expect([what, answer.status, answer.headers['content-type'], answer.headers['x-amzn-errortype'], answer.headers.connection]).toEqual([what, status, 'application/json', 'BadRequestException', 'close']);
      expect(Object.keys(JSON.parse(answer.body)), what).toEqual(['message']);
      expect(answer.raw.match(/HTTP\/1\.1 \d{3}/g), what).toHaveLength(1);
    };
    for (const [what, bytes] of Object.entries(MALFORMED_REQUESTS)) expectV2(await rawHttp(port, bytes), what, 400);
    const sendEmail = 'POST /v2/email/outbound-emails HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n';
    expectV2(await rawHttp(port, [sendEmail, 'zz\r\n{}\r\n0\r\n\r\n'], { pauseMs: 30 }), 'a malformed chunk of a SendEmail', 400);
    expectV2(await rawHttp(port, `GET /v2/email/identities HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`), 'headers over 16 KB', 431);
    // SES v1's query API: a form posted to /.
    const v1 = await rawHttp(port, ['POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n', 'zz\r\nAction=SendEmail\r\n0\r\n\r\n'], { pauseMs: 30 });
    expect([v1.status, v1.headers['content-type']]).toEqual([400, 'text/xml']);
    expect(v1.body).toMatch(/^<ErrorResponse xmlns="http:\/\/ses\.amazonaws\.com\/doc\/2010-12-01\/"><Error><Type>Sender<\/Type><Code>InvalidParameterValue<\/Code><Message>The request could not be read as HTTP[^<]*<\/Message><\/Error><RequestId>[0-9a-f-]+<\/RequestId><\/ErrorResponse>$/);
    expect((await fetch(ses.viewerUrl)).status).toBe(200);
  });

  it('refuses a port that is already taken with a PortInUseError naming it', async () => {
    const port = Number(new URL(ses.endpoint).port);
    await expect(startLocalSes({ port })).rejects.toMatchObject({ name: 'PortInUseError', port, service: 'ses' });
  });
});

describe('local SES with a data folder', () => {
  it('keeps accepted mails on disk, forgets them at stop, and forgets them on disk too when the viewer clears them', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ses-test-'));
    const first = await startLocalSes({ dataDir });
    const client = new SESv2Client({ region: 'eu-west-3', endpoint: first.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const sent = await client.send(
      new SendEmailCommand({ FromEmailAddress: 'a@coopconnexion.local', Destination: { ToAddresses: ['b@example.org'] }, Content: { Simple: { Subject: { Data: 'Gardé' }, Body: { Text: { Data: 'x' } } } } }),
    );
    client.destroy();
    await first.stop();
    const second = await startLocalSes({ dataDir });
    expect((await second.listEmails()).map((email) => email.messageId)).toEqual([sent.MessageId]);
    expect((await fetch(new URL('/clear-store', second.endpoint), { method: 'POST' })).status).toBe(200);
    expect(readFileSync(join(dataDir, 'ses-mail.jsonl'), 'utf8')).toBe('');
    await second.stop();
    const third = await startLocalSes({ dataDir });
    expect(await third.listEmails()).toEqual([]);
    await third.stop();
  });

  it("reads each mail's files back from its own line of the mail file, after a clear and after a restart", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ses-test-'));
    const file = (n: number) => Buffer.from(Array.from({ length: 3_000 + n }, (_, i) => (i * n) % 256));
    const sendWith = async (target: LocalSes, n: number) => {
      const client = new SESv2Client({ region: 'eu-west-3', endpoint: target.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
      const sent = await client.send(
        new SendEmailCommand({ FromEmailAddress: 'a@coopconnexion.local', Destination: { ToAddresses: ['b@example.org'] }, Content: { Simple: { Subject: { Data: `n° ${n}` }, Body: { Text: { Data: 'é' } }, Attachments: [{ FileName: `f${n}.pdf`, RawContent: file(n) }] } } }),
      );
      client.destroy();
      return sent.MessageId!;
    };
    const bytes = async (target: LocalSes) => (await target.listEmails()).map((email) => [email.subject, email.attachments[0]!.content.toString('base64')]);
    const first = await startLocalSes({ dataDir });
    await sendWith(first, 1);
    expect((await fetch(new URL('/clear-store', first.endpoint), { method: 'POST' })).status).toBe(200);
    const ids = [await sendWith(first, 2), await sendWith(first, 3)];
    expect(await bytes(first)).toEqual([2, 3].map((n) => [`n° ${n}`, file(n).toString('base64')]));
    await first.stop();
    const second = await startLocalSes({ dataDir });
    ids.push(await sendWith(second, 4));
    expect(await bytes(second)).toEqual([2, 3, 4].map((n) => [`n° ${n}`, file(n).toString('base64')]));
    const download = await fetch(new URL(`/attachments/${ids[1]}/0`, second.endpoint));
    expect(Buffer.from(await download.arrayBuffer()).equals(file(3))).toBe(true);
    await second.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('reads accented text the same whether raw UTF-8, \\u escapes or both, with or without an attachment', async () => {
    const ses = await startLocalSes();
    const send = async (json: string) => {
      const response = await fetch(new URL('/v2/email/outbound-emails', ses.endpoint), { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'AWS4-HMAC-SHA256 Credential=x/20261203/eu-west-3/ses/aws4_request, SignedHeaders=host, Signature=x' }, body: Buffer.from(json, 'utf8') });
      return ((await response.json()) as { MessageId: string }).MessageId;
    };
    const request = (subject: string, text: string, attachments = '') =>
      `{"FromEmailAddress":"a@coopconnexion.local","Destination":{"ToAddresses":["b@example.org"]},"Content":{"Simple":{"Subject":{"Data":"${subject}"},"Body":{"Text":{"Data":"${text}"}}${attachments}}}}`;
    const file = `,"Attachments":[{"FileName":"f\u00e9.pdf","RawContent":"${Buffer.from('%PDF-1.7 é').toString('base64')}"}]`;
    const ids = [
      await send(request('Échéance « écoulée »', 'Hélène — 30 €')),
      await send(request('\\u00c9ch\\u00e9ance « écoulée »', 'H\\u00e9l\\u00e8ne — 30 €')),
      await send(request('Échéance « écoulée »', 'Hélène — 30 €', file)),
      await send(request('Échéance « écoulée »', 'Hélène — 30 €', file.replace('f\\u00e9.pdf', 'fé.pdf'))),
    ];
    const emails = (await ses.listEmails()).filter((email) => ids.includes(email.messageId));
    expect(emails.map((email) => [email.subject, email.text])).toEqual(ids.map(() => ['Échéance « écoulée »', 'Hélène — 30 €']));
    expect(emails.slice(2).map((email) => [email.attachments[0]!.fileName, email.attachments[0]!.content.toString('utf8')])).toEqual([
      ['fé.pdf', '%PDF-1.7 é'],
      ['fé.pdf', '%PDF-1.7 é'],
    ]);
    await ses.stop();
  });

  it('keeps a mail with attachments on disk as the JSON of the stored mail, byte for byte, and gives the same bytes back after a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ses-test-'));
    const first = await startLocalSes({ dataDir });
    const client = new SESv2Client({ region: 'eu-west-3', endpoint: first.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const pdf = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7919) % 256));
    const sent = await client.send(
      new SendEmailCommand({
        FromEmailAddress: 'factures@coopconnexion.local',
        Destination: { ToAddresses: ['hélène@example.org'] },
        Content: {
          Simple: {
            Subject: { Data: 'Votre facture « novembre »' },
            Body: { Text: { Data: 'Échéance : 30 jours.\n"Cordialement"\t\\ — La coopérative' } },
            Attachments: [
              { FileName: 'facture-é.pdf', ContentType: 'application/pdf', ContentDisposition: 'ATTACHMENT', RawContent: pdf },
              { FileName: 'detail.csv', RawContent: Buffer.from('a;b\n1;2\n') },
            ],
          },
        },
      }),
    );
    client.destroy();
    const stored = (await first.listEmails()).find((email) => email.messageId === sent.MessageId)!;
    const line = readFileSync(join(dataDir, 'ses-mail.jsonl'), 'utf8').trimEnd();
    expect(JSON.parse(line)).toMatchObject({ messageId: sent.MessageId, subject: 'Votre facture « novembre »', body: { text: 'Échéance : 30 jours.\n"Cordialement"\t\\ — La coopérative' } });
    expect(line).toBe(JSON.stringify(JSON.parse(line)));
    await first.stop();
    const second = await startLocalSes({ dataDir });
    const [again] = await second.listEmails();
    expect(again).toEqual(stored);
    expect(again!.attachments.map((file) => [file.fileName, file.contentType, file.content.equals(file.fileName === 'detail.csv' ? Buffer.from('a;b\n1;2\n') : pdf)])).toEqual([
      ['facture-é.pdf', 'application/pdf', true],
      ['detail.csv', 'text/csv', true],
    ]);
    await second.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
});
