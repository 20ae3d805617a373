/**
 * Smoke run against a running local cloud (`npm start`): logs in like a browser would (OAuth code + PKCE
 * on the local issuer), submits a referral as a prescriber, decides it as staff, and checks the e-mails in
 * the local SES and the SMS in the outbox. Then one young person of each programme (the CJS one a minor with a
 * guardian) goes through the whole onboarding over HTTP (scripts/smoke-onboarding.ts) to launch-ready, and launches
 * (scripts/smoke-launch.ts): the individual and the Jeunes Majeurs personal activities, the CJS cohort's collective
 * one with the minor, a Jeunes Majeurs collective one with the member, all four found by the invoicing's query.
 * Then one month of invoicing (scripts/smoke-invoicing.ts): the latest past month not run yet on this cloud, the
 * members' customers and declarations, the run started and validated by staff, the numbered invoices e-mailed with
 * their Factur-X PDFs, a partial payment, and the members' statements. Exits 0 only if all of that happened; the run
 * again against the same cloud invoices the month before.
 *   BASE_URL (default http://127.0.0.1:3000), SES_URL (default http://127.0.0.1:8005)
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DEMO_USERS } from '../infra/local-app/demo-users.js';
import { exitOnError, requireRunningCloud } from './running-cloud.js';
import { smokeInvoicing } from './smoke-invoicing.js';
import { smokeLaunch } from './smoke-launch.js';
import { smokeOnboarding } from './smoke-onboarding.js';

const BASE_URL = (process.env.BASE_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
const SES_URL = (process.env.SES_URL ?? 'http://127.0.0.1:8005').replace(/\/$/, '');
const TIMEOUT_MS = Number(process.env.SMOKE_TIMEOUT_MS ?? 30_000);

// An error mid-run (the cloud stopped, a malformed answer) ends in one line, not a stack trace.
process.on('uncaughtException', exitOnError('npm run smoke'));
process.on('unhandledRejection', exitOnError('npm run smoke'));
await requireRunningCloud(BASE_URL, 'npm run smoke');

let failures = 0;
function check(ok: boolean, what: string): void {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures += 1;
}

/** Polls `probe` until it gives a value, `timeoutMs` at most (SMOKE_TIMEOUT_MS by default); a FAIL line otherwise. */
async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = TIMEOUT_MS): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 300));
  }
  check(false, `${what} (waited ${timeoutMs} ms)`);
  return undefined;
}

/** Authorization code + PKCE against the local issuer, as the pages do. */
async function login(username: string): Promise<string> {
  const config = (await (await fetch(`${BASE_URL}/api/config`)).json()) as { authBaseUrl: string; clientId: string };
  const user = DEMO_USERS.find((u) => u.username === username)!;
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const redirectUri = `${BASE_URL}/auth/callback`;
  const authorize = await fetch(`${config.authBaseUrl}/oauth2/authorize`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ user: user.id, client_id: config.clientId, redirect_uri: redirectUri, state: 'smoke', code_challenge: challenge, code_challenge_method: 'S256', response_type: 'code', scope: 'openid email profile' }),
  });
  const code = new URL(authorize.headers.get('location') ?? '', BASE_URL).searchParams.get('code');
  if (!code) throw new Error(`login of ${username} failed: ${authorize.status}`);
  const token = await fetch(`${config.authBaseUrl}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: config.clientId, code_verifier: verifier }),
  });
  return ((await token.json()) as { id_token: string }).id_token;
}

async function api(token: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${BASE_URL}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
}

const run = randomUUID().slice(0, 8);
const email = `smoke.${run}@example.org`;
const phone = `+3361${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;

const sarah = await login('sarah.benali');
const camille = await login('camille.martin');
check(Boolean(sarah && camille), 'logged in as a prescriber and as staff (OAuth code + PKCE)');

const submitted = await api(
  sarah,
  'POST',
  '/api/referrals',
  {
    programme: 'accompagnement',
    youngPerson: { firstName: 'Smoke', lastName: `Test ${run}`, birthDate: '2000-01-15', email, phone, postalCode: '62300', town: 'Lens', qpv: false, situation: 'demandeur-emploi' },
    projectIdea: 'Vérification automatique du parcours.',
    consent: { dataProcessing: true },
  },
  { 'idempotency-key': `smoke-${run}` },
);
check(submitted.status === 201, `referral submitted over HTTP (${submitted.status})`);
const referralId: string = submitted.body?.referralId;

const item = await until(async () => (await api(camille, 'GET', '/api/staff/inbox')).body.items.find((i: { referralId: string }) => i.referralId === referralId), 'referral in the staff inbox');
if (item) {
  const decided = await api(camille, 'POST', `/api/approvals/${item.approvalId}/decision`, { outcome: 'accepted', messageToYoungPerson: 'Bienvenue !' });
  check(decided.status === 200 && decided.body.status === 'accepted', `decided as staff over HTTP (${decided.status})`);
  const again = await api(camille, 'POST', `/api/approvals/${item.approvalId}/decision`, { outcome: 'refused', reasonCode: 'other' });
  check(again.status === 409, `a second decision is refused (${again.status})`);
}

type Email = { subject: string; destination: { to: string[] } };
const mails = async () => ((await (await fetch(`${SES_URL}/store`)).json()) as { emails: Email[] }).emails.filter((m) => m.destination.to.includes(email));
const youngMails = await until(async () => ((await mails()).length >= 2 ? mails() : undefined), 'acknowledgement and decision e-mails to the young person');
if (youngMails) for (const m of youngMails) console.log(`     e-mail: ${m.subject}`);

type Sms = { destination: string; body: string };
const smsList = async () => ((await (await fetch(`${BASE_URL}/_local/sms/messages.json`)).json()) as Sms[]).filter((m) => m.destination === phone);
// Between 20:00 and 08:00 (Europe/Paris) SMS are held back until the morning: held counts as handled.
const heldSms = async () => {
  const person = (await api(camille, 'GET', `/api/referrals/${referralId}`)).body?.personId;
  const notifications: Array<{ channel: string; status: string; notBefore?: string }> = (await api(camille, 'GET', `/api/people/${person}/timeline`)).body?.notifications ?? [];
  return notifications.filter((n) => n.channel === 'sms' && n.status === 'pending' && n.notBefore);
};
const sms = await until(async () => ((await smsList()).length + (await heldSms()).length >= 2 ? smsList() : undefined), 'acknowledgement and decision SMS sent, or held for quiet hours');
if (sms) for (const m of sms) console.log(`     SMS: ${m.body.slice(0, 70)}…`);
for (const held of await heldSms()) console.log(`     SMS held for quiet hours until ${held.notBefore}`);

const referral = await api(camille, 'GET', `/api/referrals/${referralId}`);
type Notification = { kind: string; role: string; channel: string; status: string; providerMessageId?: string; notBefore?: string };
const handled = (n: Notification) => (['sent', 'delivered'].includes(n.status) && n.providerMessageId) || (n.status === 'pending' && n.notBefore);
const notificationsOf = async (): Promise<Notification[]> => (await api(camille, 'GET', `/api/people/${referral.body?.personId}/timeline`)).body?.notifications ?? [];
// The acceptance starts the onboarding, whose welcome may still be on its way: wait for it to be handled too.
const notifications = (await until(async () => {
  const list = await notificationsOf();
  return list.length > 0 && list.every(handled) ? list : undefined;
}, 'every message of the path handled')) ?? (await notificationsOf());
console.log('     delivery status of this run\'s messages:');
for (const n of notifications) console.log(`       ${n.channel.padEnd(5)} ${n.role.padEnd(10)} ${n.kind.padEnd(28)} ${n.status.padEnd(8)} ${n.providerMessageId ?? ''}`);
check(notifications.length > 0 && notifications.every(handled), 'every message of the path is sent or delivered with a provider id (or an SMS held for quiet hours)');

const messages = await api(camille, 'GET', '/api/staff/messages');
check(messages.status === 200 && Array.isArray(messages.body?.toFix), `staff messages page data (${messages.status})`);
console.log(`     contacts to fix: ${messages.body?.toFix?.length ?? '?'}, opt-outs: ${messages.body?.optOuts?.length ?? '?'}, messages not delivered in 30 days: ${messages.body?.failed?.length ?? '?'}`);

const launchReady = await smokeOnboarding({ baseUrl: BASE_URL, sesUrl: SES_URL, staffToken: camille, prescriberToken: sarah, accepted: { referralId, email }, check, until, api });
const launched = await smokeLaunch({ baseUrl: BASE_URL, sesUrl: SES_URL, staffToken: camille, people: launchReady, check, until, api });
await smokeInvoicing({ baseUrl: BASE_URL, sesUrl: SES_URL, staffToken: camille, people: launchReady, activities: launched, check, until, api });

console.log(failures === 0 ? '\nsmoke: all checks passed' : `\nsmoke: ${failures} check(s) failed`);
process.exit(failures === 0 ? 0 : 1);
