/**
 * npm run bench: figures, not assertions.
 *  0. start-up: cold and warm `npm start` of a clean clone, with the app's functions and with 60 (bench/startup.ts);
 *  1. time from `npm start` to ready (synthesis included), in a fresh process and data folder;
 *  2. submit latency p50/p99 and throughput over HTTP on a second local cloud (same assembly) whose DynamoDB Local
 *     sits behind a recording proxy; then the time until every workflow waits for the staff, the DynamoDB calls per
 *     referral by table and kind, the CPU per referral, and the same writes replayed on DynamoDB Local alone (the ratio);
 *  3. the notifications those referrals put in the outbox: count by channel and status, sent per second,
 *     outbox latency (created to sent) p50/p99, share that needed a retry (read from the table once none is pending);
 *  4. person matching: 1,000 concurrent submissions over HTTP with retries, pairs of the same new person and weak
 *     matches, with the exact counts of referrals, people and "doublons possibles" (bench/person-matching.ts);
 *  5. referral paths under faults (bench/fault-paths.ts, the driver of the end-to-end test): 200 paths on a local cloud
 *     of the `test` stage (deadlines of seconds) whose functions see 10 % of their AWS calls fail; complete paths/s,
 *     retried steps, faults injected, reconciler repairs, and messages sent per cause (exactly 1.00, or the duplicates);
 *  6. each function's bundle size and init time in a fresh Node process, next to the init of the
 *     AWS SDK clients that function uses, alone, measured in the same run;
 *  7. uploads per second through the local S3: presign + PUT of 1 MB and 5 MB files, several in flight (bench/uploads.ts);
 *  8. onboarding paths (bench/onboarding-path.ts, the driver of the end-to-end test): a first path on cold functions, then one path of each programme from
 *     the referral's acceptance to launch-ready on a local cloud of the `test` stage, the time of each step and the
 *     share spent waiting for the asynchronous side;
 *  9. active activities: `allActiveActivities()` over 10,000 seeded ones, cold and warm, pages read, items/s (bench/activities.ts);
 * 10. a Distributed Map over 10,000 items in batches of 100 on the local engine: time, engine DynamoDB requests (bench/distributed-map.ts);
 * 11. invoice PDFs with their Factur-X XML rendered per second on one core, and per CPU second (bench/invoice-pdf.ts);
 * 12. invoice numbering: 10,000 drafts numbered in blocks, numbers/s, the continuity check's time, 20 contended validations (bench/numbering.ts);
 * 13. the monthly invoicing run over 10,000 active activities with 3 declarations each on a local cloud of the `test` stage: seeding apart,
 *     total time and invoices/s, each phase, DynamoDB requests and state transitions per invoice, the numbering check (bench/invoicing-run.ts);
 * 14. DynamoDB Local's CPU per request and per item for each kind of request the run makes, JVM and client apart (bench/dynamodb-cost.ts).
 *
 * BENCH_ONLY=<section> runs one section that stands alone: `uploads`, `onboarding`, `activities`, `map`, `invoice-pdf`, `numbering`, `invoicing-run` or `dynamodb-cost`.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { build } from 'esbuild';
import { LocalIssuer } from '../infra/local/auth.js';
import { DEMO_USERS } from '../infra/local-app/demo-users.js';
import { freePort } from '../infra/local/net.js';
import { loadAssembly } from '../infra/local/assembly.js';
import { describeTemplate } from '../infra/local/template.js';
import { LOCAL_AWS, startDynamoDbLocal } from '../infra/local/dynamodb.js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { notificationFigures } from './notifications.js';
import { DynamoDbTap } from './dynamodb-tap.js';
import { cpuSeconds } from './threads.js';
import { waitUntilParked, workflowFigures } from './workflows.js';
import { startupBench } from './startup.js';
import { personMatchingFigures } from './person-matching.js';
import { faultRunFigures, runFaultPaths } from './fault-paths.js';
import { startParcoursCloud } from '../infra/local-app/profile.js';
import { uploadFigures } from './uploads.js';
import { onboardingPathFigures } from './onboarding-path.js';
import { activeActivityFigures } from './activities.js';
import { distributedMapFigures } from './distributed-map.js';
import { invoicePdfFigures } from './invoice-pdf.js';
import { numberingFigures } from './numbering.js';
import { invoicingRunFigures } from './invoicing-run.js';
import { dynamoDbCostFigures } from './dynamodb-cost.js';

/** The local cloud's Step Functions table (infra/local/cloud.ts). */
const ENGINE_TABLE = 'local-stepfunctions';
const SUBMISSIONS = Number(process.env.BENCH_SUBMISSIONS ?? 400);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const INIT_RUNS = Number(process.env.BENCH_INIT_RUNS ?? 7);
const MATCHING_SUBMISSIONS = Number(process.env.BENCH_MATCHING_SUBMISSIONS ?? 1000);
// The end-to-end test's fault run (test/e2e/fault-paths.test.ts): 200 paths, 12 requests in flight, the same faults and seed.
const FAULT_PATHS = Number(process.env.BENCH_FAULT_PATHS ?? 200);
const FAULT_PATHS_CONCURRENCY = Number(process.env.BENCH_FAULT_CONCURRENCY ?? 12);
const PATH_FAULTS = { dynamodb: 0.1, ses: 0.1, sms: 0.1, stepfunctions: 0.1, seed: 20262340, timeoutMs: 300 };
// On 2 busy cores the outbox drained up to ~3 min after the last submission: 120 s left some pending.
const NOTIFY_TIMEOUT_S = Number(process.env.BENCH_NOTIFY_TIMEOUT_S ?? 300);
// The fault layer throttles this share of the functions' SES and SMS calls, as AWS does over a sending rate: the retry share then measures retries that happen.
const FAULT_RATE = Number(process.env.BENCH_FAULT_RATE ?? 0.05);
const UPLOADS = Number(process.env.BENCH_UPLOADS ?? 40);
const UPLOAD_CONCURRENCY = Number(process.env.BENCH_UPLOAD_CONCURRENCY ?? 8);
const ACTIVITIES = Number(process.env.BENCH_ACTIVITIES ?? 10_000);
const INVOICE_PDFS = Number(process.env.BENCH_INVOICE_PDFS ?? 500);
const INVOICES = Number(process.env.BENCH_INVOICES ?? 10_000);
// Section 13: BENCH_RUN_ACTIVITIES=500 for a quick try, 0 skips it.
const RUN_ACTIVITIES = Number(process.env.BENCH_RUN_ACTIVITIES ?? 10_000);
const RUN_DECLARATIONS = Number(process.env.BENCH_RUN_DECLARATIONS ?? 3);
// BENCH_BURST_ONLY=1 stops after the burst and its workflow figures (section 2), for before/after runs back to back.
const BURST_ONLY = process.env.BENCH_BURST_ONLY === '1';
// The bench's own DynamoDB client (figure 3) would print the SDK's Node 20 notice otherwise; main.ts does the same.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** 8. Onboarding paths on a local cloud of the `test` stage in this process (BENCH_ONBOARDING=0 skips it); it reuses section 5's assembly. */
const onboardingFigures = async (dataDir: string): Promise<string[]> => {
  if (process.env.BENCH_ONBOARDING === '0') return [];
  const testOut = join(dataDir, 'cdk.out-test');
  const cloud = await startParcoursCloud({
    stage: 'test',
    ...(existsSync(join(testOut, 'manifest.json')) ? { assemblyDir: testOut } : { outDir: testOut }),
    dataDir: join(dataDir, 'data-onboarding'),
    inMemory: true,
    port: 0,
    tickMs: 200,
    functionEnv: { SMS_WINDOW: 'off' },
  });
  process.once('exit', () => cloud.kill());
  try {
    return await onboardingPathFigures(cloud);
  } finally {
    await cloud.stop();
  }
};
/** The sections that run on their own, without the local clouds of sections 1-6. */
const STANDALONE: Record<string, () => Promise<string[]>> = {
  uploads: () => uploadFigures({ uploads: UPLOADS, concurrency: UPLOAD_CONCURRENCY }),
  onboarding: () => onboardingFigures(mkdtempSync(join(tmpdir(), 'parcours-bench-'))),
  activities: () => activeActivityFigures({ activities: ACTIVITIES }),
  map: () => distributedMapFigures({ items: 10_000, batch: 100 }),
  'invoice-pdf': () => invoicePdfFigures({ invoices: INVOICE_PDFS }),
  numbering: () => numberingFigures({ invoices: INVOICES }),
  'invoicing-run': () => invoicingRunFigures({ activities: RUN_ACTIVITIES, declarations: RUN_DECLARATIONS }),
  'dynamodb-cost': () => dynamoDbCostFigures(),
};
const only = process.env.BENCH_ONLY;
if (only !== undefined) {
  const section = STANDALONE[only];
  if (!section) {
    console.error(`BENCH_ONLY=${only}: expected one of ${Object.keys(STANDALONE).join(', ')}`);
    process.exit(2);
  }
  for (const line of await section()) console.log(line);
  process.exit(0);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];

// 0. Start-up, cold and warm (BENCH_STARTUP=0 skips it).
if (process.env.BENCH_STARTUP !== '0') for (const line of await startupBench()) console.log(line);

// 1. Start-up of the cloud the load test runs on.
const dataDir = mkdtempSync(join(tmpdir(), 'parcours-bench-'));
const outDir = join(dataDir, 'cdk.out');
const port = await freePort();
const sesPort = await freePort();
const awsPort = await freePort();
const dynamodbPort = await freePort();
// No SMS quiet hours, as in the end-to-end tests: SMS submitted at night would otherwise wait for the morning (figure 3).
const cloudArgs = (data: string) => ['--data-dir', join(dataDir, data), '--port', String(port), '--ses-port', String(sesPort), '--aws-port', String(awsPort), '--no-demo', '--sms-window', 'off', '--faults', `ses=${FAULT_RATE},sms=${FAULT_RATE}`, '--fault-kinds', 'throttle'];
const startCloud = async (args: string[]) => {
  const child = spawn(process.execPath, [...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []), '--import', 'tsx', 'infra/local-app/main.ts', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PARCOURS_OUT_DIR: outDir },
  });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  await new Promise<void>((resolvePromise, reject) => {
    const timer = setInterval(() => {
      if (output.includes('prêt')) {
        clearInterval(timer);
        resolvePromise();
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(output));
      }
    }, 20);
  });
  return { child, output: () => output };
};
const stopCloud = (child: ChildProcess) => new Promise<void>((resolvePromise) => (child.exitCode !== null ? resolvePromise() : (child.once('exit', () => resolvePromise()), child.kill('SIGTERM'))));
const startedAt = performance.now();
const first = await startCloud([...cloudArgs('data-start'), '--dynamodb-port', String(dynamodbPort)]);
const readyMs = performance.now() - startedAt;
const synthLine = /synthèse ([\d.]+) s/.exec(first.output())?.[1];
console.log(`start-up: npm start to ready ${(readyMs / 1000).toFixed(2)} s (synthesis ${synthLine ?? '?'} s), 2 cores`);
await stopCloud(first.child);

// The load figures run on a second local cloud (same assembly, no synthesis) whose DynamoDB Local the bench starts
// behind a recording proxy: it counts the calls of each referral and keeps its writes for the replay (figure 2b).
const ddbLocal = await startDynamoDbLocal({ port: dynamodbPort, dataDir: join(dataDir, 'data', 'dynamodb') });
const tap = new DynamoDbTap(dynamodbPort);
const tapEndpoint = await tap.listen();
const { child } = await startCloud([...cloudArgs('data'), '--assembly', outDir, '--dynamodb-endpoint', tapEndpoint]);
// A bench that fails half-way must not leave the local cloud and its Java process running.
process.once('exit', () => {
  child.kill('SIGKILL');
  try {
    process.kill(ddbLocal.pid, 'SIGKILL');
  } catch {
    // Already stopped.
  }
});

// 2. Submit latency and throughput.
const base = `http://127.0.0.1:${port}`;
const clientId = ((await (await fetch(`${base}/api/config`)).json()) as { clientId: string }).clientId;
const issuer = await LocalIssuer.create({ issuerUrl: `${base}/local-auth`, clientId, dataDir: join(dataDir, 'data'), users: DEMO_USERS });
const token = issuer.mintIdToken('sarah.benali');
let accepted = 0; // referrals answered 201, whose notifications figure 3 counts
const submit = async (i: number) => {
  const t0 = performance.now();
  const res = await fetch(`${base}/api/referrals`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: JSON.stringify({
      programme: 'accompagnement',
      youngPerson: { firstName: `Bench${i}`, lastName: randomUUID().slice(0, 8), birthDate: '2001-02-03', email: `bench.${randomUUID()}@example.org`, phone: `+336${String(10_000_000 + i).slice(-8)}`, postalCode: '62300', town: 'Lens', qpv: false, situation: 'demandeur-emploi' },
      projectIdea: 'Mesure de performance du formulaire.',
      consent: { dataProcessing: true },
    }),
  });
  await res.arrayBuffer();
  if (res.status === 201) accepted += 1;
  return { ms: performance.now() - t0, status: res.status };
};
// Warm every execution environment the burst will use, with the burst's own concurrency (numbers distinct from the measured ones):
// a burst that starts environments measures their cold starts, which a running system does not pay.
const WARM_UP = 2 * CONCURRENCY;
let warmed = 0;
await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
  while (warmed < WARM_UP) await submit(200_000 + warmed++);
}));
const sequential: number[] = [];
for (let i = 0; i < 40; i++) sequential.push((await submit(100_000 + i)).ms);
console.log(`submit over HTTP, one at a time: 40 referrals: p50 ${median(sequential).toFixed(1)} ms, p99 ${percentile(sequential, 99).toFixed(1)} ms`);
// The workflows of those referrals end at their waiting step before the burst, so that the burst's figures count its own referrals only.
const ddb = new DynamoDBClient({ endpoint: `http://127.0.0.1:${dynamodbPort}`, ...LOCAL_AWS });
// Only the referrals answered 201 have a workflow: under heavy load a warm-up request can time out.
const acceptedBeforeBurst = accepted;
await waitUntilParked(DynamoDBDocumentClient.from(ddb), ENGINE_TABLE, acceptedBeforeBurst, Date.now() + NOTIFY_TIMEOUT_S * 1000);
const latencies: number[] = [];
const statuses = new Map<number, number>();
let next = 0;
tap.requests.length = 0;
tap.recording = true;
const cpuAtStart = { localCloudPid: child.pid!, dynamodbPid: ddbLocal.pid, localCloudAtStart: cpuSeconds(child.pid!), mainThreadAtStart: cpuSeconds(child.pid!, child.pid!), dynamodbAtStart: cpuSeconds(ddbLocal.pid) };
const burstStart = performance.now();
const burstStartEpoch = Date.now();
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < SUBMISSIONS) {
      const i = next++;
      const { ms, status } = await submit(i);
      latencies.push(ms);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  }),
);
const burstSeconds = (performance.now() - burstStart) / 1000;
const lastSubmitAt = Date.now();
console.log(
  `submit over HTTP: ${SUBMISSIONS} referrals, ${CONCURRENCY} in flight: p50 ${median(latencies).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, ` +
    `${(SUBMISSIONS / burstSeconds).toFixed(1)} referrals/s; statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
);

// 2b. Workflows: until every referral's workflow waits for the staff, then the same writes on DynamoDB Local alone.
const assembly = loadAssembly(resolve(outDir));
const app = describeTemplate(assembly.template, assembly.assemblyDir, { region: 'eu-west-3', accountId: '000000000000', stackName: assembly.stackName });
for (const line of await workflowFigures({
  client: ddb,
  dynamodbPort,
  tap,
  engineTable: ENGINE_TABLE,
  referrals: SUBMISSIONS,
  executions: accepted,
  concurrency: CONCURRENCY,
  burstStartEpoch,
  burstSeconds,
  timeoutMs: NOTIFY_TIMEOUT_S * 1000,
  cpu: cpuAtStart,
})) {
  console.log(line);
}
if (BURST_ONLY) {
  ddb.destroy();
  await stopCloud(child);
  tap.close();
  await ddbLocal.stop();
  process.exit(0);
}

// 3. Notifications of all the referrals above, read from the child's DynamoDB Local.
for (const line of await notificationFigures({
  documentClient: DynamoDBDocumentClient.from(ddb),
  tableName: app.tables[0].tableName,
  referrals: accepted,
  lastSubmitAt,
  timeoutMs: NOTIFY_TIMEOUT_S * 1000,
  faultRate: FAULT_RATE,
})) {
  console.log(line);
}

// 4. Person matching under a burst of concurrent submissions (after figure 3, whose counts it would disturb).
for (const line of await personMatchingFigures({
  base,
  tokens: [token, issuer.mintIdToken('thomas.leroy')],
  documentClient: DynamoDBDocumentClient.from(ddb),
  tableName: app.tables[0].tableName,
  submissions: MATCHING_SUBMISSIONS,
})) {
  console.log(line);
}
ddb.destroy();
await stopCloud(child);
tap.close();
await ddbLocal.stop();

// 5. Referral paths under faults (BENCH_FAULT_PATHS=0 skips it). The local cloud runs in this process: the figures
// read its engine, its fault layer and its local SES and SMS, as the end-to-end test does.
if (FAULT_PATHS > 0) {
  const faultCloud = await startParcoursCloud({
    stage: 'test',
    outDir: join(dataDir, 'cdk.out-test'),
    dataDir: join(dataDir, 'data-faults'),
    inMemory: true,
    port: 0,
    tickMs: 200,
    functionEnv: { SMS_WINDOW: 'off' },
    faults: PATH_FAULTS,
  });
  process.once('exit', () => faultCloud.kill());
  try {
    const report = await runFaultPaths(faultCloud, { paths: FAULT_PATHS, concurrency: FAULT_PATHS_CONCURRENCY, settleTimeoutMs: 900_000 });
    for (const line of await faultRunFigures(faultCloud, report, { concurrency: FAULT_PATHS_CONCURRENCY, share: '10 %' })) console.log(line);
  } finally {
    await faultCloud.stop();
  }
}

// 6. Bundles and init times.
const CLIENTS: Record<string, string> = {
  DynamoDB: "const { DynamoDBClient } = require('@aws-sdk/client-dynamodb'); const { DynamoDBDocumentClient } = require('@aws-sdk/lib-dynamodb'); DynamoDBDocumentClient.from(new DynamoDBClient({}));",
  SFN: "const { SFNClient } = require('@aws-sdk/client-sfn'); new SFNClient({});",
  SESv2: "const { SESv2Client } = require('@aws-sdk/client-sesv2'); new SESv2Client({});",
  SMS: "const { PinpointSMSVoiceV2Client } = require('@aws-sdk/client-pinpoint-sms-voice-v2'); new PinpointSMSVoiceV2Client({});",
};
const MARKERS: Record<string, RegExp> = { DynamoDB: /DynamoDBDocumentClient|"DynamoDB_20120810/, SFN: /AWSStepFunctions/, SESv2: /SimpleEmailService_v2|"SESv2"/, SMS: /PinpointSMSVoiceV2/ };
const initMs = (file: string) => {
  const runs: number[] = [];
  for (let i = 0; i < INIT_RUNS; i++) {
    const out = execFileSync(process.execPath, ['-e', `const t=performance.now();require(${JSON.stringify(file)});process.stdout.write(String(performance.now()-t))`], {
      env: { PATH: process.env.PATH, AWS_REGION: 'eu-west-3', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    runs.push(Number(out));
  }
  return median(runs);
};
const clientDir = mkdtempSync(join(tmpdir(), 'parcours-clients-'));
const clientInit = new Map<string, { ms: number; kb: number }>();
const clientSet = async (names: string[]) => {
  const key = names.join('+');
  if (!names.length) return { ms: 0, kb: 0 };
  if (!clientInit.has(key)) {
    const entry = join(clientDir, `${key}.js`);
    writeFileSync(entry, names.map((n) => CLIENTS[n]).join('\n'));
    const outfile = join(clientDir, `${key}.bundle.js`);
    await build({ entryPoints: [entry], bundle: true, minify: true, platform: 'node', target: 'node22', format: 'cjs', outfile, nodePaths: [resolve('node_modules')], logLevel: 'silent' });
    clientInit.set(key, { ms: initMs(outfile), kb: statSync(outfile).size / 1024 });
  }
  return clientInit.get(key)!;
};
console.log(`\nfunction bundles (esbuild, minified CJS) — init = require time in a fresh Node ${process.version} process, median of ${INIT_RUNS}`);
console.log(`${'function'.padEnd(22)}${'bundle'.padStart(10)}${'init'.padStart(10)}   SDK clients used, alone: size, init`);
for (const fn of app.functions.filter((f) => f.bundleDir)) {
  const file = join(fn.bundleDir, 'index.js');
  const source = readFileSync(file, 'utf8');
  const used = Object.keys(MARKERS).filter((n) => MARKERS[n].test(source));
  const clients = await clientSet(used);
  console.log(
    `${fn.logicalId.replace(/[0-9A-F]{8}$/, '').slice(0, 21).padEnd(22)}${`${(statSync(file).size / 1024).toFixed(0)} KB`.padStart(10)}${`${initMs(file).toFixed(1)} ms`.padStart(10)}   ` +
      (used.length ? `${used.join(' + ')}: ${clients.kb.toFixed(0)} KB, ${clients.ms.toFixed(1)} ms` : 'none'),
  );
}

// 7. Uploads through the local S3 (BENCH_UPLOADS=0 skips it).
if (UPLOADS > 0) for (const line of await STANDALONE.uploads!()) console.log(line);

// 8. Onboarding paths (BENCH_ONBOARDING=0 skips it).
for (const line of await onboardingFigures(dataDir)) console.log(line);

// 9. Active activities (BENCH_ACTIVITIES=0 skips it).
if (ACTIVITIES > 0) for (const line of await STANDALONE.activities!()) console.log(line);

// 10. Distributed Map on the local engine.
for (const line of await STANDALONE.map!()) console.log(line);
// 11. Invoice PDFs (BENCH_INVOICE_PDFS=0 skips it).
if (INVOICE_PDFS > 0) for (const line of await STANDALONE['invoice-pdf']!()) console.log(line);
// 12. Invoice numbering (BENCH_INVOICES=0 skips it).
if (INVOICES > 0) for (const line of await STANDALONE.numbering!()) console.log(line);
// 13. The monthly invoicing run (BENCH_RUN_ACTIVITIES=0 skips it).
if (RUN_ACTIVITIES > 0) for (const line of await STANDALONE['invoicing-run']!()) console.log(line);
// 14. DynamoDB Local's cost per request and per item.
for (const line of await STANDALONE['dynamodb-cost']!()) console.log(line);
process.exit(0);
