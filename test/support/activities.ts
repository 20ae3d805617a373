import { randomUUID } from 'node:crypto';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { adultSubmission, launchFile, prescriberLens } from './fixtures.js';
import { addMember, createActivity } from '../../shared/data/activities.js';
import { storeLink } from '../../shared/data/personal-links.js';
import { createOnboarding, finishOnboarding } from '../../shared/data/onboarding.js';
import { submitReferral, type ReferralRecord } from '../../shared/data/referrals.js';
import type { ReferralSubmission } from '../../shared/domain/referral.js';
import { parisDate } from '../../shared/domain/time.js';
import { keys } from '../../shared/keys.js';

/** The Paris date `days` from today. */
export const inDays = (days: number) => new Date(Date.parse(`${parisDate()}T12:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/**
 * An accepted referral whose onboarding is over (its contract countersigned): ready for the launch (or still under
 * way, when `ready` is false). Written through the data layer, off the reconciler's list of referrals waiting for
 * their workflow (the path starts at the launch).
 */
export async function launchReadyReferral(doc: DynamoDBDocumentClient, table: string, submission: ReferralSubmission = adultSubmission(), ready = true): Promise<ReferralRecord> {
  const { referral } = await submitReferral({ prescriber: prescriberLens, submission, idempotencyKey: randomUUID() });
  await doc.send(
    new UpdateCommand({ TableName: table, Key: keys.referral(referral.referralId), UpdateExpression: 'SET #s = :a REMOVE gsi1pk, gsi1sk', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':a': 'accepted' } }),
  );
  const accepted = { ...referral, status: 'accepted' as const };
  await createOnboarding({ referral: accepted });
  if (ready) await finishOnboarding({ referralId: referral.referralId, to: 'ready' });
  return accepted;
}

/** A CJS young person, 16 now and so a minor next summer. */
export function cjsSubmission(): ReferralSubmission {
  return adultSubmission({ birthDate: `${new Date().getUTCFullYear() - 16}-09-01`, situation: 'etudiant' }, 'cjs');
}

/** The first day of the Paris month `months` from this one (-1: last month's). */
export function monthStart(months: number): string {
  const [y, m] = parisDate().split('-').map(Number);
  const index = y * 12 + (m - 1) + months;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}-01`;
}

/**
 * An active activity that started on the first of last month, with a price list from then on ('Tonte', 15 € an
 * hour, id L1) and a member holding a personal link: what the members' invoicing routes need. Personal by default
 * (its holder); `collective`: a Jeunes Majeurs one with two members, each with a link. Written through the data
 * layer, then set active as an approved launch leaves it.
 */
export async function activeActivityWithMembers(doc: DynamoDBDocumentClient, table: string, shape: 'personal' | 'collective' = 'personal') {
  const startDate = monthStart(-1);
  const actor = { kind: 'staff' as const, id: 'staff-test', name: 'Camille Martin' };
  const first = await launchReadyReferral(doc, table, adultSubmission({}, 'jeunes-majeurs'));
  const file = launchFile(startDate, { priceLines: [{ lineId: 'L1', label: 'Tonte', unit: 'heure', unitPriceCents: 1500, serviceKind: 'jardinage', vatRateBps: 2000 }], ...(shape === 'collective' ? { endDate: monthStart(8) } : {}) });
  const { activity } = shape === 'personal' ? await createActivity({ shape, referralId: first.referralId, file, actor }) : await createActivity({ shape, programme: 'jeunes-majeurs', file, actor });
  const activityId = activity.activity.activityId;
  const members = [first];
  if (shape === 'collective') {
    members.push(await launchReadyReferral(doc, table, adultSubmission({}, 'jeunes-majeurs')));
    for (const member of members) await addMember({ activityId, referralId: member.referralId, actor });
  }
  await doc.send(new UpdateCommand({ TableName: table, Key: keys.activity(activityId), UpdateExpression: 'SET #s = :active', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':active': 'active' } }));
  const links = await Promise.all(members.map(async (m) => ({ referral: m, token: (await storeLink({ personId: m.personId, referralId: m.referralId, audience: 'young-person' })).token })));
  return { activityId, members: links };
}
