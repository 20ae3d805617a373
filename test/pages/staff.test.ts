import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, startPagesServer, type PagesServer } from '../support/browser.js';
import { ID_TOKEN_STORAGE_KEY, decide, fakeIdToken, focusedId, hasHorizontalScroll, inboxCards, readErrorSummary, resetSession } from '../support/pages.js';

let browser: Browser;
let server: PagesServer;
let shared: Page;

beforeAll(async () => {
  process.env.AUTH_BASE_URL = 'https://auth.coopconnexion.test';
  process.env.USER_POOL_CLIENT_ID = 'pages-client-test';
  [browser, server] = await Promise.all([launchBrowser(), startPagesServer()]);
  const context = await browser.newContext({ locale: 'fr-FR', timezoneId: 'Europe/Paris' });
  shared = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const staffToken = () => fakeIdToken({ name: 'Claire Dubois', email: 'claire@coopconnexion.example', groups: ['staff'] });

async function openAsStaff(viewport = { width: 1024, height: 900 }): Promise<Page> {
  await shared.setViewportSize(viewport);
  await resetSession(shared, server.url, staffToken());
  return shared;
}

async function answerJson(page: Page, pattern: string, body: unknown, status = 200): Promise<void> {
  await page.route(pattern, (route) => route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(body) }));
}

const inbox = {
  items: [
    {
      approvalId: 'apv_01JQ8ZT3',
      referralId: 'REF-2025-000101',
      personId: 'per_01',
      createdAt: '2025-03-03T08:15:00Z',
      ageDays: 9,
      ageLabel: 'En attente depuis 9 jours',
      programmeLabel: 'Coopérative Jeunesse de Services (16-18 ans, été)',
      youngPerson: { firstName: 'Lina', lastName: 'Haddad', birthDate: '2008-06-14', town: 'Grenay', qpv: true },
      prescriber: { organisationName: 'Mission locale de Lens-Liévin', name: 'Camille Prescriptrice' },
      eligibility: { eligible: true, explanation: ['16 ans : dans la tranche 16-18 ans.'] },
      duplicate: { linked: true, previousReferrals: 2 },
      phase: 'escalated',
      phaseLabel: 'Relance envoyée à la direction',
    },
    {
      approvalId: 'apv_01JQ9AA1',
      referralId: 'REF-2025-000117',
      personId: 'per_02',
      createdAt: '2025-03-11T16:40:00Z',
      ageDays: 1,
      ageLabel: 'En attente depuis 1 jour',
      programmeLabel: 'Accompagnement individuel (18-29 ans)',
      youngPerson: { firstName: 'Thomas', lastName: 'Vasseur', birthDate: '1996-01-20', town: 'Mazingarbe', qpv: false },
      prescriber: { organisationName: 'France Travail Lens', name: '' },
      eligibility: { eligible: false, explanation: ['29 ans et plus : hors de la tranche 18-29 ans.'] },
      duplicate: { linked: false, previousReferrals: 0, possibleDuplicates: 1 },
      phase: 'initial',
      phaseLabel: 'Nouvelle',
    },
  ],
};

const approval = (overrides: Record<string, unknown> = {}) => ({
  approvalId: 'apv_01JQ8ZT3',
  status: 'open',
  referral: {
    referralId: 'REF-2025-000101',
    personId: 'per_01',
    createdAt: '2025-03-03T08:15:00Z',
    programmeLabel: 'Coopérative Jeunesse de Services (16-18 ans, été)',
    youngPerson: {
      firstName: 'Lina', lastName: 'Haddad', birthDate: '2008-06-14', email: 'lina.haddad@example.fr', phone: '+33612345678',
      address: '3 rue des Écoles', postalCode: '62160', town: 'Grenay', qpv: true, situation: 'etudiant', situationDetail: 'Lycée professionnel',
    },
    guardian: { firstName: 'Karim', lastName: 'Haddad', email: 'karim.haddad@example.fr', phone: '+33798765432', relationship: 'père' },
    projectIdea: 'Petits travaux de jardinage\net lavage de vélos.',
    notes: 'A déjà participé à un chantier jeunes.',
    prescriber: { organisationName: 'Mission locale de Lens-Liévin', name: 'Camille Prescriptrice' },
    eligibility: { eligible: true, explanation: ['16 ans : dans la tranche 16-18 ans.'] },
    duplicate: { linked: true, previousReferrals: 2 },
  },
  allowedOutcomes: ['accepted', 'refused', 'waitlisted'],
  refusalReasons: [
    { code: 'hors-territoire', label: 'Hors du territoire couvert', shownToYoungPerson: true },
    { code: 'dossier-incomplet', label: 'Situation à clarifier avec le prescripteur', shownToYoungPerson: false },
  ],
  ...overrides,
});

describe('staff pages', () => {
  it('shows each signed-in role the links of its work, and staff the messages page', async () => {
    const navLinks = async (page: Page) => page.locator('nav[aria-label="Navigation principale"] a:visible').allTextContents();
    const page = await openAsStaff();
    await answerJson(page, '**/api/staff/inbox', inbox);
    await page.goto(`${server.url}/equipe`);
    await inboxCards(page).first().waitFor();
    expect(await navLinks(page)).toEqual(['Suivi des orientations', 'Demandes à traiter', 'Messages et contacts', 'Doublons possibles']);

    await resetSession(page, server.url, fakeIdToken({ groups: ['prescriber'] }));
    await answerJson(page, '**/api/referrals', { items: [] });
    await page.goto(`${server.url}/prescripteur/orientations`);
    await expect.poll(() => page.locator('#session').isVisible()).toBe(true);
    expect(await navLinks(page)).toEqual(['Orienter un jeune', 'Suivi des orientations']);
  });

  it('renders the inbox items with their age, phase, eligibility and links', async () => {
    const page = await openAsStaff();
    await answerJson(page, '**/api/staff/inbox', inbox);
    await page.goto(`${server.url}/equipe`);
    await inboxCards(page).first().waitFor();
    expect(await inboxCards(page).count()).toBe(2);
    const first = inboxCards(page).first();
    const text = (await first.textContent()) ?? '';
    for (const expected of [
      'Lina Haddad',
      'En attente depuis 9 jours',
      'Relance envoyée à la direction',
      'Reçue le 3 mars 2025 à 09:15',
      'Grenay · quartier prioritaire (QPV)',
      'Mission locale de Lens-Liévin · Camille Prescriptrice',
      '16 ans : dans la tranche 16-18 ans.',
      'Déjà connu : 2 orientations précédentes',
    ]) {
      expect(text).toContain(expected);
    }
    expect(await first.getByRole('link', { name: 'Examiner et décider : Lina Haddad' }).getAttribute('href')).toBe('/equipe/decisions/apv_01JQ8ZT3');
    expect(await first.getByRole('link', { name: 'Historique de Lina Haddad' }).getAttribute('href')).toBe('/equipe/personnes/per_01');
    const second = (await inboxCards(page).nth(1).textContent()) ?? '';
    expect(second).toContain('En attente depuis 1 jour');
    expect(second).toContain('Conditions à vérifier');
    expect(await page.locator('#session-name').textContent()).toBe('Compte : Claire Dubois (équipe CoopConnexion)');
    expect(await page.locator('.nav-list a[aria-current="page"]').textContent()).toBe('Demandes à traiter');

    await page.setViewportSize({ width: 375, height: 740 });
    expect(await hasHorizontalScroll(page)).toBe(false);
    mkdirSync('.local/screenshots', { recursive: true });
    await page.screenshot({ path: '.local/screenshots/inbox-phone.png', fullPage: true });
    await page.setViewportSize({ width: 1024, height: 900 });
    await page.screenshot({ path: '.local/screenshots/inbox.png', fullPage: true });
  });

  it('decides only on the POST, then shows the 409 message on a second decision', async () => {
    const page = await openAsStaff();
    const posts: unknown[] = [];
    let getCount = 0;
    await page.route('**/api/approvals/apv_01JQ8ZT3', (route) => {
      getCount += 1;
      // The second display is the case of a colleague having decided in between.
      const body = getCount === 1 ? approval() : approval({ allowedOutcomes: ['accepted', 'refused'] });
      return route.fulfill({ contentType: 'application/json', body: JSON.stringify(body) });
    });
    await page.route('**/api/approvals/apv_01JQ8ZT3/decision', (route) => {
      posts.push(route.request().postDataJSON());
      return posts.length === 1
        ? route.fulfill({ contentType: 'application/json', body: JSON.stringify({ referralId: 'REF-2025-000101', status: 'refused', statusLabel: 'Refusée' }) })
        : route.fulfill({ status: 409, contentType: 'application/json', body: JSON.stringify({ message: 'Une décision a déjà été prise le 12 mars 2025 par Claire Dubois.' }) });
    });

    await page.goto(`${server.url}/equipe/decisions/apv_01JQ8ZT3`);
    await page.locator('#decision-form').waitFor();
    const details = (await page.locator('#approval-details').textContent()) ?? '';
    for (const expected of ['Lina Haddad', '14 juin 2008', 'lina.haddad@example.fr', '3 rue des Écoles, 62160 Grenay', 'Étudiant ou étudiante : Lycée professionnel', 'Karim Haddad', 'père', 'A déjà participé']) {
      expect(details).toContain(expected);
    }
    expect(posts).toHaveLength(0);
    expect(await page.getByLabel(/^Motif du refus/).isVisible()).toBe(false);

    await decide(page, { outcome: 'refused' });
    expect(await readErrorSummary(page)).toEqual(['Choisissez le motif du refus.']);
    expect(await focusedId(page)).toBe('error-summary');
    expect(await page.getByRole('option', { name: 'Situation à clarifier avec le prescripteur (non communiqué au jeune)' }).count()).toBe(1);
    await decide(page, {
      outcome: 'refused',
      reasonLabel: 'Hors du territoire couvert',
      messageToPrescriber: 'Le jeune habite hors du bassin minier.',
      messageToYoungPerson: 'Nous ne pouvons pas vous accompagner, la Mission locale vous proposera une autre solution.',
    });
    await page.getByRole('region', { name: 'Décision enregistrée' }).waitFor();
    expect(await focusedId(page)).toBe('decision-confirmation');
    expect(await page.locator('#decision-confirmation-status').textContent()).toBe('Nouveau statut de l\'orientation : Refusée.');
    expect(posts).toEqual([
      {
        outcome: 'refused',
        reasonCode: 'hors-territoire',
        messageToPrescriber: 'Le jeune habite hors du bassin minier.',
        messageToYoungPerson: 'Nous ne pouvons pas vous accompagner, la Mission locale vous proposera une autre solution.',
      },
    ]);

    await page.reload();
    await page.locator('#decision-form').waitFor();
    expect(await page.getByRole('radio', { name: "Mettre sur liste d'attente" }).count()).toBe(0);
    await decide(page, { outcome: 'accepted' });
    const conflict = page.locator('#decision-conflict');
    await conflict.waitFor();
    expect(await conflict.textContent()).toContain('Une décision a déjà été prise le 12 mars 2025 par Claire Dubois.');
    expect(await focusedId(page)).toBe('decision-conflict');
    expect(await page.locator('#decision-form').isHidden()).toBe(true);
    expect(posts[1]).toEqual({ outcome: 'accepted' });
  });

  it('shows a decision already made without a form', async () => {
    const page = await openAsStaff();
    await answerJson(page, '**/api/approvals/apv_used', approval({ approvalId: 'apv_used', status: 'used', decidedAt: '2025-03-12T09:00:00Z' }));
    await page.goto(`${server.url}/equipe/decisions/apv_used`);
    await page.getByText(/Une décision a déjà été prise le 12 mars 2025 à 10:00/).waitFor();
    expect(await page.locator('#decision-form').isHidden()).toBe(true);
  });

  it('shows the timeline in time order with who, when and why', async () => {
    const page = await openAsStaff();
    await answerJson(page, '**/api/people/per_01/timeline', {
      person: { personId: 'per_01', firstName: 'Lina', lastName: 'Haddad', birthDate: '2008-06-14', email: 'lina.haddad@example.fr', phone: '+33612345678', town: 'Grenay' },
      referrals: [{ referralId: 'REF-2025-000101', createdAt: '2025-03-03T08:15:00Z', programmeLabel: 'Coopérative Jeunesse de Services (16-18 ans, été)', status: 'refused', statusLabel: 'Refusée' }],
      events: [
        { at: '2025-03-12T09:00:00Z', type: 'referral.refused', label: 'Orientation refusée', actor: { kind: 'staff', name: 'Claire Dubois' }, reason: 'Hors du territoire couvert' },
        { at: '2025-03-03T08:15:00Z', type: 'referral.submitted', label: 'Orientation reçue', actor: { kind: 'prescriber', name: 'Camille Prescriptrice' } },
        { at: '2025-03-10T08:15:00Z', type: 'referral.reminded', label: 'Relance de l\'équipe', actor: { kind: 'system' } },
      ],
      notifications: [
        { notificationId: 'n2', kind: 'referral-refused', role: 'young', channel: 'sms', status: 'failed', createdAt: '2025-03-12T09:00:00Z', sentAt: '2025-03-12T09:00:02Z', providerMessageId: 'sms-42' },
        { notificationId: 'n1', kind: 'referral-received', role: 'prescriber', channel: 'email', status: 'delivered', createdAt: '2025-03-03T08:15:00Z', sentAt: '2025-03-03T08:15:01Z', providerMessageId: 'ses-17' },
        { notificationId: 'n3', kind: 'referral-refused', role: 'prescriber', channel: 'email', status: 'pending', createdAt: '2025-03-12T09:00:00Z' },
      ],
    });
    await page.goto(`${server.url}/equipe/personnes/per_01`);
    await page.getByRole('heading', { name: 'Historique de Lina Haddad' }).waitFor();
    const events = await page.locator('.timeline li').allTextContents();
    expect(events).toHaveLength(3);
    expect(events[0]).toContain('3 mars 2025 à 09:15');
    expect(events[0]).toContain('Par Camille Prescriptrice (prescripteur)');
    expect(events[1]).toContain('Automatique');
    expect(events[2]).toContain('12 mars 2025 à 10:00');
    expect(events[2]).toContain('Par Claire Dubois (équipe)');
    expect(events[2]).toContain('Motif : Hors du territoire couvert');
    const messages = await page.locator('table.messages tbody tr').allTextContents();
    expect(messages).toHaveLength(3);
    expect(messages[0]).toContain('Accusé de réception');
    expect(messages[0]).toContain('Prescripteur');
    expect(messages[0]).toContain('Distribué');
    expect(messages[0]).toContain('ses-17');
    expect(messages.slice(1).join()).toContain('Échec de distribution');
    expect(messages.slice(1).join()).toContain("En attente d'envoi");

    await page.route('https://auth.coopconnexion.test/logout**', (route) => route.fulfill({ status: 302, headers: { location: `${server.url}/` } }));
    const logout = page.waitForRequest('https://auth.coopconnexion.test/logout**');
    await page.getByRole('link', { name: 'Se déconnecter' }).click();
    expect(Object.fromEntries(new URL((await logout).url()).searchParams)).toEqual({ client_id: 'pages-client-test', logout_uri: `${server.url}/` });
    await page.waitForURL(`${server.url}/`);
    expect(await page.evaluate((key) => sessionStorage.getItem(key), ID_TOKEN_STORAGE_KEY)).toBeNull();
    expect(await page.locator('#session').isHidden()).toBe(true);
  });

  it('flags a possible duplicate on the inbox card, with a link to compare the records', async () => {
    const page = await openAsStaff();
    await answerJson(page, '**/api/staff/inbox', inbox);
    await page.goto(`${server.url}/equipe`);
    await inboxCards(page).first().waitFor();
    expect(await inboxCards(page).nth(0).textContent()).toContain('Déjà connu : 2 orientations précédentes');
    const second = inboxCards(page).nth(1);
    expect(await second.textContent()).toContain('Doublon possible à vérifier');
    expect(await second.getByRole('link', { name: 'comparer les dossiers' }).getAttribute('href')).toBe('/equipe/doublons');
  });

  it('shows each possible duplicate side by side, and records the answer', async () => {
    const page = await openAsStaff();
    const pair = {
      duplicateId: 'p1_p2',
      createdAt: '2025-03-11T16:40:00Z',
      matchedBy: ['EMAIL'],
      matchedByLabels: ['même e-mail'],
      newPerson: { personId: 'p2', firstName: 'Hugo', lastName: 'Haddad', birthDate: '2009-01-10', email: 'famille.haddad@example.fr', phone: '+33698765432', town: 'Grenay', createdAt: '2025-03-11T16:40:00Z' },
      knownPerson: { personId: 'p1', firstName: 'Lina', lastName: 'Haddad', birthDate: '2008-06-14', email: 'famille.haddad@example.fr', phone: '+33612345678', town: 'Grenay', createdAt: '2025-03-03T08:15:00Z' },
      referral: { referralId: 'r2', reference: 'ORI-1A2B3C4D', programmeLabel: 'CJS', organisationName: 'Mission locale de Lens', createdAt: '2025-03-11T16:40:00Z' },
    };
    let listed = [pair];
    await page.route('**/api/staff/duplicates', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ items: listed }) }));
    const posts: unknown[] = [];
    await page.route('**/api/staff/duplicates/p1_p2/decision', (route) => {
      posts.push(route.request().postDataJSON());
      listed = [];
      return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ duplicateId: 'p1_p2', status: 'different-people', alreadyDecided: false }) });
    });
    await page.goto(`${server.url}/equipe/doublons`);
    const card = page.locator('[data-duplicate-id="p1_p2"]');
    await card.waitFor();
    const text = await card.textContent();
    for (const expected of ['Hugo Haddad', 'Lina Haddad', 'même e-mail', 'ORI-1A2B3C4D', 'Mission locale de Lens', '10 janvier 2009', '14 juin 2008']) expect(text).toContain(expected);
    expect(await card.getByRole('link', { name: 'Lina Haddad' }).getAttribute('href')).toBe('/equipe/personnes/p1');

    await card.getByRole('button', { name: /^Personnes différentes/ }).click();
    await page.getByText('Dossiers gardés séparés.').waitFor();
    await page.getByText('Aucun doublon possible à examiner.').waitFor();
    expect(posts).toEqual([{ decision: 'different-people' }]);
  });

  it('lists the referrals with their status, and says plainly when access is refused', async () => {
    const page = await openAsStaff({ width: 375, height: 740 });
    await answerJson(page, '**/api/referrals', {
      items: [
        { referralId: 'REF-1', createdAt: '2025-03-03T08:15:00Z', programme: 'cjs', programmeLabel: 'Coopérative Jeunesse de Services (16-18 ans, été)', youngPerson: { firstName: 'Lina', lastName: 'Haddad' }, status: 'refused', statusLabel: 'Refusée', decidedAt: '2025-03-12T09:00:00Z', reasonLabel: 'Hors du territoire couvert' },
        { referralId: 'REF-2', createdAt: '2025-03-11T16:40:00Z', programme: 'accompagnement', programmeLabel: 'Accompagnement individuel (18-29 ans)', youngPerson: { firstName: 'Thomas', lastName: 'Vasseur' }, status: 'pending', statusLabel: 'En attente de décision' },
      ],
    });
    await page.goto(`${server.url}/prescripteur/orientations`);
    await page.locator('#referrals table').waitFor();
    const rows = await page.locator('#referrals tbody tr').allTextContents();
    expect(rows[0]).toContain('Refusée');
    expect(rows[0]).toContain('Le 12 mars 2025 à 10:00 : Hors du territoire couvert');
    expect(rows[1]).toContain('En attente de décision');
    expect(await hasHorizontalScroll(page)).toBe(false);

    await answerJson(page, '**/api/staff/inbox', { message: 'Cette page est réservée à l\'équipe de CoopConnexion.' }, 403);
    await page.goto(`${server.url}/equipe`);
    await page.getByText('Cette page est réservée à l\'équipe de CoopConnexion.').waitFor();
  });
});
