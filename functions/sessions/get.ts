import { apiRoute, json } from '../../shared/http/api.js';
import { getSessionWithAttendees } from '../../shared/data/sessions.js';
import { NotFoundError } from '../../shared/domain/errors.js';
import { attendeeView, sessionView } from '../../shared/session-views.js';

/** GET /api/staff/sessions/{sessionId}: a session and the people holding a seat, with their attendance. */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event }) => {
  const found = await getSessionWithAttendees(event.pathParameters?.sessionId ?? '');
  if (!found) throw new NotFoundError('Réunion introuvable.');
  return json(200, { session: sessionView(found.session), attendees: found.attendees.map(attendeeView), startedAt: found.session.startsAt <= new Date().toISOString() });
});
