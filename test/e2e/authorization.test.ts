import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startTestCloud } from '../support/cloud.js';
import { adultSubmission, launchFile } from '../support/fixtures.js';
import {
  ORGANISATION_NAMES,
  ROLES,
  clientsFor,
  countRequestItemsByType,
  idsOf,
  personalValuesOf,
  seedTwoOrganisations,
  splitRouteKey,
  templateRoutes,
  type Client,
  type OrganisationObjects,
  type Role,
  type TwoOrganisations,
} from '../support/routes.js';
import type { ParcoursLocalCloud as LocalCloud } from '../../infra/local-app/profile.js';
import { parisDate } from '../../shared/domain/time.js';

/*
 * The authorisation matrix: every route of the template × every role × objects of organisation A, of B, and missing
 * ones. Expectations are declared once per route below; a route of the template missing from MATRIX fails.
 *
 * To add a route: add an entry keyed by its route key ('METHOD /path/{param}') with
 *   - `targets`: whose objects its path names (['A', 'B', 'missing'], plus 'mixed' when it takes ids of two objects
 *     that must belong together), or [NONE] for a route without ids;
 *   - `requests(world, target)`: the request(s) for that target: path, and a valid body for a route that takes one
 *     (an answer must be about authorisation, not about bad input);
 *   - `status(role, target)`: the expected status, usually from one of the rules below (publicRoute, staffOnly,
 *     organisationOrStaff, prescribersOnly);
 *   - `writes: true` when an accepted request writes: refused ones must then leave every item count unchanged,
 *     and the accepted ones run at the end of the file;
 *   - `sees(role)` for a list: whose objects each role must find in it, and no others (`listed` says by which ids).
 */

type Owner = 'A' | 'B';
type Target = Owner | 'missing' | 'mixed' | typeof NONE;
const NONE = 'no id';

interface MatrixRequest {
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

interface RouteExpectation {
  targets: readonly Target[];
  requests(world: TwoOrganisations, target: Target): MatrixRequest[];
  status(role: Role, target: Target): number;
  writes?: boolean;
  sees?(role: Role): Owner[];
  /** The ids by which a list shows an organisation's objects (default: its referrals). */
  listed?(objects: OrganisationObjects): string[];
}

// The rules, by who may act on whose object.
const publicRoute = (ok: number) => (): number => ok;
const staffOnly = (ok: number) => (role: Role, target: Target) =>
  role === 'none' ? 401 : role !== 'staff' ? 403 : target === 'missing' || target === 'mixed' ? 404 : ok;
const organisationOrStaff = (ok: number) => (role: Role, target: Target) => {
  if (role === 'none') return 401;
  if (target === NONE) return ok;
  if (role === 'staff') return target === 'A' || target === 'B' ? ok : 404;
  // Another organisation's object answers exactly like a missing one.
  return (role === 'prescriberA' && target === 'A') || (role === 'prescriberB' && target === 'B') ? ok : 404;
};
const prescribersOnly = (ok: number) => (role: Role) => (role === 'none' ? 401 : role === 'staff' ? 403 : ok);

/** The Paris month of today, and a customer and a declaration of it as the members' invoicing takes them. */
const thisMonth = () => parisDate().slice(0, 7);
const customerBody = () => ({ kind: 'individual', name: 'Jeanne Martin', email: 'jeanne.martin@example.org', address: { line1: '3 rue des Écoles', postalCode: '62300', city: 'Lens' } });
const declarationBody = () => ({ customerId: missingId(), serviceDate: parisDate(), lines: [{ priceLineId: 'L1', quantityHundredths: 100 }] });
const OBJECT_TARGETS = ['A', 'B', 'missing'] as const;
const missingId = () => randomUUID();
/** A Paris calendar day `days` from now (sessions and interviews are in the future). */
const futureParisDay = (days: number) => parisDate(new Date(Date.now() + days * 86_400_000));
/** A valid CJS cohort: next summer, in two towns. */
const cohortBody = () => {
  const year = new Date().getUTCFullYear() + 1;
  return { name: `CJS Lens ${year}`, startDate: `${year}-07-06`, endDate: `${year}-08-28`, towns: ['Lens', 'Liévin'] };
};
const objectsOf = (world: TwoOrganisations, target: Target): OrganisationObjects | undefined => (target === 'A' || target === 'B' ? world[target] : undefined);
const bothOf = (world: TwoOrganisations, target: Target) => {
  const objects = objectsOf(world, target);
  return objects ? [objects.adult, objects.minor] : [undefined];
};

/** A valid launch file (activities): the matrix is about who may send it, not about its content. */
const launchFileBody = () => launchFile(futureParisDay(10), { endDate: futureParisDay(200) });
/** Activities belong to no organisation and the seeded world has none: staff get the 404 of a missing one, the others never reach it. */
const activityRoute = (path: string, body?: unknown): RouteExpectation => ({
  targets: ['missing'],
  requests: () => [{ path: `/api/staff/activities/ca-${missingId()}${path}`, body }],
  status: staffOnly(200),
});

const MATRIX: Record<string, RouteExpectation> = {
  'GET /': { targets: [NONE], requests: () => [{ path: '/' }], status: publicRoute(200) },
  // The pages are shells without data: anyone gets them, with any id; the data comes from the API.
  'GET /{proxy+}': {
    targets: OBJECT_TARGETS,
    requests: (world, target) => {
      const objects = objectsOf(world, target);
      const approvalId = objects?.adult.approvalId ?? missingId();
      const personId = objects?.minor.personId ?? missingId();
      return ['/prescripteur/orienter', '/prescripteur/orientations', '/equipe', '/equipe/messages', `/equipe/decisions/${approvalId}`, `/equipe/personnes/${personId}`, '/equipe/facturation', '/equipe/facturation/2019-04', `/equipe/factures/inv-${missingId()}`, '/equipe/facturation/retards', `/equipe/activites/pa-${missingId()}/facturation`].map((path) => ({ path }));
    },
    status: publicRoute(200),
  },
  'GET /api/config': { targets: [NONE], requests: () => [{ path: '/api/config' }], status: publicRoute(200) },
  'POST /api/referrals': {
    targets: [NONE],
    requests: () => [{ path: '/api/referrals', body: adultSubmission(), headers: { 'idempotency-key': randomUUID() } }],
    status: prescribersOnly(201),
    writes: true,
  },
  'GET /api/referrals': {
    targets: [NONE],
    requests: () => [{ path: '/api/referrals' }],
    status: organisationOrStaff(200),
    sees: (role) => (role === 'staff' ? ['A', 'B'] : role === 'prescriberA' ? ['A'] : role === 'prescriberB' ? ['B'] : []),
  },
  'GET /api/referrals/{referralId}': {
    targets: OBJECT_TARGETS,
    requests: (world, target) => bothOf(world, target).map((o) => ({ path: `/api/referrals/${o?.referralId ?? missingId()}` })),
    status: organisationOrStaff(200),
  },
  'GET /api/staff/inbox': {
    targets: [NONE],
    requests: () => [{ path: '/api/staff/inbox' }],
    status: staffOnly(200),
    sees: (role) => (role === 'staff' ? ['A', 'B'] : []),
  },
  'GET /api/approvals/{approvalId}': {
    targets: OBJECT_TARGETS,
    requests: (world, target) => bothOf(world, target).map((o) => ({ path: `/api/approvals/${o?.approvalId ?? missingId()}` })),
    status: staffOnly(200),
  },
  'POST /api/approvals/{approvalId}/decision': {
    targets: OBJECT_TARGETS,
    requests: (world, target) =>
      bothOf(world, target).map((o) => ({ path: `/api/approvals/${o?.approvalId ?? missingId()}/decision`, body: { outcome: 'waitlisted', messageToPrescriber: 'À revoir en juin.' } })),
    status: staffOnly(200),
    writes: true,
  },
  'GET /api/people/{personId}/timeline': {
    targets: OBJECT_TARGETS,
    requests: (world, target) => bothOf(world, target).map((o) => ({ path: `/api/people/${o?.personId ?? missingId()}/timeline` })),
    status: staffOnly(200),
  },
  'GET /api/staff/messages': {
    targets: [NONE],
    requests: () => [{ path: '/api/staff/messages' }],
    status: staffOnly(200),
    sees: (role) => (role === 'staff' ? ['A', 'B'] : []),
    // The addresses to fix: the adults' bounced e-mails.
    listed: (objects) => [objects.adult.personId, objects.adult.contactIssueId],
  },
  // The world's referrals are not onboarded: staff get the clear 404 of an onboarding that does not exist, the others never reach it.
  'GET /api/staff/onboarding/{referralId}/contract': {
    targets: OBJECT_TARGETS,
    requests: (world, target) => bothOf(world, target).map((o) => ({ path: `/api/staff/onboarding/${o?.referralId ?? missingId()}/contract` })),
    status: staffOnly(404),
  },
  'GET /api/staff/duplicates': { targets: [NONE], requests: () => [{ path: '/api/staff/duplicates' }], status: staffOnly(200) },
  'GET /api/staff/onboarding': { targets: [NONE], requests: () => [{ path: '/api/staff/onboarding' }, { path: '/api/staff/onboarding?programme=cjs&limit=5' }], status: staffOnly(200) },
  // No weak match in the seeded world: only a pair never flagged, which staff get as not found.
  'POST /api/staff/duplicates/{duplicateId}/decision': {
    targets: ['missing'],
    requests: () => [{ path: `/api/staff/duplicates/${missingId()}_${missingId()}/decision`, body: { decision: 'different-people' } }],
    status: staffOnly(200),
  },
  // Onboarding's documents: the seeded world has no onboarding yet, so staff find no document of A or B to review.
  'GET /api/staff/documents': { targets: [NONE], requests: () => [{ path: '/api/staff/documents' }], status: staffOnly(200) },
  'POST /api/staff/documents/{referralId}/{docType}/review': {
    targets: ['missing'],
    requests: () => [{ path: `/api/staff/documents/${missingId()}/identity/review`, body: { outcome: 'rejected', reasonCode: 'illegible' } }],
    status: staffOnly(200),
  },
  'GET /api/staff/documents/{referralId}/{docType}/file': {
    targets: ['missing'],
    requests: () => [{ path: `/api/staff/documents/${missingId()}/identity/file` }],
    status: staffOnly(200),
  },
  // A personal link, not a JWT, opens the young person's space: no role gets in without one (or with a forged one).
  'GET /api/me': {
    targets: [NONE],
    requests: () => [{ path: '/api/me' }, { path: '/api/me', headers: { 'x-parcours-link': 'A'.repeat(43) } }],
    status: publicRoute(401),
  },
  // The young person's documents: a personal link opens them, no role does.
  'GET /api/me/documents': { targets: [NONE], requests: () => [{ path: '/api/me/documents' }, { path: '/api/me/documents', headers: { 'x-parcours-link': 'A'.repeat(43) } }], status: publicRoute(401) },
  'POST /api/me/documents/{docType}/uploads': {
    targets: [NONE],
    requests: () => [{ path: '/api/me/documents/identity/uploads', body: { contentType: 'application/pdf', size: 2048, fileName: 'carte.pdf' } }],
    status: publicRoute(401),
  },
  'POST /api/me/uploads/{uploadId}/complete': { targets: [NONE], requests: () => [{ path: `/api/me/uploads/${missingId()}/complete`, body: {} }], status: publicRoute(401) },
  'PUT /api/me/bank-details': {
    targets: [NONE],
    requests: () => [{ path: '/api/me/bank-details', body: { iban: 'FR7630006000011234567890189', holder: 'Léa Martin' } }],
    status: publicRoute(401),
  },
  // The sessions', the contract's and the guardian's routes open with a personal link of their own audience only, never a JWT.
  ...Object.fromEntries(
    [
      ['GET /api/me/sessions', '/api/me/sessions', undefined],
      ['PUT /api/me/session', '/api/me/session', { sessionId: '00000000-0000-4000-8000-000000000000' }],
      ['GET /api/me/contract', '/api/me/contract', undefined],
      ['POST /api/me/contract/acceptance', '/api/me/contract/acceptance', { sha256: 'a'.repeat(64) }],
      ['GET /api/me/activities', '/api/me/activities', undefined],
      ['PUT /api/me/activity', '/api/me/activity', launchFileBody()],
      ['POST /api/me/activity/submission', '/api/me/activity/submission', undefined],
      ['GET /api/me/activities/{activityId}/flyer', `/api/me/activities/pa-${missingId()}/flyer`, undefined],
      // The members' invoicing (functions/invoicing/member-api.ts): a member's link, for their own activity only
      // (another young person's link answers 404: test/functions/member-invoicing.test.ts and the bad-input suite).
      ['GET /api/me/activities/{activityId}/customers', `/api/me/activities/pa-${missingId()}/customers`, undefined],
      ['POST /api/me/activities/{activityId}/customers', `/api/me/activities/pa-${missingId()}/customers`, customerBody()],
      ['PUT /api/me/activities/{activityId}/customers/{customerId}', `/api/me/activities/pa-${missingId()}/customers/${missingId()}`, { ...customerBody(), version: 1 }],
      ['GET /api/me/activities/{activityId}/months/{month}/declarations', `/api/me/activities/pa-${missingId()}/months/${thisMonth()}/declarations`, undefined],
      ['POST /api/me/activities/{activityId}/months/{month}/declarations', `/api/me/activities/pa-${missingId()}/months/${thisMonth()}/declarations`, declarationBody()],
      ['PUT /api/me/activities/{activityId}/months/{month}/declarations/{declarationId}', `/api/me/activities/pa-${missingId()}/months/${thisMonth()}/declarations/${missingId()}`, { ...declarationBody(), version: 1 }],
      ['DELETE /api/me/activities/{activityId}/months/{month}/declarations/{declarationId}', `/api/me/activities/pa-${missingId()}/months/${thisMonth()}/declarations/${missingId()}?version=1`, undefined],
      ['GET /api/me/activities/{activityId}/months/{month}/invoices', `/api/me/activities/pa-${missingId()}/months/${thisMonth()}/invoices`, undefined],
      ['GET /api/me/activities/{activityId}/invoices/{invoiceId}/pdf', `/api/me/activities/pa-${missingId()}/invoices/${missingId()}/pdf`, undefined],
      ['GET /api/me/activities/{activityId}/months/{month}/statement', `/api/me/activities/pa-${missingId()}/months/${thisMonth()}/statement`, undefined],
      ['GET /api/me/activities/{activityId}/months/{month}/statement/pdf', `/api/me/activities/pa-${missingId()}/months/${thisMonth()}/statement/pdf`, undefined],
      ['GET /api/guardian', '/api/guardian', undefined],
      ['POST /api/guardian/consent', '/api/guardian/consent', { outcome: 'refused', textSha256: 'a'.repeat(64), signerName: 'Nadia Haddad', relationship: 'Mère' }],
    ].map(([key, path, body]) => [
      key as string,
      {
        targets: [NONE],
        requests: () => [{ path: path as string, body }, { path: path as string, body, headers: { 'x-parcours-link': 'A'.repeat(43) } }],
        status: publicRoute(401),
      } satisfies RouteExpectation,
    ]),
  ),
  // Anyone may ask for a new link: the same 202 whatever the address (it counts the request).
  'POST /api/links/resend': {
    targets: [NONE],
    requests: () => [{ path: '/api/links/resend', body: { contact: `personne.${randomUUID()}@example.org` } }],
    status: publicRoute(202),
    writes: true,
  },
  'POST /api/people/{personId}/contact-issues/{issueId}/fix': {
    // 'mixed': A's person with B's contact issue.
    targets: [...OBJECT_TARGETS, 'mixed'],
    requests: (world, target) => {
      const personId = target === 'mixed' ? world.A.adult.personId : (objectsOf(world, target)?.adult.personId ?? missingId());
      const issueId = target === 'mixed' ? world.B.adult.contactIssueId : (objectsOf(world, target)?.adult.contactIssueId ?? `young.email.${randomUUID().replace(/-/g, '').slice(0, 16)}`);
      return [{ path: `/api/people/${personId}/contact-issues/${issueId}/fix`, body: { value: `lea.${randomUUID()}@example.org` } }];
    },
    status: staffOnly(200),
    writes: true,
  },
  // Information sessions and the diagnosis interview: staff only. Sessions belong to no organisation; the seeded
  // referrals have no onboarding, so their diagnosis is not found, for staff as for an id that does not exist.
  'GET /api/staff/sessions': { targets: [NONE], requests: () => [{ path: '/api/staff/sessions' }], status: staffOnly(200) },
  'POST /api/staff/sessions': {
    targets: [NONE],
    requests: () => [
      { path: '/api/staff/sessions', body: { date: futureParisDay(20), time: '14:00', place: 'Maison des associations, Lens', capacity: 12, programmes: ['accompagnement', 'cjs'] }, headers: { 'idempotency-key': randomUUID() } },
    ],
    status: staffOnly(201),
    writes: true,
  },
  'GET /api/staff/sessions/{sessionId}': { targets: ['missing'], requests: () => [{ path: `/api/staff/sessions/${missingId()}` }], status: staffOnly(200) },
  'POST /api/staff/sessions/{sessionId}/attendance': {
    targets: ['missing'],
    requests: (world) => [{ path: `/api/staff/sessions/${missingId()}/attendance`, body: { referralId: world.A.adult.referralId, attendance: 'present' } }],
    status: staffOnly(200),
  },
  // Activities (issue 10): staff only, or a young person's personal link (above).
  'GET /api/staff/service-kinds': { targets: [NONE], requests: () => [{ path: '/api/staff/service-kinds' }], status: staffOnly(200) },
  'PUT /api/staff/service-kinds/{code}': {
    targets: [NONE],
    requests: () => [{ path: `/api/staff/service-kinds/essai-${randomUUID().slice(0, 8)}`, body: { label: 'Repassage', defaultVatRateBps: 2000, insuranceNotes: 'Responsabilité civile de la coopérative.', openToMinors: true } }],
    status: staffOnly(200),
    writes: true,
  },
  'GET /api/staff/activities': { targets: [NONE], requests: () => [{ path: '/api/staff/activities' }, { path: '/api/staff/activities?status=draft&limit=5' }], status: staffOnly(200) },
  'POST /api/staff/activities': {
    targets: [NONE],
    requests: () => [{ path: '/api/staff/activities', body: { shape: 'collective', programme: 'jeunes-majeurs', ...launchFileBody() }, headers: { 'idempotency-key': randomUUID() } }],
    status: staffOnly(201),
    writes: true,
  },
  'GET /api/staff/activities/{activityId}': activityRoute(''),
  'PUT /api/staff/activities/{activityId}': activityRoute('', launchFileBody()),
  'POST /api/staff/activities/{activityId}/submission': activityRoute('/submission'),
  'POST /api/staff/activities/{activityId}/prices': activityRoute('/prices', { effectiveFrom: futureParisDay(10), lines: launchFileBody().priceLines }),
  'POST /api/staff/activities/{activityId}/members': activityRoute('/members', { referralId: missingId() }),
  'POST /api/staff/activities/{activityId}/status': activityRoute('/status', { status: 'paused', reason: 'Congés d’été' }),
  'GET /api/staff/activities/{activityId}/flyer': activityRoute('/flyer'),
  // The staff's invoicing (functions/invoicing/staff-api.ts): staff only. The seeded world has no invoice: staff get
  // the 404 of a missing one; the lists answer empty; a past month's run is started once, at the end.
  'GET /api/staff/invoicing/months': { targets: [NONE], requests: () => [{ path: '/api/staff/invoicing/months' }], status: staffOnly(200) },
  'POST /api/staff/invoicing/runs': { targets: [NONE], requests: () => [{ path: '/api/staff/invoicing/runs', body: { month: '2019-03' } }], status: staffOnly(201), writes: true },
  'GET /api/staff/invoicing/months/{month}': {
    targets: [NONE],
    requests: () => [{ path: '/api/staff/invoicing/months/2019-04' }, { path: '/api/staff/invoicing/months/2019-04?limit=5' }, { path: '/api/staff/invoicing/months/2019-04?format=csv' }],
    status: staffOnly(200),
  },
  'GET /api/staff/invoicing/unpaid': { targets: [NONE], requests: () => [{ path: '/api/staff/invoicing/unpaid' }, { path: '/api/staff/invoicing/unpaid?late=true' }], status: staffOnly(200) },
  ...Object.fromEntries(
    [
      ['GET /api/staff/invoices/{invoiceId}', '', undefined],
      ['GET /api/staff/invoices/{invoiceId}/pdf', '/pdf', undefined],
      ['POST /api/staff/invoices/{invoiceId}/payments', '/payments', { amountCents: 1000, date: '2020-01-02', means: 'virement' }],
      ['POST /api/staff/invoices/{invoiceId}/cancellation', '/cancellation', { reason: 'Facturé au mauvais client.' }],
      ['POST /api/staff/invoices/{invoiceId}/refunds', '/refunds', { amountCents: 1000, date: '2020-01-02', means: 'virement' }],
      ['POST /api/staff/invoices/{invoiceId}/release', '/release', undefined],
      ['POST /api/staff/invoices/{invoiceId}/resend', '/resend', { email: 'compta@example.org' }],
    ].map(([key, suffix, body]) => [
      key as string,
      {
        targets: ['missing'],
        requests: () => [{ path: `/api/staff/invoices/inv-${missingId()}${suffix as string}`, body, headers: { 'idempotency-key': randomUUID() } }],
        status: staffOnly(200),
      } satisfies RouteExpectation,
    ]),
  ),
  // Staff recording an activity's customers and declarations on a member's behalf (the staff's invoicing function):
  // staff only; the seeded world has no activity, so staff get the 404 of a missing one.
  ...Object.fromEntries(
    [
      ['GET /api/staff/activities/{activityId}/customers', '/customers', undefined],
      ['POST /api/staff/activities/{activityId}/customers', '/customers', customerBody()],
      ['PUT /api/staff/activities/{activityId}/customers/{customerId}', `/customers/${missingId()}`, { ...customerBody(), version: 1 }],
      ['GET /api/staff/activities/{activityId}/months/{month}/declarations', `/months/${thisMonth()}/declarations`, undefined],
      ['POST /api/staff/activities/{activityId}/months/{month}/declarations', `/months/${thisMonth()}/declarations`, declarationBody()],
      ['PUT /api/staff/activities/{activityId}/months/{month}/declarations/{declarationId}', `/months/${thisMonth()}/declarations/${missingId()}`, { ...declarationBody(), version: 1 }],
      ['DELETE /api/staff/activities/{activityId}/months/{month}/declarations/{declarationId}', `/months/${thisMonth()}/declarations/${missingId()}?version=1`, undefined],
    ].map(([key, suffix, body]) => [
      key as string,
      {
        targets: ['missing'],
        requests: () => [{ path: `/api/staff/activities/pa-${missingId()}${suffix as string}`, body, headers: { 'idempotency-key': randomUUID() } }],
        status: staffOnly(200),
      } satisfies RouteExpectation,
    ]),
  ),
  'PUT /api/staff/onboarding/{referralId}/diagnosis': {
    targets: OBJECT_TARGETS,
    requests: (world, target) =>
      bothOf(world, target).map((o) => ({ path: `/api/staff/onboarding/${o?.referralId ?? missingId()}/diagnosis`, body: { action: 'schedule', date: futureParisDay(5), time: '10:30', mode: 'phone' } })),
    status: (role, target) => (staffOnly(200)(role, target) === 200 ? 404 : staffOnly(200)(role, target)),
  },
  'GET /api/staff/onboarding/{referralId}/diagnosis': {
    targets: OBJECT_TARGETS,
    requests: (world, target) => bothOf(world, target).map((o) => ({ path: `/api/staff/onboarding/${o?.referralId ?? missingId()}/diagnosis` })),
    status: staffOnly(404),
  },
  // CJS cohorts: staff only; they belong to no organisation. The seeded referrals are not launch-ready: a cohort
  // that does not exist is what staff are answered about.
  'GET /api/staff/cohorts': { targets: [NONE], requests: () => [{ path: '/api/staff/cohorts' }], status: staffOnly(200) },
  'POST /api/staff/cohorts': {
    targets: [NONE],
    requests: () => [{ path: '/api/staff/cohorts', body: cohortBody(), headers: { 'idempotency-key': randomUUID() } }],
    status: staffOnly(201),
    writes: true,
  },
  'GET /api/staff/cohorts/{cohortId}': { targets: ['missing'], requests: () => [{ path: `/api/staff/cohorts/${missingId()}` }], status: staffOnly(200) },
  'PUT /api/staff/cohorts/{cohortId}': { targets: ['missing'], requests: () => [{ path: `/api/staff/cohorts/${missingId()}`, body: { capacity: 12 } }], status: staffOnly(200) },
  'POST /api/staff/cohorts/{cohortId}/members': {
    targets: ['missing'],
    requests: (world) => [{ path: `/api/staff/cohorts/${missingId()}/members`, body: { referralId: world.A.adult.referralId } }],
    status: staffOnly(201),
  },
  'PUT /api/staff/cohorts/{cohortId}/members/{referralId}': {
    targets: ['missing'],
    requests: (world) => [{ path: `/api/staff/cohorts/${missingId()}/members/${world.A.adult.referralId}`, body: { committeeRole: 'finance' } }],
    status: staffOnly(200),
  },
  'DELETE /api/staff/cohorts/{cohortId}/members/{referralId}': {
    targets: ['missing'],
    requests: (world) => [{ path: `/api/staff/cohorts/${missingId()}/members/${world.A.adult.referralId}` }],
    status: staffOnly(200),
  },
};

const ROUTES = templateRoutes().map((route) => route.routeKey);

let cloud: LocalCloud;
let clients: Record<Role, Client>;
let world: TwoOrganisations;

beforeAll(async () => {
  // One execution environment per function: the cells of a route go in parallel for their answers only, and each
  // environment more would be one more bundle to load (the limits on concurrency are tested in concurrency.test.ts).
  cloud = await startTestCloud({ inMemory: true, functionConcurrency: 1 });
  clients = clientsFor(cloud);
  world = await seedTwoOrganisations(cloud);
}, 120_000);
afterAll(async () => cloud?.stop());

type Answer = Awaited<ReturnType<Client>>;

async function send(role: Role, method: string, request: MatrixRequest): Promise<Answer> {
  return await clients[role](method, request.path, request.body, request.headers);
}

/** The ids a request names in its path: an answer may repeat them, and no other id of the fixtures. */
const idsIn = (path: string) => idsOf(world.A).concat(idsOf(world.B)).filter((id) => path.includes(id));

/** An answer must not hold the other organisation's data; a refusal must hold no fixture data at all. */
function expectNothingDisclosed(answer: Answer, request: MatrixRequest, role: Role, label: string): void {
  const forbidden: string[] = [];
  const other: Owner[] = role === 'prescriberA' ? ['B'] : role === 'prescriberB' ? ['A'] : ['A', 'B'];
  const refused = answer.status >= 400;
  // Staff see everything they are allowed to; refusals, anonymous answers and prescribers' answers are checked.
  if (role === 'staff' && !refused) return;
  for (const owner of refused ? (['A', 'B'] as const) : other) {
    forbidden.push(...personalValuesOf(world[owner]), ...idsOf(world[owner]));
    if (refused || owner !== (role === 'prescriberA' ? 'A' : 'B')) forbidden.push(ORGANISATION_NAMES[owner]);
  }
  const allowed = new Set(idsIn(request.path));
  for (const value of forbidden) {
    if (allowed.has(value)) continue;
    expect(answer.text.includes(value), `${label}: the answer (${answer.status}) discloses a value of another organisation or a fixture`).toBe(false);
  }
  // Nor any id at all, of the fixtures or not, but the ones the request named.
  if (refused) {
    for (const id of answer.text.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi) ?? []) expect(request.path, `${label}: an id in the refusal`).toContain(id);
  }
}

describe('the authorisation matrix of the HTTP API, from the template routes', () => {
  it('declares every route of the template, and only those', () => {
    expect(ROUTES.length).toBeGreaterThan(5);
    expect(Object.keys(MATRIX).filter((key) => !ROUTES.includes(key)), 'routes in MATRIX that the template no longer has').toEqual([]);
    expect(ROUTES.filter((key) => !MATRIX[key]), 'routes of the template missing from MATRIX').toEqual([]);
  });

  describe.each(ROUTES)('%s', (routeKey) => {
    it('answers every role on every object as declared, discloses nothing, and writes nothing when refused', async () => {
      const expectation = MATRIX[routeKey];
      expect(expectation, `${routeKey} is not in MATRIX: declare who may do what on it`).toBeDefined();
      const { method } = splitRouteKey(routeKey);
      const before = await countRequestItemsByType(cloud);
      const cells = ROLES.flatMap((role) =>
        expectation!.targets.flatMap((target) => {
          const status = expectation!.status(role, target);
          // Accepted writes run last (see below), so that counts here only move if a refusal wrote.
          if (expectation!.writes && status < 300) return [];
          return expectation!.requests(world, target).map((request) => ({ role, target, status, request }));
        }),
      );
      const answers = await Promise.all(cells.map(async (cell) => ({ ...cell, answer: await send(cell.role, method, cell.request) })));
      for (const { role, target, status, request, answer } of answers) {
        const label = `${role} ${method} ${request.path} (${target})`;
        expect(answer.status, label).toBe(status);
        expectNothingDisclosed(answer, request, role, label);
        if (answer.status >= 400 && answer.headers.get('content-type')?.includes('json')) expect(typeof answer.body?.message, label).toBe('string');
      }
      // Another organisation's object is refused exactly like a missing one: same status, same body.
      for (const role of ROLES) {
        const missing = answers.find((a) => a.role === role && a.target === 'missing');
        for (const other of answers.filter((a) => a.role === role && (a.target === 'A' || a.target === 'B') && a.answer.status === 404)) {
          expect(other.answer.text, `${role} on ${other.target}'s object`).toBe(missing?.answer.text);
        }
      }
      // Lists show each role its own organisation's referrals, or all of them for staff.
      if (expectation!.sees) {
        for (const { role, answer } of answers.filter((a) => a.answer.status === 200)) {
          for (const owner of ['A', 'B'] as const) {
            const ids = expectation!.listed?.(world[owner]) ?? [world[owner].adult.referralId, world[owner].minor.referralId];
            const shown = ids.map((id) => answer.text.includes(id));
            expect(shown, `${role} sees ${owner}'s objects in ${routeKey}`).toEqual(ids.map(() => expectation!.sees!(role).includes(owner)));
          }
        }
      }
      expect(await countRequestItemsByType(cloud), 'no item written by a refused or read-only request').toEqual(before);
    });
  });

  // After every refusal was checked: the writes the matrix allows succeed, for either organisation's objects.
  describe.each(ROUTES.filter((key) => MATRIX[key]?.writes))('%s, allowed', (routeKey) => {
    it('succeeds for the roles the matrix allows', async () => {
      const expectation = MATRIX[routeKey]!;
      const { method } = splitRouteKey(routeKey);
      const cells = ROLES.flatMap((role) =>
        expectation.targets.flatMap((target) => {
          const status = expectation.status(role, target);
          return status < 300 ? expectation.requests(world, target).map((request) => ({ role, target, status, request })) : [];
        }),
      );
      expect(cells.length).toBeGreaterThan(0);
      for (const { role, target, status, request, answer } of await Promise.all(cells.map(async (cell) => ({ ...cell, answer: await send(cell.role, method, cell.request) })))) {
        const label = `${role} ${method} ${request.path} (${target})`;
        expect(answer.status, label).toBe(status);
        expectNothingDisclosed(answer, request, role, label);
      }
    });
  });
});
