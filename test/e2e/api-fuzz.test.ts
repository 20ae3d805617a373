import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { apiClient, eventually, startTestCloud, useCloudTable } from '../support/cloud.js';
import { apiFuzzer, type FuzzRoute, type FuzzWorld } from '../support/api-fuzz.js';
import { activeActivityWithMembers, inDays, launchReadyReferral } from '../support/activities.js';
import { adultSubmission, launchFile, minorSubmission } from '../support/fixtures.js';
import { recordPersonalValues } from '../support/personal-data.js';
import { settled } from '../support/routes.js';
import type { ParcoursLocalCloud as LocalCloud } from '../../infra/local-app/profile.js';
import { storeLink } from '../../shared/data/personal-links.js';
import { MEMBER_INVOICING_ROUTES } from '../../functions/invoicing/member-routes.js';
import { STAFF_INVOICING_ROUTES } from '../../shared/invoicing/staff-routes.js';

/*
 * Property-based fuzzing (test/support/api-fuzz.ts) of every route of the HTTP API but the invoicing's
 * (test/e2e/invoicing-fuzz.test.ts) and the pages' catch-all: referrals, approvals, the staff desk, onboarding,
 * sessions, documents, cohorts, activities and service kinds, the young person's and the guardian's spaces, the
 * link resend, the pages' settings. Each request is a valid one of a seeded world with one or two parts mutated.
 * Every answer is under 500; a refusal is JSON with a French message, shows no stack nor internal name, and writes
 * nothing (the table read whole before and after; after a 2xx that starts a workflow, once the table is quiet).
 *
 * The suite sends 100 requests (60 through the gateway, 40 as direct events): a 2xx of a route that settles waits for a
 * quiet table (1.5 s at least), which makes this file's time, so each CI run tries a new random sample of modest size.
 * To hunt: NUM_RUNS=3000 npx vitest run test/e2e/api-fuzz.test.ts; FUZZ_SEED=<n> replays a run; FUZZ_LOG=<file> writes
 * one line per request.
 */

const NEXT_YEAR = new Date().getUTCFullYear() + 1;

/** What beforeAll seeds. */
const world: FuzzWorld = {
  /** A young person in onboarding (their link is `token`), a minor in onboarding (their guardian's link). */
  token: '',
  otherToken: '',
  guardianToken: '',
  memberToken: '',
  referralId: '',
  personId: '',
  minorReferralId: '',
  /** A referral submitted through the API, its approval waiting, and its person's bounced address to fix. */
  submittedReferralId: '',
  submittedPersonId: '',
  approvalId: '',
  contactIssueId: '',
  activityId: '',
  draftActivityId: '',
  cohortId: '',
  sessionId: '',
  uploadId: '',
};

const staff = (params: () => Record<string, string> = () => ({}), extra: Partial<FuzzRoute> = {}): FuzzRoute => ({ side: 'staff', params, ...extra });
const me = (extra: Partial<FuzzRoute> = {}): FuzzRoute => ({ side: 'member', params: () => ({}), ...extra });
const activity = (id = () => world.activityId) => () => ({ activityId: id() });
const draft = activity(() => world.draftActivityId);
const onboarding = () => ({ referralId: world.referralId });
const document = () => ({ referralId: world.referralId, docType: 'identity' });
const cohort = () => ({ cohortId: world.cohortId });
const cohortMember = () => ({ cohortId: world.cohortId, referralId: world.referralId });
const launchFileBody = () => launchFile(inDays(10), { endDate: inDays(200) }) as unknown as Record<string, unknown>;
const sha256 = 'a'.repeat(64);
const page = { limit: '10' };

const ROUTES: Record<string, FuzzRoute> = {
  'GET /': { side: 'public', params: () => ({}) },
  'GET /api/config': { side: 'public', params: () => ({}) },
  'POST /api/links/resend': { side: 'public', params: () => ({}), body: () => ({ contact: `personne.${randomUUID()}@example.org` }) },

  'POST /api/referrals': { side: 'prescriber', params: () => ({}), body: () => adultSubmission() as unknown as Record<string, unknown>, idempotent: true, settles: true },
  'GET /api/referrals': { side: 'prescriber', params: () => ({}), query: () => page },
  'GET /api/referrals/{referralId}': { side: 'prescriber', params: () => ({ referralId: world.submittedReferralId }) },
  'GET /api/approvals/{approvalId}': staff(() => ({ approvalId: world.approvalId })),
  // The referral's approval: decided by the first request that keeps a valid body, a 409 after that.
  'POST /api/approvals/{approvalId}/decision': staff(() => ({ approvalId: world.approvalId }), { body: () => ({ outcome: 'refused', reasonCode: 'other', messageToPrescriber: 'Pas de place cette session.' }), settles: true }),
  'GET /api/staff/inbox': staff(undefined, { query: () => page }),
  'GET /api/staff/messages': staff(),
  'GET /api/staff/duplicates': staff(undefined, { query: () => page }),
  'GET /api/people/{personId}/timeline': staff(() => ({ personId: world.submittedPersonId })),
  'POST /api/people/{personId}/contact-issues/{issueId}/fix': staff(() => ({ personId: world.submittedPersonId, issueId: world.contactIssueId }), { body: () => ({ value: `lea.${randomUUID()}@example.org` }), settles: true }),
  // No weak match in the world: a well-formed pair id of none.
  'POST /api/staff/duplicates/{duplicateId}/decision': staff(() => ({ duplicateId: `${randomUUID()}_${randomUUID()}` }), { body: () => ({ decision: 'different-people' }) }),

  'GET /api/staff/onboarding': staff(undefined, { query: () => ({ ...page, programme: 'accompagnement' }) }),
  'GET /api/staff/sessions': staff(undefined, { query: () => ({ from: inDays(0) }) }),
  'POST /api/staff/sessions': staff(undefined, { body: () => ({ date: inDays(20), time: '14:00', place: 'Maison des associations, Lens', capacity: 12, programmes: ['accompagnement'] }), idempotent: true }),
  'GET /api/staff/sessions/{sessionId}': staff(() => ({ sessionId: world.sessionId })),
  'POST /api/staff/sessions/{sessionId}/attendance': staff(() => ({ sessionId: world.sessionId }), { body: () => ({ referralId: world.referralId, attendance: 'present' }), settles: true }),
  'GET /api/staff/documents': staff(undefined, { query: () => page }),
  'POST /api/staff/documents/{referralId}/{docType}/review': staff(document, { body: () => ({ outcome: 'rejected', reasonCode: 'other', message: 'La photo est coupée.' }), settles: true }),
  'GET /api/staff/documents/{referralId}/{docType}/file': staff(document),
  'PUT /api/staff/onboarding/{referralId}/diagnosis': staff(onboarding, { body: () => ({ action: 'schedule', date: inDays(2), time: '10:30', mode: 'phone' }), settles: true }),
  'GET /api/staff/onboarding/{referralId}/diagnosis': staff(onboarding),
  'GET /api/staff/onboarding/{referralId}/contract': staff(onboarding),

  'GET /api/staff/cohorts': staff(undefined, { query: () => page }),
  'POST /api/staff/cohorts': staff(undefined, { body: () => ({ name: `CJS Lens ${NEXT_YEAR}`, startDate: `${NEXT_YEAR}-07-06`, endDate: `${NEXT_YEAR}-08-28`, towns: ['Lens', 'Liévin'], capacity: 15 }), idempotent: true }),
  'GET /api/staff/cohorts/{cohortId}': staff(cohort),
  'PUT /api/staff/cohorts/{cohortId}': staff(cohort, { body: () => ({ capacity: 12 }) }),
  'POST /api/staff/cohorts/{cohortId}/members': staff(cohort, { body: () => ({ referralId: world.referralId }), settles: true }),
  'PUT /api/staff/cohorts/{cohortId}/members/{referralId}': staff(cohortMember, { body: () => ({ committeeRole: 'finance' }) }),
  'DELETE /api/staff/cohorts/{cohortId}/members/{referralId}': staff(cohortMember, { settles: true }),

  'GET /api/staff/service-kinds': staff(),
  'PUT /api/staff/service-kinds/{code}': staff(() => ({ code: 'repassage' }), { body: () => ({ label: 'Repassage', defaultVatRateBps: 2000, insuranceNotes: 'Responsabilité civile de la coopérative.', openToMinors: true }) }),
  'GET /api/staff/activities': staff(undefined, { query: () => ({ ...page, status: 'active' }) }),
  'POST /api/staff/activities': staff(undefined, { body: () => ({ shape: 'collective', programme: 'jeunes-majeurs', ...launchFileBody() }), idempotent: true }),
  'GET /api/staff/activities/{activityId}': staff(activity()),
  'PUT /api/staff/activities/{activityId}': staff(draft, { body: launchFileBody }),
  'POST /api/staff/activities/{activityId}/submission': staff(draft, { settles: true }),
  'POST /api/staff/activities/{activityId}/prices': staff(activity(), { body: () => ({ effectiveFrom: inDays(10), lines: launchFile(inDays(10)).priceLines }) }),
  'POST /api/staff/activities/{activityId}/members': staff(draft, { body: () => ({ referralId: world.referralId }) }),
  'POST /api/staff/activities/{activityId}/status': staff(activity(), { body: () => ({ status: 'paused', reason: 'Congés d’été' }), settles: true }),
  'GET /api/staff/activities/{activityId}/flyer': staff(activity()),

  'GET /api/me': me(),
  'GET /api/me/documents': me(),
  'POST /api/me/documents/{docType}/uploads': me({ params: () => ({ docType: 'identity' }), body: () => ({ contentType: 'application/pdf', size: 120_000, fileName: 'carte.pdf' }) }),
  // Nothing was put at the upload's URL: a refusal, unless a mutation names another upload.
  'POST /api/me/uploads/{uploadId}/complete': me({ params: () => ({ uploadId: world.uploadId }), settles: true }),
  'PUT /api/me/bank-details': me({ body: () => ({ iban: 'FR76 3000 6000 0112 3456 7890 189', holder: 'Inès Martin' }) }),
  'GET /api/me/sessions': me(),
  'PUT /api/me/session': me({ body: () => ({ sessionId: world.sessionId }), settles: true }),
  'GET /api/me/contract': me(),
  // No contract prepared: a refusal whatever the hash.
  'POST /api/me/contract/acceptance': me({ body: () => ({ sha256 }), settles: true }),
  'GET /api/me/activities': me({ link: () => world.memberToken }),
  'PUT /api/me/activity': me({ body: launchFileBody }),
  'POST /api/me/activity/submission': me({ settles: true }),
  'GET /api/me/activities/{activityId}/flyer': me({ link: () => world.memberToken, params: activity() }),
  'GET /api/guardian': { side: 'member', link: () => world.guardianToken, params: () => ({}) },
  'POST /api/guardian/consent': { side: 'member', link: () => world.guardianToken, params: () => ({}), body: () => ({ outcome: 'consented', textSha256: sha256, signerName: 'Nadia Haddad', relationship: 'Mère', imageRights: true }), settles: true },
};

const fuzz = apiFuzzer({
  routes: ROUTES,
  world,
  // The lists' first partitions: a forged cursor of one reaches DynamoDB.
  cursorPartitions: ['REFERRALS', 'INBOX', 'SESSIONS', 'COHORTS', 'ACTIVITIES'],
  queryNames: ['limit', 'cursor', 'programme', 'status', 'from', 'toFixCursor', 'optOutsCursor', 'failedCursor'],
  claims: {
    staff: { sub: '5b1f0c7e-2d4a-4c3e-9a61-0c2f6e1a7d01', name: 'Camille Martin', email: 'camille.martin@coopconnexion.local', 'cognito:groups': '[staff]' },
    prescriber: { sub: '8e4a2b90-6f13-4d7c-b2a5-3c9d1e0f4a02', name: 'Sarah Benali', email: 'sarah.benali@example.org', 'cognito:groups': '[prescriber]', 'custom:organisation': 'ml-lens', 'custom:organisation_name': 'Mission locale de Lens' },
  },
});
let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startTestCloud({ inMemory: true, functionConcurrency: 1 });
  useCloudTable(cloud);
  fuzz.attach(cloud);
  const asStaff = apiClient(cloud, 'camille.martin');
  const asPrescriber = apiClient(cloud, 'sarah.benali');
  // A referral through the API: its workflow opens the approval; its e-mail bounces, an address to fix.
  const submission = adultSubmission({ email: `lea.${randomUUID()}@bounce.test` });
  const submitted = await asPrescriber('POST', '/api/referrals', submission, { 'idempotency-key': randomUUID() });
  if (submitted.status !== 201) throw new Error(`seeding: the submission answered ${submitted.status}`);
  world.submittedReferralId = submitted.body.referralId;
  world.submittedPersonId = (await asStaff('GET', `/api/referrals/${world.submittedReferralId}`)).body.personId;
  world.approvalId = await eventually(async () => ((await asStaff('GET', '/api/staff/inbox?limit=100')).body.items as Array<{ referralId: string; approvalId: string }> | undefined)?.find((i) => i.referralId === world.submittedReferralId)?.approvalId, 60_000, 'the approval');
  world.contactIssueId = await eventually(async () => ((await asStaff('GET', '/api/staff/messages')).body.toFix as Array<{ personId: string; issueId: string }> | undefined)?.find((i) => i.personId === world.submittedPersonId)?.issueId, 60_000, 'the address to fix');
  await settled(cloud);
  // No schedule fires on its own from here: what a scheduled function writes would pass for written by a refusal.
  await cloud.scheduler.stop();
  // A young person and a minor in onboarding, with their links; a member of an active activity.
  const young = await launchReadyReferral(cloud.documentClient, cloud.tableName, adultSubmission(), false);
  const other = await launchReadyReferral(cloud.documentClient, cloud.tableName, adultSubmission(), false);
  const minor = await launchReadyReferral(cloud.documentClient, cloud.tableName, minorSubmission(), false);
  const member = await activeActivityWithMembers(cloud.documentClient, cloud.tableName);
  Object.assign(world, {
    token: (await storeLink({ personId: young.personId, referralId: young.referralId, audience: 'young-person' })).token,
    otherToken: (await storeLink({ personId: other.personId, referralId: other.referralId, audience: 'young-person' })).token,
    guardianToken: (await storeLink({ personId: minor.personId, referralId: minor.referralId, audience: 'guardian' })).token,
    memberToken: member.members[0]!.token,
    referralId: young.referralId,
    personId: young.personId,
    minorReferralId: minor.referralId,
    activityId: member.activityId,
  });
  const created = async (what: string, answer: { status: number; body: Record<string, string> }, id: string) => {
    if (answer.status !== 201) throw new Error(`seeding: ${what} answered ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body[id]!;
  };
  world.draftActivityId = await created('the activity', await asStaff('POST', '/api/staff/activities', ROUTES['POST /api/staff/activities']!.body!(), { 'idempotency-key': randomUUID() }), 'activityId');
  world.cohortId = await created('the cohort', await asStaff('POST', '/api/staff/cohorts', ROUTES['POST /api/staff/cohorts']!.body!(), { 'idempotency-key': randomUUID() }), 'cohortId');
  world.sessionId = await created('the session', await asStaff('POST', '/api/staff/sessions', ROUTES['POST /api/staff/sessions']!.body!(), { 'idempotency-key': randomUUID() }), 'sessionId');
  world.uploadId = await created('the upload', await apiClient(cloud)('POST', '/api/me/documents/identity/uploads', ROUTES['POST /api/me/documents/{docType}/uploads']!.body!(), { 'x-parcours-link': world.token }), 'uploadId');
  recordPersonalValues([
    ...[submission, young, other, minor, member.members[0]!.referral].map((s) => ('youngPerson' in s ? s.youngPerson : s)).flatMap((p): Array<['name' | 'e-mail', string]> => [['name', p.lastName], ['e-mail', p.email]]),
    ...[world.token, world.otherToken, world.guardianToken, world.memberToken].map((token): ['link token', string] => ['link token', token]),
  ]);
  await fuzz.ready();
}, 180_000);

afterAll(async () => {
  fuzz.report();
  await cloud?.stop();
});

describe('fuzzing the HTTP API beyond the invoicing', () => {
  it('covers every route of the template but the invoicing ones and the pages’ catch-all', () => {
    const template = cloud.app.routes.map((r) => r.routeKey);
    const invoicing = new Set<string>([...MEMBER_INVOICING_ROUTES, ...STAFF_INVOICING_ROUTES]);
    expect([...fuzz.routeKeys].sort()).toEqual(template.filter((key) => !invoicing.has(key) && key !== 'GET /{proxy+}').sort());
  });

  it('answers mutated requests through the gateway with a clear 4xx at worst, and writes nothing on a refusal', () => fuzz.gateway(60), 600_000);

  it('answers events the gateway would not make (a base64 flag, a slash or a NUL in a path parameter, no headers) the same', () => fuzz.direct(40), 600_000);
});
