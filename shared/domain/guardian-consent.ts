import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { PROGRAMME_RULES, type Programme } from './programmes.js';
import { formatFrenchDate } from './time.js';
import { choice, optionalText, text } from './validation.js';

/**
 * The consent of a minor's guardian (onboarding, minors only), given or refused on the guardian's page reached by
 * their personal link. They read what they consent to (the programme and its dates, the kind of activities, the
 * personal data), answer the image rights as a separate choice, and confirm with their name and relationship.
 * Stored: the time, the SHA-256 of the exact text they read, and each choice (shared/data/guardian-consents.ts).
 */

export const GUARDIAN_CONSENT_OUTCOMES = ['consented', 'refused'] as const;
export type GuardianConsentOutcome = (typeof GUARDIAN_CONSENT_OUTCOMES)[number];
export const GUARDIAN_CONSENT_OUTCOME_LABELS: Record<GuardianConsentOutcome, string> = {
  consented: 'Accord donné',
  refused: 'Accord refusé',
};

/** What the text is about: the young person and the programme, as the onboarding knows them. */
export interface ConsentSubject {
  youngFirstName: string;
  programme: Programme;
  startDate: string;
  endDate: string;
}

export interface ConsentSection {
  title: string;
  text: string;
}

/** The text the guardian reads, with its SHA-256: the version they agree to, stored with their answer. */
export interface ConsentText {
  sections: ConsentSection[];
  imageRights: { question: string; explanation: string };
  sha256: string;
}

const ACTIVITIES: Record<Programme, (firstName: string) => string> = {
  cjs: (firstName) =>
    `Avec douze à quinze jeunes de son quartier, ${firstName} crée et fait fonctionner une entreprise coopérative qui vend des services (entretien d'espaces verts, petits travaux, aide aux déménagements, médiation). Les activités ont lieu en journée, encadrées par des animateurs de CoopConnexion. Le groupe décide ensemble, une personne une voix, et partage les revenus de l'entreprise.`,
  accompagnement: (firstName) =>
    `${firstName} développe sa propre activité économique avec l'accompagnement individuel et collectif de CoopConnexion, qui en assure la gestion administrative, fiscale et comptable.`,
  'jeunes-majeurs': (firstName) =>
    `${firstName} développe un projet personnel avec l'accompagnement de CoopConnexion et participe en parallèle à une activité collective avec les autres membres de la coopérative.`,
};

/**
 * The consent text for one young person; its SHA-256 covers every word the guardian reads, so a change of the text,
 * the dates or the programme is a new version.
 */
export function consentText(subject: ConsentSubject): ConsentText {
  const { youngFirstName: firstName } = subject;
  const sections: ConsentSection[] = [
    {
      title: 'Le programme',
      text: `${firstName} est accueilli(e) dans le programme « ${PROGRAMME_RULES[subject.programme].label} » de CoopConnexion, coopérative d'activités du bassin minier, du ${formatFrenchDate(subject.startDate)} au ${formatFrenchDate(subject.endDate)}.`,
    },
    { title: 'Les activités', text: ACTIVITIES[subject.programme](firstName) },
    {
      title: 'Les données personnelles',
      text: `CoopConnexion enregistre l'identité et les coordonnées de ${firstName} et les vôtres, les pièces justificatives et le suivi de son parcours. Seules l'équipe de la coopérative et la structure qui a orienté ${firstName} y ont accès. Elles sont anonymisées après deux ans sans activité. Vous pouvez y accéder, les faire rectifier ou vous opposer à leur traitement en écrivant à la coopérative.`,
    },
    {
      title: 'Ce que signifie votre accord',
      text: `En donnant votre accord, vous autorisez ${firstName} à participer au programme et à signer avec vous la convention d'adhésion que la coopérative préparera. Vous pouvez retirer votre accord à tout moment en prévenant l'équipe. Sans votre accord, ${firstName} ne peut pas participer au programme.`,
    },
  ];
  const imageRights = {
    question: `Autorisez-vous CoopConnexion à photographier ou filmer ${firstName} pendant les activités, et à utiliser ces images pour présenter la coopérative (site internet, réseaux sociaux, documents) ?`,
    explanation: 'Ce choix est indépendant de votre accord : vous pouvez refuser le droit à l’image sans conséquence sur la participation.',
  };
  const sha256 = createHash('sha256').update(JSON.stringify({ sections, imageRights })).digest('hex');
  return { sections, imageRights, sha256 };
}

const SHA256_MESSAGE = "La version du texte doit être une empreinte SHA-256 (64 caractères hexadécimaux) : rechargez la page.";

/**
 * What the guardian sends: their answer, the version of the text they read, their name and relationship, and for a
 * consent the image rights choice.
 */
export const guardianConsentSchema = z
  .strictObject(
    {
      outcome: choice(GUARDIAN_CONSENT_OUTCOMES, 'Réponse inconnue (consented ou refused).'),
      textSha256: z.string({ error: (issue) => (issue.input === undefined ? 'Ce champ est obligatoire.' : SHA256_MESSAGE) }).check(z.regex(/^[0-9a-f]{64}$/, SHA256_MESSAGE)),
      signerName: text({ max: 200 }),
      relationship: text({ max: 60 }),
      imageRights: z.optional(z.boolean('Répondez par oui ou par non.')),
      comment: optionalText(2000),
    },
    'Le contenu doit être un objet JSON.',
  )
  .check(
    z.superRefine((value, ctx) => {
      if (value.outcome === 'consented' && value.imageRights === undefined) {
        ctx.issues.push({ code: 'custom', input: undefined, path: ['imageRights'], message: "Indiquez si vous autorisez le droit à l'image." });
      }
      if (value.outcome === 'refused' && value.imageRights !== undefined) {
        ctx.issues.push({ code: 'custom', input: value.imageRights, path: ['imageRights'], message: "Le droit à l'image ne se donne qu'avec votre accord." });
      }
    }),
  );
export type GuardianConsentAnswer = z.infer<typeof guardianConsentSchema>;

/** What `GET /api/guardian` answers: what the guardian is asked, and their answer once given. */
export interface GuardianConsentView {
  youngFirstName: string;
  programme: Programme;
  programmeLabel: string;
  startDate: string;
  endDate: string;
  /** The guardian as the referral names them: the page fills the name field with it. */
  guardian: { firstName: string; lastName: string; relationship: string };
  sections: ConsentSection[];
  imageRights: { question: string; explanation: string };
  /** Send it back as `textSha256`: an answer to another version of the text is refused (409). */
  textSha256: string;
  /** `waiting` until the guardian answers; `not-yet` before the onboarding reaches the consent step. */
  status: 'not-yet' | 'waiting' | GuardianConsentOutcome;
  statusLabel: string;
  answer?: { at: string; outcome: GuardianConsentOutcome; signerName: string; relationship: string; imageRights?: boolean };
}
