import { formatBps } from '../domain/activities.js';
import { memberStatement, monthLabel, ofMonth, type MonthlyStatement, type StatementMemberCopy, type StatementRecord } from '../domain/invoicing/statement.js';
import { formatEuros } from '../domain/money.js';
import { formatFrenchDate, parisDate } from '../domain/time.js';
import { ACCENT, BLACK, GREY, MARGIN, tableStartHeight, writeTable, type TableColumn } from './invoice-pdf.js';
import { PAGE_HEIGHT, PAGE_WIDTH, PdfPages, writePdfA } from './pdf-writer.js';

/**
 * A young person's monthly statement for one activity as a PDF in French (decision 30): the month's invoices and
 * credit notes, the payments received during the month (and the refunds given back, decision 54), the cooperative's
 * contribution and what is left for them; for a collective activity the collective's result and its even split among
 * the members, theirs marked. Written by
 * the invoices' fixed-layout writer (pdf-writer.ts, decision 51) in their embedded fonts and colours, with their table
 * (invoice-pdf.ts, `writeTable`): a PDF/A-3b with no associated file, onto as many pages as its tables need. The same
 * input gives the same bytes (dated `issuedOn`). Rendered from the statement's record when its member first opens it
 * (decision 35): `renderMemberStatementPdf`.
 */

export interface StatementPdfInput {
  statement: MonthlyStatement;
  /** Whose statement it is (their display name). */
  member: { memberId: string; name: string };
  /** Collective activities: every member's display name by id, for the split. */
  memberNames?: Readonly<Record<string, string>>;
  /** The cooperative that carries the activity. */
  cooperativeName: string;
  /** YYYY-MM-DD: the day the statement is issued. */
  issuedOn: string;
}

/**
 * A member's statement PDF from the activity's record: the same bytes for the same record, whenever and wherever it is
 * rendered (decision 31), since the record holds everything the PDF shows (figures, names, the cooperative, the issue
 * date). A record issued with its PDF (before decision 35) has no cooperative name: its PDF is the one stored.
 */
export function renderMemberStatementPdf(record: StatementRecord, copy: StatementMemberCopy): Promise<Buffer> {
  if (record.cooperativeName === undefined) throw new Error('a statement issued with its PDF is not rendered again');
  return renderStatementPdf({
    statement: memberStatement(record, copy),
    member: { memberId: copy.referralId, name: copy.name },
    memberNames: Object.fromEntries(record.members.map((m) => [m.referralId, m.name])),
    cooperativeName: record.cooperativeName,
    issuedOn: parisDate(new Date(record.issuedAt)),
  });
}

export async function renderStatementPdf(input: StatementPdfInput): Promise<Buffer> {
  const { statement, member } = input;
  const month = monthLabel(statement.month);
  // The layout pdfkit's code had until decision 51 (margins, fonts, sizes, colours, columns, spacing), in the writer.
  const page = new PdfPages(MARGIN);
  const width = PAGE_WIDTH - 2 * MARGIN;
  const left = MARGIN;
  const half = width / 2 - 10;
  const right = MARGIN + width / 2 + 10;
  const bottom = PAGE_HEIGHT - MARGIN;

  const top = page.y;
  page.setFont('Bold', 18).setFill(ACCENT).text(statement.activity.tradeName, left, top, half);
  page.setFont('Body', 9).setFill(GREY).text(`Activité « ${statement.activity.name} » portée par ${input.cooperativeName}`, left, undefined, half);
  const afterBrand = page.y;
  page.setFont('Bold', 16).setFill(BLACK).text('RELEVÉ MENSUEL', right, top, half, 'right');
  page.setFont('Body', 10);
  for (const fact of [`Mois : ${month}`, `Pour : ${member.name}`, `Édité le ${formatFrenchDate(input.issuedOn)}`]) page.text(fact, right, undefined, half, 'right');
  page.y = Math.max(afterBrand, page.y) + 18;

  /**
   * A section's heading, on a new page when under 80 pt are left (as pdfkit's code did) or when what must follow it
   * on its page (`keep`: a table's header and first row, the whole block of figures, a note) would not fit under it.
   */
  const heading = (text: string, keep: number) => {
    page.setFont('Bold', 11);
    const lines = page.wrap(text, width);
    const height = (lines.length + 0.3) * page.lineHeight();
    if (page.y > bottom - 80 || page.y + height + keep > bottom) page.addPage();
    page.setFill(ACCENT).lines(lines, left, page.y, width);
    page.setFill(BLACK).moveDown(0.3);
  };
  /** A table with a bold header row, then the rows, and its heading kept with its start. */
  const table = (title: string, columns: TableColumn[], rows: string[][]) => {
    heading(title, tableStartHeight(page, columns, rows[0], width));
    writeTable(page, columns, rows, left, width);
    page.moveDown(0.8);
  };
  const noteHeight = (text: string) => page.setFont('Body', 9).wrap(text, width).length * page.lineHeight();
  const note = (text: string) => {
    page.setFont('Body', 9).setFill(GREY).text(text, left, page.y, width);
    page.setFill(BLACK).moveDown(0.8);
  };
  /** A section listing `rows` in a table, or saying `none` under its heading when there are none. */
  const listing = (title: string, none: string, columns: TableColumn[], rows: string[][]) => {
    if (rows.length > 0) return table(title, columns, rows);
    heading(title, noteHeight(none));
    note(none);
  };

  listing(
    'Factures et avoirs du mois',
    'Aucune facture ce mois-ci.',
    [
      { title: 'Pièce', width: 110, align: 'left' },
      { title: 'Date', width: 58, align: 'left' },
      { title: 'Client', width: 0, align: 'left' },
      { title: 'HT', width: 70, align: 'right' },
      { title: 'TTC', width: 70, align: 'right' },
    ],
    statement.documents.map((doc) => {
      const sign = doc.kind === 'credit-note' ? -1 : 1;
      return [`${doc.kind === 'credit-note' ? 'Avoir' : 'Facture'} ${doc.number}`, formatFrenchDate(doc.issueDate), doc.customerName, formatEuros(sign * doc.netCents), formatEuros(sign * doc.grossCents)];
    }),
  );

  listing(
    'Paiements reçus ce mois-ci',
    'Aucun paiement reçu ce mois-ci.',
    [
      { title: 'Date', width: 58, align: 'left' },
      { title: 'Facture', width: 110, align: 'left' },
      { title: 'Moyen', width: 0, align: 'left' },
      { title: 'Montant', width: 80, align: 'right' },
    ],
    statement.payments.map((p) => [formatFrenchDate(p.date), p.invoiceNumber, p.meansLabel, formatEuros(p.amountCents)]),
  );
  // Refunds (decision 54): only on a statement of a month that had some, so that the others keep their bytes.
  const refunds = statement.refunds ?? [];
  if (refunds.length > 0) {
    table(
      'Remboursés à vos clients ce mois-ci',
      [
        { title: 'Date', width: 58, align: 'left' },
        { title: 'Avoir', width: 110, align: 'left' },
        { title: 'Facture annulée', width: 110, align: 'left' },
        { title: 'Moyen', width: 0, align: 'left' },
        { title: 'Montant', width: 80, align: 'right' },
      ],
      refunds.map((r) => [formatFrenchDate(r.date), r.creditNoteNumber, r.invoiceNumber, r.meansLabel, formatEuros(r.amountCents)]),
    );
  }

  const { contribution } = statement;
  const figures: Array<[string, string, boolean]> = [
    ["Chiffre d'affaires hors taxes", formatEuros(statement.revenueExclVatCents), false],
    ...(statement.vatCents !== 0 ? [["TVA collectée (reversée à l'État)", formatEuros(statement.vatCents), false] as [string, string, boolean]] : []),
    ['Paiements reçus ce mois-ci', formatEuros(statement.paymentsReceivedCents), false],
    ...(refunds.length > 0
      ? ([
          ['Remboursés à vos clients ce mois-ci', formatEuros(statement.refundedCents ?? 0), false],
          ['Encaissé net ce mois-ci', formatEuros(statement.paymentsReceivedCents - (statement.refundedCents ?? 0)), false],
        ] as Array<[string, string, boolean]>)
      : []),
    [`Contribution de la coopérative (${formatBps(contribution.rateBps)} du chiffre d'affaires HT)`, formatEuros(contribution.contributionCents), false],
  ];
  if (contribution.shares) figures.push(["Résultat de l'entreprise collective", formatEuros(contribution.resultCents), false], ['Votre part (partage égal, indicatif)', formatEuros(statement.leftCents), true]);
  else figures.push(['Ce qui vous reste', formatEuros(statement.leftCents), true]);
  // Each figure's line: 14 pt, 17 for the last one (in bold): the whole block stays on its heading's page.
  const figureHeight = (strong: boolean) => (strong ? 17 : 14);
  heading('Le mois en chiffres', figures.reduce((sum, [, , strong]) => sum + figureHeight(strong), 0));
  const labelWidth = width - 110;
  for (const [label, value, strong] of figures) {
    const y = page.y;
    page.setFont(strong ? 'Bold' : 'Body', strong ? 11 : 9.5);
    page.text(label, left, y, labelWidth);
    page.text(value, left + labelWidth, y, 110, 'right');
    page.y = y + figureHeight(strong);
  }
  page.moveDown(0.8);

  if (contribution.shares) {
    table(
      `Partage du résultat entre les ${contribution.shares.length} membres`,
      [
        { title: 'Membre', width: 0, align: 'left' },
        { title: 'Part', width: 90, align: 'right' },
      ],
      contribution.shares.map((share) => [`${input.memberNames?.[share.memberId] ?? 'Membre'}${share.memberId === member.memberId ? ' (vous)' : ''}`, formatEuros(share.cents)]),
    );
    note("Ce partage montre comment le résultat de l'entreprise collective se répartirait à parts égales : il n'est pas versé.");
  }
  note('La TVA facturée est collectée pour le compte de l’État et ne fait pas partie de ce qui vous revient. Les factures et les paiements sont ceux enregistrés par la coopérative à la date du relevé.');

  // A PDF/A-3b as the invoices (the same fonts, output intent and XMP), with no associated file.
  return writePdfA({ title: `Relevé ${ofMonth(month)} - ${statement.activity.tradeName}`, date: new Date(`${input.issuedOn}T00:00:00.000Z`), lang: 'fr-FR', pages: page });
}
