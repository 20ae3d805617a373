import { apiRoute, json, readJsonBody } from '../../shared/http/api.js';
import { createSession } from '../../shared/data/sessions.js';
import type { Staff } from '../../shared/domain/actor.js';
import { idempotencyKeyOf } from '../../shared/domain/idempotency.js';
import { parseSessionInput } from '../../shared/domain/sessions.js';
import { logger } from '../../shared/observability.js';
import { sessionView } from '../../shared/session-views.js';

/**
 * POST /api/staff/sessions: staff create an information session (date and time in Paris, place, seats, programmes).
 * The Idempotency-Key header is required: a retried request answers the same session (200), never a second one.
 */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event, actor }) => {
  const idempotencyKey = idempotencyKeyOf(event.headers);
  const now = new Date();
  const input = parseSessionInput(readJsonBody(event), now);
  const session = await createSession(input, actor as Staff, now, idempotencyKey);
  logger.info(session.replayed ? 'information session replayed' : 'information session created', { sessionId: session.sessionId, capacity: session.capacity });
  return json(session.replayed ? 200 : 201, sessionView(session));
});
