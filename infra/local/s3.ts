import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream';
import { crc32 } from 'node:zlib';
import { S3Error, splitUrl, verifySignature, type SignedRequest } from './s3-auth.js';
import { BucketStore, type ObjectMeta } from './s3-store.js';
import { listenLocally } from './net.js';
import { answerUnreadableRequests, type UnreadableAnswer, type UnreadableRequest } from './unreadable.js';
import type { LocalBucket, LocalCorsRule } from './template.js';

/**
 * The local S3: the template's buckets, path-style (`http://127.0.0.1:<port>/<bucket>/<key>`) or virtual-host style
 * (`http://<bucket>.localhost:<port>/<key>`), every request signed (SigV4 header or presigned query, `s3-auth.ts`),
 * objects kept in `<dataDir>/s3/<bucket>/` across restarts (`s3-store.ts`). PutObject (conditional, SSE headers,
 * aws-chunked bodies, checksums), CopyObject, GetObject (ranges, response-* overrides), HeadObject, DeleteObject,
 * ListObjectsV2, HeadBucket; the bucket's CORS rules, default encryption and expiration rules.
 */

export interface LocalS3Options {
  /** Objects go in `<dataDir>/s3/<bucket name>/`. */
  dataDir: string;
  buckets: LocalBucket[];
  region: string;
  accountId: string;
  /** The secret key of an access key id (the local cloud's: any id, secret `local`); undefined refuses the id. */
  secretFor: (accessKeyId: string) => string | undefined;
  /** 0 or absent picks a free port. */
  port?: number;
  /** The clock signatures and expiry are checked against (tests move it). */
  now?: () => Date;
}

export interface LocalS3 {
  /** The value to give `AWS_ENDPOINT_URL_S3` (path-style). */
  endpoint: string;
  port: number;
  /** Deletes the objects past their bucket's expiration rules now (also done at start and every hour). */
  expireObjects(): Promise<number>;
  /** Reads an object in process (the Step Functions engine's item readers); NoSuchBucket/NoSuchKey are thrown as S3Error. */
  getObject(bucket: string, key: string): Promise<Buffer>;
  /** Writes an object in process (the engine's result writers), as an unconditional PutObject. */
  putObject(bucket: string, key: string, body: string, contentType: string): Promise<void>;
  close(): Promise<void>;
}

/** S3's largest single PUT. */
const MAX_OBJECT_BYTES = 5 * 1024 ** 3;
/** A body declared this small is gathered in memory and written at once; a larger one is streamed to its file. */
const SMALL_BODY_BYTES = 1024 * 1024;
const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
/** Stored with the object and answered with it. */
const STORED_HEADERS = ['content-disposition', 'content-encoding', 'content-language', 'cache-control', 'expires'];
/** `response-*` query parameters of a GET and the header each sets. */
const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'content-type',
  'response-content-disposition': 'content-disposition',
  'response-content-encoding': 'content-encoding',
  'response-content-language': 'content-language',
  'response-cache-control': 'cache-control',
  'response-expires': 'expires',
};
/** A header value Node writes: tab, printable ASCII and the rest of ISO-8859-1. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const SSE = 'x-amz-server-side-encryption';
const SSE_KEY = 'x-amz-server-side-encryption-aws-kms-key-id';
const SSE_BUCKET_KEY = 'x-amz-server-side-encryption-bucket-key-enabled';
const SSE_ALGORITHMS = ['AES256', 'aws:kms', 'aws:kms:dsse'];
const HOUR_MS = 60 * 60 * 1000;

const escapeXml = (text: string) => text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
const element = (name: string, value: string | number | boolean) => `<${name}>${escapeXml(String(value))}</${name}>`;

/**
 * Starts the local S3 on 127.0.0.1 with the buckets of the template.
 * @example const s3 = await startLocalS3({ dataDir, buckets: app.buckets, region, accountId, secretFor: () => 'local' }); env.AWS_ENDPOINT_URL_S3 = s3.endpoint;
 */
export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  const now = options.now ?? (() => new Date());
  const buckets = new Map(options.buckets.map((bucket) => [bucket.name, { bucket, store: new BucketStore(join(options.dataDir, 's3', bucket.name)) }]));
  const context: Context = { buckets, now, options };

  const server = createServer((req, res) => {
    handle(req, res, context).catch((error: unknown) => {
      // A client gone mid-request (its upload cut short) hears nothing more.
      if (req.destroyed && !req.complete) return void res.destroy();
      // Never the request's text: keys and file names may be personal data.
      console.error(`local s3: unhandled ${error instanceof Error ? error.name : typeof error}`);
      if (res.headersSent) return void res.destroy();
      send(res, 500, { 'content-type': 'application/xml' }, req.method === 'HEAD' ? undefined : errorXml('InternalError', 'We encountered an internal error. Please try again.', {}, String(res.getHeader('x-amz-request-id'))));
    });
  });
  answerUnreadableRequests(server, unreadableAnswer, { name: 'local s3' });
  const listening = await listenLocally(server, options.port ?? 0, '127.0.0.1', 's3');

  const expireObjects = async () => {
    let deleted = 0;
    for (const { bucket, store } of buckets.values()) {
      for (const rule of bucket.expirations) {
        const before = now().getTime() - rule.days * 24 * HOUR_MS;
        for (const key of store.keys()) {
          const meta = store.get(key);
          if (!key.startsWith(rule.prefix) || !meta || Date.parse(meta.lastModified) > before) continue;
          await store.delete(key);
          deleted++;
        }
      }
    }
    return deleted;
  };
  await expireObjects();
  const sweeper = setInterval(() => void expireObjects().catch(() => undefined), HOUR_MS);
  sweeper.unref();

  const bucketOf = (name: string) => {
    const entry = buckets.get(name);
    if (!entry) throw new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist');
    return entry;
  };
  // An in-process write carries no request headers: the bucket's default encryption applies, as to a bare PutObject.
  const noHeaders = { headers: {} } as IncomingMessage;
  return {
    endpoint: listening.url,
    port: listening.port,
    expireObjects,
    getObject: async (bucket, key) => {
      const { store } = bucketOf(bucket);
      const meta = store.get(key);
      if (!meta) throw new S3Error(404, 'NoSuchKey', 'The specified key does not exist.');
      try {
        return store.read(meta);
      } catch {
        // Replaced or deleted in between.
        throw new S3Error(404, 'NoSuchKey', 'The specified key does not exist.');
      }
    },
    putObject: async (bucket, key, body, contentType) => {
      const { store, bucket: definition } = bucketOf(bucket);
      const bytes = Buffer.from(body);
      await store.commit(
        {
          key,
          size: bytes.length,
          etag: `"${createHash('md5').update(bytes).digest('hex')}"`,
          lastModified: now().toISOString(),
          contentType,
          headers: storedHeaders(noHeaders, encryptionOf(noHeaders, definition, context)),
        },
        undefined,
        bytes,
      );
    },
    close: async () => {
      clearInterval(sweeper);
      await listening.close();
      for (const { store } of buckets.values()) store.close();
    },
  };
}

interface Context {
  buckets: Map<string, { bucket: LocalBucket; store: BucketStore }>;
  now: () => Date;
  options: LocalS3Options;
}

interface Target {
  bucket: LocalBucket;
  store: BucketStore;
  /** Empty for a request on the bucket itself. */
  key: string;
}

/** The bucket and key a request is for: virtual-host style when the Host names a bucket, else path-style. */
function targetOf(req: IncomingMessage, path: string, context: Context): Target | { missing: string } {
  const host = String(req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      throw new S3Error(400, 'InvalidURI', "Couldn't parse the specified URI.");
    }
  };
  for (const [name, entry] of context.buckets) {
    if (host.startsWith(`${name}.`)) return { ...entry, key: decode(path.slice(1)) };
  }
  // The service itself, not a bucket: ListBuckets.
  if (path === '/' || path === '') throw new S3Error(501, 'NotImplemented', 'The local S3 serves the buckets of the template only (no ListBuckets).');
  const slash = path.indexOf('/', 1);
  const name = decode(slash < 0 ? path.slice(1) : path.slice(1, slash));
  const entry = context.buckets.get(name);
  if (!entry) return { missing: name };
  return { ...entry, key: slash < 0 ? '' : decode(path.slice(slash + 1)) };
}

async function handle(req: IncomingMessage, res: ServerResponse, context: Context): Promise<void> {
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  res.setHeader('x-amz-request-id', requestId);
  res.setHeader('x-amz-id-2', randomBytes(24).toString('base64'));
  let cors: Record<string, string> = {};
  try {
    const { path, query } = splitUrl(req.url ?? '/');
    const target = targetOf(req, path, context);
    if ('missing' in target) {
      // CreateBucket (a PUT on a bucket that is not there) is a bucket operation the local S3 does not implement.
      const slash = path.indexOf('/', 1);
      if (req.method === 'PUT' && (slash < 0 || slash === path.length - 1)) {
        throw new S3Error(501, 'NotImplemented', 'The local S3 serves the buckets of the template only: it does not create buckets.');
      }
      throw new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist', { BucketName: target.missing });
    }
    const origin = header(req, 'origin');
    if (req.method === 'OPTIONS') {
      preflight(req, res, target.bucket.cors, origin);
      return;
    }
    cors = origin ? corsHeaders(target.bucket.cors, origin, req.method ?? 'GET') : {};
    const signed = await verifySignature(req, { region: context.options.region, secretFor: context.options.secretFor, now: context.now() });
    const one = (name: string) => {
      const value = query[name];
      return Array.isArray(value) ? value[0] : (value ?? undefined);
    };
    const method = req.method ?? 'GET';
    if (target.key === '') {
      if (method === 'HEAD') return send(res, 200, { ...cors, 'x-amz-bucket-region': context.options.region });
      if (method === 'GET' && one('list-type') === '2') return listObjectsV2(res, target, one, cors);
      throw new S3Error(501, 'NotImplemented', 'The local S3 supports ListObjectsV2 (list-type=2) and HeadBucket on a bucket.');
    }
    if (Object.keys(query).some((name) => ['uploads', 'uploadId', 'tagging', 'acl', 'retention', 'legal-hold', 'attributes', 'torrent', 'restore', 'select'].includes(name))) {
      throw new S3Error(501, 'NotImplemented', 'The local S3 does not implement this operation (multipart uploads, tagging, ACLs...).');
    }
    if (method === 'PUT') return header(req, 'x-amz-copy-source') ? await copyObject(req, res, target, context, cors) : await putObject(req, res, target, signed, context, cors);
    if (method === 'GET' || method === 'HEAD') return await getObject(req, res, target, query, cors);
    if (method === 'DELETE') {
      await target.store.delete(target.key);
      return send(res, 204, cors);
    }
    throw new S3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
  } catch (error) {
    if (!(error instanceof S3Error)) throw error;
    // The body of a refused upload is read and dropped, so the client sees the answer rather than a reset.
    req.resume();
    send(res, error.status, { ...cors, 'content-type': 'application/xml' }, req.method === 'HEAD' ? undefined : errorXml(error.code, error.message, error.details, requestId));
  }
}

/** S3's XML error body. */
function errorXml(code: string, message: string, details: Record<string, string>, requestId: string): string {
  const more = Object.entries(details).map(([name, value]) => element(name, value)).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${element('Code', code)}${element('Message', message)}${more}${element('RequestId', requestId)}</Error>`;
}

/** S3's XML error for a request Node's parser refused: all 400, as S3 answers them, named by S3's codes. */
function unreadableAnswer({ status }: UnreadableRequest): UnreadableAnswer {
  const [code, message] =
    status === 431
      ? ['RequestHeaderSectionTooLarge', 'Your request header section exceeds the maximum allowed size.']
      : status === 408
        ? ['RequestTimeout', 'Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.']
        : ['BadRequest', 'An error occurred when parsing the HTTP request.'];
  return { status: 400, headers: { 'content-type': 'application/xml' }, body: errorXml(code, message, {}, randomBytes(8).toString('hex').toUpperCase()) };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function send(res: ServerResponse, status: number, headers: Record<string, string | number>, body?: string | Buffer): void {
  res.writeHead(status, headers);
  res.end(body);
}

// --- CORS -------------------------------------------------------------------------------------------------------

/** S3's CORS patterns: exact, or one `*` standing for any characters; header names compare without case. */
function matches(pattern: string, value: string, ignoreCase = false): boolean {
  const [p, v] = ignoreCase ? [pattern.toLowerCase(), value.toLowerCase()] : [pattern, value];
  const star = p.indexOf('*');
  if (star < 0) return p === v;
  return v.length >= p.length - 1 && v.startsWith(p.slice(0, star)) && v.endsWith(p.slice(star + 1));
}

function corsRuleFor(rules: LocalCorsRule[], origin: string, method: string, requestHeaders: string[]): LocalCorsRule | undefined {
  return rules.find(
    (rule) =>
      rule.allowedOrigins.some((allowed) => matches(allowed, origin)) &&
      rule.allowedMethods.includes(method) &&
      requestHeaders.every((name) => rule.allowedHeaders.some((allowed) => matches(allowed, name, true))),
  );
}

function allowHeaders(rule: LocalCorsRule, origin: string): Record<string, string> {
  const any = rule.allowedOrigins.includes('*');
  return {
    'access-control-allow-origin': any ? '*' : origin,
    'access-control-allow-methods': rule.allowedMethods.join(', '),
    ...(any ? {} : { 'access-control-allow-credentials': 'true' }),
    ...(rule.exposedHeaders.length > 0 ? { 'access-control-expose-headers': rule.exposedHeaders.join(', ') } : {}),
    vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
  };
}

/** The CORS headers of an actual request from `origin` (none when no rule allows it: the browser then refuses it). */
function corsHeaders(rules: LocalCorsRule[], origin: string, method: string): Record<string, string> {
  const rule = corsRuleFor(rules, origin, method, []);
  return rule ? allowHeaders(rule, origin) : {};
}

function preflight(req: IncomingMessage, res: ServerResponse, rules: LocalCorsRule[], origin: string | undefined): void {
  const method = header(req, 'access-control-request-method');
  if (!origin || !method) throw new S3Error(400, 'BadRequest', 'Insufficient information. Origin request header needed.');
  const requested = (header(req, 'access-control-request-headers') ?? '').split(',').map((name) => name.trim()).filter(Boolean);
  const rule = corsRuleFor(rules, origin, method, requested);
  if (!rule) {
    throw new S3Error(403, 'AccessForbidden', 'CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource\'s CORS spec.', { Method: method, ResourceType: 'OBJECT' });
  }
  send(res, 200, {
    ...allowHeaders(rule, origin),
    ...(requested.length > 0 ? { 'access-control-allow-headers': requested.join(', ') } : {}),
    ...(rule.maxAgeSeconds !== undefined ? { 'access-control-max-age': rule.maxAgeSeconds } : {}),
    'content-length': 0,
  });
}

// --- Objects ----------------------------------------------------------------------------------------------------

/** The encryption headers to store: the request's, checked, else the bucket's default encryption. */
function encryptionOf(req: IncomingMessage, bucket: LocalBucket, context: Context): Record<string, string> {
  let algorithm = header(req, SSE);
  let keyId = header(req, SSE_KEY);
  let bucketKey = header(req, SSE_BUCKET_KEY);
  if (algorithm === undefined) {
    if (keyId !== undefined) throw new S3Error(400, 'InvalidArgument', 'Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms');
    if (!bucket.encryption) return {};
    algorithm = bucket.encryption.algorithm;
    keyId = bucket.encryption.kmsKeyId;
    bucketKey = bucket.encryption.bucketKeyEnabled ? 'true' : undefined;
  }
  if (!SSE_ALGORITHMS.includes(algorithm)) throw new S3Error(400, 'InvalidArgument', 'The encryption method specified is not supported', { ArgumentName: SSE, ArgumentValue: algorithm });
  if (algorithm === 'AES256' && keyId !== undefined) throw new S3Error(400, 'InvalidArgument', 'Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms');
  if (bucketKey !== undefined && bucketKey !== 'true' && bucketKey !== 'false') throw new S3Error(400, 'InvalidArgument', 'Bucket key enabled must be true or false', { ArgumentName: SSE_BUCKET_KEY });
  // Without a key id S3 uses the account's AWS managed key for S3.
  if (algorithm !== 'AES256') keyId ??= `arn:aws:kms:${context.options.region}:${context.options.accountId}:alias/aws/s3`;
  return {
    [SSE]: algorithm,
    ...(keyId !== undefined ? { [SSE_KEY]: keyId } : {}),
    ...(bucketKey === 'true' && algorithm !== 'AES256' ? { [SSE_BUCKET_KEY]: 'true' } : {}),
  };
}

/** The headers kept with a new object: its Content-* headers, user metadata and encryption. */
function storedHeaders(req: IncomingMessage, encryption: Record<string, string>): Record<string, string> {
  const stored: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (STORED_HEADERS.includes(name) || name.startsWith('x-amz-meta-')) stored[name] = Array.isArray(value) ? value.join(',') : value;
  }
  // aws-chunked describes the upload, not the object.
  if (stored['content-encoding']) {
    const kept = stored['content-encoding'].split(',').map((part) => part.trim()).filter((part) => part && part !== 'aws-chunked');
    if (kept.length > 0) stored['content-encoding'] = kept.join(',');
    else delete stored['content-encoding'];
  }
  return { ...stored, ...encryption };
}

/** `If-None-Match` and `If-Match` of a write, against the object there now. */
function writeConditions(req: IncomingMessage): (existing: ObjectMeta | undefined) => void {
  const noneMatch = header(req, 'if-none-match');
  const match = header(req, 'if-match');
  if (noneMatch !== undefined && noneMatch.trim() !== '*') throw new S3Error(501, 'NotImplemented', 'A header you provided implies functionality that is not implemented', { Header: 'If-None-Match' });
  return (existing) => {
    if (noneMatch !== undefined && existing) throw new S3Error(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-None-Match' });
    if (match !== undefined) {
      if (!existing) throw new S3Error(404, 'NoSuchKey', 'The specified key does not exist.');
      if (!etagMatches(match, existing.etag)) throw new S3Error(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-Match' });
    }
  };
}

const etagMatches = (condition: string, etag: string) => condition.split(',').some((tag) => tag.trim() === '*' || tag.trim() === etag || `"${tag.trim()}"` === etag);

/** The checksums a client may send (header or trailer), with how to compute them; CRC32C and CRC64NVME are not checked. */
const CHECKSUMS: Record<string, { label: string; start: () => { update(data: Buffer): void; digest(): string } }> = {
  'x-amz-checksum-crc32': {
    label: 'CRC32',
    start: () => {
      let value = 0;
      return {
        update: (data) => (value = crc32(data, value)),
        digest: () => {
          const bytes = Buffer.alloc(4);
          bytes.writeUInt32BE(value >>> 0);
          return bytes.toString('base64');
        },
      };
    },
  },
  'x-amz-checksum-sha1': { label: 'SHA1', start: () => hashing('sha1') },
  'x-amz-checksum-sha256': { label: 'SHA256', start: () => hashing('sha256') },
};

function hashing(algorithm: string) {
  const hash = createHash(algorithm);
  return { update: (data: Buffer) => void hash.update(data), digest: () => hash.digest('base64') };
}

/**
 * The body of an `aws-chunked` upload (the SDK's streaming uploads: `<hex size>\r\n<bytes>\r\n` ... `0\r\n`, then
 * trailing headers such as a checksum, put in `trailers`).
 */
async function* dechunk(source: AsyncIterable<Buffer>, trailers: Record<string, string>): AsyncGenerator<Buffer> {
  let buffer: Buffer = Buffer.alloc(0);
  let complete = false;
  let state: 'size' | 'data' | 'crlf' | 'trailer' | 'done' = 'size';
  let remaining = 0;
  const malformed = () => new S3Error(400, 'IncompleteBody', 'The request body is not a well-formed aws-chunked body.');
  for await (const chunk of source) {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    for (;;) {
      if (state === 'data') {
        if (buffer.length === 0) break;
        const take = Math.min(remaining, buffer.length);
        yield buffer.subarray(0, take);
        buffer = buffer.subarray(take);
        remaining -= take;
        if (remaining === 0) state = 'crlf';
        continue;
      }
      if (state === 'done') {
        buffer = Buffer.alloc(0);
        break;
      }
      if (state === 'crlf') {
        if (buffer.length < 2) break;
        if (buffer[0] !== 0x0d || buffer[1] !== 0x0a) throw malformed();
        buffer = buffer.subarray(2);
        state = 'size';
        continue;
      }
      const end = buffer.indexOf('\r\n');
      if (end < 0) break;
      const line = buffer.subarray(0, end).toString('latin1');
      buffer = buffer.subarray(end + 2);
      if (state === 'size') {
        const size = Number.parseInt(line.split(';')[0]!, 16);
        if (!Number.isFinite(size) || size < 0) throw malformed();
        if (size === 0) state = 'trailer';
        else {
          state = 'data';
          remaining = size;
        }
      } else if (line === '') {
        state = 'done';
        complete = true;
      }
      else {
        const colon = line.indexOf(':');
        if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
    }
  }
  if (!complete) throw malformed();
}

async function putObject(req: IncomingMessage, res: ServerResponse, target: Target, signed: SignedRequest, context: Context, cors: Record<string, string>): Promise<void> {
  const { store, key } = target;
  if (Buffer.byteLength(key) > 1024) throw new S3Error(400, 'KeyTooLongError', 'Your key is too long');
  const declared = header(req, 'content-length');
  if (declared === undefined && !header(req, 'transfer-encoding')) throw new S3Error(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.');
  if (declared !== undefined && Number(declared) > MAX_OBJECT_BYTES) throw new S3Error(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.');
  const payload = signed.payloadHash;
  if (payload.startsWith('STREAMING-AWS4-HMAC-SHA256') || payload.startsWith('STREAMING-AWS4-ECDSA')) {
    throw new S3Error(501, 'NotImplemented', 'The local S3 does not check signed chunks: send UNSIGNED-PAYLOAD, a payload hash, or STREAMING-UNSIGNED-PAYLOAD-TRAILER.');
  }
  const chunked = payload === 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' || /(^|,)\s*aws-chunked\s*(,|$)/.test(header(req, 'content-encoding') ?? '');
  const decodedText = header(req, 'x-amz-decoded-content-length');
  const limit = chunked && decodedText !== undefined ? Number(decodedText) : MAX_OBJECT_BYTES;
  const condition = writeConditions(req);
  // Refused before the body is read when it already fails; checked again when the write commits (a concurrent PUT).
  condition(store.get(key));
  const encryption = encryptionOf(req, target.bucket, context);

  const md5 = createHash('md5');
  const sha256 = /^[0-9a-f]{64}$/.test(payload) ? createHash('sha256') : undefined;
  const trailers: Record<string, string> = {};
  const checksumName = Object.keys(CHECKSUMS).find((name) => header(req, name) !== undefined) ?? header(req, 'x-amz-trailer')?.toLowerCase();
  const checksum = checksumName && CHECKSUMS[checksumName] ? { name: checksumName, ...CHECKSUMS[checksumName]!, running: CHECKSUMS[checksumName]!.start() } : undefined;
  // A small body (a PDF, a photo) is kept in memory and goes in the store's log once its checks pass; a large one is
  // streamed to a file of its own.
  const small = (chunked ? limit : Number(declared ?? Infinity)) <= SMALL_BODY_BYTES;
  const gathered: Buffer[] = [];
  const body = small ? undefined : store.newBodyFile();
  const out = body ? createWriteStream(body.path) : undefined;
  // Destroyed with a write under way (the upload refused or its client gone between two pieces), a file stream emits
  // ERR_STREAM_DESTROYED once the write is done: unheard, an uncaught exception. Its errors are read where it is used:
  // the wait for 'drain' (which `once` ends on 'error') and `end`'s callback.
  out?.on('error', () => undefined);
  let size = 0;
  try {
    const source = chunked ? dechunk(req, trailers) : (req as AsyncIterable<Buffer>);
    for await (const chunk of source) {
      size += chunk.length;
      if (size > limit) throw new S3Error(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size');
      md5.update(chunk);
      sha256?.update(chunk);
      checksum?.running.update(chunk);
      if (!out) gathered.push(chunk);
      else if (!out.write(chunk)) await once(out, 'drain');
    }
    if (out) await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
    if (!req.complete) throw new S3Error(400, 'IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.');
    if (chunked && decodedText !== undefined && size !== limit) throw new S3Error(400, 'IncompleteBody', 'You did not provide the number of bytes specified by the x-amz-decoded-content-length HTTP header.');
    if (sha256 && sha256.digest('hex') !== payload) throw new S3Error(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
    const digest = md5.digest();
    const contentMd5 = header(req, 'content-md5');
    if (contentMd5 !== undefined && contentMd5 !== digest.toString('base64')) throw new S3Error(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
    const expected = checksum ? (header(req, checksum.name) ?? trailers[checksum.name]) : undefined;
    if (checksum && expected !== undefined && expected !== checksum.running.digest()) {
      throw new S3Error(400, 'BadDigest', `The ${checksum.label} you specified did not match the calculated checksum.`);
    }
    const meta = await store.commit(
      {
        key,
        size,
        etag: `"${digest.toString('hex')}"`,
        lastModified: context.now().toISOString(),
        contentType: header(req, 'content-type') ?? 'binary/octet-stream',
        headers: storedHeaders(req, encryption),
        ...(body ? { dataFile: body.name } : {}),
      },
      condition,
      body ? undefined : gathered.length === 1 ? gathered[0]! : Buffer.concat(gathered),
    );
    send(res, 200, { ...cors, etag: meta.etag, ...encryption, 'content-length': 0 });
  } catch (error) {
    out?.destroy();
    if (body) await store.discard(body.name);
    throw error;
  }
}

async function copyObject(req: IncomingMessage, res: ServerResponse, target: Target, context: Context, cors: Record<string, string>): Promise<void> {
  const raw = header(req, 'x-amz-copy-source') ?? '';
  let source: string;
  try {
    source = decodeURIComponent(raw.split('?')[0]!).replace(/^\//, '');
  } catch {
    throw new S3Error(400, 'InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey');
  }
  const slash = source.indexOf('/');
  const from = slash > 0 ? context.buckets.get(source.slice(0, slash)) : undefined;
  if (!from) throw new S3Error(slash > 0 ? 404 : 400, slash > 0 ? 'NoSuchBucket' : 'InvalidArgument', slash > 0 ? 'The specified bucket does not exist' : 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey');
  const sourceMeta = from.store.get(source.slice(slash + 1));
  if (!sourceMeta) throw new S3Error(404, 'NoSuchKey', 'The specified key does not exist.');
  const replace = header(req, 'x-amz-metadata-directive') === 'REPLACE';
  if (!replace && from.store === target.store && sourceMeta.key === target.key) {
    throw new S3Error(400, 'InvalidRequest', 'This copy request is illegal because it is trying to copy an object to itself without changing the object\'s metadata, storage class, website redirect location or encryption attributes.');
  }
  const encryption = encryptionOf(req, target.bucket, context);
  const kept = Object.fromEntries(Object.entries(sourceMeta.headers).filter(([name]) => !name.startsWith(SSE)));
  const meta = await target.store.copy(sourceMeta, {
    key: target.key,
    size: sourceMeta.size,
    etag: sourceMeta.etag,
    lastModified: context.now().toISOString(),
    contentType: replace ? (header(req, 'content-type') ?? 'binary/octet-stream') : sourceMeta.contentType,
    headers: replace ? storedHeaders(req, encryption) : { ...kept, ...encryption },
  });
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<CopyObjectResult xmlns="${XMLNS}">${element('LastModified', meta.lastModified)}${element('ETag', meta.etag)}</CopyObjectResult>`;
  send(res, 200, { ...cors, 'content-type': 'application/xml', ...encryption }, xml);
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` within `size`; undefined for a header S3 ignores (several ranges, another unit). */
function rangeOf(text: string | undefined, size: number): { start: number; end: number } | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(text?.trim() ?? '');
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const unsatisfiable = () => new S3Error(416, 'InvalidRange', 'The requested range is not satisfiable', { RangeRequested: text!, ActualObjectSize: String(size) });
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) throw unsatisfiable();
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size) throw unsatisfiable();
  if (end < start) return undefined;
  return { start, end };
}

async function getObject(req: IncomingMessage, res: ServerResponse, target: Target, query: Record<string, unknown>, cors: Record<string, string>): Promise<void> {
  const meta = target.store.get(target.key);
  if (!meta) throw new S3Error(404, 'NoSuchKey', 'The specified key does not exist.');
  const match = header(req, 'if-match');
  if (match !== undefined && !etagMatches(match, meta.etag)) throw new S3Error(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-Match' });
  // The date conditions, at HTTP dates' whole seconds; each gives way to its ETag counterpart when that one is sent.
  const modified = Math.floor(Date.parse(meta.lastModified) / 1000);
  const since = (name: string) => {
    const date = Date.parse(header(req, name) ?? '');
    return Number.isNaN(date) ? undefined : Math.floor(date / 1000);
  };
  const unmodifiedSince = match === undefined ? since('if-unmodified-since') : undefined;
  if (unmodifiedSince !== undefined && modified > unmodifiedSince) {
    throw new S3Error(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-Unmodified-Since' });
  }
  const headers: Record<string, string | number> = {
    ...cors,
    'content-type': meta.contentType,
    etag: meta.etag,
    'last-modified': new Date(meta.lastModified).toUTCString(),
    'accept-ranges': 'bytes',
    ...meta.headers,
  };
  const noneMatch = header(req, 'if-none-match');
  const modifiedSince = noneMatch === undefined ? since('if-modified-since') : undefined;
  const notModified = noneMatch !== undefined ? etagMatches(noneMatch, meta.etag) : modifiedSince !== undefined && modified <= modifiedSince;
  if (notModified) return send(res, 304, { ...cors, etag: meta.etag, 'last-modified': headers['last-modified']! });
  for (const [parameter, name] of Object.entries(RESPONSE_OVERRIDES)) {
    const value = query[parameter];
    if (typeof value !== 'string') continue;
    // What cannot go in a header (a control character, a character past U+00FF) is refused as S3 refuses it.
    if (!HEADER_VALUE.test(value)) throw new S3Error(400, 'InvalidArgument', 'Header value cannot be represented using ISO-8859-1.', { ArgumentName: parameter });
    headers[name] = value;
  }
  const range = rangeOf(header(req, 'range'), meta.size);
  const start = range?.start ?? 0;
  const end = range?.end ?? meta.size - 1;
  headers['content-length'] = Math.max(0, end - start + 1);
  if (range) headers['content-range'] = `bytes ${start}-${end}/${meta.size}`;
  const status = range ? 206 : 200;
  if (req.method === 'HEAD' || meta.size === 0) return send(res, status, headers);
  // Opened before answering: a concurrent overwrite removes the old body file, which an open descriptor still reads
  // (a body in the store's log stays where it is until the log is rewritten at a later start).
  const body = target.store.bodyOf(meta);
  let file;
  try {
    file = await open(body.path);
  } catch {
    throw new S3Error(404, 'NoSuchKey', 'The specified key does not exist.');
  }
  try {
    res.writeHead(status, headers);
  } catch (error) {
    await file.close();
    throw error;
  }
  // pipeline, not pipe: a client gone before the end destroys the stream, which closes the file.
  pipeline(file.createReadStream({ start: body.start + start, end: body.start + end }), res, () => undefined);
}

function listObjectsV2(res: ServerResponse, target: Target, one: (name: string) => string | undefined, cors: Record<string, string>): void {
  const prefix = one('prefix') ?? '';
  const delimiter = one('delimiter') || undefined;
  const maxKeysText = one('max-keys') ?? '1000';
  if (!/^\d+$/.test(maxKeysText)) throw new S3Error(400, 'InvalidArgument', 'Provided max-keys not an integer or within integer range', { ArgumentName: 'max-keys' });
  const maxKeys = Math.min(Number(maxKeysText), 1000);
  const token = one('continuation-token');
  let after = one('start-after') ?? '';
  let skipPrefix = false;
  if (token !== undefined) {
    try {
      const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown; prefix?: unknown };
      if (typeof decoded.after !== 'string') throw new Error('token');
      after = decoded.after;
      skipPrefix = decoded.prefix === true;
    } catch {
      throw new S3Error(400, 'InvalidArgument', 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token' });
    }
  }
  const urlEncoded = one('encoding-type') === 'url';
  const encode = (text: string) => (urlEncoded ? encodeURIComponent(text).replace(/%2F/g, '/') : text);
  const contents: ObjectMeta[] = [];
  const prefixes: string[] = [];
  let truncated = false;
  let last: { after: string; prefix: boolean } | undefined;
  for (const key of target.store.keys()) {
    if (!key.startsWith(prefix) || key <= after || (skipPrefix && key.startsWith(after))) continue;
    const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    const common = cut >= 0 ? key.slice(0, cut + delimiter!.length) : undefined;
    if (common !== undefined && prefixes.at(-1) === common) continue;
    if (contents.length + prefixes.length >= maxKeys) {
      truncated = true;
      break;
    }
    if (common !== undefined) {
      prefixes.push(common);
      last = { after: common, prefix: true };
    } else {
      const meta = target.store.get(key);
      if (!meta) continue;
      contents.push(meta);
      last = { after: key, prefix: false };
    }
  }
  const parts = [
    element('Name', target.bucket.name),
    element('Prefix', encode(prefix)),
    ...(delimiter ? [element('Delimiter', encode(delimiter))] : []),
    element('MaxKeys', maxKeys),
    element('KeyCount', contents.length + prefixes.length),
    element('IsTruncated', truncated),
    ...(token !== undefined ? [element('ContinuationToken', token)] : []),
    ...(truncated && last ? [element('NextContinuationToken', Buffer.from(JSON.stringify(last)).toString('base64url'))] : []),
    ...(one('start-after') !== undefined ? [element('StartAfter', encode(one('start-after')!))] : []),
    ...(urlEncoded ? [element('EncodingType', 'url')] : []),
    ...contents.map((meta) => `<Contents>${element('Key', encode(meta.key))}${element('LastModified', meta.lastModified)}${element('ETag', meta.etag)}${element('Size', meta.size)}${element('StorageClass', 'STANDARD')}</Contents>`),
    ...prefixes.map((common) => `<CommonPrefixes>${element('Prefix', encode(common))}</CommonPrefixes>`),
  ];
  send(res, 200, { ...cors, 'content-type': 'application/xml' }, `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="${XMLNS}">${parts.join('')}</ListBucketResult>`);
}
