// Node 20 runs here while Lambda runs Node 22: the SDK's Node 20 notice is known and only noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
import type { TestProject } from 'vitest/node';
import { resolve } from 'node:path';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../infra/local/dynamodb.js';

let ddb: DynamoDbLocal | undefined;

/**
 * One in-memory DynamoDB Local for the whole run (each test file makes its own tables), and one synthesized
 * assembly each of the `local` and `test` stages that the local-cloud tests start from (synthesizing bundles every function).
 */
export async function setup(project: TestProject): Promise<void> {
  ddb = await startDynamoDbLocal();
  project.provide('dynamodbEndpoint', ddb.endpoint);
  const { synthesize } = await import('../../infra/local/assembly.js');
  const outDir = resolve('.local/test-assembly');
  const started = Date.now();
  project.provide('assemblyDir', synthesize({ outDir, stage: 'local' }).assemblyDir);
  const local = Date.now();
  // The `test` stage (deadlines of seconds) too, here rather than in a test file: synthesis runs esbuild
  // synchronously, and a worker blocked that long misses vitest's 60-s RPC deadline. Its bundles come
  // from CDK's in-process asset cache, filled by the first synthesis.
  project.provide('testStageAssemblyDir', synthesize({ outDir: resolve('.local/test-assembly-test-stage'), stage: 'test' }).assemblyDir);
  console.log(`global setup: assemblies synthesized (local ${((local - started) / 1000).toFixed(1)} s, test ${((Date.now() - local) / 1000).toFixed(1)} s)`);
}

export async function teardown(): Promise<void> {
  await ddb?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    assemblyDir: string;
    testStageAssemblyDir: string;
  }
}
