/**
 * The messages of the guardian's consent and of the contract (onboarding), merged into the catalogue. Links for the
 * young person and the guardian are their personal links: drafts pass the placeholder the outbox's sender replaces
 * (`LINK_PLACEHOLDERS` of shared/domain/personal-links.ts), never a token.
 */

interface EmailText {
  subject: string;
  body: string;
}

export const CONTRACT_MESSAGE_KINDS = [
  'guardian-consent-request',
  'guardian-consent-reminder',
  'guardian-consent-escalation',
  'guardian-consent-given',
  'guardian-consent-refused',
  'contract-ready',
  'contract-acceptance-reminder',
  'contract-countersign-request',
  'contract-countersign-reminder',
  'contract-countersigned',
] as const;

/** What every onboarding message of this part names. */
export interface OnboardingMessageVars {
  youngFirstName: string;
  youngLastName: string;
  programmeLabel: string;
  reference: string;
}
/** A message with the recipient's personal link (or its placeholder, in a draft). */
interface LinkVars extends OnboardingMessageVars {
  personalLink: string;
}
interface GuardianVars extends LinkVars {
  guardianName: string;
}
/** Staff open the onboarding, or the decision page of a countersignature. */
interface StaffVars extends OnboardingMessageVars {
  staffUrl: string;
}

const signature = "\n\nL'équipe CoopConnexion\nCoopérative d'activités du bassin minier";
const staffSignature = '\n\nParcours CoopConnexion (message automatique)';
const ref = (v: OnboardingMessageVars) => `Référence : ${v.reference}`;
const fullName = (v: OnboardingMessageVars) => `${v.youngFirstName} ${v.youngLastName}`;

function consentRequestEmail(reminder: boolean) {
  return (v: GuardianVars): EmailText => ({
    subject: `${reminder ? 'Rappel : ' : ''}votre accord pour la participation de ${v.youngFirstName} à CoopConnexion`,
    body: `Bonjour ${v.guardianName},\n\n${
      reminder ? 'Nous attendons toujours votre réponse. ' : ''
    }${v.youngFirstName} commence le programme « ${v.programmeLabel} » de CoopConnexion. Comme ${v.youngFirstName} est mineur(e), votre accord est nécessaire.\n\nSur cette page personnelle, vous lisez ce à quoi vous consentez (le programme, ses dates, les activités, les données personnelles et le droit à l'image), puis vous donnez ou refusez votre accord :\n${v.personalLink}\n\nCe lien vous est personnel : ne le transférez pas.\n\n${ref(v)}${signature}`,
  });
}

function consentRequestSms(reminder: boolean) {
  return (v: Pick<GuardianVars, 'youngFirstName' | 'personalLink'>) =>
    `CoopConnexion : ${reminder ? 'rappel, ' : ''}votre accord est necessaire pour la participation de ${v.youngFirstName}. Repondez ici : ${v.personalLink}`;
}

export const CONTRACT_MESSAGES = {
  // The law asks for a guardian's consent before a minor takes part: the request goes even to an opted-out address.
  'guardian-consent-request': {
    guardian: { mandatory: true, email: consentRequestEmail(false), sms: consentRequestSms(false) },
  },
  'guardian-consent-reminder': {
    guardian: { mandatory: false, email: consentRequestEmail(true), sms: consentRequestSms(true) },
  },
  'guardian-consent-escalation': {
    staff: {
      mandatory: false,
      email: (v: StaffVars & { ageDays: number }) => ({
        subject: `Accord du représentant légal sans réponse : ${fullName(v)}`,
        body: `Bonjour,\n\nLe représentant légal de ${fullName(v)} (programme « ${v.programmeLabel} ») n'a pas répondu à la demande d'accord envoyée il y a ${v.ageDays} jour${v.ageDays > 1 ? 's' : ''}. Un appel peut débloquer la situation.\n\nOuvrir l'accueil : ${v.staffUrl}\n\n${ref(v)}${staffSignature}`,
      }),
    },
  },
  'guardian-consent-given': {
    young: {
      mandatory: false,
      email: (v: LinkVars) => ({
        subject: 'Votre représentant légal a donné son accord',
        body: `Bonjour ${v.youngFirstName},\n\nVotre représentant légal a donné son accord pour votre participation au programme « ${v.programmeLabel} ». Votre contrat va être préparé : vous le lirez dans votre espace.\n${v.personalLink}\n\n${ref(v)}${signature}`,
      }),
      sms: (v: Pick<LinkVars, 'youngFirstName' | 'personalLink'>) =>
        `CoopConnexion : ${v.youngFirstName}, votre representant legal a donne son accord. Votre contrat arrive bientot : ${v.personalLink}`,
    },
    staff: {
      mandatory: false,
      email: (v: StaffVars) => ({
        subject: `Accord du représentant légal donné : ${fullName(v)}`,
        body: `Bonjour,\n\nLe représentant légal de ${fullName(v)} a donné son accord (programme « ${v.programmeLabel} »). Le contrat est préparé dès que toutes les pièces sont validées.\n\nOuvrir l'accueil : ${v.staffUrl}\n\n${ref(v)}${staffSignature}`,
      }),
    },
  },
  // A refusal ends the path: the young person must hear of it.
  'guardian-consent-refused': {
    young: {
      mandatory: true,
      email: (v: OnboardingMessageVars) => ({
        subject: 'Votre représentant légal a refusé son accord',
        body: `Bonjour ${v.youngFirstName},\n\nVotre représentant légal n'a pas donné son accord pour votre participation au programme « ${v.programmeLabel} » : votre parcours s'arrête là pour le moment. Notre équipe va vous contacter, ainsi que votre conseiller ou conseillère, pour en parler.\n\n${ref(v)}${signature}`,
      }),
      sms: (v: Pick<OnboardingMessageVars, 'youngFirstName'>) =>
        `CoopConnexion : ${v.youngFirstName}, votre representant legal n'a pas donne son accord. Notre equipe va vous contacter pour en parler.`,
    },
    staff: {
      mandatory: false,
      email: (v: StaffVars & { comment?: string }) => ({
        subject: `Refus du représentant légal : ${fullName(v)}`,
        body: `Bonjour,\n\nLe représentant légal de ${fullName(v)} a refusé son accord (programme « ${v.programmeLabel} ») : le parcours est arrêté. Pensez à contacter la famille et le prescripteur.${
          v.comment ? `\n\nCommentaire du représentant légal :\n${v.comment}` : ''
        }\n\nOuvrir l'accueil : ${v.staffUrl}\n\n${ref(v)}${staffSignature}`,
      }),
    },
  },
  'contract-ready': {
    young: {
      mandatory: false,
      email: (v: LinkVars & { contractTitle: string }) => ({
        subject: 'Votre contrat est prêt : lisez-le et acceptez-le',
        body: `Bonjour ${v.youngFirstName},\n\nVotre contrat est prêt : « ${v.contractTitle} ». Lisez-le dans votre espace, puis acceptez-le : l'équipe le contresignera ensuite.\n${v.personalLink}\n\n${ref(v)}${signature}`,
      }),
      sms: (v: Pick<LinkVars, 'youngFirstName' | 'personalLink'>) =>
        `CoopConnexion : ${v.youngFirstName}, votre contrat est pret. Lisez-le et acceptez-le ici : ${v.personalLink}`,
    },
  },
  'contract-acceptance-reminder': {
    young: {
      mandatory: false,
      email: (v: LinkVars) => ({
        subject: 'Rappel : votre contrat attend votre acceptation',
        body: `Bonjour ${v.youngFirstName},\n\nVotre contrat pour le programme « ${v.programmeLabel} » attend toujours votre acceptation. Lisez-le et acceptez-le dans votre espace :\n${v.personalLink}\n\n${ref(v)}${signature}`,
      }),
      sms: (v: Pick<LinkVars, 'youngFirstName' | 'personalLink'>) =>
        `CoopConnexion : ${v.youngFirstName}, votre contrat attend votre acceptation : ${v.personalLink}`,
    },
    staff: {
      mandatory: false,
      email: (v: StaffVars & { ageDays: number }) => ({
        subject: `Contrat non accepté depuis ${v.ageDays} jour${v.ageDays > 1 ? 's' : ''} : ${fullName(v)}`,
        body: `Bonjour,\n\n${fullName(v)} n'a pas encore accepté son contrat (programme « ${v.programmeLabel} »), prêt depuis ${v.ageDays} jour${v.ageDays > 1 ? 's' : ''}.\n\nOuvrir l'accueil : ${v.staffUrl}\n\n${ref(v)}${staffSignature}`,
      }),
    },
  },
  'contract-countersign-request': {
    staff: {
      mandatory: false,
      email: (v: StaffVars) => ({
        subject: `Contrat à contresigner : ${fullName(v)}`,
        body: `Bonjour,\n\n${fullName(v)} a accepté son contrat (programme « ${v.programmeLabel} »). Il reste à le contresigner pour la coopérative.\n\nOuvrir la demande : ${v.staffUrl}\n(Le lien ouvre une page de confirmation : la contresignature se fait sur cette page, après connexion.)\n\n${ref(v)}${staffSignature}`,
      }),
    },
  },
  'contract-countersign-reminder': {
    staff: {
      mandatory: false,
      email: (v: StaffVars & { ageDays: number }) => ({
        subject: `Relance : contrat à contresigner depuis ${v.ageDays} jour${v.ageDays > 1 ? 's' : ''}`,
        body: `Bonjour,\n\nLe contrat accepté par ${fullName(v)} attend la contresignature de la coopérative depuis ${v.ageDays} jour${v.ageDays > 1 ? 's' : ''}.\n\nOuvrir la demande : ${v.staffUrl}\n\n${ref(v)}${staffSignature}`,
      }),
    },
  },
  // The signed contract binds the young person and, for a minor, the guardian: both are told it is in force.
  'contract-countersigned': {
    young: {
      mandatory: true,
      email: (v: LinkVars) => ({
        subject: 'Votre contrat est signé',
        body: `Bonjour ${v.youngFirstName},\n\nLa coopérative a contresigné votre contrat pour le programme « ${v.programmeLabel} ». La version signée par les deux parties est dans votre espace, à télécharger et à garder :\n${v.personalLink}\n\n${ref(v)}${signature}`,
      }),
      sms: (v: Pick<LinkVars, 'youngFirstName' | 'personalLink'>) =>
        `CoopConnexion : ${v.youngFirstName}, votre contrat est signe par les deux parties. Telechargez-le ici : ${v.personalLink}`,
    },
    guardian: {
      mandatory: true,
      email: (v: GuardianVars) => ({
        subject: `Le contrat de ${v.youngFirstName} est signé`,
        body: `Bonjour ${v.guardianName},\n\nLa coopérative a contresigné le contrat de ${v.youngFirstName} pour le programme « ${v.programmeLabel} », accepté avec votre accord. Vous pouvez le consulter sur votre page :\n${v.personalLink}\n\n${ref(v)}${signature}`,
      }),
    },
  },
};
