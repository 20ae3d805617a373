import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { ParcoursLocalCloud as LocalCloud } from '../../infra/local-app/profile.js';
import { adultSubmission } from './fixtures.js';

/**
 * Drives whole referral paths over HTTP the way people do, while the local cloud fails a share of the
 * functions' AWS calls: prescribers submit (and retry a failed request with the same key), staff decide at
 * random among accepted, refused and waitlisted (a waitlisted referral is decided again later), and some
 * referrals are left to expire. Then it lets the system settle, with the outbox's dispatcher and the reconciler
 * on their schedules fired now and again, and reports what happened. Used by the end-to-end test and the bench.
 */
export interface FaultRunOptions {
  paths: number;
  /** Requests in flight at once. */
  concurrency?: number;
  /** One path in `expireEvery` is left for its deadline to expire. */
  expireEvery?: number;
  /** Gives up settling after this long. */
  settleTimeoutMs?: number;
}

export interface PathRecord {
  referralId: string;
  reference: string;
  email: string;
  phone: string;
  fullName: string;
  intended: 'expire' | 'accepted' | 'refused' | 'waitlisted';
}

export interface FaultRunReport {
  paths: PathRecord[];
  submitMs: number;
  totalMs: number;
  /** HTTP answers by status class across every attempt the run made; `givenUp`: requests still failing after 6 retries. */
  answers: Record<string, number>;
  /** Final referral status by referral id. */
  finalStatus: Map<string, string>;
  executionsByStatus: Record<string, number>;
  /** Task steps entered, and those that failed at least once before succeeding (retried). */
  steps: { entered: number; failedAttempts: number };
  reconcilerRepairs: number;
  incidentsRetried: number;
  mails: Array<{ to: string[]; subject: string; text?: string }>;
  sms: Array<{ destination: string; body: string }>;
}

const OUTCOMES = ['accepted', 'refused', 'waitlisted'] as const;

export async function runFaultPaths(cloud: LocalCloud, options: FaultRunOptions): Promise<FaultRunReport> {
  const started = Date.now();
  const answers: Record<string, number> = {};
  const count = (status: number) => {
    const key = status === 0 ? 'network' : `${Math.floor(status / 100)}xx`;
    answers[key] = (answers[key] ?? 0) + 1;
  };
  const tokens = { sarah: cloud.issuer.mintIdToken('sarah.benali'), camille: cloud.issuer.mintIdToken('camille.martin') };
  /** A request retried on 5xx and network errors with the same body and headers, as a careful client does. */
  const call = async (who: keyof typeof tokens, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    for (let attempt = 0; ; attempt++) {
      let status = 0;
      let json: Record<string, unknown> = {};
      try {
        const res = await fetch(new URL(path, cloud.urls.app), {
          method,
          headers: { authorization: `Bearer ${tokens[who]}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        status = res.status;
        json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
      } catch {
        status = 0;
      }
      count(status);
      if (status !== 0 && status < 500) return { status, body: json };
      if (attempt >= 6) {
        answers.givenUp = (answers.givenUp ?? 0) + 1;
        return { status, body: json };
      }
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
    }
  };
  const pool = async <T>(items: T[], fn: (item: T, index: number) => Promise<void>) => {
    let next = 0;
    const workers = Array.from({ length: options.concurrency ?? 16 }, async () => {
      while (next < items.length) {
        const index = next++;
        await fn(items[index], index);
      }
    });
    await Promise.all(workers);
  };

  const expireEvery = options.expireEvery ?? 5;
  const paths: PathRecord[] = [];
  await pool(
    Array.from({ length: options.paths }, (_, i) => i),
    async (i) => {
      const submission = adultSubmission();
      const res = await call('sarah', 'POST', '/api/referrals', submission, { 'idempotency-key': randomUUID() });
      if (res.status !== 201 && res.status !== 200) throw new Error(`submission answered ${res.status}`);
      paths.push({
        referralId: String(res.body.referralId),
        reference: String(res.body.reference),
        email: submission.youngPerson.email,
        phone: submission.youngPerson.phone,
        fullName: `${submission.youngPerson.firstName} ${submission.youngPerson.lastName}`,
        intended: i % expireEvery === 0 ? 'expire' : OUTCOMES[i % OUTCOMES.length],
      });
    },
  );
  const submitMs = Date.now() - started;

  // Staff decide what the inbox shows, page by page, until every path meant to be decided has been.
  const toDecide = new Map(paths.filter((p) => p.intended !== 'expire').map((p) => [p.referralId, p]));
  const waitlisted = new Set<string>();
  let incidentsRetried = 0;
  const deadline = Date.now() + (options.settleTimeoutMs ?? 240_000);
  while ((toDecide.size > 0 || waitlisted.size > 0) && Date.now() < deadline) {
    const open: Array<{ approvalId: string; referralId: string; kind: string; phase: string }> = [];
    let cursor: string | undefined;
    do {
      const page = await call('camille', 'GET', `/api/staff/inbox?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      open.push(...((page.body.items as typeof open) ?? []));
      cursor = page.body.cursor as string | undefined;
    } while (cursor);
    const work = open.filter((item) => item.kind === 'incident' || toDecide.has(item.referralId) || (waitlisted.has(item.referralId) && item.phase === 'waitlist'));
    await pool(work, async (item) => {
      if (item.kind === 'incident') {
        const res = await call('camille', 'POST', `/api/approvals/${item.approvalId}/decision`, { outcome: 'retry' });
        if (res.status === 200) incidentsRetried += 1;
        return;
      }
      const path = toDecide.get(item.referralId);
      const outcome = path ? path.intended : Math.random() < 0.5 ? 'accepted' : 'refused';
      const body = outcome === 'refused' ? { outcome, reasonCode: 'programme-full' } : { outcome };
      const res = await call('camille', 'POST', `/api/approvals/${item.approvalId}/decision`, body);
      // 409: the deadline expired the referral first, or it was decided already; either way, nothing more to do.
      if (res.status === 200 || res.status === 409) {
        toDecide.delete(item.referralId);
        if (path && outcome === 'waitlisted' && res.status === 200) waitlisted.add(item.referralId);
        else waitlisted.delete(item.referralId);
      }
    });
    // A referral that expired before staff got to it leaves the list.
    for (const [referralId] of toDecide) {
      const res = await call('camille', 'GET', `/api/referrals/${referralId}`);
      if (res.body.status === 'expired') toDecide.delete(referralId);
    }
    await new Promise((r) => setTimeout(r, 500));
  }

  // Settle: every execution ends, every message leaves the outbox.
  const machineArn = cloud.app.stateMachines[0].arn;
  const dispatcher = cloud.app.schedules.find((s) => s.logicalId.startsWith('DispatchDeferredMessages'))!.logicalId;
  const reconciler = cloud.app.schedules.find((s) => s.logicalId.startsWith('ReconcilerSchedule'))!.logicalId;
  while (Date.now() < deadline) {
    await cloud.scheduler.fireNow(reconciler).catch(() => undefined);
    await cloud.scheduler.fireNow(dispatcher).catch(() => undefined);
    const running = await listAll(cloud, machineArn, 'RUNNING');
    const pending = await countPendingMessages(cloud);
    const incidents = (await call('camille', 'GET', '/api/staff/inbox?kind=incident&limit=100')).body.items as Array<{ approvalId: string }>;
    for (const incident of incidents ?? []) {
      if ((await call('camille', 'POST', `/api/approvals/${incident.approvalId}/decision`, { outcome: 'retry' })).status === 200) incidentsRetried += 1;
    }
    if (running.length === 0 && pending === 0 && (incidents ?? []).length === 0) break;
    await new Promise((r) => setTimeout(r, 1000));
  }

  const executionsByStatus: Record<string, number> = {};
  for (const status of ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']) executionsByStatus[status] = (await listAll(cloud, machineArn, status)).length;
  const steps = { entered: 0, failedAttempts: 0 };
  for (const execution of await listAll(cloud, machineArn)) {
    let nextToken: string | undefined;
    do {
      const history = await cloud.engine.getExecutionHistory({ executionArn: execution.executionArn, nextToken, maxResults: 1000 });
      for (const event of history.events) {
        if (event.type === 'TaskStateEntered') steps.entered += 1;
        if (event.type === 'LambdaFunctionFailed' || event.type === 'TaskFailed' || event.type === 'LambdaFunctionTimedOut') steps.failedAttempts += 1;
      }
      nextToken = history.nextToken;
    } while (nextToken);
  }
  const finalStatus = new Map<string, string>();
  await pool(paths, async (path) => {
    finalStatus.set(path.referralId, String((await call('camille', 'GET', `/api/referrals/${path.referralId}`)).body.status));
  });
  return {
    paths,
    submitMs,
    totalMs: Date.now() - started,
    answers,
    finalStatus,
    executionsByStatus,
    steps,
    reconcilerRepairs: reconcilerRepairsIn(cloud.functionLogFile),
    incidentsRetried,
    mails: (await cloud.ses.listEmails()).map((m) => ({ to: m.to, subject: m.subject, text: m.text })),
    sms: cloud.sms.list().map((m) => ({ destination: m.destination, body: m.body })),
  };
}

async function listAll(cloud: LocalCloud, stateMachineArn: string, statusFilter?: string) {
  const all: Array<{ executionArn: string }> = [];
  let nextToken: string | undefined;
  do {
    const page = await cloud.engine.listExecutions({ stateMachineArn, statusFilter, nextToken, maxResults: 1000 } as Parameters<LocalCloud['engine']['listExecutions']>[0]);
    all.push(...page.executions);
    nextToken = page.nextToken;
  } while (nextToken);
  return all;
}

async function countPendingMessages(cloud: LocalCloud): Promise<number> {
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await cloud.documentClient.send(
      new ScanCommand({
        TableName: cloud.tableName,
        FilterExpression: '#t = :t AND #s = :pending',
        ExpressionAttributeNames: { '#t': 'type', '#s': 'status' },
        ExpressionAttributeValues: { ':t': 'notification', ':pending': 'pending' },
        ExclusiveStartKey: start,
      }),
    );
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return count;
}

/** What the reconciler repaired, from its own log lines (it logs counts, never a person). */
function reconcilerRepairsIn(logFile: string): number {
  let repairs = 0;
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes('"reconciled"')) continue;
    try {
      const entry = JSON.parse(line.slice(line.indexOf('{'))) as Record<string, number>;
      repairs += (entry.handedOver ?? 0) + (entry.notifiedWithoutWorkflow ?? 0) + (entry.workflowsStarted ?? 0);
    } catch {
      // not a JSON log line
    }
  }
  return repairs;
}

/**
 * Messages that reached a person more than once: the same e-mail (recipient, subject, text) or the same SMS
 * (number, text). Exactly once per cause means this list is empty.
 */
export function duplicatesIn(report: Pick<FaultRunReport, 'mails' | 'sms'>): string[] {
  const seen = new Map<string, number>();
  for (const mail of report.mails) for (const to of mail.to) seen.set(`mail|${to}|${mail.subject}|${mail.text ?? ''}`, (seen.get(`mail|${to}|${mail.subject}|${mail.text ?? ''}`) ?? 0) + 1);
  for (const sms of report.sms) seen.set(`sms|${sms.destination}|${sms.body}`, (seen.get(`sms|${sms.destination}|${sms.body}`) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([key]) => key.split('|').slice(0, 3).join(' '));
}
