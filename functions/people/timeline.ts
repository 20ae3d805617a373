import { apiRoute, json } from '../../shared/http/api.js';
import { getTimeline } from '../../shared/data/timeline.js';
import { PATH_STATUS_LABELS } from '../../shared/domain/referral.js';
import { referralSummary } from '../../shared/views.js';
import { correlate } from '../../shared/observability.js';
import { OPT_OUT_REASON_LABELS, getOptOut } from '../../shared/notifications/opt-outs.js';

/** GET /api/people/{personId}/timeline: a young person's path, every transition with who, when and why. */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event }) => {
  const { person, pathStatus, joinedPersonIds, referrals, events, notifications } = await getTimeline(event.pathParameters?.personId ?? '');
  correlate({ personId: person.personId });
  const [emailOptOut, smsOptOut] = await Promise.all([getOptOut('email', person.email), getOptOut('sms', person.phone)]);
  const optOut = (o: Awaited<ReturnType<typeof getOptOut>>) => (o ? { reason: o.reason, reasonLabel: OPT_OUT_REASON_LABELS[o.reason], at: o.at } : undefined);
  return json(200, {
    person: {
      personId: person.personId,
      firstName: person.firstName,
      lastName: person.lastName,
      birthDate: person.birthDate,
      email: person.email,
      phone: person.phone,
      town: person.town,
      pathStatus,
      pathStatusLabel: PATH_STATUS_LABELS[pathStatus],
      // Records staff confirmed to be this person: their referrals and messages are listed here.
      joinedPersonIds,
      // Staff see at once that this person gets no SMS (STOP) or only mandatory e-mails (complaint).
      optOuts: { email: optOut(emailOptOut), sms: optOut(smsOptOut) },
    },
    referrals: referrals.map(referralSummary),
    events,
    notifications,
  });
});
