import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { apiClient, eventually, startTestCloud, useCloudTable } from '../support/cloud.js';
import { launchBrowser } from '../support/browser.js';
import { cjsSubmission, inDays, launchReadyReferral } from '../support/activities.js';
import { adultSubmission, launchFile } from '../support/fixtures.js';
import { fillPriceLine, hasHorizontalScroll, resetSession } from '../support/pages.js';
import { recordPersonalValues } from '../support/personal-data.js';
import { createActivity, getActivity, listActiveActivities, submitForLaunch } from '../../shared/data/activities.js';
import { storeLink } from '../../shared/data/personal-links.js';
import type { ReferralRecord } from '../../shared/data/referrals.js';
import type { ReferralSubmission } from '../../shared/domain/referral.js';
import { activeActivityShard, keys } from '../../shared/keys.js';
import { startActivityLaunch } from '../../shared/workflows.js';
import type { ParcoursLocalCloud as LocalCloud } from '../../infra/local-app/profile.js';

/*
 * The activity launch on ONE local cloud of the `test` stage (one cloud start for the whole area).
 *
 * Through the deployed launch workflow and the generic decision route: submitted, sent back with a comment,
 * submitted again, an approval refused while a launch check fails, approved, active and found by the invoicing's
 * query, each message sent once. There the file is created and submitted through the data functions the launch-file
 * routes call (createActivity, submitForLaunch, then startActivityLaunch).
 *
 * Then its pages in headless Chromium: the launch file filled on a phone and submitted (its launch workflow opens the
 * approval), the staff sending it back with a comment the phone then shows, and approving the file submitted again;
 * a CJS cohort created, a young person placed in it and given a committee role. Each young person reaches the end of
 * onboarding through the data layer (the onboarding pages have their own tests).
 */

let cloud: LocalCloud;
let browser: Browser;
let phone: BrowserContext;
let staffPage: Page;

beforeAll(async () => {
  [cloud, browser] = await Promise.all([startTestCloud({ stage: 'test', inMemory: true }), launchBrowser()]);
  const launchMachine = cloud.app.stateMachines.find((m) => m.logicalId.startsWith('ActivityLaunchStateMachine'))!;
  useCloudTable(cloud, { AWS_ENDPOINT_URL_SFN: cloud.urls.awsEndpoint, ACTIVITY_LAUNCH_STATE_MACHINE_ARN: launchMachine.arn, APP_BASE_URL: cloud.urls.app });
  phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'fr-FR', timezoneId: 'Europe/Paris' });
  // A staff session in the tab, as the login leaves it (the login page has its own tests).
  staffPage = await browser.newPage({ viewport: { width: 1100, height: 900 }, locale: 'fr-FR', timezoneId: 'Europe/Paris' });
  await resetSession(staffPage, cloud.urls.app.replace(/\/$/, ''), cloud.issuer.mintIdToken('camille.martin'));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await cloud?.stop();
});

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

// --- The pages ---

const staff = () => apiClient(cloud, 'camille.martin');

/** A young person at the end of onboarding (contract countersigned), and their personal link. */
async function launchReady(submission: ReferralSubmission): Promise<{ referral: ReferralRecord; token: string }> {
  const referral = await launchReadyReferral(cloud.documentClient, cloud.tableName, submission);
  const { token } = await storeLink({ personId: referral.personId, referralId: referral.referralId, audience: 'young-person' });
  recordPersonalValues([['link token', token]]);
  return { referral, token };
}

/** The open launch approval of an activity, once its workflow opened it. */
async function openApproval(activityId: string): Promise<string> {
  return await eventually(async () => {
    const inbox = await staff()('GET', '/api/staff/inbox?kind=activity-launch');
    return inbox.body?.items?.find((i: { activity?: { activityId: string } }) => i.activity?.activityId === activityId)?.approvalId as string | undefined;
  }, 20_000, 'the launch approval in the inbox');
}

describe('the launch of a personal activity', () => {
  let young: { referral: ReferralRecord; token: string };
  let page: Page;
  const activityId = () => `pa-${young.referral.referralId}`;
  const myActivities = async () => (await apiClient(cloud)('GET', '/api/me/activities', undefined, { 'x-parcours-link': young.token })).body;

  beforeAll(async () => {
    young = await launchReady(adultSubmission());
    page = await phone.newPage();
  });

  it('is prepared on the phone: euros typed, cents stored, the file sent to the team', async () => {
    await page.goto(`${cloud.urls.app}mon-activite#${young.token}`);
    const form = page.locator('#dossier-form');
    await expect.poll(() => form.isVisible(), { timeout: 10_000 }).toBe(true);
    await form.getByLabel(/^Nom de l'activité/).fill('Les Jardins de Léa');
    await form.getByLabel(/^Enseigne/).fill('Jardins Léa');
    await form.getByLabel('Jardinage et entretien des espaces verts').check();
    await form.getByLabel(/^Description/).fill('Tonte, désherbage et taille de haies basses à Lens.');
    await fillPriceLine(page, 0, { label: 'Tonte de pelouse', unit: 'heure', price: '12,50', service: 'jardinage' });
    await page.getByRole('button', { name: 'Ajouter un prix' }).click();
    await fillPriceLine(page, 1, { label: 'Désherbage', unit: 'm2', price: '0,29', service: 'jardinage' });
    await form.getByLabel('Particuliers').check();
    await form.getByLabel(/^Objectif de chiffre d'affaires/).fill('800');
    await form.getByLabel(/^Date de début/).fill(inDays(10));
    expect(await hasHorizontalScroll(page)).toBe(false);
    await page.getByRole('button', { name: "Envoyer mon dossier à l'équipe" }).click();

    await expect.poll(() => page.locator('#activite-statut').textContent(), { timeout: 15_000 }).toMatch(/Dossier envoyé/);
    expect(await page.locator('#dossier-envoye').isVisible()).toBe(true);
    const stored = (await myActivities()).activities.find((a: { activityId: string }) => a.activityId === activityId());
    expect(stored).toMatchObject({ status: 'awaiting-approval', monthlyGoalCents: 80_000, serviceKinds: [{ code: 'jardinage' }] });
    expect(stored.prices.versions.at(-1).lines.map((l: { unitPriceCents: number }) => l.unitPriceCents)).toEqual([1250, 29]);
  }, 60_000);

  it('is sent back by staff with a comment the phone shows, then approved once submitted again', async () => {
    await openApproval(activityId());
    await staffPage.goto(`${cloud.urls.app}equipe/activites/${activityId()}`);
    const decision = staffPage.locator('#launch-form');
    await expect.poll(() => decision.isVisible(), { timeout: 10_000 }).toBe(true);
    await decision.getByLabel('Renvoyer le dossier au jeune').check();
    await decision.getByLabel(/^Commentaire au jeune/).fill('Ajoutez un prix pour la taille de haies.');
    await decision.getByRole('button', { name: 'Enregistrer la décision' }).click();
    await expect.poll(() => staffPage.locator('#activity .badge-activity').first().getAttribute('data-status'), { timeout: 20_000 }).toBe('draft');
    const sentBack = (await staff()('GET', `/api/staff/activities/${activityId()}`)).body;
    expect(sentBack).toMatchObject({ status: 'draft', sentBack: { comment: 'Ajoutez un prix pour la taille de haies.' } });

    await page.reload();
    await expect.poll(() => page.locator('#renvoi-commentaire').textContent(), { timeout: 10_000 }).toBe('Ajoutez un prix pour la taille de haies.');
    await page.getByRole('button', { name: 'Ajouter un prix' }).click();
    await fillPriceLine(page, 2, { label: 'Taille de haies', unit: 'heure', price: '18', service: 'jardinage' });
    await page.getByRole('button', { name: "Envoyer mon dossier à l'équipe" }).click();
    await expect.poll(() => page.locator('#activite-statut').textContent(), { timeout: 15_000 }).toMatch(/Dossier envoyé/);

    await openApproval(activityId());
    await staffPage.reload();
    await expect.poll(() => decision.isVisible(), { timeout: 10_000 }).toBe(true);
    await decision.getByLabel('Valider le lancement').check();
    await decision.getByRole('button', { name: 'Enregistrer la décision' }).click();
    await expect.poll(() => staffPage.locator('#activity .badge-activity').first().getAttribute('data-status'), { timeout: 20_000 }).toBe('active');
    const launched = (await staff()('GET', `/api/staff/activities/${activityId()}`)).body;
    expect(launched).toMatchObject({ status: 'active', insurance: { included: true }, submission: 2 });
    expect(launched.prices.versions.at(-1).lines.map((l: { unitPriceCents: number }) => l.unitPriceCents)).toEqual([1250, 29, 1800]);
  }, 60_000);

  it('once launched, gains a new price version, then is paused and closed with a reason', async () => {
    // The page the approval left open shows the launched activity's forms.
    const prices = staffPage.locator('#prices-form');
    await expect.poll(() => prices.isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await prices.getByLabel(/^Date d'effet/).inputValue()).toBe(inDays(0));
    // From its start date, where the new version (the higher number) replaces the first one.
    await prices.getByLabel(/^Date d'effet/).fill(inDays(10));
    await fillPriceLine(staffPage, 0, { label: 'Tonte de pelouse', unit: 'heure', price: '13,5', service: 'jardinage' });
    await prices.getByRole('button', { name: 'Enregistrer la grille' }).click();
    await expect.poll(() => staffPage.locator('#price-versions details').count(), { timeout: 10_000 }).toBe(2);
    const versions = (await staff()('GET', `/api/staff/activities/${activityId()}`)).body.prices.versions;
    expect(versions.map((v: { version: number; effectiveFrom: string }) => [v.version, v.effectiveFrom])).toEqual([[1, inDays(10)], [2, inDays(10)]]);
    expect(versions[1].lines.map((l: { unitPriceCents: number }) => l.unitPriceCents)).toEqual([1350, 29, 1800]);

    const status = staffPage.locator('#status-form');
    await status.getByRole('button', { name: 'Changer le statut' }).click();
    await expect.poll(() => staffPage.locator('#status-error-summary').isVisible(), { timeout: 5_000 }).toBe(true);
    await status.getByLabel("Mettre l'activité en pause").check();
    await status.getByLabel(/^Motif/).fill('Congé maternité de la titulaire.');
    await status.getByRole('button', { name: 'Changer le statut' }).click();
    await expect.poll(() => staffPage.locator('#activity .badge-activity').first().getAttribute('data-status'), { timeout: 10_000 }).toBe('paused');
    expect(await status.getByLabel("Mettre l'activité en pause").isHidden()).toBe(true);
    await status.getByLabel("Fermer l'activité").check();
    await status.getByLabel(/^Motif/).fill('La titulaire a trouvé un emploi salarié.');
    await status.getByRole('button', { name: 'Changer le statut' }).click();
    await expect.poll(() => staffPage.locator('#activity .badge-activity').first().getAttribute('data-status'), { timeout: 10_000 }).toBe('closed');
    expect(await staffPage.locator('#status-section').isHidden()).toBe(true);
    expect(await staffPage.locator('#prices-section').isHidden()).toBe(true);
    expect((await staff()('GET', `/api/staff/activities/${activityId()}`)).body).toMatchObject({ status: 'closed', statusReason: 'La titulaire a trouvé un emploi salarié.' });
  }, 60_000);
});

describe('a Jeunes Majeurs collective activity', () => {
  it('is created by staff from the activities page, and gains a member with a committee role (not one without a countersigned contract)', async () => {
    const [member, early] = await Promise.all([launchReady(adultSubmission({}, 'jeunes-majeurs')), launchReadyReferral(cloud.documentClient, cloud.tableName, adultSubmission({}, 'jeunes-majeurs'), false)]);
    await staffPage.goto(`${cloud.urls.app}equipe/activites`);
    const form = staffPage.locator('#collective-form');
    await expect.poll(() => form.isVisible(), { timeout: 10_000 }).toBe(true);
    await form.getByLabel(/^Nom de l'activité/).fill('Atelier vélo solidaire');
    await form.getByLabel(/^Enseigne/).fill('Vélos du Bassin');
    await form.getByLabel('Jardinage et entretien des espaces verts').check();
    await form.getByLabel(/^Description/).fill('Entretien de jardins partagés par une équipe de quatre membres.');
    await fillPriceLine(staffPage, 0, { label: 'Entretien', unit: 'heure', price: '20', service: 'jardinage' });
    await form.getByLabel('Entreprises').check();
    await form.getByLabel(/^Objectif de chiffre d'affaires/).fill('2 000');
    await form.getByLabel(/^Date de début/).fill(inDays(10));
    // An end before the start: the API refuses it by the field, in French.
    await form.getByLabel(/^Date de fin/).fill(inDays(5));
    await form.getByRole('button', { name: "Créer l'activité collective" }).click();
    await expect.poll(() => staffPage.locator('#f-endDate-error').textContent(), { timeout: 10_000 }).toBe('La date de fin doit suivre la date de début.');
    await form.getByLabel(/^Date de fin/).fill(inDays(220));
    await form.getByRole('button', { name: "Créer l'activité collective" }).click();
    const created = staffPage.locator('#collective-created a');
    await expect.poll(() => created.isVisible(), { timeout: 10_000 }).toBe(true);
    await created.click();
    await staffPage.waitForURL(/\/equipe\/activites\/ca-[^/]+$/);
    const activityId = new URL(staffPage.url()).pathname.split('/').pop()!;

    const add = staffPage.locator('#member-form');
    await expect.poll(() => add.isVisible(), { timeout: 10_000 }).toBe(true);
    await add.getByLabel(/^Identifiant du parcours/).fill(early.referralId);
    await add.getByRole('button', { name: 'Ajouter le membre' }).click();
    await expect.poll(() => staffPage.locator('#member-error-summary-message').textContent(), { timeout: 10_000 }).toMatch(/contrat contresigné/);
    await add.getByLabel(/^Identifiant du parcours/).fill(member.referral.referralId);
    await add.getByLabel(/^Comité/).selectOption('marketing');
    await add.getByRole('button', { name: 'Ajouter le membre' }).click();
    const name = `${member.referral.youngPerson.firstName} ${member.referral.youngPerson.lastName}`;
    await expect.poll(() => staffPage.locator('#activity .members-table').textContent(), { timeout: 10_000 }).toContain(name);

    const stored = (await staff()('GET', `/api/staff/activities/${activityId}`)).body;
    expect(stored).toMatchObject({ shape: 'collective', programme: 'jeunes-majeurs', status: 'draft', endDate: inDays(220), monthlyGoalCents: 200_000 });
    expect(stored.members).toEqual([expect.objectContaining({ referralId: member.referral.referralId, role: 'member', committeeRole: 'marketing' })]);
  }, 60_000);
});

describe('a CJS cohort', () => {
  it('is created, offers a launch-ready minor placed in one click and given a committee role, and refuses a young person of another programme', async () => {
    const [minor, adult] = await Promise.all([launchReady(cjsSubmission()), launchReady(adultSubmission())]);
    const year = new Date().getFullYear() + 1;
    await staffPage.goto(`${cloud.urls.app}equipe/cohortes`);
    const form = staffPage.locator('#cohort-form');
    await form.getByLabel(/^Nom de la cohorte/).fill(`CJS Lens été ${year}`);
    await form.getByLabel(/^Date de début/).fill(`${year}-07-06`);
    await form.getByLabel(/^Date de fin/).fill(`${year}-08-28`);
    await form.getByLabel(/^Communes/).fill('Lens, Liévin');
    await form.getByLabel(/^Nombre de places/).fill('2');
    await form.getByRole('button', { name: 'Créer la cohorte' }).click();
    const created = staffPage.locator('#cohort-created a');
    await expect.poll(() => created.isVisible(), { timeout: 10_000 }).toBe(true);
    await created.click();
    await staffPage.waitForURL(/\/equipe\/cohortes\/[^/]+$/);
    const cohortId = new URL(staffPage.url()).pathname.split('/').pop()!;

    const place = staffPage.locator('#place-form');
    await expect.poll(() => place.isVisible(), { timeout: 10_000 }).toBe(true);
    // The launch-ready CJS minor waits among the candidates; the Jeunes Majeurs adult is not one.
    const candidate = staffPage.locator(`tr[data-candidate-id="${minor.referral.referralId}"]`);
    expect(await candidate.textContent()).toContain(`${minor.referral.youngPerson.firstName} ${minor.referral.youngPerson.lastName}`);
    expect(await staffPage.locator(`tr[data-candidate-id="${adult.referral.referralId}"]`).count()).toBe(0);
    await place.getByLabel(/^Identifiant du parcours/).fill(adult.referral.referralId);
    await place.getByRole('button', { name: 'Placer dans la cohorte' }).click();
    await expect.poll(() => staffPage.locator('#error-summary').isVisible(), { timeout: 10_000 }).toBe(true);

    await candidate.getByRole('button', { name: /^Placer/ }).click();
    const row = staffPage.locator(`tr[data-referral-id="${minor.referral.referralId}"]`);
    await expect.poll(() => row.isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await row.textContent()).toContain(`${minor.referral.youngPerson.firstName} ${minor.referral.youngPerson.lastName}`);
    expect(await staffPage.locator('#cohort-seats').textContent()).toMatch(/^1 \/ 2/);
    expect(await candidate.count()).toBe(0);

    await row.getByLabel(/^Comité de/).selectOption('finance');
    await row.getByRole('button', { name: /Enregistrer/ }).click();
    await expect.poll(() => staffPage.locator('#cohort-status').textContent(), { timeout: 10_000 }).toMatch(/Comité finances/);

    const stored = (await staff()('GET', `/api/staff/cohorts/${cohortId}`)).body;
    expect(stored).toMatchObject({ seatsTaken: 1, capacity: 2 });
    expect(stored.members).toEqual([expect.objectContaining({ referralId: minor.referral.referralId, committeeRole: 'finance' })]);
  }, 60_000);
});
