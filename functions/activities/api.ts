import { apiRouter } from '../../shared/http/router.js';
import { handler as serviceKinds } from './service-kinds.js';
import { handler as serviceKind } from './service-kind.js';
import { handler as list } from './list.js';
import { handler as create } from './create.js';
import { handler as get } from './get.js';
import { handler as update } from './update.js';
import { handler as submit } from './submit.js';
import { handler as prices } from './prices.js';
import { handler as members } from './members.js';
import { handler as status } from './status.js';
import { handler as flyer } from './flyer.js';
import type { StaffActivitiesRoute } from './routes.js';

/*
 * Staff's activities (launch files, prices, members, status, submission, flyer) and the service catalogue. One
 * function for these routes (decision 29); each route's handler is its own module's `apiRoute`.
 */
export const handler = apiRouter<StaffActivitiesRoute>({
  'GET /api/staff/service-kinds': serviceKinds,
  'PUT /api/staff/service-kinds/{code}': serviceKind,
  'GET /api/staff/activities': list,
  'POST /api/staff/activities': create,
  'GET /api/staff/activities/{activityId}': get,
  'PUT /api/staff/activities/{activityId}': update,
  'POST /api/staff/activities/{activityId}/submission': submit,
  'POST /api/staff/activities/{activityId}/prices': prices,
  'POST /api/staff/activities/{activityId}/members': members,
  'POST /api/staff/activities/{activityId}/status': status,
  'GET /api/staff/activities/{activityId}/flyer': flyer,
});
