import { describe, expect, it } from 'vitest';
import { invoiceTotals } from '../../../shared/domain/invoicing/amounts.js';
import { fecAmount, fecCsv, fecRows, FEC_COLUMNS, type FecDocument, type FecRow } from '../../../shared/domain/invoicing/fec.js';
import { memberStatement, monthLabel, monthlyStatement, ofMonth, statementKeyFigures, statementLines, type StatementDocument } from '../../../shared/domain/invoicing/statement.js';

const doc = (number: string, kind: StatementDocument['kind'], netCents: number, vatCents = 0): StatementDocument => ({
  invoiceId: `inv-${number}`, number, kind, issueDate: '2027-08-01', customerName: 'Awa Diallo', netCents, vatCents, grossCents: netCents + vatCents,
});
const activity = { activityId: 'a1', name: 'Jardins de Lens', tradeName: 'Les Mains Vertes', shape: 'personal' as const };

describe('a month named in French', () => {
  it('says "de" before a consonant and "d\'" before a vowel', () => {
    expect(['2027-01', '2027-04', '2027-08', '2027-10', '2027-12'].map((month) => ofMonth(monthLabel(month)))).toEqual(["de janvier 2027", "d'avril 2027", "d'août 2027", "d'octobre 2027", 'de décembre 2027']);
  });
});

describe('the monthly statement', () => {
  it('adds the invoices, takes off the credit notes and the contribution, and shows the payments', () => {
    const statement = monthlyStatement({
      month: '2027-07',
      activity,
      documents: [doc('2027-000012', 'invoice', 250_00, 50_00), doc('2027-000010', 'invoice', 100_00, 20_00), doc('2027-000013', 'credit-note', 100_00, 20_00)],
      payments: [{ invoiceNumber: '2027-000010', date: '2027-07-20', amountCents: 120_00, meansLabel: 'virement' }],
      rateBps: 1000,
    });
    expect(statement.documents.map((d) => d.number)).toEqual(['2027-000010', '2027-000012', '2027-000013']);
    expect(statement).toMatchObject({ invoicedNetCents: 350_00, creditedNetCents: 100_00, revenueExclVatCents: 250_00, vatCents: 50_00, paymentsReceivedCents: 120_00, leftCents: 225_00 });
    expect(statement.contribution.contributionCents).toBe(25_00);
    const text = statementLines(statement).join('\n');
    expect(text).toContain('Relevé de juillet 2027 - Les Mains Vertes (Jardins de Lens)');
    expect(text).toContain('Avoir n° 2027-000013 du 01/08/2027, Awa Diallo : -100,00\u00a0€ HT');
    expect(text).toContain("Chiffre d'affaires hors taxes : 250,00\u00a0€");
    expect(text).toContain('Contribution de la coopérative (10 %) : 25,00\u00a0€');
    expect(text).toContain('Ce qui vous reste : 225,00\u00a0€');    const october = statementLines(monthlyStatement({ month: '2027-10', activity, documents: [], payments: [], rateBps: 1000 })).join('\n');
    expect(october).toContain("Relevé d'octobre 2027 - Les Mains Vertes (Jardins de Lens)");
  });

  it('shows the refunds of the month beside the payments and what came in net, and leaves the revenue, contribution and what is left as they were', () => {
    const input = {
      month: '2027-07',
      activity,
      documents: [doc('2027-000012', 'invoice', 250_00), doc('2027-000010', 'invoice', 100_00), doc('2027-000013', 'credit-note', 100_00)],
      payments: [{ invoiceNumber: '2027-000012', date: '2027-07-20', amountCents: 120_00, meansLabel: 'virement' }],
      rateBps: 1000,
    };
    const refunds = [
      { creditNoteNumber: '2027-000013', invoiceNumber: '2027-000010', date: '2027-07-28', amountCents: 60_00, meansLabel: 'chèque' },
      { creditNoteNumber: '2027-000013', invoiceNumber: '2027-000010', date: '2027-07-22', amountCents: 40_00, meansLabel: 'virement' },
    ];
    const without = monthlyStatement(input);
    const statement = monthlyStatement({ ...input, refunds });
    expect(statement).toMatchObject({ paymentsReceivedCents: 120_00, refundedCents: 100_00, revenueExclVatCents: without.revenueExclVatCents, leftCents: without.leftCents, contribution: without.contribution });
    expect(statement.refunds!.map((r) => r.date)).toEqual(['2027-07-22', '2027-07-28']);
    expect(without).toMatchObject({ refunds: [], refundedCents: 0 });
    const text = statementLines(statement).join('\n');
    expect(text).toContain('Paiements reçus ce mois-ci : 120,00\u00a0€\n- 20/07/2027, facture n° 2027-000012, virement : 120,00\u00a0€\nRemboursé à vos clients ce mois-ci : 100,00\u00a0€\n- 22/07/2027, avoir n° 2027-000013 (facture n° 2027-000010), virement : 40,00\u00a0€');
    expect(text).toContain('Encaissé net ce mois-ci : 20,00\u00a0€');
    expect(statementLines(without).join('\n')).not.toMatch(/Rembours|Encaissé/);
    expect(statementKeyFigures(statement)).toMatchObject({ receivedCents: 120_00, refundedCents: 100_00, leftCents: without.leftCents });
  });

  it('for a collective activity, leaves each member their share of the result', () => {
    const input = { month: '2027-07', activity: { ...activity, shape: 'collective' as const }, documents: [doc('2027-000001', 'invoice', 100_01)], payments: [], rateBps: 0, collectiveMemberIds: ['m1', 'm2'] };
    expect(monthlyStatement({ ...input, memberId: 'm1' }).leftCents).toBe(50_01);
    expect(monthlyStatement({ ...input, memberId: 'm2' }).leftCents).toBe(50_00);
    expect(statementLines(monthlyStatement({ ...input, memberId: 'm2' })).join('\n')).toContain('soit 50,00\u00a0€ pour vous en partage égal entre 2 membres');
  });

  it("gives the e-mail's key figures of a member's copy: invoiced less credited, without and with VAT, and what is left for them", () => {
    const input = {
      month: '2027-07',
      activity: { ...activity, shape: 'collective' as const },
      documents: [doc('2027-000012', 'invoice', 250_00, 50_00), doc('2027-000013', 'credit-note', 100_00, 20_00)],
      payments: [{ invoiceNumber: '2027-000012', date: '2027-07-20', amountCents: 99_99, meansLabel: 'virement' }],
      rateBps: 1000,
      collectiveMemberIds: ['m1', 'm2'],
    };
    // The record keeps the activity's statement (the whole result) and each member's share on their copy.
    const record = { statement: monthlyStatement(input) };
    const share = monthlyStatement({ ...input, memberId: 'm2' }).leftCents;
    expect(memberStatement(record, { leftCents: share })).toEqual(monthlyStatement({ ...input, memberId: 'm2' }));
    expect(statementKeyFigures(memberStatement(record, { leftCents: share }))).toEqual({
      invoicedExclVatCents: 150_00,
      invoicedInclVatCents: 180_00,
      receivedCents: 99_99,
      refundedCents: 0,
      contributionCents: 15_00,
      leftCents: 67_50,
    });
  });
});

describe('the accounting export', () => {
  const invoice: FecDocument = {
    kind: 'invoice',
    number: '2027-000010',
    issueDate: '2027-08-01',
    customerAccount: 'C-cus1',
    customerName: 'Boulangerie; Lensoise',
    totals: invoiceTotals([{ quantityHundredths: 100, unitPriceCents: 100_00, vatRateBps: 2000 }, { quantityHundredths: 100, unitPriceCents: 10_00, vatRateBps: 550 }], 'vat'),
  };

  it('writes balanced sales entries, reversed for a credit note, and bank entries for payments', () => {
    const rows = fecRows({
      documents: [{ ...invoice, kind: 'credit-note', number: '2027-000011' }, invoice],
      payments: [{ paymentId: 'p1', invoiceNumber: '2027-000010', date: '2027-08-15', amountCents: 50_00, customerAccount: 'C-cus1', customerName: 'Boulangerie Lensoise', meansLabel: 'virement' }],
    });
    const cents = (s: string) => Number(s.replace(',', '.')) * 100;
    for (const entry of new Set(rows.map((r) => r.EcritureNum))) {
      const lines = rows.filter((r) => r.EcritureNum === entry);
      expect(lines.reduce((s, r) => s + cents(r.Debit) - cents(r.Credit), 0), entry).toBeCloseTo(0);
    }
    const sale = rows.filter((r) => r.EcritureNum === 'VT000001');
    expect(sale.map((r) => [r.CompteNum, r.Debit, r.Credit])).toEqual([
      ['411000', '130,55', '0,00'],
      ['706000', '0,00', '100,00'],
      ['445710', '0,00', '20,00'],
      ['706000', '0,00', '10,00'],
      ['445710', '0,00', '0,55'],
    ]);
    expect(sale[0]).toMatchObject({ JournalCode: 'VT', EcritureDate: '20270801', PieceRef: '2027-000010', CompAuxNum: 'C-cus1', CompAuxLib: 'Boulangerie Lensoise' });
    expect(rows.filter((r) => r.EcritureNum === 'VT000002').map((r) => [r.CompteNum, r.Debit, r.Credit])[0]).toEqual(['411000', '0,00', '130,55']);
    expect(rows.filter((r) => r.JournalCode === 'BQ').map((r) => [r.CompteNum, r.Debit, r.Credit])).toEqual([['512000', '50,00', '0,00'], ['411000', '0,00', '50,00']]);

    const csv = fecCsv(rows).split('\r\n');
    expect(csv[0]).toBe(FEC_COLUMNS.join(';'));
    expect(csv.slice(1, -1).every((line) => line.split(';').length === FEC_COLUMNS.length)).toBe(true);
    expect(fecAmount(-5)).toBe('-0,05');
  });

  it("journals a refund as a payment reversed in the bank journal, and balances a month with a payment, a cancellation and a refund", () => {
    // Invoiced 130,55 € on 1 August, paid in full on the 10th, cancelled by a credit note on the 20th, 100 € given back
    // on the 25th and the rest on the 28th (decision 54).
    const customer = { customerAccount: 'C-cus1', customerName: 'Boulangerie Lensoise' };
    const rows = fecRows({
      documents: [invoice, { ...invoice, kind: 'credit-note', number: '2027-000011', issueDate: '2027-08-20' }],
      payments: [{ paymentId: 'p1', invoiceNumber: '2027-000010', date: '2027-08-10', amountCents: 130_55, meansLabel: 'virement', ...customer }],
      refunds: [
        { refundId: 'r2', creditNoteNumber: '2027-000011', invoiceNumber: '2027-000010', date: '2027-08-28', amountCents: 30_55, meansLabel: 'chèque', ...customer },
        { refundId: 'r1', creditNoteNumber: '2027-000011', invoiceNumber: '2027-000010', date: '2027-08-25', amountCents: 100_00, meansLabel: 'virement', ...customer },
      ],
    });
    const cents = (s: string) => Number(s.replace(',', ''));
    const balance = (lines: FecRow[]) => lines.reduce((s, r) => s + cents(r.Debit) - cents(r.Credit), 0);
    // Every entry balances, and so the month; the customer owes nothing and is owed nothing at the end, nor the bank.
    for (const entry of new Set(rows.map((r) => r.EcritureNum))) expect(balance(rows.filter((r) => r.EcritureNum === entry)), entry).toBe(0);
    expect(rows.reduce((s, r) => s + cents(r.Debit), 0)).toBe(rows.reduce((s, r) => s + cents(r.Credit), 0));
    expect(balance(rows.filter((r) => r.CompteNum === '411000' && r.CompAuxNum === 'C-cus1'))).toBe(0);
    expect(balance(rows.filter((r) => r.CompteNum === '512000'))).toBe(0);
    // The bank journal in the order the money moved: the payment, then each refund with the customer debited and the
    // bank credited, its piece the credit note it settles.
    expect(rows.filter((r) => r.JournalCode === 'BQ').map((r) => [r.EcritureNum, r.EcritureDate, r.PieceRef, r.CompteNum, r.CompAuxNum, r.Debit, r.Credit])).toEqual([
      ['BQ000001', '20270810', '2027-000010', '512000', '', '130,55', '0,00'],
      ['BQ000001', '20270810', '2027-000010', '411000', 'C-cus1', '0,00', '130,55'],
      ['BQ000002', '20270825', '2027-000011', '512000', '', '0,00', '100,00'],
      ['BQ000002', '20270825', '2027-000011', '411000', 'C-cus1', '100,00', '0,00'],
      ['BQ000003', '20270828', '2027-000011', '512000', '', '0,00', '30,55'],
      ['BQ000003', '20270828', '2027-000011', '411000', 'C-cus1', '30,55', '0,00'],
    ]);
    expect(rows.find((r) => r.EcritureNum === 'BQ000003')!.EcritureLib).toBe('Remboursement chèque avoir 2027-000011 (facture 2027-000010) Boulangerie Lensoise');
  });

  it('neutralises a name a spreadsheet would take for a formula, keeping amounts as they are', () => {
    const rows = fecRows({
      documents: [{ ...invoice, customerName: '=HYPERLINK("http://example.org","x")' }],
      payments: [{ paymentId: 'p1', invoiceNumber: '2027-000010', date: '2027-08-15', amountCents: 50_00, customerAccount: 'C-cus1', customerName: '@SUM(1+1)', meansLabel: 'virement' }],
    });
    expect(rows[0]!.CompAuxLib).toBe(`'=HYPERLINK("http://example.org","x")`);
    expect(rows.find((r) => r.JournalCode === 'BQ' && r.CompAuxLib)!.CompAuxLib).toBe("'@SUM(1+1)");
    for (const name of ['+33 Services', '-Lensoise']) expect(fecRows({ documents: [{ ...invoice, customerName: name }], payments: [] })[0]!.CompAuxLib).toBe(`'${name}`);
    const credit = fecRows({ documents: [{ ...invoice, kind: 'credit-note' }], payments: [] });
    expect(credit.every((r) => !r.Debit.startsWith("'") && !r.Credit.startsWith("'"))).toBe(true);
  });

  it('writes no VAT line under the franchise', () => {
    const rows = fecRows({ documents: [{ ...invoice, totals: invoiceTotals([{ quantityHundredths: 100, unitPriceCents: 100_00, vatRateBps: null }], 'franchise') }], payments: [] });
    expect(rows.map((r) => r.CompteNum)).toEqual(['411000', '706000']);
    expect(rows[1].EcritureLib).toContain('TVA non applicable');
  });
});
