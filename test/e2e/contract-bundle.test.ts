import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { extractText, getDocumentProxy } from 'unpdf';
import { apiClient, startTestCloud } from '../support/cloud.js';
import { minorSubmission, prescriberLens, staffCamille } from '../support/fixtures.js';
import type { ParcoursLocalCloud } from '../../infra/local-app/profile.js';
import { decide, openApproval, takeDecision } from '../../shared/data/approvals.js';
import { acceptContract } from '../../shared/data/contract-acceptances.js';
import { contractCountersigns } from '../../shared/data/contract-countersigns.js';
import { consentTextOf, recordGuardianConsent } from '../../shared/data/guardian-consents.js';
import { createOnboarding } from '../../shared/data/onboarding.js';
import { referralDecisions } from '../../shared/data/referral-decisions.js';
import { getReferralRecord, submitReferral } from '../../shared/data/referrals.js';
import { requiredDocuments } from '../../shared/domain/documents.js';
import { keys } from '../../shared/keys.js';

/*
 * The contract rendered by the functions' bundles on the local cloud: pdfkit is bundled by esbuild and must render
 * without its font files; the PDF is kept in the local S3 and downloaded through the presigned URL the API gives.
 * The onboarding is set up through the data layer (its workflow and pages belong to other parts of issue 9).
 */
let cloud: ParcoursLocalCloud;

beforeAll(async () => {
  cloud = await startTestCloud({ stage: 'test' });
  Object.assign(process.env, { TABLE_NAME: cloud.tableName, AWS_ENDPOINT_URL_DYNAMODB: cloud.urls.dynamodb, AWS_ACCESS_KEY_ID: cloud.accessKeyId, STAFF_EMAIL: 'equipe@coopconnexion.local' });
});

afterAll(async () => {
  await cloud?.stop();
});

const textOf = async (bytes: Uint8Array) => (await extractText(await getDocumentProxy(new Uint8Array(bytes)), { mergePages: true })).text.replace(/\s+/g, ' ');

async function download(url: string) {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return new Uint8Array(await response.arrayBuffer());
}

describe('the contract on the local cloud', () => {
  it('is rendered by PrepareContract, downloaded by staff, and after the acceptance and the countersignature the final PDF prints both', { timeout: 180_000 }, async () => {
    const { referral: submitted } = await submitReferral({ prescriber: prescriberLens, submission: { ...minorSubmission(), programme: 'cjs', programmeStartDate: '2027-07-01' }, idempotencyKey: randomUUID() });
    const opened = await openApproval(referralDecisions, { subjectId: submitted.referralId, phase: 'initial', taskToken: `task-${randomUUID()}`, appBaseUrl: cloud.urls.app });
    if (opened.state !== 'waiting') throw new Error('expected an open approval');
    await decide(referralDecisions, { approvalId: opened.approval.approvalId, decision: { outcome: 'accepted' }, actor: staffCamille });
    await takeDecision(referralDecisions, submitted.referralId);
    const referral = (await getReferralRecord(submitted.referralId))!;
    await createOnboarding({ referral });
    for (const docType of requiredDocuments(referral.programme, referral.youngPerson.birthDate, referral.programmeStartDate)) {
      await cloud.documentClient.send(
        new PutCommand({ TableName: cloud.tableName, Item: { ...keys.onboardingDocument(referral.referralId, docType), type: 'onboarding-document', referralId: referral.referralId, personId: referral.personId, docType, status: 'accepted' } }),
      );
    }
    await recordGuardianConsent({
      referralId: referral.referralId,
      personId: referral.personId,
      answer: { outcome: 'consented', textSha256: consentTextOf(referral).text.sha256, signerName: `${referral.guardian!.firstName} ${referral.guardian!.lastName}`, relationship: 'Mère', imageRights: true },
    });

    const prepareContract = cloud.app.functions.find((fn) => fn.logicalId.startsWith('PrepareContract'))!;
    const prepared = await cloud.lambda.invoke(prepareContract.logicalId, { referralId: referral.referralId, personId: referral.personId });
    expect(prepared, JSON.stringify(prepared)).toMatchObject({ ok: true, result: { version: 1, created: true } });
    const again = await cloud.lambda.invoke(prepareContract.logicalId, { referralId: referral.referralId, personId: referral.personId });
    expect(again).toMatchObject({ ok: true, result: { version: 1, created: false } });

    const staff = apiClient(cloud, 'camille.martin');
    const view = await staff('GET', `/api/staff/onboarding/${referral.referralId}/contract`);
    expect(view.status, view.text).toBe(200);
    expect(view.body).toMatchObject({ status: 'prepared', version: 1, final: false, startDate: '2027-07-01', endDate: '2027-08-31' });
    const draft = await download(view.body.downloadUrl);
    expect(createHash('sha256').update(draft).digest('hex')).toBe(view.body.sha256);
    const draftText = await textOf(draft);
    expect(draftText).toContain(`${referral.youngPerson.firstName} ${referral.youngPerson.lastName}`);
    expect(draftText).toContain('Date de début : 01/07/2027 - date de fin : 31/08/2027');

    await acceptContract({ referralId: referral.referralId, personId: referral.personId, sha256: view.body.sha256 });
    const countersign = await openApproval(contractCountersigns, { subjectId: referral.referralId, phase: 'initial', taskToken: `task-${randomUUID()}`, appBaseUrl: cloud.urls.app });
    if (countersign.state !== 'waiting') throw new Error('expected the countersignature to wait');
    const decided = await staff('POST', `/api/approvals/${countersign.approval.approvalId}/decision`, { outcome: 'countersigned' });
    expect(decided.status, decided.text).toBe(200);

    const final = await staff('GET', `/api/staff/onboarding/${referral.referralId}/contract`);
    expect(final.body).toMatchObject({ status: 'countersigned', final: true, acceptance: { sha256: view.body.sha256 }, countersignature: { staffName: 'Camille Martin' } });
    const finalBytes = await download(final.body.downloadUrl);
    expect(createHash('sha256').update(finalBytes).digest('hex')).toBe(final.body.sha256);
    const finalText = await textOf(finalBytes);
    expect(finalText).toContain(`Accepté en ligne par ${referral.youngPerson.firstName} ${referral.youngPerson.lastName}`);
    expect(finalText.replace(/ /g, '')).toContain(`EmpreinteSHA-256ducontrataccepté:${view.body.sha256}`);
    expect(finalText).toContain('Contresigné pour la coopérative par Camille Martin');
  });
});
