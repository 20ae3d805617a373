/**
 * Outbox figures for the bench: waits until every notification of the table has left `pending`, then
 * counts them by channel and status, and measures how fast they went out and how many needed a retry.
 * Read from the table only (a scan), so it measures what the functions recorded, not what the bench thinks it sent.
 */
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** The fields of an outbox item the figures use (shared/notifications/outbox.ts). */
interface OutboxRow {
  kind?: string;
  channel?: string;
  status?: string;
  attempts?: number;
  providerAttempts?: number;
  createdAt?: string;
  sentAt?: string;
  lastError?: string;
  notBefore?: string;
}

export async function scanNotifications(documentClient: DynamoDBDocumentClient, tableName: string): Promise<OutboxRow[]> {
  const rows: OutboxRow[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: '#type = :notification',
        ProjectionExpression: '#kind, #channel, #status, #attempts, #providerAttempts, #createdAt, #sentAt, #lastError, #notBefore',
        ExpressionAttributeNames: {
          '#type': 'type',
          '#kind': 'kind',
          '#channel': 'channel',
          '#status': 'status',
          '#attempts': 'attempts',
          '#providerAttempts': 'providerAttempts',
          '#createdAt': 'createdAt',
          '#sentAt': 'sentAt',
          '#lastError': 'lastError',
          '#notBefore': 'notBefore',
        },
        ExpressionAttributeValues: { ':notification': 'notification' },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    rows.push(...((page.Items ?? []) as OutboxRow[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return rows;
}

const countBy = (rows: OutboxRow[], key: (row: OutboxRow) => string) => {
  const counts: Record<string, number> = {};
  for (const row of rows) counts[key(row)] = (counts[key(row)] ?? 0) + 1;
  return counts;
};

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];

/**
 * Polls the table until no notification is pending and none has appeared for 3 s (a workflow writes some later,
 * e.g. the staff decision request), or until `timeoutMs` passed; then returns the lines to print.
 * `lastSubmitAt` (epoch ms) is when the bench's last referral was answered: how long after it the outbox drained.
 */
export async function notificationFigures(options: {
  documentClient: DynamoDBDocumentClient;
  tableName: string;
  referrals: number;
  lastSubmitAt: number;
  timeoutMs?: number;
  /** The share of provider calls the local cloud answered with a throttling error. */
  faultRate?: number;
}): Promise<string[]> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const waitStart = Date.now();
  let rows = await scanNotifications(options.documentClient, options.tableName);
  let countSince = Date.now();
  while ((rows.some((r) => r.status === 'pending') || Date.now() - countSince < 3000) && Date.now() - waitStart < timeoutMs) {
    await new Promise((r) => setTimeout(r, 500));
    const previous = rows.length;
    rows = await scanNotifications(options.documentClient, options.tableName);
    if (rows.length !== previous) countSince = Date.now();
  }
  const waitedSeconds = (Date.now() - waitStart) / 1000;
  const lines: string[] = [];
  const pending = rows.filter((r) => r.status === 'pending');

  lines.push(
    `notifications: ${rows.length} outbox items from ${options.referrals} referrals accepted (201); by channel ${JSON.stringify(countBy(rows, (r) => r.channel ?? '?'))}; ` +
      `by status ${JSON.stringify(countBy(rows, (r) => r.status ?? '?'))}`,
  );
  if (pending.length) {
    lines.push(
      `notifications still pending after ${(timeoutMs / 1000).toFixed(0)} s: ${pending.length}; by channel ${JSON.stringify(countBy(pending, (r) => r.channel ?? '?'))}; ` +
        `by kind ${JSON.stringify(countBy(pending, (r) => r.kind ?? '?'))}; held back (notBefore) ${pending.filter((r) => r.notBefore).length}; ` +
        `with a send error ${JSON.stringify(countBy(pending.filter((r) => r.lastError), (r) => r.lastError!))}`,
    );
  }

  const sent = rows.filter((r) => r.sentAt && r.createdAt);
  if (!sent.length) {
    lines.push('notifications sent: none');
    return lines;
  }
  const created = (r: OutboxRow) => Date.parse(r.createdAt!);
  const sentMs = (r: OutboxRow) => Date.parse(r.sentAt!);
  const firstCreated = Math.min(...rows.filter((r) => r.createdAt).map(created));
  const lastSent = Math.max(...sent.map(sentMs));
  const windowSeconds = (lastSent - firstCreated) / 1000;
  const latencies = sent.map((r) => sentMs(r) - created(r));
  lines.push(
    `notifications sent: ${sent.length} in ${windowSeconds.toFixed(1)} s (first created to last sent): ${(sent.length / windowSeconds).toFixed(1)} notifications/s; ` +
      `outbox latency (created to sent${pending.length ? ', sent ones only' : ''}) p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms; ` +
      `last sent ${((lastSent - options.lastSubmitAt) / 1000).toFixed(1)} s after the last submission (waited ${waitedSeconds.toFixed(1)} s)`,
  );

  // A retry at either level: the SDK calling the provider again (throttling, 5xx), or the outbox trying the message again (a failed step run or dispatch).
  const retried = sent.filter((r) => (r.attempts ?? 0) > 1 || (r.providerAttempts ?? 1) > 1);
  const byOutbox = sent.filter((r) => (r.attempts ?? 0) > 1).length;
  const providerCalls = sent.reduce((sum, r) => sum + (r.providerAttempts ?? 1), 0);
  lines.push(
    `notifications that needed a retry: ${retried.length} of ${sent.length} sent (${((100 * retried.length) / sent.length).toFixed(2)} %); ` +
      `retried by the outbox ${byOutbox}, provider calls ${providerCalls} for ${sent.length} messages` +
      (retried.length ? `; by channel ${JSON.stringify(countBy(retried, (r) => r.channel ?? '?'))}` : '') +
      (options.faultRate ? ` (local providers throttled ${(options.faultRate * 100).toFixed(0)} % of calls on purpose)` : ''),
  );
  return lines;
}
