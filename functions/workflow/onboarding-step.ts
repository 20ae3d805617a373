import * as z from 'zod/mini';
import { workflowTask } from '../../shared/http/task.js';
import { createOnboarding, finishOnboarding, loadStep, prepareReview, type OnboardingRecord } from '../../shared/data/onboarding.js';
import { tableName } from '../../shared/data/client.js';
import { outboxPuts } from '../../shared/data/outbox.js';
import { timelinePut } from '../../shared/data/people.js';
import { getReferralRecord, type ReferralRecord } from '../../shared/data/referrals.js';
import { NotFoundError } from '../../shared/domain/errors.js';
import { ONBOARDING_END_REASONS, ONBOARDING_STEPS, type OnboardingEndReason } from '../../shared/domain/onboarding.js';
import { onboardingCause, onboardingDrafts } from '../../shared/domain/onboarding-messages.js';
import { sendPendingNotifications } from '../../shared/notifications/sender.js';
import { correlate, logger } from '../../shared/observability.js';

const input = z.object({
  referralId: z.string(),
  personId: z.string(),
  action: z.enum(['open', 'review', 'ready', 'end']),
  /** `review`: the stuck step staff review. */
  step: z.optional(z.enum(ONBOARDING_STEPS)),
  /** `end`: why, when the workflow knows it (a guardian's refusal); otherwise the review's reason. */
  reason: z.optional(z.enum(Object.keys(ONBOARDING_END_REASONS) as [OnboardingEndReason, ...OnboardingEndReason[]])),
});

const automatic = { kind: 'system', name: 'Parcours automatique' } as const;

async function referralOf(referralId: string): Promise<ReferralRecord> {
  const referral = await getReferralRecord(referralId);
  if (!referral) throw new NotFoundError('referral not found');
  return referral;
}

/**
 * The onboarding's own steps ("Ouvrir l'accueil", "Préparer la revue", "Prêt pour le lancement", "Arrêter le
 * parcours"): each writes once, with its timeline event and its messages in the same transaction, then sends
 * the messages; a retried step finds its write done and sends what is still pending.
 */
export const handler = workflowTask(input, async (event) => {
  correlate({ personId: event.personId, referralId: event.referralId });
  const table = tableName();
  switch (event.action) {
    case 'open': {
      const referral = await referralOf(event.referralId);
      const cause = onboardingCause('welcome', referral.referralId);
      const { onboarding, created } = await createOnboarding({
        referral,
        extraItems: (record) => outboxPuts(table, record.personId, cause, onboardingDrafts('welcome', referral, { minor: record.minor }), record.startedAt, { referralId: record.referralId }),
      });
      const sent = await sendPendingNotifications(onboarding.personId, cause);
      logger.info('onboarding opened', { created, minor: onboarding.minor, programme: onboarding.programme, ...sent });
      return { minor: onboarding.minor, programme: onboarding.programme };
    }
    case 'review': {
      if (!event.step) throw new Error('review needs the stuck step');
      await prepareReview(event.referralId, event.step);
      logger.info('onboarding review prepared', { step: event.step });
      return { step: event.step };
    }
    case 'ready':
    case 'end': {
      const referral = await referralOf(event.referralId);
      const to = event.action === 'ready' ? 'ready' : 'ended';
      const reason = event.action === 'end' ? (event.reason ?? (await loadStep(event.referralId, 'review'))?.reasonCode ?? 'other') : undefined;
      const cause = onboardingCause(to === 'ready' ? 'ready' : 'ended', referral.referralId);
      const { onboarding, changed } = await finishOnboarding({
        referralId: event.referralId,
        to,
        reason,
        extraItems: (record: OnboardingRecord) => {
          const at = record.readyAt ?? record.endedAt ?? record.updatedAt;
          return [
            ...timelinePut(table, record.personId, {
              at,
              eventId: `onboarding-${to}#${record.referralId}`,
              type: `onboarding-${to}`,
              label: to === 'ready' ? "Accueil terminé : prêt pour le lancement de l'activité" : `Parcours arrêté pendant l'accueil : ${ONBOARDING_END_REASONS[reason ?? 'other']}`,
              actor: automatic,
              referralId: record.referralId,
            }),
            ...outboxPuts(table, record.personId, cause, onboardingDrafts(to === 'ready' ? 'ready' : 'ended', referral, { minor: record.minor, reason }), at, { referralId: record.referralId }),
          ];
        },
      });
      const sent = await sendPendingNotifications(onboarding.personId, cause);
      logger.info('onboarding finished', { status: onboarding.status, changed, reason, ...sent });
      return { status: onboarding.status };
    }
  }
});
