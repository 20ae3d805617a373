import { randomUUID } from 'node:crypto';
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenLocally, type ListeningServer } from './net.js';

/** The services whose calls from the functions can be faulted. */
export const FAULT_SERVICES = ['dynamodb', 'ses', 'sms', 'stepfunctions', 's3'] as const;
export type FaultService = (typeof FAULT_SERVICES)[number];

/**
 * - `throttle`: the service's throttling error (the request is not executed);
 * - `error`: a 500 or 503 (not executed);
 * - `timeout`: the request hangs, then its connection is dropped (not executed; the SDK sees a reset);
 * - `after`: the request is executed, then its answer is replaced by a 500 (DynamoDB, Step Functions and S3):
 *   AWS does this sometimes, and it is what a retry that is not idempotent trips on.
 */
export const FAULT_KINDS = ['throttle', 'error', 'timeout', 'after'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultSettings extends Partial<Record<FaultService, number>> {
  /** The kinds drawn from, evenly among those a service has (default: all). */
  kinds?: FaultKind[];
  /** Makes the draws reproducible: each service draws from its own sequence of this seed (default: Math.random). */
  seed?: number;
  /** How long a `timeout` hangs before its connection is dropped (default 1000 ms). */
  timeoutMs?: number;
  /** Replaces the draws (tests that script the faults one call at a time). */
  random?: () => number;
}

export type FaultCounts = { calls: number } & Record<FaultKind, number>;
export type FaultStats = Record<FaultService, FaultCounts>;

/** What the service answers: its HTTP status and error type. */
interface FaultAnswer {
  status: number;
  type: string;
  message: string;
}

/** The errors each service returns for each kind, as its SDK client parses them; one is drawn when there are several. */
const ANSWERS: Record<FaultService, { throttle: FaultAnswer[]; error: FaultAnswer[]; after: boolean }> = {
  dynamodb: {
    throttle: [
      { status: 400, type: 'ThrottlingException', message: 'Rate of requests exceeds the allowed throughput.' },
      { status: 400, type: 'ProvisionedThroughputExceededException', message: 'The level of configured provisioned throughput for the table was exceeded.' },
    ],
    error: [
      { status: 500, type: 'InternalServerError', message: 'Internal server error' },
      { status: 503, type: 'ServiceUnavailable', message: 'Service unavailable' },
    ],
    after: true,
  },
  ses: {
    throttle: [{ status: 429, type: 'TooManyRequestsException', message: 'Maximum sending rate exceeded.' }],
    error: [{ status: 500, type: 'InternalServiceErrorException', message: 'Internal service error.' }],
    after: false,
  },
  sms: {
    throttle: [{ status: 400, type: 'ThrottlingException', message: 'Rate exceeded.' }],
    error: [{ status: 500, type: 'InternalServerException', message: 'Internal server error.' }],
    after: false,
  },
  stepfunctions: {
    throttle: [{ status: 400, type: 'ThrottlingException', message: 'Rate exceeded' }],
    error: [
      { status: 500, type: 'InternalFailure', message: 'The request processing has failed because of an internal error.' },
      { status: 503, type: 'ServiceUnavailable', message: 'Service unavailable' },
    ],
    after: true,
  },
  // A PUT executed and then answered 500 is retried: with If-None-Match: * the retry then meets its own object (412).
  s3: {
    throttle: [{ status: 503, type: 'SlowDown', message: 'Please reduce your request rate.' }],
    error: [{ status: 500, type: 'InternalError', message: 'We encountered an internal error. Please try again.' }],
    after: true,
  },
};

const DEFAULT_TIMEOUT_MS = 1000;

/** A small seeded generator (mulberry32): the same seed gives the same draws. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a, to give each service a sequence of its own: a service's draws do not depend on how calls of the others interleave. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (const char of text) h = Math.imul(h ^ char.charCodeAt(0), 0x01000193);
  return h >>> 0;
}

/** A fault drawn for one call. */
export interface Fault {
  kind: FaultKind;
  answer: FaultAnswer;
}

/**
 * Decides which calls fail, by share and by service, and counts them. The services it covers are those given a
 * share at construction (0 included): only those are put behind a fault proxy, and only those may get a share later.
 * @example const faults = new FaultLayer({ dynamodb: 0.1, ses: 0, seed: 7 }); faults.set({ ses: 0.05 }); faults.stats().dynamodb.throttle
 */
export class FaultLayer {
  readonly services: ReadonlySet<FaultService>;
  private shares: Partial<Record<FaultService, number>> = {};
  private kinds: FaultKind[] = [...FAULT_KINDS];
  private draws = new Map<FaultService, () => number>();
  private counts = {} as FaultStats;
  private seed: number | undefined;
  private random: (() => number) | undefined;
  private hangMs = DEFAULT_TIMEOUT_MS;

  constructor(settings: FaultSettings = {}) {
    this.services = new Set(FAULT_SERVICES.filter((service) => settings[service] !== undefined));
    for (const service of FAULT_SERVICES) this.counts[service] = { calls: 0, throttle: 0, error: 0, timeout: 0, after: 0 };
    this.set(settings);
  }

  /** Changes the shares, kinds, timeout or seed; what is not given stays. A seed starts its sequences over. */
  set(settings: FaultSettings): void {
    for (const service of FAULT_SERVICES) {
      const share = settings[service];
      if (share === undefined) continue;
      if (!(share >= 0 && share <= 1)) throw new RangeError(`faults: the share of ${service} must be between 0 and 1, not ${share}`);
      if (share > 0 && !this.services.has(service)) {
        throw new Error(`faults: ${service} is not behind the fault layer; give it a share when the local cloud starts (0 is enough)`);
      }
      this.shares[service] = share;
    }
    if (settings.kinds) {
      const unknown = settings.kinds.filter((kind) => !FAULT_KINDS.includes(kind));
      if (unknown.length > 0 || settings.kinds.length === 0) throw new RangeError(`faults: kinds are some of ${FAULT_KINDS.join(', ')}, not ${JSON.stringify(settings.kinds)}`);
      this.kinds = [...new Set(settings.kinds)];
    }
    if (settings.timeoutMs !== undefined) {
      if (!(settings.timeoutMs >= 0)) throw new RangeError(`faults: timeoutMs must be 0 or more, not ${settings.timeoutMs}`);
      this.hangMs = settings.timeoutMs;
    }
    if (settings.seed !== undefined) {
      this.seed = settings.seed;
      this.random = undefined;
      this.draws.clear();
    }
    if (settings.random) this.random = settings.random;
  }

  /** How long a `timeout` hangs before its connection is dropped. */
  get timeoutMs(): number {
    return this.hangMs;
  }

  /** Injected faults and calls seen, by service and kind (a copy). */
  stats(): FaultStats {
    return Object.fromEntries(FAULT_SERVICES.map((service) => [service, { ...this.counts[service] }])) as FaultStats;
  }

  /** Whether this call of `service` fails, and how; counts it. */
  decide(service: FaultService): Fault | undefined {
    const counts = this.counts[service];
    counts.calls++;
    const share = this.shares[service] ?? 0;
    const kinds = this.kinds.filter((kind) => kind !== 'after' || ANSWERS[service].after);
    if (share <= 0 || kinds.length === 0) return undefined;
    const draw = this.drawFor(service);
    if (draw() >= share) return undefined;
    const pick = <T>(items: readonly T[]): T => (items.length === 1 ? items[0]! : items[Math.floor(draw() * items.length)]!);
    const kind = pick(kinds);
    counts[kind]++;
    const answers = ANSWERS[service];
    // `after` answers what a failure while executing does: the first 500.
    return { kind, answer: kind === 'throttle' ? pick(answers.throttle) : kind === 'error' ? pick(answers.error) : answers.error[0]! };
  }

  private drawFor(service: FaultService): () => number {
    if (this.random) return this.random;
    if (this.seed === undefined) return Math.random;
    let draw = this.draws.get(service);
    if (!draw) {
      draw = seeded(this.seed ^ hash(service));
      this.draws.set(service, draw);
    }
    return draw;
  }
}

/** Writes the error as the service's protocol carries it: AWS JSON 1.0 (`__type`), REST JSON (SES v2) or S3's XML. */
function answerWith(res: ServerResponse, service: FaultService, answer: FaultAnswer, method?: string): void {
  if (service === 's3') {
    res.writeHead(answer.status, { 'content-type': 'application/xml', 'x-amz-request-id': randomUUID() });
    // A HEAD's error has no body, as S3 answers it.
    res.end(method === 'HEAD' ? undefined : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${answer.type}</Code><Message>${answer.message}</Message></Error>`);
    return;
  }
  const restJson = service === 'ses';
  const type = service === 'dynamodb' ? `com.amazonaws.dynamodb.v20120810#${answer.type}` : answer.type;
  res.writeHead(answer.status, {
    'content-type': restJson ? 'application/json' : 'application/x-amz-json-1.0',
    'x-amzn-requestid': randomUUID(),
    'x-amzn-errortype': answer.type,
  });
  res.end(JSON.stringify(restJson ? { message: answer.message } : { __type: type, message: answer.message }));
}

/**
 * An HTTP proxy in front of one service's endpoint, given only to the functions: each request is passed through,
 * or failed as `layer` decides. Callers that reach the service directly (the engine, tests, the console) never
 * meet a fault.
 * @example const proxy = await startFaultProxy({ service: 'dynamodb', upstream: ddb.endpoint, layer }); env.AWS_ENDPOINT_URL_DYNAMODB = proxy.url;
 */
export async function startFaultProxy(options: { service: FaultService; upstream: string; layer: FaultLayer; port?: number }): Promise<ListeningServer> {
  const { service, layer } = options;
  const upstream = new URL(options.upstream);
  // Kept-alive connections to the service, as the SDK keeps its own: the hop then costs no connection set-up.
  const agent = new Agent({ keepAlive: true });
  const hanging = new Set<NodeJS.Timeout>();

  const forward = (req: IncomingMessage, res: ServerResponse, after: Fault | undefined) => {
    const outgoing = httpRequest(
      { protocol: upstream.protocol, hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent },
      (answer) => {
        answer.on('error', () => res.destroy());
        if (after) {
          answer.resume();
          answer.on('end', () => answerWith(res, service, after.answer, req.method));
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    // The service down: the caller's connection drops, as it would calling the service itself.
    outgoing.on('error', () => res.destroy());
    // A caller gone before the answer: the forwarded request goes too.
    res.on('close', () => {
      if (!res.writableFinished) outgoing.destroy();
    });
    req.pipe(outgoing);
  };

  const server = createServer((req, res) => {
    const fault = layer.decide(service);
    if (!fault || fault.kind === 'after') {
      forward(req, res, fault);
      return;
    }
    req.resume();
    if (fault.kind === 'timeout') {
      const timer = setTimeout(() => {
        hanging.delete(timer);
        req.socket.destroy();
      }, layer.timeoutMs);
      hanging.add(timer);
      return;
    }
    req.on('end', () => answerWith(res, service, fault.answer, req.method));
  });
  const listening = await listenLocally(server, options.port ?? 0, '127.0.0.1', `${service} faults`);
  return {
    ...listening,
    close: async () => {
      for (const timer of hanging) clearTimeout(timer);
      hanging.clear();
      await listening.close();
      agent.destroy();
    },
  };
}
