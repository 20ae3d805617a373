import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { PutCommand, ScanCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { outboxPuts } from '../../shared/data/outbox.js';
import { render } from '../../shared/domain/messages/catalogue.js';
import { useLocalMessaging, type LocalMessaging } from '../support/messaging.js';
import { apiEvent, lambdaContext } from '../support/events.js';
import { keys } from '../../shared/keys.js';
import { createOnboarding } from '../../shared/data/onboarding.js';
import { revokeLinks, storeLink } from '../../shared/data/personal-links.js';
import type { ReferralRecord } from '../../shared/data/referrals.js';
import { handler as me } from '../../functions/me/get.js';
import { handler as resend } from '../../functions/links/resend.js';
import type { ApiResult } from '../../shared/http/api.js';
import type { YoungPersonSpaceView } from '../../shared/views.js';

const APP = 'https://parcours.example.org';
// The production floor (infra/config.ts): a known address's link and send fit under it even on a loaded machine,
// which a shorter floor did not (the known answer then took longer than the floor, and told itself apart).
const ANSWER_MS = 1500;
let messaging: LocalMessaging;

beforeAll(async () => {
  messaging = await useLocalMessaging({
    SMS_WINDOW: 'off',
    APP_BASE_URL: APP,
    PERSONAL_LINKS: JSON.stringify({ resendAnswerMs: ANSWER_MS, resendPerContact: { max: 3, windowSeconds: 3600 }, resendOverall: { max: 1000, windowSeconds: 3600 } }),
  });
});
afterAll(async () => messaging?.stop());

const ctx = lambdaContext();
const call = async (h: (e: never, c: never) => Promise<ApiResult>, event: unknown) => {
  const result = await h(event as never, ctx as never);
  return { status: result.statusCode, body: JSON.parse(String(result.body)), headers: result.headers ?? {} };
};

async function tableJson(): Promise<string> {
  const items: unknown[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await messaging.doc.send(new ScanCommand({ TableName: messaging.table, ExclusiveStartKey: start, ConsistentRead: true }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return JSON.stringify(items);
}
const itemCount = async () => (JSON.parse(await tableJson()) as unknown[]).length;

/**
 * An accepted referral of a minor, with its onboarding open and its welcome messages queued (not sent): as the
 * onboarding's opening writes them, each with its link placeholder, which files the addresses links go to.
 */
async function inOnboarding() {
  const personId = randomUUID();
  const referralId = randomUUID();
  const birthYear = new Date().getUTCFullYear() - 16;
  const referral = {
    referralId,
    personId,
    reference: `ORI-${referralId.slice(0, 8).toUpperCase()}`,
    programme: 'cjs',
    programmeStartDate: `${new Date().getUTCFullYear() + 1}-07-01`,
    status: 'accepted',
    youngPerson: { firstName: 'Zoé', lastName: 'Lefèvre', birthDate: `${birthYear}-03-02`, email: `zoe.${referralId}@example.org`, phone: '+33612345678' },
    guardian: { firstName: 'Nadia', lastName: 'Lefèvre', email: `nadia.${referralId}@example.org`, phone: '+33798765432', relationship: 'mère' },
  } as unknown as ReferralRecord;
  await messaging.doc.send(new PutCommand({ TableName: messaging.table, Item: { ...keys.referral(referralId), type: 'referral', ...referral } }));
  await messaging.doc.send(new PutCommand({ TableName: messaging.table, Item: { ...keys.personReferralLink(personId, referralId), type: 'person-referral', referralId } }));
  await createOnboarding({ referral });
  const vars = { youngFirstName: 'Zoé', validDays: 14, reference: referral.reference };
  const welcome = outboxPuts(
    messaging.table,
    personId,
    `welcome#${referralId}`,
    [
      { kind: 'personal-link', role: 'young', channel: 'email', to: referral.youngPerson.email, ...render('personal-link', 'young', 'email', vars), personalLink: 'young-person' },
      { kind: 'personal-link', role: 'young', channel: 'sms', to: referral.youngPerson.phone, body: render('personal-link', 'young', 'sms', vars).body, personalLink: 'young-person' },
      { kind: 'personal-link', role: 'guardian', channel: 'email', to: referral.guardian!.email, ...render('personal-link', 'guardian', 'email', { ...vars, guardianName: 'Nadia Lefèvre' }), personalLink: 'guardian' },
    ],
    new Date().toISOString(),
    { referralId },
  );
  await messaging.doc.send(new TransactWriteCommand({ TransactItems: welcome }));
  return referral;
}

const meEvent = (token?: string, query?: Record<string, string>) => ({
  ...apiEvent({ routeKey: 'GET /api/me', headers: token === undefined ? {} : { 'x-parcours-link': token } }),
  queryStringParameters: query,
});
const resendEvent = (contact: unknown) => apiEvent({ routeKey: 'POST /api/links/resend', body: { contact } });

describe('GET /api/me, through the young person’s link', () => {
  it('shows their first name, programme, each step with its status, what to do next, and no link', async () => {
    const referral = await inOnboarding();
    const { token } = await storeLink({ personId: referral.personId, referralId: referral.referralId, audience: 'young-person' });
    const res = await call(me, meEvent(token));
    expect(res.status).toBe(200);
    const view = res.body as YoungPersonSpaceView;
    expect(view).toMatchObject({ firstName: 'Zoé', programme: 'cjs', reference: referral.reference, onboarding: { status: 'active', statusLabel: 'Accueil en cours' } });
    expect(view.steps.map((s) => s.step)).toEqual(['information-session', 'diagnosis', 'documents', 'guardian-consent', 'contract-acceptance', 'contract-countersign']);
    expect(view.steps[0]).toMatchObject({ current: true, status: 'todo', label: "Réunion d'information" });
    expect(view.next).toMatchObject({ step: 'information-session', text: expect.any(String) });
    expect(view.messages.items).toEqual([]);
    expect(JSON.stringify(view)).not.toContain(referral.youngPerson.lastName);
  });

  it('lists the messages they received, newest first, with a mention in place of the link, one page at a time', async () => {
    const referral = await inOnboarding();
    for (let i = 0; i < 3; i++) {
      const res = await call(resend, resendEvent(referral.youngPerson.email));
      expect(res.status).toBe(202);
    }
    const { token } = await storeLink({ personId: referral.personId, referralId: referral.referralId, audience: 'young-person' });
    const first = (await call(me, meEvent(token, { limit: '2' }))).body as YoungPersonSpaceView;
    expect(first.messages.items).toHaveLength(2);
    expect(first.messages.items[0]).toMatchObject({ channel: 'email', channelLabel: 'E-mail', subject: 'Votre lien personnel CoopConnexion' });
    expect(first.messages.items[0].text).toContain('(votre lien personnel)');
    expect(first.messages.items[0].text).not.toMatch(/\{\{|#[A-Za-z0-9_-]{43}/);
    expect(first.messages.items[0].at >= first.messages.items[1].at).toBe(true);
    const second = (await call(me, meEvent(token, { limit: '2', cursor: first.messages.cursor! }))).body as YoungPersonSpaceView;
    expect(second.messages.items).toHaveLength(1);
    expect(second.messages.cursor).toBeUndefined();
    // The guardian's messages are theirs, not the young person's.
    await call(resend, resendEvent(referral.guardian!.email));
    expect(((await call(me, meEvent(token))).body as YoungPersonSpaceView).messages.items).toHaveLength(3);
  });

  it('refuses a missing, unknown, tampered, expired, revoked or guardian link with a clear 4xx, and writes nothing', async () => {
    const referral = await inOnboarding();
    const ids = { personId: referral.personId, referralId: referral.referralId };
    const valid = await storeLink({ ...ids, audience: 'young-person' });
    const expired = await storeLink({ ...ids, audience: 'young-person', now: new Date(Date.now() - 15 * 24 * 3600 * 1000) });
    const guardian = await storeLink({ ...ids, audience: 'guardian' });
    const other = await inOnboarding();
    const revoked = await storeLink({ personId: other.personId, referralId: other.referralId, audience: 'young-person', now: new Date(Date.now() - 60_000) });
    await revokeLinks(other.personId, 'young-person', new Date(Date.now() - 30_000));
    const tampered = `${valid.token.slice(0, -1)}${valid.token.endsWith('A') ? 'B' : 'A'}`;
    const before = await itemCount();
    const cases: Array<[string, string | undefined, number, RegExp]> = [
      ['missing', undefined, 401, /Lien personnel manquant/],
      ['unknown', 'x'.repeat(43), 401, /n'est pas reconnu/],
      ['tampered', tampered, 401, /n'est pas reconnu/],
      ['expired', expired.token, 410, /a expiré : demandez un nouveau lien/],
      ['revoked', revoked.token, 410, /désactivé/],
      ['the guardian’s', guardian.token, 403, /n'ouvre pas cette page/],
    ];
    for (const [label, token, status, message] of cases) {
      const res = await call(me, meEvent(token));
      expect({ label, status: res.status }).toEqual({ label, status });
      expect(res.body.message).toMatch(message);
      if (status !== 403) expect(res.body.newLinkPath).toBe('/nouveau-lien');
      expect(JSON.stringify(res.body)).not.toContain(referral.youngPerson.firstName);
    }
    expect(await itemCount()).toBe(before);
  });

  it('refuses a bad page parameter field by field', async () => {
    const referral = await inOnboarding();
    const { token } = await storeLink({ personId: referral.personId, referralId: referral.referralId, audience: 'young-person' });
    for (const [query, field] of [[{ limit: '0' }, 'limit'], [{ cursor: 'eyJwayI6IngifQ' }, 'cursor'], [{ sort: 'x' }, 'sort']] as const) {
      const res = await call(me, meEvent(token, query));
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
    }
  });
});

describe('POST /api/links/resend', () => {
  it('sends a fresh link to the address on file, and the links sent before still open', async () => {
    const referral = await inOnboarding();
    const before = await storeLink({ personId: referral.personId, referralId: referral.referralId, audience: 'young-person' });
    const res = await call(resend, resendEvent(`  ${referral.youngPerson.email.toUpperCase()} `));
    expect(res.status).toBe(202);
    const mail = (await messaging.ses.listEmails()).filter((e) => e.to.includes(referral.youngPerson.email)).at(-1)!;
    const token = new RegExp(`${APP}/mon-parcours#([A-Za-z0-9_-]{43})`).exec(mail.text ?? '')![1];
    for (const t of [token, before.token]) expect((await call(me, meEvent(t))).status).toBe(200);
    expect(await tableJson()).not.toContain(token);
    // By SMS to the mobile on file, written any French way; the guardian gets a guardian's link.
    expect((await call(resend, resendEvent('06 12 34 56 78'))).status).toBe(202);
    expect(messaging.sms.list().filter((m) => m.destination === '+33612345678').at(-1)!.body).toMatch(/mon-parcours#[A-Za-z0-9_-]{43}$/);
    await call(resend, resendEvent(referral.guardian!.email));
    const toGuardian = (await messaging.ses.listEmails()).filter((e) => e.to.includes(referral.guardian!.email)).at(-1)!;
    expect(toGuardian.text).toMatch(/\/tuteur#[A-Za-z0-9_-]{43}/);
    const timeline = await tableJson();
    expect(timeline).toContain('Nouveau lien personnel envoyé par e-mail (jeune), à sa demande');
  });

  it('answers the same, in the same time class, for a known and an unknown address, and sends nothing to the unknown one', async () => {
    const referral = await inOnboarding();
    const unknown = `personne.${randomUUID()}@example.org`;
    const timed = async (contact: string) => {
      const started = performance.now();
      const res = await call(resend, resendEvent(contact));
      return { ...res, ms: performance.now() - started };
    };
    const known = await timed(referral.youngPerson.email);
    const stranger = await timed(unknown);
    expect(known.status).toBe(202);
    expect(stranger.status).toBe(202);
    expect(stranger.body).toEqual(known.body);
    expect(stranger.headers).toEqual(known.headers);
    for (const ms of [known.ms, stranger.ms]) expect(ms).toBeGreaterThanOrEqual(ANSWER_MS - 5);
    expect(Math.abs(known.ms - stranger.ms)).toBeLessThan(ANSWER_MS);
    expect((await messaging.ses.listEmails()).some((e) => e.to.includes(unknown))).toBe(false);
  });

  it('limits requests per address, known or not, and says when to come back', async () => {
    for (const contact of [(await inOnboarding()).youngPerson.email, `personne.${randomUUID()}@example.org`]) {
      for (let i = 0; i < 3; i++) expect((await call(resend, resendEvent(contact))).status).toBe(202);
      const refused = await call(resend, resendEvent(contact));
      expect(refused.status).toBe(429);
      expect(refused.body.message).toMatch(/réessayez dans une heure/);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    }
  });

  it('refuses what is neither an e-mail nor a French mobile, field by field, and writes nothing', async () => {
    const before = await itemCount();
    for (const [contact, message] of [
      ['lea-sans-arobase', /numéro de mobile/],
      ['lea@', /Adresse e-mail invalide/],
      ['01 23 45 67 89', /numéro de mobile/],
      ['', /obligatoire/],
      [33612345678, /texte/],
      [undefined, /obligatoire/],
    ] as const) {
      const res = await call(resend, resendEvent(contact));
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field: 'contact', message: expect.stringMatching(message) }]);
    }
    expect(await itemCount()).toBe(before);
  });
});
