import { describe, expect, it } from 'vitest';
import { pagesInBrowser } from '../support/browser.js';
import { fakeIdToken, hasHorizontalScroll, resetSession } from '../support/pages.js';
import { activityWithParts, customerOwner, referralRecord } from '../support/view-fixtures.js';
import { invoiceDetail } from '../../shared/invoicing/staff-views.js';
import { errorResponse } from '../../shared/http/api.js';
import { UnprocessableError } from '../../shared/domain/errors.js';
import { refundSchema } from '../../shared/domain/invoicing/staff-input.js';
import { parseOrThrow } from '../../shared/domain/validation.js';
import type { InvoiceRecord, PaymentRecord, RefundRecord } from '../../shared/domain/invoicing/records.js';
import { parisDate } from '../../shared/domain/time.js';

/*
 * "Enregistrer un remboursement" on the staff's invoice page in a real browser (decision 54), fed the answers the API's
 * own view makes (invoiceDetail) from records: a cancelled invoice the customer had paid says what is owed back to
 * them, the form (in French, on a phone too) sends the refund once per Idempotency-Key (a retry after a lost answer
 * carries the same key), shows the refunds in the payments' table, and, once all is given back, says so and offers no
 * form; a refusal lands on its field.
 */

const ui = pagesInBrowser();
const json = (body: unknown, status = 200) => ({ status, contentType: 'application/json', body: JSON.stringify(body) });

const found = activityWithParts({ referral: referralRecord(), activity: { name: 'Jardinage Léa Haddad', tradeName: 'Les Jardins de Léa' } });
const camille = { id: 'sub-camille', name: 'Camille Martin' };
const owner = customerOwner({ activity: found.activity, customer: {}, invoice: { totals: { netCents: 100_50, vatCents: 0, grossCents: 100_50, perRate: [{ vatRateBps: null, baseCents: 100_50, vatCents: 0 }] } } });
const creditNote: Pick<InvoiceRecord, 'number' | 'issueDate'> = { number: '2025-000043', issueDate: '2025-03-20' };
const cancelled: InvoiceRecord = {
  ...owner.invoice,
  status: 'cancelled',
  paidCents: 100_50,
  cancelledBy: `cn-${owner.invoice.invoiceId}`,
  history: [
    { at: '2025-03-01T06:00:00Z', event: 'issued', detail: '2025-000042' },
    { at: '2025-03-10T09:00:00Z', event: 'payment', by: camille, detail: '10050' },
    { at: '2025-03-20T09:00:00Z', event: 'cancelled', by: camille, detail: 'Facturé au mauvais client.' },
  ],
};
const payment: PaymentRecord = { invoiceId: cancelled.invoiceId, activityId: cancelled.activityId, paymentId: 'p-1', amountCents: 100_50, date: '2025-03-10', means: 'virement', recordedBy: camille, recordedAt: '2025-03-10T09:00:00Z' };
const refundRecord = (refundId: string, amountCents: number, date: string, note?: string): RefundRecord => ({
  invoiceId: cancelled.invoiceId,
  activityId: cancelled.activityId,
  refundId,
  invoiceNumber: '2025-000042',
  creditNoteNumber: '2025-000043',
  amountCents,
  date,
  means: 'cheque',
  ...(note ? { note } : {}),
  recordedBy: camille,
  recordedAt: `${date}T10:00:00Z`,
});
/** The invoice as the API answers it once these refunds are recorded. */
const detailWith = (refunds: RefundRecord[]) => {
  const refundedCents = refunds.reduce((s, r) => s + r.amountCents, 0);
  const record: InvoiceRecord = {
    ...cancelled,
    ...(refunds.length ? { refundedCents } : {}),
    history: [...cancelled.history, ...refunds.map((r) => ({ at: r.recordedAt, event: 'refund' as const, by: camille, detail: String(r.amountCents) }))],
  };
  return invoiceDetail(record, [payment], '2025-03-25', { mails: [], customerEmail: owner.customer!.email }, { refunds, creditNote });
};
const refundPath = `/api/staff/invoices/${cancelled.invoiceId}/refunds`;

async function openInvoice(answer: unknown): Promise<void> {
  await resetSession(ui.page, ui.server.url, fakeIdToken({ name: 'Camille Martin', groups: ['staff'] }));
  await ui.page.unrouteAll();
  await ui.page.route((url) => url.pathname === `/api/staff/invoices/${cancelled.invoiceId}`, (route) => route.fulfill(json(answer)));
  await ui.page.goto(`${ui.server.url}/equipe/factures/${encodeURIComponent(cancelled.invoiceId)}`);
  await ui.page.locator('#invoice-history li').first().waitFor();
}

describe("refunds on a cancelled invoice's page", () => {
  it('says what is owed back, records a refund once per key (a lost answer retried), and lists it with the payment', async () => {
    await ui.page.setViewportSize({ width: 1280, height: 900 });
    await openInvoice(detailWith([]));
    expect(await ui.page.locator('#to-refund').textContent()).toBe("100,50\u00a0€ à rendre au client, sur 100,50\u00a0€ reçus avant l'annulation");
    expect(await ui.page.locator('#refunded').count()).toBe(0);
    const section = ui.page.locator('#refund-section');
    expect(await section.isVisible()).toBe(true);
    expect(await ui.page.locator('#payment-section').isVisible()).toBe(false);
    expect(await section.getByRole('heading').first().textContent()).toBe('Enregistrer un remboursement');
    expect(await ui.page.locator('#refund-left').textContent()).toBe('La facture est annulée par un avoir : il reste 100,50\u00a0€ à rendre au client.');
    // Dated from the credit note's day to today, today by default.
    const date = ui.page.locator('#f-refundDate');
    expect([await date.getAttribute('min'), await date.getAttribute('max'), await date.inputValue()]).toEqual(['2025-03-20', parisDate(), parisDate()]);

    const requests: Array<{ body: unknown; key: string | undefined }> = [];
    await ui.page.route((url) => url.pathname === refundPath, async (route) => {
      const body = route.request().postDataJSON();
      requests.push({ body, key: route.request().headers()['idempotency-key'] });
      // The first answer is lost on the way (a network failure): the form sent again must carry the same key.
      if (requests.length === 1) return route.abort('connectionreset');
      const input = parseOrThrow(refundSchema, body);
      return route.fulfill(json(detailWith([refundRecord('r-1', input.amountCents, '2025-03-24', input.note)]), 201));
    });
    await section.getByLabel(/^Montant remboursé/).fill('40,50');
    await date.fill('2025-03-24');
    await section.getByLabel('Chèque').check();
    await section.getByLabel(/^Note/).fill('Chèque n° 0012345');
    const submit = ui.page.getByRole('button', { name: 'Enregistrer le remboursement' });
    await submit.click();
    await expect.poll(() => ui.page.locator('#refund-error-summary').isVisible()).toBe(true);
    expect(await ui.page.locator('#refund-error-summary').textContent()).toContain("Le serveur n'a pas pu être joint");
    await submit.click();
    await expect.poll(() => ui.page.locator('#invoice-status').textContent()).toBe('Remboursement enregistré. Reste à rembourser : 60,00\u00a0€.');

    expect(requests.map((r) => r.body)).toEqual([
      { amountCents: 40_50, date: '2025-03-24', means: 'cheque', note: 'Chèque n° 0012345' },
      { amountCents: 40_50, date: '2025-03-24', means: 'cheque', note: 'Chèque n° 0012345' },
    ]);
    expect(requests[0]!.key).toMatch(/^[0-9a-f-]{36}$/);
    expect(requests[1]!.key).toBe(requests[0]!.key);
    // The payment and the refund in the order the money moved; what is left to refund; the history's line.
    const rows = await ui.page.locator('table.invoice-payments tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(rows).toEqual([
      ['10 mars 2025', 'Paiement reçu', '100,50\u00a0€', 'virement', 'Camille Martin', ''],
      ['24 mars 2025', 'Remboursement au client', '-40,50\u00a0€', 'chèque', 'Camille Martin', 'Chèque n° 0012345'],
    ]);
    expect(await ui.page.locator('#to-refund').textContent()).toBe("60,00\u00a0€ à rendre au client, sur 100,50\u00a0€ reçus avant l'annulation (40,50\u00a0€ déjà remboursés)");
    expect(await ui.page.locator('#invoice-history').textContent()).toContain('Remboursement enregistré : 40,50\u00a0€ rendus au client');
    // The form is emptied for the next refund, with a new key.
    expect(await section.getByLabel(/^Montant remboursé/).inputValue()).toBe('');
  });

  it('says so once all is given back, and offers no more refund', async () => {
    await ui.page.setViewportSize({ width: 1280, height: 900 });
    await openInvoice(detailWith([refundRecord('r-1', 40_50, '2025-03-24'), refundRecord('r-2', 60_00, '2025-04-02', 'Virement 88')]));
    expect(await ui.page.locator('#refunded').textContent()).toBe("100,50\u00a0€ rendus au client : tout ce qu'il avait payé");
    const facts = await ui.page.locator('#invoice dl.facts').evaluate((dl) => Object.fromEntries([...dl.querySelectorAll('dt')].map((dt) => [dt.textContent, dt.nextElementSibling?.textContent])));
    expect(facts).toMatchObject({ Statut: 'Annulée, remboursée', Remboursée: "100,50\u00a0€ rendus au client : tout ce qu'il avait payé" });
    expect(Object.keys(facts)).not.toContain('À rembourser');
    expect(await ui.page.locator('#refund-section').isHidden()).toBe(true);
    expect(await ui.page.locator('h2', { hasText: 'Paiements et remboursements' }).count()).toBe(1);
    expect(await ui.page.locator('table.invoice-payments tbody tr').count()).toBe(3);
    expect(await ui.page.locator('table.invoice-payments thead th').allTextContents()).toEqual(['Date', 'Opération', 'Montant', 'Moyen', 'Enregistré par', 'Note']);
    // No refund with a note: no notes' column.
    await openInvoice(detailWith([refundRecord('r-1', 100_50, '2025-03-24')]));
    expect(await ui.page.locator('table.invoice-payments thead th').allTextContents()).toEqual(['Date', 'Opération', 'Montant', 'Moyen', 'Enregistré par']);
  });

  it('checks the form before sending, and puts a refusal of the amount on its field, on a phone', async () => {
    await ui.page.setViewportSize({ width: 360, height: 740 });
    await openInvoice(detailWith([]));
    expect(await hasHorizontalScroll(ui.page)).toBe(false);
    // Thumb-sized and unzoomed on iOS: every typed-in control of the form 16 px and 44 px high at least.
    const sizes = await ui.page.locator('#refund-form').evaluate((form) =>
      [...form.querySelectorAll('input:not([type=radio]), textarea')].map((c) => ({ name: c.getAttribute('name'), font: parseFloat(getComputedStyle(c).fontSize), height: c.getBoundingClientRect().height })),
    );
    expect(sizes.map((s) => s.name)).toEqual(['refundAmountCents', 'refundDate', 'refundNote']);
    expect(sizes.filter((s) => s.font < 16 || s.height < 44)).toEqual([]);

    let sent = 0;
    await ui.page.route((url) => url.pathname === refundPath, (route) => {
      sent += 1;
      const refused = errorResponse(new UnprocessableError('Le montant dépasse ce qui reste à rembourser (100,50\u00a0€).', [{ field: 'amountCents', message: 'Au plus 100,50\u00a0€ : ce qui reste à rembourser.' }]));
      return route.fulfill({ status: refused.statusCode!, contentType: 'application/json', body: String(refused.body) });
    });
    const section = ui.page.locator('#refund-section');
    await section.getByLabel(/^Montant remboursé/).fill('dix euros');
    await ui.page.getByRole('button', { name: 'Enregistrer le remboursement' }).click();
    await expect.poll(() => ui.page.locator('#refund-error-summary').isVisible()).toBe(true);
    expect(await ui.page.locator('#refund-error-summary li').allTextContents()).toEqual(['Choisissez le moyen de remboursement.', 'Écrivez un montant en euros, par exemple 45,50.']);
    expect(sent).toBe(0);

    await section.getByLabel(/^Montant remboursé/).fill('150');
    await section.getByLabel('Virement').check();
    await ui.page.getByRole('button', { name: 'Enregistrer le remboursement' }).click();
    await expect.poll(() => ui.page.locator('#f-refundAmountCents-error').textContent()).toBe('Au plus 100,50\u00a0€ : ce qui reste à rembourser.');
    expect(sent).toBe(1);
    expect(await ui.page.locator('#refund-error-summary-message').textContent()).toBe('Le montant dépasse ce qui reste à rembourser (100,50\u00a0€).');
    expect(await ui.page.locator('#f-refundAmountCents').getAttribute('aria-invalid')).toBe('true');
    expect(await hasHorizontalScroll(ui.page)).toBe(false);
  });
});
