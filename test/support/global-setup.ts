// Node 20 runs here while Lambda runs Node 22: the SDK's Node 20 notice is known and only noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
import type { TestProject } from 'vitest/node';
import { resolve } from 'node:path';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../infra/local/dynamodb.js';

let ddb: DynamoDbLocal | undefined;

/**
 * One in-memory DynamoDB Local for the whole run (each test file makes its own tables), and one synthesized
 * assembly of the `local` stage that every local-cloud test starts from (synthesizing bundles every function).
 */
export async function setup(project: TestProject): Promise<void> {
  ddb = await startDynamoDbLocal();
  project.provide('dynamodbEndpoint', ddb.endpoint);
  const { synthesize } = await import('../../infra/local/assembly.js');
  const outDir = resolve('.local/test-assembly');
  project.provide('assemblyDir', synthesize({ outDir, stage: 'local' }).assemblyDir);
}

export async function teardown(): Promise<void> {
  await ddb?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    assemblyDir: string;
  }
}
