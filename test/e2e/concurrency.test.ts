import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomInt, randomUUID } from 'node:crypto';
import { countItemsOfType } from '../support/dynamodb.js';
import { apiClient, startTestCloud } from '../support/cloud.js';
import { adultSubmission } from '../support/fixtures.js';
import type { ParcoursLocalCloud as LocalCloud } from '../../infra/local-app/profile.js';

let cloud: LocalCloud;
beforeAll(async () => {
  cloud = await startTestCloud({ inMemory: true });
});
afterAll(async () => cloud?.stop());

const countByType = (type: string) => countItemsOfType(cloud.documentClient, cloud.tableName, type);

const mobile = () => `+337${String(randomInt(100_000_000)).padStart(8, '0')}`;
/** What a prescriber's submit answer holds, whether the young person was known or not. */
const SUBMIT_ANSWER_KEYS = ['eligibility', 'reference', 'referralId', 'status'];

describe('200 concurrent submissions over HTTP', () => {
  it('records one referral per key, one person per real person, one "doublon possible" per weak match, with no 5xx', async () => {
    const sarah = apiClient(cloud, 'sarah.benali');
    const thomas = apiClient(cloud, 'thomas.leroy');
    const camille = apiClient(cloud, 'camille.martin');
    // 10 people already known before the burst: the weak matches share their e-mail.
    const known = Array.from({ length: 10 }, () => adultSubmission({ phone: mobile() }));
    for (const person of known) expect((await sarah('POST', '/api/referrals', person, { 'idempotency-key': randomUUID() })).status).toBe(201);
    const [peopleBefore, referralsBefore, flagsBefore] = await Promise.all(['person', 'referral', 'possible-duplicate'].map(countByType));

    // 180 distinct requests: 130 new people, 20 new people each sent twice at once by two organisations,
    // 10 new people sharing a known person's e-mail (a family's); then 20 of them sent again with the same key.
    const pairs = Array.from({ length: 20 }, () => adultSubmission({ phone: mobile() }));
    const requests = [
      ...Array.from({ length: 130 }, () => ({ body: adultSubmission({ phone: mobile() }), key: randomUUID(), client: sarah })),
      ...pairs.flatMap((person) => [
        { body: person, key: randomUUID(), client: sarah },
        { body: { ...person, projectIdea: `${person.projectIdea} (Liévin)` }, key: randomUUID(), client: thomas },
      ]),
      ...known.map((person) => ({ body: adultSubmission({ email: person.youngPerson.email, phone: mobile() }), key: randomUUID(), client: thomas })),
    ];
    const sends = [...requests, ...requests.slice(0, 20)];
    const responses = await Promise.all(sends.map((r) => r.client('POST', '/api/referrals', r.body, { 'idempotency-key': r.key })));

    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(statuses.filter((s) => s === 201)).toHaveLength(180);
    expect(statuses.filter((s) => s === 200)).toHaveLength(20);
    for (let i = 0; i < 20; i++) expect(responses[180 + i].body.referralId).toBe(responses[i].body.referralId);
    // Every answer has the same shape: nothing tells a prescriber the person was known, or by whom.
    for (const response of responses) expect(Object.keys(response.body).sort()).toEqual(SUBMIT_ANSWER_KEYS);

    expect(await countByType('referral')).toBe(referralsBefore + 180);
    expect(await countByType('person')).toBe(peopleBefore + 130 + 20 + 10);
    expect(await countByType('possible-duplicate')).toBe(flagsBefore + 10);

    // The pairs share one person (staff see it); the prescriber's view of either says nothing of it.
    const [first, second] = [responses[130].body.referralId, responses[131].body.referralId];
    const [a, b] = await Promise.all([camille('GET', `/api/referrals/${first}`), camille('GET', `/api/referrals/${second}`)]);
    expect(a.body.personId).toBe(b.body.personId);
    expect([a.body.duplicate.linked, b.body.duplicate.linked].sort()).toEqual([false, true]);
    const seenBySarah = await sarah('GET', `/api/referrals/${first}`);
    expect(seenBySarah.status).toBe(200);
    expect(seenBySarah.text).not.toMatch(/personId|duplicate|France Travail/);
    expect((await camille('GET', '/api/staff/duplicates')).body.items).toHaveLength(flagsBefore + 10);
  }, 300_000);
});
