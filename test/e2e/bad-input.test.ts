import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { startTestCloud, useCloudTable } from '../support/cloud.js';
import { adultSubmission, launchFile } from '../support/fixtures.js';
import { countRequestItemsByType, seedTwoOrganisations, settled, splitRouteKey, templateRoutes, type Role, type TwoOrganisations } from '../support/routes.js';
import type { ParcoursLocalCloud as LocalCloud } from '../../infra/local-app/profile.js';
import { parisDate } from '../../shared/domain/time.js';
import { activeActivityWithMembers, monthStart } from '../support/activities.js';
import { draftFor, individual, line } from '../support/invoicing.js';
import { issueNumbers } from '../../shared/data/invoicing/numbering.js';
import { recordPersonalValues } from '../support/personal-data.js';
import { createCustomer } from '../../shared/data/invoicing/customers.js';
import { draftMonthInvoices } from '../../shared/data/invoicing/invoices.js';

/*
 * Bad input on every route of the template: malformed JSON, wrong types, unknown fields, oversize bodies, bad path
 * ids, a missing or invalid Idempotency-Key, a wrong content type, odd query strings, bad tokens. Each gets a 4xx
 * with a French message (field by field where fields are concerned), never a 5xx, and writes nothing.
 * A route of the template missing from BAD_INPUT fails.
 *
 * To add a route: add an entry keyed by its route key with
 *   - `as`: a role the route accepts, so that the bad input reaches its handler;
 *   - `paths(world, id)`: its path with existing objects' ids, and, when `id` is given, one path per path
 *     parameter with `id` in its place (the others valid);
 *   - for a route that reads a JSON body: `body(world)`, a valid body; `oversize(body)`, the body made larger than
 *     the handler's limit (a free-text field); and `fields`, bodies with wrong fields and the fields the answer
 *     must name;
 *   - `headers()` for headers a valid request needs (Idempotency-Key);
 *   - for a route that reads query parameters (a paged list): `queries`, query strings with wrong values and the
 *     parameters the answer must name.
 */

interface FieldCase {
  label: string;
  body: (valid: Record<string, unknown>) => unknown;
  /** The `field` of each error the answer must list (in any order, and no others). */
  fields: string[];
}

interface QueryCase {
  label: string;
  query: string;
  /** The `field` of each error the answer must list. */
  fields: string[];
}

interface BadInputRoute {
  as: Role;
  paths(world: TwoOrganisations, id?: string): string[];
  body?(world: TwoOrganisations): Record<string, unknown>;
  oversize?(body: Record<string, unknown>): Record<string, unknown>;
  fields?: FieldCase[];
  headers?(): Record<string, string>;
  queries?: QueryCase[];
}

/** A Paris calendar day `days` from now. */
const futureParisDay = (days: number) => parisDate(new Date(Date.now() + days * 86_400_000));
/** Next year: a CJS cohort's summer to come. */
const nextYear = () => new Date().getUTCFullYear() + 1;

const UNKNOWN_FIELD: FieldCase = { label: 'an unknown field', body: (valid) => ({ ...valid, isAdmin: true }), fields: ['isAdmin'] };

/** The bad `limit`s and cursors of a paged list whose cursor parameters are `cursors`; any other parameter is unknown. */
const pagedQueries = (cursors: string[], unknown = 'sort'): QueryCase[] => [
  { label: 'a limit of 0', query: 'limit=0', fields: ['limit'] },
  { label: 'a limit over 100', query: 'limit=101', fields: ['limit'] },
  { label: 'a limit that is no number', query: 'limit=dix', fields: ['limit'] },
  { label: 'a decimal limit', query: 'limit=1.5', fields: ['limit'] },
  ...cursors.flatMap((name) => [
    // base64url of {"pk":"x"}: well formed, but not a key of this list.
    { label: `a forged ${name}`, query: `${name}=eyJwayI6IngifQ`, fields: [name] },
    { label: `a ${name} that is no cursor`, query: `${name}=${encodeURIComponent('../../"; DROP')}`, fields: [name] },
  ]),
  { label: 'an unknown parameter', query: `${unknown}=1`, fields: [unknown] },
];

/** A valid launch file of a collective Jeunes Majeurs activity (6 to 12 months). */
const launchFileBody = () => launchFile(futureParisDay(10), { endDate: futureParisDay(200) });
const priceLine = (extra: Record<string, unknown>) => ({ ...launchFileBody().priceLines[0], ...extra });
/** Bad amounts and codes of a launch file: each a 400 naming the field, before anything is looked up or written. */
const LAUNCH_FILE_CASES: FieldCase[] = [
  UNKNOWN_FIELD,
  { label: 'negative cents', body: (valid) => ({ ...valid, monthlyGoalCents: -100, priceLines: [priceLine({ unitPriceCents: -1 })] }), fields: ['monthlyGoalCents', 'priceLines.0.unitPriceCents'] },
  { label: 'fractional cents', body: (valid) => ({ ...valid, monthlyGoalCents: 10.5, priceLines: [priceLine({ unitPriceCents: 12.99 })] }), fields: ['monthlyGoalCents', 'priceLines.0.unitPriceCents'] },
  { label: 'cents as text', body: (valid) => ({ ...valid, priceLines: [priceLine({ unitPriceCents: '12,00' })] }), fields: ['priceLines.0.unitPriceCents'] },
  { label: 'an unknown unit and VAT rate', body: (valid) => ({ ...valid, priceLines: [priceLine({ unit: 'semaine', vatRateBps: 1900 })] }), fields: ['priceLines.0.unit', 'priceLines.0.vatRateBps'] },
  { label: 'a rate that is no whole number of basis points', body: (valid) => ({ ...valid, contributionRateBps: 12.5 }), fields: ['contributionRateBps'] },
  { label: 'missing fields', body: () => ({}), fields: ['name', 'tradeName', 'serviceKinds', 'description', 'targetCustomers', 'monthlyGoalCents', 'startDate', 'priceLines'] },
];
/** A path of an activity route: a well-formed id of no activity, so that the handler reads the body first. */
const activityPaths = (suffix: string) => (_world: TwoOrganisations, id?: string) => [`/api/staff/activities/${id ?? `ca-${randomUUID()}`}${suffix}`];

/**
 * A member of an active activity with their personal link (seeded in beforeAll): a customer of theirs, another
 * activity's customer, and last month already invoiced (its lock taken).
 */
const member = { token: '', activityId: '', customerId: '', otherCustomerId: '', invoicedMonth: '', otherToken: '' };
/** An issued invoice of 100 € (seeded in beforeAll) for the staff's payment routes. */
const staffInvoice = { invoiceId: '' };
const memberHeaders = () => ({ 'x-parcours-link': member.token, 'idempotency-key': randomUUID() });
/** The month routes' paths: `id` in place of the activity, then of the month. */
const monthPaths = (id: string | undefined, suffix: string) => {
  const month = parisDate().slice(0, 7);
  return id === undefined ? [`/api/me/activities/${member.activityId}/months/${month}${suffix}`] : [`/api/me/activities/${id}/months/${month}${suffix}`, `/api/me/activities/${member.activityId}/months/${id}${suffix}`];
};
/** The same for the staff's routes on the member's activity (recording on a member's behalf). */
const staffMonthPaths = (id: string | undefined, suffix: string) => monthPaths(id, suffix).map((path) => path.replace('/api/me/', '/api/staff/'));
const staffIdempotency = () => ({ 'idempotency-key': randomUUID() });
const customerBody = () => ({ kind: 'business', name: 'Boulangerie Dupont SARL', email: 'compta@boulangerie-dupont.example', address: { line1: '12 place de la République', postalCode: '62300', city: 'Lens' }, siren: '732829320' });
/** What a payment and a refund refuse alike: their amount in cents, their means and their date. */
const MONEY_MOVEMENT_CASES: FieldCase[] = [
  { label: 'negative cents', body: (valid) => ({ ...valid, amountCents: -1_000 }), fields: ['amountCents'] },
  { label: 'fractional cents', body: (valid) => ({ ...valid, amountCents: 10.5 }), fields: ['amountCents'] },
  { label: 'cents as text', body: (valid) => ({ ...valid, amountCents: '10,00' }), fields: ['amountCents'] },
  { label: 'no amount', body: (valid) => ({ ...valid, amountCents: 0 }), fields: ['amountCents'] },
  { label: 'an unknown means and a wrong date', body: (valid) => ({ ...valid, means: 'bitcoin', date: '2020-02-30' }), fields: ['means', 'date'] },
  { label: 'a date to come', body: (valid) => ({ ...valid, date: futureParisDay(3) }), fields: ['date'] },
];

const CUSTOMER_CASES: FieldCase[] = [
  UNKNOWN_FIELD,
  { label: 'an invalid SIREN (its Luhn key fails)', body: (valid) => ({ ...valid, siren: '732829321' }), fields: ['siren'] },
  { label: "a VAT number that is not the SIREN's", body: (valid) => ({ ...valid, vatNumber: 'FR44404833048' }), fields: ['vatNumber'] },
  { label: 'wrong types', body: (valid) => ({ ...valid, kind: 3, siren: undefined, email: 'sans-arobase', address: { line1: 'rue', postalCode: 'Lens', city: 'Lens' } }), fields: ['kind', 'email', 'address.postalCode'] },
  { label: 'missing fields', body: () => ({}), fields: ['kind', 'name', 'address.line1', 'address.postalCode', 'address.city', 'email'] },
];
const declarationBody = () => ({ customerId: member.customerId, serviceDate: parisDate(), lines: [{ priceLineId: 'L1', quantityHundredths: 150 }] });
const freeLine = (extra: Record<string, unknown>) => ({ description: 'Taille de haie', unit: 'forfait', quantityHundredths: 100, unitPriceCents: 4000, ...extra });
const DECLARATION_CASES: FieldCase[] = [
  UNKNOWN_FIELD,
  { label: 'negative cents', body: (valid) => ({ ...valid, lines: [freeLine({ unitPriceCents: -4000 })] }), fields: ['lines.0.unitPriceCents'] },
  { label: 'fractional cents and quantities', body: (valid) => ({ ...valid, lines: [freeLine({ unitPriceCents: 4000.5 }), freeLine({ quantityHundredths: 1.5 })] }), fields: ['lines.0.unitPriceCents', 'lines.1.quantityHundredths'] },
  { label: 'an unknown VAT rate', body: (valid) => ({ ...valid, lines: [freeLine({ vatRateBps: 1960 })] }), fields: ['lines.0.vatRateBps'] },
  { label: "another activity's customer", body: (valid) => ({ ...valid, customerId: member.otherCustomerId }), fields: ['customerId'] },
  { label: 'a date in another month', body: (valid) => ({ ...valid, serviceDate: `${member.invoicedMonth}-15` }), fields: ['serviceDate'] },
  { label: 'a price that is not the list’s, and a free price without its unit', body: (valid) => ({ ...valid, lines: [{ priceLineId: 'L1', quantityHundredths: 100, unitPriceCents: 1 }, freeLine({ unit: undefined })] }), fields: ['lines.0.unitPriceCents', 'lines.1.unit'] },
  { label: 'no line', body: (valid) => ({ ...valid, lines: [] }), fields: ['lines'] },
];

const BAD_INPUT: Record<string, BadInputRoute> = {
  'GET /': { as: 'none', paths: () => ['/'] },
  'GET /{proxy+}': {
    as: 'none',
    paths: (world, id) => (id === undefined ? [`/equipe/decisions/${world.A.adult.approvalId}`] : [`/equipe/decisions/${id}`, `/equipe/personnes/${id}`, `/${id}`]),
  },
  'GET /api/config': { as: 'none', paths: () => ['/api/config'] },
  'POST /api/referrals': {
    as: 'prescriberA',
    paths: () => ['/api/referrals'],
    headers: () => ({ 'idempotency-key': randomUUID() }),
    body: () => adultSubmission() as unknown as Record<string, unknown>,
    oversize: (body) => ({ ...body, notes: 'é'.repeat(40_000) }),
    fields: [
      UNKNOWN_FIELD,
      { label: 'unknown nested fields', body: (valid) => ({ ...valid, youngPerson: { ...(valid.youngPerson as object), nir: '1010101010101' }, consent: { dataProcessing: true, marketing: true } }), fields: ['youngPerson.nir', 'consent.marketing'] },
      {
        label: 'wrong types',
        body: (valid) => ({ ...valid, programme: 3, youngPerson: { ...(valid.youngPerson as object), qpv: 'oui', birthDate: 20010412 }, consent: { dataProcessing: 'yes' } }),
        fields: ['programme', 'youngPerson.qpv', 'youngPerson.birthDate', 'consent.dataProcessing'],
      },
      { label: 'missing fields', body: (valid) => ({ ...valid, youngPerson: { firstName: 'Léa' }, projectIdea: undefined }), fields: ['youngPerson.lastName', 'youngPerson.birthDate', 'youngPerson.email', 'youngPerson.phone', 'youngPerson.postalCode', 'youngPerson.town', 'youngPerson.qpv', 'youngPerson.situation', 'projectIdea'] },
      { label: 'a guardian of the wrong shape', body: (valid) => ({ ...valid, guardian: 'Mme Dupont' }), fields: ['guardian'] },
      { label: 'texts over their limit', body: (valid) => ({ ...valid, projectIdea: 'x'.repeat(2001), youngPerson: { ...(valid.youngPerson as object), town: 'y'.repeat(101) } }), fields: ['projectIdea', 'youngPerson.town'] },
    ],
  },
  'GET /api/referrals': { as: 'prescriberA', paths: () => ['/api/referrals'], queries: pagedQueries(['cursor']) },
  'GET /api/referrals/{referralId}': {
    as: 'prescriberA',
    paths: (world, id) => [`/api/referrals/${id ?? world.A.adult.referralId}`],
  },
  'GET /api/staff/inbox': { as: 'staff', paths: () => ['/api/staff/inbox'], queries: pagedQueries(['cursor']) },
  'GET /api/staff/onboarding': {
    as: 'staff',
    paths: () => ['/api/staff/onboarding'],
    queries: [...pagedQueries(['cursor']), { label: 'an unknown programme', query: 'programme=peinture', fields: ['programme'] }],
  },
  'GET /api/approvals/{approvalId}': { as: 'staff', paths: (world, id) => [`/api/approvals/${id ?? world.A.adult.approvalId}`] },
  'POST /api/approvals/{approvalId}/decision': {
    as: 'staff',
    paths: (world, id) => [`/api/approvals/${id ?? world.A.adult.approvalId}/decision`],
    body: () => ({ outcome: 'refused', reasonCode: 'other', messageToPrescriber: 'Pas de place cette session.' }),
    oversize: (body) => ({ ...body, messageToPrescriber: 'é'.repeat(40_000) }),
    fields: [
      UNKNOWN_FIELD,
      { label: 'wrong types', body: () => ({ outcome: 1, messageToYoungPerson: ['Bonjour'] }), fields: ['outcome', 'messageToYoungPerson'] },
      { label: 'an unknown outcome', body: () => ({ outcome: 'peut-être' }), fields: ['outcome'] },
      { label: 'a refusal without its reason', body: () => ({ outcome: 'refused' }), fields: ['reasonCode'] },
      { label: 'a reason for an acceptance', body: () => ({ outcome: 'accepted', reasonCode: 'other' }), fields: ['reasonCode'] },
    ],
  },
  'GET /api/people/{personId}/timeline': { as: 'staff', paths: (world, id) => [`/api/people/${id ?? world.A.adult.personId}/timeline`] },
  // Each list pages on its own cursor: a plain `cursor` is unknown here.
  'GET /api/staff/messages': { as: 'staff', paths: () => ['/api/staff/messages'], queries: pagedQueries(['toFixCursor', 'optOutsCursor', 'failedCursor'], 'cursor') },
  'GET /api/staff/onboarding/{referralId}/contract': { as: 'staff', paths: (world, id) => [`/api/staff/onboarding/${id ?? world.A.adult.referralId}/contract`] },
  'GET /api/staff/duplicates': { as: 'staff', paths: () => ['/api/staff/duplicates'], queries: pagedQueries(['cursor']) },
  'POST /api/staff/duplicates/{duplicateId}/decision': {
    as: 'staff',
    // No weak match in the seeded world: a well-formed pair id reaches the handler, which reads the body first.
    paths: (_world, id) => [`/api/staff/duplicates/${id ?? `${randomUUID()}_${randomUUID()}`}/decision`],
    body: () => ({ decision: 'different-people' }),
    oversize: () => ({ decision: 'x'.repeat(70_000) }),
    fields: [
      UNKNOWN_FIELD,
      { label: 'a wrong type', body: () => ({ decision: 1 }), fields: ['decision'] },
      { label: 'an unknown answer', body: () => ({ decision: 'peut-être' }), fields: ['decision'] },
      { label: 'a missing answer', body: () => ({}), fields: ['decision'] },
    ],
  },
  'GET /api/staff/documents': {
    as: 'staff',
    paths: () => ['/api/staff/documents'],
    queries: [...pagedQueries(['cursor']), { label: 'an unknown programme', query: 'programme=cap', fields: ['programme'] }],
  },
  'GET /api/staff/documents/{referralId}/{docType}/file': {
    as: 'staff',
    paths: (world, id) =>
      id === undefined ? [`/api/staff/documents/${world.A.adult.referralId}/identity/file`] : [`/api/staff/documents/${id}/identity/file`, `/api/staff/documents/${world.A.adult.referralId}/${id}/file`],
  },
  'POST /api/staff/documents/{referralId}/{docType}/review': {
    as: 'staff',
    // The handler reads the body before it looks the document up: a valid id of no onboarding reaches it.
    paths: (world, id) =>
      id === undefined ? [`/api/staff/documents/${world.A.adult.referralId}/identity/review`] : [`/api/staff/documents/${id}/identity/review`, `/api/staff/documents/${world.A.adult.referralId}/${id}/review`],
    body: () => ({ outcome: 'rejected', reasonCode: 'other', message: 'La photo est coupée.' }),
    oversize: (body) => ({ ...body, message: 'é'.repeat(40_000) }),
    fields: [
      UNKNOWN_FIELD,
      { label: 'wrong types', body: () => ({ outcome: true, message: 3 }), fields: ['outcome', 'message'] },
      { label: 'a rejection without its reason', body: () => ({ outcome: 'rejected' }), fields: ['reasonCode'] },
      { label: 'an unknown reason', body: () => ({ outcome: 'rejected', reasonCode: 'moche' }), fields: ['reasonCode'] },
      { label: '"other" without a message', body: () => ({ outcome: 'rejected', reasonCode: 'other' }), fields: ['message'] },
      { label: 'a message over its limit', body: () => ({ outcome: 'rejected', reasonCode: 'illegible', message: 'x'.repeat(1001) }), fields: ['message'] },
    ],
  },
  // Without a link, the handler answers 401 before it reads anything else (its parameters are tested with a link in test/functions/personal-links.test.ts).
  'GET /api/me': { as: 'none', paths: () => ['/api/me'] },
  // The documents of the young person: the same 401 first, whatever the ids (their bodies are tested with a link in test/functions/me-documents.test.ts).
  'GET /api/me/documents': { as: 'none', paths: () => ['/api/me/documents'] },
  'POST /api/me/documents/{docType}/uploads': { as: 'none', paths: (_world, id) => [`/api/me/documents/${id ?? 'identity'}/uploads`] },
  'POST /api/me/uploads/{uploadId}/complete': { as: 'none', paths: (_world, id) => [`/api/me/uploads/${id ?? 'AAAAAAAAAAAAAAAAAAAAAAAA'}/complete`] },
  'PUT /api/me/bank-details': { as: 'none', paths: () => ['/api/me/bank-details'] },
  // Without a link these handlers answer 401 before they read the body (their bodies are tested with a link in
  // test/functions/me-sessions.test.ts and test/functions/contract-routes.test.ts).
  'GET /api/me/sessions': { as: 'none', paths: () => ['/api/me/sessions'] },
  'PUT /api/me/session': { as: 'none', paths: () => ['/api/me/session'] },
  'GET /api/me/contract': { as: 'none', paths: () => ['/api/me/contract'] },
  'POST /api/me/contract/acceptance': { as: 'none', paths: () => ['/api/me/contract/acceptance'] },
  // The young person's activity routes: the same 401 without a link (their bodies are tested with a link in test/functions/activities.test.ts).
  'GET /api/me/activities': { as: 'none', paths: () => ['/api/me/activities'] },
  'PUT /api/me/activity': { as: 'none', paths: () => ['/api/me/activity'] },
  'POST /api/me/activity/submission': { as: 'none', paths: () => ['/api/me/activity/submission'] },
  'GET /api/me/activities/{activityId}/flyer': { as: 'none', paths: (_world, id) => [`/api/me/activities/${id ?? `pa-${randomUUID()}`}/flyer`] },
  // The members' invoicing: with a member's link (seeded below), so that bad input reaches the handler.
  'GET /api/me/activities/{activityId}/customers': { as: 'none', headers: memberHeaders, paths: (_world, id) => [`/api/me/activities/${id ?? member.activityId}/customers`] },
  'POST /api/me/activities/{activityId}/customers': {
    as: 'none',
    headers: memberHeaders,
    paths: (_world, id) => [`/api/me/activities/${id ?? member.activityId}/customers`],
    body: () => customerBody(),
    oversize: (body) => ({ ...body, name: 'é'.repeat(40_000) }),
    fields: CUSTOMER_CASES,
  },
  'PUT /api/me/activities/{activityId}/customers/{customerId}': {
    as: 'none',
    headers: memberHeaders,
    paths: (_world, id) => (id === undefined ? [`/api/me/activities/${member.activityId}/customers/${member.customerId}`] : [`/api/me/activities/${id}/customers/${member.customerId}`, `/api/me/activities/${member.activityId}/customers/${id}`]),
    body: () => ({ ...customerBody(), version: 1 }),
    oversize: (body) => ({ ...body, name: 'é'.repeat(40_000) }),
    fields: [...CUSTOMER_CASES.filter((c) => c.label !== 'missing fields'), { label: 'a version that is no version', body: (valid) => ({ ...valid, version: 0 }), fields: ['version'] }],
  },
  'GET /api/me/activities/{activityId}/months/{month}/declarations': { as: 'none', headers: memberHeaders, paths: (_world, id) => monthPaths(id, '/declarations') },
  'POST /api/me/activities/{activityId}/months/{month}/declarations': {
    as: 'none',
    headers: memberHeaders,
    paths: (_world, id) => monthPaths(id, '/declarations'),
    body: () => declarationBody(),
    oversize: (body) => ({ ...body, lines: [{ description: 'é'.repeat(40_000), unit: 'heure', quantityHundredths: 100, unitPriceCents: 1000 }] }),
    fields: DECLARATION_CASES,
  },
  'PUT /api/me/activities/{activityId}/months/{month}/declarations/{declarationId}': {
    as: 'none',
    headers: memberHeaders,
    paths: (_world, id) => (id === undefined ? [`${monthPaths(undefined, '/declarations')[0]}/${randomUUID()}`] : monthPaths(id, '/declarations').map((path) => `${path}/${randomUUID()}`).concat(`${monthPaths(undefined, '/declarations')[0]}/${id}`)),
    body: () => ({ ...declarationBody(), version: 1 }),
    oversize: (body) => ({ ...body, lines: [{ description: 'é'.repeat(40_000), unit: 'heure', quantityHundredths: 100, unitPriceCents: 1000 }] }),
    fields: [...DECLARATION_CASES, { label: 'a missing version', body: (valid) => ({ ...valid, version: undefined }), fields: ['version'] }],
  },
  'DELETE /api/me/activities/{activityId}/months/{month}/declarations/{declarationId}': {
    as: 'none',
    headers: memberHeaders,
    paths: (_world, id) => (id === undefined ? [`${monthPaths(undefined, '/declarations')[0]}/${randomUUID()}`] : monthPaths(id, '/declarations').map((path) => `${path}/${randomUUID()}`).concat(`${monthPaths(undefined, '/declarations')[0]}/${id}`)),
    queries: [
      { label: 'a version that is no number', query: 'version=deux', fields: ['version'] },
      { label: 'a version of 0', query: 'version=0', fields: ['version'] },
    ],
  },
  'GET /api/me/activities/{activityId}/months/{month}/invoices': { as: 'none', headers: memberHeaders, paths: (_world, id) => monthPaths(id, '/invoices') },
  'GET /api/me/activities/{activityId}/months/{month}/statement': { as: 'none', headers: memberHeaders, paths: (_world, id) => monthPaths(id, '/statement') },
  'GET /api/me/activities/{activityId}/months/{month}/statement/pdf': { as: 'none', headers: memberHeaders, paths: (_world, id) => monthPaths(id, '/statement/pdf') },
  'GET /api/me/activities/{activityId}/invoices/{invoiceId}/pdf': {
    as: 'none',
    headers: memberHeaders,
    paths: (_world, id) => (id === undefined ? [`/api/me/activities/${member.activityId}/invoices/${randomUUID()}/pdf`] : [`/api/me/activities/${id}/invoices/${randomUUID()}/pdf`, `/api/me/activities/${member.activityId}/invoices/${id}/pdf`]),
  },
  'GET /api/guardian': { as: 'none', paths: () => ['/api/guardian'] },
  'POST /api/guardian/consent': { as: 'none', paths: () => ['/api/guardian/consent'] },
  'POST /api/links/resend': {
    as: 'none',
    paths: () => ['/api/links/resend'],
    body: () => ({ contact: `personne.${randomUUID()}@example.org` }),
    oversize: () => ({ contact: 'a'.repeat(70_000) }),
    fields: [
      UNKNOWN_FIELD,
      { label: 'a wrong type', body: () => ({ contact: 33612345678 }), fields: ['contact'] },
      { label: 'neither an e-mail nor a mobile', body: () => ({ contact: 'lea-sans-arobase' }), fields: ['contact'] },
      { label: 'a landline', body: () => ({ contact: '01 23 45 67 89' }), fields: ['contact'] },
      { label: 'a missing contact', body: () => ({}), fields: ['contact'] },
    ],
  },
  'POST /api/people/{personId}/contact-issues/{issueId}/fix': {
    as: 'staff',
    paths: (world, id) =>
      id === undefined
        ? [`/api/people/${world.A.adult.personId}/contact-issues/${world.A.adult.contactIssueId}/fix`]
        : [`/api/people/${id}/contact-issues/${world.A.adult.contactIssueId}/fix`, `/api/people/${world.A.adult.personId}/contact-issues/${id}/fix`],
    body: () => ({ value: `lea.${randomUUID()}@example.org` }),
    oversize: () => ({ value: `${'a'.repeat(70_000)}@example.org` }),
    fields: [
      UNKNOWN_FIELD,
      { label: 'a wrong type', body: () => ({ value: 33612345678 }), fields: ['value'] },
      { label: 'an invalid address', body: () => ({ value: 'lea-sans-arobase' }), fields: ['value'] },
      { label: 'a missing value', body: () => ({}), fields: ['value'] },
    ],
  },
  'GET /api/staff/sessions': {
    as: 'staff',
    paths: () => ['/api/staff/sessions'],
    queries: [...pagedQueries(['cursor']), { label: 'a day that is no date', query: 'from=demain', fields: ['from'] }, { label: 'an impossible day', query: 'from=2026-02-30', fields: ['from'] }],
  },
  'POST /api/staff/sessions': {
    as: 'staff',
    paths: () => ['/api/staff/sessions'],
    headers: () => ({ 'idempotency-key': randomUUID() }),
    body: () => ({ date: futureParisDay(20), time: '14:00', place: 'Maison des associations, Lens', capacity: 12, programmes: ['cjs'] }),
    oversize: (body) => ({ ...body, place: 'é'.repeat(40_000) }),
    fields: [
      UNKNOWN_FIELD,
      { label: 'wrong types', body: (valid) => ({ ...valid, capacity: 'douze', programmes: 'cjs', time: 1400 }), fields: ['capacity', 'programmes', 'time'] },
      { label: 'missing fields', body: () => ({}), fields: ['date', 'time', 'place', 'capacity', 'programmes'] },
      { label: 'values out of range', body: (valid) => ({ ...valid, capacity: 0, programmes: ['peinture'], date: '2026-13-01', place: 'p'.repeat(201) }), fields: ['capacity', 'programmes.0', 'date', 'place'] },
      { label: 'a day in the past', body: (valid) => ({ ...valid, date: futureParisDay(-2) }), fields: ['date'] },
    ],
  },
  'GET /api/staff/sessions/{sessionId}': { as: 'staff', paths: (_world, id) => [`/api/staff/sessions/${id ?? randomUUID()}`] },
  'POST /api/staff/sessions/{sessionId}/attendance': {
    as: 'staff',
    // No session in the seeded world: a well-formed id reaches the handler, which reads the body first.
    paths: (_world, id) => [`/api/staff/sessions/${id ?? randomUUID()}/attendance`],
    body: (world) => ({ referralId: world.A.adult.referralId, attendance: 'present' }),
    oversize: (body) => ({ ...body, referralId: 'r'.repeat(70_000) }),
    fields: [
      UNKNOWN_FIELD,
      { label: 'an unknown attendance', body: (valid) => ({ ...valid, attendance: 'peut-être' }), fields: ['attendance'] },
      { label: 'wrong types', body: () => ({ referralId: 12, attendance: true }), fields: ['referralId', 'attendance'] },
      { label: 'missing fields', body: () => ({}), fields: ['referralId', 'attendance'] },
    ],
  },
  'GET /api/staff/onboarding/{referralId}/diagnosis': { as: 'staff', paths: (world, id) => [`/api/staff/onboarding/${id ?? world.A.adult.referralId}/diagnosis`] },
  'GET /api/staff/cohorts': { as: 'staff', paths: () => ['/api/staff/cohorts'], queries: pagedQueries(['cursor']) },
  'POST /api/staff/cohorts': {
    as: 'staff',
    paths: () => ['/api/staff/cohorts'],
    headers: () => ({ 'idempotency-key': randomUUID() }),
    body: () => ({ name: `CJS Lens ${nextYear()}`, startDate: `${nextYear()}-07-06`, endDate: `${nextYear()}-08-28`, towns: ['Lens', 'Liévin'], capacity: 15 }),
    oversize: (body) => ({ ...body, name: 'é'.repeat(40_000) }),
    fields: [
      UNKNOWN_FIELD,
      { label: 'wrong types', body: (valid) => ({ ...valid, capacity: 'quinze', towns: 'Lens', name: 12 }), fields: ['capacity', 'towns', 'name'] },
      { label: 'missing fields', body: () => ({}), fields: ['name', 'startDate', 'endDate', 'towns'] },
      { label: 'a capacity over 20', body: (valid) => ({ ...valid, capacity: 21 }), fields: ['capacity'] },
      { label: 'a fractional capacity', body: (valid) => ({ ...valid, capacity: 14.5 }), fields: ['capacity'] },
      { label: 'no town', body: (valid) => ({ ...valid, towns: [] }), fields: ['towns'] },
      { label: 'dates out of summer', body: (valid) => ({ ...valid, startDate: `${nextYear()}-01-05` }), fields: ['endDate'] },
      { label: 'an impossible date', body: (valid) => ({ ...valid, startDate: `${nextYear()}-02-30` }), fields: ['startDate'] },
    ],
  },
  'GET /api/staff/cohorts/{cohortId}': { as: 'staff', paths: (_world, id) => [`/api/staff/cohorts/${id ?? randomUUID()}`] },
  'PUT /api/staff/cohorts/{cohortId}': {
    as: 'staff',
    // No cohort in the seeded world: a well-formed id reaches the handler, which reads the body first.
    paths: (_world, id) => [`/api/staff/cohorts/${id ?? randomUUID()}`],
    body: () => ({ capacity: 12 }),
    oversize: () => ({ capacity: 12, padding: 'é'.repeat(40_000) }),
    fields: [
      UNKNOWN_FIELD,
      { label: 'a wrong type', body: () => ({ capacity: 'douze' }), fields: ['capacity'] },
      { label: 'a capacity out of range', body: () => ({ capacity: 0 }), fields: ['capacity'] },
      { label: 'a fractional capacity', body: () => ({ capacity: 12.5 }), fields: ['capacity'] },
      { label: 'a missing capacity', body: () => ({}), fields: ['capacity'] },
    ],
  },
  'POST /api/staff/cohorts/{cohortId}/members': {
    as: 'staff',
    paths: (_world, id) => [`/api/staff/cohorts/${id ?? randomUUID()}/members`],
    body: (world) => ({ referralId: world.A.adult.referralId }),
    oversize: () => ({ referralId: 'r'.repeat(70_000) }),
    fields: [
      UNKNOWN_FIELD,
      { label: 'a wrong type', body: () => ({ referralId: 12 }), fields: ['referralId'] },
      { label: 'a referral id of odd characters', body: () => ({ referralId: '../../x' }), fields: ['referralId'] },
      { label: 'a missing referral', body: () => ({}), fields: ['referralId'] },
    ],
  },
  'PUT /api/staff/cohorts/{cohortId}/members/{referralId}': {
    as: 'staff',
    paths: (world, id) => [`/api/staff/cohorts/${id ?? randomUUID()}/members/${world.A.adult.referralId}`, ...(id ? [`/api/staff/cohorts/${randomUUID()}/members/${id}`] : [])],
    body: () => ({ committeeRole: 'finance' }),
    oversize: () => ({ committeeRole: 'r'.repeat(70_000) }),
    fields: [
      UNKNOWN_FIELD,
      { label: 'a wrong role', body: () => ({ committeeRole: 'président' }), fields: ['committeeRole'] },
      { label: 'a wrong type', body: () => ({ committeeRole: 3 }), fields: ['committeeRole'] },
      { label: 'a missing role', body: () => ({}), fields: ['committeeRole'] },
    ],
  },
  'DELETE /api/staff/cohorts/{cohortId}/members/{referralId}': {
    as: 'staff',
    paths: (world, id) => [`/api/staff/cohorts/${id ?? randomUUID()}/members/${world.A.adult.referralId}`, ...(id ? [`/api/staff/cohorts/${randomUUID()}/members/${id}`] : [])],
  },
  'GET /api/staff/service-kinds': { as: 'staff', paths: () => ['/api/staff/service-kinds'] },
  'PUT /api/staff/service-kinds/{code}': {
    as: 'staff',
    paths: (_world, id) => [`/api/staff/service-kinds/${id ?? 'essai-refuse'}`],
    body: () => ({ label: 'Repassage', defaultVatRateBps: 2000, insuranceNotes: 'Responsabilité civile de la coopérative.', openToMinors: true }),
    oversize: (body) => ({ ...body, insuranceNotes: 'é'.repeat(40_000) }),
    fields: [
      UNKNOWN_FIELD,
      { label: 'wrong types', body: (valid) => ({ ...valid, openToMinors: 'oui', defaultVatRateBps: '20 %' }), fields: ['openToMinors', 'defaultVatRateBps'] },
      { label: 'an unknown VAT rate', body: (valid) => ({ ...valid, defaultVatRateBps: 1900 }), fields: ['defaultVatRateBps'] },
      { label: 'closed to minors without a reason', body: (valid) => ({ ...valid, openToMinors: false }), fields: ['minorsClosedReason'] },
    ],
  },
  'GET /api/staff/activities': {
    as: 'staff',
    paths: () => ['/api/staff/activities'],
    queries: [...pagedQueries(['cursor']), { label: 'an unknown status', query: 'status=reveuse', fields: ['status'] }],
  },
  'POST /api/staff/activities': {
    as: 'staff',
    paths: () => ['/api/staff/activities'],
    headers: () => ({ 'idempotency-key': randomUUID() }),
    body: () => ({ shape: 'collective', programme: 'jeunes-majeurs', ...launchFileBody() }),
    oversize: (body) => ({ ...body, description: 'é'.repeat(40_000) }),
    fields: [
      ...LAUNCH_FILE_CASES.map((c) => (c.label === 'missing fields' ? { ...c, body: () => ({ shape: 'collective', programme: 'jeunes-majeurs' }) } : c)),
      { label: 'an unknown kind of service', body: (valid) => ({ ...valid, serviceKinds: ['peinture-sur-soie'] }), fields: ['serviceKinds.0'] },
      { label: 'a contribution rate out of the programme bounds', body: (valid) => ({ ...valid, contributionRateBps: 2500 }), fields: ['contributionRateBps'] },
      { label: 'an unknown shape', body: (valid) => ({ ...valid, shape: 'cooperative' }), fields: ['shape'] },
    ],
  },
  'GET /api/staff/activities/{activityId}': { as: 'staff', paths: activityPaths('') },
  'PUT /api/staff/activities/{activityId}': {
    as: 'staff',
    paths: activityPaths(''),
    body: () => launchFileBody(),
    oversize: (body) => ({ ...body, description: 'é'.repeat(40_000) }),
    fields: LAUNCH_FILE_CASES,
  },
  'POST /api/staff/activities/{activityId}/submission': { as: 'staff', paths: activityPaths('/submission') },
  'POST /api/staff/activities/{activityId}/prices': {
    as: 'staff',
    paths: activityPaths('/prices'),
    body: () => ({ effectiveFrom: futureParisDay(10), lines: launchFileBody().priceLines }),
    oversize: (body) => ({ ...body, lines: [priceLine({ label: 'é'.repeat(40_000) })] }),
    fields: [
      UNKNOWN_FIELD,
      { label: 'negative and fractional cents', body: (valid) => ({ ...valid, lines: [priceLine({ unitPriceCents: -5 }), priceLine({ unitPriceCents: 12.5 })] }), fields: ['lines.0.unitPriceCents', 'lines.1.unitPriceCents'] },
      { label: 'no line and no date', body: () => ({ effectiveFrom: '2026-02-30', lines: [] }), fields: ['effectiveFrom', 'lines'] },
    ],
  },
  'POST /api/staff/activities/{activityId}/members': {
    as: 'staff',
    paths: activityPaths('/members'),
    body: (world) => ({ referralId: world.A.adult.referralId }),
    oversize: () => ({ referralId: 'x'.repeat(70_000) }),
    fields: [
      UNKNOWN_FIELD,
      { label: 'an unknown committee role', body: (valid) => ({ ...valid, committeeRole: 'présidence' }), fields: ['committeeRole'] },
      { label: 'a missing referral', body: () => ({}), fields: ['referralId'] },
    ],
  },
  'POST /api/staff/activities/{activityId}/status': {
    as: 'staff',
    paths: activityPaths('/status'),
    body: () => ({ status: 'paused', reason: 'Congés d’été' }),
    oversize: (body) => ({ ...body, reason: 'é'.repeat(40_000) }),
    fields: [
      UNKNOWN_FIELD,
      { label: 'a status staff do not set by hand', body: (valid) => ({ ...valid, status: 'awaiting-approval' }), fields: ['status'] },
      { label: 'a missing reason', body: () => ({ status: 'closed' }), fields: ['reason'] },
    ],
  },
  'GET /api/staff/activities/{activityId}/flyer': { as: 'staff', paths: activityPaths('/flyer') },
  // The staff's invoicing (functions/invoicing/staff-api.ts).
  'GET /api/staff/invoicing/months': { as: 'staff', paths: () => ['/api/staff/invoicing/months'] },
  'POST /api/staff/invoicing/runs': {
    as: 'staff',
    paths: () => ['/api/staff/invoicing/runs'],
    body: () => ({ month: '2019-05' }),
    oversize: (body) => ({ ...body, month: 'é'.repeat(40_000) }),
    fields: [
      UNKNOWN_FIELD,
      { label: 'a month that is no month', body: () => ({ month: '2019-13' }), fields: ['month'] },
      { label: 'the current month', body: () => ({ month: parisDate().slice(0, 7) }), fields: ['month'] },
      { label: 'a month to come', body: () => ({ month: `${nextYear()}-01` }), fields: ['month'] },
      { label: 'a month before January 2000', body: () => ({ month: '0001-01' }), fields: ['month'] },
      { label: 'a month as a number', body: () => ({ month: 201905 }), fields: ['month'] },
      { label: 'no month', body: () => ({}), fields: ['month'] },
    ],
  },
  'GET /api/staff/invoicing/months/{month}': {
    as: 'staff',
    paths: (_world, id) => [`/api/staff/invoicing/months/${id ?? '2020-01'}`],
    queries: [...pagedQueries(['cursor']), { label: 'an unknown format', query: 'format=xlsx', fields: ['format'] }],
  },
  'GET /api/staff/invoicing/unpaid': {
    as: 'staff',
    paths: () => ['/api/staff/invoicing/unpaid'],
    queries: [...pagedQueries(['cursor']), { label: 'late that is no flag', query: 'late=oui', fields: ['late'] }],
  },
  'GET /api/staff/invoices/{invoiceId}': { as: 'staff', paths: (_world, id) => [`/api/staff/invoices/${id ?? staffInvoice.invoiceId}`] },
  'GET /api/staff/invoices/{invoiceId}/pdf': { as: 'staff', paths: (_world, id) => [`/api/staff/invoices/${id ?? staffInvoice.invoiceId}/pdf`] },
  'POST /api/staff/invoices/{invoiceId}/payments': {
    as: 'staff',
    paths: (_world, id) => [`/api/staff/invoices/${id ?? staffInvoice.invoiceId}/payments`],
    headers: () => ({ 'idempotency-key': randomUUID() }),
    body: () => ({ amountCents: 1_000, date: '2020-02-10', means: 'virement' }),
    oversize: (body) => ({ ...body, means: 'é'.repeat(40_000) }),
    fields: [
      UNKNOWN_FIELD,
      ...MONEY_MOVEMENT_CASES,
      { label: 'missing fields', body: () => ({}), fields: ['amountCents', 'date', 'means'] },
    ],
  },
  // A refund (decision 54) of the issued invoice, which is not cancelled: bad input is refused before that 409.
  'POST /api/staff/invoices/{invoiceId}/refunds': {
    as: 'staff',
    paths: (_world, id) => [`/api/staff/invoices/${id ?? staffInvoice.invoiceId}/refunds`],
    headers: () => ({ 'idempotency-key': randomUUID() }),
    body: () => ({ amountCents: 1_000, date: '2020-03-10', means: 'virement', note: 'Virement n° 4471' }),
    oversize: (body) => ({ ...body, note: 'é'.repeat(40_000) }),
    fields: [
      UNKNOWN_FIELD,
      ...MONEY_MOVEMENT_CASES,
      { label: 'a note over its limit', body: (valid) => ({ ...valid, note: 'n'.repeat(501) }), fields: ['note'] },
      { label: 'missing fields', body: () => ({}), fields: ['amountCents', 'date', 'means'] },
    ],
  },
  'POST /api/staff/invoices/{invoiceId}/cancellation': {
    as: 'staff',
    paths: (_world, id) => [`/api/staff/invoices/${id ?? staffInvoice.invoiceId}/cancellation`],
    body: () => ({ reason: 'Facturé au mauvais client.' }),
    oversize: () => ({ reason: 'é'.repeat(40_000) }),
    fields: [
      UNKNOWN_FIELD,
      { label: 'no reason', body: () => ({ reason: '   ' }), fields: ['reason'] },
      { label: 'a reason over its limit', body: () => ({ reason: 'r'.repeat(501) }), fields: ['reason'] },
    ],
  },
  // Its e-mail never went (no outbox message): only bad input reaches it here, refused before anything is written.
  'POST /api/staff/invoices/{invoiceId}/resend': {
    as: 'staff',
    paths: (_world, id) => [`/api/staff/invoices/${id ?? staffInvoice.invoiceId}/resend`],
    headers: staffIdempotency,
    body: () => ({ email: individual().email }),
    oversize: () => ({ email: 'é'.repeat(40_000) }),
    fields: [
      UNKNOWN_FIELD,
      { label: 'no address', body: () => ({ email: '   ' }), fields: ['email'] },
      { label: 'an address over its limit', body: () => ({ email: `${'a'.repeat(250)}@x.fr` }), fields: ['email'] },
    ],
  },
  // Staff recording customers and declarations on a member's behalf: the members' rules (and cases), on the seeded member's activity.
  'GET /api/staff/activities/{activityId}/customers': { as: 'staff', paths: (_world, id) => [`/api/staff/activities/${id ?? member.activityId}/customers`] },
  'POST /api/staff/activities/{activityId}/customers': {
    as: 'staff',
    headers: staffIdempotency,
    paths: (_world, id) => [`/api/staff/activities/${id ?? member.activityId}/customers`],
    body: () => customerBody(),
    oversize: (body) => ({ ...body, name: 'é'.repeat(40_000) }),
    fields: CUSTOMER_CASES,
  },
  'PUT /api/staff/activities/{activityId}/customers/{customerId}': {
    as: 'staff',
    paths: (_world, id) => (id === undefined ? [`/api/staff/activities/${member.activityId}/customers/${member.customerId}`] : [`/api/staff/activities/${id}/customers/${member.customerId}`, `/api/staff/activities/${member.activityId}/customers/${id}`]),
    body: () => ({ ...customerBody(), version: 1 }),
    oversize: (body) => ({ ...body, name: 'é'.repeat(40_000) }),
    fields: [...CUSTOMER_CASES.filter((c) => c.label !== 'missing fields'), { label: 'a version that is no version', body: (valid) => ({ ...valid, version: 0 }), fields: ['version'] }],
  },
  'GET /api/staff/activities/{activityId}/months/{month}/declarations': { as: 'staff', paths: (_world, id) => staffMonthPaths(id, '/declarations') },
  'POST /api/staff/activities/{activityId}/months/{month}/declarations': {
    as: 'staff',
    headers: staffIdempotency,
    paths: (_world, id) => staffMonthPaths(id, '/declarations'),
    body: () => declarationBody(),
    oversize: (body) => ({ ...body, lines: [{ description: 'é'.repeat(40_000), unit: 'heure', quantityHundredths: 100, unitPriceCents: 1000 }] }),
    fields: [...DECLARATION_CASES, { label: 'a member who is not one of the activity', body: (valid) => ({ ...valid, memberReferralId: randomUUID() }), fields: ['memberReferralId'] }],
  },
  'PUT /api/staff/activities/{activityId}/months/{month}/declarations/{declarationId}': {
    as: 'staff',
    paths: (_world, id) => (id === undefined ? [`${staffMonthPaths(undefined, '/declarations')[0]}/${randomUUID()}`] : staffMonthPaths(id, '/declarations').map((path) => `${path}/${randomUUID()}`).concat(`${staffMonthPaths(undefined, '/declarations')[0]}/${id}`)),
    body: () => ({ ...declarationBody(), version: 1 }),
    oversize: (body) => ({ ...body, lines: [{ description: 'é'.repeat(40_000), unit: 'heure', quantityHundredths: 100, unitPriceCents: 1000 }] }),
    fields: [...DECLARATION_CASES, { label: 'a missing version', body: (valid) => ({ ...valid, version: undefined }), fields: ['version'] }],
  },
  'DELETE /api/staff/activities/{activityId}/months/{month}/declarations/{declarationId}': {
    as: 'staff',
    paths: (_world, id) => (id === undefined ? [`${staffMonthPaths(undefined, '/declarations')[0]}/${randomUUID()}`] : staffMonthPaths(id, '/declarations').map((path) => `${path}/${randomUUID()}`).concat(`${staffMonthPaths(undefined, '/declarations')[0]}/${id}`)),
    queries: [
      { label: 'a version that is no number', query: 'version=deux', fields: ['version'] },
      { label: 'a version of 0', query: 'version=0', fields: ['version'] },
    ],
  },
  // Issued already: the bad input gets its 4xx, and the invoice stays as it is.
  'POST /api/staff/invoices/{invoiceId}/release': { as: 'staff', paths: (_world, id) => [`/api/staff/invoices/${id ?? staffInvoice.invoiceId}/release`] },
  'PUT /api/staff/onboarding/{referralId}/diagnosis': {
    as: 'staff',
    paths: (world, id) => [`/api/staff/onboarding/${id ?? world.A.adult.referralId}/diagnosis`],
    body: () => ({ action: 'schedule', date: futureParisDay(5), time: '10:30', mode: 'place', place: 'CoopConnexion, Lens' }),
    oversize: () => ({ action: 'record', goals: 'Objectifs', skills: 'Compétences', needs: 'Besoins', notes: 'é'.repeat(40_000) }),
    fields: [
      UNKNOWN_FIELD,
      { label: 'an unknown action', body: () => ({ action: 'cancel' }), fields: ['action'] },
      { label: 'a record without its parts', body: () => ({ action: 'record', notes: 'Rien' }), fields: ['goals', 'skills', 'needs'] },
      { label: 'a record over its limits', body: () => ({ action: 'record', goals: 'g'.repeat(4001), skills: 'Couture', needs: 'Aucun' }), fields: ['goals'] },
      { label: 'on site without a place', body: (valid) => ({ ...valid, place: undefined }), fields: ['place'] },
      { label: 'a wrong mode and time', body: (valid) => ({ ...valid, mode: 'visio', time: '9h' }), fields: ['mode', 'time'] },
    ],
  },
};

/** Path ids no object can have, as sent on the wire (encoded where a URL needs it). */
const BAD_IDS: Array<[string, string]> = [
  ['too long', 'a'.repeat(3_000)],
  ['too long in bytes', encodeURIComponent('é'.repeat(1_100))],
  ['odd characters', encodeURIComponent(`<script>alert("x")</script>';--`)],
  ['a NUL and a line feed', 'x%00y%0Az'],
  ['a parent segment', '..%2F..%2Fapi%2Fconfig'],
  ['a raw parent segment', '..'],
  ['unicode', encodeURIComponent('été-😀-漢字')],
  ['invalid UTF-8', '%FF%FE%FD'],
  ['an encoded percent', '%25%25'],
  ['spaces', '%20%20'],
];

const decoded = (id: string) => {
  try {
    return decodeURIComponent(id);
  } catch {
    return id;
  }
};

/** What the gateway itself answers, before any function (as API Gateway does, in English, whatever the app). */
const GATEWAY_ANSWERS = [
  { status: 401, body: { message: 'Unauthorized' } },
  { status: 404, body: { message: 'Not Found' } },
  { status: 413, body: { message: 'Request Entity Too Large' } },
];

const ROUTES = templateRoutes().map((route) => route.routeKey);
const USERNAMES: Record<Role, string | undefined> = { none: undefined, prescriberA: 'sarah.benali', prescriberB: 'thomas.leroy', staff: 'camille.martin' };

let cloud: LocalCloud;
let world: TwoOrganisations;

beforeAll(async () => {
  // One execution environment per function: the cases of a route go in parallel for their answers only, and each
  // environment more would be one more bundle to load (the limits on concurrency are tested in concurrency.test.ts).
  cloud = await startTestCloud({ inMemory: true, functionConcurrency: 1 });
  // No schedule fires on its own here: what a scheduled function writes (the daily payment chase at 09:00 Paris, the
  // reconciler every 5 minutes) would be counted as written by bad input.
  await cloud.scheduler.stop();
  world = await seedTwoOrganisations(cloud);
  // The members' invoicing: a member with their link, written through the data layer into the cloud's table.
  useCloudTable(cloud);
  const mine = await activeActivityWithMembers(cloud.documentClient, cloud.tableName);
  const other = await activeActivityWithMembers(cloud.documentClient, cloud.tableName);
  const [{ customer }, { customer: theirs }] = await Promise.all([
    createCustomer({ activityId: mine.activityId, customerId: randomUUID(), fields: individual() }),
    createCustomer({ activityId: other.activityId, customerId: randomUUID(), fields: individual('Paul Durand') }),
  ]);
  const invoicedMonth = monthStart(-1).slice(0, 7);
  await draftMonthInvoices({ activityId: mine.activityId, month: invoicedMonth, drafts: [] });
  // The staff's invoicing: an issued invoice of 100 €, numbered in a year of its own.
  const { invoices } = await draftMonthInvoices({ activityId: mine.activityId, month: '2020-01', drafts: [draftFor(customer, [line({ quantityHundredths: 100, unitPriceCents: 10_000 })])] });
  await issueNumbers({ batchKey: 'bad-input-staff', invoiceIds: [invoices[0]!.invoiceId], issueDate: '2020-02-01', dueDate: '2020-03-02' });
  staffInvoice.invoiceId = invoices[0]!.invoiceId;
  Object.assign(member, { token: mine.members[0]!.token, activityId: mine.activityId, customerId: customer.customerId, otherCustomerId: theirs.customerId, invoicedMonth, otherToken: other.members[0]!.token });
  // The seeded referrals' acknowledgements wait in the outbox for the dispatcher (every 5 min): sent now, before
  // the tests count items.
  await cloud.scheduler.fireNow(cloud.app.schedules.find((s) => s.logicalId.startsWith('DispatchDeferredMessages'))!.logicalId);
  await settled(cloud);
  recordPersonalValues([
    ...mine.members.flatMap((m): Array<['name' | 'e-mail' | 'link token', string]> => [['name', m.referral.youngPerson.lastName], ['e-mail', m.referral.youngPerson.email], ['link token', m.token]]),
    ['name', individual().name],
    ['e-mail', individual().email],
  ]);
}, 180_000);
afterAll(async () => cloud?.stop());

interface Answer {
  status: number;
  text: string;
  json: { message?: string; errors?: Array<{ field: string; message: string }> } | undefined;
  contentType: string;
}

/** A request sent as written (no URL normalisation of `..` or `%2e`), so the gateway and the functions see the raw path. */
function send(method: string, rawPath: string, options: { as?: Role; body?: string | Buffer; headers?: Record<string, string>; token?: string } = {}): Promise<Answer> {
  const url = new URL(cloud.urls.app);
  const token = options.token ?? (options.as && USERNAMES[options.as] ? cloud.issuer.mintIdToken(USERNAMES[options.as]!) : undefined);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method,
        path: rawPath,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(options.body !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(options.body)) } : {}),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Answer['json'];
          try {
            json = JSON.parse(text) as Answer['json'];
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, text, json, contentType: String(res.headers['content-type'] ?? '') });
        });
      },
    );
    // The gateway may answer a too-large body before reading it, and close the connection.
    req.on('error', reject);
    req.end(options.body);
  });
}

const FRENCH = /[àâçéèêëîïôûùœ]|\b(le|la|les|de|des|du|un|une|est|doit|pas|ce|cette|votre|champ|contenu|requête|introuvable|invalide|inconnue?|obligatoire|manquant|caractères|adresse|numéro|texte)\b/i;
const TECHNICAL = /\b(undefined|null|NaN|error|exception|invalid|unexpected|stack|ValidationException|DynamoDB|Lambda)\b|\bat \S+ \(/i;

/**
 * A refusal a person understands: a 4xx (never a 5xx) with a French message, or one of the gateway's own answers
 * (which no function can word; see GATEWAY_ANSWERS). Nothing of the input is echoed back.
 */
function expectClearRefusal(answer: Answer, label: string, echoed?: string): void {
  expect(answer.status, `${label}: ${answer.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
  expect(answer.status, label).toBeLessThan(500);
  if (GATEWAY_ANSWERS.some((g) => g.status === answer.status && JSON.stringify(g.body) === JSON.stringify(answer.json))) return;
  const message = answer.contentType.includes('html') ? /<h1>([^<]*)<\/h1>/.exec(answer.text)?.[1] : answer.json?.message;
  expect(typeof message, `${label}: a message`).toBe('string');
  expect(message, `${label}: a French message`).toMatch(FRENCH);
  expect(message, `${label}: no technical words`).not.toMatch(TECHNICAL);
  if (echoed && echoed.length > 3) expect(answer.text.includes(echoed), `${label}: the input is not echoed`).toBe(false);
  for (const error of answer.json?.errors ?? []) {
    expect(error.message, `${label}: field ${error.field}`).toMatch(FRENCH);
    expect(error.message, `${label}: field ${error.field}`).not.toMatch(TECHNICAL);
  }
}

/** Runs `cases` (in parallel) and checks that no item of any type was written meanwhile. */
async function withoutWrites(cases: Array<() => Promise<void>>): Promise<void> {
  const before = await countRequestItemsByType(cloud);
  await Promise.all(cases.map((run) => run()));
  expect(await countRequestItemsByType(cloud), 'no item written by bad input').toEqual(before);
}

describe('bad input on every route of the template', () => {
  it('declares every route of the template, and only those', () => {
    expect(ROUTES.length).toBeGreaterThan(5);
    expect(Object.keys(BAD_INPUT).filter((key) => !ROUTES.includes(key)), 'routes in BAD_INPUT that the template no longer has').toEqual([]);
    expect(ROUTES.filter((key) => !BAD_INPUT[key]), 'routes of the template missing from BAD_INPUT').toEqual([]);
  });

  describe.each(ROUTES)('%s', (routeKey) => {
    const { method, path: template } = splitRouteKey(routeKey);
    const route = () => {
      const declared = BAD_INPUT[routeKey];
      expect(declared, `${routeKey} is not in BAD_INPUT: declare how to reach its handler`).toBeDefined();
      return declared!;
    };
    const validBody = () => JSON.stringify(route().body!(world));
    const sendAs = (path: string, options: { body?: string | Buffer; headers?: Record<string, string> } = {}) =>
      send(method, path, { as: route().as, ...options, headers: { ...route().headers?.(), ...options.headers } });

    it('refuses bad path ids with a clear 4xx', async () => {
      const paths = route().paths(world);
      expect(paths.length).toBeGreaterThan(0);
      if (!template.includes('{')) return;
      await withoutWrites(
        BAD_IDS.flatMap(([label, id]) =>
          route().paths(world, id).map((path) => async () => {
            const answer = await sendAs(path, route().body ? { body: validBody() } : {});
            expectClearRefusal(answer, `${label}: ${method} ${path.slice(0, 120)}`, decoded(id));
          }),
        ),
      );
    });

    it('never fails on an odd query string', async () => {
      await withoutWrites(
        ['?cursor=%%%', '?limit=-1&limit=abc&cursor=', `?cursor=${'z'.repeat(4_000)}`, '?status=%FF&programme[]=x'].map((query) => async () => {
          const [path] = route().paths(world);
          // A route that writes gets an empty object: the query string must not make its refusal a failure.
          const answer = await sendAs(`${path}${query}`, route().body ? { body: '{}' } : {});
          expect(answer.status, `${method} ${path}${query.slice(0, 40)}: ${answer.text.slice(0, 200)}`).toBeLessThan(500);
          if (answer.status >= 400) expectClearRefusal(answer, `${method} ${path}${query.slice(0, 40)}`);
        }),
      );
    });

    it('refuses bad query parameters, parameter by parameter', async () => {
      const declared = route();
      if (!declared.queries) return;
      const [path] = declared.paths(world);
      await withoutWrites(
        declared.queries.map((queryCase) => async () => {
          const answer = await sendAs(`${path}?${queryCase.query}`);
          expectClearRefusal(answer, queryCase.label);
          expect(answer.status, `${queryCase.label}: ${answer.text.slice(0, 300)}`).toBe(400);
          expect((answer.json?.errors ?? []).map((e) => e.field), queryCase.label).toEqual(queryCase.fields);
        }),
      );
    });

    it('refuses bad tokens at the gateway', async () => {
      if (route().as === 'none') return;
      const [path] = route().paths(world);
      const expired = cloud.issuer.mintIdToken(USERNAMES[route().as]!, { expired: true });
      const otherAudience = cloud.issuer.mintIdToken(USERNAMES[route().as]!, { audience: 'another-client' });
      const otherIssuer = cloud.issuer.mintIdToken(USERNAMES[route().as]!, { issuer: 'https://cognito-idp.eu-west-3.amazonaws.com/eu-west-3_other' });
      const [header, payload] = cloud.issuer.mintIdToken(USERNAMES[route().as]!).split('.');
      const unsigned = `${header}.${payload}.`;
      await withoutWrites(
        [expired, otherAudience, otherIssuer, unsigned, 'not-a-jwt', `${'a'.repeat(4_000)}.b.c`].map((token) => async () => {
          const answer = await send(method, path!, { token, body: route().body ? validBody() : undefined, headers: route().headers?.() });
          expect(answer.status).toBe(401);
          expectClearRefusal(answer, `${method} ${path} with a bad token`);
        }),
      );
    });

    it('refuses malformed, mistyped, unknown, oversize and wrongly typed bodies, field by field', async () => {
      const declared = route();
      if (!declared.body) return;
      expect(declared.fields?.length, `${routeKey} reads a body: declare its wrong fields`).toBeGreaterThan(0);
      expect(declared.oversize, `${routeKey} reads a body: declare how to make it too large`).toBeDefined();
      const [path] = declared.paths(world);
      const valid = declared.body(world);
      const refused = (label: string, body: string | Buffer | undefined, status: number, message: RegExp, headers: Record<string, string> = {}) => async () => {
        const answer = await sendAs(path!, { body, headers });
        expectClearRefusal(answer, label);
        expect(answer.status, `${label}: ${answer.text.slice(0, 300)}`).toBe(status);
        // The message, or the field error that says what is wrong with the whole body.
        expect(answer.text, label).toMatch(message);
      };
      const oversize = JSON.stringify(declared.oversize!(valid));
      expect(Buffer.byteLength(oversize)).toBeGreaterThan(64 * 1024);
      await withoutWrites([
        refused('malformed JSON', '{"programme":', 400, /n'est pas un JSON valide/),
        refused('JSON with a trailing comma', `${JSON.stringify(valid).slice(0, -1)},}`, 400, /n'est pas un JSON valide/),
        refused('an empty body', '', 400, /vide/),
        refused('a JSON array', '[]', 400, /objet/),
        refused('JSON null', 'null', 400, /objet/),
        refused('a JSON string', '"bonjour"', 400, /objet/),
        refused('a body over the handler limit', oversize, 413, /trop volumineuse/),
        refused('text/plain', validBody(), 415, /JSON/, { 'content-type': 'text/plain' }),
        refused('a form', 'outcome=accepted', 415, /JSON/, { 'content-type': 'application/x-www-form-urlencoded' }),
        refused('no content type', validBody(), 415, /JSON/, { 'content-type': '' }),
        // Over the gateway's 10 MB: refused before any function runs (API Gateway's own answer).
        async () => {
          const answer = await sendAs(path!, { body: Buffer.alloc(10 * 1024 * 1024 + 1, 0x20) });
          expect(answer).toMatchObject({ status: 413, json: { message: 'Request Entity Too Large' } });
        },
        ...declared.fields!.map((field) => async () => {
          const answer = await sendAs(path!, { body: JSON.stringify(field.body(valid)) });
          expectClearRefusal(answer, field.label);
          expect(answer.status, `${field.label}: ${answer.text.slice(0, 300)}`).toBe(400);
          expect((answer.json?.errors ?? []).map((e) => e.field).sort(), field.label).toEqual([...field.fields].sort());
        }),
      ]);
    });
  });

  // The creations a retry must not repeat: a referral, an information session, an activity, a cohort.
  describe.each([
    { route: 'POST /api/referrals', as: 'prescriberA' as Role, body: () => adultSubmission() as unknown as Record<string, unknown>, other: (body: Record<string, unknown>) => ({ ...body, projectIdea: 'Une autre idée.' }) },
    { route: 'POST /api/staff/sessions', as: 'staff' as Role, body: () => BAD_INPUT['POST /api/staff/sessions']!.body!(world), other: (body: Record<string, unknown>) => ({ ...body, capacity: 30 }) },
    { route: 'POST /api/staff/activities', as: 'staff' as Role, body: () => BAD_INPUT['POST /api/staff/activities']!.body!(world), other: (body: Record<string, unknown>) => ({ ...body, name: 'Atelier couture' }) },
    { route: 'POST /api/staff/cohorts', as: 'staff' as Role, body: () => BAD_INPUT['POST /api/staff/cohorts']!.body!(world), other: (body: Record<string, unknown>) => ({ ...body, capacity: 12 }) },
  ])('the Idempotency-Key of $route', ({ route, as, body, other }) => {
    const submit = (headers: Record<string, string>, content = body()) => send('POST', splitRouteKey(route).path, { as, body: JSON.stringify(content), headers });

    it('is required, and refused when malformed, field by field', async () => {
      await withoutWrites(
        ([{}, { 'idempotency-key': '' }, { 'idempotency-key': 'court' }, { 'idempotency-key': 'x'.repeat(129) }, { 'idempotency-key': 'clé avec espaces é' }, { 'idempotency-key': '../../etc/passwd' }] as Array<Record<string, string>>).map(
          (headers) => async () => {
            const answer = await submit(headers);
            expectClearRefusal(answer, `Idempotency-Key ${JSON.stringify(headers)}`);
            expect(answer.status).toBe(400);
            expect(answer.json?.errors).toEqual([{ field: 'Idempotency-Key', message: expect.stringMatching(FRENCH) }]);
          },
        ),
      );
    });

    it('refuses a key reused for another content, and writes nothing', async () => {
      const key = randomUUID();
      const first = body();
      expect((await submit({ 'idempotency-key': key }, first)).status).toBe(201);
      // A submission's workflow writes its acknowledgements and approval meanwhile.
      await settled(cloud);
      await withoutWrites([
        async () => {
          const answer = await submit({ 'idempotency-key': key }, other(first));
          expectClearRefusal(answer, 'a reused key');
          expect(answer.status).toBe(409);
        },
      ]);
    });
  });
});

describe("the members' invoicing beyond the body's fields", () => {
  const declare = (month: string, body: unknown, token = member.token, activityId = member.activityId) =>
    send('POST', `/api/me/activities/${activityId}/months/${month}/declarations`, { body: JSON.stringify(body), headers: { 'x-parcours-link': token, 'idempotency-key': randomUUID() } });

  it('refuses a declaration for a month already invoiced (409), and another young person’s link (404), writing nothing', async () => {
    await withoutWrites([
      async () => {
        const answer = await declare(member.invoicedMonth, { ...declarationBody(), serviceDate: `${member.invoicedMonth}-15` });
        expectClearRefusal(answer, 'a month already invoiced');
        expect(answer.status).toBe(409);
        expect(answer.json?.message).toMatch(/déjà en facturation/);
      },
      async () => {
        const answer = await declare(parisDate().slice(0, 7), declarationBody(), member.otherToken);
        expectClearRefusal(answer, "another young person's link");
        expect(answer.status).toBe(404);
      },
      async () => {
        const answer = await send('GET', `/api/me/activities/${member.activityId}/customers`, { headers: { 'x-parcours-link': member.otherToken } });
        expect(answer.status).toBe(404);
        expect(answer.text).not.toContain(individual().name);
      },
    ]);
  });

  describe('a payment staff record on an issued invoice', () => {
    const path = () => `/api/staff/invoices/${staffInvoice.invoiceId}/payments`;
    const payment = (amountCents: number) => JSON.stringify({ amountCents, date: '2020-02-10', means: 'cheque' });

    it('refuses more than is left to pay with a 422 naming the amount, and writes nothing', async () => {
      const first = await send('POST', path(), { as: 'staff', body: payment(6_000), headers: { 'idempotency-key': randomUUID() } });
      expect(first.status, first.text).toBe(201);
      await withoutWrites(
        [4_001, 10_000, 9_999_999].map((amountCents) => async () => {
          const answer = await send('POST', path(), { as: 'staff', body: payment(amountCents), headers: { 'idempotency-key': randomUUID() } });
          expectClearRefusal(answer, `a payment of ${amountCents} cents`);
          expect(answer.status).toBe(422);
          expect(answer.json?.errors).toEqual([{ field: 'amountCents', message: 'Au plus 40,00\u00a0€ : le reste à payer.' }]);
        }),
      );
    });

    it('refuses a prescriber, no token and a young person\'s link, writing nothing', async () => {
      await withoutWrites([
        async () => expect((await send('POST', path(), { as: 'prescriberA', body: payment(100), headers: { 'idempotency-key': randomUUID() } })).status).toBe(403),
        async () => expect((await send('POST', path(), { body: payment(100), headers: { 'idempotency-key': randomUUID() } })).status).toBe(401),
        async () => expect((await send('POST', path(), { body: payment(100), headers: { 'idempotency-key': randomUUID(), 'x-parcours-link': member.token } })).status).toBe(401),
        async () => expect((await send('GET', `/api/staff/invoices/${staffInvoice.invoiceId}`, { headers: { 'x-parcours-link': member.token } })).status).toBe(401),
      ]);
    });

    it('needs an Idempotency-Key, and refuses one reused for another payment', async () => {
      const key = randomUUID();
      expect((await send('POST', path(), { as: 'staff', body: payment(100), headers: { 'idempotency-key': key } })).status).toBe(201);
      await withoutWrites([
        async () => {
          const replay = await send('POST', path(), { as: 'staff', body: payment(100), headers: { 'idempotency-key': key } });
          expect(replay.status).toBe(200);
        },
        async () => {
          const reused = await send('POST', path(), { as: 'staff', body: payment(200), headers: { 'idempotency-key': key } });
          expectClearRefusal(reused, 'a reused key');
          expect(reused.status).toBe(409);
        },
        async () => {
          const none = await send('POST', path(), { as: 'staff', body: payment(100), headers: { 'idempotency-key': '' } });
          expect(none.status).toBe(400);
          expect(none.json?.errors).toEqual([{ field: 'Idempotency-Key', message: expect.stringMatching(FRENCH) }]);
        },
      ]);
    });
  });
});
