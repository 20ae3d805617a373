import * as z from 'zod/mini';
import { apiRoute, json } from '../../shared/http/api.js';
import { listOpenPossibleDuplicates } from '../../shared/data/possible-duplicates.js';
import { getReferralsByIds } from '../../shared/data/referrals.js';
import { getPeople } from '../../shared/data/people.js';
import { cursorParam, limitParam } from '../../shared/domain/paging.js';
import { parseOrThrow } from '../../shared/domain/validation.js';
import { possibleDuplicateItem } from '../../shared/views.js';

const querySchema = z.strictObject({ cursor: cursorParam, limit: limitParam }, 'Paramètre inconnu.');

/**
 * GET /api/staff/duplicates?cursor=&limit=: the "doublons possibles" to settle, oldest first, each pair side by side;
 * one page at a time, with the cursor of the next page.
 */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event }) => {
  const query = parseOrThrow(querySchema, event.queryStringParameters ?? {}, 'Les paramètres de la liste sont invalides.');
  const page = await listOpenPossibleDuplicates(query);
  const flags = page.items;
  const [people, referrals] = await Promise.all([getPeople(flags.flatMap((f) => [f.personId, f.candidatePersonId])), getReferralsByIds(flags.map((f) => f.referralId))]);
  return json(200, { items: flags.map((flag) => possibleDuplicateItem(flag, people, referrals.get(flag.referralId))), ...(page.cursor ? { cursor: page.cursor } : {}) });
});
