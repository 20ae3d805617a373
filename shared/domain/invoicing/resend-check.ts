import type { OutboxMessage } from '../../data/outbox.js';
import { normalizeEmail } from '../identity.js';
import { formatParisDateTime } from '../time.js';
import type { InvoiceRecord } from './records.js';

/*
 * When staff may send an issued invoice's (or credit note's) e-mail again to its customer (shared/invoicing/resend.ts),
 * as the route refuses it and the invoice's page offers it.
 */

/** Whether the invoice may be sent again to `to` (the customer's e-mail now), and if not why, in French for staff. */
export interface ResendCheck {
  refusal?: string;
  /** The refusal is the address itself: the one that bounced, to correct on the customer's form first. */
  fixAddress?: boolean;
  /** The last e-mail to the customer about the invoice, if any. */
  last?: OutboxMessage;
}

/** Statuses of an e-mail that reached the customer's server, or may still: nothing to send again. */
const WENT = new Set<OutboxMessage['status']>(['sent', 'delivered', 'complained']);

/**
 * Sent again only an issued invoice or credit note whose last e-mail to the customer did not arrive (bounced, given up
 * by the outbox, or never written), and not to the address that bounced. A message still pending is under way.
 */
export function checkResend(invoice: InvoiceRecord, mails: readonly OutboxMessage[], to: string): ResendCheck {
  const last = mails.at(-1);
  const refuse = (refusal: string, fixAddress = false): ResendCheck => ({ refusal, ...(fixAddress ? { fixAddress } : {}), ...(last ? { last } : {}) });
  const creditNote = invoice.kind === 'credit-note';
  if (invoice.status === 'cancelled') return refuse('Cette facture est annulée par un avoir : elle ne se renvoie plus.');
  if (invoice.status !== 'issued') {
    return refuse(creditNote ? "Cet avoir n'est pas encore numéroté : il partira au client une fois émis." : "Cette facture n'est pas encore émise : elle partira au client une fois validée et numérotée.");
  }
  const of = creditNote ? 'de cet avoir' : 'de cette facture';
  if (last?.status === 'pending') return refuse(`Un envoi ${of} au client est en cours : rechargez la page dans quelques minutes.`);
  if (last && WENT.has(last.status)) return refuse(`Le dernier e-mail ${of} est bien parti à ${last.to}${last.sentAt ? ` le ${formatParisDateTime(last.sentAt)}` : ''} : rien à renvoyer.`);
  if (last?.status === 'bounced' && normalizeEmail(last.to) === normalizeEmail(to)) {
    return refuse(`L'adresse du client est toujours celle qui a été rejetée (${to}) : corrigez-la d'abord sur la fiche du client.`, true);
  }
  return last ? { last } : {};
}
