/**
 * The routes of the members' invoicing (functions/invoicing/member-api.ts), read by the stack to declare them
 * (decision 29): no runtime import here, the stack's synthesis reads this module. Public at the gateway; each
 * handler accepts only a young person's personal link, and only for an activity they are a member of.
 */
export const MEMBER_INVOICING_ROUTES = [
  'GET /api/me/activities/{activityId}/customers',
  'POST /api/me/activities/{activityId}/customers',
  'PUT /api/me/activities/{activityId}/customers/{customerId}',
  'GET /api/me/activities/{activityId}/months/{month}/declarations',
  'POST /api/me/activities/{activityId}/months/{month}/declarations',
  'PUT /api/me/activities/{activityId}/months/{month}/declarations/{declarationId}',
  'DELETE /api/me/activities/{activityId}/months/{month}/declarations/{declarationId}',
  'GET /api/me/activities/{activityId}/months/{month}/invoices',
  'GET /api/me/activities/{activityId}/invoices/{invoiceId}/pdf',
  'GET /api/me/activities/{activityId}/months/{month}/statement',
  'GET /api/me/activities/{activityId}/months/{month}/statement/pdf',
] as const;

export type MemberInvoicingRoute = (typeof MEMBER_INVOICING_ROUTES)[number];
