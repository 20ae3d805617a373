import * as z from 'zod/mini';
import { workflowTask } from '../../shared/http/task.js';
import { launchActivity, openLaunch, sendBackLaunch } from '../../shared/data/activity-launches.js';
import { correlate, logger } from '../../shared/observability.js';

const input = z.object({
  activityId: z.string(),
  submission: z.number(),
  action: z.enum(['open', 'activate', 'send-back']),
});

const STEPS = { open: openLaunch, activate: launchActivity, 'send-back': sendBackLaunch } as const;

/**
 * The launch workflow's own steps ("Ouvrir le lancement", "Lancer l'activité", "Renvoyer le dossier"): each writes
 * once per submission, with its timeline events, path statuses and messages in the same transaction, then sends
 * the messages; a retried step finds its write done and sends what is still pending. `open` answers the person and
 * referral the waiting steps are filed under, and whether the submission still waits for its approval.
 */
export const handler = workflowTask(input, async (event) => {
  const result = await STEPS[event.action](event.activityId, event.submission);
  correlate({ personId: result.personId, referralId: result.referralId });
  logger.info('activity launch step', { action: event.action, submission: event.submission, current: result.current, changed: result.changed, sent: result.sent });
  return { current: result.current, personId: result.personId, referralId: result.referralId };
});
