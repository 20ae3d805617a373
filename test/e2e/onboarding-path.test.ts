import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { apiClient, eventually, startTestCloud } from '../support/cloud.js';
import { minorSubmission } from '../support/fixtures.js';
import { recordPersonalValues } from '../support/personal-data.js';
import { onboardingDriver } from '../support/onboarding-driver.js';
import { keys } from '../../shared/keys.js';
import type { ParcoursLocalCloud as LocalCloud } from '../../infra/local-app/profile.js';

/*
 * One whole onboarding on the local cloud (`test` stage timings), through the deployed workflows and the real HTTP
 * APIs (test/support/onboarding-driver.ts): a minor CJS referral accepted, the welcome e-mail's link, a session
 * chosen and attended, the diagnosis, the documents sent from the phone through the presigned PUT of the local S3
 * (one rejected then accepted), the guardian's consent, the contract accepted by its SHA-256 and countersigned, and
 * the person launch-ready with every message sent once.
 */

let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startTestCloud({ stage: 'test', inMemory: true });
}, 180_000);
afterAll(async () => cloud?.stop());

const executionArn = (prefix: string, name: string) => `${cloud.app.stateMachines.find((m) => m.logicalId.startsWith(prefix))!.arn.replace(':stateMachine:', ':execution:')}:${name}`;
const mailsTo = async (address: string) => (await cloud.ses.listEmails()).filter((m) => m.to.includes(address));

describe('a whole onboarding on the local cloud', () => {
  it('takes a minor CJS from acceptance to launch-ready through the HTTP APIs, each message sent once', async () => {
    const started = Date.now();
    const camille = apiClient(cloud, 'camille.martin');
    const drive = onboardingDriver({
      referrer: apiClient(cloud, 'sarah.benali'),
      staff: camille,
      anonymous: apiClient(cloud),
      emails: () => cloud.ses.listEmails(),
      startSession: async (sessionId) => {
        await cloud.documentClient.send(
          new UpdateCommand({ TableName: cloud.tableName, Key: keys.session(sessionId), UpdateExpression: 'SET startsAt = :past', ExpressionAttributeValues: { ':past': new Date(Date.now() - 60_000).toISOString() } }),
        );
      },
      onToken: (token) => recordPersonalValues([['link token', token]]),
    });
    const submission = { ...minorSubmission(), programme: 'cjs' as const, programmeStartDate: '2027-07-01' };
    const young = submission.youngPerson;
    const guardianEmail = submission.guardian!.email;

    // Acceptance.
    const { referralId, personId } = await drive.accept(submission);

    // The welcome e-mail's personal link opens the young person's space.
    const me = drive.withLink(await drive.link(young.email, 'mon-parcours'));
    expect((await me('GET', '/api/me')).body).toMatchObject({ onboarding: { status: 'active' }, next: { step: 'information-session' } });
    const choosable = await me('GET', '/api/me/sessions');
    expect(choosable.body.booking.status).toBe('to-choose');

    // Information session: staff create one, the young person chooses it, the hour comes, staff record them present.
    await drive.attendSession(['cjs'], [{ referralId, young: me }]);

    // Diagnosis interview recorded by staff (once its wait is open, it settles it).
    await drive.recordDiagnosis(referralId);

    // Documents: the identity document is rejected, sent again, accepted; every other one accepted.
    await drive.saveBankDetails(me, `${young.firstName} ${young.lastName}`);
    for (const docType of ['identity', 'proof-of-situation', 'bank-details', 'guardian-identity']) await drive.sendDocument(me, docType);
    await drive.review(referralId, 'identity', { outcome: 'rejected', reasonCode: 'illegible' });
    await eventually(async () => (await mailsTo(young.email)).some((m) => m.text?.includes('/mon-parcours#') && /refus|illisible/i.test(`${m.subject} ${m.text}`)), 20_000, 'the rejection e-mail');
    await drive.sendDocument(me, 'identity');
    for (const docType of ['identity', 'proof-of-situation', 'bank-details', 'guardian-identity']) await drive.review(referralId, docType, { outcome: 'accepted' });

    // The guardian consents through their own link.
    await drive.consent(drive.withLink(await drive.link(guardianEmail, 'tuteur')), submission);

    // The contract is prepared; a SHA-256 other than the PDF's is refused; the young person accepts the exact PDF.
    const contract = await eventually(async () => {
      const view = await me('GET', '/api/me/contract');
      return view.body.status !== 'not-ready' && view.body.sha256 ? view.body : undefined;
    }, 30_000, 'the contract prepared');
    expect((await me('POST', '/api/me/contract/acceptance', { sha256: 'f'.repeat(64) })).status).toBe(409);
    expect((await drive.acceptContract(me)).sha256).toBe(contract.sha256);

    // Staff countersign from their inbox, through the generic decision route.
    await drive.countersign(referralId);
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
  }, 240_000);
});
