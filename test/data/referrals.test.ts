import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { useFreshAppTable, countItemsOfType } from '../support/dynamodb.js';
import { adultSubmission, prescriberLens, prescriberLievin, staffCamille } from '../support/fixtures.js';
import { getReferralFor, listReferralsFor, submitReferral } from '../../shared/data/referrals.js';
import { keys } from '../../shared/keys.js';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

let doc: DynamoDBDocumentClient;
let table: string;

beforeAll(async () => {
  ({ doc, tableName: table } = await useFreshAppTable({ STAFF_EMAIL: 'equipe@coopconnexion.local' }));
});

const countByType = (type: string) => countItemsOfType(doc, table, type);

async function outboxOf(personId: string) {
  const r = await doc.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)', ExpressionAttributeValues: { ':pk': keys.person(personId).pk, ':sk': 'NOTIFICATION#' } }));
  return r.Items ?? [];
}

describe('a submission is recorded once per idempotency key', () => {
  it('creates the referral, the person and the acknowledgements in one write', async () => {
    const submission = adultSubmission();
    const { referral, created } = await submitReferral({ prescriber: prescriberLens, submission, idempotencyKey: randomUUID() });
    expect(created).toBe(true);
    expect(referral.status).toBe('pending');
    expect(referral.duplicate.linked).toBe(false);
    const outbox = await outboxOf(referral.personId);
    expect(outbox.map((m) => `${m.role}:${m.channel}`).sort()).toEqual(['prescriber:email', 'young:email', 'young:sms']);
    expect(outbox.every((m) => m.status === 'pending')).toBe(true);
    expect(outbox.find((m) => m.channel === 'sms')!.body).not.toMatch(/[éèàç]/);
  });

  it('answers a replay with the same referral and writes nothing more', async () => {
    const submission = adultSubmission();
    const key = randomUUID();
    const first = await submitReferral({ prescriber: prescriberLens, submission, idempotencyKey: key });
    const before = await countByType('referral');
    const again = await submitReferral({ prescriber: prescriberLens, submission, idempotencyKey: key });
    expect(again.created).toBe(false);
    expect(again.referral.referralId).toBe(first.referral.referralId);
    expect(await countByType('referral')).toBe(before);
  });

  it('refuses the same key with a different content', async () => {
    const key = randomUUID();
    await submitReferral({ prescriber: prescriberLens, submission: adultSubmission(), idempotencyKey: key });
    await expect(submitReferral({ prescriber: prescriberLens, submission: adultSubmission(), idempotencyKey: key })).rejects.toMatchObject({ statusCode: 409 });
  });

  it('keeps concurrent replays of one key to one referral', async () => {
    const submission = adultSubmission();
    const key = randomUUID();
    const results = await Promise.all(Array.from({ length: 8 }, () => submitReferral({ prescriber: prescriberLens, submission, idempotencyKey: key })));
    expect(new Set(results.map((r) => r.referral.referralId)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });
});

describe('a prescriber sees only their organisation', () => {
  it('lists and reads their own referrals, and another organisation’s is "not found"', async () => {
    const { referral } = await submitReferral({ prescriber: prescriberLievin, submission: adultSubmission(), idempotencyKey: randomUUID() });
    const lens = (await listReferralsFor(prescriberLens)).items;
    expect(lens.every((r) => r.organisationId === 'ml-lens')).toBe(true);
    expect(lens.some((r) => r.referralId === referral.referralId)).toBe(false);
    const lievin = (await listReferralsFor(prescriberLievin)).items;
    expect(lievin.some((r) => r.referralId === referral.referralId)).toBe(true);
    await expect(getReferralFor(prescriberLens, referral.referralId)).rejects.toMatchObject({ statusCode: 404 });
    await expect(getReferralFor(staffCamille, referral.referralId)).resolves.toMatchObject({ referralId: referral.referralId });
  });
});
