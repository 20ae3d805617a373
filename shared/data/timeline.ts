import { queryPrefix } from './client.js';
import { withDeliveries } from './outbox.js';
import { keys } from '../keys.js';
import { NotFoundError } from '../domain/errors.js';
import { derivePathStatus } from '../domain/path-status.js';
import type { OnboardingPathStatus, PathStatus, ReferralStatus } from '../domain/referral.js';
import { canonicalPersonIds, type PersonRecord, type TimelineEvent } from './people.js';
import { getReferralsByIds, type ReferralRecord } from './referrals.js';

export interface Timeline {
  /** The person asked for, or the one staff confirmed it to be. */
  person: PersonRecord;
  /** Derived from every referral of the person, those of the people joined to it included. */
  pathStatus: PathStatus;
  /** Other records confirmed to be this person ("doublon possible" confirmed): their history is shown here too. */
  joinedPersonIds: string[];
  referrals: ReferralRecord[];
  events: TimelineEvent[];
  notifications: Array<Record<string, unknown>>;
}

/** Every item of a person's partition: profile, referral links, events, messages. */
const personPartition = (personId: string) => queryPrefix(keys.person(personId).pk, '');

/**
 * A person's profile, referrals and every recorded transition, oldest first. A person confirmed to be another
 * answers with that one's timeline, which gathers the partitions of every record joined to it.
 */
export async function getTimeline(personId: string): Promise<Timeline> {
  const canonicalId = (await canonicalPersonIds([personId])).get(personId) ?? personId;
  const first = await personPartition(canonicalId);
  const person = first.find((i) => i.type === 'person') as PersonRecord | undefined;
  if (!person) throw new NotFoundError('Personne introuvable.');
  const joinedPersonIds = [...(person.alsoKnownAs ?? [])].filter((id) => id !== canonicalId).sort();
  // Messages with their delivery receipts applied (decision 42): the partitions hold both.
  const items = withDeliveries([...first, ...(await Promise.all(joinedPersonIds.map(personPartition))).flat()]);
  const referralIds = items.filter((i) => i.type === 'person-referral').map((i) => String(i.referralId));
  const referrals = [...(await getReferralsByIds(referralIds)).values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  // The referral items are the source; the copies on the profiles count for referrals not read here.
  const statuses: Record<string, ReferralStatus> = {};
  for (const profile of items.filter((i) => i.type === 'person') as unknown as PersonRecord[]) Object.assign(statuses, profile.referralStatuses ?? {});
  for (const referral of referrals) statuses[referral.referralId] = referral.status;
  // An onboarding's status is recorded on the person's link to its referral (shared/data/onboarding.ts).
  const onboarding = new Map(items.filter((i) => i.type === 'person-referral' && i.onboardingStatus).map((i) => [String(i.referralId), i.onboardingStatus as OnboardingPathStatus]));
  const events = items
    .filter((i) => i.type === 'timeline-event')
    .map((i) => ({ at: String(i.at), type: String(i.eventType), label: String(i.label), actor: i.actor as TimelineEvent['actor'], referralId: i.referralId as string | undefined, reason: i.reason as string | undefined }))
    .sort((a, b) => a.at.localeCompare(b.at));
  const notifications = items
    .filter((i) => i.type === 'notification')
    .map((i) => ({ notificationId: i.notificationId, kind: i.kind, role: i.role, channel: i.channel, status: i.status, createdAt: i.createdAt, sentAt: i.sentAt, providerMessageId: i.providerMessageId, statusAt: i.statusAt, statusReason: i.statusReason, notBefore: i.notBefore }));
  return { person, pathStatus: derivePathStatus(Object.entries(statuses).map(([referralId, status]) => ({ status, onboarding: onboarding.get(referralId) }))), joinedPersonIds, referrals, events, notifications };
}
