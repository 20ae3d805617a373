import { apiRouter } from '../../shared/http/router.js';
import { handler as list } from './list.js';
import { handler as create } from './create.js';
import { handler as get } from './get.js';
import { handler as capacity } from './capacity.js';
import { handler as place } from './place.js';
import { handler as member } from './member.js';
import { handler as remove } from './remove.js';
import type { CohortsRoute } from './routes.js';

/*
 * The CJS cohorts: staff create them (with their collective activity), set their capacity, place young people and
 * set committee roles. One function for these routes (decision 29); each route's handler is its own module's `apiRoute`.
 */
export const handler = apiRouter<CohortsRoute>({
  'GET /api/staff/cohorts': list,
  'POST /api/staff/cohorts': create,
  'GET /api/staff/cohorts/{cohortId}': get,
  'PUT /api/staff/cohorts/{cohortId}': capacity,
  'POST /api/staff/cohorts/{cohortId}/members': place,
  'PUT /api/staff/cohorts/{cohortId}/members/{referralId}': member,
  'DELETE /api/staff/cohorts/{cohortId}/members/{referralId}': remove,
});
