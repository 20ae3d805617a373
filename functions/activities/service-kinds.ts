import { apiRoute, json } from '../../shared/http/api.js';
import { listServiceKinds } from '../../shared/data/service-kinds.js';
import { serviceKindView } from '../../shared/activity-views.js';

/** GET /api/staff/service-kinds: the service catalogue (retired kinds too), by label. */
export const handler = apiRoute({ roles: ['staff'] }, async () => json(200, { items: (await listServiceKinds()).map(serviceKindView) }));
