import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { App, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import { createParcoursApp } from '../../infra/stack.js';
import { appTableDefinition } from '../../infra/local-app/tables.js';
import { bundleFunctions, functionEntries, REPO_ROOT, type BundleSet, type SdkUsage } from '../../infra/bundles.js';
import { loadStageConfig, type StageConfig } from '../../infra/config.js';
import { ParcoursFunction } from '../../infra/constructs/parcours-function.js';
import { CHANNEL_COMMANDS, dynamoDbGrant, operationsOf, ownCommands, s3Grant } from '../../infra/sdk-grants.js';
import { MAIL_ATTACHMENT_PREFIXES } from '../../shared/domain/messages/attachments.js';
import { DocumentsBucket } from '../../infra/constructs/documents-bucket.js';
import { MEMBER_INVOICING_ROUTES } from '../../functions/invoicing/member-routes.js';
import { STAFF_INVOICING_ROUTES } from '../../shared/invoicing/staff-routes.js';

/** Template JSON, as JSON.parse types it. */
type Json = ReturnType<typeof JSON.parse>;
type Resource = { Type: string; Properties: Record<string, Json>; DeletionPolicy?: string; UpdateReplacePolicy?: string };

interface Synthesized {
  stack: Stack;
  template: Template;
  resources: Record<string, Resource>;
  config: StageConfig;
  validationReport: { pluginReports: Array<{ pluginName: string; conclusion: string; violations: Array<{ ruleName: string; severity: string }> }> };
}

const outdirs: string[] = [];

/** Synthesizes one stage with cdk-nag; the bundles are those the global setup built (infra/bundles.ts), so this takes seconds. */
function synthesize(stage: string): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), `parcours-${stage}-`));
  outdirs.push(outdir);
  const { app, stack, config } = createParcoursApp({ stage, outdir });
  const assembly = app.synth();
  const template = Template.fromStack(stack);
  return {
    stack,
    template,
    resources: template.toJSON().Resources,
    config,
    validationReport: JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')),
  };
}

const ofType = (resources: Record<string, Resource>, type: string): Array<[string, Resource]> =>
  Object.entries(resources).filter(([, resource]) => resource.Type === type);

/** The state machine definition as plain ASL, CloudFormation references replaced by placeholders. */
function definitionOf(resources: Record<string, Resource>, prefix = 'ReferralStateMachine'): { States: Record<string, Json>; StartAt: string; QueryLanguage?: string } {
  const [[, machine]] = ofType(resources, 'AWS::StepFunctions::StateMachine').filter(([id]) => id.startsWith(prefix));
  const [, parts] = machine.Properties.DefinitionString['Fn::Join'] as [string, unknown[]];
  return JSON.parse(parts.map((part) => (typeof part === 'string' ? part : 'REF')).join(''));
}

let dev: Synthesized;
let prod: Synthesized;

beforeAll(() => {
  // CDK's built-in CloudFormation schema validation costs ~13 s per synth here; `cdk synth` still runs it.
  vi.stubEnv('CDK_VALIDATION', 'false');
  dev = synthesize('dev');
  prod = synthesize('prod');
}, 120_000);

afterAll(() => {
  vi.unstubAllEnvs();
  for (const outdir of outdirs) rmSync(outdir, { recursive: true, force: true });
});

describe('cdk-nag AwsSolutions', () => {
  it('reports no unacknowledged finding in dev or prod (a finding would also have failed synth)', () => {
    for (const { validationReport } of [dev, prod]) {
      const findings = validationReport.pluginReports.flatMap((report) => report.violations.map((v) => `${report.pluginName} ${v.severity} ${v.ruleName}`));
      expect(findings).toEqual([]);
    }
  });

  it('passes without acknowledging COG2 (MFA): neither the stack code nor the synthesized app holds it', () => {
    const sources = readdirSync(join(REPO_ROOT, 'infra'), { recursive: true, withFileTypes: true })
      .filter((item) => item.isFile() && item.name.endsWith('.ts') && !item.parentPath.includes(join('infra', 'local')))
      .map((item) => readFileSync(join(item.parentPath, item.name), 'utf8'));
    expect(sources.length).toBeGreaterThan(5);
    expect(sources.filter((source) => source.includes('COG2'))).toEqual([]);
    for (const { stack } of [dev, prod]) {
      const acknowledged = stack.node
        .findAll()
        .flatMap((construct) => construct.node.metadata.filter((entry) => entry.type === 'aws:cdk:acknowledged-rules'))
        .map((entry) => JSON.stringify(entry.data));
      // The probe sees acknowledgements: there are some, for other rules.
      expect(acknowledged.some((rules) => rules.includes('AwsSolutions-IAM5'))).toBe(true);
      expect(acknowledged.filter((rules) => rules.includes('COG2'))).toEqual([]);
    }
  });
});

describe('table', () => {
  it('has exactly the schema of infra/local-app/tables.ts, so the local table never drifts', () => {
    const expected = appTableDefinition('x').input;
    const [[, table]] = ofType(dev.resources, 'AWS::DynamoDB::Table');
    const byName = (a: { AttributeName?: string; IndexName?: string }, b: { AttributeName?: string; IndexName?: string }) =>
      String(a.AttributeName ?? a.IndexName).localeCompare(String(b.AttributeName ?? b.IndexName));
    expect(table.Properties.KeySchema).toEqual(expected.KeySchema);
    expect([...table.Properties.AttributeDefinitions].sort(byName)).toEqual([...(expected.AttributeDefinitions ?? [])].sort(byName));
    expect([...table.Properties.GlobalSecondaryIndexes].sort(byName)).toEqual([...(expected.GlobalSecondaryIndexes ?? [])].sort(byName));
    expect(table.Properties.BillingMode).toBe(expected.BillingMode);
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: appTableDefinition('x').ttlAttribute, Enabled: true });
  });

  it('keeps point-in-time recovery and encrypts with the customer-managed key, rotated', () => {
    const [[keyId, key]] = ofType(dev.resources, 'AWS::KMS::Key');
    const [[, table]] = ofType(dev.resources, 'AWS::DynamoDB::Table');
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
  });

  it('is retained and deletion-protected in prod, disposable in dev', () => {
    const [[, prodTable]] = ofType(prod.resources, 'AWS::DynamoDB::Table');
    const [[, devTable]] = ofType(dev.resources, 'AWS::DynamoDB::Table');
    expect(prodTable.DeletionPolicy).toBe('Retain');
    expect(prodTable.UpdateReplacePolicy).toBe('Retain');
    expect(prodTable.Properties.DeletionProtectionEnabled).toBe(true);
    expect(devTable.DeletionPolicy).toBe('Delete');
    expect(devTable.Properties.DeletionProtectionEnabled).toBe(false);
    const [[, prodPool]] = ofType(prod.resources, 'AWS::Cognito::UserPool');
    expect(prodPool.Properties.DeletionProtection).toBe('ACTIVE');
    expect(prodPool.DeletionPolicy).toBe('Retain');
  });
});

describe('documents bucket', () => {
  const bucketOf = (synthesized: Synthesized) => {
    const buckets = ofType(synthesized.resources, 'AWS::S3::Bucket');
    expect(buckets).toHaveLength(1);
    return buckets[0];
  };

  it("encrypts with the project's key and a bucket key, blocks all public access and refuses plain HTTP", () => {
    const [id, bucket] = bucketOf(dev);
    const [keyId] = ofType(dev.resources, 'AWS::KMS::Key')[0];
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      { BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] } } },
    ]);
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(bucket.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    const [[, policy]] = ofType(dev.resources, 'AWS::S3::BucketPolicy');
    expect(policy.Properties.Bucket).toEqual({ Ref: id });
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it('deletes uploads left under incoming/ after a day, and nothing else', () => {
    const [, bucket] = bucketOf(dev);
    const rules = bucket.Properties.LifecycleConfiguration.Rules as Array<Record<string, Json>>;
    expect(rules.filter((rule) => rule.ExpirationInDays !== undefined)).toEqual([{ Id: 'incoming-uploads', Prefix: 'incoming/', ExpirationInDays: 1, Status: 'Enabled' }]);
  });

  it("lets the browser PUT and GET from the app's origins only (the local origin outside prod)", () => {
    const [apiId] = ofType(dev.resources, 'AWS::ApiGatewayV2::Api')[0];
    const [rule] = bucketOf(dev)[1].Properties.CorsConfiguration.CorsRules;
    expect(rule).toMatchObject({ AllowedMethods: ['PUT', 'GET'], AllowedOrigins: [{ 'Fn::GetAtt': [apiId, 'ApiEndpoint'] }, dev.config.localAppUrl], ExposedHeaders: ['ETag'] });
    expect(bucketOf(prod)[1].Properties.CorsConfiguration.CorsRules[0].AllowedOrigins).toEqual([{ 'Fn::GetAtt': [expect.any(String), 'ApiEndpoint'] }]);
  });

  it('is retained in prod, disposable in dev, and its name is an output', () => {
    expect(bucketOf(prod)[1]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(bucketOf(dev)[1]).toMatchObject({ DeletionPolicy: 'Delete' });
    expect(dev.template.toJSON().Outputs).toHaveProperty('DocumentsBucketName');
  });
});

describe('HTTP API', () => {
  const routes = (s: Synthesized): Record<string, Json> => Object.fromEntries(ofType(s.resources, 'AWS::ApiGatewayV2::Route').map(([, r]) => [r.Properties.RouteKey, r.Properties]));

  it('has exactly the routes of docs/architecture.md', () => {
    expect(Object.keys(routes(dev)).sort()).toEqual(
      [
        'POST /api/referrals',
        'GET /api/referrals',
        'GET /api/referrals/{referralId}',
        'GET /api/staff/inbox',
        'GET /api/staff/onboarding',
        'GET /api/approvals/{approvalId}',
        'POST /api/approvals/{approvalId}/decision',
        'GET /api/people/{personId}/timeline',
        'GET /api/staff/messages',
        'POST /api/people/{personId}/contact-issues/{issueId}/fix',
        'GET /api/staff/duplicates',
        'POST /api/staff/duplicates/{duplicateId}/decision',
        'GET /api/staff/documents',
        'POST /api/staff/documents/{referralId}/{docType}/review',
        'GET /api/staff/documents/{referralId}/{docType}/file',
        'GET /api/staff/sessions',
        'POST /api/staff/sessions',
        'GET /api/staff/sessions/{sessionId}',
        'POST /api/staff/sessions/{sessionId}/attendance',
        'PUT /api/staff/onboarding/{referralId}/diagnosis',
        'GET /api/staff/onboarding/{referralId}/diagnosis',
        // CJS cohorts.
        'GET /api/staff/cohorts',
        'POST /api/staff/cohorts',
        'GET /api/staff/cohorts/{cohortId}',
        'PUT /api/staff/cohorts/{cohortId}',
        'POST /api/staff/cohorts/{cohortId}/members',
        'PUT /api/staff/cohorts/{cohortId}/members/{referralId}',
        'DELETE /api/staff/cohorts/{cohortId}/members/{referralId}',
        'GET /api/config',
        'GET /api/me',
        'GET /api/me/documents',
        'POST /api/me/documents/{docType}/uploads',
        'POST /api/me/uploads/{uploadId}/complete',
        'PUT /api/me/bank-details',
        'POST /api/links/resend',
        'GET /api/me/sessions',
        'PUT /api/me/session',
        // The guardian's consent and the contract.
        'GET /api/me/contract',
        'POST /api/me/contract/acceptance',
        'GET /api/guardian',
        'POST /api/guardian/consent',
        'GET /api/staff/onboarding/{referralId}/contract',
        // Activities: the young person's (personal link) and the staff's.
        'GET /api/me/activities',
        'PUT /api/me/activity',
        'POST /api/me/activity/submission',
        'GET /api/me/activities/{activityId}/flyer',
        // The members' invoicing (one function, functions/invoicing/member-routes.ts).
        ...MEMBER_INVOICING_ROUTES,
        // The staff's invoicing console (one function, shared/invoicing/staff-routes.ts).
        ...STAFF_INVOICING_ROUTES,
        'GET /api/staff/service-kinds',
        'PUT /api/staff/service-kinds/{code}',
        'GET /api/staff/activities',
        'POST /api/staff/activities',
        'GET /api/staff/activities/{activityId}',
        'PUT /api/staff/activities/{activityId}',
        'POST /api/staff/activities/{activityId}/submission',
        'POST /api/staff/activities/{activityId}/prices',
        'POST /api/staff/activities/{activityId}/members',
        'POST /api/staff/activities/{activityId}/status',
        'GET /api/staff/activities/{activityId}/flyer',
        'GET /',
        'GET /{proxy+}',
      ].sort(),
    );
  });

  /** Public at the gateway: the pages' config, and the routes of people without an account (checked in the handler: a personal link, or none for "nouveau lien"). */
  const PUBLIC_API = [
    'GET /api/config',
    'GET /api/me',
    'GET /api/me/documents',
    'POST /api/me/documents/{docType}/uploads',
    'POST /api/me/uploads/{uploadId}/complete',
    'PUT /api/me/bank-details',
    'POST /api/links/resend',
    'GET /api/me/sessions',
    'PUT /api/me/session',
    'GET /api/me/contract',
    'POST /api/me/contract/acceptance',
    'GET /api/guardian',
    'POST /api/guardian/consent',
    'GET /api/me/activities',
    'PUT /api/me/activity',
    'POST /api/me/activity/submission',
    'GET /api/me/activities/{activityId}/flyer',
    ...MEMBER_INVOICING_ROUTES,
  ];

  it('puts every other /api route behind the Cognito JWT authorizer', () => {
    const [[authorizerId, authorizer]] = ofType(dev.resources, 'AWS::ApiGatewayV2::Authorizer');
    expect(authorizer.Properties.AuthorizerType).toBe('JWT');
    expect(authorizer.Properties.IdentitySource).toEqual(['$request.header.Authorization']);
    expect(authorizer.Properties.JwtConfiguration.Audience).toEqual([{ Ref: expect.stringMatching(/^AuthUserPoolPagesClient/) }]);
    for (const [routeKey, route] of Object.entries(routes(dev))) {
      if (!routeKey.includes(' /api/') || PUBLIC_API.includes(routeKey)) continue;
      expect(route.AuthorizationType, routeKey).toBe('JWT');
      expect(route.AuthorizerId, routeKey).toEqual({ Ref: authorizerId });
    }
  });

  it('leaves the pages, their config and the personal-link routes public', () => {
    for (const routeKey of [...PUBLIC_API, 'GET /', 'GET /{proxy+}']) {
      const route = routes(dev)[routeKey];
      expect(route.AuthorizationType, routeKey).toBe('NONE');
      expect(route.AuthorizerId, routeKey).toBeUndefined();
    }
  });

  it('logs access without bodies, headers or tokens, and throttles the stage', () => {
    const [[, stage]] = ofType(dev.resources, 'AWS::ApiGatewayV2::Stage');
    expect(stage.Properties.StageName).toBe('$default');
    expect(stage.Properties.DefaultRouteSettings).toMatchObject({ ThrottlingBurstLimit: expect.any(Number), ThrottlingRateLimit: expect.any(Number) });
    const format: string = stage.Properties.AccessLogSettings.Format;
    expect(JSON.parse(format)).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
    expect(format).not.toMatch(/header|body|authorization|token/i);
  });
});

describe('referral state machine', () => {
  it('is a Standard, JSONPath machine with its steps named like the path on paper', () => {
    const [[, machine]] = ofType(dev.resources, 'AWS::StepFunctions::StateMachine');
    expect(machine.Properties.StateMachineType).toBe('STANDARD');
    expect(machine.Properties.TracingConfiguration).toEqual({ Enabled: true });
    expect(machine.Properties.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
    const definition = definitionOf(dev.resources);
    expect(definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    expect(JSON.stringify(definition)).not.toMatch(/"Assign"|JSONata|"Arguments"/);
    expect(definition.StartAt).toBe('Accuser réception');
    const steps = ['Accuser réception', 'Attendre la décision', "Relancer l'équipe", 'Attendre la décision après relance', 'Escalader', 'Attendre la décision après escalade', 'Expirer la demande', 'Notifier la décision', 'Attendre une place', "Rappeler la liste d'attente", "Démarrer l'accueil"];
    expect(Object.keys(definition.States).sort()).toEqual(
      [
        ...steps,
        ...steps.map((step) => `${step} : en échec`),
        "Relancer l'équipe : décidée ?",
        'Escalader : décidée ?',
        'Expirer la demande : décidée ?',
        "Rappeler la liste d'attente : décidée ?",
        'Quelle décision ?',
        'Demande expirée',
        'Orientation acceptée',
        'Orientation refusée',
        'Mettre de côté',
        'À traiter : attendre l’équipe',
        'À traiter : reprendre la décision',
        'Relancer ou clôturer ?',
        "Parcours clôturé par l'équipe",
      ].sort(),
    );
  });

  it('waits for the decision with task tokens whose timeouts are the configured deadlines, and takes a decision made at any moment', () => {
    const { States } = definitionOf(dev.resources);
    const { remindAfterSeconds, escalateAfterSeconds, expireAfterSeconds, waitlistReviewAfterSeconds } = dev.config.referral;
    const waits: Array<[string, string, number, string]> = [
      ['Attendre la décision', 'initial', remindAfterSeconds, "Relancer l'équipe"],
      ['Attendre la décision après relance', 'reminded', escalateAfterSeconds - remindAfterSeconds, 'Escalader'],
      ['Attendre la décision après escalade', 'escalated', expireAfterSeconds - escalateAfterSeconds, 'Expirer la demande'],
      ['Attendre une place', 'waitlist', waitlistReviewAfterSeconds, "Rappeler la liste d'attente"],
    ];
    for (const [name, phase, timeout, onTimeout] of waits) {
      const state = States[name];
      expect(state.Resource, name).toBe('arn:REF:states:::lambda:invoke.waitForTaskToken');
      expect(state.TimeoutSeconds, name).toBe(timeout);
      expect(state.ResultPath, name).toBeNull();
      expect(state.Parameters.Payload, name).toEqual({
        'taskToken.$': '$$.Task.Token',
        'executionArn.$': '$$.Execution.Id',
        'referralId.$': '$.referralId',
        'personId.$': '$.personId',
        'subjectId.$': '$.referralId',
        kind: 'referral-decision',
        phase,
      });
      // A decision made before the wait, then the deadline, are outcomes: never retried; anything else is.
      expect(state.Retry[0], name).toEqual({ ErrorEquals: ['DecisionAlreadyRecorded', 'States.Timeout'], MaxAttempts: 0 });
      expect(state.Retry[1], name).toMatchObject({ ErrorEquals: ['States.ALL'], MaxAttempts: 4 });
      expect(state.Catch, name).toEqual([
        { ErrorEquals: ['DecisionAlreadyRecorded'], ResultPath: null, Next: 'Notifier la décision' },
        { ErrorEquals: ['States.Timeout'], ResultPath: null, Next: onTimeout },
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: `${name} : en échec` },
      ]);
      expect(state.Next, name).toBe('Notifier la décision');
    }
    // After each deadline step, a decision recorded meanwhile is taken instead of waiting again.
    const afterDeadline: Array<[string, string]> = [
      ["Relancer l'équipe", 'Attendre la décision après relance'],
      ['Escalader', 'Attendre la décision après escalade'],
      ['Expirer la demande', 'Attendre la décision après escalade'],
      ["Rappeler la liste d'attente", 'Attendre une place'],
    ];
    for (const [deadline, otherwise] of afterDeadline) {
      const choice = `${deadline} : décidée ?`;
      expect(States[deadline].Next, deadline).toBe(choice);
      expect(States[deadline].ResultPath, deadline).toBe('$.deadline');
      expect(States[choice].Choices[0], choice).toEqual({ Variable: '$.deadline.decided', BooleanEquals: true, Next: 'Notifier la décision' });
      expect(States[choice].Default, choice).toBe(otherwise);
    }
    expect(States['Expirer la demande : décidée ?'].Choices[1]).toEqual({ Variable: '$.deadline.expired', BooleanEquals: true, Next: 'Demande expirée' });
  });

  it('retries every step, and parks a step that still fails "à traiter" for staff to relaunch or close: no execution ends FAILED', () => {
    const { States } = definitionOf(dev.resources);
    const block = new Set(['À traiter : attendre l’équipe', 'À traiter : reprendre la décision']);
    const guarded: string[] = [];
    for (const [name, state] of Object.entries(States)) {
      if (state.Type !== 'Task') continue;
      expect(state.Retry, name).toContainEqual(expect.objectContaining({ ErrorEquals: ['States.ALL'], IntervalSeconds: 2, MaxAttempts: 4, BackoffRate: 2 }));
      if (block.has(name)) continue;
      expect(state.Catch.at(-1), name).toEqual({ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: `${name} : en échec` });
      expect(States[`${name} : en échec`], name).toMatchObject({ Type: 'Pass', Result: name, ResultPath: '$.failedStep', Next: 'Mettre de côté' });
      guarded.push(name);
    }
    expect(guarded).toHaveLength(11);
    // The incident waits for staff with no deadline, and its payload carries the error's class only.
    const incident = States['À traiter : attendre l’équipe'];
    expect(incident.TimeoutSeconds).toBeUndefined();
    expect(incident.Parameters.Payload).toMatchObject({ kind: 'incident', phase: 'incident', 'step.$': '$.failedStep', error: { 'Error.$': '$.error.Error' } });
    const routes = States['Relancer ou clôturer ?'];
    expect(routes.Choices.map((c: Json) => c.Next).sort()).toEqual([...guarded].sort());
    expect(routes.Default).toBe("Parcours clôturé par l'équipe");

    expect(States['Accuser réception'].Parameters).toEqual({ 'referralId.$': '$.referralId', 'personId.$': '$.personId', cause: 'referral-received' });
    expect(States['Notifier la décision'].Parameters).toEqual({ 'referralId.$': '$.referralId', 'personId.$': '$.personId', kind: 'referral-decision', 'subjectId.$': '$.referralId' });
    expect(States['Notifier la décision'].ResultPath).toBe('$.decision');
    expect(States['Quelle décision ?'].Choices).toEqual([
      { Variable: '$.decision.outcome', StringEquals: 'waitlisted', Next: 'Attendre une place' },
      { Variable: '$.decision.outcome', StringEquals: 'accepted', Next: "Démarrer l'accueil" },
    ]);
    expect(States['Quelle décision ?'].Default).toBe('Orientation refusée');
    // The onboarding starts after an acceptance, the waiting list's included (the same Choice), then the referral's path ends.
    expect(States["Démarrer l'accueil"]).toMatchObject({ Parameters: { 'referralId.$': '$.referralId', 'personId.$': '$.personId' }, ResultPath: null, Next: 'Orientation acceptée' });
  });
});

describe('onboarding state machine', () => {
  const onboarding = () => definitionOf(dev.resources, 'OnboardingStateMachine');
  const waitOf = (States: Record<string, Json>, name: string) => ({ kind: States[name].Parameters.Payload.kind, phase: States[name].Parameters.Payload.phase, timeout: States[name].TimeoutSeconds });

  it('opens the onboarding, then waits for each step in the order of the path, with the configured deadlines', () => {
    const { StartAt, States } = onboarding();
    const t = dev.config.onboarding;
    expect(StartAt).toBe("Ouvrir l'accueil");
    expect(States["Ouvrir l'accueil"]).toMatchObject({ Parameters: { action: 'open' }, ResultPath: '$.onboarding', Next: "Attendre la réunion d'information" });
    expect(waitOf(States, "Attendre la réunion d'information")).toEqual({ kind: 'information-session', phase: 'initial', timeout: t.informationSession.remindAfterSeconds });
    expect(waitOf(States, "Attendre l'entretien de diagnostic après relance")).toEqual({ kind: 'diagnosis', phase: 'reminded', timeout: t.diagnosis.escalateAfterSeconds - t.diagnosis.remindAfterSeconds });
    expect(waitOf(States, 'Attendre les pièces')).toEqual({ kind: 'documents', phase: 'initial', timeout: t.documents.remindAfterSeconds });
    expect(waitOf(States, 'Attendre les pièces après deux relances')).toEqual({ kind: 'documents', phase: 'escalated', timeout: t.documents.expireAfterSeconds - t.documents.escalateAfterSeconds });
    expect(waitOf(States, 'Attendre les pièces (reprise)')).toEqual({ kind: 'documents', phase: 'resumed', timeout: t.documents.remindAfterSeconds });
    // Each step taken leads to the next one; a minor's consent comes between the documents and the contract.
    expect(States['Prendre la présence à la réunion'].Next).toBe('Présent à la réunion ?');
    expect(States['Présent à la réunion ?']).toMatchObject({ Choices: [{ Variable: '$.decision.outcome', StringEquals: 'no-show', Next: 'Préparer la revue : absences à la réunion' }], Default: "Attendre l'entretien de diagnostic" });
    expect(States["Prendre l'entretien de diagnostic"].Next).toBe('Attendre les pièces');
    expect(States['Mineur au début du programme ?']).toMatchObject({ Choices: [{ Variable: '$.onboarding.minor', BooleanEquals: true, Next: "Attendre l'accord du représentant légal" }], Default: 'Préparer le contrat' });
    // The contract is rendered once every document is in (and the consent), then read and accepted.
    expect(States['Préparer le contrat']).toMatchObject({ Next: "Attendre l'acceptation du contrat" });
    expect(States['Accord du représentant légal ?']).toMatchObject({ Choices: [{ Variable: '$.decision.outcome', StringEquals: 'refused', Next: 'Arrêter le parcours : refus du représentant légal' }] });
    expect(States["Prendre l'acceptation du contrat"].Next).toBe('Attendre la contresignature');
    // Countersigned: the final PDF (acceptance record and countersignature printed) is kept before the path goes on.
    expect(States['Prendre la contresignature'].Next).toBe('Garder le contrat signé');
    expect(States['Garder le contrat signé']).toMatchObject({ Parameters: { final: true }, Next: 'Prêt pour le lancement' });
    expect(States['Prêt pour le lancement']).toMatchObject({ Parameters: { action: 'ready' }, Next: 'Accueil terminé : prêt pour le lancement' });
  });

  it("sends a stuck step to the team's review, which goes back to that step's wait or ends the path", () => {
    const { States } = onboarding();
    expect(States['Pièces manquantes : revue : décidée ?'].Choices[1]).toEqual({ Variable: '$.deadline.expired', BooleanEquals: true, Next: 'Préparer la revue : pièces manquantes' });
    expect(States['Préparer la revue : pièces manquantes']).toMatchObject({ Parameters: { action: 'review', step: 'documents' }, ResultPath: '$.review', Next: "Attendre la revue de l'équipe" });
    expect(waitOf(States, "Attendre la revue de l'équipe").kind).toBe('onboarding-review');
    const route = States["Poursuivre l'accueil ?"];
    const continueAt = (step: string, next: string) => ({
      And: [
        { Variable: '$.decision.outcome', StringEquals: 'continue' },
        { Variable: '$.review.step', StringEquals: step },
      ],
      Next: next,
    });
    expect(route.Choices).toEqual([continueAt('information-session', "Attendre la réunion d'information (reprise)"), continueAt('documents', 'Attendre les pièces (reprise)')]);
    expect(route.Default).toBe('Arrêter le parcours');
    expect(States['Arrêter le parcours : refus du représentant légal'].Parameters).toMatchObject({ action: 'end', reason: 'guardian-refused' });
  });

  it("retries and guards every step like the referral's, and waits on every kind of the onboarding", () => {
    const { States } = onboarding();
    const tasks = Object.entries(States).filter(([, state]) => state.Type === 'Task');
    for (const [name, state] of tasks) {
      expect(state.Retry, name).toContainEqual(expect.objectContaining({ ErrorEquals: ['States.ALL'], MaxAttempts: 4 }));
      if (!name.startsWith('À traiter')) expect(state.Catch.at(-1), name).toEqual({ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: `${name} : en échec` });
    }
    const kinds = new Set(tasks.map(([, state]) => state.Parameters?.Payload?.kind).filter(Boolean));
    expect([...kinds].sort()).toEqual(['contract-acceptance', 'contract-countersign', 'diagnosis', 'documents', 'guardian-consent', 'incident', 'information-session', 'onboarding-review']);
  });

  it('gives its ARN to the functions that start it or hand it a decision only', () => {
    const withArn = ofType(dev.resources, 'AWS::Lambda::Function')
      .filter(([, fn]) => 'ONBOARDING_STATE_MACHINE_ARN' in (fn.Properties.Environment?.Variables ?? {}))
      .map(([id]) => id.replace(/[0-9A-F]{8}$/, ''))
      .sort();
    expect(withArn).toEqual(['DecideApproval', 'GuardianApi', 'Reconciler', 'StaffOnboardingApi', 'StartOnboarding', 'YoungPersonSpaceApi']);
  });
});

describe('activity launch state machine', () => {
  const launch = () => definitionOf(dev.resources, 'ActivityLaunchStateMachine');
  const waitOf = (States: Record<string, Json>, name: string) => ({ kind: States[name].Parameters.Payload.kind, phase: States[name].Parameters.Payload.phase, timeout: States[name].TimeoutSeconds });

  it('opens the launch, waits for the approval with the configured deadlines, then launches or sends back', () => {
    const { StartAt, States } = launch();
    const t = dev.config.launch;
    // The waiting steps' person and referral are empty until "Ouvrir le lancement" finds them.
    expect(StartAt).toBe('Dossier de lancement reçu');
    expect(States['Dossier de lancement reçu']).toMatchObject({ Type: 'Pass', Result: { referralId: '', personId: '' }, ResultPath: '$.launch', Next: 'Ouvrir le lancement' });
    expect(States['Ouvrir le lancement']).toMatchObject({
      Parameters: { action: 'open', 'activityId.$': '$.activityId', 'submission.$': '$.submission', 'referralId.$': '$.launch.referralId', 'personId.$': '$.launch.personId' },
      ResultPath: '$.launch',
      Next: 'Soumission en cours ?',
    });
    expect(States['Soumission en cours ?']).toMatchObject({ Choices: [{ Variable: '$.launch.current', BooleanEquals: true, Next: 'Attendre la validation du lancement' }], Default: 'Soumission déjà traitée' });
    expect(waitOf(States, 'Attendre la validation du lancement')).toEqual({ kind: 'activity-launch', phase: 'initial', timeout: t.remindAfterSeconds });
    expect(waitOf(States, 'Attendre la validation du lancement après relance')).toEqual({ kind: 'activity-launch', phase: 'reminded', timeout: t.escalateAfterSeconds - t.remindAfterSeconds });
    expect(States['Attendre la validation du lancement'].Parameters.Payload['subjectId.$']).toBe('$.activityId');
    // The escalation never expires the approval: its last wait loops, reminded each period.
    expect(States['Escalader : lancement : décidée ?']).toMatchObject({ Choices: [{ Variable: '$.deadline.decided', BooleanEquals: true, Next: 'Prendre la décision de lancement' }], Default: 'Attendre la validation du lancement après relance' });
    expect(States['Lancement validé ?']).toMatchObject({ Choices: [{ Variable: '$.decision.outcome', StringEquals: 'approved', Next: "Lancer l'activité" }], Default: 'Renvoyer le dossier' });
    expect(States["Lancer l'activité"]).toMatchObject({ Parameters: { action: 'activate' }, Next: 'Activité lancée' });
    expect(States['Renvoyer le dossier']).toMatchObject({ Parameters: { action: 'send-back' }, Next: 'Dossier renvoyé au jeune' });
    // Every step is retried, then parked "à traiter".
    for (const [name, state] of Object.entries(States).filter(([, s]) => s.Type === 'Task')) {
      expect(state.Retry, name).toContainEqual(expect.objectContaining({ ErrorEquals: ['States.ALL'], MaxAttempts: 4 }));
      if (!name.startsWith('À traiter')) expect(state.Catch.at(-1), name).toEqual({ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: `${name} : en échec` });
    }
  });

  it('gives its ARN to the functions that start it or hand it a decision', () => {
    const withArn = ofType(dev.resources, 'AWS::Lambda::Function')
      .filter(([, fn]) => 'ACTIVITY_LAUNCH_STATE_MACHINE_ARN' in (fn.Properties.Environment?.Variables ?? {}))
      .map(([id]) => id.replace(/[0-9A-F]{8}$/, ''));
    expect(withArn.sort()).toEqual(['DecideApproval', 'Reconciler', 'StaffActivitiesApi', 'YoungPersonSpaceApi']);
    expect(withArn).not.toContain('ActivityStep');
  });
});

describe('IAM', () => {
  /** Wildcards CDK itself writes, for actions that have no resource-level permissions. */
  const ALLOWED_ON_ANY_RESOURCE = new Set([
    'xray:PutTraceSegments',
    'xray:PutTelemetryRecords',
    'xray:GetSamplingRules',
    'xray:GetSamplingTargets',
    'logs:CreateLogDelivery',
    'logs:GetLogDelivery',
    'logs:UpdateLogDelivery',
    'logs:DeleteLogDelivery',
    'logs:ListLogDeliveries',
    'logs:PutResourcePolicy',
    'logs:DescribeResourcePolicies',
    'logs:DescribeLogGroups',
  ]);

  it('grants no action "*" nor "service:*", and "*" resources only for the CDK-added actions above', () => {
    const statements = ofType(dev.resources, 'AWS::IAM::Policy').flatMap(([id, policy]) =>
      (policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>).map((statement) => ({ id, ...statement })),
    );
    expect(statements.length).toBeGreaterThan(0);
    for (const { id, Action, Resource } of statements) {
      const actions = [Action].flat();
      expect(actions.filter((action) => action === '*' || action.endsWith(':*')), id).toEqual([]);
      if ([Resource].flat().includes('*')) expect(actions.filter((action) => !ALLOWED_ON_ANY_RESOURCE.has(action)), id).toEqual([]);
    }
  });

  it('scopes email and SMS sending to our identity, configuration sets and sender id', () => {
    const sendStatements = ofType(dev.resources, 'AWS::IAM::Policy')
      .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>)
      .filter((statement) => [statement.Action].flat().some((action) => action.startsWith('ses:') || action.startsWith('sms-voice:')));
    expect(sendStatements.length).toBeGreaterThan(0);
    for (const statement of sendStatements) expect([statement.Resource].flat()).not.toContain('*');
    const smsResources = JSON.stringify(sendStatements.filter((s) => [s.Action].flat().includes('sms-voice:SendTextMessage')).map((s) => s.Resource));
    expect(smsResources).toContain(':sender-id/CoopConnex/FR');
  });

  it('uses no AWS managed policy on any role', () => {
    for (const [id, role] of ofType(dev.resources, 'AWS::IAM::Role')) expect(role.Properties.ManagedPolicyArns, id).toBeUndefined();
  });
});

describe('functions', () => {
  const functions = (s: Synthesized) => Object.fromEntries(ofType(s.resources, 'AWS::Lambda::Function').map(([id, fn]) => [id.replace(/[0-9A-F]{8}$/, ''), fn.Properties]));

  it('are the entries of docs/architecture.md, each on nodejs22.x, arm64, traced, JSON logs', () => {
    const all = functions(dev);
    expect(Object.keys(all).sort()).toEqual(
      [
        'SubmitReferral',
        'ListReferrals',
        'GetReferral',
        // Staff's desk: inbox, messages, possible duplicates, a decision to take, a person's timeline (reads only).
        'StaffDeskApi',
        'DecideApproval',
        'OnboardingStep',
        'StartOnboarding',
        // The young person's space (every /api/me route but the invoicing's, decision 29).
        'YoungPersonSpaceApi',
        'ResendPersonalLink',
        'PagesConfig',
        'Pages',
        'SendNotifications',
        'OpenApproval',
        'ApprovalDeadline',
        'TakeDecision',
        'Reconciler',
        'DeliveryEvents',
        'InboundSms',
        'FixContact',
        'DecidePossibleDuplicate',
        'DispatchDeferredMessages',
        // The guardian's consent and the contract.
        'PrepareContract',
        'GuardianApi',
        // The activity's launch.
        'ActivityStep',
        // The monthly invoicing: the run's steps, its schedule, the chase of unpaid invoices, the members' routes.
        'InvoicingRunStep',
        'ChaseUnpaidInvoices',
        'MemberInvoicingApi',
        'StaffInvoicing',
        // CJS cohorts (decision 29: one function per API area).
        'CohortsApi',
        // The activities' routes: the staff's.
        'StaffActivitiesApi',
        // Staff's side of the onboarding: board, sessions, documents to review, diagnosis, contract.
        'StaffOnboardingApi',
      ].sort(),
    );
    for (const [id, fn] of Object.entries(all)) {
      expect(fn.Runtime, id).toBe('nodejs22.x');
      expect(fn.Architectures, id).toEqual(['arm64']);
      expect(fn.TracingConfig, id).toEqual({ Mode: 'Active' });
      expect(fn.LoggingConfig, id).toMatchObject({ LogFormat: 'JSON' });
      expect(fn.Handler, id).toBe('index.handler');
      expect(fn.Environment.Variables, id).toMatchObject({ NODE_OPTIONS: '--enable-source-maps', STAGE: 'dev', POWERTOOLS_METRICS_NAMESPACE: 'CoopConnexionParcours' });
    }
  });

  it("give the deadline steps the stage's expiry, which the escalation counts the days left against", () => {
    for (const stage of [dev, prod]) {
      const { States } = definitionOf(stage.resources);
      for (const name of ["Relancer l'équipe", 'Escalader', 'Expirer la demande', "Rappeler la liste d'attente"]) {
        expect(States[name].Parameters.expireAfterSeconds, name).toBe(stage.config.referral.expireAfterSeconds);
      }
    }
    // The test stage counts in seconds.
    expect(loadStageConfig('test').referral.expireAfterSeconds).toBeLessThan(60);
  });

  it('give the referral state machine ARN to the submit, decision and reconciler functions only (no cycle through the workflow steps)', () => {
    const withArn = Object.entries(functions(dev))
      .filter(([, fn]) => 'REFERRAL_STATE_MACHINE_ARN' in fn.Environment.Variables)
      .map(([id]) => id)
      .sort();
    // The onboarding's answers (attendance, diagnosis, documents, consent, contract) wake the onboarding machine instead.
    expect(withArn).toEqual(['DecideApproval', 'Reconciler', 'SubmitReferral']);
  });

  it('give the table to every function but the pages, and the senders their messaging settings', () => {
    const all = functions(dev);
    for (const [id, fn] of Object.entries(all)) {
      // Starting the onboarding is one Step Functions call: no table.
      expect('TABLE_NAME' in fn.Environment.Variables, id).toBe(!id.startsWith('Pages') && id !== 'StartOnboarding');
    }
    // The waiting steps too: a young person's or guardian's step texts them when it opens and at its deadlines.
    for (const id of ['SendNotifications', 'TakeDecision', 'Reconciler', 'OpenApproval', 'ApprovalDeadline']) {
      expect(Object.keys(all[id].Environment.Variables), id).toEqual(
        expect.arrayContaining(['EMAIL_FROM', 'SES_CONFIGURATION_SET', 'SMS_SENDER_ID', 'SMS_CONFIGURATION_SET', 'STAFF_EMAIL', 'APP_BASE_URL']),
      );
    }
    // Every function that sends retries the outbox's messages alike, and holds a lease longer than its own timeout.
    for (const id of ['SendNotifications', 'OpenApproval', 'ApprovalDeadline', 'TakeDecision', 'Reconciler', 'DeliveryEvents', 'FixContact', 'DispatchDeferredMessages']) {
      expect(all[id].Environment.Variables, id).toMatchObject({ OUTBOX_MAX_ATTEMPTS: '8', OUTBOX_RETRY_BASE_SECONDS: '30', OUTBOX_LEASE_SECONDS: '120' });
      expect(all[id].Timeout, id).toBeLessThan(120);
    }
    for (const id of ['Pages', 'PagesConfig']) {
      expect(Object.keys(all[id].Environment.Variables), id).toEqual(expect.arrayContaining(['AUTH_BASE_URL', 'USER_POOL_CLIENT_ID', 'APP_BASE_URL']));
    }
  });
});

describe('delivery tracking', () => {
  const deliveryFunctionId = () => ofType(dev.resources, 'AWS::Lambda::Function').find(([id]) => id.startsWith('DeliveryEvents'))![0];

  const deliveryQueue = () => {
    const [[queueId, queue]] = ofType(dev.resources, 'AWS::SQS::Queue').filter(([id]) => id.startsWith('MessagingDeliveryEventsQueue'));
    return { queueId, queue, arn: { 'Fn::GetAtt': [queueId, 'Arn'] } };
  };

  it('routes the final SES events of our configuration set only, from the default bus, to the delivery queue', () => {
    const rules = ofType(dev.resources, 'AWS::Events::Rule').filter(([, r]) => r.Properties.EventPattern);
    expect(rules).toHaveLength(1);
    const [[ruleId, rule]] = rules;
    expect(rule.Properties.EventBusName).toBeUndefined();
    const [[configurationSetId]] = ofType(dev.resources, 'AWS::SES::ConfigurationSet');
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.ses'],
      'detail-type': ['Email Delivered', 'Email Bounced', 'Email Complaint Received', 'Email Rejected', 'Email Rendering Failed'],
      detail: { mail: { tags: { 'ses:configuration-set': [{ Ref: configurationSetId }] } } },
    });
    const { queueId, arn } = deliveryQueue();
    expect(rule.Properties.Targets).toEqual([expect.objectContaining({ Arn: arn, RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 } })]);
    // Nothing invokes DeliveryEvents but its queue's event source mapping.
    const permissions = ofType(dev.resources, 'AWS::Lambda::Permission').filter(([, p]) => JSON.stringify(p.Properties.FunctionName).includes(deliveryFunctionId()));
    expect(permissions).toEqual([]);
    // Only our rule and the SMS events topic may send to the queue, over TLS.
    const [[, policy]] = ofType(dev.resources, 'AWS::SQS::QueuePolicy').filter(([, p]) => JSON.stringify(p.Properties.Queues).includes(queueId));
    const statements = policy.Properties.PolicyDocument.Statement as Array<{ Effect: string; Principal: { Service?: string }; Action: string | string[]; Condition: Json }>;
    const [[topicId]] = ofType(dev.resources, 'AWS::SNS::Topic').filter(([id]) => id.startsWith('MessagingSmsEventsTopic'));
    expect(statements.filter((st) => st.Effect === 'Allow').map((st) => [st.Principal.Service, [st.Action].flat().filter((a) => a !== 'sqs:GetQueueAttributes' && a !== 'sqs:GetQueueUrl'), st.Condition])).toEqual([
      ['events.amazonaws.com', ['sqs:SendMessage'], { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } }],
      ['sns.amazonaws.com', ['sqs:SendMessage'], { ArnEquals: { 'aws:SourceArn': { Ref: topicId } } }],
    ]);
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
  });

  it('hands the reports to DeliveryEvents in batches: SSE-SQS, redrive to the dead letters after 5 receives, partial batch failures', () => {
    const { queueId, queue } = deliveryQueue();
    const [[deadLettersId]] = ofType(dev.resources, 'AWS::SQS::Queue').filter(([id]) => id.startsWith('DeadLetters'));
    expect(queue.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 4 * 24 * 3600,
      VisibilityTimeout: 180,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [deadLettersId, 'Arn'] }, maxReceiveCount: 5 },
    });
    expect(queue.Properties.KmsMasterKeyId).toBeUndefined();
    const mappings = ofType(dev.resources, 'AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(1);
    expect(mappings[0]![1].Properties).toMatchObject({
      FunctionName: { Ref: deliveryFunctionId() },
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    // The queue hands a report back no sooner than the function may still be working on it.
    const timeout = dev.resources[deliveryFunctionId()]!.Properties.Timeout;
    expect(timeout).toBeLessThanOrEqual(queue.Properties.VisibilityTimeout);
    // The end-to-end stage gathers for a second, and hands a report back after the function's timeout.
    expect(loadStageConfig('test').deliveryReports).toEqual({ batchSize: 100, batchingWindowSeconds: 1, visibilityTimeoutSeconds: timeout });
  });

  it('publishes the SMS delivery events to a topic encrypted with the project key, the delivery queue subscribed for the raw events', () => {
    const [[, configurationSet]] = ofType(dev.resources, 'AWS::SMSVOICE::ConfigurationSet');
    const [destination] = configurationSet.Properties.EventDestinations;
    expect(destination).toMatchObject({ Enabled: true, MatchingEventTypes: expect.arrayContaining(['TEXT_DELIVERED', 'TEXT_UNREACHABLE', 'TEXT_BLOCKED']) });
    const topicId = destination.SnsDestination.TopicArn.Ref;
    const [[keyId, key]] = ofType(dev.resources, 'AWS::KMS::Key');
    expect(dev.resources[topicId]!.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    const subscriptions = ofType(dev.resources, 'AWS::SNS::Subscription').map(([, s]) => s.Properties);
    expect(subscriptions.filter((s) => s.TopicArn.Ref === topicId)).toEqual([
      expect.objectContaining({ Protocol: 'sqs', TopicArn: { Ref: topicId }, Endpoint: deliveryQueue().arn, RawMessageDelivery: true }),
    ]);

    // Only End User Messaging SMS of this account may publish, over TLS, and use the key for it.
    const [[, topicPolicy]] = ofType(dev.resources, 'AWS::SNS::TopicPolicy').filter(([, p]) => JSON.stringify(p.Properties.Topics).includes(topicId));
    const allow = topicPolicy.Properties.PolicyDocument.Statement.find((s: { Effect: string }) => s.Effect === 'Allow');
    expect(allow).toMatchObject({ Principal: { Service: 'sms-voice.amazonaws.com' }, Action: 'sns:Publish', Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } });
    const keyStatement = key.Properties.KeyPolicy.Statement.find((s: { Sid?: string }) => s.Sid === 'SmsServicePublishesToEncryptedTopic');
    expect(keyStatement).toMatchObject({ Principal: { Service: 'sms-voice.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] });
    expect(keyStatement.Condition.StringEquals['aws:SourceAccount']).toBeDefined();
  });

  const actionsOf = (prefix: string) =>
    ofType(dev.resources, 'AWS::IAM::Policy')
      .filter(([id]) => id.startsWith(prefix))
      .flatMap(([, p]) => (p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>).flatMap((s) => [s.Action].flat()));

  it('gives DeliveryEvents the table and sending (the fallback by the other channel), its queue, and nothing else', () => {
    const actions = actionsOf('DeliveryEvents');
    // A batch's reports in transactions, their lookups in one batch read.
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem', 'ses:SendEmail', 'sms-voice:SendTextMessage']));
    expect(actions.filter((a) => a.startsWith('sns:') || a.startsWith('states:'))).toEqual([]);
    // Its queue's consumer, and the dead letters' key, which SQS uses with its rights when it moves a report there.
    const statements = ofType(dev.resources, 'AWS::IAM::Policy')
      .filter(([id]) => id.startsWith('DeliveryEvents'))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: Json }>);
    const sqsStatement = statements.find((st) => [st.Action].flat().includes('sqs:ReceiveMessage'))!;
    expect(sqsStatement.Resource).toEqual(deliveryQueue().arn);
    expect([sqsStatement.Action].flat().every((a) => ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'].includes(a))).toBe(true);
    const [[keyId]] = ofType(dev.resources, 'AWS::KMS::Key');
    expect(statements).toContainEqual(expect.objectContaining({ Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: { 'Fn::GetAtt': [keyId, 'Arn'] } }));
  });

  it('routes the SMS replies of the two-way topic to InboundSms, which cannot send, and outputs the topic for the number', () => {
    const inboundId = ofType(dev.resources, 'AWS::Lambda::Function').find(([id]) => id.startsWith('InboundSms'))![0];
    const [subscription] = ofType(dev.resources, 'AWS::SNS::Subscription').filter(([, s]) => s.Properties.Endpoint['Fn::GetAtt'][0] === inboundId);
    const topicId = subscription[1].Properties.TopicArn.Ref;
    const [[keyId]] = ofType(dev.resources, 'AWS::KMS::Key');
    expect(dev.resources[topicId]!.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    expect(dev.template.toJSON().Outputs.SmsInboundTopicArn.Value).toEqual({ Ref: topicId });
    const actions = actionsOf('InboundSms');
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem']));
    expect(actions.filter((a) => a.startsWith('ses:') || a.startsWith('sms-voice:'))).toEqual([]);
    // The staff's list reads; only FixContact writes and sends.
    expect(actionsOf('StaffDeskApi').filter((a) => /^dynamodb:(Put|Update|Delete|BatchWrite)|^ses:|^sms-voice:/.test(a))).toEqual([]);
    expect(actionsOf('FixContact')).toEqual(expect.arrayContaining(['dynamodb:UpdateItem', 'ses:SendEmail', 'sms-voice:SendTextMessage']));
  });
});

describe('auth', () => {
  it('has the staff and prescriber groups and a public PKCE client that cannot write the organisation', () => {
    const groups = ofType(dev.resources, 'AWS::Cognito::UserPoolGroup').map(([, g]) => g.Properties.GroupName);
    expect(groups.sort()).toEqual(['prescriber', 'staff']);
    const [[, client]] = ofType(dev.resources, 'AWS::Cognito::UserPoolClient');
    expect(client.Properties.GenerateSecret).toBe(false);
    expect(client.Properties.AllowedOAuthFlows).toEqual(['code']);
    expect(client.Properties.AllowedOAuthScopes).toEqual(['openid', 'email', 'profile']);
    expect(client.Properties.ReadAttributes).toEqual(expect.arrayContaining(['custom:organisation', 'custom:organisation_name']));
    expect(client.Properties.WriteAttributes.filter((attribute: string) => attribute.startsWith('custom:'))).toEqual([]);
    expect(JSON.stringify(client.Properties.CallbackURLs)).toContain('/auth/callback');
    const [[, pool]] = ofType(dev.resources, 'AWS::Cognito::UserPool');
    expect(pool.Properties.AdminCreateUserConfig).toMatchObject({ AllowAdminCreateUserOnly: true });
    // Staff see every young person's data: a second factor is required, for the whole pool, by TOTP only.
    for (const { resources } of [dev, prod]) {
      const [[, userPool]] = ofType(resources, 'AWS::Cognito::UserPool');
      expect(userPool.Properties.MfaConfiguration).toBe('ON');
      expect(userPool.Properties.EnabledMfas).toEqual(['SOFTWARE_TOKEN_MFA']);
    }
  });

  it('allows localhost callbacks outside prod only', () => {
    const callbacks = (s: Synthesized) => JSON.stringify(ofType(s.resources, 'AWS::Cognito::UserPoolClient')[0][1].Properties.CallbackURLs);
    expect(callbacks(dev)).toContain(`${dev.config.localAppUrl}/auth/callback`);
    expect(callbacks(prod)).not.toContain('localhost');
  });
});

describe('messages held back for SMS quiet hours', () => {
  it('are dispatched every 5 minutes by a schedule whose role may invoke only the dispatcher, and write its dead letters', () => {
    const [[, schedule]] = ofType(dev.resources, 'AWS::Scheduler::Schedule');
    expect(schedule.Properties.ScheduleExpression).toBe('rate(5 minutes)');
    const [[dispatcherId]] = ofType(dev.resources, 'AWS::Lambda::Function').filter(([id]) => id.startsWith('DispatchDeferredMessages'));
    expect(schedule.Properties.Target.Arn).toEqual({ 'Fn::GetAtt': [dispatcherId, 'Arn'] });
    const roleId = schedule.Properties.Target.RoleArn['Fn::GetAtt'][0];
    const policies = ofType(dev.resources, 'AWS::IAM::Policy').filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(roleId));
    const statements = policies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    expect(statements.map((st: { Action: string }) => st.Action)).toEqual(['lambda:InvokeFunction', 'sqs:SendMessage', ['kms:GenerateDataKey', 'kms:Decrypt']]);
    expect(JSON.stringify(statements)).toContain(dispatcherId);
  });
});

describe('the chase of unpaid invoices', () => {
  it('runs every day at 09:00 Paris time, one schedule invoking only its function, which may send and read the invoices to attach', () => {
    const [[chaseId, chase]] = ofType(dev.resources, 'AWS::Lambda::Function').filter(([id]) => id.startsWith('ChaseUnpaidInvoices'));
    const schedules = ofType(dev.resources, 'AWS::Scheduler::Schedule').filter(([, s]) => JSON.stringify(s.Properties.Target.Arn) === JSON.stringify({ 'Fn::GetAtt': [chaseId, 'Arn'] }));
    expect(schedules).toHaveLength(1);
    const [[, schedule]] = schedules;
    expect(schedule.Properties).toMatchObject({ ScheduleExpression: 'cron(0 9 * * ? *)', ScheduleExpressionTimezone: 'Europe/Paris' });
    expect(chase.Properties.Timeout).toBe(60);
    const roleId = chase.Properties.Role['Fn::GetAtt'][0];
    const statements = ofType(dev.resources, 'AWS::IAM::Policy')
      .filter(([, p]) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: Json }>);
    const actions = statements.flatMap((st) => [st.Action].flat());
    // A transaction is granted by the actions of its items (IAM has no TransactWriteItems action).
    expect(actions).toEqual(expect.arrayContaining(['ses:SendEmail', 's3:GetObject', 'dynamodb:Query', 'dynamodb:ConditionCheckItem', 'dynamodb:UpdateItem']));
    expect(actions).not.toContain('dynamodb:Scan');
    expect(JSON.stringify(statements.filter((st) => [st.Action].flat().includes('s3:GetObject')).map((st) => st.Resource))).toMatch(/invoices\/\*/);
  });
});

describe('alarms and outputs', () => {
  const alarms = () => Object.fromEntries(ofType(dev.resources, 'AWS::CloudWatch::Alarm').map(([id, a]) => [id.replace(/^Alarms/, '').replace(/[0-9A-F]{8}$/, ''), a.Properties]));

  it('are one per signal, each metric and threshold as docs/decisions.md lists them, all to the encrypted topic', () => {
    const all = alarms();
    expect(Object.keys(all).sort()).toEqual(
      ['FunctionErrors', 'ReferralStateMachineExecutionsFailedOrTimedOut', 'OnboardingStateMachineExecutionsFailedOrTimedOut', 'ActivityLaunchStateMachineExecutionsFailedOrTimedOut', 'MonthlyInvoicingStateMachineExecutionsFailedOrTimedOut', 'Api5xx', 'SesBounceRate', 'SesComplaintRate', 'DeadLetters', 'NotificationOverdue', 'StaffMessageUndelivered'].sort(),
    );
    // Every function of the account in one metric, not one alarm per function.
    expect(all.FunctionErrors).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Errors', Statistic: 'Sum', Period: 300, Threshold: 5 });
    expect(all.FunctionErrors.Dimensions).toBeUndefined();
    const [[apiId]] = ofType(dev.resources, 'AWS::ApiGatewayV2::Api');
    expect(all.Api5xx).toMatchObject({ Namespace: 'AWS/ApiGateway', MetricName: '5xx', Statistic: 'Sum', Threshold: 1, Dimensions: [{ Name: 'ApiId', Value: { Ref: apiId } }] });
    const [[configurationSetId]] = ofType(dev.resources, 'AWS::SES::ConfigurationSet');
    const ourSet = [{ Name: 'ses:configuration-set', Value: { Ref: configurationSetId } }];
    expect(all.SesBounceRate).toMatchObject({ Namespace: 'AWS/SES', MetricName: 'Reputation.BounceRate', Statistic: 'Maximum', Threshold: 0.05, Dimensions: ourSet });
    expect(all.SesComplaintRate).toMatchObject({ Namespace: 'AWS/SES', MetricName: 'Reputation.ComplaintRate', Statistic: 'Maximum', Threshold: 0.001, Dimensions: ourSet });
    const [[queueId]] = ofType(dev.resources, 'AWS::SQS::Queue').filter(([id]) => id.startsWith('DeadLetters'));
    expect(all.DeadLetters).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Statistic: 'Maximum', Threshold: 1 });
    expect(all.DeadLetters.Dimensions).toEqual([{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }]);
    expect(all.NotificationOverdue).toMatchObject({ Namespace: 'CoopConnexionParcours', MetricName: 'notification_overdue', Statistic: 'Sum', Period: 300, Threshold: 1 });
    expect(all.NotificationOverdue.Dimensions).toEqual(expect.arrayContaining([{ Name: 'service', Value: 'DispatchDeferredMessages' }, { Name: 'stage', Value: 'dev' }]));
    for (const [id, alarm] of Object.entries(all)) expect(alarm.ComparisonOperator, id).toBe('GreaterThanOrEqualToThreshold');

    const [[topicId, topic]] = ofType(dev.resources, 'AWS::SNS::Topic').filter(([id]) => id.startsWith('Alarms'));
    expect(topic.Properties.KmsMasterKeyId).toBeDefined();
    for (const [id, alarm] of Object.entries(all)) expect(alarm.AlarmActions, id).toEqual([{ Ref: topicId }]);
  });

  it('watch failed and timed-out executions of a state machine in one alarm on their sum', () => {
    const alarm = alarms().ReferralStateMachineExecutionsFailedOrTimedOut;
    const [[machineId]] = ofType(dev.resources, 'AWS::StepFunctions::StateMachine');
    const byId = Object.fromEntries(alarm.Metrics.map((m: { Id: string }) => [m.Id, m]));
    expect(alarm.Threshold).toBe(1);
    expect(Object.values(byId).filter((m) => (m as { ReturnData?: boolean }).ReturnData !== false)).toEqual([expect.objectContaining({ Expression: 'failed + timedOut' })]);
    for (const [id, metricName] of [['failed', 'ExecutionsFailed'], ['timedOut', 'ExecutionsTimedOut']]) {
      expect(byId[id].MetricStat).toMatchObject({ Metric: { Namespace: 'AWS/States', MetricName: metricName, Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: machineId } }] }, Stat: 'Sum', Period: 300 });
    }
  });

  it('cost less than EUR 3 a month: $0.10 per metric an alarm reads', () => {
    const metricsRead = Object.values(alarms()).reduce((n, alarm) => n + (alarm.Metrics ? alarm.Metrics.filter((m: { MetricStat?: unknown }) => m.MetricStat).length : 1), 0);
    // Each state machine's alarm reads two (failed, timed out): the referral's, the onboarding's, the launch's and the monthly invoicing's.
    expect(metricsRead).toBe(15);
    expect(metricsRead * 0.1).toBeLessThan(3);
  });

  it("alarm when a message to the staff address does not arrive, on the metric DeliveryEvents publishes for this stage", () => {
    const staff = alarms().StaffMessageUndelivered;
    expect(staff).toMatchObject({ Namespace: 'CoopConnexionParcours', MetricName: 'staff_message_undelivered', Statistic: 'Sum', Period: 300, Threshold: 1 });
    expect(staff.Dimensions).toEqual(expect.arrayContaining([{ Name: 'service', Value: 'DeliveryEvents' }, { Name: 'stage', Value: 'dev' }]));
    const deliveryEvents = ofType(dev.resources, 'AWS::Lambda::Function').find(([id]) => id.startsWith('DeliveryEvents'))![1];
    expect(deliveryEvents.Properties.Environment.Variables).toMatchObject({ POWERTOOLS_SERVICE_NAME: 'DeliveryEvents', POWERTOOLS_METRICS_NAMESPACE: 'CoopConnexionParcours', STAGE: 'dev' });
  });

  it('exports what an operator and the local cloud need', () => {
    dev.template.hasOutput('ApiUrl', {});
    for (const name of ['ApiUrl', 'UserPoolId', 'UserPoolClientId', 'AuthBaseUrl', 'TableName', 'DocumentsBucketName', 'ReferralStateMachineArn', 'OnboardingStateMachineArn', 'ActivityLaunchStateMachineArn', 'SmsInboundTopicArn']) {
      expect(dev.template.toJSON().Outputs, name).toHaveProperty(name);
    }
  });
});

describe('least privilege: each function holds the calls its bundle makes, and nothing else', () => {
  type Statement = { Action: string | string[]; Resource: Json; Effect: string };
  let bundles: BundleSet;
  beforeAll(() => {
    bundles = bundleFunctions({ entries: functionEntries() });
  });

  /** Per function (logical id without hash): its entry (the description), its bundle's SDK usage and its policy statements. */
  const perFunction = () =>
    ofType(dev.resources, 'AWS::Lambda::Function').map(([id, fn]) => {
      const roleId = fn.Properties.Role['Fn::GetAtt'][0];
      const statements = ofType(dev.resources, 'AWS::IAM::Policy')
        .filter(([, policy]) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
        .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Statement[]);
      const entry = String(fn.Properties.Description);
      const actions = new Set(statements.flatMap((statement) => [statement.Action].flat()));
      return { id: id.replace(/[0-9A-F]{8}$/, ''), entry, usage: bundles.sdkUsageOf(entry), statements, actions };
    });
  const dynamoActions = (actions: Set<string>) => [...actions].filter((action) => action.startsWith('dynamodb:')).sort();

  it('no function holds dynamodb:Scan, nor any DynamoDB wildcard', () => {
    const all = perFunction();
    expect(all.length).toBeGreaterThanOrEqual(18);
    for (const { id, actions } of all) expect([...actions].filter((a) => a === 'dynamodb:Scan' || (a.startsWith('dynamodb:') && a.includes('*'))), id).toEqual([]);
  });

  it('each function holds every DynamoDB operation its bundle calls, and none it does not', () => {
    const transactional: Record<string, string[]> = { TransactWriteItems: ['PutItem', 'UpdateItem', 'DeleteItem', 'ConditionCheckItem'], TransactGetItems: ['GetItem'] };
    for (const { id, usage, actions } of perFunction()) {
      const operations = operationsOf('dynamodb', usage.commands).filter((op) => op !== 'DescribeEndpoints');
      const explained = new Set(operations.flatMap((op) => transactional[op] ?? [op]).map((op) => `dynamodb:${op}`));
      // Every call is granted: a function calling an operation it does not hold would fail here.
      for (const action of explained) expect(actions.has(action), `${id} calls ${action}`).toBe(true);
      // Every grant is called.
      expect(dynamoActions(actions).filter((action) => !explained.has(action)), id).toEqual([]);
      expect(dynamoActions(actions), id).toEqual(dynamoDbGrant(id, usage)?.actions ?? []);
    }
  });

  it('grants the reads where only reads are made (GET routes holding no write, pages holding no table)', () => {
    const byId = Object.fromEntries(perFunction().map((f) => [f.id, f]));
    const writes = (id: string) => dynamoActions(byId[id].actions).filter((a) => /Put|Update|Delete|BatchWrite|ConditionCheck/.test(a));
    for (const id of ['GetReferral', 'ListReferrals', 'StaffDeskApi']) expect(writes(id), id).toEqual([]);
    for (const id of ['Pages', 'PagesConfig']) expect(dynamoActions(byId[id].actions), id).toEqual([]);
    expect(byId.GetReferral.actions.has('dynamodb:Query')).toBe(false);
  });

  it("gives the indexes' ARNs only to functions whose code names an index in a query", () => {
    let withIndexes = 0;
    for (const { id, usage, statements } of perFunction()) {
      const dynamo = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('dynamodb:')));
      const onIndexes = JSON.stringify(dynamo.map((s) => s.Resource)).includes('/index/*');
      expect(onIndexes, id).toBe(usage.queriesIndex && operationsOf('dynamodb', usage.commands).includes('Query'));
      if (onIndexes) withIndexes += 1;
    }
    expect(withIndexes).toBeGreaterThan(0);
  });

  it("grants each S3 call the code makes on the documents bucket's objects, with the key, and gives the bucket's name", () => {
    for (const { id, usage, statements, actions } of perFunction()) {
      const grant = s3Grant(id, ownCommands(usage.commands));
      const s3Statements = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('s3:')));
      // A function that e-mails reads attachments (the shared sender): s3:GetObject on their prefixes.
      const sendsMail = usage.commands.includes(CHANNEL_COMMANDS.email);
      const expected = new Set([...(grant ? [...grant.objectActions, ...grant.bucketActions] : []), ...(sendsMail ? ['s3:GetObject'] : [])]);
      expect([...actions].filter((a) => a.startsWith('s3:')).sort(), id).toEqual([...expected].sort());
      for (const statement of s3Statements) expect(JSON.stringify(statement.Resource), id).toMatch(/DocumentsBucket/);
    }
  });

  it('lets the functions that e-mail read the attachment prefixes of the documents bucket, and nothing else of it', () => {
    // Functions whose own code also calls S3 (the run's step writes the PDFs it e-mails, an area reads uploads) have the
    // grant of their calls, checked by the test above; here, those that reach S3 only through the sender.
    const senders = perFunction().filter(({ id, usage }) => usage.commands.includes(CHANNEL_COMMANDS.email) && !s3Grant(id, ownCommands(usage.commands)));
    expect(senders.map(({ id }) => id)).toEqual(expect.arrayContaining(['SendNotifications', 'DispatchDeferredMessages', 'DeliveryEvents', 'FixContact']));
    for (const { id, usage, statements } of senders) {
      // Their bundles read S3 through the sender only: no S3 call of their own.
      expect(s3Grant(id, ownCommands(usage.commands)), id).toBeUndefined();
      const reads = statements.filter((s) => [s.Action].flat().includes('s3:GetObject'));
      expect(reads.map((s) => s.Action), id).toEqual(['s3:GetObject']);
      const resources = JSON.stringify(reads[0]!.Resource);
      for (const prefix of MAIL_ATTACHMENT_PREFIXES) expect(resources, id).toContain(`/${prefix}*`);
      expect(resources, id).not.toMatch(/Arn"\]\},"\/\*"/);
      expect(statements.some((s) => [s.Action].flat().includes('kms:Decrypt')), id).toBe(true);
    }
    const dispatcher = ofType(dev.resources, 'AWS::Lambda::Function').find(([id]) => id.startsWith('DispatchDeferredMessages'))![1];
    expect(dispatcher.Properties.Environment.Variables.DOCUMENTS_BUCKET).toEqual({ Ref: expect.stringMatching(/^DocumentsBucket/) });
  });

  it('grants each Step Functions call and each sending channel the code uses; SMS only where a step may text someone', () => {
    const smsWithheld: string[] = [];
    for (const { id, usage, actions } of perFunction()) {
      for (const op of operationsOf('sfn', usage.commands)) expect(actions.has(`states:${op}`), `${id} calls ${op}`).toBe(true);
      expect([...actions].filter((a) => a.startsWith('states:') && !usage.commands.includes(`sfn:${a.slice(7)}`)), id).toEqual([]);
      expect(actions.has('ses:SendEmail'), id).toBe(usage.commands.includes(CHANNEL_COMMANDS.email));
      if (!usage.commands.includes(CHANNEL_COMMANDS.sms)) expect(actions.has('sms-voice:SendTextMessage'), id).toBe(false);
      else if (!actions.has('sms-voice:SendTextMessage')) smsWithheld.push(id);
    }
    // Since onboarding, every function whose code can text may: the waiting steps text the young person and the guardian.
    expect(smsWithheld.sort()).toEqual([]);
  });
});

describe('ParcoursFunction grants', () => {
  /** A stack with one function whose bundle makes `calls`; returns the app and the function. */
  function withBundle(usage: SdkUsage) {
    const dir = mkdtempSync(join(tmpdir(), 'fake-bundle-'));
    outdirs.push(dir);
    writeFileSync(join(dir, 'index.js'), 'exports.handler = async () => 1;\n');
    const entry = 'functions/fake.ts';
    const bundles: BundleSet = { entries: [entry], id: 'fake', dir, built: false, ms: 0, dirOf: () => dir, sdkUsageOf: () => usage, browser: () => ({ pages: {}, files: {} }) };
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'fake-app-')) });
    outdirs.push(app.outdir);
    const stack = new Stack(app, 'Fake');
    const key = new kms.Key(stack, 'Key');
    const table = new dynamodb.Table(stack, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: key,
    });
    table.addGlobalSecondaryIndex({ indexName: 'gsi1', partitionKey: { name: 'gsi1pk', type: dynamodb.AttributeType.STRING } });
    const fn = new ParcoursFunction(stack, 'Fake', { entry, bundles, config: loadStageConfig('dev'), logGroup: new logs.LogGroup(stack, 'Logs', { encryptionKey: key }) });
    const documents = new DocumentsBucket(stack, 'DocumentsBucket', { config: loadStageConfig('dev'), key, allowedOrigins: ['https://parcours.example.org'] });
    const statements = () =>
      (Template.fromStack(stack).toJSON().Resources as Record<string, Resource>)[stack.getLogicalId(fn.role.node.findChild('DefaultPolicy').node.defaultChild as never)]
        .Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: Json }>;
    const dynamoStatements = () =>
      (Template.fromStack(stack).toJSON().Resources as Record<string, Resource>)[stack.getLogicalId(fn.role.node.findChild('DefaultPolicy').node.defaultChild as never)]
        .Properties.PolicyDocument.Statement.filter((s: { Action: string | string[] }) => [s.Action].flat().some((a) => a.startsWith('dynamodb:')));
    return { app, fn, table, documents, stack, statements, dynamoStatements };
  }

  it('follows the code: a new call is granted with it, on the indexes only when it names one', () => {
    const get = withBundle({ commands: ['dynamodb:DescribeEndpoints', 'dynamodb:GetItem'], queriesIndex: false });
    get.fn.bindTable(get.table);
    expect(get.dynamoStatements()).toEqual([expect.objectContaining({ Action: 'dynamodb:GetItem', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Table/), 'Arn'] } })]);

    const query = withBundle({ commands: ['dynamodb:GetItem', 'dynamodb:Query'], queriesIndex: true });
    query.fn.bindTable(query.table);
    const [statement] = query.dynamoStatements();
    expect(statement.Action).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
    expect(JSON.stringify(statement.Resource)).toContain('/index/*');
  });

  it("grants S3 calls on the bucket's objects and the key as the code makes them: a presigned PUT needs s3:PutObject and a data key", () => {
    const upload = withBundle({ commands: ['s3:CreateSession', 's3:GetObject', 's3:HeadObject', 's3:PutObject'], queriesIndex: false });
    upload.fn.bindDocuments(upload.documents);
    const bucketId = upload.stack.getLogicalId(upload.documents.bucket.node.defaultChild as never);
    const keyId = upload.stack.getLogicalId(upload.documents.key.node.defaultChild as never);
    expect(upload.statements()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Action: ['s3:GetObject', 's3:PutObject'], Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] } }),
        expect.objectContaining({ Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: { 'Fn::GetAtt': [keyId, 'Arn'] } }),
      ]),
    );
    expect(JSON.stringify(upload.statements())).not.toMatch(/s3:DeleteObject|s3:ListBucket/);
    const variables = Template.fromStack(upload.stack).toJSON().Resources[upload.stack.getLogicalId(upload.fn.function.node.defaultChild as never)].Properties.Environment.Variables;
    expect(variables).toMatchObject({ DOCUMENTS_BUCKET: { Ref: bucketId }, DOCUMENTS_KEY_ARN: { 'Fn::GetAtt': [keyId, 'Arn'] } });

    const remove = withBundle({ commands: ['s3:DeleteObject'], queriesIndex: false });
    remove.fn.bindDocuments(remove.documents);
    expect(JSON.stringify(remove.statements())).not.toMatch(/kms:|s3:GetObject|s3:PutObject/);
    const unmapped = withBundle({ commands: ['s3:PutBucketPolicy'], queriesIndex: false });
    expect(() => unmapped.fn.bindDocuments(unmapped.documents)).toThrow(/S3 PutBucketPolicy, which infra\/sdk-grants.ts does not map/);
    const none = withBundle({ commands: ['dynamodb:GetItem'], queriesIndex: false });
    expect(() => none.fn.bindDocuments(none.documents)).toThrow(/makes no S3 call/);
  });

  it('refuses a Scan and an operation it cannot map', () => {
    const scan = withBundle({ commands: ['dynamodb:Scan'], queriesIndex: false });
    expect(() => scan.fn.bindTable(scan.table)).toThrow(/no function may Scan/);
    const unknown = withBundle({ commands: ['dynamodb:ExecuteStatement'], queriesIndex: false });
    expect(() => unknown.fn.bindTable(unknown.table)).toThrow(/does not map ExecuteStatement|ExecuteStatement, which infra\/sdk-grants.ts does not map/);
  });

  it('fails the synthesis when the bundle makes a call no grant covers, and refuses a channel the code never sends by', () => {
    const ungranted = withBundle({ commands: ['dynamodb:GetItem', 'sfn:StartExecution'], queriesIndex: false });
    ungranted.fn.bindTable(ungranted.table);
    expect(() => ungranted.app.synth()).toThrow(/calls sfn:StartExecution without a grant/);
    const emailOnly = withBundle({ commands: ['sesv2:SendEmail'], queriesIndex: false });
    expect(() => emailOnly.fn.bindMessaging({} as never, ['sms'])).toThrow(/never sends by sms/);
  });
});

describe('dead letters', () => {
  const queue = () => {
    const queues = ofType(dev.resources, 'AWS::SQS::Queue').filter(([id]) => id.startsWith('DeadLetters'));
    expect(queues).toHaveLength(1);
    return queues[0];
  };
  const queueArn = () => ({ 'Fn::GetAtt': [queue()[0], 'Arn'] });

  it('go to ONE queue, encrypted with the project key, kept 14 days, over TLS only', () => {
    const [queueId, resource] = queue();
    const [[keyId]] = ofType(dev.resources, 'AWS::KMS::Key');
    expect(resource.Properties).toMatchObject({ KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] }, MessageRetentionPeriod: 14 * 24 * 3600 });
    const [[, policy]] = ofType(dev.resources, 'AWS::SQS::QueuePolicy').filter(([, p]) => JSON.stringify(p.Properties.Queues).includes(queueId));
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
  });

  it('receive from every asynchronous source: rule targets, SNS subscriptions, schedules, asynchronously invoked functions and consumed queues', () => {
    const asyncFunctions = new Set<string>();
    const isFunction = (arn: Json) => dev.resources[arn['Fn::GetAtt']?.[0]]?.Type === 'AWS::Lambda::Function';
    const rules = ofType(dev.resources, 'AWS::Events::Rule');
    expect(rules.length).toBeGreaterThan(0);
    for (const [id, rule] of rules) {
      for (const target of rule.Properties.Targets) {
        expect(target.DeadLetterConfig, id).toEqual({ Arn: queueArn() });
        if (isFunction(target.Arn)) asyncFunctions.add(target.Arn['Fn::GetAtt'][0]);
      }
    }
    // InboundSms's (a function) and the delivery queue's.
    const subscriptions = ofType(dev.resources, 'AWS::SNS::Subscription');
    expect(subscriptions.map(([, s]) => s.Properties.Protocol).sort()).toEqual(['lambda', 'sqs']);
    for (const [id, subscription] of subscriptions) {
      expect(subscription.Properties.RedrivePolicy, id).toEqual({ deadLetterTargetArn: queueArn() });
      if (isFunction(subscription.Properties.Endpoint)) asyncFunctions.add(subscription.Properties.Endpoint['Fn::GetAtt'][0]);
    }
    // Every other queue gives up to the dead letters.
    for (const [id, consumed] of ofType(dev.resources, 'AWS::SQS::Queue').filter(([id]) => id !== queue()[0])) {
      expect(consumed.Properties.RedrivePolicy, id).toEqual({ deadLetterTargetArn: queueArn(), maxReceiveCount: 5 });
    }
    const schedules = ofType(dev.resources, 'AWS::Scheduler::Schedule');
    expect(schedules.length).toBeGreaterThan(0);
    for (const [id, schedule] of schedules) {
      expect(schedule.Properties.Target.DeadLetterConfig, id).toEqual({ Arn: queueArn() });
      asyncFunctions.add(schedule.Properties.Target.Arn['Fn::GetAtt'][0]);
    }
    const onFailure = Object.fromEntries(ofType(dev.resources, 'AWS::Lambda::EventInvokeConfig').map(([, c]) => [c.Properties.FunctionName.Ref, c.Properties]));
    expect(Object.keys(onFailure).sort()).toEqual([...asyncFunctions].sort());
    for (const fn of asyncFunctions) expect(onFailure[fn], fn).toMatchObject({ DestinationConfig: { OnFailure: { Destination: queueArn() } }, MaximumRetryAttempts: 2 });
  });

  it('let each source write: EventBridge and SNS by the queue policy, for our rule and topics only, and the key; the schedule and the functions by their roles', () => {
    const [queueId] = queue();
    const [[, policy]] = ofType(dev.resources, 'AWS::SQS::QueuePolicy').filter(([, p]) => JSON.stringify(p.Properties.Queues).includes(queueId));
    const allows = (policy.Properties.PolicyDocument.Statement as Array<{ Effect: string; Principal: { Service: string }; Action: string; Condition: Json }>).filter((s) => s.Effect === 'Allow');
    for (const [ruleId] of ofType(dev.resources, 'AWS::Events::Rule')) {
      expect(allows).toContainEqual(expect.objectContaining({ Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } } }));
    }
    for (const [, subscription] of ofType(dev.resources, 'AWS::SNS::Subscription')) {
      expect(allows).toContainEqual(expect.objectContaining({ Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage', Condition: { ArnEquals: { 'aws:SourceArn': subscription.Properties.TopicArn } } }));
    }
    const [[, key]] = ofType(dev.resources, 'AWS::KMS::Key');
    const keyStatement = key.Properties.KeyPolicy.Statement.find((s: { Sid?: string }) => s.Sid === 'EventBridgeAndSnsWriteDeadLetters');
    expect(keyStatement).toMatchObject({ Principal: { Service: ['events.amazonaws.com', 'sns.amazonaws.com'] }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] });
    expect(keyStatement.Condition.StringEquals['aws:SourceAccount']).toBeDefined();

    const roleStatements = (roleId: string) =>
      ofType(dev.resources, 'AWS::IAM::Policy')
        .filter(([, p]) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: Json }>);
    const writers = [
      ...ofType(dev.resources, 'AWS::Scheduler::Schedule').map(([, s]) => s.Properties.Target.RoleArn['Fn::GetAtt'][0]),
      ...ofType(dev.resources, 'AWS::Lambda::EventInvokeConfig').map(([, c]) => dev.resources[c.Properties.FunctionName.Ref].Properties.Role['Fn::GetAtt'][0]),
    ];
    // Four schedules (the dispatcher, the reconciler's two: repairs and the monthly invoicing, on one role; the chase of
    // unpaid invoices) and four asynchronously invoked functions (DeliveryEvents is not: its queue is).
    expect(writers).toHaveLength(8);
    for (const roleId of writers) {
      const statements = roleStatements(roleId);
      expect(statements.filter((s) => [s.Action].flat().includes('sqs:SendMessage')).map((s) => s.Resource), roleId).toEqual([queueArn()]);
      expect(statements.some((s) => [s.Action].flat().some((a) => a.startsWith('kms:GenerateDataKey'))), roleId).toBe(true);
    }
  });
});
