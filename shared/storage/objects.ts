import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ENV } from '../../infra/config.js';

/**
 * The documents bucket (issue 9): uploads from the phone straight to S3 through presigned PUTs, the staff's and the
 * young person's downloads through presigned GETs, and the contract PDFs the functions write.
 *
 * Locally the client talks to the local cloud's S3 (`AWS_ENDPOINT_URL_S3`, path-style): the presigned URLs then point
 * at that endpoint, which the browser on the same machine reaches too. Object keys and file names are personal data
 * (they may hold a person id or a name): never log them.
 */

/** The content types a document may have, recognised by content (`sniffFileType`), never by name. */
export type DocumentFileType = 'application/pdf' | 'image/jpeg' | 'image/png';

/** How many first bytes `sniffFileType` needs: read that many with `readFirstBytes`. */
export const SNIFF_BYTES = 8;

const SIGNATURES: ReadonlyArray<{ type: DocumentFileType; magic: readonly number[] }> = [
  { type: 'application/pdf', magic: [0x25, 0x50, 0x44, 0x46, 0x2d] }, // %PDF-
  { type: 'image/jpeg', magic: [0xff, 0xd8, 0xff] },
  { type: 'image/png', magic: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
];

/**
 * The file's type from its first bytes (magic numbers), or undefined when it is none of PDF, JPEG or PNG: an
 * executable renamed `.pdf` is undefined.
 * @example sniffFileType(new TextEncoder().encode('%PDF-1.7\n')) // 'application/pdf'
 */
export function sniffFileType(bytes: Uint8Array): DocumentFileType | undefined {
  return SIGNATURES.find(({ magic }) => bytes.length >= magic.length && magic.every((byte, i) => bytes[i] === byte))?.type;
}

let client: S3Client | undefined;

/**
 * The S3 client, created on first use (most functions of a bundle that imports this never call S3). Checksums only
 * when an operation requires one: otherwise the SDK adds a CRC32 of an empty body to presigned PUTs, which the
 * browser's upload would then fail. Locally (`AWS_ENDPOINT_URL_S3` set, which the SDK reads itself), path-style
 * addressing, as the local endpoint is an IP address and port.
 */
function s3(): S3Client {
  client ??= new S3Client({
    forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3),
    // The middleware stack resolved once per command rather than at every call (a PUT per invoice in a run).
    cacheMiddleware: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return client;
}

/** The bucket's name, set by the stack on the functions that use it (`DOCUMENTS_BUCKET`). */
export function documentsBucket(): string {
  const name = process.env[ENV.documentsBucket];
  if (!name) throw new Error(`${ENV.documentsBucket} is not set`);
  return name;
}

/** The project's key (`DOCUMENTS_KEY_ARN`): every object is written with it, by the functions and by the browser. */
function documentsKey(): string {
  const arn = process.env[ENV.documentsKeyArn];
  if (!arn) throw new Error(`${ENV.documentsKeyArn} is not set`);
  return arn;
}

/** SSE-KMS with the project's key and the bucket key (fewer KMS calls): without a key id S3 would use aws/s3. */
function encryption() {
  return { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: documentsKey(), BucketKeyEnabled: true } as const;
}

export interface PresignedUpload {
  /** The presigned URL: the browser PUTs the file's bytes there. */
  url: string;
  method: 'PUT';
  /**
   * Headers the PUT must carry exactly (each is signed: S3 refuses the request without them or with other values).
   * `content-length` is signed too but set by the browser from the body: a file of another size is refused.
   */
  headers: Record<string, string>;
  /** ISO time after which S3 refuses the URL. */
  expiresAt: string;
}

/**
 * A presigned PUT for one new object: its key, type, exact size, `If-None-Match: *` and the encryption headers are
 * all signed, so S3 refuses another key, another size or type, a second use of the URL (412, the object exists) and a
 * use after `expiresInSeconds` (default 300).
 * @example const upload = await presignUpload({ key: 'incoming/p1/u1', contentType: 'application/pdf', contentLength: 52_311 });
 * await fetch(upload.url, { method: upload.method, headers: upload.headers, body: file });
 */
export async function presignUpload(input: { key: string; contentType: string; contentLength: number; expiresInSeconds?: number; now?: Date }): Promise<PresignedUpload> {
  if (!Number.isSafeInteger(input.contentLength) || input.contentLength < 0) throw new RangeError('presignUpload: contentLength must be a whole number of bytes');
  const expiresIn = input.expiresInSeconds ?? 300;
  const signingDate = input.now ?? new Date();
  const command = new PutObjectCommand({
    Bucket: documentsBucket(),
    Key: input.key,
    ContentType: input.contentType,
    ContentLength: input.contentLength,
    IfNoneMatch: '*',
    ...encryption(),
  });
  const url = await getSignedUrl(s3(), command, {
    expiresIn,
    signingDate,
    // The presigner leaves content-type unsigned by default; the others are signed as headers, not hoisted to the query.
    signableHeaders: new Set(['content-type', 'content-length', 'if-none-match']),
  });
  const signed = new URL(url).searchParams.get('X-Amz-SignedHeaders')?.split(';') ?? [];
  const mustSign = ['content-length', 'content-type', 'host', 'if-none-match', 'x-amz-server-side-encryption', 'x-amz-server-side-encryption-aws-kms-key-id'];
  // A change of the SDK's presigning must not quietly turn these limits off.
  if (mustSign.some((header) => !signed.includes(header))) throw new Error(`presignUpload: the URL does not sign ${mustSign.filter((h) => !signed.includes(h)).join(', ')}`);
  return {
    url,
    method: 'PUT',
    headers: {
      'content-type': input.contentType,
      'if-none-match': '*',
      'x-amz-server-side-encryption': 'aws:kms',
      'x-amz-server-side-encryption-aws-kms-key-id': documentsKey(),
      'x-amz-server-side-encryption-bucket-key-enabled': 'true',
    },
    expiresAt: new Date(signingDate.getTime() + expiresIn * 1000).toISOString(),
  };
}

export interface StoredObject {
  contentLength: number;
  contentType?: string;
  etag?: string;
  lastModified?: string;
  /** `aws:kms` for every object of the documents bucket. */
  serverSideEncryption?: string;
}

const isMissing = (error: unknown) => error instanceof Error && (error.name === 'NotFound' || error.name === 'NoSuchKey');

/** The object's size, type and encryption; undefined when there is no object at `key`. */
export async function headObject(key: string): Promise<StoredObject | undefined> {
  try {
    const head = await s3().send(new HeadObjectCommand({ Bucket: documentsBucket(), Key: key }));
    return {
      contentLength: head.ContentLength ?? 0,
      contentType: head.ContentType,
      etag: head.ETag,
      lastModified: head.LastModified?.toISOString(),
      serverSideEncryption: head.ServerSideEncryption,
    };
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/**
 * The first `n` bytes of the object (fewer when it is shorter; a ranged GET, so a 10 MB file is not read for its
 * magic number); undefined when there is no object at `key`.
 * @example sniffFileType((await readFirstBytes(key, SNIFF_BYTES)) ?? new Uint8Array())
 */
export async function readFirstBytes(key: string, n: number): Promise<Uint8Array | undefined> {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError('readFirstBytes: n must be a positive whole number');
  try {
    const object = await s3().send(new GetObjectCommand({ Bucket: documentsBucket(), Key: key, Range: `bytes=0-${n - 1}` }));
    return (await object.Body?.transformToByteArray()) ?? new Uint8Array();
  } catch (error) {
    if (isMissing(error)) return undefined;
    // An empty object has no byte 0: S3 answers 416 to any range.
    if (error instanceof Error && error.name === 'InvalidRange') return new Uint8Array();
    throw error;
  }
}

/** Thrown by `readObject` for an object over its `maxBytes`, before its body is read. */
export class ObjectTooLargeError extends Error {
  override readonly name = 'ObjectTooLargeError';
  constructor(readonly size: number, readonly maxBytes: number) {
    super(`the object has ${size} bytes, more than ${maxBytes}`);
  }
}

/**
 * The whole object (a contract PDF, to check its SHA-256 again); undefined when there is no object at `key`. With
 * `maxBytes`, a larger object throws `ObjectTooLargeError` without being read into memory. S3 answers a missing key
 * with AccessDenied to a reader not allowed to list the bucket: `deniedMeansMissing` reads that as no object, for a
 * caller that expects keys not written yet (a statement PDF rendered when first opened).
 */
export async function readObject(key: string, options: { maxBytes?: number; deniedMeansMissing?: boolean } = {}): Promise<Uint8Array | undefined> {
  try {
    const object = await s3().send(new GetObjectCommand({ Bucket: documentsBucket(), Key: key }));
    const size = object.ContentLength ?? 0;
    if (options.maxBytes !== undefined && size > options.maxBytes) {
      (object.Body as { destroy?: () => void } | undefined)?.destroy?.();
      throw new ObjectTooLargeError(size, options.maxBytes);
    }
    return (await object.Body?.transformToByteArray()) ?? new Uint8Array();
  } catch (error) {
    if (isMissing(error) || (options.deniedMeansMissing && error instanceof Error && error.name === 'AccessDenied')) return undefined;
    throw error;
  }
}

/** Deletes the object; deleting a key that holds nothing succeeds, as on S3 (a retried step deletes twice). */
export async function deleteObject(key: string): Promise<void> {
  await s3().send(new DeleteObjectCommand({ Bucket: documentsBucket(), Key: key }));
}

/** Writes the object with the project's key (a contract PDF); an existing object at `key` is replaced. */
export async function putObject(key: string, body: Uint8Array | string, contentType: string): Promise<{ etag?: string }> {
  const result = await s3().send(new PutObjectCommand({ Bucket: documentsBucket(), Key: key, Body: body, ContentType: contentType, ...encryption() }));
  return { etag: result.ETag };
}

/**
 * Writes the object unless the key holds one already (`If-None-Match: *`, S3's conditional write): false when it
 * did, and the object there is left as it is. One request where a HEAD and a PUT made two.
 */
export async function putObjectOnce(key: string, body: Uint8Array | string, contentType: string): Promise<boolean> {
  try {
    await s3().send(new PutObjectCommand({ Bucket: documentsBucket(), Key: key, Body: body, ContentType: contentType, IfNoneMatch: '*', ...encryption() }));
    return true;
  } catch (error) {
    // 412 when the object exists; 409 when another conditional write to the key is in flight (it writes the same bytes).
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 412 || status === 409) return false;
    throw error;
  }
}

/**
 * Copies the object within the bucket, encrypted with the project's key, keeping its type (an upload accepted out of
 * `incoming/`, whose objects the bucket deletes after a day); an existing object at `targetKey` is replaced.
 */
export async function copyObject(sourceKey: string, targetKey: string): Promise<{ etag?: string }> {
  const bucket = documentsBucket();
  const source = `${bucket}/${sourceKey.split('/').map(encodeURIComponent).join('/')}`;
  const result = await s3().send(new CopyObjectCommand({ Bucket: bucket, Key: targetKey, CopySource: source, ...encryption() }));
  return { etag: result.CopyObjectResult?.ETag };
}

/** RFC 6266: an ASCII `filename` for old clients, and the exact name in UTF-8 (`filename*`). */
export function contentDisposition(fileName: string, disposition: 'attachment' | 'inline' = 'attachment'): string {
  const ascii = fileName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]|["\\]/g, '_');
  const utf8 = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${disposition}; filename="${ascii}"; filename*=UTF-8''${utf8}`;
}

/**
 * A presigned GET of the object that the browser saves as `fileName` (S3 answers with that Content-Disposition),
 * valid `expiresInSeconds` (default 300).
 * @example const url = await presignDownload(contract.key, 'contrat-CAPE.pdf');
 */
export async function presignDownload(key: string, fileName: string, options: { expiresInSeconds?: number; inline?: boolean; now?: Date } = {}): Promise<string> {
  const command = new GetObjectCommand({
    Bucket: documentsBucket(),
    Key: key,
    ResponseContentDisposition: contentDisposition(fileName, options.inline ? 'inline' : 'attachment'),
  });
  return await getSignedUrl(s3(), command, { expiresIn: options.expiresInSeconds ?? 300, signingDate: options.now });
}
