import { formatEuros } from '../money.js';
import { formatFrenchDate } from '../time.js';
import { monthLabel, ofMonth, type StatementKeyFigures } from '../invoicing/statement.js';
import { LINK_PLACEHOLDERS } from '../personal-links.js';

/**
 * The messages of the monthly invoicing (issue 11), merged into the catalogue: the invoice (and a credit note) to the
 * activity's customer with its PDF attached, and the member's monthly statement (its key figures and their link to it).
 * They are the ones whose role template says `attachments: true`: the outbox refuses files on any other message.
 */

interface EmailText {
  subject: string;
  body: string;
}

export const INVOICING_MESSAGE_KINDS = ['invoice-issued', 'credit-note-issued', 'monthly-statement', 'invoice-first-reminder', 'invoice-second-reminder', 'invoice-held'] as const;

/** What an invoice's e-mail names; amounts in cents, dates `YYYY-MM-DD` (Paris). */
export interface InvoiceMessageVars {
  /** The customer as invoiced: "Mme Martin", "Boulangerie Dupont SARL". */
  customerName: string;
  /** The activity's trade name (enseigne), under which the member works for the customer. */
  activityName: string;
  /** `2027-000123`. */
  invoiceNumber: string;
  issueDate: string;
  dueDate: string;
  /** Total to pay, VAT included. */
  grossCents: number;
}

/** A reminder of an unpaid invoice (due + 7, due + 30 days): what is left to pay after the payments received. */
export interface ReminderMessageVars extends InvoiceMessageVars {
  paidCents: number;
  outstandingCents: number;
  /** A business customer owes the late penalties and the 40 € recovery indemnity (C. com. L441-10, D441-5). */
  business: boolean;
}

export interface CreditNoteMessageVars {
  customerName: string;
  activityName: string;
  creditNoteNumber: string;
  /** The number of the invoice it cancels. */
  invoiceNumber: string;
  grossCents: number;
}

/**
 * A member's month: its key figures in cents (`statementKeyFigures`, shared/domain/invoicing/statement.ts), the month
 * `YYYY-MM`. The statement itself, and its PDF, are in their space: the e-mail carries their personal link to it.
 */
export interface StatementMessageVars extends StatementKeyFigures {
  youngFirstName: string;
  /** The member's referral reference, as every message to the young person quotes it. */
  reference: string;
  activityName: string;
  month: string;
  /** A collective activity: what is left is their even share of the result, shown for information. */
  collective: boolean;
  /** How long the personal link opens their space (the stage's setting). */
  validDays: number;
}

/** "il reste 80,00 € à régler (20,00 € déjà reçus)", or the whole amount when nothing was paid. */
const leftToPay = (v: ReminderMessageVars) =>
  v.paidCents > 0 ? `il reste ${formatEuros(v.outstandingCents)} à régler sur ${formatEuros(v.grossCents)} (${formatEuros(v.paidCents)} déjà reçus)` : `son montant de ${formatEuros(v.outstandingCents)} reste à régler`;
const invoiceOf = (v: ReminderMessageVars) => `la facture n° ${v.invoiceNumber} du ${formatFrenchDate(v.issueDate)} (« ${v.activityName} »), arrivée à échéance le ${formatFrenchDate(v.dueDate)}`;
const alreadyPaid = "Si vous l'avez réglée entre-temps, merci de ne pas tenir compte de ce message.";
/** An invoice staff held at the month's validation, as its activity's members hear of it. */
export interface InvoiceHeldVars {
  youngFirstName: string;
  reference: string;
  activityName: string;
  customerName: string;
  month: string;
  /** What staff wrote: what to correct before the invoice goes. */
  reason: string;
}


/** The templates, with the catalogue's signature. */
export function invoicingTemplates(signature: string) {
  return {
    // An invoice must reach its customer: it goes even to an address that complained, and is never held as a repeat
    // (a customer of several activities gets several invoices the same morning).
    'invoice-issued': {
      customer: {
        mandatory: true,
        attachments: true,
        email: (v: InvoiceMessageVars): EmailText => ({
          subject: `Facture ${v.invoiceNumber} - ${v.activityName}`,
          body: `Bonjour ${v.customerName},\n\nVeuillez trouver ci-joint la facture n° ${v.invoiceNumber} du ${formatFrenchDate(v.issueDate)} pour les prestations de « ${v.activityName} », d'un montant de ${formatEuros(v.grossCents)}, à régler avant le ${formatFrenchDate(v.dueDate)}.\n\n« ${v.activityName} » est une activité portée par la coopérative CoopConnexion, qui vous la facture.\n\nMerci de votre confiance.${signature}`,
        }),
      },
    },
    'credit-note-issued': {
      customer: {
        mandatory: true,
        attachments: true,
        email: (v: CreditNoteMessageVars): EmailText => ({
          subject: `Avoir ${v.creditNoteNumber} - ${v.activityName}`,
          body: `Bonjour ${v.customerName},\n\nVeuillez trouver ci-joint l'avoir n° ${v.creditNoteNumber}, d'un montant de ${formatEuros(v.grossCents)}, qui annule la facture n° ${v.invoiceNumber} (« ${v.activityName} »).${signature}`,
        }),
      },
    },
    // Reminders of an unpaid invoice go like the invoice: mandatory (a debt is not marketing), its PDF attached again.
    'invoice-first-reminder': {
      customer: {
        mandatory: true,
        attachments: true,
        email: (v: ReminderMessageVars): EmailText => ({
          subject: `Rappel : facture ${v.invoiceNumber} - ${v.activityName}`,
          body: `Bonjour ${v.customerName},\n\nSauf erreur de notre part, ${invoiceOf(v)} n'est pas encore réglée : ${leftToPay(v)}.\n\nVous la trouverez ci-jointe avec ses modalités de règlement. ${alreadyPaid}${signature}`,
        }),
      },
    },
    'invoice-second-reminder': {
      customer: {
        mandatory: true,
        attachments: true,
        email: (v: ReminderMessageVars): EmailText => ({
          subject: `Second rappel : facture ${v.invoiceNumber} - ${v.activityName}`,
          body: `Bonjour ${v.customerName},\n\nMalgré notre premier rappel, ${invoiceOf(v)} n'est toujours pas réglée : ${leftToPay(v)}.\n\nMerci de procéder au règlement dans les meilleurs délais, selon les modalités de la facture ci-jointe, ou de nous répondre si elle pose une question.${
            v.business ? ' Conformément à l’article L441-10 du Code de commerce, des pénalités de retard et une indemnité forfaitaire de 40 € pour frais de recouvrement sont exigibles.' : ''
          }\n\n${alreadyPaid}${signature}`,
        }),
      },
    },
    // The members hear why one of their month's invoices did not go, and what to do (their declarations).
    'invoice-held': {
      young: {
        mandatory: false,
        email: (v: InvoiceHeldVars): EmailText => ({
          subject: `Facture ${ofMonth(monthLabel(v.month))} mise en attente : ${v.activityName}`,
          body: `Bonjour ${v.youngFirstName},\n\nLa facture ${ofMonth(monthLabel(v.month))} de l'activité « ${v.activityName} » pour ${v.customerName} n'a pas été envoyée : l'équipe l'a mise en attente.\n\nPourquoi : ${v.reason}\n\nL'équipe vous dira quand la corriger ou l'envoyer. Les autres factures du mois sont parties normalement.\n\nRéférence : ${v.reference}${signature}`,
        }),
      },
    },
    // The statement is in the member's space, as a bank's or a public service's ("votre relevé est disponible dans
    // votre espace"): the e-mail gives the month's key figures and the personal link, never the PDF (decision 35).
    // `attachments: true` is kept for the e-mails written before, with their PDF: a re-send after a contact fix copies
    // their files.
    'monthly-statement': {
      young: {
        mandatory: false,
        attachments: true,
        email: (v: StatementMessageVars): EmailText => ({
          subject: `Votre relevé ${ofMonth(monthLabel(v.month))} : ${v.activityName}`,
          body: `Bonjour ${v.youngFirstName},\n\nVotre relevé ${ofMonth(monthLabel(v.month))} pour l'activité « ${v.activityName} » est disponible dans votre espace.\n\nLes chiffres du mois :\n- facturé à vos clients (avoirs déduits) : ${formatEuros(v.invoicedExclVatCents)} HT, ${formatEuros(v.invoicedInclVatCents)} TTC\n- paiements reçus : ${formatEuros(v.receivedCents)}\n${(v.refundedCents ?? 0) > 0 ? `- remboursé à vos clients : ${formatEuros(v.refundedCents!)}\n` : ''}- contribution de la coopérative : ${formatEuros(v.contributionCents)}\n- ${
            v.collective ? 'votre part du résultat (partage égal, indicatif)' : 'ce qui vous reste'
          } : ${formatEuros(v.leftCents)}\n\nLe détail (factures, avoirs, paiements) et le relevé en PDF sont dans votre espace, avec votre lien personnel :\n${LINK_PLACEHOLDERS['young-person']}\n\nCe lien est personnel : ne le transmettez à personne. Il est valable ${v.validDays} jour${v.validDays > 1 ? 's' : ''} ; ensuite, la page vous proposera d'en recevoir un nouveau.\n\nRéférence : ${v.reference}${signature}`,
        }),
      },
    },
  } as const;
}
