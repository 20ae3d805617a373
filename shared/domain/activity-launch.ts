import * as z from 'zod/mini';
import { choice, text } from './validation.js';

/**
 * The launch approval of an activity (`activity-launch` waiting step): staff approve the launch file, or send it
 * back to its members with a comment saying what to change.
 */
export const LAUNCH_OUTCOMES = ['approved', 'sent-back'] as const;
export type LaunchOutcome = (typeof LAUNCH_OUTCOMES)[number];
export const LAUNCH_OUTCOME_LABELS: Record<LaunchOutcome, string> = { approved: 'Lancement validé', 'sent-back': 'Dossier renvoyé pour modification' };

/** The body of the decision on a launch approval (the generic decision route): a comment is required to send it back. */
export const launchDecisionSchema = z
  .strictObject(
    {
      outcome: choice(LAUNCH_OUTCOMES, 'Décision inconnue (valider le lancement ou renvoyer le dossier).'),
      comment: z.optional(text({ max: 2000 })),
    },
    'Le contenu doit être un objet JSON.',
  )
  .check(
    z.superRefine((value, ctx) => {
      if (value.outcome === 'sent-back' && !value.comment) {
        ctx.issues.push({ code: 'custom', input: undefined, path: ['comment'], message: 'Dites au jeune ce qu’il doit changer dans son dossier.' });
      }
    }),
  );
export type LaunchDecision = z.infer<typeof launchDecisionSchema>;

/** The launch events that write messages and timeline events, each once per activity and submission. */
export type LaunchEvent = 'launch-submitted' | 'launch-sent-back' | 'activity-launched';

/**
 * The outbox cause (and timeline event id) of a launch event: a retried step writes it once, and a file submitted
 * again is a new submission with messages of its own.
 * @example launchCause('activity-launched', 'pa-123', 2) // 'activity-launched#pa-123#2'
 */
export const launchCause = (event: LaunchEvent, activityId: string, submission: number) => `${event}#${activityId}#${submission}`;

/** The launch workflow's execution name: one per activity and submission, whoever starts it (the route, the reconciler). */
export const launchExecutionName = (activityId: string, submission: number) => `launch-${activityId}-${submission}`;
