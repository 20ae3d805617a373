import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { apiClient, startTestCloud, useCloudTable } from '../support/cloud.js';
import { launchBrowser } from '../support/browser.js';
import { activeActivityWithMembers, monthStart } from '../support/activities.js';
import { hasHorizontalScroll } from '../support/pages.js';
import { recordPersonalValues } from '../support/personal-data.js';
import { parisDate } from '../../shared/domain/time.js';
import { statementPage, type StatementRecord } from '../../shared/domain/invoicing/statement.js';
import { statementCause } from '../../shared/data/invoicing/statements.js';
import { outboxPuts, type OutboxMessage } from '../../shared/data/outbox.js';
import { issueMessageLink } from '../../shared/data/personal-links.js';
import { MESSAGE_LINK_TOKEN_PATTERN } from '../../shared/domain/personal-links.js';
import { keys } from '../../shared/keys.js';
import { pdfText } from '../support/pdf-text.js';
import { getActivity } from '../../shared/data/activities.js';
import { getDeclaration } from '../../shared/data/invoicing/declarations.js';
import type { ParcoursLocalCloud as LocalCloud } from '../../infra/local-app/profile.js';

/*
 * "Ma facturation" on a 360-px phone, through the local cloud's API (one cloud for the file): a member of an active
 * activity adds a customer (a SIREN whose key fails is refused by its field first), declares a service from the price
 * list in force with a free-price line, sees the totals the server then stores, and corrects it. Then staff, signed
 * in on a phone, record a customer and a declaration on a collective activity's member's behalf with the same forms.
 */

let cloud: LocalCloud;
let browser: Browser;
let phone: BrowserContext;

beforeAll(async () => {
  [cloud, browser] = await Promise.all([startTestCloud({ inMemory: true }), launchBrowser()]);
  useCloudTable(cloud);
  phone = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, locale: 'fr-FR', timezoneId: 'Europe/Paris' });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await cloud?.stop();
});

describe('Ma facturation on a phone', () => {
  let page: Page;
  let token: string;
  let activityId: string;

  beforeAll(async () => {
    const seeded = await activeActivityWithMembers(cloud.documentClient, cloud.tableName);
    ({ activityId } = seeded);
    token = seeded.members[0]!.token;
    const { youngPerson } = seeded.members[0]!.referral;
    recordPersonalValues([['link token', token], ['name', youngPerson.lastName], ['e-mail', youngPerson.email], ['name', 'Boulangerie Dupont'], ['e-mail', 'compta@boulangerie-dupont.example']]);
    page = await phone.newPage();
  });

  it('adds a business customer, refusing a SIREN whose key fails beside its field', async () => {
    await page.goto(`${cloud.urls.app}mon-activite#${token}`);
    await page.getByRole('link', { name: 'Mes clients, mes prestations et mes factures' }).click();
    await expect.poll(() => page.locator('#facturation-contenu').isVisible(), { timeout: 15_000 }).toBe(true);
    const form = page.locator('#client-form');
    await form.getByLabel('Entreprise').check();
    await form.getByLabel(/^Nom/).fill('Boulangerie Dupont');
    await form.getByLabel(/^Adresse/).fill('12 place de la République');
    await form.getByLabel(/^Code postal/).fill('62300');
    await form.getByLabel(/^Ville/).fill('Lens');
    await form.getByLabel(/^E-mail/).fill('compta@boulangerie-dupont.example');
    await form.getByLabel(/^SIREN/).fill('732 829 321');
    await form.getByRole('button', { name: 'Enregistrer le client' }).click();
    await expect.poll(() => page.locator('#f-siren-error').textContent(), { timeout: 10_000 }).toMatch(/clé de contrôle/);
    await form.getByLabel(/^SIREN/).fill('732 829 320');
    await form.getByRole('button', { name: 'Enregistrer le client' }).click();
    await expect.poll(() => page.locator('#client-statut').textContent(), { timeout: 10_000 }).toMatch(/Client enregistré : Boulangerie Dupont/);
    expect(await page.locator('#clients .customer').count()).toBe(1);
    expect(await hasHorizontalScroll(page)).toBe(false);
  }, 60_000);

  it('declares a service from the price list and a free price, with the totals the server stores, then corrects it', async () => {
    const form = page.locator('#declaration-form');
    await form.getByLabel(/^Client/).selectOption({ label: 'Boulangerie Dupont (entreprise)' });
    await form.getByLabel(/^Date de la prestation/).fill(parisDate());
    const first = page.locator('#lignes > li').nth(0);
    await first.getByLabel('Prestation').selectOption({ label: 'Tonte : 15,00\u00a0€ HT / heure' });
    await first.getByLabel('Quantité').fill('1,5');
    await page.getByRole('button', { name: 'Ajouter une ligne' }).click();
    const second = page.locator('#lignes > li').nth(1);
    await second.getByLabel('Prestation').selectOption({ label: 'Prix libre (hors grille)' });
    await second.getByLabel('Description').fill('Taille de haie');
    await second.getByLabel('Unité').selectOption('forfait');
    await second.getByLabel(/^Prix unitaire/).fill('40');
    // 1,5 x 15,00 + 40,00 = 62,50, under the franchise no VAT.
    await expect.poll(() => page.locator('#totaux').textContent()).toMatch(/Total à payer : 62,50/);
    expect(await page.locator('#totaux').textContent()).toMatch(/TVA non applicable, article 293 B du CGI/);
    // Each line spells out its price, which its select cuts short on a phone.
    expect(await first.locator('.line-total').textContent()).toBe('Montant de la ligne : 1,5 heure × 15,00\u00a0€ = 22,50\u00a0€ HT');
    expect(await second.locator('.line-total').textContent()).toBe('Montant de la ligne : 1 forfait × 40,00\u00a0€ = 40,00\u00a0€ HT');
    expect(await hasHorizontalScroll(page)).toBe(false);
    // A line's fields take the form's width, as the customer's choice does: its price-list choice is read, not cut short.
    const formWidth = (await form.getByLabel(/^Client/).boundingBox())!.width;
    for (const line of [first, second]) expect((await line.getByLabel('Prestation').boundingBox())!.width).toBeGreaterThanOrEqual(formWidth - 30);
    await page.getByRole('button', { name: 'Enregistrer la prestation' }).click();
    await expect.poll(() => page.locator('#declaration-statut').textContent(), { timeout: 30_000 }).toMatch(/Prestation enregistrée : 62,50/);

    const month = parisDate().slice(0, 7);
    const stored = (await apiClient(cloud)('GET', `/api/me/activities/${activityId}/months/${month}/declarations`, undefined, { 'x-parcours-link': token })).body;
    expect(stored.declarations).toHaveLength(1);
    expect(stored.declarations[0]).toMatchObject({
      customerName: 'Boulangerie Dupont',
      lines: [
        { description: 'Tonte', priceLineId: 'L1', quantityHundredths: 150, unitPriceCents: 1500, netCents: 2250 },
        { description: 'Taille de haie', unit: 'forfait', quantityHundredths: 100, unitPriceCents: 4000, netCents: 4000 },
      ],
      totals: { grossCents: 6250 },
    });

    // Corrected: one hour of mowing less.
    await page.locator('#declarations .declaration').getByRole('button', { name: 'Corriger' }).click();
    await page.locator('#lignes > li').nth(0).getByLabel('Quantité').fill('0,5');
    await expect.poll(() => page.locator('#totaux').textContent()).toMatch(/Total à payer : 47,50/);
    await page.getByRole('button', { name: 'Enregistrer la correction' }).click();
    await expect.poll(() => page.locator('#declaration-statut').textContent(), { timeout: 10_000 }).toMatch(/Correction enregistrée/);
    expect(await page.locator('#declarations .declaration').textContent()).toMatch(/Total : 47,50/);
  }, 90_000);

  it("opens on a statement's activity and month from its e-mail's link, keeps them in the address, and downloads its PDF made on first demand", async () => {
    const seeded = await activeActivityWithMembers(cloud.documentClient, cloud.tableName);
    const member = seeded.members[0]!;
    const month = monthStart(-1).slice(0, 7);
    // The statement's e-mail as the run's batch writes it: its link kept on the message, the token naming it (decision 42).
    const { personId, referralId } = member.referral;
    const [written] = outboxPuts(cloud.tableName, personId, statementCause(seeded.activityId, month), [{ kind: 'monthly-statement', role: 'young', channel: 'email', to: member.referral.youngPerson.email, subject: 'Votre relevé', body: 'Votre relevé : {{lien-personnel}}', personalLink: 'young-person', linkPage: statementPage(seeded.activityId, month) }], new Date().toISOString(), { referralId });
    const message = written!.Put.Item as OutboxMessage & Record<string, unknown>;
    const issued = issueMessageLink(personId, message, new Date())!;
    await cloud.documentClient.send(new PutCommand({ TableName: cloud.tableName, Item: { ...message, status: 'sent', link: issued.link } }));
    const token = issued.url.split('#')[1]!;
    expect(token).toMatch(MESSAGE_LINK_TOKEN_PATTERN);
    recordPersonalValues([['link token', token], ['name', member.referral.youngPerson.lastName], ['e-mail', member.referral.youngPerson.email]]);
    const record: StatementRecord = {
      activityId: seeded.activityId,
      month,
      statement: {
        month,
        activity: { activityId: seeded.activityId, name: 'Jardins', tradeName: 'Les Mains Vertes', shape: 'personal' },
        documents: [],
        payments: [],
        invoicedNetCents: 0,
        creditedNetCents: 0,
        revenueExclVatCents: 0,
        vatCents: 0,
        paymentsReceivedCents: 12_345,
        // 20 € given back to a customer whose invoice a credit note cancelled (decision 54).
        refunds: [{ creditNoteNumber: '2030-000002', invoiceNumber: '2030-000001', date: `${month}-05`, amountCents: 2_000, meansLabel: 'chèque' }],
        refundedCents: 2_000,
        contribution: { revenueExclVatCents: 0, rateBps: 1000, contributionCents: 0, resultCents: 0 },
        leftCents: 0,
      },
      members: [{ personId: member.referral.personId, referralId: member.referral.referralId, name: 'Membre', leftCents: 0 }],
      issuedAt: new Date().toISOString(),
      cooperativeName: 'CoopConnexion',
    };
    await cloud.documentClient.send(new PutCommand({ TableName: cloud.tableName, Item: { ...keys.statement(seeded.activityId, month), type: 'statement', ...record } }));

    const linked = await phone.newPage();
    const address = `${cloud.urls.app}ma-facturation?activite=${seeded.activityId}&mois=${month}`;
    await linked.goto(`${address}#${token}`);
    await expect.poll(() => linked.locator('#releve .statement').isVisible(), { timeout: 15_000 }).toBe(true);
    // The token left the address; the activity and month stayed.
    expect(linked.url()).toBe(address);
    expect(await linked.locator('#mois').inputValue()).toBe(month);
    expect(await linked.locator('#releve .statement').textContent()).toMatch(/Paiements reçus : 123,45\u00a0€Remboursé à vos clients : 20,00\u00a0€/);
    // Its figures on the first screen of the phone, above the month's forms: no scrolling past them to find it.
    const shown = (await linked.locator('#releve .statement p', { hasText: 'Paiements reçus' }).boundingBox())!;
    expect(shown.y + shown.height).toBeLessThanOrEqual(740);
    expect(await linked.evaluate(() => window.scrollY)).toBe(0);
    const [download] = await Promise.all([linked.waitForEvent('download'), linked.getByRole('button', { name: 'Télécharger mon relevé (PDF)' }).click()]);
    expect(download.suggestedFilename()).toBe(`releve-${month}.pdf`);
    const bytes = await readFile((await download.path())!);
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(await pdfText(bytes)).toContain('123,45');
    expect(await pdfText(bytes)).toMatch(/Remboursés à vos clients ce mois-ci[\s\S]*2030-000002[\s\S]*Encaissé net ce mois-ci/);
    await linked.close();
  }, 90_000);
});

describe("staff record on a member's behalf, on a phone", () => {
  it('adds a customer, asks for the member of a collective activity, then declares for the one chosen', async () => {
    const { activityId, members } = await activeActivityWithMembers(cloud.documentClient, cloud.tableName, 'collective');
    const chosen = (await getActivity(activityId))!.members.find((m) => m.referralId === members[1]!.referral.referralId)!;
    recordPersonalValues([['name', chosen.name], ['name', 'Jeanne Lefebvre'], ['e-mail', 'jeanne.lefebvre@example.org']]);
    const page = await phone.newPage();
    const url = `${cloud.urls.app}equipe/activites/${activityId}/facturation`;
    await page.goto(url);
    await page.getByRole('button', { name: /Camille Martin/ }).click();
    await page.waitForURL((u) => u.href.startsWith(url));
    await expect.poll(() => page.locator('#facturation-contenu').isVisible(), { timeout: 60_000 }).toBe(true);

    const customerForm = page.locator('#client-form');
    await customerForm.getByLabel('Particulier').check();
    await customerForm.getByLabel(/^Nom/).fill('Jeanne Lefebvre');
    await customerForm.getByLabel(/^Adresse/).fill('3 rue des Écoles');
    await customerForm.getByLabel(/^Code postal/).fill('62300');
    await customerForm.getByLabel(/^Ville/).fill('Lens');
    await customerForm.getByLabel(/^E-mail/).fill('jeanne.lefebvre@example.org');
    await customerForm.getByRole('button', { name: 'Enregistrer le client' }).click();
    await expect.poll(() => page.locator('#client-statut').textContent(), { timeout: 30_000 }).toMatch(/Client enregistré : Jeanne Lefebvre/);

    const form = page.locator('#declaration-form');
    await form.getByLabel(/^Client/).selectOption({ label: 'Jeanne Lefebvre (particulier)' });
    await form.getByLabel(/^Date de la prestation/).fill(parisDate());
    await page.locator('#lignes > li').nth(0).getByLabel('Quantité').fill('2');
    // A collective activity's declaration names its member: asked beside the field before anything is sent.
    await page.getByRole('button', { name: 'Enregistrer la prestation' }).click();
    await expect.poll(() => page.locator('#f-memberReferralId-error').textContent()).toMatch(/Choisissez le membre/);
    expect(await page.locator('#f-memberReferralId').getAttribute('aria-invalid')).toBe('true');
    await form.getByLabel(/^Pour le membre/).selectOption({ label: chosen.name });
    await page.getByRole('button', { name: 'Enregistrer la prestation' }).click();
    await expect.poll(() => page.locator('#declaration-statut').textContent(), { timeout: 30_000 }).toMatch(/Prestation enregistrée : 30,00/);
    expect(await page.locator('#declarations .declaration').textContent()).toContain(`Déclarée par Camille Martin (équipe) pour ${chosen.name}`);
    expect(await hasHorizontalScroll(page)).toBe(false);

    const month = parisDate().slice(0, 7);
    const listed = (await apiClient(cloud, 'camille.martin')('GET', `/api/staff/activities/${activityId}/months/${month}/declarations`)).body;
    expect(listed.declarations).toHaveLength(1);
    const stored = await getDeclaration(activityId, month, listed.declarations[0].declarationId);
    expect(stored!.declaredBy).toMatchObject({ name: 'Camille Martin', forMember: { referralId: chosen.referralId, name: chosen.name } });
  }, 240_000);
});
