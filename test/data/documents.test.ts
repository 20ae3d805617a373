import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { useFreshAppTable } from '../support/dynamodb.js';
import { adultSubmission, minorSubmission, prescriberLens, staffCamille } from '../support/fixtures.js';
import { decide, openApproval } from '../../shared/data/approvals.js';
import {
  completeUpload,
  documentDownload,
  getChecklist,
  getDocumentRecord,
  listDocumentsToReview,
  requiredDocumentsAccepted,
  reviewDocument,
  saveBankDetails,
  startUpload,
  type DocumentStorage,
} from '../../shared/data/documents.js';
import { referralDecisions } from '../../shared/data/referral-decisions.js';
import { submitReferral } from '../../shared/data/referrals.js';
import { getTimeline } from '../../shared/data/timeline.js';
import type { Staff } from '../../shared/domain/actor.js';
import { MAX_DOCUMENT_BYTES, uploadRequestSchema, type AcceptedFileType, type UploadRequest } from '../../shared/domain/documents.js';
import type { ReferralSubmission } from '../../shared/domain/referral.js';
import { keys } from '../../shared/keys.js';
import { sniffFileType } from '../../shared/storage/objects.js';

let doc: DynamoDBDocumentClient;
let table: string;

beforeAll(async () => {
  ({ doc, tableName: table } = await useFreshAppTable({ STAFF_EMAIL: 'equipe@coopconnexion.local' }));
});

const PDF = Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n');
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(40, 1)]);
/** A Windows program (its "MZ" header) named like a PDF. */
const EXE = Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00'), Buffer.alloc(60, 0)]);

/**
 * The bucket in memory, with what the documents rely on from S3: a presigned PUT only for its key, its size, once,
 * before it expires (S3 enforces these through the signed headers; the storage module's own tests cover the real thing).
 * Types are recognised by the storage module's own `sniffFileType`.
 */
class MemoryStorage implements DocumentStorage {
  readonly objects = new Map<string, Buffer>();
  private readonly grants = new Map<string, { key: string; contentLength: number; expiresAt: number }>();
  readonly deleted: string[] = [];
  sniffFileType = sniffFileType;

  async presignUpload(input: { key: string; contentType: string; contentLength: number; expiresInSeconds?: number; now?: Date }) {
    const url = `https://bucket.example/${input.key}?sig=${randomUUID()}`;
    const expiresAt = (input.now ?? new Date()).getTime() + (input.expiresInSeconds ?? 300) * 1000;
    this.grants.set(url, { key: input.key, contentLength: input.contentLength, expiresAt });
    return { url, method: 'PUT' as const, headers: { 'content-type': input.contentType, 'if-none-match': '*' }, expiresAt: new Date(expiresAt).toISOString() };
  }
  /** The browser's PUT: the status S3 would answer. */
  put(url: string, body: Buffer): number {
    const grant = this.grants.get(url);
    if (!grant || Date.now() > grant.expiresAt) return 403;
    if (body.length !== grant.contentLength) return 403;
    if (this.objects.has(grant.key) || this.deleted.includes(grant.key)) return 412;
    this.objects.set(grant.key, body);
    return 200;
  }
  async headObject(key: string) {
    const body = this.objects.get(key);
    return body ? { contentLength: body.length } : undefined;
  }
  async readFirstBytes(key: string, count: number) {
    const body = this.objects.get(key);
    return body && new Uint8Array(body.subarray(0, count));
  }
  async readObject(key: string) {
    const body = this.objects.get(key);
    return body && new Uint8Array(body);
  }
  async putObject(key: string, body: Uint8Array | string) {
    this.objects.set(key, Buffer.from(body));
    return {};
  }
  async deleteObject(key: string) {
    this.objects.delete(key);
    this.deleted.push(key);
  }
  async presignDownload(key: string, fileName: string, options: { expiresInSeconds?: number } = {}) {
    return `https://bucket.example/${key}?download=${encodeURIComponent(fileName)}&expires=${options.expiresInSeconds ?? 300}`;
  }
}

const storage = new MemoryStorage();
const otherStaff: Staff = { kind: 'staff', id: 'sub-karim', name: 'Karim Bensaïd' };

async function acceptedReferral(submission: ReferralSubmission = adultSubmission()) {
  const { referral } = await submitReferral({ prescriber: prescriberLens, submission, idempotencyKey: randomUUID() });
  const opened = await openApproval(referralDecisions, { subjectId: referral.referralId, phase: 'initial', taskToken: `t-${randomUUID()}`, appBaseUrl: 'http://app' });
  if (opened.state !== 'waiting') throw new Error('expected an open approval');
  await decide(referralDecisions, { approvalId: opened.approval.approvalId, decision: { outcome: 'accepted' }, staff: staffCamille });
  return { referralId: referral.referralId, personId: referral.personId };
}

const request = (body: Buffer, contentType: AcceptedFileType = 'application/pdf'): UploadRequest => ({ contentType, size: body.length, fileName: 'scan.pdf' });

/** Starts an upload, PUTs `body` as the browser would, and completes it. */
async function upload(who: { referralId: string; personId: string }, docType: string, body: Buffer, contentType?: AcceptedFileType) {
  const started = await startUpload({ ...who, docType, request: request(body, contentType), storage });
  expect(storage.put(started.url, body)).toBe(200);
  return { started, completed: completeUpload({ ...who, uploadId: started.uploadId, storage }) };
}

async function partition(referralId: string) {
  const r = await doc.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `ONBOARDING#${referralId}` }, ConsistentRead: true }));
  return r.Items ?? [];
}
const checklistItems = async (referralId: string) => (await partition(referralId)).filter((i) => String(i.sk).startsWith('DOC#'));

async function outboxOf(personId: string) {
  const r = await doc.send(
    new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)', ExpressionAttributeValues: { ':pk': keys.person(personId).pk, ':sk': 'NOTIFICATION#' } }),
  );
  return r.Items ?? [];
}

describe('the checklist of an onboarding', () => {
  it("starts with every required document missing, the guardian's identity for a minor", async () => {
    const adult = await acceptedReferral();
    const checklist = await getChecklist(adult.referralId, adult.personId);
    expect(checklist.required).toEqual(['identity', 'proof-of-situation', 'bank-details']);
    expect(checklist.missing).toEqual(checklist.required);
    expect(checklist.complete).toBe(false);
    const minor = await acceptedReferral({ ...minorSubmission(), programme: 'cjs' });
    expect((await getChecklist(minor.referralId)).required).toContain('guardian-identity');
  });

  it("is another person's as not found, and a referral not accepted has none", async () => {
    const adult = await acceptedReferral();
    await expect(getChecklist(adult.referralId, randomUUID())).rejects.toMatchObject({ statusCode: 404 });
    const { referral } = await submitReferral({ prescriber: prescriberLens, submission: adultSubmission(), idempotencyKey: randomUUID() });
    await expect(getChecklist(referral.referralId, referral.personId)).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe('an upload goes straight to the bucket and is checked when completed', () => {
  it('submits a PDF for review: kept out of incoming/, listed for staff, on the timeline', async () => {
    const who = await acceptedReferral();
    const { started, completed } = await upload(who, 'identity', PDF);
    expect(started.headers).toMatchObject({ 'content-type': 'application/pdf', 'if-none-match': '*' });
    await expect(completed).resolves.toEqual({ uploadId: started.uploadId, docType: 'identity', status: 'submitted', fileType: 'application/pdf' });
    const document = await getDocumentRecord(who.referralId, 'identity');
    expect(document).toMatchObject({ status: 'submitted', currentUploadId: started.uploadId, objectKey: `documents/${who.personId}/${started.uploadId}`, fileType: 'application/pdf' });
    expect(storage.objects.has(document!.objectKey!)).toBe(true);
    expect([...storage.objects.keys()].some((k) => k.startsWith(`incoming/${who.personId}/`))).toBe(false);
    const listed = await listDocumentsToReview({ limit: 100 });
    expect(listed.items.some((d) => d.referralId === who.referralId && d.docType === 'identity')).toBe(true);
    expect((await getTimeline(who.personId)).events.map((e) => e.type)).toContain('document-submitted');
  });

  it('recognises the type by content: a PNG declared as JPEG is kept as a PNG', async () => {
    const who = await acceptedReferral();
    const { completed } = await upload(who, 'proof-of-situation', PNG, 'image/jpeg');
    await expect(completed).resolves.toMatchObject({ fileType: 'image/png' });
  });

  it('answers a second completion of the same upload the same, without a second write', async () => {
    const who = await acceptedReferral();
    const { started, completed } = await upload(who, 'identity', PDF);
    const first = await completed;
    const before = await partition(who.referralId);
    expect(await completeUpload({ ...who, uploadId: started.uploadId, storage })).toEqual(first);
    expect(await partition(who.referralId)).toEqual(before);
  });

  it('refuses a renamed executable with a French 422, deletes it, and leaves the checklist unchanged, the same answer twice', async () => {
    const who = await acceptedReferral();
    const { started, completed } = await upload(who, 'identity', EXE);
    await expect(completed).rejects.toMatchObject({ statusCode: 422, message: expect.stringContaining("n'est pas un PDF, une photo JPEG ou une image PNG valide") });
    expect([...storage.objects.keys()].some((k) => k.startsWith(`incoming/${who.personId}/`))).toBe(false);
    expect(await checklistItems(who.referralId)).toEqual([]);
    await expect(completeUpload({ ...who, uploadId: started.uploadId, storage })).rejects.toMatchObject({ statusCode: 422 });
    expect((await getChecklist(who.referralId)).missing).toContain('identity');
  });

  it('refuses more than 10 MB before any URL is signed, and a stored object larger than declared at completion', async () => {
    const who = await acceptedReferral();
    expect(uploadRequestSchema.safeParse({ contentType: 'application/pdf', size: MAX_DOCUMENT_BYTES + 1, fileName: 'x.pdf' }).success).toBe(false);
    const started = await startUpload({ ...who, docType: 'identity', request: request(PDF), storage });
    // An object of another size under that key (S3 refuses such a PUT; the check does not rely on it).
    const incoming = (await partition(who.referralId)).find((i) => i.uploadId === started.uploadId)!.incomingKey as string;
    storage.objects.set(incoming, Buffer.concat([PDF, Buffer.alloc(MAX_DOCUMENT_BYTES)]));
    await expect(completeUpload({ ...who, uploadId: started.uploadId, storage })).rejects.toMatchObject({ statusCode: 422, message: expect.stringContaining('10 Mo') });
    expect(storage.objects.has(incoming)).toBe(false);
    expect(await checklistItems(who.referralId)).toEqual([]);
  });

  it('answers 410 for an expired upload and deletes what arrived', async () => {
    const who = await acceptedReferral();
    const started = await startUpload({ ...who, docType: 'identity', request: request(PDF), storage, now: new Date(Date.now() - 3_600_000) });
    expect(storage.put(started.url, PDF)).toBe(403);
    // What arrived anyway (a PUT just before the URL expired) is deleted when the completion comes too late.
    const incoming = (await partition(who.referralId)).find((i) => i.uploadId === started.uploadId)!.incomingKey as string;
    storage.objects.set(incoming, PDF);
    await expect(completeUpload({ ...who, uploadId: started.uploadId, storage })).rejects.toMatchObject({ statusCode: 410, message: expect.stringContaining('expiré') });
    await expect(completeUpload({ ...who, uploadId: started.uploadId, storage })).rejects.toMatchObject({ statusCode: 410 });
    expect(storage.objects.has(incoming)).toBe(false);
    expect(await checklistItems(who.referralId)).toEqual([]);
  });

  it('refuses a presigned PUT used a second time, and the completion keeps the first file', async () => {
    const who = await acceptedReferral();
    const started = await startUpload({ ...who, docType: 'identity', request: request(PDF), storage });
    expect(storage.put(started.url, PDF)).toBe(200);
    expect(storage.put(started.url, Buffer.from(EXE.subarray(0, PDF.length)))).toBe(412);
    await expect(completeUpload({ ...who, uploadId: started.uploadId, storage })).resolves.toMatchObject({ fileType: 'application/pdf' });
  });

  it("answers another person's upload, or an item whose key is outside the person's prefix, as not found", async () => {
    const who = await acceptedReferral();
    const other = await acceptedReferral();
    const started = await startUpload({ ...who, docType: 'identity', request: request(PDF), storage });
    expect(storage.put(started.url, PDF)).toBe(200);
    await expect(completeUpload({ ...other, referralId: who.referralId, uploadId: started.uploadId, storage })).rejects.toMatchObject({ statusCode: 404 });
    await expect(completeUpload({ ...other, uploadId: started.uploadId, storage })).rejects.toMatchObject({ statusCode: 404 });
    await doc.send(
      new UpdateCommand({ TableName: table, Key: keys.documentUpload(who.referralId, started.uploadId), UpdateExpression: 'SET incomingKey = :k', ExpressionAttributeValues: { ':k': `incoming/${other.personId}/x` } }),
    );
    await expect(completeUpload({ ...who, uploadId: started.uploadId, storage })).rejects.toMatchObject({ statusCode: 404 });
    expect(await checklistItems(who.referralId)).toEqual([]);
  });

  it('says the file did not arrive when the PUT never happened, and lets it be completed after', async () => {
    const who = await acceptedReferral();
    const started = await startUpload({ ...who, docType: 'identity', request: request(PDF), storage });
    await expect(completeUpload({ ...who, uploadId: started.uploadId, storage })).rejects.toMatchObject({ statusCode: 409, message: expect.stringContaining("n'est pas arrivé") });
    expect(storage.put(started.url, PDF)).toBe(200);
    await expect(completeUpload({ ...who, uploadId: started.uploadId, storage })).resolves.toMatchObject({ status: 'submitted' });
  });

  it('refuses a document not on the checklist, a new file while one is under review, and a second file that lost the race', async () => {
    const who = await acceptedReferral();
    await expect(startUpload({ ...who, docType: 'guardian-identity', request: request(PDF), storage })).rejects.toMatchObject({ statusCode: 404 });
    const first = await startUpload({ ...who, docType: 'identity', request: request(PDF), storage });
    const second = await startUpload({ ...who, docType: 'identity', request: request(PNG, 'image/png'), storage });
    storage.put(first.url, PDF);
    storage.put(second.url, PNG);
    await completeUpload({ ...who, uploadId: first.uploadId, storage });
    await expect(completeUpload({ ...who, uploadId: second.uploadId, storage })).rejects.toMatchObject({ statusCode: 409 });
    expect(await getDocumentRecord(who.referralId, 'identity')).toMatchObject({ currentUploadId: first.uploadId, fileType: 'application/pdf' });
    await expect(startUpload({ ...who, docType: 'identity', request: request(PDF), storage })).rejects.toMatchObject({ statusCode: 409, message: expect.stringContaining('en cours de vérification') });
  });
});

describe('bank details', () => {
  const details = { iban: 'FR7630006000011234567890189', holder: 'Inès Martin' };

  it('are asked before the RIB, stored, and a repeat changes nothing', async () => {
    const who = await acceptedReferral();
    await expect(startUpload({ ...who, docType: 'bank-details', request: request(PDF), storage })).rejects.toMatchObject({ statusCode: 409, message: expect.stringContaining('IBAN') });
    expect(await saveBankDetails({ ...who, details })).toMatchObject({ ...details, changed: true });
    expect(await saveBankDetails({ ...who, details })).toMatchObject({ changed: false });
    expect((await getChecklist(who.referralId)).bankDetails).toMatchObject(details);
    const { completed } = await upload(who, 'bank-details', PDF);
    await expect(completed).resolves.toMatchObject({ status: 'submitted' });
  });

  it('cannot change once the RIB is under review, and can again after a rejection', async () => {
    const who = await acceptedReferral();
    await saveBankDetails({ ...who, details });
    await (await upload(who, 'bank-details', PDF)).completed;
    await expect(saveBankDetails({ ...who, details: { ...details, holder: 'Autre Titulaire' } })).rejects.toMatchObject({ statusCode: 409 });
    expect((await getChecklist(who.referralId)).bankDetails?.holder).toBe(details.holder);
    await reviewDocument({ referralId: who.referralId, docType: 'bank-details', review: { outcome: 'rejected', reasonCode: 'name-mismatch' }, staff: staffCamille });
    await expect(saveBankDetails({ ...who, details: { ...details, holder: 'Inès Martin-Durand' } })).resolves.toMatchObject({ changed: true });
  });
});

describe('staff review', () => {
  it('rejects with the reason and message, tells the young person with the link, and a new file can follow', async () => {
    const who = await acceptedReferral();
    await (await upload(who, 'identity', PDF)).completed;
    const result = await reviewDocument({ referralId: who.referralId, docType: 'identity', review: { outcome: 'rejected', reasonCode: 'expired', message: 'Votre carte a expiré en 2024.' }, staff: staffCamille });
    expect(result.document).toMatchObject({ status: 'rejected', rejection: { reasonCode: 'expired', message: 'Votre carte a expiré en 2024.' } });
    expect(result.checklistComplete).toBe(false);
    const messages = (await outboxOf(who.personId)).filter((m) => m.cause === result.cause);
    expect(messages.map((m) => `${m.role} ${m.channel}`).sort()).toEqual(['young email', 'young sms']);
    const email = messages.find((m) => m.channel === 'email')!;
    expect(email.body).toContain('Motif : Document expiré ou trop ancien.');
    expect(email.body).toContain('Votre carte a expiré en 2024.');
    expect(email.body).toContain('{{lien-personnel}}');
    expect(messages.find((m) => m.channel === 'sms')!.body).toContain('{{lien-personnel}}');
    expect((await listDocumentsToReview({ limit: 100 })).items.some((d) => d.referralId === who.referralId)).toBe(false);
    const resent = await (await upload(who, 'identity', PNG, 'image/png')).completed;
    expect(await getDocumentRecord(who.referralId, 'identity')).toMatchObject({ status: 'submitted', currentUploadId: resent.uploadId });
    expect((await getDocumentRecord(who.referralId, 'identity'))?.rejection).toBeUndefined();
  });

  it('says the checklist is complete when the last required document is accepted', async () => {
    const who = await acceptedReferral();
    await saveBankDetails({ ...who, details: { iban: 'FR76 3000 6000 0112 3456 7890 189', holder: 'Inès Martin' } });
    const results = [];
    for (const docType of ['identity', 'proof-of-situation', 'bank-details']) {
      await (await upload(who, docType, PDF)).completed;
      results.push(await reviewDocument({ referralId: who.referralId, docType, review: { outcome: 'accepted' }, staff: staffCamille }));
    }
    expect(results.map((r) => r.checklistComplete)).toEqual([false, false, true]);
    expect(await requiredDocumentsAccepted(who.referralId)).toBe(true);
    await expect(startUpload({ ...who, docType: 'identity', request: request(PDF), storage })).rejects.toMatchObject({ statusCode: 409, message: expect.stringContaining('déjà été validé') });
  });

  it('lets one of two concurrent reviewers win; the other gets a 409 naming who decided; a repeat answers the same', async () => {
    const who = await acceptedReferral();
    await (await upload(who, 'identity', PDF)).completed;
    const answers = await Promise.allSettled([
      reviewDocument({ referralId: who.referralId, docType: 'identity', review: { outcome: 'accepted' }, staff: staffCamille }),
      reviewDocument({ referralId: who.referralId, docType: 'identity', review: { outcome: 'rejected', reasonCode: 'illegible' }, staff: otherStaff }),
    ]);
    const won = answers.filter((a) => a.status === 'fulfilled');
    const lost = answers.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toMatchObject({ statusCode: 409, message: expect.stringMatching(/déjà été (validé|refusé) par (Camille Martin|Karim Bensaïd)/) });
    const winner = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof reviewDocument>>>).value;
    const winnerStaff = winner.document.status === 'accepted' ? staffCamille : otherStaff;
    const again = await reviewDocument({
      referralId: who.referralId,
      docType: 'identity',
      review: winner.document.status === 'accepted' ? { outcome: 'accepted' } : { outcome: 'rejected', reasonCode: 'illegible' },
      staff: winnerStaff,
    });
    expect(again).toMatchObject({ replayed: true, document: { status: winner.document.status } });
    expect((await outboxOf(who.personId)).filter((m) => String(m.cause).startsWith('document-rejected')).length).toBe(winner.document.status === 'rejected' ? 2 : 0);
  });

  it('gives staff a one-minute download named after the document', async () => {
    const who = await acceptedReferral();
    await (await upload(who, 'identity', PDF)).completed;
    const { url, expiresInSeconds } = await documentDownload({ referralId: who.referralId, docType: 'identity', storage });
    expect(expiresInSeconds).toBe(60);
    expect(decodeURIComponent(url)).toContain(`download=piece-d-identite-`);
    await expect(documentDownload({ referralId: who.referralId, docType: 'proof-of-situation', storage })).rejects.toMatchObject({ statusCode: 404 });
  });

  it('refuses to review a document nobody sent', async () => {
    const who = await acceptedReferral();
    await expect(reviewDocument({ referralId: who.referralId, docType: 'identity', review: { outcome: 'accepted' }, staff: staffCamille })).rejects.toMatchObject({ statusCode: 409 });
  });
});
