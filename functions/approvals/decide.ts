import { apiRoute, json, readJsonBody } from '../../shared/http/api.js';
import { decide, getApprovalRecord } from '../../shared/data/approvals.js';
import { waitingStepHandler } from '../../shared/data/waiting-steps.js';
import { DECISION_SCHEMAS, statusLabelAfter } from '../../shared/domain/decisions.js';
import { ConflictError, NotFoundError } from '../../shared/domain/errors.js';
import { parseOrThrow } from '../../shared/domain/validation.js';
import { handOverDecision } from '../../shared/workflows.js';
import { correlate, logger, metrics } from '../../shared/observability.js';
import { MetricUnit } from '@aws-lambda-powertools/metrics';

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
  const handler = waitingStepHandler(existing.kind);
  const schema = DECISION_SCHEMAS[existing.kind];
  // The young person's and the guardian's steps are theirs to decide, on their own pages.
  if (handler.audience !== 'staff' || !schema) throw new ConflictError("Cette étape ne se décide pas ici : elle se règle depuis sa propre page (celle du jeune, du représentant légal ou de l'équipe).");
  const decision = parseOrThrow(schema, readJsonBody(event), 'La décision contient des erreurs.');
  const { approval, workflowDecision } = await decide(handler, {
    approvalId,
    decision,
    actor,
    appBaseUrl: process.env.APP_BASE_URL ?? '',
    read: existing,
  });
  correlate({ personId: approval.personId, referralId: approval.referralId, approvalId });
  // Committed all the same when this fails: the reconciler hands it over on its next run.
  const handedOver = await handOverDecision(approval, workflowDecision);
  metrics.addMetric(`${existing.kind}_${decision.outcome}`, MetricUnit.Count, 1);
  logger.info('waiting step decided', { kind: existing.kind, outcome: decision.outcome, handedOver });
  return json(200, {
    approvalId,
    kind: existing.kind,
    referralId: approval.referralId,
    outcome: decision.outcome,
    status: decision.outcome,
    statusLabel: statusLabelAfter(existing.kind, decision.outcome),
  });
});
