/**
 * The routes of the young person's space (functions/me/api.ts), read by the stack to declare them (decision 29): no runtime
 * import here. Public at the gateway; each handler accepts only the young person's personal link.
 */
export const YOUNG_PERSON_ROUTES = [
  'GET /api/me',
  'GET /api/me/documents',
  'POST /api/me/documents/{docType}/uploads',
  'POST /api/me/uploads/{uploadId}/complete',
  'PUT /api/me/bank-details',
  'GET /api/me/sessions',
  'PUT /api/me/session',
  'GET /api/me/contract',
  'POST /api/me/contract/acceptance',
  'GET /api/me/activities',
  'PUT /api/me/activity',
  'POST /api/me/activity/submission',
  'GET /api/me/activities/{activityId}/flyer',
] as const;

export type YoungPersonRoute = (typeof YOUNG_PERSON_ROUTES)[number];
