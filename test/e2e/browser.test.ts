import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { apiClient, startTestCloud } from '../support/cloud.js';
import { launchBrowser } from '../support/browser.js';
import { decide, fillReferralForm, readErrorSummary, referralConfirmation, referralSubmitButton, sampleReferral } from '../support/pages.js';
import type { LocalCloud } from '../../infra/local/cloud.js';

let cloud: LocalCloud;
let browser: Browser;

beforeAll(async () => {
  [cloud, browser] = await Promise.all([startTestCloud({ inMemory: true }), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await cloud?.stop();
});

/** Opens a page that needs a login, and signs in on the local issuer's page as a demo user would. */
async function signedIn(url: string, demoUserName: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(url);
  await page.getByRole('button', { name: new RegExp(demoUserName) }).click();
  await page.waitForURL((u) => u.href.startsWith(url));
  return page;
}

describe('in a real browser, on the local cloud', () => {
  it('a prescriber signs in, fills the form, submits it and sees the confirmation', async () => {
    const page = await signedIn(cloud.urls.prescriberForm, 'Sarah Benali');
    const email = `browser.${randomUUID()}@example.org`;
    await fillReferralForm(page, sampleReferral({ youngPerson: { ...sampleReferral().youngPerson, email, phone: '07 11 22 33 44' } }));
    await referralSubmitButton(page).click();
    const confirmation = referralConfirmation(page);
    await expect.poll(() => confirmation.isVisible(), { timeout: 15_000 }).toBe(true);
    const text = await confirmation.textContent();
    expect(text).toMatch(/ORI-[0-9A-F]{8}/);

    // The referral exists on the server, with what the browser sent.
    const reference = /ORI-[0-9A-F]{8}/.exec(text ?? '')![0];
    const list = await apiClient(cloud, 'sarah.benali')('GET', '/api/referrals');
    expect(list.body.items.some((r: { reference: string; youngPerson: { lastName: string } }) => r.reference === reference && r.youngPerson.lastName === 'Lefèvre')).toBe(true);
    await page.close();
  });

  it('a form submitted wrong shows the French errors tied to their fields', async () => {
    const page = await signedIn(cloud.urls.prescriberForm, 'Sarah Benali');
    const data = sampleReferral();
    await fillReferralForm(page, { ...data, youngPerson: { ...data.youngPerson, phone: '03 21 00 00 00', email: 'pas-une-adresse' }, projectIdea: 'Vélo' });
    await referralSubmitButton(page).click();
    await expect.poll(() => page.locator('#error-summary').isVisible(), { timeout: 10_000 }).toBe(true);
    const messages = (await readErrorSummary(page)).join('\n');
    expect(messages).toMatch(/mobile/i);
    expect(messages).toMatch(/e-mail/i);
    const phone = page.getByLabel(/^Téléphone mobile/).first();
    expect(await phone.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await phone.getAttribute('aria-describedby')) ?? '';
    const fieldMessage = await page.locator(`#${describedBy.split(' ').find((id) => id.includes('error')) ?? describedBy.split(' ')[0]}`).textContent();
    expect(fieldMessage).toMatch(/[Nn]uméro|mobile/);
    expect(await referralConfirmation(page).isVisible()).toBe(false);
    await page.close();
  });

  it('staff decide from the confirmation page the e-mail links to, once', async () => {
    const sarah = apiClient(cloud, 'sarah.benali');
    const submitted = await sarah('POST', '/api/referrals', {
      programme: 'accompagnement',
      youngPerson: { firstName: 'Nora', lastName: 'Navigateur', birthDate: '2003-06-01', email: `nora.${randomUUID()}@example.org`, phone: '06 55 44 33 22', postalCode: '62160', town: 'Grenay', qpv: true, situation: 'etudiant' },
      projectIdea: 'Cours de soutien scolaire à domicile.',
      consent: { dataProcessing: true },
    }, { 'idempotency-key': randomUUID() });
    const camille = apiClient(cloud, 'camille.martin');
    let approvalId: string | undefined;
    await expect
      .poll(async () => (approvalId = (await camille('GET', '/api/staff/inbox')).body.items.find((i: { referralId: string }) => i.referralId === submitted.body.referralId)?.approvalId), { timeout: 15_000 })
      .toBeTruthy();
    const page = await signedIn(`${cloud.urls.app}equipe/decisions/${approvalId}`, 'Camille Martin');
    await expect.poll(() => page.getByText('Navigateur').first().isVisible(), { timeout: 10_000 }).toBe(true);
    // Opening the page decided nothing.
    expect((await sarah('GET', `/api/referrals/${submitted.body.referralId}`)).body.status).toBe('pending');
    await decide(page, { outcome: 'accepted' });
    await expect.poll(async () => (await sarah('GET', `/api/referrals/${submitted.body.referralId}`)).body.status, { timeout: 10_000 }).toBe('accepted');
    await page.close();
  });
});
