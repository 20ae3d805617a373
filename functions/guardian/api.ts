import { apiRouter } from '../../shared/http/router.js';
import { handler as consentPage } from './get.js';
import { handler as consent } from './consent.js';
import type { GuardianRoute } from './routes.js';

/*
 * The guardian's consent (personal link): what they are asked, and their answer, which wakes the waiting onboarding
 * workflow. One function for these routes (decision 29); each route's handler is its own module's `apiRoute`.
 */
export const handler = apiRouter<GuardianRoute>({
  'GET /api/guardian': consentPage,
  'POST /api/guardian/consent': consent,
});
