import * as z from 'zod/mini';
import { apiRoute, json } from '../../shared/http/api.js';
import { listReferralsFor } from '../../shared/data/referrals.js';
import { cursorParam, limitParam } from '../../shared/domain/paging.js';
import { parseOrThrow } from '../../shared/domain/validation.js';
import { referralSummary } from '../../shared/views.js';

const querySchema = z.strictObject({ cursor: cursorParam, limit: limitParam }, 'Paramètre inconnu.');

/**
 * GET /api/referrals?cursor=&limit=: a prescriber sees their organisation's referrals, staff all of them; newest
 * first, one page at a time, with the cursor of the next page.
 */
export const handler = apiRoute({ roles: ['prescriber', 'staff'] }, async ({ actor, event }) => {
  const query = parseOrThrow(querySchema, event.queryStringParameters ?? {}, 'Les paramètres de la liste sont invalides.');
  const page = await listReferralsFor(actor, query);
  return json(200, { items: page.items.map(referralSummary), ...(page.cursor ? { cursor: page.cursor } : {}) });
});
