import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { db, tableName } from '../data/client.js';
import { getReferralRecord } from '../data/referrals.js';
import { keys } from '../keys.js';
import { render, type Channel } from '../domain/messages/catalogue.js';
import { outboxPuts, type OutboxDraft, type OutboxMessage } from '../data/outbox.js';
import { isConditionalCheckFailed } from '../data/transactions.js';

/** Why a message goes by the other channel: it did not arrive, or the person stopped SMS and the message is mandatory. */
export type FallbackWhy = 'failed' | 'opted-out';

export const fallbackCause = (notificationId: string) => `fallback#${notificationId}`;

const otherChannel = (channel: Channel): Channel => (channel === 'email' ? 'sms' : 'email');

/**
 * The recipient's address on the other channel, as given in the referral the message is about (and corrected there
 * by a staff fix): a message about one referral never goes to contact details another referral gave, which may be
 * another young person's (a family's shared e-mail). A young person's message without a referral falls back on the
 * profile. Prescribers and staff are reached by e-mail only.
 */
export async function otherChannelAddress(personId: string, message: Pick<OutboxMessage, 'role' | 'channel' | 'referralId'>): Promise<string | undefined> {
  const field = otherChannel(message.channel) === 'email' ? 'email' : 'phone';
  if (message.role !== 'young' && message.role !== 'guardian') return undefined;
  if (message.referralId) {
    const referral = await getReferralRecord(message.referralId);
    return message.role === 'young' ? referral?.youngPerson[field] : referral?.guardian?.[field];
  }
  if (message.role === 'guardian') return undefined;
  const person = await db().send(new GetCommand({ TableName: tableName(), Key: keys.person(personId), ConsistentRead: true }));
  return person.Item?.[field] as string | undefined;
}

/** The message that tells the recipient, by the other channel, what did not reach them; undefined when the catalogue has none. */
export function fallbackDraft(message: OutboxMessage, to: string, why: FallbackWhy): OutboxDraft | undefined {
  if (message.role !== 'young' && message.role !== 'guardian') return undefined;
  if (message.channel === 'email') {
    // An e-mail opt-out is not a reason to text someone.
    if (why !== 'failed') return undefined;
    return { kind: 'email-undelivered', role: message.role, channel: 'sms', to, body: render('email-undelivered', message.role, 'sms', { subject: message.subject ?? '' }).body };
  }
  // The SMS quoted keeps its link placeholder: the e-mail gets a link of its own when it is sent.
  return {
    kind: 'sms-undelivered',
    role: message.role,
    channel: 'email',
    to,
    ...render('sms-undelivered', message.role, 'email', { smsText: message.body, why }),
    ...(message.personalLink ? { personalLink: message.personalLink } : {}),
  };
}

/**
 * Writes the fallback of one message into the outbox, listed as due so the dispatcher sends it if nobody does sooner.
 * Its id derives from the original's: a report seen twice, or a retried step, writes it once.
 * Returns the cause to send, or undefined when the recipient has no other channel.
 */
export async function writeFallback(personId: string, message: OutboxMessage, why: FallbackWhy, now: Date): Promise<{ cause: string } | undefined> {
  if (message.kind === 'email-undelivered' || message.kind === 'sms-undelivered') return undefined; // no fallback of a fallback
  const to = await otherChannelAddress(personId, message);
  if (!to) return undefined;
  const draft = fallbackDraft(message, to, why);
  if (!draft) return undefined;
  const cause = fallbackCause(message.notificationId);
  // The message, and for one with a personal link the filing of its address (written unconditionally).
  for (const put of outboxPuts(tableName(), personId, cause, [draft], now.toISOString(), { referralId: message.referralId })) {
    try {
      await db().send(new PutCommand(put.Put));
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }
  return { cause };
}
