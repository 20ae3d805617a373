import { randomUUID } from 'node:crypto';
import type { InvokeResult } from './lambda.js';
import type { LocalEventRule } from './template.js';

/** An event as a rule sees it on the bus (the envelope fields are filled in by putEvents when missing). */
export interface BusEvent {
  version?: string;
  id?: string;
  'detail-type': string;
  source: string;
  account?: string;
  time?: string;
  region?: string;
  resources?: string[];
  detail: unknown;
}

export type Invoke = (functionArn: string, payload: unknown) => Promise<InvokeResult>;
/** Sends a message to a queue of the template (the local SQS); rejects when it cannot. */
export type SendToQueue = (queueArn: string, body: string) => Promise<unknown>;

/** Waits between attempts of an asynchronous delivery: shorter than AWS's, so a local test sees a retry succeed. */
export const RETRY_DELAYS_MS = [250, 1_000, 3_000];

/**
 * Invokes a function the way an asynchronous source does (EventBridge, SNS): an error is retried after
 * each delay, then given up. Returns whether an attempt succeeded.
 */
export async function deliverWithRetry(invoke: Invoke, arn: string, payload: unknown, delaysMs: readonly number[] = RETRY_DELAYS_MS): Promise<boolean> {
  return retried(async () => (await invoke(arn, payload)).ok, delaysMs);
}

/** Sends to a queue the way EventBridge and SNS do: a refused send is tried again after each delay, then given up. */
export async function sendWithRetry(send: SendToQueue | undefined, queueArn: string, body: string, delaysMs: readonly number[] = RETRY_DELAYS_MS): Promise<boolean> {
  if (!send) return false;
  return retried(() => send(queueArn, body).then(() => true, () => false), delaysMs);
}

async function retried(attempt: () => Promise<boolean>, delaysMs: readonly number[]): Promise<boolean> {
  for (let tries = 0; ; tries++) {
    if (await attempt()) return true;
    const delay = delaysMs[tries];
    if (delay === undefined) return false;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** One matcher of a pattern's value list against one leaf value of the event. */
function leafMatches(matcher: unknown, value: unknown): boolean {
  if (!isObject(matcher)) return value === matcher;
  if ('prefix' in matcher) return typeof value === 'string' && typeof matcher.prefix === 'string' && value.startsWith(matcher.prefix);
  if ('suffix' in matcher) return typeof value === 'string' && typeof matcher.suffix === 'string' && value.endsWith(matcher.suffix);
  if ('equals-ignore-case' in matcher) return typeof value === 'string' && value.toLowerCase() === String(matcher['equals-ignore-case']).toLowerCase();
  if ('anything-but' in matcher) {
    const but = matcher['anything-but'];
    if (value === undefined) return false;
    if (isObject(but)) return !leafMatches(but, value);
    return !(Array.isArray(but) ? but : [but]).includes(value);
  }
  throw new Error(`Unsupported event pattern matcher ${JSON.stringify(matcher)}`);
}

/** A field's matcher list: `exists` looks at presence; the others need a leaf value (any element of an array). */
function fieldMatches(matchers: unknown[], value: unknown): boolean {
  const values = Array.isArray(value) ? value : [value];
  return matchers.some((matcher) => {
    if (isObject(matcher) && 'exists' in matcher) return matcher.exists === (value !== undefined && !isObject(value));
    return value !== undefined && !isObject(value) && values.some((v) => leafMatches(matcher, v));
  });
}

/**
 * EventBridge pattern matching: every field of the pattern must match; an array lists the accepted values
 * (exact values, `prefix`, `suffix`, `equals-ignore-case`, `anything-but` with a value, a list or a prefix,
 * and `exists`), an object matches the event's nested object.
 * @example matchesPattern({ source: ['aws.ses'], detail: { bounce: { bounceType: ['Permanent'] } } }, event)
 */
export function matchesPattern(pattern: Record<string, unknown>, event: unknown): boolean {
  const fields = isObject(event) ? event : {};
  return Object.entries(pattern).every(([key, expected]) => {
    const value = fields[key];
    if (Array.isArray(expected)) return fieldMatches(expected, value);
    if (isObject(expected)) return matchesPattern(expected, value);
    throw new Error(`Event pattern field ${key} must be an array or an object`);
  });
}

/**
 * A local EventBridge: the template's rules with event patterns, and their Lambda and SQS targets. putEvents invokes
 * each matching rule's functions, or sends to its queues, the whole event (or the target's constant Input), retrying failures.
 */
export class LocalEventBridge {
  private readonly rules: LocalEventRule[];
  private readonly invoke: Invoke;
  private readonly sendToQueue: SendToQueue | undefined;
  private readonly context: { region: string; accountId: string };
  private readonly retryDelaysMs: readonly number[];

  constructor(options: { rules: LocalEventRule[]; invoke: Invoke; sendToQueue?: SendToQueue; region: string; accountId: string; retryDelaysMs?: readonly number[] }) {
    this.rules = options.rules;
    this.invoke = options.invoke;
    this.sendToQueue = options.sendToQueue;
    this.context = { region: options.region, accountId: options.accountId };
    this.retryDelaysMs = options.retryDelaysMs ?? RETRY_DELAYS_MS;
  }

  /** Puts events on a bus and resolves once every matching target has had them (a function ran, a queue took them) or given up: the count of failed deliveries. */
  async putEvents(events: BusEvent[], eventBusName = 'default'): Promise<{ deliveries: number; failed: number }> {
    const deliveries: Array<Promise<boolean>> = [];
    for (const partial of events) {
      const event: BusEvent = {
        version: '0',
        id: randomUUID(),
        account: this.context.accountId,
        time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region: this.context.region,
        resources: [],
        ...partial,
      };
      for (const rule of this.rules) {
        if (rule.eventBusName !== eventBusName || !matchesPattern(rule.pattern, event)) continue;
        for (const target of rule.targets) {
          if (target.type === 'sqs') deliveries.push(sendWithRetry(this.sendToQueue, target.arn, target.input ?? JSON.stringify(event), this.retryDelaysMs));
          else deliveries.push(deliverWithRetry(this.invoke, target.arn, target.input !== undefined ? JSON.parse(target.input) : event, this.retryDelaysMs));
        }
      }
    }
    const outcomes = await Promise.all(deliveries);
    return { deliveries: outcomes.length, failed: outcomes.filter((ok) => !ok).length };
  }
}
