import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomInt, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
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

const uniqueMobile = () => `+337${String(randomInt(100_000_000)).padStart(8, '0')}`;
const emailsTo = async (address: string) => (await cloud.ses.listEmails()).filter((m) => m.to.includes(address));
const smsTo = (phone: string) => cloud.sms.list().filter((m) => m.destination === phone);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function submit(youngPerson: Parameters<typeof adultSubmission>[0]) {
  const submission = adultSubmission(youngPerson);
  const submitted = await sarah('POST', '/api/referrals', submission, { 'idempotency-key': randomUUID() });
  expect(submitted.status).toBe(201);
  // The person id is for staff only.
  const { personId } = (await camille('GET', `/api/referrals/${submitted.body.referralId}`)).body;
  return { submission, referralId: submitted.body.referralId as string, personId: personId as string };
}

type Notification = { notificationId: string; kind: string; role: string; channel: string; status: string };
const notificationsOf = async (personId: string) => ((await camille('GET', `/api/people/${personId}/timeline`)).body.notifications ?? []) as Notification[];

describe('fallback to the other channel, and the contacts to fix', () => {
  it('texts the young person when their e-mail hard-bounces, lists the address, and re-sends once when staff fix it', async () => {
    const bouncing = `lea.${randomUUID()}@bounce.test`;
    const phone = uniqueMobile();
    const { personId, referralId } = await submit({ email: bouncing, phone });

    // The acknowledgement SMS, then the fallback SMS naming the e-mail that did not arrive.
    const fallback = await eventually(async () => smsTo(phone).find((m) => m.body.includes("n'a pas pu vous etre remis")), 20_000, 'fallback SMS');
    expect(fallback.body).toContain('"Votre orientation vers CoopConnexion"');
    expect(smsTo(phone)).toHaveLength(2);

    // Staff see the address to fix, and the bounced message in the 30-day list.
    const listed = await eventually(async () => {
      const messages = await camille('GET', '/api/staff/messages');
      const issue = messages.body.toFix.find((i: { personId: string }) => i.personId === personId);
      return issue ? { issue, messages: messages.body } : undefined;
    }, 10_000, 'contact to fix');
    expect(listed.issue).toMatchObject({ role: 'young', roleLabel: 'Jeune', channel: 'email', address: bouncing, reason: 'Permanent/General', reasonLabel: 'Adresse rejetée définitivement', failedMessages: 1 });
    expect(listed.messages.failed.filter((m: { personId: string }) => m.personId === personId)).toEqual([
      expect.objectContaining({ kind: 'referral-received', role: 'young', channel: 'email', to: bouncing, status: 'bounced', statusReason: 'Permanent/General' }),
    ]);

    // A wrong correction is refused field by field, and changes nothing.
    const path = `/api/people/${personId}/contact-issues/${listed.issue.issueId}/fix`;
    const wrong = await camille('POST', path, { value: 'lea-sans-arobase' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors).toEqual([{ field: 'value', message: 'Adresse e-mail invalide.' }]);
    expect((await camille('POST', `/api/people/${personId}/contact-issues/young.email.0000000000000000/fix`, { value: 'a@example.org' })).status).toBe(404);
    expect((await sarah('POST', path, { value: 'a@example.org' })).status).toBe(403);

    // Fixing it sends the acknowledgement again, to the new address, once; a second click sends nothing.
    const corrected = `lea.${randomUUID()}@example.org`;
    const fixed = await camille('POST', path, { value: corrected });
    expect(fixed).toMatchObject({ status: 200, body: { status: 'fixed', resent: 1, alreadyFixed: false } });
    const again = await camille('POST', path, { value: corrected });
    expect(again).toMatchObject({ status: 200, body: { status: 'fixed', resent: 1, alreadyFixed: true } });
    await eventually(async () => (await emailsTo(corrected)).length === 1, 10_000, 're-sent e-mail');
    await pause(1_500);
    const resent = await emailsTo(corrected);
    expect(resent).toHaveLength(1);
    expect(resent[0].subject).toBe('Votre orientation vers CoopConnexion');

    // The list no longer shows it; the profile and the referral carry the new address.
    expect((await camille('GET', '/api/staff/messages')).body.toFix.some((i: { personId: string }) => i.personId === personId)).toBe(false);
    const timeline = await camille('GET', `/api/people/${personId}/timeline`);
    expect(timeline.body.person.email).toBe(corrected);
    expect(timeline.body.events.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['contact-undelivered', 'contact-fixed']));
    expect((await sarah('GET', `/api/referrals/${referralId}`)).body.youngPerson.email).toBe(corrected);
    await eventually(async () => (await notificationsOf(personId)).some((n) => n.notificationId.startsWith('resend#') && n.status === 'delivered'), 10_000, 're-sent delivered');

    // Nothing of the addresses reached the logs.
    const logs = readFileSync(cloud.functionLogFile, 'utf8');
    for (const secret of [bouncing, corrected, phone]) expect(logs).not.toContain(secret);
  });

  it('e-mails the young person when their SMS fails, and lists the number', async () => {
    const phone = `+33699999${String(randomInt(1000)).padStart(3, '0')}`;
    const { personId, submission } = await submit({ phone });
    const fallback = await eventually(
      async () => (await emailsTo(submission.youngPerson.email)).find((m) => m.subject === 'Message de CoopConnexion'),
      20_000,
      'fallback e-mail',
    );
    expect(fallback.text).toContain("Nous n'avons pas pu vous envoyer ce SMS");
    const issue = await eventually(async () => (await camille('GET', '/api/staff/messages')).body.toFix.find((i: { personId: string }) => i.personId === personId), 10_000, 'number to fix');
    expect(issue).toMatchObject({ channel: 'sms', address: phone, reason: 'UNREACHABLE', reasonLabel: 'Numéro injoignable' });
    const wrong = await camille('POST', `/api/people/${personId}/contact-issues/${issue.issueId}/fix`, { value: '03 21 00 00 00' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors[0]).toMatchObject({ field: 'value', message: expect.stringContaining('Numéro de mobile français invalide') });
  });
});

describe('SMS STOP', () => {
  it('sends no more SMS to a number that answered STOP, and the decision, mandatory, still goes by e-mail', async () => {
    const phone = uniqueMobile();
    const { personId, referralId, submission } = await submit({ phone });
    await eventually(async () => smsTo(phone).length === 1, 15_000, 'acknowledgement SMS');

    const reply = await cloud.sms.reply(phone, 'Stop');
    expect(reply.failed).toBe(0);
    const optOut = await eventually(async () => (await camille('GET', '/api/staff/messages')).body.optOuts.find((o: { address: string }) => o.address === phone), 10_000, 'opt-out listed');
    expect(optOut).toMatchObject({ channel: 'sms', reason: 'stop', reasonLabel: 'Réponse STOP au SMS', personId });

    const item = await eventually(async () => (await camille('GET', '/api/staff/inbox')).body.items.find((i: { referralId: string }) => i.referralId === referralId), 15_000, 'inbox item');
    expect((await camille('POST', `/api/approvals/${item.approvalId}/decision`, { outcome: 'accepted' })).status).toBe(200);

    await eventually(async () => (await emailsTo(submission.youngPerson.email)).some((m) => m.subject === 'Bienvenue à CoopConnexion !'), 15_000, 'decision e-mail');
    const decisionSms = await eventually(
      async () => (await notificationsOf(personId)).find((n) => n.kind === 'referral-accepted' && n.role === 'young' && n.channel === 'sms' && n.status !== 'pending'),
      15_000,
      'decision SMS settled',
    );
    expect(decisionSms.status).toBe('opted-out');
    expect(smsTo(phone)).toHaveLength(1);
    const timeline = (await camille('GET', `/api/people/${personId}/timeline`)).body;
    expect((timeline.events as Array<{ type: string; label: string }>).find((e) => e.type === 'contact-opted-out')?.label).toContain('réponse STOP');
    expect(timeline.person.optOuts).toEqual({ sms: { reason: 'stop', reasonLabel: 'Réponse STOP au SMS', at: expect.any(String) } });

    // START lifts it.
    await cloud.sms.reply(phone, 'START');
    await eventually(async () => !(await camille('GET', '/api/staff/messages')).body.optOuts.some((o: { address: string }) => o.address === phone), 10_000, 'opt-out lifted');
    expect((await camille('GET', `/api/people/${personId}/timeline`)).body.person.optOuts).toEqual({});
  });

  it('keeps STOP replies and failures out of the logs and the table of other people', async () => {
    const phone = uniqueMobile();
    await cloud.sms.reply(phone, 'STOP');
    const optOut = await eventually(async () => (await camille('GET', '/api/staff/messages')).body.optOuts.find((o: { address: string }) => o.address === phone), 10_000, 'unknown number opted out');
    expect(optOut.personId).toBeUndefined();
    const scan = await cloud.documentClient.send(new ScanCommand({ TableName: cloud.tableName, FilterExpression: '#t = :t AND address = :a', ExpressionAttributeNames: { '#t': 'type' }, ExpressionAttributeValues: { ':t': 'opt-out', ':a': phone } }));
    expect(scan.Items).toHaveLength(1);
    expect(readFileSync(cloud.functionLogFile, 'utf8')).not.toContain(phone);
  });
});
