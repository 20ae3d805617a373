import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { ApiEvent } from '../../shared/http/api.js';
import type { Actor } from '../../shared/domain/actor.js';

/** The claims API Gateway hands over for an actor: strings only, lists as "[a b]". */
export function claimsOf(actor: Actor): Record<string, string> {
  // People acting through a personal link have no account, hence no claims.
  if (actor.kind === 'system' || actor.kind === 'young-person' || actor.kind === 'guardian') return {};
  const claims: Record<string, string> = { sub: actor.id, name: actor.name, email: actor.email ?? '', 'cognito:groups': `[${actor.kind}]` };
  if (actor.kind === 'prescriber') {
    claims['custom:organisation'] = actor.organisationId;
    claims['custom:organisation_name'] = actor.organisationName;
  }
  return claims;
}

/** An API Gateway v2 (payload 2.0) event as the HTTP API sends it after the JWT authorizer. */
export function apiEvent(options: {
  routeKey: string;
  actor?: Actor;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  pathParameters?: Record<string, string>;
}): ApiEvent {
  const [method, path] = options.routeKey.split(' ');
  const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  return {
    version: '2.0',
    routeKey: options.routeKey,
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...options.headers },
    pathParameters: options.pathParameters,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: randomUUID(),
      routeKey: options.routeKey,
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
      authorizer: { principalId: '', integrationLatency: 0, jwt: { claims: options.actor ? claimsOf(options.actor) : {}, scopes: [] } },
    },
    body,
    isBase64Encoded: false,
  } as ApiEvent;
}

export function lambdaContext(functionName = 'test-function'): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-3:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
