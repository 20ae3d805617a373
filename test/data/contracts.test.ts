import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { extractText, getDocumentProxy } from 'unpdf';
import { useFreshAppTable } from '../support/dynamodb.js';
import { adultSubmission, minorSubmission, prescriberLens, staffCamille } from '../support/fixtures.js';
import { decide, openApproval, takeDecision } from '../../shared/data/approvals.js';
import { acceptContract, contractAcceptances } from '../../shared/data/contract-acceptances.js';
import { getCurrentContract } from '../../shared/data/contract-records.js';
import { contractCountersigns } from '../../shared/data/contract-countersigns.js';
import { contractView, finalizeContract, prepareContract, type ContractStorage } from '../../shared/data/contracts.js';
import { consentTextOf, getGuardianConsent, guardianConsents, guardianConsentView, recordGuardianConsent } from '../../shared/data/guardian-consents.js';
import { createOnboarding, loadStep } from '../../shared/data/onboarding.js';
import { referralDecisions } from '../../shared/data/referral-decisions.js';
import { getReferralRecord, submitReferral, type ReferralRecord } from '../../shared/data/referrals.js';
import { requiredDocuments } from '../../shared/domain/documents.js';
import type { GuardianConsentAnswer } from '../../shared/domain/guardian-consent.js';
import type { ReferralSubmission } from '../../shared/domain/referral.js';
import { keys } from '../../shared/keys.js';

let doc: DynamoDBDocumentClient;
let table: string;

beforeAll(async () => {
  ({ doc, tableName: table } = await useFreshAppTable({ STAFF_EMAIL: 'equipe@coopconnexion.local' }));
});

/** The bucket, in memory: what was put, and download URLs that name the object. */
function memoryStorage() {
  const objects = new Map<string, Uint8Array>();
  const storage: ContractStorage = {
    putObject: async (key, body) => {
      objects.set(key, typeof body === 'string' ? Buffer.from(body) : body);
      return {};
    },
    presignDownload: async (key, fileName) => `memory://${key}?name=${encodeURIComponent(fileName)}`,
  };
  return { objects, storage };
}

async function onboarded(submission: ReferralSubmission): Promise<ReferralRecord> {
  const { referral } = await submitReferral({ prescriber: prescriberLens, submission, idempotencyKey: randomUUID() });
  const opened = await openApproval(referralDecisions, { subjectId: referral.referralId, phase: 'initial', taskToken: 't', appBaseUrl: 'http://app' });
  if (opened.state !== 'waiting') throw new Error('expected an open approval');
  await decide(referralDecisions, { approvalId: opened.approval.approvalId, decision: { outcome: 'accepted' }, actor: staffCamille });
  await takeDecision(referralDecisions, referral.referralId);
  const accepted = (await getReferralRecord(referral.referralId))!;
  await createOnboarding({ referral: accepted });
  return accepted;
}

const cjsMinor = () => ({ ...minorSubmission(), programme: 'cjs' as const, programmeStartDate: '2027-07-01' });

/** Staff accepted these documents (the documents helper's review writes the same item status). */
async function acceptDocuments(referral: ReferralRecord, only?: string[]) {
  const all = requiredDocuments(referral.programme, referral.youngPerson.birthDate, referral.programmeStartDate);
  for (const docType of only ?? all) {
    await doc.send(new PutCommand({ TableName: table, Item: { ...keys.onboardingDocument(referral.referralId, docType), type: 'onboarding-document', referralId: referral.referralId, personId: referral.personId, docType, status: 'accepted' } }));
  }
}

function consent(referral: ReferralRecord, outcome: 'consented' | 'refused', overrides: Partial<GuardianConsentAnswer> = {}): GuardianConsentAnswer {
  return {
    outcome,
    textSha256: consentTextOf(referral).text.sha256,
    signerName: `${referral.guardian!.firstName} ${referral.guardian!.lastName}`,
    relationship: 'Mère',
    ...(outcome === 'consented' ? { imageRights: false } : {}),
    ...overrides,
  };
}

async function partition(referralId: string, prefix: string) {
  const result = await doc.send(
    new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)', ExpressionAttributeValues: { ':pk': `ONBOARDING#${referralId}`, ':sk': prefix }, ConsistentRead: true }),
  );
  return result.Items ?? [];
}

async function outboxKinds(personId: string) {
  const result = await doc.send(
    new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)', ExpressionAttributeValues: { ':pk': `PERSON#${personId}`, ':sk': 'NOTIFICATION#' }, ConsistentRead: true }),
  );
  return (result.Items ?? []).map((item) => `${item.kind} ${item.role} ${item.channel}`).sort();
}

const textOf = async (bytes: Uint8Array) => (await extractText(await getDocumentProxy(new Uint8Array(bytes)), { mergePages: true })).text.replace(/\s+/g, ' ');

describe('no contract before every required document is accepted and, for a minor, the guardian consented', () => {
  it('refuses while a document is not accepted, and writes nothing', async () => {
    const referral = await onboarded(adultSubmission());
    await acceptDocuments(referral, ['identity', 'bank-details']);
    const { objects, storage } = memoryStorage();
    await expect(prepareContract({ referralId: referral.referralId, storage })).rejects.toMatchObject({ name: 'ContractNotReady', blockers: ['Pièces justificatives non acceptées : proof-of-situation.'] });
    expect(objects.size).toBe(0);
    expect(await partition(referral.referralId, 'CONTRACT#')).toEqual([]);
  });

  it('refuses a minor\'s contract without the consent, then prepares it once the guardian consented', async () => {
    const referral = await onboarded(cjsMinor());
    await acceptDocuments(referral);
    const { objects, storage } = memoryStorage();
    await expect(prepareContract({ referralId: referral.referralId, storage })).rejects.toMatchObject({ blockers: ["L'accord du représentant légal n'a pas encore été donné."] });
    expect(objects.size).toBe(0);

    await recordGuardianConsent({ referralId: referral.referralId, personId: referral.personId, answer: consent(referral, 'consented') });
    const { contract, created } = await prepareContract({ referralId: referral.referralId, storage });
    expect(created).toBe(true);
    expect(contract).toMatchObject({ version: 1, status: 'prepared', programme: 'cjs' });
    expect(contract.data.consent).toMatchObject({ relationship: 'Mère', imageRights: false });
    const text = await textOf(objects.get(contract.key)!);
    expect(text).toContain("Convention d'adhésion à la Coopérative Jeunesse de Services");
    expect(text).toContain(`${referral.guardian!.firstName} ${referral.guardian!.lastName}, Mère, représentant légal de ${referral.youngPerson.firstName}`);
    expect(text).toContain('Date de début : 01/07/2027 - date de fin : 31/08/2027');
  });
});

describe("the guardian's consent", () => {
  it('is stored with the time, the text version and each choice, and the young person and staff are told', async () => {
    const referral = await onboarded(cjsMinor());
    const view = await guardianConsentView({ referralId: referral.referralId, personId: referral.personId });
    expect(view).toMatchObject({ youngFirstName: referral.youngPerson.firstName, programme: 'cjs', status: 'not-yet', startDate: '2027-07-01', endDate: '2027-08-31' });
    expect(view.sections.map((s) => s.title)).toEqual(['Le programme', 'Les activités', 'Les données personnelles', 'Ce que signifie votre accord']);
    await recordGuardianConsent({ referralId: referral.referralId, personId: referral.personId, answer: consent(referral, 'consented', { imageRights: true, comment: 'Bonne idée.' }) });
    expect(await getGuardianConsent(referral.referralId)).toMatchObject({ outcome: 'consented', textSha256: view.textSha256, imageRights: true, relationship: 'Mère', comment: 'Bonne idée.' });
    expect(await loadStep(referral.referralId, 'guardian-consent')).toMatchObject({ status: 'done', outcome: 'consented' });
    expect(await outboxKinds(referral.personId)).toEqual(expect.arrayContaining(['guardian-consent-given staff email', 'guardian-consent-given young email', 'guardian-consent-given young sms']));
    // The same answer again (a double click) is the same; the other answer is refused.
    await recordGuardianConsent({ referralId: referral.referralId, personId: referral.personId, answer: consent(referral, 'consented', { imageRights: true }) });
    await expect(recordGuardianConsent({ referralId: referral.referralId, personId: referral.personId, answer: consent(referral, 'refused') })).rejects.toMatchObject({ statusCode: 409 });
  });

  it('given through another person\'s link (another young person\'s onboarding) is refused and writes nothing', async () => {
    const [mine, other] = [await onboarded(cjsMinor()), await onboarded(cjsMinor())];
    await expect(recordGuardianConsent({ referralId: mine.referralId, personId: other.personId, answer: consent(mine, 'consented') })).rejects.toMatchObject({ statusCode: 404 });
    await expect(guardianConsentView({ referralId: mine.referralId, personId: other.personId })).rejects.toMatchObject({ statusCode: 404 });
    expect(await getGuardianConsent(mine.referralId)).toBeUndefined();
    expect(await loadStep(mine.referralId, 'guardian-consent')).toMatchObject({ status: 'todo' });
  });

  it('to another version of the text is refused (409), and an adult has no consent to give', async () => {
    const minor = await onboarded(cjsMinor());
    await expect(recordGuardianConsent({ referralId: minor.referralId, personId: minor.personId, answer: consent(minor, 'consented', { textSha256: 'a'.repeat(64) }) })).rejects.toMatchObject({
      statusCode: 409,
      message: expect.stringContaining('Le texte de l’accord a changé'),
    });
    const adult = await onboarded(adultSubmission());
    await expect(recordGuardianConsent({ referralId: adult.referralId, personId: adult.personId, answer: consent(minor, 'consented') })).rejects.toMatchObject({ statusCode: 404 });
  });

  it('refused stops the path: the waiting workflow takes "refused", staff and the young person are told, and no contract can be prepared', async () => {
    const referral = await onboarded(cjsMinor());
    await acceptDocuments(referral);
    const opened = await openApproval(guardianConsents, { subjectId: referral.referralId, phase: 'initial', taskToken: 'consent-token', appBaseUrl: 'http://app' });
    expect(opened.state).toBe('waiting');
    expect(await outboxKinds(referral.personId)).toEqual(expect.arrayContaining(['guardian-consent-request guardian email', 'guardian-consent-request guardian sms']));
    const result = await recordGuardianConsent({ referralId: referral.referralId, personId: referral.personId, answer: consent(referral, 'refused', { comment: 'Pas cet été.' }) });
    expect(result.state).toBe('decided');
    expect((await takeDecision(guardianConsents, referral.referralId)).decision.outcome).toBe('refused');
    expect(await outboxKinds(referral.personId)).toEqual(expect.arrayContaining(['guardian-consent-refused staff email', 'guardian-consent-refused young email', 'guardian-consent-refused young sms']));
    const { objects, storage } = memoryStorage();
    await expect(prepareContract({ referralId: referral.referralId, storage })).rejects.toMatchObject({ blockers: ['Le représentant légal a refusé son accord.'] });
    expect(objects.size).toBe(0);
  });
});

describe('PrepareContract', () => {
  it('is idempotent: a repeat, or two attempts at once, record one version whose object holds the recorded hash', async () => {
    const referral = await onboarded(adultSubmission({}, 'jeunes-majeurs'));
    await acceptDocuments(referral);
    const { objects, storage } = memoryStorage();
    const [a, b] = await Promise.all([
      prepareContract({ referralId: referral.referralId, storage, now: new Date('2030-01-10T09:00:00Z') }),
      prepareContract({ referralId: referral.referralId, storage, now: new Date('2030-01-10T09:00:01Z') }),
    ]);
    expect([a.created, b.created].filter(Boolean)).toHaveLength(1);
    expect(a.contract.sha256).toBe(b.contract.sha256);
    const again = await prepareContract({ referralId: referral.referralId, storage, now: new Date('2030-01-12T09:00:00Z') });
    expect(again).toMatchObject({ created: false, contract: { version: 1, sha256: a.contract.sha256 } });
    expect(await partition(referral.referralId, 'CONTRACT#')).toHaveLength(1);
    const { createHash } = await import('node:crypto');
    expect(createHash('sha256').update(objects.get(a.contract.key)!).digest('hex')).toBe(a.contract.sha256);
    expect(a.contract.data).toMatchObject({ startDate: '2030-01-10', endDate: '2031-01-09' });
  });
});

describe('the contract accepted by its SHA-256 and countersigned', () => {
  it('refuses another hash (409 "le contrat a changé"), stores the time and the hash, and the final PDF prints the acceptance and the countersignature', async () => {
    const referral = await onboarded(adultSubmission());
    await acceptDocuments(referral);
    const { objects, storage } = memoryStorage();
    const { contract } = await prepareContract({ referralId: referral.referralId, storage });
    const wait = await openApproval(contractAcceptances, { subjectId: referral.referralId, phase: 'initial', taskToken: 'accept-token', appBaseUrl: 'http://app' });
    expect(wait.state).toBe('waiting');
    expect(await outboxKinds(referral.personId)).toEqual(expect.arrayContaining(['contract-ready young email', 'contract-ready young sms']));

    await expect(acceptContract({ referralId: referral.referralId, personId: referral.personId, sha256: 'b'.repeat(64) })).rejects.toMatchObject({
      statusCode: 409,
      message: expect.stringContaining('Le contrat a changé'),
    });
    const other = await onboarded(adultSubmission());
    await expect(acceptContract({ referralId: referral.referralId, personId: other.personId, sha256: contract.sha256 })).rejects.toMatchObject({ statusCode: 404 });
    expect(await getCurrentContract(referral.referralId)).toMatchObject({ status: 'prepared' });

    const accepted = await acceptContract({ referralId: referral.referralId, personId: referral.personId, sha256: contract.sha256, now: new Date('2030-02-03T18:30:00Z') });
    expect(accepted.state).toBe('decided');
    expect(await acceptContract({ referralId: referral.referralId, personId: referral.personId, sha256: contract.sha256 })).toMatchObject({ state: 'decided' });
    expect(await getCurrentContract(referral.referralId)).toMatchObject({ status: 'accepted', acceptance: { at: '2030-02-03T18:30:00.000Z', sha256: contract.sha256, personId: referral.personId } });
    expect(await loadStep(referral.referralId, 'contract-acceptance')).toMatchObject({ status: 'done', outcome: 'accepted', contractSha256: contract.sha256 });

    const countersign = await openApproval(contractCountersigns, { subjectId: referral.referralId, phase: 'initial', taskToken: 'countersign-token', appBaseUrl: 'http://app' });
    if (countersign.state !== 'waiting') throw new Error('expected the countersignature to wait');
    // A staff step: listed in the inbox.
    expect((await doc.send(new GetCommand({ TableName: table, Key: keys.approval(countersign.approval.approvalId) }))).Item?.gsi1pk).toBe('INBOX#APPROVAL');
    await decide(contractCountersigns, { approvalId: countersign.approval.approvalId, decision: { outcome: 'countersigned' }, actor: staffCamille, now: new Date('2030-02-05T08:15:00Z') });
    expect(await outboxKinds(referral.personId)).toEqual(expect.arrayContaining(['contract-countersigned young email', 'contract-countersigned young sms']));

    const view = await contractView(referral.referralId, { storage });
    expect(view).toMatchObject({ status: 'countersigned', final: true, version: 1, countersignature: { staffName: 'Camille Martin' } });
    const finalized = (await getCurrentContract(referral.referralId))!;
    expect(view.sha256).toBe(finalized.final!.sha256);
    expect(view.downloadUrl).toContain(finalized.final!.key);
    const text = await textOf(objects.get(finalized.final!.key)!);
    expect(text).toContain(`Accepté en ligne par ${referral.youngPerson.firstName} ${referral.youngPerson.lastName} le 03/02/2030 à 19:30 (heure de Paris)`);
    expect(text.replace(/ /g, '')).toContain(`EmpreinteSHA-256ducontrataccepté:${contract.sha256}`);
    expect(text).toContain('Contresigné pour la coopérative par Camille Martin le 05/02/2030 à 09:15 (heure de Paris)');
    // Finalizing again renders nothing new.
    const size = objects.size;
    expect((await finalizeContract({ referralId: referral.referralId, storage }))!.final).toEqual(finalized.final);
    expect(objects.size).toBe(size);
  });
});
