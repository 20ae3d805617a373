import { PROGRAMME_RULES } from './domain/programmes.js';
import { ACTIVITY_SHAPE_LABELS, tradeNameOf } from './domain/activities.js';
import { REFERRAL_STATUS_LABELS } from './domain/referral.js';
import { REFUSAL_REASONS, refusalReason } from './domain/refusal-reasons.js';
import { ageLabel, ageOn, daysBetween } from './domain/time.js';
import { WAITING_PHASE_LABELS, WAITING_STEP_KIND_LABELS } from './domain/waiting-steps.js';
import type { ApprovalRecord } from './data/approvals.js';
import type { ReferralRecord } from './data/referrals.js';
import type { PersonRecord } from './data/people.js';
import type { PossibleDuplicate } from './data/possible-duplicates.js';
import { MATCH_LABELS } from './domain/person-matching.js';
import { PATH_STATUS_LABELS } from './domain/referral.js';
import type { Timeline } from './data/timeline.js';
import { OPT_OUT_REASON_LABELS, type OptOut } from './notifications/opt-outs.js';
import { CHANNEL_LABELS, ROLE_LABELS, failureLabel, type ContactIssue, type FixResult } from './notifications/contacts.js';
import type { NotificationStatus, OutboxMessage } from './data/outbox.js';
import type { OutboxOwner } from './data/outbox-owners.js';
import type { SendFailureReason } from './notifications/retry-policy.js';

/*
 * What the API answers, built here for the handlers and read as types by the pages' browser modules (browser/):
 * a page is typed by the very function that makes its data.
 */
import {
  ACCEPTED_FILE_TYPES,
  DOCUMENT_REJECTION_REASONS,
  DOCUMENT_STATUS_LABELS,
  DOCUMENT_TYPE_INFO,
  MAX_DOCUMENT_BYTES,
  documentHelp,
  documentRejectionReason,
  maskIban,
  type DocumentType,
} from './domain/documents.js';
import type { Programme } from './domain/programmes.js';
import type { BankDetailsRecord, Checklist, DocumentRecord } from './data/documents.js';
import type { Channel } from './domain/messages/catalogue.js';
import { ONBOARDING_END_REASONS, ONBOARDING_STEP_LABELS, ONBOARDING_STEP_STATUS_LABELS, STAFF_END_REASON_CODES, nextActionOf, type OnboardingStatus, type OnboardingStep, type OnboardingStepStatus } from './domain/onboarding.js';
import type { OnboardingRecord, OnboardingStepItem } from './data/onboarding.js';
import type { Page } from './data/client.js';
import type { ReceivedMessage } from './data/messages-received.js';
import { LINK_MENTION, fillLinkPlaceholder } from './domain/personal-links.js';
import { ACTIVITY_STATUS_LABELS, COMMITTEE_ROLES, COMMITTEE_ROLE_LABELS, type ActivityRecord, type CohortMember } from './domain/activities.js';
import { cohortDatesLabel, townsLabel } from './domain/cohorts.js';
import type { CohortCandidate, StoredCohort } from './data/cohorts.js';

/** What the API shows of a referral in lists. */
export function referralSummary(referral: ReferralRecord) {
  const last = referral.decisions.at(-1);
  return {
    referralId: referral.referralId,
    reference: referral.reference,
    createdAt: referral.createdAt,
    programme: referral.programme,
    programmeLabel: PROGRAMME_RULES[referral.programme].label,
    youngPerson: { firstName: referral.youngPerson.firstName, lastName: referral.youngPerson.lastName },
    organisationName: referral.organisationName,
    status: referral.status,
    statusLabel: REFERRAL_STATUS_LABELS[referral.status],
    decidedAt: last?.decidedAt,
    reasonLabel: last?.reasonCode ? refusalReason(last.reasonCode)?.label : undefined,
  };
}

/**
 * The full referral as its prescriber organisation sees it: what they sent and the decision. Nothing says whether
 * the young person was already known, nor anything another organisation sent: the answer has the same shape either way.
 */
export function prescriberReferralDetail(referral: ReferralRecord) {
  return {
    ...referralSummary(referral),
    programmeStartDate: referral.programmeStartDate,
    youngPerson: referral.youngPerson,
    guardian: referral.guardian,
    projectIdea: referral.projectIdea,
    notes: referral.notes,
    prescriber: { organisationName: referral.organisationName, name: referral.prescriber.name },
    eligibility: { eligible: referral.eligibility.eligible, explanation: referral.eligibility.explanation, ageAtStart: referral.eligibility.ageAtStart },
    decisions: referral.decisions.map((d) => ({
      outcome: d.outcome,
      decidedAt: d.decidedAt,
      decidedBy: d.decidedBy.name,
      reasonLabel: d.reasonCode ? refusalReason(d.reasonCode)?.label : undefined,
    })),
  };
}

/** The full referral for staff: also the person it is filed under and how that person was recognised. */
export function referralDetail(referral: ReferralRecord) {
  return {
    ...prescriberReferralDetail(referral),
    personId: referral.personId,
    duplicate: staffDuplicateView(referral),
  };
}

/** What staff read of a referral's matching: known person (strong match) or "doublon possible" to settle. */
function staffDuplicateView(referral: ReferralRecord) {
  const { linked, matchedBy, previousReferrals, possibleDuplicateOf = [] } = referral.duplicate;
  return { linked, matchedBy, matchedByLabels: matchedBy.map((k) => MATCH_LABELS[k]), previousReferrals, possibleDuplicates: possibleDuplicateOf.length };
}

/**
 * One waiting step in the staff inbox, whatever its kind: its age in Paris days since the subject started
 * waiting, and what staff need to open it; a referral's step also shows the young person and the prescriber, an
 * activity's launch the activity and its programme (and its holder, for a personal one).
 */
export function inboxItem(approval: ApprovalRecord, referralFound: ReferralRecord | undefined, now = new Date()) {
  const since = new Date(approval.since);
  // A collective activity's approval is filed under one member: the inbox names the activity, not that member.
  const referral = approval.activity?.shape === 'collective' ? undefined : referralFound;
  return {
    approvalId: approval.approvalId,
    kind: approval.kind,
    kindLabel: WAITING_STEP_KIND_LABELS[approval.kind],
    phase: approval.phase,
    phaseLabel: WAITING_PHASE_LABELS[approval.phase],
    since: approval.since,
    ageDays: Math.max(0, daysBetween(since, now)),
    ageLabel: ageLabel(since, now),
    referralId: approval.referralId,
    personId: approval.personId,
    ...(approval.incident ? { incident: { step: approval.incident.step, explanation: approval.incident.explanation } } : {}),
    ...(approval.invoicingRun ? { invoicingRun: approval.invoicingRun } : {}),
    ...(approval.activity
      ? {
          activity: { ...approval.activity, shapeLabel: ACTIVITY_SHAPE_LABELS[approval.activity.shape] },
          ...(approval.programme ? { programme: approval.programme, programmeLabel: PROGRAMME_RULES[approval.programme].label } : {}),
        }
      : {}),
    ...(referral
      ? {
          reference: referral.reference,
          createdAt: referral.createdAt,
          programme: referral.programme,
          programmeLabel: PROGRAMME_RULES[referral.programme].label,
          youngPerson: {
            firstName: referral.youngPerson.firstName,
            lastName: referral.youngPerson.lastName,
            birthDate: referral.youngPerson.birthDate,
            town: referral.youngPerson.town,
            qpv: referral.youngPerson.qpv,
          },
          prescriber: { organisationName: referral.organisationName, name: referral.prescriber.name },
          eligibility: { eligible: referral.eligibility.eligible, explanation: referral.eligibility.explanation },
          duplicate: staffDuplicateView(referral),
        }
      : {}),
  };
}

/**
 * One young person on the staff's onboarding board: their checklist (every step that applies, with its status),
 * the step the path waits on now (the team's review when a step is stuck) and its age in Paris days.
 */
export function onboardingBoardItem(onboarding: OnboardingRecord, steps: OnboardingStepItem[], referral: ReferralRecord | undefined, now = new Date()) {
  const review = steps.find((s) => s.step === 'review' && s.status === 'waiting');
  const current = review ?? steps.find((s) => s.step === onboarding.currentStep);
  const since = new Date(current?.status === 'waiting' ? current.since : onboarding.startedAt);
  return {
    referralId: onboarding.referralId,
    personId: onboarding.personId,
    programme: onboarding.programme,
    programmeLabel: PROGRAMME_RULES[onboarding.programme].label,
    minor: onboarding.minor,
    startedAt: onboarding.startedAt,
    waitingOn: {
      step: current?.step ?? onboarding.currentStep,
      label: ONBOARDING_STEP_LABELS[current?.step ?? onboarding.currentStep],
      ...(review?.stuckStep ? { stuckStep: review.stuckStep, stuckStepLabel: ONBOARDING_STEP_LABELS[review.stuckStep] } : {}),
      since: since.toISOString(),
      ageDays: Math.max(0, daysBetween(since, now)),
      ageLabel: ageLabel(since, now),
    },
    checklist: steps
      .filter((s) => s.step !== 'review' && s.status !== 'skipped')
      .map((s) => ({ step: s.step, label: ONBOARDING_STEP_LABELS[s.step], status: s.status, statusLabel: ONBOARDING_STEP_STATUS_LABELS[s.status], ...(s.outcome ? { outcome: s.outcome } : {}) })),
    ...(referral
      ? { reference: referral.reference, youngPerson: { firstName: referral.youngPerson.firstName, lastName: referral.youngPerson.lastName, town: referral.youngPerson.town } }
      : {}),
  };
}

export const refusalReasonsView = () => REFUSAL_REASONS.map((r) => ({ code: r.code, label: r.label, shownToYoungPerson: r.shownToYoungPerson }));

/** A "doublon possible" for staff: the two people side by side, why they were matched, and the referral that raised it. */
export function possibleDuplicateItem(flag: PossibleDuplicate, people: Map<string, PersonRecord>, referral: ReferralRecord | undefined) {
  const side = (personId: string) => {
    const person = people.get(personId);
    return person
      ? { personId, firstName: person.firstName, lastName: person.lastName, birthDate: person.birthDate, email: person.email, phone: person.phone, town: person.town, createdAt: person.createdAt, referralCount: person.referralCount }
      : { personId };
  };
  return {
    duplicateId: flag.duplicateId,
    createdAt: flag.createdAt,
    matchedBy: flag.matchedBy,
    matchedByLabels: flag.matchedBy.map((k) => MATCH_LABELS[k]),
    newPerson: side(flag.personId),
    knownPerson: side(flag.candidatePersonId),
    referral: referral
      ? { referralId: referral.referralId, reference: referral.reference, programmeLabel: PROGRAMME_RULES[referral.programme].label, organisationName: referral.organisationName, createdAt: referral.createdAt }
      : undefined,
  };
}

/** The answer of POST /api/referrals: the same shape whether the young person was known or not, nothing to probe. */
export function referralSubmissionAnswer(referral: ReferralRecord) {
  return {
    referralId: referral.referralId,
    reference: referral.reference,
    status: referral.status,
    eligibility: { eligible: referral.eligibility.eligible, explanation: referral.eligibility.explanation },
  };
}

/** GET /api/approvals/{approvalId}: one waiting step as staff open it, with the outcomes still allowed (none once closed). */
export function approvalView(approval: ApprovalRecord, referral: ReferralRecord | undefined, allowedOutcomes: readonly string[]) {
  return {
    approvalId: approval.approvalId,
    kind: approval.kind,
    kindLabel: WAITING_STEP_KIND_LABELS[approval.kind],
    status: approval.status,
    phase: approval.phase,
    phaseLabel: WAITING_PHASE_LABELS[approval.phase],
    decidedAt: approval.decidedAt,
    decidedBy: approval.decidedBy?.name,
    closedAt: approval.closedAt,
    outcome: approval.outcome,
    ...(approval.incident ? { incident: { step: approval.incident.step, explanation: approval.incident.explanation } } : {}),
    // An activity's launch is decided on the activity's page: the decision page leads there.
    ...(approval.activity ? { activity: approval.activity } : {}),
    // A subject-only approval (a month's invoicing batch) names its run instead of a referral.
    ...(referral ? { referral: referralDetail(referral) } : {}),
    ...(approval.invoicingRun ? { invoicingRun: approval.invoicingRun } : {}),
    allowedOutcomes: [...allowedOutcomes],
    refusalReasons: refusalReasonsView(),
    // An onboarding's review: the step that is stuck, and the reasons staff may end the path with.
    ...(approval.kind === 'onboarding-review' ? onboardingReviewView(approval) : {}),
  };
}

function onboardingReviewView(approval: ApprovalRecord) {
  const stuckStep = (approval as ApprovalRecord & { onboardingStep?: OnboardingStep }).onboardingStep;
  return {
    ...(stuckStep ? { stuckStep, stuckStepLabel: ONBOARDING_STEP_LABELS[stuckStep] } : {}),
    endReasons: STAFF_END_REASON_CODES.map((code) => ({ code, label: ONBOARDING_END_REASONS[code] })),
  };
}

/** The answer of POST /api/approvals/{approvalId}/decision. */
export function decisionAnswer(approval: Pick<ApprovalRecord, 'approvalId' | 'kind' | 'referralId'>, outcome: string, statusLabel: string) {
  return { approvalId: approval.approvalId, kind: approval.kind, referralId: approval.referralId, outcome, status: outcome, statusLabel };
}

/** An address's opt-out as staff read it. */
const optOutView = (o: OptOut | undefined) => (o ? { reason: o.reason, reasonLabel: OPT_OUT_REASON_LABELS[o.reason], at: o.at } : undefined);

/** GET /api/people/{personId}/timeline: a young person's path, every transition with who, when and why. */
export function timelineView(timeline: Timeline, optOuts: { email?: OptOut; sms?: OptOut }) {
  const { person, pathStatus, joinedPersonIds, referrals, events, notifications } = timeline;
  return {
    person: {
      personId: person.personId,
      firstName: person.firstName,
      lastName: person.lastName,
      birthDate: person.birthDate,
      email: person.email,
      phone: person.phone,
      town: person.town,
      pathStatus,
      pathStatusLabel: PATH_STATUS_LABELS[pathStatus],
      // Records staff confirmed to be this person: their referrals and messages are listed here.
      joinedPersonIds,
      // Staff see at once that this person gets no SMS (STOP) or only mandatory e-mails (complaint).
      optOuts: { email: optOutView(optOuts.email), sms: optOutView(optOuts.sms) },
    },
    referrals: referrals.map(referralSummary),
    events,
    // The outbox items as stored: the page reads these fields of each.
    notifications: notifications as unknown as Array<
      Pick<OutboxMessage, 'notificationId' | 'kind' | 'role' | 'channel' | 'status' | 'createdAt'> & Partial<Pick<OutboxMessage, 'sentAt' | 'providerMessageId'>>
    >,
  };
}

const MESSAGE_STATUS_LABELS: Partial<Record<NotificationStatus, string>> = { bounced: 'Rejeté (adresse invalide)', failed: 'Non remis', cancelled: "Annulé (plus d'actualité)" };
/** Why the outbox gave a message up without the provider ever accepting it. */
const SEND_FAILURE_LABELS: Record<SendFailureReason, string> = {
  'attempts-exhausted': 'Fournisseur indisponible ou en erreur à chaque tentative',
  'provider-rejected': 'Adresse ou numéro refusé par le fournisseur (format, pays non couvert)',
  'attachment-missing': "Pièce jointe introuvable (le document n'a pas été produit ou a été supprimé)",
  'attachments-too-large': 'Pièces jointes trop lourdes (40 Mo au plus par message)',
};
const isSendFailure = (reason: string | undefined): reason is SendFailureReason => reason !== undefined && reason in SEND_FAILURE_LABELS;

/** A message's status in words: a message the outbox gave up says how, the others what the provider reported. */
function messageStatusLabel(message: OutboxMessage): string {
  if (message.status === 'failed' && message.statusReason === 'attempts-exhausted') return `Échec d'envoi après ${message.attempts} tentatives`;
  if (message.status === 'failed' && message.statusReason === 'provider-rejected') return "Échec d'envoi : refusé par le fournisseur";
  if (message.status === 'failed' && message.statusReason === 'attachment-missing') return "Échec d'envoi : pièce jointe introuvable";
  if (message.status === 'failed' && message.statusReason === 'attachments-too-large') return "Échec d'envoi : pièces jointes trop lourdes";
  return MESSAGE_STATUS_LABELS[message.status] ?? message.status;
}

/** The name of a message's owner that no record holds any more (nor ever did: a forged or purged id). */
export const UNKNOWN_OWNER_NAME = 'Personne inconnue';

/**
 * Who a message of staff's lists was for (shared/data/outbox-owners.ts): `personName` in words, and in `owner` what the
 * page links to. A young person by their name (their timeline); a customer by their name and the activity's trade name,
 * with the ids of the activity's customers page, where their e-mail is corrected, and of the invoice the message was about.
 * @example outboxOwnerView(owner).personName // 'Client : Boulangerie Martin — activité « Les Jardins de Léa »'
 */
export function outboxOwnerView(owner: OutboxOwner | undefined) {
  if (owner?.kind === 'person') return { personName: `${owner.person.firstName} ${owner.person.lastName}`, owner: { kind: 'person' as const } };
  if (owner?.kind !== 'customer') return { personName: UNKNOWN_OWNER_NAME, owner: { kind: 'unknown' as const } };
  const { invoice } = owner;
  // The customer as they are now (a renamed customer is found by their new name); the invoice's copy if they are gone.
  const customerName = owner.customer?.name ?? invoice.customer.name;
  const activityName = owner.activity ? tradeNameOf(owner.activity) : undefined;
  const document = invoice.kind === 'credit-note' ? 'Avoir' : 'Facture';
  return {
    personName: `Client : ${customerName}${activityName ? ` — activité « ${activityName} »` : ''}`,
    owner: {
      kind: 'customer' as const,
      customerName,
      ...(activityName ? { activityName } : {}),
      activityId: invoice.activityId,
      customerId: invoice.customer.customerId,
      invoiceId: invoice.invoiceId,
      invoiceLabel: invoice.number ? `${document} ${invoice.number}` : document,
    },
  };
}
export type OutboxOwnerView = ReturnType<typeof outboxOwnerView>;

/** A contact to fix in GET /api/staff/messages (`toFix`). */
export function contactIssueItem(issue: ContactIssue, owner: OutboxOwnerView) {
  return {
    personId: issue.personId,
    issueId: issue.issueId,
    role: issue.role,
    roleLabel: ROLE_LABELS[issue.role],
    channel: issue.channel,
    channelLabel: CHANNEL_LABELS[issue.channel],
    address: issue.address,
    ...owner,
    reason: issue.reason,
    reasonLabel: failureLabel(issue.reason),
    firstFailedAt: issue.firstFailedAt,
    lastFailedAt: issue.lastFailedAt,
    failedMessages: issue.notificationIds.length,
  };
}

/** An opt-out in GET /api/staff/messages (`optOuts`); whom the address's last message was for, when known. */
export function optOutItem(optOut: OptOut, owner: OutboxOwnerView | undefined) {
  const known = optOut.personId !== undefined && owner !== undefined;
  return {
    channel: optOut.channel,
    channelLabel: CHANNEL_LABELS[optOut.channel],
    address: optOut.address,
    reason: optOut.reason,
    reasonLabel: OPT_OUT_REASON_LABELS[optOut.reason],
    at: optOut.at,
    // Left out of the JSON (undefined) for an address nobody the system knows.
    personId: known ? optOut.personId : undefined,
    personName: known ? owner.personName : undefined,
    owner: known ? owner.owner : undefined,
  };
}

/** A message not delivered in GET /api/staff/messages (`failed`). */
export function undeliveredMessageItem(message: OutboxMessage & { personId: string }, owner: OutboxOwnerView) {
  return {
    personId: message.personId,
    ...owner,
    notificationId: message.notificationId,
    kind: message.kind,
    role: message.role,
    roleLabel: ROLE_LABELS[message.role],
    channel: message.channel,
    to: message.to,
    status: message.status,
    statusLabel: messageStatusLabel(message),
    statusReason: message.statusReason,
    statusReasonLabel: isSendFailure(message.statusReason) ? SEND_FAILURE_LABELS[message.statusReason] : failureLabel(message.statusReason),
    attempts: message.attempts,
    statusAt: message.statusAt,
    sentAt: message.sentAt,
    // A customer's e-mail whose invoice staff sent again to the corrected address (shared/invoicing/resend.ts).
    ...(message.resentAt ? { resentAt: message.resentAt, resentTo: message.resentTo } : {}),
  };
}

/** The answer of POST /api/people/{personId}/contact-issues/{issueId}/fix. */
export const contactFixAnswer = (result: FixResult) => ({ status: 'fixed' as const, ...result });
/** The masked bank details: what staff and the young person see of an IBAN once typed. */
export function bankDetailsView(details: BankDetailsRecord | undefined) {
  return details ? { ibanMasked: maskIban(details.iban), holder: details.holder, updatedAt: details.updatedAt } : undefined;
}

/** One document of the checklist as the young person sees it: what to send, its status, and why it was rejected. */
export function checklistDocumentView(docType: DocumentType, programme: Programme, document: DocumentRecord | undefined) {
  const status = document?.status ?? 'missing';
  const reason = document?.status === 'rejected' && document.rejection ? documentRejectionReason(document.rejection.reasonCode) : undefined;
  return {
    docType,
    label: DOCUMENT_TYPE_INFO[docType].label,
    help: documentHelp(docType, programme),
    status,
    statusLabel: DOCUMENT_STATUS_LABELS[status],
    ...(document?.submittedAt ? { submittedAt: document.submittedAt } : {}),
    ...(document?.reviewedAt && status !== 'submitted' ? { reviewedAt: document.reviewedAt } : {}),
    ...(reason ? { rejection: { reasonCode: reason.code, reasonLabel: reason.label, ...(document?.rejection?.message ? { message: document.rejection.message } : {}) } } : {}),
  };
}

/** GET /api/me/documents: the young person's checklist, the bank details masked, and the upload limits. */
export function checklistView(checklist: Checklist) {
  const programme = checklist.referral.programme;
  return {
    referralId: checklist.referral.referralId,
    documents: checklist.required.map((docType) => checklistDocumentView(docType, programme, checklist.documents.get(docType))),
    bankDetails: bankDetailsView(checklist.bankDetails),
    complete: checklist.complete,
    limits: { maxBytes: MAX_DOCUMENT_BYTES, types: [...ACCEPTED_FILE_TYPES] },
  };
}
export type ChecklistView = ReturnType<typeof checklistView>;

/** One document awaiting review in the staff list: whose, which, since when; bank details masked. */
export function documentToReviewItem(document: DocumentRecord, referral: ReferralRecord | undefined, bankDetails: BankDetailsRecord | undefined, now = new Date()) {
  const since = new Date(document.submittedAt ?? document.updatedAt);
  return {
    referralId: document.referralId,
    personId: document.personId,
    docType: document.docType,
    label: DOCUMENT_TYPE_INFO[document.docType].label,
    programme: document.programme,
    programmeLabel: PROGRAMME_RULES[document.programme].label,
    submittedAt: document.submittedAt,
    ageDays: Math.max(0, daysBetween(since, now)),
    ageLabel: ageLabel(since, now),
    fileType: document.fileType,
    size: document.size,
    // A resent document: staff see why the previous one was rejected.
    previousRejections: document.history.filter((h) => h.status === 'rejected').length,
    ...(referral ? { reference: referral.reference, youngPerson: { firstName: referral.youngPerson.firstName, lastName: referral.youngPerson.lastName, birthDate: referral.youngPerson.birthDate } } : {}),
    ...(document.docType === 'bank-details' ? { bankDetails: bankDetailsView(bankDetails) } : {}),
  };
}
export type DocumentToReviewItem = ReturnType<typeof documentToReviewItem>;

export const documentRejectionReasonsView = () => DOCUMENT_REJECTION_REASONS.map((r) => ({ code: r.code, label: r.label }));
/** A message as the young person's space shows it again: its text, with a mention where its personal link was. */
export interface ReceivedMessageView {
  at: string;
  channel: Channel;
  channelLabel: string;
  subject?: string;
  text: string;
}

/** One onboarding step in the young person's space. */
export interface SpaceStepView {
  step: OnboardingStep;
  label: string;
  status: OnboardingStepStatus;
  statusLabel: string;
  /** The step the path waits on now. */
  current: boolean;
  since: string;
  doneAt?: string;
  /** What the young person reads about it: what to do, or that nothing is asked of them. */
  action: string;
}

/** Where in the space the young person acts on the current step; none when someone else acts. */
export type SpaceSection = 'sessions' | 'documents' | 'contract';

/** GET /api/me: the young person's space ("Mon parcours"). */
export interface YoungPersonSpaceView {
  firstName: string;
  programme: Programme;
  programmeLabel: string;
  reference: string;
  onboarding: { status: OnboardingStatus | 'not-started'; statusLabel: string; startedAt?: string };
  /** The steps that concern them, in order (a step that does not apply, or a review that did not happen, is left out). */
  steps: SpaceStepView[];
  next: { step?: OnboardingStep; text: string; section?: SpaceSection };
  /** Newest first; `cursor` asks for the next page (`GET /api/me?cursor=`). */
  messages: { items: ReceivedMessageView[]; cursor?: string };
}

const SPACE_STATUS_LABELS: Record<YoungPersonSpaceView['onboarding']['status'], string> = {
  'not-started': 'Accueil à venir',
  active: 'Accueil en cours',
  ready: 'Accueil terminé : prêt pour le lancement',
  ended: 'Parcours arrêté',
};

const SECTION_OF_STEP: Partial<Record<OnboardingStep, SpaceSection>> = { 'information-session': 'sessions', documents: 'documents', 'contract-acceptance': 'contract' };

function spaceNext(onboarding: OnboardingRecord | undefined, steps: OnboardingStepItem[]): YoungPersonSpaceView['next'] {
  if (!onboarding) return { text: 'Votre accueil va commencer : vous recevrez très vite une invitation à une réunion d’information.' };
  if (onboarding.status === 'ready') return { text: "Votre accueil est terminé : l'équipe prépare avec vous le lancement de votre activité." };
  if (onboarding.status === 'ended') return { text: "Votre parcours d'accueil est arrêté. Pour en parler, contactez l'équipe CoopConnexion." };
  const current = steps.find((s) => s.step === onboarding.currentStep);
  const status = current?.status ?? 'todo';
  return {
    step: onboarding.currentStep,
    text: nextActionOf(onboarding.currentStep, status, onboarding.minor),
    ...(status === 'waiting' && SECTION_OF_STEP[onboarding.currentStep] ? { section: SECTION_OF_STEP[onboarding.currentStep] } : {}),
  };
}

/**
 * The young person's space: their first name and programme, each step of their onboarding with its status, what to
 * do next, and a page of the messages they received (never a link: a mention stands where it was).
 */
export function youngPersonSpace(referral: ReferralRecord, onboarding: OnboardingRecord | undefined, steps: OnboardingStepItem[], messages: Page<ReceivedMessage>): YoungPersonSpaceView {
  const shown = steps.filter((s) => s.status !== 'skipped' && (s.step !== 'review' || s.status !== 'todo'));
  return {
    firstName: referral.youngPerson.firstName,
    programme: referral.programme,
    programmeLabel: PROGRAMME_RULES[referral.programme].label,
    reference: referral.reference,
    onboarding: {
      status: onboarding?.status ?? 'not-started',
      statusLabel: SPACE_STATUS_LABELS[onboarding?.status ?? 'not-started'],
      ...(onboarding ? { startedAt: onboarding.startedAt } : {}),
    },
    steps: shown.map((s) => ({
      step: s.step,
      label: ONBOARDING_STEP_LABELS[s.step],
      status: s.status,
      statusLabel: ONBOARDING_STEP_STATUS_LABELS[s.status],
      current: onboarding?.status === 'active' && onboarding.currentStep === s.step,
      since: s.since,
      ...(s.doneAt ? { doneAt: s.doneAt } : {}),
      action: nextActionOf(s.step, s.status, onboarding?.minor ?? false),
    })),
    next: spaceNext(onboarding, steps),
    messages: {
      items: messages.items.map((m) => ({
        at: m.sentAt ?? m.createdAt,
        channel: m.channel,
        channelLabel: m.channel === 'email' ? 'E-mail' : 'SMS',
        ...(m.subject ? { subject: m.personalLink ? fillLinkPlaceholder(m.subject, m.personalLink, LINK_MENTION) : m.subject } : {}),
        text: m.personalLink ? fillLinkPlaceholder(m.body, m.personalLink, LINK_MENTION) : m.body,
      })),
      ...(messages.cursor ? { cursor: messages.cursor } : {}),
    },
  };
}

// --- CJS cohorts (shared/data/cohorts.ts) ---

/** A cohort as staff list it: dates and towns in French, its seats, its collective activity. */
export function cohortSummary(cohort: StoredCohort) {
  return {
    cohortId: cohort.cohortId,
    name: cohort.name,
    year: cohort.year,
    startDate: cohort.startDate,
    endDate: cohort.endDate,
    datesLabel: cohortDatesLabel(cohort.startDate, cohort.endDate),
    towns: cohort.towns,
    townsLabel: townsLabel(cohort.towns),
    capacity: cohort.capacity,
    seatsTaken: cohort.seatsTaken,
    seatsLeft: Math.max(0, cohort.capacity - cohort.seatsTaken),
    activityId: cohort.activityId,
    createdAt: cohort.createdAt,
  };
}

/**
 * The cohort page: its members with their committee roles, and whether members may still change (only while its
 * collective activity is a draft). Names only: contact details stay on each person's timeline.
 */
export function cohortView(
  cohort: StoredCohort,
  members: readonly CohortMember[],
  activity: Pick<ActivityRecord, 'status'> | undefined,
  candidates: { items: readonly CohortCandidate[]; more: boolean } = { items: [], more: false },
) {
  return {
    ...cohortSummary(cohort),
    activityStatus: activity?.status,
    activityStatusLabel: activity ? ACTIVITY_STATUS_LABELS[activity.status] : undefined,
    membersEditable: activity?.status === 'draft',
    members: members.map((m) => ({
      referralId: m.referralId,
      personId: m.personId,
      name: m.name,
      committeeRole: m.committeeRole,
      committeeRoleLabel: m.committeeRole ? COMMITTEE_ROLE_LABELS[m.committeeRole] : undefined,
      placedAt: m.placedAt,
    })),
    committeeRoles: COMMITTEE_ROLES.map((code) => ({ code, label: COMMITTEE_ROLE_LABELS[code] })),
    // Who may be placed: their town and age at the cohort's start help choose; no birth date or contact here.
    candidates: candidates.items.map((c) => ({ referralId: c.referralId, personId: c.personId, name: c.name, town: c.town, ageAtStart: ageOn(c.birthDate, cohort.startDate), readyAt: c.readyAt })),
    moreCandidates: candidates.more,
  };
}
export type CohortView = ReturnType<typeof cohortView>;
