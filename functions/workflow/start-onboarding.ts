import * as z from 'zod/mini';
import { workflowTask } from '../../shared/http/task.js';
import { startOnboardingWorkflow } from '../../shared/workflows.js';
import { correlate, logger } from '../../shared/observability.js';

const input = z.object({ referralId: z.string(), personId: z.string() });

/**
 * "Démarrer l'accueil", after an acceptance: starts the onboarding workflow under its deterministic name, so
 * that this step retried, or the reconciler repairing a lost start, never starts a second one.
 */
export const handler = workflowTask(input, async ({ referralId, personId }) => {
  correlate({ personId, referralId });
  const { started } = await startOnboardingWorkflow({ referralId, personId });
  logger.info('onboarding workflow started', { started });
  return { started };
});
