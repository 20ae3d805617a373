import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { apiClient, startTestCloud } from '../support/cloud.js';
import { adultSubmission } from '../support/fixtures.js';
import type { ParcoursLocalCloud as LocalCloud } from '../../infra/local-app/profile.js';

let cloud: LocalCloud;
beforeAll(async () => {
  cloud = await startTestCloud({ inMemory: true });
});
afterAll(async () => cloud?.stop());

async function countByType(type: string): Promise<number> {
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await cloud.documentClient.send(
      new ScanCommand({ TableName: cloud.tableName, FilterExpression: '#t = :t', ExpressionAttributeNames: { '#t': 'type' }, ExpressionAttributeValues: { ':t': type }, ExclusiveStartKey: start }),
    );
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return count;
}

describe('200 concurrent submissions over HTTP', () => {
  it('records exactly one referral per idempotency key and one person per real person, with no 5xx', async () => {
    const sarah = apiClient(cloud, 'sarah.benali');
    const thomas = apiClient(cloud, 'thomas.leroy');
    // 20 people already known before the burst.
    const known = Array.from({ length: 20 }, () => adultSubmission());
    for (const person of known) expect((await sarah('POST', '/api/referrals', person, { 'idempotency-key': randomUUID() })).status).toBe(201);
    const peopleBefore = await countByType('person');
    const referralsBefore = await countByType('referral');

    // 200 distinct requests: 180 new people and 20 describing a known person (same e-mail, other details changed);
    // 50 of the 200 are sent twice with the same key.
    const requests = [
      ...Array.from({ length: 180 }, () => ({ body: adultSubmission(), key: randomUUID(), client: sarah })),
      ...known.map((person) => ({ body: adultSubmission({ email: person.youngPerson.email }), key: randomUUID(), client: thomas })),
    ];
    const sends = [...requests, ...requests.slice(0, 50)];
    const responses = await Promise.all(sends.map((r) => r.client('POST', '/api/referrals', r.body, { 'idempotency-key': r.key })));

    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(statuses.every((s) => s === 201 || s === 200)).toBe(true);
    expect(statuses.filter((s) => s === 201)).toHaveLength(200);
    expect(statuses.filter((s) => s === 200)).toHaveLength(50);
    // The replays answer with the same referral as the first send.
    for (let i = 0; i < 50; i++) expect(responses[200 + i].body.referralId).toBe(responses[i].body.referralId);
    expect(responses.slice(180, 200).every((r) => r.body.linkedToExistingPerson)).toBe(true);

    expect(await countByType('referral')).toBe(referralsBefore + 200);
    expect(await countByType('person')).toBe(peopleBefore + 180);
  }, 240_000);
});
