import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { Browser, Page, Request, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, startPagesServer, type PagesServer } from '../support/browser.js';
import {
  birthDateForAge,
  errorSummary,
  fakeIdToken,
  fillReferralForm,
  focusedId,
  hasHorizontalScroll,
  readErrorSummary,
  referralConfirmation,
  referralSubmitButton,
  resetSession,
  sampleReferral,
} from '../support/pages.js';
import { referralSubmissionSchema } from '../../shared/domain/referral.js';
import { referralSubmissionAnswer } from '../../shared/views.js';
import { referralRecord, refusalOf } from '../support/view-fixtures.js';

const AUTH_BASE_URL = 'https://auth.coopconnexion.test';
const CLIENT_ID = 'pages-client-test';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let browser: Browser;
let server: PagesServer;
let shared: Page;

beforeAll(async () => {
  process.env.AUTH_BASE_URL = AUTH_BASE_URL;
  process.env.USER_POOL_CLIENT_ID = CLIENT_ID;
  [browser, server] = await Promise.all([launchBrowser(), startPagesServer()]);
  process.env.APP_BASE_URL = server.url;
  const context = await browser.newContext({ locale: 'fr-FR', timezoneId: 'Europe/Paris' });
  shared = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** The file's one page, back on a fresh session (signed in as a prescriber unless told otherwise). */
async function openForm(options: { viewport?: { width: number; height: number }; signedIn?: boolean } = {}): Promise<Page> {
  await shared.setViewportSize(options.viewport ?? { width: 1024, height: 900 });
  await resetSession(shared, server.url, options.signedIn === false ? undefined : fakeIdToken());
  return shared;
}

interface Captured {
  headers: Record<string, string>;
  body: unknown;
}

/** Answers POST /api/referrals with the given replies in turn, recording each request. */
async function answerReferrals(page: Page, replies: Array<{ status: number; body: unknown; delayMs?: number }>): Promise<Captured[]> {
  const captured: Captured[] = [];
  await page.route('**/api/referrals', async (route: Route, request: Request) => {
    captured.push({ headers: request.headers(), body: request.postDataJSON() });
    const reply = replies[Math.min(captured.length - 1, replies.length - 1)];
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    await route.fulfill({ status: reply.status, contentType: 'application/json', body: JSON.stringify(reply.body) });
  });
  return captured;
}

// The API's answers, from its own view and schema.
const accepted = {
  status: 201,
  body: referralSubmissionAnswer(referralRecord({
    referralId: 'REF-2025-000123',
    reference: 'ORI-7C8D9E0F',
    eligibility: { eligible: true, ageAtStart: 22, programmeStartDate: '2026-09-01', explanation: ['22 ans : dans la tranche 18-29 ans.', 'Lens : commune du territoire.'] },
  })),
};

describe('referral form', () => {
  it('sends one request matching the contract on a double click and shows the confirmation', async () => {
    const page = await openForm();
    const captured = await answerReferrals(page, [{ ...accepted, delayMs: 300 }]);
    await page.goto(`${server.url}/prescripteur/orienter`);
    await page.getByText('Compte : Camille Prescriptrice (prescripteur)', { exact: true }).waitFor();

    const data = sampleReferral({ programmeStartDate: '2026-09-01' });
    await fillReferralForm(page, data);
    await referralSubmitButton(page).dblclick();

    const confirmation = referralConfirmation(page);
    await confirmation.waitFor();
    expect(await focusedId(page)).toBe('referral-confirmation');
    expect(await confirmation.textContent()).toContain('ORI-7C8D9E0F');
    // Whether the young person was known before is not the prescriber's to learn.
    expect(await confirmation.textContent()).not.toMatch(/déjà connu|dossier/);
    expect(await confirmation.locator('#referral-eligibility-explanation li').allTextContents()).toEqual(accepted.body.eligibility.explanation);
    expect(await page.locator('#referral-form').isHidden()).toBe(true);

    expect(captured).toHaveLength(1);
    expect(captured[0].headers['idempotency-key']).toMatch(UUID);
    expect(captured[0].headers.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    expect(captured[0].headers['content-type']).toBe('application/json');
    expect(captured[0].body).toEqual(data);
  });

  it('shows the server field errors in a focused summary tied to the fields, then sends a new key', async () => {
    const page = await openForm();
    // What the server refuses that the page lets through: an address without a known domain, a landline.
    const sample = sampleReferral();
    const refused = refusalOf(referralSubmissionSchema, { ...sample, youngPerson: { ...sample.youngPerson, email: 'ines.lefevre@example', phone: '05 12 34 56 78' } });
    expect(refused.body.errors.map((e) => e.field)).toEqual(['youngPerson.email', 'youngPerson.phone']);
    const [emailError, phoneError] = refused.body.errors.map((e) => e.message);
    const captured = await answerReferrals(page, [refused, accepted]);
    await page.goto(`${server.url}/prescripteur/orienter`);
    await fillReferralForm(page, sampleReferral());
    await referralSubmitButton(page).click();

    await errorSummary(page).waitFor();
    expect(await errorSummary(page).getAttribute('role')).toBe('alert');
    expect(await focusedId(page)).toBe('error-summary');
    expect(await errorSummary(page).textContent()).toContain(refused.body.message);
    expect(await readErrorSummary(page)).toEqual([emailError, phoneError]);

    const email = page.locator('#f-youngPerson-email');
    expect(await email.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await email.getAttribute('aria-describedby'))?.split(' ') ?? [];
    expect(describedBy).toContain('f-youngPerson-email-error');
    expect(await page.locator('#f-youngPerson-email-error').textContent()).toBe(emailError);
    expect(await page.locator('#f-youngPerson-phone').getAttribute('aria-describedby')).toBe('f-youngPerson-phone-error f-youngPerson-phone-hint');
    expect(await page.locator('#f-youngPerson-town').getAttribute('aria-invalid')).toBeNull();

    await errorSummary(page).getByRole('link', { name: emailError }).click();
    expect(await focusedId(page)).toBe('f-youngPerson-email');

    await email.fill('ines.lefevre@example.org');
    await referralSubmitButton(page).click();
    await referralConfirmation(page).waitFor();
    expect(await email.getAttribute('aria-invalid')).toBeNull();
    expect(captured).toHaveLength(2);
    expect(captured[1].headers['idempotency-key']).toMatch(UUID);
    expect(captured[1].headers['idempotency-key']).not.toBe(captured[0].headers['idempotency-key']);
  });

  it('lists missing fields in French before sending anything', async () => {
    const page = await openForm();
    const captured = await answerReferrals(page, [accepted]);
    await page.goto(`${server.url}/prescripteur/orienter`);
    await referralSubmitButton(page).click();
    await errorSummary(page).waitFor();
    const messages = await readErrorSummary(page);
    expect(messages[0]).toBe('Choisissez le programme souhaité.');
    expect(messages).toContain('Indiquez l\'adresse e-mail du jeune.');
    expect(messages.at(-1)).toBe('Le consentement du jeune au traitement de ses données est nécessaire pour envoyer l\'orientation.');
    expect(await page.locator('#f-programme-accompagnement').getAttribute('aria-invalid')).toBe('true');
    expect(captured).toHaveLength(0);
  });

  it('asks for a guardian for a minor and for the CJS, and sends it', async () => {
    const page = await openForm();
    const captured = await answerReferrals(page, [accepted]);
    await page.goto(`${server.url}/prescripteur/orienter`);
    const guardian = page.getByRole('group', { name: 'Représentant légal' });
    expect(await guardian.isVisible()).toBe(false);

    await page.getByLabel(/^Date de naissance/).fill(birthDateForAge(16));
    await guardian.waitFor();
    expect(await page.locator('#guardian-status').textContent()).toContain('Représentant légal');
    await page.getByLabel(/^Date de naissance/).fill(birthDateForAge(19));
    await guardian.waitFor({ state: 'hidden' });

    const data = sampleReferral({
      programme: 'cjs',
      youngPerson: { ...sampleReferral().youngPerson, birthDate: birthDateForAge(19) },
      guardian: { firstName: 'Nadia', lastName: 'Lefèvre', email: 'nadia.lefevre@example.fr', phone: '+33 7 11 22 33 44', relationship: 'mère' },
    });
    await fillReferralForm(page, data);
    expect(await guardian.isVisible()).toBe(true);
    await referralSubmitButton(page).click();
    await referralConfirmation(page).waitFor();
    expect((captured[0].body as { guardian: unknown }).guardian).toEqual(data.guardian);
  });

  it('can be completed and sent with the keyboard only', async () => {
    const page = await openForm();
    const captured = await answerReferrals(page, [accepted]);
    await page.goto(`${server.url}/prescripteur/orienter`);
    await page.locator('#referral-form').waitFor();

    /** Presses Tab until the element with this id has the focus: it must be reachable in order. */
    const tabTo = async (id: string) => {
      for (let i = 0; i < 40; i += 1) {
        if ((await focusedId(page)) === id) return;
        await page.keyboard.press('Tab');
      }
      throw new Error(`${id} not reached with Tab`);
    };
    await tabTo('f-programme-accompagnement');
    await page.keyboard.press('Space');
    const typeIn = async (id: string, text: string) => {
      await tabTo(id);
      await page.keyboard.type(text);
    };
    await typeIn('f-youngPerson-firstName', 'Yanis');
    await typeIn('f-youngPerson-lastName', 'Benali');
    // Same day and month: the typed digits mean the same date in dd/mm and mm/dd browser locales.
    await typeIn('f-youngPerson-birthDate', '03032001');
    await typeIn('f-youngPerson-email', 'yanis.benali@example.fr');
    await typeIn('f-youngPerson-phone', '0712345678');
    await typeIn('f-youngPerson-postalCode', '62160');
    await typeIn('f-youngPerson-town', 'Bully-les-Mines');
    await tabTo('f-youngPerson-qpv');
    await page.keyboard.press('Space');
    await tabTo('f-youngPerson-situation-demandeur-emploi');
    await page.keyboard.press('ArrowDown');
    await typeIn('f-projectIdea', 'Entretien de jardins');
    await tabTo('f-consent-dataProcessing');
    await page.keyboard.press('Space');
    await tabTo('referral-submit');
    await page.keyboard.press('Enter');

    await referralConfirmation(page).waitFor();
    expect(captured[0].body).toEqual({
      programme: 'accompagnement',
      youngPerson: {
        firstName: 'Yanis',
        lastName: 'Benali',
        birthDate: '2001-03-03',
        email: 'yanis.benali@example.fr',
        phone: '0712345678',
        postalCode: '62160',
        town: 'Bully-les-Mines',
        qpv: true,
        situation: 'etudiant',
      },
      projectIdea: 'Entretien de jardins',
      consent: { dataProcessing: true },
    });
  });

  it('fits a 375 px phone screen without horizontal scrolling', async () => {
    const page = await openForm({ viewport: { width: 375, height: 740 } });
    await page.goto(`${server.url}/prescripteur/orienter`);
    await page.getByLabel(/^Date de naissance/).fill(birthDateForAge(16));
    await referralSubmitButton(page).click();
    await errorSummary(page).waitFor();
    expect(await hasHorizontalScroll(page)).toBe(false);
    await page.goto(server.url);
    expect(await hasHorizontalScroll(page)).toBe(false);
  });

  it('logs in with PKCE, keeps the form across a new login after a 401, and sends the token', async () => {
    const page = await openForm({ signedIn: false });
    const authorizeUrls: URL[] = [];
    let verifierChecked = 0;
    await page.route(`${AUTH_BASE_URL}/oauth2/authorize**`, async (route) => {
      const url = new URL(route.request().url());
      authorizeUrls.push(url);
      const callback = new URL(url.searchParams.get('redirect_uri') ?? '');
      callback.searchParams.set('code', `code-${authorizeUrls.length}`);
      callback.searchParams.set('state', url.searchParams.get('state') ?? '');
      await route.fulfill({ status: 302, headers: { location: callback.toString() } });
    });
    await page.route(`${AUTH_BASE_URL}/oauth2/token`, async (route) => {
      const form = new URLSearchParams(route.request().postData() ?? '');
      const authorize = authorizeUrls.at(-1)!;
      const challenge = createHash('sha256').update(form.get('code_verifier') ?? '').digest('base64url');
      if (challenge === authorize.searchParams.get('code_challenge') && form.get('code') === `code-${authorizeUrls.length}`) verifierChecked += 1;
      expect(Object.fromEntries(form)).toMatchObject({
        grant_type: 'authorization_code',
        client_id: CLIENT_ID,
        redirect_uri: `${server.url}/auth/callback`,
      });
      await route.fulfill({
        status: 200,
        headers: { 'access-control-allow-origin': server.url },
        contentType: 'application/json',
        body: JSON.stringify({ id_token: fakeIdToken({ name: 'Sofiane Martin' }), access_token: 'a', token_type: 'Bearer', expires_in: 3600 }),
      });
    });
    const captured = await answerReferrals(page, [{ status: 401, body: { message: 'Unauthorized' } }, accepted]);

    await page.goto(`${server.url}/prescripteur/orienter`);
    await page.getByText('Compte : Sofiane Martin (prescripteur)', { exact: true }).waitFor();
    expect(page.url()).toBe(`${server.url}/prescripteur/orienter`);
    const first = authorizeUrls[0];
    expect(Object.fromEntries(first.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: `${server.url}/auth/callback`,
      scope: 'openid email profile',
      code_challenge_method: 'S256',
    });
    expect(first.search).toContain('scope=openid+email+profile');
    expect(verifierChecked).toBe(1);

    const data = sampleReferral();
    await fillReferralForm(page, data);
    await referralSubmitButton(page).click();
    await page.locator('#referral-draft-restored').waitFor();
    expect(authorizeUrls).toHaveLength(2);
    expect(verifierChecked).toBe(2);
    expect(await page.getByLabel(/^Idée de projet/).inputValue()).toBe(data.projectIdea);

    await referralSubmitButton(page).click();
    await referralConfirmation(page).waitFor();
    expect(captured).toHaveLength(2);
    expect(captured[1].headers['idempotency-key']).toBe(captured[0].headers['idempotency-key']);
    expect(captured[1].body).toEqual(data);

    mkdirSync('.local/screenshots', { recursive: true });
    await page.reload();
    await page.locator('#referral-form').waitFor();
    await page.getByLabel(/^Date de naissance/).fill(birthDateForAge(16));
    await page.screenshot({ path: '.local/screenshots/referral-form.png', fullPage: true });
  });
});
