import { apiRoute, json, readJsonBody } from '../../shared/http/api.js';
import { reviewDocument } from '../../shared/data/documents.js';
import { settleDocumentsStep } from '../../shared/data/documents-step.js';
import { handOverSettled } from '../../shared/workflows.js';
import type { Staff } from '../../shared/domain/actor.js';
import { documentReviewSchema } from '../../shared/domain/documents.js';
import { parseOrThrow } from '../../shared/domain/validation.js';
import { sendPendingNotifications } from '../../shared/notifications/sender.js';
import { correlate, logger } from '../../shared/observability.js';
import { checklistDocumentView } from '../../shared/views.js';

/**
 * POST /api/staff/documents/{referralId}/{docType}/review: staff accept or reject the file under review
 * (`{ outcome, reasonCode?, message? }`). A rejection is sent to the young person at once (the outbox's dispatcher
 * would otherwise send it within minutes); the same review again answers the same; another reviewer's is a 409.
 */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event, actor }) => {
  const referralId = event.pathParameters?.referralId ?? '';
  const review = parseOrThrow(documentReviewSchema, readJsonBody(event), 'La vérification contient des erreurs.');
  correlate({ referralId });
  const result = await reviewDocument({ referralId, docType: event.pathParameters?.docType ?? '', review, staff: actor as Staff });
  correlate({ personId: result.document.personId });
  logger.info('document reviewed', { docType: result.document.docType, outcome: review.outcome, replayed: result.replayed, checklistComplete: result.checklistComplete });
  if (result.cause) await sendPendingNotifications(result.document.personId, result.cause);
  // The last required document accepted: the documents step is complete (again on a retried review, in case the
  // first one stopped after its commit).
  if (result.checklistComplete) {
    const recorded = await settleDocumentsStep({ referralId, actor, appBaseUrl: process.env.APP_BASE_URL ?? '' });
    // Wakes the waiting workflow at once; when this fails, the reconciler hands it over.
    const settled = recorded && (await handOverSettled(recorded));
    logger.info('documents step settled', { state: settled?.state, handedOver: settled?.handedOver });
  }
  return json(200, { document: checklistDocumentView(result.document.docType, result.document.programme, result.document), checklistComplete: result.checklistComplete });
});
