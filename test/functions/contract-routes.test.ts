import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { useFreshAppTable } from '../support/dynamodb.js';
import { callWithLink as call } from '../support/handlers.js';
import { adultSubmission, minorSubmission, prescriberLens, staffCamille } from '../support/fixtures.js';
import { decide, openApproval, takeDecision } from '../../shared/data/approvals.js';
import { prepareContract } from '../../shared/data/contracts.js';
import { getGuardianConsent } from '../../shared/data/guardian-consents.js';
import { createOnboarding } from '../../shared/data/onboarding.js';
import { storeLink } from '../../shared/data/personal-links.js';
import { referralDecisions } from '../../shared/data/referral-decisions.js';
import { getReferralRecord, submitReferral, type ReferralRecord } from '../../shared/data/referrals.js';
import { requiredDocuments } from '../../shared/domain/documents.js';
import type { ReferralSubmission } from '../../shared/domain/referral.js';
import { keys } from '../../shared/keys.js';
import { handler as guardianPage } from '../../functions/guardian/get.js';
import { handler as guardianConsent } from '../../functions/guardian/consent.js';
import { handler as contractAcceptance } from '../../functions/me/contract-acceptance.js';
import { handler as myContract } from '../../functions/me/contract.js';

let doc: DynamoDBDocumentClient;
let table: string;

beforeAll(async () => {
  ({ doc, tableName: table } = await useFreshAppTable({ STAFF_EMAIL: 'equipe@coopconnexion.local', APP_BASE_URL: 'https://parcours.example.org' }));
});


async function onboarded(submission: ReferralSubmission): Promise<ReferralRecord> {
  const { referral } = await submitReferral({ prescriber: prescriberLens, submission, idempotencyKey: randomUUID() });
  const opened = await openApproval(referralDecisions, { subjectId: referral.referralId, phase: 'initial', taskToken: `task-${randomUUID()}`, appBaseUrl: 'http://app' });
  if (opened.state !== 'waiting') throw new Error('expected an open approval');
  await decide(referralDecisions, { approvalId: opened.approval.approvalId, decision: { outcome: 'accepted' }, actor: staffCamille });
  await takeDecision(referralDecisions, referral.referralId);
  const accepted = (await getReferralRecord(referral.referralId))!;
  await createOnboarding({ referral: accepted });
  return accepted;
}

const link = async (referral: ReferralRecord, audience: 'young-person' | 'guardian') => (await storeLink({ personId: referral.personId, referralId: referral.referralId, audience })).token;
const partitionSize = async (referralId: string) =>
  (await doc.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `ONBOARDING#${referralId}` }, ConsistentRead: true }))).Count;

describe("the guardian's routes", () => {
  it("show the guardian what they consent to and record their answer through their own link only", async () => {
    const referral = await onboarded({ ...minorSubmission(), programme: 'cjs', programmeStartDate: '2027-07-01' });
    const guardian = await link(referral, 'guardian');
    const page = await call(guardianPage, 'GET /api/guardian', guardian);
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ youngFirstName: referral.youngPerson.firstName, programme: 'cjs', startDate: '2027-07-01', status: 'not-yet' });
    expect(page.body.contract).toBeUndefined();
    const answer = { outcome: 'consented', textSha256: page.body.textSha256, signerName: 'Nadia Haddad', relationship: 'Mère', imageRights: false };

    // The young person's own link does not open the guardian's page, and writes nothing.
    const before = await partitionSize(referral.referralId);
    const young = await link(referral, 'young-person');
    expect((await call(guardianConsent, 'POST /api/guardian/consent', young, answer)).status).toBe(403);
    expect((await call(guardianPage, 'GET /api/guardian', young)).status).toBe(403);
    // Another onboarding's guardian link (an adult's: no consent asked) cannot answer either.
    const adult = await onboarded(adultSubmission());
    expect((await call(guardianConsent, 'POST /api/guardian/consent', await link(adult, 'guardian'), answer)).status).toBe(404);
    expect(await partitionSize(referral.referralId)).toBe(before);
    expect(await getGuardianConsent(referral.referralId)).toBeUndefined();

    const bad = await call(guardianConsent, 'POST /api/guardian/consent', guardian, { outcome: 'consented', textSha256: 'x', signerName: '' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['relationship', 'signerName', 'textSha256']);
    const withoutImageRights = await call(guardianConsent, 'POST /api/guardian/consent', guardian, { ...answer, imageRights: undefined });
    expect(withoutImageRights.body.errors).toEqual([{ field: 'imageRights', message: "Indiquez si vous autorisez le droit à l'image." }]);

    const recorded = await call(guardianConsent, 'POST /api/guardian/consent', guardian, answer);
    expect(recorded).toMatchObject({ status: 200, body: { outcome: 'consented', statusLabel: 'Accord donné' } });
    expect(await getGuardianConsent(referral.referralId)).toMatchObject({ outcome: 'consented', signerName: 'Nadia Haddad', imageRights: false, textSha256: page.body.textSha256 });
    expect((await call(guardianPage, 'GET /api/guardian', guardian)).body).toMatchObject({ status: 'consented', answer: { outcome: 'consented', relationship: 'Mère' } });
  });
});

describe("the young person's contract routes", () => {
  it('say the contract is not ready yet, then accept it only by the SHA-256 of the current PDF', async () => {
    const referral = await onboarded(adultSubmission());
    const young = await link(referral, 'young-person');
    expect(await call(myContract, 'GET /api/me/contract', young)).toMatchObject({ status: 200, body: { status: 'not-ready' } });

    for (const docType of requiredDocuments(referral.programme, referral.youngPerson.birthDate, referral.programmeStartDate)) {
      await doc.send(new PutCommand({ TableName: table, Item: { ...keys.onboardingDocument(referral.referralId, docType), type: 'onboarding-document', referralId: referral.referralId, docType, status: 'accepted' } }));
    }
    const { contract } = await prepareContract({ referralId: referral.referralId, storage: { putObject: async () => ({}), presignDownload: async (key) => `memory://${key}` } });

    const bad = await call(contractAcceptance, 'POST /api/me/contract/acceptance', young, { sha256: 'ABC' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['sha256']);
    const changed = await call(contractAcceptance, 'POST /api/me/contract/acceptance', young, { sha256: 'c'.repeat(64) });
    expect(changed.status).toBe(409);
    expect(changed.body.message).toContain('Le contrat a changé');
    expect((await call(contractAcceptance, 'POST /api/me/contract/acceptance', await link(referral, 'guardian'), { sha256: contract.sha256 })).status).toBe(403);

    const accepted = await call(contractAcceptance, 'POST /api/me/contract/acceptance', young, { sha256: contract.sha256 });
    expect(accepted).toMatchObject({ status: 200, body: { status: 'accepted', sha256: contract.sha256 } });
  });
});
