import { apiRoute, json, readJsonBody } from '../../shared/http/api.js';
import { decide, getApprovalRecord } from '../../shared/data/approvals.js';
import { waitingStepHandler } from '../../shared/data/waiting-steps.js';
import { DECISION_SCHEMAS, statusLabelAfter } from '../../shared/domain/decisions.js';
import { NotFoundError } from '../../shared/domain/errors.js';
import { parseOrThrow } from '../../shared/domain/validation.js';
import { handOver } from '../../shared/workflows.js';
import { decisionAnswer } from '../../shared/views.js';
import { correlate, logger, metrics } from '../../shared/observability.js';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Staff } from '../../shared/domain/actor.js';

/**
 * POST /api/approvals/{approvalId}/decision: staff decide on a waiting step of any kind.
 * The decision is committed first (single use, in one transaction, listed as a hand-over due), then handed to
 * the waiting workflow once, best effort: the answer never depends on it, because the workflow's own next step,
 * a deadline step or the reconciler take a decision still pending from the table.
 */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event, actor }) => {
  const approvalId = event.pathParameters?.approvalId ?? '';
  const existing = await getApprovalRecord(approvalId);
  if (!existing) throw new NotFoundError('Demande introuvable : le lien est peut-être erroné.');
  const decision = parseOrThrow(DECISION_SCHEMAS[existing.kind], readJsonBody(event), 'La décision contient des erreurs.');
  const { approval, workflowDecision } = await decide(waitingStepHandler(existing.kind), {
    approvalId,
    decision,
    staff: actor as Staff,
    appBaseUrl: process.env.APP_BASE_URL ?? '',
    read: existing,
  });
  correlate({ personId: approval.personId, referralId: approval.referralId, approvalId });
  let handedOver: string;
  try {
    handedOver = await handOver(approval.taskToken, workflowDecision);
  } catch (error) {
    // Committed all the same: the reconciler hands it over on its next run.
    handedOver = 'later';
    logger.warn('decision hand-over failed: left to the reconciler', { error: (error as Error).name });
  }
  metrics.addMetric(`${existing.kind}_${decision.outcome}`, MetricUnit.Count, 1);
  logger.info('waiting step decided', { kind: existing.kind, outcome: decision.outcome, handedOver });
  return json(200, decisionAnswer(approval, decision.outcome, statusLabelAfter(existing.kind, decision.outcome)));
});
