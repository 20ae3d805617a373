/**
 * The routes of the guardian's consent (functions/guardian/api.ts), read by the stack to declare them (decision 29): no
 * runtime import here. Public at the gateway; each handler accepts only a guardian's personal link.
 */
export const GUARDIAN_ROUTES = ['GET /api/guardian', 'POST /api/guardian/consent'] as const;

export type GuardianRoute = (typeof GUARDIAN_ROUTES)[number];
