import * as z from 'zod/mini';
import { apiRoute, json } from '../../shared/http/api.js';
import { getOnboarding, loadSteps } from '../../shared/data/onboarding.js';
import { receivedMessages } from '../../shared/data/messages-received.js';
import { cursorParam, limitParam } from '../../shared/domain/paging.js';
import { parseOrThrow } from '../../shared/domain/validation.js';
import { youngPersonSpace } from '../../shared/views.js';

const querySchema = z.strictObject({ cursor: cursorParam, limit: limitParam }, 'Paramètre inconnu.');

/** Messages on the first page of the space: a phone screen shows a few. */
const MESSAGES_PER_PAGE = 20;

/**
 * GET /api/me?cursor=&limit= (personal link of the young person): "Mon parcours", each onboarding step with its
 * status, what to do next, and the messages they received, newest first, one page at a time.
 */
export const handler = apiRoute({ link: 'young-person' }, async ({ event, link }) => {
  const query = parseOrThrow(querySchema, event.queryStringParameters ?? {}, 'Les paramètres de la liste sont invalides.');
  const [onboarding, steps, messages] = await Promise.all([
    getOnboarding(link.referralId),
    loadSteps(link.referralId),
    receivedMessages(link.personId, 'young', { limit: query.limit ?? MESSAGES_PER_PAGE, cursor: query.cursor }),
  ]);
  return json(200, youngPersonSpace(link.referral, onboarding, steps, messages));
});
