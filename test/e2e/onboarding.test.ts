import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { apiClient, eventually, startTestCloud } from '../support/cloud.js';
import { adultSubmission, minorSubmission } from '../support/fixtures.js';
import type { ParcoursLocalCloud as LocalCloud } from '../../infra/local-app/profile.js';
import type { ReferralSubmission } from '../../shared/domain/referral.js';

// The whole path runs on the local cloud with the `test` stage's timings, through the deployed workflows.
let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startTestCloud({ stage: 'test', inMemory: true });
}, 180_000);
afterAll(async () => cloud?.stop());

const machine = (prefix: string) => cloud.app.stateMachines.find((m) => m.logicalId.startsWith(prefix))!;
const fnArn = (prefix: string) => cloud.app.functions.find((f) => f.logicalId.startsWith(prefix))!.arn;
const executionArn = (prefix: string, name: string) => `${machine(prefix).arn.replace(':stateMachine:', ':execution:')}:${name}`;
const reconcilerSchedule = () => cloud.app.schedules.find((s) => s.logicalId.startsWith('ReconcilerSchedule'))!.logicalId;
const emailsTo = async (address: string, subject: string) => (await cloud.ses.listEmails()).filter((m) => m.to.includes(address) && m.subject === subject);
const onboardingExecutions = async (referralId: string) =>
  (await cloud.engine.listExecutions({ stateMachineArn: machine('OnboardingStateMachine').arn })).executions.filter((e) => e.executionArn.endsWith(`:onboarding-${referralId}`));

async function submitted(submission: ReferralSubmission) {
  const sarah = apiClient(cloud, 'sarah.benali');
  const camille = apiClient(cloud, 'camille.martin');
  const { body } = await sarah('POST', '/api/referrals', submission, { 'idempotency-key': randomUUID() });
  const item = await eventually(async () => (await camille('GET', '/api/staff/inbox?limit=100')).body.items.find((i: { referralId: string }) => i.referralId === body.referralId), 40_000, 'inbox item');
  return { referralId: body.referralId as string, personId: item.personId as string, approvalId: item.approvalId as string };
}

describe('the onboarding starts once an accepted referral', () => {
  it('starts after the acceptance, and neither a retried start nor the reconciler starts a second one', async () => {
    const camille = apiClient(cloud, 'camille.martin');
    const submission = adultSubmission({}, 'jeunes-majeurs');
    const { referralId, personId, approvalId } = await submitted(submission);
    expect((await camille('POST', `/api/approvals/${approvalId}/decision`, { outcome: 'accepted' })).status).toBe(200);

    // The referral's path ends after "Démarrer l'accueil"; the onboarding runs on in its own execution.
    expect(await cloud.engine.waitForStatus(executionArn('ReferralStateMachine', referralId), { timeoutMs: 30_000, until: (s) => s !== 'RUNNING' })).toBe('SUCCEEDED');
    const board = await eventually(
      async () => (await camille('GET', '/api/staff/onboarding?programme=jeunes-majeurs&limit=100')).body.items.find((i: { referralId: string }) => i.referralId === referralId),
      20_000,
      'the young person on the onboarding board',
    );
    expect(board).toMatchObject({ programme: 'jeunes-majeurs', minor: false, waitingOn: { step: 'information-session', ageDays: 0 }, youngPerson: { firstName: submission.youngPerson.firstName } });
    expect(board.checklist.map((s: { step: string }) => s.step)).toEqual(['information-session', 'diagnosis', 'documents', 'contract-acceptance', 'contract-countersign']);
    expect((await camille('GET', '/api/staff/onboarding?programme=cjs&limit=100')).body.items.some((i: { referralId: string }) => i.referralId === referralId)).toBe(false);
    const welcome = () => emailsTo(submission.youngPerson.email, 'Votre accueil à CoopConnexion commence');
    await eventually(async () => (await welcome()).length === 1, 15_000, 'the welcome e-mail');
    expect((await welcome())[0].text).toContain("réunion d'information");

    // "Démarrer l'accueil" retried (its Lambda run again), then the reconciler: still one execution, one welcome.
    const again = await cloud.lambda.invoke(fnArn('StartOnboarding'), { referralId, personId });
    expect(again.ok).toBe(true);
    await new Promise((r) => setTimeout(r, 2_500)); // the test stage's grace
    await cloud.scheduler.fireNow(reconcilerSchedule());
    expect(await onboardingExecutions(referralId)).toHaveLength(1);
    expect(await welcome()).toHaveLength(1);
    expect(cloud.sms.list().filter((m) => m.destination === submission.youngPerson.phone && m.body.includes('accueil commence'))).toHaveLength(1);

    const timeline = await camille('GET', `/api/people/${personId}/timeline`);
    expect(timeline.body.person).toMatchObject({ pathStatus: 'onboarding', pathStatusLabel: 'Accueil en cours' });
    expect(timeline.body.events.filter((e: { type: string }) => e.type === 'onboarding-started')).toHaveLength(1);
  }, 120_000);

  it('starts a lost onboarding from the reconciler, once, and welcomes a minor\'s guardian too', async () => {
    const camille = apiClient(cloud, 'camille.martin');
    const submission = minorSubmission();
    const { referralId, approvalId } = await submitted(submission);
    // The referral's workflow is gone when staff accept: nothing runs "Démarrer l'accueil".
    await cloud.engine.stopExecution({ executionArn: executionArn('ReferralStateMachine', referralId) });
    expect((await camille('POST', `/api/approvals/${approvalId}/decision`, { outcome: 'accepted' })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await onboardingExecutions(referralId)).toHaveLength(0);
    await cloud.scheduler.fireNow(reconcilerSchedule());
    await eventually(async () => (await onboardingExecutions(referralId)).length === 1, 15_000, 'the onboarding started by the reconciler');
    const board = await eventually(
      async () => (await camille('GET', '/api/staff/onboarding?limit=100')).body.items.find((i: { referralId: string }) => i.referralId === referralId),
      20_000,
      'the minor on the board',
    );
    expect(board.minor).toBe(true);
    expect(board.checklist.map((s: { step: string }) => s.step)).toContain('guardian-consent');
    await eventually(async () => (await emailsTo(submission.guardian!.email, `Accueil de ${submission.youngPerson.firstName} à CoopConnexion`)).length === 1, 15_000, "the guardian's welcome");
    await cloud.scheduler.fireNow(reconcilerSchedule());
    expect(await onboardingExecutions(referralId)).toHaveLength(1);
  }, 120_000);
});

describe("the onboarding's own end steps", () => {
  /** An onboarding opened by the workflow, ended by its step function as the workflow calls it. */
  async function opened() {
    const camille = apiClient(cloud, 'camille.martin');
    const submission = adultSubmission();
    const ids = await submitted(submission);
    await camille('POST', `/api/approvals/${ids.approvalId}/decision`, { outcome: 'accepted' });
    await eventually(async () => (await camille('GET', '/api/staff/onboarding?limit=100')).body.items.some((i: { referralId: string }) => i.referralId === ids.referralId), 20_000, 'opened');
    return { ...ids, submission, camille };
  }

  it('makes the path ready for the activity launch once, and takes it off the board', async () => {
    const { referralId, personId, submission, camille } = await opened();
    for (let i = 0; i < 2; i++) expect(await cloud.lambda.invoke(fnArn('OnboardingStep'), { referralId, personId, action: 'ready' })).toMatchObject({ ok: true, result: { status: 'ready' } });
    expect((await camille('GET', `/api/people/${personId}/timeline`)).body.person).toMatchObject({ pathStatus: 'launch-ready', pathStatusLabel: 'Prêt pour le lancement' });
    expect((await camille('GET', '/api/staff/onboarding?limit=100')).body.items.some((i: { referralId: string }) => i.referralId === referralId)).toBe(false);
    expect(await emailsTo(submission.youngPerson.email, 'Votre accueil est terminé : place au lancement de votre activité')).toHaveLength(1);
  }, 90_000);

  it("ends the path with the reason, once, and the young person is told why", async () => {
    const { referralId, personId, submission, camille } = await opened();
    for (let i = 0; i < 2; i++) await cloud.lambda.invoke(fnArn('OnboardingStep'), { referralId, personId, action: 'end', reason: 'withdrawn' });
    const timeline = (await camille('GET', `/api/people/${personId}/timeline`)).body;
    expect(timeline.person.pathStatus).toBe('onboarding-ended');
    expect(timeline.events.filter((e: { type: string }) => e.type === 'onboarding-ended')).toHaveLength(1);
    const [ended, ...more] = await emailsTo(submission.youngPerson.email, 'Votre parcours à CoopConnexion est arrêté');
    expect(more).toHaveLength(0);
    expect(ended.text).toContain('Motif : Le jeune ne souhaite plus poursuivre.');
  }, 90_000);
});
