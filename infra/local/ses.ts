import { Agent, createServer, request, STATUS_CODES, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isAscii } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import sesPackage from 'aws-ses-v2-local';
import { createEmlContent } from 'aws-ses-v2-local/dist/emlFile.js';
import * as sesStore from 'aws-ses-v2-local/dist/store.js';
import * as sendEmailModule from 'aws-ses-v2-local/dist/v2/sendEmail.js';
import { BodyTooLargeError, readRequestBytes } from './aws-endpoint.js';
import type { BusEvent } from './events.js';
import { freePort, PortInUseError } from './net.js';
import { JsonLinesAppender, readJsonLinesAt } from './json-lines.js';
import { answerUnreadableRequests, type UnreadableAnswer, type UnreadableRequest } from './unreadable.js';

export interface LocalEmail {
  messageId: string;
  from: string;
  to: string[];
  subject: string;
  text?: string;
  html?: string;
  /** The files it carried, as SES would put them in the MIME message. */
  attachments: LocalAttachment[];
  at: string;
}

export interface LocalAttachment {
  fileName: string;
  contentType: string;
  /** `attachment` or `inline` when the request said so (SES v2 `ContentDisposition`, lower-cased as in MIME). */
  disposition?: string;
  size: number;
  content: Buffer;
}

/** What a SendEmail call (SES v2) that the local SES accepted said, for the delivery events that follow. */
export interface AcceptedEmail {
  messageId: string;
  from: string;
  to: string[];
  configurationSetName?: string;
  tags: Record<string, string>;
  at: string;
}

export interface LocalSes {
  /** The value to give `AWS_ENDPOINT_URL_SESV2`. */
  endpoint: string;
  /** The package's mail viewer. */
  viewerUrl: string;
  listEmails(): Promise<LocalEmail[]>;
  stop(): Promise<void>;
}

/** An Express error-handling middleware (four parameters), as the package's app takes one. */
type ExpressErrorHandler = (
  error: { status?: number; expose?: boolean; message?: unknown } | undefined,
  req: unknown,
  res: { status(code: number): { json(body: unknown): void } },
  next: unknown,
) => void;

type StartSesServer = (config?: Partial<{ host: string; port: number }>) => Promise<Server>;

/**
 * The package is CommonJS with `exports.default`: Node's ESM loader hands over the whole
 * `module.exports` as the default import, while bundlers with interop hand over the function.
 */
const startSesServer: StartSesServer =
  typeof sesPackage === 'function' ? (sesPackage as StartSesServer) : (sesPackage as unknown as { default: StartSesServer }).default;

interface StoredEmail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
  attachments?: Array<{ filename?: string; contentType: string; contentDisposition?: string; size: number; content: string }>;
  at: number;
}

/** The package's SES v2 SendEmail route handler (an Express handler), called in process by the proxy. */
type PackageHandler = (req: { body: unknown }, res: { status(code: number): unknown; send(body: unknown): unknown }, next: (error?: unknown) => void) => void;
const sendEmailHandler: PackageHandler =
  typeof sendEmailModule.default === 'function' ? (sendEmailModule.default as unknown as PackageHandler) : (sendEmailModule.default as unknown as { default: PackageHandler }).default;

/** The SES v2 SendEmail route; the v1 query API is passed through untracked (the functions use v2 only). */
const SEND_EMAIL_PATH = '/v2/email/outbound-emails';
/** The SES v2 API's paths; the others are the viewer's. */
const V2_PATH = '/v2/';
/** The SES v1 (query API) actions the package serves at `POST /`. */
const V1_ACTIONS = ['SendEmail', 'SendRawEmail'];
/** The viewer's "clear" button. */
const CLEAR_PATH = '/clear-store';
/** The viewer's "download .eml" button. */
const EML_PATH = '/get-emlContent';
/** `GET /attachments/<messageId>/<index>`: one attachment of a stored mail, as a download (the viewer links there). */
const ATTACHMENT_PATH = /^\/attachments\/([^/]+)\/(\d+)$/;
/** Accepted mails, one JSON line each, as the package stores them, so the viewer shows them again after a restart. */
const MAIL_FILE = 'ses-mail.jsonl';
/** The package's JSON body parser refuses larger bodies (413): a SendEmail this large still goes to it. */
const PACKAGE_BODY_LIMIT = 25 * 1024 * 1024;

type PackageEmail = sesStore.Email;

/**
 * Where the attachments of each mail in the package's store are, by message id, shared by the instances of a process
 * as the store is: the mail's line in a mail file (read back when the viewer, a download or `listEmails` asks), or the
 * bytes in memory without one. The store keeps each file's name, type and size with an empty content: a month's run
 * sends 10,000 invoices, whose PDFs kept as base64 strings made 870 MB of the main thread's heap for the garbage
 * collector to carry.
 */
const attachmentBytes = new Map<string, { file: string; offset: number; length: number } | Buffer[]>();

/** Stands for an attachment's content in the JSON of a mail line while it is made (`mailLine`). */
const CONTENT_MARK = `${randomUUID()}:`;

/**
 * A mail's line for the mail file (the JSON of the stored mail with its attachments' base64, as JSON.stringify gives it),
 * in parts for one writev: each attachment's base64 copied in as bytes, since encoding a 90 KB string to UTF-8 (an
 * accented body makes V8 take its slow path) cost a tenth of the proxy's time. The contents are base64, checked by
 * `attachmentRefusal` or made by Buffer's encoder: nothing in them needs escaping in JSON.
 */
function mailLine(email: PackageEmail, contents: string[]): Buffer[] {
  if (contents.length === 0) return [Buffer.from(JSON.stringify(email))];
  const text = JSON.stringify({ ...email, attachments: email.attachments.map((file, i) => ({ ...file, content: `${CONTENT_MARK}${i}` })) });
  const parts: Buffer[] = [];
  let at = 0;
  contents.forEach((content, i) => {
    const mark = text.indexOf(`"${CONTENT_MARK}${i}"`, at);
    parts.push(Buffer.from(text.slice(at, mark + 1)), Buffer.from(content, 'latin1'));
    at = mark + 1 + CONTENT_MARK.length + String(i).length;
  });
  parts.push(Buffer.from(text.slice(at)));
  return parts;
}

const isMail = (value: unknown): value is PackageEmail => typeof (value as PackageEmail)?.messageId === 'string' && typeof (value as PackageEmail)?.at === 'number';

/**
 * The attachments' bytes of a mail in the store (from the record itself when the proxy did not keep it: a mail the
 * package stored alone). `wholeFile`, when given, reads a mail file at once for the many mails listed from it.
 */
function bytesOf(email: PackageEmail, wholeFile?: (file: string) => Buffer): Buffer[] {
  const where = attachmentBytes.get(email.messageId);
  if (!where) return email.attachments.map((file) => Buffer.from(file.content ?? '', 'base64'));
  if (Array.isArray(where)) return where;
  let line: Buffer;
  if (wholeFile) line = wholeFile(where.file).subarray(where.offset, where.offset + where.length);
  else {
    line = Buffer.alloc(where.length);
    const fd = openSync(where.file, 'r');
    try {
      readSync(fd, line, 0, where.length, where.offset);
    } finally {
      closeSync(fd);
    }
  }
  const kept = JSON.parse(line.toString('utf8')) as PackageEmail;
  if (kept.messageId !== email.messageId) throw new Error(`local SES: the mail file no longer holds ${email.messageId} where it was written`);
  return kept.attachments.map((file) => Buffer.from(file.content, 'base64'));
}

/** The stored mail with its attachments' bytes put back, for nodemailer (the viewer's .eml download). */
function withBytes(email: PackageEmail): PackageEmail {
  const bytes = bytesOf(email);
  return { ...email, attachments: email.attachments.map((file, i) => ({ ...file, content: bytes[i] as unknown as string })) };
}

/**
 * Starts `aws-ses-v2-local` (SES v1 and v2 APIs, and a mail viewer at its root) on 127.0.0.1, behind a small proxy
 * that reports each accepted SendEmail to `onAccepted` with the id the call returned.
 * A proxy rather than polling the package's store: the store keeps neither the configuration set nor the
 * tags, which the delivery events carry, and polling would add a delay and a loop to stop.
 * SES v2 SendEmail is handed to the package's own route handler in this process (its validation, its record in its
 * store) rather than over HTTP: a hop, Express, its body parser and a second JSON parse per mail were most of the
 * proxy's CPU in a month's run. The other routes (the viewer, SES v1, templates) go to the package over HTTP.
 * Its store is in memory and shared by every instance in one process, attachments aside (`attachmentBytes`); with
 * `dataDir`, accepted mails are also appended to `<dataDir>/ses-mail.jsonl` and put back in the viewer at the next
 * start. An instance's mails leave the store when it stops.
 * @example const ses = await startLocalSes(); process.env.AWS_ENDPOINT_URL_SESV2 = ses.endpoint;
 */
export async function startLocalSes(
  options: { port?: number; onAccepted?: (email: AcceptedEmail) => void; dataDir?: string } = {},
): Promise<LocalSes> {
  // The package's store lives in its module: mails kept in the data folder go back into it, and leave it at stop.
  const store = sesStore.getStoreReadonly();
  const mailFile = options.dataDir ? new JsonLinesAppender(join(options.dataDir, MAIL_FILE)) : undefined;
  const owned = new Set<string>();
  const known = new Set(store.emails.map((email) => email.messageId));
  for (const { value: email, offset, length } of mailFile ? readJsonLinesAt(mailFile.file, isMail) : []) {
    owned.add(email.messageId);
    if (known.has(email.messageId)) continue;
    known.add(email.messageId);
    if (email.attachments.length > 0) {
      attachmentBytes.set(email.messageId, { file: mailFile!.file, offset, length });
      email.attachments = email.attachments.map((file) => ({ ...file, content: '' }));
    }
    store.emails.push(email);
  }
  store.emails.sort((a, b) => a.at - b.at);
  const forget = () => {
    for (let i = store.emails.length - 1; i >= 0; i--) if (owned.has(store.emails[i]!.messageId)) store.emails.splice(i, 1);
    for (const messageId of owned) attachmentBytes.delete(messageId);
    owned.clear();
  };

  /**
   * Keeps a mail the package just stored: its attachments' bytes leave the store for the mail file (or memory), and
   * its line goes to the file before the caller hears it was sent, as the SMS outbox does.
   */
  const keep = async (email: PackageEmail, files: AttachmentRequest[] | undefined) => {
    owned.add(email.messageId);
    // The package stored the request without the attachments' bytes (the proxy checked them): the name, SES's type
    // (from the extension when none was given) and the size go in the record, the base64 in the file's line.
    const contents = files
      ? files.map((file) => file.RawContent as string)
      : email.attachments.map((file) => (typeof file.content === 'string' ? file.content : Buffer.from(file.content as Uint8Array).toString('base64')));
    email.attachments = email.attachments.map((stored, i) => {
      if (!files) return { ...stored, content: '' };
      const file = files[i]!;
      const extension = /\.([A-Za-z0-9]+)$/.exec(file.FileName as string)?.[1]?.toLowerCase() ?? '';
      const contentType = typeof file.ContentType === 'string' ? file.ContentType : (TYPE_OF_EXTENSION[extension] ?? 'application/octet-stream');
      return { ...stored, contentType, content: '', size: Buffer.byteLength(contents[i]!, 'base64') };
    });
    const inMemory = () => contents.length > 0 && attachmentBytes.set(email.messageId, contents.map((content) => Buffer.from(content, 'base64')));
    if (!mailFile) return void inMemory();
    try {
      const { offset, length } = await mailFile.appendParts(mailLine(email, contents));
      if (contents.length > 0) attachmentBytes.set(email.messageId, { file: mailFile.file, offset, length });
    } catch (error) {
      // Not on disk: the caller hears of it, and the viewer still has the files of the mail the package stored.
      inMemory();
      throw error;
    }
  };

  const upstreamPort = await freePort();
  const upstreamServer = await startSesServer({ host: '127.0.0.1', port: upstreamPort });
  // The package resolves even when listen fails (its callback swallows the error).
  if (!upstreamServer.listening) {
    throw new Error(`aws-ses-v2-local could not listen on 127.0.0.1:${upstreamPort}`);
  }
  // Its Express app (the server's request listener) answers a body it cannot read (malformed JSON, a charset it does not
  // know) through Express's final handler: a page with the error's stack trace, paths included, and the stack logged
  // (which quotes the body). An error handler of ours, last in its stack, answers `{ message }` instead, which the proxy
  // turns into SES's error.
  (upstreamServer.listeners('request')[0] as { use?: (handler: ExpressErrorHandler) => void } | undefined)?.use?.((error, _req, res, _next) => {
    const given = error?.status;
    const status = typeof given === 'number' && Number.isInteger(given) && given >= 400 && given < 600 ? given : 500;
    res.status(status).json({ message: error?.expose && typeof error.message === 'string' ? error.message : (STATUS_CODES[status] ?? 'Error') });
  });
  // node:http with kept-alive connections rather than fetch: undici's fetch (web streams, a Request and a Response per
  // call) was a tenth of the proxy's CPU in a month's run.
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const forward = (method: string, path: string, headers: Record<string, string>, body: Buffer | undefined) =>
    new Promise<{ status: number; contentType: string; body: Buffer }>((resolve, reject) => {
      const outgoing = request({ host: '127.0.0.1', port: upstreamPort, method, path, agent, headers: body ? { ...headers, 'content-length': String(body.length) } : headers }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => resolve({ status: answer.statusCode ?? 502, contentType: String(answer.headers['content-type'] ?? 'application/octet-stream'), body: Buffer.concat(chunks) }));
        answer.on('error', reject);
      });
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  const proxy = createServer(async (req, res) => {
    try {
      let body: Buffer;
      try {
        body = await readRequestBytes(req, MAX_REQUEST_BYTES);
      } catch (error) {
        if (!(error instanceof BodyTooLargeError)) throw error;
        // Read no further: the connection closes with the answer. No message SES takes comes near this size.
        const answer = { status: 413, type: 'MessageRejected', message: `Request body is larger than ${MAX_REQUEST_BYTES} bytes; a message may be ${MAX_MESSAGE_BYTES} bytes at most` };
        res.setHeader('connection', 'close');
        return req.headers['content-type']?.includes('x-www-form-urlencoded') ? queryError(res, answer) : awsError(res, answer);
      }
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([name, value]) => typeof value === 'string' && !['host', 'connection', 'content-length', 'transfer-encoding'].includes(name))) as Record<string, string>;
      const method = req.method ?? 'GET';
      const path = req.url?.split('?')[0] ?? '/';
      const download = method === 'GET' ? ATTACHMENT_PATH.exec(path) : null;
      if (download) return sendAttachment(res, store.emails, decodedOrNot(download[1]!), Number(download[2]));
      // HEAD too: the package's GET route would take it, and answer twice an id it does not know (an unhandled rejection).
      if ((method === 'GET' || method === 'HEAD') && path === EML_PATH) return await sendEml(res, store.emails, new URL(req.url ?? '/', 'http://local').searchParams.get('messageId'));
      // The package's v1 route answers SendEmail and SendRawEmail only, and leaves any other request hanging.
      const v1Action = method === 'POST' && path === '/' ? new URLSearchParams(body.toString('utf8')).get('Action') : undefined;
      if (v1Action !== undefined && !V1_ACTIONS.includes(v1Action ?? '')) {
        return queryError(res, { status: 400, type: 'InvalidAction', message: `The local SES does not support ${v1Action ? `the action ${v1Action}` : 'a request without an Action'} (SES v1 API)` });
      }
      if (v1Action === 'SendRawEmail' && !authenticationRefusal(req.headers)) {
        const unreadable = await rawMessageRefusal(new URLSearchParams(body.toString('utf8')).get('RawMessage.Data'));
        if (unreadable) return queryError(res, unreadable);
      }
      const sendEmail = method === 'POST' && path === SEND_EMAIL_PATH && /json/.test(req.headers['content-type'] ?? '') ? parseJson(body) : undefined;
      // The package takes attachments but checks neither their fields nor their base64, and its JSON parser stops at
      // 25 MB: the proxy checks them as SES does, and hands the package the request without their bytes.
      const files = sendEmail ? attachmentsOf(sendEmail) : undefined;
      const badAddress = sendEmail && typeof sendEmail === 'object' ? addressRefusal(sendEmail) : undefined;
      if (badAddress) return awsError(res, badAddress);
      if (files) {
        const refusal = attachmentRefusal(files, sendEmail!);
        if (refusal) return awsError(res, refusal);
      }
      if (sendEmail && typeof sendEmail === 'object' && (files || body.length <= PACKAGE_BODY_LIMIT)) {
        const unauthenticated = authenticationRefusal(req.headers);
        if (unauthenticated) return awsError(res, packageError(unauthenticated.status, unauthenticated.body));
        const unreadable = sendEmail.Content?.Simple ? undefined : await rawMessageRefusal(sendEmail.Content?.Raw?.Data);
        if (unreadable) return awsError(res, unreadable);
        const answer = await packageSendEmail(files ? withoutAttachmentBytes(sendEmail) : sendEmail);
        const messageId = answer.status === 200 ? (answer.body as { MessageId?: string }).MessageId : undefined;
        const email = messageId ? store.emails.findLast((candidate) => candidate.messageId === messageId) : undefined;
        if (email) await keep(email, files);
        if (answer.status >= 400) return awsError(res, packageError(answer.status, answer.body));
        answerJson(res, answer.status, answer.body);
        if (email) options.onAccepted?.(acceptedEmail(sendEmail, email.messageId));
        return;
      }
      const answer = await forward(method, req.url ?? '/', headers, method === 'GET' || method === 'HEAD' ? undefined : body);
      const ok = answer.status >= 200 && answer.status < 300;
      let text = answer.body;
      if (method === 'GET' && path === '/' && ok) text = Buffer.from(withDownloadLinks(text.toString('utf8')));
      // A SendEmail the package took over HTTP (not JSON, or a raw message over its parser's limit, which it refuses).
      const taken = sendEmail && ok ? (JSON.parse(text.toString('utf8')) as { MessageId?: string }).MessageId : undefined;
      const email = taken ? store.emails.findLast((candidate) => candidate.messageId === taken) : undefined;
      if (email) await keep(email, undefined);
      if (method === 'POST' && path === CLEAR_PATH && ok) {
        // The package emptied its store, every instance's mails with it.
        attachmentBytes.clear();
        owned.clear();
        await mailFile?.clear().catch(() => undefined);
      }
      // The package's errors carry their type in the body (or nowhere), and an unknown route gets an XML fragment: the
      // SDK reads neither, so they are answered as SES answers them (v2: `x-amzn-errortype`; v1: an XML ErrorResponse).
      if (!ok && path.startsWith(V2_PATH)) return awsError(res, packageError(answer.status, parseJson(text) ?? text.toString('utf8')));
      if (!ok && v1Action !== undefined) return queryError(res, packageError(answer.status, parseJson(text) ?? text.toString('utf8'), 'InvalidParameterValue'));
      res.writeHead(answer.status, { 'content-type': answer.contentType });
      res.end(text);
      if (email) options.onAccepted?.(acceptedEmail(sendEmail!, email.messageId));
    } catch (error) {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`local SES proxy: ${(error as Error).message}`);
    }
  });
  answerUnreadableRequests(proxy, unreadableSesAnswer, { name: 'ses' });
  try {
    await new Promise<void>((resolve, reject) => {
      proxy.once('error', reject);
      // Port 0 lets the system choose: no window in which another server takes the port.
      proxy.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
  } catch (error) {
    upstreamServer.close();
    agent.destroy();
    forget();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError(options.port ?? 0, 'ses');
    throw new Error(`the local SES could not listen on 127.0.0.1:${options.port} (${(error as NodeJS.ErrnoException).code})`);
  }
  const endpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const close = (server: Server) =>
    new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      // SDK clients keep connections alive; without this, close() waits for their idle timeout.
      server.closeAllConnections();
    });
  return {
    endpoint,
    viewerUrl: `${endpoint}/`,
    // Read in process: the package's GET /store would serialize every mail as JSON.
    async listEmails() {
      await mailFile?.settled();
      // A mail file is read once for all its mails, not once per mail.
      const files = new Map<string, Buffer>();
      const wholeFile = (file: string) => {
        if (!files.has(file)) files.set(file, readFileSync(file));
        return files.get(file)!;
      };
      return (store.emails as readonly StoredEmail[]).map((email) => {
        const bytes = email.attachments?.length ? bytesOf(email as unknown as PackageEmail, wholeFile) : [];
        return {
          messageId: email.messageId,
          from: email.from,
          to: email.destination.to,
          subject: email.subject,
          text: email.body.text,
          html: email.body.html,
          attachments: (email.attachments ?? []).map((file, i) => ({
            fileName: file.filename ?? '',
            contentType: file.contentType,
            ...(file.contentDisposition ? { disposition: file.contentDisposition.toLowerCase() } : {}),
            size: file.size,
            content: bytes[i]!,
          })),
          at: new Date(email.at * 1000).toISOString(),
        };
      });
    },
    stop: async () => {
      await close(proxy);
      agent.destroy();
      await close(upstreamServer);
      await mailFile?.close();
      forget();
    },
  };
}

/** The package's MIME parser (mailparser, as the package resolves it), which reads raw messages. */
const parseMime = (createRequire(createRequire(import.meta.url).resolve('aws-ses-v2-local'))('mailparser') as { simpleParser(source: Buffer): Promise<unknown> }).simpleParser;

/**
 * Why a raw message (base64) cannot be read, as SES refuses it (MessageRejected), or undefined. The package's raw
 * handlers do not catch their parser's failure (a message of over 1,000 MIME parts, a MIME header over 1 MB): a
 * rejection nothing handles, which ends the process, and a request never answered. The proxy parses it first with the
 * same parser; what is not a string is left to the package's own checks.
 */
async function rawMessageRefusal(data: unknown): Promise<AwsErrorAnswer | undefined> {
  if (typeof data !== 'string') return undefined;
  try {
    await parseMime(Buffer.from(data, 'base64'));
    return undefined;
  } catch (error) {
    return { status: 400, type: 'MessageRejected', message: `The raw message could not be parsed: ${error instanceof Error ? error.message : 'unreadable MIME'}` };
  }
}

/** The package's answer to a request its auth middleware refuses (it wants an AWS authorization header), or undefined. */
function authenticationRefusal(headers: IncomingHttpHeaders): { status: number; body: unknown } | undefined {
  const authorization = headers.authorization;
  if (!authorization) return { status: 403, body: { message: 'Missing Authentication Token', detail: 'aws-ses-v2-local: Must provide some type of authentication, even if only a mock access key' } };
  if (!authorization.startsWith('AWS')) return { status: 400, body: { message: 'Not Authorized', detail: 'aws-ses-v2-local: Authorization type must be AWS' } };
  return undefined;
}

/** Runs the package's SendEmail route on a parsed request, as Express would with its JSON body. */
function packageSendEmail(body: SendEmailRequest): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    let status = 200;
    const res = {
      status(code: number) {
        status = code;
        return res;
      },
      send(answer: unknown) {
        resolve({ status, body: answer });
        return res;
      },
    };
    try {
      sendEmailHandler({ body }, res, (error?: unknown) => reject(error ?? new Error('the package passed a SendEmail on')));
    } catch (error) {
      reject(error);
    }
  });
}

/** JSON as Express's `res.send(object)` answers it. */
function answerJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

interface SendEmailRequest {
  FromEmailAddress?: string;
  Destination?: { ToAddresses?: string[]; CcAddresses?: string[]; BccAddresses?: string[] };
  ReplyToAddresses?: string[];
  ConfigurationSetName?: string;
  EmailTags?: Array<{ Name: string; Value: string }>;
  Content?: {
    Simple?: { Subject?: { Data?: string }; Body?: { Text?: { Data?: string }; Html?: { Data?: string } }; Attachments?: AttachmentRequest[] };
    Raw?: { Data?: unknown };
    Template?: { Attachments?: AttachmentRequest[] };
  };
}

/** SES v2 `Attachment`, as the JSON request carries it (`RawContent` in base64). */
interface AttachmentRequest {
  FileName?: unknown;
  RawContent?: unknown;
  ContentType?: unknown;
  ContentDisposition?: unknown;
  ContentDescription?: unknown;
  ContentId?: unknown;
  ContentTransferEncoding?: unknown;
}

/** SES v2's limit on a message, attachments included, once base64-encoded (its quotas page: 40 MB). */
const MAX_MESSAGE_BYTES = 40_000_000;
/**
 * The proxy reads a request body up to this size, then answers 413 and closes: a message at SES's limit fits with
 * room for its JSON or its form encoding (`+` and `/` of a v1 raw message become three characters each).
 */
const MAX_REQUEST_BYTES = 64 * 1024 * 1024;
/**
 * Standard base64 with its padding: one scan for the alphabet (a repeated group would backtrack over 40 MB), then
 * `=` only in the last two places.
 */
const isBase64 = (text: string) => {
  if (text.length % 4 !== 0 || /[^A-Za-z0-9+/=]/.test(text)) return false;
  const pad = text.indexOf('=');
  return pad < 0 || (pad >= text.length - 2 && (pad === text.length - 1 || text[text.length - 1] === '='));
};
/** What SES puts as the type of a file sent without one, from its extension. */
const TYPE_OF_EXTENSION: Record<string, string> = {
  pdf: 'application/pdf',
  xml: 'application/xml',
  csv: 'text/csv',
  txt: 'text/plain',
  html: 'text/html',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  zip: 'application/zip',
};

/**
 * The request's JSON. Decoded as UTF-8, a 90 KB body with one accented letter becomes a two-byte string, slow to make
 * and to parse: it is parsed from its latin1 view instead (JSON's syntax is ASCII; other bytes only occur inside
 * strings), and the strings holding such bytes are decoded as UTF-8 afterwards. A body with `\u` escapes (which would
 * give the same characters as those bytes) is decoded as UTF-8 first, as before.
 */
const parseJson = (body: Buffer): SendEmailRequest | undefined => {
  try {
    if (isAscii(body) || body.indexOf('\\u') >= 0) return JSON.parse(body.toString(isAscii(body) ? 'latin1' : 'utf8')) as SendEmailRequest;
    return utf8Strings(JSON.parse(body.toString('latin1'))) as SendEmailRequest;
  } catch {
    return undefined;
  }
};

const NOT_ASCII = /[\x80-\xff]/;
/** The value parsed from a latin1 view, with each string (and key) holding non-ASCII bytes decoded as UTF-8. */
function utf8Strings(value: unknown): unknown {
  if (typeof value === 'string') return NOT_ASCII.test(value) ? Buffer.from(value, 'latin1').toString('utf8') : value;
  if (Array.isArray(value)) return value.map(utf8Strings);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [utf8Strings(key) as string, utf8Strings(item)]));
  return value;
}

const attachmentsOf = (request: SendEmailRequest): AttachmentRequest[] | undefined => request.Content?.Simple?.Attachments ?? request.Content?.Template?.Attachments;

interface AwsErrorAnswer {
  status: number;
  type: string;
  message: string;
}

/**
 * Whether SES would take this as an address: `local@domain`, or `Display Name <local@domain>`, with a local part and a
 * domain that are not empty and hold no spaces or control characters (SES v2 answers BadRequestException otherwise).
 */
function isAddress(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const angle = /<([^<>]*)>\s*$/.exec(value);
  const address = (angle ? angle[1]! : value).trim();
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  const plain = (text: string) => text !== '' && !/\s/.test(text) && ![...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
  return at > 0 && plain(local) && plain(domain) && !/[@<>()[\]\\,;:"]/.test(domain) && !domain.startsWith('.') && !domain.endsWith('.') && !domain.includes('..');
}

/** The first address of a SendEmail (sender, recipients, reply-to) that SES would refuse, as SES v2 refuses it. */
function addressRefusal(request: SendEmailRequest): AwsErrorAnswer | undefined {
  const destination = request.Destination && typeof request.Destination === 'object' ? request.Destination : {};
  const lists = [destination.ToAddresses, destination.CcAddresses, destination.BccAddresses, request.ReplyToAddresses];
  const addresses = [...(request.FromEmailAddress !== undefined ? [request.FromEmailAddress] : []), ...lists.flatMap((list) => (Array.isArray(list) ? list : []))];
  const bad = addresses.find((address) => !isAddress(address));
  return bad === undefined ? undefined : { status: 400, type: 'BadRequestException', message: `Invalid email address ${typeof bad === 'string' ? bad : ''}.` };
}

/** Why SES v2 would refuse these attachments (the `Attachment` shape of its API reference), or undefined. */
function attachmentRefusal(files: AttachmentRequest[], request: SendEmailRequest): AwsErrorAnswer | undefined {
  const bad = (message: string): AwsErrorAnswer => ({ status: 400, type: 'BadRequestException', message });
  const text = (value: unknown, min: number, max: number) => typeof value === 'string' && value.length >= min && value.length <= max;
  if (!Array.isArray(files)) return bad('Attachments must be a list');
  let encodedBytes = 0;
  for (const [i, file] of files.entries()) {
    const at = `Attachments[${i}]`;
    if (!text(file?.FileName, 1, 255)) return bad(`${at}.FileName is required (1 to 255 characters)`);
    if (typeof file.RawContent !== 'string' || !isBase64(file.RawContent)) return bad(`${at}.RawContent must be base64-encoded binary data`);
    if (file.ContentType !== undefined && !text(file.ContentType, 1, 78)) return bad(`${at}.ContentType must have 1 to 78 characters`);
    if (file.ContentDisposition !== undefined && !['ATTACHMENT', 'INLINE'].includes(file.ContentDisposition as string)) return bad(`${at}.ContentDisposition must be ATTACHMENT or INLINE`);
    if (file.ContentTransferEncoding !== undefined && !['BASE64', 'QUOTED_PRINTABLE', 'SEVEN_BIT'].includes(file.ContentTransferEncoding as string)) {
      return bad(`${at}.ContentTransferEncoding must be BASE64, QUOTED_PRINTABLE or SEVEN_BIT`);
    }
    if (file.ContentDescription !== undefined && !text(file.ContentDescription, 0, 1000)) return bad(`${at}.ContentDescription has at most 1000 characters`);
    if (file.ContentId !== undefined && !text(file.ContentId, 1, 78)) return bad(`${at}.ContentId must have 1 to 78 characters`);
    // In the message, base64 again, in lines of 76 characters and CRLF.
    encodedBytes += file.RawContent.length + Math.ceil(file.RawContent.length / 76) * 2;
  }
  const simple = request.Content?.Simple;
  const textBytes = Buffer.byteLength(`${simple?.Subject?.Data ?? ''}${simple?.Body?.Text?.Data ?? ''}${simple?.Body?.Html?.Data ?? ''}`);
  if (encodedBytes + textBytes > MAX_MESSAGE_BYTES) return { status: 400, type: 'MessageRejected', message: `Message length is more than ${MAX_MESSAGE_BYTES} bytes` };
  return undefined;
}

/** The request with each attachment's bytes left out (its size and type are kept by the proxy for the store). */
function withoutAttachmentBytes(request: SendEmailRequest): SendEmailRequest {
  const strip = (files: AttachmentRequest[] | undefined) => files?.map((file) => ({ ...file, RawContent: '' }));
  const content = request.Content!;
  return {
    ...request,
    Content: {
      ...content,
      ...(content.Simple ? { Simple: { ...content.Simple, Attachments: strip(content.Simple.Attachments) } } : {}),
      ...(content.Template ? { Template: { ...content.Template, Attachments: strip(content.Template.Attachments) } } : {}),
    },
  };
}

/**
 * An error answer of the package as SES names it: its `type` when it gave one, else by status (its 404 route for
 * unknown operations answers `<UnknownOperationException/>`, as text); the message is its `detail`, else its `message`.
 */
function packageError(status: number, body: unknown, badRequest = 'BadRequestException'): AwsErrorAnswer {
  if (typeof body === 'string') {
    // Express's error page (a body it could not read) says what went wrong in its <pre>.
    const page = /<pre>([^<]*)<\/pre>/.exec(body)?.[1];
    return /UnknownOperation/.test(body)
      ? { status: 404, type: 'UnknownOperationException', message: 'The local SES does not support this operation' }
      : { status, type: status === 404 ? 'NotFoundException' : badRequest, message: (page ?? body).slice(0, 200) };
  }
  const fields = (body && typeof body === 'object' ? body : {}) as { type?: unknown; message?: unknown; detail?: unknown };
  const byStatus = status === 403 ? 'MissingAuthenticationTokenException' : status === 404 ? 'NotFoundException' : status >= 500 ? 'InternalServiceErrorException' : badRequest;
  const type = typeof fields.type === 'string' && badRequest === 'BadRequestException' ? fields.type : byStatus;
  const text = typeof fields.detail === 'string' ? fields.detail.replace(/^aws-ses-v2-local: /, '') : fields.message;
  return { status, type, message: typeof text === 'string' ? text : type };
}

/** An error as SES v1's query protocol answers it (an XML ErrorResponse, which the SDK and the AWS CLI read). */
function queryError(res: ServerResponse, answer: AwsErrorAnswer): void {
  const xml = queryErrorXml(answer);
  res.writeHead(answer.status, { 'content-type': 'text/xml', 'content-length': String(Buffer.byteLength(xml)) });
  res.end(xml);
}

function queryErrorXml({ type, message }: Pick<AwsErrorAnswer, 'type' | 'message'>): string {
  const escape = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender</Type><Code>${escape(type)}</Code><Message>${escape(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
}

const UNREADABLE_MESSAGES: Record<UnreadableRequest['status'], string> = {
  400: 'The request could not be read as HTTP: a malformed request line, header or chunked body',
  408: 'The request did not arrive in time',
  413: 'The request body chunks carry too many extensions',
  431: 'The request headers are too large',
};

/**
 * A request Node's parser refused, answered in the shape of the API it was for when its request line could be read:
 * SES v1's XML `ErrorResponse` for a POST to `/` (`InvalidParameterValue`, as the proxy names the package's refusals
 * there), else SES v2's (`BadRequestException` in `x-amzn-errortype`, `{ message }`), the mail viewer's requests included.
 */
function unreadableSesAnswer({ status, method, path }: UnreadableRequest): UnreadableAnswer {
  const message = UNREADABLE_MESSAGES[status];
  if (method === 'POST' && path === '/') return { headers: { 'content-type': 'text/xml' }, body: queryErrorXml({ type: 'InvalidParameterValue', message }) };
  return { headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'BadRequestException' }, body: JSON.stringify({ message }) };
}

/** An error as SES v2's REST-JSON protocol answers it: the SDK reads its name from `x-amzn-errortype`. */
function awsError(res: ServerResponse, { status, type, message }: AwsErrorAnswer): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type });
  res.end(JSON.stringify({ message }));
}

/** A path segment decoded, or as it is when it is not valid percent-encoding (then it names nothing). */
function decodedOrNot(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** One attachment of a stored mail, with the headers that make a browser save it under its name. */
function sendAttachment(res: ServerResponse, emails: readonly PackageEmail[], messageId: string, index: number): void {
  const email = emails.find((candidate) => candidate.messageId === messageId);
  const file = email?.attachments[index];
  if (!file) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('Pièce jointe introuvable');
    return;
  }
  const bytes = bytesOf(email!)[index]!;
  const name = file.filename ?? `piece-jointe-${index + 1}`;
  // RFC 6266: an ASCII fallback, and the exact name in UTF-8.
  const ascii = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]|["\\]/g, '_');
  res.writeHead(200, {
    'content-type': file.contentType,
    'content-length': String(bytes.length),
    'content-disposition': `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`,
  });
  res.end(bytes);
}

/**
 * The viewer's .eml of a stored mail, as the package's route makes it, with the attachments' bytes put back (the
 * package's own route gave nodemailer their base64 as text).
 */
async function sendEml(res: ServerResponse, emails: readonly PackageEmail[], messageId: string | null): Promise<void> {
  if (!messageId) return answerJson(res, 400, { message: 'Bad since query param, expected single value' });
  const email = emails.find((candidate) => candidate.messageId === messageId);
  if (!email) return answerJson(res, 400, { message: 'Email not found within the store' });
  try {
    answerJson(res, 200, await createEmlContent(withBytes(email)));
  } catch (error) {
    answerJson(res, 400, { message: error instanceof Error ? error.message : String(error) });
  }
}

/** The package's viewer link to a file opens a nameless blob: it goes to the download route instead, same look. */
const VIEWER_ATTACHMENT_LINK = `e.attachments.map(a => '<a href="' + makeBlob(a.contentType, a.content) + '">'`;
function withDownloadLinks(html: string): string {
  return html.replace(VIEWER_ATTACHMENT_LINK, `e.attachments.map((a, i) => '<a download href="/attachments/' + encodeURIComponent(e.messageId) + '/' + i + '">'`);
}

function acceptedEmail(request: SendEmailRequest, messageId: string): AcceptedEmail {
  const destination = request.Destination ?? {};
  return {
    messageId,
    from: request.FromEmailAddress ?? '',
    to: [...(destination.ToAddresses ?? []), ...(destination.CcAddresses ?? []), ...(destination.BccAddresses ?? [])],
    ...(request.ConfigurationSetName ? { configurationSetName: request.ConfigurationSetName } : {}),
    tags: Object.fromEntries((request.EmailTags ?? []).map((tag) => [tag.Name, tag.Value])),
    at: new Date().toISOString(),
  };
}

/**
 * What happens to a message to this address locally, after the SES mailbox simulator: its bounce and
 * complaint addresses, and any address at the reserved `bounce.test` / `complaint.test` domains.
 */
export function simulatedOutcome(address: string): 'delivered' | 'bounced' | 'complained' {
  const lower = address.toLowerCase().replace(/^.*</, '').replace(/>.*$/, '');
  if (lower === 'bounce@simulator.amazonses.com' || lower.endsWith('@bounce.test')) return 'bounced';
  if (lower === 'complaint@simulator.amazonses.com' || lower.endsWith('@complaint.test')) return 'complained';
  return 'delivered';
}

/**
 * The events SES would publish to EventBridge for an accepted message, with the configuration set's
 * automatic tags: 'Email Delivered' for delivered recipients (complaints come after a delivery), then
 * 'Email Bounced' (Permanent) and 'Email Complaint Received' for the simulated ones.
 */
export function sesDeliveryEvents(email: AcceptedEmail, now = new Date()): BusEvent[] {
  if (!email.configurationSetName) return [];
  const at = now.toISOString();
  const mail = {
    timestamp: email.at,
    source: email.from,
    messageId: email.messageId,
    destination: email.to,
    headersTruncated: false,
    tags: {
      ...Object.fromEntries(Object.entries(email.tags).map(([name, value]) => [name, [value]])),
      'ses:configuration-set': [email.configurationSetName],
      'ses:from-domain': [email.from.replace(/^.*@/, '').replace(/>.*$/, '')],
    },
  };
  const envelope = (detailType: string, detail: Record<string, unknown>): BusEvent => ({ 'detail-type': detailType, source: 'aws.ses', time: at, resources: [], detail: { mail, ...detail } });
  const byOutcome = (outcome: ReturnType<typeof simulatedOutcome>) => email.to.filter((address) => simulatedOutcome(address) === outcome);
  const events: BusEvent[] = [];
  const delivered = [...byOutcome('delivered'), ...byOutcome('complained')];
  if (delivered.length > 0) {
    events.push(envelope('Email Delivered', { eventType: 'Delivery', delivery: { timestamp: at, recipients: delivered, processingTimeMillis: 120, smtpResponse: '250 2.0.0 OK', reportingMTA: 'local-ses' } }));
  }
  const bounced = byOutcome('bounced');
  if (bounced.length > 0) {
    events.push(
      envelope('Email Bounced', {
        eventType: 'Bounce',
        bounce: {
          bounceType: 'Permanent',
          bounceSubType: 'General',
          bouncedRecipients: bounced.map((emailAddress) => ({ emailAddress, action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' })),
          timestamp: at,
          feedbackId: randomUUID(),
          reportingMTA: 'dns; local-ses',
        },
      }),
    );
  }
  const complained = byOutcome('complained');
  if (complained.length > 0) {
    events.push(
      envelope('Email Complaint Received', {
        eventType: 'Complaint',
        complaint: { complainedRecipients: complained.map((emailAddress) => ({ emailAddress })), timestamp: at, feedbackId: randomUUID(), complaintFeedbackType: 'abuse' },
      }),
    );
  }
  return events;
}
