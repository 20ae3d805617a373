/**
 * The API's answers as the pages read them: the types of the very functions the handlers build them with
 * (shared/views.ts). Types only: nothing of the server goes into the browser modules.
 */
import type {
  approvalView,
  contactFixAnswer,
  decisionAnswer,
  contactIssueItem,
  inboxItem,
  optOutItem,
  possibleDuplicateItem,
  referralDetail,
  referralSubmissionAnswer,
  referralSummary,
  timelineView,
  undeliveredMessageItem,
  documentRejectionReasonsView,
  documentToReviewItem,
  onboardingBoardItem,
} from '../../shared/views.js';
import type { attendeeView, diagnosisView, sessionView } from '../../shared/session-views.js';
import type { ContractView as ContractViewOf } from '../../shared/data/contracts.js';
import type { ChecklistView, YoungPersonSpaceView } from '../../shared/views.js';
import type { BookingView } from '../../shared/session-views.js';
import type { CompletedUpload, StartedUpload } from '../../shared/data/documents.js';
import type { ContractView } from '../../shared/data/contracts.js';
import type { GuardianConsentView } from '../../shared/domain/guardian-consent.js';
import type { activityListItem, activityView, myActivitiesView, serviceKindView } from '../../shared/activity-views.js';
import type { cohortSummary, cohortView } from '../../shared/views.js';
import type { customerView, declarationView, memberInvoiceView, memberStatementView, monthDeclarationsView } from '../../shared/invoicing-views.js';

/** The members' invoicing (functions/invoicing/member-api.ts). */
export type CustomerView = ReturnType<typeof customerView>;
export type DeclarationView = ReturnType<typeof declarationView>;
export type MonthDeclarationsView = ReturnType<typeof monthDeclarationsView>;
export type MemberInvoiceView = ReturnType<typeof memberInvoiceView>;
export type MemberStatementView = ReturnType<typeof memberStatementView>;

export type { ChecklistView, YoungPersonSpaceView, BookingView, CompletedUpload, StartedUpload, ContractView, GuardianConsentView };
/** PUT /api/me/bank-details (functions/me/bank-details.ts). */
export interface BankDetailsAnswer {
  bankDetails: ChecklistView['bankDetails'];
  changed: boolean;
}
/** GET /api/guardian (functions/guardian/get.ts): the consent asked, and the signed contract once countersigned. */
export type GuardianPageView = GuardianConsentView & { contract?: ContractView };
/** GET /api/me/sessions: where the young person stands and the sessions they can choose (sessions' views). */
export interface MySessionsView {
  booking: BookingView;
  sessions: SessionView[];
}

export type ReferralSummary = ReturnType<typeof referralSummary>;
export type ReferralDetail = ReturnType<typeof referralDetail>;
export type ReferralSubmissionAnswer = ReturnType<typeof referralSubmissionAnswer>;
export type InboxItem = ReturnType<typeof inboxItem>;
export type ApprovalView = ReturnType<typeof approvalView>;
export type DecisionAnswer = ReturnType<typeof decisionAnswer>;
export type TimelineView = ReturnType<typeof timelineView>;
export type PossibleDuplicateItem = ReturnType<typeof possibleDuplicateItem>;
export type ContactIssueItem = ReturnType<typeof contactIssueItem>;
export type OptOutItem = ReturnType<typeof optOutItem>;
export type UndeliveredMessageItem = ReturnType<typeof undeliveredMessageItem>;
export type ContactFixAnswer = ReturnType<typeof contactFixAnswer>;

/** GET /api/staff/messages: each list asked for, and its next cursor (functions/staff/messages.ts). */
export interface MessagesView {
  since: string;
  toFix?: ContactIssueItem[];
  toFixCursor?: string;
  optOuts?: OptOutItem[];
  optOutsCursor?: string;
  failed?: UndeliveredMessageItem[];
  failedCursor?: string;
}

// --- Onboarding (issue 9): the staff's pages ---
export type DocumentToReviewItem = ReturnType<typeof documentToReviewItem>;
/** GET /api/staff/documents: a page of documents awaiting review, and the reasons a rejection chooses from. */
export interface DocumentsToReviewView {
  items: DocumentToReviewItem[];
  cursor?: string;
  rejectionReasons: ReturnType<typeof documentRejectionReasonsView>;
}
/** GET /api/staff/documents/{referralId}/{docType}/file: a short-lived download. */
export interface DocumentFileView {
  url: string;
  fileType: string;
  expiresInSeconds: number;
}
export type SessionView = ReturnType<typeof sessionView>;
export type AttendeeView = ReturnType<typeof attendeeView>;
/** GET /api/staff/sessions/{sessionId} (functions/sessions/get.ts). */
export interface SessionDetailView {
  session: SessionView;
  attendees: AttendeeView[];
  startedAt: boolean;
}
/** POST /api/staff/sessions/{sessionId}/attendance (functions/sessions/attendance.ts). */
export interface AttendanceAnswer {
  attendee: AttendeeView;
  bookingStatus: string;
  settled?: string;
}
export type DiagnosisView = ReturnType<typeof diagnosisView>;
export type OnboardingBoardItem = ReturnType<typeof onboardingBoardItem>;
/** GET /api/staff/onboarding/{referralId}/contract. */
export type StaffContractView = { referralId: string } & ContractViewOf;

// --- Activity launch (issue 10) ---
/** GET /api/staff/activities/{activityId}, and each of GET /api/me/activities's activities (a member's reading). */
export type ActivityView = ReturnType<typeof activityView>;
export type ActivityListItem = ReturnType<typeof activityListItem>;
/** GET /api/me/activities: the young person's activities and the services they may choose. */
export type MyActivitiesView = ReturnType<typeof myActivitiesView>;
export type ServiceKindView = ReturnType<typeof serviceKindView>;
export type CohortSummary = ReturnType<typeof cohortSummary>;
/** GET /api/staff/cohorts/{cohortId}. */
export type CohortView = ReturnType<typeof cohortView>;

// --- Monthly invoicing (issue 11): the staff's console ---
import type { invoiceDetail, invoiceListItem, runView } from '../../shared/invoicing/staff-views.js';
export type InvoiceListItem = ReturnType<typeof invoiceListItem>;
/** GET /api/staff/invoices/{invoiceId}, and the answer of a payment or a release. */
export type InvoiceDetailView = ReturnType<typeof invoiceDetail>;
export type InvoicingRunView = ReturnType<typeof runView>;
/** GET /api/staff/invoicing/months. */
export interface InvoicingMonthsView {
  items: Array<{ month: string; label: string; run: InvoicingRunView | null }>;
}
/** GET /api/staff/invoicing/months/{month}: the run and a page of the month's invoices. */
export interface InvoicingMonthView {
  month: string;
  label: string;
  run: InvoicingRunView | null;
  items: InvoiceListItem[];
  cursor?: string;
}
/** POST /api/staff/invoices/{invoiceId}/resend: where the invoice went again, and the invoice as it stands. */
export interface ResendAnswer {
  resentTo: string;
  notificationId: string;
  invoice: InvoiceDetailView;
}
/** POST /api/staff/invoices/{invoiceId}/cancellation. */
export interface CancellationAnswer {
  creditNote: InvoiceListItem;
  invoice: InvoiceDetailView;
}
