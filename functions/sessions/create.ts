import { apiRoute, json, readJsonBody } from '../../shared/http/api.js';
import { createSession } from '../../shared/data/sessions.js';
import type { Staff } from '../../shared/domain/actor.js';
import { parseSessionInput } from '../../shared/domain/sessions.js';
import { logger } from '../../shared/observability.js';
import { sessionView } from '../../shared/session-views.js';

/** POST /api/staff/sessions: staff create an information session (date and time in Paris, place, seats, programmes). */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event, actor }) => {
  const now = new Date();
  const input = parseSessionInput(readJsonBody(event), now);
  const session = await createSession(input, actor as Staff, now);
  logger.info('information session created', { sessionId: session.sessionId, capacity: session.capacity });
  return json(201, sessionView(session));
});
