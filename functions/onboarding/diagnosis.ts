import { apiRoute, json, readJsonBody } from '../../shared/http/api.js';
import { diagnoses, getDiagnosis, recordDiagnosis, scheduleDiagnosis, type DiagnosisResult } from '../../shared/data/diagnoses.js';
import { loadOnboardingParty, type OnboardingParty } from '../../shared/data/sessions.js';
import type { Staff } from '../../shared/domain/actor.js';
import { ConflictError } from '../../shared/domain/errors.js';
import { parseDiagnosisInput, type DiagnosisRecord } from '../../shared/domain/sessions.js';
import { sendPendingNotifications } from '../../shared/notifications/sender.js';
import { correlate, logger } from '../../shared/observability.js';
import { diagnosisView } from '../../shared/session-views.js';
import { settleAndHandOver } from '../../shared/workflows.js';

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
  const result = input.action === 'schedule' ? await scheduleDiagnosis({ party, schedule: input, staff }) : await recordAndSettle(party, input, staff);
  if (result.cause) await sendPendingNotifications(party.personId, result.cause);
  logger.info('diagnosis interview updated', { action: input.action, changed: result.changed });
  return json(200, diagnosisView(referralId, result.diagnosis));
});

/**
 * Records the interview and settles the step. A repeat settles again (idempotent), also after a failure between
 * the two writes; another record is refused once one is stored, after the step is settled all the same.
 */
async function recordAndSettle(party: OnboardingParty, record: DiagnosisRecord, staff: Staff): Promise<DiagnosisResult> {
  const settle = () => settleAndHandOver(diagnoses, { subjectId: party.referralId, decision: { outcome: 'recorded' }, actor: staff, appBaseUrl: process.env.APP_BASE_URL ?? '' });
  let result: DiagnosisResult;
  try {
    result = await recordDiagnosis({ party, record, staff });
  } catch (error) {
    if (error instanceof ConflictError && (await getDiagnosis(party.referralId))?.status === 'recorded') await settle();
    throw error;
  }
  await settle();
  return result;
}
