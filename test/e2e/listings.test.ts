import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { apiClient, startTestCloud } from '../support/cloud.js';
import { adultSubmission } from '../support/fixtures.js';
import type { ParcoursLocalCloud as LocalCloud } from '../../infra/local-app/profile.js';

/* The referrals list over HTTP on the local cloud: its cursors go through the gateway and back, page after page. */

let cloud: LocalCloud;
beforeAll(async () => {
  cloud = await startTestCloud({ inMemory: true });
});
afterAll(async () => cloud?.stop());

type Client = ReturnType<typeof apiClient>;

async function walk(client: Client, path: string): Promise<{ ids: string[]; sizes: number[] }> {
  const ids: string[] = [];
  const sizes: number[] = [];
  let cursor: string | undefined;
  do {
    const answer = await client('GET', `${path}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(answer.status, answer.text).toBe(200);
    ids.push(...answer.body.items.map((item: { referralId: string }) => item.referralId));
    sizes.push(answer.body.items.length);
    cursor = answer.body.cursor;
  } while (cursor && sizes.length < 10);
  return { ids, sizes };
}

describe('the referrals list over HTTP', () => {
  it("pages a prescriber's referrals, newest first, and refuses another organisation's cursor", async () => {
    const sarah = apiClient(cloud, 'sarah.benali');
    const thomas = apiClient(cloud, 'thomas.leroy');
    const submitted: string[] = [];
    for (let i = 0; i < 5; i++) {
      const answer = await sarah('POST', '/api/referrals', adultSubmission(), { 'idempotency-key': randomUUID() });
      expect(answer.status).toBe(201);
      submitted.push(answer.body.referralId);
    }
    expect((await thomas('POST', '/api/referrals', adultSubmission(), { 'idempotency-key': randomUUID() })).status).toBe(201);

    const walked = await walk(sarah, '/api/referrals?limit=2');
    expect(walked.sizes).toEqual([2, 2, 1]);
    expect(walked.ids).toEqual([...submitted].reverse());

    const thomasCursor = (await thomas('GET', '/api/referrals?limit=1')).body.cursor;
    expect(thomasCursor).toBeUndefined();
    const sarahCursor = (await sarah('GET', '/api/referrals?limit=1')).body.cursor as string;
    const refused = await thomas('GET', `/api/referrals?cursor=${sarahCursor}`);
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([{ field: 'cursor', message: 'Curseur inconnu ou modifié.' }]);
    expect(refused.text).not.toContain(submitted[4]);
  }, 120_000);
});
