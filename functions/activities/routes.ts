/**
 * The routes of staff's activities and service kinds (functions/activities/api.ts), read by the stack to declare them (decision 29):
 * no runtime import here. Behind the Cognito authorizer; each handler accepts staff only.
 */
export const STAFF_ACTIVITIES_ROUTES = [
  'GET /api/staff/service-kinds',
  'PUT /api/staff/service-kinds/{code}',
  'GET /api/staff/activities',
  'POST /api/staff/activities',
  'GET /api/staff/activities/{activityId}',
  'PUT /api/staff/activities/{activityId}',
  'POST /api/staff/activities/{activityId}/submission',
  'POST /api/staff/activities/{activityId}/prices',
  'POST /api/staff/activities/{activityId}/members',
  'POST /api/staff/activities/{activityId}/status',
  'GET /api/staff/activities/{activityId}/flyer',
] as const;

export type StaffActivitiesRoute = (typeof STAFF_ACTIVITIES_ROUTES)[number];
