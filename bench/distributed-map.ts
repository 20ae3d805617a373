/**
 * Distributed Map on the local Step Functions engine (section 10 of `npm run bench`; alone: `BENCH_ONLY=map npm run
 * bench` or `npx tsx bench/distributed-map.ts`): a map over `items` items read from an S3 JSON manifest, in batches of
 * `batch`, each batch handled by a trivial in-process function, on a DynamoDB Local on disk behind the recording
 * proxy: the time from StartExecution to SUCCEEDED, and the engine's DynamoDB requests by kind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { localDynamoDbClient, startDynamoDbLocal } from '../infra/local/dynamodb.js';
import { LocalStepFunctions } from '../infra/local/stepfunctions/index.js';
import { countByKind, DynamoDbTap } from './dynamodb-tap.js';

const MACHINE = 'arn:aws:states:eu-west-3:000000000000:stateMachine:bench-map';

export async function distributedMapFigures(options: { items: number; batch: number }): Promise<string[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parcours-bench-map-'));
  const ddb = await startDynamoDbLocal({ dataDir });
  const tap = new DynamoDbTap(ddb.port);
  const lines = [`\ndistributed map: ${options.items.toLocaleString('en')} items from an S3 manifest in batches of ${options.batch}, a trivial function per batch (local engine, DynamoDB Local on disk)`];
  try {
    const endpoint = await tap.listen();
    const doc = DynamoDBDocumentClient.from(localDynamoDbClient(endpoint));
    const manifest = JSON.stringify(Array.from({ length: options.items }, (_, i) => ({ activityId: `pa-${String(i).padStart(6, '0')}`, shard: i % 16 })));
    const engine = new LocalStepFunctions({
      documentClient: doc,
      tableName: 'bench-map',
      invoker: { invoke: async (_arn, payload) => ({ ok: true, result: { drafted: (payload as { Items: unknown[] }).Items.length } }) },
      s3: { getObject: async () => manifest },
      tickMs: 1000,
    });
    engine.registerStateMachine({
      arn: MACHINE,
      name: 'bench-map',
      definition: {
        StartAt: 'Draft',
        States: {
          Draft: {
            Type: 'Map',
            ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' }, Parameters: { Bucket: 'bench', Key: 'manifest.json' } },
            ItemSelector: { 'activityId.$': '$$.Map.Item.Value.activityId', 'month.$': '$.month' },
            ItemBatcher: { MaxItemsPerBatch: options.batch, BatchInput: { 'month.$': '$.month' } },
            ToleratedFailurePercentage: 5,
            ItemProcessor: {
              ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' },
              StartAt: 'DraftBatch',
              States: { DraftBatch: { Type: 'Task', Resource: 'arn:aws:lambda:eu-west-3:000000000000:function:draft', End: true } },
            },
            ResultSelector: { 'batches.$': 'States.ArrayLength($)' },
            End: true,
          },
        },
      },
    });
    await engine.start();
    tap.recording = true;
    const started = performance.now();
    const { executionArn } = await engine.startExecution({ stateMachineArn: MACHINE, input: '{"month":"2027-01"}' });
    const status = await engine.waitForStatus(executionArn, { timeoutMs: 300_000 });
    const seconds = (performance.now() - started) / 1000;
    tap.recording = false;
    await engine.stop();
    const batches = Math.ceil(options.items / options.batch);
    lines.push(`  ${status} in ${seconds.toFixed(2)} s: ${(options.items / seconds).toFixed(0)} items/s, ${batches} batches`);
    const kinds = [...countByKind(tap.requests)].map(([kind, count]) => `${kind.replace(/^\S+ /, '')} ${count}`);
    lines.push(`  engine DynamoDB requests: ${tap.requests.length} (${kinds.join(', ')}), ${(tap.requests.length / batches).toFixed(2)} per batch`);
  } finally {
    tap.close();
    await ddb.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return lines;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  for (const line of await distributedMapFigures({ items: Number(process.env.BENCH_MAP_ITEMS ?? 10_000), batch: Number(process.env.BENCH_MAP_BATCH ?? 100) })) console.log(line);
}
