import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { apiClient, eventually, startTestCloud } from '../support/cloud.js';
import { inDays, launchReadyReferral } from '../support/activities.js';
import { adultSubmission, launchFile } from '../support/fixtures.js';
import { createActivity, getActivity, listActiveActivities, submitForLaunch } from '../../shared/data/activities.js';
import type { ReferralRecord } from '../../shared/data/referrals.js';
import { activeActivityShard, keys } from '../../shared/keys.js';
import { startActivityLaunch } from '../../shared/workflows.js';
import type { ParcoursLocalCloud as LocalCloud } from '../../infra/local-app/profile.js';

/*
 * The launch of an activity on the local cloud (`test` stage timings), through the deployed launch workflow and the
 * generic decision route: submitted, sent back with a comment, submitted again, an approval refused while a launch
 * check fails, approved, active and found by the invoicing's query, each message sent once. The launch-file routes
 * are another part's: the file is created and submitted through the data functions they call (createActivity,
 * submitForLaunch, then startActivityLaunch), and the young person is made launch-ready through the data layer.
 */

let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startTestCloud({ stage: 'test', inMemory: true });
  const launchMachine = cloud.app.stateMachines.find((m) => m.logicalId.startsWith('ActivityLaunchStateMachine'))!;
  Object.assign(process.env, {
    TABLE_NAME: cloud.tableName,
    AWS_ENDPOINT_URL_DYNAMODB: cloud.urls.dynamodb,
    AWS_ENDPOINT_URL_SFN: cloud.urls.awsEndpoint,
    AWS_ACCESS_KEY_ID: cloud.accessKeyId,
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: 'eu-west-3',
    ACTIVITY_LAUNCH_STATE_MACHINE_ARN: launchMachine.arn,
  });
}, 180_000);
afterAll(async () => cloud?.stop());

const launchArn = (name: string) => `${process.env.ACTIVITY_LAUNCH_STATE_MACHINE_ARN!.replace(':stateMachine:', ':execution:')}:${name}`;
const fnArn = (prefix: string) => cloud.app.functions.find((f) => f.logicalId.startsWith(prefix))!.arn;
const reconcilerSchedule = () => cloud.app.schedules.find((s) => s.logicalId.startsWith('ReconcilerSchedule'))!.logicalId;
const emailsTo = async (address: string, subject: string) => (await cloud.ses.listEmails()).filter((m) => m.to.includes(address) && m.subject === subject);
/** The young person's launch file, created and submitted (what PUT /api/me/activity and POST .../submission do). */
async function submitted(referral: ReferralRecord, name: string) {
  const actor = { kind: 'young-person' as const, id: referral.personId, name: referral.youngPerson.firstName };
  const { activity } = (await createActivity({ shape: 'personal', referralId: referral.referralId, file: launchFile(inDays(14), { name, tradeName: name }), actor })).activity;
  const outcome = await submitForLaunch({ activityId: activity.activityId, actor });
  if (!outcome.submitted) throw new Error(`launch problems: ${JSON.stringify(outcome.problems)}`);
  return { activityId: activity.activityId, submission: outcome.activity.submission, actor };
}

async function inboxItemOf(activityId: string, notApprovalId?: string) {
  const camille = apiClient(cloud, 'camille.martin');
  return eventually(
    async () =>
      (await camille('GET', '/api/staff/inbox?kind=activity-launch&limit=100')).body.items.find(
        (i: { activity?: { activityId: string }; approvalId: string }) => i.activity?.activityId === activityId && i.approvalId !== notApprovalId,
      ),
    30_000,
    'the launch approval in the inbox',
  );
}

describe('an activity launch on the local cloud', () => {
  it('goes from a submitted file to an active activity: sent back with a comment, submitted again, approved once its checks pass', async () => {
    const camille = apiClient(cloud, 'camille.martin');
    const referral = await launchReadyReferral(cloud.documentClient, cloud.tableName, adultSubmission({}, 'jeunes-majeurs'));
    const email = referral.youngPerson.email;
    const name = `Jardins ${referral.youngPerson.firstName}`;
    const { activityId, submission, actor } = await submitted(referral, name);
    expect(submission).toBe(1);
    expect(await startActivityLaunch({ activityId, submission })).toMatchObject({ started: 'now', executionArn: launchArn(`launch-${activityId}-1`) });
    // The submission route retried: the same execution (Step Functions answers a running one's repeat with it).
    expect(await startActivityLaunch({ activityId, submission })).toMatchObject({ executionArn: launchArn(`launch-${activityId}-1`) });

    const first = await inboxItemOf(activityId);
    expect(first).toMatchObject({ kind: 'activity-launch', kindLabel: "Lancement d'une activité", activity: { name, shape: 'personal' }, programme: 'jeunes-majeurs', personId: referral.personId });
    await eventually(async () => (await emailsTo(email, 'Votre dossier de lancement est envoyé')).length === 1, 20_000, 'the submission e-mail');

    // Sent back: a comment is required, then the file is a draft again and the member reads the comment.
    expect((await camille('POST', `/api/approvals/${first.approvalId}/decision`, { outcome: 'sent-back' })).status).toBe(400);
    const comment = 'Précisez les communes où vous intervenez et ajoutez un prix pour la taille de haies.';
    expect((await camille('POST', `/api/approvals/${first.approvalId}/decision`, { outcome: 'sent-back', comment })).status).toBe(200);
    expect(await cloud.engine.waitForStatus(launchArn(`launch-${activityId}-1`), { timeoutMs: 30_000, until: (s) => s !== 'RUNNING' })).toBe('SUCCEEDED');
    expect((await getActivity(activityId))!.activity).toMatchObject({ status: 'draft', sentBack: { comment } });
    const sentBack = await eventually(async () => (await emailsTo(email, `Dossier de lancement à reprendre : ${name}`))[0], 20_000, 'the sent-back e-mail');
    expect(sentBack.text).toContain(comment);
    expect(sentBack.text).toMatch(/\/mon-activite#[A-Za-z0-9_-]{43}/);
    expect((await camille('GET', `/api/people/${referral.personId}/timeline`)).body.person).toMatchObject({ pathStatus: 'launch-ready' });

    // Submitted again: a second execution and a new approval.
    const again = await submitForLaunch({ activityId, actor });
    expect(again).toMatchObject({ submitted: true, activity: { submission: 2 } });
    await startActivityLaunch({ activityId, submission: 2 });
    // The first submission's launch ended: starting it again counts as started and runs nothing.
    expect(await startActivityLaunch({ activityId, submission: 1 })).toMatchObject({ started: 'already' });
    const second = await inboxItemOf(activityId, first.approvalId);
    expect((await camille('GET', `/api/people/${referral.personId}/timeline`)).body.person).toMatchObject({ pathStatus: 'launch-submitted' });

    // A launch check that fails at approval time (the contribution out of its bounds) refuses the approval, writing nothing.
    const setRate = (bps: number) =>
      cloud.documentClient.send(new UpdateCommand({ TableName: cloud.tableName, Key: keys.activity(activityId), UpdateExpression: 'SET contributionRateBps = :r', ExpressionAttributeValues: { ':r': bps } }));
    await setRate(3000);
    const before = (await getActivity(activityId))!.activity;
    const refused = await camille('POST', `/api/approvals/${second.approvalId}/decision`, { outcome: 'approved' });
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'contributionRateBps' })]);
    expect((await getActivity(activityId))!.activity).toEqual(before);
    expect((await camille('GET', `/api/staff/inbox?kind=activity-launch&limit=100`)).body.items.some((i: { approvalId: string }) => i.approvalId === second.approvalId)).toBe(true);
    await setRate(800);

    // Approved: active, insured, found by the invoicing's query.
    expect((await camille('POST', `/api/approvals/${second.approvalId}/decision`, { outcome: 'approved' })).status).toBe(200);
    expect(await cloud.engine.waitForStatus(launchArn(`launch-${activityId}-2`), { timeoutMs: 30_000, until: (s) => s !== 'RUNNING' })).toBe('SUCCEEDED');
    const active = (await getActivity(activityId))!.activity;
    expect(active).toMatchObject({ status: 'active', insurance: { included: true } });
    expect((await listActiveActivities({ shard: activeActivityShard(activityId), limit: 100 })).items.map((a) => a.activityId)).toContain(activityId);
    const launched = await eventually(async () => (await emailsTo(email, `Votre activité est lancée : ${name}`))[0], 20_000, 'the launch e-mail');
    expect(launched.text).toMatch(/\/mon-activite#/);

    // "Lancer l'activité" run again (a retried step): nothing written twice, nothing sent twice.
    expect((await cloud.lambda.invoke(fnArn('ActivityStep'), { activityId, submission: 2, action: 'activate' })).ok).toBe(true);
    expect((await getActivity(activityId))!.activity).toEqual(active);
    const timeline = (await camille('GET', `/api/people/${referral.personId}/timeline`)).body;
    expect(timeline.person).toMatchObject({ pathStatus: 'activity-active', pathStatusLabel: 'Activité lancée' });
    const kinds = new Set(['launch-submitted', 'launch-sent-back', 'launch-approved', 'activity-launched']);
    const launchEvents = timeline.events.map((e: { type: string }) => e.type).filter((t: string) => kinds.has(t));
    expect(launchEvents).toEqual(['launch-submitted', 'launch-sent-back', 'launch-submitted', 'launch-approved', 'activity-launched']);
    for (const subject of ['Votre dossier de lancement est envoyé', `Dossier de lancement à reprendre : ${name}`, `Votre activité est lancée : ${name}`]) {
      expect(await emailsTo(email, subject), subject).toHaveLength(1);
    }
    expect(cloud.sms.list().filter((m) => m.destination === referral.youngPerson.phone && m.body.includes('est lancee'))).toHaveLength(1);
  }, 150_000);

  it('starts a launch whose start was lost from the reconciler, once', async () => {
    const referral = await launchReadyReferral(cloud.documentClient, cloud.tableName, adultSubmission({}, 'jeunes-majeurs'));
    const { activityId } = await submitted(referral, `Atelier ${referral.youngPerson.firstName}`);
    // No start after the submission: past the test stage's grace, the reconciler finds it on LAUNCH#AWAITED.
    await new Promise((r) => setTimeout(r, 2_500));
    await cloud.scheduler.fireNow(reconcilerSchedule());
    await inboxItemOf(activityId);
    await cloud.scheduler.fireNow(reconcilerSchedule());
    const executions = (await cloud.engine.listExecutions({ stateMachineArn: process.env.ACTIVITY_LAUNCH_STATE_MACHINE_ARN! })).executions.filter((e) => e.executionArn.includes(activityId));
    expect(executions.map((e) => e.executionArn)).toEqual([launchArn(`launch-${activityId}-1`)]);
  }, 90_000);
});
