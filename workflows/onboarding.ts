import { RemovalPolicy } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { OnboardingTimings, WaitTimings } from '../infra/config.js';
import type { WaitingPhase } from '../shared/domain/waiting-steps.js';
import { PathSteps, type WaitSpec, type WaitingStepFunctions } from './path-steps.js';

export interface OnboardingWorkflowProps {
  fns: WaitingStepFunctions & {
    onboardingStep: lambda.IFunction;
    /** "Préparer le contrat" (the contract stage's function): refuses until the documents and the consent are in. */
    prepareContract?: lambda.IFunction;
  };
  config: OnboardingTimings;
  /** Execution logs; a log group with CDK defaults when omitted. */
  logGroup?: logs.ILogGroup;
}

/**
 * A reminder, then an escalation (to the team, or a second reminder, as the kind words it), then the same wait
 * again, reminded each period: a young person's path never ends by default.
 */
function remindedWaits(what: string, timings: WaitTimings, firstPhase: WaitingPhase = 'initial', suffix = ''): WaitSpec[] {
  return [
    { name: `Attendre ${what}${suffix}`, phase: firstPhase, seconds: timings.remindAfterSeconds, deadline: { name: `Relancer : ${what}${suffix}`, step: 'remind' } },
    {
      name: `Attendre ${what} après relance${suffix}`,
      phase: 'reminded',
      seconds: timings.escalateAfterSeconds - timings.remindAfterSeconds,
      deadline: { name: `Escalader : ${what}${suffix}`, step: 'escalate' },
    },
  ];
}

/** The documents: reminded at 3 and 7 days, then, still missing at 14 days, the file goes to the team's review. */
function documentsWaits(timings: OnboardingTimings['documents'], firstPhase: WaitingPhase, suffix = ''): WaitSpec[] {
  return [
    ...remindedWaits('les pièces', timings, firstPhase, suffix),
    {
      name: `Attendre les pièces après deux relances${suffix}`,
      phase: 'escalated',
      seconds: timings.expireAfterSeconds - timings.escalateAfterSeconds,
      deadline: { name: `Pièces manquantes : revue${suffix}`, step: 'expire' },
    },
  ];
}

/**
 * The onboarding stage, read like the path on paper: open the onboarding (record, steps, welcome), the
 * information session, the diagnosis interview, the documents, the guardian's consent for a minor, the contract
 * accepted then countersigned, and ready for the activity launch. A second absence or documents still missing
 * go to the team's review, which sends the path back to the stuck step or ends it. Every step is retried, and a
 * step that still fails waits "à traiter" for staff (workflows/path-steps.ts).
 *
 * Input: `{ referralId, personId }` (the onboarding's id is the accepted referral's).
 */
export function onboardingWorkflow(scope: Construct, props: OnboardingWorkflowProps): sfn.StateMachine {
  const { fns, config } = props;
  const referralId = sfn.JsonPath.stringAt('$.referralId');
  const steps = new PathSteps(scope, 'OnboardingStates', { fns, ids: { referralId, personId: sfn.JsonPath.stringAt('$.personId') } });
  const outcomeIs = (outcome: string) => sfn.Condition.stringEquals('$.decision.outcome', outcome);

  const open = steps.task("Ouvrir l'accueil", fns.onboardingStep, { action: 'open' }, '$.onboarding');
  const ready = steps.task('Prêt pour le lancement', fns.onboardingStep, { action: 'ready' });
  const end = steps.task('Arrêter le parcours', fns.onboardingStep, { action: 'end' });
  const endRefused = steps.task('Arrêter le parcours : refus du représentant légal', fns.onboardingStep, { action: 'end', reason: 'guardian-refused' });
  ready.next(new sfn.Succeed(steps, "Accueil terminé : prêt pour le lancement"));
  end.next(new sfn.Succeed(steps, "Parcours arrêté pendant l'accueil"));
  endRefused.next(new sfn.Succeed(steps, 'Parcours arrêté : refus du représentant légal'));

  // The contract: accepted by the young person, then countersigned by staff.
  const takeCountersign = steps.takeDecision('Prendre la contresignature', 'contract-countersign', referralId);
  takeCountersign.next(ready);
  const awaitCountersign = steps.waitForPerson({
    kind: 'contract-countersign',
    subjectId: referralId,
    decided: takeCountersign,
    expireAfterSeconds: config.contractCountersign.escalateAfterSeconds,
    waits: remindedWaits('la contresignature', config.contractCountersign),
  });
  const takeAcceptance = steps.takeDecision("Prendre l'acceptation du contrat", 'contract-acceptance', referralId);
  takeAcceptance.next(awaitCountersign);
  const awaitAcceptance = steps.waitForPerson({
    kind: 'contract-acceptance',
    subjectId: referralId,
    decided: takeAcceptance,
    expireAfterSeconds: config.contractAcceptance.escalateAfterSeconds,
    waits: remindedWaits("l'acceptation du contrat", config.contractAcceptance),
  });
  let contract: sfn.IChainable = awaitAcceptance;
  if (fns.prepareContract) {
    const prepare = steps.task('Préparer le contrat', fns.prepareContract, {});
    prepare.next(awaitAcceptance);
    contract = prepare;
  }

  // A minor's guardian consents (or refuses, which ends the path).
  const takeConsent = steps.takeDecision("Prendre l'accord du représentant légal", 'guardian-consent', referralId);
  takeConsent.next(new sfn.Choice(steps, 'Accord du représentant légal ?').when(outcomeIs('refused'), endRefused).otherwise(contract));
  const awaitConsent = steps.waitForPerson({
    kind: 'guardian-consent',
    subjectId: referralId,
    decided: takeConsent,
    expireAfterSeconds: config.guardianConsent.escalateAfterSeconds,
    waits: remindedWaits("l'accord du représentant légal", config.guardianConsent),
  });

  // The documents: complete, or still missing at the last deadline (→ review).
  const takeDocuments = steps.takeDecision('Prendre le dossier complet', 'documents', referralId);
  takeDocuments.next(new sfn.Choice(steps, 'Mineur au début du programme ?').when(sfn.Condition.booleanEquals('$.onboarding.minor', true), awaitConsent).otherwise(contract));
  const reviewDocuments = steps.task('Préparer la revue : pièces manquantes', fns.onboardingStep, { action: 'review', step: 'documents' }, '$.review');
  const documents = (firstPhase: WaitingPhase, suffix?: string) =>
    steps.waitForPerson({
      kind: 'documents',
      subjectId: referralId,
      decided: takeDocuments,
      expired: reviewDocuments,
      expireAfterSeconds: config.documents.expireAfterSeconds,
      waits: documentsWaits(config.documents, firstPhase, suffix),
    });
  const awaitDocuments = documents('initial');
  const awaitDocumentsAgain = documents('resumed', ' (reprise)');

  // The diagnosis interview, recorded by staff.
  const takeDiagnosis = steps.takeDecision("Prendre l'entretien de diagnostic", 'diagnosis', referralId);
  takeDiagnosis.next(awaitDocuments);
  const awaitDiagnosis = steps.waitForPerson({
    kind: 'diagnosis',
    subjectId: referralId,
    decided: takeDiagnosis,
    expireAfterSeconds: config.diagnosis.escalateAfterSeconds,
    waits: remindedWaits("l'entretien de diagnostic", config.diagnosis),
  });

  // The information session: attended, or a second absence (→ review).
  const takeSession = steps.takeDecision('Prendre la présence à la réunion', 'information-session', referralId);
  const reviewSession = steps.task('Préparer la revue : absences à la réunion', fns.onboardingStep, { action: 'review', step: 'information-session' }, '$.review');
  takeSession.next(new sfn.Choice(steps, 'Présent à la réunion ?').when(outcomeIs('no-show'), reviewSession).otherwise(awaitDiagnosis));
  const session = (firstPhase: WaitingPhase, suffix?: string) =>
    steps.waitForPerson({
      kind: 'information-session',
      subjectId: referralId,
      decided: takeSession,
      expireAfterSeconds: config.informationSession.escalateAfterSeconds,
      waits: remindedWaits("la réunion d'information", config.informationSession, firstPhase, suffix),
    });
  const awaitSession = session('initial');
  const awaitSessionAgain = session('resumed', ' (reprise)');

  // The team's review of a stuck step: back to that step's wait (a new approval), or the end of the path.
  const takeReview = steps.takeDecision('Prendre la décision de revue', 'onboarding-review', referralId);
  const continueAt = (step: string) => sfn.Condition.and(outcomeIs('continue'), sfn.Condition.stringEquals('$.review.step', step));
  takeReview.next(
    new sfn.Choice(steps, "Poursuivre l'accueil ?").when(continueAt('information-session'), awaitSessionAgain).when(continueAt('documents'), awaitDocumentsAgain).otherwise(end),
  );
  const awaitReview = steps.waitForPerson({
    kind: 'onboarding-review',
    subjectId: referralId,
    decided: takeReview,
    expireAfterSeconds: config.review.escalateAfterSeconds,
    waits: remindedWaits("la revue de l'équipe", config.review),
  });
  reviewSession.next(awaitReview);
  reviewDocuments.next(awaitReview);

  open.next(awaitSession);
  steps.finish();

  const logGroup = props.logGroup ?? new logs.LogGroup(scope, 'OnboardingStateMachineLogs', { removalPolicy: RemovalPolicy.DESTROY });
  return new sfn.StateMachine(scope, 'OnboardingStateMachine', {
    comment: 'Accueil : réunion d’information, entretien, pièces, accord du représentant légal, contrat accepté puis contresigné, revue des étapes bloquées',
    stateMachineType: sfn.StateMachineType.STANDARD,
    definitionBody: sfn.DefinitionBody.fromChainable(open),
    tracingEnabled: true,
    // Execution data holds personal data: only the events are logged.
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
  });
}
