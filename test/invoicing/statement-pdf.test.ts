import { describe, expect, it } from 'vitest';
import { formatEuros } from '../../shared/domain/money.js';
import { monthlyStatement, type StatementInput } from '../../shared/domain/invoicing/statement.js';
import { renderStatementPdf, type StatementPdfInput } from '../../shared/invoicing/statement-pdf.js';
import { expectPdfAStructure } from '../support/pdf-objects.js';
import { pdfAttachments, pdfPages, pdfPageTexts, pdfText } from '../support/pdf-text.js';

/*
 * The members' monthly statements, written by the invoices' writer since decision 51: as many pages as their tables
 * need, a heading never left at the foot of a page without what follows it, and the PDF/A-3b structures of an invoice
 * without its associated file.
 */

/** Text as `pdfText` gives it: every run of white space (the no-break spaces of amounts too) one space. */
const norm = (text: string) => text.replace(/\s+/g, ' ');

const customers = ['Boulangerie Dupont SARL', 'Mme Durand', 'Association des parents d’élèves de l’école Jean-Baptiste-Lebas de Lens (section maternelle)', 'Zoé Bœuf', 'Łukasz Wójcik'];
const memberNames = ['Awa Diallo', 'Léa Martin', 'Chloé Lefèvre', 'Inès Benali', 'Zoé Bœuf', 'Karim Haddad', 'Noé Petit', 'Yanis Roux', 'Emma Laurent'];

/**
 * A statement with `documents` invoices and credit notes and `payments` payments, for a collective activity of nine
 * members or a personal one; `wrapped`: a customer's name in five and a payment's means in three take several lines.
 */
function statementOf(documents: number, payments: number, shape: 'personal' | 'collective' = 'collective', wrapped = true): StatementPdfInput {
  const members = memberNames.map((_, i) => `m${i + 1}`);
  const input: StatementInput = {
    month: '2031-03',
    activity: { activityId: 'a1', name: 'Services à la personne du bassin minier', tradeName: 'Bassin Services', shape },
    documents: Array.from({ length: documents }, (_, n) => ({
      invoiceId: `i${n}`,
      number: `2031-${String(n + 100).padStart(6, '0')}`,
      kind: n % 9 === 4 ? 'credit-note' : 'invoice',
      issueDate: `2031-03-${String((n % 28) + 1).padStart(2, '0')}`,
      customerName: `${wrapped ? customers[n % customers.length] : 'Client'} ${n}`,
      netCents: 5000 + 131 * n,
      vatCents: 1000,
      grossCents: 6000 + 131 * n,
    })),
    payments: Array.from({ length: payments }, (_, n) => ({
      invoiceNumber: `2031-${String(n + 50).padStart(6, '0')}`,
      date: `2031-03-${String((n % 28) + 1).padStart(2, '0')}`,
      amountCents: 4000 + 17 * n,
      meansLabel: wrapped && n % 3 === 0 ? 'virement bancaire reçu sur le compte de la coopérative' : 'chèque',
    })),
    rateBps: 1000,
    ...(shape === 'collective' ? { collectiveMemberIds: members, memberId: 'm4' } : {}),
  };
  return {
    statement: monthlyStatement(input),
    member: { memberId: 'm4', name: 'Inès Benali' },
    memberNames: Object.fromEntries(members.map((id, i) => [id, memberNames[i]!])),
    cooperativeName: 'CoopConnexion',
    issuedOn: '2031-04-01',
  };
}

describe('the statement PDF', () => {
  it('runs onto more pages with long tables: every row read back whole and in order, then the figures and the split', async () => {
    const input = statementOf(70, 45);
    const pdf = await renderStatementPdf(input);
    expect(await pdfPages(pdf)).toBeGreaterThan(2);
    const text = await pdfText(pdf);

    // Each row's cells in order, the rows one after the other, the tables in the statement's order.
    const expected: string[][] = [
      ['Bassin Services', 'RELEVÉ MENSUEL', 'Mois : mars 2031', 'Pour : Inès Benali', 'Édité le 01/04/2031'],
      ['Factures et avoirs du mois', 'Pièce', 'Date', 'Client', 'HT', 'TTC'],
      ...input.statement.documents.map((doc) => {
        const sign = doc.kind === 'credit-note' ? -1 : 1;
        return [`${doc.kind === 'credit-note' ? 'Avoir' : 'Facture'} ${doc.number}`, doc.issueDate.split('-').reverse().join('/'), doc.customerName, formatEuros(sign * doc.netCents), formatEuros(sign * doc.grossCents)];
      }),
      ['Paiements reçus ce mois-ci', 'Date', 'Facture', 'Moyen', 'Montant'],
      ...input.statement.payments.map((p) => [p.date.split('-').reverse().join('/'), p.invoiceNumber, p.meansLabel, formatEuros(p.amountCents)]),
      ['Le mois en chiffres', "Chiffre d'affaires hors taxes", formatEuros(input.statement.revenueExclVatCents), 'Votre part (partage égal, indicatif)', formatEuros(input.statement.leftCents)],
      ['Partage du résultat entre les 9 membres', 'Membre', 'Part'],
      ...input.statement.contribution.shares!.map((share, i) => [`${memberNames[i]}${share.memberId === 'm4' ? ' (vous)' : ''}`, formatEuros(share.cents)]),
      ['Ce partage montre comment', 'La TVA facturée est collectée', 'à la date du relevé.'],
    ];
    let at = 0;
    for (const row of expected) {
      for (const cell of row) {
        const found = text.indexOf(norm(cell), at);
        expect(found, `${JSON.stringify(cell)} after ${JSON.stringify(text.slice(Math.max(0, at - 60), at))}`).toBeGreaterThanOrEqual(0);
        at = found + norm(cell).length;
      }
    }
    // The long customers' names wrapped inside their column read back whole.
    expect(text).toContain('Association des parents d’élèves de l’école Jean-Baptiste-Lebas de Lens (section maternelle) 67');
  });

  it('keeps each heading on the page of what follows it: a table’s first row, the whole block of figures', async () => {
    // Rows of one line (14.5 pt): one more document moves what is under the table down by less than the figures' block
    // (73 pt, 87 for a collective activity) overlaps the 80 pt a heading always asks, so each page's foot is met.
    for (const shape of ['collective', 'personal'] as const) {
      for (let documents = 20; documents <= 75; documents++) {
        const input = statementOf(documents, 2, shape, false);
        const pages = await pdfPageTexts(await renderStatementPdf(input));
        const pageOf = (text: string) => pages.findIndex((page) => page.includes(norm(text)));
        for (const [i, page] of pages.entries()) {
          expect(page.trim(), `${shape}, ${documents} documents: page ${i + 1}`).not.toBe('');
          for (const heading of ['Factures et avoirs du mois', 'Paiements reçus ce mois-ci', 'Le mois en chiffres', 'Partage du résultat entre les 9 membres', 'TTC', 'Montant', 'Part']) {
            expect(page.trimEnd().endsWith(heading), `${shape}, ${documents} documents: page ${i + 1} ends with "${heading}"`).toBe(false);
          }
        }
        const left = formatEuros(input.statement.leftCents);
        const figures = pageOf('Le mois en chiffres');
        expect(figures, `${shape}, ${documents} documents`).toBeGreaterThanOrEqual(0);
        expect(pageOf(shape === 'collective' ? `Votre part (partage égal, indicatif) ${left}` : `Ce qui vous reste ${left}`), `${shape}, ${documents} documents: the figures on one page`).toBe(figures);
      }
    }
  });

  it('is a PDF/A-3b as the invoices are, without an associated file, its identifier its own', async () => {
    const input = statementOf(3, 1);
    const pdf = await renderStatementPdf(input);
    const { raw, trailer, catalog } = expectPdfAStructure(pdf, { title: 'Relevé de mars 2031 - Bassin Services', date: '2031-04-01' });
    expect(catalog).not.toContain('/AF');
    expect(catalog).not.toContain('/Names');
    expect(raw).not.toContain('/EmbeddedFile');
    expect(raw).not.toContain('/Filespec');
    expect(await pdfAttachments(pdf)).toEqual({});
    expect(await pdfPages(pdf)).toBe(1);

    // The same input, the same bytes; another member's statement of the same month (the same title), another file identifier.
    expect((await renderStatementPdf(input)).equals(pdf)).toBe(true);
    const other = await renderStatementPdf({ ...input, member: { memberId: 'm1', name: 'Awa Diallo' } });
    const idOf = (bytes: Buffer) => /\/ID \[<([0-9a-f]{32})>/.exec(bytes.toString('latin1').slice(bytes.toString('latin1').lastIndexOf('trailer')))![1];
    expect(idOf(pdf)).toBe(/\/ID \[<([0-9a-f]{32})>/.exec(trailer)![1]);
    expect(idOf(other)).not.toBe(idOf(pdf));
    expect(await pdfText(other)).toContain('Awa Diallo (vous)');
  });
});
