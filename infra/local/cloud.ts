import { mkdirSync, readdirSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadAssembly, type SynthesizedApp } from './assembly.js';
import { describeTemplate, type LocalApp, type LocalFunction } from './template.js';
import { ensureTables, localDynamoDbClient, startDynamoDbLocal, type DynamoDbLocal } from './dynamodb.js';
import { LambdaRuntime } from './lambda.js';
import { LocalStepFunctions, handleSfnJson } from './stepfunctions/index.js';
import { startAwsJsonEndpoint } from './aws-endpoint.js';
import { sesDeliveryEvents, startLocalSes, type AcceptedEmail, type LocalSes } from './ses.js';
import { LocalSms, smsDeliveryEvent, type InboundSmsPayload, type SmsRecord, type SmsSegmentCounter } from './sms.js';
import { LocalEventBridge } from './events.js';
import { LocalSns } from './sns.js';
import { LocalIssuer, type DemoUser } from './auth.js';
import { jwtVerifierFor, startGateway, type ClientErrorAnswer } from './gateway.js';
import { assertPortFree, freePort } from './net.js';
import { DATA_LOCK_FILE, lockDataFolder } from './data-lock.js';
import { DYNAMODB_PID_FILE, endDynamoDbOf } from './dynamodb-process.js';
import { LocalScheduler } from './scheduler.js';
import { createLocalConsole, type LocalConsole } from './console/index.js';
import { FaultLayer, startFaultProxy, type FaultService, type FaultSettings } from './faults.js';
import { startLocalS3, type LocalS3 } from './s3.js';
import { LocalSqs } from './sqs.js';
import { LocalEventSources } from './event-sources.js';

export const LOCAL_REGION = 'eu-west-3';
export const LOCAL_ACCOUNT = '000000000000';
/** The secret key of every local client: the access key id may be anything (see `accessKeyId`), the secret is this. The local S3 checks signatures with it. */
export const LOCAL_SECRET_ACCESS_KEY = 'local';
const ENGINE_TABLE = 'local-stepfunctions';

export interface LocalCloudOptions {
  /** Where data is kept across restarts (default `.local/data`). */
  dataDir?: string;
  /** Keep DynamoDB and the SQS queues in memory (tests); they do not survive a restart then. */
  inMemory?: boolean;
  /** Wipe the data folder first. */
  reset?: boolean;
  /** Stage configuration to synthesize (default `local`). */
  stage?: string;
  /** Run this assembly, synthesized earlier; otherwise `synth` makes one. */
  assemblyDir?: string;
  /**
   * Makes the assembly to run (the app's synthesis, cached or not: see `reuseOrSynthesize`); the local
   * cloud knows no app of its own. Required unless `assemblyDir` is given.
   */
  synth?: (request: { outDir: string; stage: string }) => Promise<SynthesizedApp>;
  /** Where `synth` writes the assembly (default `.local/cdk.out`). */
  outDir?: string;
  /** Gateway port (default 3000; 0 picks a free one). */
  port?: number;
  sesPort?: number;
  awsPort?: number;
  /** Port of the local S3 (default: a free one). */
  s3Port?: number;
  dynamodbPort?: number;
  /** Use this running DynamoDB (Local) instead of starting one; `dataDir`, `inMemory` and `dynamodbPort` then do not apply to it. */
  dynamodbEndpoint?: string;
  /**
   * Where the functions' compiled code is kept for the next cold starts, of this local cloud and of the others on the
   * machine (default `<os temp folder>/local-cloud-code-cache`; see `LambdaRuntimeOptions.codeCacheDir`).
   */
  codeCacheDir?: string;
  /**
   * Execution environments per function (default 4, see `LambdaRuntimeOptions.maxConcurrency`), or each function's
   * (undefined: the default); more concurrent invocations wait their turn. A test that sends many requests at once
   * only for their answers may take 1: each environment it does not start is a bundle it does not load.
   */
  functionConcurrency?: number | ((fn: LocalFunction) => number | undefined);
  /** Print the functions' log lines to the terminal (default: written to `<dataDir>/logs/functions.log`). */
  verboseLogs?: boolean;
  /** Deadline loop period of the Step Functions engine. */
  tickMs?: number;
  /** Extra environment for every function (tests set `SMS_WINDOW: 'off'` so they do not depend on the hour). */
  functionEnv?: Record<string, string>;
  /** How long after a send its delivery event is published (default 300 ms; AWS takes seconds). */
  deliveryEventDelayMs?: number;
  /**
   * Fails this share of the functions' calls to each service (0 to 1) with the errors AWS returns: throttling, 500s,
   * timeouts, and for DynamoDB and Step Functions 500s after the request was executed (`faults.ts`). Only the services
   * given a share are put behind the fault layer, 0 included: `cloud.faults.set` can then change their share at run time.
   * Calls from anything else than a function (the engine, tests, the console) are never faulted.
   */
  faults?: FaultSettings;
  /**
   * The access key id the engine and the functions use (default `local`; letters and digits). With a `dynamodbEndpoint`
   * started without -sharedDb it names the database, so local clouds sharing one DynamoDB Local keep apart.
   */
  accessKeyId?: string;

  // What an app passes in (its entry point): the local cloud itself knows nothing of the app it runs.
  /** Accounts offered by the local issuer's login page, with their groups and custom claims. */
  users?: DemoUser[];
  /** The app's pages worth opening, by key: `cloud.pages[key]` is the absolute URL of `path`. */
  pages?: Record<string, { label: string; path: string }>;
  /** Counts the parts of each SMS in the local outbox (default: a rough GSM/UCS2 count). */
  smsSegments?: SmsSegmentCounter;
  /** Country calling codes the local SMS sender may text (like a sender id registered for some countries); default all. */
  smsCallingCodes?: readonly string[];
  /**
   * Environment variables to change in a function because it runs locally (e.g. a Cognito hosted-UI URL that
   * must point at the local issuer); the result is merged over the function's own variables.
   */
  functionEnvironment?: (fn: LocalFunction, local: { gatewayUrl: string; issuerUrl: string; clientId: string }) => Record<string, string>;
  /** What the gateway answers a request it could not read (headers too large, a malformed request line): see `GatewayOptions.clientError`. */
  clientError?: ClientErrorAnswer;
  /** The SNS topic that receives simulated SMS replies (End User Messaging two-way channel), if the app has one. */
  smsInboundTopicArn?: (app: LocalApp) => string | undefined;
}

export interface LocalCloud {
  dataDir: string;
  /** Where the functions' log lines go unless `verboseLogs`. */
  functionLogFile: string;
  urls: {
    app: string;
    /** The local console (state machines, executions, schedules, mail, SMS). */
    console: string;
    mailViewer: string;
    smsOutbox: string;
    awsEndpoint: string;
    dynamodb: string;
    /** The local S3 (path-style), the template's buckets; presigned URLs made by the functions point here. */
    s3: string;
  };
  /** The app's pages given in `options.pages`, as absolute URLs. */
  pages: Record<string, string>;
  /** The access key id its clients use (see `accessKeyId`): a client of `urls.dynamodb` needs it to see the same tables. */
  accessKeyId: string;
  app: LocalApp;
  synthesized: SynthesizedApp;
  tableName: string;
  documentClient: DynamoDBDocumentClient;
  issuer: LocalIssuer;
  sms: LocalSms;
  ses: LocalSes;
  s3: LocalS3;
  engine: LocalStepFunctions;
  lambda: LambdaRuntime;
  scheduler: LocalScheduler;
  events: LocalEventBridge;
  sns: LocalSns;
  /** The template's SQS queues (kept in the data folder unless `inMemory`); also served at `urls.awsEndpoint` (AmazonSQS.*). */
  sqs: LocalSqs;
  /** The SQS event source mappings of the functions: `stats()` counts their batches. */
  eventSources: LocalEventSources;
  /** The fault layer: `set` changes shares, kinds or seed at run time, `stats` counts the calls and injected faults. */
  faults: FaultLayer;
  /** The `AWS_ENDPOINT_URL_*` variables every function gets: through the fault layer for the services it covers. */
  functionEndpoints: Record<string, string>;
  timings: { synthMs: number; readyMs: number };
  /** Stops everything in order (runs in flight end, data is flushed). */
  stop(): Promise<void>;
  /** Ends the child processes (DynamoDB Local) at once, for a second Ctrl+C; the process should exit next. */
  kill(): void;
}


/**
 * Runs the synthesized template on this machine: DynamoDB Local, the functions' bundles in worker threads,
 * the state machines on a durable local engine, SES and SMS stand-ins, a local identity provider, and the
 * HTTP API's routes with the same JWT rules. Functions reach the local services only through AWS_ENDPOINT_URL_*.
 */
export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const started = Date.now();
  const dataDir = resolve(options.dataDir ?? '.local/data');
  const accessKeyId = options.accessKeyId ?? 'local';
  mkdirSync(dataDir, { recursive: true });
  // Before anything is reset or started: a second local cloud on the same folder stops here, with nothing to undo.
  const lock = lockDataFolder(dataDir);
  const stopStack: Array<() => Promise<void>> = [async () => lock.release()];
  const stopAll = async () => {
    for (const stop of stopStack.reverse()) await stop().catch(() => undefined);
  };

  try {
    if (options.reset) {
      for (const entry of readdirSync(dataDir)) if (entry !== DATA_LOCK_FILE) rmSync(join(dataDir, entry), { recursive: true, force: true });
    }
    // With the folder locked, a DynamoDB Local recorded in it was left by a killed local cloud: it goes first, as
    // it may hold the very port asked for again.
    endDynamoDbOf(dataDir);
    // A taken port fails the start before the slow steps (synthesis, DynamoDB Local), naming the port.
    await assertPortFree(options.port ?? 3000, 'gateway');
    if (options.sesPort) await assertPortFree(options.sesPort, 'ses');
    if (options.awsPort) await assertPortFree(options.awsPort, 'aws');
    if (options.s3Port) await assertPortFree(options.s3Port, 's3');
    if (options.dynamodbPort && !options.dynamodbEndpoint) await assertPortFree(options.dynamodbPort, 'dynamodb');

    // DynamoDB Local (a JVM: seconds to start) boots while the app is synthesized, which blocks this
    // thread: with its port chosen first, the process is spawned before the synthesis starts.
    const ddbStarting = options.dynamodbEndpoint
      ? Promise.resolve(externalDynamoDb(options.dynamodbEndpoint, accessKeyId))
      : startOwnDynamoDb({ ...options, dynamodbPort: options.dynamodbPort || (await freePort()) }, dataDir);
    // Its failure (no Java, say) is thrown below where it is awaited, not as an unhandled rejection meanwhile.
    ddbStarting.catch(() => undefined);
    stopStack.push(async () => (await ddbStarting).stop());

    const synthStarted = Date.now();
    const { assemblyDir, synth } = options;
    const synthesized = assemblyDir
      ? loadAssembly(assemblyDir)
      : await synth?.({ outDir: resolve(options.outDir ?? '.local/cdk.out'), stage: options.stage ?? 'local' });
    if (!synthesized) throw new Error('startLocalCloud: give an assemblyDir or a synth function');
    const synthMs = Date.now() - synthStarted;

    const gatewayPort = options.port === 0 ? await freePort() : (options.port ?? 3000);
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const issuerUrl = `${gatewayUrl}/local-auth`;

    const ddb = await ddbStarting;

    const ctx = {
      region: LOCAL_REGION,
      accountId: LOCAL_ACCOUNT,
      stackName: synthesized.stackName,
      attributes: apiEndpointOverrides(synthesized, gatewayUrl),
    };
    const app = describeTemplate(synthesized.template, synthesized.assemblyDir, ctx);
    await ensureTables(ddb.client, app.tables.map((t) => ({ input: t.createTableInput, ttlAttribute: t.ttlAttribute })));
    const documentClient = DynamoDBDocumentClient.from(ddb.client, { marshallOptions: { removeUndefinedValues: true } });

    // Delivery events are published after a short delay, as on AWS, by these hooks once the bus and topics exist.
    const deliveryHooks: {
      email?: (email: AcceptedEmail) => void;
      sms?: (record: SmsRecord) => void;
      inbound?: (reply: InboundSmsPayload) => Promise<{ failed: number }>;
    } = {};
    const ses = await startLocalSes({ port: options.sesPort, onAccepted: (email) => deliveryHooks.email?.(email), dataDir });
    stopStack.push(() => ses.stop());
    const sms = new LocalSms({
      dataDir,
      segments: options.smsSegments,
      callingCodes: options.smsCallingCodes,
      onSent: (record) => deliveryHooks.sms?.(record),
      onInbound: async (reply) => (deliveryHooks.inbound ? deliveryHooks.inbound(reply) : { failed: 0 }),
    });

    const s3 = await startLocalS3({
      dataDir,
      buckets: app.buckets,
      region: LOCAL_REGION,
      accountId: LOCAL_ACCOUNT,
      secretFor: () => LOCAL_SECRET_ACCESS_KEY,
      port: options.s3Port,
    });
    stopStack.push(() => s3.close());

    const clientId = app.userPoolClientIds[0] ?? 'local-client';
    const issuer = await LocalIssuer.create({ issuerUrl, clientId, dataDir, users: options.users });

    // Messages in queues are the app's data, as the table's items are: on disk unless DynamoDB is in memory.
    const sqs = new LocalSqs({ queues: app.queues, dataDir: options.inMemory ? undefined : dataDir });
    stopStack.push(() => sqs.close());

    const engineRef: { engine?: LocalStepFunctions } = {};
    const awsEndpoint = await startAwsJsonEndpoint({
      port: options.awsPort,
      services: {
        AWSStepFunctions: (operation, body) => handleSfnJson(engineRef.engine!, operation, body),
        PinpointSMSVoiceV2: (operation, body) => sms.handleJson(operation, body),
        AmazonSQS: (operation, body, signal) => sqs.handleJson(operation, body, signal),
      },
    });
    stopStack.push(() => awsEndpoint.close());

    // A service without a share keeps no proxy: the functions then reach it directly, with no hop.
    const faults = new FaultLayer(options.faults);
    const forFunctions = async (service: FaultService, upstream: string) => {
      if (!faults.services.has(service)) return upstream;
      const proxy = await startFaultProxy({ service, upstream, layer: faults });
      stopStack.push(() => proxy.close());
      return proxy.url;
    };
    const functionEndpoints = {
      AWS_ENDPOINT_URL_DYNAMODB: await forFunctions('dynamodb', ddb.endpoint),
      AWS_ENDPOINT_URL_SFN: await forFunctions('stepfunctions', awsEndpoint.url),
      AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2: await forFunctions('sms', awsEndpoint.url),
      AWS_ENDPOINT_URL_SESV2: await forFunctions('ses', ses.endpoint),
      // Presigned URLs point where the functions' client does, through the fault layer too when S3 has a share: the
      // browser's uploads then meet the same faults.
      AWS_ENDPOINT_URL_S3: await forFunctions('s3', s3.endpoint),
      AWS_ENDPOINT_URL_SQS: awsEndpoint.url,
    };

    const logsDir = join(dataDir, 'logs');
    mkdirSync(logsDir, { recursive: true });
    const logFile = join(logsDir, 'functions.log');
    const lambda = new LambdaRuntime({
      functions: app.functions.map((fn) => ({
        ...fn,
        environment: {
          ...fn.environment,
          ...options.functionEnvironment?.(fn, { gatewayUrl, issuerUrl, clientId }),
          ...options.functionEnv,
        },
      })),
      baseEnv: {
        AWS_REGION: LOCAL_REGION,
        AWS_ACCESS_KEY_ID: accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_SECRET_ACCESS_KEY,
        ...functionEndpoints,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
      codeCacheDir: options.codeCacheDir ?? join(tmpdir(), 'local-cloud-code-cache'),
      maxConcurrency: options.functionConcurrency,
      onLog: options.verboseLogs
        ? (name, line) => process.stdout.write(`[${name}] ${line}\n`)
        : (name, line) => appendFileSync(logFile, `[${name}] ${line}\n`),
    });
    stopStack.push(() => lambda.stop());

    const invokeAsync = (arn: string, payload: unknown) => lambda.invoke(arn, payload);
    const sendToQueue = (queueArn: string, body: string) => sqs.sendMessage(queueArn, body);
    const events = new LocalEventBridge({ rules: app.eventRules, invoke: invokeAsync, sendToQueue, region: LOCAL_REGION, accountId: LOCAL_ACCOUNT });
    const sns = new LocalSns({ subscriptions: app.topicSubscriptions, invoke: invokeAsync, sendToQueue });
    // Stopped before the functions: the batches being invoked finish and delete what succeeded.
    const eventSources = new LocalEventSources({
      mappings: app.eventSourceMappings,
      sqs,
      invoke: (arn, event) => lambda.invoke(arn, event),
      region: LOCAL_REGION,
      log: (line) => appendFileSync(logFile, `${line}\n`),
    });
    eventSources.start();
    stopStack.push(() => eventSources.stop());
    const pendingDeliveries = new Set<Promise<unknown>>();
    const later = (what: string, publish: () => Promise<{ failed: number }>) => {
      const delivery = new Promise((resolve) => setTimeout(resolve, options.deliveryEventDelayMs ?? 300))
        .then(publish)
        .then(({ failed }) => {
          if (failed > 0) appendFileSync(logFile, `[local-cloud] ${what}: ${failed} delivery event(s) not processed after retries\n`);
        })
        .catch((error: Error) => appendFileSync(logFile, `[local-cloud] ${what}: ${error.name}\n`))
        .finally(() => pendingDeliveries.delete(delivery));
      pendingDeliveries.add(delivery);
    };
    deliveryHooks.email = (email) => later('SES events', () => events.putEvents(sesDeliveryEvents(email)));
    deliveryHooks.sms = (record) =>
      later('SMS events', async () => {
        const event = smsDeliveryEvent(record);
        let failed = 0;
        for (const destination of app.smsEventDestinations) {
          if (destination.configurationSetName !== record.configurationSet || !destination.matchingEventTypes.some((type) => type === event.eventType || type === 'ALL' || type === 'TEXT_ALL')) continue;
          failed += (await sns.publish(destination.topicArn, JSON.stringify(event))).failed;
        }
        return { failed };
      });
    // SMS replies go where the app's two-way topic sends them.
    deliveryHooks.inbound = async (reply) => {
      const topicArn = options.smsInboundTopicArn?.(app);
      return topicArn ? sns.publish(topicArn, JSON.stringify(reply)) : { failed: 0 };
    };
    // Events still in flight at stop would invoke stopped workers.
    stopStack.push(async () => {
      deliveryHooks.email = undefined;
      deliveryHooks.sms = undefined;
      deliveryHooks.inbound = undefined;
      await Promise.allSettled([...pendingDeliveries]);
    });

    const engine = new LocalStepFunctions({
      documentClient,
      tableName: ENGINE_TABLE,
      invoker: { invoke: (arn, payload) => lambda.invoke(arn, payload) },
      region: LOCAL_REGION,
      accountId: LOCAL_ACCOUNT,
      tickMs: options.tickMs,
      // Distributed Map item readers and result writers use the template's buckets in process.
      s3: { getObject: (bucket, key) => s3.getObject(bucket, key), putObject: (bucket, key, body, contentType) => s3.putObject(bucket, key, body, contentType) },
    });
    for (const machine of app.stateMachines) engine.registerStateMachine({ arn: machine.arn, name: machine.name, definition: machine.definition });
    engineRef.engine = engine;
    await engine.start();
    stopStack.push(() => engine.stop());

    // The console reads the scheduler, made after the gateway: it answers once both exist.
    const localConsole: { handle?: LocalConsole['handle'] } = {};
    const verify = jwtVerifierFor(() => issuer.jwks());
    const gateway = await startGateway({
      port: gatewayPort,
      routes: app.routes.map((route) => ({
        ...route,
        // The template's authorizer trusts the Cognito user pool; locally the same rules apply to the local issuer.
        authorizer: route.authorizer ? { ...route.authorizer, issuer: issuerUrl, audience: [clientId] } : undefined,
      })),
      invoke: (arn, event) => lambda.invoke(arn, event),
      verifyJwt: verify,
      ...(options.clientError ? { clientError: options.clientError } : {}),
      before: async (req: IncomingMessage, res: ServerResponse) => {
        if (await issuer.handle(req, res)) return true;
        if (await sms.handle(req, res, '/_local/sms')) return true;
        if (await localConsole.handle?.(req, res)) return true;
        if (req.url === '/_local/health') {
          // Where the table is: a script checking the data (npm run smoke) reads it with the same access key id.
          const dynamodb = { endpoint: ddb.endpoint, accessKeyId, tables: app.tables.map((t) => t.tableName) };
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', stage: synthesized.stage, dynamodb }));
          return true;
        }
        return false;
      },
    });
    stopStack.push(() => gateway.close());

    const scheduler = new LocalScheduler({
      schedules: app.schedules,
      stateFile: join(dataDir, 'scheduler-state.json'),
      target: {
        invokeFunction: async (arn, payload) => {
          const outcome = await lambda.invoke(arn, payload);
          if (!outcome.ok) throw Object.assign(new Error(outcome.errorMessage), { name: outcome.errorType });
          return outcome.result;
        },
        startExecution: (stateMachineArn, input, name) => engine.startExecution({ stateMachineArn, input, name }),
      },
    });
    scheduler.start();
    stopStack.push(() => scheduler.stop());
    localConsole.handle = createLocalConsole({
      engine,
      scheduler,
      region: LOCAL_REGION,
      links: { mailViewer: ses.viewerUrl, smsOutbox: '/_local/sms/', awsEndpoint: awsEndpoint.url, app: '/' },
      pages: Object.values(options.pages ?? {}).map((page) => ({ label: page.label, href: page.path })),
    }).handle;

    const readyMs = Date.now() - started;
    return {
      dataDir,
      functionLogFile: logFile,
      urls: {
        app: `${gatewayUrl}/`,
        console: `${gatewayUrl}/_local/`,
        mailViewer: ses.viewerUrl,
        smsOutbox: `${gatewayUrl}/_local/sms/`,
        awsEndpoint: awsEndpoint.url,
        dynamodb: ddb.endpoint,
        s3: s3.endpoint,
      },
      accessKeyId,
      pages: Object.fromEntries(Object.entries(options.pages ?? {}).map(([key, page]) => [key, new URL(page.path, gatewayUrl).href])),
      app,
      synthesized,
      tableName: app.tables[0]?.tableName ?? '',
      documentClient,
      issuer,
      sms,
      ses,
      s3,
      engine,
      lambda,
      scheduler,
      events,
      sns,
      sqs,
      eventSources,
      faults,
      functionEndpoints,
      timings: { synthMs, readyMs },
      stop: stopAll,
      kill: () => {
        endDynamoDbOf(dataDir);
        lock.release();
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** DynamoDB Local of this local cloud, kept in the data folder (one left by a killed local cloud was ended at the start). */
async function startOwnDynamoDb(options: LocalCloudOptions, dataDir: string): Promise<Pick<DynamoDbLocal, 'client' | 'endpoint' | 'stop'>> {
  const pidFile = join(dataDir, DYNAMODB_PID_FILE);
  const ddb = await startDynamoDbLocal({
    port: options.dynamodbPort,
    dataDir: options.inMemory ? undefined : join(dataDir, 'dynamodb'),
    onSpawn: (pid) => writeFileSync(pidFile, String(pid)),
  });
  return {
    client: ddb.client,
    endpoint: ddb.endpoint,
    async stop() {
      await ddb.stop();
      rmSync(pidFile, { force: true });
    },
  };
}

/** A DynamoDB someone else runs (the bench's recording proxy, a shared test instance): used, never stopped. */
function externalDynamoDb(endpoint: string, accessKeyId: string): Pick<DynamoDbLocal, 'client' | 'endpoint' | 'stop'> {
  const client = localDynamoDbClient(endpoint, { accessKeyId });
  return { client, endpoint, stop: async () => client.destroy() };
}

/** Every HTTP API of the template answers at the local gateway's URL. */
function apiEndpointOverrides(synthesized: SynthesizedApp, gatewayUrl: string): Record<string, Record<string, string>> {
  const overrides: Record<string, Record<string, string>> = {};
  for (const [logicalId, resource] of Object.entries(synthesized.template.Resources ?? {})) {
    if (resource.Type === 'AWS::ApiGatewayV2::Api') overrides[logicalId] = { ApiEndpoint: gatewayUrl };
  }
  return overrides;
}
