import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { MALFORMED_REQUESTS, rawHttp } from '../support/raw-http.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { startLocalS3, type LocalS3 } from '../../infra/local/s3.js';
import { signS3Request } from '../support/s3-signing.js';
import type { LocalBucket } from '../../infra/local/template.js';
import {
  SNIFF_BYTES,
  contentDisposition,
  copyObject,
  deleteObject,
  headObject,
  presignDownload,
  presignUpload,
  putObject,
  readFirstBytes,
  readObject,
  sniffFileType,
} from '../../shared/storage/objects.js';

const BUCKET = 'parcours-test-documents';
const KEY_ARN = 'arn:aws:kms:eu-west-3:000000000000:key/11111111-2222-3333-4444-555555555555';
const APP_ORIGIN = 'http://127.0.0.1:3000';
const BUCKETS: LocalBucket[] = [
  {
    logicalId: 'DocumentsBucket',
    name: BUCKET,
    cors: [{ allowedOrigins: [APP_ORIGIN], allowedMethods: ['PUT', 'GET'], allowedHeaders: ['*'], exposedHeaders: ['ETag'], maxAgeSeconds: 600 }],
    encryption: { algorithm: 'aws:kms', kmsKeyId: KEY_ARN, bucketKeyEnabled: true },
    expirations: [{ prefix: 'incoming/', days: 1 }],
  },
];

const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(2000, 0x41)]);
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46]);
const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 0x90)]);

describe('sniffFileType', () => {
  it('recognises PDF, JPEG and PNG by their first bytes', () => {
    expect(sniffFileType(PDF.subarray(0, SNIFF_BYTES))).toBe('application/pdf');
    expect(sniffFileType(PNG)).toBe('image/png');
    expect(sniffFileType(JPEG)).toBe('image/jpeg');
  });

  it('recognises nothing else, whatever the name: an executable, text, too few bytes, nothing', () => {
    expect(sniffFileType(EXE)).toBeUndefined();
    expect(sniffFileType(Buffer.from('Bonjour, ceci est un PDF'))).toBeUndefined();
    expect(sniffFileType(PNG.subarray(0, 7))).toBeUndefined();
    expect(sniffFileType(Buffer.from('%PDF'))).toBeUndefined();
    expect(sniffFileType(new Uint8Array())).toBeUndefined();
  });
});

describe('contentDisposition', () => {
  it('keeps the exact UTF-8 name and gives old clients an ASCII one without quotes', () => {
    expect(contentDisposition('Pièce d\'identité "recto".pdf')).toBe(
      `attachment; filename="Piece d'identite _recto_.pdf"; filename*=UTF-8''Pi%C3%A8ce%20d%27identit%C3%A9%20%22recto%22.pdf`,
    );
  });
});

describe('local S3', () => {
  let dataDir: string;
  let s3: LocalS3;
  let client: S3Client;
  /** The local S3's clock: tests move it to see a URL expire. */
  let clock: Date | undefined;
  const saved = { ...process.env };

  const start = async (port = 0) => {
    s3 = await startLocalS3({ dataDir, buckets: BUCKETS, region: 'eu-west-3', accountId: '000000000000', secretFor: () => 'local', port, now: () => clock ?? new Date() });
  };
  const send = async <T>(promise: Promise<T>) => {
    try {
      return await promise;
    } catch (error) {
      if (error instanceof S3ServiceException) return { failed: error.name, status: error.$metadata.httpStatusCode };
      throw error;
    }
  };
  const errorCode = async (response: Response) => /<Code>([^<]+)<\/Code>/.exec(await response.text())?.[1];
  const putPresigned = (url: string, headers: Record<string, string>, body: Buffer) => fetch(url, { method: 'PUT', headers, body: new Uint8Array(body) });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'local-s3-test-'));
    await start();
    // The storage module reads its bucket, key and endpoint as a function does, from the environment.
    process.env.AWS_ENDPOINT_URL_S3 = s3.endpoint;
    process.env.DOCUMENTS_BUCKET = BUCKET;
    process.env.DOCUMENTS_KEY_ARN = KEY_ARN;
    client = new S3Client({ region: 'eu-west-3', endpoint: s3.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'anyone', secretAccessKey: 'local' } });
  });

  afterAll(async () => {
    process.env = saved;
    client.destroy();
    await s3.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('puts, heads, gets (whole and a range), lists and deletes with the SDK client, encrypting with the bucket default', async () => {
    const put = await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'sdk/a b/é.pdf', Body: PDF, ContentType: 'application/pdf', Metadata: { origin: 'test' } }));
    expect(put.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(put).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KEY_ARN, BucketKeyEnabled: true });

    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'sdk/a b/é.pdf' }));
    expect(head).toMatchObject({ ContentLength: PDF.length, ContentType: 'application/pdf', ETag: put.ETag, Metadata: { origin: 'test' }, ServerSideEncryption: 'aws:kms' });

    const whole = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'sdk/a b/é.pdf' }));
    expect(Buffer.from(await whole.Body!.transformToByteArray()).equals(PDF)).toBe(true);
    const range = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'sdk/a b/é.pdf', Range: 'bytes=1-3' }));
    expect(range).toMatchObject({ ContentRange: `bytes 1-3/${PDF.length}`, ContentLength: 3 });
    expect(await range.Body!.transformToString()).toBe('PDF');

    for (const key of ['sdk/list/1', 'sdk/list/2', 'sdk/list/3', 'sdk/list/sub/4', 'other/5']) {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key }));
    }
    const first = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'sdk/list/', MaxKeys: 2 }));
    expect(first.Contents?.map((c) => c.Key)).toEqual(['sdk/list/1', 'sdk/list/2']);
    expect(first.IsTruncated).toBe(true);
    const rest = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'sdk/list/', ContinuationToken: first.NextContinuationToken }));
    expect(rest.Contents?.map((c) => [c.Key, c.Size])).toEqual([['sdk/list/3', 10], ['sdk/list/sub/4', 14]]);
    expect(rest.IsTruncated).toBe(false);
    const folders = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'sdk/', Delimiter: '/' }));
    expect(folders.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['sdk/a b/', 'sdk/list/']);

    const copy = await client.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'sdk/copy.pdf', CopySource: `${BUCKET}/${encodeURIComponent('sdk/a b/é.pdf')}` }));
    expect(copy.CopyObjectResult?.ETag).toBe(put.ETag);

    await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'sdk/a b/é.pdf' }));
    expect(await send(client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'sdk/a b/é.pdf' })))).toEqual({ failed: 'NoSuchKey', status: 404 });
    expect(await send(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'sdk/a b/é.pdf' })))).toEqual({ failed: 'NotFound', status: 404 });
    // Deleting what is not there succeeds, as on S3.
    expect((await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'sdk/a b/é.pdf' }))).$metadata.httpStatusCode).toBe(204);
  });

  it('answers If-Modified-Since with 304 and If-Unmodified-Since with 412 as S3 does, the ETag conditions taking precedence', async () => {
    const put = await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'dates/a.txt', Body: 'a' }));
    // LastModified as S3 gives it in headers: whole seconds.
    const { LastModified } = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'dates/a.txt' }));
    const get = (conditions: Partial<{ IfModifiedSince: Date; IfUnmodifiedSince: Date; IfMatch: string; IfNoneMatch: string }>) =>
      send(client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'dates/a.txt', ...conditions })).then((r) => ({ status: r.$metadata.httpStatusCode })));
    const before = new Date(LastModified!.getTime() - 3_600_000);
    const same = LastModified!;
    const after = new Date(LastModified!.getTime() + 3_600_000);
    expect(await get({ IfModifiedSince: before })).toEqual({ status: 200 });
    // HTTP dates have whole seconds: the object's time within the same second is not modified since.
    expect(await get({ IfModifiedSince: same })).toMatchObject({ status: 304 });
    expect(await get({ IfModifiedSince: after })).toMatchObject({ status: 304 });
    expect(await get({ IfUnmodifiedSince: after })).toEqual({ status: 200 });
    expect(await get({ IfUnmodifiedSince: before })).toEqual({ failed: 'PreconditionFailed', status: 412 });
    expect(await send(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'dates/a.txt', IfUnmodifiedSince: before })))).toMatchObject({ status: 412 });
    // If-Match true wins over If-Unmodified-Since false; If-None-Match false wins over If-Modified-Since true.
    expect(await get({ IfMatch: put.ETag, IfUnmodifiedSince: before })).toEqual({ status: 200 });
    expect(await get({ IfNoneMatch: '"other"', IfModifiedSince: after })).toEqual({ status: 200 });
  });

  it('reads and writes objects in process (the Step Functions engine), as the SDK sees them', async () => {
    await s3.putObject(BUCKET, 'maps/run/manifest.json', '{"ok":true}', 'application/json');
    const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'maps/run/manifest.json' }));
    expect(got).toMatchObject({ ContentType: 'application/json', ServerSideEncryption: 'aws:kms', ETag: expect.stringMatching(/^"[0-9a-f]{32}"$/) });
    expect(await got.Body!.transformToString()).toBe('{"ok":true}');
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'maps/items.json', Body: '[1,2]' }));
    expect((await s3.getObject(BUCKET, 'maps/items.json')).toString()).toBe('[1,2]');
    await expect(s3.getObject(BUCKET, 'maps/missing.json')).rejects.toMatchObject({ code: 'NoSuchKey' });
    await expect(s3.getObject('no-such-bucket', 'x')).rejects.toMatchObject({ code: 'NoSuchBucket' });
  });

  it('takes a streamed upload (aws-chunked with a CRC32 trailer) and refuses one whose checksum is wrong', async () => {
    const { Readable } = await import('node:stream');
    const body = Readable.from([PDF.subarray(0, 1000), PDF.subarray(1000)]);
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'sdk/streamed.pdf', Body: body, ContentLength: PDF.length, ChecksumAlgorithm: 'CRC32' }));
    const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'sdk/streamed.pdf' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(PDF)).toBe(true);

    const wrong = await send(client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'sdk/wrong.pdf', Body: PDF, ChecksumCRC32: 'AAAAAA==' })));
    expect(wrong).toEqual({ failed: 'BadDigest', status: 400 });
  });

  it('refuses a request signed with another secret, an unsigned one and one for an unknown bucket', async () => {
    const intruder = new S3Client({ region: 'eu-west-3', endpoint: s3.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'anyone', secretAccessKey: 'guessed' } });
    expect(await send(intruder.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'x', Body: 'x' })))).toEqual({ failed: 'SignatureDoesNotMatch', status: 403 });
    intruder.destroy();
    const anonymous = await fetch(`${s3.endpoint}/${BUCKET}/sdk/list/1`);
    expect(anonymous.status).toBe(403);
    expect(await errorCode(anonymous)).toBe('AccessDenied');
    expect(await send(client.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'x' })))).toEqual({ failed: 'NoSuchBucket', status: 404 });
    // Creating a bucket is not implemented (501), rather than answered with a NoSuchBucket that reads as a client error.
    expect(await send(client.send(new CreateBucketCommand({ Bucket: 'no-such-bucket' })))).toEqual({ failed: 'NotImplemented', status: 501 });
    expect(await send(client.send(new PutObjectCommand({ Bucket: 'no-such-bucket', Key: 'x', Body: 'x' })))).toEqual({ failed: 'NoSuchBucket', status: 404 });
  });

  it('takes a presigned upload once, with exactly the signed size, type and encryption, and serves it back', async () => {
    const upload = await presignUpload({ key: 'incoming/p1/u1', contentType: 'application/pdf', contentLength: PDF.length });
    expect(new URL(upload.url).origin).toBe(s3.endpoint);
    const signed = new URL(upload.url).searchParams.get('X-Amz-SignedHeaders')!.split(';');
    expect(signed).toEqual(expect.arrayContaining(['content-length', 'content-type', 'if-none-match', 'host', 'x-amz-server-side-encryption', 'x-amz-server-side-encryption-aws-kms-key-id']));

    const ok = await putPresigned(upload.url, upload.headers, PDF);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-amz-server-side-encryption')).toBe('aws:kms');
    expect(ok.headers.get('x-amz-server-side-encryption-aws-kms-key-id')).toBe(KEY_ARN);

    // The same URL again: If-None-Match: * is signed, and the object now exists.
    const again = await putPresigned(upload.url, upload.headers, PDF);
    expect(again.status).toBe(412);
    expect(await errorCode(again)).toBe('PreconditionFailed');
    // Dropping the header to get around it breaks the signature.
    const { 'if-none-match': _dropped, ...withoutCondition } = upload.headers;
    const dropped = await putPresigned(upload.url, withoutCondition, PDF);
    expect(dropped.status).toBe(403);
    expect(await errorCode(dropped)).toBe('SignatureDoesNotMatch');

    expect(await headObject('incoming/p1/u1')).toMatchObject({ contentLength: PDF.length, contentType: 'application/pdf', serverSideEncryption: 'aws:kms' });
    expect(sniffFileType((await readFirstBytes('incoming/p1/u1', SNIFF_BYTES))!)).toBe('application/pdf');
    expect((await readFirstBytes('incoming/p1/u1', SNIFF_BYTES))!.length).toBe(SNIFF_BYTES);
    expect(Buffer.from((await readObject('incoming/p1/u1'))!).equals(PDF)).toBe(true);

    const download = await presignDownload('incoming/p1/u1', 'Pièce d’identité.pdf');
    const got = await fetch(download);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-disposition')).toBe(contentDisposition('Pièce d’identité.pdf'));
    expect(Buffer.from(await got.arrayBuffer()).equals(PDF)).toBe(true);

    // Accepted: copied out of incoming/ (which the bucket empties after a day), then the upload deleted.
    await copyObject('incoming/p1/u1', 'documents/p1/identity.pdf');
    expect(await headObject('documents/p1/identity.pdf')).toMatchObject({ contentLength: PDF.length, contentType: 'application/pdf', serverSideEncryption: 'aws:kms' });
    await deleteObject('incoming/p1/u1');
    expect(await headObject('incoming/p1/u1')).toBeUndefined();
    expect(await readFirstBytes('incoming/p1/u1', SNIFF_BYTES)).toBeUndefined();
  });

  it('refuses a presigned upload of another size, another type, another key, a tampered signature and an expired URL', async () => {
    const upload = await presignUpload({ key: 'incoming/p1/u2', contentType: 'image/png', contentLength: PNG.length });
    const bigger = await putPresigned(upload.url, upload.headers, Buffer.concat([PNG, Buffer.alloc(10_000_000)]));
    expect(bigger.status).toBe(403);
    expect(await errorCode(bigger)).toBe('SignatureDoesNotMatch');
    const otherType = await putPresigned(upload.url, { ...upload.headers, 'content-type': 'application/pdf' }, PNG);
    expect(await errorCode(otherType)).toBe('SignatureDoesNotMatch');
    const otherKey = await putPresigned(upload.url.replace('/incoming/p1/u2?', '/incoming/p2/u2?'), upload.headers, PNG);
    expect(await errorCode(otherKey)).toBe('SignatureDoesNotMatch');
    const tampered = new URL(upload.url);
    const signature = tampered.searchParams.get('X-Amz-Signature')!;
    tampered.searchParams.set('X-Amz-Signature', `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`);
    expect(await errorCode(await putPresigned(tampered.href, upload.headers, PNG))).toBe('SignatureDoesNotMatch');
    const longer = new URL(upload.url);
    longer.searchParams.set('X-Amz-Expires', '604800');
    expect(await errorCode(await putPresigned(longer.href, upload.headers, PNG))).toBe('SignatureDoesNotMatch');
    expect(await headObject('incoming/p1/u2')).toBeUndefined();

    const expired = await presignUpload({ key: 'incoming/p1/u3', contentType: 'image/png', contentLength: PNG.length, expiresInSeconds: 60, now: new Date(Date.now() - 61_000) });
    const late = await putPresigned(expired.url, expired.headers, PNG);
    expect(late.status).toBe(403);
    expect(await late.text()).toMatch(/<Code>AccessDenied<\/Code><Message>Request has expired<\/Message>/);
    expect(await headObject('incoming/p1/u3')).toBeUndefined();

    // The same URL used in time works: the refusals above were for what they changed.
    expect((await putPresigned(upload.url, upload.headers, PNG)).status).toBe(200);
  });

  it('gives one of two concurrent uses of an If-None-Match URL the object, the other a 412', async () => {
    const upload = await presignUpload({ key: 'incoming/p1/race', contentType: 'image/jpeg', contentLength: JPEG.length });
    const statuses = (await Promise.all([1, 2, 3].map(() => putPresigned(upload.url, upload.headers, JPEG)))).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 412, 412]);
  });

  it('refuses a body longer than its signed x-amz-decoded-content-length (EntityTooLarge)', async () => {
    const chunk = Buffer.alloc(20, 0x41);
    const body = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n0\r\n\r\n')]);
    // An SDK client's signed request whose signed decoded length says 10 bytes, with 20 in its body.
    const small = new S3Client({ region: 'eu-west-3', endpoint: s3.endpoint, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', credentials: { accessKeyId: 'anyone', secretAccessKey: 'local' } });
    small.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers: Record<string, string>; body: unknown };
        request.headers['content-encoding'] = 'aws-chunked';
        request.headers['x-amz-decoded-content-length'] = '10';
        request.headers['x-amz-content-sha256'] = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
        request.headers['content-length'] = String(body.length);
        request.body = body;
        return next(args);
      },
      { step: 'build' },
    );
    expect(await send(small.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'incoming/p1/chunked', Body: 'placeholder' })))).toEqual({ failed: 'EntityTooLarge', status: 400 });
    small.destroy();
    expect(await headObject('incoming/p1/chunked')).toBeUndefined();
  });

  it('answers the CORS preflight of a browser PUT from the app origin, and refuses another origin', async () => {
    const upload = await presignUpload({ key: 'incoming/p1/cors', contentType: 'application/pdf', contentLength: PDF.length });
    const preflight = (origin: string) =>
      new Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
        const req = httpRequest(upload.url, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': Object.keys(upload.headers).join(',') },
        });
        req.on('response', (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, headers: res.headers });
        });
        req.on('error', reject);
        req.end();
      });
    const allowed = await preflight(APP_ORIGIN);
    expect(allowed.status).toBe(200);
    expect(allowed.headers).toMatchObject({
      'access-control-allow-origin': APP_ORIGIN,
      'access-control-allow-methods': 'PUT, GET',
      'access-control-allow-headers': Object.keys(upload.headers).join(', '),
      'access-control-max-age': '600',
    });
    expect((await preflight('https://evil.example')).status).toBe(403);

    // The actual PUT carries the origin's headers too, so the browser may read the answer (ETag exposed).
    const put = await fetch(upload.url, { method: 'PUT', headers: { ...upload.headers, origin: APP_ORIGIN }, body: new Uint8Array(PDF) });
    expect(put.status).toBe(200);
    expect(put.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(put.headers.get('access-control-expose-headers')).toBe('ETag');
  });

  it('serves a bucket addressed virtual-host style (<bucket>.localhost)', async () => {
    const toLoopback = new Agent({
      lookup: ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) =>
        options.all ? callback(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4)) as never,
    });
    const virtual = new S3Client({
      region: 'eu-west-3',
      endpoint: `http://localhost:${s3.port}`,
      forcePathStyle: false,
      credentials: { accessKeyId: 'anyone', secretAccessKey: 'local' },
      requestHandler: { httpAgent: toLoopback },
    });
    await virtual.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'virtual/host.txt', Body: 'hôte' }));
    expect(await (await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'virtual/host.txt' }))).Body!.transformToString()).toBe('hôte');
    // The bucket's own operations go to `/` of its host: HeadBucket and ListObjectsV2, not ListBuckets (501).
    expect((await virtual.send(new HeadBucketCommand({ Bucket: BUCKET }))).$metadata.httpStatusCode).toBe(200);
    expect((await virtual.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'virtual/' }))).Contents?.map((c) => c.Key)).toEqual(['virtual/host.txt']);
    virtual.destroy();
  });

  it('refuses a response-* override that cannot be a header value, and closes the file of a download the client left', async () => {
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'downloads/small.txt', Body: 'small' }));
    for (const ResponseContentDisposition of ['attachment; filename="\u0000.pdf"', 'attachment; filename="€.pdf"']) {
      expect(await send(client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'downloads/small.txt', ResponseContentDisposition })))).toEqual({ failed: 'InvalidArgument', status: 400 });
    }
    const latin1 = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'downloads/small.txt', ResponseContentDisposition: 'attachment; filename="é.pdf"' }));
    expect(latin1.ContentDisposition).toBe('attachment; filename="é.pdf"');
    expect(await latin1.Body!.transformToString()).toBe('small');

    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'downloads/big.bin', Body: Buffer.alloc(8 * 1024 * 1024, 0x61) }));

    // The object's body file, open while a download streams it: a client leaving after its first bytes closes it too.
    const dataFiles = join(dataDir, 's3', BUCKET, 'data');
    const openBodies = () =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`).startsWith(dataFiles);
        } catch {
          return false;
        }
      }).length;
    const object = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'downloads/big.bin' }));
    const stream = object.Body as NodeJS.ReadableStream & { destroy(): void };
    await new Promise((resolve) => stream.once('data', resolve));
    expect(openBodies()).toBe(1);
    stream.destroy();
    for (let i = 0; i < 50 && openBodies() > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(openBodies()).toBe(0);
  });

  it('refuses a large upload whose file write is still under way without an uncaught error, and keeps none of its bytes', async () => {
    // A body over 1 MB is streamed to a file of its own. Refusing it while a write to that file was under way (here a
    // body past its decoded length, the refusal coming between two 4 KB pieces; also a client leaving mid-upload)
    // destroyed the file stream with the write pending, and Node then emits ERR_STREAM_DESTROYED as an 'error' event:
    // with no listener, an uncaught exception that ended the local cloud.
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    const bodies = join(dataDir, 's3', BUCKET, 'data');
    const before = readdirSync(bodies).length;
    try {
      const piece = Buffer.alloc(4096, 0x62);
      const chunked = Buffer.concat([...Array.from({ length: 400 }, () => [Buffer.from('1000\r\n'), piece, Buffer.from('\r\n')]).flat(), Buffer.from('0\r\n\r\n')]);
      // Past it at the 302nd piece: the 301st is then being written (four pieces fill the file stream, whose drain is awaited).
      const declared = 301 * 4096 + 1;
      for (let i = 0; i < 5; i++) {
        const request = {
          method: 'PUT',
          target: `/${BUCKET}/incoming/too-long-${i}`,
          headers: [
            ['Content-Encoding', 'aws-chunked'],
            ['X-Amz-Decoded-Content-Length', String(declared)],
          ] as Array<[string, string]>,
        };
        request.headers.push(...(await signS3Request(request, { host: `127.0.0.1:${s3.port}`, payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' }))!);
        const answer = await new Promise<string>((resolve) => {
          const socket = connect(s3.port, '127.0.0.1');
          const chunks: Buffer[] = [];
          socket.on('data', (chunk) => chunks.push(chunk));
          socket.on('error', () => undefined);
          socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
          const head = [`PUT ${request.target} HTTP/1.1`, `Host: 127.0.0.1:${s3.port}`, 'Connection: close', `Content-Length: ${chunked.length}`, ...request.headers.map(([name, value]) => `${name}: ${value}`)];
          socket.write(`${head.join('\r\n')}\r\n\r\n`);
          socket.write(chunked);
        });
        expect(answer).toMatch(/^HTTP\/1\.1 400 /);
        expect(answer).toContain('<Code>EntityTooLarge</Code>');
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(uncaught).toEqual([]);
      expect(readdirSync(bodies).length).toBe(before);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });

  it('answers a request Node cannot parse with S3\'s XML error, then closes the connection', async () => {
    const { connect } = await import('node:net');
    const exchange = (bytes: string) =>
      new Promise<string>((resolve) => {
        const socket = connect(s3.port, '127.0.0.1');
        const chunks: Buffer[] = [];
        socket.on('data', (chunk) => chunks.push(chunk));
        socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
        socket.write(bytes);
      });
    // A NUL in the path, and a header section over Node's 16 KB.
    const malformed = await exchange(`GET /${BUCKET}/\u0000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    expect(malformed).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(malformed).toContain('content-type: application/xml');
    expect(malformed).toMatch(/<Error><Code>BadRequest<\/Code><Message>An error occurred when parsing the HTTP request\.<\/Message><RequestId>[0-9A-F]+<\/RequestId><\/Error>$/);
    const huge = await exchange(`GET /${BUCKET}/x HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(huge).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(huge).toContain('<Code>RequestHeaderSectionTooLarge</Code>');
    for (const [what, bytes] of Object.entries(MALFORMED_REQUESTS)) {
      const answer = await rawHttp(s3.port, bytes);
      expect([what, answer.status, answer.headers['content-type'], answer.headers.connection]).toEqual([what, 400, 'application/xml', 'close']);
      expect(answer.body, what).toContain('<Code>BadRequest</Code>');
      expect(answer.raw.match(/HTTP\/1\.1 \d{3}/g), what).toHaveLength(1);
    }
    // A signed upload whose chunked body turns out malformed while S3 reads it: S3's error, and no object.
    const request = { method: 'PUT', target: `/${BUCKET}/incoming/bad-chunks`, headers: [['Transfer-Encoding', 'chunked']] as Array<[string, string]> };
    request.headers.push(...(await signS3Request(request, { host: `127.0.0.1:${s3.port}`, payloadHash: 'UNSIGNED-PAYLOAD' }))!);
    const head = [`PUT ${request.target} HTTP/1.1`, `Host: 127.0.0.1:${s3.port}`, ...request.headers.map(([name, value]) => `${name}: ${value}`)].join('\r\n');
    const upload = await rawHttp(s3.port, [`${head}\r\n\r\n4\r\nabcd\r\n`, 'zz\r\nefgh\r\n0\r\n\r\n'], { pauseMs: 30 });
    expect([upload.status, upload.headers['content-type']]).toEqual([400, 'application/xml']);
    expect(upload.body).toContain('<Code>BadRequest</Code>');
    expect(upload.raw.match(/HTTP\/1\.1 \d{3}/g)).toHaveLength(1);
    expect(await send(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'incoming/bad-chunks' })))).toEqual({ failed: 'NotFound', status: 404 });
    // Refused unsigned before its body was read: that 403 is its answer, nothing after it.
    const unsigned = await rawHttp(s3.port, [`PUT /${BUCKET}/incoming/unsigned HTTP/1.1\r\nHost: 127.0.0.1:${s3.port}\r\nTransfer-Encoding: chunked\r\n\r\n`, 'zz\r\nefgh\r\n0\r\n\r\n'], { pauseMs: 30 });
    expect(unsigned.raw.match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 403']);
  });

  it('keeps objects across a restart, and drops what a killed write left: a torn last record, a large body without its record', async () => {
    await putObject('contracts/c1.pdf', PDF, 'application/pdf');
    await putObject('contracts/c2.pdf', PDF, 'application/pdf');
    await deleteObject('contracts/c2.pdf');
    const port = s3.port;
    await s3.close();
    // What a write killed midway leaves: a record whose body was cut short, and a streamed body never committed.
    const bucketDir = join(dataDir, 's3', BUCKET);
    const log = join(bucketDir, 'objects.log');
    const before = statSync(log).size;
    appendFileSync(log, Buffer.concat([Buffer.from(`${JSON.stringify({ key: 'contracts/torn.pdf', size: 5000, etag: '"x"', lastModified: new Date().toISOString(), contentType: 'application/pdf', headers: {} })}\n`), PDF.subarray(0, 100)]));
    writeFileSync(join(bucketDir, 'data', 'orphan-body'), 'half');
    await start(port);
    expect(Buffer.from((await readObject('contracts/c1.pdf'))!).equals(PDF)).toBe(true);
    expect(await headObject('contracts/c2.pdf')).toBeUndefined();
    expect(await headObject('contracts/torn.pdf')).toBeUndefined();
    expect(readdirSync(join(bucketDir, 'data'))).not.toContain('orphan-body');
    // The torn record is cut off: a write after it is read back after the next restart.
    expect(statSync(log).size).toBe(before);
    await putObject('contracts/c3.pdf', PNG, 'image/png');
    await s3.close();
    await start(port);
    expect(Buffer.from((await readObject('contracts/c3.pdf'))!).equals(PNG)).toBe(true);
    expect(Buffer.from((await readObject('contracts/c1.pdf'))!).equals(PDF)).toBe(true);
  });

  it('creates no file per small object: a PUT appends to the bucket log, and an overwrite leaves the first bytes until a start rewrites the log', async () => {
    const bucketDir = join(dataDir, 's3', BUCKET);
    const files = () => readdirSync(bucketDir, { recursive: true }).length;
    const count = files();
    const body = (n: number) => Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * n) % 256));
    for (let n = 1; n <= 60; n++) await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'log/same.bin', Body: body(n) }));
    expect(files()).toBe(count);
    const grown = statSync(join(bucketDir, 'objects.log')).size;
    expect(grown).toBeGreaterThan(60 * 300_000);
    const port = s3.port;
    await s3.close();
    // 18 MB of replaced bodies, over the 16 MB threshold and more than the live ones: the start rewrites the log.
    await start(port);
    expect(statSync(join(bucketDir, 'objects.log')).size).toBeLessThan(grown - 59 * 300_000);
    const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'log/same.bin', Range: 'bytes=10-19' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body(60).subarray(10, 20))).toBe(true);
    expect(Buffer.from((await readObject('contracts/c1.pdf'))!).equals(PDF)).toBe(true);
  });

  it('moves a bucket kept in the layout before the log (a metadata file per object) into the log, bodies in place', async () => {
    const legacyDir = mkdtempSync(join(tmpdir(), 'local-s3-legacy-'));
    const bucketDir = join(legacyDir, 's3', BUCKET);
    mkdirSync(join(bucketDir, 'data'), { recursive: true });
    mkdirSync(join(bucketDir, 'meta'), { recursive: true });
    writeFileSync(join(bucketDir, 'data', 'body-1'), PDF);
    const meta = { key: 'contracts/old.pdf', size: PDF.length, etag: `"${createHash('md5').update(PDF).digest('hex')}"`, lastModified: new Date().toISOString(), contentType: 'application/pdf', headers: {}, dataFile: 'body-1' };
    writeFileSync(join(bucketDir, 'meta', `${createHash('sha256').update(meta.key).digest('hex')}.json`), JSON.stringify(meta));
    const legacy = await startLocalS3({ dataDir: legacyDir, buckets: BUCKETS, region: 'eu-west-3', accountId: '000000000000', secretFor: () => 'local' });
    try {
      expect((await legacy.getObject(BUCKET, 'contracts/old.pdf')).equals(PDF)).toBe(true);
      expect(readdirSync(bucketDir).sort()).toEqual(['data', 'objects.log']);
    } finally {
      await legacy.close();
    }
    const again = await startLocalS3({ dataDir: legacyDir, buckets: BUCKETS, region: 'eu-west-3', accountId: '000000000000', secretFor: () => 'local' });
    expect((await again.getObject(BUCKET, 'contracts/old.pdf')).equals(PDF)).toBe(true);
    await again.close();
    rmSync(legacyDir, { recursive: true, force: true });
  });

  it('stores a small body (written at once) and a large one (streamed) byte for byte, across a restart; a refused body leaves no file', async () => {
    const small = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from(Array.from({ length: 65 * 1024 }, (_, i) => (i * 7919) % 256))]);
    const large = Buffer.concat([small, Buffer.alloc(2 * 1024 * 1024, 0xe9), small]);
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'sizes/small.pdf', Body: small, IfNoneMatch: '*' }));
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'sizes/large.bin', Body: large }));
    const bucketDir = join(dataDir, 's3', BUCKET);
    const bodies = readdirSync(join(bucketDir, 'data')).length;
    // A body whose declared hash is wrong, and a second conditional write of an existing key: refused, no file left.
    expect(await send(client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'sizes/small.pdf', Body: small, IfNoneMatch: '*' })))).toEqual({ failed: 'PreconditionFailed', status: 412 });
    expect(await send(client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'sizes/bad.pdf', Body: small, ContentMD5: 'AAAAAAAAAAAAAAAAAAAAAA==' })))).toEqual({ failed: 'BadDigest', status: 400 });
    expect(readdirSync(join(bucketDir, 'data'))).toHaveLength(bodies);
    const port = s3.port;
    await s3.close();
    await start(port);
    for (const [key, bytes] of [['sizes/small.pdf', small], ['sizes/large.bin', large]] as const) {
      const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      expect(got.ETag).toBe(`"${createHash('md5').update(bytes).digest('hex')}"`);
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(bytes)).toBe(true);
    }
  });

  it('expires objects under incoming/ after a day, as the bucket lifecycle rule says, and keeps the others', async () => {
    await putObject('incoming/p9/old', PNG, 'image/png');
    await putObject('contracts/keep.pdf', PDF, 'application/pdf');
    clock = new Date(Date.now() + 25 * 60 * 60 * 1000);
    try {
      expect(await s3.expireObjects()).toBeGreaterThanOrEqual(1);
    } finally {
      clock = undefined;
    }
    expect(await headObject('incoming/p9/old')).toBeUndefined();
    expect(await headObject('contracts/keep.pdf')).toBeDefined();
  });
});
