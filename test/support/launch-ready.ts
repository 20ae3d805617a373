import { randomUUID } from 'node:crypto';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createOnboarding, finishOnboarding } from '../../shared/data/onboarding.js';
import { submitReferral, type ReferralRecord } from '../../shared/data/referrals.js';
import type { ReferralSubmission } from '../../shared/domain/referral.js';
import { keys } from '../../shared/keys.js';
import { adultSubmission, prescriberLens } from './fixtures.js';

/**
 * An accepted referral whose onboarding is over, ready for the launch (or still under way, when `ready` is false),
 * written straight to the table: the tests of the launch start there.
 */
export async function launchReadyReferral(doc: DynamoDBDocumentClient, tableName: string, submission: ReferralSubmission = adultSubmission(), ready = true): Promise<ReferralRecord> {
  const { referral } = await submitReferral({ prescriber: prescriberLens, submission, idempotencyKey: randomUUID() });
  await doc.send(new UpdateCommand({ TableName: tableName, Key: keys.referral(referral.referralId), UpdateExpression: 'SET #s = :a', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':a': 'accepted' } }));
  const accepted = { ...referral, status: 'accepted' as const };
  await createOnboarding({ referral: accepted });
  if (ready) await finishOnboarding({ referralId: referral.referralId, to: 'ready' });
  return accepted;
}

/** A CJS young person, 16 now and so a minor next summer. */
export function cjsSubmission(): ReferralSubmission {
  return adultSubmission({ birthDate: `${new Date().getUTCFullYear() - 16}-09-01`, situation: 'etudiant' }, 'cjs');
}
