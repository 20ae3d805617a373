import { formatBps } from '../activities.js';
import type { InvoiceTotals } from './amounts.js';

/**
 * The accounting export for the cooperative's accountant: the month's invoices, credit notes and payments as journal
 * entries in the columns of the French FEC (Fichier des écritures comptables, LPF A47 A-1), `;`-separated, amounts
 * with a decimal comma. Sales go to the `VT` journal (customer 411 debited incl. VAT, sales 706 credited excl. VAT,
 * collected VAT 44571 credited per rate); a credit note is the same entry reversed; payments go to the `BQ` journal
 * (bank 512 debited, customer 411 credited), and a refund of a cancelled invoice's payments is a payment reversed in
 * the same journal (customer 411 debited, bank 512 credited: the credit note left the customer owed that money, the
 * refund settles it; decision 54). Every entry balances.
 */

export const FEC_COLUMNS = [
  'JournalCode', 'JournalLib', 'EcritureNum', 'EcritureDate', 'CompteNum', 'CompteLib', 'CompAuxNum', 'CompAuxLib', 'PieceRef',
  'PieceDate', 'EcritureLib', 'Debit', 'Credit', 'EcritureLet', 'DateLet', 'ValidDate', 'Montantdevise', 'Idevise',
] as const;
export type FecColumn = (typeof FEC_COLUMNS)[number];
export type FecRow = Record<FecColumn, string>;

export const FEC_ACCOUNTS = {
  customers: { num: '411000', lib: 'Clients' },
  sales: { num: '706000', lib: 'Prestations de services' },
  vat: { num: '445710', lib: 'TVA collectée' },
  bank: { num: '512000', lib: 'Banque' },
} as const;

const JOURNALS = { VT: 'Ventes', BQ: 'Banque' } as const;

export interface FecDocument {
  kind: 'invoice' | 'credit-note';
  /** `2027-000123`. */
  number: string;
  issueDate: string;
  /** The customer's auxiliary account (a stable id), and their name. */
  customerAccount: string;
  customerName: string;
  totals: InvoiceTotals;
}

export interface FecPayment {
  paymentId: string;
  invoiceNumber: string;
  date: string;
  amountCents: number;
  customerAccount: string;
  customerName: string;
  /** As the accountant reads it: "virement", "chèque". */
  meansLabel: string;
}

/** Money given back to the customer of a cancelled invoice (decision 54). */
export interface FecRefund extends Omit<FecPayment, 'paymentId'> {
  refundId: string;
  /** The credit note the refund settles (its piece); `invoiceNumber` is the invoice it cancelled. */
  creditNoteNumber: string;
}

/** 12345 -> "123,45"; FEC amounts carry a decimal comma and no thousands separator. */
export function fecAmount(cents: number): string {
  const abs = Math.abs(cents);
  return `${cents < 0 ? '-' : ''}${Math.floor(abs / 100)},${String(abs % 100).padStart(2, '0')}`;
}

/** YYYY-MM-DD -> YYYYMMDD. */
const fecDate = (isoDate: string) => isoDate.replaceAll('-', '');

/**
 * The separator and line breaks cannot appear inside a field: replaced by spaces. A text a spreadsheet would take for
 * a formula (starting with =, +, -, @) is given a leading apostrophe, as OWASP advises for CSV files: the accountant
 * opens this file in a spreadsheet, and a customer's name is typed by the public.
 */
const field = (value: string) => {
  const text = value.replace(/[;\r\n\t]+/g, ' ').replace(/ {2,}/g, ' ').trim();
  return /^[=+\-@]/.test(text) ? `'${text}` : text;
};

/**
 * The journal lines of the month: sales entries in the order of their numbers, then the bank's by date (payments and
 * refunds together, in the order the money moved); entries are numbered in one continuous sequence per journal
 * (VT000001, BQ000001...).
 */
export function fecRows(input: { documents: readonly FecDocument[]; payments: readonly FecPayment[]; refunds?: readonly FecRefund[] }): FecRow[] {
  const rows: FecRow[] = [];
  const documents = [...input.documents].sort((a, b) => a.number.localeCompare(b.number));
  documents.forEach((doc, index) => {
    const entry = entryOf('VT', index + 1, doc.issueDate, doc.number, doc.issueDate);
    const label = `${doc.kind === 'credit-note' ? 'Avoir' : 'Facture'} ${doc.number} ${doc.customerName}`;
    // An invoice debits the customer; a credit note credits them: the same lines on the other side.
    const side = (cents: number, debitWhenInvoice: boolean) => (debitWhenInvoice === (doc.kind === 'invoice') ? { debit: cents, credit: 0 } : { debit: 0, credit: cents });
    rows.push(entry({ account: FEC_ACCOUNTS.customers, aux: doc, label, ...side(doc.totals.grossCents, true) }));
    for (const group of doc.totals.perRate) {
      const rateLabel = group.category === 'E' ? ' (TVA non applicable)' : ` (TVA ${formatBps(group.vatRateBps)})`;
      rows.push(entry({ account: FEC_ACCOUNTS.sales, label: label + rateLabel, ...side(group.baseCents, false) }));
      if (group.vatCents !== 0) rows.push(entry({ account: FEC_ACCOUNTS.vat, label: label + rateLabel, ...side(group.vatCents, false) }));
    }
  });
  // A payment: the bank debited, the customer credited; a refund: the same lines on the other side. Its piece is the
  // credit note it settles, as a payment's is the invoice.
  const bank = [
    ...input.payments.map((p) => ({ id: p.paymentId, piece: p.invoiceNumber, date: p.date, cents: p.amountCents, aux: p, refund: false, label: `Règlement ${p.meansLabel} facture ${p.invoiceNumber} ${p.customerName}` })),
    ...(input.refunds ?? []).map((r) => ({ id: r.refundId, piece: r.creditNoteNumber, date: r.date, cents: r.amountCents, aux: r, refund: true, label: `Remboursement ${r.meansLabel} avoir ${r.creditNoteNumber} (facture ${r.invoiceNumber}) ${r.customerName}` })),
  ].sort((a, b) => a.date.localeCompare(b.date) || a.piece.localeCompare(b.piece) || a.id.localeCompare(b.id));
  bank.forEach((move, index) => {
    const entry = entryOf('BQ', index + 1, move.date, move.piece, move.date);
    rows.push(entry({ account: FEC_ACCOUNTS.bank, label: move.label, debit: move.refund ? 0 : move.cents, credit: move.refund ? move.cents : 0 }));
    rows.push(entry({ account: FEC_ACCOUNTS.customers, aux: move.aux, label: move.label, debit: move.refund ? move.cents : 0, credit: move.refund ? 0 : move.cents }));
  });
  return rows;
}

interface EntryLine {
  account: { num: string; lib: string };
  aux?: { customerAccount: string; customerName: string };
  label: string;
  debit: number;
  credit: number;
}

function entryOf(journal: keyof typeof JOURNALS, sequence: number, date: string, pieceRef: string, pieceDate: string) {
  return (line: EntryLine): FecRow => ({
    JournalCode: journal,
    JournalLib: JOURNALS[journal],
    EcritureNum: `${journal}${String(sequence).padStart(6, '0')}`,
    EcritureDate: fecDate(date),
    CompteNum: line.account.num,
    CompteLib: line.account.lib,
    CompAuxNum: line.aux ? field(line.aux.customerAccount) : '',
    CompAuxLib: line.aux ? field(line.aux.customerName) : '',
    PieceRef: field(pieceRef),
    PieceDate: fecDate(pieceDate),
    EcritureLib: field(line.label),
    Debit: fecAmount(line.debit),
    Credit: fecAmount(line.credit),
    EcritureLet: '',
    DateLet: '',
    ValidDate: fecDate(date),
    Montantdevise: '',
    Idevise: '',
  });
}

/** The rows as the CSV file: the header line, then one line per row, CRLF line ends. */
export function fecCsv(rows: readonly FecRow[]): string {
  return [FEC_COLUMNS.join(';'), ...rows.map((row) => FEC_COLUMNS.map((column) => row[column]).join(';'))].join('\r\n') + '\r\n';
}
