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
  'POST /api/staff/invoices/{invoiceId}/release',
] as const satisfies readonly RouteKey[];

export type StaffInvoicingRoute = (typeof STAFF_INVOICING_ROUTES)[number];
