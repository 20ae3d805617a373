import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Checksum, HttpRequest, QueryParameterBag, SourceData } from '@smithy/types';

/**
 * Signature Version 4 as S3 checks it, for the local S3: the Authorization header of SDK clients and the query of
 * presigned URLs. The request is signed again with the local credentials by `@smithy/signature-v4` (the SDK's own
 * signer) from what actually arrived (method, path, query and the headers it says it signed), and the two signatures
 * are compared: a tampered signature, another key, another value of any signed header (a size, a type,
 * `If-None-Match`) or a signed header left out all fail.
 */

/** A refusal, answered as S3's XML error. */
export class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Further elements of the XML error, e.g. `{ Condition: 'If-None-Match' }`. */
    readonly details: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'S3Error';
  }
}

/** The hash the signer needs (the SDK ships one in another package; node:crypto does the same). */
class NodeSha256 implements Checksum {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
  reset(): void {
    throw new Error('NodeSha256 cannot be reset');
  }
}

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** A header AWS S3 requires to be signed when present, whatever the client chose. */
const MUST_SIGN = ['host'];
/** S3 refuses a request signed longer ago than this (header auth), and a presigned URL dated further ahead. */
const MAX_SKEW_MS = 15 * 60 * 1000;
/** SigV4's longest presigned URL: 7 days. */
const MAX_EXPIRES_SECONDS = 7 * 24 * 60 * 60;
const ALGORITHM = 'AWS4-HMAC-SHA256';
/** The query parameters of a presigned URL that carry the signature itself (the presigner writes them again). */
const PRESIGN_PARAMS = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature'];

export interface SignedRequest {
  accessKeyId: string;
  /** How the request was signed. */
  kind: 'header' | 'presigned';
  /** The payload hash the signature covers: a hex SHA-256, `UNSIGNED-PAYLOAD` or a streaming marker. */
  payloadHash: string;
  /** The headers covered by the signature (lower case). */
  signedHeaders: string[];
}

/** The request path as sent (still percent-encoded: S3 signs it so) and its query, decoded, in a bag for the signer. */
export function splitUrl(url: string): { path: string; query: QueryParameterBag } {
  const mark = url.indexOf('?');
  const path = mark < 0 ? url : url.slice(0, mark);
  const query: QueryParameterBag = {};
  if (mark >= 0) {
    for (const pair of url.slice(mark + 1).split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      const key = safeDecode(eq < 0 ? pair : pair.slice(0, eq));
      const value = eq < 0 ? '' : safeDecode(pair.slice(eq + 1));
      const known = query[key];
      query[key] = known === undefined || known === null ? value : [...(Array.isArray(known) ? known : [known]), value];
    }
  }
  return { path, query };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new S3Error(400, 'InvalidURI', "Couldn't parse the specified URI.");
  }
}

const single = (query: QueryParameterBag, name: string): string | undefined => {
  const value = query[name];
  return Array.isArray(value) ? value[0] : (value ?? undefined);
};

/** `20261202T003843Z` to a Date; undefined when malformed. */
function parseAmzDate(text: string | undefined): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text ?? '');
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number);
  return new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!));
}

/** `local/20261202/eu-west-3/s3/aws4_request` */
function parseCredential(credential: string | undefined, region: string, signingDate: Date): { accessKeyId: string } {
  const parts = (credential ?? '').split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request' || !parts[0]) {
    throw new S3Error(400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".');
  }
  const [accessKeyId, shortDate, scopeRegion, service] = parts;
  if (scopeRegion !== region) throw new S3Error(400, 'AuthorizationHeaderMalformed', `The authorization header is malformed; the region '${scopeRegion}' is wrong; expecting '${region}'`);
  if (service !== 's3') throw new S3Error(400, 'AuthorizationHeaderMalformed', `The authorization header is malformed; incorrect service "${service}". This endpoint belongs to "s3".`);
  if (shortDate !== signingDate.toISOString().slice(0, 10).replace(/-/g, '')) {
    throw new S3Error(400, 'AuthorizationHeaderMalformed', `The authorization header is malformed; Invalid credential date "${shortDate}". This date is not the same as X-Amz-Date.`);
  }
  return { accessKeyId: accessKeyId! };
}

/** The values of the signed headers as they arrived; a signed header missing from the request fails the signature. */
function signedHeaderValues(req: IncomingMessage, names: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of names) {
    const value = req.headers[name];
    if (value === undefined) throw signatureMismatch();
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return headers;
}

const signatureMismatch = () =>
  new S3Error(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');

function sameSignature(expected: string | undefined, given: string): boolean {
  if (!expected || expected.length !== given.length) return false;
  return timingSafeEqual(Buffer.from(expected), Buffer.from(given));
}

function signedHeaderList(text: string | undefined): string[] {
  const names = (text ?? '').split(';').filter(Boolean);
  if (names.length === 0 || names.some((name) => name !== name.toLowerCase())) throw new S3Error(400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed; SignedHeaders is missing or not in lower case.');
  for (const name of MUST_SIGN) if (!names.includes(name)) throw new S3Error(403, 'AccessDenied', `There were headers present in the request which were not signed: ${name}`);
  return names;
}

/**
 * Checks the request's SigV4 signature (header or presigned query) against `secretFor(accessKeyId)`, its dates and its
 * expiry; returns what it signed, or throws the S3Error that S3 answers. An unsigned request is refused: the local
 * buckets, like the app's, block all public access.
 * @example const signed = await verifySignature(req, { region: 'eu-west-3', secretFor: () => 'local' });
 */
export async function verifySignature(
  req: IncomingMessage,
  options: { region: string; secretFor: (accessKeyId: string) => string | undefined; now?: Date },
): Promise<SignedRequest> {
  const now = options.now ?? new Date();
  const { path, query } = splitUrl(req.url ?? '/');
  const authorization = req.headers.authorization;
  const base = { method: req.method ?? 'GET', protocol: 'http:', hostname: String(req.headers.host ?? '').replace(/:\d+$/, ''), path };

  if (authorization !== undefined) {
    const match = /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(authorization.trim());
    if (!match) throw new S3Error(400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed; only AWS4-HMAC-SHA256 with Credential, SignedHeaders and Signature is supported.');
    const [, credential, signedList, signature] = match;
    const amzDate = req.headers['x-amz-date'];
    const signingDate = parseAmzDate(Array.isArray(amzDate) ? amzDate[0] : amzDate);
    if (!signingDate) throw new S3Error(403, 'AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
    if (Math.abs(now.getTime() - signingDate.getTime()) > MAX_SKEW_MS) {
      throw new S3Error(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
    }
    const { accessKeyId } = parseCredential(credential, options.region, signingDate);
    const secretAccessKey = options.secretFor(accessKeyId);
    if (secretAccessKey === undefined) throw new S3Error(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
    const signedHeaders = signedHeaderList(signedList);
    const headers = signedHeaderValues(req, signedHeaders);
    const payloadHash = req.headers['x-amz-content-sha256'];
    if (typeof payloadHash !== 'string') throw new S3Error(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
    // The signer reads the payload hash from this header; signed or not, it is what the client hashed.
    headers['x-amz-content-sha256'] = payloadHash;
    const signer = new SignatureV4({ credentials: { accessKeyId, secretAccessKey }, region: options.region, service: 's3', sha256: NodeSha256, uriEscapePath: false, applyChecksum: false });
    const request: HttpRequest = { ...base, query, headers };
    const again = await signer.sign(request, { signingDate, signableHeaders: new Set(signedHeaders), unsignableHeaders: signedHeaders.includes('x-amz-content-sha256') ? undefined : new Set(['x-amz-content-sha256']) });
    const expected = /SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})/.exec(String(again.headers.authorization));
    if (!expected || expected[1] !== signedList || !sameSignature(expected[2], signature!)) throw signatureMismatch();
    return { accessKeyId, kind: 'header', payloadHash, signedHeaders };
  }

  if (single(query, 'X-Amz-Algorithm') !== undefined || single(query, 'X-Amz-Signature') !== undefined) {
    if (single(query, 'X-Amz-Algorithm') !== ALGORITHM) {
      throw new S3Error(400, 'AuthorizationQueryParametersError', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
    }
    const signature = single(query, 'X-Amz-Signature') ?? '';
    const signingDate = parseAmzDate(single(query, 'X-Amz-Date'));
    const expiresText = single(query, 'X-Amz-Expires') ?? '';
    const expires = Number(expiresText);
    if (!signingDate || !/^[0-9a-f]{64}$/.test(signature) || !/^\d+$/.test(expiresText)) {
      throw new S3Error(400, 'AuthorizationQueryParametersError', 'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.');
    }
    if (expires < 1 || expires > MAX_EXPIRES_SECONDS) {
      throw new S3Error(400, 'AuthorizationQueryParametersError', 'X-Amz-Expires must be less than a week (in seconds) that is 604800');
    }
    if (signingDate.getTime() - now.getTime() > MAX_SKEW_MS) throw new S3Error(403, 'AccessDenied', 'Request is not valid yet');
    if (now.getTime() > signingDate.getTime() + expires * 1000) throw new S3Error(403, 'AccessDenied', 'Request has expired');
    const { accessKeyId } = parseCredential(single(query, 'X-Amz-Credential'), options.region, signingDate);
    const secretAccessKey = options.secretFor(accessKeyId);
    if (secretAccessKey === undefined) throw new S3Error(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
    const signedList = single(query, 'X-Amz-SignedHeaders');
    const signedHeaders = signedHeaderList(signedList);
    const headers = signedHeaderValues(req, signedHeaders);
    const rest: QueryParameterBag = {};
    for (const [name, value] of Object.entries(query)) if (!PRESIGN_PARAMS.includes(name)) rest[name] = value;
    // A presigned request never signs its body: S3 hashes `UNSIGNED-PAYLOAD`. The SDK's presigner puts that marker in
    // the query (signed with the rest of it), other signers leave it out; the signer reads it from a header.
    // Hoisted under the header's name as the client spelled it (the SDK: `X-Amz-Content-Sha256`), which the query keeps.
    const hoistedName = Object.keys(rest).find((name) => name.toLowerCase() === 'x-amz-content-sha256');
    const hoisted = hoistedName === undefined ? undefined : single(rest, hoistedName);
    if (hoistedName !== undefined) delete rest[hoistedName];
    headers[hoistedName ?? 'x-amz-content-sha256'] = hoisted ?? 'UNSIGNED-PAYLOAD';
    const keepAsHeaders = new Set(signedHeaders.filter((name) => name !== 'x-amz-content-sha256' || hoisted === undefined));
    if (hoisted === undefined) keepAsHeaders.add('x-amz-content-sha256');
    const signer = new SignatureV4({ credentials: { accessKeyId, secretAccessKey }, region: options.region, service: 's3', sha256: NodeSha256, uriEscapePath: false, applyChecksum: false });
    const again = await signer.presign(
      { ...base, query: rest, headers },
      {
        signingDate,
        expiresIn: expires,
        signableHeaders: new Set(signedHeaders),
        unhoistableHeaders: keepAsHeaders,
        unsignableHeaders: signedHeaders.includes('x-amz-content-sha256') ? undefined : new Set(['x-amz-content-sha256']),
      },
    );
    const resigned = again.query ?? {};
    if (single(resigned, 'X-Amz-SignedHeaders') !== signedList || !sameSignature(single(resigned, 'X-Amz-Signature'), signature)) throw signatureMismatch();
    return { accessKeyId, kind: 'presigned', payloadHash: hoisted ?? 'UNSIGNED-PAYLOAD', signedHeaders };
  }

  throw new S3Error(403, 'AccessDenied', 'Access Denied');
}
