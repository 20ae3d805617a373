import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { WaitTimings } from '../infra/config.js';
import { PathSteps, type WaitingStepFunctions } from './path-steps.js';

export interface MonthlyInvoicingWorkflowProps {
  fns: WaitingStepFunctions & { runStep: lambda.IFunction };
  /** Where the run's steps write the item lists its Distributed Maps read. */
  lists: s3.IBucket;
  config: WaitTimings;
  logGroup?: logs.ILogGroup;
}

/** Activities per drafting batch: few state transitions per invoice (≤ 0.1). */
export const DRAFT_BATCH_ITEMS = 100;
/**
 * Activities per delivery batch (decision 45): their invoices rendered and e-mailed (one or a few each), then each
 * activity's statement record and each member's space link and e-mail (no PDF, decision 35).
 */
export const DELIVERY_BATCH_ITEMS = 50;
/** Batches in flight at once: DynamoDB and the PDF rendering share the account's (or the machine's) capacity. */
export const MAP_CONCURRENCY = 4;
/** A run goes on past a few activities (or invoices) that fail after their retries; the ledger counts them. */
export const TOLERATED_FAILURE_PERCENTAGE = 10;
/** Between two attempts at closing the month while invoice or statement e-mails are pending (a lease of a killed sender lasts 2 min). */
export const CLOSE_WAIT_SECONDS = 30;

const RETRY = { errors: [sfn.Errors.ALL], maxAttempts: 4, interval: Duration.seconds(2), backoffRate: 2, jitterStrategy: sfn.JitterType.FULL };

/**
 * The monthly invoicing run of one month (input `{ month, trigger }`, execution `invoicing-<YYYY-MM>`): list the
 * active activities, draft each one's month in batches (Distributed Map), wait for the one staff validation of the
 * batch (`invoicing-batch`, reminded then escalated, never expiring), hold what staff held and tell the members,
 * number the rest in bounded chunks (a loop), then render and send each invoice in batches (a second Distributed
 * Map) and close the month in the ledger. Every step is idempotent; the same definition runs on AWS and locally.
 */
export function monthlyInvoicingWorkflow(scope: Construct, props: MonthlyInvoicingWorkflowProps): sfn.StateMachine {
  const { fns, config } = props;
  const month = sfn.JsonPath.stringAt('$.month');
  // A subject-only waiting step: no person, no referral (decision 28).
  const steps = new PathSteps(scope, 'MonthlyInvoicingStates', { fns, ids: { month, referralId: '', personId: '' } });

  /**
   * A Distributed Map over a list the previous step wrote to S3, its batches (with the month as their BatchInput)
   * handed to one action of the run step.
   */
  const batchMap = (map: { name: string; batchName: string; action: string; listKey: string; maxItemsPerBatch: number; resultPath: string }) => {
    const batch = new tasks.LambdaInvoke(scope, map.batchName, {
      lambdaFunction: fns.runStep,
      payloadResponseOnly: true,
      payload: sfn.TaskInput.fromObject({ action: map.action, BatchInput: sfn.JsonPath.objectAt('$.BatchInput'), Items: sfn.JsonPath.listAt('$.Items') }),
      retryOnServiceExceptions: false,
    });
    batch.addRetry(RETRY);
    const distributed = new sfn.DistributedMap(scope, map.name, {
      itemReader: new sfn.S3JsonItemReader({ bucket: props.lists, key: sfn.JsonPath.stringAt(map.listKey) }),
      // CDK passes BatchInput as it is (no JsonPath rendering): the `.$` key makes Step Functions read the month from the input.
      itemBatcher: new sfn.ItemBatcher({ maxItemsPerBatch: map.maxItemsPerBatch, batchInput: { 'month.$': '$.month' } }),
      maxConcurrency: MAP_CONCURRENCY,
      toleratedFailurePercentage: TOLERATED_FAILURE_PERCENTAGE,
      resultPath: map.resultPath,
    });
    distributed.itemProcessor(batch);
    steps.guard(map.name, distributed);
    return distributed;
  };

  const prepare = steps.task('Préparer le mois', fns.runStep, { action: 'prepare', trigger: sfn.JsonPath.stringAt('$.trigger') }, '$.activitiesList');
  const draft = batchMap({ name: 'Rédiger les brouillons', batchName: 'Rédiger les brouillons d’un lot', action: 'draft', listKey: '$.activitiesList.key', maxItemsPerBatch: DRAFT_BATCH_ITEMS, resultPath: '$.drafting' });
  const drafted = steps.task('Compter les brouillons', fns.runStep, { action: 'drafted', results: sfn.JsonPath.listAt('$.drafting') }, '$.drafted');

  const holds = steps.task('Mettre de côté les factures retenues', fns.runStep, { action: 'holds' });
  const numbering = steps.task('Numéroter les factures', fns.runStep, { action: 'number' }, '$.numbering');
  // One map by activity (decision 45): a batch e-mails its activities' invoices, then issues their members' statements
  // (space, e-mail with a link). Rendering (CPU) and statements (mostly storage) overlap across batches.
  const prepareDelivery = steps.task("Préparer l'envoi", fns.runStep, { action: 'prepare-delivery' }, '$.deliveryList');
  const deliver = batchMap({
    name: 'Envoyer les factures et les relevés',
    batchName: 'Envoyer les factures et les relevés d’un lot',
    action: 'deliver',
    listKey: '$.deliveryList.key',
    maxItemsPerBatch: DELIVERY_BATCH_ITEMS,
    resultPath: sfn.JsonPath.DISCARD,
  });
  // The month is closed once no invoice or statement e-mail is pending: a batch killed mid-way leaves some claimed
  // until their lease ends; the close comes back until they are sent (or given up), so the ledger counts them and
  // `done` means delivered (decisions 53 and 57).
  const finish = steps.task('Clôturer le mois', fns.runStep, { action: 'finish', waitForMails: true, waitForStatementMails: true }, '$.closing');
  const waitForMails = new sfn.Wait(steps, 'Attendre les e-mails en cours', { time: sfn.WaitTime.duration(Duration.seconds(CLOSE_WAIT_SECONDS)) });
  waitForMails.next(finish);
  finish.next(new sfn.Choice(steps, 'Des e-mails du mois en cours ?').when(sfn.Condition.numberGreaterThan('$.closing.pending', 0), waitForMails).otherwise(new sfn.Succeed(steps, 'Mois facturé')));

  const take = steps.takeDecision('Prendre la validation du mois', 'invoicing-batch', month);
  take.next(holds);
  const awaitValidation = steps.waitForPerson({
    kind: 'invoicing-batch',
    subjectId: month,
    decided: take,
    expireAfterSeconds: config.escalateAfterSeconds,
    waits: [
      { name: 'Attendre la validation des factures', phase: 'initial', seconds: config.remindAfterSeconds, deadline: { name: "Relancer l'équipe : factures", step: 'remind' } },
      {
        name: 'Attendre la validation des factures après relance',
        phase: 'reminded',
        seconds: config.escalateAfterSeconds - config.remindAfterSeconds,
        deadline: { name: 'Escalader : factures', step: 'escalate' },
      },
    ],
  });
  holds.next(numbering);
  numbering.next(new sfn.Choice(steps, 'Reste-t-il des factures à numéroter ?').when(sfn.Condition.numberGreaterThan('$.numbering.remaining', 0), numbering).otherwise(prepareDelivery));
  prepareDelivery.next(deliver);
  deliver.next(finish);
  prepare.next(draft);
  draft.next(drafted);
  // A month with no invoice to validate has nothing to wait for: its statements (payments received) still go.
  drafted.next(new sfn.Choice(steps, 'Des factures à valider ?').when(sfn.Condition.numberGreaterThan('$.drafted.invoices', 0), awaitValidation).otherwise(prepareDelivery));
  steps.finish();

  const logGroup = props.logGroup ?? new logs.LogGroup(scope, 'MonthlyInvoicingStateMachineLogs', { removalPolicy: RemovalPolicy.DESTROY });
  return new sfn.StateMachine(scope, 'MonthlyInvoicingStateMachine', {
    comment: 'Facturation mensuelle : brouillons par lots, validation par l’équipe, numérotation, envoi des factures',
    stateMachineType: sfn.StateMachineType.STANDARD,
    definitionBody: sfn.DefinitionBody.fromChainable(prepare),
    tracingEnabled: true,
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
  });
}
