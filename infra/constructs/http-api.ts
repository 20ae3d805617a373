import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { StageConfig } from '../config.js';
import type { ParcoursFunction } from './parcours-function.js';

export interface ParcoursHttpApiProps {
  config: StageConfig;
  logKey: kms.IKey;
  /** Default stage throttling, for the whole API. */
  throttle?: apigw.ThrottleSettings;
}

/**
 * The HTTP API: one `$default` stage with access logs (no bodies, no headers, so no tokens)
 * and throttling. Routes are added with `addProtectedRoute` (JWT from Cognito) or, for the few
 * public ones, `addPublicRoute`, which records why they are public.
 */
export class ParcoursHttpApi extends Construct {
  readonly api: apigw.HttpApi;
  readonly accessLogs: logs.LogGroup;
  private authorizer?: HttpUserPoolAuthorizer;
  private readonly integrations = new Map<ParcoursFunction, HttpLambdaIntegration>();

  constructor(scope: Construct, id: string, props: ParcoursHttpApiProps) {
    super(scope, id);
    this.api = new apigw.HttpApi(this, 'Default', {
      apiName: `parcours-${props.config.stage}`,
      description: 'CoopConnexion Parcours: pages and /api',
      // Our own $default stage below, because the implicit one cannot carry access logs.
      createDefaultStage: false,
    });
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.config.logRetentionDays as logs.RetentionDays,
      encryptionKey: props.logKey,
      removalPolicy: props.config.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            httpMethod: '$context.httpMethod',
            routeKey: '$context.routeKey',
            path: '$context.path',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            responseLatency: '$context.responseLatency',
            integrationLatency: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            sourceIp: '$context.identity.sourceIp',
          }),
        ),
      },
    });
  }

  /** Routes under `/api` require a Cognito ID token of the pages client (JWT authorizer). */
  useCognito(userPool: cognito.IUserPool, client: cognito.IUserPoolClient): void {
    this.authorizer = new HttpUserPoolAuthorizer('CognitoAuthorizer', userPool, {
      userPoolClients: [client],
      identitySource: ['$request.header.Authorization'],
    });
  }

  addProtectedRoute(method: apigw.HttpMethod, path: string, fn: ParcoursFunction): apigw.HttpRoute[] {
    if (!this.authorizer) throw new Error('useCognito() must be called before adding a protected route');
    return this.api.addRoutes({ path, methods: [method], integration: this.integrationFor(fn), authorizer: this.authorizer });
  }

  /** A route without authorizer; `why` is recorded as the cdk-nag acknowledgement of AwsSolutions-APIG4. */
  addPublicRoute(method: apigw.HttpMethod, path: string, fn: ParcoursFunction, why: string): apigw.HttpRoute[] {
    const routes = this.api.addRoutes({ path, methods: [method], integration: this.integrationFor(fn) });
    for (const route of routes) Validations.of(route).acknowledge({ id: 'AwsSolutions-APIG4', reason: why });
    return routes;
  }

  /** Every route of one area's function (decision 29), as 'METHOD /path' keys (the router's, see shared/http/router.ts). */
  addProtectedRoutes(routeKeys: readonly string[], fn: ParcoursFunction): void {
    for (const key of routeKeys) this.addProtectedRoute(...methodAndPath(key), fn);
  }

  addPublicRoutes(routeKeys: readonly string[], fn: ParcoursFunction, why: string): void {
    for (const key of routeKeys) this.addPublicRoute(...methodAndPath(key), fn, why);
  }

  /** The URL the pages are served from. */
  get url(): string {
    return this.api.apiEndpoint;
  }

  private integrationFor(fn: ParcoursFunction): HttpLambdaIntegration {
    let integration = this.integrations.get(fn);
    if (!integration) {
      // One permission per function for the whole API, not one per route (decision 29): a function that serves
      // the routes of an area costs two resources per route (route, nothing else) instead of three.
      integration = new HttpLambdaIntegration(`${fn.node.id}Integration`, fn.function, { scopePermissionToRoute: false });
      this.integrations.set(fn, integration);
    }
    return integration;
  }
}

function methodAndPath(routeKey: string): [apigw.HttpMethod, string] {
  const [method, path, ...rest] = routeKey.split(' ');
  if (!method || !path || rest.length > 0 || !(Object.values(apigw.HttpMethod) as string[]).includes(method)) throw new Error(`not a route key: ${routeKey}`);
  return [method as apigw.HttpMethod, path];
}
