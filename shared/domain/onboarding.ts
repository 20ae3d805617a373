import * as z from 'zod/mini';
import { AGE_OF_MAJORITY, type Programme } from './programmes.js';
import { ageOn } from './time.js';
import { choice, optionalText } from './validation.js';
import type { WaitingStepKind } from './waiting-steps.js';

/**
 * Onboarding (stage 2): from an accepted referral to a young person ready to launch an activity.
 * One onboarding per accepted referral (its id is the referral's), one item per step; each step but the
 * staff's review of a stuck step is waited for through a waiting step of the same name.
 */
export const ONBOARDING_STEPS = [
  'information-session',
  'diagnosis',
  'documents',
  'guardian-consent',
  'contract-acceptance',
  'contract-countersign',
  'review',
] as const;
export type OnboardingStep = (typeof ONBOARDING_STEPS)[number];

export const ONBOARDING_STEP_LABELS: Record<OnboardingStep, string> = {
  'information-session': "Réunion d'information",
  diagnosis: 'Entretien individuel de diagnostic',
  documents: 'Pièces justificatives',
  'guardian-consent': 'Accord du représentant légal',
  'contract-acceptance': 'Acceptation du contrat',
  'contract-countersign': 'Contresignature du contrat',
  review: "Revue du dossier par l'équipe",
};

/** The waiting-step kind of each step (the review is the `onboarding-review` kind). */
export const KIND_OF_STEP: Record<OnboardingStep, WaitingStepKind> = {
  'information-session': 'information-session',
  diagnosis: 'diagnosis',
  documents: 'documents',
  'guardian-consent': 'guardian-consent',
  'contract-acceptance': 'contract-acceptance',
  'contract-countersign': 'contract-countersign',
  review: 'onboarding-review',
};

export function stepOfKind(kind: WaitingStepKind): OnboardingStep | undefined {
  return ONBOARDING_STEPS.find((step) => KIND_OF_STEP[step] === kind);
}

/** `todo` until its turn; `waiting` while someone must act; `done` with its outcome; `skipped` when it does not apply (consent for an adult). */
export const ONBOARDING_STEP_STATUSES = ['todo', 'waiting', 'done', 'skipped'] as const;
export type OnboardingStepStatus = (typeof ONBOARDING_STEP_STATUSES)[number];

export const ONBOARDING_STEP_STATUS_LABELS: Record<OnboardingStepStatus, string> = {
  todo: 'À venir',
  waiting: 'En cours',
  done: 'Terminée',
  skipped: 'Sans objet',
};

/** `active` while the steps run, `ready` for the activity launch, `ended` when staff stopped the path (or a guardian refused). */
export const ONBOARDING_STATUSES = ['active', 'ready', 'ended'] as const;
export type OnboardingStatus = (typeof ONBOARDING_STATUSES)[number];

/**
 * Whether the young person is a minor when the programme starts: the guardian's consent (and their identity
 * document) is then required, whatever their age on the day of the referral.
 * @example isMinorAtStart('2010-09-01', '2026-07-01') // true (15 on 1 July 2026)
 */
export function isMinorAtStart(birthDate: string, programmeStartDate: string): boolean {
  return ageOn(birthDate, programmeStartDate) < AGE_OF_MAJORITY;
}

/**
 * The steps a young person goes through, in order: the same for the three programmes (their contracts differ,
 * not their steps), with the guardian's consent for a minor only. The review is not in the order: it only
 * happens when a step is stuck.
 * @example onboardingSteps('accompagnement', false) // ['information-session', 'diagnosis', 'documents', 'contract-acceptance', 'contract-countersign']
 */
export function onboardingSteps(_programme: Programme, minor: boolean): OnboardingStep[] {
  return ONBOARDING_STEPS.filter((step) => step !== 'review' && (minor || step !== 'guardian-consent'));
}

/** The status every step item starts with: the steps that do not apply are `skipped` from the start. */
export function initialStepStatus(step: OnboardingStep, programme: Programme, minor: boolean): OnboardingStepStatus {
  if (step === 'review') return 'todo';
  return onboardingSteps(programme, minor).includes(step) ? 'todo' : 'skipped';
}

/** What the young person reads about a step in their space: what to do now (or that nothing is asked of them). */
export function nextActionOf(step: OnboardingStep, status: OnboardingStepStatus, minor: boolean): string {
  if (status === 'done') return 'Étape terminée.';
  if (status === 'skipped') return 'Cette étape ne vous concerne pas.';
  if (status === 'todo') return 'Cette étape viendra après les précédentes.';
  switch (step) {
    case 'information-session':
      return "Choisissez une réunion d'information parmi les dates proposées, puis venez-y.";
    case 'diagnosis':
      return "L'équipe vous contacte pour fixer votre entretien individuel : vous en parlerez de votre projet, de vos compétences et de vos besoins.";
    case 'documents':
      return minor
        ? "Envoyez depuis votre téléphone votre pièce d'identité, un justificatif de situation, votre RIB et la pièce d'identité de votre représentant légal."
        : "Envoyez depuis votre téléphone votre pièce d'identité, un justificatif de situation et votre RIB.";
    case 'guardian-consent':
      return 'Votre représentant légal donne son accord depuis le lien personnel qu’il a reçu par e-mail et SMS.';
    case 'contract-acceptance':
      return 'Lisez votre contrat puis acceptez-le.';
    case 'contract-countersign':
      return "L'équipe contresigne votre contrat : rien à faire de votre côté.";
    case 'review':
      return "L'équipe examine votre dossier et revient vers vous.";
  }
}

/** What staff decide on a stuck step (a second absence at the information session, documents missing after 14 days). */
export const ONBOARDING_REVIEW_OUTCOMES = ['continue', 'end'] as const;
export type OnboardingReviewOutcome = (typeof ONBOARDING_REVIEW_OUTCOMES)[number];
export const ONBOARDING_REVIEW_OUTCOME_LABELS: Record<OnboardingReviewOutcome, string> = {
  continue: "Poursuivre l'accueil",
  end: 'Arrêter le parcours',
};

/** Why an onboarding ends: staff choose one when they stop a path; a guardian's refusal ends it by itself. */
export const ONBOARDING_END_REASONS = {
  'no-show': 'Absences répétées sans nouvelles',
  'documents-missing': 'Pièces justificatives non fournies',
  withdrawn: 'Le jeune ne souhaite plus poursuivre',
  unreachable: 'Le jeune est injoignable',
  'situation-changed': 'Changement de situation (emploi, formation, déménagement)',
  'guardian-refused': 'Refus du représentant légal',
  other: 'Autre motif',
} as const;
export type OnboardingEndReason = keyof typeof ONBOARDING_END_REASONS;
/** The reasons staff may pick (a guardian's refusal is recorded by the guardian's own answer). */
export const STAFF_END_REASON_CODES = ['no-show', 'documents-missing', 'withdrawn', 'unreachable', 'situation-changed', 'other'] as const satisfies readonly OnboardingEndReason[];

export const onboardingReviewDecisionSchema = z
  .strictObject(
    {
      outcome: choice(ONBOARDING_REVIEW_OUTCOMES, "Décision inconnue (poursuivre l'accueil ou arrêter le parcours)."),
      reasonCode: z.optional(choice(STAFF_END_REASON_CODES, "Motif d'arrêt inconnu.")),
      comment: optionalText(2000),
    },
    'Le contenu doit être un objet JSON.',
  )
  .check(
    z.superRefine((value, ctx) => {
      if (value.outcome === 'end' && !value.reasonCode) {
        ctx.issues.push({ code: 'custom', input: undefined, path: ['reasonCode'], message: "Choisissez le motif de l'arrêt." });
      }
      if (value.outcome !== 'end' && value.reasonCode) {
        ctx.issues.push({ code: 'custom', input: value.reasonCode, path: ['reasonCode'], message: "Un motif ne se donne que pour un arrêt du parcours." });
      }
    }),
  );
export type OnboardingReviewDecision = z.infer<typeof onboardingReviewDecisionSchema>;

/** Staff countersign a contract the young person accepted (the generic decision route). */
export const countersignDecisionSchema = z.strictObject(
  { outcome: choice(['countersigned'] as const, 'Décision inconnue (contresigner).'), comment: optionalText(2000) },
  'Le contenu doit être un objet JSON.',
);
export type CountersignDecision = z.infer<typeof countersignDecisionSchema>;
