import { apiRoute, json, readJsonBody } from '../../shared/http/api.js';
import { startUpload } from '../../shared/data/documents.js';
import { uploadRequestSchema } from '../../shared/domain/documents.js';
import { parseOrThrow } from '../../shared/domain/validation.js';
import { logger } from '../../shared/observability.js';

/**
 * POST /api/me/documents/{docType}/uploads (personal link): `{ contentType, size, fileName }` declared by the phone;
 * answers a presigned PUT for one object key under the person's prefix, with the exact headers to send.
 */
export const handler = apiRoute({ link: 'young-person' }, async ({ event, link }) => {
  const request = parseOrThrow(uploadRequestSchema, readJsonBody(event), "L'envoi du document contient des erreurs.");
  const started = await startUpload({ personId: link.personId, referralId: link.referralId, docType: event.pathParameters?.docType ?? '', request });
  // The URL is a bearer credential for the upload: it is answered, never logged.
  logger.info('document upload started', { docType: event.pathParameters?.docType, contentType: request.contentType, size: request.size });
  return json(201, started);
});
