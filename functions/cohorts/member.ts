import { apiRoute, json, readJsonBody } from '../../shared/http/api.js';
import { setCommitteeRole } from '../../shared/data/cohorts.js';
import type { Staff } from '../../shared/domain/actor.js';
import { COMMITTEE_ROLE_LABELS, committeeRoleSchema } from '../../shared/domain/activities.js';
import { parseOrThrow } from '../../shared/domain/validation.js';
import { correlate, logger } from '../../shared/observability.js';

/** PUT /api/staff/cohorts/{cohortId}/members/{referralId} { committeeRole }: a member's role in the cohort's committee (null: none). */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event, actor }) => {
  const cohortId = event.pathParameters?.cohortId ?? '';
  const referralId = event.pathParameters?.referralId ?? '';
  const { committeeRole } = parseOrThrow(committeeRoleSchema, readJsonBody(event), 'Le rôle est invalide.');
  correlate({ referralId });
  const { member, changed } = await setCommitteeRole({ cohortId, referralId, committeeRole, staff: actor as Staff });
  logger.info('committee role set', { cohortId, committeeRole: committeeRole ?? 'none', changed });
  return json(200, { referralId, name: member.name, committeeRole: member.committeeRole ?? null, committeeRoleLabel: member.committeeRole ? COMMITTEE_ROLE_LABELS[member.committeeRole] : undefined });
});
