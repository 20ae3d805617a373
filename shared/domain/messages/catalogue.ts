import { SESSION_MESSAGE_KINDS, sessionTemplates } from './session-messages.js';
import { CONTRACT_MESSAGES, CONTRACT_MESSAGE_KINDS } from './contract-messages.js';
import { ACTIVITY_MESSAGE_KINDS, activityTemplates } from './activity-messages.js';
import { COHORT_MESSAGE_KINDS, cohortTemplates } from './cohort-messages.js';
import { INVOICING_MESSAGE_KINDS, invoicingTemplates } from './invoicing-messages.js';
import { smsSegments, toGsm7 } from './sms-text.js';
import { LINK_PLACEHOLDERS, withLinkBudget } from '../personal-links.js';

/**
 * Every message the system sends, in French: per kind, the recipient roles, the channels each role gets,
 * and whether the message is mandatory. Each template is a typed function: a missing variable is a compile
 * error, not a "{{name}}" in someone's inbox.
 */
export type Channel = 'email' | 'sms';
/** 'customer' (the clients of the young people's activities) gets messages from the later stages. */
export type RecipientRole = 'young' | 'guardian' | 'prescriber' | 'staff' | 'customer';

export const MESSAGE_KINDS = [
  'referral-received',
  'referral-decision-request',
  'referral-reminder',
  'referral-escalation',
  'referral-waitlist-review',
  'referral-expired',
  'referral-accepted',
  'referral-refused',
  'referral-waitlisted',
  'email-undelivered',
  'sms-undelivered',
  'documents-request',
  'documents-reminder',
  'document-rejected',
  ...SESSION_MESSAGE_KINDS,
  'onboarding-welcome',
  'onboarding-ready',
  'onboarding-ended',
  'personal-link',
  // Onboarding: the guardian's consent and the contract (contract-messages.ts).
  ...CONTRACT_MESSAGE_KINDS,
  // The activity's launch (activity-messages.ts).
  ...ACTIVITY_MESSAGE_KINDS,
  // A CJS cohort (cohort-messages.ts).
  ...COHORT_MESSAGE_KINDS,
  // The monthly invoicing: invoices with their PDFs, statements with their figures and link (invoicing-messages.ts).
  ...INVOICING_MESSAGE_KINDS,
] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

export interface ReferralVars {
  youngFirstName: string;
  youngLastName: string;
  programmeLabel: string;
  reference: string;
  prescriberOrganisation: string;
}
interface StaffLinkVars extends ReferralVars {
  decisionUrl: string;
}
/** Optional parts of a decision: a refusal reason the recipient may read, a message typed by staff. */
interface DecisionVars extends ReferralVars {
  message?: string;
}
interface RefusalVars extends DecisionVars {
  reasonLabel?: string;
}
type SmsVars = Pick<ReferralVars, 'youngFirstName'>;
/** What every onboarding message names: the young person, their programme and the referral's reference. */
export interface OnboardingVars {
  youngFirstName: string;
  programmeLabel: string;
  reference: string;
}
interface OnboardingGuardianVars extends OnboardingVars {
  guardianName: string;
}
interface OnboardingEndedVars extends OnboardingVars {
  reasonLabel?: string;
}
/** A fallback by SMS: what the e-mail that did not arrive was about. */
interface EmailUndeliveredVars {
  subject: string;
}
/** A fallback by e-mail: the text of the SMS that did not arrive, or that the person stopped. */
interface SmsUndeliveredVars {
  smsText: string;
  why: 'failed' | 'opted-out';
}

/** A personal link asked for on the "nouveau lien" page; the link itself replaces the placeholder when the message is sent. */
interface PersonalLinkVars {
  youngFirstName: string;
  validDays: number;
  reference: string;
}
interface GuardianPersonalLinkVars extends PersonalLinkVars {
  guardianName: string;
}

interface EmailText {
  subject: string;
  body: string;
}

interface RoleTemplates {
  /**
   * Required by the law or by the contract with the prescriber: such a message still goes, by e-mail,
   * to someone who opted out of messages.
   */
  mandatory: boolean;
  /** The e-mail may carry files (`OutboxDraft.attachments`); no other message may. */
  attachments?: boolean;
  email?: (vars: never) => EmailText;
  sms?: (vars: never) => string;
}

export const OUTCOME_LABELS = { accepted: 'acceptée', refused: 'refusée', waitlisted: "liste d'attente" } as const;

const signature = "\n\nL'équipe CoopConnexion\nCoopérative d'activités du bassin minier";
// Staff messages come from the workflow, not from colleagues: they say so.
const staffSignature = '\n\nParcours CoopConnexion (message automatique)';
const ref = (v: Pick<ReferralVars, 'reference'>) => `Référence : ${v.reference}`;
const fullName = (v: ReferralVars) => `${v.youngFirstName} ${v.youngLastName}`;
const openLink = (v: StaffLinkVars) => `Ouvrir la demande : ${v.decisionUrl}`;
/** French counts 0 and 1 in the singular. */
const days = (n: number) => `${n} jour${n > 1 ? 's' : ''}`;
const teamMessage = (message?: string) => (message ? `\n\nMessage de l'équipe :\n${message}` : '');

function decisionToPrescriber(outcome: keyof typeof OUTCOME_LABELS, sentence: string) {
  return (v: RefusalVars): EmailText => ({
    subject: `Décision sur l'orientation de ${fullName(v)} : ${OUTCOME_LABELS[outcome]}`,
    body: `Bonjour,\n\nL'équipe a pris sa décision sur l'orientation de ${fullName(v)} (programme « ${v.programmeLabel} ») : ${sentence}.${
      v.reasonLabel ? `\nMotif : ${v.reasonLabel}.` : ''
    }${teamMessage(v.message)}\n\n${ref(v)}${signature}`,
  });
}

/** The guardian of a minor hears of the decision too: it is their consent that onboarding will ask for. */
interface GuardianDecisionVars extends RefusalVars {
  guardianName: string;
}

function decisionToGuardian(outcome: keyof typeof OUTCOME_LABELS, sentence: (v: GuardianDecisionVars) => string) {
  return (v: GuardianDecisionVars): EmailText => ({
    subject: `Orientation de ${v.youngFirstName} vers CoopConnexion : ${OUTCOME_LABELS[outcome]}`,
    body: `Bonjour ${v.guardianName},\n\n${sentence(v)}\n\n${ref(v)}${signature}`,
  });
}

function emailUndeliveredSms(v: EmailUndeliveredVars): string {
  return `CoopConnexion : notre e-mail « ${v.subject} » n'a pas pu vous être remis. Votre adresse e-mail est peut-être erronée : merci de prévenir votre conseiller ou notre équipe.`;
}

function smsUndeliveredEmail(v: SmsUndeliveredVars): EmailText {
  const intro =
    v.why === 'failed'
      ? "Nous n'avons pas pu vous envoyer ce SMS : votre numéro de mobile est peut-être erroné. Merci de prévenir votre conseiller ou notre équipe."
      : "Vous avez demandé à ne plus recevoir nos SMS. Ce message est important : nous vous l'envoyons donc par e-mail.";
  return { subject: 'Message de CoopConnexion', body: `Bonjour,\n\n${intro}\n\nLe message :\n« ${v.smsText} »${signature}` };
}

/** The documents asked of a young person: the list in the e-mail, and in short in the SMS. */
interface DocumentsVars {
  youngFirstName: string;
  programmeLabel: string;
  reference: string;
  /** One line per document, with what counts. */
  documentList: string;
  /** The documents' names, comma-separated (SMS). */
  documentNames: string;
}
interface DocumentsReminderVars extends DocumentsVars {
  ageDays: number;
}
interface GuardianDocumentsVars extends Pick<DocumentsVars, 'youngFirstName' | 'programmeLabel' | 'reference'> {
  guardianName: string;
}
interface DocumentRejectedVars {
  youngFirstName: string;
  reference: string;
  documentLabel: string;
  /** Always given: a rejection names its reason. */
  rejectionReason: string;
  message?: string;
}
/** Where the young person's personal link goes: the outbox sender issues one for each message it sends. */
const personalLink = LINK_PLACEHOLDERS['young-person'];
const unrequested = "Si vous n'avez pas demandé ce lien, ignorez ce message : il n'a été envoyé qu'à vous.";

const catalogue = {
  'referral-received': {
    prescriber: {
      mandatory: false,
      email: (v: ReferralVars) => ({
        subject: `Orientation reçue : ${fullName(v)}`,
        body: `Bonjour,\n\nNous avons bien reçu votre orientation de ${fullName(v)} vers le programme « ${v.programmeLabel} ».\nNotre équipe l'étudie et vous informera de sa décision.\n\n${ref(v)}${signature}`,
      }),
    },
    young: {
      mandatory: false,
      email: (v: ReferralVars) => ({
        subject: 'Votre orientation vers CoopConnexion',
        body: `Bonjour ${v.youngFirstName},\n\n${v.prescriberOrganisation} vous a orienté(e) vers CoopConnexion, programme « ${v.programmeLabel} ».\nNotre équipe étudie votre demande et vous recontactera très vite.\n\n${ref(v)}${signature}`,
      }),
      sms: (v: Pick<ReferralVars, 'youngFirstName' | 'prescriberOrganisation' | 'reference'>) =>
        `CoopConnexion : bonjour ${v.youngFirstName}, ${v.prescriberOrganisation} vous a orienté(e) vers nous. Nous vous recontacterons très vite. Réf. ${v.reference}`,
    },
    guardian: {
      mandatory: false,
      email: (v: ReferralVars & { guardianName: string }) => ({
        subject: `Orientation de ${v.youngFirstName} vers CoopConnexion`,
        body: `Bonjour ${v.guardianName},\n\n${v.prescriberOrganisation} a orienté ${v.youngFirstName} vers CoopConnexion, programme « ${v.programmeLabel} ».\nSi la demande est acceptée, votre autorisation vous sera demandée lors de l'accueil.\n\n${ref(v)}${signature}`,
      }),
    },
  },
  'referral-decision-request': {
    staff: {
      mandatory: false,
      email: (v: StaffLinkVars & { eligible: boolean }) => ({
        subject: `Nouvelle orientation à décider (${v.programmeLabel})`,
        body: `Bonjour,\n\nUne nouvelle orientation attend votre décision : ${fullName(v)}, par ${v.prescriberOrganisation}.\nÉligibilité : ${
          v.eligible ? 'conditions remplies' : 'à examiner (conditions non remplies)'
        }.\n\n${openLink(v)}\n(Le lien ouvre une page de confirmation : la décision se prend sur cette page, après connexion.)\n\n${ref(v)}${staffSignature}`,
      }),
    },
  },
  'referral-reminder': {
    staff: {
      mandatory: false,
      email: (v: StaffLinkVars & { ageDays: number }) => ({
        subject: `Relance : orientation en attente depuis ${days(v.ageDays)}`,
        body: `Bonjour,\n\nL'orientation de ${fullName(v)} (${v.prescriberOrganisation}) attend une décision depuis ${days(v.ageDays)}.\n\n${openLink(v)}\n\n${ref(v)}${staffSignature}`,
      }),
    },
  },
  'referral-escalation': {
    staff: {
      mandatory: false,
      email: (v: StaffLinkVars & { ageDays: number; expiresInDays: number }) => ({
        subject: `URGENT : orientation sans décision depuis ${days(v.ageDays)}`,
        body: `Bonjour,\n\nL'orientation de ${fullName(v)} (${v.prescriberOrganisation}) attend une décision depuis ${days(v.ageDays)}.\nSans décision, elle expirera ${
          v.expiresInDays > 0 ? `dans ${days(v.expiresInDays)}` : "aujourd'hui"
        } et le prescripteur en sera informé.\n\n${openLink(v)}\n\n${ref(v)}${staffSignature}`,
      }),
    },
  },
  'referral-waitlist-review': {
    staff: {
      mandatory: false,
      email: (v: StaffLinkVars) => ({
        subject: "Liste d'attente : orientation à réexaminer",
        body: `Bonjour,\n\nL'orientation de ${fullName(v)} (${v.prescriberOrganisation}) est sur liste d'attente. Une place s'est-elle libérée ?\n\n${openLink(v)}\n\n${ref(v)}${staffSignature}`,
      }),
    },
  },
  'referral-expired': {
    // The prescriber's agreement promises an answer on every referral: an expiry is that answer.
    prescriber: {
      mandatory: true,
      email: (v: ReferralVars) => ({
        subject: `Orientation expirée : ${fullName(v)}`,
        body: `Bonjour,\n\nL'orientation de ${fullName(v)} vers le programme « ${v.programmeLabel} » n'a pas pu être traitée dans les délais et a expiré. Vous pouvez nous l'adresser à nouveau ou nous contacter.\n\n${ref(v)}${signature}`,
      }),
    },
  },
  // A decision on their request is owed to the young person, to the prescriber under its agreement, and to a minor's guardian.
  'referral-accepted': {
    prescriber: { mandatory: true, email: decisionToPrescriber('accepted', 'elle est acceptée') },
    guardian: {
      mandatory: true,
      email: decisionToGuardian(
        'accepted',
        (v) => `Bonne nouvelle : l'entrée de ${v.youngFirstName} dans le programme « ${v.programmeLabel} » est acceptée. Nous allons l'inviter à une réunion d'information, et votre autorisation vous sera demandée lors de l'accueil.`,
      ),
    },
    young: {
      mandatory: true,
      email: (v: DecisionVars) => ({
        subject: 'Bienvenue à CoopConnexion !',
        body: `Bonjour ${v.youngFirstName},\n\nBonne nouvelle : votre entrée dans le programme « ${v.programmeLabel} » est acceptée. Nous allons vous inviter à une réunion d'information.${teamMessage(v.message)}\n\n${ref(v)}${signature}`,
      }),
      sms: (v: SmsVars) =>
        `CoopConnexion : bonne nouvelle ${v.youngFirstName}, votre entrée est acceptée ! Nous vous inviterons bientôt à une réunion d'information.`,
    },
  },
  'referral-refused': {
    prescriber: { mandatory: true, email: decisionToPrescriber('refused', 'elle est refusée') },
    guardian: {
      mandatory: true,
      email: decisionToGuardian(
        'refused',
        (v) =>
          `Nous ne pouvons pas accueillir ${v.youngFirstName} dans le programme « ${v.programmeLabel} » pour le moment.${
            v.reasonLabel ? ` Motif : ${v.reasonLabel}.` : ''
          } Son conseiller ou sa conseillère chez ${v.prescriberOrganisation} peut l'aider à trouver une autre solution.`,
      ),
    },
    young: {
      mandatory: true,
      email: (v: RefusalVars) => ({
        subject: 'Réponse à votre orientation vers CoopConnexion',
        body: `Bonjour ${v.youngFirstName},\n\nNous ne pouvons pas vous accueillir dans le programme « ${v.programmeLabel} » pour le moment.${
          v.reasonLabel ? ` Motif : ${v.reasonLabel}.` : ''
        } Votre conseiller ou conseillère chez ${v.prescriberOrganisation} peut vous aider à trouver une autre solution.${teamMessage(v.message)}\n\n${ref(v)}${signature}`,
      }),
      sms: (v: SmsVars) =>
        `CoopConnexion : ${v.youngFirstName}, nous ne pouvons pas vous accueillir pour le moment. Nous vous avons envoyé le détail par e-mail.`,
    },
  },
  'referral-waitlisted': {
    prescriber: { mandatory: true, email: decisionToPrescriber('waitlisted', "elle est placée sur liste d'attente") },
    guardian: {
      mandatory: true,
      email: decisionToGuardian(
        'waitlisted',
        (v) => `La demande de ${v.youngFirstName} pour le programme « ${v.programmeLabel} » est sur liste d'attente. Nous vous écrirons dès qu'une place se libérera.`,
      ),
    },
    young: {
      mandatory: true,
      email: (v: DecisionVars) => ({
        subject: "Votre demande est sur liste d'attente",
        body: `Bonjour ${v.youngFirstName},\n\nVotre demande pour le programme « ${v.programmeLabel} » est sur liste d'attente. Nous vous écrirons dès qu'une place se libérera.${teamMessage(v.message)}\n\n${ref(v)}${signature}`,
      }),
      sms: (v: SmsVars) =>
        `CoopConnexion : ${v.youngFirstName}, votre demande est sur liste d'attente. Nous vous recontacterons dès qu'une place se libérera.`,
    },
  },
  // Onboarding: the personal link's placeholder is replaced by a fresh link when the message is sent (never stored in clear).
  'onboarding-welcome': {
    young: {
      mandatory: true,
      email: (v: OnboardingVars) => ({
        subject: 'Votre accueil à CoopConnexion commence',
        body: `Bonjour ${v.youngFirstName},\n\nVotre accueil dans le programme « ${v.programmeLabel} » commence. Dans votre espace « Mon parcours », vous choisissez votre réunion d'information, envoyez vos pièces justificatives et suivez chaque étape jusqu'à votre contrat.\n\nVotre espace : {{lien-personnel}}\n(Ce lien est personnel : ne le transférez pas. Il expire après 14 jours ; vous pouvez en recevoir un nouveau à tout moment.)\n\n${ref(v)}${signature}`,
      }),
      sms: (v: Pick<OnboardingVars, 'youngFirstName'>) =>
        `CoopConnexion : ${v.youngFirstName}, votre accueil commence ! Choisissez votre réunion d'information dans votre espace : {{lien-personnel}}`,
    },
    guardian: {
      mandatory: true,
      email: (v: OnboardingGuardianVars) => ({
        subject: `Accueil de ${v.youngFirstName} à CoopConnexion`,
        body: `Bonjour ${v.guardianName},\n\nL'accueil de ${v.youngFirstName} dans le programme « ${v.programmeLabel} » commence : une réunion d'information, un entretien individuel, les pièces justificatives, puis le contrat. Votre accord vous sera demandé par un lien personnel avant le contrat.\n\n${ref(v)}${signature}`,
      }),
    },
  },
  'onboarding-ready': {
    young: {
      mandatory: true,
      email: (v: OnboardingVars) => ({
        subject: 'Votre accueil est terminé : place au lancement de votre activité',
        body: `Bonjour ${v.youngFirstName},\n\nToutes les étapes de votre accueil dans le programme « ${v.programmeLabel} » sont terminées et votre contrat est signé par les deux parties. L'équipe vous contacte pour préparer le lancement de votre activité.\n\n${ref(v)}${signature}`,
      }),
      sms: (v: Pick<OnboardingVars, 'youngFirstName'>) =>
        `CoopConnexion : ${v.youngFirstName}, votre accueil est terminé et votre contrat signé. L'équipe vous contacte pour lancer votre activité.`,
    },
    guardian: {
      mandatory: true,
      email: (v: OnboardingGuardianVars) => ({
        subject: `Accueil de ${v.youngFirstName} terminé`,
        body: `Bonjour ${v.guardianName},\n\nL'accueil de ${v.youngFirstName} dans le programme « ${v.programmeLabel} » est terminé et son contrat est signé. L'équipe prépare maintenant le lancement de son activité.\n\n${ref(v)}${signature}`,
      }),
    },
  },
  'onboarding-ended': {
    young: {
      mandatory: true,
      email: (v: OnboardingEndedVars) => ({
        subject: 'Votre parcours à CoopConnexion est arrêté',
        body: `Bonjour ${v.youngFirstName},\n\nVotre accueil dans le programme « ${v.programmeLabel} » est arrêté.${v.reasonLabel ? ` Motif : ${v.reasonLabel}.` : ''}\nSi votre situation change, votre conseiller ou conseillère peut vous orienter à nouveau vers nous.\n\n${ref(v)}${signature}`,
      }),
      sms: (v: Pick<OnboardingVars, 'youngFirstName'>) =>
        `CoopConnexion : ${v.youngFirstName}, votre accueil est arrêté. Nous vous avons envoyé le détail par e-mail.`,
    },
    guardian: {
      mandatory: true,
      email: (v: OnboardingGuardianVars & OnboardingEndedVars) => ({
        subject: `Parcours de ${v.youngFirstName} arrêté`,
        body: `Bonjour ${v.guardianName},\n\nL'accueil de ${v.youngFirstName} dans le programme « ${v.programmeLabel} » est arrêté.${v.reasonLabel ? ` Motif : ${v.reasonLabel}.` : ''}\n\n${ref(v)}${signature}`,
      }),
    },
  },
  // Fallbacks: a message that did not arrive goes by the other channel, when the recipient has one.
  'email-undelivered': {
    young: { mandatory: false, sms: emailUndeliveredSms },
    guardian: { mandatory: false, sms: emailUndeliveredSms },
  },
  'sms-undelivered': {
    young: { mandatory: false, email: smsUndeliveredEmail },
    guardian: { mandatory: false, email: smsUndeliveredEmail },
  },
  // Onboarding's documents: the young person uploads them from their space (the personal link).
  'documents-request': {
    young: {
      mandatory: false,
      email: (v: DocumentsVars) => ({
        subject: 'Vos documents pour entrer à CoopConnexion',
        body: `Bonjour ${v.youngFirstName},\n\nPour votre entrée dans le programme « ${v.programmeLabel} », merci de nous envoyer ces documents depuis votre espace :\n${v.documentList}\n\nUne photo nette prise avec votre téléphone suffit (PDF, JPEG ou PNG, 10 Mo au maximum).\n\nVotre espace : ${personalLink}\n\n${ref(v)}${signature}`,
      }),
      sms: (v: Pick<DocumentsVars, 'youngFirstName' | 'documentNames'>) =>
        `CoopConnexion : ${v.youngFirstName}, envoyez-nous vos documents (${v.documentNames}) depuis votre espace : ${personalLink}`,
    },
    // A minor's guardian provides their own identity document: they hear of it from us, not only from the young person.
    guardian: {
      mandatory: false,
      email: (v: GuardianDocumentsVars) => ({
        subject: `Documents pour l'entrée de ${v.youngFirstName} à CoopConnexion`,
        body: `Bonjour ${v.guardianName},\n\nPour l'entrée de ${v.youngFirstName} dans le programme « ${v.programmeLabel} », nous lui avons demandé quelques documents, dont une copie de votre pièce d'identité (carte d'identité ou passeport en cours de validité). ${v.youngFirstName} peut l'envoyer depuis son espace.\n\n${ref(v)}${signature}`,
      }),
    },
  },
  'documents-reminder': {
    young: {
      mandatory: false,
      email: (v: DocumentsReminderVars) => ({
        subject: 'Rappel : documents à envoyer',
        body: `Bonjour ${v.youngFirstName},\n\nIl nous manque encore ces documents pour votre entrée dans le programme « ${v.programmeLabel} » (demandés il y a ${days(v.ageDays)}) :\n${v.documentList}\n\nVous pouvez les envoyer depuis votre espace : ${personalLink}\nBesoin d'aide ? Répondez à ce message ou appelez-nous.\n\n${ref(v)}${signature}`,
      }),
      sms: (v: Pick<DocumentsVars, 'youngFirstName' | 'documentNames'>) =>
        `CoopConnexion : ${v.youngFirstName}, il nous manque encore : ${v.documentNames}. Envoyez-les depuis votre espace : ${personalLink}`,
    },
  },
  // A rejection is owed to the young person: without it they cannot go on.
  'document-rejected': {
    young: {
      mandatory: true,
      email: (v: DocumentRejectedVars) => ({
        subject: `Document à renvoyer : ${v.documentLabel}`,
        body: `Bonjour ${v.youngFirstName},\n\nNous n'avons pas pu valider votre document « ${v.documentLabel} ».\nMotif : ${v.rejectionReason}.${teamMessage(v.message)}\n\nMerci d'en envoyer un nouveau depuis votre espace : ${personalLink}\n\n${ref(v)}${signature}`,
      }),
      sms: (v: Pick<DocumentRejectedVars, 'youngFirstName' | 'documentLabel' | 'rejectionReason'>) =>
        `CoopConnexion : ${v.youngFirstName}, votre document "${v.documentLabel}" est à renvoyer (${v.rejectionReason}). Votre espace : ${personalLink}`,
    },
  },
  ...sessionTemplates(signature),
  // Asked for by the person: it goes even to an address that opted out of optional messages, and is never held back as a repeat.
  'personal-link': {
    young: {
      mandatory: true,
      email: (v: PersonalLinkVars) => ({
        subject: 'Votre lien personnel CoopConnexion',
        body: `Bonjour ${v.youngFirstName},\n\nVoici votre nouveau lien personnel pour suivre votre accueil à CoopConnexion (réunion d'information, documents, contrat) :\n${LINK_PLACEHOLDERS['young-person']}\n\nCe lien est personnel : ne le transmettez à personne. Il est valable ${days(v.validDays)} ; vous pourrez toujours en demander un autre.\n\n${unrequested}\n\n${ref(v)}${signature}`,
      }),
      sms: (v: PersonalLinkVars) => `CoopConnexion : ${v.youngFirstName}, votre lien personnel (valable ${days(v.validDays)}) : ${LINK_PLACEHOLDERS['young-person']}`,
    },
    guardian: {
      mandatory: true,
      email: (v: GuardianPersonalLinkVars) => ({
        subject: `Votre lien pour l'accueil de ${v.youngFirstName} à CoopConnexion`,
        body: `Bonjour ${v.guardianName},\n\nVoici votre nouveau lien personnel pour suivre l'accueil de ${v.youngFirstName} à CoopConnexion et donner votre autorisation :\n${LINK_PLACEHOLDERS.guardian}\n\nCe lien est personnel : ne le transmettez à personne. Il est valable ${days(v.validDays)} ; vous pourrez toujours en demander un autre.\n\n${unrequested}\n\n${ref(v)}${signature}`,
      }),
      sms: (v: GuardianPersonalLinkVars) => `CoopConnexion : votre lien pour l'accueil de ${v.youngFirstName} (valable ${days(v.validDays)}) : ${LINK_PLACEHOLDERS.guardian}`,
    },
  },
  ...CONTRACT_MESSAGES,
  ...activityTemplates(signature),
  ...cohortTemplates(signature),
  ...invoicingTemplates(signature),
} satisfies Record<MessageKind, Partial<Record<RecipientRole, RoleTemplates>>>;

type Catalogue = typeof catalogue;
export type RolesOf<K extends MessageKind> = keyof Catalogue[K] & RecipientRole;
export type ChannelsOf<K extends MessageKind, R extends RolesOf<K>> = keyof Catalogue[K][R] & Channel;
/** With a union of kinds, the variables every one of them needs. */
export type VarsOf<K extends MessageKind, R extends RolesOf<K>, C extends ChannelsOf<K, R>> = Catalogue[K][R][C] extends (vars: infer V) => unknown
  ? V
  : never;

export interface EmailMessage {
  subject: string;
  body: string;
}
export interface SmsMessage {
  /** Already in the GSM-7 alphabet. */
  body: string;
  /** Of the text as sent: with a personal link of the longest expected length in place of its placeholder. */
  segments: number;
}
export type RenderedMessage<C extends Channel = Channel> = C extends 'sms' ? SmsMessage : EmailMessage;

/** The message of a kind for a role on a channel; an SMS comes converted to GSM-7 with its segment count. */
export function render<K extends MessageKind, R extends RolesOf<K>, C extends ChannelsOf<K, R>>(
  kind: K,
  role: R,
  channel: C,
  vars: VarsOf<K, R, C>,
): RenderedMessage<C> {
  const templates: RoleTemplates | undefined = (catalogue[kind] as Partial<Record<RecipientRole, RoleTemplates>>)[role];
  // The types rule this out; a caller passing strings read at run time (a stored outbox item) can still get here.
  const template = templates?.[channel];
  if (!template) throw new Error(`no ${channel} message ${kind} for ${role}`);
  const text = (template as (vars: unknown) => EmailText | string)(vars);
  if (typeof text === 'string') {
    const body = toGsm7(text);
    // A personal link is put in when the message is sent: the count is of the text as sent.
    return { body, segments: smsSegments(toGsm7(withLinkBudget(text))).segments } as RenderedMessage<C>;
  }
  return { subject: text.subject, body: text.body } as RenderedMessage<C>;
}

export interface CatalogueEntry {
  kind: MessageKind;
  role: RecipientRole;
  channel: Channel;
  mandatory: boolean;
}

/** Every (kind, role, channel) the catalogue declares. */
export const CATALOGUE_ENTRIES: readonly CatalogueEntry[] = MESSAGE_KINDS.flatMap((kind) =>
  Object.entries(catalogue[kind] as Partial<Record<RecipientRole, RoleTemplates>>).flatMap(([role, templates]) =>
    (['email', 'sms'] as const)
      .filter((channel) => templates[channel])
      .map((channel) => ({ kind, role: role as RecipientRole, channel, mandatory: templates.mandatory })),
  ),
);

/** Whether a message of this kind to this role must go even to someone who opted out (by e-mail). */
export function isMandatory(kind: MessageKind, role: RecipientRole): boolean {
  // Kinds come from stored outbox items at run time: an unknown one is not mandatory.
  return (catalogue[kind] as Partial<Record<RecipientRole, RoleTemplates>> | undefined)?.[role]?.mandatory ?? false;
}

/** Whether an e-mail of this kind to this role may carry attachments (an invoice; a statement written before decision 35). */
export function mayCarryAttachments(kind: string, role: RecipientRole): boolean {
  return (catalogue[kind as MessageKind] as Partial<Record<RecipientRole, RoleTemplates>> | undefined)?.[role]?.attachments === true;
}
