/**
 * `npm run kill-hunt`: SIGKILLs a local cloud at random moments of a month's invoicing run, restarts it on the same
 * data, and checks what the run left once it is over (infra/local/README.md, "Kill hunt").
 *
 * For each seed: a local cloud of the `local` stage started as a child process (`npm start`'s entry point, fixed ports,
 * a data folder of its own), N activities seeded with BatchWrite (bench/invoicing-seed.ts: one customer each, every
 * third a business; a few without any declaration; in the collective world, the default, about one in five a CJS or
 * Jeunes Majeurs collective activity of 2 to 4 members declaring in turn, and about one in four with two customers),
 * the previous month's run started by staff, then 1 to 3 kills, each
 * at a moment drawn by a generator seeded with the seed: in the drafting map, while the batch waits for its validation,
 * right after the validation, in the numbering loop, in the delivery map (invoices, then statements), around the close.
 * A kill ends the cloud and its DynamoDB Local (a Java process of its own) at once, with SIGKILL; the cloud is started
 * again on the same folder. Then the run is driven to its end (the batch approved when it waits), the outbox given the
 * time its leases take (the dispatcher's schedule fired from the console, as every 5 minutes), and checked:
 * - the execution SUCCEEDED, the ledger `done`, its counts equal to what the table holds;
 * - one issued invoice per customer with declarations, none for the others, each declaration on one of them, numbers
 *   1..n contiguous and unique (`checkNumberContinuity`);
 * - one statement per activity, a copy per member in the order they joined, the collective's result split evenly
 *   (shares adding up to it, one cent apart at most), and one statement e-mail per member giving their share;
 * - the outbox's guarantee (decision 6): every invoice's e-mail and every statement's e-mail marked sent and in the
 *   local mail store at least once; a second copy only of a message whose lease was taken again (attempts > 1) and only
 *   in a run killed while it delivered (at least once, not exactly once: the provider takes no idempotency key);
 * - nothing stuck: no outbox message of the month pending once the month is `done` (decisions 53 and 57), no map run
 *   still running, no approval open or decided and not handed over;
 * - no 5xx answered to the probe, no function error in the gateway's lines, no error-level function log line, and no
 *   customer's, young person's or guardian's name, e-mail address or phone number in a log line.
 *
 * KILL_HUNT_SEEDS=1,2,3 (default 1..8), KILL_HUNT_ACTIVITIES=120 (default: drawn from 60..200 by the seed),
 * KILL_HUNT_PHASES=numbering,delivery-invoices (the moments to draw from; default all), KILL_HUNT_WORLD=personal (the
 * world of the hunts before collective activities: personal ones only, one customer each; default `collective`),
 * KILL_HUNT_KEEP=1 keeps the data folders. Exits 1 if any seed broke an invariant.
 */
import type { ChildProcess } from 'node:child_process';
import { cloudProcessClients, startCloudProcess } from '../test/support/cloud-process.js';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { DescribeExecutionCommand, DescribeMapRunCommand, GetExecutionHistoryCommand, ListMapRunsCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { BenchShape } from '../bench/invoicing-seed.js';
import type { ActivityMember } from '../shared/domain/activities.js';
import type { StatementRecord } from '../shared/domain/invoicing/statement.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { synthApp } = await import('../infra/synth.js');
const { loadAssembly } = await import('../infra/local/assembly.js');
const { describeTemplate } = await import('../infra/local/template.js');
const { LocalIssuer } = await import('../infra/local/auth.js');
const { DEMO_USERS } = await import('../infra/local-app/demo-users.js');
const { DYNAMODB_PID_FILE, endDynamoDbOf } = await import('../infra/local/dynamodb-process.js');
const { freePort } = await import('../infra/local/net.js');
const { benchInvoicingItems } = await import('../bench/invoicing-seed.js');
const { statementCause } = await import('../shared/data/invoicing/statements.js');
const { formatEuros } = await import('../shared/domain/money.js');
const { batchWriteAll } = await import('../bench/local-table.js');
const { getInvoicingRun } = await import('../shared/data/invoicing-runs.js');
const { listMonthInvoices } = await import('../shared/data/invoicing/invoices.js');
const { checkNumberContinuity } = await import('../shared/data/invoicing/numbering.js');
const { numberingYear } = await import('../shared/domain/invoicing/numbers.js');
const { previousParisMonth } = await import('../shared/domain/invoicing/run.js');
const { batchGetAll } = await import('../shared/data/client.js');
const { keys } = await import('../shared/keys.js');

/** The moments a kill is aimed at, in the run's order. */
const PHASES = ['drafting', 'awaiting-validation', 'approved', 'numbering', 'delivery-invoices', 'delivery-statements', 'closing'] as const;
type Phase = (typeof PHASES)[number];

/** mulberry32: the same seed, the same draws. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function until<T>(probe: () => Promise<T | undefined | false>, timeoutMs: number, what: string, pauseMs = 150): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(pauseMs);
  }
}

const assembly = await synthApp({ outDir: resolve('.local/kill-hunt-assembly'), stage: 'local' });
const loaded = loadAssembly(assembly.assemblyDir);
const app = describeTemplate(loaded.template, loaded.assemblyDir, { region: 'eu-west-3', accountId: '000000000000', stackName: loaded.stackName });
const tableName = app.tables[0]!.tableName;
const invoicingMachine = app.stateMachines.find((m) => m.logicalId.toLowerCase().includes('monthlyinvoicing'))!;
const dispatcherSchedule = app.schedules.find((s) => s.logicalId.startsWith('DispatchDeferred') || s.logicalId.includes('DispatchDeferred'));
if (!dispatcherSchedule) throw new Error(`no dispatcher schedule among ${app.schedules.map((s) => s.logicalId).join(', ')}`);
const dispatcherId = dispatcherSchedule.logicalId;

// One set of ports for every seed: the data layer's client keeps the endpoint it was first given.
const ports = { gateway: await freePort(), ses: await freePort(), aws: await freePort(), dynamodb: await freePort(), s3: await freePort() };
const base = `http://127.0.0.1:${ports.gateway}`;
const { table, sfn } = cloudProcessClients(ports, tableName);

interface Cloud {
  proc: ChildProcess;
  output: string[];
}

/** The cloud on its data folder, its output added to `outputs` (read for 5xx and personal data at the end). */
const startCloud = (dataDir: string, outputs: string[]): Promise<Cloud> =>
  startCloudProcess({ assemblyDir: assembly.assemblyDir, dataDir, ports, readyWithinMs: 180_000, output: outputs });

/** SIGKILL to the cloud and to its DynamoDB Local at the same moment, as a machine losing power would. */
async function killCloud(cloud: Cloud, dataDir: string): Promise<void> {
  const pidFile = join(dataDir, DYNAMODB_PID_FILE);
  const javaPid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : undefined;
  cloud.proc.kill('SIGKILL');
  if (javaPid) {
    try {
      if (readFileSync(`/proc/${javaPid}/cmdline`, 'utf8').includes('DynamoDBLocal')) process.kill(javaPid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  if (cloud.proc.exitCode === null) await new Promise((r) => cloud.proc.once('exit', r));
  // Waits for the JVM's sockets to be freed (the pid is dead: this only waits and removes the record).
  endDynamoDbOf(dataDir);
}

/** An outbox message as stored, the fields the checks read. */
interface StoredMessage {
  pk: string;
  sk: string;
  personId: string;
  cause: string;
  kind: string;
  status: string;
  to: string;
  subject: string;
  attempts?: number;
  sentAt?: string;
}

interface KillRecord {
  aimed: Phase;
  hit: string;
  detail: string;
}

interface SeedReport {
  seed: number;
  activities: number;
  invoices: number;
  kills: KillRecord[];
  problems: string[];
  notes: string[];
  ms: number;
  collective: number;
  members: number;
}

async function huntSeed(seed: number): Promise<SeedReport> {
  const began = Date.now();
  const random = generator(seed);
  const activities = process.env.KILL_HUNT_ACTIVITIES ? Number(process.env.KILL_HUNT_ACTIVITIES) : 60 + Math.floor(random() * 141);
  // 1 to 3 kills at distinct moments, in the run's order.
  const killCount = 1 + Math.floor(random() * 3);
  const allowed = process.env.KILL_HUNT_PHASES ? PHASES.filter((p) => process.env.KILL_HUNT_PHASES!.split(',').includes(p)) : [...PHASES];
  const aimed = allowed
    .map((phase) => ({ phase, order: random() }))
    .sort((a, b) => a.order - b.order)
    .slice(0, killCount)
    .map((a) => a.phase)
    .sort((a, b) => PHASES.indexOf(a) - PHASES.indexOf(b));
  const delays = aimed.map(() => random());
  const declarationsOf = Array.from({ length: activities }, () => (random() < 0.08 ? 0 : 1 + Math.floor(random() * 3)));
  // Drawn after everything the personal world draws, so that a seed aims its kills where it did before.
  const world = process.env.KILL_HUNT_WORLD ?? 'collective';
  const shapes: BenchShape[] = declarationsOf.map(() => {
    if (world === 'personal') return {};
    const collective = random() < 0.2 ? { programme: random() < 0.5 ? ('cjs' as const) : ('jeunes-majeurs' as const), members: 2 + Math.floor(random() * 3) } : undefined;
    const customers = random() < 0.25 ? 2 : 1;
    return { ...(collective ? { collective } : {}), customers };
  });
  // Collective activities declare a little more (several members): 0 to 5 declarations.
  shapes.forEach((shape, i) => {
    if (shape.collective && declarationsOf[i]! > 0) declarationsOf[i] = declarationsOf[i]! + Math.floor(random() * 3);
  });
  const problems: string[] = [];
  const notes: string[] = [];
  const kills: KillRecord[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), `parcours-kill-hunt-${seed}-`));
  const outputs: string[] = [];
  const log = (line: string) => console.log(`[seed ${seed}] ${line}`);
  const collectiveCount = shapes.filter((s) => s.collective).length;
  log(`${activities} activities (${collectiveCount} collective, ${shapes.filter((s) => s.customers === 2).length} with two customers), kills aimed at: ${aimed.join(', ')}; data in ${dataDir}`);
  let cloud = await startCloud(dataDir, outputs);
  try {
    const clientId = (await (await fetch(`${base}/api/config`)).json()).clientId as string;
    const signer = await LocalIssuer.create({ issuerUrl: `${base}/local-auth`, clientId, dataDir, users: DEMO_USERS });
    const fiveXX: string[] = [];
    const staff = async (method: string, path: string, body?: unknown) => {
      for (let attempt = 1; ; attempt++) {
        try {
          const res = await fetch(`${base}${path}`, {
            method,
            headers: { authorization: `Bearer ${signer.mintIdToken('camille.martin')}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
            body: body ? JSON.stringify(body) : undefined,
          });
          const text = await res.text();
          if (res.status >= 500) fiveXX.push(`${method} ${path} ${res.status} ${text.slice(0, 200)}`);
          return { status: res.status, body: text ? JSON.parse(text) : undefined };
        } catch (error) {
          // The cloud being restarted: the request is tried again.
          if (attempt >= 40) throw error;
          await sleep(500);
        }
      }
    };

    // The month's data.
    const month = previousParisMonth(new Date());
    const items = declarationsOf.flatMap((declarations, i) => benchInvoicingItems(tableName, i, month, declarations, shapes[i]));
    const personal = new Set<string>();
    for (const item of items) {
      if (item.type === 'invoicing-customer') for (const v of [item.email, item.name]) personal.add(String(v));
      if (item.type === 'referral') {
        const { youngPerson: young, guardian } = item as { youngPerson: { email: string; firstName: string; lastName: string; phone: string }; guardian?: { email: string; firstName: string; lastName: string; phone: string } };
        for (const v of [young.email, `${young.firstName} ${young.lastName}`, young.phone]) personal.add(v);
        if (guardian) for (const v of [guardian.email, `${guardian.firstName} ${guardian.lastName}`, guardian.phone]) personal.add(v);
      }
    }
    await batchWriteAll(table, tableName, items);
    // What the month must give, from the items seeded: the activities in order, their members in the order they
    // joined, and each customer's declarations (one invoice per customer with some).
    const activityIds = items.filter((i) => i.type === 'activity').map((i) => String(i.activityId));
    const membersOf = new Map<string, ActivityMember[]>(activityIds.map((id) => [id, []]));
    for (const item of items) if (item.type === 'activity-member') membersOf.get(String(item.activityId))!.push(item as unknown as ActivityMember);
    for (const members of membersOf.values()) members.sort((a, b) => a.joinedAt.localeCompare(b.joinedAt) || a.referralId.localeCompare(b.referralId));
    const declared = new Map<string, string[]>();
    for (const item of items.filter((i) => i.type === 'declaration')) {
      const key = `${String(item.activityId)}\u0000${String(item.customerId)}`;
      declared.set(key, [...(declared.get(key) ?? []), String(item.declarationId)]);
    }
    const invoiced = declared.size;
    const memberCount = [...membersOf.values()].reduce((sum, m) => sum + m.length, 0);
    const shapeOf = new Map(activityIds.map((id, i) => [id, shapes[i]!]));

    const started = await staff('POST', '/api/staff/invoicing/runs', { month });
    if (started.status !== 201 && started.status !== 409) throw new Error(`the run's start answered ${started.status}: ${JSON.stringify(started.body)}`);
    let approved = false;
    const approve = async (approvalId: string) => {
      const decided = await staff('POST', `/api/approvals/${approvalId}/decision`, { outcome: 'approve' });
      if (decided.status !== 200) problems.push(`the validation answered ${decided.status}: ${JSON.stringify(decided.body).slice(0, 200)}`);
      approved = true;
    };
    const statementKeys = activityIds.map((id) => keys.statement(id, month));
    const statementsIssued = async () => (await batchGetAll(statementKeys, { projection: ['activityId'] })).length;
    /** Where the run is, as the ledger and the statements say. */
    const where = async (): Promise<{ phase: string; detail: string }> => {
      const run = await getInvoicingRun(month);
      const status = run?.status ?? 'unclaimed';
      const detail = `ledger ${status}, issued ${run?.counts.issued ?? 0}`;
      if (!run || status === 'drafting') return { phase: 'drafting', detail };
      if (status === 'awaiting-validation') return { phase: approved ? 'approved' : 'awaiting-validation', detail };
      if (status === 'numbering') return { phase: (run.counts.issued ?? 0) > 0 ? 'numbering' : 'approved', detail };
      if (status === 'sending') {
        const statements = await statementsIssued();
        const more = `${detail}, ${statements}/${activities} statements`;
        return { phase: statements === 0 ? 'delivery-invoices' : statements < activities ? 'delivery-statements' : 'closing', detail: more };
      }
      return { phase: `after ${status}`, detail };
    };
    const kill = async (target: Phase) => {
      const at = await where();
      const t0 = Date.now();
      await killCloud(cloud, dataDir);
      kills.push({ aimed: target, hit: at.phase, detail: at.detail });
      log(`killed aiming at ${target}: hit ${at.phase} (${at.detail})`);
      cloud = await startCloud(dataDir, outputs);
      log(`restarted in ${seconds(Date.now() - t0)}`);
    };

    for (const [k, target] of aimed.entries()) {
      const fraction = delays[k]!;
      // Waits for the moment, approving the batch on the way when the kill is aimed past the validation.
      const reached = async (): Promise<boolean> => {
        const run = await getInvoicingRun(month);
        const status = run?.status;
        const approvalId = run?.currentApprovalId ?? run?.approvalId;
        const aimedIndex = PHASES.indexOf(target);
        if (status === 'awaiting-validation' && approvalId && !approved && aimedIndex > PHASES.indexOf('awaiting-validation')) {
          await approve(approvalId);
          if (target === 'approved') {
            await sleep(fraction * 400);
            return true;
          }
          return false;
        }
        switch (target) {
          case 'drafting':
            return status === 'drafting' || status === undefined;
          case 'awaiting-validation':
            return status === 'awaiting-validation' && !!approvalId;
          case 'approved':
            return approved;
          case 'numbering':
            return status === 'numbering' && (run?.counts.issued ?? 0) > 0;
          case 'delivery-invoices':
            return status === 'sending';
          case 'delivery-statements':
            return status === 'sending' && (await statementsIssued()) > 0;
          case 'closing':
            return status === 'done' || (status === 'sending' && (await statementsIssued()) === activities);
        }
      };
      await until(reached, 600_000, `the moment aimed at (${target})`, 60);
      const delay = { drafting: 1200, 'awaiting-validation': 2000, approved: 0, numbering: 3000, 'delivery-invoices': 1500, 'delivery-statements': 1500, closing: 150 }[target];
      await sleep(fraction * delay);
      await kill(target);
    }

    // The run driven to its end.
    const executionArn = `arn:aws:states:eu-west-3:000000000000:execution:${invoicingMachine.name}:invoicing-${month}`;
    await until(async () => {
      const run = await getInvoicingRun(month);
      const approvalId = run?.currentApprovalId ?? run?.approvalId;
      if (run?.status === 'awaiting-validation' && approvalId && !approved) await approve(approvalId);
      if (run?.status === 'done') return true;
      const { status } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (status !== 'RUNNING') throw new Error(`the execution ended ${status} with the ledger at ${run?.status}`);
      return false;
    }, 900_000, 'the run done', 500);
    const execution = await until(async () => {
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      return described.status !== 'RUNNING' && described;
    }, 60_000, 'the execution ended');
    if (execution.status !== 'SUCCEEDED') problems.push(`execution ${execution.status}: ${execution.error} ${execution.cause?.slice(0, 300)}`);
    // How often the close came back, and for what (decisions 53 and 57: e-mails of the month still pending).
    const history: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }));
      history.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    const closes = history
      .filter((e) => e.stateExitedEventDetails?.name === 'Clôturer le mois')
      .map((e) => (JSON.parse(e.stateExitedEventDetails!.output ?? '{}') as { closing?: { pending?: number; statementMailsPending?: number } }).closing);
    const entered = history.filter((e) => e.stateEnteredEventDetails?.name === 'Clôturer le mois').length;
    if (entered > 1) notes.push(`the close came back ${entered - 1} times (e-mails pending / statement e-mails among them, at each: ${closes.map((c) => `${c?.pending ?? '?'}/${c?.statementMailsPending ?? '-'}`).join(', ')})`);
    const closed = (await getInvoicingRun(month))!;
    log(`done in ${seconds(Date.now() - began)}; ledger at the close: ${JSON.stringify(closed.counts)}`);

    // The outbox's messages of the month: every one sent, the dispatcher fired as its schedule would (every 5 min),
    // at most for two leases.
    const monthMessages = async () => {
      const found: StoredMessage[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await table.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start, FilterExpression: '#t = :n', ExpressionAttributeNames: { '#t': 'type' }, ExpressionAttributeValues: { ':n': 'notification' } }));
        found.push(...((page.Items ?? []) as StoredMessage[]));
        start = page.LastEvaluatedKey;
      } while (start);
      return found.filter((m) => m.kind === 'invoice-issued' || m.kind === 'monthly-statement');
    };
    // Decisions 53 and 57: the month is `done` once no invoice or statement e-mail of it is pending.
    const atClose = await monthMessages();
    const pendingAtClose = atClose.filter((m) => m.status === 'pending');
    if (pendingAtClose.length > 0) {
      const kinds = new Map<string, number>();
      for (const m of pendingAtClose) kinds.set(m.kind, (kinds.get(m.kind) ?? 0) + 1);
      problems.push(`e-mails pending when the month was done: ${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')} (attempts ${[...new Set(pendingAtClose.map((m) => m.attempts))].join('/')})`);
    }
    if (atClose.length < invoiced + memberCount) problems.push(`${atClose.length} invoice and statement e-mails written when the month was done, expected ${invoiced + memberCount}`);
    const drainStart = Date.now();
    let fired = 0;
    const drained = await until(async () => {
      const messages = await monthMessages();
      if (messages.length >= invoiced + memberCount && messages.every((m) => m.status !== 'pending')) return messages;
      if (Date.now() - drainStart > 20_000 * (fired + 1)) {
        fired++;
        await fetch(`${base}/_local/schedules/${encodeURIComponent(dispatcherId)}/run`, { method: 'POST', redirect: 'manual' });
      }
      return false;
    }, 330_000, 'the outbox drained', 2000).catch(async (error: Error) => {
      const messages = await monthMessages();
      problems.push(`${error.message}: ${messages.filter((m) => m.status === 'pending').length} pending of ${messages.length} (${invoiced + memberCount} expected)`);
      return messages;
    });
    const drainMs = Date.now() - drainStart;
    if (drainMs > 5_000) notes.push(`outbox drained ${seconds(drainMs)} after the close (${fired} dispatcher runs fired)`);

    // Ledger and table.
    const run = (await getInvoicingRun(month))!;
    const invoices = (await listMonthInvoices(month)).filter((i) => i.kind === 'invoice');
    const issued = invoices.filter((i) => i.status === 'issued');
    const invoiceMails = drained.filter((m) => m.kind === 'invoice-issued');
    const statementMails = drained.filter((m) => m.kind === 'monthly-statement');
    const sentInvoiceMails = invoiceMails.filter((m) => m.sentAt !== undefined).length;
    const statementsStored = await statementsIssued();
    const expectCounts = { activities, invoices: invoiced, issued: invoiced, held: 0, failedActivities: 0, statements: activities };
    for (const [name, value] of Object.entries(expectCounts)) {
      const counted = (run.counts as unknown as Record<string, number | undefined>)[name];
      if (counted !== value) problems.push(`ledger ${name} ${counted}, expected ${value}`);
    }
    if (run.status !== 'done') problems.push(`ledger ${run.status}`);
    if (run.counts.sent !== sentInvoiceMails) problems.push(`ledger sent ${run.counts.sent}, but ${sentInvoiceMails} invoice e-mails marked sent once the outbox drained`);
    if (statementsStored !== activities) problems.push(`${statementsStored} statements stored, expected ${activities}`);

    // One issued invoice per customer with declarations, holding each of them once; numbering.
    const perCustomer = new Map<string, typeof issued>();
    for (const invoice of issued) {
      const key = `${invoice.activityId}\u0000${invoice.customer.customerId}`;
      perCustomer.set(key, [...(perCustomer.get(key) ?? []), invoice]);
    }
    for (const [key, ofCustomer] of perCustomer) if (!declared.has(key)) problems.push(`customer ${key.replace('\u0000', '/')} has ${ofCustomer.length} issued invoices and no declaration`);
    for (const [key, declarationIds] of declared) {
      const ofCustomer = perCustomer.get(key) ?? [];
      if (ofCustomer.length !== 1) problems.push(`customer ${key.replace('\u0000', '/')} (${declarationIds.length} declarations) has ${ofCustomer.length} issued invoices`);
      else if ([...ofCustomer[0]!.declarationIds].sort().join() !== [...declarationIds].sort().join()) problems.push(`invoice ${ofCustomer[0]!.invoiceId} holds declarations ${ofCustomer[0]!.declarationIds.join(', ')}, expected ${declarationIds.join(', ')}`);
    }
    if (invoices.length !== issued.length) problems.push(`${invoices.length - issued.length} invoices not issued: ${invoices.filter((i) => i.status !== 'issued').map((i) => i.status).join(', ')}`);
    const continuity = await checkNumberContinuity(numberingYear(run.issueDate!), { invoices: true });
    if (continuity.problems.length > 0 || continuity.numbers !== invoiced) problems.push(`numbering: ${continuity.numbers} numbers, ${continuity.problems.slice(0, 5).join('; ')}`);

    // The mail store against the outbox: at least once each; a second copy only of a message taken again after a kill.
    const store = (await (await fetch(`http://127.0.0.1:${ports.ses}/store`)).json()) as { emails: Array<{ destination: { to: string[] }; subject: string; body: { text?: string } }> };
    const copies = new Map<string, number>();
    for (const mail of store.emails) for (const to of mail.destination.to) copies.set(`${to}\u0000${mail.subject}`, (copies.get(`${to}\u0000${mail.subject}`) ?? 0) + 1);
    const killedInDelivery = kills.some((k) => k.hit.startsWith('delivery') || k.hit === 'closing');
    let twice = 0;
    for (const message of [...invoiceMails, ...statementMails]) {
      const n = copies.get(`${message.to}\u0000${message.subject}`) ?? 0;
      if (message.status !== 'sent' && message.status !== 'delivered') problems.push(`message ${message.sk} ${message.status}`);
      if (n === 0) problems.push(`${message.kind} ${message.sk}: in no mail (status ${message.status}, attempts ${message.attempts})`);
      if (n > 1) {
        twice++;
        if (!killedInDelivery || (message.attempts ?? 1) < 2) problems.push(`${message.kind} ${message.sk}: ${n} copies, attempts ${message.attempts}, ${killedInDelivery ? '' : 'no kill in the delivery'}`);
      }
    }
    if (twice > 0) notes.push(`${twice} messages in two copies (at least once: each taken again after a kill in the delivery)`);
    for (const invoice of issued) {
      const mail = store.emails.find((m) => m.destination.to.includes(invoice.customer.email) && (m.subject + (m.body.text ?? '')).includes(invoice.number!));
      if (!mail) problems.push(`invoice ${invoice.invoiceId} (${invoice.number}): no e-mail with its number to its customer`);
    }
    if (invoiceMails.length !== invoiced) problems.push(`${invoiceMails.length} invoice e-mails in the outbox, expected ${invoiced}`);
    if (statementMails.length !== memberCount) problems.push(`${statementMails.length} statement e-mails in the outbox, expected ${memberCount} (one per member)`);

    // The statements: one per activity, a copy per member in the order they joined, the collective's result split
    // evenly; one e-mail per member, giving their share.
    const records = new Map((await batchGetAll(statementKeys, { consistentRead: true })).map((item) => [String(item.activityId), item as unknown as StatementRecord]));
    const netOf = new Map<string, number>();
    for (const invoice of issued) netOf.set(invoice.activityId, (netOf.get(invoice.activityId) ?? 0) + invoice.totals.netCents);
    for (const activityId of activityIds) {
      const record = records.get(activityId);
      const members = membersOf.get(activityId)!;
      const collective = shapeOf.get(activityId)!.collective !== undefined;
      if (!record) continue; // counted above
      const { statement } = record;
      const wrong = (what: string) => problems.push(`statement ${activityId}: ${what}`);
      if (record.members.map((m) => m.personId).join() !== members.map((m) => m.personId).join()) wrong(`copies ${record.members.map((m) => m.referralId).join(', ')}, members ${members.map((m) => m.referralId).join(', ')}`);
      if (statement.revenueExclVatCents !== (netOf.get(activityId) ?? 0)) wrong(`revenue ${statement.revenueExclVatCents}, issued invoices ${netOf.get(activityId) ?? 0}`);
      const { contribution } = statement;
      if (contribution.resultCents !== contribution.revenueExclVatCents - contribution.contributionCents) wrong(`result ${contribution.resultCents} ≠ revenue less contribution`);
      if (collective) {
        const shares = contribution.shares ?? [];
        if (shares.map((s) => s.memberId).join() !== members.map((m) => m.referralId).join()) wrong(`shares of ${shares.map((s) => s.memberId).join(', ')}`);
        if (shares.reduce((sum, s) => sum + s.cents, 0) !== contribution.resultCents) wrong(`shares add up to ${shares.reduce((sum, s) => sum + s.cents, 0)}, result ${contribution.resultCents}`);
        if (shares.length && Math.max(...shares.map((s) => s.cents)) - Math.min(...shares.map((s) => s.cents)) > 1) wrong(`shares ${shares.map((s) => s.cents).join(', ')} not even`);
        record.members.forEach((copy, k) => {
          if (copy.leftCents !== shares[k]?.cents) wrong(`${copy.referralId} is left ${copy.leftCents}, their share ${shares[k]?.cents}`);
        });
      } else {
        if (contribution.shares !== undefined) wrong('a personal activity with shares');
        if (record.members[0]?.leftCents !== contribution.resultCents) wrong(`its holder is left ${record.members[0]?.leftCents}, the result ${contribution.resultCents}`);
      }
      for (const copy of record.members) {
        const mails = statementMails.filter((m) => m.personId === copy.personId && m.cause === statementCause(activityId, month));
        if (mails.length !== 1) {
          wrong(`${mails.length} statement e-mails for member ${copy.referralId}`);
          continue;
        }
        const sentMail = store.emails.find((m) => m.destination.to.includes(mails[0]!.to) && m.subject === mails[0]!.subject);
        const figure = `${collective ? 'votre part du résultat (partage égal, indicatif)' : 'ce qui vous reste'} : ${formatEuros(copy.leftCents)}`;
        if (sentMail && !(sentMail.body.text ?? '').includes(figure)) wrong(`the e-mail to ${copy.referralId} does not say "${figure}"`);
      }
    }

    // Nothing stuck.
    const mapRuns = (await sfn.send(new ListMapRunsCommand({ executionArn }))).mapRuns ?? [];
    const mapStatuses = [] as string[];
    for (const mapRun of mapRuns) {
      const described = await sfn.send(new DescribeMapRunCommand({ mapRunArn: mapRun.mapRunArn! }));
      mapStatuses.push(`${described.status}`);
      if (described.status !== 'SUCCEEDED') problems.push(`map run ${mapRun.mapRunArn} ${described.status}`);
      if ((described.itemCounts?.running ?? 0) + (described.itemCounts?.pending ?? 0) > 0) problems.push(`map run ${mapRun.mapRunArn} has items running or pending: ${JSON.stringify(described.itemCounts)}`);
    }
    if (mapRuns.length !== 2) problems.push(`${mapRuns.length} map runs (${mapStatuses.join(', ')}), expected 2`);
    const approvals = await table.send(new ScanCommand({ TableName: tableName, FilterExpression: '#t = :a', ExpressionAttributeNames: { '#t': 'type' }, ExpressionAttributeValues: { ':a': 'approval' } }));
    for (const approval of approvals.Items ?? []) {
      if (approval.status === 'open' || (approval.status === 'decided' && approval.handover === 'pending')) problems.push(`approval ${approval.approvalId} ${approval.status} (handover ${approval.handover})`);
    }

    // Logs: 5xx, function errors, personal data.
    for (const line of fiveXX) problems.push(`5xx to the probe: ${line}`);
    for (const line of outputs) if (/function error|refused with 5\d\d|\b5\d\d\b.*gateway|Unhandled|uncaught/i.test(line)) problems.push(`cloud output: ${line.slice(0, 300)}`);
    const functionLog = join(dataDir, 'logs', 'functions.log');
    const logLines = existsSync(functionLog) ? readFileSync(functionLog, 'utf8').split('\n') : [];
    const errorLines = logLines.filter((line) => /"level":"(ERROR|CRITICAL)"/.test(line));
    for (const line of errorLines.slice(0, 10)) problems.push(`error log line: ${line.slice(0, 400)}`);
    if (errorLines.length > 10) problems.push(`... ${errorLines.length - 10} more error log lines`);
    const warnLines = logLines.filter((line) => /"level":"WARN"/.test(line));
    if (warnLines.length) notes.push(`${warnLines.length} warnings in the function log, e.g. ${warnLines[0]!.slice(0, 300)}`);
    // The demo users' names, which the cloud prints when it starts, are no seeded person's (a holder may bear one).
    const demoNames = new Set(DEMO_USERS.map((u) => u.name));
    const values = [...personal].filter((v) => v.length >= 4 && !demoNames.has(v));
    for (const line of [...logLines, ...outputs]) {
      const found = values.find((v) => line.includes(v));
      if (found) problems.push(`personal value in a log line: ${line.slice(0, 200)}`);
    }
    return { seed, activities, invoices: invoiced, kills, problems, notes, ms: Date.now() - began, collective: collectiveCount, members: memberCount };
  } catch (error) {
    problems.push(`aborted: ${(error as Error).stack ?? String(error)}`);
    const tail = outputs.slice(-30).join('\n');
    notes.push(`last lines of the cloud:\n${tail}`);
    return { seed, activities, invoices: declarationsOf.filter((d) => d > 0).length, kills, problems, notes, ms: Date.now() - began, collective: collectiveCount, members: 0 };
  } finally {
    cloud.proc.kill('SIGTERM');
    if (cloud.proc.exitCode === null) await Promise.race([new Promise((r) => cloud.proc.once('exit', r)), sleep(20_000)]);
    if (cloud.proc.exitCode === null) cloud.proc.kill('SIGKILL');
    endDynamoDbOf(dataDir);
    if (process.env.KILL_HUNT_KEEP !== '1') rmSync(dataDir, { recursive: true, force: true });
  }
}

const seeds = (process.env.KILL_HUNT_SEEDS ?? '1,2,3,4,5,6,7,8').split(',').map(Number);
const reports: SeedReport[] = [];
for (const seed of seeds) {
  const report = await huntSeed(seed);
  reports.push(report);
  console.log(`[seed ${seed}] ${report.activities} activities (${report.collective} collective, ${report.members} members), ${report.invoices} invoices, ${seconds(report.ms)}; kills: ${report.kills.map((k) => `${k.aimed} → ${k.hit}`).join(', ')}`);
  for (const note of report.notes) console.log(`[seed ${seed}]   note: ${note}`);
  for (const problem of report.problems) console.log(`[seed ${seed}]   PROBLEM: ${problem}`);
}
const hits = new Map<string, number>();
for (const kill of reports.flatMap((r) => r.kills)) hits.set(kill.hit, (hits.get(kill.hit) ?? 0) + 1);
console.log(`kill hunt: ${reports.length} seeds, ${reports.reduce((s, r) => s + r.kills.length, 0)} kills (${[...hits].map(([p, n]) => `${p} ${n}`).join(', ')}), ${reports.filter((r) => r.problems.length > 0).length} seeds with problems`);
process.exit(reports.some((r) => r.problems.length > 0) ? 1 : 0);
