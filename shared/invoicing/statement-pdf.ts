import { formatBps } from '../domain/activities.js';
import { memberStatement, monthLabel, type MonthlyStatement, type StatementMemberCopy, type StatementRecord } from '../domain/invoicing/statement.js';
import { formatEuros } from '../domain/money.js';
import { formatFrenchDate, parisDate } from '../domain/time.js';
import { ACCENT, BLACK, GREY, MARGIN, newDocument, tableLayout, type TableColumn } from './invoice-pdf.js';

/**
 * A young person's monthly statement for one activity as a PDF in French (decision 30): the month's invoices and
 * credit notes, the payments received during the month, the cooperative's contribution and what is left for them;
 * for a collective activity the collective's result and its even split among the members, theirs marked. Set in the
 * invoices' embedded fonts and colours (invoice-pdf.ts). The same input gives the same bytes (dated `issuedOn`).
 * Rendered from the statement's record when its member first opens it (decision 35): `renderMemberStatementPdf`.
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
  const { pdf, bytes } = newDocument({ title: `Relevé de ${month} - ${statement.activity.tradeName}`, date: new Date(`${input.issuedOn}T00:00:00.000Z`) });
  const width = pdf.page.width - 2 * MARGIN;
  const left = MARGIN;
  const half = width / 2 - 10;
  const right = MARGIN + width / 2 + 10;

  const top = pdf.y;
  pdf.font('Bold').fontSize(18).fillColor(ACCENT).text(statement.activity.tradeName, left, top, { width: half });
  pdf.font('Body').fontSize(9).fillColor(GREY).text(`Activité « ${statement.activity.name} » portée par ${input.cooperativeName}`, { width: half });
  const afterBrand = pdf.y;
  pdf.font('Bold').fontSize(16).fillColor(BLACK).text('RELEVÉ MENSUEL', right, top, { width: half, align: 'right' });
  pdf.font('Body').fontSize(10);
  for (const fact of [`Mois : ${month}`, `Pour : ${member.name}`, `Édité le ${formatFrenchDate(input.issuedOn)}`]) pdf.text(fact, right, pdf.y, { width: half, align: 'right' });
  pdf.y = Math.max(afterBrand, pdf.y) + 18;

  const heading = (text: string) => {
    if (pdf.y > pdf.page.height - MARGIN - 80) pdf.addPage();
    pdf.font('Bold').fontSize(11).fillColor(ACCENT).text(text, left, pdf.y, { width });
    pdf.fillColor(BLACK).moveDown(0.3);
  };
  /** A table with a bold header row, then the rows. */
  const table = (columns: TableColumn[], rows: string[][]) => {
    const { row, rule } = tableLayout(pdf, columns, left, width);
    row(columns.map((c) => c.title), 'Bold');
    rule();
    for (const cells of rows) row(cells, 'Body');
    pdf.moveDown(0.8);
  };
  const note = (text: string) => {
    pdf.font('Body').fontSize(9).fillColor(GREY).text(text, left, pdf.y, { width });
    pdf.fillColor(BLACK).moveDown(0.8);
  };

  heading('Factures et avoirs du mois');
  if (statement.documents.length === 0) note('Aucune facture ce mois-ci.');
  else {
    table(
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
  }

  heading('Paiements reçus ce mois-ci');
  if (statement.payments.length === 0) note('Aucun paiement reçu ce mois-ci.');
  else {
    table(
      [
        { title: 'Date', width: 58, align: 'left' },
        { title: 'Facture', width: 110, align: 'left' },
        { title: 'Moyen', width: 0, align: 'left' },
        { title: 'Montant', width: 80, align: 'right' },
      ],
      statement.payments.map((p) => [formatFrenchDate(p.date), p.invoiceNumber, p.meansLabel, formatEuros(p.amountCents)]),
    );
  }

  const { contribution } = statement;
  heading('Le mois en chiffres');
  const figures: Array<[string, string, boolean]> = [
    ["Chiffre d'affaires hors taxes", formatEuros(statement.revenueExclVatCents), false],
    ...(statement.vatCents !== 0 ? [["TVA collectée (reversée à l'État)", formatEuros(statement.vatCents), false] as [string, string, boolean]] : []),
    ['Paiements reçus ce mois-ci', formatEuros(statement.paymentsReceivedCents), false],
    [`Contribution de la coopérative (${formatBps(contribution.rateBps)} du chiffre d'affaires HT)`, formatEuros(contribution.contributionCents), false],
  ];
  if (contribution.shares) figures.push(["Résultat de l'entreprise collective", formatEuros(contribution.resultCents), false], ['Votre part (partage égal, indicatif)', formatEuros(statement.leftCents), true]);
  else figures.push(['Ce qui vous reste', formatEuros(statement.leftCents), true]);
  const labelWidth = width - 110;
  for (const [label, value, strong] of figures) {
    const y = pdf.y;
    pdf.font(strong ? 'Bold' : 'Body').fontSize(strong ? 11 : 9.5);
    pdf.text(label, left, y, { width: labelWidth });
    pdf.text(value, left + labelWidth, y, { width: 110, align: 'right' });
    pdf.y = y + (strong ? 17 : 14);
  }
  pdf.moveDown(0.8);

  if (contribution.shares) {
    heading(`Partage du résultat entre les ${contribution.shares.length} membres`);
    table(
      [
        { title: 'Membre', width: 0, align: 'left' },
        { title: 'Part', width: 90, align: 'right' },
      ],
      contribution.shares.map((share) => [`${input.memberNames?.[share.memberId] ?? 'Membre'}${share.memberId === member.memberId ? ' (vous)' : ''}`, formatEuros(share.cents)]),
    );
    note("Ce partage montre comment le résultat de l'entreprise collective se répartirait à parts égales : il n'est pas versé.");
  }
  note('La TVA facturée est collectée pour le compte de l’État et ne fait pas partie de ce qui vous revient. Les factures et les paiements sont ceux enregistrés par la coopérative à la date du relevé.');

  pdf.end();
  return bytes;
}
