import type { InvoicingRunStatus } from '../../shared/domain/invoicing/run.js';

/*
 * Driving a month's invoicing run as staff do, over HTTP: the month's page (`GET /api/staff/invoicing/months/{month}`)
 * polled until the run reaches a status, its invoices read page by page, and the batch validated from the inbox by
 * the generic decision route. Shared by the end-to-end test (test/e2e/invoicing-run.test.ts) and `npm run smoke`
 * (scripts/smoke-invoicing.ts), each with its own HTTP client and its own way of waiting.
 */

/** A staff member's call of the API: the answer's status and parsed JSON body. */
export type StaffCall = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;

const monthPath = (month: string) => `/api/staff/invoicing/months/${month}`;

/**
 * A probe of the month's page for a poll: the page once its run is at `status` (when awaiting validation, with the
 * approval to decide), undefined before.
 */
export function monthRunAt(staff: StaffCall, month: string, status: InvoicingRunStatus): () => Promise<any> {
  return async () => {
    const page = await staff('GET', monthPath(month));
    const run = page.body?.run;
    return run?.status === status && (status !== 'awaiting-validation' || run.approvalId) ? page.body : undefined;
  };
}

/** Every invoice and credit note of the month, as its page lists them, following the cursor. */
export async function monthInvoices(staff: StaffCall, month: string): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | undefined;
  do {
    const page = await staff('GET', `${monthPath(month)}?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (page.status !== 200) throw new Error(`GET ${monthPath(month)}: ${page.status}`);
    items.push(...page.body.items);
    cursor = page.body.cursor;
  } while (cursor);
  return items;
}

/**
 * Staff validate the month's batch from their inbox: the `invoicing-batch` item of the approval, then the decision
 * `{ outcome: 'approve', held }`. `inboxItem` is undefined when the inbox does not list it (the decision is not sent).
 */
export async function validateMonthBatch(staff: StaffCall, approvalId: string, held: Array<{ invoiceId: string; reason: string }> = []) {
  const inbox = await staff('GET', '/api/staff/inbox?kind=invoicing-batch&limit=100');
  const inboxItem = (inbox.body?.items as Array<{ approvalId: string }> | undefined)?.find((item) => item.approvalId === approvalId);
  if (!inboxItem) return { inbox, inboxItem, decided: undefined };
  const decided = await staff('POST', `/api/approvals/${approvalId}/decision`, { outcome: 'approve', held });
  return { inbox, inboxItem, decided };
}
