import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomUUID } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { apiClient, eventually, startTestCloud } from '../support/cloud.js';
import { minorSubmission } from '../support/fixtures.js';
import { recordPersonalValues } from '../support/personal-data.js';
import { completeUpload, saveBankDetails, startUpload } from '../../shared/data/documents.js';
import { parisDateTime } from '../../shared/domain/sessions.js';
import { keys } from '../../shared/keys.js';
import type { ParcoursLocalCloud as LocalCloud } from '../../infra/local-app/profile.js';

/*
 * One whole onboarding on the local cloud (`test` stage timings), through the deployed workflows and the real HTTP
 * APIs: a minor CJS referral accepted, the welcome e-mail's link, a session chosen and attended, the diagnosis, the
 * documents (one rejected then accepted), the guardian's consent, the contract accepted by its SHA-256 and
 * countersigned, and the person launch-ready with every message sent once.
 * The young person's document routes are not in this branch: the uploads go through the same data functions those
 * routes call (startUpload, a PUT to the presigned URL of the local S3, completeUpload).
 */

let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startTestCloud({ stage: 'test', inMemory: true });
  // The settings of a function that writes documents (the bucket and the project's key).
  const env = cloud.app.functions.map((f) => f.environment as Record<string, string>).find((e) => e.DOCUMENTS_BUCKET && e.DOCUMENTS_KEY_ARN)!;
  Object.assign(process.env, {
    TABLE_NAME: cloud.tableName,
    AWS_ENDPOINT_URL_DYNAMODB: cloud.urls.dynamodb,
    AWS_ENDPOINT_URL_S3: cloud.urls.s3,
    AWS_ACCESS_KEY_ID: cloud.accessKeyId,
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: 'eu-west-3',
    DOCUMENTS_BUCKET: env.DOCUMENTS_BUCKET,
    DOCUMENTS_KEY_ARN: env.DOCUMENTS_KEY_ARN,
  });
}, 180_000);
afterAll(async () => cloud?.stop());

const executionArn = (prefix: string, name: string) => `${cloud.app.stateMachines.find((m) => m.logicalId.startsWith(prefix))!.arn.replace(':stateMachine:', ':execution:')}:${name}`;
const mailsTo = async (address: string) => (await cloud.ses.listEmails()).filter((m) => m.to.includes(address));
const linkIn = async (address: string, page: 'mon-parcours' | 'tuteur', what: string) => {
  const mail = await eventually(async () => (await mailsTo(address)).find((m) => m.text?.includes(`/${page}#`)), 30_000, what);
  const token = new RegExp(`/${page}#([A-Za-z0-9_-]{43})`).exec(mail.text ?? '')![1]!;
  recordPersonalValues([['link token', token]]);
  return token;
};
const PDF = (label: string) => Buffer.from(`%PDF-1.4\n% ${label}\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n`);

describe('a whole onboarding on the local cloud', () => {
  it('takes a minor CJS from acceptance to launch-ready through the HTTP APIs, each message sent once', async () => {
    const started = Date.now();
    const sarah = apiClient(cloud, 'sarah.benali');
    const camille = apiClient(cloud, 'camille.martin');
    const anonymous = apiClient(cloud);
    const submission = { ...minorSubmission(), programme: 'cjs' as const, programmeStartDate: '2027-07-01' };
    const young = submission.youngPerson;
    const guardianEmail = submission.guardian!.email;

    // Acceptance.
    const submitted = await sarah('POST', '/api/referrals', submission, { 'idempotency-key': randomUUID() });
    expect(submitted.status).toBe(201);
    const referralId = submitted.body.referralId as string;
    const item = await eventually(async () => (await camille('GET', '/api/staff/inbox?limit=100')).body.items.find((i: { referralId: string }) => i.referralId === referralId), 30_000, 'the referral in the inbox');
    const personId = item.personId as string;
    expect((await camille('POST', `/api/approvals/${item.approvalId}/decision`, { outcome: 'accepted' })).status).toBe(200);

    // The welcome e-mail's personal link opens the young person's space.
    const token = await linkIn(young.email, 'mon-parcours', 'the welcome e-mail with the personal link');
    const me = (method: string, path: string, body?: unknown) => anonymous(method, path, body, { 'x-parcours-link': token });
    expect((await me('GET', '/api/me')).body).toMatchObject({ onboarding: { status: 'active' }, next: { step: 'information-session' } });

    // Information session: staff create one, the young person chooses it, the hour comes, staff record them present.
    const inTwoDays = parisDateTime(new Date(Date.now() + 2 * 86_400_000).toISOString());
    const created = await camille('POST', '/api/staff/sessions', { date: inTwoDays.date, time: '14:00', place: 'Maison des associations, Lens', capacity: 8, programmes: ['cjs'] }, { 'idempotency-key': randomUUID() });
    expect(created.status).toBe(201);
    const sessionId = created.body.sessionId as string;
    const choosable = await me('GET', '/api/me/sessions');
    expect(choosable.body.booking.status).toBe('to-choose');
    expect(choosable.body.sessions.map((s: { sessionId: string }) => s.sessionId)).toContain(sessionId);
    expect(await me('PUT', '/api/me/session', { sessionId })).toMatchObject({ status: 200, body: { status: 'booked', session: { sessionId } } });
    await cloud.documentClient.send(
      new UpdateCommand({ TableName: cloud.tableName, Key: keys.session(sessionId), UpdateExpression: 'SET startsAt = :past', ExpressionAttributeValues: { ':past': new Date(Date.now() - 60_000).toISOString() } }),
    );
    expect((await camille('POST', `/api/staff/sessions/${sessionId}/attendance`, { referralId, attendance: 'present' })).body).toMatchObject({ settled: 'attended' });

    // Diagnosis interview recorded by staff (once its wait is open, it settles it).
    const diagnosis = await camille('PUT', `/api/staff/onboarding/${referralId}/diagnosis`, { action: 'record', goals: 'Créer sa coopérative d’été.', skills: 'Jardinage, contact.', needs: 'Transport.' });
    expect(diagnosis.status).toBe(200);

    // Documents: the identity document is rejected, sent again, accepted; every other one accepted.
    const upload = async (docType: string) => {
      const bytes = PDF(`${docType} ${randomUUID()}`);
      const startedUpload = await startUpload({ personId, referralId, docType, request: { contentType: 'application/pdf', size: bytes.length, fileName: `${docType}.pdf` } });
      const put = await fetch(startedUpload.url, { method: 'PUT', headers: startedUpload.headers, body: bytes });
      expect(put.status, `PUT ${docType}`).toBe(200);
      expect((await completeUpload({ personId, referralId, uploadId: startedUpload.uploadId })).status).toBe('submitted');
    };
    const review = (docType: string, body: unknown) => camille('POST', `/api/staff/documents/${referralId}/${docType}/review`, body);
    await saveBankDetails({ personId, referralId, details: { iban: 'FR76 3000 6000 0112 3456 7890 189', holder: `${young.firstName} ${young.lastName}` } });
    for (const docType of ['identity', 'proof-of-situation', 'bank-details', 'guardian-identity']) await upload(docType);
    expect((await review('identity', { outcome: 'rejected', reasonCode: 'illegible' })).status).toBe(200);
    await eventually(async () => (await mailsTo(young.email)).some((m) => m.text?.includes('/mon-parcours#') && /refus|illisible/i.test(`${m.subject} ${m.text}`)), 20_000, 'the rejection e-mail');
    await upload('identity');
    for (const docType of ['identity', 'proof-of-situation', 'bank-details', 'guardian-identity']) expect((await review(docType, { outcome: 'accepted' })).status, docType).toBe(200);

    // The guardian consents through their own link.
    const guardianToken = await linkIn(guardianEmail, 'tuteur', "the guardian's consent e-mail");
    const guardian = (method: string, path: string, body?: unknown) => anonymous(method, path, body, { 'x-parcours-link': guardianToken });
    const consentPage = await guardian('GET', '/api/guardian');
    expect(consentPage.status).toBe(200);
    const consent = await guardian('POST', '/api/guardian/consent', { outcome: 'consented', textSha256: consentPage.body.textSha256, signerName: `${submission.guardian!.firstName} ${submission.guardian!.lastName}`, relationship: 'Mère', imageRights: true });
    expect(consent).toMatchObject({ status: 200, body: { outcome: 'consented' } });

    // The contract is prepared; the young person accepts the exact PDF by its SHA-256.
    const contract = await eventually(async () => {
      const view = await me('GET', '/api/me/contract');
      return view.body.status !== 'not-ready' && view.body.sha256 ? view.body : undefined;
    }, 30_000, 'the contract prepared');
    const pdf = Buffer.from(await (await fetch(contract.downloadUrl)).arrayBuffer());
    expect(createHash('sha256').update(pdf).digest('hex')).toBe(contract.sha256);
    expect((await me('POST', '/api/me/contract/acceptance', { sha256: 'f'.repeat(64) })).status).toBe(409);
    expect(await me('POST', '/api/me/contract/acceptance', { sha256: contract.sha256 })).toMatchObject({ status: 200, body: { status: 'accepted' } });

    // Staff countersign from their inbox, through the generic decision route.
    const countersign = await eventually(
      async () => (await camille('GET', '/api/staff/inbox?kind=contract-countersign&limit=100')).body.items.find((i: { referralId?: string; subjectId?: string }) => (i.referralId ?? i.subjectId) === referralId),
      30_000,
      'the countersignature in the inbox',
    );
    expect((await camille('POST', `/api/approvals/${countersign.approvalId}/decision`, { outcome: 'countersigned' })).status).toBe(200);

    // Launch-ready, the execution over, every message once.
    expect(await cloud.engine.waitForStatus(executionArn('OnboardingStateMachine', `onboarding-${referralId}`), { timeoutMs: 30_000, until: (s) => s !== 'RUNNING' })).toBe('SUCCEEDED');
    const timeline = await camille('GET', `/api/people/${personId}/timeline`);
    expect(timeline.body.person).toMatchObject({ pathStatus: 'launch-ready' });
    expect((await me('GET', '/api/me/contract')).body.status).toBe('countersigned');
    await eventually(async () => (await mailsTo(young.email)).some((m) => m.subject === 'Votre accueil est terminé : place au lancement de votre activité'), 20_000, 'the launch-ready e-mail');

    const notifications: Array<{ notificationId?: string; cause?: string; kind: string; role: string; channel: string; status: string }> = timeline.body.notifications;
    const sentTwice = (list: string[]) => list.filter((value, i) => list.indexOf(value) !== i);
    const emails = [...(await mailsTo(young.email)), ...(await mailsTo(guardianEmail))].map((m) => `${m.to.join()} ${m.subject}`);
    const sms = cloud.sms.list().filter((m) => m.destination === young.phone || m.destination === submission.guardian!.phone).map((m) => `${m.destination} ${m.body.replace(/https?:\S+/g, '<lien>')}`);
    expect(sentTwice(emails), 'e-mails sent twice').toEqual([]);
    expect(sentTwice(sms), 'SMS sent twice').toEqual([]);
    expect(notifications.filter((n) => ['pending', 'failed'].includes(n.status) && !n.kind.includes('reminder')), 'messages not sent').toEqual([]);
    console.log(`onboarding path: ${Date.now() - started} ms, ${emails.length} e-mails, ${sms.length} SMS`);
  }, 150_000);
});
