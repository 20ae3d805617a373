import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { db, tableName } from './client.js';
import { keys } from '../keys.js';
import { NotFoundError } from '../domain/errors.js';
import type { PersonRecord, TimelineEvent } from './people.js';
import { getReferralsByIds, type ReferralRecord } from './referrals.js';

/** A person's profile, referrals and every recorded transition, oldest first. */
export async function getTimeline(personId: string): Promise<{ person: PersonRecord; referrals: ReferralRecord[]; events: TimelineEvent[]; notifications: Array<Record<string, unknown>> }> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await db().send(
      new QueryCommand({
        TableName: tableName(),
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.person(personId).pk },
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  const person = items.find((i) => i.type === 'person') as PersonRecord | undefined;
  if (!person) throw new NotFoundError('Personne introuvable.');
  const referralIds = items.filter((i) => i.type === 'person-referral').map((i) => String(i.referralId));
  const referrals = [...(await getReferralsByIds(referralIds)).values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const events = items
    .filter((i) => i.type === 'timeline-event')
    .map((i) => ({ at: String(i.at), type: String(i.eventType), label: String(i.label), actor: i.actor as TimelineEvent['actor'], referralId: i.referralId as string | undefined, reason: i.reason as string | undefined }));
  const notifications = items
    .filter((i) => i.type === 'notification')
    .map((i) => ({ notificationId: i.notificationId, kind: i.kind, role: i.role, channel: i.channel, status: i.status, createdAt: i.createdAt, sentAt: i.sentAt, providerMessageId: i.providerMessageId, statusAt: i.statusAt, statusReason: i.statusReason, notBefore: i.notBefore }));
  return { person, referrals, events, notifications };
}
