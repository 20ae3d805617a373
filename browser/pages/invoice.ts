/*
 * Staff: one invoice or credit note (GET /api/staff/invoices/{invoiceId}): customer, lines, totals per VAT rate,
 * history, payments and refunds, what is left to pay; its PDF; record a payment (POST .../payments, Idempotency-Key,
 * euros typed, cents sent); cancel it by a credit note with a reason (POST .../cancellation); on a cancelled invoice the
 * customer had paid, what is owed back to them and a refund to record (POST .../refunds, Idempotency-Key, decision 54);
 * issue a held one (POST .../release); its e-mail to the customer, and "Renvoyer la facture" when it did not arrive
 * (POST .../resend, Idempotency-Key).
 */
import { NETWORK_MESSAGE, api, loadInto, messageOf } from '../lib/api.js';
import { byId, el, facts, formatPlainDate, timeNode } from '../lib/dom.js';
import { idempotencyKeyOf, radioValue, requiredErrors, sendForm, setBusy, setOptional, textValue, type FormError } from '../lib/forms.js';
import { downloadButton, formatEuros } from '../lib/invoicing.js';
import { parseEuros } from '../lib/money.js';
import { startPage } from '../lib/page.js';
import { dataTable } from '../lib/paging.js';
import type { CancellationAnswer, InvoiceDetailView, ResendAnswer } from '../lib/views.js';
import { monthLabel } from '../../shared/domain/invoicing/month-names.js';
import { FRANCHISE_MENTION, quantityWithUnit } from '../../shared/domain/invoicing/amounts.js';

const invoiceId = () => document.body.dataset.invoiceId ?? '';
const invoicePath = () => `/api/staff/invoices/${encodeURIComponent(invoiceId())}`;
const paris = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(new Date());
const say = (text: string) => {
  const status = byId('invoice-status');
  status.textContent = text;
  status.focus();
};

function releaseButton(): HTMLElement {
  const button = el('button', { type: 'button', class: 'button', id: 'release' }, 'Valider et émettre cette facture');
  button.addEventListener('click', async () => {
    if (button.disabled) return;
    setBusy(button, true, 'Émission…');
    try {
      const result = await api<InvoiceDetailView>(`${invoicePath()}/release`, { method: 'POST' });
      if (!result.ok) return say(messageOf(result, "La facture n'a pas pu être émise. Réessayez dans quelques instants."));
      render(result.data);
      say(`Facture émise sous le numéro ${result.data.number} et envoyée au client.`);
    } catch {
      say(NETWORK_MESSAGE);
    } finally {
      if (button.isConnected) setBusy(button, false);
    }
  });
  return button;
}

/**
 * The invoice's (or credit note's) e-mail to its customer: how the last one went, and when it did not arrive,
 * "Renvoyer la facture" ("l'avoir") to the customer's e-mail as it is now, or the link to correct it first. One request key per invoice shown: a double click
 * or a retry sends once.
 */
function mailSection(invoice: InvoiceDetailView): HTMLElement | '' {
  const mail = invoice.mail;
  if (!mail) return '';
  const last = mail.last;
  const creditNote = invoice.kind === 'credit-note';
  const lines: HTMLElement[] = [
    last
      ? el('p', { id: 'mail-last' }, `Dernier e-mail : ${last.statusLabel.toLowerCase()}, à ${last.to}${last.reasonLabel ? ` (${last.reasonLabel})` : ''}, `, timeNode(last.at), '.')
      : el('p', { id: 'mail-last' }, `Aucun e-mail au client n'est encore parti pour ${creditNote ? 'cet avoir' : 'cette facture'}.`),
  ];
  if (mail.canResend) {
    const key = crypto.randomUUID();
    const button = el('button', { type: 'button', class: 'button', id: 'resend' }, `Renvoyer ${creditNote ? "l'avoir" : 'la facture'} à ${mail.customerEmail}`);
    button.addEventListener('click', async () => {
      if (button.disabled) return;
      setBusy(button, true, 'Envoi…');
      try {
        const result = await api<ResendAnswer>(`${invoicePath()}/resend`, { method: 'POST', json: { email: mail.customerEmail }, headers: { 'idempotency-key': key } });
        if (!result.ok) return say(messageOf(result, `${creditNote ? "L'avoir n'a pas pu être renvoyé" : "La facture n'a pas pu être renvoyée"}. Réessayez dans quelques instants.`));
        render(result.data.invoice);
        say(`${creditNote ? 'Avoir renvoyé' : 'Facture renvoyée'} à ${result.data.resentTo}.`);
      } catch {
        say(NETWORK_MESSAGE);
      } finally {
        if (button.isConnected) setBusy(button, false);
      }
    });
    lines.push(el('p', { class: 'hint' }, `Le PDF envoyé est celui ${creditNote ? "de l'avoir émis" : 'de la facture émise'} : il n'est pas modifié.`), button);
  } else if (mail.fixAddress) {
    lines.push(el('p', { id: 'mail-refusal' }, mail.resendRefusal ?? ''), el('a', { href: mail.customerHref, id: 'mail-fix' }, "Corriger l'e-mail du client"));
  }
  return el('section', { class: 'section', id: 'mail-section', 'aria-labelledby': 'mail-title' }, el('h2', { id: 'mail-title' }, 'E-mail au client'), ...lines);
}

function render(invoice: InvoiceDetailView): void {
  const title = `${invoice.kind === 'credit-note' ? 'Avoir' : 'Facture'} ${invoice.number ?? '(brouillon)'}`;
  byId('invoice-title').textContent = title;
  document.title = `${title} - CoopConnexion Parcours`;
  byId('invoice').replaceChildren(
    facts([
      ['Statut', `${invoice.statusLabel}${invoice.late ? ' · en retard' : ''}`],
      ['Client', `${invoice.customer.name}${invoice.customer.sirenLabel ? ` (SIREN ${invoice.customer.sirenLabel})` : ''}`],
      ['Mois des prestations', monthLabel(invoice.month)],
      ['Émise le', invoice.issueDate ? formatPlainDate(invoice.issueDate) : ''],
      ['Échéance', invoice.dueDate ? formatPlainDate(invoice.dueDate) : ''],
      ...(invoice.franchise
        ? [['Total', formatEuros(invoice.grossCents)], ['TVA', FRANCHISE_MENTION]] as Array<[string, string]>
        : [['Total HT', formatEuros(invoice.netCents)], ['TVA', formatEuros(invoice.vatCents)], ['Total TTC', formatEuros(invoice.grossCents)]] as Array<[string, string]>),
      ['Payé', formatEuros(invoice.paidCents)],
      ['Reste à payer', el('strong', { id: 'left-to-pay' }, formatEuros(invoice.leftCents))],
      // Cancelled by a credit note after payments: the customer is owed what they paid, until it is refunded.
      ['À rembourser', invoice.leftToRefundCents > 0
        ? el('strong', { id: 'to-refund' }, `${formatEuros(invoice.leftToRefundCents)} à rendre au client, sur ${formatEuros(invoice.paidCents)} reçus avant l'annulation${invoice.refundedCents > 0 ? ` (${formatEuros(invoice.refundedCents)} déjà remboursés)` : ''}`)
        : ''],
      ['Remboursée', invoice.status === 'cancelled' && invoice.paidCents > 0 && invoice.leftToRefundCents === 0
        ? el('strong', { id: 'refunded' }, `${formatEuros(invoice.refundedCents)} rendus au client : tout ce qu'il avait payé`)
        : ''],
      ['Mise en attente', invoice.holdReason ?? ''],
      ['Annule la facture', invoice.cancels?.number ?? ''],
    ]),
    invoice.hasPdf
      ? downloadButton({ id: 'pdf-download', label: 'Télécharger le PDF', busy: 'Préparation du PDF…', path: () => `${invoicePath()}/pdf`, fileName: () => `${invoice.kind === 'credit-note' ? 'avoir' : 'facture'}-${invoice.number}.pdf`, failure: "Le PDF n'a pas pu être préparé." })
      : '',
    invoice.canRelease ? releaseButton() : '',
    mailSection(invoice),
    el('h2', {}, 'Lignes'),
    dataTable('invoice-lines', 'Prestations', ['Date', 'Description', 'Quantité', 'Prix unitaire HT', 'TVA', 'Montant HT'], invoice.lines.map((line) => ({
      cells: [formatPlainDate(line.serviceDate), line.description, quantityWithUnit(line.quantityHundredths, line.unitLabel), formatEuros(line.unitPriceCents), line.vatRate ?? 'non applicable', formatEuros(line.netCents)],
    }))),
    el('h2', {}, invoice.refunds.length ? 'Paiements et remboursements' : 'Paiements'),
    invoice.payments.length || invoice.refunds.length ? moneyTable(invoice) : el('p', { id: 'no-payment' }, 'Aucun paiement reçu.'),
    el('h2', {}, 'Historique'),
    el('ol', { class: 'timeline', id: 'invoice-history' }, invoice.history.map((event) =>
      el('li', {}, timeNode(event.at), el('p', {}, event.label), event.reason ? el('p', {}, `Motif : ${event.reason}`) : null, event.by ? el('p', { class: 'hint' }, event.by) : null))),
  );
  byId('payment-section').hidden = !invoice.canPay;
  byId('cancel-section').hidden = !invoice.canCancel;
  byId('refund-section').hidden = !invoice.canRefund;
  if (invoice.canRefund) {
    byId('refund-left').textContent = `La facture est annulée par un avoir : il reste ${formatEuros(invoice.leftToRefundCents)} à rendre au client.`;
    // From the credit note's day (the customer is owed it from then) to today.
    byId<HTMLInputElement>('f-refundDate').min = invoice.refundFrom ?? '';
  }
}

/**
 * The money of the invoice in the order it moved: each payment received, then (once cancelled) each refund given back,
 * as a negative amount, with staff's note.
 */
function moneyTable(invoice: InvoiceDetailView): HTMLTableElement {
  const moves = [
    ...invoice.payments.map((p) => ({ date: p.date, at: p.recordedAt, cells: [formatPlainDate(p.date), 'Paiement reçu', formatEuros(p.amountCents), p.meansLabel, p.recordedBy, ''] })),
    ...invoice.refunds.map((r) => ({ date: r.date, at: r.recordedAt, cells: [formatPlainDate(r.date), 'Remboursement au client', formatEuros(-r.amountCents), r.meansLabel, r.recordedBy, r.note ?? ''] })),
  ].sort((a, b) => a.date.localeCompare(b.date) || a.at.localeCompare(b.at));
  // The notes' column only when a refund has one.
  const notes = invoice.refunds.some((r) => r.note) ? 6 : 5;
  const headers = ['Date', 'Opération', 'Montant', 'Moyen', 'Enregistré par', 'Note'].slice(0, notes);
  return dataTable('invoice-payments', invoice.refunds.length ? 'Paiements reçus et remboursements' : 'Paiements reçus', headers, moves.map((move) => ({ cells: move.cells.slice(0, notes) })));
}

function prepareForms(): void {
  const payment = byId<HTMLFormElement>('payment-form');
  const date = byId<HTMLInputElement>('f-date');
  date.max = paris();
  date.value = paris();
  const key = idempotencyKeyOf(payment);
  sendForm<InvoiceDetailView>(payment, byId<HTMLButtonElement>('payment-submit'), {
    busy: 'Enregistrement…',
    incomplete: 'Le paiement est incomplet.',
    failure: "Le paiement n'a pas pu être enregistré.",
    read: () => {
      const errors: FormError[] = requiredErrors(payment, { amountCents: 'Indiquez le montant reçu.', date: 'Indiquez la date du paiement.', means: 'Choisissez le moyen de paiement.' });
      const typed = textValue(payment, 'amountCents');
      const amountCents = parseEuros(typed);
      if (typed && amountCents === undefined) errors.push({ field: 'amountCents', message: 'Écrivez un montant en euros, par exemple 45,50.' });
      return { body: { amountCents, date: textValue(payment, 'date'), means: radioValue(payment, 'means') }, errors };
    },
    send: (body) => api<InvoiceDetailView>(`${invoicePath()}/payments`, { method: 'POST', json: body, headers: { 'idempotency-key': key.key() } }),
    done: (invoice) => {
      key.renew();
      payment.reset();
      date.value = paris();
      render(invoice);
      say(`Paiement enregistré. Reste à payer : ${formatEuros(invoice.leftCents)}.`);
    },
  });
  // A refund of a cancelled invoice's payments: its fields are named apart from the payment's (one id per page), the
  // API names them as the payment's.
  const refund = byId<HTMLFormElement>('refund-form');
  const refundDate = byId<HTMLInputElement>('f-refundDate');
  refundDate.max = paris();
  refundDate.value = paris();
  const refundKey = idempotencyKeyOf(refund);
  const REFUND_FIELDS: Record<string, string> = { amountCents: 'refundAmountCents', date: 'refundDate', means: 'refundMeans', note: 'refundNote' };
  sendForm<InvoiceDetailView>(refund, byId<HTMLButtonElement>('refund-submit'), {
    busy: 'Enregistrement…',
    incomplete: 'Le remboursement est incomplet.',
    failure: "Le remboursement n'a pas pu être enregistré.",
    fieldOf: (field) => REFUND_FIELDS[field] ?? field,
    read: () => {
      const errors: FormError[] = requiredErrors(refund, { refundAmountCents: 'Indiquez le montant remboursé.', refundDate: 'Indiquez la date du remboursement.', refundMeans: 'Choisissez le moyen de remboursement.' });
      const typed = textValue(refund, 'refundAmountCents');
      const amountCents = parseEuros(typed);
      if (typed && amountCents === undefined) errors.push({ field: 'refundAmountCents', message: 'Écrivez un montant en euros, par exemple 45,50.' });
      const body: { amountCents: number | undefined; date: string; means: string; note?: string } = { amountCents, date: textValue(refund, 'refundDate'), means: radioValue(refund, 'refundMeans') };
      setOptional(body, 'note', textValue(refund, 'refundNote'));
      return { body, errors };
    },
    send: (body) => api<InvoiceDetailView>(`${invoicePath()}/refunds`, { method: 'POST', json: body, headers: { 'idempotency-key': refundKey.key() } }),
    done: (invoice) => {
      refundKey.renew();
      refund.reset();
      refundDate.value = paris();
      render(invoice);
      say(invoice.leftToRefundCents > 0
        ? `Remboursement enregistré. Reste à rembourser : ${formatEuros(invoice.leftToRefundCents)}.`
        : `Remboursement enregistré. Le client a été remboursé de tout ce qu'il avait payé (${formatEuros(invoice.refundedCents)}).`);
    },
  });
  const cancel = byId<HTMLFormElement>('cancel-form');
  sendForm<CancellationAnswer>(cancel, byId<HTMLButtonElement>('cancel-submit'), {
    busy: 'Annulation…',
    incomplete: "Le motif de l'annulation manque.",
    failure: "La facture n'a pas pu être annulée.",
    read: () => ({ body: { reason: textValue(cancel, 'reason') }, errors: requiredErrors(cancel, { reason: "Donnez le motif de l'annulation." }) }),
    send: (body) => api<CancellationAnswer>(`${invoicePath()}/cancellation`, { method: 'POST', json: body }),
    done: (answer) => {
      cancel.reset();
      render(answer.invoice);
      say(`Facture annulée par l'avoir ${answer.creditNote.number}.`);
    },
  });
}

startPage(async () => {
  prepareForms();
  const invoice = await loadInto<InvoiceDetailView>(byId('invoice'), invoicePath());
  if (invoice) render(invoice);
});
