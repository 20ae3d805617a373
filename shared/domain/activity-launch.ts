import * as z from 'zod/mini';
import type { OutboxDraft } from '../data/outbox.js';
import { render } from './messages/catalogue.js';
import { LINK_PLACEHOLDERS } from './personal-links.js';
import { PROGRAMME_RULES, type Programme } from './programmes.js';
import { choice, text } from './validation.js';

/** The young person's activity page: launch messages' personal links open it. */
export const ACTIVITY_PAGE = '/mon-activite';

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

/** Who hears of a launch event for one member: their referral's contacts, and whether they are a minor. */
export interface LaunchRecipient {
  reference: string;
  youngPerson: { firstName: string; email: string; phone: string };
  guardian?: { firstName: string; lastName: string; email: string };
  minor: boolean;
}

/**
 * The messages of a launch event to one member: by e-mail and SMS with their personal link to `/mon-activite`,
 * and for a minor their guardian by e-mail (told of a launch and of a file sent back, not of a submission).
 */
export function launchDrafts(
  event: LaunchEvent,
  to: LaunchRecipient,
  activity: { name: string; programme: Programme },
  sentBackComment?: string,
): OutboxDraft[] {
  const vars = { youngFirstName: to.youngPerson.firstName, activityName: activity.name, programmeLabel: PROGRAMME_RULES[activity.programme].label, reference: to.reference };
  const linked = { ...vars, personalLink: LINK_PLACEHOLDERS['young-person'] };
  const link = { personalLink: 'young-person', linkPage: ACTIVITY_PAGE } as const;
  const young = (email: { subject: string; body: string }, sms: { body: string }): OutboxDraft[] => [
    { kind: event, role: 'young', channel: 'email', to: to.youngPerson.email, ...link, ...email },
    { kind: event, role: 'young', channel: 'sms', to: to.youngPerson.phone, ...link, body: sms.body },
  ];
  const guardian = to.minor && to.guardian ? to.guardian : undefined;
  const guardianVars = guardian ? { ...vars, guardianName: `${guardian.firstName} ${guardian.lastName}` } : undefined;
  switch (event) {
    case 'launch-submitted':
      return young(render(event, 'young', 'email', linked), render(event, 'young', 'sms', linked));
    case 'launch-sent-back': {
      const withComment = { ...linked, teamComment: sentBackComment ?? '' };
      return [
        ...young(render(event, 'young', 'email', withComment), render(event, 'young', 'sms', withComment)),
        ...(guardian && guardianVars ? [{ kind: event, role: 'guardian', channel: 'email', to: guardian.email, ...render(event, 'guardian', 'email', guardianVars) } satisfies OutboxDraft] : []),
      ];
    }
    case 'activity-launched':
      return [
        ...young(render(event, 'young', 'email', linked), render(event, 'young', 'sms', linked)),
        ...(guardian && guardianVars ? [{ kind: event, role: 'guardian', channel: 'email', to: guardian.email, ...render(event, 'guardian', 'email', guardianVars) } satisfies OutboxDraft] : []),
      ];
  }
}
