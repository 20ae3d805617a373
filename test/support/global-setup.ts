// Node 20 runs here while Lambda runs Node 22: the SDK's Node 20 notice is known and only noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
import type { TestProject } from 'vitest/node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../infra/local/dynamodb.js';
import { describeFindings, findPersonalDataInLogs } from './personal-data-scan.js';

interface Provided {
  personalDataDir: string;
  dynamodbEndpoint: string;
  assemblyDir: string;
  testStageAssemblyDir: string;
}

interface SharedSetup {
  started: Promise<{ provided: Provided; ddb: DynamoDbLocal }>;
  users: number;
}

/**
 * vitest calls the global setup once per project (vitest.config.ts has two): the first call starts what the run
 * shares, the others are handed the same, and the last teardown stops it. They all run in vitest's own process, but
 * each may load this module anew, so the shared state hangs on `globalThis`.
 */
const shared = globalThis as typeof globalThis & { parcoursTestSetup?: SharedSetup };

/**
 * One in-memory DynamoDB Local for the whole run (each test file makes its own tables; each test local cloud has its
 * own database in it), and one assembly each of the `local` and `test` stages that the local-cloud tests start from.
 * Both come from the same bundle build, and both are reused as they are when nothing synthesis reads changed since
 * the last run.
 */
export async function setup(project: TestProject): Promise<void> {
  const state = (shared.parcoursTestSetup ??= { started: startShared(), users: 0 });
  state.users += 1;
  const { provided } = await state.started;
  for (const [key, value] of Object.entries(provided)) project.provide(key as keyof Provided, value);
}

async function startShared(): Promise<{ provided: Provided; ddb: DynamoDbLocal }> {
  // Where the test files record the personal values they use and the log files of their local clouds (see teardown).
  const personalDataDir = mkdtempSync(join(tmpdir(), 'parcours-personal-data-'));
  // Not shared: each access key id has its own database, so the local clouds of the tests share this one JVM.
  const ddb = await startDynamoDbLocal({ sharedDb: false });
  const { synthApp } = await import('../../infra/synth.js');
  const started = Date.now();
  const local = await synthApp({ outDir: resolve('.local/test-assembly'), stage: 'local' });
  const localDone = Date.now();
  // The `test` stage (deadlines of seconds) too, here rather than in a test file: a synthesis blocks its
  // process for seconds, and a worker blocked that long may miss vitest's 60-s RPC deadline.
  const testStage = await synthApp({ outDir: resolve('.local/test-assembly-test-stage'), stage: 'test' });
  const how = (r: { reused: boolean }) => (r.reused ? 'reused' : 'synthesized');
  console.log(
    `global setup: assemblies local ${how(local)} in ${((localDone - started) / 1000).toFixed(1)} s, test ${how(testStage)} in ${((Date.now() - localDone) / 1000).toFixed(1)} s` +
      ` (bundles ${local.bundles.built ? 'built' : 'reused'})`,
  );
  return { ddb, provided: { personalDataDir, dynamodbEndpoint: ddb.endpoint, assemblyDir: local.assemblyDir, testStageAssemblyDir: testStage.assemblyDir } };
}

/**
 * When the last project is done: stops DynamoDB Local, then fails the run if a function log line of any local cloud
 * of the run holds a personal value the tests used: the file, line and kind of value are named, never the value.
 */
export async function teardown(): Promise<void> {
  const state = shared.parcoursTestSetup;
  if (!state || --state.users > 0) return;
  shared.parcoursTestSetup = undefined;
  const { ddb, provided } = await state.started;
  await ddb.stop();
  const { personalDataDir } = provided;
  const { findings, files, values } = findPersonalDataInLogs(personalDataDir);
  rmSync(personalDataDir, { recursive: true, force: true });
  if (!findings.length) {
    console.log(`global teardown: no personal data in the function logs (${files} log files, ${values} values checked)`);
    return;
  }
  // A teardown's error is printed by vitest; the exit code is set here too so the run fails whatever prints it.
  process.exitCode = 1;
  throw new Error(describeFindings(findings));
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    assemblyDir: string;
    testStageAssemblyDir: string;
  }
}
