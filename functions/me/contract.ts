import { apiRoute, json } from '../../shared/http/api.js';
import { contractView } from '../../shared/data/contracts.js';

/**
 * GET /api/me/contract (the young person's personal link): their contract, its status, the SHA-256 to send back to
 * accept it, and a short-lived download (the final PDF, signed by both parties, once countersigned).
 */
export const handler = apiRoute({ link: 'young-person' }, async ({ link }) => json(200, await contractView(link.referralId)));
