/**
 * Uploads per second through the local S3 (section 7 of `npm run bench`; alone: `npx tsx bench/uploads.ts`): the
 * documents flow of issue 9 without the API in front, presignUpload (shared/storage/objects.ts) then the browser's
 * PUT (fetch) of a 1 MB and a 5 MB file, `concurrency` in flight, each signature checked by the local S3 and each
 * object written to disk. The local S3 runs in this process, as it runs in the local cloud's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startLocalS3 } from '../infra/local/s3.js';
import { LOCAL_ACCOUNT, LOCAL_REGION, LOCAL_SECRET_ACCESS_KEY } from '../infra/local/cloud.js';
import { presignUpload } from '../shared/storage/objects.js';

const BUCKET = 'parcours-bench-documents';
const KEY_ARN = `arn:aws:kms:${LOCAL_REGION}:${LOCAL_ACCOUNT}:key/00000000-0000-0000-0000-000000000000`;

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;

/** Lines of figures: per size, uploads/s, MB/s and the latency of one presign + PUT. */
export async function uploadFigures(options: { uploads: number; concurrency: number }): Promise<string[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parcours-bench-s3-'));
  const s3 = await startLocalS3({
    dataDir,
    buckets: [{ logicalId: 'DocumentsBucket', name: BUCKET, cors: [], encryption: { algorithm: 'aws:kms', kmsKeyId: KEY_ARN, bucketKeyEnabled: true }, expirations: [] }],
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT,
    secretFor: () => LOCAL_SECRET_ACCESS_KEY,
  });
  // What a function of the local cloud is given.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
    AWS_SECRET_ACCESS_KEY: LOCAL_SECRET_ACCESS_KEY,
    DOCUMENTS_BUCKET: BUCKET,
    DOCUMENTS_KEY_ARN: KEY_ARN,
  });
  const lines = [`\nuploads through the local S3 (presign + PUT, ${options.concurrency} in flight, every signature checked, each object written to disk)`];
  try {
    // The S3 client and the connections are made once, as in a warm function, before anything is timed.
    const warm = await presignUpload({ key: 'incoming/bench/warm-up', contentType: 'application/pdf', contentLength: 1 });
    await (await fetch(warm.url, { method: warm.method, headers: warm.headers, body: new Uint8Array(1) })).arrayBuffer();
    for (const megabytes of [1, 5]) {
      const body = new Uint8Array(megabytes * 1024 * 1024).fill(0x25);
      const latencies: number[] = [];
      let next = 0;
      let failures = 0;
      const started = performance.now();
      const worker = async () => {
        while (next < options.uploads) {
          const i = next++;
          const t0 = performance.now();
          const upload = await presignUpload({ key: `incoming/bench/${megabytes}mb-${i}`, contentType: 'application/pdf', contentLength: body.length });
          const answer = await fetch(upload.url, { method: upload.method, headers: upload.headers, body });
          await answer.arrayBuffer();
          if (answer.status !== 200) failures++;
          latencies.push(performance.now() - t0);
        }
      };
      await Promise.all(Array.from({ length: options.concurrency }, worker));
      const seconds = (performance.now() - started) / 1000;
      lines.push(
        `  ${megabytes} MB: ${options.uploads} uploads in ${seconds.toFixed(2)} s, ${(options.uploads / seconds).toFixed(1)} uploads/s, ` +
          `${((options.uploads * megabytes) / seconds).toFixed(1)} MB/s, p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms` +
          (failures ? `, ${failures} FAILED` : ''),
      );
    }
  } finally {
    await s3.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return lines;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const lines = await uploadFigures({ uploads: Number(process.env.BENCH_UPLOADS ?? 40), concurrency: Number(process.env.BENCH_UPLOAD_CONCURRENCY ?? 8) });
  for (const line of lines) console.log(line);
}
