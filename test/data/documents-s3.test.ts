import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DOCUMENTS_BUCKET, startDocumentsS3, type DocumentsS3 } from '../support/documents-s3.js';
import { useFreshAppTable } from '../support/dynamodb.js';
import { adultSubmission, prescriberLens, staffCamille } from '../support/fixtures.js';
import { decide, openApproval } from '../../shared/data/approvals.js';
import { completeUpload, documentDownload, getChecklist, startUpload } from '../../shared/data/documents.js';
import { referralDecisions } from '../../shared/data/referral-decisions.js';
import { getReferralRecord, submitReferral } from '../../shared/data/referrals.js';
import { createOnboarding } from '../../shared/data/onboarding.js';
import { MAX_DOCUMENT_BYTES, type AcceptedFileType } from '../../shared/domain/documents.js';
import { headObject } from '../../shared/storage/objects.js';

/*
 * The upload flow against the local cloud's S3 (infra/local/s3.ts), which checks presigned requests as S3 does:
 * what the browser can do with the URL it is given, and what the completion keeps or refuses.
 */

const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(3000, 0x41)]);
/** A Windows program ("MZ") that the phone's file picker calls "carte-identite.pdf". */
const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(3007, 0x90)]);

let s3: DocumentsS3;
let doc: DynamoDBDocumentClient;
let table: string;

beforeAll(async () => {
  ({ doc, tableName: table } = await useFreshAppTable({ STAFF_EMAIL: 'equipe@coopconnexion.local' }));
  s3 = await startDocumentsS3();
});

afterAll(async () => {
  await s3?.stop();
});

async function acceptedReferral() {
  const { referral } = await submitReferral({ prescriber: prescriberLens, submission: adultSubmission(), idempotencyKey: randomUUID() });
  const opened = await openApproval(referralDecisions, { subjectId: referral.referralId, phase: 'initial', taskToken: `t-${randomUUID()}`, appBaseUrl: 'http://app' });
  if (opened.state !== 'waiting') throw new Error('expected an open approval');
  await decide(referralDecisions, { approvalId: opened.approval.approvalId, decision: { outcome: 'accepted' }, actor: staffCamille });
  await createOnboarding({ referral: (await getReferralRecord(referral.referralId))! });
  return { referralId: referral.referralId, personId: referral.personId };
}

const put = (url: string, headers: Record<string, string>, body: Buffer) => fetch(url, { method: 'PUT', headers, body: new Uint8Array(body) });
const start = (who: { referralId: string; personId: string }, size: number, contentType: AcceptedFileType = 'application/pdf', now?: Date) =>
  startUpload({ ...who, docType: 'identity', request: { contentType, size, fileName: 'carte-identite.pdf' }, now });
const incomingKeyOf = async (referralId: string, uploadId: string) => {
  const items = (await doc.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `ONBOARDING#${referralId}` }, ConsistentRead: true }))).Items ?? [];
  return String(items.find((i) => i.uploadId === uploadId)?.incomingKey);
};
const checklistUnchanged = async (referralId: string) => {
  const checklist = await getChecklist(referralId);
  expect(checklist.documents.size).toBe(0);
  expect(checklist.missing).toEqual(checklist.required);
};

describe('uploads through the local S3', () => {
  it('takes a PDF from the browser, keeps it encrypted out of incoming/, and gives staff a download of it', async () => {
    const who = await acceptedReferral();
    const started = await start(who, PDF.length);
    expect((await put(started.url, started.headers, PDF)).status).toBe(200);
    const incoming = await incomingKeyOf(who.referralId, started.uploadId);
    expect(incoming).toMatch(new RegExp(`^incoming/${who.personId}/[A-Za-z0-9_-]{32}$`));
    await expect(completeUpload({ ...who, uploadId: started.uploadId })).resolves.toMatchObject({ status: 'submitted', fileType: 'application/pdf' });
    expect(await headObject(incoming)).toBeUndefined();
    expect(await headObject(`documents/${who.personId}/${started.uploadId}`)).toMatchObject({ contentLength: PDF.length, serverSideEncryption: 'aws:kms' });
    const download = await documentDownload({ referralId: who.referralId, docType: 'identity' });
    const got = await fetch(download.url);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-disposition')).toContain('piece-d-identite-');
    expect(Buffer.from(await got.arrayBuffer()).equals(PDF)).toBe(true);
  });

  it('refuses a renamed executable at completion, deletes it, and leaves the checklist unchanged', async () => {
    const who = await acceptedReferral();
    const started = await start(who, EXE.length);
    expect((await put(started.url, started.headers, EXE)).status).toBe(200);
    await expect(completeUpload({ ...who, uploadId: started.uploadId })).rejects.toMatchObject({ statusCode: 422 });
    expect(await headObject(await incomingKeyOf(who.referralId, started.uploadId))).toBeUndefined();
    await checklistUnchanged(who.referralId);
  });

  it('cannot put more than the size signed (so never more than 10 MB), and nothing is kept', async () => {
    const who = await acceptedReferral();
    const started = await start(who, MAX_DOCUMENT_BYTES);
    const tooBig = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(MAX_DOCUMENT_BYTES, 0x41)]);
    expect((await put(started.url, started.headers, tooBig)).status).toBe(403);
    await expect(completeUpload({ ...who, uploadId: started.uploadId })).rejects.toMatchObject({ statusCode: 409 });
    await checklistUnchanged(who.referralId);
  });

  it('refuses a presigned PUT used twice, and a second completion answers the same', async () => {
    const who = await acceptedReferral();
    const started = await start(who, PDF.length);
    expect((await put(started.url, started.headers, PDF)).status).toBe(200);
    expect((await put(started.url, started.headers, EXE.subarray(0, PDF.length))).status).toBe(412);
    const first = await completeUpload({ ...who, uploadId: started.uploadId });
    expect(await completeUpload({ ...who, uploadId: started.uploadId })).toEqual(first);
  });

  it('refuses an expired presigned PUT, then the completion with a 410', async () => {
    const who = await acceptedReferral();
    const started = await start(who, PDF.length, 'application/pdf', new Date(Date.now() - 60 * 60 * 1000));
    const late = await put(started.url, started.headers, PDF);
    expect(late.status).toBe(403);
    expect(await late.text()).toContain('Request has expired');
    await expect(completeUpload({ ...who, uploadId: started.uploadId })).rejects.toMatchObject({ statusCode: 410 });
    await checklistUnchanged(who.referralId);
  });

  it("refuses the URL turned to a key outside the person's prefix", async () => {
    const who = await acceptedReferral();
    const other = await acceptedReferral();
    const started = await start(who, PDF.length);
    const url = new URL(started.url);
    const forged = `incoming/${other.personId}/${randomUUID()}`;
    url.pathname = `/${DOCUMENTS_BUCKET}/${forged}`;
    expect((await put(url.toString(), started.headers, PDF)).status).toBe(403);
    expect(await headObject(forged)).toBeUndefined();
    await checklistUnchanged(who.referralId);
  });
});
