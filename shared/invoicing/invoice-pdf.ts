import { formatBps, priceUnitLabel } from '../domain/activities.js';
import { formatQuantity, FRANCHISE_MENTION } from '../domain/invoicing/amounts.js';
import { addressOneLine, CUSTOMER_KIND_LABELS, formatSiren } from '../domain/invoicing/customers.js';
import { paymentMentions, paymentTermsText } from '../domain/invoicing/terms.js';
import { formatEuros } from '../domain/money.js';
import { formatFrenchDate } from '../domain/time.js';
import type { InvoiceDocument } from './document.js';
import { FACTUR_X_FILE_NAME, facturXXml, facturXXmp } from './factur-x.js';
import { PAGE_HEIGHT, PAGE_WIDTH, PdfPages, writePdfA, type Align } from './pdf-writer.js';

/**
 * The invoice (or credit note) as a Factur-X PDF in French: a PDF/A-3b with every mention French law requires
 * (CGI annexe II art. 242 nonies A, C. com. L441-9), carrying its CII XML as `factur-x.xml`. PDF/A forbids fonts
 * that are not embedded, so the text is set in DejaVu Sans (embedded, subset: document-fonts.ts), never in the 14
 * standard fonts. It is written by the fixed-layout writer (pdf-writer.ts, decision 48: the sRGB output intent, the
 * PDF/A identification and the Factur-X extension schema in the XMP), as the statements are (statement-pdf.ts, with
 * the same table: `writeTable` below). The same document gives the same bytes (every date inside is the issue date).
 */

export interface RenderedInvoice {
  pdf: Buffer;
  /** The embedded Factur-X XML, also kept on its own. */
  xml: string;
}

/** The page margin and colours of the cooperative's documents (invoices, statements). */
export const MARGIN = 42;
export const ACCENT = '#1f5c4a';
export const GREY = '#555555';
export const BLACK = '#000000';


/** "FR76 4255 9100 0008 0123 4567 812". */
const groupedIban = (iban: string) => iban.replace(/(.{4})(?=.)/g, '$1 ');

/** A column of a document's table: a width of 0 takes what the others leave. */
export interface TableColumn {
  title: string;
  width: number;
  align: Align;
}

/** The widths of a table's `columns` across `width`, a column of width 0 taking what the others and the 6-pt gaps leave. */
export function columnWidths(columns: readonly TableColumn[], width: number): number[] {
  const fixed = columns.reduce((sum, c) => sum + c.width, 0);
  return columns.map((c) => (c.width === 0 ? width - fixed - 6 * (columns.length - 1) : c.width));
}

/** The gap kept free above the bottom margin by a table's rows. */
const TABLE_FOOT = 20;

/** A row's cells wrapped in their columns, in 9 pt of `font` (then the current font), and its height. */
function tableRow(page: PdfPages, cells: readonly string[], widths: readonly number[], font: 'Body' | 'Bold'): { wrapped: string[][]; height: number } {
  page.setFont(font, 9);
  const wrapped = cells.map((cell, i) => page.wrap(cell, widths[i]));
  return { wrapped, height: Math.max(...wrapped.map((lines) => lines.length)) * page.lineHeight() };
}

/**
 * A table of the cooperative's documents (an invoice's lines, a statement's documents, payments and shares) across
 * `width` from `left`: the columns' titles in bold, a thin grey rule, then `rows`, all in 9 pt black, each cell wrapped
 * inside its column and aligned left or right, 6 pt between columns and 4 pt under each row. A row that would not fit
 * 20 pt above the bottom margin starts a new page, under the columns' titles and rule again. Then `y` is under the last row, and
 * the font is 9 pt (Body once there are rows).
 */
export function writeTable(page: PdfPages, columns: readonly TableColumn[], rows: Iterable<readonly string[]>, left: number, width: number): void {
  const widths = columnWidths(columns, width);
  const place = (wrapped: string[][], height: number) => {
    const y = page.y;
    let x = left;
    wrapped.forEach((lines, i) => {
      page.lines(lines, x, y, widths[i], columns[i].align);
      x += widths[i] + 6;
    });
    page.y = y + height + 4;
  };
  const header = () => {
    const { wrapped, height } = tableRow(page, columns.map((c) => c.title), widths, 'Bold');
    if (page.y + height > PAGE_HEIGHT - MARGIN - TABLE_FOOT) page.addPage();
    place(wrapped, height);
    tableRule(page, left, width);
  };
  header();
  for (const cells of rows) {
    const { wrapped, height } = tableRow(page, cells, widths, 'Body');
    if (page.y + height > PAGE_HEIGHT - MARGIN - TABLE_FOOT) {
      // The columns' titles again at the top of the new page, so that its rows read on their own.
      page.addPage();
      header();
      page.setFont('Body', 9);
    }
    place(wrapped, height);
  }
}

/** The thin grey rule under a table's header (and under an invoice's lines), 2 pt above `y`; `y` then 2 pt lower. */
export function tableRule(page: PdfPages, left: number, width: number): void {
  page.rule(left, left + width, page.y - 2, 0.5, '#999999');
  page.y += 2;
}

/**
 * The height a table's start needs from `y` on its page: its header, its rule and its first row, and the gap its rows
 * keep above the bottom margin (what a heading keeps on its page with it). Sets the font as the table does.
 */
export function tableStartHeight(page: PdfPages, columns: readonly TableColumn[], firstRow: readonly string[] | undefined, width: number): number {
  const widths = columnWidths(columns, width);
  const header = tableRow(page, columns.map((c) => c.title), widths, 'Bold').height;
  const first = firstRow ? tableRow(page, firstRow, widths, 'Body').height : 0;
  return header + 4 + 2 + first + TABLE_FOOT;
}

export async function renderInvoicePdf(doc: InvoiceDocument): Promise<RenderedInvoice> {
  const xml = facturXXml(doc);
  const issued = new Date(`${doc.issueDate}T00:00:00.000Z`);
  const title = `${doc.kind === 'credit-note' ? 'Avoir' : 'Facture'} ${doc.number}`;
  // Written by the fixed-layout writer, not pdfkit (decision 48): the layout pdfkit's code had (margins, fonts, sizes,
  // colours, the table's columns), at a third of the CPU.
  const page = new PdfPages(MARGIN);

  const franchise = doc.vatMode === 'franchise';
  const { seller, buyer } = doc;
  const width = PAGE_WIDTH - 2 * MARGIN;
  const left = MARGIN;
  const half = width / 2 - 10;
  const right = MARGIN + width / 2 + 10;

  // Header: the activity's trade name, and the document's identity.
  const top = page.y;
  page.setFont('Bold', 18).setFill(ACCENT).text(seller.tradeName, left, top, half);
  page.setFont('Body', 9).setFill(GREY).text(`Activité « ${seller.activityName} » portée par ${seller.name}`, left, undefined, half);
  const afterBrand = page.y;
  page.setFont('Bold', 18).setFill(BLACK).text(doc.kind === 'credit-note' ? 'AVOIR' : 'FACTURE', right, top, half, 'right');
  page.setFont('Body', 10);
  const facts = [`N° ${doc.number}`, `Date d'émission : ${formatFrenchDate(doc.issueDate)}`];
  facts.push(
    doc.servicePeriod.start === doc.servicePeriod.end
      ? `Date de la prestation : ${formatFrenchDate(doc.servicePeriod.start)}`
      : `Prestations du ${formatFrenchDate(doc.servicePeriod.start)} au ${formatFrenchDate(doc.servicePeriod.end)}`,
  );
  if (doc.dueDate) facts.push(`Date d'échéance : ${formatFrenchDate(doc.dueDate)}`);
  for (const fact of facts) page.text(fact, right, undefined, half, 'right');
  page.y = Math.max(afterBrand, page.y) + 16;

  // Parties.
  const partiesTop = page.y;
  const block = (x: number, heading: string, name: string, lines: string[]) => {
    page.setFont('Bold', 8).setFill(GREY).text(heading.toUpperCase(), x, partiesTop, half);
    page.setFont('Bold', 10).setFill(BLACK).text(name, x, page.y + 2, half);
    page.setFont('Body', 9);
    for (const line of lines) page.text(line, x, undefined, half);
    return page.y;
  };
  const sellerLines = [
    seller.legalForm,
    seller.address.line1,
    ...(seller.address.line2 ? [seller.address.line2] : []),
    `${seller.address.postalCode} ${seller.address.city}`,
    `SIREN ${formatSiren(seller.siren)} - ${seller.rcs}`,
    franchise ? 'Franchise en base de TVA' : `N° TVA intracommunautaire : ${seller.vatNumber ?? ''}`,
    `Enseigne : ${seller.tradeName}`,
    `${seller.email} - ${seller.phone}`,
  ];
  const buyerLines = [
    ...(buyer.kind === 'business' ? [] : [CUSTOMER_KIND_LABELS.individual]),
    buyer.address.line1,
    ...(buyer.address.line2 ? [buyer.address.line2] : []),
    `${buyer.address.postalCode} ${buyer.address.city}${buyer.address.countryCode === 'FR' ? '' : ` (${buyer.address.countryCode})`}`,
    ...(buyer.siren ? [`SIREN ${formatSiren(buyer.siren)}`] : []),
    ...(buyer.siret ? [`SIRET ${buyer.siret}`] : []),
    ...(buyer.vatNumber ? [`N° TVA intracommunautaire : ${buyer.vatNumber}`] : []),
    buyer.email,
  ];
  const sellerBottom = block(left, 'Vendeur', seller.name, sellerLines);
  const buyerBottom = block(right, 'Client', buyer.name, buyerLines);
  page.y = Math.max(sellerBottom, buyerBottom) + 14;

  if (doc.cancels) {
    page.setFont('Bold', 10).setFill(ACCENT).text(`Avoir annulant la facture n° ${doc.cancels.number} du ${formatFrenchDate(doc.cancels.issueDate)}.`, left, undefined, width);
    page.setFill(BLACK).moveDown(0.6);
  }

  // Lines.
  // The same columns with or without VAT, except that under the franchise no price says HT and no VAT column exists.
  const columns: TableColumn[] = [
    { title: 'Date', width: 58, align: 'left' },
    { title: 'Désignation', width: 0, align: 'left' },
    { title: 'Qté', width: 36, align: 'right' },
    { title: 'Unité', width: 44, align: 'left' },
    { title: franchise ? 'Prix unitaire' : 'PU HT', width: 68, align: 'right' },
    ...(franchise ? [] : [{ title: 'TVA', width: 40, align: 'right' } as const]),
    { title: franchise ? 'Montant' : 'Total HT', width: 72, align: 'right' },
  ];
  writeTable(
    page,
    columns,
    doc.lines.map((line) => {
      const cells = [formatFrenchDate(line.serviceDate), line.description, formatQuantity(line.quantityHundredths), priceUnitLabel(line.unit), formatEuros(line.unitPriceCents)];
      if (!franchise) cells.push(line.vatRateBps === null ? '-' : formatBps(line.vatRateBps));
      cells.push(formatEuros(line.netCents));
      return cells;
    }),
    left,
    width,
  );
  tableRule(page, left, width);

  // Totals.
  const totalLines: Array<[string, string, boolean]> = [];
  const { totals } = doc;
  if (franchise) {
    totalLines.push(['Total', formatEuros(totals.netCents), false]);
  } else {
    for (const rate of totals.perRate) {
      const label = rate.category === 'S' ? `TVA ${formatBps(rate.vatRateBps)}` : 'TVA 0 %';
      totalLines.push([`Total HT soumis à ${label}`, formatEuros(rate.baseCents), false]);
      totalLines.push([`Montant ${label}`, formatEuros(rate.vatCents), false]);
    }
    totalLines.push(['Total HT', formatEuros(totals.netCents), false], ['Total TVA', formatEuros(totals.vatCents), false], ['Total TTC', formatEuros(totals.grossCents), false]);
  }
  totalLines.push([doc.kind === 'credit-note' ? "Montant de l'avoir" : 'Net à payer', formatEuros(totals.grossCents), true]);
  if (page.y + totalLines.length * 14 > PAGE_HEIGHT - MARGIN) page.addPage();
  const labelWidth = 200;
  const amountWidth = 90;
  const labelX = left + width - labelWidth - amountWidth;
  for (const [label, value, strong] of totalLines) {
    const y = page.y;
    page.setFont(strong ? 'Bold' : 'Body', strong ? 11 : 9.5);
    page.text(label, labelX, y, labelWidth, 'right');
    page.text(value, labelX + labelWidth, y, amountWidth, 'right');
    page.y = y + (strong ? 16 : 13);
  }
  if (franchise) page.setFont('Bold', 9.5).text(FRANCHISE_MENTION, left, page.y + 2, width, 'right');
  page.moveDown(1);

  // Payment.
  const paymentText =
    doc.kind === 'invoice' && doc.dueDate
      ? [
          paymentTermsText(doc.dueDate, doc.paymentTermsDays),
          `Règlement par virement à ${seller.name} : IBAN ${groupedIban(seller.bank.iban)} - BIC ${seller.bank.bic}, en indiquant le n° ${doc.number}.`,
          ...paymentMentions(buyer.kind),
        ]
      : ['Cet avoir est remboursé ou imputé sur une prochaine facture.'];
  page.setFont('Bold', 10).setFill(ACCENT).text(doc.kind === 'invoice' ? 'Conditions de paiement' : 'Règlement', left, undefined, width);
  page.setFont('Body', 8.5).setFill(BLACK);
  for (const text of paymentText) page.text(text, left, page.y + 1, width);
  page.moveDown(0.8);
  page.setFont('Body', 7.5).setFill(GREY);
  page.text(`Nature de l'opération : prestations de services. ${seller.name}, ${seller.legalForm}, ${addressOneLine(seller.address)}, SIREN ${formatSiren(seller.siren)} - ${seller.rcs}.`, left, undefined, width);
  page.text(`Les données de ce document sont jointes au format Factur-X (${FACTUR_X_FILE_NAME}, profil EN 16931).`, left, undefined, width);

  // Factur-X: the XML as the PDF/A-3 associated file, declared in the XMP.
  const pdf = writePdfA({
    title,
    date: issued,
    lang: 'fr-FR',
    pages: page,
    attachment: {
      name: FACTUR_X_FILE_NAME,
      data: Buffer.from(xml, 'utf8'),
      mimeType: 'text/xml',
      // EN 16931 holds the whole invoice: the XML is an equivalent form of it (MINIMUM and BASIC WL would be Data).
      relationship: 'Alternative',
      description: 'Factur-X',
    },
    xmp: facturXXmp(),
  });
  return { pdf, xml };
}
