import { apiRouter } from '../../shared/http/router.js';
import { handler as staffOnboarding } from '../staff/onboarding.js';
import { handler as sessionList } from '../sessions/list.js';
import { handler as sessionCreate } from '../sessions/create.js';
import { handler as sessionGet } from '../sessions/get.js';
import { handler as sessionAttendance } from '../sessions/attendance.js';
import { handler as documentStaffList } from '../documents/staff-list.js';
import { handler as documentStaffReview } from '../documents/staff-review.js';
import { handler as documentStaffFile } from '../documents/staff-file.js';
import { handler as diagnosis } from './diagnosis.js';
import { handler as getDiagnosis } from './get-diagnosis.js';
import { handler as staffOnboardingContract } from '../staff/onboarding-contract.js';
import type { StaffOnboardingRoute } from './staff-routes.js';

/*
 * Staff's side of the onboarding: the board, information sessions and attendance, the documents to review, the
 * diagnosis interview and the contract. One function for these routes (decision 29); each route's handler is its own
 * module's `apiRoute`. The answers that settle a step (attendance, review, diagnosis) wake the onboarding workflow.
 */
export const handler = apiRouter<StaffOnboardingRoute>({
  'GET /api/staff/onboarding': staffOnboarding,
  'GET /api/staff/sessions': sessionList,
  'POST /api/staff/sessions': sessionCreate,
  'GET /api/staff/sessions/{sessionId}': sessionGet,
  'POST /api/staff/sessions/{sessionId}/attendance': sessionAttendance,
  'GET /api/staff/documents': documentStaffList,
  'POST /api/staff/documents/{referralId}/{docType}/review': documentStaffReview,
  'GET /api/staff/documents/{referralId}/{docType}/file': documentStaffFile,
  'PUT /api/staff/onboarding/{referralId}/diagnosis': diagnosis,
  'GET /api/staff/onboarding/{referralId}/diagnosis': getDiagnosis,
  'GET /api/staff/onboarding/{referralId}/contract': staffOnboardingContract,
});
