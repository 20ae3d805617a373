import { describe, expect, it } from 'vitest';
import { pagesInBrowser } from '../support/browser.js';
import { fakeIdToken, resetSession } from '../support/pages.js';
import { activityWithParts, customerOwner, referralRecord } from '../support/view-fixtures.js';
import { invoiceListItem } from '../../shared/invoicing/staff-views.js';
import type { InvoiceRecord } from '../../shared/domain/invoicing/records.js';
import { formatEuros } from '../../shared/domain/money.js';

/*
 * "En retard" (/equipe/facturation/retards) with rows, on a phone: the invoices the daily chase flagged 45 days after
 * their due date, as the API's own view makes them (invoiceListItem), on the day the API answered.
 */

const ui = pagesInBrowser({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });

const TODAY = '2025-06-20';
const found = activityWithParts({ referral: referralRecord(), activity: { name: 'Jardinage Léa Haddad' } });
const base = customerOwner({ activity: found.activity, customer: {} }).invoice;
const late = (invoiceId: string, number: string, name: string, dueDate: string, grossCents: number, paidCents = 0, kind: 'business' | 'individual' = 'business'): InvoiceRecord => ({
  ...base,
  invoiceId,
  number,
  dueDate,
  issueDate: '2025-03-01',
  paidCents,
  customer: { ...base.customer, name, kind },
  totals: { netCents: grossCents, vatCents: 0, grossCents, perRate: [{ vatRateBps: null, baseCents: grossCents, vatCents: 0 }] },
  history: [{ at: '2025-03-01T06:00:00Z', event: 'issued', detail: number }, { at: `${TODAY}T07:00:00Z`, event: 'late' }],
});
const invoices = [
  late('inv-a', '2025-000042', 'Boulangerie Martin', '2025-03-31', 45_00),
  late('inv-b', '2025-000051', "Société coopérative d'intérêt collectif des Jardins partagés du Bassin minier de Lens-Liévin", '2025-04-15', 12_345_67, 2_345_67),
  late('inv-c', '2025-000063', 'Jeanne Lefebvre-Dussart', '2025-05-06', 54_00, 0, 'individual'),
];
const later = late('inv-d', '2025-000070', 'Garage du Centre', '2025-05-05', 120_00);

const page = (items: InvoiceRecord[], cursor?: string) => ({ contentType: 'application/json', body: JSON.stringify({ items: items.map((invoice) => invoiceListItem(invoice, TODAY)), ...(cursor ? { cursor } : {}) }) });

describe('"En retard" on a phone, with rows', () => {
  it('reads each row (number linking to the invoice, customer, what is left to pay, days late) and overflows nothing sideways', async () => {
    await resetSession(ui.page, ui.server.url, fakeIdToken({ name: 'Claire Dubois', groups: ['staff'] }));
    const asked: string[] = [];
    await ui.page.route((url) => url.pathname === '/api/staff/invoicing/unpaid', (route) => {
      const url = new URL(route.request().url());
      asked.push(url.search);
      return route.fulfill(url.searchParams.get('cursor') ? page([later]) : page(invoices, 'next'));
    });
    await ui.page.goto(`${ui.server.url}/equipe/facturation/retards`);
    await ui.page.locator('#late tbody tr').nth(2).waitFor();
    expect(asked).toEqual(['?late=true']);
    // "Total", not "Total TTC": under the VAT franchise there is no TTC.
    expect(await ui.page.locator('#late thead th').allTextContents()).toEqual(['Numéro', 'Client', 'Statut', 'Total', 'Reste à payer', 'Échéance', 'Retard']);

    expect(await rowsOf()).toEqual([
      { Numéro: '2025-000042', Client: 'Boulangerie Martin', 'Reste à payer': '45,00\u00a0€', Retard: '81 jours', Échéance: '31 mars 2025', href: '/equipe/factures/inv-a' },
      { Numéro: '2025-000051', Client: invoices[1]!.customer.name, 'Reste à payer': formatEuros(10_000_00), Retard: '66 jours', Échéance: '15 avril 2025', href: '/equipe/factures/inv-b' },
      { Numéro: '2025-000063', Client: 'Jeanne Lefebvre-Dussart', 'Reste à payer': '54,00\u00a0€', Retard: '45 jours', Échéance: '6 mai 2025', href: '/equipe/factures/inv-c' },
    ]);
    // Each row a card: every cell whole inside it, its link a target of 24 px at least; the caption one line across.
    const layout = await ui.page.evaluate(() => {
      const table = document.querySelector<HTMLElement>('#late table')!;
      const rows = [...table.querySelectorAll<HTMLElement>('tbody tr')];
      return {
        scrollWidth: document.documentElement.scrollWidth,
        innerWidth: window.innerWidth,
        spilled: rows.flatMap((tr) => [...tr.querySelectorAll<HTMLElement>('td')].filter((td) => td.getBoundingClientRect().right > tr.getBoundingClientRect().right + 0.5 || td.scrollWidth > td.clientWidth).map((td) => td.dataset.label)),
        smallLinks: rows.map((tr) => tr.querySelector('a')!.getBoundingClientRect()).filter((link) => link.width < 24 || link.height < 24).length,
        caption: { text: table.querySelector('caption')!.textContent, width: table.querySelector('caption')!.getBoundingClientRect().width, tableWidth: table.getBoundingClientRect().width, height: table.querySelector('caption')!.getBoundingClientRect().height },
      };
    });
    expect(layout.scrollWidth).toBeLessThanOrEqual(layout.innerWidth);
    expect(layout.spilled).toEqual([]);
    expect(layout.smallLinks).toBe(0);
    expect(layout.caption.text).toBe("3 facture(s) en retard (d'autres suivent)");
    expect(layout.caption.width).toBeGreaterThanOrEqual(layout.caption.tableWidth - 1);
    // Two lines at most (it was five, a word or two each).
    expect(layout.caption.height).toBeLessThanOrEqual(2 * 24 + 16);

    // The next page's rows read the same.
    await ui.page.getByRole('button', { name: 'Afficher plus' }).click();
    await ui.page.locator('#late tbody tr').nth(3).waitFor();
    expect(asked).toEqual(['?late=true', '?late=true&cursor=next']);
    expect((await rowsOf())[3]).toMatchObject({ Numéro: '2025-000070', Retard: '46 jours', href: '/equipe/factures/inv-d' });
    expect(await ui.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  });
});

/** The late list's rows, each cell by its column's name, and the link of its number. */
async function rowsOf(): Promise<Array<Record<string, string>>> {
  return await ui.page.locator('#late tbody tr').evaluateAll((rows) =>
    rows.map((tr) => ({
      ...Object.fromEntries([...tr.querySelectorAll('td')].filter((td) => ['Numéro', 'Client', 'Reste à payer', 'Retard', 'Échéance'].includes(td.dataset.label ?? '')).map((td) => [td.dataset.label, td.textContent])),
      href: tr.querySelector('a')!.getAttribute('href')!,
    })),
  );
}
