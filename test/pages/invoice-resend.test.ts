import { describe, expect, it } from 'vitest';
import { pagesInBrowser } from '../support/browser.js';
import { fakeIdToken, hasHorizontalScroll, resetSession } from '../support/pages.js';
import { activityWithParts, contactIssue, customerOwner, messagesItems, outboxMessage, referralRecord } from '../support/view-fixtures.js';
import { invoiceDetail, invoiceListItem, runView } from '../../shared/invoicing/staff-views.js';
import type { InvoicingRunStatus } from '../../shared/domain/invoicing/run.js';
import { customerView, monthDeclarationsView } from '../../shared/invoicing-views.js';
import type { OutboxMessage } from '../../shared/data/outbox.js';
import type { InvoiceRecord } from '../../shared/domain/invoicing/records.js';
import { contactIssueId } from '../../shared/notifications/contacts.js';

/*
 * "Renvoyer la facture" in a real browser, fed the answers the API's own views make (invoiceDetail): an invoice whose
 * e-mail bounced shows how its last e-mail went; while the customer's e-mail is the one that bounced, the page leads to
 * the customer's form; once corrected, one click sends it to the new address (one Idempotency-Key for the invoice
 * shown, the address the page showed in the body) and the history says so. "Messages et contacts" leads a customer's
 * contact to fix to the invoice.
 */

const ui = pagesInBrowser();

const json = (body: unknown, status = 200) => ({ status, contentType: 'application/json', body: JSON.stringify(body) });

const found = activityWithParts({ referral: referralRecord(), activity: { name: 'Jardinage Léa Haddad', tradeName: 'Les Jardins de Léa' } });
const OLD = 'compta@boulangerie-martn.example';
const NEW = 'compta@boulangerie-martin.example';
const bounced = { at: '2025-03-01T06:01:30Z', event: 'undelivered' as const, detail: OLD };
const lines: InvoiceRecord['lines'] = [
  { declarationId: 'd-1', serviceDate: '2025-02-10', description: 'Taille de haies', quantityHundredths: 1_100, unit: 'heure', unitPriceCents: 2_50, vatRateBps: null, netCents: 27_50 },
  { declarationId: 'd-1', serviceDate: '2025-02-10', description: 'Désherbage', quantityHundredths: 6_000, unit: 'm2', unitPriceCents: 29, vatRateBps: null, netCents: 17_40 },
];
const owner = customerOwner({ activity: found.activity, customer: { email: OLD }, invoice: { lines, history: [{ at: '2025-03-01T06:00:00Z', event: 'issued', detail: '2025-000042' }, { at: '2025-03-01T06:01:00Z', event: 'sent' }, bounced] } });
const invoice: InvoiceRecord = owner.invoice;
const invoiceMail: OutboxMessage = outboxMessage({
  notificationId: `invoice-issued#${invoice.invoiceId}#customer#email`,
  cause: `invoice-issued#${invoice.invoiceId}`,
  kind: 'invoice-issued',
  role: 'customer',
  to: OLD,
  status: 'bounced',
  statusReason: 'Permanent/General',
  statusAt: '2025-03-01T06:01:30Z',
  sentAt: '2025-03-01T06:01:00Z',
  createdAt: '2025-03-01T06:00:30Z',
});
const detailWith = (customerEmail: string, record: InvoiceRecord = invoice, mails: OutboxMessage[] = [invoiceMail]) => invoiceDetail(record, [], '2025-03-12', { mails, customerEmail });

async function openInvoice(answer: unknown): Promise<void> {
  await resetSession(ui.page, ui.server.url, fakeIdToken({ name: 'Claire Dubois', groups: ['staff'] }));
  await ui.page.unrouteAll();
  await ui.page.route((url) => url.pathname === `/api/staff/invoices/${invoice.invoiceId}`, (route) => route.fulfill(json(answer)));
  await ui.page.goto(`${ui.server.url}/equipe/factures/${encodeURIComponent(invoice.invoiceId)}`);
  await ui.page.locator('#invoice-history li').first().waitFor();
}

describe('"Renvoyer la facture" on the invoice\'s page', () => {
  it('leads to the customer\'s form while their e-mail is the one that bounced', async () => {
    await ui.page.setViewportSize({ width: 1280, height: 900 });
    await openInvoice(detailWith(OLD));
    const section = ui.page.locator('#mail-section');
    expect(await section.getByRole('heading').textContent()).toBe('E-mail au client');
    expect(await ui.page.locator('#mail-last').textContent()).toContain(`rejeté (adresse invalide), à ${OLD} (Adresse rejetée définitivement)`);
    expect(await ui.page.locator('#mail-refusal').textContent()).toContain("corrigez-la d'abord sur la fiche du client");
    const fix = section.getByRole('link', { name: "Corriger l'e-mail du client" });
    expect(await fix.getAttribute('href')).toBe(`/equipe/activites/${found.activity.activityId}/facturation?client=c-boulangerie&facture=${encodeURIComponent(invoice.invoiceId)}`);
    expect(await ui.page.locator('#resend').count()).toBe(0);
    expect(await ui.page.locator('#invoice-history').textContent()).toContain(`E-mail au client non remis à ${OLD} : adresse à corriger`);
    // Its month in words, as its dates; its quantities with their units as French counts them.
    expect(await ui.page.locator('table.invoice-lines tbody td[data-label="Quantité"]').allTextContents()).toEqual(['11 heures', '60 m²']);
    // Under the VAT franchise: no HT, TVA nor TTC.
    const facts = await ui.page.locator('#invoice dl.facts').evaluate((dl) => Object.fromEntries([...dl.querySelectorAll('dt')].map((dt) => [dt.textContent, dt.nextElementSibling?.textContent])));
    expect(facts).toMatchObject({ Client: 'Boulangerie Martin (SIREN 732 829 320)', Total: '45,00\u00a0€', TVA: 'TVA non applicable, article 293 B du CGI' });
    expect(Object.keys(facts)).not.toContain('Total TTC');
    expect(await ui.page.evaluate(() => [...document.querySelectorAll('dt')].find((dt) => dt.textContent === 'Mois des prestations')?.nextElementSibling?.textContent)).toBe('février 2025');

    // The customer's form, the e-mail corrected and saved: the page leads back to the invoice to send it again.
    const base = `/api/staff/activities/${found.activity.activityId}`;
    const saved: unknown[] = [];
    await ui.page.route((url) => url.pathname === `${base}/customers`, (route) => route.fulfill(json({ activityId: found.activity.activityId, customers: [customerView(owner.customer!)] })));
    await ui.page.route((url) => url.pathname === `${base}/customers/c-boulangerie`, (route) => {
      saved.push(route.request().postDataJSON());
      return route.fulfill(json(customerView({ ...owner.customer!, email: NEW, version: 2 })));
    });
    await ui.page.route((url) => url.pathname.startsWith(`${base}/months/`), (route) => {
      const month = new URL(route.request().url()).pathname.split('/')[6]!;
      const view = monthDeclarationsView({ activity: found.activity, month, lock: undefined, declarations: [], customers: [owner.customer!], prices: found.prices, vatMode: 'franchise', today: `${month}-12` });
      return route.fulfill(json({ ...view, shape: 'personal', members: [{ referralId: found.members[0]!.referralId, name: found.members[0]!.name }] }));
    });
    await fix.click();
    const email = ui.page.locator('#client-form').getByLabel(/^E-mail/);
    await expect.poll(() => email.evaluate((input) => input === document.activeElement)).toBe(true);
    await email.fill(NEW);
    await ui.page.locator('#enregistrer-client').click();
    const back = ui.page.getByRole('link', { name: 'Renvoyer la facture à la nouvelle adresse' });
    await back.waitFor();
    expect(saved).toEqual([expect.objectContaining({ email: NEW, version: 1 })]);
    expect(await ui.page.locator('#client-statut').textContent()).toContain('Client enregistré : Boulangerie Martin.');
    expect(await back.getAttribute('href')).toBe(`/equipe/factures/${encodeURIComponent(invoice.invoiceId)}`);
  });

  it('sends it to the corrected e-mail in one click, once, and says so', async () => {
    await openInvoice(detailWith(NEW));
    const requests: Array<{ body: unknown; key: string | undefined }> = [];
    const resentRecord: InvoiceRecord = { ...invoice, history: [...invoice.history, { at: '2025-03-12T10:00:00Z', event: 'resent', by: { id: 'sub-claire', name: 'Claire Dubois' }, detail: NEW }] };
    const resentMail = outboxMessage({ notificationId: 'resend#invoice#r1#customer#email', cause: 'resend#invoice#r1', kind: 'invoice-issued', role: 'customer', to: NEW, status: 'sent', sentAt: '2025-03-12T10:00:01Z', createdAt: '2025-03-12T10:00:00Z' });
    await ui.page.route(
      (url) => url.pathname === `/api/staff/invoices/${invoice.invoiceId}/resend`,
      async (route) => {
        requests.push({ body: route.request().postDataJSON(), key: route.request().headers()['idempotency-key'] });
        // The first answer is lost on the way (a network failure): the click again must carry the same key.
        if (requests.length === 1) return route.abort('connectionreset');
        return route.fulfill(json({ resentTo: NEW, notificationId: resentMail.notificationId, invoice: detailWith(NEW, resentRecord, [{ ...invoiceMail, resentAt: '2025-03-12T10:00:00Z', resentTo: NEW }, resentMail]) }, 201));
      },
    );
    const button = ui.page.getByRole('button', { name: `Renvoyer la facture à ${NEW}` });
    expect(await ui.page.locator('#mail-section').textContent()).toContain("Le PDF envoyé est celui de la facture émise : il n'est pas modifié.");
    await button.click();
    await expect.poll(() => ui.page.locator('#invoice-status').textContent()).not.toBe('');
    await button.click();
    await expect.poll(() => ui.page.locator('#invoice-status').textContent()).toBe(`Facture renvoyée à ${NEW}.`);

    expect(requests).toHaveLength(2);
    expect(requests.map((r) => r.body)).toEqual([{ email: NEW }, { email: NEW }]);
    expect(requests[0]!.key).toMatch(/^[0-9a-f-]{36}$/);
    expect(requests[1]!.key).toBe(requests[0]!.key);
    // The page now shows the e-mail that went, the history's line, and no button to send it once more.
    expect(await ui.page.locator('#mail-last').textContent()).toContain(`envoyé, à ${NEW}`);
    expect(await ui.page.locator('#invoice-history').textContent()).toContain(`Facture renvoyée à ${NEW}`);
    expect(await ui.page.locator('#resend').count()).toBe(0);
  });

  it('offers a credit note whose e-mail bounced in its own words: "Renvoyer l\'avoir"', async () => {
    const creditNote: InvoiceRecord = { ...invoice, invoiceId: `cn-${invoice.invoiceId}`, kind: 'credit-note', number: '2025-000043', cancels: { invoiceId: invoice.invoiceId, number: '2025-000042', issueDate: '2025-03-01' } };
    const creditMail = { ...invoiceMail, notificationId: `invoice-issued#${creditNote.invoiceId}#customer#email`, kind: 'credit-note-issued' };
    await resetSession(ui.page, ui.server.url, fakeIdToken({ name: 'Claire Dubois', groups: ['staff'] }));
    await ui.page.unrouteAll();
    await ui.page.route((url) => url.pathname === `/api/staff/invoices/${creditNote.invoiceId}`, (route) => route.fulfill(json(detailWith(NEW, creditNote, [creditMail]))));
    await ui.page.goto(`${ui.server.url}/equipe/factures/${encodeURIComponent(creditNote.invoiceId)}`);
    await ui.page.locator('#invoice-history li').first().waitFor();
    expect(await ui.page.getByRole('button', { name: `Renvoyer l'avoir à ${NEW}` }).count()).toBe(1);
    expect(await ui.page.locator('#mail-section').textContent()).toContain("Le PDF envoyé est celui de l'avoir émis : il n'est pas modifié.");
  });

  it('tells what a cancelled invoice\'s customer had paid is to be refunded', async () => {
    await ui.page.setViewportSize({ width: 1280, height: 900 });
    const cancelled: InvoiceRecord = { ...invoice, status: 'cancelled', paidCents: 100_50, cancelledBy: `cn-${invoice.invoiceId}` };
    await openInvoice(detailWith(NEW, cancelled));
    expect(await ui.page.locator('#left-to-pay').textContent()).toBe('0,00\u00a0€');
    expect(await ui.page.locator('#to-refund').textContent()).toBe("100,50\u00a0€ à rendre au client, sur 100,50\u00a0€ reçus avant l'annulation");
    await openInvoice(detailWith(NEW, { ...cancelled, paidCents: 0 }));
    expect(await ui.page.locator('#to-refund').count()).toBe(0);
  });

  it('shows a refusal in French and keeps the page readable on a phone', async () => {
    await ui.page.setViewportSize({ width: 360, height: 740 });
    await openInvoice(detailWith(NEW));
    await ui.page.route((url) => url.pathname === `/api/staff/invoices/${invoice.invoiceId}/resend`, (route) =>
      route.fulfill(json({ message: "L'e-mail du client a changé depuis l'affichage de la page : rechargez-la et vérifiez l'adresse." }, 409)));
    expect(await hasHorizontalScroll(ui.page)).toBe(false);
    await ui.page.getByRole('button', { name: `Renvoyer la facture à ${NEW}` }).click();
    await expect.poll(() => ui.page.locator('#invoice-status').textContent()).toBe("L'e-mail du client a changé depuis l'affichage de la page : rechargez-la et vérifiez l'adresse.");
  });
});

describe('"Messages et contacts" leads a customer\'s contact to fix to the invoice', () => {
  it('offers no form of its own, but the customer\'s form and the invoice to send again; the message shows it went again', async () => {
    await ui.page.setViewportSize({ width: 1280, height: 900 });
    await resetSession(ui.page, ui.server.url, fakeIdToken({ name: 'Claire Dubois', groups: ['staff'] }));
    await ui.page.unrouteAll();
    const issue = messagesItems.toFix(
      contactIssue({ issueId: contactIssueId('customer', 'email', OLD), personId: invoice.invoiceId, role: 'customer', address: OLD, notificationIds: [invoiceMail.notificationId] }),
      owner,
    );
    const young = messagesItems.toFix(contactIssue(), 'Lina Haddad');
    const failed = messagesItems.failed({ ...invoiceMail, resentAt: '2025-03-12T10:00:00Z', resentTo: NEW, personId: invoice.invoiceId }, owner);
    await ui.page.route((url) => url.pathname === '/api/staff/messages', (route) => route.fulfill(json({ since: '2025-02-10T10:00:00Z', toFix: [issue, young], optOuts: [], failed: [failed] })));
    await ui.page.goto(`${ui.server.url}/equipe/messages`);
    await ui.page.locator('#contacts-to-fix tbody tr').first().waitFor();

    const customerRow = ui.page.locator(`#contacts-to-fix tr[data-issue-id="${issue.issueId}"]`);
    expect(await customerRow.locator('form').count()).toBe(0);
    expect(await customerRow.getByRole('link', { name: 'Renvoyer la facture 2025-000042' }).getAttribute('href')).toBe(`/equipe/factures/${encodeURIComponent(invoice.invoiceId)}`);
    expect(await customerRow.getByRole('link', { name: "Corriger l'e-mail du client Boulangerie Martin" }).count()).toBe(1);
    // A young person's row keeps its form.
    expect(await ui.page.locator(`#contacts-to-fix tr[data-issue-id="${young.issueId}"] form`).count()).toBe(1);
    expect(await ui.page.locator(`#failed-messages tr[data-notification-id="${invoiceMail.notificationId}"]`).textContent()).toContain(`facture renvoyée à ${NEW} le`);
  });
});

describe("a month's batch on its page", () => {
  it("validates it with a hold, then follows the run to the numbered invoices instead of still reading \"Lot à valider\"; an October is « d'octobre »", async () => {
    await ui.page.setViewportSize({ width: 1280, height: 800 });
    await resetSession(ui.page, ui.server.url, fakeIdToken({ name: 'Claire Dubois', groups: ['staff'] }));
    await ui.page.unrouteAll();
    const month = '2024-10';
    const counts = { activities: 1, invoices: 2, held: 0, issued: 0, sent: 0, failedActivities: 0, statements: 0 };
    const run = (status: InvoicingRunStatus, more: Partial<typeof counts> = {}) =>
      runView({ month, status, trigger: 'staff', startedAt: '2024-11-02T08:00:00Z', executionName: `invoicing-${month}`, counts: { ...counts, ...more }, approvalId: 'ap-batch', updatedAt: '2024-11-02T08:01:00Z' });
    const draft = (invoiceId: string, name: string): InvoiceRecord => ({ ...invoice, invoiceId, month, status: 'draft', number: undefined, issueDate: undefined, dueDate: undefined, customer: { ...invoice.customer, name } });
    // The first under the VAT franchise (the fixture's), the second with VAT at 20 %.
    const [first, second] = [draft('inv-a', 'Boulangerie Martin'), { ...draft('inv-b', 'Jeanne Lefebvre'), totals: { netCents: 45_00, vatCents: 9_00, grossCents: 54_00, perRate: [{ vatRateBps: 2000, baseCents: 45_00, vatCents: 9_00 }] } }];
    const reason = 'Les heures du 12 sont à vérifier.';
    let decision: unknown;
    await ui.page.route((url) => url.pathname === `/api/staff/invoicing/months/${month}`, (route) =>
      route.fulfill(json(decision
        ? { month, label: 'octobre 2024', run: run('done', { held: 1, issued: 1, sent: 1 }), items: [invoiceListItem({ ...first, status: 'issued', number: '2024-000042', issueDate: '2024-11-02', dueDate: '2024-12-02' }, '2024-11-02'), invoiceListItem({ ...second, status: 'held', holdReason: reason }, '2024-11-02')] }
        : { month, label: 'octobre 2024', run: run('awaiting-validation'), items: [first, second].map((d) => invoiceListItem(d, '2024-11-02')) })));
    await ui.page.route((url) => url.pathname === '/api/approvals/ap-batch/decision', (route) => {
      decision = route.request().postDataJSON();
      return route.fulfill(json({ outcome: 'approve' }));
    });
    await ui.page.goto(`${ui.server.url}/equipe/facturation/${month}`);
    await ui.page.locator('#batch-list > li').nth(1).waitFor();
    expect(await ui.page.locator('h1').textContent()).toBe("Facturation d'octobre 2024");
    expect(await ui.page.title()).toBe("Facturation d'octobre 2024 - CoopConnexion Parcours");
    expect(await ui.page.locator('#export-download').textContent()).toBe("Télécharger le journal comptable d'octobre 2024 (CSV)");
    // A draft under the franchise has no HT nor TTC.
    expect(await ui.page.locator('#batch-list > li > p:first-child').allTextContents()).toEqual(['Boulangerie Martin · 45,00\u00a0€ (TVA non applicable)', 'Jeanne Lefebvre · 54,00\u00a0€ TTC (45,00\u00a0€ HT)']);
    expect(await ui.page.locator('#batch-total').textContent()).toBe('2 brouillon(s), 99,00\u00a0€ TTC en tout.');

    const held = ui.page.locator('#batch-list > li').nth(1);
    await held.getByLabel('Mettre en attente').check();
    await held.getByLabel('Raison, pour les membres').fill(reason);
    await ui.page.getByRole('button', { name: 'Valider le lot' }).click();
    await expect.poll(() => ui.page.locator('#month-status').textContent()).toMatch(/^Lot validé : 1 facture\(s\) vont être numérotées et envoyées, 1 mise\(s\) en attente\./);
    expect(decision).toEqual({ outcome: 'approve', held: [{ invoiceId: 'inv-b', reason }] });
    expect(await ui.page.locator('#run-summary').textContent()).not.toMatch(/Lot à valider/);
    // The run went on: the month read again shows where it ended and the invoices as they are now.
    await expect.poll(() => ui.page.locator('#run-summary').textContent(), { timeout: 10_000 }).toMatch(/^Terminée · 1 activité\(s\), 2 facture\(s\), 1 en attente, 1 émise\(s\)/);
    const rows = await ui.page.locator('#invoices tbody tr').allTextContents();
    expect(rows).toEqual([expect.stringContaining('2024-000042'), expect.stringContaining(`En attente`)]);
    expect(await ui.page.locator('#batch-section').isHidden()).toBe(true);
  });
});
