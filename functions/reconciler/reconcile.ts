import * as z from 'zod/mini';
import type { Context } from 'aws-lambda';
import { eventConsumer } from '../../shared/http/task.js';
import { completeHandover, listPendingHandovers, type ApprovalRecord } from '../../shared/data/approvals.js';
import { getActivity, listAwaitedLaunches } from '../../shared/data/activities.js';
import { getOnboarding, listAwaitedOnboardings } from '../../shared/data/onboarding.js';
import type { ActivityRecord } from '../../shared/domain/activities.js';
import { launchExecutionName } from '../../shared/domain/activity-launch.js';
import { listAwaitedWorkflows, type ReferralRecord } from '../../shared/data/referrals.js';
import { sendPendingNotifications } from '../../shared/notifications/sender.js';
import {
  executionArnOf,
  executionStatus,
  handOver,
  onboardingExecutionName,
  startActivityLaunch,
  startOnboardingWorkflow,
  startReferralWorkflow,
} from '../../shared/workflows.js';
import { fireInvoicingSchedule } from '../../shared/invoicing/schedule.js';
import { logger, metrics } from '../../shared/observability.js';
import { MetricUnit } from '@aws-lambda-powertools/metrics';

/** How long a decision or a submission may legitimately be in flight before the reconciler steps in. */
const graceSeconds = () => Number(process.env.RECONCILE_GRACE_SECONDS) || 120;
/** Stop paging with this much time left, so a run never dies half-way through an item. */
const SAFETY_MS = 10_000;

export interface ReconcileReport {
  handedOver: number;
  notifiedWithoutWorkflow: number;
  stillRunning: number;
  workflowsStarted: number;
  onboardingsStarted: number;
  launchesStarted: number;
  failed: number;
}

/**
 * The reconciler, on a schedule: finds what a lost call left out of step, and repairs it.
 * - A decision committed but not taken by its workflow: hand it over again; if the workflow no longer runs,
 *   send the decision's messages from here so nobody is left uninformed.
 * - A referral whose workflow never opened its approval: start the workflow (the name makes it idempotent).
 * - An accepted referral whose onboarding never opened: start the onboarding (its name makes it idempotent too).
 * - A submitted launch file whose approval never opened: start its launch (named after the submission).
 * Messages pending in the outbox are the dispatcher's (functions/notifications/dispatch-deferred.ts).
 */
export async function reconcile(now: Date, remainingMs: () => number): Promise<ReconcileReport> {
  const before = new Date(now.getTime() - graceSeconds() * 1000).toISOString();
  const report: ReconcileReport = { handedOver: 0, notifiedWithoutWorkflow: 0, stillRunning: 0, workflowsStarted: 0, onboardingsStarted: 0, launchesStarted: 0, failed: 0 };

  let cursor: string | undefined;
  do {
    const page = await listPendingHandovers(before, { cursor, limit: 50 });
    for (const approval of page.items) {
      if (remainingMs() < SAFETY_MS) return report;
      try {
        await repairHandover(approval, report);
      } catch (error) {
        report.failed += 1;
        logger.warn('hand-over repair failed', { approvalId: approval.approvalId, error: (error as Error).name });
      }
    }
    cursor = page.cursor;
  } while (cursor);

  const stateMachineArn = process.env.REFERRAL_STATE_MACHINE_ARN ?? '';
  do {
    const page = await listAwaitedWorkflows(before, { cursor, limit: 50 });
    for (const referral of page.items) {
      if (remainingMs() < SAFETY_MS) return report;
      try {
        await startIfMissing(report, {
          executionArn: executionArnOf(stateMachineArn, referral.referralId),
          start: () => startReferralWorkflow({ referralId: referral.referralId, personId: referral.personId }),
          counter: 'workflowsStarted',
          what: 'workflow',
          endedMetric: 'workflow_ended_before_approval',
          ids: { referralId: referral.referralId },
        });
      } catch (error) {
        report.failed += 1;
        logger.warn('workflow repair failed', { referralId: referral.referralId, error: (error as Error).name });
      }
    }
    cursor = page.cursor;
  } while (cursor);

  do {
    const page = await listAwaitedOnboardings(before, { cursor, limit: 50 });
    for (const referral of page.items) {
      if (remainingMs() < SAFETY_MS) return report;
      try {
        await repairOnboarding(referral, report);
      } catch (error) {
        report.failed += 1;
        logger.warn('onboarding repair failed', { referralId: referral.referralId, error: (error as Error).name });
      }
    }
    cursor = page.cursor;
  } while (cursor);

  do {
    const page = await listAwaitedLaunches(before, { cursor, limit: 50 });
    for (const activity of page.items) {
      if (remainingMs() < SAFETY_MS) return report;
      try {
        await repairLaunch(activity, report);
      } catch (error) {
        report.failed += 1;
        logger.warn('launch repair failed', { activityId: activity.activityId, error: (error as Error).name });
      }
    }
    cursor = page.cursor;
  } while (cursor);
  return report;
}

/**
 * A launch file submitted more than the grace ago whose approval never opened: the start after the submission was
 * lost (or its workflow ended first). The name `launch-<activityId>-<submission>` makes a start racing with the
 * route's own the same execution.
 */
async function repairLaunch(listed: ActivityRecord, report: ReconcileReport): Promise<void> {
  const activity = (await getActivity(listed.activityId))?.activity;
  // Sent back, launched or its approval opened meanwhile: nothing is lost.
  if (activity?.status !== 'awaiting-approval' || activity.submission !== listed.submission) return;
  const { activityId, submission } = activity;
  await startIfMissing(report, {
    executionArn: executionArnOf(process.env.ACTIVITY_LAUNCH_STATE_MACHINE_ARN ?? '', launchExecutionName(activityId, submission)),
    start: () => startActivityLaunch({ activityId, submission }),
    counter: 'launchesStarted',
    what: 'launch',
    endedMetric: 'launch_ended_before_approval',
    ids: { activityId, submission },
  });
}

/**
 * An accepted referral still waiting for its onboarding after the grace: "Démarrer l'accueil" was lost (or the
 * referral's workflow ended before it). The deterministic name means a start racing with the workflow's own
 * start is the same execution.
 */
async function repairOnboarding(referral: ReferralRecord, report: ReconcileReport): Promise<void> {
  if (await getOnboarding(referral.referralId)) return; // opened meanwhile
  await startIfMissing(report, {
    executionArn: executionArnOf(process.env.ONBOARDING_STATE_MACHINE_ARN ?? '', onboardingExecutionName(referral.referralId)),
    start: () => startOnboardingWorkflow({ referralId: referral.referralId, personId: referral.personId }),
    counter: 'onboardingsStarted',
    what: 'onboarding',
    endedMetric: 'onboarding_ended_before_open',
    ids: { referralId: referral.referralId },
  });
}

/**
 * Starts the execution a record waits for when it does not exist (its start was lost); a running one goes on by
 * itself; one that ended without opening what the record waits for is an operator's to look at: nothing automatic
 * is safe then.
 */
async function startIfMissing(
  report: ReconcileReport,
  options: {
    executionArn: string;
    start: () => Promise<unknown>;
    counter: 'workflowsStarted' | 'onboardingsStarted' | 'launchesStarted';
    what: string;
    endedMetric: string;
    ids: Record<string, string | number>;
  },
): Promise<void> {
  const status = await executionStatus(options.executionArn);
  if (status === 'missing') {
    await options.start();
    report[options.counter] += 1;
    logger.info(`missing ${options.what} started`, options.ids);
  } else if (status === 'RUNNING') {
    report.stillRunning += 1;
  } else {
    report.failed += 1;
    metrics.addMetric(options.endedMetric, MetricUnit.Count, 1);
    logger.error(`${options.what} workflow ended before its waiting step opened`, { ...options.ids, status });
  }
}

async function repairHandover(approval: ApprovalRecord, report: ReconcileReport): Promise<void> {
  if (!approval.workflowDecision) return;
  const result = await handOver(approval.taskToken, approval.workflowDecision);
  if (result === 'delivered') {
    report.handedOver += 1;
    logger.info('decision handed over again', { approvalId: approval.approvalId });
    return;
  }
  // The wait is over. A running workflow takes the decision at its next step; an ended one never will.
  const status = approval.executionArn ? await executionStatus(approval.executionArn) : 'missing';
  if (status === 'RUNNING') {
    report.stillRunning += 1;
    return;
  }
  if (approval.workflowDecision.cause) await sendPendingNotifications(approval.personId, approval.workflowDecision.cause);
  await completeHandover(approval.approvalId);
  report.notifiedWithoutWorkflow += 1;
  metrics.addMetric('decision_without_workflow', MetricUnit.Count, 1);
  logger.warn('decision on an ended workflow: notified by the reconciler', { approvalId: approval.approvalId, status });
}

/** The scheduled entry point (EventBridge Scheduler, and the local cloud's scheduler). */
/** The monthly invoicing's schedule targets this function with this input (infra/stack.ts): its own job, not a repair. */
const invoicingSchedule = z.object({ job: z.literal('invoicing-schedule') });

export const handler = eventConsumer(z.unknown(), async (event: unknown, context: Context) => {
  // The 1st of the month at 06:00 Paris: the previous month's run and the months missed (shared/invoicing/schedule.ts).
  if (invoicingSchedule.safeParse(event).success) return fireInvoicingSchedule();
  const report = await reconcile(new Date(), () => (typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : 60_000));
  for (const [name, value] of Object.entries(report)) if (value) metrics.addMetric(`reconcile_${name}`, MetricUnit.Count, value);
  logger.info('reconciled', { ...report });
  return report;
});
