import { apiRoute, json } from '../../shared/http/api.js';
import { contractView } from '../../shared/data/contracts.js';
import { guardianConsentView } from '../../shared/data/guardian-consents.js';

/**
 * GET /api/guardian (the guardian's personal link): what they are asked to consent to, in French (the young
 * person's first name, the programme and its dates, the activities, the personal data, the image rights), the
 * text's version to send back, their answer once given, and the signed contract once countersigned.
 */
export const handler = apiRoute({ link: 'guardian' }, async ({ link }) => {
  const view = await guardianConsentView({ referralId: link.referralId, personId: link.personId });
  const contract = await contractView(link.referralId);
  return json(200, { ...view, ...(contract.status === 'countersigned' ? { contract } : {}) });
});
