import { apiRoute, json } from '../../shared/http/api.js';
import { getTimeline } from '../../shared/data/referrals.js';
import { PATH_STATUS_LABELS } from '../../shared/domain/referral.js';
import { referralSummary } from '../../shared/views.js';
import { correlate } from '../../shared/observability.js';

/** GET /api/people/{personId}/timeline: a young person's path, every transition with who, when and why. */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event }) => {
  const { person, referrals, events, notifications } = await getTimeline(event.pathParameters?.personId ?? '');
  correlate({ personId: person.personId });
  return json(200, {
    person: {
      personId: person.personId,
      firstName: person.firstName,
      lastName: person.lastName,
      birthDate: person.birthDate,
      email: person.email,
      phone: person.phone,
      town: person.town,
      pathStatus: person.pathStatus,
      pathStatusLabel: PATH_STATUS_LABELS[person.pathStatus],
    },
    referrals: referrals.map(referralSummary),
    events,
    notifications,
  });
});
