/** Bits of the staff pages about people and referrals. */
import { el, plural, type Child } from './dom.js';
import type { InboxItem, ReferralDetail } from './views.js';

export function personName(person: { firstName?: string; lastName?: string }): string {
  return `${person.firstName} ${person.lastName}`;
}

export function personLink(personId: string | undefined, name: string | undefined): Child {
  return personId ? el('a', { href: `/equipe/personnes/${encodeURIComponent(personId)}` }, name || "Voir l'historique") : name || '—';
}

export function eligibilityNode(eligibility: { eligible: boolean; explanation?: string[] }): HTMLElement {
  const explanation = eligibility.explanation ?? [];
  return el('div', {},
    el('span', { class: eligibility.eligible ? 'badge badge-eligible' : 'badge badge-check' }, eligibility.eligible ? 'Éligible' : 'Conditions à vérifier'),
    explanation.length ? el('ul', {}, explanation.map((line) => el('li', {}, line))) : null);
}

export function duplicateText(duplicate: ReferralDetail['duplicate'] | undefined): Child {
  if (duplicate?.possibleDuplicates) {
    return el('span', {}, 'Doublon possible à vérifier : ', el('a', { href: '/equipe/doublons' }, 'comparer les dossiers'));
  }
  if (!duplicate?.linked) return 'Première orientation';
  return `Déjà connu : ${plural(duplicate.previousReferrals, 'orientation précédente', 'orientations précédentes')}`;
}

export function prescriberText(prescriber: InboxItem['prescriber'] | undefined): string {
  return prescriber ? prescriber.organisationName + (prescriber.name ? ` · ${prescriber.name}` : '') : '';
}

export function channelText(item: { channel?: string; channelLabel?: string }): string {
  return item.channelLabel || (item.channel === 'sms' ? 'SMS' : 'E-mail');
}

export const MESSAGE_STATUS_LABELS: Record<string, string> = {
  pending: "En attente d'envoi",
  sent: 'Envoyé',
  delivered: 'Distribué',
  bounced: 'Rejeté : adresse ou numéro invalide',
  complained: 'Signalé comme indésirable',
  failed: 'Échec de distribution',
  suppressed: 'Non envoyé : même message dans les 24 h',
  'opted-out': 'Non envoyé (désinscrit)',
  cancelled: "Annulé : plus d'actualité",
};
export const MESSAGE_ROLE_LABELS: Record<string, string> = { young: 'Jeune', guardian: 'Représentant légal', prescriber: 'Prescripteur', staff: 'Équipe', customer: 'Client' };
export const MESSAGE_KIND_LABELS: Record<string, string> = {
  'referral-received': 'Accusé de réception',
  'referral-decision-request': 'Demande de décision',
  'referral-reminder': 'Relance',
  'referral-escalation': 'Escalade',
  'referral-waitlist-review': "Liste d'attente à revoir",
  'referral-expired': 'Orientation expirée',
  'referral-accepted': 'Orientation acceptée',
  'referral-refused': 'Orientation refusée',
  'referral-waitlisted': "Mise sur liste d'attente",
  'email-undelivered': 'Avertissement : e-mail non remis',
  'sms-undelivered': 'Avertissement : SMS non remis',
  // The invoicing's messages, most of them to an activity's customers.
  'invoice-issued': 'Envoi de la facture',
  'credit-note-issued': "Envoi de l'avoir",
  'invoice-first-reminder': 'Rappel de facture',
  'invoice-second-reminder': 'Second rappel de facture',
  'invoice-held': 'Facture mise en attente',
  'monthly-statement': 'Relevé mensuel',
};
