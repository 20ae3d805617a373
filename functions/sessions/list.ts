import * as z from 'zod/mini';
import { apiRoute, json } from '../../shared/http/api.js';
import { listSessions } from '../../shared/data/sessions.js';
import { cursorParam, limitParam, PAGE_LIMIT } from '../../shared/domain/paging.js';
import { parisInstant } from '../../shared/domain/sessions.js';
import { isIsoDate, parisDate } from '../../shared/domain/time.js';
import { parseOrThrow } from '../../shared/domain/validation.js';
import { sessionView } from '../../shared/session-views.js';

/** Staff see the sessions of the last month too: attendance is recorded after a session. */
const PAST_DAYS_SHOWN = 30;

const querySchema = z.strictObject(
  {
    from: z.optional(z.string().check(z.refine(isIsoDate, 'Une date au format AAAA-MM-JJ.'))),
    cursor: cursorParam,
    limit: limitParam,
  },
  'Paramètre inconnu.',
);

/** GET /api/staff/sessions?from=YYYY-MM-DD&cursor=&limit=: sessions from that Paris day (a month ago by default), earliest first. */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event }) => {
  const query = parseOrThrow(querySchema, event.queryStringParameters ?? {}, 'Les filtres de la liste sont invalides.');
  const fromDay = query.from ?? parisDate(new Date(Date.now() - PAST_DAYS_SHOWN * 86_400_000));
  const page = await listSessions({ from: parisInstant(fromDay, '00:00')!, cursor: query.cursor, limit: query.limit ?? PAGE_LIMIT.default });
  return json(200, { items: page.items.map(sessionView), ...(page.cursor ? { cursor: page.cursor } : {}) });
});
