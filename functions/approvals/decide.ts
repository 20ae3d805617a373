import { apiRoute, json, readJsonBody } from '../../shared/http/api.js';
import { decisionSchema, REFERRAL_STATUS_LABELS } from '../../shared/domain/referral.js';
import { parseOrThrow } from '../../shared/domain/validation.js';
import { decideReferral } from '../../shared/data/approvals.js';
import { completeTask } from '../../shared/workflows.js';
import { correlate, logger, metrics } from '../../shared/observability.js';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Staff } from '../../shared/domain/actor.js';

/**
 * POST /api/approvals/{approvalId}/decision: staff decide on a referral.
 * The decision is recorded first (single use, in one transaction), then handed to the waiting workflow.
 */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event, actor }) => {
  const decision = parseOrThrow(decisionSchema, readJsonBody(event), 'La décision contient des erreurs.');
  const result = await decideReferral({ approvalId: event.pathParameters?.approvalId ?? '', decision, staff: actor as Staff });
  correlate({ personId: result.referral.personId, referralId: result.referral.referralId, approvalId: result.workflowOutput.approvalId });
  const delivered = await completeTask(result.taskToken, result.workflowOutput);
  metrics.addMetric(`referral_${decision.outcome}`, MetricUnit.Count, 1);
  // Not delivered: the callback timed out as staff decided; the workflow's deadline step takes the recorded decision.
  logger.info('referral decided', { outcome: decision.outcome, delivered });
  return json(200, { referralId: result.referral.referralId, status: result.referral.status, statusLabel: REFERRAL_STATUS_LABELS[result.referral.status] });
});
