import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDocumentsS3, type DocumentsS3 } from '../support/documents-s3.js';
import { useFreshAppTable } from '../support/dynamodb.js';
import { apiEvent, lambdaContext } from '../support/events.js';
import { adultSubmission, prescriberLens, staffCamille } from '../support/fixtures.js';
import { decide, openApproval } from '../../shared/data/approvals.js';
import { getChecklist } from '../../shared/data/documents.js';
import { referralDecisions } from '../../shared/data/referral-decisions.js';
import { getReferralRecord, submitReferral } from '../../shared/data/referrals.js';
import { createOnboarding } from '../../shared/data/onboarding.js';
import { storeLink } from '../../shared/data/personal-links.js';
import type { ApiResult } from '../../shared/http/api.js';
import type { ChecklistView } from '../../shared/views.js';
import { handler as myDocuments } from '../../functions/me/documents.js';
import { handler as startMyUpload } from '../../functions/me/start-upload.js';
import { handler as completeMyUpload } from '../../functions/me/complete-upload.js';
import { handler as myBankDetails } from '../../functions/me/bank-details.js';

/*
 * The young person's document routes, through their personal link, against DynamoDB Local and the local cloud's
 * S3 (which checks the presigned PUT as S3 does): what the phone's page does, step by step.
 */

const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(2000, 0x41)]);
const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(2007, 0x90)]);
const IBAN = 'FR76 3000 6000 0112 3456 7890 189';

let s3: DocumentsS3;

beforeAll(async () => {
  await useFreshAppTable({ STAFF_EMAIL: 'equipe@coopconnexion.local' });
  s3 = await startDocumentsS3();
});

afterAll(async () => {
  await s3?.stop();
});

const ctx = lambdaContext();
const call = async (h: (e: never, c: never) => Promise<ApiResult>, event: unknown) => {
  const result = await h(event as never, ctx as never);
  return { status: result.statusCode, body: JSON.parse(String(result.body)) };
};

/** An accepted adult referral in onboarding, and a link of the young person. */
async function youngPerson() {
  const { referral } = await submitReferral({ prescriber: prescriberLens, submission: adultSubmission(), idempotencyKey: randomUUID() });
  const opened = await openApproval(referralDecisions, { subjectId: referral.referralId, phase: 'initial', taskToken: `t-${randomUUID()}`, appBaseUrl: 'http://app' });
  if (opened.state !== 'waiting') throw new Error('expected an open approval');
  await decide(referralDecisions, { approvalId: opened.approval.approvalId, decision: { outcome: 'accepted' }, actor: staffCamille });
  await createOnboarding({ referral: (await getReferralRecord(referral.referralId))! });
  const { token } = await storeLink({ personId: referral.personId, referralId: referral.referralId, audience: 'young-person' });
  return { referralId: referral.referralId, personId: referral.personId, headers: { 'x-parcours-link': token } };
}
type Who = Awaited<ReturnType<typeof youngPerson>>;

const getDocuments = (who: Pick<Who, 'headers'>) => call(myDocuments, apiEvent({ routeKey: 'GET /api/me/documents', headers: who.headers }));
const start = (who: Pick<Who, 'headers'>, docType: string, body: unknown) =>
  call(startMyUpload, apiEvent({ routeKey: 'POST /api/me/documents/{docType}/uploads', headers: who.headers, pathParameters: { docType }, body }));
const complete = (who: Pick<Who, 'headers'>, uploadId: string) =>
  call(completeMyUpload, apiEvent({ routeKey: 'POST /api/me/uploads/{uploadId}/complete', headers: who.headers, pathParameters: { uploadId } }));
const saveBank = (who: Pick<Who, 'headers'>, body: unknown) => call(myBankDetails, apiEvent({ routeKey: 'PUT /api/me/bank-details', headers: who.headers, body }));
/** The phone's PUT: the URL and exactly the headers the API answered. */
const put = (started: { url: string; headers: Record<string, string> }, body: Buffer) => fetch(started.url, { method: 'PUT', headers: started.headers, body: new Uint8Array(body) });

describe('GET /api/me/documents', () => {
  it('shows the checklist of the link’s onboarding, each document to send, and the upload limits', async () => {
    const who = await youngPerson();
    const res = await getDocuments(who);
    expect(res.status).toBe(200);
    const view = res.body as ChecklistView;
    expect(view.referralId).toBe(who.referralId);
    expect(view.documents.map((d) => d.docType)).toEqual(['identity', 'proof-of-situation', 'bank-details']);
    expect(view.documents.every((d) => d.status === 'missing' && d.statusLabel)).toBe(true);
    expect(view).toMatchObject({ complete: false, limits: { maxBytes: 10 * 1024 * 1024, types: ['application/pdf', 'image/jpeg', 'image/png'] } });
  });

  it('is refused without a link, and with a guardian’s link (401, 403), reading nothing', async () => {
    const who = await youngPerson();
    expect((await getDocuments({ headers: {} as { 'x-parcours-link': string } })).status).toBe(401);
    const guardian = await storeLink({ personId: who.personId, referralId: who.referralId, audience: 'guardian' });
    const res = await getDocuments({ headers: { 'x-parcours-link': guardian.token } });
    expect(res.status).toBe(403);
    expect(res.body.message).toMatch(/lien/);
  });
});

describe('POST /api/me/documents/{docType}/uploads then POST /api/me/uploads/{uploadId}/complete', () => {
  it('takes a PDF from the phone straight to S3 and puts it in review', async () => {
    const who = await youngPerson();
    const started = await start(who, 'identity', { contentType: 'application/pdf', size: PDF.length, fileName: 'carte.pdf' });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ uploadId: expect.any(String), url: expect.stringContaining(s3.endpoint), headers: expect.objectContaining({ 'content-type': 'application/pdf' }) });
    expect((await put(started.body, PDF)).status).toBe(200);
    const done = await complete(who, started.body.uploadId);
    expect(done).toMatchObject({ status: 200, body: { status: 'submitted', docType: 'identity', fileType: 'application/pdf' } });
    const view = (await getDocuments(who)).body as ChecklistView;
    expect(view.documents.find((d) => d.docType === 'identity')).toMatchObject({ status: 'submitted', statusLabel: expect.any(String) });
  });

  it('refuses a program named like a PDF with a French reason, keeping the checklist unchanged', async () => {
    const who = await youngPerson();
    const started = await start(who, 'identity', { contentType: 'application/pdf', size: EXE.length, fileName: 'carte.pdf' });
    expect((await put(started.body, EXE)).status).toBe(200);
    const refused = await complete(who, started.body.uploadId);
    expect(refused.status).toBe(422);
    expect(refused.body.message).toMatch(/PDF|JPEG|PNG/);
    expect((await getChecklist(who.referralId)).documents.size).toBe(0);
  });

  it('refuses a declared size over 10 MB, an unknown type and a document not asked for (400, 400, 404)', async () => {
    const who = await youngPerson();
    const big = await start(who, 'identity', { contentType: 'application/pdf', size: 10 * 1024 * 1024 + 1, fileName: 'scan.pdf' });
    expect(big.status).toBe(400);
    expect(JSON.stringify(big.body)).toContain('10 Mo');
    const exe = await start(who, 'identity', { contentType: 'application/x-msdownload', size: 100, fileName: 'scan.exe' });
    expect(exe.status).toBe(400);
    expect(exe.body.errors.map((e: { field: string }) => e.field)).toEqual(['contentType']);
    expect((await start(who, 'guardian-identity', { contentType: 'application/pdf', size: 100, fileName: 'scan.pdf' })).status).toBe(404);
  });

  it('does not complete another person’s upload (404)', async () => {
    const [who, other] = [await youngPerson(), await youngPerson()];
    const started = await start(who, 'identity', { contentType: 'application/pdf', size: PDF.length, fileName: 'carte.pdf' });
    expect((await put(started.body, PDF)).status).toBe(200);
    expect((await complete(other, started.body.uploadId)).status).toBe(404);
    expect((await complete(who, started.body.uploadId)).status).toBe(200);
  });
});

describe('PUT /api/me/bank-details', () => {
  it('keeps a valid IBAN and answers it masked; refuses a wrong key field by field', async () => {
    const who = await youngPerson();
    const saved = await saveBank(who, { iban: IBAN, holder: 'Léa Martin' });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ changed: true, bankDetails: { holder: 'Léa Martin', ibanMasked: 'FR76 •••• •••• •••• •••• •••0 189' } });
    expect(JSON.stringify(saved.body)).not.toContain('30006000011234567890');
    const wrong = await saveBank(who, { iban: 'FR7630006000011234567890188', holder: 'Léa Martin' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors.map((e: { field: string }) => e.field)).toEqual(['iban']);
    expect(((await getDocuments(who)).body as ChecklistView).bankDetails).toMatchObject({ holder: 'Léa Martin' });
  });
});
