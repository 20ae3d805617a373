import * as z from 'zod/mini';
import { apiRoute, json } from '../../shared/http/api.js';
import { getBankDetailsOf, listDocumentsToReview } from '../../shared/data/documents.js';
import { getReferralsByIds } from '../../shared/data/referrals.js';
import { cursorParam, limitParam } from '../../shared/domain/paging.js';
import { PROGRAMMES } from '../../shared/domain/programmes.js';
import { choice, parseOrThrow } from '../../shared/domain/validation.js';
import { documentRejectionReasonsView, documentToReviewItem } from '../../shared/views.js';

const querySchema = z.strictObject({ programme: z.optional(choice(PROGRAMMES, 'Programme inconnu.')), cursor: cursorParam, limit: limitParam }, 'Paramètre inconnu.');

/**
 * GET /api/staff/documents?programme=&cursor=&limit=: the documents awaiting review, oldest first, one page at a time,
 * with the rejection reasons staff choose from.
 */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event }) => {
  const query = parseOrThrow(querySchema, event.queryStringParameters ?? {}, 'Les filtres de la liste sont invalides.');
  const page = await listDocumentsToReview(query);
  const [referrals, bankDetails] = await Promise.all([
    getReferralsByIds([...new Set(page.items.map((d) => d.referralId))]),
    getBankDetailsOf(page.items.filter((d) => d.docType === 'bank-details').map((d) => d.referralId)),
  ]);
  const now = new Date();
  return json(200, {
    items: page.items.map((d) => documentToReviewItem(d, referrals.get(d.referralId), bankDetails.get(d.referralId), now)),
    ...(page.cursor ? { cursor: page.cursor } : {}),
    rejectionReasons: documentRejectionReasonsView(),
  });
});
