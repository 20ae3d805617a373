import type { RouteKey } from '../http/router.js';

/**
 * The staff's invoicing routes (decision 29): one function, functions/invoicing/staff-api.ts, serves them all; the
 * stack declares exactly these (`addProtectedRoutes`). Kept without runtime imports so that the stack can read it.
 * The month's export is `?format=csv` on the month, the late list `?late=true` on the unpaid one (decision 29).
 */
export const STAFF_INVOICING_ROUTES = [
  'GET /api/staff/invoicing/months',
  'POST /api/staff/invoicing/runs',
  'GET /api/staff/invoicing/months/{month}',
  'GET /api/staff/invoicing/unpaid',
  'GET /api/staff/invoices/{invoiceId}',
  'GET /api/staff/invoices/{invoiceId}/pdf',
  'POST /api/staff/invoices/{invoiceId}/payments',
  'POST /api/staff/invoices/{invoiceId}/cancellation',
  // Money given back to the customer of a cancelled invoice they had paid (decision 54).
  'POST /api/staff/invoices/{invoiceId}/refunds',
  'POST /api/staff/invoices/{invoiceId}/release',
  // "Renvoyer la facture": its e-mail again, to the customer's corrected address (shared/invoicing/resend.ts).
  'POST /api/staff/invoices/{invoiceId}/resend',
  // An activity's customers and a month's declarations, recorded by staff on a member's behalf (shared/invoicing/recording.ts, as the members' routes).
  'GET /api/staff/activities/{activityId}/customers',
  'POST /api/staff/activities/{activityId}/customers',
  'PUT /api/staff/activities/{activityId}/customers/{customerId}',
  'GET /api/staff/activities/{activityId}/months/{month}/declarations',
  'POST /api/staff/activities/{activityId}/months/{month}/declarations',
  'PUT /api/staff/activities/{activityId}/months/{month}/declarations/{declarationId}',
  'DELETE /api/staff/activities/{activityId}/months/{month}/declarations/{declarationId}',
] as const satisfies readonly RouteKey[];

export type StaffInvoicingRoute = (typeof STAFF_INVOICING_ROUTES)[number];
