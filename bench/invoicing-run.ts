/**
 * The monthly invoicing run at scale (section 13 of `npm run bench`; alone: `BENCH_ONLY=invoicing-run npm run bench`
 * or `npx tsx bench/invoicing-run.ts`): `activities` active activities, each with one customer and `declarations`
 * declarations in the month, seeded with BatchWrite (bench/invoicing-seed.ts) into the DynamoDB Local of a local cloud
 * of the `test` stage started in this process. Its DynamoDB Local is the bench's own, in memory as a test cloud's,
 * behind the recording proxy (bench/dynamodb-tap.ts): every request of the functions and of the engine is counted.
 * Then the run as staff meet it: started for the month (`startInvoicingRun`), its batch approved through
 * `POST /api/approvals/{approvalId}/decision` as staff once the ledger says it waits, followed to `done`.
 *
 * Printed: the seeding apart; the run's total time and invoices/s; each phase of the ledger (drafting, validation
 * hand-over, numbering, rendering and sending, statements) with its wall time, the CPU of this process (engine, gateway and the
 * functions' worker threads) and of DynamoDB Local, its DynamoDB requests, and the run-step invocations by action with
 * their summed duration; DynamoDB requests per invoice (app table; the engine's own table apart: on AWS it is
 * Step Functions' business); state transitions per invoice (the execution's history, and the Distributed Map
 * children counted by the engine); the numbering check of the result.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startDynamoDbLocal } from '../infra/local/dynamodb.js';
import type { InvokeResult } from '../infra/local/lambda.js';
import { startParcoursCloud, type ParcoursLocalCloud } from '../infra/local-app/profile.js';
import { getInvoicingRun } from '../shared/data/invoicing-runs.js';
import { listMonthInvoices } from '../shared/data/invoicing/invoices.js';
import { checkNumberContinuity } from '../shared/data/invoicing/numbering.js';
import { previousParisMonth, RUN_STATUSES, type InvoicingRunRecord, type InvoicingRunStatus } from '../shared/domain/invoicing/run.js';
import { startInvoicingRun } from '../shared/workflows.js';
import { countByKind, DynamoDbTap, type TappedRequest } from './dynamodb-tap.js';
import { benchInvoicingItems } from './invoicing-seed.js';
import { batchWriteAll } from './local-table.js';
import { cpuSeconds, jvmThreadCpu, jvmThreadCpuLine, threadCpuLine, ThreadCpuSampler, type JvmThreadCpu, type ThreadCpu } from './threads.js';

/** The ledger's statuses a run goes through since decision 45 (`statements` was a phase of its own before). */
const FLOW: readonly InvoicingRunStatus[] = RUN_STATUSES.filter((status) => status !== 'statements');

export interface InvoicingRunOptions {
  activities: number;
  /** Declarations per activity (one customer: one invoice per activity). */
  declarations: number;
  /** Longest wait for the run to end. */
  timeoutMs?: number;
  /** Reuse this `test` stage assembly (a synthesis otherwise, into a temporary folder). */
  assemblyDir?: string;
}

/** Activities seeded per BatchWrite round: their items are built as they go, not all at once. */
const SEED_CHUNK = 1000;
const POLL_MS = 200;
/** The execution's status is read at every this many polls of the ledger. */
const EXECUTION_POLL_EVERY = 5;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const perInvoice = (count: number, invoices: number) => (invoices > 0 ? (count / invoices).toFixed(2) : 'n/a');

/** The functions' invocations, by function and, for the run's step function, by action: count and summed duration. */
class InvocationLog {
  readonly byKey = new Map<string, { count: number; ms: number; failed: number }>();

  /** Wraps the local cloud's Lambda runtime: the engine and the gateway call `invoke` on it. */
  attach(cloud: ParcoursLocalCloud): void {
    const runtime = cloud.lambda;
    const invoke = runtime.invoke.bind(runtime);
    const names = new Map(cloud.app.functions.flatMap((fn) => [fn.functionName, fn.arn, fn.logicalId].map((key) => [key, fn.logicalId.replace(/[0-9A-F]{8}$/, '')] as const)));
    runtime.invoke = async (name: string, event: unknown, options?: { requestId?: string }): Promise<InvokeResult> => {
      const result = await invoke(name, event, options);
      const action = typeof event === 'object' && event !== null && 'action' in event ? `:${String((event as { action: unknown }).action)}` : '';
      const key = `${names.get(name.replace(/:\d+$|:\$LATEST$/, '')) ?? name}${action}`;
      const entry = this.byKey.get(key) ?? { count: 0, ms: 0, failed: 0 };
      entry.count++;
      entry.ms += result.durationMs;
      if (!result.ok) entry.failed++;
      this.byKey.set(key, entry);
      return result;
    };
  }

  snapshot(): Map<string, { count: number; ms: number; failed: number }> {
    return new Map([...this.byKey].map(([key, value]) => [key, { ...value }]));
  }
}

interface Mark {
  status: InvoicingRunStatus | 'started';
  at: number;
  cpu: number;
  /** The process's CPU by kind of thread (bench/threads.ts). */
  threads: ThreadCpu;
  dynamodbCpu: number;
  /** DynamoDB Local's CPU by kind of thread (bench/threads.ts). */
  jvmThreads: JvmThreadCpu;
  requests: number;
  invocations: Map<string, { count: number; ms: number; failed: number }>;
}

/** Lines of figures: the seeding, the run's phases and totals, requests and transitions per invoice, the numbering check. */
export async function invoicingRunFigures(options: InvoicingRunOptions): Promise<string[]> {
  const month = previousParisMonth(new Date());
  const lines = [
    `\ninvoicing run: ${options.activities.toLocaleString('en')} active activities, 1 customer and ${options.declarations} declarations each, month ${month}, on a local cloud of the \`test\` stage in this process (DynamoDB Local in memory behind the recording proxy)`,
  ];
  // Before the local cloud starts its functions' threads: the threads alive now are Node's own.
  const threads = new ThreadCpuSampler();
  const workDir = mkdtempSync(join(tmpdir(), 'parcours-bench-run-'));
  const ddb = await startDynamoDbLocal({});
  const tap = new DynamoDbTap(ddb.port);
  let cloud: ParcoursLocalCloud | undefined;
  const kill = () => {
    cloud?.kill();
    try {
      process.kill(ddb.pid, 'SIGKILL');
    } catch {
      // Already stopped.
    }
  };
  process.once('exit', kill);
  try {
    const tapEndpoint = await tap.listen();
    cloud = await startParcoursCloud({
      stage: 'test',
      ...(options.assemblyDir ? { assemblyDir: options.assemblyDir } : { outDir: join(workDir, 'cdk.out-test') }),
      dataDir: join(workDir, 'data'),
      port: 0,
      tickMs: 200,
      functionEnv: { SMS_WINDOW: 'off' },
      // BENCH_RUN_ENVIRONMENTS=<n>: n execution environments for every function (the app's local profile otherwise).
      ...(process.env.BENCH_RUN_ENVIRONMENTS ? { functionConcurrency: Number(process.env.BENCH_RUN_ENVIRONMENTS) } : {}),
      dynamodbEndpoint: tapEndpoint,
    });
    const machine = cloud.app.stateMachines.find((m) => /invoicing/i.test(m.logicalId));
    if (!machine) throw new Error('no invoicing state machine in the test stage assembly');
    // This process's own calls (the start, the polls of the ledger, the checks) go straight to DynamoDB Local, uncounted.
    Object.assign(process.env, {
      TABLE_NAME: cloud.tableName,
      AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
      AWS_ENDPOINT_URL_SFN: cloud.urls.awsEndpoint,
      INVOICING_STATE_MACHINE_ARN: machine.arn,
      AWS_REGION: 'eu-west-3',
      AWS_ACCESS_KEY_ID: cloud.accessKeyId,
      AWS_SECRET_ACCESS_KEY: 'local',
    });

    // Seeding, not counted in the run.
    const doc = DynamoDBDocumentClient.from(ddb.client, { marshallOptions: { removeUndefinedValues: true } });
    let items = 0;
    const seedStart = performance.now();
    for (let first = 0; first < options.activities; first += SEED_CHUNK) {
      const chunk = Array.from({ length: Math.min(SEED_CHUNK, options.activities - first) }, (_, k) => benchInvoicingItems(cloud!.tableName, first + k, month, options.declarations)).flat();
      await batchWriteAll(doc, cloud.tableName, chunk);
      items += chunk.length;
    }
    const seedMs = performance.now() - seedStart;
    lines.push(`  seeding (not in the run's time): ${items.toLocaleString('en')} items (activity, price list, holder and link, referral and its address filed for new links, customer, declarations) by BatchWrite in ${seconds(seedMs)}, ${(items / (seedMs / 1000)).toFixed(0)} items/s`);

    const log = new InvocationLog();
    log.attach(cloud);
    const staffToken = cloud.issuer.mintIdToken('camille.martin');
    const cpuNow = () => {
      const usage = process.cpuUsage();
      return (usage.user + usage.system) / 1e6;
    };
    const marks: Mark[] = [];
    const mark = (status: Mark['status']) => marks.push({ status, at: performance.now(), cpu: cpuNow(), threads: threads.sample(), dynamodbCpu: cpuSeconds(ddb.pid), jvmThreads: jvmThreadCpu(ddb.pid), requests: tap.requests.length, invocations: log.snapshot() });
    const engineChildrenBefore = cloud.engine.mapChildStats();
    const loadBefore = (await import('node:os')).loadavg();

    tap.requests.length = 0;
    tap.recording = true;
    mark('started');
    const { executionArn } = await startInvoicingRun({ month, trigger: 'staff' });
    let decided: { status: number; body: string } | undefined;
    let run: InvoicingRunRecord | undefined;
    let polls = 0;
    const deadline = Date.now() + (options.timeoutMs ?? 1_800_000);
    for (;;) {
      run = await getInvoicingRun(month);
      if (run) {
        // Every status the ledger went through since the last poll (a quick phase may pass between two polls).
        const reached = FLOW.indexOf(run.status);
        for (const status of FLOW.slice(1, reached + 1)) if (!marks.some((m) => m.status === status)) mark(status);
        const approvalId = run.currentApprovalId ?? run.approvalId;
        if (run.status === 'awaiting-validation' && approvalId && !decided) {
          const response = await fetch(new URL(`/api/approvals/${encodeURIComponent(approvalId)}/decision`, cloud.urls.app), {
            method: 'POST',
            headers: { authorization: `Bearer ${staffToken}`, 'content-type': 'application/json' },
            body: JSON.stringify({ outcome: 'approve' }),
          });
          decided = { status: response.status, body: await response.text() };
          if (response.status >= 300) throw new Error(`the batch approval answered ${response.status}: ${decided.body.slice(0, 300)}`);
        }
        if (run.status === 'done') break;
      }
      // The execution is read once a second, not at every poll: it only tells a run that failed, and each read is a
      // request of the engine to DynamoDB Local counted with the run's (most of its 748 GetItem at 10,000 activities).
      const { status } = ++polls % EXECUTION_POLL_EVERY === 0 ? await cloud.engine.describeExecution({ executionArn }) : { status: 'RUNNING' };
      if (status !== 'RUNNING' && run?.status !== 'done') {
        const described = await cloud.engine.describeExecution({ executionArn });
        throw new Error(`the run's execution ended ${status} with the ledger at ${run?.status ?? 'nothing'}: ${described.error ?? ''} ${described.cause?.slice(0, 500) ?? ''}`);
      }
      if (Date.now() > deadline) throw new Error(`the run is still ${run?.status ?? 'unclaimed'} after ${seconds(options.timeoutMs ?? 1_800_000)}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    const executionStatus = await cloud.engine.waitForStatus(executionArn, { timeoutMs: 60_000 });
    tap.recording = false;
    const loadAfter = (await import('node:os')).loadavg();
    const end = marks.at(-1)!;
    const start = marks[0]!;
    const totalMs = end.at - start.at;

    // The result: the month's invoices and their numbers.
    const invoices = (await listMonthInvoices(month)).filter((i) => i.kind === 'invoice');
    const issued = invoices.filter((i) => i.status === 'issued' && i.number);
    const year = run.issueDate?.slice(0, 4) ?? String(new Date().getFullYear());
    const checkStart = performance.now();
    const continuity = await checkNumberContinuity(year, { invoices: true });
    const checkMs = performance.now() - checkStart;
    const count = issued.length;

    lines.push(
      `  run: ${seconds(totalMs)} from startInvoicingRun to done (execution ${executionStatus}), ${count.toLocaleString('en')} invoices issued, ${(count / (totalMs / 1000)).toFixed(1)} invoices/s; ` +
        `CPU ${(end.cpu - start.cpu).toFixed(1)} s in this process (engine, gateway, functions' threads) + ${(end.dynamodbCpu - start.dynamodbCpu).toFixed(1)} s DynamoDB Local; load average ${loadBefore[0]!.toFixed(1)} before, ${loadAfter[0]!.toFixed(1)} after`,
    );
    lines.push(`  this process's CPU by thread: ${threadCpuLine(start.threads, end.threads)}`);
    lines.push(`  DynamoDB Local's CPU by thread: ${jvmThreadCpuLine(start.jvmThreads, end.jvmThreads)}`);
    // What the ledger counted at the close: the invoices' e-mails sent, and the statements issued (each e-mailed to its young person).
    lines.push(`  ledger at the close: ${run.counts.sent ?? 0} invoice e-mails sent, ${run.counts.statements ?? 0} statements issued (record and e-mail each), ${run.counts.held ?? 0} held`);
    const PHASE_LABELS: Record<string, string> = {
      'awaiting-validation': 'drafting (prepare, drafting map, count)',
      numbering: 'validation hand-over (approval, holds)',
      sending: 'numbering (blocks, loop)',
      done: 'delivery (invoices, statements; map, finish)',
    };
    for (let i = 1; i < marks.length; i++) {
      const [from, to] = [marks[i - 1]!, marks[i]!];
      const ms = to.at - from.at;
      const actions = [...to.invocations]
        .map(([key, value]) => {
          const before = from.invocations.get(key) ?? { count: 0, ms: 0, failed: 0 };
          return { key, count: value.count - before.count, ms: value.ms - before.ms, failed: value.failed - before.failed };
        })
        .filter((a) => a.count > 0)
        .sort((a, b) => b.ms - a.ms)
        .map((a) => `${a.key} ${a.count}× ${seconds(a.ms)}${a.failed ? ` (${a.failed} failed)` : ''}`);
      lines.push(
        `  ${(PHASE_LABELS[to.status] ?? to.status).padEnd(44)} ${seconds(ms).padStart(8)} (${((100 * ms) / totalMs).toFixed(0).padStart(2)} %), CPU ${(to.cpu - from.cpu).toFixed(1)} s + ${(to.dynamodbCpu - from.dynamodbCpu).toFixed(1)} s DynamoDB Local, ${(to.requests - from.requests).toLocaleString('en')} DynamoDB requests; invocations (summed duration): ${actions.join(', ') || 'none'}`,
      );
      lines.push(`    ${threadCpuLine(from.threads, to.threads)}; DynamoDB Local: ${jvmThreadCpuLine(from.jvmThreads, to.jvmThreads)}`);
    }
    // BENCH_RUN_KINDS=1: each phase's app-table requests by kind and the items they wrote.
    if (process.env.BENCH_RUN_KINDS === '1') {
      for (let i = 1; i < marks.length; i++) {
        const phase = tap.requests.slice(marks[i - 1]!.requests, marks[i]!.requests).filter((r) => r.table === cloud!.tableName);
        const kinds = [...countByKind(phase)].map(([kind, n]) => `${kind.replace(/^\S+ /, '')} ${n}`).join(', ');
        lines.push(`    ${marks[i]!.status}: ${phase.length} app-table requests (${kinds}), ${itemsWritten(phase)} items written, ${keysRead(phase)} read by key`);
        // BENCH_RUN_SHAPES=1 too: the items each phase reads and writes, by kind of key and by operation.
        if (process.env.BENCH_RUN_SHAPES === '1') {
          const shapes = new Map<string, number>();
          // A key's kind: its pk's and sk's first segments (up to '#'), digits and what follows them left out.
          const kindOf = (value = '') => value.split('#')[0]!.replace(/[-_]?\d.*$/, '');
          const shape = (k: { pk?: { S?: string }; sk?: { S?: string } }) => `${kindOf(k.pk?.S)}/${kindOf(k.sk?.S)}`;
          for (const r of phase) {
            const body = JSON.parse(r.body.toString('utf8')) as Record<string, any>;
            const add = (what: string) => shapes.set(what, (shapes.get(what) ?? 0) + 1);
            if (r.operation === 'BatchGetItem') for (const t of Object.values(body.RequestItems as Record<string, { Keys: any[] }>)) for (const k of t.Keys) add(`get ${shape(k)}`);
            else if (r.operation === 'GetItem') add(`get1 ${shape(body.Key)}`);
            else if (r.operation === 'TransactWriteItems') for (const t of body.TransactItems as any[]) { const [op, v] = Object.entries(t)[0] as [string, any]; add(`${op} ${shape(v.Item ?? v.Key)}`); }
            else if (r.operation === 'BatchWriteItem') for (const t of Object.values(body.RequestItems as Record<string, any[]>)) for (const w of t) add(`bw ${shape(w.PutRequest?.Item ?? w.DeleteRequest?.Key)}`);
            else if (r.operation === 'Query') add(`query ${body.IndexName ?? 'table'} ${String(Object.values(body.ExpressionAttributeValues ?? {})[0] && (Object.values(body.ExpressionAttributeValues)[0] as any).S).split('#')[0]}`);
          }
          lines.push(`      ${[...shapes].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')}`);
        }
      }
    }
    const delivered = marks.find((m) => m.status === 'done');
    const beforeDelivery = marks[marks.indexOf(delivered!) - 1];
    if (delivered && beforeDelivery && count > 0) {
      const ms = delivered.at - beforeDelivery.at;
      const cpu = delivered.cpu - beforeDelivery.cpu;
      lines.push(`  delivery: ${(count / (ms / 1000)).toFixed(1)} invoices/s of wall time, ${(count / cpu).toFixed(1)} per CPU second of this process (render, S3, outbox, SES and the activities' statements included: not the renderer alone, see section 11)`);
    }

    const requests = tap.requests.filter((r) => r.table === cloud!.tableName);
    const engineRequests = tap.requests.filter((r) => r.table !== cloud!.tableName);
    const kinds = (list: typeof requests) => [...countByKind(list)].map(([kind, n]) => `${kind.replace(/^\S+ /, '')} ${n.toLocaleString('en')}`).join(', ');
    lines.push(`  DynamoDB requests of the run (functions, app table): ${requests.length.toLocaleString('en')}, ${perInvoice(requests.length, count)} per invoice (${kinds(requests)})`);
    // Items written, by how: DynamoDB Local's JVM spends about a millisecond per item written whatever the request (section 14).
    const written = { alone: 0, transactions: 0, batches: 0 };
    for (const r of requests) {
      if (r.operation === 'PutItem' || r.operation === 'UpdateItem' || r.operation === 'DeleteItem') written.alone += 1;
      else if (r.operation === 'TransactWriteItems') written.transactions += (JSON.parse(r.body.toString('utf8')) as { TransactItems: Array<Record<string, unknown>> }).TransactItems.filter((t) => !t.ConditionCheck).length;
      else if (r.operation === 'BatchWriteItem') written.batches += Object.values((JSON.parse(r.body.toString('utf8')) as { RequestItems: Record<string, unknown[]> }).RequestItems).reduce((sum, list) => sum + list.length, 0);
    }
    const writtenTotal = written.alone + written.transactions + written.batches;
    lines.push(`  items written by the run (app table): ${writtenTotal.toLocaleString('en')}, ${perInvoice(writtenTotal, count)} per invoice (${written.transactions.toLocaleString('en')} in transactions, ${written.alone.toLocaleString('en')} alone, ${written.batches.toLocaleString('en')} in batches)`);
    const read = keysRead(requests);
    lines.push(`  items read by key by the run (app table; BatchGetItem, GetItem and condition checks, queries left out): ${read.toLocaleString('en')}, ${perInvoice(read, count)} per invoice`);
    lines.push(`  local engine's own DynamoDB requests (Step Functions' state on AWS): ${engineRequests.length.toLocaleString('en')}, ${perInvoice(engineRequests.length, count)} per invoice (${kinds(engineRequests)})`);

    const history = [];
    let nextToken: string | undefined;
    do {
      const page = await cloud.engine.getExecutionHistory({ executionArn, maxResults: 1000, nextToken });
      history.push(...page.events);
      nextToken = page.nextToken;
    } while (nextToken);
    const entered = history.filter((e) => e.type.endsWith('StateEntered')).length;
    const mapRuns = history.filter((e) => e.type === 'MapRunStarted').length;
    const children = cloud.engine.mapChildStats();
    const childCount = children.children - engineChildrenBefore.children;
    const childStates = children.statesEntered - engineChildrenBefore.statesEntered;
    const processorTypes = [...new Set(machineProcessorTypes(machine.definition))].join(', ') || 'none';
    const billedChildren = processorTypes.includes('STANDARD') ? childStates : 0;
    lines.push(
      `  state transitions: ${entered} states entered by the run's execution (${mapRuns} Distributed Map runs), ${childCount} map children (${processorTypes}) entering ${childStates} states; ` +
        `${perInvoice(entered + billedChildren, count)} per invoice as AWS bills Standard transitions (target at most 0.1; EXPRESS children are billed by duration, not transitions), ${perInvoice(entered + childStates, count)} counting every child state`,
    );
    const verdict = continuity.problems.length > 0 ? `${continuity.problems.length} problems: ${continuity.problems.slice(0, 3).join('; ')}` : `1..${continuity.numbers} contiguous and unique`;
    const matches = continuity.numbers === count ? `equals the ${count.toLocaleString('en')} invoices issued` : `but ${count.toLocaleString('en')} invoices issued: NOT EQUAL`;
    lines.push(`  numbering check ${year} (checkNumberContinuity with every invoice read back, ${seconds(checkMs)}): ${verdict}, ${matches}; ${invoices.length - issued.length} invoices not issued, ${options.activities - new Set(invoices.map((i) => i.activityId)).size} activities without invoice`);
  } finally {
    tap.recording = false;
    await cloud?.stop();
    tap.close();
    await ddb.stop();
    process.removeListener('exit', kill);
    // BENCH_RUN_KEEP=1 keeps the local cloud's folder (the functions' log) to look into a run.
    if (process.env.BENCH_RUN_KEEP === '1') lines.push(`  kept: ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  }
  return lines;
}

/** Items written by these requests (a transaction's condition checks left out). */
function itemsWritten(requests: readonly TappedRequest[]): number {
  let n = 0;
  for (const r of requests) {
    if (r.operation === 'PutItem' || r.operation === 'UpdateItem' || r.operation === 'DeleteItem') n += 1;
    else if (r.operation === 'TransactWriteItems') n += (JSON.parse(r.body.toString('utf8')) as { TransactItems: Array<Record<string, unknown>> }).TransactItems.filter((t) => !t.ConditionCheck).length;
    else if (r.operation === 'BatchWriteItem') n += Object.values((JSON.parse(r.body.toString('utf8')) as { RequestItems: Record<string, unknown[]> }).RequestItems).reduce((sum, list) => sum + list.length, 0);
  }
  return n;
}

/** Items these requests read by key: a BatchGetItem's keys, a GetItem, a transaction's condition checks (a query's items are not in the request). */
function keysRead(requests: readonly TappedRequest[]): number {
  let n = 0;
  for (const r of requests) {
    if (r.operation === 'GetItem') n += 1;
    else if (r.operation === 'TransactWriteItems') n += (JSON.parse(r.body.toString('utf8')) as { TransactItems: Array<Record<string, unknown>> }).TransactItems.filter((t) => t.ConditionCheck).length;
    else if (r.operation === 'BatchGetItem') n += Object.values((JSON.parse(r.body.toString('utf8')) as { RequestItems: Record<string, { Keys: unknown[] }> }).RequestItems).reduce((sum, t) => sum + t.Keys.length, 0);
  }
  return n;
}

/** The ExecutionType of each Distributed Map of a definition. */
function machineProcessorTypes(definition: unknown): string[] {
  const states = (definition as { States?: Record<string, { ItemProcessor?: { ProcessorConfig?: { Mode?: string; ExecutionType?: string } } }> }).States ?? {};
  return Object.values(states)
    .map((state) => state.ItemProcessor?.ProcessorConfig)
    .filter((config) => config?.Mode === 'DISTRIBUTED')
    .map((config) => config!.ExecutionType ?? 'STANDARD');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  for (const line of await invoicingRunFigures({ activities: Number(process.env.BENCH_RUN_ACTIVITIES ?? 10_000), declarations: Number(process.env.BENCH_RUN_DECLARATIONS ?? 3) })) console.log(line);
  process.exit(0);
}
