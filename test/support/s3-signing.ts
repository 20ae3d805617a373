import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Checksum, SourceData } from '@smithy/types';
import { splitUrl } from '../../infra/local/s3-auth.js';

/** The hash SignatureV4 needs, from node:crypto. */
class Sha256 implements Checksum {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret as Uint8Array));
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
  reset(): void {}
}

/**
 * The headers that sign a raw S3 request as an SDK client would (SigV4 over the method, the path as sent, its query,
 * `host` and the request's headers): Authorization, X-Amz-Date and, unless the request has one, X-Amz-Content-Sha256.
 * Undefined when the target cannot be signed (a query S3 cannot decode).
 * @example request.headers.push(...(await signS3Request(request, { host: '127.0.0.1:4566', payloadHash: 'UNSIGNED-PAYLOAD' }))!);
 */
export async function signS3Request(
  request: { method: string; target: string; headers: Array<[string, string]> },
  options: { host: string; payloadHash: string; secret?: string; region?: string; signingDate?: Date },
): Promise<Array<[string, string]> | undefined> {
  let parts;
  try {
    parts = splitUrl(request.target);
  } catch {
    return undefined;
  }
  const host = request.headers.find(([name]) => name.toLowerCase() === 'host')?.[1] ?? options.host;
  const headers: Record<string, string> = { host, 'x-amz-content-sha256': options.payloadHash };
  for (const [name, value] of request.headers) headers[name.toLowerCase()] = value;
  const signer = new SignatureV4({
    credentials: { accessKeyId: 'local', secretAccessKey: options.secret ?? 'local' },
    region: options.region ?? 'eu-west-3',
    service: 's3',
    sha256: Sha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
  const signed = await signer.sign({ method: request.method, protocol: 'http:', hostname: host.replace(/:\d+$/, ''), path: parts.path, query: parts.query, headers }, { signingDate: options.signingDate ?? new Date() });
  return [
    ['Authorization', String(signed.headers.authorization)],
    ['X-Amz-Date', String(signed.headers['x-amz-date'])],
    ...(request.headers.some(([name]) => name.toLowerCase() === 'x-amz-content-sha256') ? [] : [['X-Amz-Content-Sha256', options.payloadHash] as [string, string]]),
  ];
}
