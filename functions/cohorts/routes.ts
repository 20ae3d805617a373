/**
 * The routes of the CJS cohorts (functions/cohorts/api.ts), read by the stack to declare them (decision 29): no runtime import
 * here. Behind the Cognito authorizer; each handler accepts staff only.
 */
export const COHORTS_ROUTES = [
  'GET /api/staff/cohorts',
  'POST /api/staff/cohorts',
  'GET /api/staff/cohorts/{cohortId}',
  'PUT /api/staff/cohorts/{cohortId}',
  'POST /api/staff/cohorts/{cohortId}/members',
  'PUT /api/staff/cohorts/{cohortId}/members/{referralId}',
  'DELETE /api/staff/cohorts/{cohortId}/members/{referralId}',
] as const;

export type CohortsRoute = (typeof COHORTS_ROUTES)[number];
