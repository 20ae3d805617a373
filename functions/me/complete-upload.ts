import { apiRoute, json } from '../../shared/http/api.js';
import { completeUpload } from '../../shared/data/documents.js';
import { logger } from '../../shared/observability.js';

/**
 * POST /api/me/uploads/{uploadId}/complete (personal link): the phone's PUT is done; the file is checked by its
 * size and content (422 with the reason in French, 410 once expired) and the document goes to staff review.
 */
export const handler = apiRoute({ link: 'young-person' }, async ({ event, link }) => {
  const completed = await completeUpload({ personId: link.personId, referralId: link.referralId, uploadId: event.pathParameters?.uploadId ?? '' });
  logger.info('document upload completed', { docType: completed.docType, fileType: completed.fileType });
  return json(200, completed);
});
