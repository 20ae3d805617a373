import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { apiClient, eventually, startTestCloud } from '../support/cloud.js';
import { launchBrowser } from '../support/browser.js';
import { adultSubmission, minorSubmission } from '../support/fixtures.js';
import { hasHorizontalScroll } from '../support/pages.js';
import { recordPersonalValues } from '../support/personal-data.js';
import type { ParcoursLocalCloud as LocalCloud } from '../../infra/local-app/profile.js';
import { storeLink } from '../../shared/data/personal-links.js';
import type { ReferralSubmission } from '../../shared/domain/referral.js';
import { parisDate } from '../../shared/domain/time.js';

/*
 * The pages of people without an account, in headless Chromium on a phone-sized screen, against a local cloud of the
 * `test` stage: referrals submitted and accepted through the API, the onboarding opened by its workflow, the young
 * person's link taken from the welcome e-mail, documents PUT by the browser to the local S3 and reviewed by staff
 * through the API.
 */

let cloud: LocalCloud;
let browser: Browser;
let phone: BrowserContext;

beforeAll(async () => {
  [cloud, browser] = await Promise.all([startTestCloud({ stage: 'test' }), launchBrowser()]);
  // The guardian's link and the contract's preparation go through the data layer (see their tests).
  Object.assign(process.env, { TABLE_NAME: cloud.tableName, AWS_ENDPOINT_URL_DYNAMODB: cloud.urls.dynamodb, AWS_ACCESS_KEY_ID: cloud.accessKeyId, APP_BASE_URL: cloud.urls.app });
  phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'fr-FR', timezoneId: 'Europe/Paris' });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await cloud?.stop();
});

const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(4000, 0x41)]);
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(3000, 1)]);
/** A program renamed as a PDF: the phone says PDF, the content says otherwise. */
const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(3000, 0x90)]);

const staff = () => apiClient(cloud, 'camille.martin');

/** A referral submitted by the prescriber and accepted by staff through the API; the workflow opens the onboarding. */
async function accepted(submission: ReferralSubmission): Promise<{ referralId: string; personId: string }> {
  const submitted = await apiClient(cloud, 'sarah.benali')('POST', '/api/referrals', submission, { 'idempotency-key': randomUUID() });
  expect(submitted.status, submitted.text).toBe(201);
  const referralId = submitted.body.referralId as string;
  const approvalId = await eventually(async () => (await staff()('GET', '/api/staff/inbox')).body.items.find((i: { referralId: string }) => i.referralId === referralId)?.approvalId as string | undefined, 30_000, 'the decision in the inbox');
  const decided = await staff()('POST', `/api/approvals/${approvalId}/decision`, { outcome: 'accepted' });
  expect(decided.status, decided.text).toBe(200);
  const personId = (await staff()('GET', `/api/referrals/${referralId}`)).body.personId as string;
  return { referralId, personId };
}

/** The young person's link, from the welcome e-mail the onboarding's opening sends. */
async function welcomeLink(email: string): Promise<string> {
  const mail = await eventually(async () => (await cloud.ses.listEmails()).find((m) => m.to.includes(email) && /\/mon-parcours#/.test(m.text ?? '')), 60_000, 'the welcome e-mail with the link');
  const token = /\/mon-parcours#([A-Za-z0-9_-]{43})/.exec(mail.text ?? '')![1]!;
  recordPersonalValues([['link token', token]]);
  return token;
}

const documentCard = (page: Page, docType: string) => page.locator(`#doc-${docType}`);

async function sendFile(page: Page, docType: string, file: { name: string; mimeType: string; buffer: Buffer }): Promise<void> {
  const card = documentCard(page, docType);
  await card.locator('input[type="file"]').setInputFiles(file);
  await card.getByRole('button', { name: /Envoyer/ }).click();
}

async function review(referralId: string, docType: string, body: Record<string, unknown>): Promise<void> {
  const answer = await staff()('POST', `/api/staff/documents/${referralId}/${docType}/review`, body);
  expect(answer.status, answer.text).toBe(200);
}

describe('"Mon parcours" on a phone', () => {
  let young: { referralId: string; personId: string; token: string };
  let page: Page;

  beforeAll(async () => {
    const submission = adultSubmission();
    const ids = await accepted(submission);
    young = { ...ids, token: await welcomeLink(submission.youngPerson.email) };
    page = await phone.newPage();
  }, 180_000);

  it('opens from the link in the fragment, keeps it out of the address bar, and shows the steps and what to do next', async () => {
    await page.goto(`${cloud.urls.app}mon-parcours#${young.token}`);
    await expect.poll(() => page.locator('#etapes li').count(), { timeout: 20_000 }).toBeGreaterThan(3);
    expect(page.url()).not.toContain(young.token);
    expect(await page.locator('#a-faire').textContent()).toMatch(/À faire maintenant/);
    expect(await page.locator('#etapes').textContent()).toContain("Réunion d'information");
    expect(await hasHorizontalScroll(page)).toBe(false);
    // The link stays for this tab: a reload without the fragment still opens the space.
    await page.reload();
    await expect.poll(() => page.locator('#etapes li').count(), { timeout: 20_000 }).toBeGreaterThan(3);
  });

  it('chooses an information session through the real API: the seat is stored, and the session shows one seat fewer', async () => {
    // Staff create a session with two seats; the page reads it from GET /api/me/sessions once reloaded.
    const place = `Salle ${randomUUID().slice(0, 8)}, Lens`;
    const created = await staff()('POST', '/api/staff/sessions', { date: parisDate(new Date(Date.now() + 10 * 86_400_000)), time: '14:00', place, capacity: 2, programmes: ['accompagnement'] }, { 'idempotency-key': randomUUID() });
    expect(created.status, created.text).toBe(201);
    const sessionId = created.body.sessionId as string;
    // A tab of its own, opened from the link: the other tests' page keeps its state.
    const tab = await phone.newPage();
    await tab.goto(`${cloud.urls.app}mon-parcours#${young.token}`);
    const card = tab.locator('#reunion .choices-list li', { hasText: place });
    await expect.poll(() => card.isVisible(), { timeout: 20_000 }).toBe(true);
    expect(await card.textContent()).toContain('2 places restantes');
    expect(await hasHorizontalScroll(tab)).toBe(false);

    await card.getByRole('button', { name: 'Choisir cette date' }).click();
    await expect.poll(() => tab.locator('#reunion-choisie').textContent(), { timeout: 20_000 }).toContain(place);
    // Stored: the booking holds this seat, the session counts it and lists the young person.
    const mine = await apiClient(cloud)('GET', '/api/me/sessions', undefined, { 'x-parcours-link': young.token });
    expect(mine.body.booking).toMatchObject({ status: 'booked', session: { sessionId, seatsLeft: 1 } });
    const detail = await staff()('GET', `/api/staff/sessions/${sessionId}`);
    expect(detail.body).toMatchObject({ session: { seatsTaken: 1, seatsLeft: 1 }, attendees: [{ referralId: young.referralId }] });
    await tab.close();
  });

  it('refuses a renamed program and a file over 10 MB in French, then sends a PDF straight to S3 and shows it under review', async () => {
    await expect.poll(() => documentCard(page, 'identity').isVisible(), { timeout: 20_000 }).toBe(true);
    const status = documentCard(page, 'identity').locator('[role="status"]').last();

    await sendFile(page, 'identity', { name: 'carte-identite.pdf', mimeType: 'application/pdf', buffer: EXE });
    await expect.poll(() => status.textContent(), { timeout: 20_000 }).toMatch(/PDF|JPEG|PNG/);
    expect(await documentCard(page, 'identity').getAttribute('data-status')).toBe('missing');

    await sendFile(page, 'identity', { name: 'scan.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(10 * 1024 * 1024 + 1, 0x25) });
    await expect.poll(() => status.textContent(), { timeout: 10_000 }).toMatch(/10 Mo au maximum/);

    await sendFile(page, 'identity', { name: 'carte-identite.pdf', mimeType: 'application/pdf', buffer: PDF });
    await expect.poll(() => documentCard(page, 'identity').getAttribute('data-status'), { timeout: 20_000 }).toBe('submitted');
    expect(await documentCard(page, 'identity').textContent()).toMatch(/envoyé/i);
    const checklist = await apiClient(cloud)('GET', '/api/me/documents', undefined, { 'x-parcours-link': young.token });
    expect(checklist.body.documents.find((d: { docType: string }) => d.docType === 'identity')).toMatchObject({ status: 'submitted' });
  });

  it('shows the reason of a rejection, takes a new file, and shows it accepted after the staff review', async () => {
    await review(young.referralId, 'identity', { outcome: 'rejected', reasonCode: 'illegible', message: 'La photo est floue.' });
    await page.reload();
    const card = documentCard(page, 'identity');
    await expect.poll(() => card.getAttribute('data-status'), { timeout: 20_000 }).toBe('rejected');
    expect(await card.locator('.rejection').textContent()).toContain('Document illisible ou flou');
    expect(await card.locator('.rejection').textContent()).toContain('La photo est floue.');

    await sendFile(page, 'identity', { name: 'photo.png', mimeType: 'image/png', buffer: PNG });
    await expect.poll(() => card.getAttribute('data-status'), { timeout: 20_000 }).toBe('submitted');
    await review(young.referralId, 'identity', { outcome: 'accepted' });
    await page.reload();
    await expect.poll(() => documentCard(page, 'identity').getAttribute('data-status'), { timeout: 20_000 }).toBe('accepted');
    expect(await documentCard(page, 'identity').locator('input[type="file"]').count()).toBe(0);
  });

  it('checks the IBAN on the phone with the API’s rule, then saves it masked', async () => {
    const form = page.locator('#rib-form');
    await expect.poll(() => form.isVisible(), { timeout: 20_000 }).toBe(true);
    await form.getByLabel(/^IBAN/).fill('FR76 3000 6000 0112 3456 7890 188');
    await form.getByLabel(/^Titulaire du compte/).fill('Léa Martin');
    await form.getByRole('button', { name: /Enregistrer/ }).click();
    await expect.poll(() => form.getByLabel(/^IBAN/).getAttribute('aria-invalid'), { timeout: 10_000 }).toBe('true');
    expect(await page.locator('#f-iban-error').textContent()).toMatch(/clé/);

    await form.getByLabel(/^IBAN/).fill('FR76 3000 6000 0112 3456 7890 189');
    await form.getByRole('button', { name: /Enregistrer/ }).click();
    await expect.poll(() => page.locator('#rib-statut').textContent(), { timeout: 20_000 }).toContain('•••0 189');
    await expect.poll(() => page.locator('#rib-actuel').textContent(), { timeout: 20_000 }).toContain('Léa Martin');
  });

  it('an expired or unknown link says so in French and leads to "nouveau lien", which answers the same for any address', async () => {
    const other = await phone.newPage();
    await other.goto(`${cloud.urls.app}mon-parcours#${'B'.repeat(43)}`);
    const refused = other.locator('#lien-refuse');
    await expect.poll(() => refused.isVisible(), { timeout: 20_000 }).toBe(true);
    expect(await refused.textContent()).toMatch(/n'est pas reconnu/);
    await refused.getByRole('link', { name: 'Recevoir un nouveau lien' }).click();
    await other.waitForURL(/\/nouveau-lien$/);
    await other.getByLabel(/^Adresse e-mail ou numéro de mobile/).fill(`personne.${randomUUID()}@example.org`);
    await other.getByRole('button', { name: 'Recevoir un nouveau lien' }).click();
    await expect.poll(() => other.locator('#nouveau-lien-confirmation').isVisible(), { timeout: 20_000 }).toBe(true);
    expect(await other.locator('#nouveau-lien-confirmation').textContent()).toMatch(/Si cette adresse/);
    await other.close();
  });
});

describe('the contract on the young person’s phone', () => {
  it('is read through its download link and accepted with the SHA-256 the API gave', { timeout: 240_000 }, async () => {
    const submission = adultSubmission();
    const { referralId, personId } = await accepted(submission);
    const token = await welcomeLink(submission.youngPerson.email);
    const young = apiClient(cloud);
    const link = { 'x-parcours-link': token };
    // Every required document sent through the API (as the page does) and accepted by staff.
    expect((await young('PUT', '/api/me/bank-details', { iban: 'FR7630006000011234567890189', holder: 'Léa Martin' }, link)).status).toBe(200);
    for (const docType of ['identity', 'proof-of-situation', 'bank-details']) {
      const started = await young('POST', `/api/me/documents/${docType}/uploads`, { contentType: 'application/pdf', size: PDF.length, fileName: 'scan.pdf' }, link);
      expect(started.status, started.text).toBe(201);
      expect((await fetch(started.body.url, { method: 'PUT', headers: started.body.headers, body: new Uint8Array(PDF) })).status).toBe(200);
      expect((await young('POST', `/api/me/uploads/${started.body.uploadId}/complete`, undefined, link)).status).toBe(200);
      await review(referralId, docType, { outcome: 'accepted' });
    }
    // "Préparer le contrat" is a step of the onboarding workflow, after the session and the interview: invoked here.
    const prepareContract = cloud.app.functions.find((fn) => fn.logicalId.startsWith('PrepareContract'))!;
    const prepared = await cloud.lambda.invoke(prepareContract.logicalId, { referralId, personId });
    expect(prepared, JSON.stringify(prepared)).toMatchObject({ ok: true, result: { version: 1 } });
    const sha256 = (prepared as { result: { sha256: string } }).result.sha256;

    const page = await phone.newPage();
    await page.goto(`${cloud.urls.app}mon-parcours#${token}`);
    const section = page.locator('#section-contrat');
    await expect.poll(() => section.isVisible(), { timeout: 20_000 }).toBe(true);
    const download = await page.locator('#contrat-lien').getAttribute('href');
    const pdf = await fetch(download!);
    expect(pdf.status).toBe(200);
    expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');

    await section.getByRole('button', { name: "J'accepte le contrat" }).click();
    await expect.poll(() => page.locator('#contrat-statut').textContent(), { timeout: 5_000 }).toMatch(/Cochez la case/);
    await section.getByLabel(/J'ai lu le contrat/).check();
    await section.getByRole('button', { name: "J'accepte le contrat" }).click();
    await expect.poll(() => page.locator('#contrat-accepte').isVisible(), { timeout: 20_000 }).toBe(true);
    const contract = await young('GET', '/api/me/contract', undefined, link);
    expect(contract.body).toMatchObject({ status: 'accepted', acceptance: { sha256 } });
    expect(await hasHorizontalScroll(page)).toBe(false);
    await page.close();
  });
});

describe('the guardian’s consent page on a phone', () => {
  it('shows what the guardian consents to, takes their answer with name and relationship, and confirms it', { timeout: 180_000 }, async () => {
    const submission = { ...minorSubmission(), programme: 'cjs' as const };
    const { referralId, personId } = await accepted(submission);
    await welcomeLink(submission.youngPerson.email);
    // The consent request (with this link) is sent when the workflow reaches the consent: the link is issued here.
    const { token } = await storeLink({ personId, referralId, audience: 'guardian' });
    recordPersonalValues([['link token', token]]);

    const page = await phone.newPage();
    await page.goto(`${cloud.urls.app}tuteur#${token}`);
    const form = page.locator('#accord-form');
    await expect.poll(() => form.isVisible(), { timeout: 20_000 }).toBe(true);
    expect(page.url()).not.toContain(token);
    const text = (await page.locator('#accord').textContent()) ?? '';
    expect(text).toContain(submission.youngPerson.firstName);
    expect(text).toMatch(/Les données personnelles/);
    expect(await page.locator('#droit-image-question').textContent()).toMatch(/photographier ou filmer/);
    expect(await form.getByLabel(/^Vos prénom et nom/).inputValue()).toBe(`${submission.guardian!.firstName} ${submission.guardian!.lastName}`);

    // Consent without the image rights choice: the page says what is missing.
    await form.getByLabel('Je donne mon accord').check();
    await form.getByRole('button', { name: 'Envoyer ma réponse' }).click();
    await expect.poll(() => page.locator('#error-summary').isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await page.locator('#error-summary').textContent()).toMatch(/droit à l'image/);

    await form.getByLabel("Non, je n'autorise pas").check();
    await form.getByLabel(/^Commentaire/).fill('Merci de me prévenir des horaires.');
    await form.getByRole('button', { name: 'Envoyer ma réponse' }).click();
    const confirmation = page.locator('#accord-confirmation');
    await expect.poll(() => confirmation.isVisible(), { timeout: 20_000 }).toBe(true);
    expect(await confirmation.textContent()).toMatch(/accord .* est enregistré/);
    const stored = await apiClient(cloud)('GET', '/api/guardian', undefined, { 'x-parcours-link': token });
    expect(stored.body).toMatchObject({ status: 'consented', answer: { outcome: 'consented', imageRights: false } });

    // Reopened, the page shows the answer, not the form.
    await page.reload();
    await expect.poll(() => page.locator('#accord-statut').textContent(), { timeout: 20_000 }).toMatch(/Accord donné/);
    expect(await form.isVisible()).toBe(false);
    expect(await hasHorizontalScroll(page)).toBe(false);
    await page.close();
  });
});
