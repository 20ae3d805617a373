import * as z from 'zod/mini';
import { apiRoute, json } from '../../shared/http/api.js';
import { listActiveOnboardings, loadSteps } from '../../shared/data/onboarding.js';
import { getReferralsByIds } from '../../shared/data/referrals.js';
import { PROGRAMMES } from '../../shared/domain/programmes.js';
import { cursorParam, limitParam, PAGE_LIMIT } from '../../shared/domain/paging.js';
import { choice, parseOrThrow } from '../../shared/domain/validation.js';
import { onboardingBoardItem } from '../../shared/views.js';

const querySchema = z.strictObject(
  {
    programme: z.optional(choice(PROGRAMMES, 'Programme inconnu.')),
    cursor: cursorParam,
    limit: limitParam,
  },
  'Paramètre inconnu.',
);

/**
 * GET /api/staff/onboarding?programme=&cursor=&limit=: the staff's onboarding board. Every young person in
 * onboarding, oldest first: their checklist, the step the path waits on and its age in Paris days; one page at a
 * time, with the cursor of the next page.
 */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event }) => {
  const query = parseOrThrow(querySchema, event.queryStringParameters ?? {}, 'Les filtres du tableau sont invalides.');
  const page = await listActiveOnboardings({ programme: query.programme, cursor: query.cursor, limit: query.limit ?? PAGE_LIMIT.default });
  const [referrals, steps] = await Promise.all([
    getReferralsByIds(page.items.map((o) => o.referralId)),
    Promise.all(page.items.map((o) => loadSteps(o.referralId))),
  ]);
  const now = new Date();
  return json(200, {
    items: page.items.map((onboarding, i) => onboardingBoardItem(onboarding, steps[i], referrals.get(onboarding.referralId), now)),
    ...(page.cursor ? { cursor: page.cursor } : {}),
  });
});
