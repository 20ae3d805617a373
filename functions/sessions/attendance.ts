import { apiRoute, json, readJsonBody } from '../../shared/http/api.js';
import { informationSessions } from '../../shared/data/information-sessions.js';
import { recordAttendance } from '../../shared/data/sessions.js';
import type { Staff } from '../../shared/domain/actor.js';
import { attendanceSchema } from '../../shared/domain/sessions.js';
import { parseOrThrow } from '../../shared/domain/validation.js';
import { sendPendingNotifications } from '../../shared/notifications/sender.js';
import { correlate, logger } from '../../shared/observability.js';
import { attendeeView } from '../../shared/session-views.js';
import { settleAndHandOver } from '../../shared/workflows.js';

/**
 * POST /api/staff/sessions/{sessionId}/attendance { referralId, attendance }: staff record whether a person came
 * (present, absent, excused), once per session and person. Present settles the information session; an absence
 * invites again, and the second one without an excuse leaves the path to the staff's review.
 */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event, actor }) => {
  const sessionId = event.pathParameters?.sessionId ?? '';
  const { referralId, attendance } = parseOrThrow(attendanceSchema, readJsonBody(event), 'La présence contient des erreurs.');
  correlate({ referralId });
  const staff = actor as Staff;
  const result = await recordAttendance({ sessionId, referralId, attendance, staff });
  // The attendance that decides the step settles it; a repeat of it settles again (idempotent), so a request
  // retried after a failure between the two writes completes the step.
  const settled = result.settle
    ? await settleAndHandOver(informationSessions, { subjectId: referralId, decision: { outcome: result.settle }, actor: staff, appBaseUrl: process.env.APP_BASE_URL ?? '' })
    : undefined;
  // The re-invitation goes now; the dispatcher sends it otherwise.
  if (result.cause) await sendPendingNotifications(result.attendee.personId, result.cause);
  logger.info('attendance recorded', { sessionId, attendance, settled: result.settle ?? 'open', changed: result.changed, handedOver: settled?.handedOver });
  return json(200, { attendee: attendeeView(result.attendee), bookingStatus: result.booking.status, settled: result.settle });
});
