import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { apiClient, startTestCloud } from '../support/cloud.js';
import { launchBrowser } from '../support/browser.js';
import { decide, fillReferralForm, readErrorSummary, referralConfirmation, referralSubmitButton, sampleReferral } from '../support/pages.js';
import type { ParcoursLocalCloud as LocalCloud } from '../../infra/local-app/profile.js';
import { openApproval } from '../../shared/data/approvals.js';
import { incidents, recordIncidentSubject } from '../../shared/data/incidents.js';

let cloud: LocalCloud;
let browser: Browser;

beforeAll(async () => {
  [cloud, browser] = await Promise.all([startTestCloud({ inMemory: true }), launchBrowser()]);
  // One test opens an incident the way the workflow's "à traiter" step does, straight in the cloud's table.
  Object.assign(process.env, { TABLE_NAME: cloud.tableName, AWS_ENDPOINT_URL_DYNAMODB: cloud.urls.dynamodb, AWS_ACCESS_KEY_ID: cloud.accessKeyId });
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
    const page = await signedIn(cloud.pages.prescriberForm, 'Sarah Benali');
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
    const page = await signedIn(cloud.pages.prescriberForm, 'Sarah Benali');
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

  it('staff fix a bounced address from the messages page, and the message goes again to the new one', async () => {
    const sarah = apiClient(cloud, 'sarah.benali');
    const camille = apiClient(cloud, 'camille.martin');
    const bouncing = `yanis.${randomUUID()}@bounce.test`;
    const submitted = await sarah('POST', '/api/referrals', {
      programme: 'accompagnement',
      youngPerson: { firstName: 'Yanis', lastName: 'Rebond', birthDate: '2002-02-02', email: bouncing, phone: '06 55 44 33 11', postalCode: '62300', town: 'Lens', qpv: false, situation: 'autre' },
      projectIdea: 'Réparation de téléphones au marché.',
      consent: { dataProcessing: true },
    }, { 'idempotency-key': randomUUID() });
    const { personId } = (await camille('GET', `/api/referrals/${submitted.body.referralId}`)).body;
    await expect
      .poll(async () => (await camille('GET', '/api/staff/messages')).body.toFix.some((i: { personId: string }) => i.personId === personId), { timeout: 20_000 })
      .toBe(true);

    const page = await signedIn(`${cloud.urls.app}equipe/messages`, 'Camille Martin');
    const row = page.locator('#contacts-to-fix tr[data-issue-id]', { hasText: 'Yanis Rebond' });
    await expect.poll(() => row.isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await row.textContent()).toContain(bouncing);
    const input = row.locator('input[name="value"]');
    await input.fill('pas-une-adresse');
    await row.getByRole('button', { name: /Corriger et renvoyer/ }).click();
    await expect.poll(() => input.getAttribute('aria-invalid'), { timeout: 10_000 }).toBe('true');

    const corrected = `yanis.${randomUUID()}@example.org`;
    await input.fill(corrected);
    await row.getByRole('button', { name: /Corriger et renvoyer/ }).click();
    await expect.poll(() => page.locator('#messages-status').textContent(), { timeout: 10_000 }).toContain('1 message(s) renvoyé(s)');
    await expect.poll(async () => (await cloud.ses.listEmails()).filter((m) => m.to.includes(corrected)).length, { timeout: 10_000 }).toBe(1);
    await expect.poll(() => page.locator('#contacts-to-fix tr[data-issue-id]', { hasText: 'Yanis Rebond' }).count(), { timeout: 10_000 }).toBe(0);
    await page.close();
  });

  it('staff find a stopped path "à traiter" in the inbox filtered by kind, and relaunch its step from its page', async () => {
    const sarah = apiClient(cloud, 'sarah.benali');
    const camille = apiClient(cloud, 'camille.martin');
    const submitted = await sarah('POST', '/api/referrals', {
      programme: 'accompagnement',
      youngPerson: { firstName: 'Ilyes', lastName: 'Incident', birthDate: '2002-09-09', email: `ilyes.${randomUUID()}@example.org`, phone: '06 55 44 33 00', postalCode: '62300', town: 'Lens', qpv: false, situation: 'autre' },
      projectIdea: 'Livraison de courses à vélo pour les personnes âgées.',
      consent: { dataProcessing: true },
    }, { 'idempotency-key': randomUUID() });
    const { referralId } = submitted.body;
    const { personId } = (await camille('GET', `/api/referrals/${referralId}`)).body;
    // What the workflow's "à traiter" block records when a step still fails after its retries.
    const subjectId = await recordIncidentSubject({ executionArn: `arn:aws:states:eu-west-3:000000000000:execution:browser:${referralId}`, step: 'Accuser réception', error: 'ValidationException', referralId, personId, programme: 'accompagnement' });
    const opened = await openApproval(incidents, { subjectId, phase: 'incident', taskToken: `browser-${randomUUID()}`, appBaseUrl: cloud.urls.app });
    if (opened.state !== 'waiting') throw new Error('expected an open incident');
    const { approvalId } = opened.approval;

    const page = await signedIn(`${cloud.urls.app}equipe?kind=incident`, 'Camille Martin');
    const card = page.locator(`[data-approval-id="${approvalId}"]`);
    await expect.poll(() => card.isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await page.locator('#inbox li.card').evaluateAll((cards) => cards.map((c) => (c as HTMLElement).dataset.kind))).not.toContain('referral-decision');
    expect(await page.getByLabel('Type de demande').inputValue()).toBe('incident');
    const text = (await card.textContent()) ?? '';
    expect(text).toContain('Ilyes Incident');
    expect(text).toContain("L'étape « Accuser réception » n'a pas pu aboutir malgré plusieurs tentatives : une donnée a été refusée par un service.");

    await card.getByRole('link', { name: 'Relancer ou clôturer : Ilyes Incident' }).click();
    await page.waitForURL(`${cloud.urls.app}equipe/decisions/${approvalId}`);
    await expect.poll(() => page.locator('#decision-form').isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await page.locator('#incident-details').textContent()).toContain('une donnée a été refusée par un service');
    await page.getByLabel(/^Commentaire/).fill('Numéro vérifié avec la Mission locale.');
    await page.getByRole('button', { name: "Relancer l'étape" }).click();
    await expect.poll(() => page.locator('#decision-confirmation').isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await page.locator('#decision-confirmation-status').textContent()).toBe("L'étape « Accuser réception » est relancée : le parcours reprend à cette étape.");

    // Recorded once, in the young person's history, and gone from the inbox.
    expect((await camille('GET', `/api/approvals/${approvalId}`)).body).toMatchObject({ kind: 'incident', status: 'decided', outcome: 'retry', decidedBy: 'Camille Martin' });
    const timeline = await camille('GET', `/api/people/${personId}/timeline`);
    expect(timeline.body.events.filter((e: { type: string }) => e.type === 'path-incident-retry')).toHaveLength(1);
    expect((await camille('GET', '/api/staff/inbox?kind=incident')).body.items.some((i: { approvalId: string }) => i.approvalId === approvalId)).toBe(false);
    await page.close();
  });
});
