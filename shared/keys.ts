import { createHash } from 'node:crypto';
import type { LookupKind, StrongClaimKind } from './domain/person-matching.js';

/** Partitions of the active activities' index: the monthly invoicing reads them in parallel (decision 24). */
export const ACTIVE_ACTIVITY_SHARDS = 16;

/**
 * The active index's shard of an activity, two digits: the first 4 hex of its id's SHA-256, modulo the shard count.
 * @example activeActivityShard('pa-3f1c…') // '07'
 */
export function activeActivityShard(activityId: string): string {
  const head = Number.parseInt(createHash('sha256').update(activityId).digest('hex').slice(0, 4), 16);
  return String(head % ACTIVE_ACTIVITY_SHARDS).padStart(2, '0');
}

/**
 * Every key of the single table is built here and nowhere else.
 * Partition keys name the entity; sort keys order what belongs to it.
 */
export const keys = {
  person: (personId: string) => ({ pk: `PERSON#${personId}`, sk: 'PROFILE' }),
  personEvent: (personId: string, at: string, eventId: string) => ({ pk: `PERSON#${personId}`, sk: `EVENT#${at}#${eventId}` }),
  personEventsPrefix: (personId: string) => ({ pk: `PERSON#${personId}`, skPrefix: 'EVENT#' }),
  personReferralLink: (personId: string, referralId: string) => ({ pk: `PERSON#${personId}`, sk: `REFERRAL#${referralId}` }),
  personReferralsPrefix: (personId: string) => ({ pk: `PERSON#${personId}`, skPrefix: 'REFERRAL#' }),
  referral: (referralId: string) => ({ pk: `REFERRAL#${referralId}`, sk: 'REFERRAL' }),
  approval: (approvalId: string) => ({ pk: `APPROVAL#${approvalId}`, sk: 'APPROVAL' }),
  /** A workflow step that failed after its retries (one per execution and step): points at its "à traiter" approval. */
  incidentSubject: (subjectId: string) => ({ pk: `INCIDENT#${subjectId}`, sk: 'INCIDENT' }),
  notification: (personId: string, notificationId: string) => ({ pk: `PERSON#${personId}`, sk: `NOTIFICATION#${notificationId}` }),
  notificationsPrefix: (personId: string) => ({ pk: `PERSON#${personId}`, skPrefix: 'NOTIFICATION#' }),
  /**
   * A provider's word that a copy of a message (its provider id) was delivered, beside the message (decision 42):
   * written once per copy whatever the reports' order, read with the message (`withDeliveries`, shared/data/outbox.ts).
   */
  deliveryReceipt: (personId: string, notificationId: string, providerMessageId: string) => ({ pk: `PERSON#${personId}`, sk: `DELIVERED#${notificationId}#${providerMessageId}` }),
  deliveryReceiptsPrefix: (personId: string) => ({ pk: `PERSON#${personId}`, skPrefix: 'DELIVERED#' }),
  /** The last message of a kind to one recipient about a person: at most one per 24 h. */
  messageRateLimit: (personId: string, kind: string, channel: string, to: string) => ({ pk: `PERSON#${personId}`, sk: `RATE#${kind}#${channel}#${to}` }),
  /** Leads a provider's delivery event (which knows only its own message id) to the outbox item it concerns. */
  providerMessage: (provider: MessageProvider, messageId: string) => ({ pk: `PROVIDER#${provider}#${messageId}`, sk: 'PROVIDER' }),
  /** Staff inbox (gsi1): on an approval item (every kind of waiting step) only while it is open, oldest subject first. */
  inboxEntry: (since: string, approvalId: string) => ({ gsi1pk: 'INBOX#APPROVAL', gsi1sk: `${since}#${approvalId}` }),
  inboxPartition: () => 'INBOX#APPROVAL',
  /** A decision not yet taken by its workflow (gsi1, on the approval item once decided): the reconciler hands these over again. */
  handoverEntry: (decidedAt: string, approvalId: string) => ({ gsi1pk: 'HANDOVER#PENDING', gsi1sk: `${decidedAt}#${approvalId}` }),
  handoverPartition: () => 'HANDOVER#PENDING',
  /** A referral whose workflow has not opened its approval yet (gsi1, on the referral item): the reconciler starts a missing workflow. */
  awaitedWorkflowEntry: (createdAt: string, referralId: string) => ({ gsi1pk: 'WORKFLOW#AWAITED', gsi1sk: `${createdAt}#${referralId}` }),
  awaitedWorkflowPartition: () => 'WORKFLOW#AWAITED',
  /** A prescriber organisation's referrals (gsi2). */
  organisationEntry: (organisationId: string, createdAt: string, referralId: string) => ({
    gsi2pk: `ORG#${organisationId}`,
    gsi2sk: `${createdAt}#${referralId}`,
  }),
  organisationPartition: (organisationId: string) => `ORG#${organisationId}`,
  /** All referrals, newest first, for staff (gsi3 reserved otherwise for active activities). */
  allReferralsEntry: (createdAt: string, referralId: string) => ({ gsi3pk: 'REFERRALS', gsi3sk: `${createdAt}#${referralId}` }),
  allReferralsPartition: () => 'REFERRALS',
  idempotencyPartition: () => 'IDEMPOTENCY',
  /**
   * Every message not final yet, in gsi3 by the time it may next be tried: when written, after a failed attempt
   * (backoff), when its sender's lease ends, or in the morning (SMS quiet hours). The dispatcher reads what is due.
   */
  dueMessageEntry: (nextAttemptAt: string, personId: string, notificationId: string) => ({ gsi3pk: 'OUTBOX#DUE', gsi3sk: `${nextAttemptAt}#${personId}#${notificationId}` }),
  dueMessagesPartition: () => 'OUTBOX#DUE',
  /** A message not delivered (a provider's bounce or failure, or the outbox giving up), in gsi3 by that time: the staff's 30-day view. */
  failedMessageEntry: (statusAt: string, personId: string, notificationId: string) => ({ gsi3pk: 'OUTBOX#FAILED', gsi3sk: `${statusAt}#${personId}#${notificationId}` }),
  failedMessagesPartition: () => 'OUTBOX#FAILED',
  /** An address of a person's contact that bounced or failed; listed for staff (gsi1) while open. */
  contactIssue: (personId: string, issueId: string) => ({ pk: `PERSON#${personId}`, sk: `CONTACT-ISSUE#${issueId}` }),
  contactIssueEntry: (lastFailedAt: string, personId: string, issueId: string) => ({ gsi1pk: 'CONTACTS#TO-FIX', gsi1sk: `${lastFailedAt}#${personId}#${issueId}` }),
  contactIssuesPartition: () => 'CONTACTS#TO-FIX',
  /** An address that asked for no more messages on a channel (SMS STOP, e-mail complaint); listed for staff (gsi1). */
  optOut: (channel: string, address: string) => ({ pk: `OPTOUT#${channel}#${address}`, sk: 'OPTOUT' }),
  optOutEntry: (at: string, channel: string) => ({ gsi1pk: 'CONTACTS#OPTED-OUT', gsi1sk: `${at}#${channel}` }),
  optOutsPartition: () => 'CONTACTS#OPTED-OUT',
  // --- Person matching (shared/domain/person-matching.ts) ---
  /** A strong claim: at most one person per name + birth date + e-mail, and per name + birth date + mobile. */
  strongPersonClaim: (kind: StrongClaimKind, value: string) => ({ pk: `CLAIM#${kind}#${value}`, sk: 'CLAIM' }),
  /**
   * A lookup entry: one of the people known under an e-mail, a mobile, or a name + birth date (several may share one).
   * Single claims written before strong matching (`sk` = 'CLAIM') sit in the same partition and are read alike.
   */
  personLookup: (kind: LookupKind, value: string, personId: string) => ({ pk: `CLAIM#${kind}#${value}`, sk: `PERSON#${personId}` }),
  personLookupPartition: (kind: LookupKind, value: string) => `CLAIM#${kind}#${value}`,
  /** A "doublon possible": two people that may be one, for staff to confirm or keep apart; in gsi1 while open, oldest first. */
  possibleDuplicate: (duplicateId: string) => ({ pk: `DUPLICATE#${duplicateId}`, sk: 'DUPLICATE' }),
  possibleDuplicateEntry: (createdAt: string, duplicateId: string) => ({ gsi1pk: 'DUPLICATES#OPEN', gsi1sk: `${createdAt}#${duplicateId}` }),
  possibleDuplicatesPartition: () => 'DUPLICATES#OPEN',
  // --- Documents of the onboarding (shared/data/documents.ts), in the onboarding's partition ---
  /** One document of the checklist: its status and history, and the file staff review. */
  onboardingDocument: (referralId: string, docType: string) => ({ pk: `ONBOARDING#${referralId}`, sk: `DOC#${docType}` }),
  onboardingDocumentsPrefix: (referralId: string) => ({ pk: `ONBOARDING#${referralId}`, skPrefix: 'DOC#' }),
  /** One presigned upload of a file, from its request to its check (submitted or refused). */
  documentUpload: (referralId: string, uploadId: string) => ({ pk: `ONBOARDING#${referralId}`, sk: `UPLOAD#${uploadId}` }),
  /** The IBAN and account holder the young person typed (never logged; shown masked to staff). */
  bankDetails: (referralId: string) => ({ pk: `ONBOARDING#${referralId}`, sk: 'BANK-DETAILS' }),
  /** A document awaiting staff review (gsi1, on the document item while `submitted`), oldest first. */
  documentReviewEntry: (submittedAt: string, referralId: string, docType: string) => ({ gsi1pk: 'DOCUMENTS#TO-REVIEW', gsi1sk: `${submittedAt}#${referralId}#${docType}` }),
  documentReviewPartition: () => 'DOCUMENTS#TO-REVIEW',
  // --- Onboarding (shared/data/onboarding.ts): one partition per accepted referral, the kinds' sub-items beside the steps ---
  /** The onboarding of an accepted referral (its id is the referral's). */
  onboarding: (referralId: string) => ({ pk: `ONBOARDING#${referralId}`, sk: 'ONBOARDING' }),
  /** The staff's onboarding board (gsi1, on the onboarding record while active), oldest first. */
  onboardingBoardEntry: (startedAt: string, referralId: string) => ({ gsi1pk: 'ONBOARDING#ACTIVE', gsi1sk: `${startedAt}#${referralId}` }),
  onboardingBoardPartition: () => 'ONBOARDING#ACTIVE',
  /** One item per step: the subject of the step's waiting step. */
  onboardingStep: (referralId: string, step: string) => ({ pk: `ONBOARDING#${referralId}`, sk: `STEP#${step}` }),
  onboardingStepsPrefix: (referralId: string) => ({ pk: `ONBOARDING#${referralId}`, skPrefix: 'STEP#' }),
  onboardingPartition: (referralId: string) => `ONBOARDING#${referralId}`,
  // --- Information sessions and diagnosis interview (shared/data/sessions.ts, shared/data/diagnoses.ts) ---
  /** A session and, in its partition, one item per person holding a seat (with their attendance). */
  session: (sessionId: string) => ({ pk: `SESSION#${sessionId}`, sk: 'SESSION' }),
  sessionAttendee: (sessionId: string, referralId: string) => ({ pk: `SESSION#${sessionId}`, sk: `ATTENDEE#${referralId}` }),
  sessionPartition: (sessionId: string) => `SESSION#${sessionId}`,
  /** Every session in gsi1 by its start: the upcoming ones are a range of it. */
  sessionCalendarEntry: (startsAt: string, sessionId: string) => ({ gsi1pk: 'SESSIONS', gsi1sk: `${startsAt}#${sessionId}` }),
  sessionCalendarPartition: () => 'SESSIONS',
  /** A young person's information session: the seat they hold, their absences (onboarding partition). */
  sessionBooking: (referralId: string) => ({ pk: `ONBOARDING#${referralId}`, sk: 'BOOKING' }),
  /** The diagnosis interview: when and how it is held, then what staff recorded (onboarding partition). */
  diagnosis: (referralId: string) => ({ pk: `ONBOARDING#${referralId}`, sk: 'DIAGNOSIS' }),
  /** An accepted referral whose onboarding is not opened yet (gsi1, on the referral item): the reconciler starts a missing onboarding. */
  awaitedOnboardingEntry: (acceptedAt: string, referralId: string) => ({ gsi1pk: 'ONBOARDING#AWAITED', gsi1sk: `${acceptedAt}#${referralId}` }),
  awaitedOnboardingPartition: () => 'ONBOARDING#AWAITED',
  // --- Guardian's consent and contract of the onboarding (shared/data/guardian-consents.ts, shared/data/contracts.ts) ---
  /** The guardian's answer: who, when, the text version read, each choice. */
  onboardingConsent: (referralId: string) => ({ pk: `ONBOARDING#${referralId}`, sk: 'CONSENT' }),
  /** One version of the contract (zero-padded, so the latest sorts last). */
  onboardingContract: (referralId: string, version: number) => ({ pk: `ONBOARDING#${referralId}`, sk: `CONTRACT#${String(version).padStart(4, '0')}` }),
  onboardingContractsPrefix: (referralId: string) => ({ pk: `ONBOARDING#${referralId}`, skPrefix: 'CONTRACT#' }),
  // --- Personal links (shared/data/personal-links.ts): tokens are never stored, only their SHA-256 ---
  /** A personal link, by the SHA-256 (hex) of its token. */
  personalLink: (tokenHash: string) => ({ pk: `LINK#${tokenHash}`, sk: 'LINK' }),
  /** When a person's links were revoked, per audience: a link issued before is refused. */
  personalLinksRevocation: (personId: string) => ({ pk: `PERSON#${personId}`, sk: 'LINKS-REVOKED' }),
  /** An address a personal link was sent to (by the SHA-256 of the address): where "nouveau lien" finds whose it is. */
  linkContact: (channel: string, addressHash: string, referralId: string, audience: string) => ({ pk: `LINK-CONTACT#${channel}#${addressHash}`, sk: `${referralId}#${audience}` }),
  linkContactPartition: (channel: string, addressHash: string) => `LINK-CONTACT#${channel}#${addressHash}`,
  /** Requests for a new link in one fixed window: per address (its SHA-256) or `ALL`. */
  linkResendCounter: (scope: string, windowStart: string) => ({ pk: `LINK-RESEND#${scope}`, sk: windowStart }),
  // --- Activities (shared/data/activities.ts, shared/data/service-kinds.ts; cohorts: shared/data/cohorts.ts) ---
  /** An activity; its members and price-list versions sit in its partition, so one query reads it whole. */
  activity: (activityId: string) => ({ pk: `ACTIVITY#${activityId}`, sk: 'ACTIVITY' }),
  activityPartition: (activityId: string) => `ACTIVITY#${activityId}`,
  /** A member of an activity (the holder of a personal one, or a member of a collective one). */
  activityMember: (activityId: string, referralId: string) => ({ pk: `ACTIVITY#${activityId}`, sk: `MEMBER#${referralId}` }),
  activityMembersPrefix: (activityId: string) => ({ pk: `ACTIVITY#${activityId}`, skPrefix: 'MEMBER#' }),
  /** A version of the price list: by effective date, then version (4 digits), so the latest sorts last. */
  activityPrices: (activityId: string, effectiveFrom: string, version: number) => ({ pk: `ACTIVITY#${activityId}`, sk: `PRICES#${effectiveFrom}#${String(version).padStart(4, '0')}` }),
  activityPricesPrefix: (activityId: string) => ({ pk: `ACTIVITY#${activityId}`, skPrefix: 'PRICES#' }),
  /** A person's activities: their space lists them with one query. */
  personActivityLink: (personId: string, activityId: string) => ({ pk: `PERSON#${personId}`, sk: `ACTIVITY#${activityId}` }),
  personActivitiesPrefix: (personId: string) => ({ pk: `PERSON#${personId}`, skPrefix: 'ACTIVITY#' }),
  /** Activities by status for staff (gsi2, on the activity item), newest first. */
  activityStatusEntry: (status: string, createdAt: string, activityId: string) => ({ gsi2pk: `ACTIVITIES#${status}`, gsi2sk: `${createdAt}#${activityId}` }),
  activityStatusPartition: (status: string) => `ACTIVITIES#${status}`,
  /** The active activities (gsi3, on the activity item while active), sharded: never one hot partition, read in parallel. */
  activeActivityEntry: (activityId: string, startDate: string) => ({ gsi3pk: `ACTIVITIES#ACTIVE#${activeActivityShard(activityId)}`, gsi3sk: `${startDate}#${activityId}` }),
  activeActivitiesPartition: (shard: string) => `ACTIVITIES#ACTIVE#${shard}`,
  /** A launch file submitted whose approval has not opened yet (gsi1, on the activity item): the reconciler starts a missing launch. */
  awaitedLaunchEntry: (submittedAt: string, activityId: string) => ({ gsi1pk: 'LAUNCH#AWAITED', gsi1sk: `${submittedAt}#${activityId}` }),
  awaitedLaunchPartition: () => 'LAUNCH#AWAITED',
  /** The Idempotency-Key of a staff creation of an activity (by its scoped id): which activity it made, with what content. */
  activityCreationKey: (keyId: string) => ({ pk: `ACTIVITY-KEY#${keyId}`, sk: 'ACTIVITY-KEY' }),
  /** A kind of service of the catalogue edited by staff (the seed stands for the kinds never edited); all in gsi1. */
  serviceKind: (code: string) => ({ pk: `SERVICE-KIND#${code}`, sk: 'SERVICE-KIND' }),
  serviceKindEntry: (code: string) => ({ gsi1pk: 'SERVICE-KINDS', gsi1sk: code }),
  serviceKindsPartition: () => 'SERVICE-KINDS',
  /** A CJS cohort and, in its partition, one item per young person placed in it. */
  cohort: (cohortId: string) => ({ pk: `COHORT#${cohortId}`, sk: 'COHORT' }),
  cohortPartition: (cohortId: string) => `COHORT#${cohortId}`,
  cohortMember: (cohortId: string, referralId: string) => ({ pk: `COHORT#${cohortId}`, sk: `MEMBER#${referralId}` }),
  cohortMembersPrefix: (cohortId: string) => ({ pk: `COHORT#${cohortId}`, skPrefix: 'MEMBER#' }),
  /** Every cohort in gsi1 by its start. */
  cohortEntry: (startDate: string, cohortId: string) => ({ gsi1pk: 'COHORTS', gsi1sk: `${startDate}#${cohortId}` }),
  cohortsPartition: () => 'COHORTS',
  /** A launch-ready CJS path not placed in a cohort (gsi1, on its onboarding record), oldest first: the cohort page's candidates. */
  cohortCandidateEntry: (readyAt: string, referralId: string) => ({ gsi1pk: 'COHORTS#CANDIDATES', gsi1sk: `${readyAt}#${referralId}` }),
  cohortCandidatesPartition: () => 'COHORTS#CANDIDATES',
  /** A person's cohort placement. */
  personCohortLink: (personId: string, cohortId: string) => ({ pk: `PERSON#${personId}`, sk: `COHORT#${cohortId}` }),
  personCohortsPrefix: (personId: string) => ({ pk: `PERSON#${personId}`, skPrefix: 'COHORT#' }),
  // --- Invoicing (shared/data/invoicing/) ---
  /** A customer of an activity, in the activity's partition (reused from month to month). */
  invoicingCustomer: (activityId: string, customerId: string) => ({ pk: `ACTIVITY#${activityId}`, sk: `CUSTOMER#${customerId}` }),
  invoicingCustomersPrefix: (activityId: string) => ({ pk: `ACTIVITY#${activityId}`, skPrefix: 'CUSTOMER#' }),
  /**
   * A declaration of services, in its month's partition by activity (decision 36): one query reads an activity's
   * month, and one query a drafting batch's activities (a range of activity ids), not one per activity.
   */
  declaration: (activityId: string, month: string, declarationId: string) => ({ pk: `DECLARATIONS#${month}`, sk: `${activityId}#${declarationId}` }),
  monthDeclarationsPartition: (month: string) => `DECLARATIONS#${month}`,
  /** The sort keys of the declarations of every activity from `first` to `last` (ids in key order): '$' is the byte after '#'. */
  declarationsRange: (month: string, first: string, last: string) => ({ pk: `DECLARATIONS#${month}`, from: `${first}#`, through: `${last}$` }),
  /** An activity's month once drafting began: every change of a declaration is conditional on it. */
  invoicingMonth: (activityId: string, month: string) => ({ pk: `ACTIVITY#${activityId}`, sk: `MONTH#${month}` }),
  /** An invoice or a credit note; its payments sit in its partition. */
  invoice: (invoiceId: string) => ({ pk: `INVOICE#${invoiceId}`, sk: 'INVOICE' }),
  /**
   * Who finishes the cancellation of an invoice by its credit note (decision 49), in the credit note's partition: the
   * call that drafted it, or the one that took over once its lease ran out; `done` once it answered.
   */
  cancellationClaim: (creditNoteId: string) => ({ pk: `INVOICE#${creditNoteId}`, sk: 'CANCELLATION' }),
  invoicePayment: (invoiceId: string, paymentId: string) => ({ pk: `INVOICE#${invoiceId}`, sk: `PAYMENT#${paymentId}` }),
  invoicePaymentsPrefix: (invoiceId: string) => ({ pk: `INVOICE#${invoiceId}`, skPrefix: 'PAYMENT#' }),
  /**
   * A refund of a cancelled invoice's payments (decision 54), in the invoice's partition. Its index entries are the
   * payments' (`activityPaymentEntry`, `monthPaymentEntry`, with the refund's id in place of a payment's): one query
   * reads a month's money in and out, told apart by `type`.
   */
  invoiceRefund: (invoiceId: string, refundId: string) => ({ pk: `INVOICE#${invoiceId}`, sk: `REFUND#${refundId}` }),
  invoiceRefundsPrefix: (invoiceId: string) => ({ pk: `INVOICE#${invoiceId}`, skPrefix: 'REFUND#' }),
  /** A month's invoices (gsi3), sharded by activity like the active index: the run reads the shards in parallel. */
  monthInvoiceEntry: (month: string, activityId: string, invoiceId: string) => ({ gsi3pk: `INVOICES#${month}#${activeActivityShard(activityId)}`, gsi3sk: `${activityId}#${invoiceId}` }),
  monthInvoicesPartition: (month: string, shard: string) => `INVOICES#${month}#${shard}`,
  /** An activity's invoices (gsi2), by month. */
  activityInvoiceEntry: (activityId: string, month: string, invoiceId: string) => ({ gsi2pk: `INVOICES#ACTIVITY#${activityId}`, gsi2sk: `${month}#${invoiceId}` }),
  activityInvoicesPartition: (activityId: string) => `INVOICES#ACTIVITY#${activityId}`,
  /** An issued invoice not fully paid (gsi1), sharded, by due date: reminders and the late list are a range of it. */
  unpaidInvoiceEntry: (activityId: string, dueDate: string, invoiceId: string) => ({ gsi1pk: `INVOICES#UNPAID#${activeActivityShard(activityId)}`, gsi1sk: `${dueDate}#${invoiceId}` }),
  unpaidInvoicesPartition: (shard: string) => `INVOICES#UNPAID#${shard}`,
  /**
   * An unpaid invoice flagged late (gsi1, in place of its unpaid entry, from due + 45 days until paid in full or
   * cancelled): the staff console's late list, which the daily chase no longer reads.
   */
  lateInvoiceEntry: (activityId: string, dueDate: string, invoiceId: string) => ({ gsi1pk: `INVOICES#LATE#${activeActivityShard(activityId)}`, gsi1sk: `${dueDate}#${invoiceId}` }),
  lateInvoicesPartition: (shard: string) => `INVOICES#LATE#${shard}`,
  /** A payment of one of an activity's invoices (gsi2, on the payment item), by the day it was received: a month's payments are a range. */
  activityPaymentEntry: (activityId: string, date: string, invoiceId: string, paymentId: string) => ({ gsi2pk: `PAYMENTS#ACTIVITY#${activityId}`, gsi2sk: `${date}#${invoiceId}#${paymentId}` }),
  activityPaymentsPartition: (activityId: string) => `PAYMENTS#ACTIVITY#${activityId}`,
  /**
   * A payment by the month it was received (gsi3, on the payment item), sharded by its activity like the month's
   * invoices: the accounting export and the statements read a month's payments across activities, never by a scan.
   */
  monthPaymentEntry: (activityId: string, date: string, invoiceId: string, paymentId: string) => ({ gsi3pk: `PAYMENTS#${date.slice(0, 7)}#${activeActivityShard(activityId)}`, gsi3sk: `${date}#${invoiceId}#${paymentId}` }),
  monthPaymentsPartition: (month: string, shard: string) => `PAYMENTS#${month}#${shard}`,
  /** An activity's monthly statement (its figures and each member's PDF), one per month, in the activity's statements partition. */
  statement: (activityId: string, month: string) => ({ pk: `STATEMENTS#${activityId}`, sk: `MONTH#${month}` }),
  statementsPrefix: (activityId: string) => ({ pk: `STATEMENTS#${activityId}`, skPrefix: 'MONTH#' }),
  // `PERSON#<personId>` / `STATEMENT#<month>#<activityId>`: a member's copy of a statement, written until decision 39
  // and read by nothing since (their space reads the activity's records); items left in place, never written again.
  /** The year's invoice counter (`next`), its blocks of numbers and the reservations of numbering chunks, in one partition. */
  invoiceCounter: (year: string) => ({ pk: 'SEQ#INVOICE', sk: `YEAR#${year}` }),
  numberBlock: (year: string, first: number) => ({ pk: 'SEQ#INVOICE', sk: `BLOCK#${year}#${String(first).padStart(6, '0')}` }),
  numberBlocksPrefix: (year: string) => ({ pk: 'SEQ#INVOICE', skPrefix: `BLOCK#${year}#` }),
  /** A chunk of a numbering batch that reserved its block (chunks numbered 0000, 0001… within the batch). */
  numberReservation: (batchKey: string, chunk: number) => ({ pk: 'SEQ#INVOICE', sk: `RESERVATION#${batchKey}#${String(chunk).padStart(4, '0')}` }),
  numberReservationsPrefix: (batchKey: string) => ({ pk: 'SEQ#INVOICE', skPrefix: `RESERVATION#${batchKey}#` }),
  /** The monthly invoicing run of a month (its ledger item): every month's run in one partition, so one query lists them, newest first. */
  invoicingRun: (month: string) => ({ pk: 'INVOICING_RUNS', sk: `INVOICING_RUN#${month}` }),
  invoicingRunsPrefix: () => ({ pk: 'INVOICING_RUNS', skPrefix: 'INVOICING_RUN#' }),
} as const;

/** SES for e-mail, End User Messaging SMS for text messages. */
export type MessageProvider = 'ses' | 'sms';

export const INDEX = {
  inbox: 'gsi1',
  handovers: 'gsi1',
  awaitedWorkflows: 'gsi1',
  contactLists: 'gsi1',
  organisation: 'gsi2',
  allReferrals: 'gsi3',
  dueMessages: 'gsi3',
  failedMessages: 'gsi3',
  possibleDuplicates: 'gsi1',
  documentsToReview: 'gsi1',
  onboardingBoard: 'gsi1',
  sessions: 'gsi1',
  awaitedOnboardings: 'gsi1',
  activitiesByStatus: 'gsi2',
  activeActivities: 'gsi3',
  awaitedLaunches: 'gsi1',
  serviceKinds: 'gsi1',
  cohorts: 'gsi1',
  cohortCandidates: 'gsi1',
  monthInvoices: 'gsi3',
  activityInvoices: 'gsi2',
  unpaidInvoices: 'gsi1',
  lateInvoices: 'gsi1',
  activityPayments: 'gsi2',
  monthPayments: 'gsi3',
} as const;
