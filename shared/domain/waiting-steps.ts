import * as z from 'zod/mini';
import { PARIS } from './time.js';
import { choice, optionalText } from './validation.js';

/**
 * A waiting step: a point of a path where the workflow waits for a person (staff deciding on a referral,
 * and, in later stages, a guardian's consent, a countersigned contract, a launch, a month of invoices, an exit).
 * Every kind is one approval record with the same life: open → decided (or expired, or closed), reminders
 * and escalation on deadlines, and a hand-over of the decision to the waiting workflow that cannot be lost.
 * A kind only declares its outcomes, its labels and what its decision changes (shared/data/waiting-steps/).
 */
export const WAITING_STEP_KINDS = [
  'referral-decision',
  'incident',
  'information-session',
  'diagnosis',
  'documents',
  'guardian-consent',
  'contract-acceptance',
  'contract-countersign',
  'onboarding-review',
  'activity-launch',
  'invoicing-batch',
] as const;
export type WaitingStepKind = (typeof WAITING_STEP_KINDS)[number];

export const WAITING_STEP_KIND_LABELS: Record<WaitingStepKind, string> = {
  'referral-decision': 'Décision sur une orientation',
  incident: 'À traiter',
  'information-session': "Réunion d'information",
  diagnosis: 'Entretien de diagnostic',
  documents: 'Pièces justificatives',
  'guardian-consent': 'Accord du représentant légal',
  'contract-acceptance': 'Acceptation du contrat',
  'contract-countersign': 'Contresignature du contrat',
  'onboarding-review': "Revue de l'accueil",
  'activity-launch': "Lancement d'une activité",
  'invoicing-batch': 'Factures du mois à valider',
};

/** Who acts on a waiting step. Only the staff's steps are listed in their inbox; the others are found through their subject. */
export const WAITING_STEP_AUDIENCES = ['staff', 'young-person', 'guardian'] as const;
export type WaitingStepAudience = (typeof WAITING_STEP_AUDIENCES)[number];

export const WAITING_STEP_AUDIENCE: Record<WaitingStepKind, WaitingStepAudience> = {
  'referral-decision': 'staff',
  incident: 'staff',
  'information-session': 'young-person',
  diagnosis: 'staff',
  documents: 'young-person',
  'guardian-consent': 'guardian',
  'contract-acceptance': 'young-person',
  'contract-countersign': 'staff',
  'onboarding-review': 'staff',
  'activity-launch': 'staff',
  'invoicing-batch': 'staff',
};

/** The kinds staff decide themselves (those whose audience is `staff`): the inbox's filter offers these. */
export const STAFF_WAITING_STEP_KINDS = ['referral-decision', 'incident', 'diagnosis', 'contract-countersign', 'onboarding-review', 'activity-launch', 'invoicing-batch'] as const satisfies readonly WaitingStepKind[];

/**
 * Which wait of the step asks: the first one, after a reminder, after an escalation, a waiting list's, an
 * incident's, or a step waited for again after staff chose to go on (onboarding review).
 */
export const WAITING_PHASES = ['initial', 'reminded', 'escalated', 'waitlist', 'incident', 'resumed'] as const;
export type WaitingPhase = (typeof WAITING_PHASES)[number];

export const WAITING_PHASE_LABELS: Record<WaitingPhase, string> = {
  initial: 'Nouvelle',
  reminded: 'Relancée',
  escalated: 'Escaladée',
  waitlist: "Liste d'attente",
  incident: 'À traiter',
  resumed: 'Reprise après revue',
};

/** What a missed deadline triggers. */
export const DEADLINE_STEPS = ['remind', 'escalate', 'expire', 'waitlist-review'] as const;
export type DeadlineStep = (typeof DEADLINE_STEPS)[number];

/**
 * `open` while someone may act; `decided` once they did (single use); `expired` when the last deadline passed
 * first; `closed` when staff closed the path (from its "à traiter").
 */
export type WaitingStepStatus = 'open' | 'decided' | 'expired' | 'closed';

/**
 * Whether the workflow has the decision: `pending` from the decision's commit until the workflow's next step
 * takes it (`done`). The reconciler hands pending decisions over again; nothing else depends on SendTaskSuccess.
 */
export type HandoverStatus = 'pending' | 'done';

/** What staff can do with a path step that failed: run it again, or close the path. */
export const INCIDENT_OUTCOMES = ['retry', 'close'] as const;
export type IncidentOutcome = (typeof INCIDENT_OUTCOMES)[number];
export const INCIDENT_OUTCOME_LABELS: Record<IncidentOutcome, string> = { retry: "Relancer l'étape", close: 'Clôturer le parcours' };

export const incidentDecisionSchema = z.strictObject(
  {
    outcome: choice(INCIDENT_OUTCOMES, "Décision inconnue (relancer l'étape ou clôturer le parcours)."),
    comment: optionalText(2000),
  },
  'Le contenu doit être un objet JSON.',
);
export type IncidentDecision = z.infer<typeof incidentDecisionSchema>;

/**
 * What staff read about a step that failed after its retries: the step in the business's words and the
 * error's class in plain French (never the error's text, which may quote personal data).
 */
export function incidentExplanation(step: string, errorName: string): string {
  const known: Record<string, string> = {
    'States.Timeout': "l'étape n'a pas répondu à temps",
    'States.TaskFailed': "l'étape a échoué",
    'Lambda.ServiceException': 'le service de calcul était indisponible',
    'Lambda.TooManyRequestsException': 'le service de calcul était saturé',
    ProvisionedThroughputExceededException: 'la base de données était saturée',
    ThrottlingException: 'un service était saturé',
    InternalServerError: 'un service a répondu par une erreur interne',
    ValidationException: 'une donnée a été refusée par un service',
    NotFoundError: "l'élément concerné est introuvable",
  };
  const why = known[errorName] ?? `erreur technique (${errorName.slice(0, 80)})`;
  return `L'étape « ${step} » n'a pas pu aboutir malgré plusieurs tentatives : ${why}. Relancez l'étape quand la cause est réglée, ou clôturez le parcours.`;
}

/**
 * Why an approval can no longer be decided, in a sentence staff understand: who decided and when,
 * or that the deadline passed, or that the subject was decided elsewhere.
 */
export function noLongerOpenMessage(approval: {
  status: WaitingStepStatus;
  decidedAt?: string;
  decidedBy?: { name: string };
  outcomeLabel?: string;
  closedAt?: string;
}): string {
  const when = (iso: string | undefined) =>
    iso ? ` le ${new Intl.DateTimeFormat('fr-FR', { timeZone: PARIS, dateStyle: 'long', timeStyle: 'short' }).format(new Date(iso))}` : '';
  if (approval.status === 'expired') {
    return `Cette demande a expiré${when(approval.closedAt)} sans décision : le délai de réponse est dépassé. Aucune nouvelle décision n'a été enregistrée.`;
  }
  if (approval.status === 'closed') {
    return `Cette demande a été close${when(approval.closedAt)} : le parcours a été clôturé par l'équipe. Aucune nouvelle décision n'a été enregistrée.`;
  }
  const who = approval.decidedBy?.name ? ` par ${approval.decidedBy.name}` : '';
  const what = approval.outcomeLabel ? ` (${approval.outcomeLabel})` : '';
  return `Cette demande a déjà été décidée${when(approval.decidedAt)}${who}${what}. Aucune nouvelle décision n'a été enregistrée.`;
}
