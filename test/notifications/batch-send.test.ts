import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHash, randomUUID } from 'node:crypto';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { useMessagingAndDocuments } from '../support/messaging.js';
import { individual, issueOneInvoice, seedActivity } from '../support/invoicing.js';
import { db } from '../../shared/data/client.js';
import { outboxPuts, type OutboxMessage } from '../../shared/data/outbox.js';
import { hashToken } from '../../shared/data/personal-links.js';
import { MESSAGE_LINK_TOKEN_PATTERN } from '../../shared/domain/personal-links.js';
import { getInvoice } from '../../shared/data/invoicing/invoices.js';
import { invoiceHistory, invoiceMailCause } from '../../shared/domain/invoicing/run.js';
import { invoiceOutboxOwner, invoicePdfKey } from '../../shared/domain/invoicing/records.js';
import { sendInvoices } from '../../shared/invoicing/run-steps.js';
import { sendPendingNotifications, writeAndSendNotifications, type OutboxWrite } from '../../shared/notifications/sender.js';
import { putObject, readObject } from '../../shared/storage/objects.js';
import { keys } from '../../shared/keys.js';
import { invocationTime } from '../../shared/invocation.js';

/**
 * The messages a batch writes (the invoicing run's e-mails) claimed and marked sent in shared transactions: DynamoDB
 * Local, the local SES and the local S3, reached by the real clients. The requests are counted on the DynamoDB client
 * the code uses (`db()`, a middleware that sees each request before it goes), which also lets a test act at that moment.
 */
const local = useMessagingAndDocuments();
const NOON = new Date('2027-04-01T10:00:00Z');
/** A time come: messages held back until then are due, but not written claimed. */
const HELD_UNTIL = '2027-04-01T09:59:00.000Z';

type Seen = { operation: string; input: { UpdateExpression?: string; TransactItems?: Array<{ Update?: { UpdateExpression?: string; Key?: Record<string, string> } }> } };

/** A shared or single claim, a mark of several messages or of one (`markSent`, or a group of one), or anything else. */
function kindOf({ operation, input }: Seen): string {
  const first = operation === 'TransactWriteItems' ? input.TransactItems?.[0]?.Update?.UpdateExpression : input.UpdateExpression;
  const what = first?.startsWith('SET leaseId = :lease') ? 'claim' : first?.startsWith('SET #status = :sent') ? 'mark' : undefined;
  if (!what) return operation;
  return operation === 'TransactWriteItems' && (what === 'claim' || (input.TransactItems?.filter((item) => item.Update?.UpdateExpression?.startsWith('SET #status = :sent')).length ?? 0) > 1) ? `shared ${what}` : `${what}`;
}

const taps: Array<() => void> = [];
afterEach(() => {
  taps.splice(0).forEach((stop) => stop());
  vi.restoreAllMocks();
});

/**
 * Records the requests sent on `db()` from now on. `before` runs before one goes (its own requests are recorded too),
 * `after` once it has been answered (what it throws replaces the answer: an answer lost on the way back).
 */
function tapDb(before?: (seen: Seen) => Promise<void>, after?: (seen: Seen) => void) {
  const seen: Seen[] = [];
  const name = `tap-${randomUUID()}`;
  db().middlewareStack.add(
    (next, context) => async (args) => {
      const request = { operation: (context.commandName ?? '').replace(/Command$/, ''), input: args.input as Seen['input'] };
      seen.push(request);
      await before?.(request);
      const result = await next(args);
      after?.(request);
      return result;
    },
    { step: 'initialize', name },
  );
  taps.push(() => db().middlewareStack.remove(name));
  const count = (kind: string) => seen.filter((request) => kindOf(request) === kind).length;
  return { seen, count };
}

const mailsTo = async (to: string) => (await local().ses.listEmails()).filter((mail) => mail.to.includes(to));
const read = async (personId: string, notificationId: string) =>
  (await local().doc.send(new GetCommand({ TableName: local().table, Key: keys.notification(personId, notificationId), ConsistentRead: true }))).Item as OutboxMessage | undefined;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * `n` causes of one e-mail each, as a batch of the run writes them. Due now, they are written already claimed; with
 * `heldUntil` (a time come), they are written as held back until then, and claimed after the write, together.
 */
function batch(n: number, options: { heldUntil?: string } = {}) {
  const run = randomUUID();
  return Array.from({ length: n }, (_, i) => {
    const personId = `customer-${run}-${i}`;
    const cause = `batch#${run}#${i}`;
    const to = `client-${i}-${run}@example.org`;
    const items = outboxPuts(local().table, personId, cause, [{ kind: 'test', role: 'young', channel: 'email', to, subject: 'Sujet', body: 'Bonjour' }], NOON.toISOString(), options.heldUntil ? { notBefore: options.heldUntil } : {});
    return { write: { cause, items } as OutboxWrite, personId, to, notificationId: `${cause}#young#email` };
  });
}

/** `n` issued invoices of one activity, each to its own address (one after the other: a drafting locks the month). */
async function issuedInvoices(n: number) {
  const activityId = await seedActivity(local().doc, local().table);
  const invoices = [];
  for (let i = 0; i < n; i++) {
    const email = `facturation-${i}-${randomUUID()}@example.org`;
    const { invoiceId } = await issueOneInvoice(local().doc, local().table, { grossCents: 1_000 + i, dueDate: '2029-03-01', activityId, customer: { ...individual(), email } });
    invoices.push({ invoiceId, email, personId: invoiceOutboxOwner(invoiceId), notificationId: `${invoiceMailCause(invoiceId)}#customer#email` });
  }
  return invoices;
}

describe('a batch of fresh messages', () => {
  it('is written already claimed when due now: a writer that dies after the write leaves each message to the dispatcher once its lease ends, sent once', async () => {
    const messages = batch(20);
    // The write goes through, then the writer dies (its answer never comes back): nothing is sent by it.
    tapDb(undefined, (request) => {
      if (request.operation === 'TransactWriteItems' && request.input.TransactItems!.length === 20) throw Object.assign(new Error('killed'), { name: 'Killed' });
    });
    await expect(writeAndSendNotifications(messages.map((m) => m.write), 8, NOON)).rejects.toThrow('killed');
    taps.splice(0).forEach((stop) => stop());
    const written = (await read(messages[0]!.personId, messages[0]!.notificationId))!;
    expect(written).toMatchObject({ status: 'pending', attempts: 1, leaseId: expect.any(String) });
    expect(written.leaseUntil! > NOON.toISOString()).toBe(true);
    // Claimed by the dead writer: the dispatcher leaves it alone until the lease ends, then sends it once.
    expect(await sendPendingNotifications(messages[0]!.personId, messages[0]!.write.cause, NOON)).toMatchObject({ sent: 0, retryLater: 1 });
    const later = new Date(Date.parse(written.leaseUntil!) + 1000);
    for (const { personId, write, to } of messages) {
      expect(await sendPendingNotifications(personId, write.cause, later)).toMatchObject({ sent: 1 });
      expect(await mailsTo(to)).toHaveLength(1);
      expect(await read(personId, `${write.cause}#young#email`)).toMatchObject({ status: 'sent', attempts: 2 });
    }
  });

  /** Writes and sends a batch, and checks each message went once, marked sent at its first attempt, its lease gone. */
  async function sendBatchOnce(messages: ReturnType<typeof batch>) {
    const tap = tapDb();
    const counts = await writeAndSendNotifications(
      messages.map((m) => m.write),
      8,
      NOON,
    );
    expect(counts.every((c) => c.sent === 1)).toBe(true);
    for (const { to, personId, notificationId } of messages) {
      const [mail, ...others] = await mailsTo(to);
      expect(others).toEqual([]);
      const message = await read(personId, notificationId);
      expect(message).toMatchObject({ status: 'sent', providerMessageId: mail!.messageId, attempts: 1 });
      expect(message).not.toHaveProperty('leaseId');
    }
    return tap;
  }

  it('due now: is written claimed, sent and marked in a few requests with no claim of its own', async () => {
    const tap = await sendBatchOnce(batch(50));
    expect(tap.count('shared claim') + tap.count('claim')).toBe(0);
    expect(tap.count('shared mark') + tap.count('mark')).toBeLessThanOrEqual(20);
    expect(tap.count('GetItem')).toBe(0);
  });

  it('held back until a time come: is claimed in one request and marked sent in a few, where a claim and a mark each made two requests a message', async () => {
    const messages = batch(50, { heldUntil: HELD_UNTIL });
    const tap = await sendBatchOnce(messages);
    const claims = tap.count('shared claim') + tap.count('claim');
    const marks = tap.count('shared mark') + tap.count('mark');
    console.info(`50 fresh messages: ${tap.seen.length} DynamoDB requests, ${claims} for the claims and ${marks} for the marks`);
    expect(tap.count('shared claim')).toBe(1);
    expect(tap.count('claim')).toBe(0);
    // Each message in one mark request (a group of one, which the timer may flush, looks like a mark of its own).
    const markedIn = (sk: string) => tap.seen.filter((r) => kindOf(r).endsWith('mark') && r.input.TransactItems!.some((item) => item.Update?.Key?.sk === sk)).length;
    expect(messages.map((m) => markedIn(keys.notification(m.personId, m.notificationId).sk))).toEqual(messages.map(() => 1));
    // A mark each 25 deliveries at most, or when no delivery is under way, or 100 ms after the first waiting one (how
    // many deliveries that is depends on the machine's speed: 4 to 7 marks here), against 100 requests before.
    expect(marks).toBeGreaterThanOrEqual(2);
    expect(claims + marks).toBeLessThanOrEqual(20);
    expect(tap.count('GetItem')).toBe(0);
  });

  it('falls back to a claim each when another sender claimed one meanwhile: that one goes once, by the other sender, the others go', async () => {
    const messages = batch(30, { heldUntil: HELD_UNTIL });
    const taken = messages[7]!;
    let otherSender: Promise<unknown> | undefined;
    const tap = tapDb(async (request) => {
      if (otherSender || kindOf(request) !== 'shared claim') return;
      // The dispatcher, or the step's retry, claims and sends one of them between the write and the shared claim.
      otherSender = sendPendingNotifications(taken.personId, taken.write.cause, NOON);
      expect(await otherSender).toMatchObject({ sent: 1 });
    });
    const counts = await writeAndSendNotifications(
      messages.map((m) => m.write),
      8,
      NOON,
    );
    expect(otherSender).toBeDefined();
    expect(counts[7]).toEqual({ sent: 0, alreadySent: 0, deferred: 0, failed: 0, retryLater: 1 });
    expect(counts.filter((_, i) => i !== 7).every((c) => c.sent === 1)).toBe(true);
    for (const { to, personId, notificationId } of messages) {
      const [mail, ...others] = await mailsTo(to);
      expect(others).toEqual([]);
      expect(await read(personId, notificationId)).toMatchObject({ status: 'sent', providerMessageId: mail!.messageId, attempts: 1 });
    }
    // The shared claim was refused whole; each message then claimed on its own (the other sender's claim too).
    expect(tap.count('shared claim')).toBe(1);
    expect(tap.count('claim')).toBe(31);
  });

  it('takes a shared claim whose answer was lost for its own: each message claimed again under its lease id, sent once', async () => {
    const messages = batch(10, { heldUntil: HELD_UNTIL });
    let lost = false;
    const tap = tapDb(undefined, (request) => {
      if (lost || kindOf(request) !== 'shared claim') return;
      lost = true;
      throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    });
    const counts = await writeAndSendNotifications(
      messages.map((m) => m.write),
      8,
      NOON,
    );
    expect(lost).toBe(true);
    expect(counts.every((c) => c.sent === 1)).toBe(true);
    // Each single claim found the message held by the lease the shared one wrote, and read it back.
    expect(tap.count('claim')).toBe(10);
    expect(tap.count('GetItem')).toBe(10);
    for (const { to, personId, notificationId } of messages) {
      expect(await mailsTo(to)).toHaveLength(1);
      expect(await read(personId, notificationId)).toMatchObject({ status: 'sent', attempts: 1 });
    }
  });

  it('hands a claimed message back, due at once, when too little of the invocation is left for its delivery and mark', async () => {
    const messages = batch(5, { heldUntil: HELD_UNTIL });
    let left = 60_000;
    invocationTime().before({ context: { getRemainingTimeInMillis: () => left } as never });
    try {
      tapDb(undefined, (request) => {
        if (kindOf(request) === 'shared claim') left = 3_000;
      });
      const counts = await writeAndSendNotifications(
        messages.map((m) => m.write),
        8,
        NOON,
      );
      expect(counts.every((c) => c.retryLater === 1 && c.sent === 0)).toBe(true);
    } finally {
      invocationTime().after();
    }
    for (const { to, personId, notificationId } of messages) {
      expect(await mailsTo(to)).toEqual([]);
      const message = (await read(personId, notificationId))!;
      expect(message).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: NOON.toISOString() });
      expect(message).not.toHaveProperty('leaseId');
    }
    // The dispatcher sends them.
    expect(await sendPendingNotifications(messages[0]!.personId, messages[0]!.write.cause, NOON)).toMatchObject({ sent: 1 });
  });

  it('marks each delivered message once when the shared mark is refused (one lease lost, its message marked by the sender that took it over)', async () => {
    const invoices = await issuedInvoices(6);
    const lost = { ...invoices[0]!, at: '' };
    const tap = tapDb(async (request) => {
      if (lost.at || !kindOf(request).endsWith('mark')) return;
      const first = request.input.TransactItems!.find((item) => item.Update?.UpdateExpression?.startsWith('SET #status = :sent'))!.Update!.Key!;
      const invoice = invoices.find((i) => keys.notification(i.personId, i.notificationId).pk === first.pk)!;
      Object.assign(lost, invoice);
      // Its lease ran out during the provider call; the sender that claimed it next sent it and recorded it first.
      lost.at = new Date().toISOString();
      await local().doc.send(
        new UpdateCommand({
          TableName: local().table,
          Key: keys.notification(lost.personId, lost.notificationId),
          UpdateExpression: 'SET #status = :sent, sentAt = :at, providerMessageId = :id REMOVE leaseId, leaseUntil, nextAttemptAt, gsi3pk, gsi3sk',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':sent': 'sent', ':at': lost.at, ':id': 'other-sender' },
        }),
      );
    });
    const before = await Promise.all(invoices.map((i) => getInvoice(i.invoiceId)));
    expect(await sendInvoices(invoices.map((i) => i.invoiceId))).toEqual({ invoices: 6, sent: 6 });
    expect(lost.at).not.toBe('');
    // The lost message's mark was tried in the shared transaction, refused, then on its own (markSent), refused again.
    const marksOfLost = tap.seen.filter((r) => kindOf(r).endsWith('mark') && r.input.TransactItems!.some((item) => item.Update?.Key?.sk === keys.notification(lost.personId, lost.notificationId).sk));
    expect(marksOfLost).toHaveLength(2);

    for (const invoice of invoices) {
      const mails = await mailsTo(invoice.email);
      expect(mails).toHaveLength(1);
      const message = (await read(invoice.personId, invoice.notificationId))!;
      // The mark of the sender that recorded it first stands; the other messages carry this sender's mark, once.
      expect(message).toMatchObject({ status: 'sent', providerMessageId: invoice.invoiceId === lost.invoiceId ? 'other-sender' : mails[0]!.messageId });
      // Nothing written on the issued invoice: its history says `sent` once, read from the mark that stands (decision 42).
      const stored = (await getInvoice(invoice.invoiceId))!;
      expect(stored).toEqual(before[invoices.indexOf(invoice)]);
      expect(invoiceHistory(stored, [message!]).filter((e) => e.event === 'sent')).toEqual([{ at: invoice.invoiceId === lost.invoiceId ? lost.at : message!.sentAt, event: 'sent' }]);
      // An e-mail's delivery events name its outbox item by their tags: no provider lookup is written for it.
      const lookup = await local().doc.send(new GetCommand({ TableName: local().table, Key: keys.providerMessage('ses', mails[0]!.messageId), ConsistentRead: true }));
      expect(lookup.Item).toBeUndefined();
    }
  });
});

describe('the bytes of the files a caller hands in', () => {
  it('go in the e-mail as they are, not read from S3; a file without them is read from S3', async () => {
    const [handed, stored] = batch(2);
    const handedKey = `invoices/2027/not-in-s3-${randomUUID()}.pdf`;
    const storedKey = `invoices/2027/in-s3-${randomUUID()}.pdf`;
    const handedBytes = Buffer.from(`%PDF-1.7\nhanded ${randomUUID()}`);
    const storedBytes = Buffer.from(`%PDF-1.7\nstored ${randomUUID()}`);
    await putObject(storedKey, storedBytes, 'application/pdf');
    const withFile = ({ write, personId, to }: ReturnType<typeof batch>[number], key: string) => {
      const draft = { kind: 'invoice-issued', role: 'customer' as const, channel: 'email' as const, to, subject: 'Facture', body: 'Bonjour', attachments: [{ key, fileName: 'facture.pdf', contentType: 'application/pdf' }] };
      return { ...write, items: outboxPuts(local().table, personId, write.cause, [draft], NOON.toISOString()) };
    };
    const reads = vi.spyOn(S3Client.prototype, 'send');
    const counts = await writeAndSendNotifications([{ ...withFile(handed!, handedKey), attachmentBytes: new Map([[handedKey, handedBytes]]) }, withFile(stored!, storedKey)], 8, NOON);
    expect(counts.map((c) => c.sent)).toEqual([1, 1]);
    const getObjects = reads.mock.calls.filter(([command]) => command instanceof GetObjectCommand).map(([command]) => (command as GetObjectCommand).input.Key);
    expect(getObjects).toEqual([storedKey]);
    for (const [{ to, write, personId }, bytes] of [[handed!, handedBytes], [stored!, storedBytes]] as const) {
      const [mail] = await mailsTo(to);
      expect(mail!.attachments[0]!.content.equals(bytes)).toBe(true);
      expect((await read(personId, `${write.cause}#customer#email`))!.sentAttachments).toEqual([expect.objectContaining({ size: bytes.length, sha256: sha256(bytes) })]);
    }
  });

  it('are the invoice PDFs sendInvoices wrote; a PDF already in S3 (an earlier attempt wrote it) is sent as stored', async () => {
    const invoices = await issuedInvoices(4);
    // An earlier attempt stored the first PDF and died before writing its e-mail: that file is the one to send.
    const first = (await getInvoice(invoices[0]!.invoiceId))!;
    const earlier = Buffer.from(`%PDF-1.7\nan earlier attempt ${randomUUID()}`);
    const earlierKey = invoicePdfKey({ invoiceId: first.invoiceId, number: first.number! });
    await putObject(earlierKey, earlier, 'application/pdf');
    const reads = vi.spyOn(S3Client.prototype, 'send');
    const tap = tapDb();
    expect(await sendInvoices(invoices.map((i) => i.invoiceId))).toEqual({ invoices: 4, sent: 4 });
    const requests = tap.seen.splice(0).map(kindOf);
    const getObjects = reads.mock.calls.filter(([command]) => command instanceof GetObjectCommand).map(([command]) => (command as GetObjectCommand).input.Key);
    expect(getObjects).toEqual([earlierKey]);
    for (const invoice of invoices) {
      const number = (await getInvoice(invoice.invoiceId))!.number!;
      const pdf = Buffer.from((await readObject(invoicePdfKey({ invoiceId: invoice.invoiceId, number })))!);
      const [mail, ...others] = await mailsTo(invoice.email);
      expect(others).toEqual([]);
      expect(mail!.attachments[0]!.content.equals(pdf)).toBe(true);
      if (invoice === invoices[0]) expect(pdf.equals(earlier)).toBe(true);
    }
    console.info(`sendInvoices of 4 invoices: ${requests.length} DynamoDB requests (${requests.join(', ')})`);
    // Written claimed: no claim request; one shared mark.
    expect(requests.filter((kind) => kind.includes('claim') || kind.includes('mark'))).toEqual(['shared mark']);
  });
});

describe('the personal links of a batch', () => {
  /** `n` causes of one e-mail each carrying the young person's link to a statement's month (as `issueManyMonthlyStatements` writes them). */
  function linked(n: number, filler = 0) {
    return batch(n).map(({ write, personId, to, notificationId }) => {
      const draft = { kind: 'test', role: 'young' as const, channel: 'email' as const, to, subject: 'Relevé', body: 'Votre relevé : {{lien-personnel}}', personalLink: 'young-person' as const, linkPage: '/ma-facturation?activite=pa-1&mois=2027-03' };
      const items = outboxPuts(local().table, personId, write.cause, [draft], NOON.toISOString(), { referralId: `r-${personId}` });
      const padding = Array.from({ length: filler }, (_, i) => ({ Put: { TableName: local().table, Item: { pk: `TEST#${write.cause}`, sk: `filler#${i}` } } }));
      return { write: { cause: write.cause, items: [...items, ...padding] } as OutboxWrite, personId, to, notificationId };
    });
  }
  const tokenIn = async (to: string) => /\/ma-facturation\?activite=pa-1&mois=2027-03#([A-Za-z0-9_.-]+)/.exec((await mailsTo(to))[0]?.text ?? '')?.[1];
  const linkItems = (seen: Seen[]) =>
    seen.filter((r) => r.operation === 'TransactWriteItems' && (r.input.TransactItems as Array<{ Put?: { Item?: { pk?: string } } }>).some((item) => item.Put?.Item?.pk?.startsWith('LINK#')));

  it('are kept on their message, written with it: no item nor request per link', async () => {
    const messages = linked(10);
    const tap = tapDb();
    expect((await writeAndSendNotifications(messages.map((m) => m.write), 8, NOON)).every((c) => c.sent === 1)).toBe(true);
    expect(linkItems(tap.seen)).toEqual([]);
    for (const { to, personId, notificationId } of messages) {
      const token = (await tokenIn(to))!;
      expect(token).toMatch(MESSAGE_LINK_TOKEN_PATTERN);
      // No item of its own: its hash and validity are on the message, which keeps the placeholder and never the token.
      const { Item: own } = await local().doc.send(new GetCommand({ TableName: local().table, Key: keys.personalLink(hashToken(token)), ConsistentRead: true }));
      expect(own).toBeUndefined();
      const message = (await read(personId, notificationId))!;
      expect(message.link).toMatchObject({ hash: hashToken(token), issuedAt: NOON.toISOString() });
      expect(message.body).toBe('Votre relevé : {{lien-personnel}}');
      expect(JSON.stringify(message)).not.toContain(token.slice(0, 43));
    }
  });

  it('are kept on their message whatever the size of the unit: no write of their own at the send either', async () => {
    // The message, its address filed for new links and 98 other items: 100, the link adds none.
    const messages = linked(2, 98);
    const tap = tapDb();
    expect((await writeAndSendNotifications(messages.map((m) => m.write), 8, NOON)).every((c) => c.sent === 1)).toBe(true);
    expect(linkItems(tap.seen)).toEqual([]);
    for (const { to, personId, notificationId } of messages) expect((await read(personId, notificationId))!.link?.hash).toBe(hashToken((await tokenIn(to))!));
  });
});
