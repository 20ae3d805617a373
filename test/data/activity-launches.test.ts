import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { useLocalMessaging, type LocalMessaging } from '../support/messaging.js';
import { inDays, launchReadyReferral } from '../support/activities.js';
import { launchFile, staffCamille } from '../support/fixtures.js';
import { createActivity, getActivity, listActiveActivities, submitForLaunch } from '../../shared/data/activities.js';
import { activityLaunches, launchActivity, openLaunch, sendBackLaunch } from '../../shared/data/activity-launches.js';
import { decide, getApprovalRecord, listOpenApprovals, openApproval, takeDecision } from '../../shared/data/approvals.js';
import type { ReferralRecord } from '../../shared/data/referrals.js';
import { getTimeline } from '../../shared/data/timeline.js';
import { waitingStepHandler } from '../../shared/data/waiting-steps.js';
import { UnprocessableError } from '../../shared/domain/errors.js';
import { activeActivityShard, keys } from '../../shared/keys.js';
import { inboxItem } from '../../shared/views.js';

const APP = 'https://parcours.example.org';
let messaging: LocalMessaging;

beforeAll(async () => {
  messaging = await useLocalMessaging({ SMS_WINDOW: 'off', APP_BASE_URL: APP });
});
afterAll(async () => messaging?.stop());

/** A personal launch file submitted, its launch opened and its approval waiting in the inbox. */
async function waitingLaunch(referral?: ReferralRecord) {
  const young = referral ?? (await launchReadyReferral(messaging.doc, messaging.table));
  const actor = { kind: 'young-person' as const, id: young.personId, name: young.youngPerson.firstName };
  const { activity } = (await createActivity({ shape: 'personal', referralId: young.referralId, file: launchFile(inDays(10)), actor })).activity;
  const submitted = await submitForLaunch({ activityId: activity.activityId, actor });
  if (!submitted.submitted) throw new Error(`launch problems: ${JSON.stringify(submitted.problems)}`);
  const { submission } = submitted.activity;
  expect(await openLaunch(activity.activityId, submission)).toMatchObject({ current: true, personId: young.personId, referralId: young.referralId });
  const opened = await openApproval(activityLaunches, { subjectId: activity.activityId, phase: 'initial', taskToken: `token-${randomUUID()}`, appBaseUrl: APP });
  if (opened.state !== 'waiting') throw new Error('expected an open approval');
  return { referral: young, activityId: activity.activityId, submission, approval: opened.approval, actor };
}

const mailsTo = async (address: string, subject: string) => (await messaging.ses.listEmails()).filter((m) => m.to.includes(address) && m.subject === subject);
const activityItem = async (activityId: string) => (await messaging.doc.send(new GetCommand({ TableName: messaging.table, Key: keys.activity(activityId), ConsistentRead: true }))).Item!;

describe('the launch approval', () => {
  it('is registered as a staff kind, listed in the inbox with the activity and its programme', async () => {
    expect(waitingStepHandler('activity-launch')).toBe(activityLaunches);
    const { referral, activityId, approval } = await waitingLaunch();
    const listed = (await listOpenApprovals({ kind: 'activity-launch', limit: 100 })).items.find((a) => a.approvalId === approval.approvalId);
    expect(listed).toMatchObject({ kind: 'activity-launch', subjectId: activityId, personId: referral.personId, referralId: referral.referralId, programme: 'accompagnement' });
    expect(inboxItem(listed!, referral)).toMatchObject({
      kindLabel: "Lancement d'une activité",
      activity: { activityId, name: 'Les jardins de Léa', shape: 'personal', shapeLabel: 'Activité personnelle' },
      programmeLabel: expect.any(String),
      youngPerson: { firstName: referral.youngPerson.firstName },
    });
    // The approval opened: the activity left the reconciler's awaited launches.
    expect((await activityItem(activityId)).gsi1pk).toBeUndefined();
  });

  it('refuses an approval with a 422 listing the launch problems that appeared since the submission, and writes nothing', async () => {
    const { referral, activityId, submission, approval } = await waitingLaunch();
    const { doc, table } = messaging;
    await doc.send(new UpdateCommand({ TableName: table, Key: keys.activity(activityId), UpdateExpression: 'SET contributionRateBps = :r', ExpressionAttributeValues: { ':r': 3000 } }));
    const before = await activityItem(activityId);
    const refused = await decide(activityLaunches, { approvalId: approval.approvalId, decision: { outcome: 'approved' }, actor: staffCamille }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(UnprocessableError);
    expect(refused).toMatchObject({ statusCode: 422, errors: [expect.objectContaining({ field: 'contributionRateBps' })] });
    expect(await getApprovalRecord(approval.approvalId)).toMatchObject({ status: 'open' });
    expect(await activityItem(activityId)).toEqual(before);
    expect((await getTimeline(referral.personId)).events.some((e) => e.type === 'launch-approved')).toBe(false);

    // Put right, the launch is approved, then launched once however often the step runs.
    await doc.send(new UpdateCommand({ TableName: table, Key: keys.activity(activityId), UpdateExpression: 'SET contributionRateBps = :r', ExpressionAttributeValues: { ':r': 1000 } }));
    await decide(activityLaunches, { approvalId: approval.approvalId, decision: { outcome: 'approved' }, actor: staffCamille });
    expect((await takeDecision(activityLaunches, activityId)).decision).toMatchObject({ outcome: 'approved' });
    expect(await launchActivity(activityId, submission)).toMatchObject({ changed: true, sent: 2 });
    expect(await launchActivity(activityId, submission)).toMatchObject({ changed: false, sent: 0 });

    const { activity } = (await getActivity(activityId))!;
    expect(activity).toMatchObject({ status: 'active', insurance: { included: true, includedAt: expect.any(String) } });
    expect((await listActiveActivities({ shard: activeActivityShard(activityId), limit: 100 })).items.map((a) => a.activityId)).toContain(activityId);
    const timeline = await getTimeline(referral.personId);
    expect(timeline.pathStatus).toBe('activity-active');
    expect(timeline.events.map((e) => e.type).filter((t) => t.startsWith('launch') || t.startsWith('activity'))).toEqual(['launch-submitted', 'launch-approved', 'activity-launched']);
    const launched = await mailsTo(referral.youngPerson.email, 'Votre activité est lancée : Les jardins de Léa');
    expect(launched).toHaveLength(1);
    expect(launched[0]!.text).toMatch(new RegExp(`${APP}/mon-activite#[A-Za-z0-9_-]{43}`));
  });

  it('sends the file back with the comment, to a draft the member edits, and a new submission opens a new approval', async () => {
    const { referral, activityId, submission, approval, actor } = await waitingLaunch();
    const comment = 'Ajoutez un prix pour la taille de haies.';
    await decide(activityLaunches, { approvalId: approval.approvalId, decision: { outcome: 'sent-back', comment }, actor: staffCamille });
    expect((await getActivity(activityId))!.activity.sentBack).toMatchObject({ comment, by: { id: staffCamille.id, name: staffCamille.name } });
    await takeDecision(activityLaunches, activityId);
    expect(await sendBackLaunch(activityId, submission)).toMatchObject({ changed: true });
    expect(await sendBackLaunch(activityId, submission)).toMatchObject({ changed: false, sent: 0 });
    expect((await getActivity(activityId))!.activity).toMatchObject({ status: 'draft', sentBack: { comment } });
    expect((await getTimeline(referral.personId)).pathStatus).toBe('launch-ready');
    const sentBack = await mailsTo(referral.youngPerson.email, 'Dossier de lancement à reprendre : Les jardins de Léa');
    expect(sentBack).toHaveLength(1);
    expect(sentBack[0]!.text).toContain(comment);
    expect(sentBack[0]!.text).toMatch(/\/mon-activite#/);

    // Submitted again: a new submission, opened once, under a new approval; the old one's steps find nothing to do.
    const again = await submitForLaunch({ activityId, actor });
    expect(again).toMatchObject({ submitted: true, activity: { submission: submission + 1 } });
    expect(await openLaunch(activityId, submission + 1)).toMatchObject({ current: true, changed: true });
    expect(await openLaunch(activityId, submission + 1)).toMatchObject({ current: true, changed: false, sent: 0 });
    expect(await openLaunch(activityId, submission)).toMatchObject({ current: false });
    // The acknowledgement of a file submitted again the same day is held back as a repeat (at most one a day).
    expect(await mailsTo(referral.youngPerson.email, 'Votre dossier de lancement est envoyé')).toHaveLength(1);
    const second = await messaging.doc.send(new GetCommand({ TableName: messaging.table, Key: keys.notification(referral.personId, `launch-submitted#${activityId}#${submission + 1}#young#email`), ConsistentRead: true }));
    expect(second.Item).toMatchObject({ status: 'suppressed', linkPage: '/mon-activite' });
    expect((await getTimeline(referral.personId)).pathStatus).toBe('launch-submitted');
    const reopened = await openApproval(activityLaunches, { subjectId: activityId, phase: 'initial', taskToken: `token-${randomUUID()}`, appBaseUrl: APP });
    expect(reopened).toMatchObject({ state: 'waiting', created: true });
    if (reopened.state === 'waiting') expect(reopened.approval.approvalId).not.toBe(approval.approvalId);
  });
});
