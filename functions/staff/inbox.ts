import * as z from 'zod/mini';
import { apiRoute, json } from '../../shared/http/api.js';
import { getReferralsByIds } from '../../shared/data/referrals.js';
import { listOpenApprovals } from '../../shared/data/approvals.js';
import { PROGRAMMES } from '../../shared/domain/programmes.js';
import { cursorParam, limitParam, PAGE_LIMIT } from '../../shared/domain/paging.js';
import { choice, parseOrThrow } from '../../shared/domain/validation.js';
import { STAFF_WAITING_STEP_KINDS } from '../../shared/domain/waiting-steps.js';
import { inboxItem } from '../../shared/views.js';

const querySchema = z.strictObject(
  {
    kind: z.optional(choice(STAFF_WAITING_STEP_KINDS, 'Type de demande inconnu.')),
    programme: z.optional(choice(PROGRAMMES, 'Programme inconnu.')),
    cursor: cursorParam,
    limit: limitParam,
  },
  'Paramètre inconnu.',
);

/**
 * GET /api/staff/inbox?kind=&programme=&cursor=&limit=: every waiting step open for staff, whatever its kind,
 * oldest first, with its age in Paris days; one page at a time, with the cursor of the next page.
 */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event }) => {
  const query = parseOrThrow(querySchema, event.queryStringParameters ?? {}, 'Les filtres de la liste sont invalides.');
  const page = await listOpenApprovals({ kind: query.kind, programme: query.programme, cursor: query.cursor, limit: query.limit ?? PAGE_LIMIT.default });
  // A subject-only approval (a month's invoicing batch) has no referral to read.
  const referrals = await getReferralsByIds([...new Set(page.items.map((a) => a.referralId).filter(Boolean))]);
  const now = new Date();
  return json(200, {
    items: page.items.map((approval) => inboxItem(approval, referrals.get(approval.referralId), now)),
    ...(page.cursor ? { cursor: page.cursor } : {}),
  });
});
