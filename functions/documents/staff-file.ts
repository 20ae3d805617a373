import { apiRoute, json } from '../../shared/http/api.js';
import { documentDownload } from '../../shared/data/documents.js';
import { correlate } from '../../shared/observability.js';

/** GET /api/staff/documents/{referralId}/{docType}/file: a presigned download of the file sent, valid one minute. */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event }) => {
  const referralId = event.pathParameters?.referralId ?? '';
  correlate({ referralId });
  const download = await documentDownload({ referralId, docType: event.pathParameters?.docType ?? '' });
  return json(200, download);
});
