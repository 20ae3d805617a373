import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, startPagesServer, type PagesServer } from '../support/browser.js';
import { ID_TOKEN_STORAGE_KEY, decide, fakeIdToken, focusedId, hasHorizontalScroll, inboxCards, readErrorSummary, resetSession } from '../support/pages.js';
import type { ApprovalRecord } from '../../shared/data/approvals.js';
import { REFUSAL_REASONS } from '../../shared/domain/refusal-reasons.js';
import { inboxItem, referralSummary } from '../../shared/views.js';
import {
  approvalAnswer,
  approvalRecord,
  decisionAnswerOf,
  duplicateItem,
  incidentRecord,
  outboxMessage,
  personRecord,
  referralRecord,
  timelineAnswer,
} from '../support/view-fixtures.js';

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

// The fixtures go through the API's own views: the pages are tested against the shapes the API really answers.
const now = new Date('2025-03-12T10:00:00Z');

const thomas = referralRecord({
  referralId: 'REF-2025-000117',
  reference: 'ORI-5E6F7A8B',
  personId: 'per_02',
  organisationName: 'France Travail Lens',
  prescriber: { id: 'sub-x', name: '' },
  programme: 'accompagnement',
  youngPerson: { firstName: 'Thomas', lastName: 'Vasseur', birthDate: '1996-01-20', email: 'thomas@example.fr', phone: '+33611111111', postalCode: '62670', town: 'Mazingarbe', qpv: false, situation: 'autre' },
  guardian: undefined,
  eligibility: { eligible: false, ageAtStart: 29, programmeStartDate: '2025-03-11', explanation: ['29 ans et plus : hors de la tranche 18-29 ans.'] },
  duplicate: { linked: false, matchedBy: [], previousReferrals: 0, possibleDuplicateOf: ['per_09'] },
  createdAt: '2025-03-11T16:40:00Z',
});

const lina = referralRecord();
const linaItem = inboxItem(approvalRecord(lina, { approvalId: 'apv_01JQ8ZT3', phase: 'escalated' }), lina, now);
const thomasItem = inboxItem(approvalRecord(thomas, { approvalId: 'apv_01JQ9AA1' }), thomas, now);
const inbox = { items: [linaItem, thomasItem] };

/** What GET /api/approvals/{approvalId} answers for Lina's referral decision, through the API's view and handler. */
const approval = (overrides: Partial<ApprovalRecord> = {}, referral = lina) => approvalAnswer(approvalRecord(referral, { approvalId: 'apv_01JQ8ZT3', ...overrides }), referral);

/** Refusal reasons as the domain lists them: one shown to the young person, one kept from them. */
const shownReason = REFUSAL_REASONS.find((r) => r.shownToYoungPerson)!;
const hiddenReason = REFUSAL_REASONS.find((r) => !r.shownToYoungPerson)!;

type InboxItem = ReturnType<typeof inboxItem>;

/**
 * Answers GET /api/staff/inbox the way the table does: `limit` items read from the cursor on, THEN filtered by kind
 * and programme (so a filtered page can be empty and still have a cursor). Returns the query strings received.
 */
async function serveInbox(page: Page, items: InboxItem[], limit: number, failAt?: (call: number) => boolean): Promise<URLSearchParams[]> {
  const received: URLSearchParams[] = [];
  await page.route((url) => url.pathname === '/api/staff/inbox', (route) => {
    const query = new URL(route.request().url()).searchParams;
    received.push(query);
    if (failAt?.(received.length)) return route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ message: 'Service momentanément indisponible.' }) });
    const start = query.has('cursor') ? Number(Buffer.from(query.get('cursor')!, 'base64url').toString()) : 0;
    const read = items.slice(start, start + limit);
    const kept = read.filter((i) => (!query.get('kind') || i.kind === query.get('kind')) && (!query.get('programme') || i.programme === query.get('programme')));
    const next = start + limit < items.length ? Buffer.from(String(start + limit)).toString('base64url') : undefined;
    return route.fulfill({ contentType: 'application/json', body: JSON.stringify({ items: kept, ...(next ? { cursor: next } : {}) }) });
  });
  return received;
}

describe('staff pages', () => {
  it('shows each signed-in role the links of its work, and staff the messages page', async () => {
    const navLinks = async (page: Page) => page.locator('nav[aria-label="Navigation principale"] a:visible').allTextContents();
    const page = await openAsStaff();
    await answerJson(page, '**/api/staff/inbox', inbox);
    await page.goto(`${server.url}/equipe`);
    await inboxCards(page).first().waitFor();
    expect(await navLinks(page)).toEqual(['Suivi des orientations', 'Demandes à traiter', 'Accueil', 'Réunions', 'Pièces à vérifier', 'Activités', 'Cohortes CJS', 'Services', 'Facturation', 'Messages et contacts', 'Doublons possibles']);

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
      'Décision sur une orientation',
      'il y a 9 jours',
      'Escaladée',
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
    expect(second).toContain('hier');
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
      const body = getCount === 1 ? approval() : approval({}, referralRecord({ status: 'waitlisted' }));
      return route.fulfill({ contentType: 'application/json', body: JSON.stringify(body) });
    });
    await page.route('**/api/approvals/apv_01JQ8ZT3/decision', (route) => {
      posts.push(route.request().postDataJSON());
      return posts.length === 1
        ? route.fulfill({ contentType: 'application/json', body: JSON.stringify(decisionAnswerOf(approvalRecord(lina), 'refused')) })
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
    expect(await page.getByRole('option', { name: `${hiddenReason.label} (non communiqué au jeune)` }).count()).toBe(1);
    await decide(page, {
      outcome: 'refused',
      reasonLabel: shownReason.label,
      messageToPrescriber: 'Le jeune habite hors du bassin minier.',
      messageToYoungPerson: 'Nous ne pouvons pas vous accompagner, la Mission locale vous proposera une autre solution.',
    });
    await page.getByRole('region', { name: 'Décision enregistrée' }).waitFor();
    expect(await focusedId(page)).toBe('decision-confirmation');
    expect(await page.locator('#decision-confirmation-status').textContent()).toBe('Nouveau statut de l\'orientation : Refusée.');
    expect(posts).toEqual([
      {
        outcome: 'refused',
        reasonCode: shownReason.code,
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

  it('shows why a step decided, expired or closed can no longer be decided, without a form', async () => {
    const page = await openAsStaff();
    await answerJson(page, '**/api/approvals/apv_used', approval({ approvalId: 'apv_used', status: 'decided', decidedAt: '2025-03-12T09:00:00Z', decidedBy: { id: 'sub-claire', name: 'Claire Dubois' }, outcome: 'accepted' }));
    await page.goto(`${server.url}/equipe/decisions/apv_used`);
    await page.getByText('Cette demande a déjà été traitée le 12 mars 2025 à 10:00 par Claire Dubois : il n\'y a plus rien à décider.').waitFor();
    expect(await page.locator('#decision-form').isHidden()).toBe(true);

    await answerJson(page, '**/api/approvals/apv_late', approval({ approvalId: 'apv_late', status: 'expired', closedAt: '2025-04-02T08:15:00Z' }));
    await page.goto(`${server.url}/equipe/decisions/apv_late`);
    await page.getByText(/^Cette demande a expiré le 2 avril 2025 à 10:15 sans décision/).waitFor();
    expect(await page.locator('#decision-form').isHidden()).toBe(true);
  });

  it('shows the timeline in time order with who, when and why', async () => {
    const page = await openAsStaff();
    const refused = referralRecord({
      status: 'refused',
      decisions: [{ outcome: 'refused', reasonCode: shownReason.code, decidedAt: '2025-03-12T09:00:00Z', decidedBy: { id: 'sub-claire', name: 'Claire Dubois' }, approvalId: 'apv_01JQ8ZT3' }],
    });
    await answerJson(page, '**/api/people/per_01/timeline', timelineAnswer({
      person: personRecord(),
      referrals: [refused],
      events: [
        { at: '2025-03-12T09:00:00Z', type: 'referral.refused', label: 'Orientation refusée', actor: { kind: 'staff', name: 'Claire Dubois' }, reason: shownReason.label },
        { at: '2025-03-03T08:15:00Z', type: 'referral.submitted', label: 'Orientation reçue', actor: { kind: 'prescriber', name: 'Camille Prescriptrice', organisationName: 'Mission locale de Lens-Liévin' } },
        { at: '2025-03-10T08:15:00Z', type: 'referral.reminded', label: 'Relance de l\'équipe', actor: { kind: 'system', name: 'Système' } },
      ],
      notifications: [
        outboxMessage({ notificationId: 'n2', kind: 'referral-refused', role: 'young', channel: 'sms', status: 'failed', createdAt: '2025-03-12T09:00:00Z', sentAt: '2025-03-12T09:00:02Z', providerMessageId: 'sms-42' }),
        outboxMessage({ notificationId: 'n1', kind: 'referral-received', role: 'prescriber', channel: 'email', status: 'delivered', createdAt: '2025-03-03T08:15:00Z', sentAt: '2025-03-03T08:15:01Z', providerMessageId: 'ses-17' }),
        outboxMessage({ notificationId: 'n3', kind: 'referral-refused', role: 'prescriber', channel: 'email', status: 'pending', createdAt: '2025-03-12T09:00:00Z' }),
      ],
    }));
    await page.goto(`${server.url}/equipe/personnes/per_01`);
    await page.getByRole('heading', { name: 'Historique de Lina Haddad' }).waitFor();
    const events = await page.locator('.timeline li').allTextContents();
    expect(events).toHaveLength(3);
    expect(events[0]).toContain('3 mars 2025 à 09:15');
    expect(events[0]).toContain('Par Camille Prescriptrice (prescripteur)');
    expect(events[1]).toContain('Automatique');
    expect(events[2]).toContain('12 mars 2025 à 10:00');
    expect(events[2]).toContain('Par Claire Dubois (équipe)');
    expect(events[2]).toContain(`Motif : ${shownReason.label}`);
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
    const hugo = personRecord({ personId: 'p2', firstName: 'Hugo', birthDate: '2009-01-10', email: 'famille.haddad@example.fr', phone: '+33698765432', createdAt: '2025-03-11T16:40:00Z' });
    const known = personRecord({ personId: 'p1', email: 'famille.haddad@example.fr' });
    const pair = duplicateItem(
      { duplicateId: 'p1_p2', personId: 'p2', candidatePersonId: 'p1', referralId: 'r2', matchedBy: ['EMAIL'], status: 'open', createdAt: '2025-03-11T16:40:00Z' },
      [hugo, known],
      referralRecord({ referralId: 'r2', personId: 'p2', organisationName: 'Mission locale de Lens', createdAt: '2025-03-11T16:40:00Z' }),
    );
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
    for (const expected of ['Hugo Haddad', 'Lina Haddad', pair.matchedByLabels[0], 'ORI-1A2B3C4D', 'Mission locale de Lens', '10 janvier 2009', '14 juin 2008']) expect(text).toContain(expected);
    expect(await card.getByRole('link', { name: 'Lina Haddad' }).getAttribute('href')).toBe('/equipe/personnes/p1');

    await card.getByRole('button', { name: /^Personnes différentes/ }).click();
    await page.getByText('Dossiers gardés séparés.').waitFor();
    await page.getByText('Aucun doublon possible à examiner.').waitFor();
    expect(posts).toEqual([{ decision: 'different-people' }]);
  });

  it('lists the referrals with their status, and says plainly when access is refused', async () => {
    const page = await openAsStaff({ width: 375, height: 740 });
    const refused = referralRecord({
      referralId: 'REF-1',
      status: 'refused',
      decisions: [{ outcome: 'refused', reasonCode: shownReason.code, decidedAt: '2025-03-12T09:00:00Z', decidedBy: { id: 'sub-claire', name: 'Claire Dubois' }, approvalId: 'apv_1' }],
    });
    await answerJson(page, '**/api/referrals', { items: [referralSummary(refused), referralSummary(thomas)] });
    await page.goto(`${server.url}/prescripteur/orientations`);
    await page.locator('#referrals table').waitFor();
    const rows = await page.locator('#referrals tbody tr').allTextContents();
    expect(rows[0]).toContain('Refusée');
    expect(rows[0]).toContain(`Le 12 mars 2025 à 10:00 : ${shownReason.label}`);
    expect(rows[1]).toContain('En attente de décision');
    expect(await hasHorizontalScroll(page)).toBe(false);

    await answerJson(page, '**/api/staff/inbox', { message: 'Cette page est réservée à l\'équipe de CoopConnexion.' }, 403);
    await page.goto(`${server.url}/equipe`);
    await page.getByText('Cette page est réservée à l\'équipe de CoopConnexion.').waitFor();
  });
});

describe('one staff inbox for every kind of waiting step', () => {
  const linaIncident = inboxItem(incidentRecord(lina, 'Accuser réception', 'ValidationException', { approvalId: 'inc_lina' }), lina, now);
  const orphanIncident = inboxItem(incidentRecord(thomas, 'Notifier la décision', 'States.Timeout', { approvalId: 'inc_orphan' }), undefined, now);
  const mixed = [linaItem, linaIncident, thomasItem, orphanIncident];

  it('shows each kind with its badge, and a stopped path as "À traiter" with its step, the French explanation and a link to act', async () => {
    const page = await openAsStaff();
    await serveInbox(page, mixed, 50);
    await page.goto(`${server.url}/equipe`);
    await inboxCards(page).first().waitFor();
    expect(await inboxCards(page).evaluateAll((cards) => cards.map((c) => (c as HTMLElement).dataset.kind))).toEqual(['referral-decision', 'incident', 'referral-decision', 'incident']);
    expect(await page.locator('#inbox-count').textContent()).toBe('4 demandes en attente');

    const incident = page.locator('[data-approval-id="inc_lina"]');
    expect(await incident.getByRole('heading').textContent()).toBe('Lina Haddad');
    const text = (await incident.textContent()) ?? '';
    for (const expected of [
      'À traiter',
      'il y a 2 jours',
      'En échec depuis le 10 mars 2025 à 08:30',
      'Accuser réception',
      "L'étape « Accuser réception » n'a pas pu aboutir malgré plusieurs tentatives : une donnée a été refusée par un service.",
      'Coopérative Jeunesse de Services (16-18 ans, été)',
      'ORI-1A2B3C4D',
    ]) {
      expect(text).toContain(expected);
    }
    expect(await incident.getByRole('link', { name: 'Relancer ou clôturer : Lina Haddad' }).getAttribute('href')).toBe('/equipe/decisions/inc_lina');
    expect(await incident.getByRole('link', { name: 'Historique de Lina Haddad' }).getAttribute('href')).toBe('/equipe/personnes/per_01');
    // A referral decision shows its kind next to its phase.
    expect(await page.locator('[data-approval-id="apv_01JQ8ZT3"] .meta .badge').allTextContents()).toEqual(['Décision sur une orientation', 'Escaladée']);

    // Without its referral (not found), the incident still says what failed and how to act.
    const orphan = page.locator('[data-approval-id="inc_orphan"]');
    expect(await orphan.getByRole('heading').textContent()).toBe("Parcours à l'arrêt");
    expect(await orphan.textContent()).toContain("l'étape n'a pas répondu à temps");
    expect(await orphan.getByRole('link', { name: /^Relancer ou clôturer/ }).getAttribute('href')).toBe('/equipe/decisions/inc_orphan');

    await page.setViewportSize({ width: 375, height: 740 });
    expect(await hasHorizontalScroll(page)).toBe(false);
    mkdirSync('.local/screenshots', { recursive: true });
    await page.screenshot({ path: '.local/screenshots/inbox-mixed-phone.png', fullPage: true });
  });

  it('filters by kind and programme through the URL, so a link keeps the filter, and reads past pages the filter emptied', async () => {
    const page = await openAsStaff();
    // Two items a page: the first page holds no incident once filtered, the API answers it empty with a cursor.
    const received = await serveInbox(page, [linaItem, thomasItem, linaIncident, orphanIncident], 2);
    await page.goto(`${server.url}/equipe`);
    await inboxCards(page).first().waitFor();
    await page.getByLabel('Type de demande').selectOption({ label: 'À traiter' });
    await page.getByRole('button', { name: 'Filtrer' }).click();
    await page.waitForURL(`${server.url}/equipe?kind=incident`);
    await page.locator('[data-approval-id="inc_lina"]').waitFor();
    expect(await inboxCards(page).evaluateAll((cards) => cards.map((c) => (c as HTMLElement).dataset.approvalId))).toEqual(['inc_lina', 'inc_orphan']);
    expect(await page.getByLabel('Type de demande').inputValue()).toBe('incident');
    expect(received.slice(-2).map((q) => q.get('kind'))).toEqual(['incident', 'incident']);
    expect(received.at(-1)!.get('cursor')).toBeTruthy();

    // A link with both filters, one of them unknown: the unknown one is dropped, never sent.
    received.length = 0;
    await page.goto(`${server.url}/equipe?programme=cjs&kind=inconnu`);
    await page.locator('[data-approval-id="apv_01JQ8ZT3"]').waitFor();
    expect(await page.getByLabel('Programme').inputValue()).toBe('cjs');
    expect(await page.getByLabel('Type de demande').inputValue()).toBe('');
    expect(received.map((q) => q.get('programme'))).toEqual(['cjs']);
    expect(received.every((q) => !q.has('kind'))).toBe(true);
    expect(await inboxCards(page).evaluateAll((cards) => cards.map((c) => (c as HTMLElement).dataset.approvalId))).toEqual(['apv_01JQ8ZT3']);
    expect(await page.getByRole('button', { name: 'Afficher plus' }).count()).toBe(1);

    await page.goto(`${server.url}/equipe?kind=incident&programme=accompagnement`);
    await page.getByText('Aucune demande en attente ne correspond à ces filtres.').waitFor();
    expect(await page.getByRole('link', { name: 'Voir toutes les demandes' }).getAttribute('href')).toBe('/equipe');
  });

  it('"Afficher plus" loads the next page with the cursor, appends it, moves the focus to it, and goes with the last page', async () => {
    const page = await openAsStaff();
    const items = Array.from({ length: 5 }, (_, i) => {
      const referral = referralRecord({ referralId: `REF-${i}`, personId: `per_${i}`, youngPerson: { ...lina.youngPerson, firstName: `Jeune${i}` } });
      return inboxItem(approvalRecord(referral, { approvalId: `apv_${i}` }), referral, now);
    });
    // The second call fails once: the button says so and stays for another try.
    const received = await serveInbox(page, items, 2, (call) => call === 2);
    await page.goto(`${server.url}/equipe`);
    await inboxCards(page).first().waitFor();
    expect(await inboxCards(page).count()).toBe(2);
    expect(await page.locator('#inbox-count').textContent()).toBe("2 demandes affichées, d'autres suivent");
    const more = page.getByRole('button', { name: 'Afficher plus' });

    await more.click();
    await page.getByText('Service momentanément indisponible.').waitFor();
    expect(await inboxCards(page).count()).toBe(2);
    await more.click();
    await expect.poll(() => inboxCards(page).count()).toBe(4);
    expect(await focusedId(page)).toBe('item-apv_2');
    expect(await page.getByText('Service momentanément indisponible.').isHidden()).toBe(true);

    await more.click();
    await expect.poll(() => inboxCards(page).count()).toBe(5);
    expect(await focusedId(page)).toBe('item-apv_4');
    expect(await more.count()).toBe(0);
    expect(await page.locator('#inbox-count').textContent()).toBe('5 demandes en attente');
    expect(received.map((q) => q.get('cursor'))).toEqual([null, 'Mg', 'Mg', 'NA']);
    expect(await inboxCards(page).evaluateAll((cards) => cards.map((c) => (c as HTMLElement).dataset.approvalId))).toEqual(['apv_0', 'apv_1', 'apv_2', 'apv_3', 'apv_4']);
  });
});

describe('a path that cannot go on waits "à traiter"', () => {
  const incidentApproval = (overrides: Partial<ApprovalRecord> = {}) =>
    approvalAnswer(incidentRecord(lina, 'Accuser réception', 'ValidationException', { approvalId: 'inc_lina', ...overrides }), lina);

  it('shows the error in French and relaunches the step with a comment; a second action gets the 409 message', async () => {
    const page = await openAsStaff();
    const posts: unknown[] = [];
    await answerJson(page, '**/api/approvals/inc_lina', incidentApproval());
    await page.route('**/api/approvals/inc_lina/decision', (route) => {
      posts.push(route.request().postDataJSON());
      return posts.length === 1
        ? route.fulfill({ contentType: 'application/json', body: JSON.stringify(decisionAnswerOf(incidentRecord(lina, 'Accuser réception', 'ValidationException', { approvalId: 'inc_lina' }), 'retry')) })
        : route.fulfill({ status: 409, contentType: 'application/json', body: JSON.stringify({ message: "Cette demande a déjà été décidée le 12 mars 2025 à 11:00 par Claire Dubois (Relancer l'étape). Aucune nouvelle décision n'a été enregistrée." }) });
    });

    await page.goto(`${server.url}/equipe/decisions/inc_lina`);
    await page.locator('#decision-form').waitFor();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe("Parcours à l'arrêt : étape à traiter");
    expect(await page.title()).toBe("Parcours à l'arrêt : étape à traiter - CoopConnexion Parcours");
    const details = (await page.locator('#incident-details').textContent()) ?? '';
    expect(details).toContain('Étape « Accuser réception »');
    expect(details).toContain("n'a pas pu aboutir malgré plusieurs tentatives : une donnée a été refusée par un service.");
    expect(await page.locator('#approval-details').textContent()).toContain('Lina Haddad');
    // Only the incident's two actions: no referral outcome.
    expect(await page.getByRole('radio').count()).toBe(0);
    expect(await page.locator('#decision-form').getByRole('button').allTextContents()).toEqual(["Relancer l'étape", 'Clôturer le parcours']);
    expect(posts).toHaveLength(0);

    await page.getByLabel(/^Commentaire/).fill('Numéro corrigé avec le prescripteur.');
    await page.getByRole('button', { name: "Relancer l'étape" }).click();
    await page.getByRole('region', { name: 'Décision enregistrée' }).waitFor();
    expect(await focusedId(page)).toBe('decision-confirmation');
    expect(await page.locator('#decision-confirmation-status').textContent()).toBe("L'étape « Accuser réception » est relancée : le parcours reprend à cette étape.");
    expect(await page.locator('#decision-confirmation-timeline').getAttribute('href')).toBe('/equipe/personnes/per_01');
    expect(posts).toEqual([{ outcome: 'retry', comment: 'Numéro corrigé avec le prescripteur.' }]);

    await page.reload();
    await page.locator('#decision-form').waitFor();
    await page.getByRole('button', { name: 'Clôturer le parcours' }).click();
    const conflict = page.locator('#decision-conflict');
    await conflict.waitFor();
    expect(await conflict.textContent()).toContain('Cette demande a déjà été décidée le 12 mars 2025 à 11:00 par Claire Dubois');
    expect(await focusedId(page)).toBe('decision-conflict');
    expect(posts[1]).toEqual({ outcome: 'close' });
  });

  it('closes the path, and shows an incident already handled without its actions', async () => {
    const page = await openAsStaff();
    await answerJson(page, '**/api/approvals/inc_lina', incidentApproval());
    const posts: unknown[] = [];
    await page.route('**/api/approvals/inc_lina/decision', (route) => {
      posts.push(route.request().postDataJSON());
      return route.fulfill({ contentType: 'application/json', body: JSON.stringify({ approvalId: 'inc_lina', kind: 'incident', referralId: lina.referralId, outcome: 'close', status: 'close', statusLabel: 'Clôturer le parcours' }) });
    });
    await page.goto(`${server.url}/equipe/decisions/inc_lina`);
    await page.locator('#decision-form').waitFor();
    await page.getByRole('button', { name: 'Clôturer le parcours' }).click();
    await page.getByRole('region', { name: 'Décision enregistrée' }).waitFor();
    expect(await page.locator('#decision-confirmation-status').textContent()).toBe('Le parcours est clôturé : aucune étape automatique ne suivra.');
    expect(await page.locator('#decision-confirmation-note').isHidden()).toBe(true);
    expect(posts).toEqual([{ outcome: 'close' }]);

    await page.unrouteAll({ behavior: 'ignoreErrors' });
    await answerJson(page, '**/api/approvals/inc_done', incidentApproval({ approvalId: 'inc_done', status: 'decided', decidedAt: '2025-03-12T10:00:00Z', decidedBy: { id: 'sub-claire', name: 'Claire Dubois' }, outcome: 'retry' }));
    await page.goto(`${server.url}/equipe/decisions/inc_done`);
    await page.getByText('Cette demande a déjà été traitée le 12 mars 2025 à 11:00 par Claire Dubois').waitFor();
    expect(await page.locator('#incident-details').textContent()).toContain('Accuser réception');
    expect(await page.locator('#decision-form').isHidden()).toBe(true);
  });
});
