import { App, ArnFormat, CfnElement, CfnOutput, Duration, RemovalPolicy, Stack, Tags, TimeZone, Validations, type StackProps } from 'aws-cdk-lib';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { STAFF_INVOICING_ROUTES } from '../shared/invoicing/staff-routes.js';
import { activityLaunchWorkflow } from '../workflows/activity-launch.js';
import { monthlyInvoicingWorkflow } from '../workflows/monthly-invoicing.js';
import { onboardingWorkflow } from '../workflows/onboarding.js';
import { referralWorkflow } from '../workflows/referral.js';
import { bundleFunctions, extraFunctionEntries, functionEntries, type BundleSet } from './bundles.js';
import { DELIVERY_EVENTS_TIMEOUT_SECONDS, ENV, LONGEST_SENDER_TIMEOUT_SECONDS, loadStageConfig, resolveStageName, stageOverrides, type StageConfig } from './config.js';
import { ParcoursAlarms } from './constructs/alarms.js';
import { AppTable } from './constructs/app-table.js';
import { ParcoursAuth } from './constructs/auth.js';
import { ParcoursDeadLetters } from './constructs/dead-letters.js';
import { DocumentsBucket } from './constructs/documents-bucket.js';
import { ParcoursHttpApi } from './constructs/http-api.js';
import { ParcoursMessaging } from './constructs/messaging.js';
import { ParcoursFunction, type ParcoursFunctionProps } from './constructs/parcours-function.js';
import { MEMBER_INVOICING_ROUTES } from '../functions/invoicing/member-routes.js';
import { YOUNG_PERSON_ROUTES } from '../functions/me/routes.js';
import { STAFF_ACTIVITIES_ROUTES } from '../functions/activities/routes.js';
import { COHORTS_ROUTES } from '../functions/cohorts/routes.js';
import { STAFF_ONBOARDING_ROUTES } from '../functions/onboarding/staff-routes.js';
import { STAFF_DESK_ROUTES } from '../functions/staff/desk-routes.js';
import { GUARDIAN_ROUTES } from '../functions/guardian/routes.js';
import { dynamoDbGrant, ownCommands, s3Grant } from './sdk-grants.js';

export interface ParcoursStackProps extends StackProps {
  config: StageConfig;
  /** Every function's bundle, built before the stack (asset staging fingerprints a folder when a function is constructed). */
  bundles: BundleSet;
  /** Entries of trivial extra functions (the start-up bench only), each a function reading the table. */
  extraEntries?: readonly string[];
}

/**
 * Everything CoopConnexion Parcours runs on, for one stage: what exists, and who may touch what.
 * The same template is deployed by `cdk deploy` and run by the local cloud (infra/local/).
 */
export class ParcoursStack extends Stack {
  readonly config: StageConfig;
  readonly table: AppTable;
  readonly api: ParcoursHttpApi;
  readonly auth: ParcoursAuth;
  readonly documents: DocumentsBucket;
  readonly referralStateMachine: sfn.StateMachine;
  readonly onboardingStateMachine: sfn.StateMachine;
  /** The launch of an activity (workflows/activity-launch.ts): the submission routes start it (ENV.activityLaunchStateMachineArn). */
  readonly activityLaunchStateMachine: sfn.StateMachine;
  /** The monthly invoicing run (workflows/monthly-invoicing.ts): the schedule's trigger and staff start it (ENV.invoicingStateMachineArn). */
  readonly invoicingStateMachine: sfn.StateMachine;
  readonly functions: Record<string, ParcoursFunction> = {};
  /** One role per function the schedules invoke, shared by its schedules. */
  private readonly scheduleRoles = new Map<ParcoursFunction, iam.Role>();

  constructor(scope: Construct, id: string, props: ParcoursStackProps) {
    super(scope, id, props);
    const { config, bundles } = props;
    this.config = config;
    const removalPolicy = config.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    // Personal data at rest: the table, every log group and the alarm topic use this key.
    const key = new kms.Key(this, 'DataKey', {
      description: `CoopConnexion Parcours (${config.stage}): table, documents, logs, alarm and SMS event topics`,
      enableKeyRotation: true,
      removalPolicy,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsEncryptsOurLogGroups',
        principals: [new iam.ServicePrincipal(`logs.${this.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': this.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
          },
        },
      }),
    );
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToEncryptedTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );

    this.table = new AppTable(this, 'Table', { config, encryptionKey: key });
    this.api = new ParcoursHttpApi(this, 'HttpApi', { config, logKey: key });
    this.auth = new ParcoursAuth(this, 'Auth', { config, appBaseUrl: this.api.url });
    this.api.useCognito(this.auth.userPool, this.auth.client);
    // The pages' origins upload to it: the API's own URL, the custom domains, and this machine outside prod.
    this.documents = new DocumentsBucket(this, 'DocumentsBucket', {
      config,
      key,
      allowedOrigins: [this.api.url, ...config.appUrls, ...(config.stage === 'prod' ? [] : [config.localAppUrl])],
    });
    // The sender reads e-mail attachments (invoices, statements) from the documents bucket.
    const messaging = new ParcoursMessaging(this, 'Messaging', { config, appBaseUrl: this.api.url, eventsKey: key, attachments: this.documents });
    const deadLetters = new ParcoursDeadLetters(this, 'DeadLetters', { config, key });
    const table = this.table.table;

    // Every function whose bundle calls DynamoDB gets the table, and one that calls S3 the documents bucket, with the
    // actions of those calls only (decision 17).
    // One log group for every function (decision 25): CloudFormation allows 500 resources a stack.
    const functionLogs = new logs.LogGroup(this, 'FunctionLogs', {
      logGroupName: `/aws/lambda/parcours-${config.stage}`,
      retention: config.logRetentionDays as logs.RetentionDays,
      encryptionKey: key,
      removalPolicy: config.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    const fn = (id: string, entry: string, extra: Partial<ParcoursFunctionProps> = {}): ParcoursFunction => {
      const created = new ParcoursFunction(this, id, { entry, bundles, config, logGroup: functionLogs, ...extra });
      if (dynamoDbGrant(entry, created.sdkUsage)) created.bindTable(table);
      // The shared sender's reads of attachments are granted with messaging, on their prefixes only.
      if (s3Grant(entry, ownCommands(created.sdkUsage.commands))) created.bindDocuments(this.documents);
      this.functions[id] = created;
      return created;
    };

    // Workflow steps: they never learn the state machine's ARN (the machine depends on them).
    const stepTimeout = { timeout: Duration.seconds(30) };
    const sendNotifications = fn('SendNotifications', 'functions/workflow/send-notifications.ts', stepTimeout)
      .bindMessaging(messaging, ['email', 'sms']);
    // The waiting-step building block (workflows/path-steps.ts): one function each, whatever the kind.
    // Both channels: a step the young person or the guardian acts on texts them when it opens (the session
    // invitation) and at its deadlines (the documents reminders); staff and prescribers are still e-mailed only.
    const openApproval = fn('OpenApproval', 'functions/workflow/open-approval.ts', stepTimeout).bindMessaging(messaging, ['email', 'sms']);
    const approvalDeadline = fn('ApprovalDeadline', 'functions/workflow/approval-deadline.ts', stepTimeout).bindMessaging(messaging, ['email', 'sms']);
    const takeDecision = fn('TakeDecision', 'functions/workflow/take-decision.ts', stepTimeout)
      .bindMessaging(messaging, ['email', 'sms']);

    // "Démarrer l'accueil", a step of the referral's workflow: it knows the onboarding machine (bound below), never its own.
    const startOnboarding = fn('StartOnboarding', 'functions/workflow/start-onboarding.ts', stepTimeout);

    const referralLogs = new logs.LogGroup(this, 'ReferralStateMachineLogs', {
      // The vendedlogs prefix keeps CloudWatch Logs' resource policy small (AWS guidance for Step Functions).
      logGroupName: `/aws/vendedlogs/states/parcours-${config.stage}-referral`,
      retention: config.logRetentionDays as logs.RetentionDays,
      encryptionKey: key,
      removalPolicy,
    });
    this.referralStateMachine = referralWorkflow(this, {
      fns: {
        sendNotifications: sendNotifications.function,
        openApproval: openApproval.function,
        approvalDeadline: approvalDeadline.function,
        takeDecision: takeDecision.function,
        startOnboarding: startOnboarding.function,
      },
      config: config.referral,
      logGroup: referralLogs,
    });
    this.acknowledgeStateMachineRole(this.referralStateMachine, [sendNotifications, openApproval, approvalDeadline, takeDecision, startOnboarding]);

    // The onboarding (workflows/onboarding.ts): its own steps, and the same waiting-step functions.
    const onboardingStep = fn('OnboardingStep', 'functions/workflow/onboarding-step.ts', stepTimeout).bindMessaging(messaging, ['email', 'sms']);
    const onboardingLogs = new logs.LogGroup(this, 'OnboardingStateMachineLogs', {
      logGroupName: `/aws/vendedlogs/states/parcours-${config.stage}-onboarding`,
      retention: config.logRetentionDays as logs.RetentionDays,
      encryptionKey: key,
      removalPolicy,
    });
    // "Préparer le contrat" renders the PDF (a second or two on a cold start) and keeps it in the documents bucket.
    const prepareContract = fn('PrepareContract', 'functions/workflow/prepare-contract.ts', { timeout: Duration.seconds(60) });
    this.onboardingStateMachine = onboardingWorkflow(this, {
      fns: {
        onboardingStep: onboardingStep.function,
        prepareContract: prepareContract.function,
        openApproval: openApproval.function,
        approvalDeadline: approvalDeadline.function,
        takeDecision: takeDecision.function,
      },
      config: config.onboarding,
      logGroup: onboardingLogs,
    });
    this.acknowledgeStateMachineRole(this.onboardingStateMachine, [onboardingStep, prepareContract, openApproval, approvalDeadline, takeDecision]);
    startOnboarding.bindStateMachine(this.onboardingStateMachine, ENV.onboardingStateMachineArn);

    // The launch of an activity (workflows/activity-launch.ts): its own steps, and the same waiting-step functions.
    const activityStep = fn('ActivityStep', 'functions/workflow/activity-step.ts', stepTimeout).bindMessaging(messaging, ['email', 'sms']);
    const launchLogs = new logs.LogGroup(this, 'ActivityLaunchStateMachineLogs', {
      logGroupName: `/aws/vendedlogs/states/parcours-${config.stage}-activity-launch`,
      retention: config.logRetentionDays as logs.RetentionDays,
      encryptionKey: key,
      removalPolicy,
    });
    this.activityLaunchStateMachine = activityLaunchWorkflow(this, {
      fns: { activityStep: activityStep.function, openApproval: openApproval.function, approvalDeadline: approvalDeadline.function, takeDecision: takeDecision.function },
      config: config.launch,
      logGroup: launchLogs,
    });
    this.acknowledgeStateMachineRole(this.activityLaunchStateMachine, [activityStep, openApproval, approvalDeadline, takeDecision]);

    // The monthly invoicing run (workflows/monthly-invoicing.ts): one function for all its steps (an `action` field),
    // the same waiting-step functions, and its Distributed Maps reading their item lists from the documents bucket.
    const invoicingRunStep = fn('InvoicingRunStep', 'functions/invoicing/run-step.ts', { timeout: Duration.seconds(LONGEST_SENDER_TIMEOUT_SECONDS), memorySize: 1024 })
      .bindActivitySettings()
      // Its messages are e-mails, but its bundle holds the shared sender, which may text (decision 17: grants follow the code).
      .bindMessaging(messaging, ['email', 'sms']);
    // The numbering loop's chunks (the `local` stage's are small: a month of a few dozen invoices loops).
    invoicingRunStep.function.addEnvironment(ENV.invoicingNumbering, JSON.stringify(config.invoicingNumbering));
    const invoicingLogs = new logs.LogGroup(this, 'MonthlyInvoicingStateMachineLogs', {
      logGroupName: `/aws/vendedlogs/states/parcours-${config.stage}-monthly-invoicing`,
      retention: config.logRetentionDays as logs.RetentionDays,
      encryptionKey: key,
      removalPolicy,
    });
    this.invoicingStateMachine = monthlyInvoicingWorkflow(this, {
      fns: { runStep: invoicingRunStep.function, openApproval: openApproval.function, approvalDeadline: approvalDeadline.function, takeDecision: takeDecision.function },
      lists: this.documents.bucket,
      // Staff validate the month's batch on the launch's timings: reminded, then escalated, never expired.
      config: config.launch,
      logGroup: invoicingLogs,
    });
    // The maps' ItemReader reads the lists, encrypted with the project's key.
    key.grantDecrypt(this.invoicingStateMachine.role);
    this.acknowledgeStateMachineRole(this.invoicingStateMachine, [invoicingRunStep, openApproval, approvalDeadline, takeDecision]);
    const invoicingMachineId = this.getLogicalId(this.invoicingStateMachine.node.defaultChild as CfnElement);
    const invoicingExecutions = `arn:<AWS::Partition>:states:${config.region}:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${invoicingMachineId}"}]}]}`;
    const acknowledgeRun = (id: string, reason: string) => Validations.of(this.invoicingStateMachine).acknowledge({ id: `AwsSolutions-IAM5[Resource::${id}]`, reason });
    acknowledgeRun(`arn:<AWS::Partition>:s3:::<${this.getLogicalId(this.documents.bucket.node.defaultChild as CfnElement)}>/*`, 'Added by the Distributed Maps’ S3 item readers: the run’s item lists, whose keys depend on the month.');
    acknowledgeRun(`${invoicingExecutions}:*`, 'Added by the Distributed Maps: the run manages its own map runs (child executions), named by Step Functions.');
    acknowledgeRun(`${invoicingExecutions}/*:*`, 'Added by the Distributed Maps: the run manages its own map runs (child executions), named by Step Functions.');

    // API functions.
    const submitReferral = fn('SubmitReferral', 'functions/referrals/submit.ts').bindStateMachine(this.referralStateMachine);
    const listReferrals = fn('ListReferrals', 'functions/referrals/list.ts');
    const getReferral = fn('GetReferral', 'functions/referrals/get.ts');
    // Staff's desk, one function for its read-only routes (decision 29): the inbox, the messages sent, the possible
    // duplicates ("Doublons possibles"), a decision to take, a person's timeline.
    const staffDesk = fn('StaffDeskApi', 'functions/staff/desk-api.ts');
    // Hands a decision to whichever workflow waits for it: the referral's, the onboarding's or the launch's.
    // A launch approved runs the launch checks again: it reads the stage's contribution bounds.
    const decideApproval = fn('DecideApproval', 'functions/approvals/decide.ts')
      .bindActivitySettings()
      .bindStateMachine(this.referralStateMachine)
      .bindStateMachine(this.onboardingStateMachine, ENV.onboardingStateMachineArn)
      .bindStateMachine(this.activityLaunchStateMachine, ENV.activityLaunchStateMachineArn);

    // Delivery tracking: SES and SMS delivery events set the status of the message they concern, in batches from a
    // queue (decision 33). A hard bounce or a failed SMS also sends a word by the other channel: it sends, too.
    // 30 s: a batch of 100 reports, and their follow-ups; the queue hands a report back no sooner.
    const deliveryEvents = fn('DeliveryEvents', 'functions/notifications/delivery-events.ts', { timeout: Duration.seconds(DELIVERY_EVENTS_TIMEOUT_SECONDS) })
      .bindMessaging(messaging, ['email', 'sms']);
    messaging.routeDeliveryEvents(deliveryEvents.function, deadLetters, config.deliveryReports);
    // SMS replies: STOP opts the number out, START lifts it.
    const inboundSms = fn('InboundSms', 'functions/notifications/inbound-sms.ts');
    messaging.routeInboundSms(inboundSms.function, deadLetters.queue);
    deadLetters.receiveAsyncFailuresOf(inboundSms.function);
    const fixContact = fn('FixContact', 'functions/people/fix-contact.ts').bindMessaging(messaging, ['email', 'sms']);
    // "Doublons possibles": people a referral matched weakly, for staff to confirm or keep apart.
    const decidePossibleDuplicate = fn('DecidePossibleDuplicate', 'functions/staff/decide-duplicate.ts');
    // Staff's side of the onboarding, one function (decision 29): the board, information sessions (staff create them and
    // record who came), the documents to review (shared/data/documents.ts), the diagnosis interview and the contract
    // (the workflow's "Préparer le contrat" renders it, above). Attendance, a review and the diagnosis settle onboarding
    // steps and hand the decision to the waiting workflow, the way the generic decision route does (same state machine
    // binding); a rejection, a re-invitation or a schedule is sent at once.
    const staffOnboarding = fn('StaffOnboardingApi', 'functions/onboarding/staff-api.ts')
      .bindMessaging(messaging, ['email', 'sms'])
      .bindStateMachine(this.onboardingStateMachine, ENV.onboardingStateMachineArn);
    // CJS cohorts: staff create them (with their collective activity) and place launch-ready young people; a placement is told at once.
    // One function for these routes (decision 29).
    const cohorts = fn('CohortsApi', 'functions/cohorts/api.ts').bindActivitySettings().bindMessaging(messaging, ['email', 'sms']);

    // Every outbox message due and not sent yet goes out from here: retries after a failure, an SMS held back
    // for quiet hours (20:00-08:00 Europe/Paris) once the morning comes, a message whose sender died.
    const dispatchDeferred = fn('DispatchDeferredMessages', 'functions/notifications/dispatch-deferred.ts', { timeout: Duration.seconds(LONGEST_SENDER_TIMEOUT_SECONDS) })
      .bindMessaging(messaging, ['email', 'sms']);
    this.runEvery(dispatchDeferred, Duration.minutes(5), 'Sends the outbox messages that are due', deadLetters);
    // The reconciler: decisions not taken by their workflow, workflows that never started (functions/reconciler/).
    const reconciler = fn('Reconciler', 'functions/reconciler/reconcile.ts', {
      // It sends messages: shorter than the outbox's lease, like every sender.
      timeout: Duration.seconds(LONGEST_SENDER_TIMEOUT_SECONDS),
      environment: { RECONCILE_GRACE_SECONDS: String(config.reconcile.graceSeconds), ...(config.invoicingFirstMonth ? { INVOICING_FIRST_MONTH: config.invoicingFirstMonth } : {}) },
    })
      .bindMessaging(messaging, ['email', 'sms'])
      .bindStateMachine(this.referralStateMachine)
      .bindStateMachine(this.onboardingStateMachine, ENV.onboardingStateMachineArn)
      .bindStateMachine(this.activityLaunchStateMachine, ENV.activityLaunchStateMachineArn)
      .bindStateMachine(this.invoicingStateMachine, ENV.invoicingStateMachineArn);
    for (const machine of [this.referralStateMachine, this.onboardingStateMachine, this.activityLaunchStateMachine, this.invoicingStateMachine]) this.acknowledgeExecutionGrant(reconciler, machine);
    this.acknowledgeExecutionGrant(startOnboarding, this.onboardingStateMachine);
    this.acknowledgeExecutionGrant(decideApproval, this.onboardingStateMachine);
    this.acknowledgeExecutionGrant(decideApproval, this.referralStateMachine);
    this.acknowledgeExecutionGrant(decideApproval, this.activityLaunchStateMachine);
    this.runEvery(reconciler, Duration.minutes(config.reconcile.everyMinutes), 'Repairs lost hand-overs: decisions not taken by their workflow, workflows that never started', deadLetters);
    // The monthly invoicing's schedule (the 1st at 06:00 Paris time): the reconciler's own job, the previous month and
    // the months missed (shared/invoicing/schedule.ts); one function and one schedule role fewer than a function of its own.
    this.runEvery(
      reconciler,
      scheduler.ScheduleExpression.cron({ minute: '0', hour: '6', day: '1', month: '*', timeZone: TimeZone.EUROPE_PARIS }),
      'Monthly invoicing: the previous month, and each month missed since the last run',
      deadLetters,
      { id: 'InvoicingSchedule', input: { job: 'invoicing-schedule' } },
    );

    // The chase of unpaid invoices (decision 30): every morning at 09:00 in Paris, reminders to the customers at due
    // + 7 and + 30 days (the invoice attached again) and the late flag at + 45; each stage once.
    const chaseUnpaidInvoices = fn('ChaseUnpaidInvoices', 'functions/invoicing/chase.ts', { timeout: Duration.seconds(LONGEST_SENDER_TIMEOUT_SECONDS) })
      .bindMessaging(messaging, ['email', 'sms']);
    this.runEvery(
      chaseUnpaidInvoices,
      scheduler.ScheduleExpression.cron({ minute: '0', hour: '9', timeZone: TimeZone.EUROPE_PARIS }),
      'Reminds the customers of unpaid invoices (due + 7 and + 30 days) and flags them late (+ 45 days)',
      deadLetters,
    );

    // Young people and guardians have no account: their routes are public at the gateway and check a personal link.
    // The young person's space, one function (decision 29): "Mon parcours", documents (S3 grants from the bundle's calls:
    // presign for the PUT, read and move on completion), bank details, the session (the confirmation is sent at once),
    // the contract's acceptance (wakes the onboarding), the launch file (its submission starts the launch workflow).
    const youngPersonSpace = fn('YoungPersonSpaceApi', 'functions/me/api.ts')
      .bindActivitySettings()
      .bindMessaging(messaging, ['email', 'sms'])
      .bindStateMachine(this.onboardingStateMachine, ENV.onboardingStateMachineArn)
      .bindStateMachine(this.activityLaunchStateMachine, ENV.activityLaunchStateMachineArn);
    const resendLink = fn('ResendPersonalLink', 'functions/links/resend.ts').bindMessaging(messaging, ['email', 'sms']);
    // The guardian's and the young person's answers wake the waiting workflow, as staff decisions do (DecideApproval).
    const guardian = fn('GuardianApi', 'functions/guardian/api.ts').bindStateMachine(this.onboardingStateMachine, ENV.onboardingStateMachineArn);

    // Activities (issue 10): the launch file of staff, the service catalogue, the flyer.
    // Submitting starts the launch workflow; the rules read the contribution bounds and the cooperative's identity.
    // The members' invoicing (issue 11): customers, declarations, invoices and their PDFs, one function (decision 29).
    const memberInvoicing = fn('MemberInvoicingApi', 'functions/invoicing/member-api.ts').bindActivitySettings();
    // One function for staff's activities and service kinds (decision 29).
    const staffActivities = fn('StaffActivitiesApi', 'functions/activities/api.ts')
      .bindActivitySettings()
      .bindStateMachine(this.activityLaunchStateMachine, ENV.activityLaunchStateMachineArn);
    // The staff's invoicing console: one function for its routes (decision 29); the cooperative's settings for the PDFs.
    const staffInvoicing = fn('StaffInvoicing', 'functions/invoicing/staff-api.ts', { timeout: Duration.seconds(29) })
      .bindActivitySettings()
      // Staff start a month's run, and a released invoice is issued and e-mailed at once.
      .bindStateMachine(this.invoicingStateMachine, ENV.invoicingStateMachineArn)
      .bindMessaging(messaging, ['email', 'sms']);

    const pagesEnvironment = {
      [ENV.authBaseUrl]: this.auth.authBaseUrl,
      [ENV.userPoolClientId]: this.auth.client.userPoolClientId,
      [ENV.appBaseUrl]: this.api.url,
      // Presigned uploads are virtual-hosted URLs of the bucket (the local cloud's S3 endpoint replaces it there).
      [ENV.documentsUploadOrigin]: `https://${this.documents.bucket.bucketName}.s3.${config.region}.amazonaws.com`,
    };
    const pagesConfig = fn('PagesConfig', 'functions/pages/config.ts', { environment: pagesEnvironment });
    const pages = fn('Pages', 'functions/pages/handler.ts', { environment: pagesEnvironment });

    this.api.addProtectedRoute(HttpMethod.POST, '/api/referrals', submitReferral);
    this.api.addProtectedRoute(HttpMethod.GET, '/api/referrals', listReferrals);
    this.api.addProtectedRoute(HttpMethod.GET, '/api/referrals/{referralId}', getReferral);
    this.api.addProtectedRoute(HttpMethod.POST, '/api/approvals/{approvalId}/decision', decideApproval);
    this.api.addProtectedRoutes(STAFF_DESK_ROUTES, staffDesk);
    this.api.addProtectedRoute(HttpMethod.POST, '/api/people/{personId}/contact-issues/{issueId}/fix', fixContact);
    this.api.addProtectedRoute(HttpMethod.POST, '/api/staff/duplicates/{duplicateId}/decision', decidePossibleDuplicate);
    this.api.addProtectedRoutes(STAFF_ONBOARDING_ROUTES, staffOnboarding);
    this.api.addProtectedRoutes(COHORTS_ROUTES, cohorts);
    this.api.addProtectedRoutes(STAFF_ACTIVITIES_ROUTES, staffActivities);
    this.api.addProtectedRoutes(STAFF_INVOICING_ROUTES, staffInvoicing);
    const linkWhy = 'Public at the gateway by design: young people and guardians have no account; the handler accepts only a valid personal link (x-parcours-link header, checked by apiRoute({ link })) and answers 401/403/410 otherwise.';
    this.api.addPublicRoutes(YOUNG_PERSON_ROUTES, youngPersonSpace, linkWhy);
    this.api.addPublicRoutes(MEMBER_INVOICING_ROUTES, memberInvoicing, linkWhy);
    this.api.addPublicRoutes(GUARDIAN_ROUTES, guardian, linkWhy);
    this.api.addPublicRoute(
      HttpMethod.POST,
      '/api/links/resend',
      resendLink,
      'Public by design: the "nouveau lien" page is for people whose link expired, who have no account; it answers the same for any address, rate limited per address and overall, and sends only to the address on file.',
    );
    this.api.addPublicRoute(HttpMethod.GET, '/api/config', pagesConfig, 'Public by design: the pages read the sign-in settings (Cognito domain, client id) here before the user has a token; nothing secret.');
    const pagesWhy = 'Public by design: HTML, CSS and JS of the pages; every data call from them goes to /api with the ID token.';
    this.api.addPublicRoute(HttpMethod.GET, '/', pages, pagesWhy);
    this.api.addPublicRoute(HttpMethod.GET, '/{proxy+}', pages, pagesWhy);

    (props.extraEntries ?? []).forEach((entry, i) => fn(`Extra${String(i + 1).padStart(2, '0')}`, entry));

    // One alarm per signal, not per function (decision 19).
    const alarms = new ParcoursAlarms(this, 'Alarms', { config, topicKey: key });
    alarms.watchFunctionErrors();
    alarms.watchStateMachine('ReferralStateMachine', this.referralStateMachine);
    alarms.watchStateMachine('OnboardingStateMachine', this.onboardingStateMachine);
    alarms.watchStateMachine('ActivityLaunchStateMachine', this.activityLaunchStateMachine);
    alarms.watchStateMachine('MonthlyInvoicingStateMachine', this.invoicingStateMachine);
    alarms.watchApi(this.api.api);
    alarms.watchSesReputation(messaging.emailConfigurationSet.configurationSetName);
    alarms.watchDeadLetters(deadLetters.queue);
    // Published by the dispatcher for messages still pending past their time.
    alarms.watchCount('NotificationOverdue', dispatchDeferred, 'notification_overdue', 'Messages pending past their time: the outbox is stuck or a provider refuses them');
    // The staff address is configuration, not a contact on the "to fix" list: an operator must hear of it.
    alarms.watchCount('StaffMessageUndelivered', deliveryEvents, 'staff_message_undelivered', 'A message to the staff address bounced or failed: check STAFF_EMAIL of the stage');

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Pages and /api' });
    new CfnOutput(this, 'UserPoolId', { value: this.auth.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.auth.client.userPoolClientId });
    new CfnOutput(this, 'AuthBaseUrl', { value: this.auth.authBaseUrl });
    new CfnOutput(this, 'TableName', { value: table.tableName });
    new CfnOutput(this, 'DocumentsBucketName', { value: this.documents.bucket.bucketName });
    new CfnOutput(this, 'ReferralStateMachineArn', { value: this.referralStateMachine.stateMachineArn });
    new CfnOutput(this, 'OnboardingStateMachineArn', { value: this.onboardingStateMachine.stateMachineArn });
    new CfnOutput(this, 'ActivityLaunchStateMachineArn', { value: this.activityLaunchStateMachine.stateMachineArn });
    new CfnOutput(this, 'MonthlyInvoicingStateMachineArn', { value: this.invoicingStateMachine.stateMachineArn });
    new CfnOutput(this, 'SmsInboundTopicArn', {
      value: messaging.smsInboundTopic.topicArn,
      description: "Two-way channel of the SMS number: set it with update-phone-number --two-way-channel-arn (README, deploy)",
    });
  }

  /**
   * Runs a function on a schedule (EventBridge Scheduler, which the local cloud also runs), a rate or a cron in a
   * time zone: a role that may invoke only that function, two retries, then the shared dead-letter queue; the
   * function's own asynchronous failures too.
   */
  private runEvery(
    target: ParcoursFunction,
    rate: Duration | scheduler.ScheduleExpression,
    description: string,
    deadLetters: ParcoursDeadLetters,
    /** A second schedule of the same function: its own id and the input it passes (the function's role is shared). */
    extra?: { id: string; input: Record<string, unknown> },
  ): void {
    const id = target.node.id;
    const known = this.scheduleRoles.get(target);
    const role =
      known ??
      new iam.Role(this, `${id}ScheduleRole`, {
        assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': this.account } } }),
      });
    this.scheduleRoles.set(target, role);
    new scheduler.Schedule(this, extra ? extra.id : `${id}Schedule`, {
      description,
      schedule: rate instanceof Duration ? scheduler.ScheduleExpression.rate(rate) : rate,
      target: new schedulerTargets.LambdaInvoke(target.function, {
        retryAttempts: 2,
        role,
        deadLetterQueue: deadLetters.queue,
        ...(extra ? { input: scheduler.ScheduleTargetInput.fromObject(extra.input) } : {}),
      }),
    });
    if (known) return;
    deadLetters.grantScheduleRole(role);
    deadLetters.receiveAsyncFailuresOf(target.function);
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(target.function.node.defaultChild as CfnElement)}.Arn>:*]`,
      reason: 'Added by the scheduler LambdaInvoke target: invoking this one function, including its versions and aliases (the ":*" suffix).',
    });
  }

  /** The finding grantExecution raises (executions of one state machine, by name), when the function has that grant. */
  private acknowledgeExecutionGrant(target: ParcoursFunction, machine: sfn.StateMachine): void {
    const machineId = this.getLogicalId(machine.node.defaultChild as CfnElement);
    Validations.of(target.function.role!).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${this.config.region}:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${machineId}"}]}]}:*]`,
      reason: 'Added by grantExecution: states:DescribeExecution on the executions of this one state machine (named after the referral ids).',
    });
  }

  /** The findings CDK's own grants raise on a state machine's role, each with its cause. */
  private acknowledgeStateMachineRole(machine: sfn.StateMachine, steps: ParcoursFunction[]): void {
    const role = machine.role;
    for (const step of steps) {
      const logicalId = this.getLogicalId(step.function.node.defaultChild as CfnElement);
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`,
        reason: 'Added by LambdaInvoke: invoking this one function, including its versions and aliases (the ":*" suffix).',
      });
    }
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Added by CDK for execution logging (logs:CreateLogDelivery and the other log-delivery actions) and X-Ray tracing: these actions do not support resource-level permissions.',
    });
  }
}

export interface CreateParcoursAppOptions {
  /** Stage to synthesize; otherwise CDK context `stage`, then PARCOURS_STAGE, then dev. */
  stage?: string;
  /** Cloud assembly directory; the CDK CLI's choice by default. */
  outdir?: string;
  /** Extra CDK context (e.g. `{ appUrls: 'https://parcours.example.org' }`). */
  context?: Record<string, unknown>;
  /** Run cdk-nag's AwsSolutions checks during synth (default true). */
  nag?: boolean;
  /** The bundles, when the caller built them already (infra/synth.ts); otherwise built (or reused) here. */
  bundles?: BundleSet;
  /** Adds this many trivial functions: the start-up bench measures what each added function costs. */
  extraFunctions?: number;
}

/**
 * The CDK app with the stack of one stage, ready for `app.synth()`: used by `infra/app.ts`
 * (the CDK CLI), by the local cloud and by the infra tests.
 * @example const { app, stack } = createParcoursApp({ stage: 'local', outdir: 'cdk.out' });
 */
export function createParcoursApp(options: CreateParcoursAppOptions = {}): { app: App; stack: ParcoursStack; config: StageConfig } {
  const app = new App({ outdir: options.outdir, context: options.context });
  const stage = resolveStageName(options.stage ?? app.node.tryGetContext('stage'));
  const config = loadStageConfig(stage, stageOverrides((key) => app.node.tryGetContext(key)));
  // One bundle set for every entry the app may declare (each .ts under functions/, plus the bench's extras),
  // built before any function exists; ParcoursFunction fails on an entry outside it.
  const extraEntries = extraFunctionEntries(options.extraFunctions ?? 0);
  const bundles = options.bundles ?? bundleFunctions({ entries: [...functionEntries(), ...extraEntries] });
  const stack = new ParcoursStack(app, `Parcours-${stage}`, {
    config,
    bundles,
    extraEntries,
    env: { account: config.account, region: config.region },
    description: `CoopConnexion Parcours (${stage})`,
    terminationProtection: config.deletionProtection,
  });
  Tags.of(app).add('project', 'coopconnexion-parcours');
  Tags.of(app).add('stage', stage);
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, config };
}
