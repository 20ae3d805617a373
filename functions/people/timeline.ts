import { apiRoute, json } from '../../shared/http/api.js';
import { getTimeline } from '../../shared/data/timeline.js';
import { timelineView } from '../../shared/views.js';
import { correlate } from '../../shared/observability.js';
import { getOptOut } from '../../shared/notifications/opt-outs.js';

/** GET /api/people/{personId}/timeline: a young person's path, every transition with who, when and why. */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event }) => {
  const timeline = await getTimeline(event.pathParameters?.personId ?? '');
  const { person } = timeline;
  correlate({ personId: person.personId });
  const [email, sms] = await Promise.all([getOptOut('email', person.email), getOptOut('sms', person.phone)]);
  return json(200, timelineView(timeline, { email, sms }));
});
