import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, startPagesServer, type PagesServer } from '../support/browser.js';
import { fakeIdToken, fillPriceLine, hasHorizontalScroll, resetSession } from '../support/pages.js';
import { parseEuros, centsToInput } from '../../browser/lib/money.js';
import { choosableServiceKinds, DEFAULT_SERVICE_KINDS } from '../../shared/domain/activities.js';
import { approvalView, cohortView, inboxItem, youngPersonSpace } from '../../shared/views.js';
import type { OnboardingRecord } from '../../shared/data/onboarding.js';
import type { StoredCohort } from '../../shared/data/cohorts.js';
import type { CohortMember } from '../../shared/domain/activities.js';
import {
  activityWithParts,
  approvalRecord,
  customerOwner,
  decisionAnswerOf,
  launchRefusal,
  myActivitiesAnswer,
  referralRecord,
  refusalOf,
  staffActivityAnswer,
} from '../support/view-fixtures.js';
import { launchDecisionSchema } from '../../shared/domain/activity-launch.js';
import { customerView, memberInvoiceView, monthDeclarationsView } from '../../shared/invoicing-views.js';
import type { MonthLockRecord } from '../../shared/domain/invoicing/records.js';

/*
 * The activity launch's pages against the API's answers (page.route): the launch file on a phone (euros typed, cents
 * sent; a minor's services; the problems by their fields; the team's comment; the flyer), and the staff's decision.
 */

let browser: Browser;
let server: PagesServer;
let phone: BrowserContext;
let page: Page;

const TOKEN = 'T'.repeat(43);
const json = (route: Route, body: unknown, status = 200) => route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(body) });

beforeAll(async () => {
  process.env.AUTH_BASE_URL = 'https://auth.coopconnexion.test';
  process.env.USER_POOL_CLIENT_ID = 'pages-client-test';
  [browser, server] = await Promise.all([launchBrowser(), startPagesServer()]);
  phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'fr-FR', timezoneId: 'Europe/Paris', acceptDownloads: true });
  page = await phone.newPage();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const adult = referralRecord({ programme: 'accompagnement', status: 'accepted', youngPerson: { ...referralRecord().youngPerson, birthDate: '2000-05-01' }, guardian: undefined });
const minor = referralRecord({ referralId: 'REF-2025-000102', personId: 'per_03', programme: 'cjs', status: 'accepted' });

describe('euros typed, cents sent', () => {
  it('reads French amounts digit by digit, without float drift, and refuses what is not an amount', () => {
    expect(parseEuros('12,50')).toBe(1250);
    expect(parseEuros('0,29')).toBe(29);
    expect(parseEuros('1.1')).toBe(110);
    expect(parseEuros('1 250,5 €')).toBe(125050);
    expect(parseEuros('8')).toBe(800);
    for (const bad of ['', '-3', '12,505', '12,', 'douze', '1e3', '12,5,0']) expect(parseEuros(bad)).toBeUndefined();
    expect(centsToInput(1250)).toBe('12,50');
    expect(centsToInput(800)).toBe('8');
    expect(centsToInput(29)).toBe('0,29');
  });
});

/** Opens /mon-activite with the API answered; records what the page sends. */
async function openLaunchFile(answer: () => unknown, handlers: { put?: (body: unknown) => { status: number; body: unknown }; submit?: () => { status: number; body: unknown } } = {}) {
  const sent: Array<{ method: string; path: string; header: string | null; body: unknown }> = [];
  await page.unrouteAll();
  await page.route('**/api/me/**', (route) => {
    const request = route.request();
    const path = new URL(request.url()).pathname;
    const body = request.postData() ? request.postDataJSON() : undefined;
    sent.push({ method: request.method(), path, header: request.headers()['x-parcours-link'] ?? null, body });
    if (path === '/api/me/activities') return json(route, answer());
    if (path === '/api/me/activity') {
      const result = handlers.put?.(body) ?? { status: 200, body: {} };
      return json(route, result.body, result.status);
    }
    if (path === '/api/me/activity/submission') {
      const result = handlers.submit?.() ?? { status: 200, body: {} };
      return json(route, result.body, result.status);
    }
    if (path.endsWith('/flyer')) return route.fulfill({ status: 200, contentType: 'application/pdf', body: Buffer.from('%PDF-1.7\nplaquette') });
    return json(route, { message: 'Route inconnue.' }, 404);
  });
  // From the same page, a new fragment alone would not load it again.
  await page.goto('about:blank');
  await page.goto(`${server.url}/mon-activite#${TOKEN}`);
  await expect.poll(() => page.locator('#activite').getAttribute('aria-busy'), { timeout: 10_000 }).toBe('false');
  return sent;
}

describe('the way from "Mon parcours" to "Mon activité"', () => {
  const onboarding = (status: OnboardingRecord['status']): OnboardingRecord => ({
    referralId: adult.referralId, personId: adult.personId, programme: 'accompagnement', programmeStartDate: adult.programmeStartDate, minor: false,
    status, startedAt: '2025-03-01T09:00:00Z', updatedAt: '2025-03-10T09:00:00Z', currentStep: 'review',
  });

  it('is offered once onboarding is over, and not before', async () => {
    for (const status of ['active', 'ready'] as const) {
      await page.unrouteAll();
      await page.route('**/api/me', (route) => json(route, youngPersonSpace(adult, onboarding(status), [], { items: [] })));
      await page.route('**/api/me/*', (route) => json(route, { message: 'Introuvable.' }, 404));
      await page.goto('about:blank');
      await page.goto(`${server.url}/mon-parcours#${TOKEN}`);
      await expect.poll(() => page.locator('#a-faire').isVisible(), { timeout: 10_000 }).toBe(true);
      const link = page.getByRole('link', { name: 'Préparer le lancement de mon activité' });
      if (status === 'active') expect(await link.count()).toBe(0);
      else expect(await link.getAttribute('href')).toBe('/mon-activite');
    }
  });
});

describe('"Mon activité" on a phone', () => {
  it('a minor sees only the services open to minors', async () => {
    await openLaunchFile(() => ({ ...myActivitiesAnswer(minor, []), mayCreatePersonalActivity: true }));
    const offered = await page.locator('#services-choix input[type="checkbox"]').evaluateAll((boxes) => boxes.map((b) => (b as HTMLInputElement).value));
    expect(offered.sort()).toEqual(choosableServiceKinds(DEFAULT_SERVICE_KINDS, true).map((k) => k.code).sort());
    expect(offered).not.toContain('demenagement');
    expect(offered).not.toContain('elagage');
    // The price lines offer the same services only.
    const lineServices = await page.locator('#f-priceLines-0-serviceKind option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value).filter(Boolean));
    expect(lineServices.sort()).toEqual(offered.sort());
  });

  it('sends the euros typed as integer cents, adds and removes price lines, and shows the launch problems by their fields', async () => {
    const found = activityWithParts({ referral: adult });
    const sent = await openLaunchFile(() => myActivitiesAnswer(adult, []), {
      put: () => ({ status: 200, body: {} }),
      // The launch checks of the file as saved: a start date in the past and a member without a countersigned contract.
      submit: () => ({ status: 422, body: launchRefusal(found, { contractCountersigned: false, today: '2025-08-01' }) }),
    });
    const form = page.locator('#dossier-form');
    await form.getByLabel(/^Nom de l'activité/).fill('Les Jardins de Lina');
    await form.getByLabel(/^Enseigne/).fill('Jardins Lina');
    await form.getByLabel('Jardinage et entretien des espaces verts').check();
    await form.getByLabel('Soutien scolaire').check();
    await form.getByLabel(/^Description/).fill('Tonte et désherbage à Grenay et alentours.');
    await fillPriceLine(page, 0, { label: 'Tonte de pelouse', unit: 'heure', price: '12,50', service: 'jardinage' });
    await page.getByRole('button', { name: 'Ajouter un prix' }).click();
    await fillPriceLine(page, 1, { label: 'Désherbage', unit: 'm2', price: '0,29', service: 'jardinage' });
    await page.getByRole('button', { name: 'Ajouter un prix' }).click();
    await fillPriceLine(page, 2, { label: 'Cours', unit: 'heure', price: '18', service: 'soutien-scolaire' });
    // The second line goes: the third becomes the second, ids and titles follow.
    await page.getByRole('button', { name: 'Retirer le prix n° 2' }).click();
    expect(await page.locator('#lignes-prix > li').count()).toBe(2);
    expect(await page.locator('#f-priceLines-1-label').inputValue()).toBe('Cours');
    await form.getByLabel('Particuliers').check();
    await form.getByLabel(/^Objectif de chiffre d'affaires/).fill('1 250,50');
    await form.getByLabel(/^Date de début/).fill('2025-07-01');
    await page.getByRole('button', { name: "Envoyer mon dossier à l'équipe" }).click();

    await expect.poll(() => page.locator('#error-summary').isVisible(), { timeout: 10_000 }).toBe(true);
    const put = sent.find((s) => s.method === 'PUT')!;
    expect(put.header).toBe(TOKEN);
    expect(put.body).toEqual({
      name: 'Les Jardins de Lina',
      tradeName: 'Jardins Lina',
      serviceKinds: ['jardinage', 'soutien-scolaire'],
      description: 'Tonte et désherbage à Grenay et alentours.',
      targetCustomers: ['particuliers'],
      monthlyGoalCents: 125050,
      startDate: '2025-07-01',
      priceLines: [
        { label: 'Tonte de pelouse', unit: 'heure', unitPriceCents: 1250, serviceKind: 'jardinage', vatRateBps: 2000 },
        { label: 'Cours', unit: 'heure', unitPriceCents: 1800, serviceKind: 'soutien-scolaire', vatRateBps: 2000 },
      ],
    });
    expect(sent.some((s) => s.method === 'POST' && s.path === '/api/me/activity/submission')).toBe(true);
    // Each problem by its field; one that is no field of the form (the contract) in the summary.
    expect(await page.locator('#f-startDate-error').textContent()).toMatch(/dans le passé/);
    expect(await page.locator('#f-startDate').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#error-summary').textContent()).toMatch(/contrat contresigné/);
    expect(await hasHorizontalScroll(page)).toBe(false);
  });

  it('refuses an amount that is not one before sending anything, by the field', async () => {
    const sent = await openLaunchFile(() => myActivitiesAnswer(adult, [activityWithParts({ referral: adult })]));
    await page.locator('#f-priceLines-0-unitPriceCents').fill('12,505');
    await page.locator('#f-monthlyGoalCents').fill('huit cents');
    await page.getByRole('button', { name: 'Enregistrer sans envoyer' }).click();
    await expect.poll(() => page.locator('#f-priceLines-0-unitPriceCents-error').textContent(), { timeout: 5_000 }).toMatch(/par exemple 12,50/);
    expect(await page.locator('#f-monthlyGoalCents-error').textContent()).toMatch(/montant en euros/);
    expect(sent.filter((s) => s.method !== 'GET')).toEqual([]);
  });

  it('shows the comment of a file sent back, keeps each line\'s id and rate, and downloads the flyer with the link', async () => {
    const found = activityWithParts({
      referral: adult,
      file: { priceLines: [{ lineId: 'L7', label: 'Tonte', unit: 'heure', unitPriceCents: 1490, serviceKind: 'jardinage', vatRateBps: 1000 }] },
      activity: { submission: 1, sentBack: { comment: 'Ajoutez un prix pour la taille de haies.', by: { id: 'sub-camille', name: 'Camille Martin' }, at: '2025-03-11T09:00:00Z' } },
    });
    const sent = await openLaunchFile(() => myActivitiesAnswer(adult, [found]));
    expect(await page.locator('#renvoi-commentaire').textContent()).toBe('Ajoutez un prix pour la taille de haies.');
    expect(await page.locator('#f-priceLines-0-unitPriceCents').inputValue()).toBe('14,90');
    await page.getByRole('button', { name: 'Enregistrer sans envoyer' }).click();
    await expect.poll(() => page.locator('#activite-statut').textContent(), { timeout: 10_000 }).toMatch(/Dossier enregistré/);
    const put = sent.find((s) => s.method === 'PUT')!.body as { priceLines: unknown[] };
    expect(put.priceLines).toEqual([{ lineId: 'L7', label: 'Tonte', unit: 'heure', unitPriceCents: 1490, serviceKind: 'jardinage', vatRateBps: 1000 }]);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /Télécharger ma plaquette/ }).click()]);
    expect(download.suggestedFilename()).toBe('plaquette-jardins-lea.pdf');
    expect(sent.find((s) => s.path.endsWith('/flyer'))?.header).toBe(TOKEN);
  });

  it('shows a collective activity read only, with its members and their committee roles', async () => {
    const other = referralRecord({ referralId: 'REF-2025-000109', personId: 'per_09', programme: 'cjs', youngPerson: { ...minor.youngPerson, firstName: 'Yanis', lastName: 'Benali' } });
    const collective = activityWithParts({ referral: minor, shape: 'collective', members: [{ referral: minor, role: 'member', committeeRole: 'finance' }, { referral: other, role: 'member', committeeRole: 'marketing' }] });
    await openLaunchFile(() => myActivitiesAnswer(minor, [collective]));
    expect(await page.locator('#section-dossier').isHidden()).toBe(true);
    const card = page.locator('#collectives article.collective');
    expect(await card.locator('input, select, textarea').count()).toBe(0);
    const rows = await card.locator('.members-table tbody tr').allTextContents();
    expect(rows).toEqual([expect.stringMatching(/Lina Haddad \(vous\).*Membre.*Comité finances/), expect.stringMatching(/Yanis Benali.*Comité marketing/)]);
  });
});

describe('"Ma facturation" on a phone, a month invoiced', () => {
  it('shows its invoices above the forms, and a held invoice as not sent yet, not as "0,00 €" left to pay', async () => {
    const found = activityWithParts({ referral: adult, activity: { status: 'active' } });
    const { activityId } = found.activity;
    const owner = customerOwner({ activity: found.activity, customer: {} });
    const held = memberInvoiceView({ ...owner.invoice, invoiceId: 'inv-held', status: 'held', holdReason: 'Les heures du 12 sont à vérifier.', number: undefined, issueDate: undefined, dueDate: undefined });
    const issued = memberInvoiceView(owner.invoice);
    const month = monthDeclarationsView({ activity: found.activity, month: '2025-02', lock: { status: 'drafted' } as MonthLockRecord, declarations: [], customers: [owner.customer!], prices: found.prices, vatMode: 'franchise', today: '2025-03-12' });
    await page.unrouteAll();
    await page.route('**/api/me/**', (route) => {
      const path = new URL(route.request().url()).pathname;
      if (path === '/api/me/activities') return json(route, myActivitiesAnswer(adult, [found]));
      if (path.endsWith('/months/2025-02/declarations')) return json(route, month);
      if (path.endsWith('/customers')) return json(route, { activityId, customers: [customerView(owner.customer!)] });
      if (path.endsWith('/months/2025-02/invoices')) return json(route, { invoices: [held, issued] });
      return json(route, { message: 'Pas encore de relevé pour ce mois.' }, 404);
    });
    await page.goto('about:blank');
    await page.goto(`${server.url}/ma-facturation?activite=${activityId}&mois=2025-02#${TOKEN}`);
    const cards = page.locator('#factures .invoice');
    await cards.nth(1).waitFor();
    expect(await cards.nth(0).textContent()).toContain('Total : 45,00\u00a0€ · pas encore envoyée au client');
    expect(await cards.nth(0).textContent()).not.toContain('reste à payer');
    expect(await cards.nth(1).textContent()).toContain('reste à payer : 45,00\u00a0€');
    expect(await page.locator('#mois-facture').textContent()).toBe('Février 2025 est en facturation : ses prestations ne peuvent plus être modifiées.');
    // The month's invoices come before its declarations and the customers' form.
    const order = await page.evaluate(() => ['section-releve', 'section-factures', 'section-declarations', 'section-clients'].map((id) => document.getElementById(id)!.getBoundingClientRect().top));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // A business customer's SIREN grouped as it is written.
    expect(await page.locator('#section-clients').textContent()).toContain('Entreprise · SIREN 732 829 320');
    expect(await hasHorizontalScroll(page)).toBe(false);
  });
});

describe('the staff\'s launch decision on the activity page', () => {
  it('asks for a comment to send the file back, sends it, then shows the activity back in draft', async () => {
    const found = activityWithParts({ referral: adult, activity: { status: 'awaiting-approval', submission: 1 } });
    const approval = approvalRecord(adult, { approvalId: 'apv_launch_1', kind: 'activity-launch', subjectId: found.activity.activityId, activity: { activityId: found.activity.activityId, name: found.activity.name, shape: 'personal' } });
    let current = staffActivityAnswer(found);
    const decisions: unknown[] = [];
    await page.unrouteAll();
    await resetSession(page, server.url, fakeIdToken({ name: 'Camille Martin', groups: ['staff'] }));
    await page.route('**/api/staff/activities/*', (route) => json(route, current));
    await page.route('**/api/staff/inbox?*', (route) => json(route, { items: [inboxItem(approval, adult)] }));
    await page.route('**/api/approvals/*/decision', (route) => {
      const body = route.request().postDataJSON();
      decisions.push(body);
      current = staffActivityAnswer({ ...found, activity: { ...found.activity, status: 'draft', sentBack: { comment: body.comment, by: { id: 'sub-camille', name: 'Camille Martin' }, at: '2025-03-12T10:05:00Z' } } });
      return json(route, decisionAnswerOf(approval, body.outcome));
    });
    await page.goto(`${server.url}/equipe/activites/${found.activity.activityId}`);
    const form = page.locator('#launch-form');
    await expect.poll(() => form.isVisible(), { timeout: 10_000 }).toBe(true);
    await form.getByLabel('Renvoyer le dossier au jeune').check();
    await form.getByRole('button', { name: 'Enregistrer la décision' }).click();
    await expect.poll(() => page.locator('#f-comment-error').textContent(), { timeout: 5_000 }).toBe(refusalOf(launchDecisionSchema, { outcome: 'sent-back' }).body.errors[0].message);
    expect(decisions).toEqual([]);
    await form.getByLabel(/^Commentaire au jeune/).fill('Ajoutez un prix pour la taille de haies.');
    await form.getByRole('button', { name: 'Enregistrer la décision' }).click();
    await expect.poll(() => page.locator('#activity .badge-activity').getAttribute('data-status'), { timeout: 10_000 }).toBe('draft');
    expect(decisions).toEqual([{ outcome: 'sent-back', comment: 'Ajoutez un prix pour la taille de haies.' }]);
    expect(await page.locator('#sent-back').textContent()).toContain('Ajoutez un prix pour la taille de haies.');
    expect(await page.locator('#launch-decision').isHidden()).toBe(true);
  });
});

describe('a closed activity on the staff page', () => {
  it('says its last services will be invoiced at the next run, until the run has drafted its last month', async () => {
    const closed = activityWithParts({ referral: adult, activity: { status: 'closed', submission: 1, statusReason: 'La titulaire a trouvé un emploi.', invoiceThrough: '2025-03' } });
    let current = staffActivityAnswer(closed);
    await page.unrouteAll();
    await resetSession(page, server.url, fakeIdToken({ name: 'Camille Martin', groups: ['staff'] }));
    await page.route('**/api/staff/activities/*', (route) => json(route, current));
    await page.goto(`${server.url}/equipe/activites/${closed.activity.activityId}`);
    await expect.poll(() => page.locator('#activity .badge-activity').getAttribute('data-status'), { timeout: 10_000 }).toBe('closed');
    expect(await page.locator('#last-invoicing').textContent()).toBe(
      "Ses dernières prestations, déclarées jusqu'à sa fermeture, seront facturées au prochain passage de la facturation mensuelle (mois de mars 2025).",
    );
    // The run of March drafted it and took it off the index: nothing more to say.
    const { invoiceThrough: _drafted, ...invoiced } = closed.activity;
    current = staffActivityAnswer({ ...closed, activity: invoiced });
    await page.reload();
    await expect.poll(() => page.locator('#activity .badge-activity').getAttribute('data-status'), { timeout: 10_000 }).toBe('closed');
    expect(await page.locator('#last-invoicing').count()).toBe(0);
  });
});

describe('a launch approval opened from its decision link', () => {
  it('leads to the activity\'s page, where the launch is decided', async () => {
    const found = activityWithParts({ referral: adult, activity: { status: 'awaiting-approval', submission: 1 } });
    const approval = approvalRecord(adult, { approvalId: 'apv_launch_2', kind: 'activity-launch', activity: { activityId: found.activity.activityId, name: found.activity.name, shape: 'personal' } });
    await page.unrouteAll();
    await resetSession(page, server.url, fakeIdToken({ name: 'Camille Martin', groups: ['staff'] }));
    await page.route('**/api/approvals/apv_launch_2', (route) => json(route, approvalView(approval, adult, ['approved', 'sent-back'])));
    await page.goto(`${server.url}/equipe/decisions/apv_launch_2`);
    const link = page.locator('#elsewhere-note a');
    await expect.poll(() => link.getAttribute('href'), { timeout: 10_000 }).toBe(`/equipe/activites/${found.activity.activityId}`);
    expect(await link.textContent()).toBe(`Ouvrir « ${found.activity.name} »`);
  });
});

describe('the cohort page', () => {
  const cohort: StoredCohort = {
    cohortId: 'coh-lens-2025', name: 'CJS Lens été 2025', year: 2025, startDate: '2025-07-07', endDate: '2025-08-29', towns: ['Lens', 'Liévin'],
    capacity: 2, seatsTaken: 1, activityId: 'ca-cohorte-lens', createdAt: '2025-03-01T09:00:00Z', createdBy: { id: 'sub-camille', name: 'Camille Martin' }, payloadHash: 'h',
  };
  const placed: CohortMember = { cohortId: cohort.cohortId, referralId: minor.referralId, personId: minor.personId, name: 'Lina Haddad', placedAt: '2025-03-02T09:00:00Z' };

  it('shows the seats and members, saves a committee role, and says in French when the cohort is full', async () => {
    const roles: unknown[] = [];
    await page.unrouteAll();
    await resetSession(page, server.url, fakeIdToken({ name: 'Camille Martin', groups: ['staff'] }));
    await page.route('**/api/staff/cohorts/coh-lens-2025', (route) => json(route, cohortView(cohort, [placed], { status: 'draft' })));
    await page.route('**/api/staff/cohorts/coh-lens-2025/members/*', (route) => {
      roles.push(route.request().postDataJSON());
      return json(route, {});
    });
    await page.route('**/api/staff/cohorts/coh-lens-2025/members', (route) => json(route, { message: 'La cohorte est complète (2 places).' }, 409));
    await page.goto(`${server.url}/equipe/cohortes/coh-lens-2025`);
    const row = page.locator(`tr[data-referral-id="${minor.referralId}"]`);
    await expect.poll(() => row.isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await page.locator('#cohort-seats').textContent()).toBe('1 / 2 (1 place libre)');
    expect(await page.locator('#cohort-activity').getAttribute('href')).toBe('/equipe/activites/ca-cohorte-lens');
    await row.getByLabel('Comité de Lina Haddad').selectOption('finance');
    await row.getByRole('button', { name: /Enregistrer/ }).click();
    await expect.poll(() => page.locator('#cohort-status').textContent(), { timeout: 5_000 }).toBe('Lina Haddad : Comité finances.');
    expect(roles).toEqual([{ committeeRole: 'finance' }]);

    await page.getByLabel(/^Identifiant du parcours/).fill('REF-2025-000777');
    await page.getByRole('button', { name: 'Placer dans la cohorte' }).click();
    await expect.poll(() => page.locator('#error-summary-message').textContent(), { timeout: 5_000 }).toBe('La cohorte est complète (2 places).');
  });
});
