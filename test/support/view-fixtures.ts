/**
 * What the API answers, for the page tests: records shaped as the table holds them, turned into answers by the
 * API's own views (shared/views.ts) and waiting-step handlers. A page test then fails when the API's shape or
 * labels change under it, instead of passing on a hand-written copy.
 */
import type { ApprovalRecord } from '../../shared/data/approvals.js';
import { memberOf, newDraftActivity, type ActivityWithParts } from '../../shared/data/activities.js';
import { DEFAULT_SERVICE_KINDS, launchProblems, personalActivityId, type ActivityRecord, type CommitteeRole, type LaunchFile } from '../../shared/domain/activities.js';
import { launchFile } from './fixtures.js';
import { DEFAULT_CONTRIBUTION_RATES } from '../../infra/config.js';
import { activityView, myActivitiesView } from '../../shared/activity-views.js';
import type { OutboxMessage } from '../../shared/data/outbox.js';
import type { OutboxOwner } from '../../shared/data/outbox-owners.js';
import type { CustomerRecord, InvoiceRecord } from '../../shared/domain/invoicing/records.js';
import type { PersonRecord, TimelineEvent } from '../../shared/data/people.js';
import type { PossibleDuplicate } from '../../shared/data/possible-duplicates.js';
import type { ReferralRecord } from '../../shared/data/referrals.js';
import type { Timeline } from '../../shared/data/timeline.js';
import { waitingStepHandler } from '../../shared/data/waiting-steps.js';
import { statusLabelAfter } from '../../shared/domain/decisions.js';
import { InvalidInputError, type FieldError } from '../../shared/domain/errors.js';
import { parseOrThrow } from '../../shared/domain/validation.js';
import { incidentExplanation } from '../../shared/domain/waiting-steps.js';
import type { ContactIssue } from '../../shared/notifications/contacts.js';
import type { OptOut } from '../../shared/notifications/opt-outs.js';
import {
  approvalView,
  contactIssueItem,
  decisionAnswer,
  optOutItem,
  outboxOwnerView,
  possibleDuplicateItem,
  referralSummary,
  timelineView,
  undeliveredMessageItem,
} from '../../shared/views.js';

export function referralRecord(overrides: Partial<ReferralRecord> = {}): ReferralRecord {
  return {
    referralId: 'REF-2025-000101',
    reference: 'ORI-1A2B3C4D',
    personId: 'per_01',
    organisationId: 'ml-lens',
    organisationName: 'Mission locale de Lens-Liévin',
    prescriber: { id: 'sub-camille', name: 'Camille Prescriptrice' },
    programme: 'cjs',
    programmeStartDate: '2025-07-01',
    youngPerson: {
      firstName: 'Lina', lastName: 'Haddad', birthDate: '2008-06-14', email: 'lina.haddad@example.fr', phone: '+33612345678',
      address: '3 rue des Écoles', postalCode: '62160', town: 'Grenay', qpv: true, situation: 'etudiant', situationDetail: 'Lycée professionnel',
    },
    guardian: { firstName: 'Karim', lastName: 'Haddad', email: 'karim.haddad@example.fr', phone: '+33798765432', relationship: 'père' },
    projectIdea: 'Petits travaux de jardinage\net lavage de vélos.',
    notes: 'A déjà participé à un chantier jeunes.',
    consent: { dataProcessing: true, recordedAt: '2025-03-03T08:15:00Z', recordedBy: 'sub-camille' },
    status: 'pending',
    eligibility: { eligible: true, ageAtStart: 16, programmeStartDate: '2025-07-01', explanation: ['16 ans : dans la tranche 16-18 ans.'] },
    duplicate: { linked: true, matchedBy: ['IDENTITY-EMAIL'], previousReferrals: 2 },
    createdAt: '2025-03-03T08:15:00Z',
    updatedAt: '2025-03-03T08:15:00Z',
    decisions: [],
    payloadHash: 'hash',
    ...overrides,
  };
}

export function approvalRecord(referral: ReferralRecord, overrides: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return {
    approvalId: `apv_${referral.referralId}`,
    kind: 'referral-decision',
    subjectId: referral.referralId,
    referralId: referral.referralId,
    personId: referral.personId,
    programme: referral.programme,
    phase: 'initial',
    status: 'open',
    taskToken: 'token',
    createdAt: referral.createdAt,
    since: referral.createdAt,
    ...overrides,
  };
}

/** An "à traiter" waiting step: a step of the referral's path that failed after its retries. */
export function incidentRecord(referral: ReferralRecord, step: string, error: string, overrides: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return approvalRecord(referral, {
    approvalId: `inc_${referral.referralId}`,
    kind: 'incident',
    subjectId: `subject_${referral.referralId}`,
    phase: 'incident',
    since: '2025-03-10T07:30:00Z',
    incident: { step, error, explanation: incidentExplanation(step, error) },
    ...overrides,
  });
}

/** GET /api/approvals/{approvalId} (functions/approvals/get.ts): the outcomes from the kind's own handler. */
export function approvalAnswer(approval: ApprovalRecord, referral: ReferralRecord) {
  const subject = { referral } as never;
  return approvalView(approval, referral, approval.status === 'open' ? waitingStepHandler(approval.kind).allowedOutcomes(subject) : []);
}

/** POST /api/approvals/{approvalId}/decision (functions/approvals/decide.ts). */
export function decisionAnswerOf(approval: ApprovalRecord, outcome: string) {
  return decisionAnswer(approval, outcome, statusLabelAfter(approval.kind, outcome));
}

export function personRecord(overrides: Partial<PersonRecord> = {}): PersonRecord {
  return {
    personId: 'per_01',
    firstName: 'Lina',
    lastName: 'Haddad',
    birthDate: '2008-06-14',
    email: 'lina.haddad@example.fr',
    phone: '+33612345678',
    postalCode: '62160',
    town: 'Grenay',
    qpv: true,
    referralStatuses: {},
    referralCount: 1,
    createdAt: '2025-03-03T08:15:00Z',
    ...overrides,
  };
}

export function outboxMessage(overrides: Partial<OutboxMessage> = {}): OutboxMessage {
  return {
    notificationId: 'n1',
    cause: 'referral-received#REF-2025-000101',
    kind: 'referral-received',
    role: 'young',
    channel: 'email',
    to: 'lina.haddad@example.fr',
    subject: 'Objet',
    body: 'Texte',
    status: 'pending',
    attempts: 0,
    createdAt: '2025-03-03T08:15:00Z',
    ...overrides,
  };
}

/** GET /api/people/{personId}/timeline (functions/people/timeline.ts). */
export function timelineAnswer(input: { person: PersonRecord; referrals: ReferralRecord[]; events: TimelineEvent[]; notifications: OutboxMessage[]; optOuts?: { email?: OptOut; sms?: OptOut } }) {
  const timeline: Timeline = {
    person: input.person,
    pathStatus: 'referred',
    joinedPersonIds: [],
    referrals: input.referrals,
    events: input.events,
    notifications: input.notifications as unknown as Timeline['notifications'],
  };
  return timelineView(timeline, input.optOuts ?? {});
}

/** One page of a listing, as the list handlers answer it. */
export const listPage = <T>(items: T[], cursor?: string) => ({ items, ...(cursor ? { cursor } : {}) });

export const referralListItem = (referral: ReferralRecord) => referralSummary(referral);

export function contactIssue(overrides: Partial<ContactIssue> = {}): ContactIssue {
  return {
    issueId: 'email#lina.haddad@example.fr',
    personId: 'per_01',
    role: 'young',
    channel: 'email',
    address: 'lina.haddad@example.fr',
    reason: 'Permanent/General',
    status: 'open',
    notificationIds: ['n1'],
    firstFailedAt: '2025-03-12T09:00:00Z',
    lastFailedAt: '2025-03-12T09:00:00Z',
    ...overrides,
  };
}

/**
 * Whom a message of GET /api/staff/messages was for, as the data layer reads it (shared/data/outbox-owners.ts): a
 * young person given by their name ("Lina Haddad"), an owner read (a customer: `customerOwner`), or none (unknown).
 */
type Who = string | OutboxOwner | undefined;
const ownerOf = (who: Who) => {
  if (typeof who !== 'string') return outboxOwnerView(who);
  const [firstName = '', ...last] = who.split(' ');
  return outboxOwnerView({ kind: 'person', person: personRecord({ firstName, lastName: last.join(' ') }) });
};

/** The items of GET /api/staff/messages (functions/staff/messages.ts), each with whom it was for. */
export const messagesItems = {
  toFix: (issue: ContactIssue, who: Who) => contactIssueItem(issue, ownerOf(who)),
  /** No `who`: the address is nobody's the system knows. */
  optOut: (optOut: OptOut, who?: Who) => optOutItem(optOut, who === undefined ? undefined : ownerOf(who)),
  failed: (message: OutboxMessage & { personId: string }, who: Who) => undeliveredMessageItem(message, ownerOf(who)),
};

/**
 * A customer of an activity as the owner of the messages about one of their invoices (filed under the invoice's id):
 * the issued invoice, the customer as they are now, and the activity.
 */
export function customerOwner(input: { activity: ActivityRecord; customer: Partial<CustomerRecord>; invoice?: Partial<InvoiceRecord> }): OutboxOwner & { kind: 'customer' } {
  const customer: CustomerRecord = {
    activityId: input.activity.activityId,
    customerId: 'c-boulangerie',
    kind: 'business',
    name: 'Boulangerie Martin',
    address: { line1: '12 place de la République', postalCode: '62300', city: 'Lens', countryCode: 'FR' },
    email: 'compta@boulangerie-martin.example',
    siren: '732829320',
    version: 1,
    createdAt: '2025-02-01T09:00:00Z',
    updatedAt: '2025-02-01T09:00:00Z',
    ...input.customer,
  };
  const { version: _version, createdAt: _createdAt, updatedAt: _updatedAt, ...invoiced } = customer;
  const invoice: InvoiceRecord = {
    invoiceId: `inv-${customer.activityId}-2025-02-${customer.customerId}`,
    kind: 'invoice',
    activityId: customer.activityId,
    month: '2025-02',
    customer: invoiced,
    lines: [],
    totals: { netCents: 4_500, vatCents: 0, grossCents: 4_500, perRate: [{ vatRateBps: null, baseCents: 4_500, vatCents: 0 }] },
    declarationIds: [],
    status: 'issued',
    number: '2025-000042',
    issueDate: '2025-03-01',
    dueDate: '2025-03-31',
    paidCents: 0,
    history: [],
    createdAt: '2025-03-01T06:00:00Z',
    updatedAt: '2025-03-01T06:00:00Z',
    ...input.invoice,
  };
  return { kind: 'customer', invoice, customer, activity: input.activity };
}

/** GET /api/staff/duplicates's item (functions/staff/duplicates.ts). */
export function duplicateItem(flag: PossibleDuplicate, people: PersonRecord[], referral?: ReferralRecord) {
  return possibleDuplicateItem(flag, new Map(people.map((p) => [p.personId, p])), referral);
}

/** The 400 answer the API gives for a body its schema refuses (shared/http/api.ts): its French message and each field's. */
export function refusalOf(schema: Parameters<typeof parseOrThrow>[0], body: unknown): { status: number; body: { message: string; errors: FieldError[] } } {
  try {
    parseOrThrow(schema, body);
  } catch (error) {
    if (error instanceof InvalidInputError) return { status: error.statusCode, body: { message: error.message, errors: error.errors } };
    throw error;
  }
  throw new Error('refusalOf: the schema accepts this body');
}

// --- Activity launch (issue 10) ---

/** An activity with its members and price versions, built by the data layer's own constructors. */
export function activityWithParts(input: {
  referral: ReferralRecord;
  shape?: 'personal' | 'collective';
  file?: Partial<LaunchFile>;
  activity?: Partial<ActivityRecord>;
  members?: Array<{ referral: ReferralRecord; role?: 'holder' | 'member'; committeeRole?: CommitteeRole }>;
  now?: string;
}): ActivityWithParts {
  const shape = input.shape ?? 'personal';
  const now = input.now ?? '2025-03-12T10:00:00Z';
  const { activity, prices } = newDraftActivity({
    activityId: shape === 'personal' ? personalActivityId(input.referral.referralId) : 'ca-cohorte-lens',
    shape,
    programme: input.referral.programme,
    file: launchFile('2025-07-01', input.file),
    now,
    ...(shape === 'personal' ? { holder: input.referral } : {}),
    by: { id: input.referral.personId, name: input.referral.youngPerson.firstName },
  });
  const members = (input.members ?? [{ referral: input.referral, role: 'holder' as const }]).map((m) => memberOf(activity, m.referral, m.role ?? 'holder', now, m.committeeRole));
  return { activity: { ...activity, ...input.activity }, members, prices: [prices] };
}

/** GET /api/me/activities (functions/me/activities.ts), for the referral's young person. */
export function myActivitiesAnswer(referral: ReferralRecord, activities: ActivityWithParts[], now = new Date('2025-03-12T10:00:00Z')) {
  const minor = referral.programme === 'cjs';
  return myActivitiesView({ activities, catalogue: [...DEFAULT_SERVICE_KINDS], referralId: referral.referralId, minor, mayHavePersonalActivity: referral.programme !== 'cjs', now });
}

/** GET /api/staff/activities/{activityId}. */
export const staffActivityAnswer = (found: ActivityWithParts, now = new Date('2025-03-12T10:00:00Z')) => activityView(found, [...DEFAULT_SERVICE_KINDS], { kind: 'staff' }, now);

/** The 422 of a submission whose launch checks fail (shared/data/activities.ts submitForLaunch): each problem by its field. */
export function launchRefusal(found: ActivityWithParts, input: { contractCountersigned?: boolean; today: string }) {
  const problems = launchProblems({
    activity: found.activity,
    members: found.members.map((m) => ({ referralId: m.referralId, name: m.name, birthDate: m.birthDate, contractCountersigned: input.contractCountersigned ?? true })),
    prices: found.prices,
    catalogue: DEFAULT_SERVICE_KINDS,
    rates: DEFAULT_CONTRIBUTION_RATES,
    today: input.today,
  });
  return { message: "Le dossier n'est pas prêt pour la validation : corrigez les points indiqués.", errors: problems };
}
