import { describe, expect, it } from 'vitest';
import { pagesInBrowser } from '../support/browser.js';
import { fakeIdToken, hasHorizontalScroll, resetSession } from '../support/pages.js';
import { activityWithParts, customerOwner, messagesItems, outboxMessage, referralRecord } from '../support/view-fixtures.js';
import { customerView, monthDeclarationsView } from '../../shared/invoicing-views.js';

/*
 * "Messages et contacts" in a real browser, fed the answers the API's own views make: a bounced invoice e-mail is
 * listed with the customer's name and the activity's trade name, and leads staff to that customer's form, e-mail
 * field focused, on the activity's customers page; a young person's row links to their timeline as before; only an
 * owner no record holds says "Personne inconnue".
 */

const ui = pagesInBrowser();

const json = (body: unknown) => ({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });

// The activity of the customer, under its trade name ("Les Jardins de Léa"), and the customer as the data layer reads them.
const found = activityWithParts({ referral: referralRecord(), activity: { name: 'Jardinage Léa Haddad', tradeName: 'Les Jardins de Léa' } });
const boulangerie = customerOwner({ activity: found.activity, customer: { name: 'Boulangerie Martin', email: 'compta@boulangerie-martin.example' } });
const bounced = { status: 'bounced' as const, statusReason: 'Permanent/General', statusAt: '2025-03-12T09:00:00Z', sentAt: '2025-03-12T08:59:00Z', attempts: 1 };
const invoiceMail = messagesItems.failed(
  { ...outboxMessage({ notificationId: 'invoice-issued#inv#customer#email', kind: 'invoice-issued', role: 'customer', to: 'compta@boulangerie-martin.example', ...bounced }), personId: boulangerie.invoice.invoiceId },
  boulangerie,
);
const youngMail = messagesItems.failed({ ...outboxMessage({ notificationId: 'n-young', ...bounced, statusAt: '2025-03-12T08:00:00Z' }), personId: 'per_01' }, 'Lina Haddad');
const nobodysMail = messagesItems.failed({ ...outboxMessage({ notificationId: 'n-nobody', ...bounced, statusAt: '2025-03-12T07:00:00Z' }), personId: 'per_gone' }, undefined);
const complaint = messagesItems.optOut({ channel: 'email', address: 'compta@boulangerie-martin.example', reason: 'complaint', at: '2025-03-12T10:00:00Z', personId: boulangerie.invoice.invoiceId, role: 'customer' }, boulangerie);

describe('"Messages et contacts" names whom each message was for', () => {
  it('lists a bounced invoice e-mail with the customer and the activity, and leads to the customer\'s e-mail to correct', async () => {
    await ui.page.setViewportSize({ width: 1280, height: 900 });
    await resetSession(ui.page, ui.server.url, fakeIdToken({ name: 'Claire Dubois', groups: ['staff'] }));
    await ui.page.route((url) => url.pathname === '/api/staff/messages', (route) => route.fulfill(json({ since: '2025-02-10T10:00:00Z', toFix: [], optOuts: [complaint], failed: [invoiceMail, youngMail, nobodysMail] })));
    await ui.page.goto(`${ui.server.url}/equipe/messages`);
    const rows = ui.page.locator('#failed-messages tbody tr');
    await rows.first().waitFor();

    const customerRow = ui.page.locator('#failed-messages tr[data-notification-id="invoice-issued#inv#customer#email"]');
    const customerCell = customerRow.locator('td').nth(1);
    expect(await customerCell.textContent()).toContain('Client : Boulangerie Martin — activité « Les Jardins de Léa »');
    const fix = customerCell.getByRole('link', { name: "Corriger l'e-mail du client Boulangerie Martin" });
    expect(await fix.count()).toBe(1);
    expect(await customerCell.locator('p').first().textContent()).toBe('Client : Boulangerie Martin — activité « Les Jardins de Léa »');
    expect(await customerRow.textContent()).toContain('Envoi de la facture');
    expect(await customerRow.textContent()).not.toContain('Personne inconnue');
    expect(await ui.page.locator('#failed-messages th').allTextContents()).toEqual(['Date', 'Personne ou client', 'Message', 'Destinataire', 'Canal', 'Adresse ou numéro', 'Statut', 'Motif']);
    expect(await fix.getAttribute('href')).toBe(`/equipe/activites/${found.activity.activityId}/facturation?client=c-boulangerie&facture=${encodeURIComponent(boulangerie.invoice.invoiceId)}`);
    expect(await customerCell.getByRole('link', { name: 'Facture 2025-000042' }).getAttribute('href')).toBe(`/equipe/factures/${encodeURIComponent(boulangerie.invoice.invoiceId)}`);

    // The customer's complaint names them too; a young person links to their timeline; only the owner nobody holds is unknown.
    expect(await ui.page.locator('#opt-outs tbody tr').first().textContent()).toContain('Client : Boulangerie Martin — activité « Les Jardins de Léa »');
    const youngCell = ui.page.locator('#failed-messages tr[data-notification-id="n-young"] td').nth(1);
    expect(await youngCell.getByRole('link', { name: 'Lina Haddad' }).getAttribute('href')).toBe('/equipe/personnes/per_01');
    const nobodyCell = ui.page.locator('#failed-messages tr[data-notification-id="n-nobody"] td').nth(1);
    expect(await nobodyCell.textContent()).toBe('Personne inconnue');
    expect(await nobodyCell.locator('a').count()).toBe(0);
    expect(await ui.page.getByText('Personne inconnue').count()).toBe(1);

    // The link opens the activity's customers page on that customer's form, the e-mail ready to correct.
    const customers = { activityId: found.activity.activityId, customers: [customerView(boulangerie.customer!)] };
    await ui.page.route((url) => url.pathname === `/api/staff/activities/${found.activity.activityId}/customers`, (route) => route.fulfill(json(customers)));
    await ui.page.route(
      (url) => url.pathname.startsWith(`/api/staff/activities/${found.activity.activityId}/months/`),
      (route) => {
        const month = new URL(route.request().url()).pathname.split('/')[6]!;
        const view = monthDeclarationsView({ activity: found.activity, month, lock: undefined, declarations: [], customers: [boulangerie.customer!], prices: found.prices, vatMode: 'franchise', today: `${month}-12` });
        return route.fulfill(json({ ...view, shape: 'personal', members: [{ referralId: found.members[0]!.referralId, name: found.members[0]!.name }] }));
      },
    );
    await fix.click();
    await ui.page.waitForURL(`**/equipe/activites/${found.activity.activityId}/facturation?client=c-boulangerie&facture=*`);
    await expect.poll(() => ui.page.locator('#client-form-titre').textContent()).toBe('Modifier le client Boulangerie Martin');
    const email = ui.page.locator('#client-form').getByLabel(/^E-mail/);
    await expect.poll(() => email.evaluate((input) => input === document.activeElement)).toBe(true);
    expect(await email.inputValue()).toBe('compta@boulangerie-martin.example');
  });

  it('keeps the customer\'s row readable on a phone', async () => {
    await ui.page.setViewportSize({ width: 360, height: 740 });
    await resetSession(ui.page, ui.server.url, fakeIdToken({ name: 'Claire Dubois', groups: ['staff'] }));
    await ui.page.route((url) => url.pathname === '/api/staff/messages', (route) => route.fulfill(json({ since: '2025-02-10T10:00:00Z', toFix: [], optOuts: [complaint], failed: [invoiceMail] })));
    await ui.page.goto(`${ui.server.url}/equipe/messages`);
    await ui.page.locator('#failed-messages tbody tr').first().waitFor();
    expect(await ui.page.locator('#failed-messages').getByRole('link', { name: "Corriger l'e-mail du client Boulangerie Martin" }).isVisible()).toBe(true);
    expect(await hasHorizontalScroll(ui.page)).toBe(false);
  });
});
