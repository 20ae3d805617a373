import { inject } from 'vitest';
import { randomUUID } from 'node:crypto';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { startAwsJsonEndpoint, type AwsJsonEndpoint } from '../../infra/local/aws-endpoint.js';
import { localDynamoDbClient } from '../../infra/local/dynamodb.js';
import { handleSfnJson, LocalStepFunctions, type InvokeResult, type LambdaInvoker, type ObjectStore } from '../../infra/local/stepfunctions/index.js';

export const REGION = 'eu-west-3';
export const ACCOUNT = '123456789012';
export const fn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
export const machineArn = (name: string) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;

/** An error a fake function throws; its name becomes the Lambda errorType. */
export class FunctionError extends Error {
  constructor(errorType: string, message: string) {
    super(message);
    this.name = errorType;
  }
}

/** `never` lets each fake declare the payload type it expects. */
type FakeFunction = (payload: never) => unknown;

/** A LambdaInvoker over plain JS functions, counting invocations per function name. */
export class FakeInvoker implements LambdaInvoker {
  readonly calls = new Map<string, number>();
  readonly payloads = new Map<string, unknown[]>();

  constructor(private readonly functions: Record<string, FakeFunction>) {}

  count(name: string): number {
    return this.calls.get(name) ?? 0;
  }

  async invoke(functionArn: string, payload: unknown): Promise<InvokeResult> {
    const name = functionArn.split(':function:')[1] ?? functionArn;
    this.calls.set(name, this.count(name) + 1);
    this.payloads.set(name, [...(this.payloads.get(name) ?? []), payload]);
    const implementation = this.functions[name];
    if (!implementation) return { ok: false, errorType: 'ResourceNotFoundException', errorMessage: `no function ${name}` };
    try {
      return { ok: true, result: await implementation(payload as never) };
    } catch (error) {
      const e = error as Error;
      return { ok: false, errorType: e.name, errorMessage: e.message };
    }
  }
}

/** A clock the test moves by hand. */
export class FakeClock {
  constructor(public time = Date.UTC(2030, 0, 1)) {}
  readonly now = () => this.time;
  advance(ms: number): void {
    this.time += ms;
  }
}

const engines: LocalStepFunctions[] = [];

export function documentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(localDynamoDbClient(inject('dynamodbEndpoint')));
}

export const freshTableName = () => `sfn-${randomUUID()}`;

/** An engine on a (by default fresh) engine table; all are stopped by stopEngines(). */
export async function startEngine(options: {
  invoker: LambdaInvoker;
  machines: Array<{ name: string; definition: object }>;
  tableName?: string;
  clock?: FakeClock;
  tickMs?: number;
  start?: boolean;
  /** A client of the test's own (to watch what the engine reads). */
  documentClient?: DynamoDBDocumentClient;
  s3?: ObjectStore;
  mapConcurrencyLimit?: number;
}): Promise<{ engine: LocalStepFunctions; tableName: string }> {
  const tableName = options.tableName ?? freshTableName();
  const engine = new LocalStepFunctions({
    documentClient: options.documentClient ?? documentClient(),
    tableName,
    invoker: options.invoker,
    now: options.clock?.now,
    tickMs: options.tickMs ?? 20,
    s3: options.s3,
    mapConcurrencyLimit: options.mapConcurrencyLimit,
  });
  for (const machine of options.machines) engine.registerStateMachine({ arn: machineArn(machine.name), name: machine.name, definition: machine.definition });
  engines.push(engine);
  if (options.start !== false) await engine.start();
  return { engine, tableName };
}

const endpoints: AwsJsonEndpoint[] = [];
const clients: SFNClient[] = [];

/** The engine behind a local AWS JSON endpoint, and the real SDK client pointed at it (both ended by `stopEngines`). */
export async function serve(engine: LocalStepFunctions): Promise<SFNClient> {
  const endpoint = await startAwsJsonEndpoint({ services: { AWSStepFunctions: (operation, body) => handleSfnJson(engine, operation, body) } });
  endpoints.push(endpoint);
  const client = new SFNClient({ endpoint: endpoint.url, region: REGION, credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
  clients.push(client);
  return client;
}

/** Ends the SDK clients and endpoints `serve` started, then the engines `startEngine` started. */
export async function stopEngines(): Promise<void> {
  for (const client of clients.splice(0)) client.destroy();
  await Promise.all(endpoints.splice(0).map((endpoint) => endpoint.close()));
  await Promise.all(engines.splice(0).map((engine) => engine.stop()));
}

/** The error a promise rejects with, or undefined when it resolves. */
export const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

/** Polls the history until an event of `type` appears (e.g. TaskSubmitted: the callback is parked). */
export async function waitForEvent(engine: LocalStepFunctions, executionArn: string, type: string, count = 1, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 10; ; pause = Math.min(pause * 2, 100)) {
    const { events } = await engine.getExecutionHistory({ executionArn });
    if (events.filter((event) => event.type === type).length >= count) return;
    if (Date.now() > deadline) throw new Error(`no ${type} event in ${executionArn} after ${timeoutMs} ms: ${events.map((e) => e.type).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A promise with its resolve function, for functions the test releases by hand. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** A state machine: request an approval (callback), then run `after`; timeouts and failures are caught. */
export function approvalMachine(options: { timeoutSeconds?: number; heartbeatSeconds?: number } = {}) {
  return {
    StartAt: 'RequestApproval',
    States: {
      RequestApproval: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: { FunctionName: fn('request'), Payload: { 'approval.$': '$.approvalId', 'taskToken.$': '$$.Task.Token' } },
        ResultPath: '$.decision',
        ...(options.timeoutSeconds !== undefined ? { TimeoutSeconds: options.timeoutSeconds } : {}),
        ...(options.heartbeatSeconds !== undefined ? { HeartbeatSeconds: options.heartbeatSeconds } : {}),
        Catch: [
          { ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'Expired' },
          { ErrorEquals: ['States.TaskFailed'], ResultPath: '$.error', Next: 'Rejected' },
        ],
        Next: 'After',
      },
      After: { Type: 'Task', Resource: fn('after'), ResultPath: '$.after', End: true },
      Expired: { Type: 'Pass', Result: 'expired', ResultPath: '$.outcome', End: true },
      Rejected: { Type: 'Pass', Result: 'rejected', ResultPath: '$.outcome', End: true },
    },
  };
}

/** The token the `request` function received on its n-th call (0-based). */
export function tokenOf(invoker: FakeInvoker, index = 0): string {
  const payload = invoker.payloads.get('request')?.[index] as { taskToken?: string } | undefined;
  if (!payload?.taskToken) throw new Error(`request call ${index} has no taskToken`);
  return payload.taskToken;
}
