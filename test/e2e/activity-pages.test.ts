import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { apiClient, eventually, startTestCloud } from '../support/cloud.js';
import { launchBrowser } from '../support/browser.js';
import { adultSubmission } from '../support/fixtures.js';
import { cjsSubmission, inDays, launchReadyReferral } from '../support/activities.js';
import { fillPriceLine, hasHorizontalScroll, resetSession } from '../support/pages.js';
import { recordPersonalValues } from '../support/personal-data.js';
import type { ParcoursLocalCloud as LocalCloud } from '../../infra/local-app/profile.js';
import { storeLink } from '../../shared/data/personal-links.js';
import type { ReferralRecord } from '../../shared/data/referrals.js';
import type { ReferralSubmission } from '../../shared/domain/referral.js';

/*
 * The activity launch's pages in headless Chromium against one local cloud of the `test` stage: the launch file
 * filled on a phone and submitted (its launch workflow opens the approval), the staff sending it back with a comment
 * the phone then shows, and approving the file submitted again; a CJS cohort created, a young person placed in it
 * and given a committee role. Each young person reaches the end of onboarding through the data layer (the onboarding
 * pages have their own tests).
 */

let cloud: LocalCloud;
let browser: Browser;
let phone: BrowserContext;
let staffPage: Page;

beforeAll(async () => {
  [cloud, browser] = await Promise.all([startTestCloud({ stage: 'test' }), launchBrowser()]);
  Object.assign(process.env, { TABLE_NAME: cloud.tableName, AWS_ENDPOINT_URL_DYNAMODB: cloud.urls.dynamodb, AWS_ACCESS_KEY_ID: cloud.accessKeyId, APP_BASE_URL: cloud.urls.app });
  phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'fr-FR', timezoneId: 'Europe/Paris' });
  // A staff session in the tab, as the login leaves it (the login page has its own tests).
  staffPage = await browser.newPage({ viewport: { width: 1100, height: 900 }, locale: 'fr-FR', timezoneId: 'Europe/Paris' });
  await resetSession(staffPage, cloud.urls.app.replace(/\/$/, ''), cloud.issuer.mintIdToken('camille.martin'));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await cloud?.stop();
});

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
});

describe('a CJS cohort', () => {
  it('is created, a launch-ready minor is placed in it with a committee role, and a young person of another programme is refused', async () => {
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
    await place.getByLabel(/^Identifiant du parcours/).fill(adult.referral.referralId);
    await place.getByRole('button', { name: 'Placer dans la cohorte' }).click();
    await expect.poll(() => staffPage.locator('#error-summary').isVisible(), { timeout: 10_000 }).toBe(true);

    await place.getByLabel(/^Identifiant du parcours/).fill(minor.referral.referralId);
    await place.getByRole('button', { name: 'Placer dans la cohorte' }).click();
    const row = staffPage.locator(`tr[data-referral-id="${minor.referral.referralId}"]`);
    await expect.poll(() => row.isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await row.textContent()).toContain(`${minor.referral.youngPerson.firstName} ${minor.referral.youngPerson.lastName}`);
    expect(await staffPage.locator('#cohort-seats').textContent()).toMatch(/^1 \/ 2/);

    await row.getByLabel(/^Comité de/).selectOption('finance');
    await row.getByRole('button', { name: /Enregistrer/ }).click();
    await expect.poll(() => staffPage.locator('#cohort-status').textContent(), { timeout: 10_000 }).toMatch(/Comité finances/);

    const stored = (await staff()('GET', `/api/staff/cohorts/${cohortId}`)).body;
    expect(stored).toMatchObject({ seatsTaken: 1, capacity: 2 });
    expect(stored.members).toEqual([expect.objectContaining({ referralId: minor.referral.referralId, committeeRole: 'finance' })]);
  }, 60_000);
});
