import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { ParcoursLocalCloud as LocalCloud } from '../infra/local-app/profile.js';
import type { ReferralSubmission } from '../shared/domain/referral.js';

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
  /** Gives up deciding and settling this long after the first submission. */
  settleTimeoutMs?: number;
  /** A new, valid submission per call (the tests pass their fixture, which records its personal values for the log scan). */
  submission?: () => ReferralSubmission;
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
  /** Where the time went, in ms by phase (and `rounds.*`: how many rounds of each loop). */
  phases: Record<string, number>;
  /** Staff decisions by outcome (answered 200), or by HTTP status otherwise (409: expired or decided first). */
  decisions: Record<string, number>;
  /** Task steps entered; those retried (their task scheduled more than once) and the attempts beyond the first. */
  steps: { entered: number; retried: number; extraAttempts: number };
  reconcilerRepairs: number;
  incidentsRetried: number;
  mails: Array<{ to: string[]; subject: string; text?: string }>;
  sms: Array<{ destination: string; body: string }>;
}

const OUTCOMES = ['accepted', 'refused', 'waitlisted'] as const;

let counter = 0;
/** A new adult's submission, unique per call. */
export function benchSubmission(): ReferralSubmission {
  counter += 1;
  return {
    programme: 'accompagnement',
    youngPerson: {
      firstName: `Faute${counter}`,
      lastName: `Bench-${randomUUID().slice(0, 6)}`,
      birthDate: '2001-04-12',
      email: `faute.${randomUUID()}@example.org`,
      phone: `+336${String(counter).padStart(8, '0')}`,
      postalCode: '62300',
      town: 'Lens',
      qpv: true,
      situation: 'demandeur-emploi',
    },
    projectIdea: 'Atelier de réparation de vélos à domicile',
    consent: { dataProcessing: true },
  };
}

export async function runFaultPaths(cloud: LocalCloud, options: FaultRunOptions): Promise<FaultRunReport> {
  const started = Date.now();
  const phases: Record<string, number> = {};
  /** Adds the time `fn` takes to `phase`. */
  const timed = async <T>(phase: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await fn();
    } finally {
      phases[phase] = (phases[phase] ?? 0) + Date.now() - t0;
    }
  };
  const newSubmission = options.submission ?? benchSubmission;
  /** Staff decisions by outcome (answered 200), or by HTTP status otherwise. */
  const decisions: Record<string, number> = {};
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
  /** Every referral as staff list them, page by page. */
  const listReferrals = async () => {
    const all: Array<{ referralId: string; status: string }> = [];
    let cursor: string | undefined;
    do {
      const page = await call('camille', 'GET', `/api/referrals${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`);
      all.push(...((page.body.items as typeof all) ?? []));
      cursor = page.body.cursor as string | undefined;
    } while (cursor);
    return all;
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
  const toDecide = new Map<string, PathRecord>();
  const waitlisted = new Set<string>();
  let incidentsRetried = 0;
  let submitMs = 0;
  let submitted = false;
  let submitError: unknown;
  // Staff decide while prescribers submit, as they would: submitted first and decided after, most referrals would
  // expire on the `test` stage's seconds-long deadlines before staff got to them, and few decisions would be tested.
  const submitting = timed('submit', () =>
    pool(
      Array.from({ length: options.paths }, (_, i) => i),
      async (i) => {
        const submission = newSubmission();
        const res = await call('sarah', 'POST', '/api/referrals', submission, { 'idempotency-key': randomUUID() });
        if (res.status !== 201 && res.status !== 200) throw new Error(`submission answered ${res.status}`);
        const path: PathRecord = {
          referralId: String(res.body.referralId),
          reference: String(res.body.reference),
          email: submission.youngPerson.email,
          phone: submission.youngPerson.phone,
          fullName: `${submission.youngPerson.firstName} ${submission.youngPerson.lastName}`,
          intended: i % expireEvery === 0 ? 'expire' : OUTCOMES[i % OUTCOMES.length],
        };
        paths.push(path);
        if (path.intended !== 'expire') toDecide.set(path.referralId, path);
      },
    ),
  ).then(
    () => {
      submitMs = Date.now() - started;
      submitted = true;
    },
    (error: unknown) => {
      submitError = error;
    },
  );

  // Staff decide what the inbox shows, page by page, until every path meant to be decided has been.
  const deadline = started + (options.settleTimeoutMs ?? 240_000);
  const decideStarted = Date.now();
  while ((!submitted || toDecide.size > 0 || waitlisted.size > 0) && Date.now() < deadline) {
    if (submitError) throw submitError;
    phases['rounds.decide'] = (phases['rounds.decide'] ?? 0) + 1;
    const open: Array<{ approvalId: string; referralId: string; kind: string; phase: string }> = [];
    let cursor: string | undefined;
    do {
      const page = await timed('decide.inbox', () => call('camille', 'GET', `/api/staff/inbox?limit=100${cursor ? `&cursor=${cursor}` : ''}`));
      open.push(...((page.body.items as typeof open) ?? []));
      cursor = page.body.cursor as string | undefined;
    } while (cursor);
    const work = open.filter((item) => item.kind === 'incident' || toDecide.has(item.referralId) || (waitlisted.has(item.referralId) && item.phase === 'waitlist'));
    await timed('decide.post', () =>
      pool(work, async (item) => {
        if (item.kind === 'incident') {
          const res = await call('camille', 'POST', `/api/approvals/${item.approvalId}/decision`, { outcome: 'retry' });
          if (res.status === 200) incidentsRetried += 1;
          return;
        }
        const path = toDecide.get(item.referralId);
        const outcome = path ? path.intended : Math.random() < 0.5 ? 'accepted' : 'refused';
        const body = outcome === 'refused' ? { outcome, reasonCode: 'programme-full' } : { outcome };
        const res = await call('camille', 'POST', `/api/approvals/${item.approvalId}/decision`, body);
        decisions[res.status === 200 ? outcome : String(res.status)] = (decisions[res.status === 200 ? outcome : String(res.status)] ?? 0) + 1;
        // 409: the deadline expired the referral first, or it was decided already; either way, nothing more to do.
        if (res.status === 200 || res.status === 409) {
          toDecide.delete(item.referralId);
          if (path && outcome === 'waitlisted' && res.status === 200) waitlisted.add(item.referralId);
          else waitlisted.delete(item.referralId);
        }
      }),
    );
    // A referral meant to be decided that the inbox does not show has expired, or its approval is not open yet: the
    // staff's list of referrals tells which (one listing, not one request per referral each round).
    const shown = new Set(open.map((item) => item.referralId));
    if ([...toDecide.keys()].some((referralId) => !shown.has(referralId))) {
      await timed('decide.expiredCheck', async () => {
        const listed = new Map((await listReferrals()).map((referral) => [referral.referralId, referral.status]));
        for (const [referralId, status] of listed) if (status === 'expired') toDecide.delete(referralId);
        // A listing that stops short (no cursor) leaves the others to be read one by one.
        const unlisted = [...toDecide.keys()].filter((referralId) => !shown.has(referralId) && !listed.has(referralId));
        await pool(unlisted, async (referralId) => {
          if ((await call('camille', 'GET', `/api/referrals/${referralId}`)).body.status === 'expired') toDecide.delete(referralId);
        });
      });
    }
    if (submitted && toDecide.size === 0) phases['decide.firstDecisionsDoneAt'] ??= Date.now() - decideStarted;
    await timed('decide.sleep', () => new Promise((r) => setTimeout(r, 500)));
  }
  await submitting;
  phases.decide = Date.now() - decideStarted;

  // Settle: every execution ends, every message leaves the outbox.
  const machineArn = cloud.app.stateMachines[0].arn;
  const dispatcher = cloud.app.schedules.find((s) => s.logicalId.startsWith('DispatchDeferredMessages'))!.logicalId;
  const reconciler = cloud.app.schedules.find((s) => s.logicalId.startsWith('ReconcilerSchedule'))!.logicalId;
  const settleStarted = Date.now();
  while (Date.now() < deadline) {
    phases['rounds.settle'] = (phases['rounds.settle'] ?? 0) + 1;
    await timed('settle.fire', async () => {
      await cloud.scheduler.fireNow(reconciler).catch(() => undefined);
      await cloud.scheduler.fireNow(dispatcher).catch(() => undefined);
    });
    const running = await timed('settle.running', () => listAll(cloud, machineArn, 'RUNNING'));
    const incidents = await timed('settle.incidents', async () => {
      const items = (await call('camille', 'GET', '/api/staff/inbox?kind=incident&limit=100')).body.items as Array<{ approvalId: string }>;
      for (const incident of items ?? []) {
        if ((await call('camille', 'POST', `/api/approvals/${incident.approvalId}/decision`, { outcome: 'retry' })).status === 200) incidentsRetried += 1;
      }
      return items;
    });
    // The outbox is read whole (a Scan) only once nothing else is left to wait for.
    const pending = running.length === 0 && (incidents ?? []).length === 0 ? await timed('settle.pending', () => countPendingMessages(cloud)) : -1;
    if (running.length === 0 && pending === 0 && (incidents ?? []).length === 0) break;
    await timed('settle.sleep', () => new Promise((r) => setTimeout(r, 500)));
  }
  phases.settle = Date.now() - settleStarted;
  const readStarted = Date.now();

  const executionsByStatus: Record<string, number> = {};
  for (const status of ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']) executionsByStatus[status] = (await listAll(cloud, machineArn, status)).length;
  // A step is retried when its state, once entered, schedules its task more than once (the Retry of the state machine).
  // A task that fails by design and is caught (a decision made before the wait, a deadline) is not a retry.
  const steps = { entered: 0, retried: 0, extraAttempts: 0 };
  for (const execution of await listAll(cloud, machineArn)) {
    let attempts = 0;
    const exit = () => {
      if (attempts > 1) {
        steps.retried += 1;
        steps.extraAttempts += attempts - 1;
      }
      attempts = 0;
    };
    let nextToken: string | undefined;
    do {
      const history = await cloud.engine.getExecutionHistory({ executionArn: execution.executionArn, nextToken, maxResults: 1000 });
      for (const event of history.events) {
        if (event.type === 'TaskStateEntered') {
          exit();
          steps.entered += 1;
        }
        if (event.type === 'TaskScheduled' || event.type === 'LambdaFunctionScheduled') attempts += 1;
        if (event.type === 'TaskStateExited') exit();
      }
      nextToken = history.nextToken;
    } while (nextToken);
    exit();
  }
  phases.history = Date.now() - readStarted;
  const finalStatus = new Map<string, string>();
  await timed('finalStatus', () => pool(paths, async (path) => {
    finalStatus.set(path.referralId, String((await call('camille', 'GET', `/api/referrals/${path.referralId}`)).body.status));
  }));
  return {
    phases,
    decisions,
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

/** Outbox items matching `condition` (besides being notifications), counted with a scan, page by page. */
async function countNotifications(cloud: LocalCloud, condition: { expression: string; names?: Record<string, string>; values?: Record<string, unknown> }): Promise<number> {
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await cloud.documentClient.send(
      new ScanCommand({
        TableName: cloud.tableName,
        FilterExpression: `#t = :t AND ${condition.expression}`,
        ExpressionAttributeNames: { '#t': 'type', ...condition.names },
        ExpressionAttributeValues: { ':t': 'notification', ...condition.values },
        ExclusiveStartKey: start,
      }),
    );
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return count;
}

const countPendingMessages = (cloud: LocalCloud) => countNotifications(cloud, { expression: '#s = :pending', names: { '#s': 'status' }, values: { ':pending': 'pending' } });

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
  const count = (key: string) => seen.set(key, (seen.get(key) ?? 0) + 1);
  for (const mail of report.mails) for (const to of mail.to) count(`mail|${to}|${mail.subject}|${mail.text ?? ''}`);
  for (const sms of report.sms) count(`sms|${sms.destination}|${sms.body}`);
  return [...seen].filter(([, n]) => n > 1).map(([key]) => key.split('|').slice(0, 3).join(' '));
}

/** Outbox messages a provider accepted (`sentAt` is set then, and only then): the distinct messages that ought to have reached someone. */
export const countSentMessages = (cloud: LocalCloud) => countNotifications(cloud, { expression: 'attribute_exists(sentAt)' });

/** Messages the local SES (one per recipient) and SMS received. */
export function deliveredMessages(report: Pick<FaultRunReport, 'mails' | 'sms'>): number {
  return report.mails.reduce((n, mail) => n + mail.to.length, 0) + report.sms.length;
}

/** The lines `npm run bench` prints for a fault run (figures, not assertions: the end-to-end test asserts). */
export async function faultRunFigures(cloud: LocalCloud, report: FaultRunReport, run: { concurrency: number; share: string }): Promise<string[]> {
  const seconds = (ms: number) => (ms / 1000).toFixed(1);
  const settled = [...report.finalStatus.values()].filter((status) => ['accepted', 'refused', 'expired'].includes(status)).length;
  const statuses: Record<string, number> = {};
  for (const status of report.finalStatus.values()) statuses[status] = (statuses[status] ?? 0) + 1;
  const stats = cloud.faults.stats();
  const injected = (Object.keys(stats) as Array<keyof typeof stats>).map((service) => {
    const { calls, ...kinds } = stats[service];
    const total = Object.values(kinds).reduce((a, b) => a + b, 0);
    return `${service} ${total} of ${calls} calls (${Object.entries(kinds).filter(([, n]) => n > 0).map(([kind, n]) => `${kind} ${n}`).join(', ')})`;
  });
  const sent = await countSentMessages(cloud);
  const delivered = deliveredMessages(report);
  const duplicates = duplicatesIn(report);
  const { phases } = report;
  return [
    `fault run: ${report.paths.length} referral paths at ${run.share} faults, ${run.concurrency} requests in flight: ${settled} settled in ${seconds(report.totalMs)} s = ` +
      `${(settled / (report.totalMs / 1000)).toFixed(2)} complete paths/s (first submission to every execution ended and the outbox empty); ` +
      `submit ${(report.paths.length / (report.submitMs / 1000)).toFixed(1)} referrals/s (${seconds(report.submitMs)} s, staff deciding meanwhile)`,
    `fault run: final statuses ${JSON.stringify(statuses)}, staff decisions ${JSON.stringify(report.decisions)}, executions ${JSON.stringify(report.executionsByStatus)}, ` +
      `HTTP answers ${JSON.stringify(report.answers)}`,
    `fault run: retried steps ${((100 * report.steps.retried) / Math.max(1, report.steps.entered)).toFixed(1)} % (${report.steps.retried} of ${report.steps.entered} task steps entered; extra attempts ${report.steps.extraAttempts}); ` +
      `reconciler repairs ${report.reconcilerRepairs}; incidents relaunched by staff ${report.incidentsRetried}`,
    `fault run: faults injected: ${injected.join('; ')}`,
    `fault run: messages sent per cause ${(delivered / Math.max(1, sent)).toFixed(2)} (${delivered} received by the local SES and SMS / ${sent} outbox messages a provider accepted); ` +
      `duplicates ${duplicates.length ? duplicates.join(', ') : 'none'}`,
    `fault run: time: submit ${seconds(phases.submit ?? 0)} s while deciding (${phases['rounds.decide'] ?? 0} inbox rounds, last first decision at ${seconds(phases['decide.firstDecisionsDoneAt'] ?? 0)} s, ` +
      `decisions ended at ${seconds(phases.decide ?? 0)} s), settle ${seconds(phases.settle ?? 0)} s (${phases['rounds.settle'] ?? 0} rounds), reading histories ${seconds(phases.history ?? 0)} s, final statuses ${seconds(phases.finalStatus ?? 0)} s`,
  ];
}
