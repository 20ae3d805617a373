import { describe, expect, it } from 'vitest';
import { createHash, randomUUID } from 'node:crypto';
import { mockClient } from 'aws-sdk-client-mock';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { useMessagingAndDocuments } from '../support/messaging.js';
import { outboxPuts, type OutboxDraft, type OutboxMessage } from '../../shared/data/outbox.js';
import { sendPendingNotifications } from '../../shared/notifications/sender.js';
import { readAttachments } from '../../shared/notifications/attachments.js';
import { render } from '../../shared/domain/messages/catalogue.js';
import { estimatedMessageBytes, SES_MAX_MESSAGE_BYTES, type MailAttachment } from '../../shared/domain/messages/attachments.js';
import { putObject } from '../../shared/storage/objects.js';
import { keys } from '../../shared/keys.js';

/** The local SES and the local S3 (the documents bucket as the stack declares it), reached by the real SDK clients. */
const local = useMessagingAndDocuments();

const NOON = new Date('2027-04-01T10:00:00Z');
/** Bytes of every value, as a PDF's are. */
const pdfBytes = (n: number) => Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from(Array.from({ length: n }, (_, i) => (i * 7919 + 13) % 256))]);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function invoiceDraft(to: string, attachments: MailAttachment[]): OutboxDraft {
  const text = render('invoice-issued', 'customer', 'email', {
    customerName: 'Boulangerie Dupont',
    activityName: 'Les Jardins de Lens',
    invoiceNumber: '2027-000123',
    issueDate: '2027-04-01',
    dueDate: '2027-05-01',
    grossCents: 12_345,
  });
  return { kind: 'invoice-issued', role: 'customer', channel: 'email', to, ...text, attachments };
}

/** Writes one invoice e-mail in the outbox, as the invoicing step does, and reads it back. */
async function enqueue(attachments: MailAttachment[]) {
  const personId = `customer-${randomUUID()}`;
  const cause = `invoice-issued#inv-${randomUUID()}`;
  const to = `compta.${randomUUID()}@example.org`;
  await local().doc.send(new TransactWriteCommand({ TransactItems: outboxPuts(local().table, personId, cause, [invoiceDraft(to, attachments)], NOON.toISOString()) }));
  const read = async () =>
    (await local().doc.send(new GetCommand({ TableName: local().table, Key: keys.notification(personId, `${cause}#customer#email`), ConsistentRead: true }))).Item as OutboxMessage;
  return { personId, cause, to, read };
}

const mailsTo = async (to: string) => (await local().ses.listEmails()).filter((mail) => mail.to.includes(to));

describe('an outbox e-mail with attachments', () => {
  it('goes once, with the bytes of the S3 objects under their names and types, and the message records which files went', async () => {
    const invoice = pdfBytes(60_000);
    const annex = Buffer.from('<?xml version="1.0"?><rsm:CrossIndustryInvoice/>');
    const invoiceKey = `invoices/2027/inv-${randomUUID()}.pdf`;
    const annexKey = `invoices/2027/inv-${randomUUID()}.xml`;
    await putObject(invoiceKey, invoice, 'application/pdf');
    await putObject(annexKey, annex, 'application/xml');
    const attachments = [
      { key: invoiceKey, fileName: 'facture-2027-000123.pdf', contentType: 'application/pdf' },
      { key: annexKey, fileName: 'factur-x.xml', contentType: 'application/xml' },
    ];
    const { personId, cause, to, read } = await enqueue(attachments);

    // The step and its retry: one e-mail.
    expect(await sendPendingNotifications(personId, cause, NOON)).toMatchObject({ sent: 1, failed: 0, retryLater: 0 });
    expect(await sendPendingNotifications(personId, cause, NOON)).toMatchObject({ sent: 0, alreadySent: 1 });

    const [mail, ...others] = await mailsTo(to);
    expect(others).toEqual([]);
    expect(mail!.subject).toBe('Facture 2027-000123 - Les Jardins de Lens');
    expect(mail!.text).toContain('123,45\u00a0€, à régler avant le 01/05/2027');
    // What the real SES v2 client serialized reached the local SES as SES reads it: the same bytes, name, type.
    expect(mail!.attachments.map((file) => [file.fileName, file.contentType, file.disposition, file.size])).toEqual([
      ['facture-2027-000123.pdf', 'application/pdf', 'attachment', invoice.length],
      ['factur-x.xml', 'application/xml', 'attachment', annex.length],
    ]);
    expect(mail!.attachments[0]!.content.equals(invoice)).toBe(true);
    expect(mail!.attachments[1]!.content.equals(annex)).toBe(true);

    // The invoice's history reads from the message what went, when and to whom: the outbox keeps no bytes.
    const sent = await read();
    expect(sent).toMatchObject({ status: 'sent', to, providerMessageId: mail!.messageId, sentAt: expect.any(String) });
    expect(sent.sentAttachments).toEqual([
      { ...attachments[0], size: invoice.length, sha256: sha256(invoice) },
      { ...attachments[1], size: annex.length, sha256: sha256(annex) },
    ]);
    expect(sent.attachments).toEqual(attachments);
  });

  it('fails for good, with the missing file named on the message, when its object is not in the bucket', async () => {
    const { personId, cause, to, read } = await enqueue([{ key: `invoices/2027/absent-${randomUUID()}.pdf`, fileName: 'facture-2027-000124.pdf', contentType: 'application/pdf' }]);
    expect(await sendPendingNotifications(personId, cause, NOON)).toMatchObject({ sent: 0, failed: 1, retryLater: 0 });
    const failed = await read();
    expect(failed).toMatchObject({ status: 'failed', statusReason: 'attachment-missing', attempts: 1, gsi3pk: keys.failedMessageEntry(NOON.toISOString(), personId, failed.notificationId).gsi3pk });
    expect(failed.lastError).toMatch(/^facture-2027-000124\.pdf: no object at invoices\/2027\/absent-/);
    expect(failed.nextAttemptAt).toBeUndefined();
    // Nothing went, and a later try finds nothing to send.
    expect(await mailsTo(to)).toEqual([]);
    expect(await sendPendingNotifications(personId, cause, new Date(NOON.getTime() + 3_600_000))).toMatchObject({ sent: 0, failed: 0, alreadySent: 1 });
  });
});

describe('reading attachments from S3', () => {
  const file: MailAttachment = { key: 'invoices/2027/inv-1.pdf', fileName: 'facture-2027-000001.pdf', contentType: 'application/pdf' };

  it('takes AccessDenied as missing (S3 hides a missing key from a reader that may not list), and leaves throttling to the retries', async () => {
    const s3 = mockClient(S3Client);
    try {
      s3.on(GetObjectCommand).rejectsOnce(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' })).rejectsOnce(Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown' }));
      await expect(readAttachments([file], 100)).rejects.toMatchObject({ name: 'AttachmentFailure', reason: 'attachment-missing' });
      await expect(readAttachments([file], 100)).rejects.toMatchObject({ name: 'SlowDown' });
    } finally {
      s3.restore();
    }
  });

  it('refuses files over SES 40 MB once encoded from their size, without reading their bytes', async () => {
    const s3 = mockClient(S3Client);
    let destroyed = 0;
    const body = (size: number) => ({ destroy: () => (destroyed += 1), transformToByteArray: async () => new Uint8Array(size) });
    try {
      s3.on(GetObjectCommand)
        .resolvesOnce({ ContentLength: 31_000_000, Body: { ...body(0), transformToByteArray: () => Promise.reject(new Error('read')) } as never })
        .resolvesOnce({ ContentLength: 20_000_000, Body: body(20_000_000) as never })
        .resolvesOnce({ ContentLength: 20_000_000, Body: { ...body(0), transformToByteArray: () => Promise.reject(new Error('read')) } as never });
      await expect(readAttachments([file], 100)).rejects.toMatchObject({ reason: 'attachments-too-large', detail: expect.stringMatching(/^facture-2027-000001\.pdf: 31000000 bytes/) });
      // Two files of 20 MB: each fits, both do not (26.7 MB each once encoded).
      await expect(readAttachments([file, { ...file, key: 'invoices/2027/inv-2.pdf' }], 100)).rejects.toMatchObject({ reason: 'attachments-too-large' });
      expect(destroyed).toBe(2);
    } finally {
      s3.restore();
    }
    expect(estimatedMessageBytes([29_000_000], 5_000)).toBeLessThan(SES_MAX_MESSAGE_BYTES);
    expect(estimatedMessageBytes([30_000_000], 5_000)).toBeGreaterThan(SES_MAX_MESSAGE_BYTES);
  });

  it('takes the bytes a caller handed in for their key, under the same size limits, and reads only the other files', async () => {
    const s3 = mockClient(S3Client);
    try {
      const other = { ...file, key: 'invoices/2027/inv-2.pdf', fileName: 'annexe.pdf' };
      const handed = pdfBytes(1_000);
      s3.on(GetObjectCommand, { Key: other.key }).resolves({ ContentLength: 3, Body: { transformToByteArray: async () => new Uint8Array([1, 2, 3]) } as never });
      const loaded = await readAttachments([file, other], 100, new Map([[file.key, handed]]));
      expect(loaded.map((f) => [f.key, f.size, f.sha256])).toEqual([
        [file.key, handed.length, sha256(handed)],
        [other.key, 3, sha256(new Uint8Array([1, 2, 3]))],
      ]);
      expect(s3.commandCalls(GetObjectCommand).map((call) => call.args[0].input.Key)).toEqual([other.key]);
      // Too large handed in is too large all the same.
      await expect(readAttachments([file], 100, new Map([[file.key, new Uint8Array(31_000_000)]]))).rejects.toMatchObject({ reason: 'attachments-too-large' });
      expect(s3.commandCalls(GetObjectCommand)).toHaveLength(1);
    } finally {
      s3.restore();
    }
  });
});

describe('writing attachments in the outbox', () => {
  const pdf: MailAttachment = { key: 'invoices/2027/inv-1.pdf', fileName: 'facture.pdf', contentType: 'application/pdf' };
  const write = (draft: Partial<OutboxDraft>) => () => outboxPuts('table', 'customer-1', 'cause', [{ ...invoiceDraft('a@example.org', [pdf]), ...draft }], NOON.toISOString());

  it('refuses files where they cannot go, so a bad reference fails the write and never the send', () => {
    expect(write({})).not.toThrow();
    expect(write({ channel: 'sms' })).toThrow(/only an e-mail carries attachments/);
    expect(write({ kind: 'referral-received', role: 'young' })).toThrow(/allows no attachments/);
    // The senders may read these two prefixes only: not a young person's documents or contract.
    expect(write({ attachments: [{ ...pdf, key: 'documents/p1/identity.pdf' }] })).toThrow(/under invoices\/ or statements\//);
    expect(write({ attachments: [{ ...pdf, key: 'invoices/../documents/p1.pdf' }] })).toThrow(/not a plain object key/);
    expect(write({ attachments: [{ ...pdf, fileName: 'facture.exe' }] })).toThrow(/SES refuses \.exe/);
    expect(write({ attachments: [{ ...pdf, fileName: 'dossier/facture.pdf' }] })).toThrow(/path separator/);
    expect(write({ attachments: [{ ...pdf, fileName: 'facture' }] })).toThrow(/needs an extension/);
    expect(write({ attachments: [{ ...pdf, contentType: 'pdf' }] })).toThrow(/media type/);
    expect(write({ attachments: Array.from({ length: 11 }, () => pdf) })).toThrow(/at most 10/);
    const [put] = write({})();
    expect(put!.Put.Item.attachments).toEqual([pdf]);
  });
});
