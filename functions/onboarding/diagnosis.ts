import { apiRoute, json, readJsonBody } from '../../shared/http/api.js';
import { recordDiagnosisAndSettle, scheduleDiagnosis } from '../../shared/data/diagnoses.js';
import { loadOnboardingParty } from '../../shared/data/sessions.js';
import type { Staff } from '../../shared/domain/actor.js';
import { parseDiagnosisInput } from '../../shared/domain/sessions.js';
import { sendPendingNotifications } from '../../shared/notifications/sender.js';
import { correlate, logger } from '../../shared/observability.js';
import { diagnosisView } from '../../shared/session-views.js';

/**
 * PUT /api/staff/onboarding/{referralId}/diagnosis: staff schedule the diagnosis interview (`action: 'schedule'`,
 * Paris date and time, on site or by phone) and then record it (`action: 'record'`: goals, skills, needs, notes),
 * which settles the step. What was said is never logged: only the action and whether it changed anything.
 */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event, actor }) => {
  const referralId = event.pathParameters?.referralId ?? '';
  const input = parseDiagnosisInput(readJsonBody(event), new Date());
  const party = await loadOnboardingParty(referralId);
  correlate({ personId: party.personId, referralId });
  const staff = actor as Staff;
  const result =
    input.action === 'schedule'
      ? await scheduleDiagnosis({ party, schedule: input, staff })
      : await recordDiagnosisAndSettle({ party, record: input, staff, appBaseUrl: process.env.APP_BASE_URL ?? '' });
  if (result.cause) await sendPendingNotifications(party.personId, result.cause);
  logger.info('diagnosis interview updated', { action: input.action, changed: result.changed });
  return json(200, diagnosisView(referralId, result.diagnosis));
});
