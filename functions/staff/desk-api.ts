import { apiRouter } from '../../shared/http/router.js';
import { handler as inbox } from './inbox.js';
import { handler as messages } from './messages.js';
import { handler as duplicates } from './duplicates.js';
import { handler as approval } from '../approvals/get.js';
import { handler as timeline } from '../people/timeline.js';
import type { StaffDeskRoute } from './desk-routes.js';

/*
 * Staff's desk: the inbox, the messages sent, the possible duplicates, a decision to take and a person's timeline.
 * One function for these read-only routes (decision 29): its role holds no write. Each route's handler is its own
 * module's `apiRoute`.
 */
export const handler = apiRouter<StaffDeskRoute>({
  'GET /api/staff/inbox': inbox,
  'GET /api/staff/messages': messages,
  'GET /api/staff/duplicates': duplicates,
  'GET /api/approvals/{approvalId}': approval,
  'GET /api/people/{personId}/timeline': timeline,
});
