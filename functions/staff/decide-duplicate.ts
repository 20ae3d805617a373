import { apiRoute, json, readJsonBody } from '../../shared/http/api.js';
import { NotFoundError } from '../../shared/domain/errors.js';
import { DUPLICATE_DECISION_LABELS, duplicateDecisionSchema, isPossibleDuplicateId } from '../../shared/domain/person-matching.js';
import { parseOrThrow } from '../../shared/domain/validation.js';
import { decidePossibleDuplicate } from '../../shared/data/possible-duplicates.js';
import type { Staff } from '../../shared/domain/actor.js';
import { correlate, logger } from '../../shared/observability.js';

/**
 * POST /api/staff/duplicates/{duplicateId}/decision: staff say whether a "doublon possible" is one person
 * (`same-person`: the records are joined) or two (`different-people`: never asked again). The same answer again is a no-op.
 */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event, actor }) => {
  const duplicateId = event.pathParameters?.duplicateId ?? '';
  if (!isPossibleDuplicateId(duplicateId)) throw new NotFoundError('Doublon possible introuvable.');
  const { decision } = parseOrThrow(duplicateDecisionSchema, readJsonBody(event), 'La réponse contient des erreurs.');
  const { duplicate, alreadyDecided } = await decidePossibleDuplicate({ duplicateId, decision, staff: actor as Staff });
  correlate({ personId: duplicate.personId });
  logger.info('possible duplicate settled', { decision, alreadyDecided });
  return json(200, { duplicateId, status: duplicate.status, statusLabel: DUPLICATE_DECISION_LABELS[decision], alreadyDecided });
});
