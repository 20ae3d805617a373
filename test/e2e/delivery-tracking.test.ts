import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomInt, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { apiClient, eventually, startTestCloud } from '../support/cloud.js';
import { adultSubmission } from '../support/fixtures.js';
import type { ParcoursLocalCloud as LocalCloud } from '../../infra/local-app/profile.js';

let cloud: LocalCloud;
let sarah: ReturnType<typeof apiClient>;
let camille: ReturnType<typeof apiClient>;

beforeAll(async () => {
  cloud = await startTestCloud({ inMemory: true });
  sarah = apiClient(cloud, 'sarah.benali');
  camille = apiClient(cloud, 'camille.martin');
});
afterAll(async () => cloud?.stop());

type Notification = { notificationId: string; role: string; channel: string; status: string };

/** Submits a referral and waits until its three acknowledgements have a final delivery status. */
async function acknowledgementsOf(youngPerson: Parameters<typeof adultSubmission>[0]) {
  const submitted = await sarah('POST', '/api/referrals', adultSubmission(youngPerson), { 'idempotency-key': randomUUID() });
  expect(submitted.status).toBe(201);
  const { referralId } = submitted.body;
  // The person id is for staff only.
  const { personId } = (await camille('GET', `/api/referrals/${referralId}`)).body;
  const cause = `referral-received#${referralId}#`;
  const notifications = await eventually(
    async () => {
      const timeline = await camille('GET', `/api/people/${personId}/timeline`);
      const mine = ((timeline.body?.notifications ?? []) as Notification[]).filter((n) => n.notificationId.startsWith(cause));
      return mine.length === 3 && mine.every((n) => !['pending', 'sent'].includes(n.status)) ? mine : undefined;
    },
    20_000,
    'final delivery statuses',
  );
  const status = (role: string, channel: string) => notifications.find((n) => n.role === role && n.channel === channel)?.status;
  const stored = async (role: string, channel: string) =>
    (await cloud.documentClient.send(new GetCommand({ TableName: cloud.tableName, Key: { pk: `PERSON#${personId}`, sk: `NOTIFICATION#${cause}${role}#${channel}` } }))).Item;
  return { referralId, status, stored };
}

describe('delivery tracking on the local cloud', () => {
  it("records a bounce for the young person's address while the prescriber's e-mail and the SMS are delivered", async () => {
    const email = `ines.${randomUUID()}@bounce.test`;
    const { status, stored } = await acknowledgementsOf({ email });
    expect(status('young', 'email')).toBe('bounced');
    expect(status('prescriber', 'email')).toBe('delivered');
    expect(status('young', 'sms')).toBe('delivered');
    expect(await stored('young', 'email')).toMatchObject({ status: 'bounced', statusReason: 'Permanent/General', statusAt: expect.any(String) });

    // The delivery function logged ids and statuses, never the address it read in the event.
    expect(readFileSync(cloud.functionLogFile, 'utf8')).not.toContain(email);
  });

  it('records a failed SMS for a number reserved for unreachable phones', async () => {
    const { status, stored } = await acknowledgementsOf({ phone: `+33699999${String(randomInt(1000)).padStart(3, '0')}` });
    expect(status('young', 'sms')).toBe('failed');
    expect(status('young', 'email')).toBe('delivered');
    expect(await stored('young', 'sms')).toMatchObject({ status: 'failed', statusReason: 'UNREACHABLE' });
  });

  it('records a complaint after the delivery of a message to a complaint address', async () => {
    const { status } = await acknowledgementsOf({ email: `ines.${randomUUID()}@complaint.test` });
    expect(status('young', 'email')).toBe('complained');
  });
});
