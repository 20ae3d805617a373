import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createParcoursApp } from '../../infra/stack.js';
import { appTableDefinition } from '../../infra/local-app/tables.js';
import type { StageConfig } from '../../infra/config.js';

/** Template JSON, as JSON.parse types it. */
type Json = ReturnType<typeof JSON.parse>;
type Resource = { Type: string; Properties: Record<string, Json>; DeletionPolicy?: string; UpdateReplacePolicy?: string };

interface Synthesized {
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
    template,
    resources: template.toJSON().Resources,
    config,
    validationReport: JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')),
  };
}

const ofType = (resources: Record<string, Resource>, type: string): Array<[string, Resource]> =>
  Object.entries(resources).filter(([, resource]) => resource.Type === type);

/** The state machine definition as plain ASL, CloudFormation references replaced by placeholders. */
function definitionOf(resources: Record<string, Resource>): { States: Record<string, Json>; StartAt: string; QueryLanguage?: string } {
  const [[, machine]] = ofType(resources, 'AWS::StepFunctions::StateMachine');
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

describe('HTTP API', () => {
  const routes = (s: Synthesized): Record<string, Json> => Object.fromEntries(ofType(s.resources, 'AWS::ApiGatewayV2::Route').map(([, r]) => [r.Properties.RouteKey, r.Properties]));

  it('has exactly the routes of docs/architecture.md', () => {
    expect(Object.keys(routes(dev)).sort()).toEqual(
      [
        'POST /api/referrals',
        'GET /api/referrals',
        'GET /api/referrals/{referralId}',
        'GET /api/staff/inbox',
        'GET /api/approvals/{approvalId}',
        'POST /api/approvals/{approvalId}/decision',
        'GET /api/people/{personId}/timeline',
        'GET /api/staff/messages',
        'POST /api/people/{personId}/contact-issues/{issueId}/fix',
        'GET /api/staff/duplicates',
        'POST /api/staff/duplicates/{duplicateId}/decision',
        'GET /api/config',
        'GET /',
        'GET /{proxy+}',
      ].sort(),
    );
  });

  it('puts every /api route except GET /api/config behind the Cognito JWT authorizer', () => {
    const [[authorizerId, authorizer]] = ofType(dev.resources, 'AWS::ApiGatewayV2::Authorizer');
    expect(authorizer.Properties.AuthorizerType).toBe('JWT');
    expect(authorizer.Properties.IdentitySource).toEqual(['$request.header.Authorization']);
    expect(authorizer.Properties.JwtConfiguration.Audience).toEqual([{ Ref: expect.stringMatching(/^AuthUserPoolPagesClient/) }]);
    for (const [routeKey, route] of Object.entries(routes(dev))) {
      if (!routeKey.includes(' /api/') || routeKey === 'GET /api/config') continue;
      expect(route.AuthorizationType, routeKey).toBe('JWT');
      expect(route.AuthorizerId, routeKey).toEqual({ Ref: authorizerId });
    }
  });

  it('leaves the pages and their config public', () => {
    for (const routeKey of ['GET /api/config', 'GET /', 'GET /{proxy+}']) {
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
    expect(Object.keys(definition.States).sort()).toEqual(
      [
        'Accuser réception',
        'Attendre la décision',
        "Relancer l'équipe",
        'Attendre la décision après relance',
        'Escalader',
        'Attendre la décision après escalade',
        'Expirer la demande',
        'Demande expirée',
        'Notifier la décision',
        'Quelle décision ?',
        'Attendre une place',
        "Rappeler la liste d'attente",
        'Orientation acceptée',
        'Orientation refusée',
        'Reprendre la décision enregistrée',
        'Décidée avant la relance ?',
        "Décidée avant l'escalade ?",
        "Décidée avant l'expiration ?",
        'Décidée pendant la liste d’attente ?',
      ].sort(),
    );
  });

  it('waits for the decision with task tokens whose timeouts are the configured deadlines', () => {
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
      expect(state.ResultPath, name).toBe('$.decision');
      expect(state.Parameters.Payload, name).toEqual({ 'taskToken.$': '$$.Task.Token', 'referralId.$': '$.referralId', 'personId.$': '$.personId', phase });
      expect(state.Catch, name).toEqual([{ ErrorEquals: ['States.Timeout'], ResultPath: '$.timeout', Next: onTimeout }]);
      expect(state.Next, name).toBe('Notifier la décision');
    }
    // After each deadline step, a decision recorded meanwhile goes to the notification instead of waiting again.
    const afterDeadline: Array<[string, string, string]> = [
      ["Relancer l'équipe", 'Décidée avant la relance ?', 'Attendre la décision après relance'],
      ['Escalader', "Décidée avant l'escalade ?", 'Attendre la décision après escalade'],
      ['Expirer la demande', "Décidée avant l'expiration ?", 'Demande expirée'],
      ["Rappeler la liste d'attente", 'Décidée pendant la liste d’attente ?', 'Attendre une place'],
    ];
    for (const [deadline, choice, otherwise] of afterDeadline) {
      expect(States[deadline].Next, deadline).toBe(choice);
      expect(States[deadline].ResultPath, deadline).toBe('$.deadline');
      expect(States[choice].Choices, choice).toEqual([{ Variable: '$.deadline.decision', IsPresent: true, Next: 'Reprendre la décision enregistrée' }]);
      expect(States[choice].Default, choice).toBe(otherwise);
    }
    expect(States['Reprendre la décision enregistrée']).toMatchObject({ Type: 'Pass', InputPath: '$.deadline.decision', ResultPath: '$.decision', Next: 'Notifier la décision' });
  });

  it('retries every plain step on any error, three times, and routes the decision', () => {
    const { States } = definitionOf(dev.resources);
    for (const name of ['Accuser réception', "Relancer l'équipe", 'Escalader', 'Expirer la demande', 'Notifier la décision', "Rappeler la liste d'attente"]) {
      expect(States[name].Resource, name).toBe('REF');
      if (!['Relancer l\'équipe', 'Escalader', 'Expirer la demande', "Rappeler la liste d'attente"].includes(name)) expect(States[name].ResultPath, name).toBeNull();
      expect(States[name].Retry, name).toContainEqual({ ErrorEquals: ['States.ALL'], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2 });
    }
    expect(States['Accuser réception'].Parameters).toEqual({ 'referralId.$': '$.referralId', 'personId.$': '$.personId', cause: 'referral-received' });
    expect(States['Notifier la décision'].Parameters['decision.$']).toBe('$.decision');
    expect(States['Quelle décision ?'].Choices).toEqual([
      { Variable: '$.decision.outcome', StringEquals: 'waitlisted', Next: 'Attendre une place' },
      { Variable: '$.decision.outcome', StringEquals: 'accepted', Next: 'Orientation acceptée' },
    ]);
    expect(States['Quelle décision ?'].Default).toBe('Orientation refusée');
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
        'StaffInbox',
        'GetApproval',
        'DecideApproval',
        'PersonTimeline',
        'PagesConfig',
        'Pages',
        'SendNotifications',
        'RequestDecision',
        'ReferralDeadline',
        'NotifyDecision',
        'DeliveryEvents',
        'InboundSms',
        'StaffMessages',
        'FixContact',
        'ListPossibleDuplicates',
        'DecidePossibleDuplicate',
        'DispatchDeferredMessages',
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

  it('give the state machine ARN to the submit and decision functions only (no cycle through the workflow steps)', () => {
    const withArn = Object.entries(functions(dev))
      .filter(([, fn]) => 'REFERRAL_STATE_MACHINE_ARN' in fn.Environment.Variables)
      .map(([id]) => id)
      .sort();
    expect(withArn).toEqual(['DecideApproval', 'SubmitReferral']);
  });

  it('give the table to every function but the pages, and the senders their messaging settings', () => {
    const all = functions(dev);
    for (const [id, fn] of Object.entries(all)) {
      expect('TABLE_NAME' in fn.Environment.Variables, id).toBe(!id.startsWith('Pages'));
    }
    for (const id of ['SendNotifications', 'ReferralDeadline', 'NotifyDecision']) {
      expect(Object.keys(all[id].Environment.Variables), id).toEqual(
        expect.arrayContaining(['EMAIL_FROM', 'SES_CONFIGURATION_SET', 'SMS_SENDER_ID', 'SMS_CONFIGURATION_SET', 'STAFF_EMAIL', 'APP_BASE_URL']),
      );
    }
    expect(all.RequestDecision.Environment.Variables).toMatchObject({ EMAIL_FROM: dev.config.emailFrom, STAFF_EMAIL: dev.config.staffEmail });
    expect('SMS_SENDER_ID' in all.RequestDecision.Environment.Variables).toBe(false);
    for (const id of ['Pages', 'PagesConfig']) {
      expect(Object.keys(all[id].Environment.Variables), id).toEqual(expect.arrayContaining(['AUTH_BASE_URL', 'USER_POOL_CLIENT_ID', 'APP_BASE_URL']));
    }
  });
});

describe('delivery tracking', () => {
  const deliveryFunctionId = () => ofType(dev.resources, 'AWS::Lambda::Function').find(([id]) => id.startsWith('DeliveryEvents'))![0];

  it('routes the final SES events of our configuration set only, from the default bus, to DeliveryEvents', () => {
    const rules = ofType(dev.resources, 'AWS::Events::Rule').filter(([, r]) => r.Properties.EventPattern);
    expect(rules).toHaveLength(1);
    const [[, rule]] = rules;
    expect(rule.Properties.EventBusName).toBeUndefined();
    const [[configurationSetId]] = ofType(dev.resources, 'AWS::SES::ConfigurationSet');
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.ses'],
      'detail-type': ['Email Delivered', 'Email Bounced', 'Email Complaint Received', 'Email Rejected', 'Email Rendering Failed'],
      detail: { mail: { tags: { 'ses:configuration-set': [{ Ref: configurationSetId }] } } },
    });
    expect(rule.Properties.Targets).toEqual([expect.objectContaining({ Arn: { 'Fn::GetAtt': [deliveryFunctionId(), 'Arn'] } })]);
    const permissions = ofType(dev.resources, 'AWS::Lambda::Permission').filter(([, p]) => JSON.stringify(p.Properties.FunctionName).includes(deliveryFunctionId()));
    expect(permissions.map(([, p]) => p.Properties.Principal).sort()).toEqual(['events.amazonaws.com', 'sns.amazonaws.com']);
    for (const [, permission] of permissions) expect(permission.Properties.SourceArn).toBeDefined();
  });

  it('publishes the SMS delivery events to a topic encrypted with the project key, subscribed by DeliveryEvents', () => {
    const [[, configurationSet]] = ofType(dev.resources, 'AWS::SMSVOICE::ConfigurationSet');
    const [destination] = configurationSet.Properties.EventDestinations;
    expect(destination).toMatchObject({ Enabled: true, MatchingEventTypes: expect.arrayContaining(['TEXT_DELIVERED', 'TEXT_UNREACHABLE', 'TEXT_BLOCKED']) });
    const topicId = destination.SnsDestination.TopicArn.Ref;
    const [[keyId, key]] = ofType(dev.resources, 'AWS::KMS::Key');
    expect(dev.resources[topicId]!.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    const subscriptions = ofType(dev.resources, 'AWS::SNS::Subscription').map(([, s]) => s.Properties);
    expect(subscriptions.filter((s) => s.TopicArn.Ref === topicId)).toEqual([{ Protocol: 'lambda', TopicArn: { Ref: topicId }, Endpoint: { 'Fn::GetAtt': [deliveryFunctionId(), 'Arn'] } }]);

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

  it('gives DeliveryEvents the table and sending (the fallback by the other channel), and nothing else', () => {
    const actions = actionsOf('DeliveryEvents');
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:UpdateItem', 'ses:SendEmail', 'sms-voice:SendTextMessage']));
    expect(actions.filter((a) => a.startsWith('sns:') || a.startsWith('states:'))).toEqual([]);
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
    expect(actionsOf('StaffMessages').filter((a) => /^dynamodb:(Put|Update|Delete|BatchWrite)|^ses:|^sms-voice:/.test(a))).toEqual([]);
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
    expect(pool.Properties.MfaConfiguration).toBe('OPTIONAL');
    expect(pool.Properties.EnabledMfas).toEqual(['SOFTWARE_TOKEN_MFA']);
  });

  it('allows localhost callbacks outside prod only', () => {
    const callbacks = (s: Synthesized) => JSON.stringify(ofType(s.resources, 'AWS::Cognito::UserPoolClient')[0][1].Properties.CallbackURLs);
    expect(callbacks(dev)).toContain(`${dev.config.localAppUrl}/auth/callback`);
    expect(callbacks(prod)).not.toContain('localhost');
  });
});

describe('messages held back for SMS quiet hours', () => {
  it('are dispatched every 5 minutes by a schedule whose role may invoke only the dispatcher', () => {
    const [[, schedule]] = ofType(dev.resources, 'AWS::Scheduler::Schedule');
    expect(schedule.Properties.ScheduleExpression).toBe('rate(5 minutes)');
    const [[dispatcherId]] = ofType(dev.resources, 'AWS::Lambda::Function').filter(([id]) => id.startsWith('DispatchDeferredMessages'));
    expect(schedule.Properties.Target.Arn).toEqual({ 'Fn::GetAtt': [dispatcherId, 'Arn'] });
    const roleId = schedule.Properties.Target.RoleArn['Fn::GetAtt'][0];
    const policies = ofType(dev.resources, 'AWS::IAM::Policy').filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(roleId));
    const statements = policies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    expect(statements.map((st: { Action: string }) => st.Action)).toEqual(['lambda:InvokeFunction']);
    expect(JSON.stringify(statements)).toContain(dispatcherId);
  });
});

describe('alarms and outputs', () => {
  it('alarm on failed and timed-out executions and on every function error, to the encrypted topic', () => {
    const alarms = ofType(dev.resources, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    expect(alarms.filter((a) => a.Namespace === 'AWS/States').map((a) => a.MetricName).sort()).toEqual(['ExecutionsFailed', 'ExecutionsTimedOut']);
    const functionCount = ofType(dev.resources, 'AWS::Lambda::Function').filter(([id]) => !id.startsWith('LogRetention')).length;
    expect(alarms.filter((a) => a.Namespace === 'AWS/Lambda' && a.MetricName === 'Errors')).toHaveLength(functionCount);
    expect(functionCount).toBeGreaterThanOrEqual(15);
    const [[topicId, topic]] = ofType(dev.resources, 'AWS::SNS::Topic').filter(([id]) => id.startsWith('Alarms'));
    expect(topic.Properties.KmsMasterKeyId).toBeDefined();
    for (const alarm of alarms) expect(alarm.AlarmActions).toEqual([{ Ref: topicId }]);
  });

  it("alarm when a message to the staff address does not arrive, on the metric DeliveryEvents publishes for this stage", () => {
    const alarms = ofType(dev.resources, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    const staff = alarms.find((a) => a.MetricName === 'staff_message_undelivered');
    expect(staff).toMatchObject({ Namespace: 'CoopConnexionParcours', Statistic: 'Sum', Period: 300, Threshold: 1 });
    expect(staff!.Dimensions).toEqual(expect.arrayContaining([{ Name: 'service', Value: 'DeliveryEvents' }, { Name: 'stage', Value: 'dev' }]));
    const deliveryEvents = ofType(dev.resources, 'AWS::Lambda::Function').find(([id]) => id.startsWith('DeliveryEvents'))![1];
    expect(deliveryEvents.Properties.Environment.Variables).toMatchObject({ POWERTOOLS_SERVICE_NAME: 'DeliveryEvents', POWERTOOLS_METRICS_NAMESPACE: 'CoopConnexionParcours', STAGE: 'dev' });
  });

  it('exports what an operator and the local cloud need', () => {
    dev.template.hasOutput('ApiUrl', {});
    for (const name of ['ApiUrl', 'UserPoolId', 'UserPoolClientId', 'AuthBaseUrl', 'TableName', 'ReferralStateMachineArn', 'SmsInboundTopicArn']) {
      expect(dev.template.toJSON().Outputs, name).toHaveProperty(name);
    }
  });
});
