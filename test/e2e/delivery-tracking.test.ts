import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomInt, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { outboxPuts, withDeliveries, type OutboxMessage } from '../../shared/data/outbox.js';
import { render } from '../../shared/domain/messages/catalogue.js';
import { keys } from '../../shared/keys.js';
import { outboxTags } from '../../shared/notifications/tracking.js';
import { apiClient, eventually, startTestCloud } from '../support/cloud.js';
import { adultSubmission } from '../support/fixtures.js';
import type { ParcoursLocalCloud as LocalCloud } from '../../infra/local-app/profile.js';

let cloud: LocalCloud;
let sarah: ReturnType<typeof apiClient>;
let camille: ReturnType<typeof apiClient>;

beforeAll(async () => {
  cloud = await startTestCloud({ inMemory: true });
  sarah = apiClient(cloud, 'sarah.benali');
  camille = apiClient(cloud, 'camille.martin');
});
afterAll(async () => cloud?.stop());

type Notification = { notificationId: string; role: string; channel: string; status: string };

/**
 * Submits a referral and waits until its three acknowledgements have a final delivery status, and the young person's
 * e-mail has `youngEmail` when given (a complaint follows the delivery: "delivered" is final until it comes).
 */
async function acknowledgementsOf(youngPerson: Parameters<typeof adultSubmission>[0], youngEmail?: string) {
  const submitted = await sarah('POST', '/api/referrals', adultSubmission(youngPerson), { 'idempotency-key': randomUUID() });
  expect(submitted.status).toBe(201);
  const { referralId } = submitted.body;
  // The person id is for staff only.
  const { personId } = (await camille('GET', `/api/referrals/${referralId}`)).body;
  const cause = `referral-received#${referralId}#`;
  const notifications = await eventually(
    async () => {
      const timeline = await camille('GET', `/api/people/${personId}/timeline`);
      const mine = ((timeline.body?.notifications ?? []) as Notification[]).filter((n) => n.notificationId.startsWith(cause));
      const settled = mine.length === 3 && mine.every((n) => !['pending', 'sent'].includes(n.status));
      const awaited = youngEmail === undefined || mine.some((n) => n.role === 'young' && n.channel === 'email' && n.status === youngEmail);
      return settled && awaited ? mine : undefined;
    },
    20_000,
    'final delivery statuses',
  );
  const status = (role: string, channel: string) => notifications.find((n) => n.role === role && n.channel === channel)?.status;
  const stored = async (role: string, channel: string) =>
    (await cloud.documentClient.send(new GetCommand({ TableName: cloud.tableName, Key: { pk: `PERSON#${personId}`, sk: `NOTIFICATION#${cause}${role}#${channel}` } }))).Item;
  return { referralId, status, stored };
}

/** A message as its readers show it, its delivery receipts applied (decision 42). */
async function shown(personId: string, notificationId: string) {
  const items = (await cloud.documentClient.send(new QueryCommand({ TableName: cloud.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `PERSON#${personId}` }, ConsistentRead: true }))).Items ?? [];
  return withDeliveries(items).find((item) => item.type === 'notification' && item.notificationId === notificationId);
}

describe('delivery tracking on the local cloud', () => {
  it("records a bounce for the young person's address while the prescriber's e-mail and the SMS are delivered", async () => {
    const email = `ines.${randomUUID()}@bounce.test`;
    const { status, stored } = await acknowledgementsOf({ email });
    expect(status('young', 'email')).toBe('bounced');
    expect(status('prescriber', 'email')).toBe('delivered');
    expect(status('young', 'sms')).toBe('delivered');
    expect(await stored('young', 'email')).toMatchObject({ status: 'bounced', statusReason: 'Permanent/General', statusAt: expect.any(String) });

    // The delivery function logged ids and statuses, never the address it read in the event.
    expect(readFileSync(cloud.functionLogFile, 'utf8')).not.toContain(email);
  });

  it('records a failed SMS for a number reserved for unreachable phones', async () => {
    const { status, stored } = await acknowledgementsOf({ phone: `+33699999${String(randomInt(1000)).padStart(3, '0')}` });
    expect(status('young', 'sms')).toBe('failed');
    expect(status('young', 'email')).toBe('delivered');
    expect(await stored('young', 'sms')).toMatchObject({ status: 'failed', statusReason: 'UNREACHABLE' });
  });

  it('records a complaint after the delivery of a message to a complaint address', async () => {
    const { status } = await acknowledgementsOf({ email: `ines.${randomUUID()}@complaint.test` }, 'complained');
    expect(status('young', 'email')).toBe('complained');
  });
});

describe('the delivery queue, on the local cloud', () => {
  it('hands a burst of SES events to DeliveryEvents in a few large batches, and every report is recorded', async () => {
    const consumer = cloud.app.functions.find((fn) => fn.logicalId.startsWith('DeliveryEvents'))!;
    const mapping = cloud.app.eventSourceMappings.find((m) => m.functionArn === consumer.arn)!;
    const configurationSet = cloud.app.functions.find((fn) => fn.environment.SES_CONFIGURATION_SET)!.environment.SES_CONFIGURATION_SET!;
    const personId = `customer-${randomUUID()}`;
    const sent = Array.from({ length: 40 }, (_, i) => ({ notificationId: `burst#${i}#customer#email`, providerMessageId: randomUUID() }));
    await Promise.all(
      sent.map(({ notificationId, providerMessageId }) =>
        cloud.documentClient.send(new PutCommand({ TableName: cloud.tableName, Item: { ...keys.notification(personId, notificationId), type: 'notification', notificationId, status: 'sent', providerMessageId } })),
      ),
    );
    const stats = () => cloud.eventSources.stats().find((s) => s.logicalId === mapping.logicalId)!;
    const before = stats();
    const put = await cloud.events.putEvents(
      sent.map(({ notificationId, providerMessageId }) => ({
        source: 'aws.ses',
        'detail-type': 'Email Delivered',
        detail: {
          mail: { messageId: providerMessageId, tags: { 'ses:configuration-set': [configurationSet], ...Object.fromEntries(outboxTags(personId, notificationId).map((t) => [t.Name, [t.Value]])) } },
          delivery: { timestamp: new Date().toISOString() },
        },
      })),
    );
    expect(put).toEqual({ deliveries: 40, failed: 0 });
    const status = async (notificationId: string) => (await shown(personId, notificationId))?.status;
    await eventually(async () => (await Promise.all(sent.map((s) => status(s.notificationId)))).every((st) => st === 'delivered'), 20_000, 'every report recorded');
    const after = stats();
    expect(after.messages - before.messages).toBeGreaterThanOrEqual(40);
    // One invocation per batch, not per report: the burst came in the batching window.
    expect(after.batches - before.batches).toBeLessThanOrEqual(4);
    expect(after.largestBatch).toBeGreaterThanOrEqual(20);
    expect(cloud.sqs.attributes(mapping.queueArn)).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
  });
});

describe('an e-mail with a PDF attached, on the local cloud', () => {
  it('reads the PDF from the documents bucket, delivers it byte for byte, records it on the message, and fails one whose PDF is missing', async () => {
    const bucket = cloud.app.buckets.find((b) => b.logicalId.startsWith('DocumentsBucket'))!.name;
    const dispatcher = cloud.app.functions.find((fn) => fn.logicalId.startsWith('DispatchDeferredMessages'))!;
    expect(dispatcher.environment.DOCUMENTS_BUCKET).toBe(bucket);
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from(Array.from({ length: 40_000 }, (_, i) => (i * 31 + 7) % 256))]);
    const invoiceId = `inv-${randomUUID()}`;
    const key = `invoices/2027-03/${invoiceId}.pdf`;
    const s3 = new S3Client({ endpoint: cloud.urls.s3, region: 'eu-west-3', forcePathStyle: true, credentials: { accessKeyId: cloud.accessKeyId, secretAccessKey: 'local' } });
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: pdf, ContentType: 'application/pdf' }));
    s3.destroy();

    const customerId = `customer-${randomUUID()}`;
    const to = `compta.${randomUUID()}@example.org`;
    const text = render('invoice-issued', 'customer', 'email', { customerName: 'Mme Leroy', activityName: 'Couture Leroy', invoiceNumber: '2027-000042', issueDate: '2027-04-01', dueDate: '2027-05-01', grossCents: 4_500 });
    const draft = (cause: string, objectKey: string, fileName: string) => ({
      cause,
      drafts: [{ kind: 'invoice-issued', role: 'customer' as const, channel: 'email' as const, to, ...text, attachments: [{ key: objectKey, fileName, contentType: 'application/pdf' }] }],
    });
    const sent = draft(`invoice-issued#${invoiceId}`, key, 'facture-2027-000042.pdf');
    const missing = draft(`invoice-issued#inv-${randomUUID()}`, `invoices/2027-03/absent-${randomUUID()}.pdf`, 'facture-2027-000043.pdf');
    await cloud.documentClient.send(
      new TransactWriteCommand({ TransactItems: [sent, missing].flatMap((batch) => outboxPuts(cloud.tableName, customerId, batch.cause, batch.drafts, new Date().toISOString())) }),
    );
    // The dispatcher sends every due message, as its schedule does every 5 minutes.
    expect(await cloud.lambda.invoke(dispatcher.logicalId, {})).toMatchObject({ ok: true });

    const stored = async (cause: string) => (await shown(customerId, `${cause}#customer#email`)) as unknown as OutboxMessage;
    const delivered = await eventually(async () => ((await stored(sent.cause)).status === 'delivered' ? stored(sent.cause) : undefined), 20_000, 'the invoice e-mail delivered');
    expect(delivered.sentAttachments).toEqual([{ key, fileName: 'facture-2027-000042.pdf', contentType: 'application/pdf', size: pdf.length, sha256: createHash('sha256').update(pdf).digest('hex') }]);
    expect(await stored(missing.cause)).toMatchObject({ status: 'failed', statusReason: 'attachment-missing', lastError: expect.stringContaining('facture-2027-000043.pdf') });

    const mails = (await cloud.ses.listEmails()).filter((mail) => mail.to.includes(to));
    expect(mails.map((mail) => mail.messageId)).toEqual([delivered.providerMessageId]);
    expect(mails[0]!.attachments[0]!.content.equals(pdf)).toBe(true);
    // A person downloads it from the mail viewer under its name.
    const download = await fetch(new URL(`/attachments/${delivered.providerMessageId}/0`, cloud.urls.mailViewer));
    expect(download.headers.get('content-disposition')).toContain('filename="facture-2027-000042.pdf"');
    expect(Buffer.from(await download.arrayBuffer()).equals(pdf)).toBe(true);

    // The functions logged neither the address, nor the file names, nor the object keys.
    const log = readFileSync(cloud.functionLogFile, 'utf8');
    for (const value of [to, 'facture-2027-000042.pdf', 'facture-2027-000043.pdf', key]) expect(log).not.toContain(value);
  });
});
