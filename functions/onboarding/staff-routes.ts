/**
 * The routes of staff's side of the onboarding (functions/onboarding/staff-api.ts), read by the stack to declare them (decision 29): no
 * runtime import here. Behind the Cognito authorizer; each handler accepts staff only.
 */
export const STAFF_ONBOARDING_ROUTES = [
  'GET /api/staff/onboarding',
  'GET /api/staff/sessions',
  'POST /api/staff/sessions',
  'GET /api/staff/sessions/{sessionId}',
  'POST /api/staff/sessions/{sessionId}/attendance',
  'GET /api/staff/documents',
  'POST /api/staff/documents/{referralId}/{docType}/review',
  'GET /api/staff/documents/{referralId}/{docType}/file',
  'PUT /api/staff/onboarding/{referralId}/diagnosis',
  'GET /api/staff/onboarding/{referralId}/diagnosis',
  'GET /api/staff/onboarding/{referralId}/contract',
] as const;

export type StaffOnboardingRoute = (typeof STAFF_ONBOARDING_ROUTES)[number];
