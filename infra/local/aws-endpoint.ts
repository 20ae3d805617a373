import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenLocally } from './net.js';
import { answerUnreadableRequests, type UnreadableAnswer, type UnreadableRequest } from './unreadable.js';

/**
 * One AWS JSON-protocol service: gets the operation name (after the target prefix), the parsed body, and a signal
 * aborted when the client goes before its answer (a long poll then stops waiting for it).
 */
export type JsonService = (operation: string, body: unknown, signal: AbortSignal) => Promise<{ status: number; body: unknown }>;

export interface AwsJsonEndpoint {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The AWS JSON protocols answer large requests with 413; 1 MB is far above any message this app sends. */
export const MAX_AWS_BODY_BYTES = 1024 * 1024;

export class BodyTooLargeError extends Error {
  constructor(limit: number) {
    super(`Request body exceeds ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** Reads a request body, rejecting with BodyTooLargeError past `limit` bytes (declared, or as it comes). */
export async function readRequestBytes(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLargeError(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLargeError(limit);
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** Reads a request body as UTF-8, rejecting with BodyTooLargeError past `limit` bytes. */
export async function readRequestBody(req: IncomingMessage, limit: number): Promise<string> {
  return (await readRequestBytes(req, limit)).toString('utf8');
}

/**
 * Starts one HTTP server for the local cloud's AWS JSON-protocol services (awsJson1_0, the protocol
 * of the installed SFN and PinpointSMSVoiceV2 clients), dispatched on `X-Amz-Target: Prefix.Operation`.
 * Other requests go to `fallback` (for example the SMS outbox page), else 404.
 * @example const aws = await startAwsJsonEndpoint({ services: { PinpointSMSVoiceV2: (op, body) => sms.handleJson(op, body) } });
 */
export async function startAwsJsonEndpoint(options: {
  port?: number;
  host?: string;
  services: Record<string, JsonService>;
  fallback?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
}): Promise<AwsJsonEndpoint> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    route(req, res, options.services, options.fallback).catch((error: unknown) => {
      // A client gone mid-request (its body cut short) hears nothing more.
      if (req.destroyed && !req.complete) return void res.destroy();
      // The error text may quote request data, so only its class is logged.
      console.error(`aws-endpoint: unhandled ${error instanceof Error ? error.name : typeof error}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end();
    });
  });
  answerUnreadableRequests(server, unreadableJsonAnswer, { name: 'aws-endpoint' });
  return await listenLocally(server, options.port ?? 0, host, 'aws');
}

/**
 * The error types of a request Node's parser refused, by status (no AWS JSON service documents one for these: the names
 * are the local endpoint's, `RequestEntityTooLargeException` as it answers a body too large).
 */
const UNREADABLE_TYPES: Record<UnreadableRequest['status'], [string, string]> = {
  400: ['SerializationException', 'The request could not be read as HTTP: a malformed request line, header or chunked body'],
  408: ['RequestTimeoutException', 'The request did not arrive in time'],
  413: ['RequestEntityTooLargeException', 'The request body chunks carry too many extensions'],
  431: ['RequestHeaderFieldsTooLargeException', 'The request headers are too large'],
};

/** A request Node's parser refused, answered as the AWS JSON protocols answer an error: `__type`, `x-amzn-errortype` and a message. */
function unreadableJsonAnswer({ status }: UnreadableRequest): UnreadableAnswer {
  const [type, message] = UNREADABLE_TYPES[status];
  return { headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID(), 'x-amzn-errortype': type }, body: JSON.stringify({ __type: type, message }) };
}

async function route(
  req: IncomingMessage,
  res: ServerResponse,
  services: Record<string, JsonService>,
  fallback: ((req: IncomingMessage, res: ServerResponse) => Promise<boolean>) | undefined,
): Promise<void> {
  const target = req.headers['x-amz-target'];
  if (req.method === 'POST' && typeof target === 'string') {
    await dispatch(req, res, target, services);
    return;
  }
  if (fallback && (await fallback(req, res))) return;
  if (req.method === 'POST') {
    // An AWS JSON client that lost its target: answered as the services answer it, in JSON an SDK reads.
    req.resume();
    jsonReplier(req, res)(400, { __type: 'UnknownOperationException', message: 'A request to this endpoint names its operation in the X-Amz-Target header' });
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
  res.end('Not found');
}

/** Answers in the JSON protocol version the client spoke (1.0 for SFN and SMS v2, 1.1 for older services), an error's type in `x-amzn-errortype`. */
function jsonReplier(req: IncomingMessage, res: ServerResponse) {
  const version = /application\/x-amz-json-1\.1/i.test(req.headers['content-type'] ?? '') ? '1.1' : '1.0';
  return (status: number, body: unknown, extraHeaders: Record<string, string> = {}): void => {
    const headers: Record<string, string> = {
      'content-type': `application/x-amz-json-${version}`,
      'x-amzn-requestid': randomUUID(),
      ...extraHeaders,
    };
    const errorType = status >= 400 && body && typeof body === 'object' ? (body as { __type?: unknown }).__type : undefined;
    if (typeof errorType === 'string') headers['x-amzn-errortype'] = errorType;
    res.writeHead(status, headers);
    res.end(JSON.stringify(body ?? {}));
  };
}

async function dispatch(req: IncomingMessage, res: ServerResponse, target: string, services: Record<string, JsonService>): Promise<void> {
  const contentType = req.headers['content-type'] ?? '';
  const reply = jsonReplier(req, res);

  if (!/application\/x-amz-json-1\.[01]/i.test(contentType)) {
    reply(400, { __type: 'SerializationException', message: 'Expected content-type application/x-amz-json-1.0' });
    return;
  }
  let raw: string;
  try {
    raw = await readRequestBody(req, MAX_AWS_BODY_BYTES);
  } catch (error) {
    if (!(error instanceof BodyTooLargeError)) throw error;
    reply(413, { __type: 'RequestEntityTooLargeException', message: error.message }, { connection: 'close' });
    return;
  }
  let body: unknown;
  try {
    body = raw.trim() === '' ? {} : JSON.parse(raw);
  } catch {
    reply(400, { __type: 'SerializationException', message: 'Request body is not valid JSON' });
    return;
  }

  const dot = target.lastIndexOf('.');
  const prefix = target.slice(0, Math.max(dot, 0));
  // Own-property check: a target such as "constructor.x" must not reach Object.prototype.
  const service = Object.hasOwn(services, prefix) ? services[prefix] : undefined;
  if (!service) {
    reply(400, { __type: 'UnknownOperationException', message: `Unknown operation ${target}` });
    return;
  }
  const operation = target.slice(dot + 1);
  try {
    const gone = new AbortController();
    res.once('close', () => gone.abort());
    const result = await service(operation, body, gone.signal);
    reply(result.status, result.body);
  } catch (error) {
    console.error(`aws-endpoint: ${target} failed with ${error instanceof Error ? error.name : typeof error}`);
    reply(500, { __type: 'InternalFailure', message: 'The request processing has failed because of an internal error.' });
  }
}
