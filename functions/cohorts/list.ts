import * as z from 'zod/mini';
import { apiRoute, json } from '../../shared/http/api.js';
import { listCohorts } from '../../shared/data/cohorts.js';
import { cursorParam, limitParam, PAGE_LIMIT } from '../../shared/domain/paging.js';
import { parseOrThrow } from '../../shared/domain/validation.js';
import { cohortSummary } from '../../shared/views.js';

const querySchema = z.strictObject({ cursor: cursorParam, limit: limitParam }, 'Paramètre inconnu.');

/** GET /api/staff/cohorts?cursor=&limit=: the CJS cohorts, the latest summer first, with their seats. */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event }) => {
  const query = parseOrThrow(querySchema, event.queryStringParameters ?? {}, 'Les filtres de la liste sont invalides.');
  const page = await listCohorts({ cursor: query.cursor, limit: query.limit ?? PAGE_LIMIT.default });
  return json(200, { items: page.items.map(cohortSummary), ...(page.cursor ? { cursor: page.cursor } : {}) });
});
