import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomInt, randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { useLocalMessaging, type LocalMessaging } from '../support/messaging.js';
import { adultSubmission, prescriberLens, prescriberLievin, staffCamille } from '../support/fixtures.js';
import { submitReferral } from '../../shared/data/referrals.js';
import { keys } from '../../shared/keys.js';
import { outboxPuts, type OutboxDraft, type OutboxMessage } from '../../shared/data/outbox.js';
import { dispatchDueNotifications, sendPendingNotifications } from '../../shared/notifications/sender.js';
import { recordDelivery, type DeliveryReport } from '../../shared/notifications/tracking.js';
import { afterDeliveryReport, contactIssueId, fixContact, parseContactIssueId, listContactIssues, listUndeliveredMessages, recordSmsReply } from '../../shared/notifications/contacts.js';
import { listOptOuts, recordOptOut, smsKeyword } from '../../shared/notifications/opt-outs.js';
import { render } from '../../shared/domain/messages/catalogue.js';
import { matchingKeys } from '../../shared/domain/person-matching.js';

let doc: DynamoDBDocumentClient;
let table: string;
let ses: LocalMessaging['ses'];
let sms: LocalMessaging['sms'];
let messaging: LocalMessaging;
/** Midday in Paris: inside the SMS window. */
const NOON = new Date('2026-11-26T11:00:00Z');

beforeAll(async () => {
  messaging = await useLocalMessaging({ SMS_WINDOW: '8-20' });
  ({ doc, table, ses, sms } = messaging);
});
afterAll(async () => messaging?.stop());

const mobile = () => `+337${String(randomInt(100_000_000)).padStart(8, '0')}`;
const emailsTo = async (address: string) => (await ses.listEmails()).filter((m) => m.to.includes(address));
const smsTo = (phone: string) => sms.list().filter((m) => m.destination === phone);

/** A young person as a submission leaves them: the profile, its lookup entries and its strong claims (all Zoé Lefèvre, born the same day). */
async function person(firstName = 'Zoé') {
  const personId = randomUUID();
  const email = `zoe.${randomUUID()}@example.org`;
  const phone = mobile();
  const profile = { firstName, lastName: 'Lefèvre', birthDate: '2004-02-03', email, phone };
  const matching = matchingKeys(profile);
  await doc.send(
    new TransactWriteCommand({
      TransactItems: [
        { Put: { TableName: table, Item: { ...keys.person(personId), type: 'person', personId, ...profile, referralStatuses: {} } } },
        ...matching.lookups.map((l) => ({ Put: { TableName: table, Item: { ...keys.personLookup(l.kind, l.value, personId), type: 'person-lookup', personId } } })),
        ...matching.strong.map((c) => ({ Put: { TableName: table, Item: { ...keys.strongPersonClaim(c.kind, c.value), type: 'person-claim', personId } } })),
      ],
    }),
  );
  return { personId, email, phone, matching };
}

async function write(personId: string, cause: string, drafts: OutboxDraft[]) {
  await doc.send(new TransactWriteCommand({ TransactItems: outboxPuts(table, personId, cause, drafts, NOON.toISOString()) }));
}
const message = async (personId: string, notificationId: string) =>
  (await doc.send(new GetCommand({ TableName: table, Key: keys.notification(personId, notificationId), ConsistentRead: true }))).Item as OutboxMessage;
const accepted = (to: { email: string; phone: string }): OutboxDraft[] => [
  { kind: 'referral-accepted', role: 'young', channel: 'email', to: to.email, ...render('referral-accepted', 'young', 'email', { youngFirstName: 'Zoé', youngLastName: 'L', programmeLabel: 'P', reference: 'ORI-1', prescriberOrganisation: 'ML' }) },
  { kind: 'referral-accepted', role: 'young', channel: 'sms', to: to.phone, body: render('referral-accepted', 'young', 'sms', { youngFirstName: 'Zoé' }).body },
];
const ackSms = (phone: string): OutboxDraft => ({ kind: 'referral-received', role: 'young', channel: 'sms', to: phone, body: 'CoopConnexion : bonjour' });
const ackEmail = (email: string): OutboxDraft => ({ kind: 'referral-received', role: 'young', channel: 'email', to: email, subject: 'Votre orientation vers CoopConnexion', body: 'Bonjour' });

/** Sends a message, then has the provider report on it, as the delivery function does. */
async function sendThenReport(personId: string, cause: string, draft: OutboxDraft, status: DeliveryReport['status'], reason?: string) {
  await write(personId, cause, [draft]);
  await sendPendingNotifications(personId, cause, NOON);
  const notificationId = `${cause}#${draft.role}#${draft.channel}`;
  const sent = await message(personId, notificationId);
  // An e-mail's events name its outbox item in their tags; an SMS report is found through the lookup.
  const outbox = draft.channel === 'email' ? { personId, notificationId } : undefined;
  const report: DeliveryReport = { provider: draft.channel === 'email' ? 'ses' : 'sms', providerMessageId: sent.providerMessageId!, outbox, status, at: new Date(NOON.getTime() + 60_000).toISOString(), reason };
  await recordDelivery(report);
  return { notificationId, report };
}

describe('contact issue ids', () => {
  it('name the role and channel, hide the address, and refuse anything else', () => {
    const id = contactIssueId('guardian', 'sms', '+33612345678');
    expect(id).toMatch(/^guardian\.sms\.[0-9a-f]{16}$/);
    expect(id).not.toContain('612345678');
    expect(parseContactIssueId(id)).toEqual({ role: 'guardian', channel: 'sms' });
    expect(contactIssueId('young', 'email', 'Zoe@Example.org')).toBe(contactIssueId('young', 'email', 'zoe@example.org'));
    for (const wrong of ['staff.email.0123456789abcdef', 'young.fax.0123456789abcdef', 'young.email.xyz', 'young.email.0123456789abcdef/..']) expect(parseContactIssueId(wrong)).toBeUndefined();
  });
});

describe('SMS keywords', () => {
  it.each([
    ['STOP', 'stop'],
    [' stop ', 'stop'],
    ['Arrêt', 'stop'],
    ['STOP SMS', 'stop'],
    ['start', 'start'],
    ['Oui', 'start'],
    ['Bonjour, je serai là mardi', undefined],
    ['STOPPER LA RÉUNION', undefined],
  ])('reads %j as %s', (body, keyword) => {
    expect(smsKeyword(body)).toBe(keyword);
  });
});

describe('opt-outs at sending time', () => {
  it('sends no SMS to a number that said STOP, and no e-mail copy of a message that is not mandatory', async () => {
    const zoe = await person();
    await recordSmsReply({ originationNumber: zoe.phone, messageBody: 'STOP', inboundMessageId: randomUUID() }, NOON);
    const cause = `ack#${randomUUID()}`;
    await write(zoe.personId, cause, [ackSms(zoe.phone)]);
    expect(await sendPendingNotifications(zoe.personId, cause, NOON)).toMatchObject({ sent: 0 });
    expect(await message(zoe.personId, `${cause}#young#sms`)).toMatchObject({ status: 'opted-out' });
    expect(smsTo(zoe.phone)).toHaveLength(0);
    expect(await emailsTo(zoe.email)).toHaveLength(0);
    // The staff see it, on the list and on the person's history, once however many STOPs come.
    await recordSmsReply({ originationNumber: zoe.phone, messageBody: 'stop', inboundMessageId: randomUUID() }, NOON);
    expect((await listOptOuts()).items.filter((o) => o.address === zoe.phone)).toEqual([expect.objectContaining({ channel: 'sms', reason: 'stop', personId: zoe.personId, role: 'young' })]);
    const events = await doc.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)', ExpressionAttributeValues: { ':pk': `PERSON#${zoe.personId}`, ':sk': 'EVENT#' } }));
    expect(events.Items?.filter((e) => e.eventType === 'contact-opted-out')).toHaveLength(1);
  });

  it('sends a mandatory SMS to a number that said STOP by e-mail instead, when the cause wrote no e-mail', async () => {
    const zoe = await person();
    await recordOptOut({ channel: 'sms', address: zoe.phone, reason: 'stop', at: NOON.toISOString() });
    const cause = `decided#${randomUUID()}`;
    await write(zoe.personId, cause, [accepted(zoe)[1]]);
    await sendPendingNotifications(zoe.personId, cause, NOON);
    expect(await message(zoe.personId, `${cause}#young#sms`)).toMatchObject({ status: 'opted-out' });
    expect(await message(zoe.personId, `fallback#${cause}#young#sms#young#email`)).toMatchObject({ kind: 'sms-undelivered', status: 'sent', to: zoe.email });
    const [copy] = await emailsTo(zoe.email);
    expect(copy.text).toContain('Vous avez demandé à ne plus recevoir nos SMS');
    expect(copy.text).toContain('votre entree est acceptee');
    expect(smsTo(zoe.phone)).toHaveLength(0);
  });

  it('does not add an e-mail copy when the cause already e-mails the person', async () => {
    const zoe = await person();
    await recordOptOut({ channel: 'sms', address: zoe.phone, reason: 'stop', at: NOON.toISOString() });
    const cause = `decided#${randomUUID()}`;
    await write(zoe.personId, cause, accepted(zoe));
    await sendPendingNotifications(zoe.personId, cause, NOON);
    expect((await emailsTo(zoe.email)).map((m) => m.subject)).toEqual(['Bienvenue à CoopConnexion !']);
    expect(await message(zoe.personId, `fallback#${cause}#young#sms#young#email`)).toBeUndefined();
  });

  it('after a complaint, sends only the mandatory e-mails to that address', async () => {
    const zoe = await person();
    const first = await sendThenReport(zoe.personId, `ack#${randomUUID()}`, ackEmail(zoe.email), 'complained', 'abuse');
    await afterDeliveryReport(first.report, zoe.personId, first.notificationId, NOON);
    expect((await listOptOuts()).items.find((o) => o.address === zoe.email)).toMatchObject({ channel: 'email', reason: 'complaint', personId: zoe.personId });

    const ack = `ack#${randomUUID()}`;
    await write(zoe.personId, ack, [ackEmail(zoe.email.toUpperCase())]);
    await sendPendingNotifications(zoe.personId, ack, NOON);
    expect(await message(zoe.personId, `${ack}#young#email`)).toMatchObject({ status: 'opted-out' });

    const decided = `decided#${randomUUID()}`;
    await write(zoe.personId, decided, [accepted(zoe)[0]]);
    await sendPendingNotifications(zoe.personId, decided, NOON);
    expect(await message(zoe.personId, `${decided}#young#email`)).toMatchObject({ status: 'sent' });
    expect(await emailsTo(zoe.email)).toHaveLength(2);
  });
});

describe('after a hard bounce', () => {
  it('lists the address once, texts once, and lists the message as undelivered, however often the report comes', async () => {
    const zoe = await person();
    const { notificationId, report } = await sendThenReport(zoe.personId, `ack#${randomUUID()}`, ackEmail(zoe.email), 'bounced', 'Permanent/General');
    for (let i = 0; i < 3; i++) await afterDeliveryReport(report, zoe.personId, notificationId, NOON);
    const issues = (await listContactIssues()).items.filter((i) => i.personId === zoe.personId);
    expect(issues).toEqual([expect.objectContaining({ role: 'young', channel: 'email', address: zoe.email, status: 'open', notificationIds: [notificationId], reason: 'Permanent/General' })]);
    expect(smsTo(zoe.phone).map((m) => m.body)).toEqual([render('email-undelivered', 'young', 'sms', { subject: 'Votre orientation vers CoopConnexion' }).body]);
    expect((await listUndeliveredMessages(new Date(NOON.getTime() - 3600_000))).items.filter((m) => m.personId === zoe.personId)).toEqual([
      expect.objectContaining({ notificationId, status: 'bounced' }),
    ]);
  });

  it('does not text at night: the fallback SMS waits for the morning', async () => {
    const zoe = await person();
    const night = new Date('2026-11-26T21:30:00Z'); // 22:30 in Paris
    const cause = `ack#${randomUUID()}`;
    await write(zoe.personId, cause, [ackEmail(zoe.email)]);
    await sendPendingNotifications(zoe.personId, cause, night);
    const sent = await message(zoe.personId, `${cause}#young#email`);
    const report: DeliveryReport = { provider: 'ses', providerMessageId: sent.providerMessageId!, outbox: { personId: zoe.personId, notificationId: sent.notificationId }, status: 'bounced', at: night.toISOString(), reason: 'Permanent/General' };
    await recordDelivery(report);
    await afterDeliveryReport(report, zoe.personId, sent.notificationId, night);
    expect(await message(zoe.personId, `fallback#${cause}#young#email#young#sms`)).toMatchObject({ status: 'pending', notBefore: '2026-11-27T07:00:00.000Z' });
    // The dispatcher, run during the night, still holds it back; in the morning it goes.
    await dispatchDueNotifications(new Date('2026-11-26T23:00:00Z'));
    expect(smsTo(zoe.phone)).toHaveLength(0);
    await dispatchDueNotifications(new Date('2026-11-27T07:05:00Z'));
    expect(smsTo(zoe.phone)).toHaveLength(1);
  });

  it('sends nothing by SMS after a transient e-mail failure, and lists no contact', async () => {
    const zoe = await person();
    const { notificationId, report } = await sendThenReport(zoe.personId, `ack#${randomUUID()}`, ackEmail(zoe.email), 'failed', 'Transient/MailboxFull');
    await afterDeliveryReport(report, zoe.personId, notificationId, NOON);
    expect((await listContactIssues()).items.some((i) => i.personId === zoe.personId)).toBe(false);
    expect(smsTo(zoe.phone)).toHaveLength(0);
  });
});

describe("a fallback goes to the contacts of the referral the message is about", () => {
  it("texts the mobile that referral gave, not the one on the person's profile", async () => {
    const first = adultSubmission({ phone: mobile() });
    const a = await submitReferral({ prescriber: prescriberLens, submission: first, idempotencyKey: randomUUID() });
    const newPhone = mobile();
    const b = await submitReferral({ prescriber: prescriberLievin, submission: adultSubmission({ ...first.youngPerson, phone: newPhone }), idempotencyKey: randomUUID() });
    expect(b.referral.personId).toBe(a.referral.personId);
    const personId = a.referral.personId;
    const cause = `decided#${randomUUID()}`;
    await doc.send(new TransactWriteCommand({ TransactItems: outboxPuts(table, personId, cause, [accepted({ email: first.youngPerson.email, phone: newPhone })[0]], NOON.toISOString(), { referralId: b.referral.referralId }) }));
    await sendPendingNotifications(personId, cause, NOON);
    const sent = await message(personId, `${cause}#young#email`);
    const report: DeliveryReport = { provider: 'ses', providerMessageId: sent.providerMessageId!, outbox: { personId, notificationId: sent.notificationId }, status: 'bounced', at: NOON.toISOString(), reason: 'Permanent/General' };
    await recordDelivery(report);
    await afterDeliveryReport(report, personId, sent.notificationId, NOON);
    expect(smsTo(newPhone)).toHaveLength(1);
    expect(smsTo(first.youngPerson.phone)).toHaveLength(0);
  });
});

describe('fixing a contact', () => {
  async function bounced() {
    const zoe = await person();
    const { notificationId, report } = await sendThenReport(zoe.personId, `ack#${randomUUID()}`, ackEmail(zoe.email), 'bounced', 'Permanent/General');
    await afterDeliveryReport(report, zoe.personId, notificationId, NOON);
    return { ...zoe, notificationId, report, issueId: contactIssueId('young', 'email', zoe.email) };
  }

  it('moves the matching keys to the new address, and a late report on the old one does not reopen it', async () => {
    const zoe = await bounced();
    const corrected = `zoe.${randomUUID()}@example.org`;
    expect(await fixContact({ personId: zoe.personId, issueId: zoe.issueId, value: corrected, staff: staffCamille })).toEqual({ resent: 1, alreadyFixed: false });
    const item = async (key: { pk: string; sk: string }) => (await doc.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;
    const moved = matchingKeys({ firstName: 'Zoé', lastName: 'Lefèvre', birthDate: '2004-02-03', email: corrected, phone: zoe.phone });
    expect(await item(keys.personLookup('EMAIL', zoe.email, zoe.personId))).toBeUndefined();
    expect(await item(keys.personLookup('EMAIL', corrected, zoe.personId))).toMatchObject({ personId: zoe.personId });
    expect(await item(keys.strongPersonClaim('IDENTITY-EMAIL', zoe.matching.strong[0].value))).toBeUndefined();
    expect(await item(keys.strongPersonClaim('IDENTITY-EMAIL', moved.strong[0].value))).toMatchObject({ personId: zoe.personId });
    expect(await emailsTo(corrected)).toHaveLength(1);

    await afterDeliveryReport(zoe.report, zoe.personId, zoe.notificationId, NOON);
    expect((await listContactIssues()).items.some((i) => i.personId === zoe.personId)).toBe(false);
  });

  it("refuses the address of another person of the same name and birth date (409) and writes nothing", async () => {
    const zoe = await bounced();
    const other = await person();
    await expect(fixContact({ personId: zoe.personId, issueId: zoe.issueId, value: other.email, staff: staffCamille })).rejects.toMatchObject({ statusCode: 409 });
    expect((await doc.send(new GetCommand({ TableName: table, Key: keys.person(zoe.personId) }))).Item).toMatchObject({ email: zoe.email });
    expect((await listContactIssues()).items.find((i) => i.personId === zoe.personId)).toMatchObject({ status: 'open' });
    expect(await emailsTo(other.email)).toHaveLength(0);
  });

  it("accepts an address another young person gives too (a family's e-mail): both stay filed under it", async () => {
    const zoe = await bounced();
    const brother = await person('Hugo');
    expect(await fixContact({ personId: zoe.personId, issueId: zoe.issueId, value: brother.email, staff: staffCamille })).toEqual({ resent: 1, alreadyFixed: false });
    const filed = await doc.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.personLookupPartition('EMAIL', brother.email) }, ConsistentRead: true }));
    expect((filed.Items ?? []).map((i) => i.personId).sort()).toEqual([zoe.personId, brother.personId].sort());
  });

  it('re-sends a message with a personal link to the page the first one opened (a statement: its month in Ma facturation)', async () => {
    const zoe = await person();
    const cause = `statement#${randomUUID()}`;
    const page = '/ma-facturation?activite=pa-1&mois=2026-10';
    const draft: OutboxDraft = { kind: 'monthly-statement', role: 'young', channel: 'email', to: zoe.email, subject: 'Votre relevé', body: 'Votre relevé : {{lien-personnel}}', personalLink: 'young-person', linkPage: page };
    await doc.send(new TransactWriteCommand({ TransactItems: outboxPuts(table, zoe.personId, cause, [draft], NOON.toISOString(), { referralId: `r-${randomUUID()}` }) }));
    await sendPendingNotifications(zoe.personId, cause, NOON);
    const notificationId = `${cause}#young#email`;
    const sent = await message(zoe.personId, notificationId);
    const report: DeliveryReport = { provider: 'ses', providerMessageId: sent.providerMessageId!, outbox: { personId: zoe.personId, notificationId }, status: 'bounced', at: new Date(NOON.getTime() + 60_000).toISOString(), reason: 'Permanent/General' };
    await recordDelivery(report);
    await afterDeliveryReport(report, zoe.personId, notificationId, NOON);
    const corrected = `zoe.${randomUUID()}@example.org`;
    expect(await fixContact({ personId: zoe.personId, issueId: contactIssueId('young', 'email', zoe.email), value: corrected, staff: staffCamille })).toEqual({ resent: 1, alreadyFixed: false });
    const [resent] = await emailsTo(corrected);
    expect(resent!.text).toMatch(new RegExp(`${page.replace('?', '\\?')}#[A-Za-z0-9_-]{43}`));
  });

  it('leaves a re-send that could not go at once to the dispatcher', async () => {
    const zoe = await bounced();
    const corrected = `zoe.${randomUUID()}@example.org`;
    // Every message is due when written; here a re-send is written the way a fix writes it, then left unsent as after a crash.
    const original = await message(zoe.personId, zoe.notificationId);
    const cause = `resend#${zoe.notificationId}`;
    await doc.send(
      new PutCommand(
        outboxPuts(table, zoe.personId, cause, [{ kind: original.kind, role: original.role, channel: 'email', to: corrected, subject: original.subject, body: original.body }], NOON.toISOString())[0].Put,
      ),
    );
    expect(await emailsTo(corrected)).toHaveLength(0);
    await dispatchDueNotifications(new Date(NOON.getTime() + 5 * 60_000));
    expect(await emailsTo(corrected)).toHaveLength(1);
  });
});
