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
} from '../../shared/views.js';
import type { ChecklistView, YoungPersonSpaceView } from '../../shared/views.js';
import type { BookingView, SessionView } from '../../shared/session-views.js';
import type { CompletedUpload, StartedUpload } from '../../shared/data/documents.js';
import type { ContractView } from '../../shared/data/contracts.js';
import type { GuardianConsentView } from '../../shared/domain/guardian-consent.js';

export type { ChecklistView, YoungPersonSpaceView, BookingView, SessionView, CompletedUpload, StartedUpload, ContractView, GuardianConsentView };
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
