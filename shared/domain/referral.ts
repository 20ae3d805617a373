import * as z from 'zod/mini';
import { PROGRAMMES, PROGRAMME_RULES, AGE_OF_MAJORITY, type Programme } from './programmes.js';
import { normalizeFrenchMobile } from './phone.js';
import { ageOn, isIsoDate, parisDate } from './time.js';
import { choice, optionalText, text, yesNo } from './validation.js';
import { REFUSAL_REASON_CODES } from './refusal-reasons.js';

const PHONE_MESSAGE = 'Numéro de mobile français invalide (06, 07 ou outre-mer, par exemple 06 12 34 56 78).';

const isoDate = (label: string) =>
  text({ max: 10 }).check(z.refine((value) => isIsoDate(value), `${label} invalide (format attendu : AAAA-MM-JJ).`));

const email = () => text({ max: 254 }).check(z.email('Adresse e-mail invalide.'));

const frenchMobile = () =>
  text({ max: 30 }).check(
    z.refine((value) => normalizeFrenchMobile(value) !== null, PHONE_MESSAGE),
    z.overwrite((value) => normalizeFrenchMobile(value) ?? value),
  );

const youngPerson = z.strictObject(
  {
    firstName: text({ max: 100 }),
    lastName: text({ max: 100 }),
    birthDate: isoDate('Date de naissance').check(
      z.refine((value) => value < parisDate(), 'La date de naissance doit être dans le passé.'),
      z.refine((value) => ageOn(value, parisDate()) < 40, 'Date de naissance invraisemblable pour ce dispositif.'),
    ),
    email: email(),
    phone: frenchMobile(),
    address: optionalText(200),
    postalCode: text({ max: 5 }).check(z.regex(/^\d{5}$/, 'Code postal invalide (5 chiffres).')),
    town: text({ max: 100 }),
    qpv: yesNo(),
    situation: choice(['demandeur-emploi', 'etudiant', 'autre'] as const, 'Situation inconnue.'),
    situationDetail: optionalText(500),
  },
  'Les informations sur le jeune doivent être un objet.',
);

const guardian = z.strictObject(
  {
    firstName: text({ max: 100 }),
    lastName: text({ max: 100 }),
    email: email(),
    phone: frenchMobile(),
    relationship: text({ max: 60 }),
  },
  'Les informations sur le représentant légal doivent être un objet.',
);

/** What a prescriber submits. Field names are the API's; messages are for the person filling the form. */
export const referralSubmissionSchema = z
  .strictObject(
    {
      programme: choice(PROGRAMMES, 'Programme inconnu.'),
      programmeStartDate: z.optional(isoDate('Date de début')),
      youngPerson,
      guardian: z.optional(guardian),
      projectIdea: text({ min: 10, max: 2000 }),
      notes: optionalText(2000),
      consent: z.strictObject(
        {
          dataProcessing: z.literal(true, {
            error: () => "Le consentement du jeune au traitement de ses données est obligatoire pour l'orienter.",
          }),
        },
        'Le consentement doit être un objet.',
      ),
    },
    'Le contenu doit être un objet JSON.',
  )
  .check(
    z.superRefine((value, ctx) => {
      if (!value.youngPerson?.birthDate || !isIsoDate(value.youngPerson.birthDate)) return;
      if (ageOn(value.youngPerson.birthDate, parisDate()) < AGE_OF_MAJORITY && !value.guardian) {
        ctx.issues.push({
          code: 'custom',
          input: value.guardian,
          path: ['guardian'],
          message: 'Pour un mineur, les coordonnées du représentant légal sont obligatoires.',
        });
      }
    }),
  );

export type ReferralSubmission = z.infer<typeof referralSubmissionSchema>;

export const REFERRAL_STATUSES = ['pending', 'waitlisted', 'accepted', 'refused', 'expired', 'closed'] as const;
export type ReferralStatus = (typeof REFERRAL_STATUSES)[number];

export const REFERRAL_STATUS_LABELS: Record<ReferralStatus, string> = {
  pending: 'En attente de décision',
  waitlisted: "Sur liste d'attente",
  accepted: 'Acceptée, accueil à démarrer',
  refused: 'Refusée',
  expired: 'Expirée sans décision',
  closed: "Clôturée par l'équipe",
};

export const DECISION_OUTCOMES = ['accepted', 'refused', 'waitlisted'] as const;
export type DecisionOutcome = (typeof DECISION_OUTCOMES)[number];

/** Which decisions a referral in a given status can still receive. */
export function allowedOutcomes(status: ReferralStatus): DecisionOutcome[] {
  if (status === 'pending') return ['accepted', 'refused', 'waitlisted'];
  if (status === 'waitlisted') return ['accepted', 'refused'];
  return [];
}

export const decisionSchema = z
  .strictObject(
    {
      outcome: choice(DECISION_OUTCOMES, 'Décision inconnue (acceptée, refusée ou liste d\'attente).'),
      reasonCode: z.optional(choice(REFUSAL_REASON_CODES, 'Motif de refus inconnu.')),
      messageToPrescriber: optionalText(2000),
      messageToYoungPerson: optionalText(2000),
    },
    'Le contenu doit être un objet JSON.',
  )
  .check(
    z.superRefine((value, ctx) => {
      if (value.outcome === 'refused' && !value.reasonCode) {
        ctx.issues.push({ code: 'custom', input: undefined, path: ['reasonCode'], message: 'Choisissez le motif du refus.' });
      }
      if (value.outcome !== 'refused' && value.reasonCode) {
        ctx.issues.push({ code: 'custom', input: value.reasonCode, path: ['reasonCode'], message: 'Un motif ne se donne que pour un refus.' });
      }
    }),
  );

export type Decision = z.infer<typeof decisionSchema>;

/** The path's status of the young person, across stages (onboarding and later stages extend it). */
export const PATH_STATUS_LABELS = {
  referred: 'Orienté(e), en attente de décision',
  waitlisted: "Sur liste d'attente",
  'onboarding-to-start': 'Acceptée, accueil à démarrer',
  'not-admitted': 'Non admis(e)',
  onboarding: 'Accueil en cours',
  'launch-ready': 'Prêt pour le lancement',
  'launch-submitted': 'Lancement en cours de validation',
  'activity-active': 'Activité lancée',
  'onboarding-ended': "Parcours arrêté pendant l'accueil",
} as const;
export type PathStatus = keyof typeof PATH_STATUS_LABELS;
/**
 * The path statuses of an onboarding and of the activity launch that follows it, recorded per accepted referral
 * (they take over from the referral's own).
 */
export type OnboardingPathStatus = Extract<PathStatus, 'onboarding' | 'launch-ready' | 'onboarding-ended' | 'launch-submitted' | 'activity-active'>;

export const programmeLabel = (programme: Programme) => PROGRAMME_RULES[programme].label;

/** A corrected contact, as staff type it on the "to fix" list: an e-mail address or a French mobile number. */
export const contactFixSchemas = {
  email: z.strictObject({ value: email() }, 'La correction doit être un objet { value }.'),
  sms: z.strictObject({ value: frenchMobile() }, 'La correction doit être un objet { value }.'),
} as const;
