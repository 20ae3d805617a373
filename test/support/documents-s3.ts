import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalS3 } from '../../infra/local/s3.js';

export const DOCUMENTS_BUCKET = 'parcours-test-documents';
const DOCUMENTS_KEY_ARN = 'arn:aws:kms:eu-west-3:000000000000:key/11111111-2222-3333-4444-555555555555';

/** What the storage module reads, as the stack sets it on a function. */
const ENV = ['AWS_ENDPOINT_URL_S3', 'DOCUMENTS_BUCKET', 'DOCUMENTS_KEY_ARN'] as const;

export interface DocumentsS3 {
  /** The local S3's address (the host of the presigned URLs). */
  endpoint: string;
  /** Closes the S3, deletes its files and puts the environment back as it was. */
  stop(): Promise<void>;
}

/**
 * The local cloud's S3 (which checks presigned requests as S3 does) with the documents bucket as the stack declares
 * it (KMS default encryption, `incoming/` expiring after a day), and the environment the storage module reads.
 */
export async function startDocumentsS3(): Promise<DocumentsS3> {
  const dataDir = mkdtempSync(join(tmpdir(), 'documents-s3-'));
  const s3 = await startLocalS3({
    dataDir,
    buckets: [
      {
        logicalId: 'DocumentsBucket',
        name: DOCUMENTS_BUCKET,
        cors: [],
        encryption: { algorithm: 'aws:kms', kmsKeyId: DOCUMENTS_KEY_ARN, bucketKeyEnabled: true },
        expirations: [{ prefix: 'incoming/', days: 1 }],
      },
    ],
    region: 'eu-west-3',
    accountId: '000000000000',
    secretFor: () => 'local',
    port: 0,
    now: () => new Date(),
  });
  const saved = Object.fromEntries(ENV.map((name) => [name, process.env[name]]));
  Object.assign(process.env, { AWS_ENDPOINT_URL_S3: s3.endpoint, DOCUMENTS_BUCKET, DOCUMENTS_KEY_ARN });
  return {
    endpoint: s3.endpoint,
    async stop() {
      for (const name of ENV) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
      await s3.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
