/**
 * The messages the referral stage sends, in French, per recipient role and channel.
 * Each template is a typed function: a missing variable is a compile error, not a "{{name}}" in someone's inbox.
 */
export type Channel = 'email' | 'sms';
export type RecipientRole = 'young' | 'guardian' | 'prescriber' | 'staff';

export interface EmailContent {
  subject: string;
  text: string;
}

interface ReferralVars {
  youngFirstName: string;
  youngLastName: string;
  programmeLabel: string;
  reference: string;
  prescriberOrganisation: string;
}

const signature = "\n\nL'équipe CoopConnexion\nCoopérative d'activités du bassin minier";
const ref = (v: ReferralVars) => `Référence : ${v.reference}`;

export const templates = {
  receivedPrescriber: (v: ReferralVars): EmailContent => ({
    subject: `Orientation reçue : ${v.youngFirstName} ${v.youngLastName}`,
    text: `Bonjour,\n\nNous avons bien reçu votre orientation de ${v.youngFirstName} ${v.youngLastName} vers le programme « ${v.programmeLabel} ».\nL'équipe l'étudie et vous informera de sa décision.\n\n${ref(v)}${signature}`,
  }),
  receivedYoungEmail: (v: ReferralVars): EmailContent => ({
    subject: 'Votre orientation vers CoopConnexion',
    text: `Bonjour ${v.youngFirstName},\n\n${v.prescriberOrganisation} vous a orienté(e) vers CoopConnexion, programme « ${v.programmeLabel} ».\nNotre équipe étudie votre demande et vous recontacte très vite.\n\n${ref(v)}${signature}`,
  }),
  receivedYoungSms: (v: ReferralVars): string =>
    `CoopConnexion : bonjour ${v.youngFirstName}, ${v.prescriberOrganisation} vous a oriente(e) vers nous. Nous vous recontactons tres vite. Ref ${v.reference}`,
  receivedGuardian: (v: ReferralVars & { guardianName: string }): EmailContent => ({
    subject: `Orientation de ${v.youngFirstName} vers CoopConnexion`,
    text: `Bonjour ${v.guardianName},\n\n${v.prescriberOrganisation} a orienté ${v.youngFirstName} vers CoopConnexion, programme « ${v.programmeLabel} ».\nVotre autorisation sera demandée lors de l'accueil si la demande est acceptée.\n\n${ref(v)}${signature}`,
  }),
  decisionRequestStaff: (v: ReferralVars & { decisionUrl: string; eligible: boolean }): EmailContent => ({
    subject: `Nouvelle orientation à décider (${v.programmeLabel})`,
    text: `Bonjour,\n\nUne nouvelle orientation attend votre décision : ${v.youngFirstName} ${v.youngLastName}, par ${v.prescriberOrganisation}.\nÉligibilité : ${v.eligible ? 'conditions remplies' : 'à examiner (conditions non remplies)'}.\n\nOuvrir la demande : ${v.decisionUrl}\n(le lien ouvre une page de confirmation ; la décision se prend sur cette page, une fois connecté.)\n\n${ref(v)}${signature}`,
  }),
  reminderStaff: (v: ReferralVars & { decisionUrl: string; ageDays: number }): EmailContent => ({
    subject: `Relance : orientation en attente depuis ${v.ageDays} jours`,
    text: `Bonjour,\n\nL'orientation de ${v.youngFirstName} ${v.youngLastName} (${v.prescriberOrganisation}) attend une décision depuis ${v.ageDays} jours.\n\nOuvrir la demande : ${v.decisionUrl}\n\n${ref(v)}${signature}`,
  }),
  escalationStaff: (v: ReferralVars & { decisionUrl: string; ageDays: number; expiresInDays: number }): EmailContent => ({
    subject: `URGENT : orientation sans décision depuis ${v.ageDays} jours`,
    text: `Bonjour,\n\nL'orientation de ${v.youngFirstName} ${v.youngLastName} (${v.prescriberOrganisation}) attend une décision depuis ${v.ageDays} jours.\nSans décision, elle expirera dans ${v.expiresInDays} jours et le prescripteur en sera informé.\n\nOuvrir la demande : ${v.decisionUrl}\n\n${ref(v)}${signature}`,
  }),
  waitlistReviewStaff: (v: ReferralVars & { decisionUrl: string }): EmailContent => ({
    subject: "Liste d'attente : orientation à réexaminer",
    text: `Bonjour,\n\nL'orientation de ${v.youngFirstName} ${v.youngLastName} est sur liste d'attente. Une place s'est-elle libérée ?\n\nOuvrir la demande : ${v.decisionUrl}\n\n${ref(v)}${signature}`,
  }),
  expiredPrescriber: (v: ReferralVars): EmailContent => ({
    subject: `Orientation expirée : ${v.youngFirstName} ${v.youngLastName}`,
    text: `Bonjour,\n\nL'orientation de ${v.youngFirstName} ${v.youngLastName} n'a pas pu être traitée dans les délais et a expiré. Vous pouvez nous la renvoyer ou nous contacter.\n\n${ref(v)}${signature}`,
  }),
  decisionPrescriber: (v: ReferralVars & { outcomeLabel: string; reasonLabel?: string; message?: string }): EmailContent => ({
    subject: `Décision sur l'orientation de ${v.youngFirstName} ${v.youngLastName} : ${v.outcomeLabel}`,
    text: `Bonjour,\n\nDécision de l'équipe sur l'orientation de ${v.youngFirstName} ${v.youngLastName} (programme « ${v.programmeLabel} ») : ${v.outcomeLabel}.${v.reasonLabel ? `\nMotif : ${v.reasonLabel}.` : ''}${v.message ? `\n\nMessage de l'équipe :\n${v.message}` : ''}\n\n${ref(v)}${signature}`,
  }),
  decisionYoungEmail: (v: ReferralVars & { outcome: 'accepted' | 'refused' | 'waitlisted'; reasonLabel?: string; message?: string }): EmailContent => ({
    subject:
      v.outcome === 'accepted'
        ? 'Bienvenue à CoopConnexion !'
        : v.outcome === 'waitlisted'
          ? "Votre demande est sur liste d'attente"
          : 'Réponse à votre orientation vers CoopConnexion',
    text: `Bonjour ${v.youngFirstName},\n\n${
      v.outcome === 'accepted'
        ? `Bonne nouvelle : votre entrée dans le programme « ${v.programmeLabel} » est acceptée. Nous allons vous inviter à une réunion d'information.`
        : v.outcome === 'waitlisted'
          ? `Votre demande pour le programme « ${v.programmeLabel} » est sur liste d'attente. Nous vous écrivons dès qu'une place se libère.`
          : `Nous ne pouvons pas vous accueillir dans le programme « ${v.programmeLabel} » pour le moment.${v.reasonLabel ? ` Motif : ${v.reasonLabel}.` : ''} Votre conseiller(e) chez ${v.prescriberOrganisation} peut vous aider à trouver une autre solution.`
    }${v.message ? `\n\n${v.message}` : ''}\n\n${ref(v)}${signature}`,
  }),
  decisionYoungSms: (v: ReferralVars & { outcome: 'accepted' | 'refused' | 'waitlisted' }): string =>
    v.outcome === 'accepted'
      ? `CoopConnexion : bonne nouvelle ${v.youngFirstName}, votre entree est acceptee ! Nous vous invitons bientot a une reunion d'information.`
      : v.outcome === 'waitlisted'
        ? `CoopConnexion : ${v.youngFirstName}, votre demande est sur liste d'attente. Nous vous recontactons des qu'une place se libere.`
        : `CoopConnexion : ${v.youngFirstName}, nous ne pouvons pas vous accueillir pour le moment. Detail envoye par e-mail.`,
} as const;

export const OUTCOME_LABELS = { accepted: 'acceptée', refused: 'refusée', waitlisted: "liste d'attente" } as const;

/** SMS stay in the GSM 7-bit alphabet (160 characters a segment): accents are removed. */
export function toGsmText(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[’‘]/g, "'")
    .replace(/[«»“”]/g, '"')
    .replace(/œ/g, 'oe')
    .replace(/Œ/g, 'OE');
}
