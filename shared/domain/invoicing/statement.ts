import { formatEuros } from '../money.js';
import { formatFrenchDate } from '../time.js';
import { formatBps } from '../activities.js';
import { monthContribution, revenueExclVatCents, type ContributionResult } from './contribution.js';
import { monthLabel, ofMonth } from './month-names.js';

export { monthLabel, ofMonth } from './month-names.js';

/**
 * A young person's monthly statement for one activity: the month's invoices and credit notes, the payments received
 * during the month and the refunds given back to customers in it, the cooperative's contribution, and what is left for
 * them (the revenue excluding VAT less the contribution; for a collective activity, their even share of the collective
 * result). VAT is collected for the State and never counts as theirs. Its key figures are e-mailed; the whole statement
 * and its PDF are in their space.
 *
 * A refund (decision 54) is money going back to a customer after a credit note cancelled their invoice: shown beside
 * the payments, and taken off them in what the activity received net. It changes neither the revenue, nor the
 * contribution, nor what is left: those are counted on what is invoiced (invoices less credit notes), and the credit
 * note already took the cancelled invoice off in its own month; the refund only settles what the credit note made owed.
 */

export interface StatementDocument {
  invoiceId: string;
  /** `2027-000123`. */
  number: string;
  kind: 'invoice' | 'credit-note';
  issueDate: string;
  customerName: string;
  netCents: number;
  vatCents: number;
  grossCents: number;
}

export interface StatementPayment {
  invoiceNumber: string;
  /** YYYY-MM-DD. */
  date: string;
  amountCents: number;
  /** As a person reads it: "virement", "chèque", "espèces". */
  meansLabel: string;
}

/** Money given back to a customer whose invoice a credit note cancelled (decision 54). */
export interface StatementRefund {
  /** The credit note it settles, and the invoice that credit note cancelled. */
  creditNoteNumber: string;
  invoiceNumber: string;
  /** YYYY-MM-DD. */
  date: string;
  amountCents: number;
  meansLabel: string;
}

export interface StatementInput {
  /** YYYY-MM. */
  month: string;
  activity: { activityId: string; name: string; tradeName: string; shape: 'personal' | 'collective' };
  documents: readonly StatementDocument[];
  /** Payments received during the month, whatever the month of their invoice. */
  payments: readonly StatementPayment[];
  /** Refunds given back during the month, whatever the month of their invoice. */
  refunds?: readonly StatementRefund[];
  rateBps: number;
  /** Collective activities: the members in their order (the remainder cents of the split go to the first ones). */
  collectiveMemberIds?: readonly string[];
  /** Whose statement it is, for a collective activity: their share is what is left for them (without it: the whole result). */
  memberId?: string;
}

export interface MonthlyStatement {
  month: string;
  activity: StatementInput['activity'];
  documents: StatementDocument[];
  payments: StatementPayment[];
  /** Invoices' net total, credit notes' net total (positive), and the revenue: the first less the second. */
  invoicedNetCents: number;
  creditedNetCents: number;
  revenueExclVatCents: number;
  /** VAT invoiced less VAT credited (0 under the franchise). */
  vatCents: number;
  paymentsReceivedCents: number;
  /**
   * The refunds of the month and their total: what went back to customers, out of what they had paid (decision 54).
   * Absent from statements issued before it (none then).
   */
  refunds?: StatementRefund[];
  refundedCents?: number;
  contribution: ContributionResult;
  /**
   * What is left for this young person after the contribution (their share for a collective activity): counted on what
   * was invoiced, so a refund, which settles a credit note already counted, leaves it as it is.
   */
  leftCents: number;
}

export function monthlyStatement(input: StatementInput): MonthlyStatement {
  const documents = [...input.documents].sort((a, b) => a.number.localeCompare(b.number));
  const payments = [...input.payments].sort((a, b) => a.date.localeCompare(b.date) || a.invoiceNumber.localeCompare(b.invoiceNumber));
  const refunds = [...(input.refunds ?? [])].sort((a, b) => a.date.localeCompare(b.date) || a.creditNoteNumber.localeCompare(b.creditNoteNumber));
  const sum = (kind: StatementDocument['kind'], pick: (doc: StatementDocument) => number) => documents.filter((doc) => doc.kind === kind).reduce((total, doc) => total + pick(doc), 0);
  const revenue = revenueExclVatCents(documents);
  const collective = input.activity.shape === 'collective';
  const contribution = monthContribution({ revenueExclVatCents: revenue, rateBps: input.rateBps, collectiveMemberIds: collective ? (input.collectiveMemberIds ?? []) : undefined });
  const share = contribution.shares?.find((s) => s.memberId === input.memberId);
  return {
    month: input.month,
    activity: input.activity,
    documents,
    payments,
    invoicedNetCents: sum('invoice', (doc) => doc.netCents),
    creditedNetCents: sum('credit-note', (doc) => doc.netCents),
    revenueExclVatCents: revenue,
    vatCents: sum('invoice', (doc) => doc.vatCents) - sum('credit-note', (doc) => doc.vatCents),
    paymentsReceivedCents: payments.reduce((total, p) => total + p.amountCents, 0),
    refunds,
    refundedCents: refunds.reduce((total, r) => total + r.amountCents, 0),
    contribution,
    leftCents: collective && input.memberId !== undefined ? (share?.cents ?? 0) : contribution.resultCents,
  };
}

/**
 * One member's copy of an activity's statement: what is left for them. Its PDF is rendered from the record the first
 * time it is opened (decision 35), under `statementPdfKey`; a record issued before that names the PDF stored at issue.
 */
export interface StatementMemberCopy {
  personId: string;
  referralId: string;
  /** Display name, as printed on the PDF (theirs, and the split's list for a collective activity). */
  name: string;
  /** What is left for them: the result of a personal activity, their even share of a collective one. */
  leftCents: number;
  /** Records issued before decision 35 only: `statements/<month>/<activityId>/<referralId>-<sha256 prefix>.pdf`, the file sent. */
  pdfKey?: string;
  /** Records issued before decision 35 only: hex SHA-256 of that PDF's bytes. */
  sha256?: string;
}

/**
 * An activity's statement of a month, as stored once issued (shared/data/invoicing/statements.ts); never rewritten. It
 * holds everything its PDFs show, so that a PDF rendered months later shows what was issued.
 */
export interface StatementRecord {
  activityId: string;
  month: string;
  /** The figures; for a collective activity `leftCents` is the whole result and `contribution.shares` the split. */
  statement: MonthlyStatement;
  /** In the order of the split (the order they joined). */
  members: StatementMemberCopy[];
  issuedAt: string;
  /**
   * The cooperative that carries the activity, as named on the PDF at issue (a stage setting that may change later).
   * Absent from records issued before decision 35, whose PDFs were stored at issue.
   */
  cooperativeName?: string;
}

/** A member's statement as their space lists it: their copy of an activity's record (`listStatementsOfPerson`). */
export interface PersonStatementLink {
  personId: string;
  referralId: string;
  activityId: string;
  month: string;
  activityName: string;
  revenueExclVatCents: number;
  paymentsReceivedCents: number;
  contributionCents: number;
  leftCents: number;
  /** Records issued before decision 35 only (the PDF stored at issue). */
  pdfKey?: string;
  issuedAt: string;
}

/**
 * Where a member's statement PDF is kept once first opened: one key per activity, month and member, known from the
 * record alone, so that the first reader's conditional put decides which bytes every later reader gets.
 */
export const statementPdfKey = (month: string, activityId: string, referralId: string) => `statements/${month}/${activityId}/${referralId}.pdf`;

/**
 * The page of the member's space that shows an activity's month and its statement: "Ma facturation" opened on that
 * activity and month (the personal link's token goes after it, in the fragment).
 */
export const statementPage = (activityId: string, month: string) => `/ma-facturation?activite=${encodeURIComponent(activityId)}&mois=${month}`;

/** The statement as one member reads it: the activity's figures, and what is left for them (their share, for a collective). */
export function memberStatement(record: Pick<StatementRecord, 'statement'>, copy: Pick<StatementMemberCopy, 'leftCents'>): MonthlyStatement {
  return { ...record.statement, leftCents: copy.leftCents };
}

/** The month's key figures as the e-mail gives them, from a member's statement. */
export interface StatementKeyFigures {
  /** Invoiced less credited, excluding VAT: the statement's revenue. */
  invoicedExclVatCents: number;
  /** The same with the VAT invoiced less the VAT credited (equal under the franchise). */
  invoicedInclVatCents: number;
  receivedCents: number;
  /** Given back to customers in the month (decision 54); 0 or absent: none, and the e-mail says nothing of refunds. */
  refundedCents?: number;
  contributionCents: number;
  leftCents: number;
}

export function statementKeyFigures(statement: MonthlyStatement): StatementKeyFigures {
  return {
    invoicedExclVatCents: statement.revenueExclVatCents,
    invoicedInclVatCents: statement.revenueExclVatCents + statement.vatCents,
    receivedCents: statement.paymentsReceivedCents,
    refundedCents: statement.refundedCents ?? 0,
    contributionCents: statement.contribution.contributionCents,
    leftCents: statement.leftCents,
  };
}

/** "releve-2027-03.pdf": the name a member's statement is sent under. */
export const statementFileName = (month: string) => `releve-${month}.pdf`;

/** The statement as lines of French text, for the e-mail and the page. */
export function statementLines(statement: MonthlyStatement): string[] {
  const lines = [`Relevé ${ofMonth(monthLabel(statement.month))} - ${statement.activity.tradeName} (${statement.activity.name})`, ''];
  lines.push(statement.documents.length === 0 ? 'Aucune facture ce mois-ci.' : 'Factures et avoirs du mois :');
  for (const doc of statement.documents) {
    const label = doc.kind === 'credit-note' ? 'Avoir' : 'Facture';
    const sign = doc.kind === 'credit-note' ? -1 : 1;
    lines.push(`- ${label} n° ${doc.number} du ${formatFrenchDate(doc.issueDate)}, ${doc.customerName} : ${formatEuros(sign * doc.netCents)} HT`);
  }
  lines.push('', `Chiffre d'affaires hors taxes : ${formatEuros(statement.revenueExclVatCents)}`);
  if (statement.vatCents !== 0) lines.push(`TVA collectée (reversée à l'État) : ${formatEuros(statement.vatCents)}`);
  lines.push(`Paiements reçus ce mois-ci : ${formatEuros(statement.paymentsReceivedCents)}`);
  for (const p of statement.payments) lines.push(`- ${formatFrenchDate(p.date)}, facture n° ${p.invoiceNumber}, ${p.meansLabel} : ${formatEuros(p.amountCents)}`);
  const refunded = statement.refundedCents ?? 0;
  if (refunded > 0) {
    lines.push(`Remboursé à vos clients ce mois-ci : ${formatEuros(refunded)}`);
    for (const r of statement.refunds ?? []) lines.push(`- ${formatFrenchDate(r.date)}, avoir n° ${r.creditNoteNumber} (facture n° ${r.invoiceNumber}), ${r.meansLabel} : ${formatEuros(r.amountCents)}`);
    lines.push(`Encaissé net ce mois-ci : ${formatEuros(statement.paymentsReceivedCents - refunded)}`);
  }
  const { contribution } = statement;
  lines.push(`Contribution de la coopérative (${formatBps(contribution.rateBps)}) : ${formatEuros(contribution.contributionCents)}`);
  if (contribution.shares) {
    lines.push(`Résultat de l'entreprise collective : ${formatEuros(contribution.resultCents)}, soit ${formatEuros(statement.leftCents)} pour vous en partage égal entre ${contribution.shares.length} membre${contribution.shares.length > 1 ? 's' : ''} (indicatif).`);
  } else {
    lines.push(`Ce qui vous reste : ${formatEuros(statement.leftCents)}`);
  }
  return lines;
}
