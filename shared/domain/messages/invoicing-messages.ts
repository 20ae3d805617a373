import { formatEuros } from '../money.js';
import { formatFrenchDate } from '../time.js';

/**
 * The messages of the monthly invoicing (issue 11), merged into the catalogue: the invoice (and a credit note) to the
 * activity's customer with its PDF attached, and the member's monthly statement. They are the ones whose role
 * template says `attachments: true`: the outbox refuses files on any other message.
 */

interface EmailText {
  subject: string;
  body: string;
}

export const INVOICING_MESSAGE_KINDS = ['invoice-issued', 'credit-note-issued', 'monthly-statement', 'invoice-held'] as const;

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

export interface CreditNoteMessageVars {
  customerName: string;
  activityName: string;
  creditNoteNumber: string;
  /** The number of the invoice it cancels. */
  invoiceNumber: string;
  grossCents: number;
}

/** A member's month: amounts in cents, the month `YYYY-MM`. */
export interface StatementMessageVars {
  youngFirstName: string;
  /** The member's referral reference, as every message to the young person quotes it. */
  reference: string;
  activityName: string;
  month: string;
  invoicedCents: number;
  receivedCents: number;
  contributionCents: number;
  /** What is left to the member once the contribution is counted. */
  leftCents: number;
}

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

const MONTHS = ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'];
/** `2027-03` -> `mars 2027`. */
const monthLabel = (month: string) => `${MONTHS[Number(month.slice(5, 7)) - 1] ?? month} ${month.slice(0, 4)}`;

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
    // The members hear why one of their month's invoices did not go, and what to do (their declarations).
    'invoice-held': {
      young: {
        mandatory: false,
        email: (v: InvoiceHeldVars): EmailText => ({
          subject: `Facture de ${monthLabel(v.month)} mise en attente : ${v.activityName}`,
          body: `Bonjour ${v.youngFirstName},\n\nLa facture de ${monthLabel(v.month)} de l'activité « ${v.activityName} » pour ${v.customerName} n'a pas été envoyée : l'équipe l'a mise en attente.\n\nPourquoi : ${v.reason}\n\nL'équipe vous dira quand la corriger ou l'envoyer. Les autres factures du mois sont parties normalement.\n\nRéférence : ${v.reference}${signature}`,
        }),
      },
    },
    'monthly-statement': {
      young: {
        mandatory: false,
        attachments: true,
        email: (v: StatementMessageVars): EmailText => ({
          subject: `Votre relevé de ${monthLabel(v.month)} : ${v.activityName}`,
          body: `Bonjour ${v.youngFirstName},\n\nVoici le relevé de ${monthLabel(v.month)} de l'activité « ${v.activityName} » :\n- facturé à vos clients (HT) : ${formatEuros(v.invoicedCents)}\n- paiements reçus : ${formatEuros(v.receivedCents)}\n- contribution à la coopérative : ${formatEuros(v.contributionCents)}\n- ce qui vous reste : ${formatEuros(v.leftCents)}\n\nLe détail est joint à ce message, et dans votre espace.\n\nRéférence : ${v.reference}${signature}`,
        }),
      },
    },
  } as const;
}
