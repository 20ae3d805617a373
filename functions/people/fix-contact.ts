import { apiRoute, json, readJsonBody } from '../../shared/http/api.js';
import { contactFixSchemas } from '../../shared/domain/referral.js';
import { parseOrThrow } from '../../shared/domain/validation.js';
import { NotFoundError } from '../../shared/domain/errors.js';
import type { Staff } from '../../shared/domain/actor.js';
import { fixContact } from '../../shared/notifications/contacts.js';
import { correlate } from '../../shared/observability.js';

const ISSUE_ID = /^(young|guardian|prescriber)\.(email|sms)\.[0-9a-f]{16}$/;

/**
 * POST /api/people/{personId}/contact-issues/{issueId}/fix: staff correct an address that bounced or failed;
 * the messages that did not arrive go again, once, to the new one.
 */
export const handler = apiRoute({ roles: ['staff'] }, async ({ event, actor }) => {
  const personId = event.pathParameters?.personId ?? '';
  const issueId = event.pathParameters?.issueId ?? '';
  const match = ISSUE_ID.exec(issueId);
  if (!match) throw new NotFoundError('Contact à corriger introuvable.');
  const channel = match[2] as 'email' | 'sms';
  const { value } = parseOrThrow(contactFixSchemas[channel], readJsonBody(event), 'La correction contient des erreurs.');
  correlate({ personId });
  const result = await fixContact({ personId, issueId, value, staff: actor as Staff });
  return json(200, { status: 'fixed', ...result });
});
