import { apiRoute, json, readJsonBody } from '../../shared/http/api.js';
import { chooseSession, loadOnboardingParty } from '../../shared/data/sessions.js';
import { sessionChoiceSchema } from '../../shared/domain/sessions.js';
import { parseOrThrow } from '../../shared/domain/validation.js';
import { sendPendingNotifications } from '../../shared/notifications/sender.js';
import { logger } from '../../shared/observability.js';
import { bookingView } from '../../shared/session-views.js';

/**
 * PUT /api/me/session { sessionId } (the young person's personal link): takes a seat at a session, or moves to
 * another one until 24 h before; a full session is a 409, never an overbooking. The confirmation goes at once.
 */
export const handler = apiRoute({ link: 'young-person' }, async ({ event, link }) => {
  const { sessionId } = parseOrThrow(sessionChoiceSchema, readJsonBody(event), 'Le choix de réunion contient des erreurs.');
  const party = await loadOnboardingParty(link.referralId);
  const result = await chooseSession({ party, sessionId, actor: link.actor });
  // The confirmation goes now; the dispatcher sends it otherwise.
  if (result.cause) await sendPendingNotifications(party.personId, result.cause);
  logger.info('information session chosen', { sessionId, changed: result.changed });
  return json(200, bookingView(result.booking, result.session));
});
