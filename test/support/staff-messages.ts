import { expect } from 'vitest';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { apiEvent, lambdaContext } from './events.js';
import { staffCamille } from './fixtures.js';
import { sesEventAbout, type LocalMessaging } from './messaging.js';
import { handler as staffMessages } from '../../functions/staff/messages.js';
import { handler as deliveryEvents } from '../../functions/notifications/delivery-events.js';
import { keys } from '../../shared/keys.js';

/**
 * What SES publishes about a message it sent (its outbox key in the tags the sender gave it), read by the delivery
 * function: one report recorded. `expectStatus`: the message's status before the event, checked first.
 */
export async function deliverSesEvent(
  local: LocalMessaging,
  ownerId: string,
  notificationId: string,
  detailType: 'Email Delivered' | 'Email Bounced' | 'Email Complaint Received',
  options: { expectStatus?: string } = {},
): Promise<void> {
  const stored = (await local.doc.send(new GetCommand({ TableName: local.table, Key: keys.notification(ownerId, notificationId), ConsistentRead: true }))).Item!;
  if (options.expectStatus) expect(stored.status).toBe(options.expectStatus);
  const event = sesEventAbout(stored, ownerId, notificationId, detailType);
  expect(await deliveryEvents(event as never, lambdaContext() as never)).toEqual({ recorded: 1, dropped: 0 });
}

/** "Messages et contacts" as staff read it (GET /api/staff/messages): the failed messages, the opt-outs, the addresses to fix. */
export async function listStaffMessages(): Promise<{ failed: Array<Record<string, unknown>>; optOuts: Array<Record<string, unknown>>; toFix: Array<Record<string, unknown>> }> {
  const response = await staffMessages(apiEvent({ routeKey: 'GET /api/staff/messages', actor: staffCamille }) as never, lambdaContext() as never);
  expect(response.statusCode).toBe(200);
  return JSON.parse(String(response.body)) as { failed: Array<Record<string, unknown>>; optOuts: Array<Record<string, unknown>>; toFix: Array<Record<string, unknown>> };
}
