import { apiRoute, json, readJsonBody } from '../../shared/http/api.js';
import { contactFixSchemas } from '../../shared/domain/referral.js';
import { parseOrThrow } from '../../shared/domain/validation.js';
import { NotFoundError } from '../../shared/domain/errors.js';
import type { Staff } from '../../shared/domain/actor.js';
import { fixContact, parseContactIssueId } from '../../shared/notifications/contacts.js';
import { correlate } from '../../shared/observability.js';
import { contactFixAnswer } from '../../shared/views.js';

/**
 * POST /api/people/{personId}/contact-issues/{issueId}/fix: staff correct an address that bounced or failed;
 * the messages that did not arrive go again, once, to the new one.
 */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event, actor }) => {
  const personId = event.pathParameters?.personId ?? '';
  const issueId = event.pathParameters?.issueId ?? '';
  const named = parseContactIssueId(issueId);
  if (!named) throw new NotFoundError('Contact à corriger introuvable.');
  const { value } = parseOrThrow(contactFixSchemas[named.channel], readJsonBody(event), 'La correction contient des erreurs.');
  correlate({ personId });
  const result = await fixContact({ personId, issueId, value, staff: actor as Staff });
  return json(200, contactFixAnswer(result));
});
