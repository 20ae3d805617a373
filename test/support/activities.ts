import { randomUUID } from 'node:crypto';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { adultSubmission, prescriberLens } from './fixtures.js';
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
