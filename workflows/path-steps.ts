import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { DeadlineStep, WaitingPhase, WaitingStepKind } from '../shared/domain/waiting-steps.js';

/** The functions every path uses to wait for people (functions/workflow/). */
export interface WaitingStepFunctions {
  openApproval: lambda.IFunction;
  approvalDeadline: lambda.IFunction;
  takeDecision: lambda.IFunction;
}

/** One wait of a waiting step: its name on the graph, its phase, how long, and the deadline step that follows. */
export interface WaitSpec {
  name: string;
  phase: WaitingPhase;
  seconds: number;
  deadline: { name: string; step: DeadlineStep };
}

/** The error the wait's function raises when the decision was recorded before the wait began. */
const DECIDED_BEFORE_WAIT = 'DecisionAlreadyRecorded';
/** Transient failures: every step is idempotent, so it is retried with backoff before anyone is asked. */
const RETRY = { errors: [sfn.Errors.ALL], maxAttempts: 4, interval: Duration.seconds(2), backoffRate: 2, jitterStrategy: sfn.JitterType.FULL };

/**
 * The building blocks of a path's workflow, so that every stage reads like the path on paper and behaves the
 * same under faults:
 * - `task`: a step retried on transient errors and, when it still fails, parked in an "à traiter" waiting step
 *   that staff relaunch or close (no execution ends FAILED silently);
 * - `waitForPerson`: a waiting step with reminders, escalation and expiry, where a decision made at any moment
 *   (during a wait, between waits, during a deadline step) is taken exactly once;
 * - `takeDecision`: the step after a wait, which takes the decision from the table and sends its messages.
 * JSONPath only (the local engine runs neither JSONata nor variables).
 */
export class PathSteps extends Construct {
  private readonly fns: WaitingStepFunctions;
  private readonly ids: Record<string, string | number>;
  private readonly guarded: Array<{ name: string; state: sfn.State }> = [];
  private readonly incidentEntry: sfn.Pass;
  private readonly closedByStaff: sfn.Succeed;

  constructor(scope: Construct, id: string, props: { fns: WaitingStepFunctions; ids: Record<string, string | number> }) {
    super(scope, id);
    this.fns = props.fns;
    this.ids = props.ids;
    this.incidentEntry = new sfn.Pass(this, 'Mettre de côté', { comment: 'A step failed after its retries: staff decide.' });
    this.closedByStaff = new sfn.Succeed(this, "Parcours clôturé par l'équipe");
  }

  /** A plain step: its result is discarded unless `resultPath` says where it goes. */
  task(name: string, fn: lambda.IFunction, payload: Record<string, unknown>, resultPath: string = sfn.JsonPath.DISCARD): tasks.LambdaInvoke {
    const task = new tasks.LambdaInvoke(this, name, {
      lambdaFunction: fn,
      payloadResponseOnly: true,
      payload: sfn.TaskInput.fromObject({ ...this.ids, ...payload }),
      resultPath,
      retryOnServiceExceptions: false,
    });
    task.addRetry(RETRY);
    this.guard(name, task);
    return task;
  }

  /** "Notifier la décision": takes the decision of a waiting step into `$.decision` and sends its messages. */
  takeDecision(name: string, kind: WaitingStepKind, subjectId: string): tasks.LambdaInvoke {
    return this.task(name, this.fns.takeDecision, { kind, subjectId }, '$.decision');
  }

  /**
   * A waiting step: each wait ends at its deadline step (reminder, escalation...), which either finds the
   * decision staff made meanwhile (→ `decided`) or records the deadline and goes on to the next wait; the
   * last wait's deadline loops back to it unless it expires the step (→ `expired`).
   */
  waitForPerson(options: {
    kind: WaitingStepKind;
    subjectId: string;
    waits: WaitSpec[];
    decided: sfn.IChainable;
    expired?: sfn.IChainable;
    expireAfterSeconds: number;
  }): sfn.State {
    const waits = options.waits.map((spec) => this.wait(options.kind, options.subjectId, spec));
    options.waits.forEach((spec, i) => {
      const deadline = this.task(spec.deadline.name, this.fns.approvalDeadline, {
        kind: options.kind,
        subjectId: options.subjectId,
        step: spec.deadline.step,
        expireAfterSeconds: options.expireAfterSeconds,
      }, '$.deadline');
      const next = waits[i + 1] ?? waits[i];
      let choice = new sfn.Choice(this, `${spec.deadline.name} : décidée ?`).when(sfn.Condition.booleanEquals('$.deadline.decided', true), options.decided);
      if (options.expired) choice = choice.when(sfn.Condition.booleanEquals('$.deadline.expired', true), options.expired);
      choice.otherwise(next);
      waits[i].addCatch(options.decided, { errors: [DECIDED_BEFORE_WAIT], resultPath: sfn.JsonPath.DISCARD });
      waits[i].addCatch(deadline, { errors: [sfn.Errors.TIMEOUT], resultPath: sfn.JsonPath.DISCARD });
      this.guard(spec.name, waits[i]);
      waits[i].next(options.decided);
      deadline.next(choice);
    });
    return waits[0];
  }

  /**
   * Connects every guarded step to the shared "à traiter" block. Call once, after the whole path is built:
   * staff relaunch the failed step (the Choice goes back to it) or close the path.
   */
  finish(): void {
    const openIncident = new tasks.LambdaInvoke(this, 'À traiter : attendre l’équipe', {
      lambdaFunction: this.fns.openApproval,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({
        ...this.ids,
        kind: 'incident',
        phase: 'incident',
        taskToken: sfn.JsonPath.taskToken,
        executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'),
        step: sfn.JsonPath.stringAt('$.failedStep'),
        // Only the error's class: its cause may quote data.
        error: { Error: sfn.JsonPath.stringAt('$.error.Error') },
      }),
      resultPath: sfn.JsonPath.DISCARD,
      retryOnServiceExceptions: false,
    });
    openIncident.addRetry(RETRY);
    const takeIncident = new tasks.LambdaInvoke(this, 'À traiter : reprendre la décision', {
      lambdaFunction: this.fns.takeDecision,
      payloadResponseOnly: true,
      payload: sfn.TaskInput.fromObject({
        ...this.ids,
        kind: 'incident',
        executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'),
        step: sfn.JsonPath.stringAt('$.failedStep'),
      }),
      resultPath: '$.incident',
      retryOnServiceExceptions: false,
    });
    takeIncident.addRetry(RETRY);
    const route = new sfn.Choice(this, 'Relancer ou clôturer ?');
    for (const { name, state } of this.guarded) {
      route.when(
        sfn.Condition.and(sfn.Condition.stringEquals('$.incident.outcome', 'retry'), sfn.Condition.stringEquals('$.failedStep', name)),
        state,
      );
    }
    route.otherwise(this.closedByStaff);
    this.incidentEntry.next(openIncident);
    openIncident.next(takeIncident);
    takeIncident.next(route);
  }

  private wait(kind: WaitingStepKind, subjectId: string, spec: WaitSpec): tasks.LambdaInvoke {
    const wait = new tasks.LambdaInvoke(this, spec.name, {
      lambdaFunction: this.fns.openApproval,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({
        ...this.ids,
        kind,
        subjectId,
        phase: spec.phase,
        taskToken: sfn.JsonPath.taskToken,
        executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'),
      }),
      taskTimeout: sfn.Timeout.duration(Duration.seconds(spec.seconds)),
      resultPath: sfn.JsonPath.DISCARD,
      retryOnServiceExceptions: false,
    });
    // The decision made before the wait and the deadline are outcomes, not failures: never retried.
    wait.addRetry({ errors: [DECIDED_BEFORE_WAIT, sfn.Errors.TIMEOUT], maxAttempts: 0 });
    wait.addRetry(RETRY);
    return wait;
  }

  /**
   * A step that still fails after its retries goes to "à traiter", remembering which step it was. Public for states
   * built outside `task` (a Distributed Map past its tolerated failures): staff relaunch it or close the path.
   */
  guard(name: string, state: tasks.LambdaInvoke | sfn.DistributedMap): void {
    const mark = new sfn.Pass(this, `${name} : en échec`, { result: sfn.Result.fromString(name), resultPath: '$.failedStep' });
    mark.next(this.incidentEntry);
    state.addCatch(mark, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
    this.guarded.push({ name, state });
  }
}
