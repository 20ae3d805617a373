import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { apiClient, eventually, startTestCloud } from '../support/cloud.js';
import { adultSubmission } from '../support/fixtures.js';
import { recordPersonalValues } from '../support/personal-data.js';
import { keys } from '../../shared/keys.js';
import { linkContactPut } from '../../shared/data/personal-links.js';
import type { ParcoursLocalCloud as LocalCloud } from '../../infra/local-app/profile.js';

/*
 * Personal links through the local cloud: the "nouveau lien" route sends a link that opens the young person's space,
 * answers an unknown address alike, and no token lands in the table. The tokens are recorded for the run's check of
 * the function logs (test/support/personal-data.ts), which fails if any function logged one.
 */

let cloud: LocalCloud;
let anonymous: ReturnType<typeof apiClient>;
let young: { personId: string; referralId: string; email: string; firstName: string };

beforeAll(async () => {
  cloud = await startTestCloud({ inMemory: true });
  anonymous = apiClient(cloud);
  const submission = adultSubmission();
  const submitted = await apiClient(cloud, 'sarah.benali')('POST', '/api/referrals', submission, { 'idempotency-key': randomUUID() });
  expect(submitted.status).toBe(201);
  const referralId = submitted.body.referralId as string;
  const personId = (await apiClient(cloud, 'camille.martin')('GET', `/api/referrals/${referralId}`)).body.personId as string;
  young = { personId, referralId, email: submission.youngPerson.email, firstName: submission.youngPerson.firstName };
  // The onboarding as its opening writes it (the workflow that opens it belongs to another part of issue 9), and
  // the address its welcome message filed.
  const now = new Date().toISOString();
  const put = (item: Record<string, unknown>) => cloud.documentClient.send(new PutCommand({ TableName: cloud.tableName, Item: item }));
  await put({ ...keys.onboarding(referralId), type: 'onboarding', referralId, personId, programme: 'accompagnement', minor: false, status: 'active', startedAt: now, updatedAt: now, currentStep: 'information-session' });
  await put({ ...keys.onboardingStep(referralId, 'information-session'), type: 'onboarding-step', referralId, personId, programme: 'accompagnement', step: 'information-session', status: 'waiting', since: now, updatedAt: now });
  await put(linkContactPut(cloud.tableName, { personId, referralId, audience: 'young-person', contact: { channel: 'email', address: young.email }, now }).Put.Item);
}, 180_000);
afterAll(async () => cloud?.stop());

async function tableText(): Promise<string> {
  const items: unknown[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await cloud.documentClient.send(new ScanCommand({ TableName: cloud.tableName, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return JSON.stringify(items);
}

describe('personal links through the local cloud', () => {
  it('sends a new link to the address on file, which opens the space; an unknown address gets the same answer; no token in the table', async () => {
    const known = await anonymous('POST', '/api/links/resend', { contact: young.email });
    const unknown = await anonymous('POST', '/api/links/resend', { contact: `personne.${randomUUID()}@example.org` });
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(unknown.text).toBe(known.text);
    const mail = await eventually(async () => (await cloud.ses.listEmails()).find((m) => m.to.includes(young.email) && m.subject === 'Votre lien personnel CoopConnexion'), 20_000, 'the link e-mail');
    const token = /\/mon-parcours#([A-Za-z0-9_-]{43})/.exec(mail.text ?? '')![1]!;
    recordPersonalValues([['link token', token]]);

    const space = await anonymous('GET', '/api/me', undefined, { 'x-parcours-link': token });
    expect(space.status).toBe(200);
    expect(space.body).toMatchObject({ firstName: young.firstName, onboarding: { status: 'active' }, next: { step: 'information-session', section: 'sessions' } });
    expect(space.body.messages.items[0]).toMatchObject({ subject: 'Votre lien personnel CoopConnexion', text: expect.stringContaining('(votre lien personnel)') });
    expect(space.text).not.toContain(token);
    expect(await tableText()).not.toContain(token);
  });

  it('answers an expired link with a 410 that names the page for a new one, and a missing one with a 401', async () => {
    const token = randomBytes(32).toString('base64url');
    recordPersonalValues([['link token', token]]);
    const hash = createHash('sha256').update(token).digest('hex');
    const past = new Date(Date.now() - 24 * 3600 * 1000);
    await cloud.documentClient.send(
      new PutCommand({
        TableName: cloud.tableName,
        Item: { ...keys.personalLink(hash), type: 'personal-link', tokenHash: hash, personId: young.personId, referralId: young.referralId, audience: 'young-person', issuedAt: new Date(past.getTime() - 14 * 24 * 3600 * 1000).toISOString(), validUntil: past.toISOString(), expiresAt: Math.floor(Date.now() / 1000) + 3600 },
      }),
    );
    const expired = await anonymous('GET', '/api/me', undefined, { 'x-parcours-link': token });
    expect(expired.status).toBe(410);
    expect(expired.body).toMatchObject({ reason: 'expired', newLinkPath: '/nouveau-lien', message: expect.stringContaining('demandez un nouveau lien') });
    const missing = await anonymous('GET', '/api/me');
    expect(missing.status).toBe(401);
    expect(missing.body.message).toMatch(/^Lien personnel manquant/);
  });
});
