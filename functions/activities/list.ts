import * as z from 'zod/mini';
import { apiRoute, json } from '../../shared/http/api.js';
import { listActivities } from '../../shared/data/activities.js';
import { ACTIVITY_STATUSES } from '../../shared/domain/activities.js';
import { cursorParam, limitParam, PAGE_LIMIT } from '../../shared/domain/paging.js';
import { choice, parseOrThrow } from '../../shared/domain/validation.js';
import { activityListItem } from '../../shared/activity-views.js';

const querySchema = z.strictObject({ status: z.optional(choice(ACTIVITY_STATUSES, 'Statut inconnu.')), cursor: cursorParam, limit: limitParam }, 'Paramètre inconnu.');

/** GET /api/staff/activities?status=&cursor=&limit=: activities of one status (awaiting approval by default), newest first. */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event }) => {
  const query = parseOrThrow(querySchema, event.queryStringParameters ?? {}, 'Les filtres de la liste sont invalides.');
  const status = query.status ?? 'awaiting-approval';
  const page = await listActivities({ status, cursor: query.cursor, limit: query.limit ?? PAGE_LIMIT.default });
  return json(200, { status, items: page.items.map(activityListItem), ...(page.cursor ? { cursor: page.cursor } : {}) });
});
