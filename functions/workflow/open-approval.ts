import * as z from 'zod/mini';
import { workflowTask } from '../../shared/http/task.js';
import { openApproval } from '../../shared/data/approvals.js';
import { recordIncidentSubject } from '../../shared/data/incidents.js';
import { waitingStepHandler } from '../../shared/data/waiting-steps.js';
import { PROGRAMMES } from '../../shared/domain/programmes.js';
import { WAITING_PHASES, WAITING_STEP_KINDS } from '../../shared/domain/waiting-steps.js';
import { sendPendingNotifications } from '../../shared/notifications/sender.js';
import { correlate, logger, metrics } from '../../shared/observability.js';
import { MetricUnit } from '@aws-lambda-powertools/metrics';

const input = z.object({
  kind: z.enum(WAITING_STEP_KINDS),
  taskToken: z.string(),
  executionArn: z.string(),
  referralId: z.string(),
  personId: z.string(),
  phase: z.enum(WAITING_PHASES),
  /** The subject, for every kind but an incident (whose subject is the execution's failed step). */
  subjectId: z.optional(z.string()),
  /** An incident: the step that failed and the error Step Functions caught. */
  step: z.optional(z.string()),
  error: z.optional(z.object({ Error: z.optional(z.string()) })),
  programme: z.optional(z.enum(PROGRAMMES)),
});

/** Thrown when staff decided before this wait began: the workflow's Catch goes straight to taking the decision. */
class DecisionAlreadyRecorded extends Error {
  override readonly name = 'DecisionAlreadyRecorded';
}

/**
 * Every "wait for a person" step: stores the workflow's task token under an opaque approval id (the staff inbox
 * lists it) and, for a new approval, sends what the kind sends (a link to the confirmation page). The token is
 * never logged nor shown.
 */
export const handler = workflowTask(input, async (event) => {
  correlate({ personId: event.personId, referralId: event.referralId });
  const subjectId =
    event.kind === 'incident'
      ? await recordIncidentSubject({
          executionArn: event.executionArn,
          step: event.step ?? 'étape inconnue',
          error: event.error?.Error ?? 'States.TaskFailed',
          referralId: event.referralId,
          personId: event.personId,
          programme: event.programme,
        })
      : event.subjectId;
  if (!subjectId) throw new Error('subjectId is required for this kind');
  const result = await openApproval(waitingStepHandler(event.kind), {
    subjectId,
    phase: event.phase,
    taskToken: event.taskToken,
    executionArn: event.executionArn,
    appBaseUrl: process.env.APP_BASE_URL ?? '',
  });
  if (result.state === 'decided') {
    correlate({ approvalId: result.approvalId });
    logger.info('decided before the wait began', { kind: event.kind, phase: event.phase });
    throw new DecisionAlreadyRecorded('decided before the wait began');
  }
  correlate({ approvalId: result.approval.approvalId });
  if (event.kind === 'incident' && result.created) {
    metrics.addMetric('path_incident', MetricUnit.Count, 1);
    logger.warn('path step failed: waiting for staff', { step: event.step, error: event.error?.Error });
  }
  if (result.cause) await sendPendingNotifications(event.personId, result.cause);
  logger.info('waiting for a person', { kind: event.kind, phase: event.phase, created: result.created });
  return { approvalId: result.approval.approvalId };
});
