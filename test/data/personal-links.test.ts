import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { PutCommand, ScanCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { useLocalMessaging, type LocalMessaging } from '../support/messaging.js';
import { keys } from '../../shared/keys.js';
import { outboxPuts, type OutboxDraft } from '../../shared/data/outbox.js';
import { countRequest, fillPersonalLink, findLinkRecipients, hashToken, issueLink, resolveLink, revokeLinks, storeLink } from '../../shared/data/personal-links.js';
import { sendPendingNotifications, writeAndSendNotifications } from '../../shared/notifications/sender.js';
import { render } from '../../shared/domain/messages/catalogue.js';
import { smsSegments } from '../../shared/domain/messages/sms-text.js';
import { LinkRefusedError, TooManyRequestsError } from '../../shared/domain/errors.js';
import { MESSAGE_LINK_TOKEN_PATTERN, type LinkAudience } from '../../shared/domain/personal-links.js';

const NOON = new Date('2026-11-26T11:00:00Z');
const DAY = 24 * 3600 * 1000;
const APP = 'https://parcours.example.org';
let messaging: LocalMessaging;

beforeAll(async () => {
  messaging = await useLocalMessaging({ SMS_WINDOW: 'off', APP_BASE_URL: APP });
});
afterAll(async () => messaging?.stop());

/** Every item of the table, as JSON: where a token would show if it were stored. */
async function wholeTable(): Promise<string> {
  const items: unknown[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await messaging.doc.send(new ScanCommand({ TableName: messaging.table, ExclusiveStartKey: start, ConsistentRead: true }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return JSON.stringify(items);
}
const itemCount = async () => (JSON.parse(await wholeTable()) as unknown[]).length;

/** A referral of a minor with a guardian, and its onboarding in `status`. */
async function onboarding(status = 'active') {
  const personId = randomUUID();
  const referralId = randomUUID();
  const youngPerson = { firstName: 'Zoé', lastName: 'Lefèvre', email: `zoe.${referralId}@example.org`, phone: '+33612345678' };
  const guardian = { firstName: 'Nadia', lastName: 'Lefèvre', email: `nadia.${referralId}@example.org`, phone: '+33798765432', relationship: 'mère' };
  await messaging.doc.send(new PutCommand({ TableName: messaging.table, Item: { ...keys.referral(referralId), type: 'referral', referralId, personId, reference: 'ORI-1A2B3C4D', programme: 'cjs', youngPerson, guardian } }));
  await messaging.doc.send(new PutCommand({ TableName: messaging.table, Item: { ...keys.onboarding(referralId), type: 'onboarding', referralId, personId, status } }));
  return { personId, referralId, youngPerson, guardian };
}

async function refusal(promise: Promise<unknown>): Promise<LinkRefusedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LinkRefusedError);
  return error as LinkRefusedError;
}

describe('a personal link', () => {
  it('opens its audience page for its person, as that person', async () => {
    const { personId, referralId } = await onboarding();
    const { token, url } = await storeLink({ personId, referralId, audience: 'young-person', now: NOON });
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url).toBe(`${APP}/mon-parcours#${token}`);
    const resolved = await resolveLink(token, 'young-person', new Date(NOON.getTime() + 13 * DAY));
    expect(resolved).toMatchObject({ personId, referralId, audience: 'young-person', actor: { kind: 'young-person', id: personId, name: 'Zoé Lefèvre' } });
    const guardian = await storeLink({ personId, referralId, audience: 'guardian', now: NOON });
    expect(guardian.url).toBe(`${APP}/tuteur#${guardian.token}`);
    expect((await resolveLink(guardian.token, 'guardian', NOON)).actor).toEqual({ kind: 'guardian', id: `guardian-${referralId}`, name: 'Nadia Lefèvre' });
  });

  it('is stored as its SHA-256 only', async () => {
    const { personId, referralId } = await onboarding();
    const { token } = await storeLink({ personId, referralId, audience: 'young-person', now: NOON });
    const table = await wholeTable();
    expect(table).not.toContain(token);
    expect(table).toContain(`LINK#${hashToken(token)}`);
  });

  it('is refused, with a clear 4xx and nothing written, when missing, tampered, expired, revoked or for the other audience', async () => {
    const { personId, referralId } = await onboarding();
    const { token } = await storeLink({ personId, referralId, audience: 'young-person', now: NOON });
    const tampered = `${token.slice(0, 20)}${token[20] === 'A' ? 'B' : 'A'}${token.slice(21)}`;
    const before = await itemCount();
    const cases: Array<[string, () => Promise<unknown>, number, string]> = [
      ['missing', () => resolveLink(undefined, 'young-person', NOON), 401, 'missing'],
      ['empty', () => resolveLink('', 'young-person', NOON), 401, 'missing'],
      ['tampered', () => resolveLink(tampered, 'young-person', NOON), 401, 'unknown'],
      ['cut short', () => resolveLink(token.slice(0, 42), 'young-person', NOON), 401, 'unknown'],
      ['of another shape', () => resolveLink(`${token}'; DROP`, 'young-person', NOON), 401, 'unknown'],
      ['expired', () => resolveLink(token, 'young-person', new Date(NOON.getTime() + 14 * DAY)), 410, 'expired'],
      ['for the guardian page', () => resolveLink(token, 'guardian', NOON), 403, 'other-audience'],
    ];
    for (const [label, attempt, status, reason] of cases) {
      const error = await refusal(attempt());
      expect({ label, status: error.statusCode, reason: error.reason }).toEqual({ label, status, reason });
      expect(error.message).toMatch(reason === 'other-audience' ? /n'ouvre pas cette page/ : /\/nouveau-lien/);
      expect(error.newLinkPath).toBe('/nouveau-lien');
    }
    expect(await itemCount()).toBe(before);
  });

  it('is refused once revoked, and links issued later open again', async () => {
    const { personId, referralId } = await onboarding();
    const first = await storeLink({ personId, referralId, audience: 'young-person', now: NOON });
    const guardian = await storeLink({ personId, referralId, audience: 'guardian', now: NOON });
    await revokeLinks(personId, 'young-person', new Date(NOON.getTime() + 1000));
    const error = await refusal(resolveLink(first.token, 'young-person', new Date(NOON.getTime() + 2000)));
    expect([error.statusCode, error.reason]).toEqual([410, 'revoked']);
    // Only that audience: the guardian's link still opens.
    expect((await resolveLink(guardian.token, 'guardian', new Date(NOON.getTime() + 2000))).personId).toBe(personId);
    const later = await storeLink({ personId, referralId, audience: 'young-person', now: new Date(NOON.getTime() + 3000) });
    expect((await resolveLink(later.token, 'young-person', new Date(NOON.getTime() + 4000))).personId).toBe(personId);
  });

  it("opens only its own person's onboarding: a link names one person and one referral", async () => {
    const a = await onboarding();
    const b = await onboarding();
    const { token } = await storeLink({ personId: a.personId, referralId: a.referralId, audience: 'young-person', now: NOON });
    expect(await resolveLink(token, 'young-person', NOON)).toMatchObject({ personId: a.personId, referralId: a.referralId });
    // A link whose person is not the referral's (forged in the table) opens nothing.
    const forged = await storeLink({ personId: b.personId, referralId: a.referralId, audience: 'young-person', now: NOON });
    expect((await refusal(resolveLink(forged.token, 'young-person', NOON))).statusCode).toBe(401);
  });

  it('is another valid link each time one is issued: a retried send gives a second one, and both open', async () => {
    const { personId, referralId } = await onboarding();
    const first = issueLink({ personId, referralId, audience: 'young-person', now: NOON });
    const second = issueLink({ personId, referralId, audience: 'young-person', now: NOON });
    expect(first.token).not.toBe(second.token);
    await messaging.doc.send(new TransactWriteCommand({ TransactItems: [...first.items, ...second.items] }));
    for (const { token } of [first, second]) expect((await resolveLink(token, 'young-person', NOON)).referralId).toBe(referralId);
  });
});

describe('a personal link kept on its message (decision 42)', () => {
  /** A young person's e-mail and SMS and their guardian's e-mail, with links, written and sent by a batch as the run's statements are. */
  async function batchLinks(o: Awaited<ReturnType<typeof onboarding>>) {
    const drafts = personalLinkDrafts(o);
    const cause = `personal-link#${o.referralId}#${randomUUID()}`;
    const items = outboxPuts(messaging.table, o.personId, cause, drafts, NOON.toISOString(), { referralId: o.referralId });
    expect(await writeAndSendNotifications([{ cause, items }], 4, NOON)).toEqual([expect.objectContaining({ sent: 3 })]);
    const emails = await messaging.ses.listEmails();
    const tokenTo = (to: string, page: string) => new RegExp(`${APP}${page}#([A-Za-z0-9_.-]+)`).exec(emails.find((e) => e.to.includes(to))!.text ?? '')![1]!;
    const sms = messaging.sms.list().find((m) => m.destination === o.youngPerson.phone)!;
    return { cause, young: tokenTo(o.youngPerson.email, '/mon-parcours'), guardian: tokenTo(o.guardian.email, '/tuteur'), sms: new RegExp(`${APP}/mon-parcours#(\\S+)$`).exec(sms.body)![1]! };
  }

  it("opens its audience's page as its person, with no item of its own; an SMS of the same write gets a link of its own, as short as before", async () => {
    const o = await onboarding();
    const before = await wholeTable();
    const { cause, young, guardian, sms } = await batchLinks(o);
    expect([young, guardian]).toEqual([expect.stringMatching(MESSAGE_LINK_TOKEN_PATTERN), expect.stringMatching(MESSAGE_LINK_TOKEN_PATTERN)]);
    expect(sms).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await resolveLink(young, 'young-person', new Date(NOON.getTime() + 13 * DAY))).toMatchObject({ personId: o.personId, referralId: o.referralId, actor: { kind: 'young-person', id: o.personId, name: 'Zoé Lefèvre' } });
    expect((await resolveLink(guardian, 'guardian', NOON)).actor).toEqual({ kind: 'guardian', id: `guardian-${o.referralId}`, name: 'Nadia Lefèvre' });
    expect((await resolveLink(sms, 'young-person', NOON)).personId).toBe(o.personId);
    // One link item (the SMS's); the e-mails' hashes on their messages, their tokens nowhere. (The local SMS lists the newest first.)
    const stored = (JSON.parse(await wholeTable()) as Array<Record<string, unknown>>).filter((item) => !before.includes(JSON.stringify(item)));
    expect(stored.filter((item) => item.type === 'personal-link').map((item) => item.tokenHash)).toEqual([hashToken(sms)]);
    const messages = stored.filter((item) => item.cause === cause);
    expect(messages.map((m) => [m.channel, (m.link as { hash?: string } | undefined)?.hash])).toEqual(
      expect.arrayContaining([
        ['email', hashToken(young)],
        ['email', hashToken(guardian)],
        ['sms', undefined],
      ]),
    );
    for (const token of [young, guardian]) expect(JSON.stringify(stored)).not.toContain(token.slice(0, 43));
  });

  it('is refused as any link, with nothing written: tampered, naming another message, expired, revoked or for the other audience', async () => {
    const o = await onboarding();
    const other = await onboarding();
    const { young, guardian } = await batchLinks(o);
    const otherLinks = await batchLinks(other);
    const [secret, person, message] = young.split('.');
    const flip = (text: string, at: number) => `${text.slice(0, at)}${text[at] === 'A' ? 'B' : 'A'}${text.slice(at + 1)}`;
    const before = await itemCount();
    const cases: Array<[string, () => Promise<unknown>, number, string]> = [
      ['its secret tampered', () => resolveLink(`${flip(secret!, 10)}.${person}.${message}`, 'young-person', NOON), 401, 'unknown'],
      ["the guardian's message named", () => resolveLink(`${secret}.${guardian.split('.')[1]}.${guardian.split('.')[2]}`, 'young-person', NOON), 401, 'unknown'],
      ["another person's message named", () => resolveLink(`${secret}.${otherLinks.young.split('.')[1]}.${otherLinks.young.split('.')[2]}`, 'young-person', NOON), 401, 'unknown'],
      ['a message that is not there', () => resolveLink(`${secret}.${person}.${Buffer.from('nope#young#email').toString('base64url')}`, 'young-person', NOON), 401, 'unknown'],
      ['cut short', () => resolveLink(young.slice(0, -1), 'young-person', NOON), 401, 'unknown'],
      ['of another shape', () => resolveLink(`${young}.x`, 'young-person', NOON), 401, 'unknown'],
      ['expired', () => resolveLink(young, 'young-person', new Date(NOON.getTime() + 14 * DAY)), 410, 'expired'],
      ['for the guardian page', () => resolveLink(young, 'guardian', NOON), 403, 'other-audience'],
    ];
    for (const [label, attempt, status, reason] of cases) {
      const error = await refusal(attempt());
      expect({ label, status: error.statusCode, reason: error.reason }).toEqual({ label, status, reason });
    }
    expect(await itemCount()).toBe(before);
    // Revoked with the person's other links of that audience; the guardian's still opens, and a later one opens again.
    await revokeLinks(o.personId, 'young-person', new Date(NOON.getTime() + 1000));
    expect((await refusal(resolveLink(young, 'young-person', new Date(NOON.getTime() + 2000)))).reason).toBe('revoked');
    expect((await resolveLink(guardian, 'guardian', new Date(NOON.getTime() + 2000))).personId).toBe(o.personId);
    const later = await storeLink({ personId: o.personId, referralId: o.referralId, audience: 'young-person', now: new Date(NOON.getTime() + 3000) });
    expect((await resolveLink(later.token, 'young-person', new Date(NOON.getTime() + 4000))).personId).toBe(o.personId);
  });
});

/** A young person's e-mail and SMS and their guardian's e-mail, each with a personal link. */
function personalLinkDrafts(o: { youngPerson: { email: string; phone: string }; guardian: { email: string } }): OutboxDraft[] {
  const vars = { youngFirstName: 'Zoé', validDays: 14, reference: 'ORI-1A2B3C4D' };
  return [
    { kind: 'personal-link', role: 'young', channel: 'email', to: o.youngPerson.email, ...render('personal-link', 'young', 'email', vars), personalLink: 'young-person' },
    { kind: 'personal-link', role: 'young', channel: 'sms', to: o.youngPerson.phone, body: render('personal-link', 'young', 'sms', vars).body, personalLink: 'young-person' },
    { kind: 'personal-link', role: 'guardian', channel: 'email', to: o.guardian.email, ...render('personal-link', 'guardian', 'email', { ...vars, guardianName: 'Nadia Lefèvre' }), personalLink: 'guardian' },
  ];
}

describe('a message with a personal link', () => {
  const linkIn = (text: string, audience: LinkAudience) => new RegExp(`${APP}${audience === 'guardian' ? '/tuteur' : '/mon-parcours'}#([A-Za-z0-9_-]{43})`).exec(text)?.[1];

  async function sendLinks(o: Awaited<ReturnType<typeof onboarding>>) {
    const drafts = personalLinkDrafts(o);
    const cause = `personal-link#${o.referralId}#${randomUUID()}`;
    await messaging.doc.send(new TransactWriteCommand({ TransactItems: outboxPuts(messaging.table, o.personId, cause, drafts, NOON.toISOString(), { referralId: o.referralId }) }));
    expect(await sendPendingNotifications(o.personId, cause, NOON)).toMatchObject({ sent: 3 });
    const emails = await messaging.ses.listEmails();
    const email = (to: string) => emails.find((e) => e.to.includes(to))!;
    const sms = messaging.sms.list().find((m) => m.destination === o.youngPerson.phone)!;
    return { cause, young: email(o.youngPerson.email), guardian: email(o.guardian.email), sms };
  }

  it('gets a fresh link when it is sent, each recipient their own; the table keeps the placeholder and no token', async () => {
    const o = await onboarding();
    const { cause, young, guardian, sms } = await sendLinks(o);
    const tokens = [linkIn(young.text ?? '', 'young-person'), linkIn(sms.body, 'young-person'), linkIn(guardian.text ?? '', 'guardian')];
    expect(tokens.every(Boolean)).toBe(true);
    expect(new Set(tokens).size).toBe(3);
    expect(guardian.text).not.toContain('/mon-parcours');
    for (const text of [young.text, guardian.text, sms.body]) expect(text).not.toContain('{{');
    expect((await resolveLink(tokens[0], 'young-person', NOON)).personId).toBe(o.personId);
    expect((await resolveLink(tokens[1], 'young-person', NOON)).personId).toBe(o.personId);
    expect((await resolveLink(tokens[2], 'guardian', NOON)).actor.kind).toBe('guardian');
    const table = await wholeTable();
    for (const token of tokens) expect(table).not.toContain(token);
    expect(table).toContain('{{lien-personnel}}');
    const stored = JSON.parse(table) as Array<Record<string, unknown>>;
    expect(stored.filter((i) => i.cause === cause).map((i) => i.status)).toEqual(['sent', 'sent', 'sent']);
  });

  it('costs the SMS segments counted with the link', async () => {
    const o = await onboarding();
    const { sms } = await sendLinks(o);
    const rendered = render('personal-link', 'young', 'sms', { youngFirstName: 'Zoé', validDays: 14, reference: 'ORI-1A2B3C4D' });
    expect(sms.body).toMatch(new RegExp(`${APP}/mon-parcours#[A-Za-z0-9_-]{43}$`));
    // What the provider bills for the text as sent: never more than the catalogue counted.
    expect(smsSegments(sms.body).segments).toBeLessThanOrEqual(rendered.segments);
  });

  it('files the addresses it went to, for the "nouveau lien" page, as long as the referral still holds them and the onboarding is open', async () => {
    const o = await onboarding();
    await sendLinks(o);
    expect((await findLinkRecipients({ channel: 'email', address: o.youngPerson.email.toUpperCase().toLowerCase() })).map((r) => [r.referral.referralId, r.audience])).toEqual([[o.referralId, 'young-person']]);
    expect((await findLinkRecipients({ channel: 'email', address: o.guardian.email })).map((r) => r.audience)).toEqual(['guardian']);
    expect((await findLinkRecipients({ channel: 'sms', address: o.youngPerson.phone })).some((r) => r.referral.referralId === o.referralId)).toBe(true);
    expect(await findLinkRecipients({ channel: 'email', address: `inconnu.${randomUUID()}@example.org` })).toEqual([]);
    // Staff corrected the address since: the old one receives nothing any more.
    await messaging.doc.send(new PutCommand({ TableName: messaging.table, Item: { ...keys.referral(o.referralId), type: 'referral', referralId: o.referralId, personId: o.personId, programme: 'cjs', youngPerson: { ...o.youngPerson, email: 'nouvelle@example.org' }, guardian: o.guardian } }));
    expect(await findLinkRecipients({ channel: 'email', address: o.youngPerson.email })).toEqual([]);
    // An onboarding that ended: nobody receives a link for it.
    await messaging.doc.send(new PutCommand({ TableName: messaging.table, Item: { ...keys.onboarding(o.referralId), type: 'onboarding', referralId: o.referralId, personId: o.personId, status: 'ended' } }));
    expect(await findLinkRecipients({ channel: 'email', address: o.guardian.email })).toEqual([]);
  });

  it('is written only if the sender can fill its link in', () => {
    const body = 'Votre lien : {{lien-personnel}}';
    const write = (draft: Partial<OutboxDraft>, referralId?: string) => () =>
      outboxPuts('t', 'p', 'c', [{ kind: 'personal-link', role: 'young', channel: 'email', to: 'a@example.org', subject: 'Lien', body, personalLink: 'young-person', ...draft }], NOON.toISOString(), { referralId });
    expect(write({}, 'r')).not.toThrow();
    expect(write({})).toThrow(/needs the referral/);
    // Undeclared, the placeholder its text holds declares it.
    expect(write({ personalLink: undefined }, 'r')().find((p) => p.Put.Item.type === 'notification')?.Put.Item.personalLink).toBe('young-person');
    expect(write({ personalLink: undefined, body: 'Deux liens : {{lien-personnel}} {{lien-tuteur}}' }, 'r')).toThrow(/placeholders/);
    expect(write({ body: 'Sans lien' }, 'r')).toThrow(/placeholders/);
    expect(write({ personalLink: 'guardian', role: 'guardian' }, 'r')).toThrow(/placeholders/);
    expect(write({ role: 'guardian' }, 'r')).toThrow(/cannot go to the guardian/);
    expect(write({ body: 'Sans lien', personalLink: undefined }, 'r')).not.toThrow();
    // Another of its audience's pages, with a query (a statement's month), but never another audience's or a staff page.
    expect(write({ linkPage: '/ma-facturation?activite=pa-1&mois=2027-03' }, 'r')).not.toThrow();
    expect(write({ linkPage: '/mon-activite' }, 'r')).not.toThrow();
    expect(write({ linkPage: '/equipe/activites?x=1' }, 'r')).toThrow(/cannot open/);
    expect(write({ linkPage: '/tuteur' }, 'r')).toThrow(/cannot open/);
  });

  it('fills nothing in a message without a link', async () => {
    const message = { notificationId: 'n', personId: 'p', kind: 'referral-received', role: 'young' as const, channel: 'email' as const, to: 'a@example.org', body: 'Bonjour', cause: 'c', status: 'pending' as const, attempts: 1, createdAt: NOON.toISOString() };
    const before = await itemCount();
    expect(await fillPersonalLink('p', message, NOON)).toBe(message);
    expect(await itemCount()).toBe(before);
  });
});

describe('the re-send counters', () => {
  it('count requests per window and refuse the one over the limit, with the time left', async () => {
    const scope = `test#${randomUUID()}`;
    const limit = { max: 3, windowSeconds: 3600 };
    const at = new Date('2026-11-26T11:45:00Z');
    for (let i = 0; i < 3; i++) await countRequest(scope, limit, 'Trop de demandes.', at);
    const error = await countRequest(scope, limit, 'Trop de demandes.', at).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TooManyRequestsError);
    expect((error as TooManyRequestsError).retryAfterSeconds).toBe(15 * 60);
    // The next window starts from zero.
    await expect(countRequest(scope, limit, 'Trop de demandes.', new Date('2026-11-26T12:00:00Z'))).resolves.toBeUndefined();
  });
});
