import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** The fixed ports of a local cloud run as a process of its own: the one restarted on its data answers at the same addresses. */
export interface CloudProcessPorts {
  gateway: number;
  ses: number;
  aws: number;
  dynamodb: number;
  /** S3 too: a presigned URL given before a kill is used after it, and the objects stay in the data folder. */
  s3: number;
}

export interface CloudProcess {
  proc: ChildProcess;
  /** What it printed (stdout and stderr), line by line, as it goes on. */
  output: string[];
}

/**
 * Starts `npm start`'s entry point as its own process on a data folder and fixed ports (no demo data, no SMS window),
 * and resolves once it says it is ready ("prêt"); throws with its output if it exits first or is not ready in time.
 * No vitest here: `npm run kill-hunt` starts its clouds with it too.
 */
export async function startCloudProcess(input: { assemblyDir: string; dataDir: string; ports: CloudProcessPorts; readyWithinMs: number; output?: string[] }): Promise<CloudProcess> {
  const { ports } = input;
  const proc = spawn(
    process.execPath,
    [
      '--import', 'tsx', 'infra/local-app/main.ts',
      '--assembly', input.assemblyDir,
      '--data-dir', input.dataDir,
      '--port', String(ports.gateway),
      '--ses-port', String(ports.ses),
      '--aws-port', String(ports.aws),
      '--dynamodb-port', String(ports.dynamodb),
      '--s3-port', String(ports.s3),
      '--no-demo',
      '--sms-window', 'off',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } },
  );
  const output = input.output ?? [];
  // A restart adds to the output of the process before it: only its own lines say it is ready.
  const from = output.length;
  const take = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) output.push(line);
  };
  proc.stdout!.on('data', take);
  proc.stderr!.on('data', take);
  const deadline = Date.now() + input.readyWithinMs;
  while (!output.slice(from).some((line) => line.includes('prêt'))) {
    if (proc.exitCode !== null) throw new Error(`local cloud exited: ${output.join('\n')}`);
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`local cloud not ready within ${input.readyWithinMs} ms: ${output.join('\n')}`);
    }
    await sleep(200);
  }
  return { proc, output };
}

/**
 * Points this process's data layer (shared/data) at the cloud process's DynamoDB Local and table, and gives a document
 * client on that table and a Step Functions client on its AWS endpoint: the same after a restart on the same ports.
 */
export function cloudProcessClients(ports: CloudProcessPorts, tableName: string): { table: DynamoDBDocumentClient; sfn: SFNClient } {
  Object.assign(process.env, {
    TABLE_NAME: tableName,
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${ports.dynamodb}`,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: 'eu-west-3',
  });
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  return {
    table: DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: `http://127.0.0.1:${ports.dynamodb}`, region: 'eu-west-3', credentials })),
    sfn: new SFNClient({ endpoint: `http://127.0.0.1:${ports.aws}`, region: 'eu-west-3', credentials }),
  };
}
