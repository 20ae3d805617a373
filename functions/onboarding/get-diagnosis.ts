import { apiRoute, json } from '../../shared/http/api.js';
import { getDiagnosis } from '../../shared/data/diagnoses.js';
import { getOnboarding } from '../../shared/data/onboarding.js';
import { NotFoundError } from '../../shared/domain/errors.js';
import { correlate, logger } from '../../shared/observability.js';
import { diagnosisView } from '../../shared/session-views.js';

/**
 * GET /api/staff/onboarding/{referralId}/diagnosis: the diagnosis interview as staff scheduled and recorded it, for an
 * onboarding under way or finished (its record stays readable). What was said is never logged: only where it stands.
 */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event }) => {
  const referralId = event.pathParameters?.referralId ?? '';
  const onboarding = await getOnboarding(referralId);
  if (!onboarding) throw new NotFoundError('Accueil introuvable pour cette personne.');
  correlate({ personId: onboarding.personId, referralId });
  const diagnosis = await getDiagnosis(referralId);
  logger.info('diagnosis interview read', { status: diagnosis?.status ?? 'to-schedule' });
  return json(200, diagnosisView(referralId, diagnosis));
});
