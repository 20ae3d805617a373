/**
 * The messages of an activity's launch (issue 10), merged into the catalogue: the launch file sent for approval,
 * sent back with the team's comment, approved (the activity is launched). The young person's link is their personal
 * link to `/mon-activite` (the placeholder the outbox's sender replaces, never a token); a minor's guardian is told
 * of the launch and of a file sent back, without a link.
 */

interface EmailText {
  subject: string;
  body: string;
}

export const ACTIVITY_MESSAGE_KINDS = ['launch-submitted', 'launch-sent-back', 'activity-launched'] as const;

/** What every launch message names: the member, the activity and its programme. */
export interface LaunchMessageVars {
  youngFirstName: string;
  activityName: string;
  programmeLabel: string;
  reference: string;
}
/** With the member's personal link (its placeholder in a draft). */
interface LaunchLinkVars extends LaunchMessageVars {
  personalLink: string;
}
interface SentBackVars extends LaunchLinkVars {
  /** The team's comment, as typed: what to change. */
  teamComment: string;
}
interface GuardianVars extends LaunchMessageVars {
  guardianName: string;
}

const ref = (v: LaunchMessageVars) => `Référence : ${v.reference}`;

/** The templates, with the catalogue's signature. */
export function activityTemplates(signature: string) {
  return {
    'launch-submitted': {
      young: {
        mandatory: false,
        email: (v: LaunchLinkVars) => ({
          subject: 'Votre dossier de lancement est envoyé',
          body: `Bonjour ${v.youngFirstName},\n\nLe dossier de lancement de l'activité « ${v.activityName} » (programme « ${v.programmeLabel} ») est envoyé à l'équipe, qui le vérifie : prix, services, assurance. Vous recevrez sa réponse par e-mail et par SMS.\n\nVotre activité : ${v.personalLink}\n\n${ref(v)}${signature}`,
        }),
        sms: (v: Pick<LaunchLinkVars, 'youngFirstName' | 'activityName' | 'personalLink'>) =>
          `CoopConnexion : ${v.youngFirstName}, le dossier de "${v.activityName}" est envoye a l'equipe. Suivez-le ici : ${v.personalLink}`,
      },
    },
    // The file comes back to the member with what to change: without it, the launch cannot go on.
    'launch-sent-back': {
      young: {
        mandatory: true,
        email: (v: SentBackVars): EmailText => ({
          subject: `Dossier de lancement à reprendre : ${v.activityName}`,
          body: `Bonjour ${v.youngFirstName},\n\nL'équipe a relu le dossier de lancement de l'activité « ${v.activityName} » et vous le renvoie pour quelques changements.\n\nMessage de l'équipe :\n${v.teamComment}\n\nModifiez le dossier puis envoyez-le à nouveau depuis votre espace : ${v.personalLink}\n\n${ref(v)}${signature}`,
        }),
        sms: (v: Pick<SentBackVars, 'youngFirstName' | 'activityName' | 'personalLink'>) =>
          `CoopConnexion : ${v.youngFirstName}, le dossier de "${v.activityName}" est a reprendre. Le message de l'equipe est dans votre espace : ${v.personalLink}`,
      },
      guardian: {
        mandatory: false,
        email: (v: GuardianVars): EmailText => ({
          subject: `Dossier de lancement de ${v.youngFirstName} à reprendre`,
          body: `Bonjour ${v.guardianName},\n\nL'équipe a renvoyé à ${v.youngFirstName} le dossier de lancement de l'activité « ${v.activityName} » (programme « ${v.programmeLabel} ») pour quelques changements. ${v.youngFirstName} les retrouve dans son espace.\n\n${ref(v)}${signature}`,
        }),
      },
    },
    // The activity is carried by the cooperative from now on: the member and a minor's guardian must know it.
    'activity-launched': {
      young: {
        mandatory: true,
        email: (v: LaunchLinkVars): EmailText => ({
          subject: `Votre activité est lancée : ${v.activityName}`,
          body: `Bonjour ${v.youngFirstName},\n\nBonne nouvelle : l'équipe a validé le lancement de l'activité « ${v.activityName} » (programme « ${v.programmeLabel} »). Elle est couverte par l'assurance de la coopérative, et CoopConnexion facture vos clients pour vous.\n\nVotre plaquette commerciale et vos prix sont dans votre espace : ${v.personalLink}\n\n${ref(v)}${signature}`,
        }),
        sms: (v: Pick<LaunchLinkVars, 'youngFirstName' | 'activityName' | 'personalLink'>) =>
          `CoopConnexion : bravo ${v.youngFirstName}, "${v.activityName}" est lancee ! Votre plaquette et vos prix : ${v.personalLink}`,
      },
      guardian: {
        mandatory: true,
        email: (v: GuardianVars): EmailText => ({
          subject: `Activité de ${v.youngFirstName} lancée`,
          body: `Bonjour ${v.guardianName},\n\nL'activité « ${v.activityName} » de ${v.youngFirstName} (programme « ${v.programmeLabel} ») est lancée. Elle est portée par la coopérative : CoopConnexion facture les clients, tient les comptes et l'assure.\n\n${ref(v)}${signature}`,
        }),
      },
    },
  } as const;
}
