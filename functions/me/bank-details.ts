import { apiRoute, json, readJsonBody } from '../../shared/http/api.js';
import { saveBankDetails } from '../../shared/data/documents.js';
import { bankDetailsSchema } from '../../shared/domain/documents.js';
import { parseOrThrow } from '../../shared/domain/validation.js';
import { logger } from '../../shared/observability.js';
import { bankDetailsView } from '../../shared/views.js';

/** PUT /api/me/bank-details (personal link): `{ iban, holder }`, the IBAN checked with its mod-97 key; answers them masked. */
export const handler = apiRoute({ link: 'young-person' }, async ({ event, link }) => {
  const details = parseOrThrow(bankDetailsSchema, readJsonBody(event), 'Les coordonnées bancaires contiennent des erreurs.');
  const saved = await saveBankDetails({ personId: link.personId, referralId: link.referralId, details });
  logger.info('bank details saved', { changed: saved.changed });
  return json(200, { bankDetails: bankDetailsView(saved), changed: saved.changed });
});
