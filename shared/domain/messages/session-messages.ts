/**
 * The messages of the information session and of the diagnosis interview (onboarding). The catalogue
 * (catalogue.ts) declares them with its own signature; the young person reaches their space through `linkUrl`,
 * which the drafts fill with the personal link's placeholder (the sender issues the link when it sends).
 */
export const SESSION_MESSAGE_KINDS = ['session-invitation', 'session-confirmed', 'session-reminder', 'session-reinvitation', 'diagnosis-scheduled'] as const;

export interface SessionMessageVars {
  youngFirstName: string;
  programmeLabel: string;
  reference: string;
}
/** Where the young person chooses or changes their session. */
interface InvitationVars extends SessionMessageVars {
  linkUrl: string;
}
/** A session chosen: when ("lundi 30 mars 2026 à 10:00", Paris time), where, and until when it can change. */
interface BookedVars extends InvitationVars {
  sessionDate: string;
  place: string;
  changeUntil: string;
}
interface GuardianVars {
  guardianName: string;
}
interface DiagnosisVars extends SessionMessageVars {
  interviewDate: string;
  /** "au 12 rue Casimir-Beugnet, Lens" or "par téléphone". */
  where: string;
}

const ref = (v: SessionMessageVars) => `Référence : ${v.reference}`;

/** The templates, with the catalogue's signature (so that every message of the cooperative ends the same way). */
export function sessionTemplates(signature: string) {
  return {
    'session-invitation': {
      young: {
        mandatory: false,
        email: (v: InvitationVars) => ({
          subject: "Choisissez votre réunion d'information",
          body: `Bonjour ${v.youngFirstName},\n\nVotre accueil dans le programme « ${v.programmeLabel} » commence par une réunion d'information collective. Choisissez la date qui vous convient dans votre espace :\n${v.linkUrl}\n\n${ref(v)}${signature}`,
        }),
        sms: (v: InvitationVars) => `CoopConnexion : ${v.youngFirstName}, choisissez votre reunion d'information ici : ${v.linkUrl}`,
      },
      guardian: {
        mandatory: false,
        email: (v: SessionMessageVars & GuardianVars) => ({
          subject: `Réunion d'information de ${v.youngFirstName}`,
          body: `Bonjour ${v.guardianName},\n\n${v.youngFirstName} est invité(e) à choisir une réunion d'information collective pour commencer son accueil dans le programme « ${v.programmeLabel} ». Nous vous confirmerons la date choisie.\n\n${ref(v)}${signature}`,
        }),
      },
    },
    'session-confirmed': {
      young: {
        mandatory: false,
        email: (v: BookedVars) => ({
          subject: `Réunion d'information : ${v.sessionDate}`,
          body: `Bonjour ${v.youngFirstName},\n\nVotre place est réservée à la réunion d'information du ${v.sessionDate}.\nLieu : ${v.place}\n\nVous pouvez changer de date jusqu'au ${v.changeUntil}, dans votre espace :\n${v.linkUrl}\nNous vous enverrons un rappel deux jours avant.\n\n${ref(v)}${signature}`,
        }),
        sms: (v: BookedVars) => `CoopConnexion : ${v.youngFirstName}, votre reunion d'information est le ${v.sessionDate}, ${v.place}.`,
      },
      guardian: {
        mandatory: false,
        email: (v: BookedVars & GuardianVars) => ({
          subject: `Réunion d'information de ${v.youngFirstName} : ${v.sessionDate}`,
          body: `Bonjour ${v.guardianName},\n\n${v.youngFirstName} a choisi la réunion d'information du ${v.sessionDate}.\nLieu : ${v.place}\n\n${ref(v)}${signature}`,
        }),
      },
    },
    'session-reminder': {
      young: {
        mandatory: false,
        email: (v: BookedVars) => ({
          subject: `Rappel : réunion d'information le ${v.sessionDate}`,
          body: `Bonjour ${v.youngFirstName},\n\nNous vous attendons à la réunion d'information du ${v.sessionDate}.\nLieu : ${v.place}\n\nSi vous ne pouvez pas venir, prévenez l'équipe ou changez de date dans votre espace jusqu'au ${v.changeUntil} :\n${v.linkUrl}\n\n${ref(v)}${signature}`,
        }),
        sms: (v: BookedVars) => `CoopConnexion : rappel ${v.youngFirstName}, reunion d'information le ${v.sessionDate}, ${v.place}. Empeche(e) ? Prevenez-nous.`,
      },
      guardian: {
        mandatory: false,
        email: (v: BookedVars & GuardianVars) => ({
          subject: `Rappel : réunion d'information de ${v.youngFirstName}`,
          body: `Bonjour ${v.guardianName},\n\nPour rappel, ${v.youngFirstName} est attendu(e) à la réunion d'information du ${v.sessionDate}.\nLieu : ${v.place}\n\n${ref(v)}${signature}`,
        }),
        sms: (v: BookedVars & GuardianVars) => `CoopConnexion : rappel, ${v.youngFirstName} est attendu(e) a la reunion d'information le ${v.sessionDate}, ${v.place}.`,
      },
    },
    'session-reinvitation': {
      young: {
        mandatory: false,
        email: (v: InvitationVars) => ({
          subject: "Choisissez une nouvelle réunion d'information",
          body: `Bonjour ${v.youngFirstName},\n\nNous ne vous avons pas vu(e) à la réunion d'information. Elle est nécessaire pour commencer votre accueil dans le programme « ${v.programmeLabel} » : choisissez une nouvelle date dans votre espace :\n${v.linkUrl}\n\n${ref(v)}${signature}`,
        }),
        sms: (v: InvitationVars) => `CoopConnexion : ${v.youngFirstName}, choisissez une nouvelle date de reunion d'information ici : ${v.linkUrl}`,
      },
      guardian: {
        mandatory: false,
        email: (v: SessionMessageVars & GuardianVars) => ({
          subject: `Nouvelle réunion d'information pour ${v.youngFirstName}`,
          body: `Bonjour ${v.guardianName},\n\n${v.youngFirstName} n'a pas pu suivre la réunion d'information prévue. Nous l'invitons à choisir une nouvelle date.\n\n${ref(v)}${signature}`,
        }),
      },
    },
    'diagnosis-scheduled': {
      young: {
        mandatory: false,
        email: (v: DiagnosisVars) => ({
          subject: `Votre entretien individuel : ${v.interviewDate}`,
          body: `Bonjour ${v.youngFirstName},\n\nUn membre de l'équipe vous rencontrera pour votre entretien individuel de diagnostic le ${v.interviewDate}, ${v.where}. Nous parlerons de vos objectifs, de vos compétences et de vos besoins.\n\n${ref(v)}${signature}`,
        }),
        sms: (v: DiagnosisVars) => `CoopConnexion : ${v.youngFirstName}, votre entretien individuel est le ${v.interviewDate}, ${v.where}.`,
      },
      guardian: {
        mandatory: false,
        email: (v: DiagnosisVars & GuardianVars) => ({
          subject: `Entretien individuel de ${v.youngFirstName}`,
          body: `Bonjour ${v.guardianName},\n\nL'entretien individuel de diagnostic de ${v.youngFirstName} aura lieu le ${v.interviewDate}, ${v.where}.\n\n${ref(v)}${signature}`,
        }),
      },
    },
  } as const;
}
