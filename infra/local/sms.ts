import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { JsonLinesAppender, readJsonLines } from './json-lines.js';
import { escapeHtml } from './console/html.js';

export interface SmsRecord {
  messageId: string;
  at: string;
  destination: string;
  origination?: string;
  configurationSet?: string;
  body: string;
  messageType?: string;
  segments: number;
  /** How the provider encodes the text: GSM (7-bit alphabet) or UCS2. */
  encoding?: 'GSM' | 'UCS2';
  context?: Record<string, string>;
}

/** Counts what a provider bills for a text; the app passes its own (its GSM-7 rules), else `roughSmsSegments`. */
export type SmsSegmentCounter = (body: string) => { segments: number; encoding: 'GSM' | 'UCS2' };

/**
 * A rough default: printable ASCII (less a few characters outside the GSM alphabet) as GSM, 160 a message or 153
 * a part; anything else as UCS2, 70 or 67 (code units). An app with its own rules passes `segments`.
 */
export const roughSmsSegments: SmsSegmentCounter = (body) => {
  const gsm = /^[\n\r\x20-\x7e]*$/.test(body) && !/[`]/.test(body);
  const [single, part] = gsm ? [160, 153] : [70, 67];
  return { encoding: gsm ? 'GSM' : 'UCS2', segments: body.length <= single ? 1 : Math.ceil(body.length / part) };
};

/** What End User Messaging SMS publishes to a number's two-way SNS topic for each SMS received. */
export interface InboundSmsPayload {
  originationNumber: string;
  destinationNumber: string;
  messageKeyword: string;
  messageBody: string;
  inboundMessageId: string;
  previousPublishedMessageId?: string;
}

const OUTBOX_FILE = 'sms-outbox.jsonl';
const E164 = /^\+[1-9][0-9]{1,14}$/;
/** SendTextMessage's documented limit on MessageBody. */
const MAX_BODY_CHARS = 1600;

/**
 * A local AWS End User Messaging SMS (pinpoint-sms-voice-v2): SendTextMessage lands in an outbox,
 * kept on disk as JSON lines when `dataDir` is given, readable as an HTML page or JSON.
 * @example const sms = new LocalSms({ dataDir: '.local/data' }); await sms.handleJson('SendTextMessage', { DestinationPhoneNumber: '+33612345678', MessageBody: 'Bonjour' });
 */
export class LocalSms {
  /** The outbox on disk, appended in the order of the sends. */
  private readonly outbox: JsonLinesAppender | undefined;
  private readonly records: SmsRecord[] = [];

  private readonly onSent: ((record: SmsRecord) => void) | undefined;
  private readonly onInbound: ((reply: InboundSmsPayload) => Promise<{ failed: number }>) | undefined;
  private readonly replies: InboundSmsPayload[] = [];
  private readonly countSegments: SmsSegmentCounter;
  private readonly callingCodes: readonly string[] | undefined;

  /**
   * `onSent` hears of each message put in the outbox (not of dry runs), for the delivery events that follow;
   * `onInbound` gets the replies simulated on POST <base>/inbound, as the two-way SNS payload;
   * `segments` counts the parts of each text (default `roughSmsSegments`).
   */
  constructor(
    options: {
      dataDir?: string;
      onSent?: (record: SmsRecord) => void;
      onInbound?: (reply: InboundSmsPayload) => Promise<{ failed: number }>;
      segments?: SmsSegmentCounter;
      /** Country calling codes the sender may text (e.g. `['33']`); others are refused as AWS refuses a blocked country. Default: all. */
      callingCodes?: readonly string[];
    } = {},
  ) {
    this.countSegments = options.segments ?? roughSmsSegments;
    this.callingCodes = options.callingCodes;
    this.onSent = options.onSent;
    this.onInbound = options.onInbound;
    this.outbox = options.dataDir ? new JsonLinesAppender(join(options.dataDir, OUTBOX_FILE)) : undefined;
    if (this.outbox) this.records.push(...loadOutbox(this.outbox.file));
  }

  async handleJson(operation: string, body: unknown): Promise<{ status: number; body: unknown }> {
    if (operation !== 'SendTextMessage') {
      return { status: 400, body: { __type: 'UnknownOperationException', message: `The local SMS service does not support ${operation}` } };
    }
    const input = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const invalid = validateSendTextMessage(input);
    if (invalid) return { status: 400, body: invalid };
    const destination = input.DestinationPhoneNumber as string;
    if (this.callingCodes && !this.callingCodes.some((code) => destination.startsWith(`+${code}`))) {
      return { status: 400, body: { ...validationError('DestinationPhoneNumber', 'The destination country is not enabled for this account'), Reason: 'DESTINATION_COUNTRY_BLOCKED' } };
    }
    const messageId = randomUUID();
    // DryRun checks the request without sending, as on AWS.
    if (input.DryRun === true) return { status: 200, body: { MessageId: messageId } };
    const messageBody = input.MessageBody as string;
    const record: SmsRecord = {
      messageId,
      at: new Date().toISOString(),
      destination: input.DestinationPhoneNumber as string,
      body: messageBody,
      ...this.countSegments(messageBody),
    };
    if (typeof input.OriginationIdentity === 'string') record.origination = input.OriginationIdentity;
    if (typeof input.ConfigurationSetName === 'string') record.configurationSet = input.ConfigurationSetName;
    if (typeof input.MessageType === 'string') record.messageType = input.MessageType;
    if (input.Context && typeof input.Context === 'object') record.context = input.Context as Record<string, string>;
    this.records.push(record);
    await this.outbox?.append(record);
    this.onSent?.(record);
    return { status: 200, body: { MessageId: messageId } };
  }

  /** The outbox, newest first. */
  list(): SmsRecord[] {
    return [...this.records].reverse();
  }

  /**
   * A phone texting our number: the reply End User Messaging SMS would publish to the two-way topic,
   * answering the last message sent to that number.
   * @example await sms.reply('+33612345678', 'STOP')
   */
  async reply(from: string, body: string): Promise<{ payload: InboundSmsPayload; failed: number }> {
    const answered = this.records.findLast((r) => r.destination === from);
    const payload: InboundSmsPayload = {
      originationNumber: from,
      destinationNumber: answered?.origination ?? 'LOCAL',
      messageKeyword: body.trim().split(/\s+/)[0]?.toUpperCase() ?? '',
      messageBody: body,
      inboundMessageId: randomUUID(),
      ...(answered ? { previousPublishedMessageId: answered.messageId } : {}),
    };
    this.replies.push(payload);
    const { failed } = this.onInbound ? await this.onInbound(payload) : { failed: 0 };
    return { payload, failed };
  }

  /** GET <base>/ is the outbox page, GET <base>/messages.json the JSON list, POST <base>/inbound simulates a reply; returns false when the path is not its own. */
  async handle(req: IncomingMessage, res: ServerResponse, basePath: string): Promise<boolean> {
    const base = basePath.replace(/\/+$/, '');
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === `${base}/inbound`) {
      await this.handleInbound(req, res);
      return true;
    }
    const isPage = path === base || path === `${base}/`;
    const isJson = path === `${base}/messages.json`;
    if (!isPage && !isJson) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('Méthode non autorisée');
      return true;
    }
    const payload = isJson ? JSON.stringify(this.list()) : outboxPage(this.list());
    res.writeHead(200, {
      'content-type': isJson ? 'application/json; charset=utf-8' : 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : payload);
    return true;
  }

  /** POST <base>/inbound with JSON `{ "from": "+336...", "body": "STOP" }` or the page's form. */
  private async handleInbound(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST', 'content-type': 'text/plain; charset=utf-8' }).end('Méthode non autorisée');
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const isForm = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
    let fields: Record<string, unknown> = {};
    try {
      fields = isForm ? Object.fromEntries(new URLSearchParams(raw)) : (JSON.parse(raw || '{}') as Record<string, unknown>);
    } catch {
      fields = {};
    }
    const from = typeof fields.from === 'string' ? fields.from.replace(/[\s.]/g, '') : '';
    const body = typeof fields.body === 'string' ? fields.body : '';
    if (!E164.test(from) || body.trim() === '') {
      res.writeHead(400, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ message: 'from (E.164) et body sont obligatoires.' }));
      return;
    }
    const { payload, failed } = await this.reply(from, body);
    if (isForm) {
      res.writeHead(303, { location: new URL('./', `http://localhost${req.url}`).pathname }).end();
      return;
    }
    res.writeHead(failed > 0 ? 502 : 202, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ inboundMessageId: payload.inboundMessageId, failed }));
  }
}

/**
 * Numbers reserved for tests, whose messages locally never reach the phone: French mobiles
 * +33 6 99 99 9x xx (E.164 `+33699999` and three digits). Every other number is delivered.
 */
export const UNREACHABLE_TEST_NUMBERS = /^\+33699999\d{3}$/;

/**
 * The delivery event End User Messaging SMS would publish to a configuration set's event destinations for
 * this message: TEXT_DELIVERED, or TEXT_UNREACHABLE for the numbers reserved for tests.
 */
export function smsDeliveryEvent(record: SmsRecord, now = new Date()): Record<string, unknown> {
  const unreachable = UNREACHABLE_TEST_NUMBERS.test(record.destination);
  return {
    eventType: unreachable ? 'TEXT_UNREACHABLE' : 'TEXT_DELIVERED',
    eventVersion: '1.0',
    eventTimestamp: now.getTime(),
    isFinal: true,
    originationPhoneNumber: record.origination ?? '',
    destinationPhoneNumber: record.destination,
    isoCountryCode: record.destination.startsWith('+33') ? 'FR' : '',
    isInternationalSend: false,
    messageId: record.messageId,
    messageRequestTimestamp: Date.parse(record.at),
    messageEncoding: record.encoding ?? roughSmsSegments(record.body).encoding,
    messageType: record.messageType ?? 'TRANSACTIONAL',
    messageStatus: unreachable ? 'UNREACHABLE' : 'DELIVERED',
    messageStatusDescription: unreachable ? 'The destination phone number is unreachable' : 'Message has been delivered to the handset',
    ...(record.context ? { context: record.context } : {}),
    totalMessageParts: record.segments,
  };
}

function validationError(field: string, message: string): { __type: string; message: string; Reason: string; Fields: Array<{ Name: string; Message: string }> } {
  return {
    __type: 'ValidationException',
    message: `1 validation error detected: Value at '${field}' failed to satisfy constraint: ${message}`,
    Reason: 'FIELD_VALIDATION_FAILED',
    Fields: [{ Name: field, Message: message }],
  };
}

function validateSendTextMessage(input: Record<string, unknown>): ReturnType<typeof validationError> | undefined {
  if (typeof input.DestinationPhoneNumber !== 'string' || !E164.test(input.DestinationPhoneNumber)) {
    return validationError('DestinationPhoneNumber', 'Member must be a phone number in E.164 format (+ then 2 to 15 digits)');
  }
  if (typeof input.MessageBody !== 'string' || input.MessageBody.length === 0 || input.MessageBody.length > MAX_BODY_CHARS) {
    return validationError('MessageBody', `Member must have length between 1 and ${MAX_BODY_CHARS}`);
  }
  if (input.MessageType !== undefined && input.MessageType !== 'TRANSACTIONAL' && input.MessageType !== 'PROMOTIONAL') {
    return validationError('MessageType', 'Member must satisfy enum value set: [TRANSACTIONAL, PROMOTIONAL]');
  }
  for (const field of ['OriginationIdentity', 'ConfigurationSetName'] as const) {
    const value = input[field];
    if (value !== undefined && (typeof value !== 'string' || value.length === 0 || value.length > 256)) {
      return validationError(field, 'Member must have length between 1 and 256');
    }
  }
  const ttl = input.TimeToLive;
  if (ttl !== undefined && (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 5 || ttl > 259_200)) {
    return validationError('TimeToLive', 'Member must have value between 5 and 259200');
  }
  const context = input.Context;
  if (context !== undefined && (!context || typeof context !== 'object' || Object.values(context).some((v) => typeof v !== 'string') || Object.keys(context).length > 5)) {
    return validationError('Context', 'Member must be a map of at most 5 string values');
  }
  return undefined;
}

/** Reads the outbox file (a torn last line is skipped). */
function loadOutbox(file: string): SmsRecord[] {
  return readJsonLines(file, (value): value is SmsRecord => typeof (value as SmsRecord)?.messageId === 'string' && typeof (value as SmsRecord)?.body === 'string');
}

const PARIS_TIME = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'short', timeStyle: 'medium' });


function outboxPage(records: SmsRecord[]): string {
  const rows = records
    .map(
      (r) => `<tr>
<td><time datetime="${escapeHtml(r.at)}">${escapeHtml(PARIS_TIME.format(new Date(r.at)))}</time></td>
<td>${escapeHtml(r.destination)}</td>
<td>${escapeHtml(r.origination ?? '—')}</td>
<td class="body">${escapeHtml(r.body)}</td>
<td>${r.segments}</td>
</tr>`,
    )
    .join('\n');
  const content =
    records.length === 0
      ? '<p>Aucun SMS envoyé pour le moment.</p>'
      : `<table>
<caption>${records.length} SMS, du plus récent au plus ancien (heure de Paris)</caption>
<thead><tr><th scope="col">Date</th><th scope="col">Destinataire</th><th scope="col">Expéditeur</th><th scope="col">Message</th><th scope="col">Segments</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
  return `<!doctype html>
<html lang="fr">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="30">
<title>Boîte d'envoi SMS (environnement local)</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1f24;line-height:1.5}
table{border-collapse:collapse;width:100%}caption{text-align:left;margin-bottom:.5rem;color:#4a5260}
th,td{border:1px solid #c9ced6;padding:.5rem;text-align:left;vertical-align:top}th{background:#eef2fb}
.body{white-space:pre-wrap;overflow-wrap:anywhere}</style>
</head>
<body><main>
<h1>Boîte d'envoi SMS</h1>
<p>Les SMS envoyés par l’environnement local ne partent pas : ils sont conservés ici. La page se met à jour toutes les 30 secondes.</p>
<form method="post" action="inbound" class="reply">
<h2>Simuler une réponse</h2>
<p>Comme si ce numéro répondait au dernier SMS reçu : STOP le désinscrit des SMS, START le réinscrit.</p>
<label for="reply-from">Numéro (format international)</label> <input id="reply-from" name="from" type="tel" required placeholder="+33612345678">
<label for="reply-body">Texte</label> <input id="reply-body" name="body" required value="STOP">
<button type="submit">Envoyer la réponse</button>
</form>
${content}
</main></body>
</html>
`;
}
