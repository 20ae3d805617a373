/**
 * The routes of staff's desk (functions/staff/desk-api.ts), read by the stack to declare them (decision 29): no runtime
 * import here. Behind the Cognito authorizer; each handler accepts staff only. Reads only: the writes next to these
 * lists (a decision, a fixed contact, a duplicate's decision) keep functions of their own.
 */
export const STAFF_DESK_ROUTES = [
  'GET /api/staff/inbox',
  'GET /api/staff/messages',
  'GET /api/staff/duplicates',
  'GET /api/approvals/{approvalId}',
  'GET /api/people/{personId}/timeline',
] as const;

export type StaffDeskRoute = (typeof STAFF_DESK_ROUTES)[number];
